"""People at a browser doing casework (issue 11): a consulted department answers, an extension is requested and
approved and the officer sees the new date, an appeal is filed and decided, a case is transferred; the callback
officer calls the evaluator and logs attempts; the unit's ledger. Each new page is saved as a screenshot."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from casemgmt.db import db
from tests.browser.conftest import log_in, log_out, screenshot
from tests.regions.helpers import callback, do


def _open_task(page, title: str) -> None:
    """From the inbox, claim the one task with this title and land on its page."""
    row = page.locator("table.inbox tbody tr", has=page.get_by_role("link", name=title, exact=True))
    row.get_by_role("button", name="认领").click()
    page.wait_for_url("**/tasks/**")
    assert "任务已认领" in page.locator(".flash").first.inner_text()


def test_a_consulted_department_reads_the_case_and_answers(page, live_server, api, clock):
    clock.set("2026-02-12T09:00:00+08:00")
    cid = api.bad_review("sanming", evaluated_at="2026-02-12T09:00:00+08:00")["case_id"]
    do(api, cid, "sm-officer", "Task_Callback", callback("consultation"))
    convene = {"consult_orgs": ["sm-zjj"], "consult_topic": "预售许可材料互认"}
    do(api, cid, "sm-officer", "Task_ConveneConsultation", convene)
    db.session.remove()
    log_in(page, live_server, "sm-zjj-officer")
    _open_task(page, "会商意见")
    assert "138****1234" in page.locator(".evaluator").inner_text()  # reads the case, the evaluator masked
    assert "无权" not in page.content()
    screenshot(page, "consultation-reply.png", full_page=True)
    page.get_by_label("本部门意见").fill("本部门同意联合整改，共享预售许可材料")
    page.get_by_role("button", name="提交办结").click()
    page.wait_for_url("**/inbox**")
    page.goto(f"{live_server}/cases/{cid}")
    assert page.locator("h1").inner_text().startswith("工单")
    assert "138****1234" in page.locator(".evaluator").inner_text()
    screenshot(page, "consultation-case.png", full_page=True)


def test_an_extension_is_requested_approved_and_the_officer_sees_the_new_date(page, live_server, api, clock):
    from playwright.sync_api import expect  # the browser fixture skips the test first when playwright is missing

    clock.set("2025-12-10T10:00:00+08:00")
    cid = api.bad_review("liaoning", evaluated_at="2025-12-10T10:00:00+08:00")["case_id"]
    do(api, cid, "ln-officer", "Task_Callback", callback("ledger"))
    clock.set("2025-12-29T10:00:00+08:00")
    db.session.remove()
    log_in(page, live_server, "ln-officer")
    _open_task(page, "限期整改")
    assert "2025-12-31" in page.locator(".task-head").inner_text()
    page.get_by_role("link", name="申请延期").click()
    page.get_by_label("延长的工作日数").fill("5")
    page.get_by_label("延期理由").fill("需协调省级系统改造")
    page.get_by_role("button", name="计算新的期限").click()
    assert page.locator(".ext-current").inner_text() == "2025-12-31"
    assert page.locator(".ext-new").inner_text() == "2026-01-08"
    page.get_by_label("延长的工作日数").fill("6")  # the JSON preview follows the typing
    expect(page.locator(".ext-new strong")).to_have_text("2026-01-09")
    page.get_by_label("延长的工作日数").fill("5")
    expect(page.locator(".ext-new strong")).to_have_text("2026-01-08")
    screenshot(page, "extension-request.png", full_page=True)
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url(f"**/cases/{cid}#casework")
    assert "申请中" in page.locator("h1").inner_text()
    log_out(page)

    log_in(page, live_server, "ln-sy-coordinator")
    _open_task(page, "延期审批")
    facts = page.locator("#extension-review")
    assert facts.locator(".ext-workdays").inner_text() == "5"
    assert (facts.locator(".ext-current").inner_text(), facts.locator(".ext-new").inner_text()) == (
        "2025-12-31",
        "2026-01-08",
    )
    assert facts.locator(".ext-cap").inner_text() == "15 个工作日" and "需协调省级系统改造" in facts.inner_text()
    screenshot(page, "extension-approval.png", full_page=True)
    page.locator('[data-field="extension_approved"]').get_by_label("是").check()
    page.get_by_label("审批意见").fill("同意延期")
    page.get_by_role("button", name="提交办结").click()
    page.wait_for_url("**/inbox**")
    log_out(page)

    log_in(page, live_server, "ln-officer")
    page.get_by_role("link", name="我的任务").click()
    page.get_by_role("link", name="限期整改", exact=True).click()
    head = page.locator(".task-head").inner_text()
    assert "2026-01-08" in head and "已延期" in head
    screenshot(page, "extension-approved-task.png", full_page=True)


def test_an_appeal_is_filed_with_evidence_and_decided(page, live_server, api, clock, tmp_path):
    clock.set("2025-09-26T10:00:00+08:00")
    cid = api.bad_review("sanming", evaluated_at="2025-09-26T10:00:00+08:00")["case_id"]
    clock.set("2025-09-29T10:00:00+08:00")
    db.session.remove()
    evidence = tmp_path / "录像截图.pdf"
    evidence.write_bytes(b"%PDF-1.4 evidence")
    log_in(page, live_server, "sm-officer")
    page.get_by_role("link", name="回访核实").first.click()
    page.get_by_role("link", name="提出申诉").click()
    assert "2025-10-10" in page.locator(".appeal-window").inner_text()
    page.get_by_label("申诉理由").fill("评价人当日未到窗口办理，系误评")
    page.get_by_label("举证材料").set_input_files(str(evidence))
    screenshot(page, "appeal-file.png", full_page=True)
    page.get_by_role("button", name="提交申诉").click()
    page.wait_for_url(f"**/cases/{cid}#casework")
    assert "申诉中" in page.locator("h1").inner_text()
    screenshot(page, "appeal-case.png", full_page=True)
    log_out(page)

    log_in(page, live_server, "sm-coordinator")
    _open_task(page, "申诉复核（政务服务主管部门）")
    review = page.locator("#appeal-review")
    assert "系误评" in review.inner_text() and "录像截图.pdf" in review.inner_text()
    screenshot(page, "appeal-review.png", full_page=True)
    page.locator('[data-field="appeal_upheld"]').get_by_label("否").check()
    page.get_by_label("复核意见").fill("调取录像，评价属实")
    page.get_by_role("button", name="提交办结").click()
    page.goto(f"{live_server}/cases/{cid}")
    assert "申诉不成立" in page.locator("#casework").inner_text()
    assert "申诉中" not in page.locator("h1").inner_text()


def test_a_case_is_transferred_and_the_callback_officer_calls_and_logs_attempts(page, live_server, api, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    cid = api.bad_review("liaoning", evaluated_at="2025-09-26T10:00:00+08:00")["case_id"]
    db.session.remove()
    log_in(page, live_server, "ln-officer")
    _open_task(page, "回访核实")
    page.get_by_role("button", name="显示电话并拨打").click()
    call = page.get_by_role("link", name=re.compile("拨打 13812341234"))
    assert call.get_attribute("href") == "tel:13812341234"
    callbacks = page.locator("#callbacks")
    callbacks.get_by_label("拨打时间").fill("2025-09-26T10:30")
    callbacks.get_by_label("结果").select_option(label="未联系上")
    callbacks.get_by_label("备注").fill("无人接听")
    callbacks.get_by_role("button", name="记录回访").click()
    assert "无人接听" in page.locator("#callbacks table").inner_text()
    screenshot(page, "callback-call-and-attempts.png", full_page=True)
    page.get_by_role("link", name="移交").click()
    page.get_by_label("理由").fill("评价人反映窗口人员违规收费")
    screenshot(page, "transfer.png", full_page=True)
    page.get_by_role("button", name="移交").click()
    page.wait_for_url(f"**/cases/{cid}#casework")
    assert "已移交" in page.locator("h1").inner_text()
    assert "违规收费" in page.locator("#casework").inner_text()
    screenshot(page, "transfer-case.png", full_page=True)


def test_the_ledger_of_a_unit_filters_and_downloads(page, live_server, api, clock):
    clock.set("2025-09-29T10:00:00+08:00")
    cid = api.bad_review("liaoning", evaluated_at="2025-09-29T10:00:00+08:00")["case_id"]
    do(api, cid, "ln-officer", "Task_Callback", callback("ledger"))
    db.session.remove()
    log_in(page, live_server, "ln-officer")
    with page.expect_navigation():  # count() does not wait for the next page
        page.get_by_role("link", name="台账").click()
    assert page.locator("table.ledger tbody tr.ledger-open").count() == 1
    page.get_by_label("仅看逾期").check()
    with page.expect_navigation():
        page.get_by_role("button", name="筛选").click()
    assert page.locator("table.ledger tbody tr.ledger-open").count() == 0
    page.get_by_label("仅看逾期").uncheck()
    page.get_by_role("button", name="筛选").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 xlsx").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    screenshot(page, "ledger.png", full_page=True)
    expect(page.locator("table.ledger tbody tr.ledger-open")).to_have_count(1)

    # progress on the entry: a refused note keeps what was typed, a good one lands in the list
    page.get_by_role("link", name="0 条进展").click()
    page.get_by_label("责任人").fill("张科长")
    page.get_by_role("button", name="记录进展").click()
    expect(page.get_by_role("alert")).to_contain_text("进展说明不能为空")
    assert page.get_by_label("责任人").input_value() == "张科长"
    page.get_by_label("进展说明").fill("已增设两个综合窗口，高峰期分流。")
    page.get_by_role("button", name="记录进展").click()
    expect(page.locator("#notes table")).to_contain_text("已增设两个综合窗口")
    screenshot(page, "ledger-entry.png", full_page=True)
