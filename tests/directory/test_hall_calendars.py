"""Hall calendars in the units import: the column 大厅日历 or the xlsx sheet 大厅日历 give a hall's own days; the
preview lists them, the import makes a new calendar version per hall and year (audited), open deadlines of the
hall's cases move, a repeated import writes nothing, and every bad entry is a bad row with its line."""

import io
from datetime import date

from flask import current_app
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from casemgmt.actor import Actor
from casemgmt.calendar import load_calendar
from casemgmt.db import db
from casemgmt.directory.operations import import_rows
from casemgmt.directory.parsers import read_rows, template_csv, template_xlsx
from casemgmt.directory.queries import get_region
from casemgmt.models import AuditEvent, CalendarYear, HumanTask

HEADER = "机构编码,上级机构编码,机构类型,机构名称,大厅日历\n"
NEW_HALL = (
    HEADER + "ln-as,ln,city,鞍山市营商环境建设局,\n"
    "ln-as-hall,ln-as,大厅,鞍山市政务服务中心,2025-10-10 停止办公 系统升级；2025-12-27 调休上班 周六办公\n"
).encode()


def _import(content, *, confirm=True, name="orgs.csv", **kw):
    rows = read_rows("orgs", name, content)
    now = current_app.config["CLOCK"]()
    return import_rows(get_region("liaoning"), "orgs", rows, Actor.system("test"), now, confirm=confirm, **kw)


def _events(kind: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.kind == kind).order_by(AuditEvent.id)))


def _workbook(units: list[list[str]], hall_days: list[list[str]]) -> bytes:
    book = Workbook()
    book.active.append(["机构编码", "上级机构编码", "机构类型", "机构名称"])
    for row in units:
        book.active.append(row)
    sheet = book.create_sheet("大厅日历")
    sheet.append(["机构编码", "日期", "类型", "名称"])
    for row in hall_days:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_new_halls_calendar_column_is_previewed_then_imported_once_and_audited(seeded_app, clock):
    plan = _import(NEW_HALL, confirm=False)
    summary = plan.summary()
    assert summary["counts"]["calendars"] == 1 and plan.errors == []
    [year] = summary["calendars"]
    assert (year["code"], year["year"], year["days_removed"]) == ("ln-as-hall", 2025, [])
    assert year["days_added"] == [
        {"day": "2025-10-10", "kind": "closed", "name": "系统升级"},
        {"day": "2025-12-27", "kind": "workday", "name": "周六办公"},
    ]
    assert db.session.scalar(select(func.count()).where(CalendarYear.scope == "org:ln-as-hall")) == 0

    _import(NEW_HALL)
    db.session.commit()
    hall = load_calendar("liaoning", "ln-as-hall")
    assert not hall.is_working_day(date(2025, 10, 10)) and hall.is_working_day(date(2025, 12, 27))
    region = load_calendar("liaoning")
    assert region.is_working_day(date(2025, 10, 10)) and not region.is_working_day(date(2025, 12, 27))
    [event] = _events("calendar_changed")
    assert event.payload["scope"] == "org:ln-as-hall" and event.payload["version"] == 1
    assert len(event.payload["days_added"]) == 2

    again = _import(NEW_HALL)
    db.session.commit()
    assert again.calendars == [] and len(_events("calendar_changed")) == 1  # a repeated import writes nothing


def test_the_linked_sheet_closes_a_day_of_an_existing_hall_and_its_open_deadlines_move(api, clock):
    case_id = api.bad_review()["case_id"]
    task = db.session.scalar(
        select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.element_id == "Task_Callback")
    )
    due = task.due_date
    assert due is not None
    workbook = _workbook([], [["ln-sy-hall", due, "停止办公", "设备检修"]])  # a date cell, as a spreadsheet keeps it
    plan = _import(workbook, name="orgs.xlsx")
    db.session.commit()
    assert plan.errors == [] and [c["code"] for c in plan.calendars] == ["ln-sy-hall"]
    assert not load_calendar("liaoning", "ln-sy-hall").is_working_day(due)
    db.session.expire_all()
    moved = db.session.scalar(
        select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.element_id == "Task_Callback")
    )
    assert moved.due_date > due
    assert _events("deadlines_recomputed") and _events("calendar_changed")[0].payload["deadlines_moved"] >= 1

    replaced = _workbook([], [["ln-sy-hall", "2025-11-3", "闭厅", "搬迁"]])  # the file's days become the year's days
    plan = _import(replaced, name="orgs.xlsx")
    db.session.commit()
    [year] = plan.calendars
    assert year["days_added"] == [{"day": "2025-11-03", "kind": "closed", "name": "搬迁"}]
    assert year["days_removed"] == [{"day": due.isoformat(), "kind": "closed", "name": "设备检修"}]
    assert load_calendar("liaoning", "ln-sy-hall").is_working_day(due)


def test_every_bad_calendar_entry_is_a_bad_row_with_its_line_and_nothing_is_written(seeded_app, clock):
    column = (
        HEADER + "ln-as,ln,city,鞍山市营商环境建设局,2025-10-10 停止办公 系统升级\n"
        "ln-as-hall,ln-as,大厅,鞍山市政务服务中心,十月十日闭厅\n"
    ).encode()
    plan = _import(column, confirm=False)
    reasons = {(e.line, e.key): e.reason for e in plan.errors}
    assert "只有大厅（hall）可以有自己的日历" in reasons[(2, "ln-as")]
    assert "应写成“日期 类型 名称”" in reasons[(3, "ln-as-hall")]

    units = [["ln-as", "ln", "city", "鞍山市营商环境建设局"], ["ln-as-hall", "ln-as", "hall", "鞍山市政务服务中心"]]
    sheet = [
        ["ln-as-hall", "2025-10-10", "停止办公", "系统升级"],
        ["ln-as-hall", "2025-10-10", "放假", "重复"],
        ["ln-as-hall", "2025-02-30", "停止办公", ""],
        ["ln-as-hall", "2025-10-11", "午休", ""],
        ["ln-nowhere", "2025-10-12", "停止办公", ""],
        ["ln-as-hall", "2025-10-13", "放假", ""],
    ]
    plan = _import(_workbook(units, sheet), confirm=False, name="orgs.xlsx")
    found = {e.line: e.reason for e in plan.errors}
    assert found[3] == "（大厅日历表）大厅日历 2025-10-10：2025-10-10 与 第 2 行 重复"
    assert "应为 YYYY-MM-DD" in found[4]
    assert "日历类型“午休”未知" in found[5]
    assert "机构 ln-nowhere 不在目录和文件中" in found[6]
    assert "放假日应填写节日名称" in found[7]
    assert sorted(found) == [3, 4, 5, 6, 7] and len(plan.new) == 2
    _import(_workbook(units, sheet), name="orgs.xlsx", skip_bad=True)
    db.session.commit()
    assert db.session.scalar(select(func.count()).where(CalendarYear.scope == "org:ln-as-hall")) == 0


def test_the_templates_offer_the_calendar_column_and_the_linked_sheet(seeded_app):
    assert "大厅日历" in template_csv("orgs").decode("utf-8-sig").splitlines()[0].split(",")
    book = load_workbook(io.BytesIO(template_xlsx("orgs")))
    assert book.sheetnames == ["机构目录", "大厅日历"]
    assert [c.value for c in book["大厅日历"][1]] == ["机构编码", "日期", "类型", "名称"]
    assert read_rows("orgs", "t.xlsx", template_xlsx("orgs")) == []


def test_the_admin_preview_page_lists_the_hall_calendar_changes(seeded_app):
    from tests.web.ui.conftest import Ui

    ui = Ui(seeded_app)
    assert ui.login("ln-admin").status_code == 302
    assert "大厅日历" in ui.get("/admin/liaoning/directory").text
    preview = ui.post(
        "/admin/liaoning/directory/preview",
        {"kind": "orgs", "file": (io.BytesIO(NEW_HALL), "orgs.csv")},
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200 and "大厅日历有变化的年度：1" in preview.text
    assert "+ 2025-10-10 停止办公 系统升级" in preview.text
