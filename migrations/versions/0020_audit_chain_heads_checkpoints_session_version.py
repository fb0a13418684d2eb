"""audit chain heads and signed checkpoints; users.session_version

Revision ID: 0020
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0020"
down_revision = "0004"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "audit_chain_heads",
        sa.Column("chain", sa.String(length=48), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name="fk_audit_chain_heads_region_id_regions"),
        sa.PrimaryKeyConstraint("chain", name="pk_audit_chain_heads"),
    )
    with op.batch_alter_table("audit_chain_heads", schema=None) as batch_op:
        batch_op.create_index("ix_audit_chain_heads_region_id", ["region_id"], unique=False)
    # every existing chain's head is its last event
    op.execute(
        "INSERT INTO audit_chain_heads (chain, region_id, seq, hash) "
        "SELECT e.chain, e.region_id, e.seq, e.hash FROM audit_events e "
        "JOIN (SELECT chain, MAX(seq) AS last FROM audit_events GROUP BY chain) t "
        "ON e.chain = t.chain AND e.seq = t.last"
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heads", JSON, nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_checkpoints"),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_version")
    op.drop_table("audit_checkpoints")
    with op.batch_alter_table("audit_chain_heads", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_chain_heads_region_id")
    op.drop_table("audit_chain_heads")
