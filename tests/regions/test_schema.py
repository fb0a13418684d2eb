"""Migration 0003 creates exactly the tables the region rule-pack models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from casemgmt.db import db

TABLES = {
    "callback_attempts",
    "ledger_entries",
    "ledger_notes",
    "extension_requests",
    "appeals",
    "consultations",
    "transfers",
    "service_records",
}


def _touches_our_tables(diff) -> bool:
    items = diff if isinstance(diff, list) else [diff]
    for item in items:
        for part in item:
            table = getattr(part, "table", None)
            name = getattr(table, "name", None) or getattr(part, "name", None)
            if name in TABLES or (isinstance(part, str) and part in TABLES):
                return True
    return False


def test_the_migrated_schema_matches_the_models_for_the_rule_pack_tables(app):
    with db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert TABLES <= set(db.inspect(db.engine).get_table_names())
    assert [d for d in diffs if _touches_our_tables(d)] == []
