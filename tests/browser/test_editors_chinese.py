"""The editors speak Chinese: the properties panel and dmn-js through their translate modules."""

from __future__ import annotations

from tests.browser.conftest import log_in, screenshot

BASE = "/admin/liaoning"


def test_the_properties_panel_names_element_types_and_groups_in_chinese(page, live_server):
    log_in(page, live_server, "ln-admin")
    page.goto(f"{live_server}{BASE}/modeler?file=callback.bpmn")
    page.wait_for_selector("#canvas[data-ready=true]")
    select = "() => zgModeler.get('selection').select(zgModeler.get('elementRegistry').get('Task_Callback'))"
    page.evaluate(select)
    panel = page.locator("#properties")
    header = panel.locator(".bio-properties-panel-header-type")
    header.wait_for()
    assert header.inner_text().strip().upper() == "用户任务"
    groups = panel.locator(".bio-properties-panel-group-header-title").all_inner_texts()
    assert "常规" in "".join(groups) or "基本" in "".join(groups), groups
    assert not {"General", "User assignment", "Documentation"} & set(groups), groups
    screenshot(page, "admin-modeler-zh.png")


def test_dmn_js_speaks_chinese_from_its_production_build(page, live_server):
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    log_in(page, live_server, "ln-admin")
    page.goto(f"{live_server}{BASE}/decisions?new=routing_zh")
    page.wait_for_selector("#dmn[data-ready=true]")
    text = page.locator("#dmn").inner_text()
    assert "查看决策需求图" in text and "View DRD" not in text, text[:300]
    assert "命中策略" in text and "Hit policy" not in text
    assert "条件" in text and "结果" in text and "When" not in text and "Then" not in text
    assert not [m for m in console if "development" in m.lower()], console
    screenshot(page, "admin-decisions-zh.png")
