"""indexes only a case's search reads, made partial: ix_evaluations_record_no and
ix_evaluations_evaluator_phone_tail hold only bad reviews (WHERE is_bad)

Their only queries are the case search (case number or record number) and the inbox's text filter (case number,
record number or phone tail), which join cases, and only a bad review opens a case: a good evaluation's entry was
never read (every other query by record number also gives the region, and reads ix_evaluations_record_evaluator).
A good evaluation of the bulk intake no longer adds two index entries.

Downgrade restores the full indexes.

Revision ID: 0107
Revises: 0104
"""

import sqlalchemy as sa
from alembic import op

revision = "0107"
down_revision = "0104"
branch_labels = None
depends_on = None

PARTIAL = (
    ("ix_evaluations_record_no", ["record_no"]),
    ("ix_evaluations_evaluator_phone_tail", ["evaluator_phone_tail"]),
)


def upgrade() -> None:
    where = sa.text("is_bad")
    for name, columns in PARTIAL:
        op.drop_index(name, table_name="evaluations")
        op.create_index(name, "evaluations", columns, postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    for name, columns in PARTIAL:
        op.drop_index(name, table_name="evaluations")
        op.create_index(name, "evaluations", columns)
