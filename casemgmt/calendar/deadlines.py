"""Recompute running deadlines when a calendar changes (a missing year loaded, a closure added)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from casemgmt import audit
from casemgmt.actor import Actor
from casemgmt.cases.instances import load_run, lock_instance, open_rows, save_run
from casemgmt.db import db, discarded_savepoint
from casemgmt.models import Case, HumanTask, ProcessInstance, Region, TaskStatus
from casemgmt.models.ledger import ExtensionRequest, ExtensionStatus
from casemgmt.models.types import provisional_state


@dataclass(frozen=True)
class DeadlineChange:
    case_no: str
    what: str
    old: str | None
    new: str | None


def recompute_deadlines(
    actor: Actor, now: datetime, *, region: Region | None = None, only_provisional: bool = True, apply: bool = True
) -> list[DeadlineChange]:
    """Recompute open task due dates and waiting timers from when they started; audit each case changed.

    With `apply=False` it is a preview: the same work runs in a savepoint that is discarded.
    """
    if not apply:
        with discarded_savepoint():
            return _recompute(actor, now, region, only_provisional, apply=False)
    return _recompute(actor, now, region, only_provisional, apply=True)


def _recompute(
    actor: Actor, now: datetime, region: Region | None, only_provisional: bool, apply: bool
) -> list[DeadlineChange]:
    changes: list[DeadlineChange] = []
    for instance_id in _candidate_instances(region, only_provisional):
        instance = lock_instance(instance_id)
        case = instance.case
        run = load_run(case, instance, actor, now)
        case_changes = _retime_rows(case, instance, run, only_provisional)
        case_changes += [
            DeadlineChange(case.case_no, f"timer:{e}", o, n) for e, o, n in run.retime_timers(only_provisional)
        ]
        if case_changes and apply:
            audit.record(
                "deadlines_recomputed",
                actor=actor,
                at=now,
                region_id=case.region_id,
                case_id=case.id,
                definition_id=case.definition_id,
                payload={"changes": [c.__dict__ for c in case_changes]},
            )
            save_run(case, instance, run, actor, now)
        changes += case_changes
    return changes


def _candidate_instances(region: Region | None, only_provisional: bool) -> list[int]:
    stmt = select(ProcessInstance.id).join(Case).where(ProcessInstance.is_completed.is_(False))
    if region is not None:
        stmt = stmt.where(Case.region_id == region.id)
    if only_provisional:
        has_provisional = select(HumanTask.id).where(
            HumanTask.instance_id == ProcessInstance.id,
            HumanTask.status == TaskStatus.OPEN,
            HumanTask.is_provisional.is_(True),
        )
        stmt = stmt.where(has_provisional.exists() | provisional_state(ProcessInstance.state))
    return list(db.session.scalars(stmt.order_by(ProcessInstance.id)))


def _retime_rows(case: Case, instance: ProcessInstance, run, only_provisional: bool) -> list[DeadlineChange]:
    changes = []
    for row in open_rows(instance.id):
        if not row.due_expr or (only_provisional and not row.is_provisional):
            continue
        iso, due = run.evaluate_as_of(row.spiff_task_id, row.due_expr, row.created_at)
        extensions = _approved_extensions(case, row)
        if due is not None and extensions:
            for workdays in extensions:
                due = run.ctx.calendar.extend(due, workdays)
            iso = due.due_at.isoformat()
            run.move_timers(row.element_id, iso)
        new_at = datetime.fromisoformat(iso)
        if new_at != row.due_at:
            changes.append(DeadlineChange(case.case_no, f"task:{row.element_id}", _iso(row.due_at), iso))
        row.due_at, row.due_date = new_at, due.due_date if due else row.due_date
        row.is_provisional = bool(due and due.provisional)
    return changes


def _approved_extensions(case: Case, row: HumanTask) -> list[int]:
    """Return the working days of the extensions approved on this task, in the order they were granted."""
    stmt = select(ExtensionRequest.workdays).where(
        ExtensionRequest.case_id == case.id,
        ExtensionRequest.task_element == row.element_id,
        ExtensionRequest.status == ExtensionStatus.APPROVED,
        ExtensionRequest.decided_at >= row.created_at,
    )
    return list(db.session.scalars(stmt.order_by(ExtensionRequest.decided_at, ExtensionRequest.id)))


def _iso(value) -> str | None:
    return value.isoformat() if value else None
