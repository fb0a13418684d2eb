"""Reference data cached per process: regions, organizations, service items, active definitions, calendars.

The hot path (intake, completion, inbox) reads the same few reference rows on every request. They are read
once and kept here, keyed by database and lookup, and handed to the session as detached copies merged without
SQL (`attach`), so many-to-one loads such as `org.parent`, `case.region` or `evaluation.org` resolve from the
session's identity map instead of the database.

Invalidation, for every entry at once:
- any write to a reference table through this process (INSERT/UPDATE/DELETE/DDL seen at the cursor) empties
  the cache, and while the writing transaction is open the cache is bypassed (it could see uncommitted rows);
  its commit or rollback empties the cache again, so imports and admin edits are visible at once;
- writes by other processes are seen after `TTL_SECONDS` (entries older than that are read again).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import event, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import make_transient_to_detached, undefer

from casemgmt.db import db
from casemgmt.models import Organization, ProcessDefinition, Region, ServiceItem

T = TypeVar("T")
M = TypeVar("M")

#: how long another process's edit of reference data may stay unseen here
TTL_SECONDS = 5.0
#: tables whose rows are cached; a write to any of them empties the cache
TABLES = ("regions", "organizations", "service_items", "process_definitions", "calendar_years", "calendar_days")
_LIMIT = 4_096

_lock = threading.Lock()
_entries: dict[tuple[str, Hashable], tuple[float, Any]] = {}
_state = {"generation": 0, "writing": 0}


def clear() -> None:
    """Forget everything (tests, or after changing reference rows behind this process's back)."""
    with _lock:
        _entries.clear()
        _state["generation"] += 1


def cached(key: Hashable, load: Callable[[], T]) -> T:
    """Return the value cached under key for the current database, loading (and keeping) it when missing."""
    if _state["writing"]:
        return load()
    full = (_url_of(db.engine), key)
    now = time.monotonic()
    hit = _entries.get(full)
    if hit is not None and now - hit[0] < TTL_SECONDS:
        return hit[1]
    generation = _state["generation"]
    value = load()
    with _lock:
        if generation == _state["generation"] and not _state["writing"]:
            if len(_entries) >= _LIMIT:
                _entries.pop(next(iter(_entries)))
            _entries[full] = (now, value)
    return value


def _url_of(engine: Engine) -> str:
    """Return the engine's URL as text, rendered once per engine (rendering it costs more than the lookup)."""
    url = _urls.get(engine)
    if url is None:
        url = _urls[engine] = str(engine.url)
    return url


_urls: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def detached(obj: M) -> M:
    """Return a detached copy of a loaded row (its column attributes only), safe to keep across sessions."""
    mapper = inspect(type(obj))
    loaded = inspect(obj).dict
    copy = mapper.class_manager.new_instance()
    for attr in mapper.column_attrs:
        if attr.key in loaded:
            setattr(copy, attr.key, loaded[attr.key])
    make_transient_to_detached(copy)
    return copy


def attach(copy: M | None) -> M | None:
    """Return the session's instance of a cached row: the one it already holds, else the copy merged without SQL."""
    if copy is None:
        return None
    state = inspect(copy)
    existing = db.session.identity_map.get(state.key)
    if existing is not None:
        return existing
    merged = db.session.merge(copy, load=False)
    # the identity map holds instances weakly: keep the merged rows for the session's life, so a later
    # `org.parent` finds its ancestor there
    db.session.info.setdefault("refcache", []).append(merged)
    return merged


def _copy_of(stmt) -> Any:  # noqa: ANN001
    row = db.session.scalar(stmt)
    return detached(row) if row is not None else None


def region(region_id: int) -> Region | None:
    """Return a region by id."""
    return attach(cached(("region", region_id), lambda: _copy_of(select(Region).where(Region.id == region_id))))


def region_by_code(code: str) -> Region | None:
    """Return a region by code."""
    return attach(cached(("region_code", code), lambda: _copy_of(select(Region).where(Region.code == code))))


def org(org_id: int | None) -> Organization | None:
    """Return an organization by id, with its ancestors in the session (so `org.parent` reads no row)."""
    if org_id is None:
        return None
    copy = cached(("org", org_id), lambda: _copy_of(select(Organization).where(Organization.id == org_id)))
    if copy is not None and copy.parent_id is not None:
        org(copy.parent_id)
    return attach(copy)


def org_by_code(region_id: int, code: str) -> Organization | None:
    """Return a region's organization by code, with its ancestors in the session."""
    org_id = cached(
        ("org_code", region_id, code),
        lambda: db.session.scalar(
            select(Organization.id).where(Organization.region_id == region_id, Organization.code == code)
        ),
    )
    return org(org_id)


def item(region_id: int, code: str) -> ServiceItem | None:
    """Return a region's service item by code (active or not)."""

    def load() -> ServiceItem | None:  # the statement is built on a miss only (building one costs a lookup's time)
        return _copy_of(select(ServiceItem).where(ServiceItem.region_id == region_id, ServiceItem.code == code))

    return attach(cached(("item", region_id, code), load))


def definition(definition_id: int) -> ProcessDefinition | None:
    """Return a deployed version by id, its files loaded (so `instance.definition` reads no row)."""

    def load() -> ProcessDefinition | None:  # built on a miss only
        stmt = select(ProcessDefinition).where(ProcessDefinition.id == definition_id)
        return _copy_of(stmt.options(undefer(ProcessDefinition.files)))

    return attach(cached(("definition_id", definition_id), load))


def active_definition(region_id: int, process_id: str) -> ProcessDefinition | None:
    """Return a region's active version of a process, its files loaded."""

    def load() -> ProcessDefinition | None:  # built on a miss only
        stmt = select(ProcessDefinition).where(
            ProcessDefinition.region_id == region_id,
            ProcessDefinition.process_id == process_id,
            ProcessDefinition.is_active.is_(True),
        )
        return _copy_of(stmt.options(undefer(ProcessDefinition.files)))

    return attach(cached(("definition", region_id, process_id), load))


def _touches_reference(statement: str) -> bool:
    head = statement.lstrip()[:8].upper()
    if head.startswith(("SELECT", "WITH", "PRAGMA", "SAVEPOI", "RELEASE", "BEGIN", "SHOW", "SET ")):
        return False
    lowered = statement.lower()
    return any(table in lowered for table in TABLES)


@event.listens_for(Engine, "before_cursor_execute")
def _on_statement(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
    if not _touches_reference(statement):
        return
    with _lock:
        if not conn.info.get("zg_reference_write"):
            conn.info["zg_reference_write"] = True
            _state["writing"] += 1
        _entries.clear()
        _state["generation"] += 1


def _on_end(conn) -> None:  # noqa: ANN001
    if conn.info.pop("zg_reference_write", None):
        with _lock:
            _state["writing"] -= 1
            _entries.clear()
            _state["generation"] += 1


event.listen(Engine, "commit", _on_end)
event.listen(Engine, "rollback", _on_end)
