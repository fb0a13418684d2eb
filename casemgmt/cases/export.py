"""Search results as an xlsx workbook; every export is audited on the region's chain."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import joinedload

from casemgmt import audit
from casemgmt.access.policy import Action
from casemgmt.actor import Actor
from casemgmt.calendar import SHANGHAI
from casemgmt.cases.search import EXPORT_MAX, CaseFilter, late_case_ids, search_query
from casemgmt.db import db
from casemgmt.inputs import clean_text
from casemgmt.models import Case, User

#: a row of the sheet from a case; the web layer supplies labels in the user's language
#: the longest text a spreadsheet cell holds
MAX_CELL = 32_767
RowFn = Callable[[Case, bool], Sequence[object]]


def local(value: datetime | None) -> str:
    """Return an instant as Asia/Shanghai wall time, minutes precision."""
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if value else ""


def export_cases(user: User, flt: CaseFilter, now: datetime, headers: Sequence[str], row: RowFn) -> bytes:
    """Return the matching cases (at most EXPORT_MAX) as xlsx bytes, and audit the export."""
    stmt = search_query(user, flt, now, Action.CASE_EXPORT).options(
        joinedload(Case.evaluation), joinedload(Case.handling_org)
    )
    cases = list(db.session.scalars(stmt.limit(EXPORT_MAX)))
    late = late_case_ids([c.id for c in cases], now)
    book = Workbook()
    sheet = book.active
    sheet.title = "cases"
    sheet.append(list(headers))
    for case in cases:
        sheet.append([_cell(v) for v in row(case, case.id in late)])
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(str(header)) * 2 + 4)
    sheet.freeze_panes = "A2"
    audit.record(
        "cases_exported",
        actor=Actor.of(user),
        at=now,
        region_id=user.region_id,
        payload={"filter": {k: str(v) for k, v in vars(flt).items() if v}, "count": len(cases)},
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: object) -> object:
    """Keep cells as plain text or numbers: a leading = + - @ would make a spreadsheet formula.

    Characters openpyxl refuses (controls, lone surrogates) are dropped, so one stored reason cannot break
    the region's export.
    """
    if not isinstance(value, str):
        return value
    text: str = ILLEGAL_CHARACTERS_RE.sub("", clean_text(value))[:MAX_CELL]
    if text[:1] in ("=", "+", "-", "@"):
        return "'" + text
    return text


def workbook(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    """Return one sheet of rows as xlsx bytes, each cell kept as plain text or numbers (e.g. the ledger)."""
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(list(headers))
    for values in rows:
        sheet.append([_cell(v) for v in values])
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(str(header)) * 2 + 4)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
