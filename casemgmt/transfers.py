"""Transfer (移交): suspected misconduct found in a case goes to the discipline body, from any step."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from casemgmt import audit, instances
from casemgmt.access import ensure_can_see_case, ensure_role
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.errors import InvalidInput, TaskNotOpen
from casemgmt.models import Case, HumanTask, Transfer, User

MESSAGE = "transfer_requested"


def _new(case: Case, reason: str, actor: Actor, now: datetime) -> Transfer:
    steps = db.session.scalars(select(HumanTask.element_id).where(HumanTask.case_id == case.id,
                                                                   HumanTask.status == "open"))
    transfer = Transfer(case_id=case.id, region_id=case.region_id, reason=reason, at_steps=sorted(steps),
                        requested_by=actor.username, requested_at=now)
    db.session.add(transfer)
    db.session.flush()
    return transfer


def transfer_case(case: Case, user: User, reason: str, now: datetime) -> Transfer:
    """Record a transfer and hand it to the case's process (its event sub-process sends it); the case goes on."""
    ensure_can_see_case(user, case)
    ensure_role(user, "officer", "supervisor", "coordinator")
    if not reason.strip():
        raise InvalidInput("移交须说明涉嫌违纪违法的具体情况", details={"reason": ["必填"]})
    actor = Actor.of(user)
    transfer = _new(case, reason.strip(), actor, now)
    audit.record("transfer_requested", actor=actor, at=now, region_id=case.region_id, case_id=case.id,
                 definition_id=case.definition_id,
                 payload={"transfer_id": transfer.id, "reason": transfer.reason, "at_steps": transfer.at_steps})
    if not instances.deliver(case, MESSAGE, {"transfer_id": transfer.id, "reason": transfer.reason}, "transfer",
                             actor, now):
        raise TaskNotOpen("该工单的流程不受理移交（已办结或流程中没有移交环节）")
    return transfer


def list_transfers(case: Case) -> list[Transfer]:
    """Return a case's transfers, oldest first."""
    return list(db.session.scalars(select(Transfer).where(Transfer.case_id == case.id).order_by(Transfer.id)))
