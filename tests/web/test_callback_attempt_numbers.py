"""A callback attempt's number is the case's count of attempts plus one, read where no other attempt can be
numbered meanwhile: a logged one by the statement moving the count on, a completion's from the case row it locked."""

import threading
import time

import pytest
from sqlalchemy import select, text

from casemgmt.db import db
from casemgmt.models import CallbackAttempt, Case
from tests.perf.test_statement_counts import counted
from tests.regions.helpers import callback, do
from tests.web.flows import only_task


def test_a_logged_attempt_locks_the_case_and_numbers_itself_by_moving_the_cases_count_on(api, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    cid = api.bad_review("liaoning", evaluated_at="2025-09-26T10:00:00+08:00")["case_id"]
    attempt = {"result": "not_reached", "attempted_at": "2025-09-26T10:30:00+08:00", "note": "无人接听"}
    with counted() as counter:
        response = api.post(f"/api/v1/cases/{cid}/callbacks", "ln-officer", json=attempt)
    assert response.status_code == 201, response.get_json()
    statements = [" ".join(s.split()) for s in counter.statements]
    numbered = next(i for i, s in enumerate(statements) if s.startswith("UPDATE cases SET callback_attempts"))
    inserted = next(i for i, s in enumerate(statements) if s.startswith("INSERT INTO callback_attempts"))
    assert numbered < inserted, statements
    locks = [i for i, s in enumerate(statements) if "FROM process_instances" in s and "FOR UPDATE" in s]
    if db.engine.dialect.name == "postgresql":  # SQLite has no row locks: its writers take turns anyway
        assert locks and locks[0] < numbered, statements
    # the form's own attempt follows the logged one
    do(api, cid, "ln-officer", "Task_Callback", callback("immediate_fix"))
    numbers = db.session.scalars(select(CallbackAttempt.attempt_no).where(CallbackAttempt.case_id == cid))
    assert sorted(numbers) == [1, 2]


def _waiting_for_locks(conn) -> int:
    """Sessions of this database waiting for a lock (`conn` in autocommit: a transaction would see the activity
    as at its first look)."""
    sql = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
    return conn.execute(text(sql)).scalar()


def _until(predicate) -> None:
    """Poll the database (no sleep) until predicate holds; 20 s at most."""
    deadline = time.monotonic() + 20
    while not predicate():
        assert time.monotonic() < deadline, "the requests never waited for the case's lock"


def test_an_attempt_logged_while_a_completion_waits_for_the_case_is_counted_by_it(api, clock):
    """A completion waiting for the case's lock numbers its attempt after one logged meanwhile (PostgreSQL).

    The completion reads the case's count of attempts with the locked case row: after its wait, PostgreSQL gives
    it the row as the logging transaction left it. A count read in the same statement would see the attempts
    committed before the statement started, and give both attempts number 1."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    clock.set("2025-09-26T10:00:00+08:00")
    cid = api.bad_review("liaoning", evaluated_at="2025-09-26T10:00:00+08:00")["case_id"]
    task = only_task(api, cid, "ln-officer")["id"]
    headers = {"Authorization": f"Bearer {api.token('ln-officer')}"}
    logged = {"result": "not_reached", "attempted_at": "2025-09-26T10:30:00+08:00", "note": "无人接听"}
    results = {}

    def log():
        results["log"] = api.app.test_client().post(f"/api/v1/cases/{cid}/callbacks", headers=headers, json=logged)

    def complete():
        url = f"/api/v1/tasks/{task}/complete"
        results["complete"] = api.app.test_client().post(url, headers=headers, json={"data": callback("explanation")})

    with db.engine.connect() as holder, db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as look:
        holder.execute(text("SELECT id FROM process_instances WHERE case_id = :c FOR UPDATE"), {"c": cid})
        threads = [threading.Thread(target=log), threading.Thread(target=complete)]
        # the logging request queues first for the case's lock, the completion after it
        for n, thread in enumerate(threads, start=1):
            thread.start()
            _until(lambda n=n: _waiting_for_locks(look) >= n)
        holder.commit()
    for thread in threads:
        thread.join(timeout=60)
    assert results["log"].status_code == 201, results["log"].get_json()
    assert results["complete"].status_code == 200, results["complete"].get_json()
    stored = db.session.execute(
        select(CallbackAttempt.source, CallbackAttempt.attempt_no).where(CallbackAttempt.case_id == cid)
    )
    assert sorted(stored) == [("api", 1), ("form", 2)]
    assert db.session.get(Case, cid).callback_attempts == 2
