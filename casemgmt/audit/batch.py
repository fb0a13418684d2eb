"""Many chains at once: the events of chains that start in this transaction, and their head rows, written with
one statement per table (the bulk intake); the heads of many existing chains locked and read with one statement
(the timer worker's batches), their moves then written with the transaction's held writes (audit/held.py)."""

from __future__ import annotations

from datetime import datetime

from casemgmt import bulk, jsonrows
from casemgmt.actor import Actor
from casemgmt.audit.chain import _HEADS, GENESIS, lock_heads_statement, locked_head
from casemgmt.audit.digest import _CANONICAL, at_text, canonical, event_digest
from casemgmt.db import db
from casemgmt.models import AuditEvent


def write_new_chains(
    events: list[tuple[str, str, dict]], *, actor: Actor, at: datetime, region_id: int, case_ids: dict | None = None
) -> None:
    """Record events (chain, kind, payload), in order, on chains that start in this transaction.

    Their evaluations or cases were just inserted, so no event precedes them: each chain's first event is seq 1
    after the genesis hash, the next ones follow it, and the head rows are inserted rather than locked and read
    (a head that exists after all is left as it is, as `audit.record` would find it). Payloads hold JSON values
    only (ids, codes, text). `case_ids` gives the case of a chain's events, where it has one.
    """
    if not events:
        return
    tails: dict[str, tuple[int, str]] = {}
    rows = []
    # the fields the events share, written once; each payload's text goes to COPY as it is (PostgreSQL)
    actor_text, role_text, when, region_text = (
        canonical(actor.username),
        canonical(actor.role),
        at_text(at),
        canonical(region_id),
    )
    as_text = bulk.is_postgresql()
    for chain, kind, payload in events:
        seq, prev = tails.get(chain, (0, GENESIS))
        case_id = (case_ids or {}).get(chain)
        payload_text = _CANONICAL(payload)
        digest = event_digest(
            actor_text, role_text, when, case_id, chain, None, kind, payload_text, prev, region_text, seq + 1
        )
        rows.append(
            {
                "chain": chain,
                "seq": seq + 1,
                "case_id": case_id,
                "region_id": region_id,
                "kind": kind,
                "actor": actor.username,
                "actor_role": actor.role,
                "at": at,
                "definition_id": None,
                "payload": jsonrows.Encoded(payload_text) if as_text else payload,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        tails[chain] = (seq + 1, digest)
    bulk.insert_rows(AuditEvent.__table__, rows)
    heads = [{"chain": c, "region_id": region_id, "seq": s, "hash": h} for c, (s, h) in tails.items()]
    bulk.insert_rows(_HEADS, heads, on_conflict_nothing=["chain"])


def lock_heads(chains: dict[str, int]) -> None:
    """Lock and read the head rows of many chains (chain name -> region id) in one statement, as the first
    append to each would (chain._lock_head), so this transaction's appends to them (audit.record) read nothing.

    Chains go in name order, so two batches that share chains lock them in the same order. A chain with no head
    row yet, or a lost one (seq 0), is left to record(), which reads its events.
    """
    if not chains:
        return
    for row in db.session.execute(lock_heads_statement(chains)):
        locked_head(row.chain, row.seq, row.hash)
