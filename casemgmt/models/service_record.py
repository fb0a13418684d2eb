"""Service records awaiting an evaluation: reminders, and the region's rule for the unrated."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgmt.db import db
from casemgmt.models.org import Organization
from casemgmt.models.types import UTCDateTime

#: awaiting an evaluation; reminded by SMS; rated; settled by default (满意) or recorded as unrated (未评)
SERVICE_RECORD_STATUSES = ("awaiting", "reminded", "rated", "defaulted", "unrated")


class ServiceRecord(db.Model):
    """One finished service (办件) that can be rated."""

    __tablename__ = "service_records"
    __table_args__ = (
        UniqueConstraint("region_id", "record_no"),
        Index("ix_service_records_status_completed", "status", "completed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    record_no: Mapped[str] = mapped_column(String(64))
    item_code: Mapped[str] = mapped_column(String(64))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    #: where it was served: window, online...; on-site services may be rated later within a window (NEA)
    channel: Mapped[str] = mapped_column(String(32))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: personal data, used only to send the reminder
    evaluator_phone: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(16), default="awaiting")
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    evaluation_id: Mapped[int | None] = mapped_column(ForeignKey("evaluations.id"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)

    org: Mapped[Organization] = relationship()
