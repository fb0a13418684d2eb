"""Several timer workers at once: every due instance is processed, every timer fires exactly once."""

import threading
from datetime import datetime

from sqlalchemy import func, select

from casemgmt.db import db
from casemgmt.models import AuditEvent, HumanTask
from web.worker import run_timers_once


def test_two_workers_share_the_due_instances_and_each_timer_fires_once(api, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    for n in range(6):
        api.bad_review(record_no=f"R{n}")
    now = datetime.fromisoformat("2025-10-01T00:00:01+08:00")
    counts, errors, barrier = [], [], threading.Barrier(2)

    def worker():
        with api.app.app_context():
            barrier.wait()
            try:
                counts.append(run_timers_once(now))
            except Exception as err:  # noqa: BLE001 - reported below
                errors.append(err)
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    db.session.remove()
    assert errors == []
    assert sum(counts) == 6
    supervision = select(func.count()).select_from(HumanTask).where(HumanTask.element_id == "Task_Supervise")
    assert db.session.scalar(supervision) == 6
    overdue = select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "task_overdue")
    assert db.session.scalar(overdue) == 6
    assert run_timers_once(now) == 0


def test_a_case_whose_timers_keep_coming_due_cannot_starve_the_others(api, clock, monkeypatch):
    """One hot case (its timer due again at once after each firing) and five normal ones: one sweep fires all."""
    from casemgmt.cases import timers

    clock.set("2025-09-26T10:00:00+08:00")
    hot = api.bad_review(record_no="HOT")["case_id"]
    normal = [api.bad_review(record_no=f"N{n}")["case_id"] for n in range(5)]
    fire, fired = timers.fire_due_timers, []

    def fire_hot_again(instance, now):
        fire(instance, now)
        fired.append(instance.case_id)
        if instance.case_id == hot:  # like a cycle of zero period: due again, and earliest of all
            instance.next_timer_at = datetime.fromisoformat("2025-09-20T00:00:00+08:00")

    monkeypatch.setattr(timers, "fire_due_timers", fire_hot_again)
    now = datetime.fromisoformat("2025-10-01T00:00:01+08:00")
    assert run_timers_once(now, limit=40) == 5 + timers.MAX_FIRINGS_PER_INSTANCE
    assert sorted(set(fired) - {hot}) == sorted(normal)
    assert fired.count(hot) == timers.MAX_FIRINGS_PER_INSTANCE


def test_a_worker_fires_due_instances_in_batches_and_one_lost_race_skips_only_that_one(api, clock, monkeypatch):
    from casemgmt.cases import timers
    from casemgmt.errors import ConcurrentUpdate
    from web import worker

    clock.set("2025-09-26T10:00:00+08:00")
    cases = [api.bad_review(record_no=f"B{n}")["case_id"] for n in range(6)]
    claim, fire, batches = timers.claim_due_instances, timers.fire_due_timers, []

    def claim_logged(now, skip, limit):
        found = claim(now, skip, limit)
        batches.append(len(found))
        return found

    def fire_or_lose(instance, now):
        fire(instance, now)
        if instance.case_id == cases[2]:
            raise ConcurrentUpdate("another worker saved it first")

    monkeypatch.setattr(worker, "TIMER_BATCH", 4)
    monkeypatch.setattr(timers, "claim_due_instances", claim_logged)
    monkeypatch.setattr(timers, "fire_due_timers", fire_or_lose)
    now = datetime.fromisoformat("2025-10-01T00:00:01+08:00")
    assert run_timers_once(now) == 5
    assert batches == [4, 2, 0]  # four (one lost its race), the two left, then nothing
    db.session.remove()
    supervised = select(HumanTask.case_id).where(HumanTask.element_id == "Task_Supervise")
    assert sorted(db.session.scalars(supervised)) == sorted(c for c in cases if c != cases[2])
    monkeypatch.setattr(timers, "fire_due_timers", fire)
    assert run_timers_once(now) == 1  # the next sweep takes the one the lost race left
