"""Regions, the organization tree and the service-item catalogue."""

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgmt.db import db
from casemgmt.models.types import JSONType

ORG_KINDS = ("province", "city", "county", "hall", "department", "window", "ministry", "office")


class Region(db.Model):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    #: region settings file as loaded (rating labels, scores, unrated rule, windows)
    settings: Mapped[dict] = mapped_column(JSONType, default=dict)
    #: the outbox relay holds this region's messages while set (an operator's pause switch)
    is_outbox_paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class Organization(db.Model):
    __tablename__ = "organizations"
    __table_args__ = (
        UniqueConstraint("region_id", "code"),
        Index("ix_organizations_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    #: materialized path of codes, "/ln/ln-sy/ln-sy-hall/": subtree queries are prefix matches
    path: Mapped[str] = mapped_column(String(512))
    #: a unit is never deleted (cases and users point at it): it is deactivated, and intake refuses it
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")

    region: Mapped[Region] = relationship()
    parent: Mapped["Organization | None"] = relationship(remote_side=[id])


class ServiceItem(db.Model):
    __tablename__ = "service_items"
    __table_args__ = (UniqueConstraint("region_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(256))
    #: the lead department for cross-level or cross-department items (Sanming 二.(二)1)
    lead_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    #: the unit that provides the item (实施主体), as the catalogue lists it
    owning_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
