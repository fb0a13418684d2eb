"""Writes held until the transaction's end and sent as one statement: audit rows, chain heads, statistics rollups,
a completed task row's update.

A module that appends rows nobody reads back in the same request (casemgmt/audit, casemgmt/stats/rollups)
keeps them in the session (`pending`) and registers a producer that turns them into INSERT statements (or
single-row UPDATEs: a completed task row).
`flush` sends every producer's statements at once: on PostgreSQL as one statement (data-modifying WITH
clauses), on SQLite one after the other. It runs before the commit (after the ORM's own flush, so the rows
these refer to exist), before a savepoint starts or is kept, and before any statement that reads or writes one
of the held tables, so nothing in the transaction sees them missing. Held writes also keep row locks short: a
rollup row every intake adds to is locked from the flush to the commit, not for the whole request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, Text, bindparam, event, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.util import find_tables

from casemgmt import jsonrows
from casemgmt.db import BEFORE_SAVEPOINT, db

_KEY = "zhenggai_pending_writes"
#: statement texts per shape (tables, columns, row counts): SQLAlchemy caches no multi-row VALUES statement, and
#: compiling one costs more than sending it
_TEXTS: dict[tuple, list[TextClause]] = {}
_TEXTS_LIMIT = 1_024
#: a part of at least this many rows goes as one JSON document (PostgreSQL)
_DOCUMENT_ROWS = 64


@dataclass(frozen=True)
class Rows:
    """Rows to insert into one table, each with the same columns; on a conflict on `conflict`, the columns of
    `replace` take the new row's values and those of `add` add them to the stored ones.

    With `key`: no insert but an UPDATE of one stored row, the one whose `key` columns equal the (single) row's;
    its other columns take the row's values."""

    table: Table
    rows: list[dict]
    conflict: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()
    add: tuple[str, ...] = ()
    key: tuple[str, ...] = ()

    def shape(self, document: bool = False) -> tuple:
        """What the statement's text depends on: as one JSON document (`document`), not the number of rows."""
        rows = "document" if document else len(self.rows)
        return (self.table.name, tuple(self.rows[0]), rows, self.conflict, self.replace, self.add, self.key)


@dataclass(frozen=True)
class _Producer:
    name: str
    tables: frozenset[str]
    produce: Callable[[Any], list[Rows]]


_producers: list[_Producer] = []


def register(name: str, tables: Sequence[str], produce: Callable[[Any], list[Rows]]) -> None:
    """Register what turns the pending state `name` into rows to insert."""
    _producers.append(_Producer(name, frozenset(tables), produce))


def pending(name: str, factory: Callable[[], Any], session: Session | None = None) -> Any:
    """Return this transaction's pending state of `name`, created by factory when there is none."""
    held = (session or db.session()).info.setdefault(_KEY, {})
    state = held.get(name)
    if state is None:
        state = held[name] = factory()
    return state


def flush(session: Session | None = None, leading: Sequence[Rows] = ()) -> None:
    """Send the held writes now, after `leading` rows (one statement in all on PostgreSQL)."""
    session = session or db.session()
    parts = [part for part in leading if part.rows]
    if not parts and not session.info.get(_KEY):
        return
    # the rows the held ones refer to (cases, evaluations) go first; a producer's state may change meanwhile
    # (casemgmt.cases.held: a flush with work of its own sends the held new task rows before its own)
    session.flush()
    held = session.info.pop(_KEY, None) or {}
    for producer in _producers:
        state = held.get(producer.name)
        if state:
            parts.extend(part for part in producer.produce(state) if part.rows)
    if not parts:
        return
    dialect = session.get_bind().dialect
    documents = _documents(parts, dialect)
    params: dict[str, Any] = {f"p{n}": text for n, text in documents.items()}
    params.update(
        {
            f"p{n}_{i}_{j}": row[column]
            for n, part in enumerate(parts)
            if n not in documents
            for i, row in enumerate(part.rows)
            for j, column in enumerate(part.rows[0])
        }
    )
    for statement in _statements(parts, dialect, frozenset(documents)):
        session.execute(statement, params)


def _documents(parts: list[Rows], dialect: Dialect) -> dict[int, str]:
    """The parts of many rows sent as one JSON document each (PostgreSQL: jsonb_to_recordset, as bulk.insert_rows
    does; thousands of parameters cost more to bind than one document to read), by their place."""
    if dialect.name != "postgresql":
        return {}
    found = {}
    for n, part in enumerate(parts):
        if len(part.rows) >= _DOCUMENT_ROWS:
            try:
                found[n] = jsonrows.dumps(part.rows)
            except (TypeError, ValueError):
                continue  # a value JSON does not carry as it is: bound one by one
    return found


def _statements(parts: list[Rows], dialect: Dialect, documents: frozenset[int] = frozenset()) -> list[TextClause]:
    key = (dialect.name, tuple(part.shape(n in documents) for n, part in enumerate(parts)))
    found = _TEXTS.get(key)
    if found is None:
        sqls, binds = zip(*(_sql(n, part, dialect, n in documents) for n, part in enumerate(parts)), strict=True)
        if dialect.name == "postgresql":
            ctes = ", ".join(f"w{n} AS ({sql})" for n, sql in enumerate(sqls[:-1]))
            sqls = (f"WITH {ctes} {sqls[-1]}" if ctes else sqls[-1],)
            binds = ([b for group in binds for b in group],)
        found = [text(sql).bindparams(*group) for sql, group in zip(sqls, binds, strict=True)]
        if len(_TEXTS) >= _TEXTS_LIMIT:
            _TEXTS.clear()
        _TEXTS[key] = found
    return found


def _sql(n: int, part: Rows, dialect: Dialect, document: bool = False) -> tuple[str, list]:
    quote = dialect.identifier_preparer.quote
    table, columns = quote(part.table.name), list(part.rows[0])
    if part.key:
        if len(part.rows) != 1 or document:
            raise ValueError("a held update names one row")
        binds = [bindparam(f"p{n}_0_{j}", type_=part.table.c[column].type) for j, column in enumerate(columns)]
        named = {c: f":{b.key}" for c, b in zip(columns, binds, strict=True)}
        assigned = ", ".join(f"{quote(c)} = {named[c]}" for c in columns if c not in part.key)
        where = " AND ".join(f"{quote(c)} = {named[c]}" for c in part.key)
        return f"UPDATE {table} SET {assigned} WHERE {where}", binds
    if document:
        binds = [bindparam(f"p{n}", type_=Text())]
        rows = jsonrows.select_rows(part.table, columns, f"p{n}", f"r{n}")
    else:
        binds = [
            bindparam(f"p{n}_{i}_{j}", type_=part.table.c[column].type)
            for i in range(len(part.rows))
            for j, column in enumerate(columns)
        ]
        width = len(columns)
        tuples = (", ".join(f":{b.key}" for b in binds[i * width : (i + 1) * width]) for i in range(len(part.rows)))
        rows = "VALUES " + ", ".join(f"({t})" for t in tuples)
    sql = f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) {rows}"
    if part.conflict:
        sets = [f"{quote(c)} = excluded.{quote(c)}" for c in part.replace]
        sets += [f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in part.add]
        sql += f" ON CONFLICT ({', '.join(quote(c) for c in part.conflict)}) DO UPDATE SET {', '.join(sets)}"
    return sql, binds


def _held_tables(session: Session) -> frozenset[str]:
    held = session.info.get(_KEY)
    if not held:
        return frozenset()
    return frozenset().union(*(p.tables for p in _producers if held.get(p.name)))


def _touches(statement: Executable, tables: frozenset[str]) -> bool:
    if not isinstance(statement, ClauseElement) or not hasattr(statement, "get_children"):
        return True
    try:
        found = find_tables(statement, include_aliases=True, include_joins=True, include_crud=True)
    except Exception:  # noqa: BLE001 - a statement we cannot inspect: send the held writes first
        return True
    if not found:
        return statement.__class__.__name__ == "TextClause"
    return any(t.name in tables for t in found if hasattr(t, "name"))


@event.listens_for(Session, "do_orm_execute")
def _before_reading(state: ORMExecuteState) -> None:
    """Send the held writes before a statement that reads or writes their tables."""
    tables = _held_tables(state.session)
    if tables and _touches(state.statement, tables):
        flush(state.session)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.info.get(_KEY):
        flush(session)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:  # noqa: ANN001
    """A rollback (of the transaction or a savepoint) drops what was held; a commit had sent it."""
    if transaction.parent is None or transaction.nested:
        session.info.pop(_KEY, None)


BEFORE_SAVEPOINT.append(flush)
