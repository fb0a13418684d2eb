"""rating flags: indexes for the burst rules' counts, so a new rating's checks read an index range, not the table

- phone bursts: region_id, evaluator_phone, received_at;
- device bursts: region_id, device_key, received_at;
- praise bursts around a window: org_id, level, received_at.

Revision ID: 0096
Revises: 0090
"""

from alembic import op

revision = "0096"
down_revision = "0090"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.create_index("ix_evaluations_phone_received", ["region_id", "evaluator_phone", "received_at"])
        batch_op.create_index("ix_evaluations_device_received", ["region_id", "device_key", "received_at"])
        batch_op.create_index("ix_evaluations_org_level_received", ["org_id", "level", "received_at"])


def downgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluations_org_level_received")
        batch_op.drop_index("ix_evaluations_device_received")
        batch_op.drop_index("ix_evaluations_phone_received")
