"""Run a request's view again when the database could not take its write: SQLite busy, PostgreSQL deadlock.

SQLite serializes writers on one lock; a writer that waited past the busy timeout, or whose read snapshot went
stale before it could write, gets "database is locked". PostgreSQL aborts one side of a deadlock or of a
serialization conflict. In each case the transaction did nothing lasting, so it is rolled back and the view runs
again, a bounded number of times with a growing pause, before the error handler answers 409.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from flask import request
from sqlalchemy.exc import OperationalError

from casemgmt.db import db

#: runs of a view in all: 6 runs with pauses of about 20, 40, 80, 160, 320 ms stay under a second of waiting,
#: while 8 writers queued on one SQLite lock each get a turn
BUSY_ATTEMPTS = 6
BUSY_PAUSE_SECONDS = 0.02
#: PostgreSQL: serialization_failure, deadlock_detected
RETRY_SQLSTATES = frozenset({"40001", "40P01"})


def is_busy(err: BaseException) -> bool:
    """Tell whether err means "the database was busy; the same transaction may succeed when run again"."""
    if not isinstance(err, OperationalError):
        return False
    if getattr(err.orig, "sqlstate", None) in RETRY_SQLSTATES:
        return True
    text = str(err.orig)
    return "database is locked" in text or "database table is locked" in text or "database is busy" in text


def run_with_retries(view: Callable[[], Any], pause: Callable[[float], None] = time.sleep) -> Any:
    """Call view; when the database was busy, roll back and call it again (at most BUSY_ATTEMPTS runs)."""
    for attempt in range(BUSY_ATTEMPTS):
        try:
            return view()
        except OperationalError as err:
            if attempt == BUSY_ATTEMPTS - 1 or not is_busy(err):
                raise
            db.session.rollback()
            for upload in request.files.values():
                upload.stream.seek(0)
            pause(BUSY_PAUSE_SECONDS * (2**attempt) * random.uniform(0.5, 1.5))  # noqa: S311 - jitter, not security
    raise AssertionError("unreachable")  # pragma: no cover
