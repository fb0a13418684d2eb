"""statistics: rollup counters per region, day, dimension, key and unit (casemgmt/models/stats.py)

Revision ID: 0080
Revises: 0050
"""

import sqlalchemy as sa
from alembic import op

revision = "0080"
down_revision = "0050"
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


def downgrade() -> None:
    op.drop_index("ix_stat_rollups_region_dim_day", table_name="stat_rollups")
    op.drop_table("stat_rollups")
