"""Append-only audit events, each hashed together with the hash of the previous one in its chain.

Each chain's head (last seq and hash) is also kept in audit_chain_heads, written in the same transaction as
each append, and signed checkpoints of all heads (audit_checkpoints) are written periodically. A tamperer
who deletes or rewrites the tail of a chain must then change the head row too, and cannot re-sign a checkpoint
without the key; verify reports every disagreement.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from casemgmt import writes
from casemgmt.actor import Actor
from casemgmt.audit import held
from casemgmt.audit.digest import _digest
from casemgmt.audit.held import plain_json
from casemgmt.db import db
from casemgmt.models import AuditChainHead, AuditCheckpoint, AuditEvent, Case

GENESIS = "0" * 64
#: chains verified per database round trip
VERIFY_BATCH = 200
_HEADS = AuditChainHead.__table__


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
    """Append an event to its chain (the case's, or the region's when there is no case).

    The event is hashed now and written with the transaction's other held rows (casemgmt.writes), its chain's
    head row with it. A chain that starts in this transaction (`start_chain`) reads nothing; an existing
    chain's head row is locked first, so concurrent appends to one chain wait for each other instead of
    reading the same tail and colliding on (chain, seq). Returns the event, unsaved.
    """
    chain = chain or (f"case:{case_id}" if case_id is not None else f"region:{region_id}")
    fresh = db.session.info.get(_FRESH)
    if fresh and chain in fresh:
        fresh.discard(chain)
        last = _Tail(0, GENESIS)
    else:
        last = _tail(chain, region_id)
    event = AuditEvent(
        chain=chain,
        seq=last.seq + 1,
        case_id=case_id,
        region_id=region_id,
        kind=kind,
        actor=actor.username,
        actor_role=actor.role,
        at=at,
        definition_id=definition_id,
        payload=plain_json(payload or {}),
        prev_hash=last.hash,
    )
    event.hash = _digest(event)
    held.hold(event)
    db.session.info.setdefault(_TAILS, {})[chain] = _Tail(event.seq, event.hash)
    return event


_TAILS = "zhenggai_audit_tails"
_FRESH = "zhenggai_audit_fresh_chains"


@dataclass(frozen=True)
class _Tail:
    seq: int
    hash: str


def _tail(chain: str, region_id: int) -> _Tail:
    """Return a chain's last (seq, hash): this transaction's own appends first, else the locked head row."""
    cached = db.session.info.get(_TAILS, {}).get(chain)
    if cached is not None:
        return cached
    head = _lock_head(chain, region_id)
    if head.seq == 0:  # a new chain, or one whose head row was lost: continue after its events, if any
        stmt = select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.chain == chain)
        row = db.session.execute(stmt.order_by(AuditEvent.seq.desc()).limit(1)).first()
        return _Tail(row.seq, row.hash) if row else head
    return head


def locked_head(chain: str, seq: int, hash: str) -> None:
    """Take a chain's head as the caller locked and read it (FOR NO KEY UPDATE, in a statement that locked rows
    of its case first), so this transaction's first append to it reads nothing. A lost head (seq 0) is left to
    record(), which reads the chain's events; as lock_heads does."""
    if seq:
        db.session.info.setdefault(_TAILS, {}).setdefault(chain, _Tail(seq, hash))


def start_chain(chain: str) -> None:
    """Say that a chain starts in this transaction (its case or evaluation row was just inserted).

    Its first append then reads nothing: it is seq 1 after the genesis hash, and the head row is written with
    the held events (should one exist after all, so do events, and the insert of seq 1 fails).
    """
    if chain not in db.session.info.get(_TAILS, {}):
        db.session.info.setdefault(_FRESH, set()).add(chain)


def _lock_head(chain: str, region_id: int) -> _Tail:
    """Create the chain's head row if missing, lock it until the transaction ends, and read it: one statement.

    INSERT ... ON CONFLICT DO UPDATE (a no-op update) RETURNING: on PostgreSQL it waits for a concurrent creator
    or appender and then holds the row lock, like SELECT ... FOR UPDATE; on SQLite it is a write, so it takes
    the database's write lock (waiting up to the busy timeout) before the head is read, and nobody else can
    append until this transaction ends.
    """
    row = db.session.execute(lock_heads_statement({chain: region_id})).one()
    return _Tail(row.seq, row.hash)


def lock_heads_statement(chains: dict[str, int]) -> Executable:
    """The statement that creates missing head rows of chains (name -> region id), locks them and returns
    (chain, seq, hash) for each, in chain order (so two transactions sharing chains lock them in one order)."""
    dialect = db.session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):  # pragma: no cover - only PostgreSQL and SQLite are supported
        raise RuntimeError(f"unsupported database {dialect}")
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    values = [{"chain": c, "region_id": chains[c], "seq": 0, "hash": GENESIS} for c in sorted(chains)]
    stmt = insert(_HEADS).values(values)
    stmt = stmt.on_conflict_do_update(index_elements=["chain"], set_={"seq": _HEADS.c.seq})
    return stmt.returning(_HEADS.c.chain, _HEADS.c.seq, _HEADS.c.hash)


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_tails(session: Session, transaction) -> None:
    """Drop the cached tails when a transaction or savepoint ends: others may append, a rollback undoes ours."""
    if transaction.parent is None or transaction.nested:
        session.info.pop(_TAILS, None)
        session.info.pop(_FRESH, None)


# --- Checkpoints ---------------------------------------------------------------------------


def _signed_text(at: datetime, heads: dict) -> bytes:
    body = {"at": at.astimezone(UTC).isoformat(), "heads": heads}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign_heads(key: bytes, at: datetime, heads: dict) -> str:
    """Return the HMAC-SHA256 of a checkpoint's instant and heads."""
    return hmac.new(key, _signed_text(at, heads), hashlib.sha256).hexdigest()


def write_checkpoint(key: bytes, now: datetime) -> AuditCheckpoint:
    """Record every chain's current head, signed with key."""
    writes.flush()
    heads = {
        row.chain: [row.seq, row.hash]
        for row in db.session.execute(select(_HEADS.c.chain, _HEADS.c.seq, _HEADS.c.hash))
    }
    checkpoint = AuditCheckpoint(at=now, heads=heads, signature=sign_heads(key, now, heads))
    db.session.add(checkpoint)
    db.session.flush()
    return checkpoint


def latest_checkpoint() -> AuditCheckpoint | None:
    """Return the newest checkpoint, if any."""
    return db.session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1))


def checkpoint_json(checkpoint: AuditCheckpoint) -> dict:
    """Return a checkpoint as the JSON document handed to an outside notary."""
    return {
        "id": checkpoint.id,
        "at": checkpoint.at.astimezone(UTC).isoformat(),
        "algorithm": "HMAC-SHA256",
        "signed": "JSON of {at, heads} with sorted keys, no spaces, UTF-8",
        "heads": checkpoint.heads,
        "signature": checkpoint.signature,
    }


def checkpoint_intact(checkpoint: AuditCheckpoint, key: bytes) -> bool:
    """Tell whether a checkpoint still carries the signature of its content under key."""
    return hmac.compare_digest(sign_heads(key, checkpoint.at, checkpoint.heads or {}), checkpoint.signature or "")


# --- Verification --------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainBreak:
    event_id: int | None
    seq: int
    reason: str
    chain: str = ""


def verify_chain(chain: str, key: bytes | None = None) -> list[ChainBreak]:
    """Verify one chain: its hashes, its head row and, given the key, the latest signed checkpoint."""
    return next(verify_chains([chain], key))[1]


def verify_chains(chains: Iterable[str], key: bytes | None = None) -> Iterator[tuple[str, list[ChainBreak]]]:
    """Yield (chain, breaks) for each chain, reading events and heads a batch of chains at a time."""
    checkpoint = latest_checkpoint() if key is not None else None
    key = key or b""
    signed: dict = {}
    signature_break: list[ChainBreak] = []
    if checkpoint is not None:
        if checkpoint_intact(checkpoint, key):
            signed = checkpoint.heads or {}
        else:
            reason = f"检查点 #{checkpoint.id} 的签名不符：检查点被改动，或密钥不对"
            signature_break = [ChainBreak(None, 0, reason)]
    batch: list[str] = []
    for chain in chains:
        batch.append(chain)
        if len(batch) >= VERIFY_BATCH:
            yield from _verify_batch(batch, signed, signature_break)
            batch = []
    if batch:
        yield from _verify_batch(batch, signed, signature_break)


def _verify_batch(
    chains: list[str], signed: dict, signature_break: list[ChainBreak]
) -> Iterator[tuple[str, list[ChainBreak]]]:
    writes.flush()
    events: dict[str, list[AuditEvent]] = {chain: [] for chain in chains}
    stmt = select(AuditEvent).where(AuditEvent.chain.in_(chains)).order_by(AuditEvent.chain, AuditEvent.seq)
    for event in db.session.scalars(stmt):
        events[event.chain].append(event)
    heads = {row.chain: row for row in db.session.execute(select(_HEADS).where(_HEADS.c.chain.in_(chains)))}
    case_ids = [int(c.split(":", 1)[1]) for c in chains if c.startswith("case:") and c.split(":", 1)[1].isdecimal()]
    found: Iterable[int] = db.session.scalars(select(Case.id).where(Case.id.in_(case_ids))) if case_ids else []
    cases = {f"case:{case_id}" for case_id in found}
    for chain in chains:
        breaks = [ChainBreak(b.event_id, b.seq, b.reason, chain) for b in signature_break]
        breaks += _verify_events(chain, events[chain])
        breaks += _verify_head(chain, events[chain], heads.get(chain), chain in cases)
        if chain in signed:
            breaks += _verify_signed(chain, events[chain], signed[chain])
        yield chain, breaks


def _verify_events(chain: str, events: list[AuditEvent]) -> list[ChainBreak]:
    """Recompute the hashes; each row must follow the previous one."""
    breaks, prev, expected_seq = [], GENESIS, 1
    for event in events:
        if event.seq != expected_seq:
            breaks.append(ChainBreak(event.id, event.seq, f"序号不连续：应为 {expected_seq}", chain))
        if event.prev_hash != prev:
            breaks.append(ChainBreak(event.id, event.seq, "与上一条记录的哈希不衔接", chain))
        if _digest(event) != event.hash:
            breaks.append(ChainBreak(event.id, event.seq, "记录内容与其哈希不符（已被改动）", chain))
        prev, expected_seq = event.hash, event.seq + 1
    return breaks


def _verify_head(chain: str, events: list[AuditEvent], head, case_exists: bool) -> list[ChainBreak]:
    """The head row must name the last event; a case's chain must exist."""
    last = events[-1] if events else None
    if head is None:
        if last is not None:
            return [ChainBreak(last.id, last.seq, "链头记录缺失（链头表被改动）", chain)]
        if case_exists:
            return [ChainBreak(None, 0, "工单存在，但其审计链与链头记录都不存在（整条链被删除）", chain)]
        return []
    if last is None:
        if head.seq > 0:
            return [
                ChainBreak(None, head.seq, f"链头记录到第 {head.seq} 条，但审计记录全部不存在（整条链被删除）", chain)
            ]
        return []
    if head.seq > last.seq:
        text = f"链头记录到第 {head.seq} 条，现只有到第 {last.seq} 条（末尾记录被删除）"
        return [ChainBreak(None, head.seq, text, chain)]
    if head.seq < last.seq:
        text = f"链头记录到第 {head.seq} 条，却有第 {last.seq} 条（记录被追加而链头未更新）"
        return [ChainBreak(last.id, last.seq, text, chain)]
    if head.hash != last.hash:
        return [ChainBreak(last.id, last.seq, "最后一条记录的哈希与链头记录不符（末尾记录被改写）", chain)]
    return []


def _verify_signed(chain: str, events: list[AuditEvent], entry) -> list[ChainBreak]:
    """The chain must still hold the event the signed checkpoint saw as its head, with the same hash."""
    seq, digest = int(entry[0]), str(entry[1])
    if seq == 0:
        return []
    if not events:
        return [ChainBreak(None, seq, f"已签名检查点记录此链有 {seq} 条，现已不存在（整条链被删除）", chain)]
    at = next((e for e in events if e.seq == seq), None)
    if at is None:
        return [ChainBreak(None, seq, f"已签名检查点记录此链到第 {seq} 条，现已缺失（记录被删除）", chain)]
    if at.hash != digest:
        return [ChainBreak(at.id, seq, f"第 {seq} 条的哈希与已签名检查点不符（记录被改写后重算了哈希）", chain)]
    return []


def all_chains(region_id: int | None = None, prefixes: tuple[str, ...] = ()) -> list[str]:
    """Return every chain that exists or should: events, head rows, cases, the latest checkpoint's chains."""
    writes.flush()
    found: set[str] = set()
    events = select(AuditEvent.chain).distinct()
    heads = select(_HEADS.c.chain)
    cases = select(Case.id)
    if region_id is not None:
        events = events.where(AuditEvent.region_id == region_id)
        heads = heads.where(_HEADS.c.region_id == region_id)
        cases = cases.where(Case.region_id == region_id)
    found.update(db.session.scalars(events))
    found.update(db.session.scalars(heads))
    found.update(f"case:{case_id}" for case_id in db.session.scalars(cases))
    checkpoint = latest_checkpoint()
    if checkpoint is not None and region_id is None:
        found.update(checkpoint.heads or {})
    if prefixes:
        found = {chain for chain in found if chain.startswith(prefixes)}
    return sorted(found, key=_chain_order)


def _chain_order(chain: str) -> tuple[str, int, str]:
    kind, _, rest = chain.partition(":")
    return (kind, int(rest) if rest.isdecimal() else 0, rest)


def verify_all(
    key: bytes | None, chains: list[str] | None = None, progress: Callable[[str], None] | None = None
) -> dict[str, list[ChainBreak]]:
    """Verify the given chains (default: all); return the broken ones with their breaks."""
    broken: dict[str, list[ChainBreak]] = {}
    for chain, breaks in verify_chains(chains if chains is not None else all_chains(), key):
        if breaks:
            broken[chain] = breaks
        if progress is not None:
            progress(chain)
    return broken


def count_events(chain: str) -> int:
    """Return how many events a chain holds."""
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.chain == chain)) or 0
