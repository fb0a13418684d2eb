"""Each history entry as a sentence with the values that matter, in the reader's language, names not codes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from casemgmt.models import AuditEvent, ExtensionRequest, ExtensionStatus
from web.cases.names import Names
from web.ui import local_time

Sentence = Callable[[AuditEvent, dict, Names], str]


def _task(event: AuditEvent, payload: dict, names: Names) -> str:
    return names.element(payload.get("element"), str(payload.get("title") or ""))


def _who(event: AuditEvent, names: Names) -> str:
    return names.user(event.actor)


def _date(value: object) -> str:
    return str(value)[:10] if value else "—"


def _opened(event: AuditEvent, p: dict, names: Names) -> str:
    return _("A “%(level)s” review of “%(item)s” (record %(record)s) opened the case for %(org)s.") % {
        "level": names.level(p.get("level")),
        "item": names.item(p.get("item_code")),
        "record": p.get("record_no") or "—",
        "org": names.org(p.get("handling_org")),
    }


def _created(event: AuditEvent, p: dict, names: Names) -> str:
    text = _("Task “%(task)s” goes to the %(role)s of %(org)s, due %(due)s.") % {
        "task": _task(event, p, names),
        "role": names.role(p.get("role")),
        "org": names.org(p.get("org")),
        "due": _date(p.get("due_date")),
    }
    return text + (" " + _("(provisional: that year's calendar is not loaded yet)") if p.get("provisional") else "")


def _simple(message) -> Sentence:
    def say(event: AuditEvent, p: dict, names: Names) -> str:
        return str(message) % {"who": _who(event, names), "task": _task(event, p, names)}

    return say


def _reassigned(event: AuditEvent, p: dict, names: Names) -> str:
    before, after = p.get("from") or {}, p.get("to") or {}
    return _("%(who)s reassigned “%(task)s” from %(old)s to %(new)s.") % {
        "who": _who(event, names),
        "task": _task(event, p, names),
        "old": names.org(before.get("org")),
        "new": names.org(after.get("org")),
    }


def _overdue(event: AuditEvent, p: dict, names: Names) -> str:
    return _("The deadline of “%(task)s” passed (%(due)s); the task is under supervision.") % {
        "task": _task(event, p, names),
        "due": local_time_iso(p.get("due_at")) or "—",
    }


def local_time_iso(value: object) -> str:
    """Return an ISO instant as Asia/Shanghai wall time, or '' when there is none."""
    try:
        return local_time(datetime.fromisoformat(str(value))) if value else ""
    except ValueError:
        return str(value)


def _extension_requested(event: AuditEvent, p: dict, names: Names) -> str:
    data = p.get("data") or {}
    return _("%(who)s asked for %(days)s more working days for “%(task)s” (due %(due)s). Reason: %(reason)s") % {
        "who": _who(event, names),
        "days": data.get("extension_workdays", "—"),
        "task": names.element(p.get("task")),
        "due": _date(p.get("due_date")),
        "reason": data.get("extension_reason") or "—",
    }


def _operation(event: AuditEvent, p: dict, names: Names, extensions: list[ExtensionRequest]) -> str:
    name = p.get("operation")
    if name == "decide_extension":
        decided = [r for r in extensions if r.decided_by == event.actor and r.decided_at == event.at]
        if decided:
            return extension_decision(decided[-1], names)
    return names.topic(name)


def extension_decision(request: ExtensionRequest, names: Names) -> str:
    """Say who decided an extension, how, with the days, the old and new due dates and the opinion."""
    values = {
        "who": names.user(request.decided_by),
        "days": request.workdays,
        "task": names.element(request.task_element),
        "old": _date(request.old_due_date),
        "new": _date(request.new_due_date),
        "why": request.opinion or "—",
    }
    if request.status == ExtensionStatus.APPROVED:
        return (
            _(
                "%(who)s approved %(days)s more working days for “%(task)s”: "
                "due %(old)s becomes %(new)s. Opinion: %(why)s"
            )
            % values
        )
    return (
        _("%(who)s refused the extension of “%(task)s” by %(days)s working days; due stays %(old)s. Opinion: %(why)s")
        % values
    )


def _revealed(event: AuditEvent, p: dict, names: Names) -> str:
    return _("%(who)s viewed the evaluator's name and phone. Reason: %(reason)s") % {
        "who": _who(event, names),
        "reason": p.get("reason") or "—",
    }


def _uploaded(event: AuditEvent, p: dict, names: Names) -> str:
    return _("%(who)s uploaded “%(file)s” to “%(task)s”.") % {
        "who": _who(event, names),
        "file": p.get("name") or "—",
        "task": _task(event, p, names),
    }


def _migrated(event: AuditEvent, p: dict, names: Names) -> str:
    return _("The case moved from diagram version %(old)s to version %(new)s.") % {
        "old": p.get("from_version", "—"),
        "new": p.get("to_version", "—"),
    }


SENTENCES: dict[str, Sentence] = {
    "case_opened": _opened,
    "task_created": _created,
    "task_claimed": _simple(_l("%(who)s claimed “%(task)s”.")),
    "task_released": _simple(_l("%(who)s released “%(task)s” back to the unit.")),
    "task_reassigned": _reassigned,
    "task_completed": _simple(_l("%(who)s completed “%(task)s”.")),
    "task_cancelled": _simple(_l("Task “%(task)s” was withdrawn by the process.")),
    "task_overdue": _overdue,
    "task_draft_saved": _simple(_l("%(who)s saved a draft of “%(task)s”.")),
    "extension_requested": _extension_requested,
    "evaluator_revealed": _revealed,
    "comment_added": _simple(_l("%(who)s added a comment.")),
    "attachment_uploaded": _uploaded,
    "deadlines_recomputed": _simple(_l("The deadlines were recomputed on the updated calendar.")),
    "timer_fired": _simple(_l("A timer fired at “%(task)s”.")),
    "appeal_filed": _simple(_l("%(who)s filed an appeal.")),
    "transfer_requested": _simple(_l("%(who)s asked to transfer the case.")),
    "callback_logged": _simple(_l("%(who)s recorded a callback attempt.")),
    "ledger_note_added": _simple(_l("%(who)s added a note to the rectification ledger.")),
    "case_migrated": _migrated,
}


def sentence(event: AuditEvent, names: Names, extensions: list[ExtensionRequest]) -> str:
    """Return what happened, as a sentence; events of other chains are named by their kind's label."""
    payload = event.payload or {}
    if event.kind == "operation":
        return _operation(event, payload, names, extensions)
    say = SENTENCES.get(event.kind)
    return say(event, payload, names) if say else ""
