"""The timer worker's use cases: claim the next due instance, fire its timers (flush only).

The worker (web/worker.py) owns the transactions: it commits each instance, and rolls back and skips one whose
save lost a race to another worker.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from casemgmt.actor import Actor
from casemgmt.cases.instances import load_run, mark_overdue, save_run
from casemgmt.db import db
from casemgmt.models import ProcessInstance

TIMER_ACTOR = Actor.system("timer")
#: how many times one sweep fires one instance: a case whose timers keep coming due (a cycle) waits for the
#: next sweep instead of starving the others
MAX_FIRINGS_PER_INSTANCE = 5


def claim_due_instance(now: datetime, skip: frozenset[int] = frozenset()) -> ProcessInstance | None:
    """Lock the earliest due instance (the engine fires strictly after the instant); skip rows others hold."""
    stmt = (
        select(ProcessInstance)
        .where(ProcessInstance.next_timer_at < now, ProcessInstance.is_completed.is_(False))
        .where(ProcessInstance.id.not_in(skip))
        .order_by(ProcessInstance.next_timer_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return db.session.execute(stmt.execution_options(populate_existing=True)).scalar_one_or_none()


def claim_due_instances(now: datetime, skip: frozenset[int], limit: int) -> list[ProcessInstance]:
    """Lock up to `limit` due instances, earliest first (FOR UPDATE SKIP LOCKED on PostgreSQL), with their cases.

    A worker fires them in one transaction: the cases come in one read, and the calendars and bundles they share
    from the per-process caches.
    """
    stmt = (
        select(ProcessInstance)
        .where(ProcessInstance.next_timer_at < now, ProcessInstance.is_completed.is_(False))
        .where(ProcessInstance.id.not_in(skip))
        .order_by(ProcessInstance.next_timer_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .options(selectinload(ProcessInstance.case))
    )
    return list(db.session.execute(stmt.execution_options(populate_existing=True)).scalars())


def fire_due_timers(instance: ProcessInstance, now: datetime) -> None:
    """Fire the instance's due timers, create escalation tasks, mark overdue tasks, flush.

    Raises ConcurrentUpdate (or the database's IntegrityError / OperationalError) when another worker saved
    the instance first.
    """
    case = instance.case
    run = load_run(case, instance, TIMER_ACTOR, now)
    save_run(case, instance, run, TIMER_ACTOR, now)
    mark_overdue(case, instance, TIMER_ACTOR, now)
    db.session.flush()
