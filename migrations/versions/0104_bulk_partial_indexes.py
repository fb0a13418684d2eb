"""indexes the good evaluations of the bulk intake need not write: ix_evaluations_device_received and
ix_audit_events_case_id made partial

- ix_evaluations_device_received (region_id, device_key, received_at): only ratings given on the rating page
  have a device key; every query on it asks for one (the device burst rule, the page's rate limit:
  device_key = ...), which the planner proves implies device_key IS NOT NULL. A rating from a channel (the API,
  the bulk intake) no longer adds an entry.
- ix_audit_events_case_id: only a case's events have a case id; every query on it asks for one (case_id = ...,
  the foreign key's checks). An evaluation's or region's event no longer adds an entry.

Downgrade restores the full indexes.

Revision ID: 0104
Revises: 0103
"""

import sqlalchemy as sa
from alembic import op

revision = "0104"
down_revision = "0103"
branch_labels = None
depends_on = None

PARTIAL = (
    ("evaluations", "ix_evaluations_device_received", ["region_id", "device_key", "received_at"], "device_key"),
    ("audit_events", "ix_audit_events_case_id", ["case_id"], "case_id"),
)


def upgrade() -> None:
    for table, name, columns, column in PARTIAL:
        where = sa.text(f"{column} IS NOT NULL")
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns, postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    for table, name, columns, _ in PARTIAL:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns)
