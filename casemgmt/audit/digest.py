"""An audit event's hash: SHA-256 of its canonical text, the JSON of its fields as one object (keys sorted, no
spaces, characters as they are, other values as text, the instant in UTC), so chains written before verify as
they did. The text is written field by field; tests/casemgmt/test_audit_digest.py holds it to json.dumps's."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from casemgmt.models import AuditEvent

#: json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str), which is this encoder's
#: encode: one encoder for every event rather than one built per call
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode


#: an event's canonical text: _CANONICAL of its fields as one object, `at` in UTC, written out in its keys' sorted
#: order (each value as _CANONICAL writes it: a nested object's text is its own canonical text)
_EVENT_TEXT = (
    '{"actor":%s,"actor_role":%s,"at":%s,"case_id":%s,"chain":%s,"definition_id":%s,"kind":%s,"payload":%s,'
    '"prev_hash":%s,"region_id":%s,"seq":%s}'
)
#: json's own encoder of strings, as _CANONICAL uses it (characters as they are)
_STRING = json.encoder.encode_basestring  # type: ignore[attr-defined]


def _digest(event: AuditEvent) -> str:
    """SHA-256 of the event's canonical text (tests/casemgmt/test_audit_digest.py holds it to json.dumps's)."""
    return event_digest(
        canonical(event.actor),
        canonical(event.actor_role),
        at_text(event.at),
        event.case_id,
        event.chain,
        event.definition_id,
        event.kind,
        _CANONICAL(event.payload),
        event.prev_hash,
        canonical(event.region_id),
        event.seq,
    )


def event_digest(
    actor: str,
    actor_role: str,
    at: str,
    case_id: int | None,
    chain: str,
    definition_id: int | None,
    kind: str,
    payload: str,
    prev_hash: str,
    region_id: str,
    seq: int,
) -> str:
    """SHA-256 of an event's canonical text. Actor, role, instant, payload and region come as their canonical
    texts (`canonical`, `at_text`, _CANONICAL): the events of a bulk batch share all but the payload, written
    once (audit/batch.py), and a payload's text can be stored as it is."""
    text = _EVENT_TEXT % (
        actor,
        actor_role,
        at,
        canonical(case_id),
        canonical(chain),
        canonical(definition_id),
        canonical(kind),
        payload,
        canonical(prev_hash),
        region_id,
        canonical(seq),
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def at_text(at: datetime) -> str:
    """An event's instant as its canonical text: ISO in UTC."""
    return _STRING(at.astimezone(UTC).isoformat())


def canonical(value: object) -> str:
    """_CANONICAL(value), a plain string, integer or None without the encoder's machinery."""
    if type(value) is str:
        return _STRING(value)
    if type(value) is int:
        return int.__repr__(value)
    return "null" if value is None else _CANONICAL(value)
