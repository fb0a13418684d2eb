"""cases.callback_attempts: the number of callback attempts a case has recorded, so that the next attempt's number
is read with the case's row (locked by the action that records it) instead of counted

A completion that records an attempt reads the case's row under its lock anyway (lock_task): PostgreSQL returns
that row's latest committed version even after waiting, where a count of attempts in the same statement would
see only those committed before the statement started. The column is filled from the attempts stored.

Revision ID: 0108
Revises: 0107
"""

import sqlalchemy as sa
from alembic import op

revision = "0108"
down_revision = "0107"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("callback_attempts", sa.Integer(), nullable=False, server_default=sa.text("0")))
    op.execute(
        "UPDATE cases SET callback_attempts = (SELECT count(*) FROM callback_attempts a WHERE a.case_id = cases.id)"
        " WHERE EXISTS (SELECT 1 FROM callback_attempts a WHERE a.case_id = cases.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("callback_attempts")
