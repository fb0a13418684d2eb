"""Migration 0104: the device-burst index of evaluations and the case index of audit events hold only the rows with
a value (channel ratings and evaluation events add no entry); a downgrade restores the full indexes; the queries
on them still read them."""

from __future__ import annotations

from sqlalchemy import text

from casemgmt.db import db
from tests.casemgmt.test_migration_0103 import assert_partial_round_trip

PARTIAL = {
    "ix_evaluations_device_received": (
        "evaluations",
        ["region_id", "device_key", "received_at"],
        "device_key IS NOT NULL",
    ),
    "ix_audit_events_case_id": ("audit_events", ["case_id"], "case_id IS NOT NULL"),
}


def test_0104_makes_two_indexes_partial_and_downgrades_to_the_full_ones(api) -> None:
    api.bad_review()
    assert_partial_round_trip("0103", PARTIAL)


#: the device rules' count and a case's events, as prepared statements planned for any value (a generic plan)
QUERIES = {
    "ix_evaluations_device_received": "SELECT count(id) FROM evaluations WHERE region_id = $1 AND device_key = $2"
    " AND received_at > $3::timestamptz",
    "ix_audit_events_case_id": "SELECT id FROM audit_events WHERE case_id = $1 AND kind = $2",
}
PARAMS = {
    "ix_evaluations_device_received": "(1, 'k', '2025-01-01T00:00:00Z')",
    "ix_audit_events_case_id": "(1, 'operation')",
}


def test_the_queries_on_the_partial_indexes_still_read_them_for_any_value(api) -> None:
    if db.engine.dialect.name != "postgresql":
        return
    api.bad_review()
    with db.engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        conn.execute(text("SET plan_cache_mode = force_generic_plan"))
        for n, (name, sql) in enumerate(QUERIES.items()):
            conn.exec_driver_sql(f"PREPARE q{n} AS {sql}")
            plan = "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN EXECUTE q{n}{PARAMS[name]}"))
            assert name in plan, plan
