"""A coordinator reads the dashboard: figures, charts drawn by ECharts, the bottom units, a drill-down to cases."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from sqlalchemy import select

from casemgmt.db import db
from casemgmt.models import User
from tests.browser.conftest import log_in, screenshot
from tests.stats.test_rollups import _random_history


def _history(seeded_app) -> None:
    channel = db.session.scalar(select(User).where(User.username == "ln-channel"))
    _random_history(random.Random(7), channel)
    db.session.commit()
    db.session.remove()


def test_a_coordinator_reads_the_dashboard_and_drills_down_to_the_cases(page, live_server, seeded_app, clock):
    _history(seeded_app)
    clock.set(datetime(2025, 10, 20, 2, 0, tzinfo=UTC))
    log_in(page, live_server, "ln-coordinator")
    page.get_by_role("link", name="统计分析").click()
    page.get_by_label("统计期间").select_option("2025Q3")
    page.get_by_role("button", name="显示").click()
    page.wait_for_selector("#chart-trend svg")
    assert page.locator("#chart-units svg").count() == 1 and page.locator("#chart-hot-item svg").count() == 1
    assert page.locator("table.ranking tbody tr").count() >= 2
    assert page.get_by_text("实名差评回访率").first.is_visible()
    screenshot(page, "stats-dashboard.png", full_page=True)

    page.locator(".kpi").first.locator("xpath=following-sibling::div[1]").get_by_role("link").click()
    page.wait_for_url("**/stats/cases**")
    assert page.locator("table.drill tbody tr").count() > 0
    assert "13812341234" not in page.content()


def test_a_supervisor_sees_only_their_units(page, live_server, seeded_app, clock):
    _history(seeded_app)
    clock.set(datetime(2025, 10, 20, 2, 0, tzinfo=UTC))
    log_in(page, live_server, "ln-supervisor")
    page.goto(f"{live_server}/stats?period=2025")
    options = page.locator("select[name=org] option").all_inner_texts()
    assert not any("大连" in text for text in options)
    assert page.goto(f"{live_server}/stats?period=2025&org=ln-dl").status == 404


def test_a_published_report_and_the_public_page(browser, page, live_server, seeded_app, api, clock):
    from casemgmt.stats import report_pdf
    from tests.browser.conftest import PHONE_SCREEN

    _history(seeded_app)
    clock.set(datetime(2025, 10, 20, 2, 0, tzinfo=UTC))
    log_in(page, live_server, "ln-coordinator")
    page.goto(f"{live_server}/stats/reports")
    page.get_by_label("报告").select_option("quarterly")
    page.get_by_label("统计期间").select_option("2025Q3")
    with page.expect_navigation():  # count() does not wait for the page the form posts to
        page.get_by_role("button", name="发布").click()
    assert page.locator("table.reports tbody tr").count() == 1
    report = db.session.execute(db.text("SELECT id, figures FROM stat_reports")).one()
    # the PDF's first page, as its HTML renders in chromium (no pdftoppm here): the same markup WeasyPrint prints
    sheet = browser.new_page(viewport={"width": 1123, "height": 794})
    figures = report.figures if isinstance(report.figures, dict) else __import__("json").loads(report.figures)
    sheet.set_content(report_pdf.html(figures))
    screenshot(sheet, "stats-report-page1.png")
    sheet.close()

    phone = browser.new_context(viewport=PHONE_SCREEN, locale="zh-CN").new_page()
    phone.goto(f"{live_server}/public/stats/liaoning?period=2025")
    assert phone.get_by_text("好差评季度报告").count() == 1
    assert phone.locator("table.public-units tbody tr").count() >= 1
    screenshot(phone, "stats-public.png", full_page=True)
    phone.context.close()
