"""Statistics rollups: counters per region, day, dimension and unit, kept current with the events that change them.

One row per (region, local day, dimension, key, unit). The dimensions (casemgmt/stats/definitions.py DIMENSIONS):
`unit` (key ""), `item` (service item code), `channel`, `staff` (staff number), `reason` (bad-review reason code),
`revoked` (revocation reason label). Every row carries the evaluated unit, so any dimension sums over a unit's
subtree with a prefix match on organizations.path. The dashboard reads these rows, never the evaluations.
"""

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from casemgmt.db import db

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
