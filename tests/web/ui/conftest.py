"""A signed-in browser session per user, through the Flask test client, with real CSRF tokens."""

from __future__ import annotations

import re

import pytest
from flask import g

from casemgmt.db import db as _db

PASSWORD = "zhenggai-demo"
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    """Return the CSRF token of the first form on a page."""
    match = _TOKEN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def _fresh_g() -> None:
    """Start a request with an empty g, as a server would: the tests' app context outlives requests."""
    vars(g).clear()


class Ui:
    """One person's browser: a cookie jar, a CSRF token, and helpers to read pages."""

    def __init__(self, app) -> None:
        self.client = app.test_client()
        self.token: str | None = None

    def get(self, path: str, **kwargs):
        _fresh_g()
        response = self.client.get(path, **kwargs)
        _db.session.remove()
        if response.mimetype == "text/html" and 'name="csrf_token"' in response.text:
            self.token = csrf_token(response.text)
        return response

    def post(self, path: str, data: dict | None = None, *, csrf: bool = True, **kwargs):
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.token or csrf_token(self.get("/login").text))
        _fresh_g()
        response = self.client.post(path, data=form, **kwargs)
        _db.session.remove()
        return response

    def login(self, username: str, password: str = PASSWORD):
        self.get("/login")
        return self.post("/login", {"username": username, "password": password})


@pytest.fixture
def ui(seeded_app):
    """Return a factory: ui("ln-officer") is a browser session signed in as that demo user."""

    def make(username: str | None = None) -> Ui:
        session = Ui(seeded_app)
        if username:
            response = session.login(username)
            assert response.status_code == 302, response.text
            session.get("/inbox")
        return session

    return make
