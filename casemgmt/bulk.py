"""Many rows in one statement, for the bulk paths (intake/batch.py, audit/batch.py).

PostgreSQL: `COPY table (columns) FROM STDIN`, each value bound as the column's type binds it (a hex digest as
its bytes, an instant in UTC, JSON as its text, read as jsonb); with `on_conflict_nothing`, which COPY cannot do,
`INSERT ... SELECT ... FROM jsonb_to_recordset(:rows)`, the rows as one JSON parameter, so the statement text
stays short and constant (a multi-row VALUES of 1,000 rows is a new 25,000-parameter text each time, parsed on
every call). A None is SQL NULL either way. COPY takes 1,000 evaluations in about 25 ms where the JSON rows took
about 42 ms (PostgreSQL 15, this machine), and less Python. SQLite: the driver's executemany. Either way the
rows go through the session's connection, in the caller's transaction; the ORM's pending changes and the held
writes (casemgmt.writes) go first, as before any other statement.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import JSON, ColumnElement, Table, Text, any_, bindparam, cast, func, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.types import TypeDecorator

from casemgmt import jsonrows, writes
from casemgmt.db import db

_SQL_CACHE: dict[tuple, str] = {}


def is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


#: the unit separator, between the values of a `matches` array sent as one text (no stored text holds it:
#: inputs.BAD_CHARACTERS; a value that does is sent in an array)
_SEPARATOR = "\x1f"


def matches(column, values: Sequence) -> ColumnElement[bool]:  # noqa: ANN001 - any column expression
    """`column = ANY(:array)` on PostgreSQL (one parameter, a constant statement text), `IN (...)` elsewhere.

    Strings or integers go as one text, their values joined by the unit separator, that PostgreSQL splits
    (`string_to_array`, cast to the column's type): the driver writes a 1,000-element array value by value in
    Python (~1.1 ms), and PostgreSQL reads it back element by element; the joined text costs microseconds and
    the statement ~0.2 ms where the array's took ~1.5 ms. Planned for its values (planned_with_values), the split
    is a constant array, looked up in a hash as the array was.
    """
    values = list(values)
    if not is_postgresql():
        return column.in_(values)
    joined = _joined(values)
    if joined is None:
        return column == any_(bindparam(None, values, type_=postgresql.ARRAY(column.type)))
    split = func.string_to_array(bindparam(None, joined, type_=Text), _SEPARATOR)
    return column == any_(cast(split, postgresql.ARRAY(column.type)))


def _joined(values: list) -> str | None:
    """The values joined by the separator, or None when that would not split back into them."""
    if all(type(v) is str for v in values):
        texts = values
    elif all(type(v) is int for v in values):
        texts = [str(v) for v in values]
    else:
        return None
    joined = _SEPARATOR.join(texts)
    # a separator inside a value splits it; one empty value splits into no value at all
    if joined.count(_SEPARATOR) != max(len(texts) - 1, 0) or texts == [""]:
        return None
    return joined


@contextmanager
def planned_with_values() -> Iterator[None]:
    """Have PostgreSQL plan each statement run inside for its parameters' values: the bulk intake's reads by
    `matches`.

    psycopg prepares a statement run five times, and PostgreSQL may then plan it once for any parameters. Such a
    plan of `column = ANY(:array)` compares each row with every element of the array (only a constant array is
    looked up in a hash), and before a table is first analyzed it filters the region's every row that way: from
    the eleventh 1,000-item batch the three reads by external id, record and phone took ~140 to ~500 ms each
    (16,000 evaluations), where planned for the values they take ~2 ms. Planning a statement takes ~0.3 ms.

    Inside, psycopg prepares nothing (prepare_threshold None): each statement goes unnamed, and PostgreSQL plans an
    unnamed statement for the values bound to it, every time. Only these reads: the transaction once ran under
    SET LOCAL plan_cache_mode = force_custom_plan, and then the foreign keys' checks of every row the batch
    inserted (prepared statements of PostgreSQL's own) were planned again for each row, a third of PostgreSQL's
    time in a 1,000-item batch of good evaluations (about 23 of 73 ms).
    """
    if not is_postgresql():
        yield
        return
    driver = db.session.connection().connection.driver_connection
    before = driver.prepare_threshold  # type: ignore[union-attr]
    driver.prepare_threshold = None  # type: ignore[union-attr]
    try:
        yield
    finally:
        driver.prepare_threshold = before  # type: ignore[union-attr]


def next_ids(table: Table, n: int) -> list[int]:
    """Reserve n ids of the table's serial primary key (PostgreSQL), so rows and their references are built first."""
    # the sequence looked up once, not for each id
    stmt = text(
        "SELECT nextval(s.seq) FROM (SELECT pg_get_serial_sequence(:table, 'id')::regclass AS seq) s,"
        " generate_series(1, :n)"
    )
    return list(db.session.scalars(stmt, {"table": table.name, "n": n}))


def next_id_column(table: Table) -> ColumnElement:
    """The next id of the table's serial primary key (PostgreSQL) as a column of a statement that reads other
    things too (one id reserved per row it returns), for hold_ids."""
    return func.nextval(func.pg_get_serial_sequence(table.name, "id"))


#: ids reserved from tables' sequences ahead of their rows, by table name (session.info)
_RESERVED = "zhenggai_reserved_ids"


def hold_ids(table: Table, ids: Iterable[int]) -> None:
    """Keep ids reserved from the table's sequence (next_ids, or read along with other values) for the rows this
    transaction builds next; give_held_id hands them out in order."""
    db.session.info.setdefault(_RESERVED, {}).setdefault(table.name, []).extend(ids)


def give_held_id(row: Any) -> bool:
    """Give a new ORM row the next id held for its table (hold_ids); False when none is held (its row takes one
    when it is inserted)."""
    held = db.session.info.get(_RESERVED, {}).get(type(row).__table__.name)
    if not held:
        return False
    row.id = held.pop(0)
    return True


def drop_ids(*tables: Table) -> None:
    """Forget the ids still held for the tables: a gap in their sequences, as a rolled-back insert leaves."""
    held = db.session.info.get(_RESERVED, {})
    for table in tables:
        held.pop(table.name, None)


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
    if not on_conflict_nothing:
        _copy(table, columns, rows)
        return
    key = (table.name, tuple(columns), tuple(on_conflict_nothing))
    sql = _SQL_CACHE.get(key)
    if sql is None:
        names = ", ".join(f'"{c}"' for c in columns)
        sql = f"INSERT INTO {table.name} ({names}) {jsonrows.select_rows(table, columns, 'rows', 't')}"
        if on_conflict_nothing:
            sql += f" ON CONFLICT ({', '.join(on_conflict_nothing)}) DO NOTHING"
        _SQL_CACHE[key] = sql
    db.session.execute(text(sql), {"rows": jsonrows.dumps(rows)})


def _copy(table: Table, columns: list[str], rows: list[dict]) -> None:
    """COPY the rows in (PostgreSQL), the statement seen by the engine's cursor listeners as any other is."""
    session = db.session()
    session.flush()
    writes.flush(session)
    binders = [(i, bind) for i, bind in enumerate(_binder(table.c[column].type) for column in columns) if bind]
    names = ", ".join(f'"{c}"' for c in columns)
    sql = f"COPY {table.name} ({names}) FROM STDIN"
    connection = session.connection()
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    for listener in connection.dispatch.before_cursor_execute:
        listener(connection, cursor, sql, (), None, False)
    with cursor.copy(sql) as copy:
        for row in rows:
            values = [row[column] for column in columns]
            for i, bind in binders:
                if values[i] is not None:
                    values[i] = bind(values[i])
            copy.write_row(values)
    for listener in connection.dispatch.after_cursor_execute:
        listener(connection, cursor, sql, (), None, False)


def _binder(kind: Any) -> Any:
    """What turns a column's value (not None: that is NULL) into the value COPY sends, as the column's type binds
    it; None when the driver sends it as it is."""
    if isinstance(kind, JSON):
        return _jsonb
    if isinstance(kind, TypeDecorator):
        return lambda value: kind.process_bind_param(value, jsonrows.PG)
    return None


def _jsonb(value: Any) -> str:
    """JSON as its text: in COPY's text format a jsonb column reads text as jsonb_in does, the same bytes the
    driver's Jsonb wrapper would send, without a wrapper and a dumper looked up for each value. A text already
    written (jsonrows.Encoded) goes as it is."""
    return value if type(value) is jsonrows.Encoded else jsonrows.dumps(value)
