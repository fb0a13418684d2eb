"""The worker: timers (batches of due instances, one transaction each) and the outbox relay; `flask timers run`,
`flask outbox run`, or a thread beside the dev server."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy.exc import IntegrityError, OperationalError

from casemgmt.actor import Actor
from casemgmt.cases import timers
from casemgmt.db import db, savepoint
from casemgmt.errors import ConcurrentUpdate
from casemgmt.models import WorkerHeartbeat
from casemgmt.notices import relay

log = logging.getLogger("zhenggai.worker")
#: due instances a timer worker claims and fires per transaction
TIMER_BATCH = 50


def run_timers_once(now: datetime, limit: int = 10_000) -> int:
    """Process every due instance, one transaction each; a failing instance is logged and retried later."""
    try:
        return _fire_due_instances(now, limit)
    except Exception:
        db.session.rollback()
        log.exception("timer run failed")
        raise


def _fire_due_instances(now: datetime, limit: int) -> int:
    """Fire the due instances in batches (claimed together, one transaction each); return how many this worker did.

    Each instance fires in a savepoint: one whose save lost a race to another worker (where row locks are not
    skipped, SQLite: the optimistic version check or the task-row key refuses the second save) is rolled back
    alone and skipped. An instance fired MAX_FIRINGS_PER_INSTANCE times in this sweep is left for the next one.
    """
    done, skipped, fired = 0, set(), Counter[int]()
    while done + len(skipped) < limit:
        batch = timers.claim_due_instances(now, frozenset(skipped), min(TIMER_BATCH, limit - done - len(skipped)))
        if not batch:
            break
        saved = []
        for instance in batch:
            instance_id = instance.id
            try:
                with savepoint():
                    timers.fire_due_timers(instance, now)
                saved.append(instance_id)
            except (ConcurrentUpdate, IntegrityError, OperationalError):
                skipped.add(instance_id)
        try:
            db.session.commit()
        except (ConcurrentUpdate, IntegrityError, OperationalError):
            db.session.rollback()
            skipped.update(saved)
            continue
        for instance_id in saved:
            done += 1
            fired[instance_id] += 1
            if fired[instance_id] >= timers.MAX_FIRINGS_PER_INSTANCE:
                skipped.add(instance_id)
    return done


def relay_settings(app: Flask) -> relay.RelaySettings:
    """Return the relay's settings from the app's configuration."""
    return relay.RelaySettings(
        routes=app.config["OUTBOX_ROUTES"],
        max_attempts=int(app.config["OUTBOX_MAX_ATTEMPTS"]),
        backoff_seconds=float(app.config["OUTBOX_BACKOFF_SECONDS"]),
    )


def run_outbox_once(now: datetime, settings: relay.RelaySettings, relay_id: str | None = None, limit: int = 500) -> int:
    """Deliver the due outbox messages: claim a batch (commit), then deliver and commit each; return how many."""
    relay_id = relay_id or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    done = 0
    while done < limit:
        claimed = relay.claim_due(relay_id, now, settings, limit=min(100, limit - done))
        db.session.commit()
        if not claimed:
            break
        for message_id in claimed:
            relay.deliver(message_id, relay_id, now, settings)
            db.session.commit()
            done += 1
    return done


def poll(
    step: Callable[[datetime], str],
    worker: str,
    *,
    clock: Callable[[], datetime],
    once: bool,
    pause: float,
    echo: Callable[[str], object],
) -> None:
    """The loop of `flask timers run` and `flask outbox run`: run `step` at the clock's instant, stamp the worker's
    heartbeat, echo what the step says; again after `pause` seconds unless `once`."""
    while True:
        now = clock()
        report = step(now)
        beat(f"{socket.gethostname()}:{os.getpid()}:{worker}", now)
        echo(report)
        if once:
            return
        time.sleep(pause)


def publish_due_reports(now: datetime) -> int:
    """Publish the quarter's and year's reports that fell due (casemgmt/stats/publishing.py) and commit."""
    from casemgmt.stats import publishing

    made = publishing.publish_due(now)
    db.session.commit()
    return len(made)


#: how often a worker erases expired personal data (casemgmt/intake/retention.py): it is a day-granular rule
ERASE_EVERY = timedelta(hours=1)
_last_erase: dict[str, datetime] = {}


def erase_expired_personal_data(now: datetime) -> int:
    """Erase evaluators' names and phones past their region's retention period, at most once per ERASE_EVERY
    per process (a clock set back runs it again), and commit. `flask rate erase-personal-data` runs it at once."""
    from casemgmt.intake import retention

    last = _last_erase.get("at")
    if last is not None and timedelta(0) <= now - last < ERASE_EVERY:
        return 0
    erased = retention.erase_expired(now, Actor.system("retention"))
    db.session.commit()
    _last_erase["at"] = now
    return erased


def beat(name: str, now: datetime) -> None:
    """Stamp this worker's heartbeat row (read by /healthz) and commit."""
    row = db.session.get(WorkerHeartbeat, name) or WorkerHeartbeat(name=name)
    row.beat_at = now
    db.session.add(row)
    db.session.commit()


def start_timer_thread(app: Flask) -> threading.Thread:
    """Start a daemon thread that fires due timers every TIMER_INTERVAL_SECONDS."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(app.config["TIMER_INTERVAL_SECONDS"]):
            with app.app_context():
                now = app.config["CLOCK"]()
                try:
                    run_timers_once(now)
                    run_outbox_once(now, relay_settings(app))
                    publish_due_reports(now)
                    erase_expired_personal_data(now)
                    beat(f"{socket.gethostname()}:{os.getpid()}:thread", now)
                except Exception:  # noqa: BLE001 - logged; the next poll retries
                    db.session.rollback()
                    log.exception("timer worker iteration failed")

    thread = threading.Thread(target=loop, name="zhenggai-timers", daemon=True)
    thread.start()
    app.extensions["zhenggai_timer_stop"] = stop
    return thread
