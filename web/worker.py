"""The worker: timers (batches of due instances, one transaction each) and the outbox relay; `flask timers run`,
`flask outbox run`, or a thread beside the dev server."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
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


#: the cyclic garbage collector's first threshold during a timer sweep (Python's default is 700)
SWEEP_GC_THRESHOLD = 50_000


def run_timers_once(now: datetime, limit: int = 10_000) -> int:
    """Process every due instance, in batches of one transaction each; one whose firing fails is logged and left
    for the next sweep, the others are kept."""
    try:
        with _fewer_collections():
            return _fire_due_instances(now, limit)
    except Exception:
        db.session.rollback()
        log.exception("timer run failed")
        raise


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the garbage collector less often during a sweep: each firing builds and drops a workflow's tree of
    objects, and at Python's default threshold the collections scanning them took a third of a worker's CPU
    (4.2 -> 2.9 ms per fired timer, bench/timers.py). The threshold is restored after the sweep."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], SWEEP_GC_THRESHOLD), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _fire_due_instances(now: datetime, limit: int) -> int:
    """Fire the due instances in batches; return how many this worker fired.

    Each batch is claimed and fired in one transaction (timers.fire_batch: set reads, one flush, one commit). A
    batch that raises is rolled back to its savepoint and fired one by one, each instance in a savepoint of its
    own: one that still raises is logged and skipped until the next sweep. An instance fired
    MAX_FIRINGS_PER_INSTANCE times in this sweep is left for the next one.

    Two workers never fire one instance twice: on PostgreSQL the claim skips rows another worker locked, and the
    instance's version is checked on save; on SQLite each batch transaction takes the database's write lock
    before it claims (BEGIN IMMEDIATE), so a second worker waits for the first's commit and then sees only what
    is still due.
    """
    done, skipped, fired = 0, set[int](), Counter[int]()
    while done + len(skipped) < limit:
        _begin_writing()
        batch = timers.claim_due_instances(now, frozenset(skipped), min(TIMER_BATCH, limit - done - len(skipped)))
        if not batch:
            db.session.rollback()
            break
        ids = [instance.id for instance in batch]
        try:
            with savepoint():
                timers.fire_batch(batch, now)
            saved = ids
        except Exception:  # noqa: BLE001 - the batch is fired again one by one, where the culprit is logged
            log.warning("timer batch of %d failed; firing its instances one by one", len(ids), exc_info=True)
            saved = _fire_one_by_one(ids, now, skipped)
        try:
            db.session.commit()
        except (ConcurrentUpdate, IntegrityError, OperationalError):
            db.session.rollback()
            log.exception("timer batch commit failed; its instances wait for the next sweep")
            skipped.update(saved)
            continue
        db.session.expunge_all()  # the next batch starts afresh, as a request does: no expired reference rows
        for instance_id in saved:
            done += 1
            fired[instance_id] += 1
            if fired[instance_id] >= timers.MAX_FIRINGS_PER_INSTANCE:
                skipped.add(instance_id)
    return done


def _fire_one_by_one(ids: list[int], now: datetime, skipped: set[int]) -> list[int]:
    """Fire a failed batch's instances (still locked by this transaction) each in a savepoint; return those saved
    and add those that fail to `skipped`."""
    saved = []
    for instance in timers.claim_due_instances(now, frozenset(), len(ids), only=ids):
        instance_id = instance.id
        try:
            with savepoint():
                timers.fire_due_timers(instance, now)
            saved.append(instance_id)
        except Exception:  # noqa: BLE001 - logged; the others' work is kept, this one waits for the next sweep
            log.exception("timer firing of instance %s failed", instance_id)
            skipped.add(instance_id)
    return saved


def _begin_writing() -> None:
    """On SQLite, open the batch's transaction with the write lock (BEGIN IMMEDIATE, waiting up to the busy
    timeout): a deferred one that read before another worker's commit could not write after it."""
    if db.engine.dialect.name != "sqlite":
        return
    dbapi = db.session.connection().connection.dbapi_connection
    if dbapi is not None and not dbapi.in_transaction:
        dbapi.execute("BEGIN IMMEDIATE")


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
