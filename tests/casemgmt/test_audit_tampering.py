"""Tampering with the audit log is noticed: each kind below, on a case, a region and an evaluation chain.

Before each tampering a signed checkpoint records every chain's head; the tamperer has the database (events,
head rows, checkpoints) but not the checkpoint key.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import delete, select, text, update

from casemgmt import audit
from casemgmt.actor import Actor
from casemgmt.audit.chain import GENESIS, _digest, checkpoint_json, sign_heads
from casemgmt.db import db
from casemgmt.models import AuditChainHead, AuditCheckpoint, AuditEvent, Region

KEY = b"test-audit-checkpoint-key"


def _events(chain: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)))


def _rehash(events: list[AuditEvent], start: int) -> None:
    """Recompute the hashes from events[start] on, as a careful tamperer would."""
    prev = events[start - 1].hash if start else GENESIS
    for event in events[start:]:
        event.prev_hash = prev
        event.hash = _digest(event)
        prev = event.hash


def _set_head(chain: str, event: AuditEvent | None) -> None:
    values = {"seq": event.seq, "hash": event.hash} if event else {"seq": 0, "hash": GENESIS}
    db.session.execute(update(AuditChainHead).where(AuditChainHead.chain == chain).values(**values))


def _edit(event: AuditEvent) -> None:
    event.payload = {**(event.payload or {}), "reason": "tampered"}


def edit_a_row(chain):
    _edit(_events(chain)[1])


def edit_a_row_and_recompute_its_hash(chain):
    events = _events(chain)
    _edit(events[1])
    events[1].hash = _digest(events[1])


def edit_the_last_row_and_recompute_its_hash(chain):
    events = _events(chain)
    _edit(events[-1])
    _rehash(events, len(events) - 1)


def edit_a_row_and_recompute_every_later_hash(chain):
    events = _events(chain)
    _edit(events[1])
    _rehash(events, 1)


def rewrite_a_row_every_later_hash_and_the_head(chain):
    events = _events(chain)
    _edit(events[1])
    _rehash(events, 1)
    db.session.flush()
    _set_head(chain, events[-1])


def delete_the_last_row(chain):
    db.session.delete(_events(chain)[-1])


def delete_the_last_row_and_move_the_head_back(chain):
    events = _events(chain)
    db.session.delete(events[-1])
    _set_head(chain, events[-2])


def delete_a_middle_row(chain):
    db.session.delete(_events(chain)[1])


def delete_a_middle_row_renumber_rehash_and_fix_the_head(chain):
    events = _events(chain)
    db.session.delete(events[1])
    db.session.flush()
    rest = [events[0], *events[2:]]
    for event in rest[1:]:
        event.seq -= 1
        db.session.flush()
    _rehash(rest, 1)
    db.session.flush()
    _set_head(chain, rest[-1])


def delete_the_whole_chain(chain):
    db.session.execute(delete(AuditEvent).where(AuditEvent.chain == chain))


def delete_the_whole_chain_and_its_head(chain):
    db.session.execute(delete(AuditEvent).where(AuditEvent.chain == chain))
    db.session.execute(delete(AuditChainHead).where(AuditChainHead.chain == chain))


def delete_the_head_row(chain):
    db.session.execute(delete(AuditChainHead).where(AuditChainHead.chain == chain))


def append_a_forged_row_without_the_head(chain):
    last = _events(chain)[-1]
    forged = AuditEvent(
        chain=chain,
        seq=last.seq + 1,
        case_id=last.case_id,
        region_id=last.region_id,
        kind="forged",
        actor="mallory",
        actor_role="admin",
        at=last.at,
        payload={},
        prev_hash=last.hash,
    )
    forged.hash = _digest(forged)
    db.session.add(forged)


def move_a_row_to_another_chain(chain):
    _events(chain)[1].chain = "region:999999"


def swap_two_rows(chain):
    events = _events(chain)
    a, b = events[0], events[1]
    db.session.execute(text("UPDATE audit_events SET seq = -1 WHERE id = :id"), {"id": a.id})
    db.session.execute(text("UPDATE audit_events SET seq = :s WHERE id = :id"), {"s": a.seq, "id": b.id})
    db.session.execute(text("UPDATE audit_events SET seq = :s WHERE id = :id"), {"s": b.seq, "id": a.id})


def truncate_and_forge_the_checkpoint_without_the_key(chain):
    delete_the_last_row_and_move_the_head_back(chain)
    db.session.flush()
    checkpoint = db.session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()))
    head = db.session.get(AuditChainHead, chain)
    checkpoint.heads = {**checkpoint.heads, chain: [head.seq, head.hash]}
    checkpoint.signature = sign_heads(b"guessed key", checkpoint.at, checkpoint.heads)


TAMPERINGS: list[Callable[[str], None]] = [
    edit_a_row,
    edit_a_row_and_recompute_its_hash,
    edit_the_last_row_and_recompute_its_hash,
    edit_a_row_and_recompute_every_later_hash,
    rewrite_a_row_every_later_hash_and_the_head,
    delete_the_last_row,
    delete_the_last_row_and_move_the_head_back,
    delete_a_middle_row,
    delete_a_middle_row_renumber_rehash_and_fix_the_head,
    delete_the_whole_chain,
    delete_the_whole_chain_and_its_head,
    delete_the_head_row,
    append_a_forged_row_without_the_head,
    move_a_row_to_another_chain,
    swap_two_rows,
    truncate_and_forge_the_checkpoint_without_the_key,
]


@pytest.fixture
def chains(api, clock) -> dict[str, str]:
    """A case chain, Liaoning's region chain and an evaluation chain, each four events or more, checkpointed."""
    case_id = api.bad_review()["case_id"]
    good = api.post("/api/v1/evaluations", "ln-channel", json=api.evaluation(level="satisfied", record_no="LN-G-1"))
    assert good.status_code == 201, good.get_json()
    region = db.session.scalar(select(Region).where(Region.code == "liaoning"))
    found = {"case": f"case:{case_id}", "region": f"region:{region.id}", "evaluation": f"evaluation:{good.json['id']}"}
    for chain in found.values():
        for n in range(4):
            audit.record(
                "note",
                actor=Actor.system("test"),
                at=clock.now,
                region_id=region.id,
                chain=chain,
                case_id=case_id if chain.startswith("case:") else None,
                payload={"n": n},
            )
    audit.write_checkpoint(KEY, clock.now)
    db.session.commit()
    assert audit.verify_all(KEY) == {}
    return found


@pytest.mark.parametrize("kind", ["case", "region", "evaluation"])
@pytest.mark.parametrize("tamper", TAMPERINGS, ids=lambda f: f.__name__)
def test_a_tampering_is_detected(chains, kind, tamper):
    chain = chains[kind]
    tamper(chain)
    db.session.commit()
    broken = audit.verify_all(KEY)
    assert chain in broken, f"{tamper.__name__} on {chain} not detected: {broken}"
    assert all(b.reason for b in broken[chain])
    assert audit.verify_chain(chain, KEY) != []


def test_without_the_key_the_head_rows_still_catch_a_deleted_tail(chains):
    delete_the_last_row(chains["case"])
    db.session.commit()
    assert audit.verify_chain(chains["case"]) != []


def test_appends_after_a_checkpoint_keep_the_chain_intact(chains, clock):
    audit.record("later", actor=Actor.system("test"), at=clock.now, region_id=1, chain=chains["region"])
    db.session.commit()
    assert audit.verify_all(KEY) == {}


def test_the_checkpoint_exports_as_json_with_its_signature(chains):
    exported = checkpoint_json(audit.latest_checkpoint())
    assert exported["algorithm"] == "HMAC-SHA256" and len(exported["signature"]) == 64
    assert exported["heads"][chains["case"]][0] >= 5
    assert sign_heads(KEY, audit.latest_checkpoint().at, exported["heads"]) == exported["signature"]
