"""A callback attempt logged between form submissions is numbered under the case's lock, as a completion's is."""

from sqlalchemy import select

from casemgmt.db import db
from casemgmt.models import CallbackAttempt
from tests.perf.test_statement_counts import counted
from tests.regions.helpers import callback, do


def test_a_logged_attempt_locks_the_case_before_it_counts_the_attempts(api, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    cid = api.bad_review("liaoning", evaluated_at="2025-09-26T10:00:00+08:00")["case_id"]
    attempt = {"result": "not_reached", "attempted_at": "2025-09-26T10:30:00+08:00", "note": "无人接听"}
    with counted() as counter:
        response = api.post(f"/api/v1/cases/{cid}/callbacks", "ln-officer", json=attempt)
    assert response.status_code == 201, response.get_json()
    statements = [" ".join(s.split()) for s in counter.statements]
    numbered = next(i for i, s in enumerate(statements) if s.startswith("INSERT INTO callback_attempts"))
    locks = [i for i, s in enumerate(statements) if "FROM process_instances" in s and "FOR UPDATE" in s]
    if db.engine.dialect.name == "postgresql":  # SQLite has no row locks: its writers take turns anyway
        assert locks and locks[0] < numbered, statements
    # the form's own attempt follows the logged one
    do(api, cid, "ln-officer", "Task_Callback", callback("immediate_fix"))
    numbers = db.session.scalars(select(CallbackAttempt.attempt_no).where(CallbackAttempt.case_id == cid))
    assert sorted(numbers) == [1, 2]
