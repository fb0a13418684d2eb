"""Many rows in one statement, for the bulk paths (intake/batch.py, audit/batch.py).

PostgreSQL: `INSERT ... SELECT ... FROM jsonb_to_recordset(:rows)`, the rows as one JSON parameter, so the
statement text stays short and constant (psycopg parses and caches it once; a multi-row VALUES of 1,000 rows is
a new 25,000-parameter text each time, parsed on every call, and array parameters are dumped element by element
in Python). A JSON null is SQL NULL there. SQLite: the driver's executemany. Either way the rows go
through the session's connection, in the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ColumnElement, Table, any_, bindparam, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from casemgmt.db import db
from casemgmt.models.types import HexDigest

_PG = postgresql.dialect()
_SQL_CACHE: dict[tuple, str] = {}


def is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def matches(column, values: Sequence) -> ColumnElement[bool]:  # noqa: ANN001 - any column expression
    """`column = ANY(:array)` on PostgreSQL (one parameter, a constant statement text), `IN (...)` elsewhere."""
    if is_postgresql():
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
    return column.in_(list(values))


def next_ids(table: Table, n: int) -> list[int]:
    """Reserve n ids of the table's serial primary key (PostgreSQL), so rows and their references are built first."""
    stmt = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")
    return list(db.session.scalars(stmt, {"table": table.name, "n": n}))


def insert_rows(table: Table, rows: list[dict], *, on_conflict_nothing: Sequence[str] = ()) -> None:
    """Insert rows (each with the same keys, values as the ORM would bind them) with one statement.

    `on_conflict_nothing` names a unique key: rows that collide with it are skipped (ON CONFLICT DO NOTHING).
    """
    if not rows:
        return
    columns = list(rows[0])
    if not is_postgresql():
        stmt = sqlite_insert(table)
        if on_conflict_nothing:
            stmt = stmt.on_conflict_do_nothing(index_elements=list(on_conflict_nothing))
        db.session.execute(stmt, rows)
        return
    key = (table.name, tuple(columns), tuple(on_conflict_nothing))
    sql = _SQL_CACHE.get(key)
    if sql is None:
        names = ", ".join(f'"{c}"' for c in columns)
        record = ", ".join(f'"{c}" {_pg_type(table, c)}' for c in columns)
        values = ", ".join(_pg_value(table, c) for c in columns)
        rows_of = "jsonb_to_recordset(CAST(:rows AS jsonb))"
        sql = f"INSERT INTO {table.name} ({names}) SELECT {values} FROM {rows_of} AS t({record})"
        if on_conflict_nothing:
            sql += f" ON CONFLICT ({', '.join(on_conflict_nothing)}) DO NOTHING"
        _SQL_CACHE[key] = sql
    db.session.execute(text(sql), {"rows": json.dumps(rows, ensure_ascii=False, default=_json_value)})


def _pg_type(table: Table, column: str) -> str:
    kind = table.c[column].type
    if isinstance(kind, JSON):
        return "jsonb"
    if isinstance(kind, HexDigest):
        return "text"
    return str(kind.dialect_impl(_PG).compile(dialect=_PG)).lower()


def _pg_value(table: Table, column: str) -> str:
    """The column's value as read from the JSON rows: a hex digest's text decoded to its bytes (bytea)."""
    if isinstance(table.c[column].type, HexDigest):
        return f"decode(\"{column}\", 'hex')"
    return f'"{column}"'


def _json_value(value: Any) -> Any:
    """A column value JSON does not carry as is: an instant as ISO text with its offset (read back as timestamptz)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime refused; pass an aware instant")
        return value.isoformat()
    raise TypeError(f"cannot bind {type(value).__name__} in a bulk insert")
