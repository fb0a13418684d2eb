"""Sign-in: hashed passwords, secure session cookies, CSRF on every form, lock-out, sign-out, language."""

from datetime import timedelta

from sqlalchemy import select

from casemgmt.db import db
from casemgmt.models import AuditEvent, User


def _user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    db.session.refresh(user)
    return user


def test_pages_send_visitors_to_the_sign_in_page_and_back(ui):
    browser = ui()
    response = browser.get("/inbox?view=mine")
    assert response.status_code == 302 and "/login?next=/inbox?view%3Dmine" in response.headers["Location"]
    page = browser.get("/login")
    assert "登录" in page.text and 'lang="zh-CN"' in page.text
    signed_in = browser.post("/login?next=/inbox?view%3Dmine", {"username": "ln-officer", "password": "zhenggai-demo"})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/inbox?view=mine"


def test_passwords_are_stored_hashed(seeded_app):
    assert _user("ln-officer").password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_the_session_cookie_is_httponly_and_secure_when_configured(ui, seeded_app):
    browser = ui()
    browser.get("/login")
    seeded_app.config["SESSION_COOKIE_SECURE"] = True
    response = browser.post("/login", {"username": "ln-officer", "password": "zhenggai-demo"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie


def test_a_form_without_its_csrf_token_is_refused(ui):
    browser = ui()
    browser.get("/login")
    response = browser.post("/login", {"username": "ln-officer", "password": "zhenggai-demo"}, csrf=False)
    assert response.status_code == 400
    officer = ui("ln-officer")
    assert officer.post("/logout", csrf=False).status_code == 400
    assert officer.post("/logout", {"csrf_token": "forged"}, csrf=False).status_code == 400


def test_a_wrong_password_is_refused_counted_and_audited_without_saying_which_part_was_wrong(ui):
    browser = ui()
    wrong = browser.post("/login", {"username": "ln-officer", "password": "guess"})
    unknown = browser.post("/login", {"username": "nobody", "password": "guess"})
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码不正确" in wrong.text and "用户名或密码不正确" in unknown.text
    assert _user("ln-officer").failed_logins == 1
    kinds = db.session.scalars(select(AuditEvent.kind).where(AuditEvent.kind == "login_failed")).all()
    assert kinds == ["login_failed"]


def test_five_failures_lock_the_account_even_against_the_right_password_until_the_lock_ends(ui, clock):
    browser = ui()
    for _ in range(5):
        browser.post("/login", {"username": "ln-officer", "password": "guess"})
    assert _user("ln-officer").locked_until is not None
    locked = browser.post("/login", {"username": "ln-officer", "password": "zhenggai-demo"})
    assert locked.status_code == 401 and "锁定" in locked.text
    clock.set(clock.now + timedelta(minutes=16))
    assert browser.post("/login", {"username": "ln-officer", "password": "zhenggai-demo"}).status_code == 302
    assert _user("ln-officer").failed_logins == 0


def test_a_disabled_user_cannot_sign_in_and_loses_an_open_session(ui):
    officer = ui("ln-officer")
    user = _user("ln-officer")
    user.is_active = False
    db.session.commit()
    assert officer.get("/inbox").status_code == 302
    assert ui().post("/login", {"username": "ln-officer", "password": "zhenggai-demo"}).status_code == 401


def test_signing_out_ends_the_session_and_is_audited(ui):
    officer = ui("ln-officer")
    response = officer.post("/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert officer.get("/inbox").status_code == 302
    kinds = db.session.scalars(select(AuditEvent.kind).where(AuditEvent.actor == "ln-officer")).all()
    assert "user_logged_in" in kinds and "user_logged_out" in kinds


def test_the_next_parameter_cannot_send_anyone_off_site(ui):
    browser = ui()
    browser.get("/login")
    response = browser.post("/login?next=//evil.example/x", {"username": "ln-officer", "password": "zhenggai-demo"})
    assert response.headers["Location"] == "/"
    assert ui().get("/lang/en?next=https://evil.example/").headers["Location"] == "/"


def test_the_ui_is_chinese_by_default_and_switches_to_english(ui):
    officer = ui("ln-officer")
    assert "待办" in officer.get("/inbox").text
    officer.get("/lang/en?next=/inbox")
    page = officer.get("/inbox").text
    assert "Inbox" in page and "Done by me" in page and 'lang="en"' in page
    officer.get("/lang/zh_CN")
    assert "本单位任务" in officer.get("/inbox").text
    assert officer.get("/lang/fr").status_code == 404


def test_pages_forbid_framing_and_foreign_scripts(ui):
    response = ui("ln-officer").get("/inbox")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "script-src" not in response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
