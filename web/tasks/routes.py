"""Task pages: show a task with its case and form; claim, release, reassign, save a draft, complete."""

from __future__ import annotations

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from casemgmt import forms
from casemgmt.access.queries import access_task, get_user
from casemgmt.cases import operations as case_ops
from casemgmt.cases import queries as case_queries
from casemgmt.cases.supervision import urge_task
from casemgmt.db import db
from casemgmt.errors import ConcurrentUpdate, DomainError, FormInvalid, InvalidInput, NotFound, TaskNotOpen
from casemgmt.models import HumanTask, Organization
from casemgmt.rules import bundles
from web.downloads import content_disposition
from web.tasks.context import task_page_context, what_changed
from web.tasks.uploads import store_files
from web.ui import form_errors, login_required, now, safe_next
from web.ui.formview import Submission, read_submission

bp = Blueprint("tasks", __name__, template_folder="templates")


def _definition(row: HumanTask) -> dict:
    definition = bundles.forms_of(row.case.definition).get(row.form_key)
    if definition is None:
        raise NotFound(f"流程版本中缺少表单 {row.form_key}")
    return definition


def render_task(
    row: HumanTask,
    sub: Submission | None = None,
    errors: dict | None = None,
    status: int = 200,
    conflict: str | None = None,
    callback: dict | None = None,
):
    """Render the task page, with what the user typed and the errors (or the conflict) beside it; `callback`
    holds a refused callback attempt's values and errors, shown in its own form."""
    context = task_page_context(row, g.user, now(), _definition(row), sub.raw if sub else None)
    return render_template(
        "tasks/task.html",
        errors=errors or {},
        conflict=conflict,
        fresh=sub is None,
        callback=callback or {"values": {}, "errors": {}},
        **context,
    ), status


def _conflict(task_id: int, sub: Submission, err: DomainError):
    """Someone claimed, completed or moved the task meanwhile: show the form again with what was typed."""
    db.session.rollback()
    row = access_task(g.user, task_id)
    return render_task(row, sub, status=409, conflict=what_changed(row, g.user, err.message))


@bp.get("/tasks/<int:task_id>")
@login_required
def show(task_id: int):
    """Show a task with its case, earlier steps and, to whoever may act, its form."""
    return render_task(access_task(g.user, task_id))


@bp.post("/tasks/<int:task_id>")
@login_required
def submit(task_id: int):
    """Save a draft or complete the task; a refused form comes back with its errors and values."""
    row = access_task(g.user, task_id)
    definition = _definition(row)
    sub = read_submission(definition, request.form)
    upload_errors = store_files(row, definition, sub, request.files.to_dict(flat=False), g.user)
    if request.form.get("action") == "draft":
        try:
            case_ops.save_draft(task_id, sub.raw, g.user, now())
        except (TaskNotOpen, ConcurrentUpdate) as err:
            return _conflict(task_id, sub, err)
        db.session.commit()
        flash(_("Draft saved."), "success")
        return redirect(url_for("tasks.show", task_id=task_id))
    try:
        if upload_errors:
            _raise_with_other_errors(definition, sub.data, upload_errors)
        case_ops.complete_task(task_id, sub.data, g.user, now())
        following = case_ops.claim_next_task(g.user, row.case_id, now())
    except FormInvalid as err:
        db.session.commit()  # evidence already uploaded is kept and offered again
        return render_task(row, sub, form_errors(err.details), 400)
    except (TaskNotOpen, ConcurrentUpdate) as err:
        return _conflict(task_id, sub, err)
    db.session.commit()
    return _after_completion(following)


def _raise_with_other_errors(definition: dict, data: dict, errors: dict[str, list[str]]) -> None:
    merged = dict(errors)
    try:
        forms.validate_form(definition, {k: v for k, v in data.items() if k not in errors})
    except FormInvalid as err:
        merged = {**form_errors(err.details), **errors}
    raise FormInvalid("表单校验失败", details=merged)


def _after_completion(following: HumanTask | None):
    if following is not None:
        flash(_("Task completed. The next task of this case is yours: %(title)s", title=following.title), "success")
        return redirect(url_for("tasks.show", task_id=following.id))
    flash(_("Task completed."), "success")
    return redirect(url_for("inbox.index"))


@bp.post("/tasks/<int:task_id>/claim")
@login_required
def claim(task_id: int):
    """Make the user the task's assignee."""
    case_ops.claim_task(task_id, g.user, now())
    db.session.commit()
    flash(_("Task claimed."), "success")
    return redirect(safe_next(request.form.get("next"), url_for("tasks.show", task_id=task_id)))


@bp.post("/tasks/<int:task_id>/release")
@login_required
def release(task_id: int):
    """Give a claimed task back to its unit."""
    case_ops.release_task(task_id, g.user, now(), request.form.get("reason", "").strip())
    db.session.commit()
    flash(_("Task released to the unit."), "success")
    return redirect(safe_next(request.form.get("next"), url_for("inbox.index")))


@bp.post("/tasks/<int:task_id>/reassign")
@login_required
def reassign(task_id: int):
    """Let a supervisor hand a task to a person or a unit, with a reason."""
    username, org_code = request.form.get("assignee", ""), request.form.get("org_code", "")
    if not username and not org_code:
        raise InvalidInput(_("Choose a person or a unit to reassign to."))
    assignee = get_user(username) if username else None
    org = _org(org_code) if org_code else None
    case_ops.reassign_task(task_id, g.user, now(), request.form.get("reason", ""), assignee=assignee, org=org)
    db.session.commit()
    flash(_("Task reassigned."), "success")
    return redirect(safe_next(request.form.get("next"), url_for("tasks.show", task_id=task_id)))


@bp.post("/tasks/<int:task_id>/urge")
@login_required
def urge(task_id: int):
    """催办: a supervisor urges the holder of an open task (a notice to its unit, recorded in the history)."""
    row = urge_task(task_id, g.user, now(), request.form.get("note", ""))
    db.session.commit()
    flash(_("Urged: %(title)s.", title=row.title), "success")
    return redirect(safe_next(request.form.get("next"), url_for("tasks.show", task_id=task_id)))


def _org(code: str) -> Organization:
    org = db.session.query(Organization).filter_by(region_id=g.user.region_id, code=code).one_or_none()
    if org is None:
        raise InvalidInput("未知的机构", details={"org_code": [code]})
    return org


@bp.get("/attachments/<int:attachment_id>")
@login_required
def download(attachment_id: int):
    """Send an evidence file of a case the user may see."""
    row = case_queries.get_attachment(attachment_id, g.user)
    response = Response(row.content, mimetype=row.content_type)
    response.headers["Content-Disposition"] = content_disposition(row.name)
    return response
