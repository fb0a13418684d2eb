"""The evaluator's own page: rating by a window's static QR code or a record's link, limits, and the progress shown.

NEA 三.(一), Sanming 附件, Liaoning 第六条, Xi'an 第十二、十三条: rate on a phone by QR code or SMS link, follow one's
complaint. Evaluator identity is optional and kept only with the consent line the evaluator agreed to.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from casemgmt import audit
from casemgmt.access.policy import Action, authorize
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.errors import InvalidInput
from casemgmt.intake import flags
from casemgmt.intake.operations import IntakeResult, receive_evaluation
from casemgmt.models import (
    Case,
    CaseStatus,
    Evaluation,
    HumanTask,
    Organization,
    OutboxMessage,
    Region,
    ServiceRecord,
    TaskStatus,
    User,
)
from casemgmt.notices.operations import queue_region_message
from casemgmt.rules import regions

PAGE_ACTOR = Actor.system("rating_page")
CONSENT_TEXT = "本人同意将上述姓名和电话用于核实、回访本次评价，仅限办理本评价使用，未经本人同意不向第三方提供。"
#: limits of the public page where the region sets none: ratings per address per hour, per phone and record per day
DEFAULT_LIMITS = {"per_address_per_hour": 20, "per_phone_per_day": 5, "per_record_per_day": 3}
#: days a rating link can be used where the region sets none (NEA's supplementary window is 7 days)
DEFAULT_LINK_DAYS = 7
RECTIFYING = ("Task_ImmediateFix", "Task_Rectification")


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    done: bool


def limits_of(region: Region) -> dict[str, int]:
    """Return the region's limits of the public rating page."""
    return {**DEFAULT_LIMITS, **(regions.settings_of(region).get("rating_page_limits") or {})}


def link_days(region: Region) -> int:
    """Return how many days a rating link stays usable for rating (following the case has no limit)."""
    return int(regions.settings_of(region).get("rating_link_days") or DEFAULT_LINK_DAYS)


def issue_rating_link(record: ServiceRecord, user: User, now: datetime) -> str:
    """Start a new rating link for a record (the previous one stops working); return its nonce."""
    authorize(user, Action.SERVICE_RECORD_REGISTER, org=db.session.get_one(Organization, record.org_id))
    if record.evaluation_id is not None:
        raise InvalidInput("该办件已评价，不能再发送评价链接", details={"record_no": [record.record_no]})
    record.link_nonce, record.link_issued_at = secrets.token_urlsafe(12), now
    audit.record(
        "rating_link_issued",
        actor=Actor.of(user),
        at=now,
        region_id=record.region_id,
        chain=f"service_record:{record.id}",
        payload={"record_no": record.record_no},
    )
    return record.link_nonce


def send_rating_link(record: ServiceRecord, url: str, now: datetime) -> OutboxMessage | None:
    """Queue the SMS carrying a record's rating link to the evaluator's phone, if the record has one."""
    if not record.evaluator_phone:
        return None
    body = f"您办理的业务（办件编号 {record.record_no}）已办结，请点击链接评价并查看办理进展：{url}"
    return queue_region_message(record.region_id, "sms", record.evaluator_phone, body, now, kind="rating_link")


def check_link(record: ServiceRecord, nonce: str, now: datetime) -> None:
    """Refuse a used, replaced or expired rating link (its age counts from when the record's link was issued)."""
    if record.link_nonce is None or not secrets.compare_digest(record.link_nonce, nonce):
        raise InvalidInput("该评价链接已使用或已失效", details={"link": ["每个评价链接只能使用一次"]})
    region = db.session.get_one(Region, record.region_id)
    if record.link_issued_at is None or now > record.link_issued_at + timedelta(days=link_days(region)):
        raise InvalidInput("该评价链接已过期", details={"link": [f"评价链接 {link_days(region)} 日内有效"]})


def rate_on_page(payload: dict, device_key: str, now: datetime, record: ServiceRecord | None = None) -> IntakeResult:
    """Store a rating given on the public page, within the region's limits; a link's record stops taking ratings."""
    region = regions.get_region(payload["region"])
    _check_limits(region, payload, device_key, now)
    ev = payload["evaluator"]
    if (ev.get("name") or ev.get("phone")) and not payload.get("consent"):
        raise InvalidInput("留下姓名或电话须同意使用说明", details={"consent": [CONSENT_TEXT]})
    payload = {key: value for key, value in payload.items() if key != "consent"}
    result = receive_evaluation(payload, None, now, actor=PAGE_ACTOR)
    evaluation = result.evaluation
    evaluation.device_key = device_key
    evaluation.consent_text = CONSENT_TEXT if (ev.get("name") or ev.get("phone")) else None
    flags.flag_rating(evaluation, PAGE_ACTOR, now)
    if record is not None:
        record.link_nonce = None
    return result


def _check_limits(region: Region, payload: dict, device_key: str, now: datetime) -> None:
    limits = limits_of(region)
    checks = [
        (Evaluation.device_key == device_key, timedelta(hours=1), "per_address_per_hour", "本设备评价过于频繁"),
        (Evaluation.record_no == payload["record_no"], timedelta(days=1), "per_record_per_day", "该办件评价过于频繁"),
    ]
    if payload["evaluator"].get("phone"):
        phone = Evaluation.evaluator_phone == payload["evaluator"]["phone"]
        checks.append((phone, timedelta(days=1), "per_phone_per_day", "该电话评价过于频繁"))
    for condition, period, key, text in checks:
        stmt = select(func.count(Evaluation.id)).where(
            Evaluation.region_id == region.id, condition, Evaluation.received_at > now - period
        )
        if (db.session.scalar(stmt) or 0) >= limits[key]:
            raise InvalidInput(f"{text}，请稍后再试", details={"_limit": [key]})


def progress(evaluation: Evaluation) -> list[Step]:
    """Return what the evaluator may see of the handling: received, being handled, rectified, answered."""
    case = db.session.scalar(select(Case).where(Case.evaluation_id == evaluation.id))
    if case is None:
        return [Step("received", "已收到评价", True)]
    done = set(
        db.session.scalars(
            select(HumanTask.element_id).where(HumanTask.case_id == case.id, HumanTask.status == TaskStatus.COMPLETED)
        )
    )
    finished = case.status in (CaseStatus.CLOSED, CaseStatus.REVOKED)
    return [
        Step("received", "已受理", True),
        Step("handling", "办理中", bool(done) or finished),
        Step("rectified", "已整改", bool(done & set(RECTIFYING)) or case.status == CaseStatus.CLOSED),
        Step("answered", "已答复", finished),
    ]
