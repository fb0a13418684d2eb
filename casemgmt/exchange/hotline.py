"""The 12345 centre: its tickets of bad reviews become cases through the same intake, keeping the ticket number
(the evaluation's external id "12345:<ticket>", so a repeated ticket is the same case); its satisfaction callback
result is recorded on the case's audit chain and sent on with the results."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from casemgmt import audit
from casemgmt.access.policy import Action, Role, authorize
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.errors import NotFound, PermissionDenied
from casemgmt.intake.operations import IntakeResult, submit_evaluation
from casemgmt.models import Case, Evaluation, Region, User


def external_id(ticket_no: str) -> str:
    """Return the evaluation's external id of a 12345 ticket."""
    return f"12345:{ticket_no}"


def receive_ticket(ticket: dict, submitter: User, now: datetime) -> IntakeResult:
    """Take a 12345 ticket as an evaluation from the hotline channel; a bad review opens a case."""
    payload = {
        "region": ticket["region"],
        "record_no": ticket["ticket_no"],
        "item_code": ticket["item_code"],
        "org_code": ticket["org_code"],
        "staff_no": None,
        "channel": "hotline",
        "level": ticket["level"],
        "reasons": ticket["reasons"],
        "comment": ticket["content"],
        "evaluator": {"name": "", "phone": "", "real_name": False, **ticket["caller"]},
        "evaluated_at": ticket["called_at"],
        "external_id": external_id(ticket["ticket_no"]),
    }
    return submit_evaluation(payload, submitter, now)


def record_satisfaction(result: dict, submitter: User, now: datetime) -> Case:
    """Record the caller's satisfaction with the handling of a ticket's case (audited on the case)."""
    authorize(submitter, Action.EVALUATION_SUBMIT)
    region = db.session.scalar(select(Region).where(Region.code == result["region"]))
    if region is None or region.id != submitter.region_id:
        raise PermissionDenied("不能为其他地区回传满意度")
    stmt = (
        select(Case)
        .join(Evaluation, Case.evaluation_id == Evaluation.id)
        .where(Evaluation.region_id == region.id, Evaluation.external_id == external_id(result["ticket_no"]))
    )
    case = db.session.scalar(stmt)
    if case is None:
        raise NotFound("没有找到该工单号对应的差评工单")
    audit.record(
        "hotline_satisfaction",
        actor=Actor.of(submitter, Role.CHANNEL),
        at=now,
        region_id=region.id,
        case_id=case.id,
        definition_id=case.definition_id,
        payload={
            "ticket_no": result["ticket_no"],
            "result": result["result"],
            "comment": result["comment"],
            "called_at": result["called_at"].isoformat(),
        },
    )
    return case
