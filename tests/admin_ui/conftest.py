"""The admin pages through the Flask test client: signed-in sessions with real CSRF tokens, JSON with the header."""

from __future__ import annotations

import re

import pytest

from casemgmt.db import db as _db
from tests.web.ui.conftest import Ui, _fresh_g, csrf_token

BASE = "/admin/liaoning"


def post_json(session: Ui, path: str, payload: dict, *, csrf: bool = True):
    """POST JSON as the editors' scripts do: the CSRF token in a header."""
    headers = {"Accept": "application/json"}
    if csrf:
        headers["X-CSRFToken"] = session.token or csrf_token(session.get("/login").text)
    _fresh_g()
    response = session.client.post(path, json=payload, headers=headers)
    _db.session.remove()
    return response


@pytest.fixture
def signed_in(seeded_app):
    """Return a factory: signed_in("ln-admin") is a browser session of that demo user (None: a visitor)."""

    def make(username: str | None = None) -> Ui:
        session = Ui(seeded_app)
        if username:
            assert session.login(username).status_code == 302
            session.get("/inbox")
        return session

    return make


@pytest.fixture
def admin(signed_in) -> Ui:
    """Liaoning's administrator, signed in, with a CSRF token from an admin page."""
    session = signed_in("ln-admin")
    session.get(f"{BASE}/")
    return session


def active_files(region: str = "liaoning") -> dict[str, str]:
    """Return the files of the region's active version."""
    from casemgmt.models import Region
    from casemgmt.rules.bundles import get_active

    files = dict(get_active(_db.session.query(Region).filter_by(code=region).one().id).files)
    _db.session.remove()
    return files


def set_due_date(text: str, element_id: str, expression: str) -> str:
    """Return the diagram text with the user task's camunda:dueDate replaced, and its overdue timer with it
    (deployment refuses a due date and an overdue timer that disagree)."""
    pattern = re.compile(rf'(<bpmn:userTask\b[^>]*\bid="{re.escape(element_id)}"[^>]*\bcamunda:dueDate=")[^"]*(")')
    edited, count = pattern.subn(lambda m: m.group(1) + expression + m.group(2), text)
    assert count == 1, element_id
    return set_overdue_timer(edited, element_id, expression)


def set_overdue_timer(text: str, element_id: str, expression: str) -> str:
    """Return the text with the timeDate of the timers attached to a task set to the expression (no ${})."""
    inner = expression[2:-1] if expression.startswith("${") and expression.endswith("}") else expression
    timers = re.compile(
        rf'(<bpmn:boundaryEvent\b[^>]*\battachedToRef="{re.escape(element_id)}".*?<bpmn:timeDate\b[^>]*>)[^<]*(</)',
        re.S,
    )
    return timers.sub(lambda m: m.group(1) + inner + m.group(2), text)


def due_date_of(text: str, element_id: str) -> str:
    """Return the user task's camunda:dueDate."""
    match = re.search(rf'<bpmn:userTask\b[^>]*\bid="{re.escape(element_id)}"[^>]*\bcamunda:dueDate="([^"]*)"', text)
    assert match, element_id
    return match.group(1)


def one_more_day(expression: str) -> str:
    """Return `${workdays(n + 1)}` for `${workdays(n)}`, `${workdays(settings['k'] + 1)}` for a setting."""
    inner = re.fullmatch(r"\$\{\s*workdays\((.+)\)\s*\}", expression).group(1)
    return f"${{workdays({int(inner) + 1})}}" if inner.isdigit() else f"${{workdays({inner} + 1)}}"
