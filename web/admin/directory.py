"""Admin pages of the directory: import units, items and users from files (preview, then confirm), download
the templates, edit single entries; and the status page (health, notice backlog, delivery pause switch).

The preview page carries the uploaded file back (base64) in its confirm form: nothing is stored or written
until the administrator confirms, and the confirmed import re-plans against the directory as it is then.
"""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from casemgmt.access.policy import Action, Role
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.directory import queries as directory_queries
from casemgmt.directory.operations import import_rows
from casemgmt.directory.parsers import read_rows, template_csv, template_xlsx
from casemgmt.directory.schemas import HALL_SHEET, HALL_SHEET_LAYOUT, KINDS, LAYOUTS
from casemgmt.errors import InvalidInput, NotFound
from casemgmt.models import Region
from casemgmt.notices import relay
from web.admin.scope import region_admin
from web.health.routes import health_report
from web.ui import now

bp = Blueprint("directory", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise NotFound(_("No such import."))
    return kind


def _page(place: Region, **context):
    return render_template(
        "admin/directory.html",
        place=place,
        kinds=KINDS,
        layouts=LAYOUTS,
        orgs=directory_queries.list_orgs(place, 300),
        items=directory_queries.list_items(place, 300),
        hall_sheet=HALL_SHEET,
        hall_columns="、".join(label for _key, label, _required in HALL_SHEET_LAYOUT),
        **context,
    )


@bp.get("/admin/<region>/directory")
@region_admin(Action.DIRECTORY_IMPORT)
def directory(place: Region):
    """Show the import forms, the templates, the units and items, and the single-entry form."""
    return _page(place, edit=request.args.get("edit_kind"), values=dict(request.args))


@bp.get("/admin/<region>/directory/<kind>/template.<ext>")
@region_admin(Action.DIRECTORY_IMPORT)
def template(place: Region, kind: str, ext: str):
    """Send the empty file of a layout (xlsx or csv) with its Chinese headers."""
    body, mimetype = (template_xlsx(_kind(kind)), XLSX) if ext == "xlsx" else (template_csv(_kind(kind)), "text/csv")
    headers = {"Content-Disposition": f"attachment; filename={kind}-template.{ext}"}
    return Response(body, mimetype=mimetype, headers=headers)


@bp.post("/admin/<region>/directory/preview")
@region_admin(Action.DIRECTORY_IMPORT)
def preview(place: Region):
    """Read the uploaded file and show what an import would do; nothing is written."""
    kind, upload = _kind(request.form.get("kind", "")), request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput(_("Choose a file."))
    content = upload.read()
    rows = read_rows(kind, upload.filename, content)
    plan = import_rows(place, kind, rows, Actor.of(g.user, Role.ADMIN), now(), confirm=False)
    encoded = base64.b64encode(content).decode()
    return _page(place, plan=plan.summary(), kind=kind, filename=upload.filename, content=encoded)


@bp.post("/admin/<region>/directory/import")
@region_admin(Action.DIRECTORY_IMPORT)
def confirm(place: Region):
    """Import the previewed file (good rows only when asked), audit it, and commit."""
    kind, filename = _kind(request.form.get("kind", "")), request.form.get("filename", "")
    try:
        content = base64.b64decode(request.form.get("content", ""), validate=True)
    except binascii.Error as err:
        raise InvalidInput(_("The file was damaged in transit; upload it again.")) from err
    rows = read_rows(kind, filename, content)
    skip = request.form.get("skip_bad") == "1"
    plan = import_rows(place, kind, rows, Actor.of(g.user, Role.ADMIN), now(), confirm=True, skip_bad=skip)
    db.session.commit()
    flash(_("Imported: %(new)s new, %(changed)s changed.", new=len(plan.new), changed=len(plan.changed)), "success")
    return redirect(url_for("admin.directory.directory", region=place.code))


@bp.post("/admin/<region>/directory/<kind>/save")
@region_admin(Action.DIRECTORY_IMPORT)
def save_entry(place: Region, kind: str):
    """Create or change one unit, item or user, with the same checks and history as an import."""
    values = {key: request.form.get(key, "").strip() for key, _label, _required in LAYOUTS[_kind(kind)]}
    plan = import_rows(place, kind, [(1, values)], Actor.of(g.user, Role.ADMIN), now(), confirm=False)
    if plan.errors:
        db.session.rollback()
        return _page(place, edit=kind, values=values, entry_errors=[e.reason for e in plan.errors]), 400
    import_rows(place, kind, [(1, values)], Actor.of(g.user, Role.ADMIN), now(), confirm=True)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("admin.directory.directory", region=place.code))


@bp.get("/admin/<region>/status")
@region_admin(Action.OUTBOX_MANAGE)
def status(place: Region):
    """Show the installation's health and the region's delivery switch."""
    return render_template("admin/status.html", place=place, report=health_report(now()))


@bp.post("/admin/<region>/status/outbox")
@region_admin(Action.OUTBOX_MANAGE)
def toggle_outbox(place: Region):
    """Pause or resume the delivery of the region's notices (audited)."""
    relay.set_paused(place, request.form.get("paused") == "1", Actor.of(g.user, Role.ADMIN), now())
    db.session.commit()
    return redirect(url_for("admin.directory.status", region=place.code))
