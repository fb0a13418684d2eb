"""region rule packs tables: callbacks, ledger and notes, extensions, appeals, consultations, transfers,
service records awaiting an evaluation

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
INSTANT = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}")


def _case_columns(table: str) -> list:
    """The columns and keys every per-case record shares."""
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        _fk(table, "case_id", "cases"),
        _fk(table, "region_id", "regions"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def _index_case(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(f"ix_{table}_case_id", ["case_id"], unique=False)


def upgrade() -> None:
    op.create_table(
        "callback_attempts",
        *_case_columns("callback_attempts"),
        sa.Column("attempt_no", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("attempted_at", INSTANT, nullable=False),
        sa.Column("recorded_at", INSTANT, nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
    )
    _index_case("callback_attempts")

    op.create_table(
        "ledger_entries",
        *_case_columns("ledger_entries"),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("task_element", sa.String(length=128), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("due_at", INSTANT, nullable=True),
        sa.Column("extended_workdays", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", INSTANT, nullable=False),
        sa.Column("closed_at", INSTANT, nullable=True),
        sa.Column("closure", JSON, nullable=True),
        _fk("ledger_entries", "org_id", "organizations"),
        _fk("ledger_entries", "task_id", "human_tasks"),
    )
    _index_case("ledger_entries")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_entries_region_status_due", ["region_id", "status", "due_at"], unique=False)

    op.create_table(
        "ledger_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        _fk("ledger_notes", "entry_id", "ledger_entries"),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_notes"),
    )
    with op.batch_alter_table("ledger_notes", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_notes_entry_id", ["entry_id"], unique=False)

    op.create_table(
        "extension_requests",
        *_case_columns("extension_requests"),
        sa.Column("task_element", sa.String(length=128), nullable=False),
        sa.Column("workdays", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", INSTANT, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", INSTANT, nullable=True),
        sa.Column("opinion", sa.Text(), nullable=True),
        sa.Column("old_due_date", sa.Date(), nullable=True),
        sa.Column("new_due_date", sa.Date(), nullable=True),
        sa.Column("new_due_at", INSTANT, nullable=True),
    )
    _index_case("extension_requests")

    op.create_table(
        "appeals",
        *_case_columns("appeals"),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", JSON, nullable=False),
        sa.Column("filed_by", sa.String(length=64), nullable=False),
        sa.Column("filed_at", INSTANT, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ruled_by", sa.String(length=64), nullable=True),
        sa.Column("ruled_at", INSTANT, nullable=True),
        sa.Column("ruling", sa.Text(), nullable=True),
    )
    _index_case("appeals")

    op.create_table(
        "consultations",
        *_case_columns("consultations"),
        sa.Column("orgs", JSON, nullable=False),
        sa.Column("convened_by", sa.String(length=64), nullable=False),
        sa.Column("convened_at", INSTANT, nullable=False),
        sa.Column("replies", JSON, nullable=False),
        sa.Column("merged_at", INSTANT, nullable=True),
    )
    _index_case("consultations")

    op.create_table(
        "transfers",
        *_case_columns("transfers"),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at_steps", JSON, nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", INSTANT, nullable=False),
        sa.Column("sent_at", INSTANT, nullable=True),
    )
    _index_case("transfers")

    op.create_table(
        "service_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("record_no", sa.String(length=64), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("completed_at", INSTANT, nullable=False),
        sa.Column("evaluator_phone", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reminded_at", INSTANT, nullable=True),
        sa.Column("settled_at", INSTANT, nullable=True),
        sa.Column("evaluation_id", sa.Integer(), nullable=True),
        sa.Column("registered_at", INSTANT, nullable=False),
        _fk("service_records", "region_id", "regions"),
        _fk("service_records", "org_id", "organizations"),
        _fk("service_records", "evaluation_id", "evaluations"),
        sa.PrimaryKeyConstraint("id", name="pk_service_records"),
        sa.UniqueConstraint("region_id", "record_no", name="uq_service_records_region_id"),
    )
    with op.batch_alter_table("service_records", schema=None) as batch_op:
        batch_op.create_index("ix_service_records_status_completed", ["status", "completed_at"], unique=False)


def downgrade() -> None:
    for table in ("service_records", "transfers", "consultations", "appeals", "extension_requests",
                  "ledger_notes", "ledger_entries", "callback_attempts"):
        op.drop_table(table)
