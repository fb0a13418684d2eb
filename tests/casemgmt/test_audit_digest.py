"""An event's hash is the SHA-256 of one canonical JSON text (keys sorted, no spaces, characters as they are,
other values as text), so chains written before verify as they did."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta, timezone
from types import SimpleNamespace

from casemgmt.audit.chain import _digest


def test_an_event_hashes_its_canonical_text() -> None:
    event = SimpleNamespace(
        chain="evaluation:7",
        seq=2,
        case_id=None,
        region_id=1,
        kind="evaluation_flagged",
        actor="ln-channel",
        actor_role="channel",
        at=datetime(2025, 9, 26, 10, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8))),
        definition_id=None,
        payload={"rules": ["record_burst"], "evaluation_id": 7, "note": '等待 "久"', "on": date(2025, 9, 26)},
        prev_hash="ab" * 32,
    )
    text = (
        '{"actor":"ln-channel","actor_role":"channel","at":"2025-09-26T02:00:00.123456+00:00","case_id":null,'
        '"chain":"evaluation:7","definition_id":null,"kind":"evaluation_flagged","payload":{"evaluation_id":7,'
        '"note":"等待 \\"久\\"","on":"2025-09-26","rules":["record_burst"]},"prev_hash":"' + "ab" * 32 + '",'
        '"region_id":1,"seq":2}'
    )
    assert _digest(event) == hashlib.sha256(text.encode("utf-8")).hexdigest()  # type: ignore[arg-type]
    assert event.at.astimezone(UTC).isoformat() in text
