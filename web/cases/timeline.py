"""Audit events as timeline entries: who, in which role, when, what, on which diagram version, with data."""

from __future__ import annotations

from casemgmt import topics
from casemgmt.cases.trail import definition_versions, display_names
from casemgmt.models import AuditEvent, Case, HumanTask
from casemgmt.rules import bundles
from web.ui import local_time
from web.ui.formview import describe
from web.ui.labels import EVENT_LABELS, PAYLOAD_LABELS, ROLE_LABELS, label

#: payload keys shown as they are, in this order, for events without a form
PLAIN_KEYS = (
    "title",
    "reason",
    "body",
    "name",
    "due_date",
    "org",
    "role",
    "record_no",
    "item_code",
    "level",
    "definition_version",
    "from",
    "to",
    "fields",
    "changes",
    "username",
)


def timeline(case: Case, events: list[AuditEvent], tasks: list[HumanTask]) -> list[dict]:
    """Return one entry per event of the case, oldest first."""
    definitions = bundles.forms_of(case.definition)
    forms_by_task = {t.id: definitions.get(t.form_key) for t in tasks}
    versions = definition_versions({e.definition_id for e in events if e.definition_id})
    names = display_names({e.actor for e in events})
    return [_entry(e, forms_by_task, versions, names) for e in events]


def _entry(event: AuditEvent, forms_by_task: dict, versions: dict, names: dict) -> dict:
    payload = event.payload or {}
    return {
        "seq": event.seq,
        "at": local_time(event.at, "%Y-%m-%d %H:%M:%S"),
        "kind": event.kind,
        "what": label(EVENT_LABELS, event.kind),
        "actor": event.actor,
        "actor_name": names.get(event.actor, ""),
        "role": label(ROLE_LABELS, event.actor_role),
        "version": versions.get(event.definition_id),
        "element": payload.get("element", ""),
        "details": _details(event, payload, forms_by_task),
        "hash": event.hash,
    }


def _details(event: AuditEvent, payload: dict, forms_by_task: dict) -> list[dict]:
    if event.kind == "task_completed":
        return describe(forms_by_task.get(payload.get("task_id")), payload.get("data"))
    if event.kind == "operation":
        name = str(payload.get("operation", ""))
        return [{"label": name, "text": topics.descriptions().get(name, ""), "files": []}]
    return [
        {"label": label(PAYLOAD_LABELS, key), "text": _text(payload[key]), "files": []}
        for key in PLAIN_KEYS
        if key in payload
    ]


def _text(value: object) -> str:
    if isinstance(value, dict):
        return "，".join(f"{k}: {_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "、".join(_text(v) for v in value)
    return "—" if value is None else str(value)
