"""The supervisors' queue of ratings flagged as gamed: decide each, left out of statistics or counted (audited)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from casemgmt.db import db
from casemgmt.errors import InvalidInput
from casemgmt.intake import flags
from web.ui import current_user, login_required, now

bp = Blueprint("flags", __name__, url_prefix="/flags", template_folder="templates")


@bp.get("/")
@login_required
def queue():
    rows = flags.list_flag_queue(current_user())
    return render_template("rate/flags.html", rows=rows)


@bp.post("/<int:evaluation_id>/decide")
@login_required
def decide(evaluation_id: int):
    try:
        flags.decide_flag(
            evaluation_id, request.form.get("decision", ""), request.form.get("note", ""), current_user(), now()
        )
        db.session.commit()
        flash(_("Decision recorded."), "success")
    except InvalidInput as err:
        db.session.rollback()
        flash(err.message, "error")
    return redirect(url_for("flags.queue"), 303)
