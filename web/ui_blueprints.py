"""The web UI's blueprints, registered together by create_app."""

from flask import Flask, request
from flask_babel import gettext as _

from casemgmt.errors import InvalidInput
from casemgmt.inputs import text_problem


def register_ui(app: Flask) -> None:
    """Register the pages of officers, supervisors and auditors."""
    from web.audit.routes import bp as audit_bp
    from web.auth.routes import bp as auth_bp
    from web.cases.routes import bp as cases_bp
    from web.casework.routes import bp as casework_bp
    from web.inbox.routes import bp as inbox_bp
    from web.notices.routes import bp as notices_bp
    from web.public.routes import bp as public_bp
    from web.rate.flags import bp as flags_bp
    from web.rate.posters import bp as posters_bp
    from web.rate.routes import bp as rate_bp
    from web.stats.routes import bp as stats_bp
    from web.tasks.routes import bp as tasks_bp
    from web.ui.routes import bp as ui_bp

    blueprints = (ui_bp, auth_bp, inbox_bp, notices_bp, tasks_bp, cases_bp, casework_bp, audit_bp)
    for bp in (*blueprints, rate_bp, posters_bp, flags_bp, stats_bp, public_bp):
        app.register_blueprint(bp)
    app.before_request(refuse_unclean_form_text)


def refuse_unclean_form_text() -> None:
    """Refuse, naming the field, a posted form value or query argument with control characters or NUL.

    The API checks its JSON bodies in web/api/inputs.py; this is the same check for the pages' forms, so no
    page stores what PostgreSQL, a page or the xlsx export cannot take.
    """
    if request.path.startswith("/api/"):
        return
    sources = (request.args, request.form) if request.method == "POST" else (request.args,)
    for source in sources:
        for name, values in source.lists():
            if text_problem(name) or any(text_problem(v) for v in values):
                raise InvalidInput(
                    _(
                        "The field %(field)s contains control characters.",
                        field=name[:64].encode("unicode_escape").decode(),
                    ),
                    details={name[:64]: ["control characters"]},
                )
