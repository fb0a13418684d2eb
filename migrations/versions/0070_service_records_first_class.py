"""evaluator's side: one rating per record and evaluator, follow-ups, group ratings, overdue services, rating links

Revision ID: 0070
Revises: 0050
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0070"
down_revision = "0095"
branch_labels = None
depends_on = None

#: frozen here on purpose: casemgmt.models.FlagStatus builds the same constraint
FLAG_STATUSES = ("pending", "upheld", "dismissed")

def upgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evaluator_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("follow_up_of_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("group_no", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("device_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("consent_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("pii_erased_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("flags", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=True))
        batch_op.add_column(sa.Column("sub_ratings", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=True))
        batch_op.add_column(sa.Column("flag_status", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("flag_decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("flag_decided_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("flag_note", sa.Text(), nullable=True))
        listed = ", ".join(f"'{value}'" for value in FLAG_STATUSES)
        batch_op.create_check_constraint(op.f("ck_evaluations_flag_status"), f"flag_status IN ({listed})")
        batch_op.create_index(batch_op.f("ix_evaluations_flag_status"), ["flag_status"])
        batch_op.create_foreign_key(
            batch_op.f("fk_evaluations_follow_up_of_id_evaluations"), "evaluations", ["follow_up_of_id"], ["id"]
        )
        batch_op.create_index("ix_evaluations_record_evaluator", ["region_id", "record_no", "evaluator_key"])
    with op.batch_alter_table("service_records", schema=None) as batch_op:
        batch_op.alter_column("completed_at", existing_type=sa.DateTime(timezone=True), nullable=True)
        batch_op.add_column(sa.Column("promised_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("group_no", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("group_kind", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("is_lead", sa.Boolean(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("link_nonce", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("link_issued_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_service_records_group", ["region_id", "group_no"])


def downgrade() -> None:
    with op.batch_alter_table("service_records", schema=None) as batch_op:
        batch_op.drop_index("ix_service_records_group")
        batch_op.drop_column("link_issued_at")
        batch_op.drop_column("link_nonce")
        batch_op.drop_column("is_lead")
        batch_op.drop_column("group_kind")
        batch_op.drop_column("group_no")
        batch_op.drop_column("promised_at")
        batch_op.alter_column("completed_at", existing_type=sa.DateTime(timezone=True), nullable=False)
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluations_record_evaluator")
        batch_op.drop_index(batch_op.f("ix_evaluations_flag_status"))
        batch_op.drop_constraint(op.f("ck_evaluations_flag_status"), type_="check")
        for name in ("flag_note", "flag_decided_by", "flag_decided_at", "flag_status", "flags", "sub_ratings", "pii_erased_at"):
            batch_op.drop_column(name)
        batch_op.drop_constraint(batch_op.f("fk_evaluations_follow_up_of_id_evaluations"), type_="foreignkey")
        batch_op.drop_column("consent_text")
        batch_op.drop_column("device_key")
        batch_op.drop_column("group_no")
        batch_op.drop_column("follow_up_of_id")
        batch_op.drop_column("evaluator_key")
