"""The case page and its actions: reveal the evaluator (audited), comment, verify the hash chain, diagram."""

from __future__ import annotations

from flask import Blueprint, Response, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from casemgmt import audit
from casemgmt.access.operations import reveal_evaluator
from casemgmt.access.policy import Action, Role, authorize
from casemgmt.access.queries import access_case
from casemgmt.actor import Actor
from casemgmt.cases.operations import add_comment
from casemgmt.cases.trail import main_diagram
from casemgmt.db import db
from casemgmt.errors import NotFound
from casemgmt.models import Case
from casemgmt.notices.queries import get_message
from casemgmt.notices.relay import retry_message
from web.cases.context import case_page_context
from web.cases.dossier import dossier_context, render_pdf
from web.downloads import content_disposition
from web.ui import audit_key, login_required, now, safe_next

bp = Blueprint("cases", __name__, template_folder="templates")


def render_case(case: Case, *, revealed: bool = False, verification: list | None = None, status: int = 200):
    """Render the case page."""
    context = case_page_context(case, g.user, now(), revealed, verification)
    return render_template("cases/case.html", **context), status


@bp.get("/cases/<int:case_id>")
@login_required
def show(case_id: int):
    """Show a case: summary, tasks, diagram with its path, timeline, comments."""
    case = access_case(g.user, case_id)
    return render_case(case, revealed=session.pop("revealed_case", None) == case.id)


@bp.post("/cases/<int:case_id>/reveal")
@login_required
def reveal(case_id: int):
    """Record who looks at the evaluator's identity and why, then show it once (POST-redirect-GET: a refresh of
    the page shows the mask again and records nothing)."""
    case = access_case(g.user, case_id)
    reveal_evaluator(case, g.user, request.form.get("reason", ""), now())
    db.session.commit()
    session["revealed_case"] = case.id
    return redirect(url_for("cases.show", case_id=case_id) + "#evaluator")


@bp.post("/cases/<int:case_id>/comments")
@login_required
def comment(case_id: int):
    """Add a comment to a case."""
    case = access_case(g.user, case_id)
    add_comment(case, g.user, request.form.get("body", ""), now())
    db.session.commit()
    flash(_("Comment added."), "success")
    return redirect(safe_next(request.form.get("next"), url_for("cases.show", case_id=case_id)) + "#comments")


@bp.get("/cases/<int:case_id>/verify")
@login_required
def verify(case_id: int):
    """Recompute the case's hash chain and show which rows break it."""
    case = access_case(g.user, case_id, Action.AUDIT_VERIFY)
    return render_case(case, verification=audit.verify_chain(f"case:{case.id}", audit_key()))


@bp.post("/cases/<int:case_id>/notices/<int:message_id>/retry")
@login_required
def retry_notice(case_id: int, message_id: int):
    """Queue a failed or undeliverable notice of the case again (region administrators; audited)."""
    case = access_case(g.user, case_id)
    authorize(g.user, Action.OUTBOX_MANAGE, region_id=case.region_id)
    message = get_message(case.region_id, message_id)
    if message.case_id != case.id:
        raise NotFound(_("No such notice."))
    retry_message(message, Actor.of(g.user, Role.ADMIN), now())
    db.session.commit()
    flash(_("The notice will be sent again."), "success")
    return redirect(url_for("cases.show", case_id=case_id) + "#notices")


@bp.get("/cases/<int:case_id>/diagram.bpmn")
@login_required
def diagram(case_id: int):
    """Send the main diagram of the version the case ran on."""
    case = access_case(g.user, case_id)
    return Response(main_diagram(case), mimetype="application/xml")


#: the printable documents of a case: URL name -> (title, partial template)
DOCUMENTS = {
    "callback-record": (_l("Callback record"), "cases/_callback_record.html"),
    "rectification-notice": (_l("Rectification notice"), "cases/_rectification_notice.html"),
}


@bp.get("/cases/<int:case_id>/dossier")
@login_required
def dossier(case_id: int):
    """Show the case dossier (案卷) as a printable page."""
    case = access_case(g.user, case_id)
    return render_template("cases/dossier.html", pdf=False, **dossier_context(case, g.user, now(), audit_key()))


@bp.get("/cases/<int:case_id>/dossier.pdf")
@login_required
def dossier_pdf(case_id: int):
    """Send the case dossier as a PDF with its Chinese fonts embedded."""
    case = access_case(g.user, case_id)
    html = render_template("cases/dossier.html", pdf=True, **dossier_context(case, g.user, now(), audit_key()))
    name = f"{case.case_no}-案卷.pdf"
    return Response(
        render_pdf(html, request.url_root),
        mimetype="application/pdf",
        headers={"Content-Disposition": content_disposition(name), "Cache-Control": "no-store"},
    )


@bp.get("/cases/<int:case_id>/<any('callback-record', 'rectification-notice'):document>")
@login_required
def printable(case_id: int, document: str):
    """Show a printable document of the case: the callback record (回访记录) or rectification notice (整改通知书)."""
    case = access_case(g.user, case_id)
    title, partial = DOCUMENTS[document]
    context = dossier_context(case, g.user, now(), audit_key())
    return render_template("cases/document.html", pdf=False, title=title, partial=partial, **context)
