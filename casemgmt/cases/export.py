"""Search results as an xlsx workbook (the house xlsx writer); every export is audited on the region's chain."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.orm import joinedload

from casemgmt import audit
from casemgmt.access.policy import Action
from casemgmt.actor import Actor
from casemgmt.calendar import SHANGHAI
from casemgmt.cases.search import EXPORT_MAX, CaseFilter, late_case_ids, search_query
from casemgmt.db import db
from casemgmt.models import Case, User
from casemgmt.xlsx import Sheet, workbook

#: a row of the sheet from a case; the web layer supplies labels in the user's language
RowFn = Callable[[Case, bool], Sequence[object]]


def local(value: datetime | None) -> str:
    """Return an instant as Asia/Shanghai wall time, minutes precision."""
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if value else ""


def export_cases(
    user: User, flt: CaseFilter, now: datetime, headers: Sequence[str], row: RowFn, title: str = "工单"
) -> bytes:
    """Return the matching cases (at most EXPORT_MAX) as xlsx bytes, and audit the export."""
    stmt = search_query(user, flt, now, Action.CASE_EXPORT).options(
        joinedload(Case.evaluation), joinedload(Case.handling_org)
    )
    cases = list(db.session.scalars(stmt.limit(EXPORT_MAX)))
    late = late_case_ids([c.id for c in cases], now)
    content = workbook([Sheet(title, headers, [row(case, case.id in late) for case in cases])])
    audit.record(
        "cases_exported",
        actor=Actor.of(user),
        at=now,
        region_id=user.region_id,
        payload={"filter": {k: str(v) for k, v in vars(flt).items() if v}, "count": len(cases)},
    )
    return content
