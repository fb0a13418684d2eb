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
    _backfill_supervised_tasks()


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


def _backfill_supervised_tasks() -> None:
    """Link each 督办 opened before this revision to its late task: the timer sweep that opened the 督办 stamped
    the late task of the same instance overdue at the same instant (escalated_at = the 督办's created_at).
    A 督办 with no such task, or with several, stays unlinked (its page then shows no late task)."""
    bind = op.get_bind()
    tasks = sa.table(
        "human_tasks",
        sa.column("id", sa.Integer),
        sa.column("instance_id", sa.Integer),
        sa.column("form_key", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("escalated_at", sa.DateTime(timezone=True)),
        sa.column("supervised_task_id", sa.Integer),
    )
    late = tasks.alias("late")
    pairs = bind.execute(
        sa.select(tasks.c.id, late.c.id)
        .join(late, sa.and_(late.c.instance_id == tasks.c.instance_id, late.c.escalated_at == tasks.c.created_at))
        .where(tasks.c.form_key == "supervision", late.c.form_key != "supervision", late.c.id != tasks.c.id)
    ).all()
    found: dict[int, list[int]] = {}
    for supervision, task in pairs:
        found.setdefault(supervision, []).append(task)
    for supervision, candidates in found.items():
        if len(candidates) == 1:
            bind.execute(tasks.update().where(tasks.c.id == supervision).values(supervised_task_id=candidates[0]))


def downgrade() -> None:
    with op.batch_alter_table("human_tasks", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_human_tasks_supervised_task_id_human_tasks"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_human_tasks_supervised_task_id"))
        batch_op.drop_column("supervised_task_id")
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluations_evaluator_phone_tail"))
        batch_op.drop_column("evaluator_phone_tail")
