"""Working-day arithmetic on China's official calendar (workalendar underneath)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from workalendar.core import SAT, SUN, Calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Due:
    """A deadline: the last day allowed and the instant it ends (24:00 Shanghai, in UTC)."""

    due_date: date
    due_at: datetime
    #: True when the count crossed a year with no national calendar loaded (plain weekdays used).
    provisional: bool = False

    def as_dict(self) -> dict[str, object]:
        """Return the deadline as JSON-ready values."""
        return {
            "due_date": self.due_date.isoformat(),
            "due_at": self.due_at.astimezone(SHANGHAI).isoformat(),  # the domain's local time
            "provisional": self.provisional,
        }


def end_of_day(day: date) -> datetime:
    """Return 24:00 Asia/Shanghai of `day` as an aware UTC datetime."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=SHANGHAI).astimezone(UTC)


def local_date(instant: datetime) -> date:
    """Return the Asia/Shanghai calendar day of an aware instant; refuse naive datetimes."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("naive datetime refused: pass an aware datetime")
    return instant.astimezone(SHANGHAI).date()


def _check_count(n: int) -> None:
    if n < 0:
        raise ValueError(f"day count must be >= 0, got {n}")


class WorkCalendar(Calendar):
    """Sat/Sun weekends, plus holidays and closed days, minus make-up working days (调休上班)."""

    WEEKEND_DAYS = (SAT, SUN)
    # New Year's Day comes from the notice, like every other holiday
    include_new_years_day = False

    def __init__(
        self,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        closed: Iterable[date] = (),
        years: Iterable[int] = (),
    ) -> None:
        super().__init__()
        self.holiday_days = frozenset(holidays)
        self.workdays = frozenset(workdays)
        self.closed = frozenset(closed)
        #: Years with national data; any other year is counted on plain weekdays.
        self.years = frozenset(years)

    def get_calendar_holidays(self, year: int) -> list[tuple[date, str]]:
        """Return the non-working weekdays of `year` as (day, label) for workalendar."""
        days = [(d, "holiday") for d in self.holiday_days if d.year == year]
        return days + [(d, "closed") for d in self.closed if d.year == year]

    def is_working_day(
        self,
        day: date,
        extra_working_days: Iterable[date] | None = None,
        extra_holidays: Iterable[date] | None = None,
    ) -> bool:
        """Say whether offices work on `day`: closures win, then make-up days, then the rest."""
        if day in self.closed:
            return False
        if day in self.workdays:
            return True
        return super().is_working_day(day, extra_working_days=extra_working_days, extra_holidays=extra_holidays)

    def add_working_days(self, start: date, n: int) -> tuple[date, bool]:  # type: ignore[override]
        """Return the Nth working day after `start` (not counted) and whether it is provisional."""
        _check_count(n)
        day, counted, provisional = start, 0, False
        while counted < n:
            day += timedelta(days=1)
            provisional = provisional or day.year not in self.years
            if self.is_working_day(day):
                counted += 1
        return day, provisional

    def working_days_between(self, a: date, b: date) -> int:
        """Count working days after `a` up to and including `b`; negative when `b` is before `a`."""
        count = self.get_working_days_delta(min(a, b), max(a, b))
        return count if b >= a else -count

    def due(self, start: datetime, n: int) -> Due:
        """Return the deadline N working days after the day of `start` (Asia/Shanghai)."""
        return self.due_after_day(local_date(start), n)

    def due_after_day(self, day: date, n: int) -> Due:
        """Return the deadline N working days after `day`, e.g. an extension from a due date."""
        due_date, provisional = self.add_working_days(day, n)
        return Due(due_date, end_of_day(due_date), provisional)

    def extend(self, due: Due, n: int) -> Due:
        """Return `due` pushed back by N working days (an approved extension counts from it)."""
        return self.due_after_day(due.due_date, n)

    def calendar_due(self, start: datetime, n: int) -> Due:
        """Return the deadline N calendar days after the day of `start`; never provisional."""
        _check_count(n)
        due_date = local_date(start) + timedelta(days=n)
        return Due(due_date, end_of_day(due_date), False)
