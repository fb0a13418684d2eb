"""Working-day calendars: one versioned row per (scope, year), with its listed days."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgmt.db import db
from casemgmt.models.types import UTCDateTime

DAY_KINDS = ("holiday", "workday", "closed")


class CalendarYear(db.Model):
    """One version of a year's calendar for the nation, a region or a hall."""

    __tablename__ = "calendar_years"
    __table_args__ = (
        UniqueConstraint("scope", "year", "version", name="uq_calendar_years_scope_year_version"),
        Index("ix_calendar_years_scope_year_is_current", "scope", "year", "is_current"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 'national', a region code such as 'liaoning', or 'org:<org_code>' for a hall overlay.
    scope: Mapped[str] = mapped_column(String(64))
    year: Mapped[int]
    #: 1, 2, ... per (scope, year); a correction is a new version, never an edit.
    version: Mapped[int]
    is_current: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Username of the actor who imported this version.
    created_by: Mapped[str] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text, default="")

    days: Mapped[list[CalendarDay]] = relationship(
        back_populates="calendar_year",
        cascade="all, delete-orphan",
        order_by="CalendarDay.day",
    )

    def __repr__(self) -> str:
        return f"<CalendarYear {self.scope} {self.year} v{self.version}>"


class CalendarDay(db.Model):
    """A day that differs from the plain Monday-to-Friday week."""

    __tablename__ = "calendar_days"
    __table_args__ = (UniqueConstraint("calendar_year_id", "day", name="uq_calendar_days_calendar_year_id_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_year_id: Mapped[int] = mapped_column(ForeignKey("calendar_years.id"))
    day: Mapped[date] = mapped_column(Date)
    #: 'holiday', 'workday' (make-up working day, 调休上班) or 'closed' (region or hall closure).
    kind: Mapped[str] = mapped_column(String(16))
    #: The holiday's name, e.g. 国庆节; for a make-up day, the holiday it makes up for.
    name: Mapped[str] = mapped_column(String(64), default="")

    calendar_year: Mapped[CalendarYear] = relationship(back_populates="days")

    def __repr__(self) -> str:
        return f"<CalendarDay {self.day} {self.kind} {self.name}>"
