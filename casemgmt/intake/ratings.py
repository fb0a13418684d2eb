"""Which rating a service may still receive: one per record and evaluator, a follow-up, a group's one rating.

Liaoning 第七条 / Xi'an 第九条: one rating per service; a batch (批量业务) and a theme service (一件事) may be rated
once for all its records; one follow-up (追加评价) within a period. Sanming 二.(二)1: a parallel approval may be
rated as a whole or per department; a 一件事 only as a whole; the result goes to the lead department.
NEA 三.(一): a service given on site may be rated within 7 days, counted on the day the rating is received.
Xi'an 第十条: a service not finished in the promised time may be rated from the next working day after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import ColumnElement, or_, select

from casemgmt.calendar import SHANGHAI, load_calendar
from casemgmt.db import db
from casemgmt.errors import InvalidInput
from casemgmt.models import Evaluation, Organization, Region, ServiceGroupKind, ServiceRecord, ServiceRecordStatus
from casemgmt.rules import regions

ANONYMOUS = "anonymous"
GROUP, RECORD = "group", "record"
KIND_LABELS = {
    ServiceGroupKind.BATCH: "批量业务",
    ServiceGroupKind.PARALLEL: "并联审批",
    ServiceGroupKind.THEME: "“一件事”主题服务",
}
#: what a region allows when its settings say nothing: each record rated on its own
DEFAULT_SCOPES = (RECORD,)
OPEN = (ServiceRecordStatus.AWAITING, ServiceRecordStatus.REMINDED)


@dataclass
class Plan:
    """What a rating becomes: for whom, a follow-up of which, for which records, with which fields replaced."""

    evaluator_key: str
    follow_up_of: Evaluation | None = None
    group_no: str | None = None
    records: list[ServiceRecord] = field(default_factory=list)
    overrides: dict = field(default_factory=dict)


def evaluator_key(phone: str) -> str:
    """Return who rated, as far as intake can tell: the phone without its country code, or 'anonymous'."""
    digits = phone.replace("-", "").strip()
    for prefix in ("+86", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
    return digits or ANONYMOUS


def plan_rating(region: Region, payload: dict, now: datetime, known: Known | None = None) -> Plan:
    """Check a rating against the service it rates and return its plan; refuse it with the reason in Chinese.

    `known`: the record and whether the evaluator rated it before, already read (intake/prefetch.py).
    """
    record = known.record if known is not None else _record(region, payload["record_no"])
    plan = Plan(evaluator_key(payload.get("evaluator", {}).get("phone", "")))
    if record is not None:
        _check_window(region, record, now)
        _check_finished(region, record, now)
    _group(region, record, payload.get("scope") or RECORD, plan)
    _check_prior(region, payload["record_no"], plan, now, known)
    return plan


class Known(Protocol):
    """What intake/prefetch.py read for a rating of record_no by one evaluator."""

    record: ServiceRecord | None
    record_no: str
    has_prior: bool


def columns_of(plan: Plan) -> dict:
    """Return the columns the plan gives the new evaluation: who rated, what it follows up, its group."""
    return {
        "evaluator_key": plan.evaluator_key,
        "follow_up_of_id": plan.follow_up_of.id if plan.follow_up_of else None,
        "group_no": plan.group_no,
    }


def mark_records(plan: Plan, evaluation: Evaluation) -> None:
    """Mark the records the new evaluation rates as rated."""
    for record in plan.records:
        if record.status in OPEN:
            record.status = ServiceRecordStatus.RATED
            record.evaluation_id, record.settled_at = evaluation.id, evaluation.received_at


def _record(region: Region, record_no: str) -> ServiceRecord | None:
    stmt = select(ServiceRecord).where(ServiceRecord.region_id == region.id, ServiceRecord.record_no == record_no)
    return db.session.scalar(stmt)


def _check_window(region: Region, record: ServiceRecord, now: datetime) -> None:
    """NEA: a service given on site may be rated within N calendar days, whatever channel the rating uses."""
    rule = regions.late_rating_rule(region)
    if not rule or record.completed_at is None or record.channel not in rule.get("channels", []):
        return
    closes = load_calendar(region.code).calendar_due(record.completed_at, int(rule["calendar_days"])).due_at
    if now > closes:
        text = f"已超过补充评价期限（{rule.get('text') or str(rule['calendar_days']) + ' 日内'}）"
        local = closes.astimezone(SHANGHAI).isoformat()
        raise InvalidInput(text, details={"evaluated_at": [f"补充评价须在 {local} 之前（以收到评价的时间为准）"]})


def _check_finished(region: Region, record: ServiceRecord, now: datetime) -> None:
    """An unfinished service is rated only where the region allows it after an overdue promise (Xi'an 第十条)."""
    if record.completed_at is not None:
        return
    rule = regions.settings_of(region).get("overdue_rating")
    if not rule or record.promised_at is None:
        raise InvalidInput("该办件尚未办结，暂不能评价", details={"record_no": [record.record_no]})
    opens = load_calendar(region.code).due(record.promised_at, 1).due_at - timedelta(days=1)
    if now < opens:
        day = opens.astimezone(SHANGHAI).date().isoformat()
        text = f"该办件尚未办结，超出承诺时限的可在承诺时限的下一个工作日（{day}）起评价"
        raise InvalidInput(text, details={"record_no": [rule.get("text") or text]})


def allowed_scopes(region: Region, kind: ServiceGroupKind) -> tuple[str, ...]:
    """Return how the region lets a group of this kind be rated: as a whole ('group'), per record, or both."""
    setting = regions.settings_of(region).get("group_rating") or {}
    return tuple(setting.get(str(kind)) or DEFAULT_SCOPES)


def _group(region: Region, record: ServiceRecord | None, scope: str, plan: Plan) -> None:
    if record is None or not record.group_no or record.group_kind is None:
        if scope == GROUP:
            raise InvalidInput(
                "该办件不属于批量业务、并联审批或“一件事”，不能整体评价", details={"scope": ["只能对该办件评价"]}
            )
        plan.records = [record] if record is not None else []
        return
    kind = ServiceGroupKind(record.group_kind)
    scopes = allowed_scopes(region, kind)
    if scope not in scopes:
        hint = "请对整体评价（scope=group）" if GROUP in scopes else "请对各办件分别评价"
        what = "整体评价" if scope == GROUP else "单独评价"
        raise InvalidInput(f"本地区的{KIND_LABELS[kind]}不能{what}，{hint}", details={"scope": [hint]})
    if scope == RECORD:
        plan.records = [record]
        return
    members = _members(region, record.group_no)
    lead = next((r for r in members if r.is_lead), members[0])
    org = db.session.get_one(Organization, lead.org_id)
    plan.group_no, plan.records = record.group_no, members
    plan.overrides = {"record_no": lead.record_no, "item_code": lead.item_code, "org_code": org.code}


def _members(region: Region, group_no: str) -> list[ServiceRecord]:
    stmt = select(ServiceRecord).where(ServiceRecord.region_id == region.id, ServiceRecord.group_no == group_no)
    return list(db.session.scalars(stmt.order_by(ServiceRecord.id)))


def _check_prior(region: Region, record_no: str, plan: Plan, now: datetime, known: Known | None = None) -> None:
    """One rating per record and evaluator; a second one is a follow-up within the region's period, or refused."""
    numbers = {r.record_no for r in plan.records} | {record_no}
    groups = {r.group_no for r in plan.records if r.group_no}
    if known is not None and not known.has_prior and not groups and numbers == {known.record_no}:
        return  # the read found no earlier rating of this record by this evaluator
    match: ColumnElement[bool] = Evaluation.record_no.in_(numbers)
    if groups:
        match = or_(match, Evaluation.group_no.in_(groups))
    stmt = select(Evaluation).where(
        Evaluation.region_id == region.id, Evaluation.evaluator_key == plan.evaluator_key, match
    )
    prior = list(db.session.scalars(stmt.order_by(Evaluation.id)))
    if not prior:
        return
    rule = regions.settings_of(region).get("follow_up")
    if not rule:
        raise InvalidInput("您已评价过该办件，每个办件只能评价一次", details={"record_no": sorted(numbers)})
    if any(e.follow_up_of_id is not None for e in prior):
        raise InvalidInput("您已追加评价过该办件，不能再次评价", details={"record_no": sorted(numbers)})
    first = prior[0]
    closes = first.received_at + timedelta(days=int(rule["calendar_days"]))
    if now > closes:
        text = f"已超过追加评价期限（首次评价后 {rule['calendar_days']} 日内）"
        raise InvalidInput(text, details={"record_no": [rule.get("text") or text]})
    plan.follow_up_of = first
