"""Evaluations: one rating of one service by one evaluator."""

import re
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from casemgmt.db import db
from casemgmt.models.org import Organization, Region
from casemgmt.models.types import EnumText, JSONType, UTCDateTime, one_of

#: one internal scale; channel adapters map external codes onto it
LEVELS = ("very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied")
BAD_LEVELS = ("dissatisfied", "very_dissatisfied")


class FlagStatus(StrEnum):
    """Whether a flagged rating counts (evaluations.flag_status); NULL: never flagged, it counts."""

    #: flagged by a rule: left out of statistics until a supervisor decides
    PENDING = "pending"
    #: the supervisor found it gamed: left out of statistics for good
    UPHELD = "upheld"
    #: the supervisor found it genuine: it counts
    DISMISSED = "dismissed"


class Evaluation(db.Model):
    __tablename__ = "evaluations"
    __table_args__ = (
        UniqueConstraint("region_id", "external_id"),
        Index("ix_evaluations_region_evaluated", "region_id", "evaluated_at"),
        Index("ix_evaluations_record_evaluator", "region_id", "record_no", "evaluator_key"),
        # the burst rules' counts (intake/flags.py), migration 0096
        Index("ix_evaluations_phone_received", "region_id", "evaluator_phone", "received_at"),
        # only a rating page's ratings have a device key, and the device rules ask for one (migration 0104)
        Index(
            "ix_evaluations_device_received",
            "region_id",
            "device_key",
            "received_at",
            postgresql_where=text("device_key IS NOT NULL"),
            sqlite_where=text("device_key IS NOT NULL"),
        ),
        Index("ix_evaluations_org_level_received", "org_id", "level", "received_at"),
        # few ratings are ever flagged: only the flagged ones are indexed (the review queue asks for a status)
        Index(
            "ix_evaluations_flag_status",
            "flag_status",
            postgresql_where=text("flag_status IS NOT NULL"),
            sqlite_where=text("flag_status IS NOT NULL"),
        ),
        # read only by the case search and the inbox filter, which join cases: bad reviews only (migration 0107)
        Index("ix_evaluations_record_no", "record_no", postgresql_where=text("is_bad"), sqlite_where=text("is_bad")),
        Index(
            "ix_evaluations_evaluator_phone_tail",
            "evaluator_phone_tail",
            postgresql_where=text("is_bad"),
            sqlite_where=text("is_bad"),
        ),
        one_of("flag_status", FlagStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    #: the caller's id for idempotent resubmission
    external_id: Mapped[str | None] = mapped_column(String(128))
    record_no: Mapped[str] = mapped_column(String(64))
    item_code: Mapped[str] = mapped_column(String(64))
    #: indexed by ix_evaluations_org_level_received, which it leads
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    staff_no: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(24))
    is_bad: Mapped[bool] = mapped_column(Boolean)
    reasons: Mapped[list] = mapped_column(JSONType, default=list)
    #: the region's sub-rating items (attitude, efficiency ...): {code: level}
    sub_ratings: Mapped[dict | None] = mapped_column(JSONType)
    comment: Mapped[str] = mapped_column(Text, default="")
    #: evaluator identity is personal data: masked in every view but for allowed roles
    evaluator_name: Mapped[str] = mapped_column(String(128), default="")
    evaluator_phone: Mapped[str] = mapped_column(String(32), default="")
    #: the phone's last four digits, all the inbox search by phone may match (set with the phone)
    evaluator_phone_tail: Mapped[str | None] = mapped_column(String(4))
    is_real_name: Mapped[bool] = mapped_column(Boolean, default=False)
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: set when a revocation or upheld appeal voids the review; statistics skip it
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: who rated, for one rating per record and evaluator: the normalized phone, or "anonymous"
    evaluator_key: Mapped[str | None] = mapped_column(String(64))
    #: a follow-up rating (追加评价) points at the evaluator's first rating of the record
    follow_up_of_id: Mapped[int | None] = mapped_column(ForeignKey("evaluations.id"))
    #: the group (batch, parallel approval, 一件事) a rating of a whole group was given for
    group_no: Mapped[str | None] = mapped_column(String(64))
    #: a keyed hash of the address and browser a rating page was used from (rate limits and flags), never the address
    device_key: Mapped[str | None] = mapped_column(String(64))
    #: the consent line the evaluator agreed to when giving name and phone on the rating page, as shown
    consent_text: Mapped[str | None] = mapped_column(Text)
    #: when the region's retention period erased name and phone (casemgmt/intake/retention.py)
    pii_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the rules that flagged it (casemgmt/intake/flags.py): [{"rule": ..., "detail": ...}]
    flags: Mapped[list | None] = mapped_column(JSONType)
    #: statistics count a rating whose flag_status is NULL or dismissed (flags.counted_in_stats())
    flag_status: Mapped[FlagStatus | None] = mapped_column(EnumText(FlagStatus))
    flag_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flag_decided_by: Mapped[str | None] = mapped_column(String(64))
    flag_note: Mapped[str | None] = mapped_column(Text)

    region: Mapped[Region] = relationship()
    org: Mapped[Organization] = relationship()

    @validates("evaluator_phone")
    def _keep_tail(self, key: str, value: str) -> str:
        self.evaluator_phone_tail = phone_tail(value)
        return value


#: anything but an ASCII digit (other scripts' digits are not a phone's)
_NOT_DIGITS = re.compile(r"[^0-9]")


def phone_tail(phone: str | None) -> str | None:
    """Return the last four (ASCII) digits of a phone number, or None when it has fewer."""
    digits = _NOT_DIGITS.sub("", phone or "")
    return digits[-4:] if len(digits) >= 4 else None
