"""The working-day calendar in a table editor: holidays and make-up days per year, a pasted State Council notice,
a preview of the open deadlines a change would move, and the change applied (deadlines recomputed, audited)."""

from __future__ import annotations

import re

from flask import Blueprint, current_app, flash, g, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from casemgmt.access.policy import Action, Role
from casemgmt.actor import Actor
from casemgmt.calendar import changes as calendar_changes
from casemgmt.db import db
from casemgmt.errors import InvalidInput
from casemgmt.inputs import is_digits
from casemgmt.models import Organization, Region
from casemgmt.models.calendar import DAY_KINDS
from web.admin.scope import region_admin
from web.ui import local_time, now

bp = Blueprint("calendar", __name__)

_ROW = re.compile(r"^days\[(\d+)\]")
BLANK_ROWS = 3
#: the plain form casemgmt.calendar.parse_notice reads besides a pasted notice (data in the notice's language)
NOTICE_EXAMPLE = "2025-10-01~2025-10-08 国庆节、中秋节\n上班 2025-09-28, 2025-10-11"


def _national_regions() -> tuple[str, ...]:
    return tuple(current_app.config.get("NATIONAL_ADMIN_REGIONS") or ())


def _year(raw: str | None) -> int:
    """Return the year asked for (this year in Beijing by default), 2000 to 2100."""
    if not raw:
        return int(local_time(now(), "%Y"))
    if not is_digits(raw) or len(raw) != 4 or not 2000 <= int(raw) <= 2100:
        raise InvalidInput(_("The year must be between 2000 and 2100."), details={"year": [raw]})
    return int(raw)


def posted_days() -> list[dict]:
    """Return the table's rows as day dicts, leaving out rows left blank."""
    form = request.form
    rows = zip(form.getlist("day"), form.getlist("kind"), form.getlist("name"), strict=False)
    return [{"day": d.strip(), "kind": k, "name": n.strip()} for d, k, n in rows if d.strip() or n.strip()]


def row_errors(details: object) -> tuple[dict[int, list[str]], list[str]]:
    """Split a calendar error's details into messages per table row and the other messages."""
    rows: dict[int, list[str]] = {}
    general: list[str] = []
    for key, messages in details.items() if isinstance(details, dict) else []:
        texts = [str(m) for m in (messages if isinstance(messages, list) else [messages])]
        match = _ROW.match(str(key))
        if match:
            rows.setdefault(int(match.group(1)), []).extend(texts)
        else:
            general.extend(texts)
    return rows, general


def _page(place: Region, scope: str, year: int, days: list[dict] | None, **context):
    """Render the editor of (scope, year): the given rows, else the year's current days."""
    overview = calendar_changes.calendar_overview(place, year, _national_regions())
    if scope not in overview["scopes"] and scope not in overview["editable_scopes"]:
        raise InvalidInput(_("Unknown calendar: %(scope)s", scope=scope))
    if days is None:
        days = overview["scopes"][scope]["days"] if scope in overview["scopes"] else []
    context.setdefault("errors", ({}, []))
    return render_template(
        "admin/calendar.html",
        place=place,
        scope=scope,
        year=year,
        days=days,
        overview=overview,
        kinds=DAY_KINDS,
        blank_rows=BLANK_ROWS,
        notice_example=NOTICE_EXAMPLE,
        org_names=_org_names(place, [*overview["scopes"], *overview["editable_scopes"]]),
        **context,
    )


def _org_names(place: Region, scopes: list[str]) -> dict[str, str]:
    """Return the names of the units whose calendars (org:<code>) the page lists."""
    codes = {s.removeprefix("org:") for s in scopes if s.startswith("org:")}
    if not codes:
        return {}
    stmt = select(Organization.code, Organization.name).where(
        Organization.region_id == place.id, Organization.code.in_(codes)
    )
    return {str(code): str(name) for code, name in db.session.execute(stmt).all()}


@bp.get("/admin/<region>/calendar")
@region_admin(Action.CALENDAR_EDIT)
def calendar(place: Region):
    """Show a year of a calendar (the region's by default) in the table editor, with its versions."""
    return _page(place, request.args.get("scope") or place.code, _year(request.args.get("year")), None)


@bp.post("/admin/<region>/calendar/preview")
@region_admin(Action.CALENDAR_EDIT)
def calendar_preview(place: Region):
    """Read the table (or a pasted notice) and list the day changes and the open deadlines they would move."""
    scope, year = request.form.get("scope", ""), _year(request.form.get("year"))
    notice = request.form.get("notice", "") if request.form.get("source") == "notice" else None
    days = posted_days()
    actor = Actor.of(g.user, Role.ADMIN)
    try:
        if notice is not None:
            days = calendar_changes.days_of(scope, year, None, notice)
        preview = calendar_changes.preview_calendar_change(place, scope, year, days, actor, now(), _national_regions())
    except InvalidInput as err:
        db.session.rollback()
        return _page(place, scope, year, days, errors=row_errors(err.details), notice=notice or ""), 400
    return _page(place, scope, year, days, preview=preview)


@bp.post("/admin/<region>/calendar")
@region_admin(Action.CALENDAR_EDIT)
def calendar_apply(place: Region):
    """Store the table as the year's new calendar version, recompute the deadlines it moves, and audit it."""
    scope, year = request.form.get("scope", ""), _year(request.form.get("year"))
    days = posted_days()
    try:
        result = calendar_changes.apply_calendar_change(
            place,
            scope,
            year,
            days,
            Actor.of(g.user, Role.ADMIN),
            now(),
            _national_regions(),
            request.form.get("note", "").strip()[:500],
        )
    except InvalidInput as err:
        db.session.rollback()
        return _page(place, scope, year, days, errors=row_errors(err.details)), 400
    db.session.commit()
    flash(
        _(
            "Calendar %(scope)s %(year)s saved as version %(v)s; %(n)s open deadlines recomputed.",
            scope=scope,
            year=year,
            v=result["version"],
            n=result["deadlines_moved"],
        ),
        "success",
    )
    return _page(place, scope, year, days, applied=result)
