"""What the task page shows: the case, the evaluation, earlier steps, the form and who may act."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from casemgmt.access.policy import Action, allowed
from casemgmt.calendar.case_calendar import case_calendar
from casemgmt.cases import queries as case_queries
from casemgmt.cases.inbox import item_names, lamp, reassign_targets, working_days_left
from casemgmt.cases.queries import list_comments
from casemgmt.cases.supervision import late_task
from casemgmt.models import HumanTask, TaskStatus, User
from casemgmt.rules import bundles
from web.casework.context import task_casework
from web.tasks.uploads import kept_files
from web.ui import local_time
from web.ui.formview import describe, initial_values, required_conditions
from web.ui.present import evaluator_view


def task_page_context(row: HumanTask, user: User, now: datetime, definition: dict, raw: dict | None) -> dict:
    """Return the template context of a task page."""
    case = row.case
    definitions = bundles.forms_of(case.definition)
    tasks = case_queries.list_case_tasks(case.id)
    values = raw if raw is not None else initial_values(definition, row.draft)
    is_open = row.status == TaskStatus.OPEN
    can_act = is_open and allowed(user, Action.TASK_COMPLETE, task=row) and row.assignee_id in (None, user.id)
    earlier = [(t, describe(definitions.get(t.form_key), t.data)) for t in tasks if t.status == TaskStatus.COMPLETED]
    calendar = case_calendar(case)
    late = late_task(row, user, now, calendar)
    if late is not None:  # a 督办: 改派 acts on the late task it names, not on the 督办 itself
        reassign = reassign_targets(user, late.task) if late.can_reassign else None
    elif is_open and allowed(user, Action.TASK_REASSIGN, task=row):
        reassign = reassign_targets(user, row)
    else:
        reassign = None
    return {
        "task": row,
        "is_open": is_open,
        "case": case,
        "definition": definition,
        "values": values,
        "can_act": can_act,
        "conditions": required_conditions(definition),
        "files": kept_files(row, definition, values),
        "earlier": earlier,
        "comments": list_comments(case.id),
        "open_tasks": [t for t in tasks if t.status == TaskStatus.OPEN],
        "reassign": reassign,
        "lamp": lamp(row, now, calendar),
        "late": late,
        "days": working_days_left(row, now, calendar),
        "late_lamp": lamp(late.task, now, calendar) if late else None,
        "evaluator": evaluator_view(case, None),
        "item_name": item_names(case.region_id, {case.evaluation.item_code}).get(case.evaluation.item_code, ""),
        "casework": task_casework(row, user),
    }


def what_changed(row: HumanTask, user: User, fallback: str) -> str:
    """Say what happened to a task meanwhile: completed, cancelled by the process, or claimed by someone else."""
    if row.status == TaskStatus.COMPLETED:
        who = row.completed_by.display_name if row.completed_by else "—"
        return _("%(who)s completed this task at %(when)s.", who=who, when=local_time(row.completed_at))
    if row.status == TaskStatus.CANCELLED:
        return _("The process moved on and this task was cancelled.")
    if row.assignee_id not in (None, user.id) and row.assignee is not None:
        return _("%(who)s claimed this task meanwhile.", who=row.assignee.display_name)
    return fallback
