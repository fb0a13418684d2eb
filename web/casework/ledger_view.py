"""The ledger page's filters and its xlsx columns."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from casemgmt.models import LedgerEntry, LedgerStatus
from web.ui import local_time


def ledger_filters(args: MultiDict) -> dict:
    """Return the ledger filters of the query string: status, unit code (with its subunits), overdue only."""
    status = args.get("status") or None
    return {
        "status": status if status in list(LedgerStatus) else None,
        "org_code": (args.get("org") or "").strip()[:64] or None,
        "overdue": args.get("overdue") == "1",
    }


def ledger_headers() -> list[str]:
    """Return the xlsx columns of the ledger."""
    return [
        _("Case no."),
        _("Handling unit"),
        _("Owner"),
        _("Measures"),
        _("Due"),
        _("Extended by (working days)"),
        _("Status"),
        _("Opened"),
        _("Closed"),
        _("Overdue"),
    ]


def ledger_row(entry: LedgerEntry, now: datetime) -> list[object]:
    """Return one ledger entry as xlsx cells."""
    late = entry.closed_at is None and entry.due_at is not None and entry.due_at < now
    return [
        entry.case.case_no,
        entry.org.name,
        entry.owner,
        entry.measures,
        entry.due_date.isoformat() if entry.due_date else "",
        entry.extended_workdays,
        _("Open") if entry.status == LedgerStatus.OPEN else _("Closed"),
        local_time(entry.opened_at),
        local_time(entry.closed_at),
        _("Yes") if late else _("No"),
    ]
