"""The other editors in a real browser: a new decision table in dmn-js validated and deployed, a form edited with
its live preview, the calendar table with a row added, a desktop file uploaded into the modeler."""

from __future__ import annotations

import json

from tests.browser.conftest import log_in, screenshot

BASE = "/admin/liaoning"


def test_an_admin_creates_a_decision_table_in_dmn_js_and_deploys_it(page, live_server):
    log_in(page, live_server, "ln-admin")
    page.goto(f"{live_server}{BASE}/decisions")
    page.get_by_label("新建决策表：文件名").fill("routing_rules")
    page.get_by_role("button", name="新建").click()
    page.wait_for_selector("#dmn[data-ready=true]")
    table = page.locator("#dmn .tjs-table")
    assert "level" in table.inner_text() and '"supervisor"' in table.inner_text()
    screenshot(page, "admin-decisions.png")
    page.get_by_role("button", name="校验").click()
    page.get_by_text("校验通过：此版本可以部署。").wait_for()
    page.get_by_label("修改原因（随版本保存）").fill("新增分派决策表")
    page.get_by_role("button", name="部署为新版本").click()
    page.get_by_text("已部署为第 2 版。").wait_for()
    page.goto(f"{live_server}{BASE}/")
    assert "routing_rules.dmn" in page.locator(".files").inner_text()


def test_an_admin_edits_a_form_and_sees_the_preview_change_as_they_type(page, live_server):
    log_in(page, live_server, "ln-admin")
    page.goto(f"{live_server}{BASE}/forms/callback_verification")
    text = page.locator("#form-text")
    definition = json.loads(text.input_value())
    definition["fields"].append({"name": "visit_note", "label": "走访记录", "type": "text"})
    text.fill(json.dumps(definition, ensure_ascii=False, indent=2))
    page.locator('#form-preview [data-field="visit_note"]').wait_for()
    assert "走访记录" in page.locator("#form-preview").inner_text()
    text.fill(text.input_value().replace('"type": "text"', '"type": "decimal"'))
    page.locator("#form-problems li").first.wait_for()
    assert "visit_note" in page.locator("#form-problems").inner_text()
    screenshot(page, "admin-form.png")


def test_the_calendar_table_grows_a_row_and_previews_the_change(page, live_server):
    log_in(page, live_server, "ln-admin")
    page.goto(f"{live_server}{BASE}/calendar?year=2025")
    rows = page.locator("#calendar-rows tr")
    count = rows.count()
    page.get_by_role("button", name="添加一天").click()
    assert rows.count() == count + 1
    rows.last.locator("input[type=date]").fill("2025-10-10")
    rows.last.locator("select").select_option("closed")
    rows.last.locator("input[name=name]").fill("系统升级停止办公")
    page.get_by_role("button", name="预览变化").click()
    page.locator("#preview").wait_for()
    assert "2025-10-10" in page.locator("#preview").inner_text()
    screenshot(page, "admin-calendar.png", full_page=True)


def test_a_file_from_the_desktop_is_loaded_into_the_modeler_and_validated(page, live_server, tmp_path):
    log_in(page, live_server, "ln-admin")
    page.goto(f"{live_server}{BASE}/modeler?file=callback.bpmn")  # the called process of the callback step
    page.wait_for_selector("#canvas[data-ready=true]")
    with page.expect_download() as download:
        page.get_by_role("button", name="下载").click()
    saved = tmp_path / "callback.bpmn"
    download.value.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert 'id="Task_Callback"' in text
    saved.write_text(
        text.replace('camunda:candidateGroups="officer"', 'camunda:candidateGroups="nobody"', 1), encoding="utf-8"
    )
    page.locator("#file-upload").set_input_files(str(saved))
    page.get_by_text("文件已载入编辑器").wait_for()
    page.get_by_role("button", name="校验").click()
    problem = page.locator("button.problem").first
    problem.wait_for()
    element = problem.get_attribute("data-element")
    problem.click()
    selected = page.evaluate("zgModeler.get('selection').get().map(e => e.id)")
    assert selected == [element]
    assert page.locator(f'#canvas [data-element-id="{element}"].zg-problem').count() == 1
    screenshot(page, "admin-problems.png")
