"""province: directory flags (units and items deactivated, not deleted; staff phones), the delivering outbox, heartbeats

Revision ID: 0050
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0050"
down_revision = "0020"
branch_labels = None
depends_on = None

#: frozen here on purpose: casemgmt.models.OutboxState builds the same constraint
OUTBOX_STATES = ("queued", "sending", "sent", "failed", "dead")


def upgrade() -> None:
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_outbox_paused", sa.Boolean(), server_default="0", nullable=False))
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_active", sa.Boolean(), server_default="1", nullable=False))
    with op.batch_alter_table("service_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owning_org_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("is_active", sa.Boolean(), server_default="1", nullable=False))
        batch_op.create_foreign_key(
            batch_op.f("fk_service_items_owning_org_id_organizations"), "organizations", ["owning_org_id"], ["id"]
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=32), nullable=True))
    _outbox_columns()
    op.create_table(
        "worker_heartbeats",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_heartbeats")),
    )


def _outbox_columns() -> None:
    listed = ", ".join(f"'{value}'" for value in OUTBOX_STATES)
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state", sa.String(length=16), server_default="queued", nullable=False))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("region_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("kind", sa.String(length=32), server_default="notice", nullable=False))
        batch_op.create_foreign_key(batch_op.f("fk_outbox_messages_region_id_regions"), "regions", ["region_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_outbox_messages_region_id"), ["region_id"], unique=False)
        batch_op.create_index("ix_outbox_messages_state_next", ["state", "next_attempt_at"], unique=False)
        batch_op.create_check_constraint(op.f("ck_outbox_messages_state"), f"state IN ({listed})")
    # messages marked sent before the relay existed stay sent; the others get their case's region
    op.execute("UPDATE outbox_messages SET state = 'sent' WHERE sent_at IS NOT NULL")
    op.execute(
        "UPDATE outbox_messages SET region_id = (SELECT cases.region_id FROM cases WHERE cases.id = outbox_messages.case_id)"
    )


def downgrade() -> None:
    op.drop_table("worker_heartbeats")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_outbox_messages_state"), type_="check")
        batch_op.drop_index("ix_outbox_messages_state_next")
        batch_op.drop_index(batch_op.f("ix_outbox_messages_region_id"))
        batch_op.drop_constraint(batch_op.f("fk_outbox_messages_region_id_regions"), type_="foreignkey")
        for column in ("kind", "region_id", "last_error", "claimed_until", "claimed_by", "next_attempt_at"):
            batch_op.drop_column(column)
        batch_op.drop_column("attempts")
        batch_op.drop_column("state")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("phone")
    with op.batch_alter_table("service_items", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_service_items_owning_org_id_organizations"), type_="foreignkey")
        batch_op.drop_column("is_active")
        batch_op.drop_column("owning_org_id")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("is_active")
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.drop_column("is_outbox_paused")
