"""status check constraints: each status column takes only the values the code writes

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: table -> (column, allowed values), as stored since 0001 and 0003. Frozen here on purpose: the models build
#: the same constraints from their StrEnums (casemgmt/models), and a test holds the two equal.
CHECKS = {
    "cases": ("status", ("open", "closed", "revoked", "cancelled")),
    "human_tasks": ("status", ("open", "completed", "cancelled")),
    "ledger_entries": ("status", ("open", "closed")),
    "extension_requests": ("status", ("pending", "approved", "refused")),
    "appeals": ("status", ("pending", "upheld", "rejected")),
    "service_records": ("status", ("awaiting", "reminded", "rated", "defaulted", "unrated")),
    "callback_attempts": ("result", ("reached", "not_reached", "refused")),
}


def upgrade() -> None:
    # SQLite cannot add a constraint to a table: batch mode copies the table into a new one; PostgreSQL alters it
    for table, (column, values) in CHECKS.items():
        listed = ", ".join(f"'{value}'" for value in values)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(op.f(f"ck_{table}_{column}"), f"{column} IN ({listed})")


def downgrade() -> None:
    for table, (column, _values) in reversed(CHECKS.items()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_{column}"), type_="check")
