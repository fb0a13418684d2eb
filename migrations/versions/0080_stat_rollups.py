"""statistics: rollup counters per region, day, dimension, key and unit (casemgmt/models/stats.py)

Revision ID: 0080
Revises: 0050
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0080"
down_revision = "0070"
branch_labels = None
depends_on = None

#: frozen here on purpose: casemgmt.models.stats.COUNTER_COLUMNS
COUNTERS = (
    "evaluations",
    "good",
    "basic",
    "bad",
    "revoked",
    "defaulted",
    "unrated",
    "scored",
    "score_sum",
    "real_name_bad",
    "called_back",
    "callback_timely",
    "closed",
    "closed_on_time",
    "satisfied_after",
)


def upgrade() -> None:
    op.create_table(
        "stat_rollups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dim", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), server_default="0", nullable=False) for name in COUNTERS),
        sa.ForeignKeyConstraint(["org_id"], ["organizations.id"], name=op.f("fk_stat_rollups_org_id_organizations")),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_stat_rollups_region_id_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stat_rollups")),
        sa.UniqueConstraint(
            "region_id", "dim", "key", "org_id", "day", name=op.f("uq_stat_rollups_region_id")
        ),
    )
    op.create_index("ix_stat_rollups_region_dim_day", "stat_rollups", ["region_id", "dim", "day"], unique=False)


    op.create_table(
        "stat_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=256), nullable=False),
        sa.Column("figures", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("xlsx", sa.LargeBinary(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("xlsx_sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint("kind IN ('notice', 'quarterly', 'annual')", name=op.f("ck_stat_reports_kind")),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_stat_reports_region_id_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stat_reports")),
    )
    op.create_index("ix_stat_reports_region_published", "stat_reports", ["region_id", "published_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_stat_reports_region_published", table_name="stat_reports")
    op.drop_table("stat_reports")
    op.drop_index("ix_stat_rollups_region_dim_day", table_name="stat_rollups")
    op.drop_table("stat_rollups")
