"""engine state stored as bytes on both databases: zlib with a preset dictionary, format zhenggai/2

process_instances.state becomes a bytea (PostgreSQL) / BLOB (SQLite); every stored state is rewritten: repacked
from zhenggai/1 (casemgmt/engine/serializer.py) and compressed behind the Z2 marker (casemgmt/models/types.py).
Downgrade writes each state back as zhenggai/1 raw JSON text, which the releases before read.

Two indexes another one leads with the same columns are dropped: ix_human_tasks_completed_by (completed_by_id,
status, completed_at: ix_human_tasks_done_by adds id) and ix_evaluations_org_id (ix_evaluations_org_level_received).

Revision ID: 0097
Revises: 0096
"""

import sqlalchemy as sa
from alembic import op

from casemgmt.engine.serializer import to_current_format, to_format_1
from casemgmt.models.types import pack_state, unpack_state

revision = "0097"
down_revision = "0096"
branch_labels = None
depends_on = None

BATCH = 500


def _rewrite(convert) -> None:
    """Rewrite every state, BATCH rows at a time, in id order."""
    conn = op.get_bind()
    table = sa.table("process_instances", sa.column("id", sa.Integer), sa.column("state", sa.LargeBinary))
    last = 0
    while True:
        rows = conn.execute(
            sa.select(table.c.id, sa.cast(table.c.state, sa.LargeBinary))
            .where(table.c.id > last)
            .order_by(table.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        updates = [{"row_id": row_id, "new": convert(value)} for row_id, value in rows]
        stmt = table.update().where(table.c.id == sa.bindparam("row_id")).values(state=sa.bindparam("new"))
        conn.execute(stmt, updates)
        last = rows[-1][0]


def _packed(value) -> bytes:
    text = unpack_state(value) or ""
    return pack_state(to_current_format(text)) if text else b""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE process_instances ALTER COLUMN state TYPE bytea USING convert_to(state, 'UTF8')")
    else:
        with op.batch_alter_table("process_instances") as batch_op:
            batch_op.alter_column("state", type_=sa.LargeBinary(), existing_type=sa.Text(), existing_nullable=False)
    _rewrite(_packed)
    with op.batch_alter_table("human_tasks") as batch_op:
        batch_op.drop_index("ix_human_tasks_completed_by")
    with op.batch_alter_table("evaluations") as batch_op:
        batch_op.drop_index("ix_evaluations_org_id")


def downgrade() -> None:
    with op.batch_alter_table("evaluations") as batch_op:
        batch_op.create_index("ix_evaluations_org_id", ["org_id"])
    with op.batch_alter_table("human_tasks") as batch_op:
        batch_op.create_index("ix_human_tasks_completed_by", ["completed_by_id", "status", "completed_at"])
    _rewrite(lambda value: to_format_1(unpack_state(value) or "").encode("utf-8"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE process_instances ALTER COLUMN state TYPE text USING convert_from(state, 'UTF8')")
    else:
        with op.batch_alter_table("process_instances") as batch_op:
            batch_op.alter_column("state", type_=sa.Text(), existing_type=sa.LargeBinary(), existing_nullable=False)
        op.execute("UPDATE process_instances SET state = CAST(state AS TEXT)")
