"""The web UI's blueprints, registered together by create_app."""

from flask import Flask


def register_ui(app: Flask) -> None:
    """Register the pages of officers, supervisors and auditors."""
    from web.audit.routes import bp as audit_bp
    from web.auth.routes import bp as auth_bp
    from web.cases.routes import bp as cases_bp
    from web.inbox.routes import bp as inbox_bp
    from web.tasks.routes import bp as tasks_bp
    from web.ui.routes import bp as ui_bp

    for bp in (ui_bp, auth_bp, inbox_bp, tasks_bp, cases_bp, audit_bp):
        app.register_blueprint(bp)
