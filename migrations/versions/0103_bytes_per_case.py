"""bytes per open case: audit hashes as 32 bytes on PostgreSQL, indexes no query uses dropped, indexes of
mostly-NULL columns made partial

- audit_events.prev_hash, audit_events.hash, audit_chain_heads.hash: on PostgreSQL the SHA-256 digests are stored
  as their 32 bytes (bytea, 33 bytes a value) instead of 64-character hex text (65 bytes). Every existing value
  is converted exactly (decode(hash, 'hex'), back with encode(hash, 'hex')); the application still sees the same
  lowercase hex text (models.types.HexDigest), so what is hashed, compared, signed and shown is unchanged. The
  upgrade refuses to run if any stored value is not 64 lowercase hex characters (it would not convert back to
  the same text). SQLite keeps the text.
- ix_outbox_messages_sent_at: no query filters or orders on outbox_messages.sent_at (dropped);
- ix_audit_events_region_id, ix_audit_chain_heads_region_id: only audit.all_chains(region) filters on them, a
  verification that reads every event of the region anyway (dropped);
- ix_evaluations_flag_status, ix_human_tasks_supervised_task_id, ix_human_tasks_done_by: only rows with a value
  in the (first) column are indexed (WHERE ... IS NOT NULL); every query on them asks for a value (flag_status =
  pending; the foreign key's checks; the done view's completed_by_id = user), which the planner proves implies
  the predicate.
- stat_rollups, PostgreSQL: fillfactor 35. Its few live rows (one per region, dimension, key, unit and day) are
  updated by every rating; at the default fillfactor their old versions spread over new pages (the bench: 5 live
  rows, 2,317 dead ones, 41 pages, 240 bytes per open case); with room kept free on each page the updates stay
  HOT and are pruned in place (1 page). The cost: a past day's rows, never updated again, take about 1/0.35 of
  the pages they would. Existing pages are not rewritten.

Downgrade restores the indexes, the text hashes and the default fillfactor as they were.

Revision ID: 0103
Revises: 0097
"""

import sqlalchemy as sa
from alembic import op

revision = "0103"
down_revision = "0097"
branch_labels = None
depends_on = None

PARTIAL = (
    ("evaluations", "ix_evaluations_flag_status", ["flag_status"]),
    ("human_tasks", "ix_human_tasks_supervised_task_id", ["supervised_task_id"]),
    ("human_tasks", "ix_human_tasks_done_by", ["completed_by_id", "status", "completed_at", "id"]),
)


HASHES = (("audit_events", "prev_hash"), ("audit_events", "hash"), ("audit_chain_heads", "hash"))


def _hashes_to_bytes() -> None:
    for table, column in HASHES:
        bad = op.get_bind().scalar(sa.text(f"SELECT count(*) FROM {table} WHERE {column} !~ '^[0-9a-f]{{64}}$'"))
        if bad:
            raise RuntimeError(f"{table}.{column}: {bad} values are not 64 lowercase hex characters; not converted")
    for table, column in HASHES:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE bytea USING decode({column}, 'hex')")


def _hashes_to_text() -> None:
    for table, column in HASHES:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE varchar(64) USING encode({column}, 'hex')")


#: stat_rollups' fillfactor on PostgreSQL: 50 was not enough in the bench (221 KB), 35 and 25 kept it at one page
ROLLUP_FILLFACTOR = 35


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _hashes_to_bytes()
        op.execute(f"ALTER TABLE stat_rollups SET (fillfactor = {ROLLUP_FILLFACTOR})")
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.drop_index("ix_outbox_messages_sent_at")
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.drop_index("ix_audit_events_region_id")
    with op.batch_alter_table("audit_chain_heads") as batch_op:
        batch_op.drop_index("ix_audit_chain_heads_region_id")
    for table, name, columns in PARTIAL:
        where = sa.text(f"{columns[0]} IS NOT NULL")
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns, postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    for table, name, columns in PARTIAL:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns)
    with op.batch_alter_table("audit_chain_heads") as batch_op:
        batch_op.create_index("ix_audit_chain_heads_region_id", ["region_id"])
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.create_index("ix_audit_events_region_id", ["region_id"])
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.create_index("ix_outbox_messages_sent_at", ["sent_at"])
    if op.get_bind().dialect.name == "postgresql":
        _hashes_to_text()
        op.execute("ALTER TABLE stat_rollups RESET (fillfactor)")
