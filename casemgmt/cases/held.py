"""A case's rows written with the transaction's held writes (casemgmt.writes), not by statements of their own:
updates of its stored task, instance and case rows, and its new task rows whose ids were reserved (PostgreSQL).

A held row is sent before any later statement on its table (or on a table referring to it), else with the audit
rows before the commit: one statement in all where the ORM would send one per table.
"""

from __future__ import annotations

import copy

from sqlalchemy import event, inspect
from sqlalchemy.orm import InstanceState, Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from casemgmt import writes
from casemgmt.db import db
from casemgmt.models import Case, HumanTask, ProcessInstance

_TASKS = HumanTask.__table__
_INSTANCES = ProcessInstance.__table__
_CASES = Case.__table__
_TASK_UPDATES = "task_updates"
_INSTANCE_UPDATES = "instance_updates"
_CASE_UPDATES = "case_updates"
_TASK_INSERTS = "task_inserts"
#: the ids of the cases whose rows this transaction locked and read with the lock (lock_task), session.info
_LOCKED = "zhenggai_locked_cases"
#: new task rows held (hold_new_rows) and not sent yet, session.info
_UNSENT = "zhenggai_unsent_task_rows"
_MAPPER = inspect(HumanTask)


def hold_task_update(row: HumanTask, **values) -> None:
    """Set columns of a stored task row, its UPDATE held to the transaction's end and sent with the other held
    writes (casemgmt.writes: before any later statement on human_tasks, else with the audit rows before the
    commit), one statement fewer than the ORM's own. The row object shows the new values at once, as stored
    ones: nothing else flushes them."""
    _hold_update(_TASK_UPDATES, _TASKS, row, values)


def hold_instance_update(instance: ProcessInstance, **values) -> None:
    """Set columns of a stored instance row locked by this transaction, its UPDATE held as hold_task_update's:
    the version number goes up by one as the ORM's versioned UPDATE would (when any column changed); the row
    being locked since it was read, no other version can be stored meanwhile. Nothing else must change the
    instance through the ORM afterwards in the transaction (its version check would precede the held UPDATE)."""
    changed = _hold_update(_INSTANCE_UPDATES, _INSTANCES, instance, values)
    if len(changed) > 1 and "version_no" not in changed:
        version = instance.version_no + 1
        set_committed_value(instance, "version_no", version)
        changed["version_no"] = version


def hold_case_update(case: Case, **values) -> None:
    """Set columns of a stored case row this transaction locked (is_locked), its UPDATE held as
    hold_task_update's."""
    _hold_update(_CASE_UPDATES, _CASES, case, values)


def _hold_update(name: str, table, obj, values: dict) -> dict:  # noqa: ANN001 - a mapped table and its row
    """Set the columns whose value changed (as the ORM writes only those) as stored values of `obj`, and hold
    them for its row's UPDATE; return what is held for that row (its id first)."""
    changed = writes.pending(name, dict).setdefault(obj.id, {"id": obj.id})
    for key, value in values.items():
        if getattr(obj, key) != value:
            set_committed_value(obj, key, value)
            # what the row holds now: the engine may yet change a form's nested values it was handed
            changed[table.c[key].key] = copy.deepcopy(value) if isinstance(value, dict | list) else value
    return changed


def _held_updates(table):  # noqa: ANN001, ANN202 - a mapped table; what writes.register calls
    """The held UPDATEs of a table's rows, one statement part per row that has a changed column."""
    return lambda held: [writes.Rows(table, [values], key=("id",)) for values in held.values() if len(values) > 1]


def mark_locked(case: Case) -> None:
    """This transaction locked the case's row and read it with the lock: until it ends, no other transaction
    can change the row, and its values here are the stored ones (as far as this transaction's held writes go)."""
    db.session.info.setdefault(_LOCKED, set()).add(case.id)


def is_locked(case: Case) -> bool:
    """Tell whether mark_locked holds for the case in this transaction."""
    return case.id in db.session.info.get(_LOCKED, ())


def hold_new_rows(rows: list[HumanTask]) -> bool:
    """Insert new task rows (built, added to the session, not flushed) with the held writes instead of a flush of
    their own; False (nothing changed) unless each has its id already (reserved: bulk.give_held_id) and refers only
    to stored rows or to one another.

    The rows become persistent objects of the session at once, their values those to be inserted: whatever the
    transaction changes on them meanwhile goes in with them. A flush with other work of its own sends them first
    (a row it writes may refer to them); a rollback takes them out of the session."""
    if not rows or any(row.id is None for row in rows):
        return False
    for row in rows:
        for rel in _MAPPER.relationships:
            target = row.__dict__.get(rel.key)
            if target is not None and target not in rows and inspect(target).key is None:
                return False
    for row in rows:
        db.session.expunge(row)
        _complete(row)
        make_transient_to_detached(row)
        db.session.add(row)
    unsent = db.session.info.setdefault(_UNSENT, [])
    unsent.extend(rows)
    writes.pending(_TASK_INSERTS, lambda: unsent)
    return True


def _complete(row: HumanTask) -> None:
    """Give a transient row every column, as a row read back would have (none expired): each reference column
    its related row's key, the others their defaults. A relationship not set loads as usual when read."""
    for rel in _MAPPER.relationships:
        target = row.__dict__.get(rel.key)
        if target is not None:
            for local, remote in rel.local_remote_pairs:
                setattr(row, local.key, getattr(target, remote.key))
    for column in _MAPPER.columns:
        if column.key not in row.__dict__:
            default = column.default.arg if column.default is not None and column.default.is_scalar else None
            setattr(row, column.key, default)


def _insert_values(rows: list[HumanTask]) -> list[dict]:
    """The held rows' values as they are now, marked as stored (their changes go in with the INSERT, not as an
    UPDATE of the ORM's)."""
    values = []
    for row in rows:
        _settle(row)
        values.append({attr.columns[0].key: getattr(row, attr.key) for attr in _MAPPER.column_attrs})
    return values


def _settle(row: HumanTask) -> None:
    """Mark the row's changed attributes as stored."""
    state: InstanceState = inspect(row)
    if not state.modified:
        return
    for attr in state.attrs:
        if attr.history.has_changes():
            set_committed_value(row, attr.key, attr.value)


def _held_inserts(rows: list[HumanTask]) -> list[writes.Rows]:
    """The held new task rows' INSERT (what writes.register calls); they count as sent from here."""
    values = _insert_values(rows)
    rows.clear()
    return [writes.Rows(_TASKS, values)] if values else []


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, context, instances) -> None:  # noqa: ANN001 - the event's arguments
    """A flush that writes other rows (one of them may refer to a held new task row) sends the held new task rows
    first; else the changes the transaction made to them stay for their INSERT."""
    unsent = session.info.get(_UNSENT)
    if not unsent:
        return
    mine = {id(row) for row in unsent}
    if session.new or session.deleted or any(id(obj) not in mine for obj in session.dirty):
        values = _insert_values(unsent)
        unsent.clear()
        session.connection().execute(_TASKS.insert(), values)
        return
    for row in unsent:
        _settle(row)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:  # noqa: ANN001 - the event's arguments
    """A transaction's end forgets its locks; a held new task row still unsent (rolled back: a commit or a
    savepoint sends them) leaves the session."""
    session.info.pop(_LOCKED, None)
    for row in session.info.pop(_UNSENT, None) or ():
        if row in session:
            session.expunge(row)


def _referring_tables() -> tuple[str, ...]:
    """human_tasks and the tables whose rows may refer to a task row: a statement on any of them sends held new
    task rows first."""
    tables = _TASKS.metadata.tables.values()
    return (_TASKS.name, *(t.name for t in tables if any(fk.references(_TASKS) for fk in t.foreign_keys)))


writes.register(_TASK_UPDATES, (_TASKS.name,), _held_updates(_TASKS))
writes.register(_INSTANCE_UPDATES, (_INSTANCES.name,), _held_updates(_INSTANCES))
writes.register(_CASE_UPDATES, (_CASES.name,), _held_updates(_CASES))
writes.register(_TASK_INSERTS, _referring_tables(), _held_inserts)
