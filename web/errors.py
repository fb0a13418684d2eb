"""Domain errors to HTTP: JSON for the API, an HTML page for the web UI."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from casemgmt import errors as e
from casemgmt.db import db
from casemgmt.inputs import string_details

STATUS = {
    e.NotFound: 404,
    e.PermissionDenied: 403,
    e.InvalidInput: 400,
    e.TaskNotOpen: 409,
    e.ConcurrentUpdate: 409,
    e.DiagramInvalid: 422,
    e.ExpressionRefused: 422,
    e.CalendarMissing: 409,
    e.OperationFailed: 500,
    e.EngineError: 422,
}


def status_of(err: e.DomainError) -> int:
    """Return the HTTP status of a domain error."""
    for cls in type(err).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def wants_html() -> bool:
    """Tell whether the request came from the web UI rather than the JSON API."""
    return "api" not in request.blueprints and not request.path.startswith("/api/")


#: what a person reads when Werkzeug's own (English) description would show
PAGE_MESSAGES = {
    400: _l("The request could not be carried out. Go back, check what you entered and try again."),
    404: _l("There is no page at this address. It may have moved, or the link was mistyped."),
    405: _l("This page cannot be opened this way. Use the buttons on the page instead."),
    413: _l("The upload is larger than the system accepts."),
    429: _l("Too many requests in a short time. Wait a moment and try again."),
    500: _l(
        "The system hit an error and recorded it. "
        "Try again in a moment; if it keeps happening, tell your administrator."
    ),
}


def html_error(status: int, message: str):
    """Render the UI's error page."""
    return render_template("errors/error.html", status=status, message=message), status


def domain_error(err: e.DomainError):
    """Roll back and answer a domain error as JSON (API) or an error page (UI)."""
    db.session.rollback()
    if wants_html():
        return html_error(status_of(err), err.message)
    body = {"error": err.code, "message": err.message}
    if err.details is not None:
        body["details"] = string_details(err.details)
    return jsonify(body), status_of(err)


def locked_error(err: OperationalError):
    """SQLite refuses a write on a stale snapshot: another transaction won the race."""
    db.session.rollback()
    if "locked" not in str(err.orig):
        raise err
    if wants_html():
        return html_error(409, "该工单刚被他人更新，请刷新后重试")
    return jsonify({"error": "conflict", "message": "该工单刚被他人更新，请刷新后重试"}), 409


def http_error(err: HTTPException):
    """Answer HTTP errors as JSON (API) or an error page (UI)."""
    if wants_html():
        status = err.code or 500
        own = err.description and err.description != type(err).description
        return html_error(status, err.description if own else str(PAGE_MESSAGES.get(status, err.name)))
    return jsonify({"error": err.name.lower().replace(" ", "_"), "message": err.description}), err.code


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(e.DomainError, domain_error)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(OperationalError, locked_error)
