"""Records of casework steps the regulations name: callbacks, appeals, consultations, transfers."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from casemgmt.db import db
from casemgmt.models.types import EnumText, JSONType, UTCDateTime, one_of


class CallbackResult(StrEnum):
    """How a callback attempt ended (callback_attempts.result); forms offer the same choice values."""

    REACHED = "reached"
    NOT_REACHED = "not_reached"
    REFUSED = "refused"


class AppealStatus(StrEnum):
    """The ruling on an appeal (appeals.status)."""

    PENDING = "pending"
    UPHELD = "upheld"
    REJECTED = "rejected"


class CallbackAttempt(db.Model):
    """One attempt to reach the evaluator (回访): reached, not reached or refused."""

    __tablename__ = "callback_attempts"
    __table_args__ = (one_of("result", CallbackResult),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    attempt_no: Mapped[int] = mapped_column(Integer)
    result: Mapped[CallbackResult] = mapped_column(EnumText(CallbackResult))
    #: when the officer called (as entered), and when it was written down
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    #: "form" when a callback form recorded it, "api" when logged between form submissions
    source: Mapped[str] = mapped_column(String(16))


class Appeal(db.Model):
    """The rated party's appeal (申诉) or review request (复核申请) against a bad review, and its ruling."""

    __tablename__ = "appeals"
    __table_args__ = (one_of("status", AppealStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    reason: Mapped[str] = mapped_column(Text)
    #: file references as forms store them: [{"id": ..., "name": ...}]
    evidence: Mapped[list] = mapped_column(JSONType, default=list)
    filed_by: Mapped[str] = mapped_column(String(64))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[AppealStatus] = mapped_column(EnumText(AppealStatus), default=AppealStatus.PENDING)
    ruled_by: Mapped[str | None] = mapped_column(String(64))
    ruled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ruling: Mapped[str | None] = mapped_column(Text)


class Consultation(db.Model):
    """A multi-department consultation (会商): who was asked, what each replied, the joint answer."""

    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    #: org codes of the departments consulted
    orgs: Mapped[list] = mapped_column(JSONType, default=list)
    convened_by: Mapped[str] = mapped_column(String(64))
    convened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: one dict per reply: org, by, at and the reply form's fields
    replies: Mapped[list] = mapped_column(JSONType, default=list)
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Transfer(db.Model):
    """Suspected misconduct handed to the discipline body (移交)."""

    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    reason: Mapped[str] = mapped_column(Text)
    #: the open steps of the case when it was transferred
    at_steps: Mapped[list] = mapped_column(JSONType, default=list)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
