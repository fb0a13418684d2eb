"""What the case page shows: summary, evaluation, tasks, timeline, diagram marks, comments, files."""

from __future__ import annotations

from datetime import datetime

from casemgmt import queries
from casemgmt.attachments import list_case_attachments
from casemgmt.audit import ChainBreak
from casemgmt.case_calendar import case_calendar
from casemgmt.comments import list_comments
from casemgmt.inbox import item_names, lamp
from casemgmt.models import Case, User
from casemgmt.trail import diagram_marks
from web.cases.timeline import timeline
from web.ui.present import evaluator_view


def case_page_context(case: Case, user: User, now: datetime, revealed: bool,
                      verification: list[ChainBreak] | None) -> dict:
    """Return the template context of a case page."""
    tasks = queries.list_case_tasks(case.id)
    events = queries.list_case_events(case.id)
    calendar = case_calendar(case)
    code = case.evaluation.item_code
    return {
        "case": case, "evaluator": evaluator_view(case, revealed), "revealed": revealed,
        "tasks": [(t, lamp(t, now, calendar)) for t in tasks], "timeline": timeline(case, events, tasks),
        "marks": diagram_marks(case, tasks, events).as_dict(), "comments": list_comments(case.id),
        "attachments": list_case_attachments(case.id), "verification": verification,
        "event_count": len(events), "item_name": item_names(case.region_id, {code}).get(code, ""),
    }
