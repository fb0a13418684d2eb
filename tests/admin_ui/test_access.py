"""Region scoping on every admin route: the region's administrator gets in; another region's administrator gets
404 (even for a version that exists there), anyone without the admin role 403, a visitor the sign-in page;
refused writes change nothing. JSON routes answer in JSON, and need the CSRF token like every form."""

import pytest

from casemgmt.db import db
from casemgmt.models import AuditEvent, CalendarYear, ProcessDefinition
from tests.admin_ui.conftest import BASE, active_files, post_json

PAGES = [
    "/",
    "/modeler",
    "/modeler?file=bad_review.bpmn",
    "/decisions",
    "/decisions?new=routing_rules",
    "/decisions/new.dmn?name=routing_rules",
    "/forms",
    "/forms/callback_verification",
    "/forms/site_visit",
    "/versions",
    "/versions/1/files/bad_review.bpmn",
    "/versions/1/diff/1",
    "/migration",
    "/migration?to=1",
    "/calendar",
    "/calendar?scope=national&year=2025",
]
JSON_POSTS = ["/rules/validate", "/rules/dry-run", "/rules/deploy", "/forms/callback_verification/preview"]
FORM_POSTS = ["/upload", "/versions/1/rollback", "/migration", "/calendar/preview", "/calendar"]


def _counts() -> tuple[int, int, int]:
    counts = (
        db.session.query(ProcessDefinition).count(),
        db.session.query(AuditEvent).count(),
        db.session.query(CalendarYear).count(),
    )
    db.session.remove()
    return counts


@pytest.mark.parametrize("path", PAGES)
def test_every_admin_page_opens_for_the_regions_administrator(admin, path):
    response = admin.get(BASE + path)
    assert response.status_code == 200, response.text[:500]
    if response.mimetype == "text/html":
        assert "辽宁省规则管理" in response.text and 'aria-current="page"' in response.text


def test_another_regions_administrator_gets_404_on_every_page(signed_in):
    other = signed_in("sm-admin")
    assert {path: other.get(BASE + path).status_code for path in PAGES} == dict.fromkeys(PAGES, 404)


@pytest.mark.parametrize("user", ["ln-officer", "ln-supervisor", "ln-coordinator", "ln-auditor"])
def test_anyone_without_the_admin_role_gets_403(signed_in, user):
    session = signed_in(user)
    assert {path: session.get(BASE + path).status_code for path in PAGES} == dict.fromkeys(PAGES, 403)


def test_a_visitor_is_sent_to_sign_in(signed_in):
    visitor = signed_in()
    for path in PAGES:
        response = visitor.get(BASE + path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


def test_a_version_of_another_region_is_404_even_when_that_number_exists(admin):
    assert admin.get("/admin/sanming/versions/1/files/bad_review.bpmn").status_code == 404
    assert admin.get("/admin/sanming/versions/1/diff/1").status_code == 404
    assert admin.get(f"{BASE}/versions/9/files/bad_review.bpmn").status_code == 404
    assert admin.get(f"{BASE}/versions/1/files/no_such.bpmn").status_code == 404
    assert admin.get(f"{BASE}/versions/1/diff/9").status_code == 404
    assert admin.get("/admin/atlantis/").status_code == 404


@pytest.mark.parametrize("path", JSON_POSTS)
def test_json_writes_of_another_region_or_role_are_refused_in_json_and_change_nothing(signed_in, path):
    payload = {"files": {"bad_review.bpmn": active_files()["bad_review.bpmn"]}, "comment": "越权尝试", "text": "{}"}
    if path.endswith("/preview"):
        payload = {"text": "{}"}
    sessions = [(signed_in(user), user, status) for user, status in (("sm-admin", 404), ("ln-officer", 403))]
    before = _counts()
    for session, user, status in sessions:
        response = post_json(session, BASE + path, payload)
        assert response.status_code == status and response.is_json, (user, response.text[:300])
    assert _counts() == before


@pytest.mark.parametrize("path", FORM_POSTS)
def test_form_writes_of_another_region_or_role_are_refused_and_change_nothing(signed_in, path):
    data = {
        "comment": "越权尝试",
        "scope": "liaoning",
        "year": "2025",
        "day": "2025-10-10",
        "kind": "closed",
        "name": "停办",
        "to": "1",
        "cases": "1",
    }
    sessions = [(signed_in(user), status) for user, status in (("sm-admin", 404), ("ln-auditor", 403))]
    before = _counts()
    for session, status in sessions:
        assert session.post(BASE + path, data).status_code == status
    assert _counts() == before


def test_writes_without_the_csrf_token_are_refused(admin):
    before = _counts()
    response = post_json(admin, f"{BASE}/rules/deploy", {"files": {}, "comment": "无令牌"}, csrf=False)
    assert response.status_code == 400 and response.is_json and "CSRF" in response.get_json()["message"]
    assert admin.post(f"{BASE}/versions/1/rollback", {"comment": "无令牌"}, csrf=False).status_code == 400
    assert _counts() == before


def test_the_rules_link_and_the_admin_home_are_for_administrators(signed_in):
    admin = signed_in("ln-admin")
    assert "规则管理" in admin.get("/inbox").text
    response = admin.get("/admin/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/liaoning/")
    officer = signed_in("ln-officer")
    assert "规则管理" not in officer.get("/inbox").text
    assert officer.get("/admin/").status_code == 403
