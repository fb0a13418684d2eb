"""An automated accessibility check (axe-core, WCAG 2.1 A and AA) on the pages people work in."""

from __future__ import annotations

import json

from tests.browser.conftest import OFFICE_SCREEN, REPO, log_in, log_out
from tests.browser.test_officer_and_auditor import _cases

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
RUN = """async () => {
  const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').slice(0, 200))}));
}"""


def _serious(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return [v for v in page.evaluate(RUN) if v["impact"] in ("serious", "critical")]


def test_inbox_task_case_audit_and_admin_pages_have_no_serious_accessibility_violations(
    browser, live_server, api, clock
):
    late = _cases(api, clock)
    # axe is injected as a script tag; the pages' CSP (script-src 'self') would refuse it
    context = browser.new_context(viewport=OFFICE_SCREEN, locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    found: dict[str, list[dict]] = {}
    log_in(page, live_server, "sm-officer")
    page.goto(f"{live_server}/inbox?view=my_roles")
    found["inbox"] = _serious(page)
    page.locator("table.inbox tbody tr").first.get_by_role("link", name="回访核实").click()
    page.wait_for_url(f"{live_server}/tasks/**")
    found["task"] = _serious(page)
    log_out(page)
    log_in(page, live_server, "sm-auditor")
    page.goto(f"{live_server}/audit/cases")
    found["audit"] = _serious(page)
    page.goto(f"{live_server}/cases/{late['case_id']}")
    page.wait_for_selector("#diagram[data-ready=true]")
    found["case"] = _serious(page)
    log_out(page)
    log_in(page, live_server, "sm-admin")
    page.goto(f"{live_server}/admin/")
    found["admin"] = _serious(page)
    page.goto(f"{live_server}/no-such-page")
    found["404"] = _serious(page)
    context.close()
    assert not any(found.values()), json.dumps({k: v for k, v in found.items() if v}, ensure_ascii=False, indent=1)
