"""The rectification ledger (台账): open an entry for a complex case, follow its deadline, note progress, close it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from casemgmt import audit
from casemgmt.access.policy import Action, authorize, unit_limit
from casemgmt.actor import Actor
from casemgmt.calendar import Due
from casemgmt.db import db
from casemgmt.engine.facade import Bundle
from casemgmt.errors import InvalidInput, NotFound, TaskNotOpen
from casemgmt.models import Case, HumanTask, LedgerEntry, LedgerNote, LedgerStatus, Organization, User
from casemgmt.topics import TopicContext, topic

#: the fields of a rectification form that go into the entry's closure record
CLOSURE_FIELDS = (
    "rectification_measures",
    "progress_notes",
    "rectified",
    "rectified_at",
    "delay_reason",
    "rectification_evidence",
)


def open_entry(case: Case, task_element: str, now: datetime) -> LedgerEntry:
    """Put a case on the ledger; its deadline is the one of `task_element` once that task exists."""
    entry = LedgerEntry(
        case_id=case.id,
        region_id=case.region_id,
        org_id=case.handling_org_id,
        task_element=task_element,
        opened_at=now,
        status=LedgerStatus.OPEN,
        owner="",
        measures="",
        extended_workdays=0,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def open_entry_of(case: Case) -> LedgerEntry | None:
    """Return the case's open ledger entry, if it has one."""
    stmt = select(LedgerEntry).where(LedgerEntry.case_id == case.id, LedgerEntry.status == LedgerStatus.OPEN)
    return db.session.scalar(stmt.order_by(LedgerEntry.id.desc()).limit(1))


#: the task an entry follows when the diagram's open_ledger step names none
DEFAULT_TASK = "Task_Rectification"


def adopt_deadlines(case: Case, rows: list[HumanTask], bundle: Bundle | None = None) -> None:
    """Copy the due date of a newly created task into the open entry that tracks that task.

    With the bundle, the entry is read only when a new task is one its open_ledger steps may name: an entry
    follows the task its opening step names (or DEFAULT_TASK), so no other task can be tracked.
    """
    tracked = bundle.params_of("open_ledger", "task") | {DEFAULT_TASK} if bundle is not None else None
    if tracked is not None:
        rows = [row for row in rows if row.element_id in tracked]
    entry = open_entry_of(case) if rows else None
    for row in rows:
        if entry is not None and row.element_id == entry.task_element:
            entry.task_id, entry.due_at, entry.due_date = row.id, row.due_at, row.due_date


def extend_due(case: Case, task_element: str, due: Due, workdays: int) -> None:
    """Move the open entry's deadline after an approved extension."""
    entry = open_entry_of(case)
    if entry is not None and entry.task_element == task_element:
        entry.due_at, entry.due_date = due.due_at, due.due_date
        entry.extended_workdays += workdays


def close_entry(case: Case, data: dict, now: datetime) -> LedgerEntry | None:
    """Close the case's open entry with what the rectification form recorded."""
    entry = open_entry_of(case)
    if entry is None:
        return None
    entry.status, entry.closed_at = LedgerStatus.CLOSED, now
    entry.closure = {name: data.get(name) for name in CLOSURE_FIELDS}
    entry.measures = entry.measures or str(data.get("rectification_measures") or "")
    return entry


def get_entry(entry_id: int, user: User) -> LedgerEntry:
    """Return a ledger entry the user may see."""
    return _entry(entry_id, user, Action.LEDGER_READ)


def _entry(entry_id: int, user: User, action: Action) -> LedgerEntry:
    entry = db.session.get(LedgerEntry, entry_id)
    if entry is None or entry.region_id != user.region_id:
        raise NotFound("没有找到该台账")
    authorize(user, action, org=entry.org)
    return entry


def list_entries(user: User, status: str | None = None) -> list[LedgerEntry]:
    """Return the ledger entries of the user's region (their own units' unless region-wide), soonest due first."""
    if status is not None and status not in list(LedgerStatus):
        raise InvalidInput("未知的台账状态", details={"status": ["可选：" + ", ".join(LedgerStatus)]})
    stmt = select(LedgerEntry).join(Organization, LedgerEntry.org_id == Organization.id)
    stmt = stmt.where(LedgerEntry.region_id == user.region_id)
    limit = unit_limit(user, Action.LEDGER_READ)
    if limit is not None:
        stmt = stmt.where(Organization.path.startswith(limit, autoescape=True))
    if status:
        stmt = stmt.where(LedgerEntry.status == status)
    return list(db.session.scalars(stmt.order_by(LedgerEntry.due_at.asc().nulls_last(), LedgerEntry.id)))


def add_note(
    entry_id: int, user: User, now: datetime, note: str, *, owner: str | None = None, measures: str | None = None
) -> LedgerEntry:
    """Add a progress note to an open entry (and name its owner or measures); officers of the unit or above."""
    entry = _entry(entry_id, user, Action.LEDGER_NOTE)
    if entry.status != LedgerStatus.OPEN:
        raise TaskNotOpen("该台账已销号，不能再记录进展")
    if not note.strip():
        raise InvalidInput("进展说明不能为空", details={"note": ["必填"]})
    if owner is not None and len(owner.strip()) > 128:
        raise InvalidInput("责任人不能超过 128 个字", details={"owner": ["不能超过 128 个字"]})
    entry.owner = owner.strip() if owner is not None else entry.owner
    entry.measures = measures.strip() if measures is not None else entry.measures
    db.session.add(LedgerNote(entry_id=entry.id, author=user.username, note=note.strip(), at=now))
    audit.record(
        "ledger_note_added",
        actor=Actor.of(user),
        at=now,
        region_id=entry.region_id,
        case_id=entry.case_id,
        definition_id=entry.case.definition_id,
        payload={"ledger_id": entry.id, "note": note.strip(), "owner": entry.owner, "measures": entry.measures},
    )
    db.session.flush()
    return entry


@topic("open_ledger", "登记整改台账：整改期限取参数 task 所指任务的期限")
def open_ledger_topic(ctx: TopicContext, data: dict, params: dict) -> dict:
    entry = open_entry(ctx.case, params.get("task") or DEFAULT_TASK, ctx.now)
    return {"ledger_opened_at": ctx.now.isoformat(), "ledger_id": entry.id}


@topic("close_ledger", "台账销号：记录整改措施、完成情况和材料")
def close_ledger_topic(ctx: TopicContext, data: dict, params: dict) -> dict:
    entry = close_entry(ctx.case, data, ctx.now)
    return {"ledger_closed": entry is not None}
