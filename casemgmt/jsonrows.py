"""Rows as one JSON document for PostgreSQL's jsonb_to_recordset: each column's record type, how its value is read
back, and how a value JSON does not carry is written. Shared by the bulk inserts (casemgmt.bulk) and the held
writes (casemgmt.writes), which each send rows that way."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy.dialects import postgresql

from casemgmt.models.types import HexDigest

PG = postgresql.dialect()


def pg_type(table: Table, column: str) -> str:
    kind = table.c[column].type
    if isinstance(kind, JSON):
        return "jsonb"
    if isinstance(kind, HexDigest):
        return "text"
    return str(kind.dialect_impl(PG).compile(dialect=PG)).lower()


def pg_value(table: Table, column: str) -> str:
    """The column's value as read from the JSON rows: a hex digest's text decoded to its bytes (bytea)."""
    if isinstance(table.c[column].type, HexDigest):
        return f"decode(\"{column}\", 'hex')"
    return f'"{column}"'


def select_rows(table: Table, columns: list[str], param: str, alias: str) -> str:
    """`SELECT <the columns' values> FROM jsonb_to_recordset(:param) AS alias(<their record types>)`: the rows of
    the JSON document bound as `param`, each column as the table stores it."""
    record = ", ".join(f'"{c}" {pg_type(table, c)}' for c in columns)
    values = ", ".join(pg_value(table, c) for c in columns)
    return f"SELECT {values} FROM jsonb_to_recordset(CAST(:{param} AS jsonb)) AS {alias}({record})"


class Encoded(str):
    """A JSON value's text already written (an audit event's canonical payload): a bulk COPY sends it as it is."""


def json_value(value: Any) -> Any:
    """A column value JSON does not carry as is: an instant as ISO text with its offset (read back as timestamptz)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime refused; pass an aware instant")
        return value.isoformat()
    raise TypeError(f"cannot bind {type(value).__name__} in a bulk insert")


#: rows or a value as JSON text, instants as ISO text with their offset (json.dumps with these arguments, whose
#: encoder is built once here rather than on every call)
dumps = json.JSONEncoder(ensure_ascii=False, default=json_value).encode
