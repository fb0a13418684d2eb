"""The calendar table editor: a year's days of the region's overlay, a pasted notice read into rows, a preview
listing the open deadlines that would move (nothing saved), the change applied (deadlines recomputed, audited);
bad rows are named; the national calendar is read only for a region's administrator."""

import re

from casemgmt.db import db
from casemgmt.models import AuditEvent, CalendarYear
from tests.admin_ui.conftest import BASE
from tests.web.flows import open_tasks


def _callback_due(api, case_id: int) -> str:
    (task,) = [t for t in open_tasks(api, case_id, "ln-officer") if t["element_id"] == "Task_Callback"]
    return task["due_date"]


def _closed(day: str) -> dict:
    return {
        "scope": "liaoning",
        "year": day[:4],
        "day": [day, ""],
        "kind": ["closed", "holiday"],
        "name": ["系统升级停止办公", ""],
    }


def test_the_calendar_page_shows_the_regions_year_and_the_national_one_read_only(admin):
    page = admin.get(f"{BASE}/calendar?year=2025").text
    assert 'name="scope" value="liaoning"' in page and 'id="calendar-rows"' in page and "识别通知并预览" in page
    national = admin.get(f"{BASE}/calendar?scope=national&year=2025").text
    assert "国庆节" in national and 'id="calendar-rows"' not in national and "只读" in national
    assert admin.get(f"{BASE}/calendar?year=1999").status_code == 400
    assert admin.get(f"{BASE}/calendar?scope=sanming").status_code == 400


def test_a_preview_lists_the_deadlines_that_would_move_and_saves_nothing(admin, api, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    case = api.bad_review(record_no="LN-CAL")
    due = _callback_due(api, case["case_id"])
    events = db.session.query(AuditEvent).count()
    response = admin.post(f"{BASE}/calendar/preview", _closed(due))
    assert response.status_code == 200, response.text[-2000:]
    preview = response.text.split('id="preview"', 1)[1]
    assert due in preview and "系统升级停止办公" in preview and case["case_no"] in preview
    assert "Task_Callback" in preview and "应用并重新计算办理期限" in preview
    assert f'<input type="hidden" name="day" value="{due}">' in preview
    assert _callback_due(api, case["case_id"]) == due
    assert db.session.query(CalendarYear).filter_by(scope="liaoning").count() == 0
    assert db.session.query(AuditEvent).count() == events


def test_applying_recomputes_the_open_deadlines_and_audits_the_change(admin, api, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    case = api.bad_review(record_no="LN-CAL")
    due = _callback_due(api, case["case_id"])
    response = admin.post(f"{BASE}/calendar", {**_closed(due), "note": "停办一天"})
    assert response.status_code == 200 and "已保存为第 1 版" in response.text
    assert re.search(r"已重新计算 [1-9]\d* 个在办期限", response.text)
    assert _callback_due(api, case["case_id"]) > due
    event = db.session.query(AuditEvent).filter_by(kind="calendar_changed").one()
    assert (event.actor, event.payload["scope"], event.payload["note"]) == ("ln-admin", "liaoning", "停办一天")
    assert db.session.query(AuditEvent).filter_by(case_id=case["case_id"], kind="deadlines_recomputed").count() == 1
    page = admin.get(f"{BASE}/calendar?year={due[:4]}").text
    assert f'value="{due}"' in page and "系统升级停止办公" in page and "ln-admin" in page


def test_a_pasted_notice_is_read_into_rows_and_previewed(admin):
    notice = "2025-10-10 地方停办\n上班 2025-10-12"
    response = admin.post(
        f"{BASE}/calendar/preview", {"scope": "liaoning", "year": "2025", "source": "notice", "notice": notice}
    )
    assert response.status_code == 200, response.text[-1500:]
    assert 'value="2025-10-10"' in response.text and 'value="2025-10-12"' in response.text
    assert "地方停办" in response.text.split('id="preview"', 1)[1]


def test_bad_rows_and_bad_notices_are_named_and_nothing_is_saved(admin):
    bad = {
        "scope": "liaoning",
        "year": "2025",
        "day": ["2026-01-01", "2025-10-10"],
        "kind": ["holiday", "holiday"],
        "name": ["元旦", ""],
    }
    response = admin.post(f"{BASE}/calendar/preview", bad)
    assert response.status_code == 400
    assert "第 1 行" in response.text and "不在 2025 年内" in response.text
    assert "第 2 行" in response.text and "放假日应填写节日名称" in response.text
    assert 'value="2026-01-01"' in response.text  # what was typed is kept
    notice = admin.post(
        f"{BASE}/calendar/preview",
        {"scope": "liaoning", "year": "2025", "source": "notice", "notice": "国庆节：10月放假"},
    )
    assert notice.status_code == 400 and "第 1 行无法识别" in notice.text
    applied = admin.post(f"{BASE}/calendar", bad)
    assert applied.status_code == 400
    assert db.session.query(CalendarYear).filter_by(scope="liaoning").count() == 0


def test_a_region_administrator_cannot_change_the_national_calendar(admin):
    data = {"scope": "national", "year": "2025", "day": ["2025-10-10"], "kind": ["holiday"], "name": ["假日"]}
    assert admin.post(f"{BASE}/calendar/preview", data).status_code == 403
    assert admin.post(f"{BASE}/calendar", data).status_code == 403
    assert admin.post(f"{BASE}/calendar", {**data, "scope": "sanming"}).status_code == 403
