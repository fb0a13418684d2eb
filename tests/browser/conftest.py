"""Browser tests: the app on a real HTTP server (werkzeug, in a thread) driven by Debian's chromium.

Skipped when chromium or playwright is missing on a developer's machine; under CI=true they must run. Every test
using the `browser` fixture is marked `browser` (tests/conftest.py): `pytest -m "not browser"` runs the rest.
Screenshots go to test-artifacts/run/ (ignored by git); `make screenshots` sets SCREENSHOTS_DIR=test-artifacts to
refresh the README's images on purpose.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]
#: where screenshots go unless SCREENSHOTS_DIR says otherwise (relative to the repository root)
SCREENSHOTS = "test-artifacts/run"
OFFICE_SCREEN = {"width": 1366, "height": 768}
PHONE_SCREEN = {"width": 390, "height": 844}
#: every demo user's password (`flask seed --demo`)
PASSWORD = "zhenggai-demo"


def _missing() -> str | None:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        return "Debian's chromium is not installed (make test installs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (requirements-dev.txt)"
    return None


@pytest.fixture(scope="session")
def browser():
    """Launch headless chromium once for the session."""
    reason = _missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


@pytest.fixture
def live_server(seeded_app):
    """Serve the test's app (its database, its injected clock) on 127.0.0.1 and a free port."""
    server = make_server("127.0.0.1", 0, seeded_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page(browser):
    """A fresh browser page with an office screen's size; the context is closed afterwards."""
    context = browser.new_context(viewport=OFFICE_SCREEN, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def screenshot(page, name: str, **kwargs) -> Path:
    """Save a screenshot under $SCREENSHOTS_DIR (default test-artifacts/run/) and return its path."""
    folder = REPO / os.environ.get("SCREENSHOTS_DIR", SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    page.screenshot(path=str(path), **kwargs)
    return path


def log_in(page, base: str, username: str) -> None:
    """Sign in on the login page as a demo user and wait until the app's page has loaded."""
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/**")


def log_out(page) -> None:
    """Sign out through the top bar's button and wait for the login page."""
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/login")
