"""Several timer workers at once: every due instance is processed, every timer fires exactly once."""

import threading
from datetime import datetime

from sqlalchemy import func, select

from casemgmt.db import db
from casemgmt.models import AuditEvent, HumanTask
from web.worker import run_timers_once


def test_two_workers_share_the_due_instances_and_each_timer_fires_once(api, clock, monkeypatch, caplog):
    """In batches (of two here), neither worker firing a batch another one fired or holds."""
    from web import worker as timer_worker

    monkeypatch.setattr(timer_worker, "TIMER_BATCH", 2)
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
    assert not [r for r in caplog.records if "one by one" in r.getMessage()], "no batch failed"


def test_a_case_whose_timers_keep_coming_due_cannot_starve_the_others(api, clock, monkeypatch):
    """One hot case (its timer due again at once after each firing) and five normal ones: one sweep fires all."""
    from casemgmt.cases import timers

    clock.set("2025-09-26T10:00:00+08:00")
    hot = api.bad_review(record_no="HOT")["case_id"]
    normal = [api.bad_review(record_no=f"N{n}")["case_id"] for n in range(5)]
    fire, fired = timers.fire_batch, []

    def fire_hot_again(instances, now):
        fire(instances, now)
        for instance in instances:
            fired.append(instance.case_id)
            if instance.case_id == hot:  # like a cycle of zero period: due again, and earliest of all
                instance.next_timer_at = datetime.fromisoformat("2025-09-20T00:00:00+08:00")

    monkeypatch.setattr(timers, "fire_batch", fire_hot_again)
    now = datetime.fromisoformat("2025-10-01T00:00:01+08:00")
    assert run_timers_once(now, limit=40) == 5 + timers.MAX_FIRINGS_PER_INSTANCE
    assert sorted(set(fired) - {hot}) == sorted(normal)
    assert fired.count(hot) == timers.MAX_FIRINGS_PER_INSTANCE


def _supervised_cases() -> list[int]:
    db.session.remove()
    supervised = select(HumanTask.case_id).where(HumanTask.element_id == "Task_Supervise")
    return sorted(db.session.scalars(supervised))


def test_a_batch_that_fails_is_fired_one_by_one_and_a_lost_race_skips_only_that_one(api, clock, monkeypatch):
    from casemgmt.cases import timers
    from casemgmt.errors import ConcurrentUpdate
    from web import worker

    clock.set("2025-09-26T10:00:00+08:00")
    cases = [api.bad_review(record_no=f"B{n}")["case_id"] for n in range(6)]
    claim, fire_batch, fire, claims = timers.claim_due_instances, timers.fire_batch, timers.fire_due_timers, []

    def claim_logged(now, skip, limit, only=None):
        found = claim(now, skip, limit, only)
        claims.append((len(found), "again" if only is not None else "due"))
        return found

    def batch_or_lose(instances, now):
        fire_batch(instances, now)
        if any(instance.case_id == cases[2] for instance in instances):
            raise ConcurrentUpdate("another worker saved one of them first")

    def fire_or_lose(instance, now):
        fire(instance, now)
        if instance.case_id == cases[2]:
            raise ConcurrentUpdate("another worker saved it first")

    monkeypatch.setattr(worker, "TIMER_BATCH", 4)
    monkeypatch.setattr(timers, "claim_due_instances", claim_logged)
    monkeypatch.setattr(timers, "fire_batch", batch_or_lose)
    monkeypatch.setattr(timers, "fire_due_timers", fire_or_lose)
    now = datetime.fromisoformat("2025-10-01T00:00:01+08:00")
    assert run_timers_once(now) == 5
    # four (one lost its race: the batch is rolled back and fired again one by one), the two left, then nothing
    assert claims == [(4, "due"), (4, "again"), (2, "due"), (0, "due")]
    assert _supervised_cases() == sorted(c for c in cases if c != cases[2])
    monkeypatch.setattr(timers, "fire_batch", fire_batch)
    assert run_timers_once(now) == 1  # the next sweep takes the one the lost race left
    assert _supervised_cases() == sorted(cases)


def test_an_instance_whose_firing_fails_is_logged_and_left_for_the_next_sweep(api, clock, monkeypatch, caplog):
    """A broken instance (here its engine raises) neither loses the others' work nor stops the sweep."""
    from casemgmt.cases import timers
    from casemgmt.errors import EngineError

    clock.set("2025-09-26T10:00:00+08:00")
    cases = [api.bad_review(record_no=f"E{n}")["case_id"] for n in range(3)]
    fire_batch, fire = timers.fire_batch, timers.fire_due_timers

    def broken(instance):
        if instance.case_id == cases[1]:
            raise EngineError("元素 Task_Callback 执行出错")

    def batch_breaks(instances, now):
        for instance in instances:
            broken(instance)
        fire_batch(instances, now)

    def fire_breaks(instance, now):
        broken(instance)
        fire(instance, now)

    monkeypatch.setattr(timers, "fire_batch", batch_breaks)
    monkeypatch.setattr(timers, "fire_due_timers", fire_breaks)
    now = datetime.fromisoformat("2025-10-01T00:00:01+08:00")
    assert run_timers_once(now) == 2
    assert _supervised_cases() == [cases[0], cases[2]]
    failures = [r for r in caplog.records if r.levelname == "ERROR" and r.exc_info and r.exc_info[0] is EngineError]
    assert len(failures) == 1
    monkeypatch.setattr(timers, "fire_batch", fire_batch)
    monkeypatch.setattr(timers, "fire_due_timers", fire)
    assert run_timers_once(now) == 1
    assert _supervised_cases() == sorted(cases)
