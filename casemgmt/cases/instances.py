"""Load, lock and save a case's workflow; keep its task rows in step with the engine."""

from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy import Select, String, bindparam, cast, literal, select
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from casemgmt import audit, bulk, refcache, topics
from casemgmt.actor import Actor
from casemgmt.bulk import is_postgresql
from casemgmt.calendar.case_calendar import case_calendar
from casemgmt.cases import held
from casemgmt.casework import ledger
from casemgmt.db import db
from casemgmt.engine.facade import ReadyTask, Run, RunContext, engine
from casemgmt.errors import ConcurrentUpdate
from casemgmt.models import (
    AuditChainHead,
    Case,
    CaseStatus,
    Evaluation,
    HumanTask,
    Organization,
    ProcessInstance,
    TaskStatus,
)
from casemgmt.rules.bundles import bundle_of
from casemgmt.stats import rollups


def run_context(case: Case, actor: Actor, now: datetime) -> RunContext:
    """Build the engine context of one action on a case."""
    moves: list[tuple[str, str]] = []  # shared: operations ask, the run moves the timers after its steps
    op_ctx = topics.TopicContext(case=case, actor=actor, now=now, timer_moves=moves)
    return RunContext(
        now=now,
        calendar=case_calendar(case),
        call_operation=lambda name, data, params: topics.call(op_ctx, name, data, params),
        timer_moves=moves,
    )


def lock_instance(instance_id: int) -> ProcessInstance:
    """Select the instance row FOR UPDATE (PostgreSQL) so actions on one case run one at a time."""
    stmt = select(ProcessInstance).where(ProcessInstance.id == instance_id).with_for_update()
    instance = db.session.execute(stmt.execution_options(populate_existing=True)).scalar_one()
    refcache.definition(instance.definition_id)
    return instance


def lock_task(task_id: int, *, reserve_task_id: bool = False) -> tuple[HumanTask, ProcessInstance] | None:
    """Lock a task's instance, then the task, its case and evaluation, and read them, in one statement.

    The instance is locked first, as every action on a case does, so no lock order is reversed; each row is then
    locked too, which makes PostgreSQL return its latest committed version even after waiting for another
    action on the case (a row only joined would be read as of the statement's start). FOR NO KEY UPDATE: rows
    referring to them (audit events, attempts) may still be inserted meanwhile. None if there is no such task.

    On PostgreSQL the same statement locks and reads the case's audit chain head last (what the first append to
    the chain would lock next: every action on a task appends to its case's chain), so that append reads
    nothing; a case whose head row is missing is read without it, and its first append locks it as usual. With
    `reserve_task_id` it also reserves the id of the next task row (held.hold_new_rows: a completion's next task
    goes in with the held writes); unused, it is a gap in the sequence, as a rolled-back insert leaves.
    """
    params = {"task_id": task_id}
    found = None
    statements = _lock_task_statements()
    if is_postgresql():
        found = db.session.execute(statements[2 if reserve_task_id else 1], params).one_or_none()
        if found is not None:
            audit.locked_head(f"case:{found[0].case_id}", found.seq, found.hash)
            if reserve_task_id:
                bulk.hold_ids(HumanTask.__table__, [found.task_id_reserved])
    if found is None:
        found = db.session.execute(statements[0], params).one_or_none()
    if found is None:
        return None
    row, instance = found[0], found[1]
    set_committed_value(row.case, "instance", instance)
    set_committed_value(instance, "case", row.case)
    if is_postgresql():
        held.mark_locked(row.case)
    refcache.definition(instance.definition_id)
    return row, instance


@functools.cache
def _lock_task_statements() -> tuple[Select, Select, Select]:
    """lock_task's statements, built once (building one took ~0.5 ms, longer than PostgreSQL takes to run it):
    the task's rows locked and read, the same with the case's chain head (PostgreSQL), and that with a task id
    reserved."""
    stmt = (
        select(HumanTask, ProcessInstance)
        .select_from(ProcessInstance)
        .join(HumanTask, HumanTask.instance_id == ProcessInstance.id)
        .join(HumanTask.case)
        .join(Case.evaluation)
        .options(contains_eager(HumanTask.case).contains_eager(Case.evaluation))
        .where(HumanTask.id == bindparam("task_id"))
        .execution_options(populate_existing=True)
    )
    locked = [ProcessInstance, HumanTask, Case, Evaluation]
    with_head = stmt.add_columns(AuditChainHead.seq, AuditChainHead.hash).join(
        AuditChainHead, AuditChainHead.chain == literal("case:") + cast(Case.id, String)
    )
    reserving = with_head.add_columns(bulk.next_id_column(HumanTask.__table__).label("task_id_reserved"))
    return (
        stmt.with_for_update(of=locked, key_share=True),
        with_head.with_for_update(of=[*locked, AuditChainHead], key_share=True),
        reserving.with_for_update(of=[*locked, AuditChainHead], key_share=True),
    )


def load_run(case: Case, instance: ProcessInstance, actor: Actor, now: datetime) -> Run:
    """Restore the workflow and bring its timers up to `now`."""
    return engine.load(bundle_of(instance.definition), instance.state, run_context(case, actor, now))


def save_run(
    case: Case,
    instance: ProcessInstance,
    run: Run,
    actor: Actor,
    now: datetime,
    *,
    rows: list[HumanTask] | None = None,
    locked: bool = False,
) -> list[HumanTask]:
    """Store state, next timer and task rows; return the open task rows; a concurrent save is a conflict.

    `rows`: the instance's task rows that were open, when the caller has read them already (else they are read).
    `locked`: this transaction locked the instance row and read it with the lock (lock_task): on PostgreSQL its
    versioned UPDATE cannot find another version, so it goes with the held writes (hold_instance_update), and so
    do new task rows whose ids lock_task reserved (hold_new_rows).
    """
    hold = locked and is_postgresql()
    kept, created = sync_tasks(case, instance, run, actor, now, rows=rows, hold=hold)
    ledger.adopt_deadlines(case, created, run.bundle)
    values = {
        "state": run.dump(),
        "next_timer_at": run.next_timer_at(),
        "is_completed": run.is_completed,
        "updated_at": now,
    }
    if hold and not db.session.is_modified(instance):
        held.hold_instance_update(instance, **values)
    else:
        for key, value in values.items():
            setattr(instance, key, value)
    _close_if_completed(case, run, now)
    _flush()
    return kept + created


def save_fresh_runs(
    started: list[tuple[Case, ProcessInstance, Run]], actor: Actor, now: datetime
) -> list[list[HumanTask]]:
    """save_run for many instances just inserted with their runs' state (no task rows yet, nothing to update),
    with one flush of all their task rows; return each one's open task rows. Each case's events come in
    save_run's order."""
    created = [
        [create_row(case, instance, run, task, now, []) for task in run.ready_user_tasks()]
        for case, instance, run in started
    ]
    if any(created):
        db.session.flush()  # one multi-row INSERT; the events name the new rows' ids
    for (case, _, run), rows in zip(started, created, strict=True):
        for row in rows:
            record_created(row, case, actor, now)
        ledger.adopt_deadlines(case, rows, run.bundle)
        _close_if_completed(case, run, now)
    _flush()
    return created


def _close_if_completed(case: Case, run: Run, now: datetime) -> None:
    if run.is_completed:
        case.status = CaseStatus.CLOSED if case.status == CaseStatus.OPEN else case.status
        rollups.on_case_closed(case, case.closed_at or now)
        case.closed_at = case.closed_at or now


def _flush() -> None:
    """Flush the run's writes; a versioned row another transaction saved first is a conflict."""
    try:
        db.session.flush()
    except StaleDataError as err:
        raise ConcurrentUpdate("该工单刚被他人更新，请刷新后重试") from err


def deliver(case: Case, message: str, payload: dict, variable: str, actor: Actor, now: datetime) -> bool:
    """Deliver a BPMN message to a case's workflow and save; False (nothing saved) if no step waits for it."""
    instance = lock_instance(case.instance.id)
    run = load_run(case, instance, actor, now)
    if not run.deliver(message, payload, variable):
        return False
    save_run(case, instance, run, actor, now)
    return True


def open_rows(instance_id: int) -> list[HumanTask]:
    """Return the open task rows of an instance."""
    stmt = select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.OPEN)
    return list(db.session.scalars(stmt))


def sync_tasks(
    case: Case,
    instance: ProcessInstance,
    run: Run,
    actor: Actor,
    now: datetime,
    *,
    rows: list[HumanTask] | None = None,
    hold: bool = False,
) -> tuple[list[HumanTask], list[HumanTask]]:
    """Create rows for new READY user tasks and cancel rows whose task left READY; return kept and new rows.

    `rows`: the open rows as the caller read them (those it closed meanwhile are skipped); None reads them.
    `hold`: the new rows may go in with the held writes (held.hold_new_rows) when their ids are reserved.
    """
    ready = {t.spiff_id: t for t in run.ready_user_tasks()}
    known = open_rows(instance.id) if rows is None else rows
    kept = []
    for row in known:
        if row.status != TaskStatus.OPEN:
            continue
        if row.spiff_task_id not in ready:
            row.status = TaskStatus.CANCELLED
            task_event("task_cancelled", row, case, actor, now, {})
        else:
            ready.pop(row.spiff_task_id)
            kept.append(row)
    created = [create_row(case, instance, run, task, now, known) for task in ready.values()]
    if created and not (hold and held.hold_new_rows(created)):
        db.session.flush()  # one multi-row INSERT; the events name the new rows' ids
    for row in created:
        record_created(row, case, actor, now)
    return kept, created


def record_created(row: HumanTask, case: Case, actor: Actor, now: datetime) -> None:
    """Append a new task row's `task_created` event (its deadline, role and unit) to the case chain."""
    payload = {
        "due_at": _iso(row.due_at),
        "due_date": _iso(row.due_date),
        "provisional": row.is_provisional,
        "role": row.candidate_role,
        "org": row.candidate_org.code,
    }
    task_event("task_created", row, case, actor, now, payload)


def create_row(
    case: Case, instance: ProcessInstance, run: Run, task: ReadyTask, now: datetime, known: list[HumanTask]
) -> HumanTask:
    info = task.info
    org = _candidate_org(case, run, task)
    row = HumanTask(
        case=case,
        instance=instance,
        instance_id=instance.id,
        region_id=case.region_id,
        spiff_task_id=task.spiff_id,
        element_id=info.element_id,
        title=info.title,
        form_key=info.form_key,
        candidate_role=info.role,
        candidate_org=org,
        candidate_org_path=org.path,
        status=TaskStatus.OPEN,
        created_at=now,
        due_expr=info.due_expr,
    )
    if info.due_expr:
        iso = run.evaluate(task.spiff_id, info.due_expr)
        due = run.ctx.dues.get(iso)
        row.due_at = datetime.fromisoformat(iso)
        row.due_date = due.due_date if due is not None else None
        row.is_provisional = bool(due is not None and due.provisional)
    host, title = _supervised_row(instance, run, task, known)
    if isinstance(host, HumanTask):
        row.supervised_task = host
    else:
        row.supervised_task_id = host
    row.title = title or row.title
    bulk.give_held_id(row)
    db.session.add(row)
    return row


def _supervised_row(
    instance: ProcessInstance, run: Run, task: ReadyTask, known: list[HumanTask]
) -> tuple[HumanTask | int | None, str | None]:
    """A task opened by a boundary timer (督办) names the task the timer is attached to (the late one), and a 督办
    of the called supervision process takes its title from the call activity that names the late step."""
    found = run.boundary_host(task.spiff_id)
    if found is None:
        return None, None
    host, title = found
    pending = [r for r in (*known, *db.session.new) if isinstance(r, HumanTask) and r.instance_id == instance.id]
    for row in pending:
        if row.spiff_task_id == host:
            return row, title
    stmt = select(HumanTask.id).where(HumanTask.instance_id == instance.id, HumanTask.spiff_task_id == host)
    return db.session.scalar(stmt), title


def _candidate_org(case: Case, run: Run, task: ReadyTask) -> Organization:
    code = run.evaluate(task.spiff_id, task.info.org_expr)
    return refcache.org_by_code(case.region_id, str(code)) or case.handling_org


def task_event(kind: str, row: HumanTask, case: Case, actor: Actor, now: datetime, extra: dict) -> None:
    payload = {"task_id": row.id, "element": row.element_id, "title": row.title, **extra}
    audit.record(
        kind,
        actor=actor,
        at=now,
        region_id=case.region_id,
        case_id=case.id,
        definition_id=case.definition_id,
        payload=payload,
    )


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def mark_overdue(case: Case, instance: ProcessInstance, actor: Actor, now: datetime) -> int:
    """Stamp open tasks whose deadline passed (督办); return how many were newly marked."""
    return mark_rows_overdue(open_rows(instance.id), case, actor, now)


def mark_rows_overdue(rows: list[HumanTask], case: Case, actor: Actor, now: datetime) -> int:
    """Stamp those of the open rows whose deadline passed and were not stamped yet, each with its `task_overdue`
    event; return how many."""
    late = [r for r in rows if r.due_at and r.due_at <= now and r.escalated_at is None]
    for row in late:
        row.escalated_at = now
        task_event("task_overdue", row, case, actor, now, {"due_at": _iso(row.due_at)})
    return len(late)
