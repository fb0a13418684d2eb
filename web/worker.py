"""The timer worker: one transaction per due instance, run by `flask timers run` or a thread beside the dev server."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import datetime

from flask import Flask
from sqlalchemy.exc import IntegrityError, OperationalError

from casemgmt.cases import timers
from casemgmt.db import db
from casemgmt.errors import ConcurrentUpdate

log = logging.getLogger("zhenggai.worker")


def run_timers_once(now: datetime, limit: int = 10_000) -> int:
    """Process every due instance, one transaction each; a failing instance is logged and retried later."""
    try:
        return _fire_due_instances(now, limit)
    except Exception:
        db.session.rollback()
        log.exception("timer run failed")
        raise


def _fire_due_instances(now: datetime, limit: int) -> int:
    """Commit each due instance's timers; return how many this worker did.

    Where row locks are not skipped (SQLite), another worker may save the same instance first: the
    optimistic version check or the task-row key refuses the second save, which is rolled back and skipped.
    An instance fired MAX_FIRINGS_PER_INSTANCE times in this sweep is left for the next one.
    """
    done, skipped, fired = 0, set(), Counter[int]()
    while done + len(skipped) < limit:
        instance = timers.claim_due_instance(now, frozenset(skipped))
        if instance is None:
            break
        instance_id = instance.id
        try:
            timers.fire_due_timers(instance, now)
            db.session.commit()
            done += 1
            fired[instance_id] += 1
            if fired[instance_id] >= timers.MAX_FIRINGS_PER_INSTANCE:
                skipped.add(instance_id)
        except (ConcurrentUpdate, IntegrityError, OperationalError):
            db.session.rollback()
            skipped.add(instance_id)
    return done


def start_timer_thread(app: Flask) -> threading.Thread:
    """Start a daemon thread that fires due timers every TIMER_INTERVAL_SECONDS."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(app.config["TIMER_INTERVAL_SECONDS"]):
            with app.app_context():
                try:
                    run_timers_once(app.config["CLOCK"]())
                except Exception:  # noqa: BLE001 - logged; the next poll retries
                    log.exception("timer worker iteration failed")

    thread = threading.Thread(target=loop, name="zhenggai-timers", daemon=True)
    thread.start()
    app.extensions["zhenggai_timer_stop"] = stop
    return thread
