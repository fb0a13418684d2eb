"""The staff's 通知 page: internal notices (to a unit or a person) newest first, unread ones marked; mark read."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from casemgmt.access.policy import Action, Role, allowed, roles_granted
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.inputs import strict_int
from casemgmt.notices import operations, queries
from web.ui import login_required, now

bp = Blueprint("notices", __name__, template_folder="templates")


def _actor() -> Actor:
    roles = roles_granted(g.user, Action.NOTICE_READ)
    return Actor.of(g.user, roles[0] if roles else Role.OFFICER)


def _back():
    return redirect(url_for("notices.index", unread=request.form.get("unread") or None))


@bp.get("/notices")
@login_required
def index():
    """List the internal notices addressed to the signed-in user or their units (?unread=1: only unread)."""
    unread_only = request.args.get("unread") == "1"
    rows = queries.staff_notices(g.user, unread_only=unread_only)
    return render_template(
        "notices/index.html", rows=rows, unread_only=unread_only, unread=queries.unread_count(g.user)
    )


@bp.post("/notices/<int:notice_id>/read")
@login_required
def mark_read(notice_id: int):
    """Mark one notice read."""
    operations.mark_read(g.user, [notice_id], _actor(), now())
    db.session.commit()
    return _back()


@bp.post("/notices/read")
@login_required
def mark_all_read():
    """Mark the listed notices read (the page posts the ids it shows)."""
    ids = [n for n in (strict_int(v) for v in request.form.getlist("ids")) if n is not None][:500]
    count = operations.mark_read(g.user, ids, _actor(), now())
    db.session.commit()
    flash(_("%(n)s notices marked read.", n=count), "success")
    return _back()


@bp.app_context_processor
def notice_helpers() -> dict:
    """Give the navigation the count of unread notices (asked only where the link is drawn)."""

    def unread_notices() -> int:
        user = g.get("user")
        if user is None or not allowed(user, Action.NOTICE_READ):
            return 0
        return queries.unread_count(user)

    return {"unread_notices": unread_notices}
