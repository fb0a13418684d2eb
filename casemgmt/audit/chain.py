"""Append-only audit events, each hashed together with the hash of the previous one in its chain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.models import AuditEvent

GENESIS = "0" * 64


def _digest(event: AuditEvent) -> str:
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


def record(
    kind: str,
    *,
    actor: Actor,
    at: datetime,
    region_id: int,
    case_id: int | None = None,
    payload: dict | None = None,
    definition_id: int | None = None,
    chain: str | None = None,
) -> AuditEvent:
    """Append an event to its chain (the case's, or the region's when there is no case)."""
    chain = chain or (f"case:{case_id}" if case_id is not None else f"region:{region_id}")
    last = _tail(chain)
    event = AuditEvent(
        chain=chain,
        seq=(last.seq + 1) if last else 1,
        case_id=case_id,
        region_id=region_id,
        kind=kind,
        actor=actor.username,
        actor_role=actor.role,
        at=at,
        definition_id=definition_id,
        payload=json.loads(json.dumps(payload or {}, ensure_ascii=False, default=str)),
        prev_hash=last.hash if last else GENESIS,
    )
    event.hash = _digest(event)
    db.session.add(event)
    db.session.info.setdefault(_TAILS, {})[chain] = _Tail(event.seq, event.hash)
    return event


_TAILS = "zhenggai_audit_tails"


@dataclass(frozen=True)
class _Tail:
    seq: int
    hash: str


def _tail(chain: str) -> _Tail | None:
    """Return a chain's last (seq, hash): this transaction's own appends first, else the database's."""
    cached = db.session.info.get(_TAILS, {}).get(chain)
    if cached is not None:
        return cached
    stmt = select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.chain == chain)
    row = db.session.execute(stmt.order_by(AuditEvent.seq.desc()).limit(1)).first()
    return _Tail(row.seq, row.hash) if row else None


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_tails(session: Session, transaction) -> None:
    """Drop the cached tails when a transaction or savepoint ends: others may append, a rollback undoes ours."""
    if transaction.parent is None or transaction.nested:
        session.info.pop(_TAILS, None)


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    seq: int
    reason: str


def verify_chain(chain: str) -> list[ChainBreak]:
    """Recompute a chain's hashes; return the rows that break it (empty when intact)."""
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)).all()
    breaks, prev, expected_seq = [], GENESIS, 1
    for event in events:
        if event.seq != expected_seq:
            breaks.append(ChainBreak(event.id, event.seq, f"序号不连续：应为 {expected_seq}"))
        if event.prev_hash != prev:
            breaks.append(ChainBreak(event.id, event.seq, "与上一条记录的哈希不衔接"))
        if _digest(event) != event.hash:
            breaks.append(ChainBreak(event.id, event.seq, "记录内容与其哈希不符（已被改动）"))
        prev, expected_seq = event.hash, event.seq + 1
    return breaks


def count_events(chain: str) -> int:
    """Return how many events a chain holds."""
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.chain == chain)) or 0
