"""What the task page shows: the case, the evaluation, earlier steps, the form and who may act."""

from __future__ import annotations

from datetime import datetime

from casemgmt.access.policy import Action, allowed
from casemgmt.calendar.case_calendar import case_calendar
from casemgmt.cases import queries as case_queries
from casemgmt.cases.inbox import item_names, lamp, reassign_targets
from casemgmt.cases.queries import list_comments
from casemgmt.models import HumanTask, TaskStatus, User
from casemgmt.rules import bundles
from web.casework.context import task_casework
from web.tasks.uploads import kept_files
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
    reassign = reassign_targets(user, row) if is_open and allowed(user, Action.TASK_REASSIGN, task=row) else None
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
        "lamp": lamp(row, now, case_calendar(case)),
        "evaluator": evaluator_view(case, None),
        "item_name": item_names(case.region_id, {case.evaluation.item_code}).get(case.evaluation.item_code, ""),
        "casework": task_casework(row, user),
    }
