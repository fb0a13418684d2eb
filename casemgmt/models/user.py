"""People who sign in or call the API, their roles and API tokens."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemgmt.db import db
from casemgmt.models.org import Organization, Region
from casemgmt.models.types import JSONType, UTCDateTime

ROLES = ("officer", "supervisor", "coordinator", "admin", "auditor")


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str | None] = mapped_column(String(256))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    roles: Mapped[list] = mapped_column(JSONType, default=list)
    #: may see evaluator name and phone unmasked (each look is audited)
    can_view_pii: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: mobile number for notices to staff (imported with the directory)
    phone: Mapped[str | None] = mapped_column(String(32))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: stored in the session at sign-in and checked on each request; bumped at sign-out and password change,
    #: so a copied session cookie stops working
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    region: Mapped[Region] = relationship()
    org: Mapped[Organization] = relationship()

    def has_role(self, *roles: str) -> bool:
        """Tell whether the user holds any of the roles."""
        return any(r in self.roles for r in roles)


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: sha256 of the token; the token itself is shown once and never stored
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
