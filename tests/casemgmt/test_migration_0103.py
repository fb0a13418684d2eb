"""Migration 0103: indexes no query uses dropped, two indexes of mostly-NULL columns made partial; downgrade puts
them back as they were, and the migrated schema matches the models."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text

from casemgmt.audit.chain import verify_chain
from casemgmt.db import db
from casemgmt.models import AuditEvent, Evaluation
from web.cli import alembic_config

DROPPED = {
    "ix_outbox_messages_sent_at": "outbox_messages",
    "ix_audit_events_region_id": "audit_events",
    "ix_audit_chain_heads_region_id": "audit_chain_heads",
}
PARTIAL = {
    "ix_evaluations_flag_status": ("evaluations", ["flag_status"]),
    "ix_human_tasks_supervised_task_id": ("human_tasks", ["supervised_task_id"]),
    "ix_human_tasks_done_by": ("human_tasks", ["completed_by_id", "status", "completed_at", "id"]),
}
TABLES = set(DROPPED.values()) | {table for table, _ in PARTIAL.values()}


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


def _fillfactor() -> list | None:
    """stat_rollups' storage options on PostgreSQL (None: the defaults; always None on SQLite)."""
    if db.engine.dialect.name != "postgresql":
        return None
    sql = "SELECT reloptions FROM pg_class WHERE relname = 'stat_rollups'"
    found = db.session.execute(text(sql)).scalar()
    db.session.remove()
    return found


def _index_diffs() -> list:
    with db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
    found = []
    for diff in diffs:
        for item in diff if isinstance(diff, list) else [diff]:
            if item[0] in ("add_index", "remove_index") and item[1].table.name in TABLES:
                found.append((item[0], item[1].name))
    return found


def partial_flags(partial: dict[str, tuple[str, list[str], str]]) -> dict[str, bool]:
    """For each index (name -> table, its columns, a text of its WHERE): whether it is partial with that WHERE;
    its columns must be the given ones either way."""
    found = {}
    for name, (table, columns, where) in partial.items():
        index = _indexes(table)[name]
        assert index["column_names"] == columns, name
        found[name] = where in _predicate(index)
    return found


def assert_partial_round_trip(previous: str, partial: dict[str, tuple[str, list[str], str]]) -> None:
    """The indexes are partial at head, full after a downgrade to `previous`, partial again after the upgrade,
    and the migrated schema's indexes match the models'."""
    assert partial_flags(partial) == dict.fromkeys(partial, True)
    _migrate(previous, command.downgrade)
    assert partial_flags(partial) == dict.fromkeys(partial, False)
    _migrate("head", command.upgrade)
    assert partial_flags(partial) == dict.fromkeys(partial, True)
    assert _index_diffs() == []


def _stored_hashes(chain: str) -> list[tuple]:
    sql = "SELECT prev_hash, hash FROM audit_events WHERE chain = :c ORDER BY seq"
    rows = [tuple(row) for row in db.session.execute(text(sql), {"c": chain})]
    head = db.session.execute(text("SELECT hash FROM audit_chain_heads WHERE chain = :c"), {"c": chain}).scalar()
    db.session.remove()
    return [*rows, (head,)]


def test_0103_stores_the_audit_hashes_as_bytes_on_postgresql_and_converts_them_both_ways(api) -> None:
    chain = f"case:{api.bad_review()['case_id']}"
    seen = [(e.prev_hash, e.hash) for e in db.session.scalars(select(AuditEvent).where(AuditEvent.chain == chain))]
    assert seen and all(len(h) == 64 and int(h, 16) >= 0 for pair in seen for h in pair)
    assert verify_chain(chain) == []
    bytes_ = _stored_hashes(chain)
    _migrate("0097", command.downgrade)
    as_text = _stored_hashes(chain)
    assert all(isinstance(v, str) and len(v) == 64 for row in as_text for v in row)
    if db.engine.dialect.name == "postgresql":
        assert [tuple(bytes(v).hex() for v in row) for row in bytes_] == as_text
        assert all(len(bytes(v)) == 32 for row in bytes_ for v in row)
    else:
        assert bytes_ == as_text
    _migrate("head", command.upgrade)
    assert _stored_hashes(chain) == bytes_
    assert verify_chain(chain) == []
    api.bad_review()  # new rows are written and chained after the round trip


def test_0103_drops_and_narrows_indexes_and_downgrades_to_the_ones_before(api) -> None:
    api.bad_review()
    for name, table in DROPPED.items():
        assert name not in _indexes(table)
    for name, (table, columns) in PARTIAL.items():
        assert _indexes(table)[name]["column_names"] == columns
        assert f"{columns[0]} IS NOT NULL" in _predicate(_indexes(table)[name])
    assert _index_diffs() == []
    assert _fillfactor() == (["fillfactor=35"] if db.engine.dialect.name == "postgresql" else None)
    _migrate("0097", command.downgrade)
    assert _fillfactor() is None
    for name, table in DROPPED.items():
        assert name in _indexes(table)
    for name, (table, columns) in PARTIAL.items():
        assert _indexes(table)[name]["column_names"] == columns and not _predicate(_indexes(table)[name]), name
    _migrate("head", command.upgrade)
    for name, table in DROPPED.items():
        assert name not in _indexes(table)
    for name, (table, columns) in PARTIAL.items():
        assert f"{columns[0]} IS NOT NULL" in _predicate(_indexes(table)[name])
    assert _index_diffs() == []
    assert _fillfactor() == (["fillfactor=35"] if db.engine.dialect.name == "postgresql" else None)
    assert db.session.scalars(select(Evaluation.id)).all()
