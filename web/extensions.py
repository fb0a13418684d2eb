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
    if uri.startswith("postgresql"):
        _cache_held_statement_texts()
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


#: psycopg's bounds for keeping a statement's converted text (its defaults: 4,096 bytes, 50 parameters)
STATEMENT_CACHE_BYTES = 16_384
STATEMENT_CACHE_PARAMS = 400


def _cache_held_statement_texts() -> None:
    """Let psycopg keep the converted text of the held writes' statement (casemgmt.writes) as it keeps shorter ones.

    psycopg turns a statement's `%(name)s` placeholders into `$n` once per text, but only for texts up to 4,096
    bytes and 50 parameters (its guard against ORMs' ever-different multi-row INSERTs); the held writes send a
    few shapes of one statement of about 4,000 bytes and 150 parameters on every request (a completion, a bad
    review), and converting it again each time costs about 0.15 ms. The cache stays psycopg's own (128 texts,
    least recently used first); statements past these bounds (the bulk paths' inserts) are converted each time.
    """
    from psycopg import _queries

    if getattr(_queries, "MAX_CACHED_STATEMENT_LENGTH", None) is not None:
        _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, STATEMENT_CACHE_BYTES)
    if getattr(_queries, "MAX_CACHED_STATEMENT_PARAMS", None) is not None:
        _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, STATEMENT_CACHE_PARAMS)
