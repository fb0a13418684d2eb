"""inbox: indexes led by the filters each view uses, ending in its keyset order (due_at, id)

- my_roles / overdue (an officer's claimable tasks): status, candidate_role, candidate_org_path (a prefix match:
  varchar_pattern_ops on PostgreSQL), due_at, id; it replaces ix_human_tasks_status_role_org, its prefix;
- mine: assignee_id, status, due_at, id; it replaces ix_human_tasks_assignee_status, its prefix;
- done: completed_by_id, status, completed_at, id;
- team (a unit that owns most tasks) keeps ix_human_tasks_region_status_due (region_id, status, due_at, id).

Revision ID: 0090
Revises: 0080
"""

from alembic import op

revision = "0090"
down_revision = "0080"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("human_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_human_tasks_status_role_org")
        batch_op.drop_index("ix_human_tasks_assignee_status")
        batch_op.create_index(
            "ix_human_tasks_role_org_due",
            ["status", "candidate_role", "candidate_org_path", "due_at", "id"],
            unique=False,
            postgresql_ops={"candidate_org_path": "varchar_pattern_ops"},
        )
        batch_op.create_index("ix_human_tasks_assignee_due", ["assignee_id", "status", "due_at", "id"], unique=False)
        batch_op.create_index(
            "ix_human_tasks_done_by", ["completed_by_id", "status", "completed_at", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("human_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_human_tasks_done_by")
        batch_op.drop_index("ix_human_tasks_assignee_due")
        batch_op.drop_index("ix_human_tasks_role_org_due")
        batch_op.create_index("ix_human_tasks_assignee_status", ["assignee_id", "status", "due_at"], unique=False)
        batch_op.create_index(
            "ix_human_tasks_status_role_org",
            ["status", "candidate_role", "candidate_org_path"],
            unique=False,
            postgresql_ops={"candidate_org_path": "varchar_pattern_ops"},
        )
