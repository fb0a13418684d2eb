"""Names of roles, statuses, views and event kinds in the user's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from casemgmt.access.policy import Role
from casemgmt.models import CaseStatus, LedgerStatus, OutboxState, TaskStatus

ROLE_LABELS = {
    Role.OFFICER: _l("Handling officer"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.COORDINATOR: _l("Coordinator"),
    Role.ADMIN: _l("Administrator"),
    Role.AUDITOR: _l("Auditor"),
    Role.CHANNEL: _l("Channel"),
    "system": _l("System"),
}
CASE_STATUS_LABELS = {
    CaseStatus.OPEN: _l("Open"),
    CaseStatus.CLOSED: _l("Closed"),
    CaseStatus.REVOKED: _l("Revoked"),
    CaseStatus.CANCELLED: _l("Cancelled"),
}
TASK_STATUS_LABELS = {
    TaskStatus.OPEN: _l("Open"),
    TaskStatus.COMPLETED: _l("Completed"),
    TaskStatus.CANCELLED: _l("Cancelled"),
}
LEDGER_STATUS_LABELS = {
    LedgerStatus.OPEN: _l("Rectifying"),
    LedgerStatus.CLOSED: _l("Rectified (closed)"),
}
NOTICE_STATE_LABELS = {
    OutboxState.QUEUED: _l("Queued"),
    OutboxState.SENDING: _l("Sending"),
    OutboxState.SENT: _l("Sent"),
    OutboxState.FAILED: _l("Failed, will retry"),
    OutboxState.DEAD: _l("Undeliverable"),
}
NOTICE_KIND_LABELS = {
    "notice": _l("Notice"),
    "assigned": _l("New case for the unit"),
    "feedback": _l("Result told to the evaluator"),
    "remind": _l("Rating reminder"),
    "report": _l("Report"),
    "results": _l("Results sent back"),
    "supervise": _l("Supervision notice"),
    "upload": _l("Upload to the upstream system"),
}
VIEW_LABELS = {
    "my_roles": _l("My units' tasks"),
    "mine": _l("My tasks"),
    "overdue": _l("Overdue"),
    "done": _l("Done by me"),
    "team": _l("Team tasks"),
}
LAMP_LABELS = {
    "green": _l("On time"),
    "yellow": _l("Due within one working day"),
    "red": _l("Overdue"),
    "none": _l("No deadline"),
}
#: the word a lamp carries, so that its colour is never the only sign
LAMP_WORDS = {
    "green": _l("on time"),
    "yellow": _l("due soon"),
    "red": _l("overdue"),
}
EVENT_LABELS = {
    "case_opened": _l("Case opened"),
    "task_created": _l("Task created"),
    "task_claimed": _l("Task claimed"),
    "task_released": _l("Task released"),
    "task_reassigned": _l("Task reassigned"),
    "task_completed": _l("Task completed"),
    "task_cancelled": _l("Task cancelled"),
    "task_overdue": _l("Deadline passed (supervision)"),
    "task_urged": _l("Task urged"),
    "supervision_closed": _l("Supervision closed: the late task was completed"),
    "task_draft_saved": _l("Draft saved"),
    "operation": _l("Automatic step"),
    "evaluator_revealed": _l("Evaluator identity viewed"),
    "comment_added": _l("Comment"),
    "attachment_uploaded": _l("Evidence uploaded"),
    "deadlines_recomputed": _l("Deadlines recomputed"),
    "timer_fired": _l("Timer fired"),
    "extension_requested": _l("Extension requested"),
    "appeal_filed": _l("Appeal filed"),
    "transfer_requested": _l("Transfer requested"),
    "callback_logged": _l("Callback recorded"),
    "ledger_note_added": _l("Ledger note added"),
    "case_migrated": _l("Moved to another diagram version"),
    "cases_migrated": _l("Cases moved to another diagram version"),
    "cases_exported": _l("Cases exported"),
    "evaluation_received": _l("Evaluation received"),
    "hotline_satisfaction": _l("Hotline satisfaction received"),
    "results_replayed": _l("Results sent again"),
    "rating_reminded": _l("Rating reminder sent"),
    "rating_awaiting": _l("Service awaiting its rating"),
    "rating_rated": _l("Service rated"),
    "rating_defaulted": _l("Default rating applied"),
    "rating_unrated": _l("Recorded as not rated"),
    "user_logged_in": _l("Signed in"),
    "user_logged_out": _l("Signed out"),
    "login_failed": _l("Sign-in failed"),
    "password_changed": _l("Password changed"),
    "user_created": _l("User created"),
    "token_created": _l("API token created"),
    "region_saved": _l("Region saved"),
    "bundled_rules_imported": _l("Bundled rules imported"),
    "org_saved": _l("Unit saved"),
    "org_changed": _l("Unit changed"),
    "service_item_saved": _l("Service item saved"),
    "directory_imported": _l("Directory imported"),
    "definition_deployed": _l("Rules deployed"),
    "definition_rolled_back": _l("Rules rolled back"),
    "national_update_accepted": _l("National update accepted"),
    "calendar_changed": _l("Calendar changed"),
    "notice_retried": _l("Notice queued again"),
    "outbox_paused": _l("Sending paused"),
    "outbox_resumed": _l("Sending resumed"),
    "national_update_kept": _l("National update declined: current version kept"),
    "notices_read": _l("Notices marked read"),
    "evaluation_flagged": _l("Rating flagged as suspected gaming"),
    "evaluation_flag_decided": _l("Decision on a flagged rating"),
    "evaluator_pii_erased": _l("Evaluator's name and phone erased (retention period over)"),
    "rating_link_issued": _l("Rating link issued"),
    "stats_report_published": _l("Statistics report published"),
}
#: what each service-task topic does, in a few words
TOPIC_LABELS = {
    "close_case": _l("Close the case"),
    "open_consultation": _l("Open a consultation"),
    "record_consultation_reply": _l("Record a unit's consultation opinion"),
    "merge_consultation": _l("Merge the consultation opinions"),
    "decide_extension": _l("Record the extension decision"),
    "open_ledger": _l("Open a rectification ledger entry"),
    "close_ledger": _l("Close the ledger entry"),
    "rule_appeal": _l("Record the appeal ruling"),
    "revoke_review": _l("Revoke the bad review"),
    "record_callback": _l("Record the callback"),
    "transfer_discipline": _l("Transfer to the discipline inspection organ"),
    "load_region_orgs": _l("Load the region's named units"),
    "notify_unit": _l("Notify the handling unit"),
    "notify_evaluator": _l("Tell the evaluator by SMS"),
    "notify_supervisor": _l("Notify the supervising unit"),
    "report_to": _l("Report to the named units"),
    "report_upstream": _l("Upload the result to the upstream system"),
}
CHANNEL_LABELS = {
    "window_device": _l("Window device"),
    "tablet": _l("Tablet"),
    "qr_static": _l("QR code (static)"),
    "qr_dynamic": _l("QR code (dynamic)"),
    "sms": _l("SMS"),
    "hotline": _l("Hotline"),
    "online_hall": _l("Online hall"),
    "mobile_app": _l("Mobile app"),
    "terminal": _l("Self-service terminal"),
    "paper": _l("Paper form"),
    "suggestion_box": _l("Suggestion box"),
    "email": _l("E-mail"),
    "survey": _l("Survey"),
    "api": _l("API"),
}

PAYLOAD_LABELS = {
    "title": _l("Task"),
    "reason": _l("Reason"),
    "body": _l("Comment"),
    "name": _l("File"),
    "due_date": _l("Due date"),
    "org": _l("Unit"),
    "role": _l("Role"),
    "record_no": _l("Record no."),
    "item_code": _l("Service item"),
    "level": _l("Rating"),
    "definition_version": _l("Diagram version"),
    "from": _l("From"),
    "to": _l("To"),
    "fields": _l("Fields"),
    "changes": _l("Changes"),
    "username": _l("User"),
}


def label(table: dict, key: str | None) -> str:
    """Return the label of a key, or the key itself when the table has none."""
    return str(table[key]) if key in table else (key or "")
