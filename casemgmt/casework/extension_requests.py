"""Extensions (延期): the unit asks for a longer deadline with a reason; the diagram routes it for approval.

A user task accepts extension requests when it carries the property `extensionMaxWorkdays` (the cap, in
working days, as the region's rule sets it) and a message boundary event catching `extension_requested`.
An approved extension counts from the task's current due date and moves its overdue timers with it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from casemgmt import audit
from casemgmt.access.policy import Action, authorize
from casemgmt.actor import Actor
from casemgmt.calendar import Due
from casemgmt.calendar.case_calendar import case_calendar
from casemgmt.cases import instances
from casemgmt.cases.attachments import validate_case_form
from casemgmt.casework import ledger
from casemgmt.db import db
from casemgmt.errors import InvalidInput, TaskNotOpen
from casemgmt.models import Case, ExtensionRequest, ExtensionStatus, HumanTask, TaskStatus, User
from casemgmt.rules import bundles
from casemgmt.topics import TopicContext, topic

MESSAGE = "extension_requested"
FORM_KEY = "extension_request"
CAP_PROPERTY = "extensionMaxWorkdays"


def request_extension(case: Case, user: User, data: dict, now: datetime) -> ExtensionRequest:
    """Check the request against the diagram's cap, record it and deliver it to the case's process."""
    authorize(user, Action.EXTENSION_REQUEST, case=case)
    clean = validate_case_form(_form(case), data, case.id)
    row, cap = extensible_task(case)
    if clean["extension_workdays"] > cap:
        message = f"延长期限最长不得超过 {cap} 个工作日，本次申请 {clean['extension_workdays']} 个工作日，不予受理"
        raise InvalidInput(message, details={"extension_workdays": [f"不得超过 {cap} 个工作日"]})
    actor = Actor.of(user)
    request = ExtensionRequest(
        case_id=case.id,
        region_id=case.region_id,
        task_element=row.element_id,
        workdays=clean["extension_workdays"],
        reason=clean["extension_reason"],
        requested_by=user.username,
        requested_at=now,
        status=ExtensionStatus.PENDING,
        old_due_date=row.due_date,
    )
    db.session.add(request)
    db.session.flush()
    audit.record(
        "extension_requested",
        actor=actor,
        at=now,
        region_id=case.region_id,
        case_id=case.id,
        definition_id=case.definition_id,
        payload={"request_id": request.id, "task": row.element_id, "due_date": _iso(row.due_date), "data": clean},
    )
    payload = {"request_id": request.id, "task": row.element_id, **clean}
    if not instances.deliver(case, MESSAGE, payload, "extension", actor, now):
        raise TaskNotOpen("本次整改已申请过延期，不能再次申请")
    return request


def _form(case: Case) -> dict:
    definition = bundles.forms_of(case.definition).get(FORM_KEY)
    if definition is None:
        raise TaskNotOpen(f"{case.region.name}的规则没有延期环节")
    return definition


def extensible_task(case: Case) -> tuple[HumanTask, int]:
    """Return the case's first open task that accepts an extension, with its cap; TaskNotOpen when none does."""
    bundle = bundles.bundle_of(case.definition)
    stmt = (
        select(HumanTask)
        .where(HumanTask.case_id == case.id, HumanTask.status == TaskStatus.OPEN)
        .order_by(HumanTask.id)
    )
    for row in db.session.scalars(stmt):
        cap = cap_of(case, bundle.task_property(row.element_id, CAP_PROPERTY))
        if cap:
            return row, cap
    raise TaskNotOpen("当前没有可以申请延期的办理环节")


def cap_of(case: Case, value: str | None) -> int | None:
    """Read the cap: a number, or `settings:<key>` naming a rule setting of the case's version (0: no extension)."""
    if value is None:
        return None
    if value.startswith("settings:"):
        found = bundles.settings_of(case.definition.files).get(value.removeprefix("settings:"))
        return found if isinstance(found, int) and not isinstance(found, bool) else None
    return int(value)


def list_requests(case: Case) -> list[ExtensionRequest]:
    """Return a case's extension requests, oldest first."""
    stmt = select(ExtensionRequest).where(ExtensionRequest.case_id == case.id).order_by(ExtensionRequest.id)
    return list(db.session.scalars(stmt))


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def decide_extension(
    case: Case,
    request_id: object,
    approved: bool,
    opinion: str,
    actor: Actor,
    now: datetime,
    timer_moves: list[tuple[str, str]],
) -> ExtensionRequest | None:
    """Record the approver's decision; an approval moves the task's due date, its ledger entry and its timers."""
    request = _pending(case, request_id)
    if request is None:
        return None
    request.status = ExtensionStatus.APPROVED if approved else ExtensionStatus.REFUSED
    request.decided_by, request.decided_at, request.opinion = actor.username, now, opinion
    row = open_row(case, request.task_element) if approved else None
    if row is None or row.due_date is None:
        return request
    due = case_calendar(case).extend(Due(row.due_date, row.due_at), request.workdays)
    row.due_at, row.due_date, row.is_provisional = due.due_at, due.due_date, due.provisional
    request.new_due_date, request.new_due_at = due.due_date, due.due_at
    ledger.extend_due(case, request.task_element, due, request.workdays)
    timer_moves.append((request.task_element, due.due_at.isoformat()))
    return request


def _pending(case: Case, request_id: object) -> ExtensionRequest | None:
    request = db.session.get(ExtensionRequest, request_id) if isinstance(request_id, int) else None
    if request is None or request.case_id != case.id or request.status != ExtensionStatus.PENDING:
        return None
    return request


def open_row(case: Case, element_id: str) -> HumanTask | None:
    """Return the case's latest open task of an element."""
    stmt = select(HumanTask).where(
        HumanTask.case_id == case.id, HumanTask.element_id == element_id, HumanTask.status == TaskStatus.OPEN
    )
    return db.session.scalar(stmt.order_by(HumanTask.id.desc()).limit(1))


@topic("decide_extension", "记录延期审批结论；同意的，自当前期限起顺延并调整逾期计时")
def decide_extension_topic(ctx: TopicContext, data: dict, params: dict) -> dict:
    request = decide_extension(
        ctx.case,
        (data.get("extension") or {}).get("request_id"),
        data.get("extension_approved") is True,
        str(data.get("extension_opinion") or ""),
        ctx.actor,
        ctx.now,
        ctx.timer_moves,
    )
    if request is None:
        return {"extension_status": None, "extension_due_date": None}
    if request.new_due_at is None or request.status != ExtensionStatus.APPROVED:
        return {"extension_status": request.status.value, "extension_due_date": None}
    return {
        "extension_status": request.status.value,
        "extension_due_date": request.new_due_date.isoformat(),
        "extension_due_at": request.new_due_at.isoformat(),
    }
