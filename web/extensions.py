"""Extensions, bound to the app in create_app."""

from flask import Flask
from flask_babel import Babel
from flask_wtf import CSRFProtect
from sqlalchemy import event

from casemgmt.db import db

babel = Babel()
csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    """Bind the database (SQLite gets foreign keys, WAL and a busy timeout), Babel and CSRF protection."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite"):
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("connect_args", {}).setdefault("timeout", 30)
    db.init_app(app)
    from web.ui import select_locale

    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    if uri.startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
