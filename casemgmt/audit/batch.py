"""Many new chains at once: the first event of each, and its head row, written with one statement per table."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from casemgmt.actor import Actor
from casemgmt.audit.chain import _HEADS, GENESIS, _digest
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
