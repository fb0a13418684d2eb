"""The rule editors: diagram modeler, decision tables, forms; their validation, dry run and deploy; uploads."""

from __future__ import annotations

import json
import re

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from casemgmt import forms
from casemgmt.access.policy import Action, Role
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.errors import DiagramInvalid, InvalidInput, NotFound
from casemgmt.models import ProcessDefinition, Region
from casemgmt.rules import bundles, dry_run, settings_form, versions
from casemgmt.rules.schemas import DeploySchema, UploadSchema
from web.admin.scope import FILE_CSP, file_of, region_admin, version_or_active
from web.admin.terms import dmn_terms, panel_terms
from web.admin.uploads import ensure_still_active, expected_version, json_body, json_text, uploaded_files
from web.cases.names import diagram_names
from web.ui import now
from web.ui.formview import required_conditions

bp = Blueprint("editors", __name__)

MAIN_FILE = "bad_review.bpmn"
_NEW_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_FORM_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def _actor() -> Actor:
    return Actor.of(g.user, Role.ADMIN)


def names_ending(definition: ProcessDefinition, suffix: str) -> list[str]:
    """Return a version's file names with that suffix, the main diagram first."""
    return sorted((n for n in definition.files if n.endswith(suffix)), key=lambda n: (n != MAIN_FILE, n))


def _editor(place: Region, template: str, suffix: str, **context):
    """Render an editor of one file of a version (?version=N, default the active one; ?file=name)."""
    definition = version_or_active(place, request.args.get("version", type=int))
    names = names_ending(definition, suffix)
    name = request.args.get("file") or (names[0] if names else None)
    if name is not None:
        file_of(definition, name)
    active = bundles.get_active(place.id)
    return render_template(
        template, place=place, definition=definition, active=active, names=names, name=name, **context
    )


@bp.get("/admin/<region>/modeler")
@region_admin(Action.RULES_READ)
def modeler(place: Region):
    """Open a diagram of the region's rules in bpmn-js with the Camunda 7 properties panel."""
    return _editor(place, "admin/modeler.html", ".bpmn", accept=".bpmn,.xml", terms=panel_terms())


@bp.get("/admin/<region>/decisions")
@region_admin(Action.RULES_READ)
def decisions(place: Region):
    """Open a decision table of the region's rules in dmn-js, or start a new one (?new=name)."""
    new = request.args.get("new", "").strip().removesuffix(".dmn")
    if new and not _NEW_NAME.match(new):
        raise InvalidInput(_("A file name is a letter followed by letters, digits, - or _."))
    return _editor(place, "admin/decisions.html", ".dmn", new=new, accept=".dmn,.xml", terms=dmn_terms())


@bp.get("/admin/<region>/decisions/new.dmn")
@region_admin(Action.RULES_READ)
def new_decision(place: Region):
    """Send an empty decision table for a new .dmn file."""
    name = request.args.get("name", "")
    if not _NEW_NAME.match(name):
        raise NotFound(_("A file name is a letter followed by letters, digits, - or _."))
    xml = render_template("admin/new_decision.dmn", decision_id=name)
    return xml, 200, {"Content-Type": "application/xml; charset=utf-8", "Content-Security-Policy": FILE_CSP}


@bp.get("/admin/<region>/forms")
@region_admin(Action.RULES_READ)
def form_list(place: Region):
    """List the forms of the active version (?key=name opens the editor of that form, new or not)."""
    if request.args.get("key"):
        return redirect(url_for("admin.editors.form_editor", region=place.code, key=request.args["key"].strip()))
    definition = bundles.get_active(place.id)
    return render_template(
        "admin/forms.html",
        place=place,
        active=definition,
        forms=sorted(bundles.forms_of(definition, as_written=True).items()),
    )


@bp.get("/admin/<region>/forms/<key>")
@region_admin(Action.RULES_READ)
def form_editor(place: Region, key: str):
    """Edit a form's definition file with a live preview; an unknown key starts a new form."""
    if not _FORM_KEY.match(key):
        raise NotFound(_("A form key is letters, digits, - or _."))
    definition = bundles.get_active(place.id)
    name = f"{bundles.FORM_PREFIX}{key}.json"
    text = definition.files.get(name) or json.dumps(
        {"key": key, "title": "", "fields": [{"name": "note", "label": "", "type": "text", "required": True}]},
        ensure_ascii=False,
        indent=2,
    )
    preview = form_preview_of(key, text)
    return render_template(
        "admin/form_editor.html",
        place=place,
        active=definition,
        key=key,
        name=name,
        text=text,
        is_new=name not in definition.files,
        **preview,
    )


def form_preview_of(key: str, text: str) -> dict:
    """Return a form definition's problems and, when it has none, its fields as an officer would see them."""
    try:
        definition = json.loads(text)
    except (ValueError, RecursionError) as err:
        return {"problems": [_("Not valid JSON: %(error)s", error=err)], "html": ""}
    problems = forms.check_definition(definition)
    if isinstance(definition, dict) and definition.get("key") not in (None, key):
        problems.append(_("The key must equal the file name: %(key)s", key=key))
    if problems:
        return {"problems": problems, "html": ""}
    html = render_template(
        "admin/_form_preview.html", definition=definition, conditions=required_conditions(definition)
    )
    return {"problems": [], "html": html}


@bp.post("/admin/<region>/forms/<key>/preview")
@region_admin(Action.RULES_READ)
def form_preview(place: Region, key: str):
    """Return the live preview of a form definition being edited."""
    return jsonify(form_preview_of(key, json_text(f"{key}.json")))


@bp.post("/admin/<region>/rules/validate")
@region_admin(Action.RULES_DEPLOY)
def validate(place: Region):
    """Check edited files laid over their base version; return the problems, each naming its element."""
    data = json_body(UploadSchema())
    files = versions.compose_files(place, data["files"], data["remove"], data["base"])
    problems = named(versions.check_files(files), files)
    html = render_template("admin/_problems.html", problems=problems)
    return jsonify({"valid": not problems, "problems": problems, "html": html, "sha256": bundles.bundle_sha256(files)})


@bp.post("/admin/<region>/rules/dry-run")
@region_admin(Action.RULES_DEPLOY)
def dry_run_view(place: Region):
    """Open a test case on the edited files (rolled back) and show its first tasks and deadlines."""
    data = json_body(UploadSchema())
    files = versions.compose_files(place, data["files"], data["remove"], data["base"])
    result = dry_run.dry_run(place, files, g.user, now(), data["sample"])
    return jsonify({"result": result, "html": render_template("admin/_dry_run.html", result=result)})


@bp.post("/admin/<region>/rules/deploy")
@region_admin(Action.RULES_DEPLOY)
def deploy(place: Region):
    """Deploy edited files as the region's new version, with the administrator's comment."""
    data = json_body(DeploySchema())
    ensure_still_active(place, expected_version())
    files = versions.compose_files(place, data["files"], data["remove"], data["base"])
    definition, created = versions.deploy_version(place, files, _actor(), now(), data["comment"])
    db.session.commit()
    message = (
        _("Deployed as version %(v)s.", v=definition.version)
        if created
        else _("Nothing changed: version %(v)s stays active.", v=definition.version)
    )
    return jsonify(
        {
            "version": definition.version,
            "created": created,
            "message": message,
            "versions_url": url_for("admin.history.version_list", region=place.code),
        }
    ), 201 if created else 200


@bp.post("/admin/<region>/upload")
@region_admin(Action.RULES_DEPLOY)
def upload(place: Region):
    """Check or deploy files saved by the desktop Camunda Modeler or an editor (.bpmn, .dmn, forms' .json)."""
    files = versions.compose_files(place, uploaded_files(), [], None)
    comment = request.form.get("comment", "").strip()
    if request.form.get("action") != "deploy":
        problems = named(versions.check_files(files), files)
        return render_overview(place, problems, checked=True), 200 if not problems else 422
    if not 1 <= len(comment) <= 500:
        raise InvalidInput(_("Say in 1 to 500 characters why you deploy."))
    ensure_still_active(place, expected_version())
    try:
        definition, created = versions.deploy_version(place, files, _actor(), now(), comment)
    except DiagramInvalid as err:
        db.session.rollback()
        return render_overview(place, named(list(err.details or []), files), checked=True), 422
    db.session.commit()
    flash(
        _("Deployed as version %(v)s.", v=definition.version)
        if created
        else _("Nothing changed: version %(v)s stays active.", v=definition.version),
        "success",
    )
    return redirect(url_for("admin.history.version_list", region=place.code))


def render_overview(place: Region, problems: list[dict], checked: bool) -> str:
    """Render the overview with the problems of an upload."""
    return render_template(
        "admin/overview.html",
        place=place,
        active=bundles.get_active(place.id, required=False),
        problems=problems,
        checked=checked,
    )


# --- rule settings (settings.json of the bundle) -------------------------------------------


@bp.get("/admin/<region>/settings")
@region_admin(Action.RULES_READ)
def settings_editor(place: Region):
    """Edit the region's rule settings in a labelled form; deployed as a new version like any file."""
    active = bundles.get_active(place.id)
    return render_template(
        "admin/settings.html",
        place=place,
        definition=active,
        active=active,
        fields=settings_form.FIELDS,
        values=bundles.settings_of(active.files),
        name=bundles.SETTINGS_FILE,
    )


@bp.post("/admin/<region>/settings/preview")
@region_admin(Action.RULES_DEPLOY)
def settings_preview(place: Region):
    """Check submitted settings by field and show how they differ from the active version."""
    body = request.get_json(silent=True)
    values = body.get("values") if isinstance(body, dict) else None
    if not isinstance(values, dict):
        raise InvalidInput(_("The request body must be a JSON object."), details={"values": ["{}"]})
    current = bundles.settings_of(bundles.get_active(place.id).files)
    settings, problems = settings_form.parse(values, current)
    changes = settings_form.changes(current, settings)
    html = render_template("admin/_settings_changes.html", changes=changes, problems=problems)
    return jsonify(
        {"problems": problems, "changes": changes, "html": html, "files": settings_form.settings_file(settings)}
    )


def named(problems: list[dict], files: dict[str, str]) -> list[dict]:
    """Add the name of each problem's element (回访核实 for Task_Callback), read from the files checked."""
    names = diagram_names(files)
    return [{**p, "element_name": names.get(str(p.get("element") or ""), "")} for p in problems]
