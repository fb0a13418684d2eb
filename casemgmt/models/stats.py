"""Statistics rollups: counters per region, day, dimension and unit, kept current with the events that change them.

One row per (region, local day, dimension, key, unit). The dimensions (casemgmt/stats/definitions.py DIMENSIONS):
`unit` (key ""), `item` (service item code), `channel`, `staff` (staff number), `reason` (bad-review reason code),
`revoked` (revocation reason label). Every row carries the evaluated unit, so any dimension sums over a unit's
subtree with a prefix match on organizations.path. The dashboard reads these rows, never the evaluations.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from casemgmt.db import db
from casemgmt.models.types import JSONType, UTCDateTime, one_of

#: the counters of a rollup row, in column order (their meaning: casemgmt/stats/definitions.py COUNTERS)
COUNTER_COLUMNS = (
    "evaluations",
    "good",
    "basic",
    "bad",
    "revoked",
    "defaulted",
    "unrated",
    "scored",
    "score_sum",
    "real_name_bad",
    "called_back",
    "callback_timely",
    "closed",
    "closed_on_time",
    "satisfied_after",
)


class StatRollup(db.Model):
    __tablename__ = "stat_rollups"
    __table_args__ = (
        UniqueConstraint("region_id", "dim", "key", "org_id", "day"),
        Index("ix_stat_rollups_region_dim_day", "region_id", "dim", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    #: the evaluation's day in Asia/Shanghai (the service record's for unrated ones)
    day: Mapped[date] = mapped_column(Date)
    dim: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(128), default="")
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    evaluations: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    good: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    basic: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    bad: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    revoked: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    defaulted: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    unrated: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    scored: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    score_sum: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    real_name_bad: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    called_back: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    callback_timely: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    closed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    closed_on_time: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    satisfied_after: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ReportKind(StrEnum):
    """What a published statistics report is (stat_reports.kind)."""

    #: ranking and 通报: the units with the lowest rates, repeat bad reviews, open cases
    NOTICE = "notice"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"


class StatReport(db.Model):
    """A published report, frozen: its figures and files never change; the audit log holds their sha256."""

    __tablename__ = "stat_reports"
    __table_args__ = (
        Index("ix_stat_reports_region_published", "region_id", "published_at"),
        one_of("kind", ReportKind),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    #: a ReportKind value (a kind, not a status: stored as plain text under its CHECK constraint)
    kind: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(256))
    figures: Mapped[dict] = mapped_column(JSONType)
    xlsx: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    xlsx_sha256: Mapped[str] = mapped_column(String(64))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_by: Mapped[str] = mapped_column(String(64))
