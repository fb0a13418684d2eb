"""Settings. Read from the environment when the app is created, never at import time."""

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent


class Config:
    """Defaults for `make run`: a SQLite file beside the project, zh-CN UI."""

    SECRET_KEY: str | None = None
    #: HMAC key signing the audit checkpoints (flask audit checkpoint); required outside tests and debug runs
    AUDIT_CHECKPOINT_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{ROOT / 'instance' / 'zhenggai.sqlite3'}"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    BPMN_ROOT = ROOT / "bpmn"
    FORMS_ROOT = ROOT / "forms"
    UPLOAD_ROOT = ROOT / "instance" / "uploads"
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    TIMER_WORKER = False
    TIMER_INTERVAL_SECONDS = 30.0
    #: codes of regions whose administrators may change the national calendar (it moves every region's deadlines)
    NATIONAL_ADMIN_REGIONS: tuple[str, ...] = ()
    #: outbox delivery (casemgmt/notices/relay.py): {region code or "*": {kind, channel or "*": route}};
    #: from the JSON file named by OUTBOX_ROUTES_FILE. README.md "Delivery" documents the routes.
    OUTBOX_ROUTES: dict = {}
    OUTBOX_MAX_ATTEMPTS = 5
    OUTBOX_BACKOFF_SECONDS = 30.0
    #: a worker whose heartbeat is older than this is reported down by /healthz
    HEARTBEAT_STALE_SECONDS = 300.0
    TESTING = False

    @classmethod
    def from_env(cls) -> dict:
        """Return the settings overridden by the environment (DATABASE_URL, SECRET_KEY...)."""
        values = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        url = os.environ.get("DATABASE_URL")
        if url:
            values["SQLALCHEMY_DATABASE_URI"] = normalize_db_url(url)
        values["SECRET_KEY"] = os.environ.get("SECRET_KEY") or values["SECRET_KEY"]
        values["AUDIT_CHECKPOINT_KEY"] = os.environ.get("AUDIT_CHECKPOINT_KEY") or values["AUDIT_CHECKPOINT_KEY"]
        if os.environ.get("SESSION_COOKIE_SECURE") == "1":
            values["SESSION_COOKIE_SECURE"] = True
        if os.environ.get("TIMER_WORKER") == "1":
            values["TIMER_WORKER"] = True
        if os.environ.get("OUTBOX_ROUTES_FILE"):
            values["OUTBOX_ROUTES"] = json.loads(Path(os.environ["OUTBOX_ROUTES_FILE"]).read_text(encoding="utf-8"))
        if os.environ.get("NATIONAL_ADMIN_REGIONS"):
            values["NATIONAL_ADMIN_REGIONS"] = tuple(os.environ["NATIONAL_ADMIN_REGIONS"].replace(" ", "").split(","))
        return values


class TestConfig(Config):
    """Tests: the database comes from TEST_DATABASE_URL (SQLite in memory by default)."""

    TESTING = True
    SECRET_KEY = "test-secret"
    AUDIT_CHECKPOINT_KEY = "test-audit-checkpoint-key"
    WTF_CSRF_ENABLED = True

    @classmethod
    def from_env(cls) -> dict:
        """Return test settings; TEST_DATABASE_URL picks the database."""
        values = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        url = os.environ.get("TEST_DATABASE_URL", "sqlite://")
        values["SQLALCHEMY_DATABASE_URI"] = normalize_db_url(url)
        return values


def normalize_db_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgresql:// URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
