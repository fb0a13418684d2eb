"""The rectification ledger (台账): complex cases, their deadlines, progress notes and extensions (延期)."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgmt.db import db
from casemgmt.models.case import Case
from casemgmt.models.org import Organization
from casemgmt.models.types import EnumText, JSONType, UTCDateTime, one_of


class LedgerStatus(StrEnum):
    """Whether a ledger entry's rectification is still running (ledger_entries.status)."""

    OPEN = "open"
    CLOSED = "closed"


class ExtensionStatus(StrEnum):
    """The coordinator's decision on an extension request (extension_requests.status)."""

    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class LedgerEntry(db.Model):
    """One complex case put on the ledger with a rectification deadline."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_entries_region_status_due", "region_id", "status", "due_at"),
        one_of("status", LedgerStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    #: the unit that owns the rectification
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    #: the person responsible, named by the unit
    owner: Mapped[str] = mapped_column(String(128), default="")
    measures: Mapped[str] = mapped_column(Text, default="")
    #: the user task whose deadline is the rectification deadline (its row's due is copied here)
    task_element: Mapped[str] = mapped_column(String(128))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_tasks.id"))
    due_date: Mapped[date | None] = mapped_column(Date)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: working days added by approved extensions
    extended_workdays: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[LedgerStatus] = mapped_column(EnumText(LedgerStatus), default=LedgerStatus.OPEN)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: what closed it: measures taken, whether rectified, when, evidence files, reasons for a delay
    closure: Mapped[dict | None] = mapped_column(JSONType)

    case: Mapped[Case] = relationship()
    org: Mapped[Organization] = relationship()
    notes: Mapped[list["LedgerNote"]] = relationship(back_populates="entry", order_by="LedgerNote.id")


class LedgerNote(db.Model):
    """A progress note on a ledger entry; append-only."""

    __tablename__ = "ledger_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    author: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    entry: Mapped[LedgerEntry] = relationship(back_populates="notes")


class ExtensionRequest(db.Model):
    """A unit's request for a longer deadline, and the coordinator's decision."""

    __tablename__ = "extension_requests"
    __table_args__ = (one_of("status", ExtensionStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    #: the user task whose deadline would move
    task_element: Mapped[str] = mapped_column(String(128))
    workdays: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[ExtensionStatus] = mapped_column(EnumText(ExtensionStatus), default=ExtensionStatus.PENDING)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opinion: Mapped[str | None] = mapped_column(Text)
    old_due_date: Mapped[date | None] = mapped_column(Date)
    new_due_date: Mapped[date | None] = mapped_column(Date)
    new_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
