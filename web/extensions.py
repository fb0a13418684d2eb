"""Extensions, bound to the app in create_app."""

from flask import Flask
from flask_babel import Babel
from flask_wtf import CSRFProtect
from sqlalchemy import event

from casemgmt.db import db

babel = Babel()
csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    """Bind the database (SQLite gets foreign keys, WAL, a busy timeout, real savepoints), Babel and CSRF protection."""
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
            event.listen(db.engine, "savepoint", _sqlite_begin_before_savepoint)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_begin_before_savepoint(connection, _name) -> None:
    """Open the transaction before a savepoint when pysqlite has not yet (it begins only before a write).

    A SAVEPOINT outside a transaction starts one of its own, and releasing it then commits for real: a step the
    caller later rolls back would stay. PostgreSQL needs nothing: its transaction begins with the first query.
    """
    dbapi_connection = connection.connection.dbapi_connection
    if not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN")
