"""SQL statements per request on the hot path (issue 16): counted at the cursor, so a regression fails here.

Each request runs once to warm the per-process reference cache (regions, organizations, items, definitions,
calendars), as a long-running worker has; the second, identical kind of request is the one counted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from sqlalchemy import event

from casemgmt.db import db

#: the issue's targets are 8, 8, 3 and 3; the bounds are the counts reached so far (from 36, 33, 14 and 4), so
#: any regression fails. i16 alone reached 15, 16, 6 and 3; one rating per record and the flag rules (i13: the
#: record, earlier ratings, four flag reads) and the statistics rollups (i14: one multi-row upsert per event) and
#: the callback attempt a completion logs (i11) brought them to 20, 19, 11 and 3. The second pass reaches the
#: targets on PostgreSQL. Intake reads token and user with one statement, and the external id, the service record,
#: earlier ratings, the flag rules' counts and staff phones (and the new evaluation's id) with one more; audit
#: events, chain heads and rollups are held to the commit and sent as one statement (casemgmt/writes.py), with
#: the evaluation itself for a good one. A bad review (8): token, reads, evaluation, the case inserted complete
#: (its number from the evaluation's id), the evaluator's notice, the instance, its task rows, the held writes.
#: A completion (3 on PostgreSQL, from 8, then 5): token; one statement locking and reading instance, task, case,
#: evaluation and the case's audit chain head, and reserving the next task row's id; the held writes, with the
#: completed task row's UPDATE, the (locked) instance's versioned UPDATE, the new task row, the callback attempt
#: and the case's count of attempts (its number: the locked case row's count plus one). Other open task rows are
#: read only when the stored workflow had other READY tasks; the ledger entry only when a new task is one an
#: open_ledger step names.
BAD_REVIEW_MAX = 8
COMPLETION_MAX = 3
GOOD_EVALUATION_MAX = 3
INBOX_PAGE_MAX = 3
#: SQLite has no data-modifying WITH: the held writes go one statement per table (events, heads, rollups, a
#: completion's task row), and a good evaluation's insert goes alone (its id comes back from it); a completion
#: locks its chain head by a statement of its own (a write: it takes the database's write lock), its instance's
#: versioned UPDATE and its new task rows go by the ORM, and its attempt's number comes from a statement moving the
#: case's count on (no row lock to read it under), the attempt inserted after it
SQLITE_EXTRA = {"bad_review": 2, "completion": 8, "good_evaluation": 3}


def _bound(pg_max: int, kind: str) -> int:
    return pg_max + (SQLITE_EXTRA[kind] if db.engine.dialect.name == "sqlite" else 0)


COMPLETE_DATA = {
    "callback_result": "reached",
    "callback_at": "2025-09-26T10:30:00+08:00",
    "facts": "核实属实",
    "outcome": "immediate_fix",
}


class Counter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append(statement)

    def __len__(self) -> int:
        return len(self.statements)

    def shown(self) -> str:
        return "\n".join(f"{i + 1}. {s.splitlines()[0][:160]}" for i, s in enumerate(self.statements))


@contextlib.contextmanager
def counted() -> Iterator[Counter]:
    counter = Counter()
    engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter)


def _bad_review(api, n: int) -> dict:
    return api.bad_review(external_id=f"count-{n}", record_no=f"LN-REC-{n}")


def test_bad_review_statement_count(api) -> None:
    _bad_review(api, 1)
    with counted() as counter:
        _bad_review(api, 2)
    assert len(counter) <= _bound(BAD_REVIEW_MAX, "bad_review"), counter.shown()


def test_good_evaluation_statement_count(api) -> None:
    def post(n: int):
        payload = api.evaluation(level="satisfied", external_id=f"good-{n}", record_no=f"LN-G-{n}")
        response = api.post("/api/v1/evaluations", "ln-channel", json=payload)
        assert response.status_code == 201, response.get_json()

    post(1)
    with counted() as counter:
        post(2)
    assert len(counter) <= _bound(GOOD_EVALUATION_MAX, "good_evaluation"), counter.shown()


def _first_task(api, case_id: int) -> int:
    case = api.get(f"/api/v1/cases/{case_id}", "ln-officer").get_json()
    return case["open_tasks"][0]["id"]


def test_completion_statement_count(api) -> None:
    tasks = [_first_task(api, _bad_review(api, n)["case_id"]) for n in (1, 2)]
    api.token("ln-officer")
    response = api.post(f"/api/v1/tasks/{tasks[0]}/complete", "ln-officer", json={"data": COMPLETE_DATA})
    assert response.status_code == 200, response.get_json()
    with counted() as counter:
        response = api.post(f"/api/v1/tasks/{tasks[1]}/complete", "ln-officer", json={"data": COMPLETE_DATA})
    assert response.status_code == 200, response.get_json()
    assert len(counter) <= _bound(COMPLETION_MAX, "completion"), counter.shown()


@pytest.mark.parametrize("view", ["my_roles", "mine"])
def test_inbox_page_statement_count(api, view: str) -> None:
    for n in range(3):
        _bad_review(api, n)
    api.token("ln-officer")
    assert api.get(f"/api/v1/tasks?view={view}&limit=2", "ln-officer").status_code == 200
    with counted() as counter:
        response = api.get(f"/api/v1/tasks?view={view}&limit=2", "ln-officer")
    assert response.status_code == 200, response.get_json()
    assert len(counter) <= INBOX_PAGE_MAX, counter.shown()


def _bad_batch(api, prefix: str, n: int) -> None:
    items = [
        api.evaluation(
            external_id=f"{prefix}-{i}",
            record_no=f"LN-{prefix}-{i}",
            evaluator={"name": "张三", "phone": f"1381234{i:04d}", "real_name": True},
        )
        for i in range(n)
    ]
    response = api.post("/api/v1/evaluations:batch", "ln-channel", json={"evaluations": items})
    assert response.status_code == 200 and response.get_json()["counts"]["created"] == n, response.get_json()


def test_a_batch_of_bad_reviews_opens_its_cases_with_as_many_statements_however_many_they_are(api) -> None:
    """cases.open_cases: one statement per table for the batch's cases, instances and task rows, the notices'
    ids reserved at once (PostgreSQL)."""
    _bad_batch(api, "warm", 2)
    with counted() as two:
        _bad_batch(api, "two", 2)
    with counted() as ten:
        _bad_batch(api, "ten", 10)
    # SQLite's driver inserts row by row what PostgreSQL gets in one statement (case, notice, instance, task row)
    extra = 8 * 4 if db.engine.dialect.name == "sqlite" else 0
    assert len(ten) <= len(two) + extra, f"{two.shown()}\n--\n{ten.shown()}"


def test_psycopg_keeps_the_converted_text_of_a_completions_held_writes(api) -> None:
    """psycopg converts a statement's placeholders once per text only within its bounds, which web.extensions
    raises on PostgreSQL: a completion's held writes (its last statement) fit them."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's statement texts: PostgreSQL only")
    from psycopg import _queries

    tasks = [_first_task(api, _bad_review(api, n)["case_id"]) for n in (1, 2)]
    api.token("ln-officer")
    api.post(f"/api/v1/tasks/{tasks[0]}/complete", "ln-officer", json={"data": COMPLETE_DATA})
    sent: list[tuple[str, dict]] = []

    def keep(conn, cursor, statement, parameters, context, executemany) -> None:
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        response = api.post(f"/api/v1/tasks/{tasks[1]}/complete", "ln-officer", json={"data": COMPLETE_DATA})
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    assert response.status_code == 200, response.get_json()
    statement, parameters = sent[-1]
    assert statement.startswith("WITH ") and "INSERT INTO audit_events" in statement
    assert len(statement.encode()) <= _queries.MAX_CACHED_STATEMENT_LENGTH
    assert len(parameters) <= _queries.MAX_CACHED_STATEMENT_PARAMS
