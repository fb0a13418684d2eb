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
    supervision = select(func.count()).select_from(HumanTask).where(HumanTask.element_id == "Task_SuperviseCallback")
    assert db.session.scalar(supervision) == 6
    overdue = select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "task_overdue")
    assert db.session.scalar(overdue) == 6
    assert run_timers_once(now) == 0
