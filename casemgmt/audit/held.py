"""Audit rows held until the transaction's end (casemgmt.writes): one multi-row INSERT of the events and one
upsert of the heads they moved, sent with the transaction's other held writes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from casemgmt import writes
from casemgmt.jsonvalues import is_plain
from casemgmt.models import AuditChainHead, AuditEvent

_NAME = "audit"
_EVENTS = AuditEvent.__table__
_HEADS = AuditChainHead.__table__
_EVENT_COLUMNS = tuple(c.key for c in _EVENTS.columns if c.key != "id")


@dataclass
class Held:
    """This transaction's appended events and the heads they moved, not yet written."""

    events: list[dict] = field(default_factory=list)
    heads: dict[str, dict] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.events or self.heads)


def hold(event: AuditEvent) -> None:
    """Hold a hashed event, and its chain's head moved to it, until the held writes are sent."""
    held: Held = writes.pending(_NAME, Held)
    held.events.append({key: getattr(event, key) for key in _EVENT_COLUMNS})
    held.heads[event.chain] = {"chain": event.chain, "region_id": event.region_id, "seq": event.seq, "hash": event.hash}


def statements(held: Held) -> list[writes.Rows]:
    """The held events; the heads, in chain order (the existing rows are locked by this transaction since its
    first append to them, the new ones are inserted)."""
    return [
        writes.Rows(_EVENTS, held.events),
        writes.Rows(_HEADS, [held.heads[chain] for chain in sorted(held.heads)], ("chain",), ("seq", "hash")),
    ]


writes.register(_NAME, (_EVENTS.name, _HEADS.name), statements)


def plain_json(value: Any) -> Any:
    """Return value as a JSON column stores it (what the hash must cover): dates and the like as text.

    Plain dicts, lists and scalars are returned as they are, without a round trip through the encoder.
    """
    if is_plain(value):
        return value
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))
