"""An event's hash is the SHA-256 of one canonical JSON text (keys sorted, no spaces, characters as they are,
other values as text), so chains written before verify as they did."""

from __future__ import annotations

import hashlib
import json
import random
from datetime import UTC, date, datetime, timedelta, timezone
from types import SimpleNamespace

from casemgmt import bulk
from casemgmt.actor import Actor
from casemgmt.audit.batch import write_new_chains
from casemgmt.audit.digest import _digest


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


def _reference(event: SimpleNamespace) -> str:
    """The canonical text as first defined: json.dumps of the fields as one object."""
    body = {
        "chain": event.chain,
        "seq": event.seq,
        "case_id": event.case_id,
        "region_id": event.region_id,
        "kind": event.kind,
        "actor": event.actor,
        "actor_role": event.actor_role,
        "at": event.at.astimezone(UTC).isoformat(),
        "definition_id": event.definition_id,
        "payload": event.payload,
        "prev_hash": event.prev_hash,
    }
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_the_field_by_field_text_is_json_dumps_of_the_whole_event() -> None:
    rng = random.Random(7)
    pieces = ["a", "测", '"', "\\", "\n", "\t", "\x7f", "é", "\U0001f600", "}", ":", ","]

    def text() -> str:
        return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))

    def value():  # noqa: ANN202 - any JSON value, or a date (default=str)
        return rng.choice([None, True, rng.randint(-(2**40), 2**40), 1.5, text(), [text(), 3], {text(): text()}])

    for _ in range(3_000):
        event = SimpleNamespace(
            chain=text(),
            seq=rng.randint(1, 10**6),
            case_id=rng.choice([None, rng.randint(1, 10**6)]),
            region_id=rng.randint(1, 99),
            kind=text(),
            actor=text(),
            actor_role=text(),
            at=datetime(2025, 1, 1, tzinfo=timezone(timedelta(hours=rng.randint(-12, 14))))
            + timedelta(seconds=rng.random() * 1e8),
            definition_id=rng.choice([None, rng.randint(1, 500)]),
            payload={text(): value() for _ in range(rng.randint(0, 4))} | {"on": date(2025, 9, 26)},
            prev_hash=rng.choice(["0" * 64, "ab" * 32]),
        )
        assert _digest(event) == _reference(event), event  # type: ignore[arg-type]


def test_a_batchs_new_chains_hash_each_event_as_one_appended_alone(app, monkeypatch) -> None:  # noqa: ANN001
    """write_new_chains writes the fields its events share once; each row's hash is still that of json.dumps."""
    sent: list[list[dict]] = []
    monkeypatch.setattr(bulk, "insert_rows", lambda table, rows, **kw: sent.append(rows))
    at = datetime(2025, 9, 26, 10, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8)))
    events = [
        (f"evaluation:{n}", kind, {"evaluation_id": n, "note": '等待 "久"\\', "rules": ["phone_burst"]})
        for n in (7, 8)
        for kind in ("evaluation_received", "evaluation_flagged")
    ]
    write_new_chains(events, actor=Actor("ln-channel", "channel"), at=at, region_id=1, case_ids={"evaluation:8": 3})
    rows = sent[0]
    assert [r["seq"] for r in rows] == [1, 2, 1, 2] and rows[1]["prev_hash"] == rows[0]["hash"]
    for row in rows:
        payload = row["payload"]
        plain = {**row, "payload": json.loads(payload) if isinstance(payload, str) else payload}
        assert row["hash"] == _reference(SimpleNamespace(**plain))
