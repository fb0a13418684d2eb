"""The one xlsx writer: names in a bold, frozen, filtered header; real Excel dates; fitted widths; safe cells.

Every workbook the system writes goes through `workbook()`, so every export opens the same way: Chinese sheet
names, instants as Asia/Shanghai date-times a spreadsheet can sort and filter, no cell read as a formula.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from casemgmt.calendar import SHANGHAI
from casemgmt.inputs import clean_text

#: the longest text a spreadsheet cell holds
MAX_CELL = 32_767
#: column widths, in characters (a Chinese character counts two)
MIN_WIDTH, MAX_WIDTH = 6, 60
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
#: characters Excel refuses in a sheet name, which is at most 31 characters long
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


@dataclass
class Sheet:
    """One worksheet: its (Chinese) name, the header row and the data rows."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[object]] = field(default_factory=list)


def workbook(sheets: Sequence[Sheet]) -> bytes:
    """Return the xlsx bytes of the sheets, each formatted by the house conventions."""
    book = Workbook()
    book.remove(book.active)
    for spec in sheets:
        _fill(book.create_sheet(sheet_name(spec.title)), spec)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_name(title: str) -> str:
    """Return a name Excel accepts for a sheet: no []:*?/\\, at most 31 characters, never empty."""
    return (_SHEET_NAME_BAD.sub("_", title).strip("'") or "Sheet")[:31]


def _fill(sheet: Worksheet, spec: Sheet) -> None:
    widths = [_width(h) for h in spec.headers]
    sheet.append([cell(h) for h in spec.headers])
    for row in spec.rows:
        values = [cell(v) for v in row]
        sheet.append(values)
        for index, value in enumerate(values[: len(widths)]):
            widths[index] = max(widths[index], _width(value))
    bold = Font(bold=True)
    for header in sheet[1]:
        header.font = bold
        header.alignment = Alignment(vertical="center")
    for column in sheet.iter_cols(min_row=2):
        for c in column:
            if isinstance(c.value, datetime):
                c.number_format = DATETIME_FORMAT
            elif isinstance(c.value, date):
                c.number_format = DATE_FORMAT
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(MAX_WIDTH, max(MIN_WIDTH, width + 2))
    sheet.freeze_panes = "A2"
    if spec.headers:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(spec.headers))}{max(sheet.max_row, 1)}"


def cell(value: object) -> object:
    """Return a value as a spreadsheet should hold it.

    Instants become Asia/Shanghai wall time (Excel has no zones); text is cleaned of characters openpyxl refuses
    (controls, lone surrogates), so one stored reason cannot break an export, and a leading = + - @ is quoted so
    that no cell turns into a formula.
    """
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).replace(tzinfo=None, microsecond=0) if value.tzinfo else value
    if value is None or isinstance(value, bool | int | float | date):
        return value
    text: str = ILLEGAL_CHARACTERS_RE.sub("", clean_text(str(value)))[:MAX_CELL]
    if text[:1] in ("=", "+", "-", "@"):
        return "'" + text
    return text


def _width(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return len("2025-01-01 00:00")
    if isinstance(value, date):
        return len("2025-01-01")
    line = max(str(value).splitlines() or [""], key=len)
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in line)
