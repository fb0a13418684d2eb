"""The one xlsx writer: every workbook the system writes opens the same way."""

import ast
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path

from openpyxl import load_workbook

from casemgmt.xlsx import Sheet, sheet_name, workbook

ROOT = Path(__file__).resolve().parents[2]


def test_a_sheet_has_a_bold_frozen_filtered_header_real_dates_and_widths_fitted_to_content():
    rows = [
        ["差评工单", datetime(2025, 9, 22, 2, 0, tzinfo=UTC), date(2025, 9, 30), 3, "=1+1"],
        ["短", None, None, 0, ""],
    ]
    book = load_workbook(
        BytesIO(workbook([Sheet("工单：2025/09", ["名称", "生成时间", "期限", "次数", "备注"], rows)]))
    )
    sheet = book.active
    assert sheet.title == "工单：2025_09" and sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:E3"
    assert [c.font.bold for c in sheet[1]] == [True] * 5 and not sheet["A2"].font.bold
    assert sheet["B2"].value == datetime(2025, 9, 22, 10, 0) and sheet["B2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["C2"].value == datetime(2025, 9, 30) and sheet["C2"].number_format == "yyyy-mm-dd"
    assert sheet["D2"].value == 3 and sheet["E2"].value == "'=1+1"
    widths = [sheet.column_dimensions[k].width for k in "ABCD"]
    assert widths[0] == 10 and widths[1] == 18 and widths[3] == 6, widths


def test_sheet_names_are_what_excel_accepts():
    assert sheet_name("a[b]:c*d?e/f\\g") == "a_b__c_d_e_f_g" and len(sheet_name("长" * 40)) == 31
    assert sheet_name("''") == "Sheet"


def test_every_workbook_the_system_writes_goes_through_the_writer():
    writers = []
    for path in [*(ROOT / "casemgmt").rglob("*.py"), *(ROOT / "web").rglob("*.py")]:
        if path.name == "xlsx.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Name) and node.id == "Workbook":
                writers.append(str(path.relative_to(ROOT)))
    assert writers == [], f"openpyxl Workbook used outside casemgmt/xlsx.py: {writers}"
