"""Intake: store an evaluation; a bad review opens its case in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from casemgmt import audit, refcache
from casemgmt.access.policy import Action, Role, authorize
from casemgmt.actor import Actor
from casemgmt.cases.operations import open_case
from casemgmt.db import db
from casemgmt.errors import InvalidInput, PermissionDenied
from casemgmt.intake import content, flags, ratings
from casemgmt.models import BAD_LEVELS, Case, Evaluation, Organization, Region, User
from casemgmt.stats import rollups


@dataclass(frozen=True)
class IntakeResult:
    evaluation: Evaluation
    case: Case | None
    created: bool


def submit_evaluation(payload: dict, submitter: User, now: datetime) -> IntakeResult:
    """Store a validated evaluation from a channel account (idempotent on external_id); a bad review opens a case."""
    authorize(submitter, Action.EVALUATION_SUBMIT)
    result = receive_evaluation(payload, submitter, now)
    if result.created:
        flags.flag_rating(result.evaluation, Actor.of(submitter, Role.CHANNEL), now)
    return result


def receive_evaluation(
    payload: dict, submitter: User | None, now: datetime, actor: Actor | None = None
) -> IntakeResult:
    """Store an evaluation as submitted by `submitter` (None: the public rating page, as `actor`), unchecked."""
    region = _region(payload["region"], submitter)
    existing = _existing(region, payload.get("external_id"))
    if existing is not None:
        return IntakeResult(existing, _case_of(existing), created=False)
    plan = ratings.plan_rating(region, payload, now)
    payload = {**payload, **plan.overrides}  # a group's rating lands on its lead record
    org, is_bad = check_payload(region, payload)
    evaluation = _new_evaluation(region, org, payload, is_bad, submitter, now, ratings.columns_of(plan))
    rollups.on_evaluation(evaluation)
    ratings.mark_records(plan, evaluation)
    actor = actor or Actor.of(submitter, Role.CHANNEL)
    earlier = _case_of(plan.follow_up_of) if plan.follow_up_of else None
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
        return IntakeResult(evaluation, earlier, created=True)
    case = open_case(evaluation, actor, now)
    return IntakeResult(evaluation, case, created=True)


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


def _existing(region: Region, external_id: str | None) -> Evaluation | None:
    if not external_id:
        return None
    stmt = select(Evaluation).where(Evaluation.region_id == region.id, Evaluation.external_id == external_id)
    return db.session.scalar(stmt)


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


def _new_evaluation(
    region: Region, org: Organization, p: dict, is_bad: bool, submitter: User | None, now: datetime, extra: dict
) -> Evaluation:
    evaluation = build_evaluation(region, org, p, is_bad, submitter, now, extra)
    db.session.add(evaluation)
    db.session.flush()
    return evaluation


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
