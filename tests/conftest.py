"""Fixtures: every test gets its own database, copied from a migrated (and optionally seeded) template.

TEST_DATABASE_URL picks the server: unset means SQLite files; a postgresql:// URL means PostgreSQL, where
each test's database is `CREATE DATABASE ... TEMPLATE` of a template built once per session.

Under pytest-xdist (`make test` runs `-n auto`) each worker is its own session and process: it builds its own
templates, in its own basetemp folder on SQLite and under database names prefixed with its pid on PostgreSQL, so
workers share no file and no database.
"""

from __future__ import annotations

import itertools
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from casemgmt.actor import Actor
from casemgmt.calendar import clear_cache
from casemgmt.db import db as _db
from config import TestConfig, normalize_db_url
from tests.casemgmt.engine import codec_check, steps_check

SEED_TIME = datetime(2025, 1, 2, 0, 0, tzinfo=UTC)
_counter = itertools.count()


class Clock:
    """A settable clock for the app and the use cases; tests move it, nothing sleeps."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, value: str | datetime) -> datetime:
        self.now = datetime.fromisoformat(value) if isinstance(value, str) else value
        return self.now


def _base_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    return normalize_db_url(url) if url else None


class SqliteTemplates:
    def __init__(self, root: Path) -> None:
        self.root = root

    def template_url(self, name: str) -> str:
        return f"sqlite:///{self.root / (name + '.sqlite3')}"

    def clone(self, name: str) -> str:
        target = self.root / f"t{next(_counter)}.sqlite3"
        shutil.copyfile(self.root / (name + ".sqlite3"), target)
        return f"sqlite:///{target}"

    def drop(self, url: str) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(make_url(url).database + suffix).unlink(missing_ok=True)


class PostgresTemplates:
    def __init__(self, base: str) -> None:
        self.base = make_url(base)
        self.admin = create_engine(self.base, isolation_level="AUTOCOMMIT", pool_size=1)
        self.prefix = f"zgt{os.getpid()}"

    def _create(self, name: str, template: str | None = None) -> str:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            suffix = f' TEMPLATE "{template}"' if template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
        return self.base.set(database=name).render_as_string(hide_password=False)

    def template_url(self, name: str) -> str:
        return self._create(f"{self.prefix}_{name}")

    def clone(self, name: str) -> str:
        return self._create(f"{self.prefix}_{next(_counter)}", f"{self.prefix}_{name}")

    def drop(self, url: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))


def _make_app(url: str, clock: Clock | None = None):
    from web import create_app

    settings = TestConfig.from_env()
    settings["SQLALCHEMY_DATABASE_URI"] = url
    settings["CLOCK"] = clock or Clock(SEED_TIME)
    return create_app(settings)


def _migrate(app) -> None:
    from alembic import command

    from web.cli import alembic_config

    with app.app_context():
        command.upgrade(alembic_config(), "head")
        _db.engine.dispose()


def _seed(app) -> None:
    from casemgmt.rules import seed

    with app.app_context():
        actor = Actor.system("seed")
        seed.load_bundled(app.config["BPMN_ROOT"], app.config["FORMS_ROOT"], actor, SEED_TIME)
        seed.load_demo(actor, SEED_TIME)
        _db.session.commit()
        _db.session.remove()
        _db.engine.dispose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that drives chromium (it uses the `browser` fixture) as a browser test."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def _engine_held_to_spiffworkflow():
    """What engine/ does in SpiffWorkflow's place is also done SpiffWorkflow's way, for every test, and compared:
    every state loaded or dumped (codec_check.py: codec.py answers as Spiff's converters do) and every walk to the
    READY tasks (steps_check.py: the same tasks in the same order). A difference fails the test."""
    with pytest.MonkeyPatch.context() as patch:
        codec_check.check(patch)
        steps_check.check(patch)
        yield


@pytest.fixture(scope="session")
def templates(tmp_path_factory):
    base = _base_url()
    store = PostgresTemplates(base) if base else SqliteTemplates(tmp_path_factory.mktemp("db"))
    empty_url = store.template_url("empty")
    _migrate(_make_app(empty_url))
    seeded_url = store.template_url("seeded")
    if isinstance(store, SqliteTemplates):
        shutil.copyfile(make_url(empty_url).database, make_url(seeded_url).database)
    else:
        store.drop(seeded_url)
        seeded_url = store._create(f"{store.prefix}_seeded", f"{store.prefix}_empty")
    _seed(_make_app(seeded_url))
    yield store
    if isinstance(store, PostgresTemplates):
        for name in ("empty", "seeded"):
            store.drop(store.base.set(database=f"{store.prefix}_{name}").render_as_string(hide_password=False))


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2025, 9, 26, 2, 0, tzinfo=UTC))


def _app_on(templates, name: str, clock: Clock):
    url = templates.clone(name)
    app = _make_app(url, clock)
    clear_cache()
    ctx = app.app_context()
    ctx.push()
    try:
        yield app
    finally:
        _db.session.remove()
        _db.engine.dispose()
        ctx.pop()
        templates.drop(url)


@pytest.fixture
def app(templates, clock):
    """An app on a fresh, migrated, empty database, inside an app context."""
    yield from _app_on(templates, "empty", clock)


@pytest.fixture
def seeded_app(templates, clock):
    """An app on a fresh database holding the national calendar, bundled regions and demo users."""
    yield from _app_on(templates, "seeded", clock)


@pytest.fixture(scope="module")
def seeded_module_app(templates):
    """One seeded database for a whole module whose tests only read it (the permission matrix's ~1,200 checks)."""
    yield from _app_on(templates, "seeded", Clock(SEED_TIME))


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(seeded_app):
    return seeded_app.test_client()


class Api:
    """The HTTP API as a given user would call it, with real tokens."""

    def __init__(self, app) -> None:
        self.app = app
        self.client = app.test_client()
        self._tokens: dict[str, str] = {}
        self._default_reviews: dict[str, int] = {}

    def token(self, username: str) -> str:
        if username not in self._tokens:
            from casemgmt.access.operations import create_token
            from casemgmt.access.queries import get_user

            self._tokens[username] = create_token(get_user(username), Actor.system("test"), SEED_TIME)
            _db.session.commit()
        return self._tokens[username]

    def call(self, method: str, path: str, user: str, **kwargs):
        headers = {"Authorization": f"Bearer {self.token(user)}"}
        response = self.client.open(path, method=method, headers=headers, **kwargs)
        _db.session.remove()
        return response

    def get(self, path: str, user: str, **kwargs):
        return self.call("GET", path, user, **kwargs)

    def post(self, path: str, user: str, json=None, **kwargs):
        return self.call("POST", path, user, json=json, **kwargs)

    def evaluation(self, region: str = "liaoning", **overrides) -> dict:
        payload = dict(DEFAULT_EVALUATIONS[region])
        payload.update(overrides)
        return payload

    def bad_review(self, region: str = "liaoning", **overrides) -> dict:
        """Post a bad review as the region's channel account; return the 201 body.

        One rating per record and evaluator: a second default review of the same region gets a record of its own.
        """
        if "record_no" not in overrides:
            n = self._default_reviews[region] = self._default_reviews.get(region, 0) + 1
            if n > 1:
                overrides["record_no"] = f"{DEFAULT_EVALUATIONS[region]['record_no']}-{n}"
        response = self.post(
            "/api/v1/evaluations", f"{REGION_PREFIX[region]}-channel", json=self.evaluation(region, **overrides)
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()


REGION_PREFIX = {"liaoning": "ln", "sanming": "sm", "xian": "xa", "nea": "nea"}
DEFAULT_EVALUATIONS = {
    region: {
        "region": region,
        "record_no": f"{prefix.upper()}-REC-0001",
        "item_code": item,
        "org_code": org,
        "channel": "window_device",
        "level": "very_dissatisfied",
        "reasons": ["办事效率低"],
        "comment": "等了两个小时",
        "evaluator": {"name": "张三", "phone": "13812341234", "real_name": True},
        "evaluated_at": "2025-09-26T10:00:00+08:00",
    }
    for region, prefix, item, org in (
        ("liaoning", "ln", "LN-0001", "ln-sy-scjg"),
        ("sanming", "sm", "SM-0001", "sm-scjg"),
        ("xian", "xa", "XA-0001", "xa-scjg"),
        ("nea", "nea", "NEA-0001", "nea-db-zz"),
    )
}


@pytest.fixture
def api(seeded_app) -> Api:
    return Api(seeded_app)
