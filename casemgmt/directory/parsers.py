"""Read import files (xlsx, CSV) into numbered rows keyed by the layout's column keys."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime

from openpyxl import load_workbook

from casemgmt.directory.schemas import HALL_SHEET, HALL_SHEET_LAYOUT, LAYOUTS, SHEET_KEY
from casemgmt.errors import InvalidInput
from casemgmt.xlsx import Sheet, workbook

#: the Chinese sheet name of each layout's template
SHEET_TITLES = {"orgs": "机构目录", "items": "事项清单", "users": "用户"}
#: (line number in the file, the row's values by column key)
Row = tuple[int, dict[str, str]]


def read_rows(kind: str, filename: str, content: bytes) -> list[Row]:
    """Parse an xlsx or CSV file of the layout `kind`; refuse a file whose header misses a required column.

    An orgs workbook may have a second sheet named 大厅日历 (HALL_SHEET): its rows follow the units' rows, each
    marked with SHEET_KEY, numbered by their line in that sheet.
    """
    if filename.lower().endswith(".xlsx"):
        book = _workbook(content)
        rows = _rows(LAYOUTS[kind], _sheet_lines(book.worksheets[0]))
        if kind == "orgs" and HALL_SHEET in book.sheetnames:
            linked = _rows(HALL_SHEET_LAYOUT, _sheet_lines(book[HALL_SHEET]), sheet=HALL_SHEET)
            rows += [(line, {**values, SHEET_KEY: HALL_SHEET}) for line, values in linked]
        return rows
    if not filename.lower().endswith((".csv", ".txt")):
        raise InvalidInput("只支持 xlsx 或 csv 文件", details={"file": [filename]})
    return _rows(LAYOUTS[kind], _csv_lines(content))


def _rows(layout: tuple[tuple[str, str, bool], ...], lines: Iterator[list[str]], sheet: str = "") -> list[Row]:
    header = next(lines, None)
    if header is None:
        raise InvalidInput(f"{sheet}表是空的" if sheet else "文件是空的", details={"file": [sheet or "file"]})
    keys = _header_keys(layout, header, sheet)
    rows = []
    for number, cells in enumerate(lines, start=2):
        values = {key: cells[i].strip() if i < len(cells) else "" for i, key in keys.items()}
        if any(values.values()):
            rows.append((number, values))
    return rows


def _header_keys(layout: tuple[tuple[str, str, bool], ...], header: list[str], sheet: str = "") -> dict[int, str]:
    names = {}
    for key, label, _required in layout:
        names[key] = key
        names[label] = key
    keys = {i: names[cell.strip()] for i, cell in enumerate(header) if cell.strip() in names}
    missing = [label for key, label, required in layout if required and key not in keys.values()]
    if missing:
        where = f"{sheet}表的" if sheet else ""
        raise InvalidInput(f"{where}表头缺少必填列", details={"header": [f"缺少列：{'、'.join(missing)}"]})
    return keys


def _csv_lines(content: bytes) -> Iterator[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("gb18030")  # spreadsheets saved as CSV on Chinese Windows
    return iter(csv.reader(io.StringIO(text)))


def _workbook(content: bytes):
    try:
        return load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as err:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise InvalidInput("无法读取 xlsx 文件", details={"file": [str(err)]}) from err


def _sheet_lines(sheet) -> Iterator[list[str]]:
    return iter([_cell(v) for v in row] for row in sheet.iter_rows(values_only=True))


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):  # a date typed into a spreadsheet cell
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def template_xlsx(kind: str) -> bytes:
    """Return an empty xlsx with the layout's Chinese headers: the template the admin pages offer."""
    sheets = [Sheet(SHEET_TITLES[kind], [label for _key, label, _required in LAYOUTS[kind]])]
    if kind == "orgs":  # the linked sheet of hall calendars (docs/IMPORT.md)
        sheets.append(Sheet(HALL_SHEET, [label for _key, label, _required in HALL_SHEET_LAYOUT]))
    return workbook(sheets)


def template_csv(kind: str) -> bytes:
    """Return the CSV template: the header row in Chinese, UTF-8 with a BOM so that spreadsheets read it."""
    return ("\ufeff" + ",".join(label for _key, label, _required in LAYOUTS[kind]) + "\r\n").encode("utf-8")
