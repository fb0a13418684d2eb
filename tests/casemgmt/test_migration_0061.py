"""Migration 0061 downgrades and upgrades again, backfilling the phone's last four digits and each 督办's late task."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from casemgmt.db import db
from tests.regions.helpers import run_timers, task
from web.cli import alembic_config


def _migrate(target: str, direction) -> None:
    db.session.remove()
    db.engine.dispose()  # the migration takes the tables; no connection of ours may hold them
    direction(alembic_config(), target)
    db.engine.dispose()


def _row(sql: str, **params):
    return db.session.execute(text(sql), params).one()


def test_0061_backfills_phone_tails_and_the_late_task_of_existing_supervisions(api, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    case = api.bad_review("sanming", evaluator={"name": "王五", "phone": "13800004321", "real_name": True})
    run_timers(api.app, "2025-10-01T00:00:01+08:00")
    late = task(api, case["case_id"], "sm-officer", "Task_Callback")["id"]
    supervision = task(api, case["case_id"], "sm-supervisor", "Task_Supervise")["id"]
    db.session.remove()

    _migrate("0050", command.downgrade)
    assert "evaluator_phone_tail" not in {c["name"] for c in inspect(db.engine).get_columns("evaluations")}
    assert "supervised_task_id" not in {c["name"] for c in inspect(db.engine).get_columns("human_tasks")}
    _migrate("head", command.upgrade)

    tail = "SELECT e.evaluator_phone_tail FROM evaluations e JOIN cases c ON c.evaluation_id = e.id WHERE c.id = :i"
    assert _row(tail, i=case["case_id"])[0] == "4321"
    assert _row("SELECT supervised_task_id FROM human_tasks WHERE id = :i", i=supervision)[0] == late
    assert _row("SELECT supervised_task_id FROM human_tasks WHERE id = :i", i=late)[0] is None
