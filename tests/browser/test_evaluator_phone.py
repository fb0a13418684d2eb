"""An evaluator on a 390 px phone, signed in nowhere: rates by a window's QR code, by an SMS link (used once), and
follows the case to its answer on the same link."""

from __future__ import annotations

from sqlalchemy import select

from casemgmt.db import db
from casemgmt.models import Case, Evaluation
from tests.browser.conftest import PHONE_SCREEN, screenshot
from tests.regions.helpers import FORMS, callback, do


def _phone(browser):
    context = browser.new_context(viewport=PHONE_SCREEN, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    return context, context.new_page()


def _fits(page) -> None:
    """Nothing is wider than the phone: no sideways scrolling."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_SCREEN["width"]


def _sms_link(api, record_no: str) -> str:
    body = {
        "region": "nea",
        "record_no": record_no,
        "item_code": "NEA-0001",
        "org_code": "nea-db-zz",
        "completed_at": "2025-09-26T09:00:00+08:00",
        "evaluator_phone": "13812341234",
    }
    record_id = api.post("/api/v1/service-records", "nea-channel", json=body).get_json()["id"]
    url = api.post(f"/api/v1/service-records/{record_id}/rating-link", "nea-channel").get_json()["url"]
    return url.replace("http://localhost", "")


def test_an_evaluator_rates_a_window_by_its_static_qr_code(browser, live_server):
    context, page = _phone(browser)
    page.goto(f"{live_server}/rate/liaoning/ln-sy-scjg")
    _fits(page)
    page.get_by_label("事项").select_option("LN-0003")
    page.get_by_label("办件编号（选填，见受理回执）").fill("LN-QR-77")
    page.get_by_label("不满意", exact=True).check()
    page.get_by_label("办理时间过长").check()
    page.get_by_label("意见建议").fill("排队一个多小时")
    page.get_by_label("姓名", exact=True).fill("王五")
    page.get_by_label("电话", exact=True).fill("13700001111")
    screenshot(page, "rate-static-qr.png", full_page=True)
    page.get_by_role("button", name="提交评价").click()
    page.get_by_role("alert").wait_for()
    assert "留下姓名或电话须同意使用说明" in page.get_by_role("alert").inner_text()
    page.get_by_label("本人同意", exact=False).check()
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_url("**/rate/f/**")
    assert page.get_by_text("感谢您的评价").is_visible() and page.get_by_text("不满意").first.is_visible()
    _fits(page)
    screenshot(page, "rate-follow-received.png", full_page=True)
    context.close()


def test_an_sms_link_rates_once_and_follows_the_case_to_its_answer(browser, live_server, api):
    path = _sms_link(api, "NEA-SMS-1")
    context, page = _phone(browser)
    page.goto(f"{live_server}{path}")
    assert page.get_by_text("NEA-SMS-1").is_visible()
    overall = page.get_by_role("group", name="您的评价")
    assert overall.get_by_label("很差").is_visible()  # NEA's own labels
    overall.get_by_label("很差").check()
    page.get_by_role("group", name="工作人员服务态度").get_by_label("差", exact=True).check()  # 一次一评 items
    page.get_by_label("多次往返跑腿").check()
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_url("**/rate/f/**")
    _fits(page)
    # the link now follows the case; posting it again is refused
    page.goto(f"{live_server}{path}")
    assert page.locator('[data-step="answered"]').get_attribute("class") != "done"
    screenshot(page, "rate-sms-follow-handling.png", full_page=True)
    case_id = _case_of("NEA-SMS-1")
    assert db.session.get(Case, case_id).evaluation.sub_ratings == {"attitude": "dissatisfied"}
    db.session.remove()
    do(api, case_id, "nea-officer", "Task_Callback", callback("immediate_fix"))
    do(api, case_id, "nea-officer", "Task_ImmediateFix", FORMS["immediate_fix"])
    do(api, case_id, "nea-officer", "Task_Feedback", FORMS["feedback"])
    page.reload()
    for step in ("received", "handling", "rectified", "answered"):
        assert page.locator(f'[data-step="{step}"]').get_attribute("class") == "done", step
    assert page.get_by_text("已答复").is_visible()
    text = page.content()
    assert "Task_" not in text and "nea-officer" not in text and "13812341234" not in text
    screenshot(page, "rate-sms-follow-answered.png", full_page=True)
    context.close()


def test_a_used_sms_link_refuses_a_second_rating_in_the_browser(browser, live_server, api):
    path = _sms_link(api, "NEA-SMS-2")
    context, page = _phone(browser)
    stale_context, stale = _phone(browser)
    stale.goto(f"{live_server}{path}")  # the same link opened twice: the second form is submitted last
    page.goto(f"{live_server}{path}")
    page.get_by_role("group", name="您的评价").get_by_label("好", exact=True).check()
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_url("**/rate/f/**")
    stale.get_by_role("group", name="您的评价").get_by_label("很好").check()
    stale.get_by_role("button", name="提交评价").click()
    stale.get_by_role("alert").wait_for()
    assert "该评价链接已使用或已失效" in stale.get_by_role("alert").inner_text()
    screenshot(stale, "rate-sms-link-used.png", full_page=True)
    stale.goto(f"{live_server}{path}")
    assert stale.get_by_text("感谢您的评价").is_visible()  # the link now shows progress, not a form
    assert stale.get_by_role("button", name="提交评价").count() == 0
    stale_context.close()
    context.close()


def _case_of(record_no: str) -> int:
    case_id = db.session.scalar(select(Case.id).join(Evaluation).where(Evaluation.record_no == record_no))
    db.session.remove()
    return case_id
