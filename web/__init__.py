"""Flask application factory."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

from casemgmt.inputs import MAX_ID
from config import Config


def utc_now() -> datetime:
    """Return the real current instant; tests replace app.config['CLOCK']."""
    return datetime.now(UTC)


class App(Flask):
    """Flask, running a view again when the database was busy (see web.retry)."""

    def dispatch_request(self):
        """Dispatch the request to its view, again if the database could not take its write."""
        from web.retry import run_with_retries

        return run_with_retries(super().dispatch_request)


class BoundedInt(IntegerConverter):
    """`<int:...>` in every rule: ASCII digits up to the largest id an INTEGER column holds."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def create_app(config: type[Config] | dict | None = None) -> Flask:
    """Create the app: config -> extensions -> blueprints -> error handlers -> CLI."""
    app = App(__name__, instance_relative_config=False)
    app.url_map.converters["int"] = BoundedInt  # an id past the column range is no route (404), not a 500
    settings = config if isinstance(config, dict) else (config or Config).from_env()
    app.config.update(settings)
    app.config.setdefault("CLOCK", utc_now)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # UTF-8 JSON, no \u escapes
    _require_keys(app)
    from web import cli, errors, extensions, limits

    extensions.init_app(app)
    _register_blueprints(app)
    errors.init_app(app)
    limits.init_app(app)
    cli.init_app(app)
    if app.config.get("TIMER_WORKER"):
        from web.worker import start_timer_thread

        start_timer_thread(app)
    return app


def _require_keys(app: Flask) -> None:
    """Fail at start-up, not at the first request, when a key the app signs with is missing."""
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY is not set: export SECRET_KEY (make run writes one to instance/secret_key)")
    if not app.config.get("AUDIT_CHECKPOINT_KEY") and not (app.config.get("TESTING") or app.debug):
        raise RuntimeError(
            "AUDIT_CHECKPOINT_KEY is not set: export AUDIT_CHECKPOINT_KEY, the key signing audit checkpoints "
            "(make run writes one to instance/audit_checkpoint_key)"
        )


def _register_blueprints(app: Flask) -> None:
    """Register the API (CSRF-exempt: token-authenticated JSON), the UI, health and the admin pages."""
    from web import extensions
    from web.admin.routes import bp as admin_bp
    from web.api.openapi import bp as openapi_bp
    from web.api.routes import bp as api_bp
    from web.health.routes import bp as health_bp
    from web.ui_blueprints import register_ui

    app.register_blueprint(api_bp)
    app.register_blueprint(openapi_bp)
    for name, blueprint in app.blueprints.items():  # the api blueprint and those nested in it (api.admin, ...)
        if name.split(".")[0] == "api":
            extensions.csrf.exempt(blueprint)  # token-authenticated JSON, no cookies: CSRF cannot reach it
    register_ui(app)
    app.register_blueprint(health_bp)
    app.register_blueprint(admin_bp)
