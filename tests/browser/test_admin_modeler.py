"""An administrator changes the callback deadline in the browser's modeler (Camunda 7 properties panel),
validates, runs a test case, deploys with a comment; new bad reviews get the new deadline, older cases keep
theirs; the version diff shows the change on the diagram."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import log_in, screenshot
from tests.web.flows import open_tasks
from web.admin.routes import MODELER_BUNDLE

TASK = "Task_Callback"


@pytest.fixture(autouse=True)
def _modeler_built():
    assert MODELER_BUNDLE.is_file(), "the admin modeler is not built: run make setup (npm ci, npm run build)"


def _callback(api, case_id: int) -> dict:
    (task,) = [t for t in open_tasks(api, case_id, "ln-officer") if t["element_id"] == TASK]
    return task


def _due_date_in_panel(page) -> str:
    return page.evaluate(f"zgModeler.get('elementRegistry').get('{TASK}').businessObject.dueDate")


def _wait_until(page, condition, timeout_ms: int = 5000) -> None:
    """Poll from Python: the page's CSP forbids the eval that page.wait_for_function needs."""
    for _ in range(timeout_ms // 100):
        if condition():
            return
        page.wait_for_timeout(100)
    assert condition()


def test_an_admin_changes_the_callback_deadline_in_the_modeler_and_only_new_cases_get_it(page, live_server, api, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    old_case = api.bad_review(record_no="LN-BEFORE")
    old_due = _callback(api, old_case["case_id"])["due_date"]

    log_in(page, live_server, "ln-admin")
    page.get_by_role("link", name="规则管理").click()
    page.get_by_role("link", name="流程图", exact=True).click()
    page.wait_for_selector("#canvas[data-ready=true]")
    page.goto(f"{live_server}/admin/liaoning/modeler?file=callback.bpmn")  # the callback step's called process
    page.wait_for_selector("#canvas[data-ready=true]")
    before = _due_date_in_panel(page)
    setting = re.fullmatch(r"\$\{workdays\((settings\['callback_workdays'\])\)\}", before).group(1)
    new_expr = f"${{workdays({setting} + 1)}}"

    task = page.locator(f'#canvas [data-element-id="{TASK}"]')
    box = task.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.keyboard.down("Control")
    for _ in range(8):  # zoom in on the task, as a person would
        page.mouse.wheel(0, -120)
        page.wait_for_timeout(60)
    page.keyboard.up("Control")
    page.evaluate(  # select it as a click does (the callback diagram's first task sits under the palette)
        "(id) => { const r = zgModeler.get('elementRegistry'); zgModeler.get('selection').select(r.get(id)); }", TASK
    )
    panel = page.locator("#properties")
    panel.get_by_text("回访核实", exact=True).first.wait_for()
    panel.locator('[data-group-id="group-CamundaPlatform__UserAssignment"] .bio-properties-panel-group-header').click()
    due = panel.locator("#bio-properties-panel-dueDate")
    due.fill(new_expr)
    _wait_until(page, lambda: _due_date_in_panel(page) == new_expr)  # the panel commits after a short debounce
    page.evaluate(  # the overdue timer follows the due date (deployment refuses the two disagreeing)
        "(expr) => { const element = zgModeler.get('elementRegistry').get('Timer_CallbackOverdue');"
        " const timeDate = element.businessObject.eventDefinitions[0].timeDate;"
        " zgModeler.get('modeling').updateModdleProperties(element, timeDate, { body: expr }); }",
        new_expr[2:-1],
    )
    screenshot(page, "admin-modeler.png")

    page.get_by_role("button", name="校验").click()
    page.get_by_text("校验通过：此版本可以部署。").wait_for()
    page.get_by_role("button", name="试运行").click()
    dry = page.locator(".dry-run-tasks tr[data-element-id='Task_Callback']")
    dry.wait_for()
    assert "+ 1" in dry.inner_text()

    page.get_by_role("button", name="部署为新版本").click()
    assert "部署前请说明修改原因" in page.locator("#rules-status").inner_text()
    page.get_by_label("修改原因（随版本保存）").fill("回访时限延长 1 个工作日")
    page.get_by_role("button", name="部署为新版本").click()
    page.get_by_text("已部署为第 2 版。").wait_for()

    clock.set("2025-09-29T09:00:00+08:00")
    new_case = api.bad_review(record_no="LN-AFTER")
    new_task = _callback(api, new_case["case_id"])
    assert new_task["due_date"] != old_due
    assert _callback(api, old_case["case_id"])["due_date"] == old_due
    versions = {
        c: api.get(f"/api/v1/cases/{c}", "ln-auditor").get_json()["definition"]["version"]
        for c in (old_case["case_id"], new_case["case_id"])
    }
    assert versions == {old_case["case_id"]: 1, new_case["case_id"]: 2}

    page.goto(f"{live_server}/admin/liaoning/versions")
    row = page.locator("tr[data-version='2']")
    assert "ln-admin" in row.inner_text() and "回访时限延长 1 个工作日" in row.inner_text()
    row.get_by_role("link", name="变更").click()
    page.wait_for_selector("#diagram-old[data-ready=true]")
    page.wait_for_selector("#diagram-new[data-ready=true]")
    page.wait_for_selector("#diff[data-ready=true]")
    assert page.locator(f'#diagram-new [data-element-id="{TASK}"].zg-changed').count() == 1
    assert page.locator(f'#diagram-old [data-element-id="{TASK}"].zg-changed').count() == 1
    change = page.locator(f"tr.diff-changed[data-element-id='{TASK}']")
    assert "截止时间" in change.inner_text() and new_expr in change.inner_text() and before in change.inner_text()
    screenshot(page, "admin-diff.png", full_page=True)
