"""Appeals (申诉 / 复核申请): the rated party contests a bad review with evidence; a reviewing body rules.

Whether and until when an appeal is accepted is the diagram's: a message catch waiting for `appeal_filed`
(Sanming: an event-based gateway whose timer closes the window; Xi'an: a boundary event on verification).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from casemgmt import audit
from casemgmt.access.policy import Action, authorize
from casemgmt.actor import Actor
from casemgmt.cases import instances
from casemgmt.cases.attachments import validate_case_form
from casemgmt.db import db
from casemgmt.errors import TaskNotOpen
from casemgmt.models import Appeal, AppealStatus, Case, User
from casemgmt.rules import bundles
from casemgmt.topics import TopicContext, topic

MESSAGE = "appeal_filed"
FORM_KEY = "appeal_request"


def file_appeal(case: Case, user: User, data: dict, now: datetime) -> Appeal:
    """Validate the region's appeal form, record the appeal and deliver it to the case's process."""
    authorize(user, Action.APPEAL_FILE, case=case)
    clean = validate_case_form(_form(case), data, case.id)
    actor = Actor.of(user)
    appeal = Appeal(
        case_id=case.id,
        region_id=case.region_id,
        reason=clean["appeal_reason"],
        evidence=clean.get("appeal_evidence") or [],
        filed_by=user.username,
        filed_at=now,
        status=AppealStatus.PENDING,
    )
    db.session.add(appeal)
    db.session.flush()
    audit.record(
        "appeal_filed",
        actor=actor,
        at=now,
        region_id=case.region_id,
        case_id=case.id,
        definition_id=case.definition_id,
        payload={"appeal_id": appeal.id, "data": clean},
    )
    if not instances.deliver(case, MESSAGE, {"appeal_id": appeal.id, **clean}, "appeal", actor, now):
        raise TaskNotOpen(_closed_message(case))
    return appeal


def _form(case: Case) -> dict:
    definition = bundles.forms_of(case.definition).get(FORM_KEY)
    if definition is None:
        raise TaskNotOpen(f"{case.region.name}的规则没有差评申诉环节")
    return definition


def _closed_message(case: Case) -> str:
    window = (case.region.settings or {}).get("appeal_window_text")
    suffix = f"（{window}）" if window else ""
    return f"该差评当前不受理申诉：申诉期已过、已提出过申诉或工单已办结{suffix}"


def list_appeals(case: Case) -> list[Appeal]:
    """Return a case's appeals, oldest first."""
    return list(db.session.scalars(select(Appeal).where(Appeal.case_id == case.id).order_by(Appeal.id)))


def rule_appeal(case: Case, appeal_id: object, upheld: bool, ruling: str, actor: Actor, now: datetime) -> Appeal | None:
    """Record the reviewing body's ruling on the case's pending appeal."""
    appeal = db.session.get(Appeal, appeal_id) if isinstance(appeal_id, int) else None
    if appeal is None or appeal.case_id != case.id or appeal.status != AppealStatus.PENDING:
        return None
    appeal.status = AppealStatus.UPHELD if upheld else AppealStatus.REJECTED
    appeal.ruling, appeal.ruled_by, appeal.ruled_at = ruling, actor.username, now
    return appeal


@topic("rule_appeal", "记录申诉复核结论（appeal_upheld、appeal_ruling）")
def rule_appeal_topic(ctx: TopicContext, data: dict, params: dict) -> dict:
    appeal = rule_appeal(
        ctx.case,
        (data.get("appeal") or {}).get("appeal_id"),
        data.get("appeal_upheld") is True,
        str(data.get("appeal_ruling") or ""),
        ctx.actor,
        ctx.now,
    )
    return {"appeal_status": appeal.status.value if appeal else None}
