"""Service records awaiting an evaluation: reminders, and the region's rule for the unrated."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgmt.db import db
from casemgmt.models.org import Organization
from casemgmt.models.types import EnumText, UTCDateTime, one_of


class ServiceRecordStatus(StrEnum):
    """Where a service awaiting its rating stands (service_records.status)."""

    AWAITING = "awaiting"
    #: reminded by SMS
    REMINDED = "reminded"
    RATED = "rated"
    #: settled by the region's default rating (满意)
    DEFAULTED = "defaulted"
    #: recorded as not rated (未评)
    UNRATED = "unrated"


class ServiceGroupKind(StrEnum):
    """How the records of one visit belong together (service_records.group_kind)."""

    #: the same item applied for twice or more in one visit (批量业务)
    BATCH = "batch"
    #: several departments of one parallel approval (并联审批)
    PARALLEL = "parallel"
    #: the items of one theme service (一件事)
    THEME = "theme"


class ServiceRecord(db.Model):
    """One finished service (办件) that can be rated."""

    __tablename__ = "service_records"
    __table_args__ = (
        UniqueConstraint("region_id", "record_no"),
        Index("ix_service_records_status_completed", "status", "completed_at"),
        Index("ix_service_records_group", "region_id", "group_no"),
        one_of("status", ServiceRecordStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    record_no: Mapped[str] = mapped_column(String(64))
    item_code: Mapped[str] = mapped_column(String(64))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    #: where it was served: window, online...; on-site services may be rated later within a window (NEA)
    channel: Mapped[str] = mapped_column(String(32))
    #: none while the service is not finished (Xi'an: rated after an overdue promise)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the promised completion time (承诺时限)
    promised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    group_no: Mapped[str | None] = mapped_column(String(64))
    #: a ServiceGroupKind value, checked where it is written (the schema); not a status, so no CHECK constraint
    group_kind: Mapped[str | None] = mapped_column(String(16))
    #: the lead department's record of a group: an overall rating is kept on it (跨部门事项归集到牵头部门)
    is_lead: Mapped[bool] = mapped_column(Boolean, default=False)
    #: personal data, used only to send the reminder
    evaluator_phone: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[ServiceRecordStatus] = mapped_column(
        EnumText(ServiceRecordStatus), default=ServiceRecordStatus.AWAITING
    )
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    evaluation_id: Mapped[int | None] = mapped_column(ForeignKey("evaluations.id"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the nonce of the current rating link (SMS or dynamic QR); cleared when the link is used
    link_nonce: Mapped[str | None] = mapped_column(String(32))
    link_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    org: Mapped[Organization] = relationship()
