"""What the case page shows: summary, evaluation, tasks, timeline, diagram marks, comments, files."""

from __future__ import annotations

from datetime import datetime

from casemgmt.audit.chain import ChainBreak
from casemgmt.calendar.case_calendar import case_calendar
from casemgmt.cases import queries as case_queries
from casemgmt.cases.inbox import item_names, lamp
from casemgmt.cases.queries import list_case_attachments, list_comments
from casemgmt.cases.trail import diagram_marks
from casemgmt.models import Case, User
from casemgmt.notices.queries import list_case_notices
from web.api.present import mask_phone
from web.cases.names import org_names
from web.cases.timeline import timeline
from web.casework.context import case_casework
from web.ui.present import evaluator_view


def case_page_context(
    case: Case, user: User, now: datetime, revealed: bool, verification: list[ChainBreak] | None
) -> dict:
    """Return the template context of a case page."""
    tasks = case_queries.list_case_tasks(case.id)
    events = case_queries.list_case_events(case.id)
    calendar = case_calendar(case)
    code = case.evaluation.item_code
    return {
        "case": case,
        "evaluator": evaluator_view(case, revealed),
        "revealed": revealed,
        "tasks": [(t, lamp(t, now, calendar)) for t in tasks],
        "timeline": timeline(case, events, tasks),
        "marks": diagram_marks(case, tasks, events).as_dict(),
        "comments": list_comments(case.id),
        "attachments": list_case_attachments(case.id),
        "verification": verification,
        "event_count": len(events),
        "item_name": item_names(case.region_id, {code}).get(code, ""),
        "notices": _notices(case, revealed),
        "casework": case_casework(case, user),
    }


def _notices(case: Case, revealed: bool) -> list[tuple]:
    notices = list_case_notices(case.id)
    units = org_names(case.region_id, {n.recipient for n in notices if n.channel == "internal"})
    return [(n, units.get(n.recipient) or _recipient(n.recipient, n.channel, revealed)) for n in notices]


def _recipient(recipient: str, channel: str, revealed: bool) -> str:
    """Show an SMS recipient (the evaluator's phone) masked unless the page reveals the evaluator."""
    return recipient if revealed or channel != "sms" else mask_phone(recipient)
