"""Migration 0108: cases.callback_attempts, filled from the attempts stored; a downgrade drops it; the next attempt
after the upgrade takes the number after them."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, select, text

from casemgmt.db import db
from casemgmt.models import CallbackAttempt
from tests.casemgmt.test_migration_0103 import _migrate
from tests.regions.helpers import callback, do


def _log(api, case_id: int, note: str) -> None:
    attempt = {"result": "not_reached", "attempted_at": "2025-09-26T10:30:00+08:00", "note": note}
    response = api.post(f"/api/v1/cases/{case_id}/callbacks", "ln-officer", json=attempt)
    assert response.status_code == 201, response.get_json()


def test_0108_counts_each_cases_stored_attempts_and_numbers_the_next_one_after_them(api, clock) -> None:
    clock.set("2025-09-26T10:00:00+08:00")
    two, none = (api.bad_review("liaoning")["case_id"] for _ in range(2))
    _log(api, two, "无人接听")
    _log(api, two, "关机")
    _migrate("0107", command.downgrade)
    assert "callback_attempts" not in {c["name"] for c in inspect(db.engine).get_columns("cases")}
    _migrate("head", command.upgrade)
    counts = dict(db.session.execute(text("SELECT id, callback_attempts FROM cases")).all())
    db.session.remove()
    assert counts == {two: 2, none: 0}
    do(api, two, "ln-officer", "Task_Callback", callback("immediate_fix"))
    numbers = db.session.scalars(select(CallbackAttempt.attempt_no).where(CallbackAttempt.case_id == two))
    assert sorted(numbers) == [1, 2, 3]
