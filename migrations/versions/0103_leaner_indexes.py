"""bytes per open case: indexes no query uses dropped, indexes of mostly-NULL columns made partial

- ix_outbox_messages_sent_at: no query filters or orders on outbox_messages.sent_at (dropped);
- ix_audit_events_region_id: only audit.all_chains(region) filters on it, a verification that reads every event of
  the region anyway (dropped);
- ix_evaluations_flag_status, ix_human_tasks_supervised_task_id: only rows with a value are indexed (WHERE ... IS
  NOT NULL); every query on them asks for a value (flag_status = pending; the foreign key's checks), which the
  planner proves implies the predicate.

Downgrade restores the indexes as they were.

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
    ("evaluations", "ix_evaluations_flag_status", "flag_status"),
    ("human_tasks", "ix_human_tasks_supervised_task_id", "supervised_task_id"),
)


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.drop_index("ix_outbox_messages_sent_at")
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.drop_index("ix_audit_events_region_id")
    for table, name, column in PARTIAL:
        where = sa.text(f"{column} IS NOT NULL")
        op.drop_index(name, table_name=table)
        op.create_index(name, table, [column], postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    for table, name, column in PARTIAL:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, [column])
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.create_index("ix_audit_events_region_id", ["region_id"])
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.create_index("ix_outbox_messages_sent_at", ["sent_at"])
