"""Calendars in the database: import versions, seed national data, build WorkCalendars."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from importlib import resources

from sqlalchemy import event, select
from sqlalchemy.engine import Row

from casemgmt import refcache
from casemgmt.calendar.workcal import WorkCalendar
from casemgmt.db import db
from casemgmt.errors import CalendarInvalid, CalendarMissing
from casemgmt.models.calendar import DAY_KINDS, CalendarDay, CalendarYear

NATIONAL = "national"
_SCOPE = re.compile(r"^(?:national|[a-z][a-z0-9_-]{0,63}|org:[A-Za-z0-9_.-]{1,60})$")
_WEEKDAYS = "一二三四五六日"
_CACHE_LIMIT = 64

CacheKey = tuple[tuple[int, str, int, int], ...]
#: Built calendars keyed by the (id, scope, year, version) of every current row they were built from.
_cache: dict[CacheKey, WorkCalendar] = {}


def load_calendar(region_code: str, org_code: str | None = None) -> WorkCalendar:
    """Return the working calendar of a region, with a hall's own days when `org_code` is given."""
    scopes = _scopes(region_code, org_code)
    rows = refcache.cached(("calendar", scopes), lambda: _current_years(scopes))
    if not any(row.scope == NATIONAL for row in rows):
        raise CalendarMissing("尚未导入全国节假日数据，请先导入", details={"scope": NATIONAL})
    key: CacheKey = tuple((row.id, row.scope, row.year, row.version) for row in rows)
    calendar = _cache.get(key)
    if calendar is None:
        calendar = _remember(key, _build(rows, scopes))
    return calendar


def _current_years(scopes: tuple[str, ...]) -> list[Row]:
    """Read the current versions of the scopes' years (built only on a cache miss: a select costs as much as a
    hit)."""
    stmt = (
        select(CalendarYear.id, CalendarYear.scope, CalendarYear.year, CalendarYear.version)
        .where(CalendarYear.is_current, CalendarYear.scope.in_(scopes))
        .order_by(CalendarYear.id)
    )
    return list(db.session.execute(stmt).all())


def clear_cache() -> None:
    """Forget every built calendar (tests, or after changing rows behind the ORM's back)."""
    _cache.clear()


def _scopes(region_code: str, org_code: str | None) -> tuple[str, ...]:
    """Return the scopes layered into one calendar, weakest first."""
    scopes = [NATIONAL]
    if region_code and region_code != NATIONAL:
        scopes.append(region_code)
    if org_code:
        scopes.append(f"org:{org_code}")
    return tuple(scopes)


def _remember(key: CacheKey, calendar: WorkCalendar) -> WorkCalendar:
    """Store a built calendar, dropping the oldest entry when full."""
    if len(_cache) >= _CACHE_LIMIT:
        _cache.pop(next(iter(_cache)), None)
    _cache[key] = calendar
    return calendar


def _build(rows: list[Row], scopes: tuple[str, ...]) -> WorkCalendar:
    """Layer national, region and hall days into one WorkCalendar; later layers win."""
    layer = {row.id: scopes.index(row.scope) for row in rows}
    listed = db.session.execute(
        select(CalendarDay.calendar_year_id, CalendarDay.day, CalendarDay.kind).where(
            CalendarDay.calendar_year_id.in_(layer)
        )
    ).all()
    holidays: set[date] = set()
    workdays: set[date] = set()
    closed: set[date] = set()
    for item in sorted(listed, key=lambda item: layer[item.calendar_year_id]):
        if item.kind == "closed":
            closed.add(item.day)
        else:
            (holidays if item.kind == "holiday" else workdays).add(item.day)
            (workdays if item.kind == "holiday" else holidays).discard(item.day)
    years = {row.year for row in rows if row.scope == NATIONAL}
    return WorkCalendar(holidays, workdays, closed, years)


def import_year(scope: str, year: int, days: list[dict], actor: str, now: datetime, note: str = "") -> CalendarYear:
    """Validate a year's days and store them as the current version of (scope, year)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("naive datetime refused: pass an aware `now`")
    checked = validate_days(scope, year, days)
    previous = db.session.scalars(
        select(CalendarYear).where(CalendarYear.scope == scope, CalendarYear.year == year)
    ).all()
    for old in previous:
        old.is_current = False
    entry = CalendarYear(
        scope=scope,
        year=year,
        version=max((old.version for old in previous), default=0) + 1,
        is_current=True,
        created_at=now.astimezone(UTC),
        created_by=actor,
        note=note,
        days=[CalendarDay(day=day, kind=kind, name=name) for day, kind, name in checked],
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def validate_days(scope: str, year: int, days: list[dict]) -> list[tuple[date, str, str]]:
    """Return the days as (day, kind, name), or raise CalendarInvalid listing every problem."""
    errors = _header_problems(scope, year, days)
    if errors:
        raise CalendarInvalid(f"{scope} {year} 年日历数据有误", details=errors)
    checked: list[tuple[date, str, str]] = []
    seen: dict[date, int] = {}
    for index, raw in enumerate(days):
        entry = _check_entry(index, raw, scope, year, seen, errors)
        if entry:
            checked.append(entry)
    if errors:
        raise CalendarInvalid(f"{scope} {year} 年日历数据有误", details=errors)
    return checked


def _header_problems(scope: str, year: int, days: list[dict]) -> dict[str, list[str]]:
    """Check the scope, the year and that the list is usable at all."""
    errors: dict[str, list[str]] = {}
    if not isinstance(scope, str) or not _SCOPE.match(scope):
        errors["scope"] = ["范围应为 national、地区代码（如 liaoning）或 org:<机构代码>"]
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        errors["year"] = ["年份应在 2000 至 2100 之间"]
    if not isinstance(days, list):
        errors["days"] = ["days 应为列表"]
    elif scope == NATIONAL and not days:
        errors["days"] = ["全国日历至少应有一天"]
    return errors


def _check_entry(
    index: int,
    raw: object,
    scope: str,
    year: int,
    seen: dict[date, int],
    errors: dict[str, list[str]],
) -> tuple[date, str, str] | None:
    """Check one day dict, adding its problems to `errors` under 'days[i].field'."""
    if not isinstance(raw, dict):
        errors[f"days[{index}]"] = ["每一项应为 {day, kind, name}"]
        return None
    day, kind, name = raw.get("day"), raw.get("kind"), raw.get("name") or ""
    problems = {
        "day": _day_problem(day, year) or _duplicate_problem(day, index, seen) or _make_up_problem(scope, kind, day),
        "kind": _kind_problem(kind, scope),
        "name": _name_problem(kind, name),
    }
    for field, problem in problems.items():
        if problem:
            errors.setdefault(f"days[{index}].{field}", []).append(problem)
    if any(problems.values()):
        return None
    return _as_date(day), kind, name.strip()  # type: ignore[return-value]


def _as_date(value: object) -> date | None:
    """Return a date from a date or a 'YYYY-MM-DD' string, else None."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _day_problem(value: object, year: int) -> str | None:
    """Say what is wrong with a day's date, if anything."""
    day = _as_date(value)
    if day is None:
        return "日期应为 YYYY-MM-DD 格式的有效日期"
    if day.year != year:
        return f"{day} 不在 {year} 年内，请导入到 {day.year} 年的日历"
    return None


def _duplicate_problem(value: object, index: int, seen: dict[date, int]) -> str | None:
    """Say whether the day was already listed."""
    day = _as_date(value)
    if day is None:
        return None
    if day in seen:
        return f"{day} 与 days[{seen[day]}] 重复"
    seen[day] = index
    return None


def _make_up_problem(scope: str, kind: object, value: object) -> str | None:
    """Say whether a national make-up working day falls on a weekday, where it means nothing."""
    day = _as_date(value)
    if scope == NATIONAL and kind == "workday" and day and day.weekday() < 5:
        return f"{day} 是周{_WEEKDAYS[day.weekday()]}；调休上班日应为周六或周日"
    return None


def _kind_problem(kind: object, scope: str) -> str | None:
    """Say what is wrong with a day's kind, if anything."""
    if kind not in DAY_KINDS:
        return "类型应为 holiday（放假）、workday（调休上班）或 closed（停止办公）"
    if scope == NATIONAL and kind == "closed":
        return "全国日历不能有 closed；停止办公日请导入地区或大厅日历"
    return None


def _name_problem(kind: object, name: object) -> str | None:
    """Say what is wrong with a day's name, if anything."""
    if not isinstance(name, str) or len(name) > 64:
        return "名称应为不超过 64 个字的文字"
    if kind == "holiday" and not name.strip():
        return "放假日应填写节日名称"
    return None


def seed_national(actor: str = "system", now: datetime | None = None) -> list[int]:
    """Import the shipped national years that have no national row yet; return those years."""
    now = now or datetime.now(UTC)
    present = set(db.session.scalars(select(CalendarYear.year).where(CalendarYear.scope == NATIONAL)))
    loaded = []
    for year, payload in shipped_national().items():
        if year not in present:
            note = f"内置数据：{payload['source']}"
            import_year(NATIONAL, year, payload["days"], actor, now, note=note)
            loaded.append(year)
    return loaded


def shipped_national() -> dict[int, dict]:
    """Return the national notices shipped in calendar/data/national, by year."""
    folder = resources.files("casemgmt.calendar") / "data" / "national"
    payloads = {}
    for item in sorted(folder.iterdir(), key=lambda item: item.name):
        if item.name.endswith(".json"):
            payload = json.loads(item.read_text(encoding="utf-8"))
            payloads[int(payload["year"])] = payload
    return payloads


def years_with_data() -> set[int]:
    """Return the years that have a current national calendar."""
    query = select(CalendarYear.year).where(CalendarYear.scope == NATIONAL, CalendarYear.is_current)
    return set(db.session.scalars(query))


def _forget(*_args: object) -> None:
    """Drop built calendars when calendar rows are written (ids can repeat in test databases)."""
    _cache.clear()


for _model in (CalendarYear, CalendarDay):
    for _event in ("after_insert", "after_update", "after_delete"):
        event.listen(_model, _event, _forget)
