"""Append-only audit events, hash-chained per case (or per region for events without a case)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from casemgmt.db import db
from casemgmt.models.types import HexDigest, JSONType, UTCDateTime


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        UniqueConstraint("chain", "seq"),
        # only a case's events have a case id, and every query on it asks for one (migration 0104)
        Index(
            "ix_audit_events_case_id",
            "case_id",
            postgresql_where=text("case_id IS NOT NULL"),
            sqlite_where=text("case_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "case:<id>" or "region:<code>"; each chain is hashed on its own
    chain: Mapped[str] = mapped_column(String(48))
    seq: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    #: not indexed: only audit.all_chains(region) filters on it, reading every event of the region anyway
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    kind: Mapped[str] = mapped_column(String(48))
    actor: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    definition_id: Mapped[int | None] = mapped_column(ForeignKey("process_definitions.id"))
    payload: Mapped[dict] = mapped_column(JSONType, default=dict)
    prev_hash: Mapped[str] = mapped_column(HexDigest)
    hash: Mapped[str] = mapped_column(HexDigest)


class AuditChainHead(db.Model):
    """Each chain's last (seq, hash), written in the same transaction as every append.

    Deleting or rewriting the tail of audit_events then also needs this row changed, and the signed
    checkpoints (AuditCheckpoint) catch a tamperer who changes both. Appends lock this row (PostgreSQL
    `FOR UPDATE`; on SQLite the write itself takes the database's write lock), so they serialize per chain.
    """

    __tablename__ = "audit_chain_heads"

    chain: Mapped[str] = mapped_column(String(48), primary_key=True)
    #: not indexed: only audit.all_chains(region) filters on it, beside every event of the region
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    #: 0 and the genesis hash until the first event of the chain is appended
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(HexDigest)


class AuditCheckpoint(db.Model):
    """Every chain's head at one instant, signed with HMAC-SHA256 under the configured key, for a notary."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: chain -> [seq, hash]
    heads: Mapped[dict] = mapped_column(JSONType, default=dict)
    signature: Mapped[str] = mapped_column(String(64))
