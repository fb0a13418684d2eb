"""JSON shapes of cases, tasks and events; evaluator identity masked unless revealed."""

from __future__ import annotations

from datetime import datetime

from casemgmt.calendar import SHANGHAI
from casemgmt.models import AuditEvent, Case, HumanTask, TaskStatus


def mask_phone(phone: str) -> str:
    """Mask a phone number as 138****1234."""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "*" * len(phone)


def mask_name(name: str) -> str:
    """Mask a name as 张** (first character kept)."""
    return name[:1] + "*" * (len(name) - 1) if name else ""


def iso(value) -> str | None:
    """Return an instant in the domain's local time (+08:00, Asia/Shanghai); a date as it is."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(SHANGHAI).isoformat()
    return value.isoformat() if value is not None else None


def task_json(row: HumanTask) -> dict:
    return {
        "id": row.id,
        "case_id": row.case_id,
        "case_no": row.case.case_no,
        "element_id": row.element_id,
        "title": row.title,
        "form_key": row.form_key,
        "status": row.status,
        "candidate_role": row.candidate_role,
        "candidate_org": row.candidate_org.code,
        "assignee": row.assignee.username if row.assignee else None,
        "created_at": iso(row.created_at),
        "due_date": iso(row.due_date),
        "due_at": iso(row.due_at),
        "provisional": row.is_provisional,
        "escalated_at": iso(row.escalated_at),
        "completed_at": iso(row.completed_at),
        "completed_by": row.completed_by.username if row.completed_by else None,
        "data": row.data,
    }


def evaluation_json(case: Case, reveal: bool) -> dict:
    ev = case.evaluation
    name, phone = (
        (ev.evaluator_name, ev.evaluator_phone)
        if reveal
        else (mask_name(ev.evaluator_name), mask_phone(ev.evaluator_phone))
    )
    return {
        "id": ev.id,
        "record_no": ev.record_no,
        "item_code": ev.item_code,
        "org_code": ev.org.code,
        "staff_no": ev.staff_no,
        "channel": ev.channel,
        "level": ev.level,
        "is_bad": ev.is_bad,
        "reasons": ev.reasons,
        "comment": ev.comment,
        "evaluated_at": iso(ev.evaluated_at),
        "revoked_at": iso(ev.revoked_at),
        "revoked_reason": ev.revoked_reason,
        "evaluator": {
            "name": name,
            "phone": phone,
            "real_name": ev.is_real_name,
            "masked": not reveal,
            "consent": ev.consent_text,
            "erased_at": iso(ev.pii_erased_at),
        },
    }


def case_json(case: Case, tasks: list[HumanTask], reveal: bool) -> dict:
    d = case.definition
    return {
        "id": case.id,
        "case_no": case.case_no,
        "region": case.region.code,
        "status": case.status,
        "outcome": case.outcome,
        "handling_org": case.handling_org.code,
        "opened_at": iso(case.opened_at),
        "closed_at": iso(case.closed_at),
        "evaluation": evaluation_json(case, reveal),
        "definition": {"id": d.id, "process_id": d.process_id, "version": d.version, "sha256": d.sha256},
        "open_tasks": [task_json(t) for t in tasks if t.status == TaskStatus.OPEN],
        "closed_tasks": [task_json(t) for t in tasks if t.status != TaskStatus.OPEN],
    }


def event_json(event: AuditEvent) -> dict:
    return {
        "seq": event.seq,
        "kind": event.kind,
        "actor": event.actor,
        "actor_role": event.actor_role,
        "at": iso(event.at),
        "definition_id": event.definition_id,
        "payload": event.payload,
        "hash": event.hash,
        "prev_hash": event.prev_hash,
    }
