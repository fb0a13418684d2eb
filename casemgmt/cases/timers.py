"""The timer worker's use cases: claim due instances, fire their timers (flush only), one or a batch at a time.

The worker (web/worker.py) owns the transactions: it claims a batch, fires it with `fire_batch` (set reads, one
flush of all its rows) and commits; should the batch raise, it rolls it back and fires the same instances one
by one with `fire_due_timers`, each in a savepoint, skipping one that fails.

`fire_batch` writes what `fire_due_timers` writes (cases/instances.py's save_run and mark_overdue): the task rows
of new READY user tasks (a 督办 names the late task), cancelled rows, the ledger entry's deadline, the state and
next timer, a closed case, overdue marks, and their audit events in the same order per case chain;
tests/web/test_timer_batches.py compares the two.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from casemgmt import refcache
from casemgmt.actor import Actor
from casemgmt.audit import batch as audit_batch
from casemgmt.cases.instances import (
    create_row,
    load_run,
    mark_overdue,
    mark_rows_overdue,
    record_created,
    save_run,
    task_event,
)
from casemgmt.db import db
from casemgmt.engine.facade import ReadyTask, Run
from casemgmt.errors import ConcurrentUpdate
from casemgmt.models import Case, CaseStatus, HumanTask, LedgerEntry, LedgerStatus, ProcessInstance, TaskStatus
from casemgmt.stats import rollups

TIMER_ACTOR = Actor.system("timer")
#: how many times one sweep fires one instance: a case whose timers keep coming due (a cycle) waits for the
#: next sweep instead of starving the others
MAX_FIRINGS_PER_INSTANCE = 5


def claim_due_instances(
    now: datetime, skip: frozenset[int], limit: int, only: list[int] | None = None
) -> list[ProcessInstance]:
    """Lock up to `limit` due instances, earliest first (FOR UPDATE SKIP LOCKED on PostgreSQL), with their cases.

    `only`: among these instances (a failed batch, claimed again one by one). Due means strictly before `now`
    (the engine fires strictly after the instant) and not completed: an instance another worker fired meanwhile
    is no longer due, which keeps each firing once.
    """
    stmt = select(ProcessInstance).where(ProcessInstance.next_timer_at < now, ProcessInstance.is_completed.is_(False))
    if skip:
        stmt = stmt.where(ProcessInstance.id.not_in(skip))
    if only is not None:
        stmt = stmt.where(ProcessInstance.id.in_(only))
    stmt = (
        stmt.order_by(ProcessInstance.next_timer_at, ProcessInstance.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .options(selectinload(ProcessInstance.case))
    )
    return list(db.session.execute(stmt.execution_options(populate_existing=True)).scalars())


def fire_due_timers(instance: ProcessInstance, now: datetime) -> None:
    """Fire one instance's due timers, create escalation tasks, mark overdue tasks, flush.

    Raises ConcurrentUpdate (or the database's IntegrityError / OperationalError) when another worker saved
    the instance first.
    """
    case = instance.case
    run = load_run(case, instance, TIMER_ACTOR, now)
    save_run(case, instance, run, TIMER_ACTOR, now)
    mark_overdue(case, instance, TIMER_ACTOR, now)
    db.session.flush()


@dataclass
class _Firing:
    """One instance of a batch: its run and what it does to its task rows."""

    instance: ProcessInstance
    case: Case
    run: Run
    open_rows: list[HumanTask]
    cancelled: list[HumanTask] = field(default_factory=list)
    created: list[HumanTask] = field(default_factory=list)
    state: str = ""


def fire_batch(instances: list[ProcessInstance], now: datetime) -> None:
    """Fire the due timers of claimed (locked) instances together: what `fire_due_timers` does to each, with set
    reads (open task rows, ledger entries, audit chain heads: one statement each for the batch) and one flush of
    all rows (multi-row inserts, one executemany per kind of update).

    Raises whatever one instance's firing raises (ConcurrentUpdate for a save another worker won); the caller
    then rolls the batch back and fires its instances one by one.
    """
    if not instances:
        return
    for definition_id in {i.definition_id for i in instances}:
        refcache.definition(definition_id)  # `instance.definition` reads no row
    open_rows = _open_rows([i.id for i in instances])
    audit_batch.lock_heads({f"case:{i.case.id}": i.case.region_id for i in instances})
    firings = [_advance(instance, open_rows.get(instance.id, []), now) for instance in instances]
    _save_states(firings, now)
    db.session.flush()  # the new task rows get their ids
    _adopt_deadlines(firings)
    for firing in firings:
        _record(firing, now)

    db.session.flush()


def _open_rows(instance_ids: list[int]) -> dict[int, list[HumanTask]]:
    stmt = select(HumanTask).where(HumanTask.instance_id.in_(instance_ids), HumanTask.status == TaskStatus.OPEN)
    rows: dict[int, list[HumanTask]] = defaultdict(list)
    for row in db.session.scalars(stmt.order_by(HumanTask.id)):
        rows[row.instance_id].append(row)
    return rows


def _advance(instance: ProcessInstance, open_rows: list[HumanTask], now: datetime) -> _Firing:
    """Run one instance up to `now` and change its rows in the session (save_run's work, without its reads)."""
    case = instance.case
    run = load_run(case, instance, TIMER_ACTOR, now)
    firing = _Firing(instance, case, run, open_rows)
    ready = {t.spiff_id: t for t in run.ready_user_tasks()}
    for row in open_rows:
        if ready.pop(row.spiff_task_id, None) is None:
            row.status = TaskStatus.CANCELLED
            firing.cancelled.append(row)
    firing.created = [_new_row(firing, task, now) for task in ready.values()]
    firing.state = run.dump()
    if run.is_completed:
        case.status = CaseStatus.CLOSED if case.status == CaseStatus.OPEN else case.status
        rollups.on_case_closed(case, case.closed_at or now)
        case.closed_at = case.closed_at or now
    return firing


def _save_states(firings: list[_Firing], now: datetime) -> None:
    """Store each instance's state and next timer with one executemany UPDATE checking each version, as the ORM
    would one row at a time (it never batches a versioned UPDATE); the loaded rows take the new values."""
    table = ProcessInstance.__table__
    columns = ("state", "next_timer_at", "is_completed", "updated_at", "version_no")
    stmt = (
        table.update()
        .where(table.c.id == bindparam("b_id"), table.c.version_no == bindparam("b_version"))
        .values({table.c[name]: bindparam(f"b_{name}", type_=table.c[name].type) for name in columns})
    )
    saved = [
        {
            "state": f.state,
            "next_timer_at": f.run.next_timer_at(),
            "is_completed": f.run.is_completed,
            "updated_at": now,
            "version_no": f.instance.version_no + 1,
        }
        for f in firings
    ]
    rows = [
        {"b_id": f.instance.id, "b_version": f.instance.version_no, **{f"b_{k}": v for k, v in values.items()}}
        for f, values in zip(firings, saved, strict=True)
    ]
    if db.session.execute(stmt, rows).rowcount != len(rows):
        raise ConcurrentUpdate("该工单刚被他人更新，请刷新后重试")
    for f, values in zip(firings, saved, strict=True):
        for name, value in values.items():
            set_committed_value(f.instance, name, value)


def _new_row(firing: _Firing, task: ReadyTask, now: datetime) -> HumanTask:
    """The row of a new READY user task, as a request writes it (instances.create_row): added, not flushed; a
    督办's late task is found among the instance's open rows."""
    return create_row(firing.case, firing.instance, firing.run, task, now, firing.open_rows)


def _adopt_deadlines(firings: list[_Firing]) -> None:
    """Copy a new task's deadline into the open ledger entry that tracks it (ledger.adopt_deadlines), one read."""
    case_ids = [f.case.id for f in firings if f.created]
    if not case_ids:
        return
    stmt = select(LedgerEntry).where(LedgerEntry.case_id.in_(case_ids), LedgerEntry.status == LedgerStatus.OPEN)
    entries: dict[int, LedgerEntry] = {}
    for found in db.session.scalars(stmt.order_by(LedgerEntry.id)):
        entries[found.case_id] = found  # the latest open entry of each case, as ledger.open_entry_of
    for firing in firings:
        entry = entries.get(firing.case.id)
        if entry is None:
            continue
        for row in firing.created:
            if row.element_id == entry.task_element:
                entry.task_id, entry.due_at, entry.due_date = row.id, row.due_at, row.due_date


def _record(firing: _Firing, now: datetime) -> None:
    """Append an instance's task events to its case chain in save_run's and mark_overdue's order; stamp overdue
    rows (open after the sync, deadline passed, not yet escalated)."""
    for row in firing.cancelled:
        task_event("task_cancelled", row, firing.case, TIMER_ACTOR, now, {})
    for row in firing.created:
        record_created(row, firing.case, TIMER_ACTOR, now)
    still_open = [r for r in firing.open_rows if r.status == TaskStatus.OPEN] + firing.created
    mark_rows_overdue(sorted(still_open, key=lambda r: r.id), firing.case, TIMER_ACTOR, now)
