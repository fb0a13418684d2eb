"""The admin blueprint: JSON errors for the editors' scripts, vendor files, a region's overview.

The calendar, editors and history blueprints are nested in it: their endpoints are `admin.<child>.<view>`, and
the JSON error handlers below answer for them too.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from werkzeug.exceptions import HTTPException

from casemgmt.access.policy import Action
from casemgmt.db import db
from casemgmt.errors import DomainError
from casemgmt.models import Region
from casemgmt.rules import bundles, proposals, versions
from web import errors
from web.admin import calendar, directory, editors, history
from web.admin.scope import FILE_CSP, file_of, region_admin
from web.ui import local_time, login_required

bp = Blueprint("admin", __name__, template_folder="templates", static_folder="static", static_url_path="/admin/static")
for child in (calendar.bp, editors.bp, history.bp, directory.bp):
    bp.register_blueprint(child)
NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
#: libraries installed from the npm registry by `make setup`; only these folders are served
VENDOR = {
    "dmn-js": NODE_MODULES / "dmn-js" / "dist",
    "properties-panel": NODE_MODULES / "@bpmn-io" / "properties-panel" / "dist" / "assets",
}
#: the modeler bundle `npm run build` writes (bpmn-js + Camunda 7 properties panel; see package.json)
MODELER_BUNDLE = Path(bp.static_folder) / "build" / "modeler.js"
MIMETYPES = {".bpmn": "application/xml", ".dmn": "application/xml", ".json": "application/json"}


def wants_json() -> bool:
    """Tell whether the request came from an editor's script (it sends and accepts JSON)."""
    return request.is_json or request.accept_mimetypes.best == "application/json"


@bp.errorhandler(DomainError)
def domain_error(err: DomainError):
    """Answer the editors' scripts in JSON, pages with the error page."""
    if not wants_json():
        return errors.domain_error(err)
    db.session.rollback()
    body = {"error": err.code, "message": err.message, "details": err.details}
    return jsonify(body), errors.status_of(err)


@bp.errorhandler(HTTPException)
def http_error(err: HTTPException):
    """Answer HTTP errors (413, CSRF) in JSON to the editors' scripts, else with the error page."""
    if not wants_json():
        return errors.http_error(err)
    return jsonify({"error": err.name.lower().replace(" ", "_"), "message": err.description}), err.code


@bp.get("/admin/")
@login_required
def home():
    """Send an administrator to their region's rules."""
    place = versions.admin_region(g.user, g.user.region.code, Action.RULES_READ)
    return redirect(url_for("admin.overview", region=place.code))


@bp.get("/admin/<region>/")
@region_admin(Action.RULES_READ)
def overview(place: Region):
    """Show the region's active version and its files, with the editors and an upload of files."""
    active = bundles.get_active(place.id, required=False)
    config = current_app.config
    pending = proposals.proposed_files(place, config["BPMN_ROOT"], config["FORMS_ROOT"])[1] if active else []
    return render_template("admin/overview.html", place=place, active=active, pending=pending)


@bp.get("/admin/<region>/versions/<int:number>/files/<path:name>")
@region_admin(Action.RULES_READ)
def version_file(place: Region, number: int, name: str):
    """Send one file of a version; ?download=1 saves it (for the desktop Camunda Modeler)."""
    definition = versions.get_version(place, number)
    response = Response(file_of(definition, name), mimetype=MIMETYPES.get(Path(name).suffix, "text/plain"))
    response.headers["Content-Security-Policy"] = FILE_CSP
    if request.args.get("download"):
        response.headers["Content-Disposition"] = f'attachment; filename="{Path(name).name}"'
    return response


@bp.get("/admin/vendor/<package>/<path:filename>")
def vendor(package: str, filename: str):
    """Serve a file of an admin library's dist folder from the npm install."""
    folder = VENDOR.get(package)
    if folder is None:
        abort(404)
    if not folder.is_dir():
        abort(404, description=f"{package} is not installed: run make setup (npm ci)")
    return send_from_directory(folder, filename, max_age=3600)


@bp.app_context_processor
def admin_helpers() -> dict:
    """Tell templates whether the modeler bundle is built, and give them the Beijing-time formatter."""
    return {
        "modeler_built": MODELER_BUNDLE.is_file(),
        "iso_time": iso_time,
    }


def iso_time(value: str | None) -> str:
    """Format an ISO 8601 instant from a use case's result as Beijing wall time."""
    if not value:
        return ""
    try:
        instant = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    if local_time(instant, "%H:%M") == "00:00":  # a deadline at 24:00 reads as the end of its day
        return local_time(instant - timedelta(minutes=1), "%Y-%m-%d") + " 24:00"
    return local_time(instant)
