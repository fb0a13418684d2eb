"""Case search for auditors: filters, scope, pages, and the results exported to xlsx (masked, audited)."""

from datetime import datetime
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select

from casemgmt.db import db
from casemgmt.models import AuditEvent, Case


def _found(page: str) -> int:
    return page.count("<tr data-case-id=")


def _three(api, clock) -> list[dict]:
    clock.set("2025-09-22T02:00:00+00:00")
    old = api.bad_review(record_no="R-OLD")
    clock.set("2025-09-26T02:00:00+00:00")
    other_item = api.bad_review(record_no="R-ITEM", item_code="LN-0002")
    other_org = api.bad_review(record_no="R-ORG", org_code="ln-sy-zjj")
    return [old, other_item, other_org]


def test_an_auditor_filters_cases_by_organization_item_dates_status_overdue_and_number(api, ui, clock):
    old, other_item, other_org = _three(api, clock)
    auditor = ui("ln-auditor")
    assert _found(auditor.get("/audit/cases").text) == 3
    assert _found(auditor.get("/audit/cases?region=liaoning&status=open").text) == 3
    assert _found(auditor.get("/audit/cases?status=closed").text) == 0
    page = auditor.get("/audit/cases?org=ln-sy-zjj").text
    assert _found(page) == 1 and other_org["case_no"] in page
    assert _found(auditor.get("/audit/cases?org=ln-sy").text) == 3  # a unit includes the units below it
    page = auditor.get("/audit/cases?item=LN-0002").text
    assert _found(page) == 1 and other_item["case_no"] in page
    page = auditor.get("/audit/cases?from=2025-09-22&to=2025-09-22").text
    assert _found(page) == 1 and old["case_no"] in page
    assert _found(auditor.get("/audit/cases?from=2025-09-23").text) == 2
    page = auditor.get("/audit/cases?overdue=1").text  # the old callback was due at the end of 09-25
    assert _found(page) == 1 and old["case_no"] in page
    assert _found(auditor.get("/audit/cases?q=R-ITEM").text) == 1
    assert _found(auditor.get(f"/audit/cases?q={old['case_no']}").text) == 1


def test_bad_search_input_is_refused_and_other_regions_stay_out_of_reach(api, ui, clock):
    _three(api, clock)
    auditor = ui("ln-auditor")
    assert auditor.get("/audit/cases?from=2025-13-01").status_code == 400
    assert auditor.get("/audit/cases?region=sanming").status_code == 400
    assert auditor.get("/audit/cases?status=lost").status_code == 400
    assert auditor.get("/audit/cases?org=sm-scjg").status_code == 400
    assert _found(ui("sm-auditor").get("/audit/cases").text) == 0


def test_officers_cannot_search_and_supervisors_see_only_their_units(api, ui, clock, seeded_app):
    _three(api, clock)
    assert ui("ln-officer").get("/audit/cases").status_code == 403
    assert ui("ln-officer").post("/audit/cases.xlsx").status_code == 403
    assert _found(ui("ln-supervisor").get("/audit/cases").text) == 3
    assert _found(ui("sm-supervisor").get("/audit/cases").text) == 0


def test_results_export_to_xlsx_with_the_evaluator_masked_and_the_export_audited(api, ui, clock):
    old, *_ = _three(api, clock)
    auditor = ui("ln-auditor")
    assert 'method="post" action="/audit/cases.xlsx' in auditor.get("/audit/cases?overdue=1").text
    response = auditor.post("/audit/cases.xlsx?overdue=1")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("工单编号", "地区", "承办单位") and len(rows) == 2
    header = rows[0]
    row = dict(zip(header, rows[1], strict=True))
    assert row["工单编号"] == old["case_no"] and row["电话"] == "138****1234" and row["评价人"] == "张*"
    assert row["评价等级"] == "非常不满意" and row["已逾期"] == "是" and row["生成时间"] == datetime(2025, 9, 22, 10, 0)
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "cases_exported")).all()
    assert event.actor == "ln-auditor" and event.payload["count"] == 1 and event.payload["filter"]["overdue"] == "True"


def test_the_export_opens_cleanly_names_real_dates_fitted_widths_bold_frozen_filtered_header(api, ui, clock):
    old, *_ = _three(api, clock)
    db.session.get(Case, old["case_id"]).outcome = "ledger"  # as a closed ledger case stores it
    db.session.commit()
    book = load_workbook(BytesIO(ui("ln-auditor").post("/audit/cases.xlsx").data))
    sheet = book.active
    assert sheet.title == "工单" and sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:N4"
    assert all(c.font.bold for c in sheet[1]) and not sheet["A2"].font.bold
    rows = [dict(zip([c.value for c in sheet[1]], [c.value for c in r], strict=True)) for r in sheet.iter_rows(2)]
    assert {r["事项"] for r in rows} >= {"企业设立登记"} and not {r["事项"] for r in rows} & {"LN-0001", "LN-0002"}
    outcomes = {r["核实结论"] for r in rows}
    assert (
        outcomes & {"建立台账限期整改", "属实：情况复杂、一时难以解决，建立台账限期整改"} and "ledger" not in outcomes
    )
    opened = sheet.cell(2, 12)
    assert isinstance(opened.value, datetime) and opened.number_format == "yyyy-mm-dd hh:mm"
    widths = {k: sheet.column_dimensions[k].width for k in "ABCDL"}
    assert widths["L"] >= 16 and widths["C"] > widths["B"] and len(set(widths.values())) > 1, widths


def test_a_cell_that_looks_like_a_formula_is_exported_as_text(api, ui):
    api.bad_review(record_no='=HYPERLINK("http://x")')
    sheet = load_workbook(BytesIO(ui("ln-auditor").post("/audit/cases.xlsx").data)).active
    values = [c.value for c in sheet[2]]
    assert '\'=HYPERLINK("http://x")' in values and not any(str(v).startswith("=") for v in values)


def test_search_pages_are_numbered(api, ui):
    for i in range(27):
        api.bad_review(record_no=f"PG-{i}")
    auditor = ui("ln-auditor")
    first = auditor.get("/audit/cases").text
    assert _found(first) == 25 and "第 1 / 2 页" in first
    assert _found(auditor.get("/audit/cases?page=2").text) == 2


def test_the_export_is_a_post_with_a_csrf_token_and_a_get_writes_nothing(ui):
    auditor = ui("ln-auditor")
    assert auditor.get("/audit/cases.xlsx").status_code == 405
    assert auditor.post("/audit/cases.xlsx", csrf=False).status_code == 400
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "cases_exported")).all() == []
    response = auditor.post("/audit/cases.xlsx")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
