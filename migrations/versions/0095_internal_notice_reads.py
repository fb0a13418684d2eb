"""internal notices have a route: the staff's 通知 list (read marks per user); dead internal notices are retried

Revision ID: 0095
Revises: 0050
"""

import sqlalchemy as sa
from alembic import op

revision = "0095"
down_revision = "0061"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice_reads",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["outbox_messages.id"], name=op.f("fk_notice_reads_message_id_outbox_messages")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_notice_reads_user_id_users")),
        sa.PrimaryKeyConstraint("message_id", "user_id", name=op.f("pk_notice_reads")),
    )
    with op.batch_alter_table("notice_reads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_reads_user_id"), ["user_id"], unique=False)
    # internal notices that died in a relay with no route for them: tried again, now into the staff's list
    op.execute(
        "UPDATE outbox_messages SET state = 'queued', attempts = 0, next_attempt_at = NULL "
        "WHERE channel = 'internal' AND state IN ('failed', 'dead')"
    )

def downgrade() -> None:
    with op.batch_alter_table("notice_reads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_reads_user_id"))
    op.drop_table("notice_reads")
