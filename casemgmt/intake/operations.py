"""Intake: store an evaluation; a bad review opens its case in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import inspect, select
from sqlalchemy.orm import InstanceState, make_transient_to_detached

from casemgmt import audit, refcache, writes
from casemgmt.access.policy import Action, Role, authorize
from casemgmt.actor import Actor
from casemgmt.cases.opening import open_case
from casemgmt.db import db
from casemgmt.errors import InvalidInput, PermissionDenied
from casemgmt.intake import content, flags, prefetch, ratings
from casemgmt.models import BAD_LEVELS, Case, Evaluation, Organization, Region, User
from casemgmt.stats import rollups


@dataclass(frozen=True)
class IntakeResult:
    evaluation: Evaluation
    case: Case | None
    created: bool
    #: what the flag rules' reads found before the evaluation was stored (flags.flag_rating's `known`)
    flag_values: dict | None = field(default=None, compare=False)


def submit_evaluation(payload: dict, submitter: User, now: datetime) -> IntakeResult:
    """Store a validated evaluation from a channel account (idempotent on external_id); a bad review opens a case."""
    authorize(submitter, Action.EVALUATION_SUBMIT)
    result = receive_evaluation(payload, submitter, now, with_flags=True)
    if result.created:
        flags.flag_rating(result.evaluation, Actor.of(submitter, Role.CHANNEL), now, known=result.flag_values)
    return result


def receive_evaluation(
    payload: dict, submitter: User | None, now: datetime, actor: Actor | None = None, with_flags: bool = False
) -> IntakeResult:
    """Store an evaluation as submitted by `submitter` (None: the public rating page, as `actor`), unchecked.

    `with_flags`: also read what the flag rules count (the caller runs them next), with the other reads.
    """
    region = _region(payload["region"], submitter)
    key = ratings.evaluator_key(payload.get("evaluator", {}).get("phone", ""))
    found = prefetch.read(region, payload, key, now, with_flags)
    if found.existing_id is not None:
        existing = db.session.get_one(Evaluation, found.existing_id)
        return IntakeResult(existing, _case_of(existing), created=False)
    plan = ratings.plan_rating(region, payload, now, known=found)
    payload = {**payload, **plan.overrides}  # a group's rating lands on its lead record
    org, is_bad = check_payload(region, payload)
    evaluation = build_evaluation(region, org, payload, is_bad, submitter, now, ratings.columns_of(plan))
    evaluation.region, evaluation.org_id = region, org.id
    flag_values = prefetch.flag_values_for(found, evaluation)
    actor = actor or Actor.of(submitter, Role.CHANNEL)
    earlier = _case_of(plan.follow_up_of) if plan.follow_up_of else None
    if found.next_id is None:  # SQLite: the id comes back from the insert
        insert_evaluation(evaluation)
    else:
        evaluation.id = found.next_id
    rollups.on_evaluation(evaluation)
    if not is_bad or earlier is not None:
        audit.start_chain(f"evaluation:{evaluation.id}")
        audit.record(
            "evaluation_received",
            actor=actor,
            at=now,
            region_id=region.id,
            chain=f"evaluation:{evaluation.id}",
            payload=_summary(evaluation),
        )
        if found.next_id is not None:  # PostgreSQL: the evaluation, its rollups and audit rows in one statement
            insert_evaluation(evaluation, with_held=True)
        ratings.mark_records(plan, evaluation)
        return IntakeResult(evaluation, earlier, created=True, flag_values=flag_values)
    if found.next_id is not None:
        insert_evaluation(evaluation)
    ratings.mark_records(plan, evaluation)
    prefetch.hold_case_ids(found)
    case = open_case(evaluation, actor, now)
    return IntakeResult(evaluation, case, created=True, flag_values=flag_values)


def insert_evaluation(evaluation: Evaluation, with_held: bool = False) -> None:
    """Insert a new evaluation row with one Core statement (its id given, or returned) and keep it in the session
    as loaded, without the ORM's unit of work; `with_held`: send the transaction's held writes with it."""
    values: dict[str, object] = {}
    state: InstanceState = inspect(evaluation)
    for attr in _MAPPER.column_attrs:
        if attr.key not in state.dict:
            default = attr.columns[0].default
            value = None if default is None else default.arg(None) if default.is_callable else default.arg
            setattr(evaluation, attr.key, value)
        values[attr.key] = state.dict[attr.key]
    table = Evaluation.__table__
    if values["id"] is None:
        del values["id"]
        evaluation.id = db.session.execute(table.insert().values(values).returning(table.c.id)).scalar_one()
    elif with_held:
        writes.flush(leading=[writes.Rows(table, [values])])
    else:
        db.session.execute(table.insert().values(values))
    make_transient_to_detached(evaluation)
    db.session.add(evaluation)


_MAPPER = inspect(Evaluation)


def check_payload(region: Region, payload: dict) -> tuple[Organization, bool]:
    """Check a payload against the region's directory and rating content (unit, item, reasons, sub-ratings).

    Returns the unit and whether it is a bad review; InvalidInput names the field. Shared by the bulk intake.
    """
    org = _org(region, payload["org_code"])
    _check_item(region, payload["item_code"])
    is_bad = payload["level"] in BAD_LEVELS
    content.check_content(region, payload, is_bad)
    return org, is_bad


def summary(evaluation: Evaluation) -> dict:
    """Return the audit payload of a received evaluation."""
    return _summary(evaluation)


def _region(code: str, submitter: User | None) -> Region:
    region = refcache.region_by_code(code)
    if region is None:
        raise InvalidInput("未知的地区", details={"region": [f"未知的地区编码 {code}"]})
    if submitter is not None and region.id != submitter.region_id:
        raise PermissionDenied("不能为其他地区提交评价")
    return region


def _case_of(evaluation: Evaluation) -> Case | None:
    return db.session.scalar(select(Case).where(Case.evaluation_id == evaluation.id))


def _org(region: Region, code: str) -> Organization:
    org = refcache.org_by_code(region.id, code)
    if org is None:
        raise InvalidInput("未知的机构", details={"org_code": [f"本地区没有编码为 {code} 的机构"]})
    if not org.is_active:
        raise InvalidInput("该机构已停用", details={"org_code": [f"机构 {code} 已停用，不再接收评价"]})
    return org


def _check_item(region: Region, code: str) -> None:
    item = refcache.item(region.id, code)
    if item is None or not item.is_active:
        raise InvalidInput("未知的事项", details={"item_code": [f"本地区事项目录中没有 {code}"]})


def build_evaluation(
    region: Region, org: Organization, p: dict, is_bad: bool, submitter: User | None, now: datetime, extra: dict
) -> Evaluation:
    """Return a new, unsaved evaluation row of a validated payload (the bulk intake inserts many at once)."""
    ev = p["evaluator"]
    return Evaluation(
        region_id=region.id,
        external_id=p.get("external_id"),
        record_no=p["record_no"],
        item_code=p["item_code"],
        org=org,
        staff_no=p.get("staff_no"),
        channel=p["channel"],
        level=p["level"],
        is_bad=is_bad,
        reasons=p["reasons"],
        sub_ratings=p.get("sub_ratings") or None,
        comment=p["comment"],
        evaluator_name=ev.get("name", ""),
        evaluator_phone=ev.get("phone", ""),
        is_real_name=bool(ev.get("real_name")),
        evaluated_at=p["evaluated_at"],
        received_at=now,
        submitted_by_id=submitter.id if submitter else None,
        **extra,
    )


def _summary(evaluation: Evaluation) -> dict:
    return {
        "evaluation_id": evaluation.id,
        "record_no": evaluation.record_no,
        "level": evaluation.level,
        "channel": evaluation.channel,
        "external_id": evaluation.external_id,
        "follow_up_of": evaluation.follow_up_of_id,
        "group_no": evaluation.group_no,
    }
