"""Which calendar a case's deadlines follow: the nation's, its region's, and the hall that handles it."""

from __future__ import annotations

from casemgmt import refcache
from casemgmt.calendar import WorkCalendar, load_calendar
from casemgmt.models import Case, Organization


def case_calendar(case: Case) -> WorkCalendar:
    """Return the calendar of a case: national days, its region's and its hall's own closed days."""
    hall = hall_of(refcache.org(case.handling_org_id) or case.handling_org)  # ancestors from the cache
    region = refcache.region(case.region_id) or case.region
    return load_calendar(region.code, hall.code if hall else None)


def hall_of(org: Organization | None) -> Organization | None:
    """Return the hall an organization sits in (itself or its nearest ancestor of kind hall)."""
    while org is not None and org.kind != "hall":
        org = org.parent
    return org
