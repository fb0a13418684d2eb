"""Statuses are enums: the database refuses any other value, models and migrations 0004 and 0050 agree, both
downgrade."""

import re
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import CheckConstraint, inspect, select, text
from sqlalchemy.exc import IntegrityError

from casemgmt.db import db
from casemgmt.models import (
    Appeal,
    AppealStatus,
    CallbackAttempt,
    CallbackResult,
    Case,
    CaseStatus,
    Evaluation,
    ExtensionRequest,
    ExtensionStatus,
    FlagStatus,
    HumanTask,
    LedgerEntry,
    LedgerStatus,
    OutboxMessage,
    OutboxState,
    ServiceRecord,
    ServiceRecordStatus,
    TaskStatus,
)
from casemgmt.models.types import EnumText
from web.cli import alembic_config

#: every constrained column: (model, column, enum)
STATUS_COLUMNS = [
    (Case, "status", CaseStatus),
    (HumanTask, "status", TaskStatus),
    (LedgerEntry, "status", LedgerStatus),
    (ExtensionRequest, "status", ExtensionStatus),
    (Appeal, "status", AppealStatus),
    (ServiceRecord, "status", ServiceRecordStatus),
    (CallbackAttempt, "result", CallbackResult),
    (OutboxMessage, "state", OutboxState),
    (Evaluation, "flag_status", FlagStatus),
]
IDS = [f"{model.__tablename__}.{column}" for model, column, _enum in STATUS_COLUMNS]


def _quoted(sql: str) -> set[str]:
    """Return the string literals of a CHECK expression, as SQLite or PostgreSQL reflect it."""
    return set(re.findall(r"'([^']*)'", sql))


def _reflected_checks(table: str) -> dict[str, str]:
    return {c["name"]: c["sqltext"] for c in inspect(db.engine).get_check_constraints(table)}


def _model_checks(model) -> dict[str, str]:
    return {c.name: str(c.sqltext) for c in model.__table__.constraints if isinstance(c, CheckConstraint)}


def _one_row_per_table(api) -> dict[str, int]:
    """Open a case through the API and add one row of each casework table to it; return row ids by table."""
    case = db.session.get(Case, api.bad_review()["case_id"])
    task = db.session.scalars(select(HumanTask).where(HumanTask.case_id == case.id)).first()
    now, on_case = case.opened_at, {"case_id": case.id, "region_id": case.region_id}
    rows = [
        LedgerEntry(**on_case, org_id=case.handling_org_id, task_element=task.element_id, opened_at=now),
        ExtensionRequest(
            **on_case, task_element=task.element_id, workdays=5, reason="材料补正", requested_by="t", requested_at=now
        ),
        Appeal(**on_case, reason="误评", filed_by="t", filed_at=now),
        CallbackAttempt(
            **on_case,
            attempt_no=1,
            result=CallbackResult.REACHED,
            attempted_at=now,
            recorded_at=now,
            recorded_by="t",
            source="api",
        ),
        ServiceRecord(
            region_id=case.region_id,
            record_no="SR-1",
            item_code=case.evaluation.item_code,
            org_id=case.handling_org_id,
            channel="window_device",
            completed_at=now - timedelta(days=1),
            registered_at=now,
        ),
    ]
    db.session.add_all(rows)
    db.session.commit()
    ids = {row.__tablename__: row.id for row in rows}
    notice = db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.case_id == case.id)).first()
    return ids | {
        "cases": case.id,
        "human_tasks": task.id,
        "outbox_messages": notice,
        "evaluations": case.evaluation_id,
    }


def _write(table: str, column: str, value: str, row_id: int) -> None:
    db.session.execute(text(f"UPDATE {table} SET {column} = :value WHERE id = :id"), {"value": value, "id": row_id})
    db.session.flush()


@pytest.mark.parametrize(("model", "column", "enum"), STATUS_COLUMNS, ids=IDS)
def test_the_database_takes_every_value_of_the_enum_and_refuses_any_other(api, model, column, enum):
    table = model.__tablename__
    row_id = _one_row_per_table(api)[table]
    for member in enum:
        _write(table, column, member.value, row_id)
    with pytest.raises(IntegrityError, match=f"ck_{table}_{column}"):
        _write(table, column, "bogus", row_id)
    db.session.rollback()
    with pytest.raises(IntegrityError, match=f"ck_{table}_{column}"):
        _write(table, column, next(iter(enum)).value.upper(), row_id)  # the stored values are lower case
    db.session.rollback()


def test_an_unknown_status_written_through_the_orm_is_refused_by_the_database_too(api):
    row_id = _one_row_per_table(api)["cases"]
    db.session.get(Case, row_id).status = "archived"
    with pytest.raises(IntegrityError, match="ck_cases_status"):
        db.session.flush()
    db.session.rollback()


def test_a_status_reads_back_as_its_enum_member_and_is_stored_as_its_plain_value(api):
    row_id = _one_row_per_table(api)["human_tasks"]
    db.session.expire_all()
    assert db.session.get(HumanTask, row_id).status is TaskStatus.OPEN
    stored = db.session.execute(text("SELECT status FROM human_tasks WHERE id = :id"), {"id": row_id}).scalar_one()
    assert stored == "open" and type(stored) is str


@pytest.mark.parametrize(("model", "column", "enum"), STATUS_COLUMNS, ids=IDS)
def test_the_migrated_check_constraint_and_the_models_list_exactly_the_enums_values(app, model, column, enum):
    name = f"ck_{model.__tablename__}_{column}"
    reflected, declared = _reflected_checks(model.__tablename__), _model_checks(model)
    assert set(reflected) == set(declared) == {name}
    assert _quoted(reflected[name]) == _quoted(declared[name]) == {member.value for member in enum}


def test_every_status_or_result_column_of_the_models_is_an_enum_with_its_check_constraint(app):
    enum_columns = {
        f"{table.name}.{col.name}"
        for table in db.metadata.sorted_tables
        for col in table.columns
        if isinstance(col.type, EnumText)
    }
    named_like_a_status = {
        f"{table.name}.{col.name}"
        for table in db.metadata.sorted_tables
        for col in table.columns
        if col.name in ("status", "state", "result", "flag_status")
    }
    # process_instances.state is the serialized workflow, not a status
    assert enum_columns == named_like_a_status - {"process_instances.state"} == set(IDS)


def _migrate(target: str, direction) -> None:
    db.session.remove()
    db.engine.dispose()  # the migration takes the tables; no connection of ours may hold them
    direction(alembic_config(), target)
    db.engine.dispose()


def _counts(tables) -> dict[str, int]:
    return {t: db.session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}


def test_migration_0004_downgrades_without_losing_rows_and_upgrades_again(api):
    ids = _one_row_per_table(api)
    counts = _counts(ids)
    _migrate("0003", command.downgrade)
    assert {t: list(_reflected_checks(t)) for t in ids} == {t: [] for t in ids}
    assert _counts(ids) == counts  # SQLite copied each table into a new one: every row came along
    _write("appeals", "status", "bogus", ids["appeals"])  # nothing guards the column any more
    _write("appeals", "status", "pending", ids["appeals"])
    db.session.commit()
    _migrate("head", command.upgrade)
    assert {t: list(_reflected_checks(t)) for t in ids} == {t: [f"ck_{t}_{c}"] for t, c in _columns()}
    assert _counts(ids) == counts


def _columns() -> list[tuple[str, str]]:
    return [(model.__tablename__, column) for model, column, _enum in STATUS_COLUMNS]
