"""Nothing typed is lost, and supervision acts: journeys of an officer and a supervisor in Chromium."""

from __future__ import annotations

from casemgmt.db import db
from casemgmt.models import HumanTask
from tests.browser.conftest import log_in, log_out, screenshot
from tests.regions.helpers import run_timers
from tests.web.flows import only_task


def test_a_draft_comes_back_after_a_reload_leaving_warns_and_a_comment_keeps_the_form(page, live_server, api, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    case = api.bad_review("sanming", record_no="SM-DRAFT-0001")
    task = only_task(api, case["case_id"], "sm-officer")
    log_in(page, live_server, "sm-officer")
    page.goto(f"{live_server}/tasks/{task['id']}")
    page.get_by_label("已联系上").check()
    page.get_by_label("核实情况").fill("评价人反映等候两小时；调取叫号记录核实。")
    dialogs: list[str] = []

    def leave(dialog) -> None:
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", leave)
    page.reload()
    page.wait_for_selector("#task-form")
    assert dialogs == ["beforeunload"], "leaving with unsaved changes asks first"
    assert page.get_by_label("核实情况").input_value() == "评价人反映等候两小时；调取叫号记录核实。"
    assert page.get_by_label("已联系上").is_checked()
    assert page.locator("#draft-restored").is_visible()
    screenshot(page, "task-draft-restored.png", full_page=True)

    page.locator("#comment-body").fill("请质检科协助调取录像")
    page.get_by_role("button", name="发表评论").click()
    page.locator("#comments").get_by_text("请质检科协助调取录像").wait_for()
    assert page.get_by_label("核实情况").input_value() == "评价人反映等候两小时；调取叫号记录核实。"
    assert dialogs == ["beforeunload"], "a comment posts without leaving the page"
    page.goto(f"{live_server}/inbox")
    assert dialogs == ["beforeunload", "beforeunload"], "after a comment, leaving still asks"
    page.goto(f"{live_server}/tasks/{task['id']}")
    assert page.get_by_label("核实情况").input_value() == "评价人反映等候两小时；调取叫号记录核实。"

    # signing out forgets the local copy: on a shared computer the next person finds nothing typed
    log_out(page)
    assert page.evaluate("Object.keys(window.localStorage).filter(k => k.startsWith('zg-draft:'))") == []
    log_in(page, live_server, "sm-officer")
    page.goto(f"{live_server}/tasks/{task['id']}")
    assert page.get_by_label("核实情况").input_value() == ""
    assert not page.locator("#draft-restored").is_visible()


def test_a_conflict_shows_the_form_again_with_every_typed_value_and_what_changed(page, live_server, api, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    case = api.bad_review(record_no="LN-409-0001")
    task = only_task(api, case["case_id"], "ln-officer")
    log_in(page, live_server, "ln-officer")
    page.goto(f"{live_server}/tasks/{task['id']}")
    page.get_by_label("已联系上").check()
    page.get_by_label("回访时间").fill("2025-09-26T15:00")
    page.get_by_label("核实情况").fill("我花了半小时写下的核实情况")
    assert api.post(f"/api/v1/tasks/{task['id']}/claim", "ln-officer2").status_code == 200
    db.session.remove()
    page.get_by_role("button", name="提交办结").click()
    alert = page.locator(".conflict")
    alert.wait_for()
    assert "您填写的内容未能提交" in alert.inner_text() and "认领" in alert.inner_text()
    assert page.get_by_label("核实情况").input_value() == "我花了半小时写下的核实情况"
    assert page.get_by_label("回访时间").input_value() == "2025-09-26T15:00"
    assert page.get_by_label("已联系上").is_checked()
    assert page.get_by_role("button", name="提交办结").is_disabled()
    screenshot(page, "task-conflict.png", full_page=True)


def test_a_supervisor_urges_and_reassigns_the_late_task_from_the_supervision_page(page, live_server, api, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    case = api.bad_review("sanming", record_no="SM-LATE-0009")
    late = only_task(api, case["case_id"], "sm-officer")
    run_timers(api.app, "2025-10-01T00:00:01+08:00")
    clock.set("2025-10-10T10:00:00+08:00")
    log_in(page, live_server, "sm-supervisor")
    page.goto(f"{live_server}/inbox")
    assert page.locator('.tabs .count[data-view="my_roles"]').inner_text() == "1"
    page.get_by_role("link", name="督办：回访核实逾期").first.click()
    panel = page.locator(".late-task")
    assert "回访核实" in panel.inner_text() and "2025-09-30" in panel.inner_text()
    assert "2 个工作日" in panel.locator(".late-days").inner_text()
    assert "三明市市场监督管理局窗口" in panel.locator(".late-holder").inner_text()
    screenshot(page, "supervision-late-task.png", full_page=True)

    panel.get_by_label("催办说明").fill("请今日内回访评价人")
    panel.get_by_role("button", name="催办").click()
    assert "已催办" in page.locator(".flash-success").inner_text()
    reassign = page.locator(".reassign")
    assert "改派被督办的任务" in reassign.inner_text()
    reassign.get_by_label("改派给人员").select_option("sm-officer")
    reassign.get_by_label("理由").fill("专人跟进")
    reassign.get_by_role("button", name="改派").click()
    assert "任务已改派" in page.locator(".flash-success").inner_text()
    assert "陈静" in page.locator(".late-holder").inner_text()
    db.session.remove()
    assert db.session.get(HumanTask, late["id"]).assignee.username == "sm-officer"

    page.goto(f"{live_server}/inbox?view=overdue")
    assert case["case_no"] in page.locator("table.inbox").inner_text()
    screenshot(page, "inbox-overdue-supervisor.png", full_page=True)
    page.get_by_role("link", name="下属单位工作量").click()
    row = page.locator('tr[data-org="sm-scjg"]')
    assert row.locator("td.overdue").inner_text() == "1"
    screenshot(page, "unit-load.png", full_page=True)
    row.locator("td.overdue a").click()
    assert case["case_no"] in page.locator("table.inbox").inner_text()
