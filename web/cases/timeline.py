"""Audit events as timeline entries: who, in which role, when, what (a sentence), on which diagram version, data."""

from __future__ import annotations

from casemgmt.cases.trail import definition_versions
from casemgmt.casework.extension_requests import list_requests
from casemgmt.models import AuditEvent, Case, HumanTask
from casemgmt.rules import bundles
from web.cases.names import Names, names_for
from web.cases.sentences import sentence
from web.ui import local_time
from web.ui.formview import describe
from web.ui.labels import EVENT_LABELS, PAYLOAD_LABELS, label

#: payload keys shown under the sentence, in this order, for events without a form
PLAIN_KEYS = ("reason", "body", "name", "changes", "username")


def timeline(case: Case, events: list[AuditEvent], tasks: list[HumanTask]) -> list[dict]:
    """Return one entry per event of the case, oldest first."""
    definitions = bundles.forms_of(case.definition)
    forms_by_task = {t.id: definitions.get(t.form_key) for t in tasks}
    versions = definition_versions({e.definition_id for e in events if e.definition_id})
    names = case_names(case, events, tasks)
    extensions = list_requests(case)
    return [_entry(e, forms_by_task, versions, names, extensions) for e in events]


def case_names(case: Case, events: list[AuditEvent], tasks: list[HumanTask]) -> Names:
    """Return the names the events of a case need."""
    users = {e.actor for e in events} | {str(e.payload.get("username")) for e in events if e.payload}
    orgs = {str(e.payload.get(k)) for e in events if e.payload for k in ("org", "handling_org", "supervisor_org")}
    orgs |= {
        str((e.payload.get(k) or {}).get("org"))
        for e in events
        if e.payload
        for k in ("from", "to")
        if isinstance(e.payload.get(k), dict)
    }
    return names_for(case, tasks, users, orgs)


def _entry(event: AuditEvent, forms_by_task: dict, versions: dict, names: Names, extensions: list) -> dict:
    payload = event.payload or {}
    return {
        "seq": event.seq,
        "at": local_time(event.at, "%Y-%m-%d %H:%M:%S"),
        "kind": event.kind,
        "what": label(EVENT_LABELS, event.kind),
        "sentence": sentence(event, names, extensions),
        "actor": event.actor,
        "actor_name": names.users.get(event.actor, ""),
        "role": names.role(event.actor_role),
        "version": versions.get(event.definition_id),
        "element": payload.get("element", ""),
        "details": _details(event, payload, forms_by_task),
        "hash": event.hash,
    }


def _details(event: AuditEvent, payload: dict, forms_by_task: dict) -> list[dict]:
    if event.kind == "task_completed":
        return describe(forms_by_task.get(payload.get("task_id")), payload.get("data"))
    if event.kind in ("operation", "extension_requested", "attachment_uploaded", "evaluator_revealed"):
        return []
    return [
        {"label": label(PAYLOAD_LABELS, key), "text": _text(payload[key]), "files": []}
        for key in PLAIN_KEYS
        if payload.get(key)
    ]


def _text(value: object) -> str:
    if isinstance(value, dict):
        if {"what", "old", "new"} <= set(value):
            return f"{value['what']}：{value['old'] or '—'} → {value['new'] or '—'}"
        return "，".join(_text(v) for v in value.values())
    if isinstance(value, list):
        return "；".join(_text(v) for v in value)
    return "—" if value is None else str(value)
