"""Migration 0103: indexes no query uses dropped, two indexes of mostly-NULL columns made partial; downgrade puts
them back as they were, and the migrated schema matches the models."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from casemgmt.db import db
from casemgmt.models import Evaluation
from web.cli import alembic_config

DROPPED = {"outbox_messages": "ix_outbox_messages_sent_at", "audit_events": "ix_audit_events_region_id"}
PARTIAL = {"evaluations": "ix_evaluations_flag_status", "human_tasks": "ix_human_tasks_supervised_task_id"}
COLUMNS = {"ix_evaluations_flag_status": "flag_status", "ix_human_tasks_supervised_task_id": "supervised_task_id"}
TABLES = set(DROPPED) | set(PARTIAL)


def _migrate(target: str, direction) -> None:
    db.session.remove()
    db.engine.dispose()
    direction(alembic_config(), target)
    db.engine.dispose()


def _indexes(table: str) -> dict[str, dict]:
    return {i["name"]: i for i in inspect(db.engine).get_indexes(table)}


def _predicate(index: dict) -> str:
    options = index.get("dialect_options", {})
    where = options.get("postgresql_where")
    return str(where if where is not None else options.get("sqlite_where", ""))


def _index_diffs() -> list:
    with db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
    found = []
    for diff in diffs:
        for item in diff if isinstance(diff, list) else [diff]:
            if item[0] in ("add_index", "remove_index") and item[1].table.name in TABLES:
                found.append((item[0], item[1].name))
    return found


def test_0103_drops_and_narrows_indexes_and_downgrades_to_the_ones_before(api) -> None:
    api.bad_review()
    for table, name in {**DROPPED, **PARTIAL}.items():
        assert name not in _indexes(table) or "IS NOT NULL" in _predicate(_indexes(table)[name]).upper()
    for table, name in PARTIAL.items():
        assert _indexes(table)[name]["column_names"] == [COLUMNS[name]]
    assert _index_diffs() == []
    _migrate("0097", command.downgrade)
    for table, name in {**DROPPED, **PARTIAL}.items():
        assert name in _indexes(table) and not _predicate(_indexes(table)[name]), name
    _migrate("head", command.upgrade)
    for table, name in DROPPED.items():
        assert name not in _indexes(table)
    for table, name in PARTIAL.items():
        assert "IS NOT NULL" in _predicate(_indexes(table)[name]).upper()
    assert db.session.scalars(select(Evaluation.id)).all()
