"""Transfer (移交): suspected misconduct found in a case goes to the discipline body, from any step."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from casemgmt import audit
from casemgmt.access.policy import Action, authorize
from casemgmt.actor import Actor
from casemgmt.cases import instances
from casemgmt.db import db
from casemgmt.errors import InvalidInput, TaskNotOpen
from casemgmt.models import Case, HumanTask, OutboxMessage, TaskStatus, Transfer, User
from casemgmt.notices.operations import queue_message
from casemgmt.rules import regions
from casemgmt.topics import TopicContext, topic

MESSAGE = "transfer_requested"


def _new(case: Case, reason: str, actor: Actor, now: datetime, at_steps: list[str] | None = None) -> Transfer:
    if at_steps is None:
        at_steps = sorted(
            db.session.scalars(
                select(HumanTask.element_id).where(HumanTask.case_id == case.id, HumanTask.status == TaskStatus.OPEN)
            )
        )
    transfer = Transfer(
        case_id=case.id,
        region_id=case.region_id,
        reason=reason,
        at_steps=at_steps,
        requested_by=actor.username,
        requested_at=now,
    )
    db.session.add(transfer)
    db.session.flush()
    return transfer


def transfer_case(case: Case, user: User, reason: str, now: datetime) -> Transfer:
    """Record a transfer and hand it to the case's process (its event sub-process sends it); the case goes on."""
    authorize(user, Action.CASE_TRANSFER, case=case)
    if not reason.strip():
        raise InvalidInput("移交须说明涉嫌违纪违法的具体情况", details={"reason": ["必填"]})
    actor = Actor.of(user)
    transfer = _new(case, reason.strip(), actor, now)
    audit.record(
        "transfer_requested",
        actor=actor,
        at=now,
        region_id=case.region_id,
        case_id=case.id,
        definition_id=case.definition_id,
        payload={"transfer_id": transfer.id, "reason": transfer.reason, "at_steps": transfer.at_steps},
    )
    if not instances.deliver(
        case, MESSAGE, {"transfer_id": transfer.id, "reason": transfer.reason}, "transfer", actor, now
    ):
        raise TaskNotOpen("该工单的流程不受理移交（已办结或流程中没有移交环节）")
    return transfer


def list_transfers(case: Case) -> list[Transfer]:
    """Return a case's transfers, oldest first."""
    return list(db.session.scalars(select(Transfer).where(Transfer.case_id == case.id).order_by(Transfer.id)))


def send_transfer(case: Case, data: dict, actor: Actor, now: datetime) -> tuple[Transfer, OutboxMessage]:
    """Send the case's pending transfer (or one the diagram makes itself) to the discipline body."""
    stmt = select(Transfer).where(Transfer.case_id == case.id, Transfer.sent_at.is_(None)).order_by(Transfer.id)
    transfer = db.session.scalar(stmt.limit(1))
    if transfer is None:  # a step of the diagram transfers by itself (e.g. after a dissatisfaction review)
        reason = str(data.get("review_opinion") or "评价人反映工作人员涉嫌违纪")
        transfer = _new(case, reason, actor, now, at_steps=[])
    body = f"差评工单 {case.case_no} 涉嫌违纪违法，移交处理。事由：{transfer.reason}"
    recipient = regions.named_org_code(case.region, "discipline") or "discipline"
    message = queue_message(case, "internal", recipient, body, now)
    transfer.sent_at = now
    return transfer, message


@topic("transfer_discipline", "移交纪检监察机关")
def transfer_discipline_topic(ctx: TopicContext, data: dict, params: dict) -> dict:
    transfer, message = send_transfer(ctx.case, data, ctx.actor, ctx.now)
    return {"transferred_message_id": message.id, "transfer_id": transfer.id}
