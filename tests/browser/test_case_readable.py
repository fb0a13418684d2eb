"""An auditor reads a case: the history in sentences, the diagram fitted to the panel's width with zoom and full
screen, and the dossier to print (its first two pages rendered to PNG by chromium)."""

from __future__ import annotations

from tests.browser.conftest import log_in, screenshot
from tests.web.flows import callback, complete, only_task

A4 = {"width": 794, "height": 1123}  # an A4 page at 96 dpi


def _ledger_case(api, clock) -> int:
    clock.set("2025-09-26T02:00:00+00:00")
    case = api.bad_review()
    complete(api, only_task(api, case["case_id"], "ln-officer")["id"], "ln-officer", callback("ledger"))
    return case["case_id"]


def _scale(page) -> float:
    return float(page.locator("#diagram").get_attribute("data-scale"))


def test_the_diagram_fits_the_width_zooms_and_goes_full_screen_and_the_history_reads_as_sentences(
    page, live_server, api, clock
):
    cid = _ledger_case(api, clock)
    log_in(page, live_server, "ln-auditor")
    page.goto(f"{live_server}/cases/{cid}")
    page.wait_for_selector("#diagram[data-ready=true]")
    diagram = page.locator("#diagram")
    panel = diagram.bounding_box()
    drawn = diagram.locator("svg .viewport").bounding_box()
    assert drawn["width"] > panel["width"] * 0.85, (drawn, panel)  # fitted to the width, not to a 360 px box
    label = diagram.locator('[data-element-id="Call_Callback"] text').first.bounding_box()
    assert label["height"] >= 9, label  # readable labels
    assert panel["height"] >= 260
    screenshot(page, "case-diagram.png", clip=page.locator(".diagram-panel").bounding_box())
    before = page.evaluate("() => document.querySelector('#diagram svg .viewport').getBoundingClientRect().width")
    page.get_by_role("button", name="放大").click()
    after = page.evaluate("() => document.querySelector('#diagram svg .viewport').getBoundingClientRect().width")
    assert after > before * 1.2
    page.get_by_role("button", name="适应宽度").click()
    page.get_by_role("button", name="全屏").click()
    page.wait_for_selector(".diagram-frame.is-fullscreen")
    page.keyboard.press("Escape")
    page.evaluate("() => document.fullscreenElement && document.exitFullscreen()")
    page.wait_for_selector(".diagram-frame:not(.is-fullscreen)")

    history = page.locator("ol.timeline")
    assert "王晓明办结了任务“回访核实”。" in history.inner_text() and "Task_Callback" not in history.inner_text()
    page.locator(".timeline-panel").scroll_into_view_if_needed()
    screenshot(page, "case-history.png", clip=page.locator(".timeline-panel").bounding_box())


def test_the_dossier_prints_its_first_two_pages(browser, live_server, api, clock):
    cid = _ledger_case(api, clock)
    context = browser.new_context(viewport=A4, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    log_in(page, live_server, "ln-auditor")
    page.goto(f"{live_server}/cases/{cid}/dossier")
    page.emulate_media(media="print")
    assert "差评工单案卷" in page.locator("h1").first.inner_text()
    pdf = page.request.get(f"{live_server}/cases/{cid}/dossier.pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    height = page.evaluate("() => document.documentElement.scrollHeight")
    assert height > A4["height"]
    screenshot(page, "dossier-page-1.png", clip={"x": 0, "y": 0, **A4})
    screenshot(
        page,
        "dossier-page-2.png",
        clip={"x": 0, "y": A4["height"], "width": A4["width"], "height": min(A4["height"], height - A4["height"])},
        full_page=True,
    )
    context.close()
