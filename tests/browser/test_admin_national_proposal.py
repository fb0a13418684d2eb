"""An administrator finds a national update from the rules overview, reads its diff and dry run, and deploys it
with a reason in a real browser."""

from __future__ import annotations

from casemgmt.rules import bundles
from casemgmt.rules.regions import get_region
from tests.admin.edits import upgrade_national_feedback
from tests.browser.conftest import log_in, screenshot

BASE = "/admin/liaoning"


def test_an_admin_sees_a_national_update_and_deploys_it_with_a_reason(page, live_server, seeded_app, tmp_path):
    upgrade_national_feedback(seeded_app, tmp_path)
    before = bundles.get_active(get_region("liaoning").id).version
    log_in(page, live_server, "ln-admin")
    page.goto(f"{live_server}{BASE}/")
    page.get_by_role("link", name="查看全国规则更新：差异、试运行、部署或保留").click()
    page.wait_for_url(f"{live_server}{BASE}/national-proposal")
    assert "feedback.bpmn" in page.locator("#proposal-files").inner_text()
    row = page.locator('.diff-table tr[data-element-id="Task_DissatisfactionReview"]')
    assert "不满意复核（监督部门）" in row.inner_text()
    assert page.locator('.dry-run-tasks tr[data-element-id="Task_Callback"]').count() == 1
    screenshot(page, "admin-national-proposal.png", full_page=True)
    page.get_by_label("原因（随版本和审计记录保存）").fill("采纳新版国家规则库：复核改由监督部门办理")
    page.get_by_role("button", name="采纳更新并部署为新版本").click()
    page.get_by_text(f"全国规则更新已部署为第 {before + 1} 版。").wait_for()
    assert page.url.endswith(f"{BASE}/versions")
    assert "采纳国家规则更新：采纳新版国家规则库" in page.locator("main").inner_text()
    assert bundles.get_active(get_region("liaoning").id).version == before + 1
