"""Personal data kept only as long as needed: the evaluator's name and phone erased from closed cases.

Every seed protects the evaluator's identity; a region sets how long it keeps it after a case is closed
(`pii_retention_days` in region.json; none: kept). The case, its rating and its history stay; each erasure is
audited without the erased data.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from casemgmt import audit
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.models import Case, CaseStatus, Evaluation, OutboxMessage, OutboxState, Region, ServiceRecord
from casemgmt.rules import regions

ERASED = "（已按期删除）"
FINISHED = (CaseStatus.CLOSED, CaseStatus.REVOKED, CaseStatus.CANCELLED)


def retention_days(region: Region) -> int | None:
    """Return how many days after closing a case the region keeps the evaluator's name and phone, if it says."""
    days = regions.settings_of(region).get("pii_retention_days")
    return int(days) if days is not None else None


def erase_expired(now: datetime, actor: Actor) -> int:
    """Erase name and phone from the evaluations of cases closed longer ago than their region keeps them."""
    erased = 0
    for region in db.session.scalars(select(Region).order_by(Region.id)):
        days = retention_days(region)
        if days is None:
            continue
        stmt = (
            select(Case)
            .join(Evaluation, Case.evaluation_id == Evaluation.id)
            .where(
                Case.region_id == region.id,
                Case.status.in_(FINISHED),
                Case.closed_at < now - timedelta(days=days),
                Evaluation.pii_erased_at.is_(None),
            )
            .order_by(Case.id)
        )
        for case in db.session.scalars(stmt):
            _erase(case, days, actor, now)
            erased += 1
    return erased


def _erase(case: Case, days: int, actor: Actor, now: datetime) -> None:
    evaluation = case.evaluation
    phone = evaluation.evaluator_phone
    evaluation.evaluator_name, evaluation.evaluator_phone, evaluation.pii_erased_at = "", "", now
    if phone:
        records = select(ServiceRecord).where(
            ServiceRecord.region_id == case.region_id, ServiceRecord.record_no == evaluation.record_no
        )
        for record in db.session.scalars(records):
            if record.evaluator_phone == phone:
                record.evaluator_phone = ""
        done = (OutboxState.SENT, OutboxState.DEAD)
        messages = select(OutboxMessage).where(
            OutboxMessage.case_id == case.id, OutboxMessage.recipient == phone, OutboxMessage.state.in_(done)
        )
        for message in db.session.scalars(messages):
            message.recipient = ERASED
    audit.record(
        "evaluator_pii_erased",
        actor=actor,
        at=now,
        region_id=case.region_id,
        case_id=case.id,
        payload={"case_no": case.case_no, "retention_days": days},
    )
