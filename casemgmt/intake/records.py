"""Services awaiting a rating: SMS reminders, the region's rule for the unrated, NEA's window for late ratings.

Liaoning 第七条/第十条: remind after 24 hours; unrated 5 working days after the service means 满意.
Xi'an 第十条: remind after 24 hours to rate within 5 working days; after that the service is recorded as 未评.
NEA 三.(一): a rating not given on site may follow within 7 (calendar) days (checked in ratings.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from casemgmt import audit
from casemgmt.access.policy import Action, authorize
from casemgmt.actor import Actor
from casemgmt.calendar import load_calendar
from casemgmt.db import db
from casemgmt.errors import InvalidInput, PermissionDenied
from casemgmt.models import (
    Evaluation,
    Organization,
    Region,
    ServiceItem,
    ServiceRecord,
    ServiceRecordStatus,
    User,
)
from casemgmt.notices.operations import queue_region_message
from casemgmt.rules import regions
from casemgmt.stats import rollups

#: a service still waiting for its rating
OPEN = (ServiceRecordStatus.AWAITING, ServiceRecordStatus.REMINDED)
DEFAULT_CHANNEL = "system_default"


def register_service_record(payload: dict, submitter: User, now: datetime) -> tuple[ServiceRecord, bool]:
    """Record a finished service that can be rated (idempotent on record_no); return it and whether it is new."""
    region = regions.get_region(payload["region"])
    authorize(submitter, Action.SERVICE_RECORD_REGISTER)
    if region.id != submitter.region_id:
        raise PermissionDenied("只有本地区的办件系统账号可以登记办件")
    existing = _record(region, payload["record_no"])
    if existing is not None:
        return existing, False
    org = db.session.scalar(
        select(Organization).where(Organization.region_id == region.id, Organization.code == payload["org_code"])
    )
    item = db.session.scalar(
        select(ServiceItem.id).where(ServiceItem.region_id == region.id, ServiceItem.code == payload["item_code"])
    )
    if org is None or item is None:
        field = "org_code" if org is None else "item_code"
        raise InvalidInput("未知的机构或事项", details={field: [f"本地区没有 {payload[field]}"]})
    record = ServiceRecord(
        region_id=region.id,
        record_no=payload["record_no"],
        item_code=payload["item_code"],
        org_id=org.id,
        channel=payload["channel"],
        completed_at=payload["completed_at"],
        promised_at=payload.get("promised_at"),
        group_no=payload.get("group_no"),
        group_kind=payload.get("group_kind"),
        is_lead=bool(payload.get("is_lead")),
        evaluator_phone=payload["evaluator_phone"],
        status=ServiceRecordStatus.AWAITING,
        registered_at=now,
    )
    db.session.add(record)
    db.session.flush()
    return record, True


def _record(region: Region, record_no: str) -> ServiceRecord | None:
    stmt = select(ServiceRecord).where(ServiceRecord.region_id == region.id, ServiceRecord.record_no == record_no)
    return db.session.scalar(stmt)


def sweep_unrated(now: datetime, actor: Actor) -> dict[str, int]:
    """Remind and settle the services still awaiting a rating under their region's rule; return counts."""
    counts = {"reminded": 0, "defaulted": 0, "unrated": 0}
    for region in db.session.scalars(select(Region).order_by(Region.id)):
        rule = regions.unrated_rule(region)
        if rule is not None:
            _sweep(region, rule, now, actor, counts)
    return counts


def _sweep(region: Region, rule: dict, now: datetime, actor: Actor, counts: dict[str, int]) -> None:
    remind_by = now - timedelta(hours=rule["remind_after_hours"])
    for record in _open_records(region, ServiceRecordStatus.AWAITING, ServiceRecord.completed_at <= remind_by):
        if not _was_rated(record):
            _remind(record, actor, now)
            counts["reminded"] += 1
    start = ServiceRecord.reminded_at if rule.get("settle_from") == "reminded" else ServiceRecord.completed_at
    # N working days take at least N calendar days: younger records cannot be due yet
    floor = now - timedelta(days=int(rule["settle_after_workdays"]))
    for record in _open_records(region, ServiceRecordStatus.REMINDED, start <= floor):
        if not _was_rated(record) and now > settle_at(record, rule):
            counts[_settle(record, rule, actor, now)] += 1


def _open_records(region: Region, status: ServiceRecordStatus, condition) -> list[ServiceRecord]:
    stmt = select(ServiceRecord).where(ServiceRecord.region_id == region.id, ServiceRecord.status == status, condition)
    return list(db.session.scalars(stmt.order_by(ServiceRecord.completed_at, ServiceRecord.id)))


def _was_rated(record: ServiceRecord) -> bool:
    evaluation = db.session.scalar(
        select(Evaluation)
        .where(Evaluation.region_id == record.region_id, Evaluation.record_no == record.record_no)
        .limit(1)
    )
    if evaluation is not None:
        _rated_by(record, evaluation)
    return evaluation is not None


def _rated_by(record: ServiceRecord, evaluation: Evaluation) -> None:
    record.status = ServiceRecordStatus.RATED
    record.evaluation_id, record.settled_at = evaluation.id, evaluation.received_at


def settle_at(record: ServiceRecord, rule: dict) -> datetime:
    """Return when an unrated service is settled: N working days after the service (or after the reminder)."""
    start = record.reminded_at if rule.get("settle_from") == "reminded" else record.completed_at
    region = db.session.get(Region, record.region_id)
    return load_calendar(region.code).due(start, int(rule["settle_after_workdays"])).due_at


def _remind(record: ServiceRecord, actor: Actor, now: datetime) -> None:
    record.status, record.reminded_at = ServiceRecordStatus.REMINDED, now
    if record.evaluator_phone:
        body = f"您办理的业务（办件编号 {record.record_no}）已办结，欢迎对政务服务作出评价。"
        queue_region_message(record.region_id, "sms", record.evaluator_phone, body, now, kind="remind")
    audit.record(
        "rating_reminded",
        actor=actor,
        at=now,
        region_id=record.region_id,
        chain=f"service_record:{record.id}",
        payload={"record_no": record.record_no},
    )


def _settle(record: ServiceRecord, rule: dict, actor: Actor, now: datetime) -> ServiceRecordStatus:
    record.settled_at = now
    if rule["settle_as"] == "unrated":
        record.status = ServiceRecordStatus.UNRATED
        rollups.on_unrated(record)
    else:
        record.status = ServiceRecordStatus.DEFAULTED
        record.evaluation_id = _default_evaluation(record, rule["settle_as"], now).id
    audit.record(
        f"rating_{record.status}",
        actor=actor,
        at=now,
        region_id=record.region_id,
        chain=f"service_record:{record.id}",
        payload={"record_no": record.record_no, "level": rule["settle_as"], "rule": rule.get("text")},
    )
    return record.status


def _default_evaluation(record: ServiceRecord, level: str, now: datetime) -> Evaluation:
    evaluation = Evaluation(
        region_id=record.region_id,
        record_no=record.record_no,
        item_code=record.item_code,
        org_id=record.org_id,
        channel=DEFAULT_CHANNEL,
        level=level,
        is_bad=False,
        reasons=[],
        comment="期限内未评价，按规定默认评价",
        evaluated_at=now,
        received_at=now,
    )
    db.session.add(evaluation)
    db.session.flush()
    rollups.on_evaluation(evaluation)
    return evaluation


#: for the bulk intake (casemgmt/intake/batch.py), which marks many services with one read
