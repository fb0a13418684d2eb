"""How many clicks a handling officer needs for a whole ledger case (回访核实 → 限期整改 → 反馈评价人), from the
inbox to the closed case, counted in the browser. Every mouse action counts: links, buttons, radio buttons and
each text field clicked into before typing. The count is written to test-artifacts/run/ledger-case-clicks.txt."""

from __future__ import annotations

import os
from pathlib import Path

from casemgmt.db import db
from casemgmt.models import Case, CaseStatus
from tests.browser.conftest import PASSWORD, REPO, SCREENSHOTS


class Clicks:
    """Click like a person and count it: a click per control, a click into each field before typing."""

    def __init__(self, page) -> None:
        self.page, self.count, self.typed = page, 0, 0

    def click(self, locator) -> None:
        locator.click()
        self.count += 1

    def type(self, locator, text: str) -> None:
        self.click(locator)
        locator.fill(text)
        self.typed += 1


def test_a_ledger_case_from_the_inbox_to_closed(page, live_server, api, clock):
    clock.set("2025-09-29T10:00:00+08:00")
    cid = api.bad_review("liaoning", evaluated_at="2025-09-29T10:00:00+08:00")["case_id"]
    db.session.remove()
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill("ln-officer")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server}/inbox**")  # signing in is not counted
    c = Clicks(page)

    def form():
        return page.locator("section.task-form")

    c.click(page.get_by_role("link", name="回访核实", exact=True).first)
    page.wait_for_url("**/tasks/**")  # count() does not wait: ask the task page, not the inbox still on screen
    form().wait_for()
    call = page.get_by_role("button", name="显示电话并拨打")
    can_call = call.count() == 1
    if can_call:  # the number as a tel: link (the dialling itself is the phone's, not counted)
        c.click(call)
    c.click(form().get_by_label("已联系上"))
    c.type(form().get_by_label("回访时间"), "2025-09-29T15:00")
    c.type(form().get_by_label("核实情况"), "窗口系统改造需时，建立台账限期整改")
    c.click(form().get_by_label("属实：情况复杂、一时难以解决，建立台账限期整改"))
    c.click(page.get_by_role("button", name="提交办结"))
    page.wait_for_url("**/tasks/**")
    assert "限期整改" in page.locator("h1").inner_text()
    c.type(page.get_by_label("整改措施"), "优化预约系统")
    c.click(page.locator('[data-field="rectified"]').get_by_label("是"))
    c.type(page.get_by_label("完成时间"), "2025-10-15T10:00")
    c.click(page.get_by_role("button", name="提交办结"))
    page.wait_for_url("**/tasks/**")
    assert "反馈评价人" in page.locator("h1").inner_text()
    c.type(page.get_by_label("反馈内容"), "已整改并电话告知")
    c.click(page.get_by_label("电话", exact=True))
    c.type(page.get_by_label("反馈时间"), "2025-10-16T10:00")
    c.click(page.get_by_label("满意", exact=True))
    c.click(page.get_by_role("button", name="提交办结"))
    page.wait_for_url("**/inbox**")
    db.session.remove()
    assert db.session.get(Case, cid).status == CaseStatus.CLOSED
    folder = REPO / os.environ.get("SCREENSHOTS_DIR", SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    line = f"clicks={c.count} fields_typed={c.typed} controls={c.count - c.typed} evaluator_number={can_call}\n"
    Path(folder, "ledger-case-clicks.txt").write_text(line, encoding="utf-8")
    print(line)
    assert can_call, "the callback officer gets the evaluator's number with one click"
