"""Sessions end everywhere at sign-out and password change; API answers are not cached; big bodies are refused."""

from __future__ import annotations

import time

from sqlalchemy import select, update

from casemgmt import audit
from casemgmt.access.operations import change_password
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.models import AuditChainHead, AuditEvent, Region, User


def _copy_cookies(source, target) -> None:
    for cookie in source.client._cookies.values():
        target.client.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)


def test_a_copied_session_cookie_stops_working_after_sign_out(ui):
    officer, thief = ui("ln-officer"), ui()
    _copy_cookies(officer, thief)
    assert thief.get("/inbox").status_code == 200
    assert officer.post("/logout").status_code == 302
    assert thief.get("/inbox").status_code == 302
    assert ui("ln-officer").get("/inbox").status_code == 200  # signing in again works


def test_a_password_change_ends_open_sessions(ui, clock):
    officer = ui("ln-officer")
    user = db.session.scalar(select(User).where(User.username == "ln-officer"))
    change_password(user, "a-new-long-password", Actor.system("test"), clock.now)
    db.session.commit()
    assert officer.get("/inbox").status_code == 302
    assert ui().login("ln-officer", "a-new-long-password").status_code == 302


def test_locked_and_unknown_users_get_the_same_answer(ui):
    browser = ui()
    for _ in range(5):
        browser.login("ln-officer", "guess")
    locked = browser.login("ln-officer", "zhenggai-demo")
    unknown = browser.login("nobody-here", "zhenggai-demo")
    wrong = browser.login("ln-officer2", "guess")
    assert locked.status_code == unknown.status_code == wrong.status_code == 401

    def message(page):
        return page.text.split('role="alert">', 1)[1].split("</div>", 1)[0]

    assert message(locked) == message(unknown) == message(wrong)


def test_api_answers_are_not_cached_nor_sniffed(api):
    case = api.bad_review()
    response = api.get(f"/api/v1/cases/{case['case_id']}?reveal_reason=核实", "ln-coordinator")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    missing = api.get("/api/v1/cases/999999", "ln-coordinator")
    assert missing.headers["Cache-Control"] == "no-store"


def test_a_14_mb_json_body_is_refused_with_413_before_it_is_parsed(api):
    body = b'{"region": "' + b"x" * (14 * 1024 * 1024) + b'"}'
    started = time.perf_counter()
    response = api.call("POST", "/api/v1/evaluations", "ln-channel", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.is_json and "请求体过大" in response.get_json()["message"]
    assert time.perf_counter() - started < 2  # refused from its Content-Length: nothing was parsed
    admin = api.call("POST", "/api/v1/admin/validate", "ln-admin", data=body, content_type="application/json")
    assert admin.status_code == 413 and admin.is_json


def test_the_auditors_integrity_page_checks_region_and_evaluation_chains(api, ui, seeded_app):
    good = api.post("/api/v1/evaluations", "ln-channel", json=api.evaluation(level="satisfied", record_no="LN-G-9"))
    assert good.status_code == 201
    auditor = ui("ln-auditor")
    page = auditor.get("/audit/integrity")
    assert page.status_code == 200 and "均完好" in page.text
    assert ui("ln-officer").get("/audit/integrity").status_code == 403
    region = db.session.scalar(select(Region).where(Region.code == "liaoning"))
    chain = f"region:{region.id}"
    last = db.session.scalar(select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq.desc()))
    db.session.delete(last)
    db.session.commit()
    broken = auditor.get("/audit/integrity")
    assert broken.status_code == 200 and chain in broken.text and "末尾记录被删除" in broken.text


def test_the_case_page_check_notices_a_deleted_tail(api, ui):
    case_id = api.bad_review()["case_id"]
    chain = f"case:{case_id}"
    last = db.session.scalar(select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq.desc()))
    db.session.delete(last)
    db.session.commit()
    page = ui("ln-auditor").get(f"/cases/{case_id}/verify")
    assert page.status_code == 200 and "末尾记录被删除" in page.text
    db.session.execute(update(AuditChainHead).where(AuditChainHead.chain == chain).values(seq=0))
    db.session.commit()
    assert audit.verify_chain(chain) != []
