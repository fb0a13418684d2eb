"""Sign-in with a password, sign-out; failures are counted and lock the account."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from casemgmt.access.operations import LoginFailed, authenticate, log_out
from casemgmt.db import db
from web.ui import login_required, now, safe_next

bp = Blueprint("auth", __name__, template_folder="templates")


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the sign-in form; check the password, count failures, start the session."""
    form, error = LoginForm(), None
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data, now())
        except LoginFailed:  # unknown user, wrong password and locked account: one message for all
            error = _("Wrong username or password, or the account is locked for a while after too many failures.")
        db.session.commit()
        if error is None:
            _start_session(user.id, user.session_version)
            return redirect(safe_next(request.args.get("next"), url_for("ui.home")))
    status = 401 if error else 200
    return render_template("auth/login.html", form=form, error=error), status


def _start_session(user_id: int, version: int) -> None:
    lang = session.get("lang")
    session.clear()
    session["user_id"] = user_id
    session["session_version"] = version
    if lang:
        session["lang"] = lang


@bp.post("/logout")
@login_required
def logout():
    """End the session and every copy of it (the language choice stays)."""
    log_out(g.user, now())
    db.session.commit()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("auth.login"))
