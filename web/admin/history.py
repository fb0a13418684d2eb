"""Versions of a region's rules: list, side-by-side diff, rollback; national updates offered as a proposal;
moving running cases to another version."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from casemgmt.access.policy import Action, Role
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.errors import InvalidInput
from casemgmt.inputs import strict_int
from casemgmt.models import Region
from casemgmt.rules import migration as case_migration
from casemgmt.rules import proposals, versions
from casemgmt.rules.diff import diff_files
from web.admin.editors import MAIN_FILE
from web.admin.scope import region_admin, version_or_active
from web.ui import now

bp = Blueprint("history", __name__)


def _actor() -> Actor:
    return Actor.of(g.user, Role.ADMIN)


def _comment() -> str:
    """Return the posted comment (why), 1 to 500 characters."""
    comment = request.form.get("comment", "").strip()
    if not 1 <= len(comment) <= 500:
        raise InvalidInput(_("Say in 1 to 500 characters why."), details={"comment": [_("Required")]})
    return comment


@bp.get("/admin/<region>/versions")
@region_admin(Action.RULES_READ)
def version_list(place: Region):
    """List the region's versions: who deployed each, when, why, its sha256; diff and rollback."""
    return render_template("admin/versions.html", place=place, found=versions.list_versions(place))


@bp.get("/admin/<region>/versions/<int:old>/diff/<int:new>")
@region_admin(Action.RULES_READ)
def version_diff(place: Region, old: int, new: int):
    """Compare two versions element by element, side by side on their diagrams."""
    before, after = versions.get_version(place, old), versions.get_version(place, new)
    diff = diff_files(before.files, after.files)
    names = sorted({n for n in (*before.files, *after.files) if n.endswith(".bpmn")}, key=lambda n: (n != MAIN_FILE, n))
    changed = [n for n in names if n in diff["files"]["changed"] + diff["files"]["added"]]
    # by default the first diagram that changed: a library change is often in a called process, not the main one
    name = request.args.get("file") or (changed or names or [""])[0]
    if name not in names:
        raise InvalidInput(_("Neither version has the diagram %(name)s.", name=name))
    return render_template(
        "admin/diff.html",
        place=place,
        before=before,
        after=after,
        diff=diff,
        names=names,
        name=name,
        marks=_marks(diff, name),
    )


def _marks(diff: dict, name: str) -> dict:
    """Return the element ids to colour on each side for one diagram file."""

    def ids(kind: str) -> list[str]:
        return [e["id"] for e in diff[kind] if e["file"] == name]

    return {"added": ids("added"), "removed": ids("removed"), "changed": ids("changed")}


@bp.post("/admin/<region>/versions/<int:number>/rollback")
@region_admin(Action.RULES_DEPLOY)
def rollback(place: Region, number: int):
    """Deploy an earlier version's files again as a new version."""
    definition = versions.rollback_version(place, number, _actor(), now(), _comment())
    db.session.commit()
    flash(_("Version %(old)s is active again as version %(new)s.", old=number, new=definition.version), "success")
    return redirect(url_for("admin.history.version_list", region=place.code))


def _roots() -> tuple:
    return current_app.config["BPMN_ROOT"], current_app.config["FORMS_ROOT"]


@bp.get("/admin/<region>/national-proposal")
@region_admin(Action.RULES_READ)
def national_proposal(place: Region):
    """Show the changed national files the region inherits: element diff and dry run; deploy or keep."""
    found = proposals.proposal(place, *_roots(), g.user, now())
    kept = proposals.kept(place, found["sha256"]) if found.get("sha256") else None
    return render_template("admin/national_proposal.html", place=place, proposal=found, kept=kept)


@bp.post("/admin/<region>/national-proposal")
@region_admin(Action.RULES_DEPLOY)
def decide_national_proposal(place: Region):
    """Deploy the national proposal as a new version with a reason, or keep the current version (both audited)."""
    if request.form.get("action") == "keep":
        proposals.keep(place, *_roots(), _actor(), now(), request.form.get("comment", "")[:500])
        db.session.commit()
        flash(_("The current version stays active; the national update was not deployed."), "success")
        return redirect(url_for("admin.history.national_proposal", region=place.code))
    definition = proposals.accept(place, *_roots(), _actor(), now(), _comment())
    db.session.commit()
    flash(_("The national update is deployed as version %(v)s.", v=definition.version), "success")
    return redirect(url_for("admin.history.version_list", region=place.code))


@bp.get("/admin/<region>/migration")
@region_admin(Action.RULES_MIGRATE)
def migration(place: Region):
    """Preview which running cases can move to a version (default the active one) and why others cannot."""
    target = version_or_active(place, request.args.get("to", type=int))
    number = target.version
    moves = case_migration.preview_migration(place, target, _actor(), now())
    return render_template(
        "admin/migration.html",
        place=place,
        number=number,
        moves=moves,
        choices=versions.list_versions(place),
        results=None,
    )


@bp.post("/admin/<region>/migration")
@region_admin(Action.RULES_MIGRATE)
def migrate(place: Region):
    """Move the chosen running cases to the version, one audited step per case."""
    target = version_or_active(place, request.form.get("to", type=int))
    ids = [n for n in (strict_int(v) for v in request.form.getlist("cases")) if n is not None]
    if not ids:
        flash(_("Choose at least one case to move."), "error")
        return redirect(url_for("admin.history.migration", region=place.code, to=target.version))
    number = target.version
    results = case_migration.migrate_cases(place, target, ids, _actor(), now())
    db.session.commit()
    moved = sum(r.moved for r in results)
    flash(
        _("%(moved)s of %(total)s cases moved to version %(v)s.", moved=moved, total=len(results), v=number),
        "success" if moved == len(results) else "warn",
    )
    return render_template(
        "admin/migration.html",
        place=place,
        number=number,
        moves=[],
        results=results,
        choices=versions.list_versions(place),
    )
