"""Many chains at once: the first event of each new chain, and its head row, written with one statement per
table; the heads of many existing chains locked and read, then written, with one statement each (the timer
worker's batches)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import case
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from casemgmt.actor import Actor
from casemgmt.audit.chain import _HEADS, _PENDING, _TAILS, GENESIS, _digest, _Tail
from casemgmt.db import db
from casemgmt.models import AuditEvent


def start_chains(kind: str, *, actor: Actor, at: datetime, region_id: int, chains: dict[str, dict]) -> None:
    """Record `kind` as the first event of each new chain (chain name -> payload), batched.

    The chains start in this transaction (their evaluations were just inserted), so no event precedes them:
    each event is seq 1 after the genesis hash, and the head rows are inserted rather than locked and read.
    """
    if not chains:
        return
    events = []
    for chain, payload in chains.items():
        event = AuditEvent(
            chain=chain,
            seq=1,
            case_id=None,
            region_id=region_id,
            kind=kind,
            actor=actor.username,
            actor_role=actor.role,
            at=at,
            definition_id=None,
            payload=json.loads(json.dumps(payload, ensure_ascii=False, default=str)),
            prev_hash=GENESIS,
        )
        event.hash = _digest(event)
        events.append(event)
    table = AuditEvent.__table__
    columns = [c.key for c in table.columns if c.key != "id"]
    db.session.execute(table.insert(), [{key: getattr(e, key) for key in columns} for e in events])
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    heads = [{"chain": e.chain, "region_id": region_id, "seq": e.seq, "hash": e.hash} for e in events]
    db.session.execute(insert(_HEADS).on_conflict_do_nothing(index_elements=["chain"]), heads)


def lock_heads(chains: dict[str, int]) -> None:
    """Lock and read the head rows of many chains (chain name -> region id) in one statement, as the first
    append to each would (chain._lock_head), so this transaction's appends to them (audit.record) read nothing.

    Chains go in name order, so two batches that share chains lock them in the same order. A chain with no head
    row yet, or a lost one (seq 0), is left to record(), which reads its events.
    """
    if not chains:
        return
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    values = [{"chain": c, "region_id": chains[c], "seq": 0, "hash": GENESIS} for c in sorted(chains)]
    stmt = insert(_HEADS).values(values).on_conflict_do_update(index_elements=["chain"], set_={"seq": _HEADS.c.seq})
    tails = db.session.info.setdefault(_TAILS, {})
    for row in db.session.execute(stmt.returning(_HEADS.c.chain, _HEADS.c.seq, _HEADS.c.hash)):
        if row.seq:
            tails.setdefault(row.chain, _Tail(row.seq, row.hash))


def write_heads_at_once() -> None:
    """Write the head rows this transaction's appends moved (chain.write_heads) with one UPDATE ... CASE."""
    pending = db.session.info.pop(_PENDING, None) or {}
    if not pending:
        return
    chains = sorted(pending)
    seq = case({c: pending[c].seq for c in chains}, value=_HEADS.c.chain)
    hash_ = case({c: pending[c].hash for c in chains}, value=_HEADS.c.chain)
    db.session.execute(_HEADS.update().where(_HEADS.c.chain.in_(chains)).values(seq=seq, hash=hash_))
