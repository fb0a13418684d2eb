"""Hall calendars in the units import: each hall's own days (its exceptions to the region's calendar).

Two ways to give them (docs/IMPORT.md), both in the orgs import:
- the column 大厅日历 of a unit's row: entries separated by `;`, `；` or new lines, each
  `YYYY-MM-DD 类型 [名称]` (类型: holiday/放假, workday/调休上班, closed/停止办公);
- in an xlsx workbook, a second sheet named 大厅日历 with the columns 机构编码, 日期, 类型, 名称: one row per day.

For every hall and year the file names, the listed days become the hall's days of that year (scope
`org:<code>`, a new calendar version when they differ from the current one); years the file does not name keep
their days, and an empty cell changes nothing. Planning only reads; `write_calendars` imports the years,
recomputes the region's open deadlines once, and audits each year as `calendar_changed`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from casemgmt import audit
from casemgmt.actor import Actor
from casemgmt.calendar import import_year, validate_days
from casemgmt.calendar.deadlines import recompute_deadlines
from casemgmt.db import db
from casemgmt.directory.parsers import Row
from casemgmt.directory.schemas import DAY_KIND_NAMES, HALL_SHEET, SHEET_KEY
from casemgmt.errors import CalendarInvalid
from casemgmt.models import CalendarYear, Region
from casemgmt.models.calendar import DAY_KINDS

#: a bad row: (line, code, Chinese reason); plans turns them into BadRow
Bad = tuple[int, str, str]
_ENTRIES = re.compile(r"[;；\n]+")
_DAY = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


@dataclass
class _Entry:
    """One listed day of a hall, with where it came from (a unit's row or a row of the linked sheet)."""

    code: str
    line: int
    where: str
    day: str
    kind: str
    name: str


def split_rows(rows: list[Row]) -> tuple[list[Row], list[Row]]:
    """Return the units' rows and the linked sheet's rows of an orgs import."""
    units = [r for r in rows if not r[1].get(SHEET_KEY)]
    return units, [r for r in rows if r[1].get(SHEET_KEY)]


def entries_of(units: list[Row], sheet: list[Row], errors: list[Bad]) -> list[_Entry]:
    """Read every listed day, from the column and from the linked sheet; malformed entries become bad rows."""
    found = []
    for line, values in units:
        code = values.get("code", "")
        for text in _ENTRIES.split(values.get("calendar", "")):
            if text.strip():
                entry = _column_entry(code, line, text.strip())
                if entry is None:
                    reason = f"大厅日历“{text.strip()}”应写成“日期 类型 名称”，如“2025-10-10 停止办公 系统升级”"
                    errors.append((line, code, reason))
                else:
                    found.append(entry)
    for line, values in sheet:
        code = values.get("org_code", "")
        found.append(
            _Entry(code, line, HALL_SHEET, values.get("day", ""), values.get("kind", ""), values.get("name", ""))
        )
    for entry in found:
        entry.kind = DAY_KIND_NAMES.get(entry.kind, entry.kind.lower())
        entry.day = _padded(entry.day)
    return found


def _column_entry(code: str, line: int, text: str) -> _Entry | None:
    parts = re.split(r"[\s,，]+", text, maxsplit=2)
    if len(parts) < 2 or not _DAY.match(parts[0]):
        return None
    return _Entry(code, line, "", parts[0], parts[1], parts[2] if len(parts) > 2 else "")


def _padded(day: str) -> str:
    """Write 2025-9-1 as 2025-09-01 (spreadsheets drop the zeros)."""
    if _DAY.match(day):
        y, m, d = day.split("-")
        return f"{y}-{int(m):02d}-{int(d):02d}"
    return day


def plan_calendars(entries: list[_Entry], kinds: dict[str, str], bad_codes: set[str], errors: list[Bad]) -> list[dict]:
    """Return the hall years that change: {code, year, days, days_added, days_removed}; bad entries are bad rows.

    `kinds` maps each unit code to its kind after the import; entries of a unit whose row is bad are skipped.
    """
    by_year: dict[tuple[str, int], list[_Entry]] = {}
    for entry in entries:
        where = f"（{entry.where}表）" if entry.where else ""
        if entry.code in bad_codes:
            continue
        if entry.code not in kinds:
            errors.append((entry.line, entry.code, f"{where}机构 {entry.code or '（空）'} 不在目录和文件中"))
        elif kinds[entry.code] != "hall":
            errors.append((entry.line, entry.code, f"{where}只有大厅（hall）可以有自己的日历"))
        elif entry.kind not in DAY_KINDS:
            reason = f"{where}日历类型“{entry.kind}”未知：应为放假、调休上班或停止办公"
            errors.append((entry.line, entry.code, reason))
        elif not _is_date(entry.day):
            errors.append((entry.line, entry.code, f"{where}日期“{entry.day}”应为 YYYY-MM-DD 格式的有效日期"))
        else:
            by_year.setdefault((entry.code, int(entry.day[:4])), []).append(entry)
    changes = []
    for (code, year), listed in sorted(by_year.items()):
        days = [{"day": e.day, "kind": e.kind, "name": e.name} for e in listed]
        try:
            checked = validate_days(f"org:{code}", year, days)
        except CalendarInvalid as err:
            errors += _day_problems(err.details if isinstance(err.details, dict) else {}, listed, code)
            continue
        new = {(d.isoformat(), kind, name) for d, kind, name in checked}
        old = _current_days(code, year)
        if new != old:
            added, removed = _as_dicts(new - old), _as_dicts(old - new)
            changes.append({"code": code, "year": year, "days": days, "days_added": added, "days_removed": removed})
    return changes


def _day_problems(details: dict, listed: list[_Entry], code: str) -> list[Bad]:
    """Turn validate_days' problems (keyed days[i].field) into bad rows of the lines the days came from."""

    def line_of(match: re.Match) -> str:  # "与 days[0] 重复" names the line the first one came from
        return f"第 {listed[int(match.group(1))].line} 行"

    bad = []
    for key, problems in details.items():
        index = re.match(r"days\[(\d+)\]", key)
        entry = listed[int(index.group(1))] if index else listed[0]
        where = f"（{entry.where}表）" if entry.where else ""
        for problem in problems:
            text = re.sub(r"days\[(\d+)\]", line_of, str(problem))
            bad.append((entry.line, code, f"{where}大厅日历 {entry.day}：{text}"))
    return bad


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _current_days(code: str, year: int) -> set[tuple[str, str, str]]:
    stmt = select(CalendarYear).where(
        CalendarYear.scope == f"org:{code}", CalendarYear.year == year, CalendarYear.is_current
    )
    current = db.session.scalar(stmt)
    return {(d.day.isoformat(), d.kind, d.name) for d in current.days} if current else set()


def _as_dicts(days: set[tuple[str, str, str]]) -> list[dict]:
    return [{"day": day, "kind": kind, "name": name} for day, kind, name in sorted(days)]


def write_calendars(region: Region, changes: list[dict], actor: Actor, now: datetime) -> int:
    """Import each changed hall year, recompute the region's open deadlines once, audit each year; return the
    number of deadlines that moved."""
    versions = [
        import_year(f"org:{c['code']}", c["year"], c["days"], actor.username, now, note="机构导入").version
        for c in changes
    ]
    moved = recompute_deadlines(actor, now, region=region, only_provisional=False, apply=True) if changes else []
    for change, version in zip(changes, versions, strict=True):
        payload = {
            "scope": f"org:{change['code']}",
            "year": change["year"],
            "version": version,
            "note": "机构导入",
            "days_added": change["days_added"],
            "days_removed": change["days_removed"],
            "deadlines_moved": len(moved),
        }
        audit.record("calendar_changed", actor=actor, at=now, region_id=region.id, payload=payload)
    return len(moved)
