"""Working-day calendars: national notices, region and hall overlays, deadline arithmetic."""

from casemgmt.calendar.notice import parse_notice
from casemgmt.calendar.store import (
    clear_cache,
    import_year,
    load_calendar,
    seed_national,
    shipped_national,
    validate_days,
    years_with_data,
)
from casemgmt.calendar.workcal import (
    SHANGHAI,
    Due,
    WorkCalendar,
    end_of_day,
    local_date,
)

__all__ = [
    "SHANGHAI",
    "Due",
    "WorkCalendar",
    "clear_cache",
    "end_of_day",
    "import_year",
    "load_calendar",
    "local_date",
    "parse_notice",
    "seed_national",
    "shipped_national",
    "validate_days",
    "years_with_data",
]
