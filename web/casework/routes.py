"""Casework pages: extension request (with its new due date shown first), appeal, transfer, callback attempts,
calling the evaluator from a callback or feedback task, and the ledger (台账) with xlsx."""

from __future__ import annotations

from flask import Blueprint, Response, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from casemgmt.access.operations import call_evaluator
from casemgmt.access.policy import Action, allowed, authorize, may_call_evaluator
from casemgmt.access.queries import access_case, access_task
from casemgmt.cases import operations as case_ops
from casemgmt.cases.queries import list_case_attachments
from casemgmt.casework import appeals, callbacks, extension_requests, transfers
from casemgmt.casework import ledger as ledger_ops
from casemgmt.casework import queries as casework_queries
from casemgmt.casework.queries import BADGE_LABELS
from casemgmt.casework.schemas import CallbackAttemptSchema
from casemgmt.db import db
from casemgmt.errors import FormInvalid, InvalidInput, TaskNotOpen
from casemgmt.inputs import strict_int
from casemgmt.models import Case, LedgerStatus
from casemgmt.xlsx import Sheet, workbook
from web.casework.caseforms import case_form, kept_case_files, read_case_form
from web.casework.ledger_view import ledger_filters, ledger_headers, ledger_row
from web.downloads import content_disposition
from web.tasks.routes import render_task
from web.ui import form_errors, login_required, now
from web.ui.formview import to_aware

bp = Blueprint("casework", __name__, template_folder="templates")


def _workdays_arg(value: str | None) -> int | None:
    return strict_int((value or "").strip()) if value else None


def _render_extension(case: Case, values: dict | None = None, errors: dict | None = None, status: int = 200):
    values = values or {}
    try:
        preview = casework_queries.extension_preview(case, _workdays_arg(values.get("extension_workdays")))
    except TaskNotOpen as err:
        preview, errors = None, {**(errors or {}), "_schema": [err.message]}
    definition = case_form(case, extension_requests.FORM_KEY)
    return (
        render_template(
            "casework/extension.html",
            case=case,
            definition=definition,
            preview=preview,
            values=values,
            errors=errors or {},
            files=kept_case_files(case, definition, values),
            attachments=list_case_attachments(case.id),
        ),
        status,
    )


@bp.get("/cases/<int:case_id>/extension")
@login_required
def extension(case_id: int):
    """Show the extension request form of the case's region; the new due date shows before sending."""
    return _render_extension(access_case(g.user, case_id, Action.EXTENSION_REQUEST))


@bp.get("/cases/<int:case_id>/extension/preview")
@login_required
def extension_preview(case_id: int):
    """Answer, as JSON, the due date an extension of N working days would set, by the case's calendar."""
    case = access_case(g.user, case_id, Action.EXTENSION_REQUEST)
    found = casework_queries.extension_preview(case, _workdays_arg(request.args.get("workdays")))
    return jsonify(
        {
            "cap": found.cap,
            "workdays": found.workdays,
            "current_due_date": found.current_due.isoformat() if found.current_due else None,
            "new_due_date": found.new_due.isoformat() if found.new_due else None,
            "problem": found.problem,
        }
    )


@bp.post("/cases/<int:case_id>/extension")
@login_required
def request_extension(case_id: int):
    """Preview the new due date (action=preview), or send the request; a refused form comes back with its values."""
    case = access_case(g.user, case_id, Action.EXTENSION_REQUEST)
    definition = case_form(case, extension_requests.FORM_KEY)
    sub, upload_errors = read_case_form(case, definition, Action.EXTENSION_REQUEST)
    db.session.commit()  # evidence already uploaded is kept and offered again, whatever comes next
    if request.form.get("action") == "preview" or upload_errors:
        return _render_extension(case, sub.raw, upload_errors, 400 if upload_errors else 200)
    try:
        extension_requests.request_extension(case, g.user, sub.data, now())
    except (FormInvalid, InvalidInput, TaskNotOpen) as err:
        db.session.rollback()
        return _render_extension(case, sub.raw, form_errors(err.details) or {"_schema": [err.message]}, 400)
    db.session.commit()
    flash(_("Extension requested: it now awaits approval."), "success")
    return redirect(url_for("cases.show", case_id=case_id) + "#casework")


def _render_appeal(case: Case, values: dict | None = None, errors: dict | None = None, status: int = 200):
    definition, values = case_form(case, appeals.FORM_KEY), values or {}
    return (
        render_template(
            "casework/appeal.html",
            case=case,
            definition=definition,
            values=values,
            errors=errors or {},
            files=kept_case_files(case, definition, values),
            attachments=list_case_attachments(case.id),
            last_day=casework_queries.appeal_window_last_day(case),
            window_text=(case.region.settings or {}).get("appeal_window_text"),
            pending=casework_queries.pending_appeal(case),
        ),
        status,
    )


@bp.get("/cases/<int:case_id>/appeal")
@login_required
def appeal(case_id: int):
    """Show the rated unit's appeal form with the window's last day."""
    return _render_appeal(access_case(g.user, case_id, Action.APPEAL_FILE))


@bp.post("/cases/<int:case_id>/appeal")
@login_required
def file_appeal(case_id: int):
    """File the appeal with its evidence; a refused form comes back with its values and the files kept."""
    case = access_case(g.user, case_id, Action.APPEAL_FILE)
    definition = case_form(case, appeals.FORM_KEY)
    sub, upload_errors = read_case_form(case, definition, Action.APPEAL_FILE)
    db.session.commit()  # evidence already uploaded is kept and offered again, whatever comes next
    if upload_errors:
        return _render_appeal(case, sub.raw, upload_errors, 400)
    try:
        appeals.file_appeal(case, g.user, sub.data, now())
    except (FormInvalid, InvalidInput, TaskNotOpen) as err:
        db.session.rollback()
        return _render_appeal(case, sub.raw, form_errors(err.details) or {"_schema": [err.message]}, 400)
    db.session.commit()
    flash(_("Appeal filed: it now awaits review."), "success")
    return redirect(url_for("cases.show", case_id=case_id) + "#casework")


@bp.get("/cases/<int:case_id>/transfer")
@login_required
def transfer(case_id: int):
    """Show the transfer (移交) form: suspected misconduct goes to the discipline body with a reason."""
    case = access_case(g.user, case_id, Action.CASE_TRANSFER)
    done = transfers.list_transfers(case)
    return render_template("casework/transfer.html", case=case, reason="", errors={}, done=done)


@bp.post("/cases/<int:case_id>/transfer")
@login_required
def post_transfer(case_id: int):
    """Transfer the case; the case goes on."""
    case = access_case(g.user, case_id, Action.CASE_TRANSFER)
    reason = request.form.get("reason", "")
    try:
        transfers.transfer_case(case, g.user, reason[:2000], now())
    except (InvalidInput, TaskNotOpen) as err:
        db.session.rollback()
        errors = form_errors(err.details) or {"_schema": [err.message]}
        page = render_template(
            "casework/transfer.html", case=case, reason=reason, errors=errors, done=transfers.list_transfers(case)
        )
        return page, 400
    db.session.commit()
    flash(_("Case transferred to the discipline body."), "success")
    return redirect(url_for("cases.show", case_id=case_id) + "#casework")


@bp.post("/tasks/<int:task_id>/callbacks")
@login_required
def log_callback(task_id: int):
    """Log one callback attempt (time, result, note) from inside the callback task."""
    row = access_task(g.user, task_id, Action.CALLBACK_LOG)
    form = {
        "result": request.form.get("result", ""),
        "attempted_at": to_aware(request.form.get("attempted_at", "")),
        "note": request.form.get("note", ""),
    }
    try:
        errors = CallbackAttemptSchema().validate(form)
        if errors:
            raise InvalidInput(_("The callback attempt needs a result and a time."), details=errors)
        callbacks.log_attempt(row.case, g.user, CallbackAttemptSchema().load(form), now())
    except (InvalidInput, TaskNotOpen) as err:  # the task page again, the attempt's values kept beside the errors
        db.session.rollback()
        refused = {"values": request.form.to_dict(), "errors": form_errors(err.details) or {"_schema": [err.message]}}
        return render_task(access_task(g.user, task_id), status=400, callback=refused)
    db.session.commit()
    flash(_("Callback attempt recorded."), "success")
    return redirect(url_for("tasks.show", task_id=task_id) + "#callbacks")


@bp.post("/tasks/<int:task_id>/call-evaluator")
@login_required
def call(task_id: int):
    """Give the assignee of a callback or feedback task the evaluator's number (audited), then show it; an
    unclaimed task is claimed first."""
    row = access_task(g.user, task_id)
    if row.assignee_id is None and may_call_evaluator(g.user, row):  # calling takes the task
        case_ops.claim_task(row.id, g.user, now())
    call_evaluator(row, g.user, now())
    db.session.commit()
    return redirect(url_for("tasks.show", task_id=task_id) + "#evaluator-phone")


@bp.get("/ledger")
@login_required
def ledger():
    """List the unit's ledger (台账) entries with filters: status, unit, overdue."""
    authorize(g.user, Action.LEDGER_READ, region_id=g.user.region_id)
    flt = ledger_filters(request.args)
    entries = casework_queries.ledger_rows(g.user, now(), **flt)
    found = casework_queries.case_badges(e.case_id for e in entries)
    badges = {case_id: [BADGE_LABELS[b] for b in marks] for case_id, marks in found.items()}
    return render_template(
        "casework/ledger.html",
        entries=entries,
        badges=badges,
        args=request.args,
        statuses=list(LedgerStatus),
        units=casework_queries.ledger_units(g.user),
    )


def _render_entry(entry_id: int, values: dict | None = None, errors: dict | None = None, status: int = 200):
    entry = ledger_ops.get_entry(entry_id, g.user)
    may_note = entry.status == LedgerStatus.OPEN and allowed(g.user, Action.LEDGER_NOTE, org=entry.org)
    values = values or {"note": "", "owner": entry.owner, "measures": entry.measures}
    page = render_template(
        "casework/ledger_entry.html", entry=entry, may_note=may_note, values=values, errors=errors or {}
    )
    return page, status


@bp.get("/ledger/<int:entry_id>")
@login_required
def ledger_entry(entry_id: int):
    """Show one ledger entry with its progress notes and, to its unit's officers, the form to add one."""
    return _render_entry(entry_id)


@bp.post("/ledger/<int:entry_id>/notes")
@login_required
def add_ledger_note(entry_id: int):
    """Add a progress note (and the owner or measures); a refused note comes back with what was typed."""
    values = {k: request.form.get(k, "") for k in ("note", "owner", "measures")}
    try:
        ledger_ops.add_note(entry_id, g.user, now(), values["note"], owner=values["owner"], measures=values["measures"])
    except (InvalidInput, TaskNotOpen) as err:
        db.session.rollback()
        return _render_entry(entry_id, values, {"_schema": [err.message], **form_errors(err.details)}, 400)
    db.session.commit()
    flash(_("Progress note recorded."), "success")
    return redirect(url_for("casework.ledger_entry", entry_id=entry_id) + "#notes")


@bp.get("/ledger.xlsx")
@login_required
def ledger_xlsx():
    """Send the filtered ledger as an xlsx workbook (no personal data in it)."""
    authorize(g.user, Action.LEDGER_READ, region_id=g.user.region_id)
    entries = casework_queries.ledger_rows(g.user, now(), **ledger_filters(request.args))
    content = workbook([Sheet("整改台账", ledger_headers(), [ledger_row(e, now()) for e in entries])])
    return Response(
        content,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": content_disposition(f"ledger-{now():%Y%m%d%H%M}.xlsx")},
    )
