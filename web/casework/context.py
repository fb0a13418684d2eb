"""What the task and case pages show of casework: badges, the actions the user may open, the records, and on a
task the request or appeal it decides, its callback attempts and the evaluator's number for whoever calls."""

from __future__ import annotations

from casemgmt.access.policy import Action, allowed, may_call_evaluator
from casemgmt.access.queries import evaluator_called
from casemgmt.casework import appeals, callbacks, extension_requests, transfers
from casemgmt.casework import queries as casework_queries
from casemgmt.casework.queries import BADGE_LABELS
from casemgmt.errors import TaskNotOpen
from casemgmt.models import Case, CaseStatus, HumanTask, User
from casemgmt.rules import bundles

#: the forms of the tasks inside which callback attempts are logged one by one
CALLBACK_FORM_KEYS = frozenset({"callback_verification", "callback_attempt", "satisfaction_callback"})


def badges(case: Case) -> list[str]:
    """Return the labels of the case's casework badges (申请中, 已延期, 申诉中, 已移交)."""
    return [BADGE_LABELS[b] for b in casework_queries.case_badges([case.id]).get(case.id, [])]


def actions(case: Case, user: User) -> list[tuple[str, str]]:
    """Return the casework pages the user may open for the case now: (endpoint, label key)."""
    if case.status != CaseStatus.OPEN:
        return []
    forms = bundles.forms_of(case.definition)
    found = []
    if (
        extension_requests.FORM_KEY in forms
        and allowed(user, Action.EXTENSION_REQUEST, case=case)
        and _extensible(case)
    ):
        found.append(("casework.extension", "extension"))
    if (
        appeals.FORM_KEY in forms
        and allowed(user, Action.APPEAL_FILE, case=case)
        and casework_queries.appeal_window_last_day(case) is not None
        and not appeals.list_appeals(case)
    ):
        found.append(("casework.appeal", "appeal"))
    if allowed(user, Action.CASE_TRANSFER, case=case):
        found.append(("casework.transfer", "transfer"))
    return found


def _extensible(case: Case) -> bool:
    """Tell whether an open step of the case accepts an extension and none was asked for it yet."""
    try:
        row, _cap = extension_requests.extensible_task(case)
    except TaskNotOpen:
        return False
    return not any(r.task_element == row.element_id for r in extension_requests.list_requests(case))


def case_casework(case: Case, user: User) -> dict:
    """Return the casework part of a case page."""
    return {
        "badges": badges(case),
        "actions": actions(case, user),
        "extensions": extension_requests.list_requests(case),
        "appeals": appeals.list_appeals(case),
        "transfers": transfers.list_transfers(case),
        "callbacks": callbacks.list_attempts(case),
        "labels": callbacks.RESULT_LABELS,
    }


def task_casework(row: HumanTask, user: User) -> dict:
    """Return the casework part of a task page."""
    case = row.case
    is_callback = row.form_key in CALLBACK_FORM_KEYS
    return {
        "badges": badges(case),
        "actions": actions(case, user),
        "extension": casework_queries.pending_extension(case) if row.form_key == "extension_approval" else None,
        "appeal": casework_queries.pending_appeal(case) if row.form_key in ("appeal_review", "review_ruling") else None,
        "callbacks": callbacks.list_attempts(case) if is_callback else None,
        "can_log": is_callback and case.status == CaseStatus.OPEN and allowed(user, Action.CALLBACK_LOG, case=case),
        "labels": callbacks.RESULT_LABELS,
        "may_call": may_call_evaluator(user, row),
        "phone": case.evaluation.evaluator_phone if evaluator_called(user, row) else None,
    }
