"""The timer worker's use case: fire the due timers of one instance at a time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from casemgmt.actor import Actor
from casemgmt.cases.instances import load_run, mark_overdue, save_run
from casemgmt.db import db
from casemgmt.errors import ConcurrentUpdate
from casemgmt.models import ProcessInstance

TIMER_ACTOR = Actor.system("timer")


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


def fire_due_timers(instance: ProcessInstance, now: datetime) -> None:
    """Fire the instance's due timers, create escalation tasks, mark overdue tasks, save."""
    case = instance.case
    run = load_run(case, instance, TIMER_ACTOR, now)
    save_run(case, instance, run, TIMER_ACTOR, now)
    mark_overdue(case, instance, TIMER_ACTOR, now)
    db.session.flush()


def run_once(now: datetime, commit, limit: int = 10_000) -> int:
    """Process due instances one transaction each until none is due; return how many this worker did.

    Where row locks are not skipped (SQLite), another worker may save the same instance first: the
    optimistic version check or the task-row key refuses the second save, which is rolled back and skipped.
    """
    done, skipped = 0, set()
    while done + len(skipped) < limit:
        instance = claim_due_instance(now, frozenset(skipped))
        if instance is None:
            break
        instance_id = instance.id
        try:
            fire_due_timers(instance, now)
            commit()
            done += 1
        except (ConcurrentUpdate, IntegrityError, OperationalError):
            db.session.rollback()
            skipped.add(instance_id)
    return done
