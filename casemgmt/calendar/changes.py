"""Administrators change a working-day calendar: preview the open deadlines a year import would move, then apply.

Who may change what: a region's administrators change their region's overlay (scope = the region code).
The national calendar (the State Council's notice) moves every region's deadlines, so only administrators of
a region the deployment names as national may change it: setting NATIONAL_ADMIN_REGIONS (environment variable
of the same name, comma-separated region codes; empty by default, and then the national calendar changes only
through the notices shipped in casemgmt/calendar/data and `flask seed`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select

from casemgmt import audit
from casemgmt.actor import Actor
from casemgmt.calendar import clear_cache, import_year, parse_notice, validate_days
from casemgmt.calendar.deadlines import DeadlineChange, recompute_deadlines
from casemgmt.db import db, discarded_savepoint
from casemgmt.errors import InvalidInput, PermissionDenied
from casemgmt.models import CalendarYear, Organization, Region

NATIONAL = "national"


def editable_scopes(region: Region, national_regions: Collection[str]) -> list[str]:
    """Return the calendar scopes the region's administrators may change: theirs, its halls', maybe the nation's."""
    halls = db.session.scalars(
        select(Organization.code)
        .where(Organization.region_id == region.id, Organization.kind == "hall")
        .order_by(Organization.code)
    )
    scopes = [region.code, *(f"org:{code}" for code in halls)]
    return [NATIONAL, *scopes] if region.code in national_regions else scopes


def check_scope(region: Region, scope: str, national_regions: Collection[str]) -> Region | None:
    """Refuse a scope the region may not change; return the region whose cases it moves (None: all)."""
    if scope not in editable_scopes(region, national_regions):
        if scope == NATIONAL:
            raise PermissionDenied("全国日历只能由全国管理员修改")
        raise PermissionDenied("只能修改本地区的日历")
    return None if scope == NATIONAL else region


def days_of(scope: str, year: int, days: list[dict] | None, notice: str | None) -> list[dict]:
    """Return the days given directly, or read from a pasted State Council notice."""
    if (days is None) == (notice is None):
        raise InvalidInput("请提供 days 或 notice 之一", details={"days": ["与 notice 二选一"]})
    return days if days is not None else parse_notice(notice, year)


def _current(scope: str, year: int) -> CalendarYear | None:
    stmt = select(CalendarYear).where(CalendarYear.scope == scope, CalendarYear.year == year, CalendarYear.is_current)
    return db.session.scalar(stmt)


def _day_changes(scope: str, year: int, days: list[dict]) -> dict[str, list[dict]]:
    """Validate the days and compare them with the current version of (scope, year)."""
    new = {(d.isoformat(), kind, name) for d, kind, name in validate_days(scope, year, days)}
    current = _current(scope, year)
    old = {(d.day.isoformat(), d.kind, d.name) for d in current.days} if current else set()
    return {"days_added": _as_dicts(new - old), "days_removed": _as_dicts(old - new)}


def _as_dicts(days: set[tuple[str, str, str]]) -> list[dict]:
    return [{"day": day, "kind": kind, "name": name} for day, kind, name in sorted(days)]


def preview_calendar_change(
    region: Region,
    scope: str,
    year: int,
    days: list[dict],
    actor: Actor,
    now: datetime,
    national_regions: Collection[str],
) -> dict:
    """Return the day changes and the open deadlines the import would move; nothing is saved."""
    affected = check_scope(region, scope, national_regions)
    try:
        with discarded_savepoint():
            result = _day_changes(scope, year, days)
            import_year(scope, year, days, actor.username, now, note="预览")
            changes = recompute_deadlines(actor, now, region=affected, only_provisional=False, apply=False)
    finally:
        clear_cache()  # calendars built inside the savepoint hold the previewed days
    return {"scope": scope, "year": year, **result, "deadlines": [_change(c) for c in changes]}


def apply_calendar_change(
    region: Region,
    scope: str,
    year: int,
    days: list[dict],
    actor: Actor,
    now: datetime,
    national_regions: Collection[str],
    note: str = "",
) -> dict:
    """Import the year as a new calendar version, recompute the open deadlines it moves, and audit it."""
    affected = check_scope(region, scope, national_regions)
    result = _day_changes(scope, year, days)
    entry = import_year(scope, year, days, actor.username, now, note=note)
    changes = recompute_deadlines(actor, now, region=affected, only_provisional=False, apply=True)
    payload = {
        "scope": scope,
        "year": year,
        "version": entry.version,
        "note": note,
        **result,
        "deadlines_moved": len(changes),
    }
    audit.record("calendar_changed", actor=actor, at=now, region_id=region.id, payload=payload)
    return {**payload, "deadlines": [_change(c) for c in changes]}


def _change(change: DeadlineChange) -> dict:
    kind, _, element = change.what.partition(":")
    return {"case_no": change.case_no, "kind": kind, "element_id": element, "old": change.old, "new": change.new}


def calendar_overview(region: Region, year: int | None, national_regions: Collection[str]) -> dict:
    """Return the versions of the national and regional calendars (and a year's current days)."""
    scopes = {}
    for scope in (NATIONAL, region.code):
        stmt = select(CalendarYear).where(CalendarYear.scope == scope)
        rows = db.session.scalars(stmt.order_by(CalendarYear.year, CalendarYear.version)).all()
        scopes[scope] = {
            "versions": [_version(row) for row in rows],
            "days": [_day(d) for d in _current(scope, year).days] if year and _current(scope, year) else [],
        }
    return {"editable_scopes": editable_scopes(region, national_regions), "year": year, "scopes": scopes}


def _version(row: CalendarYear) -> dict:
    return {
        "year": row.year,
        "version": row.version,
        "is_current": row.is_current,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
        "note": row.note,
        "days": len(row.days),
    }


def _day(day) -> dict:
    return {"day": day.day.isoformat(), "kind": day.kind, "name": day.name}
