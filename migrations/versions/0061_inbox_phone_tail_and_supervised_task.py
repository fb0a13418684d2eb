"""inbox: the evaluator phone's last four digits (search without the number), the late task a 督办 names

Revision ID: 0061
Revises: 0050
"""

import sqlalchemy as sa
from alembic import op

revision = "0061"
down_revision = "0050"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evaluator_phone_tail", sa.String(length=4), nullable=True))
        batch_op.create_index(batch_op.f("ix_evaluations_evaluator_phone_tail"), ["evaluator_phone_tail"], unique=False)
    with op.batch_alter_table("human_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supervised_task_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_human_tasks_supervised_task_id"), ["supervised_task_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_human_tasks_supervised_task_id_human_tasks"), "human_tasks", ["supervised_task_id"], ["id"]
        )
    _backfill_phone_tails()


def _backfill_phone_tails() -> None:
    """Keep the last four digits of every stored phone (the full number stays where it already was)."""
    bind = op.get_bind()
    evaluations = sa.table(
        "evaluations", sa.column("id", sa.Integer), sa.column("evaluator_phone"), sa.column("evaluator_phone_tail")
    )
    rows = bind.execute(sa.select(evaluations.c.id, evaluations.c.evaluator_phone)).all()
    for ident, phone in rows:
        digits = "".join(c for c in (phone or "") if c.isascii() and c.isdigit())
        if len(digits) >= 4:
            bind.execute(evaluations.update().where(evaluations.c.id == ident).values(evaluator_phone_tail=digits[-4:]))


def downgrade() -> None:
    with op.batch_alter_table("human_tasks", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_human_tasks_supervised_task_id_human_tasks"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_human_tasks_supervised_task_id"))
        batch_op.drop_column("supervised_task_id")
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluations_evaluator_phone_tail"))
        batch_op.drop_column("evaluator_phone_tail")
