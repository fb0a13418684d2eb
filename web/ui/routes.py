"""App-wide pages and hooks: the home redirect, the language switch, bpmn-js files, security headers."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, g, redirect, request, send_from_directory, session, url_for

from casemgmt.access.policy import starts_in_inbox
from casemgmt.access.queries import get_active_user
from web.ui import LANGUAGES, can, labels, level_label, local_time, login_required, safe_next, select_locale

bp = Blueprint("ui", __name__)
#: bpmn-js is installed from the npm registry by `make setup` (npm ci); only its dist folder is served
BPMN_JS_DIST = Path(__file__).resolve().parents[2] / "node_modules" / "bpmn-js" / "dist"
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; font-src 'self' data:; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


@bp.before_app_request
def load_user() -> None:
    """Put the signed-in user (or None) on g for this request."""
    if "api" in request.blueprints or request.endpoint in ("static", "ui.bpmn_js", "ui.favicon"):
        return
    user = get_active_user(session.get("user_id"))
    if user is not None and session.get("session_version") != user.session_version:
        user = None  # signed out, or the password changed, since this session began: a stale or copied cookie
    g.user = user
    if g.user is None and "user_id" in session:
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang


@bp.after_app_request
def security_headers(response):
    """Forbid framing, sniffing and foreign scripts on every page of the UI; API answers are never cached."""
    if "api" in request.blueprints or request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
    else:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if g.get("user") is not None:
            response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.app_context_processor
def template_helpers() -> dict:
    """Give templates the user, the languages, the formatting helpers and `can` (the permission table)."""
    user = g.get("user")
    return {
        "current_user": user,
        "languages": LANGUAGES,
        "lang": select_locale(),
        "local_time": local_time,
        "level_label": level_label,
        "labels": labels,
        "label": labels.label,
        "can": can,
    }


@bp.get("/")
@login_required
def home():
    """Send the user to their start page: the inbox, or case search for auditors."""
    if starts_in_inbox(g.user):
        return redirect(url_for("inbox.index"))
    return redirect(url_for("audit.search"))


@bp.get("/lang/<code>")
def switch_language(code: str):
    """Remember the chosen language in the session and go back."""
    if code not in LANGUAGES:
        abort(404)
    session["lang"] = code
    return redirect(safe_next(request.args.get("next"), url_for("ui.home")))


@bp.get("/vendor/bpmn-js/<path:filename>")
def bpmn_js(filename: str):
    """Serve a file of bpmn-js's dist folder from the npm install."""
    if not BPMN_JS_DIST.is_dir():
        abort(404, description="bpmn-js is not installed: run make setup (npm ci)")
    return send_from_directory(BPMN_JS_DIST, filename, max_age=3600)


@bp.get("/favicon.ico")
def favicon():
    """Serve the site's icon where browsers look for it."""
    return send_from_directory(Path(__file__).resolve().parents[1] / "static", "favicon.ico", max_age=86400)
