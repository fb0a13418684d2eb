"""Users and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from casemgmt import audit
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.errors import InvalidInput, NotFound
from casemgmt.models import ROLES, ApiToken, Organization, Region, User

#: machine clients (hall devices, platforms) that submit evaluations
ALL_ROLES = (*ROLES, "channel")


def create_user(username: str, display_name: str, region_code: str, org_code: str, roles: list[str],
                actor: Actor, now: datetime, password: str | None = None, can_view_pii: bool = False) -> User:
    """Create a user scoped to a region and an organization."""
    bad = [r for r in roles if r not in ALL_ROLES]
    if bad or not roles:
        raise InvalidInput("角色不正确", details={"roles": [f"可选角色：{', '.join(ALL_ROLES)}"]})
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise InvalidInput("用户名已存在", details={"username": ["用户名已存在"]})
    region = db.session.scalar(select(Region).where(Region.code == region_code))
    if region is None:
        raise InvalidInput("未知的地区", details={"region": [region_code]})
    org = db.session.scalar(select(Organization).where(Organization.region_id == region.id,
                                                       Organization.code == org_code))
    if org is None:
        raise InvalidInput("未知的机构", details={"org": [org_code]})
    user = User(username=username, display_name=display_name, region=region, org=org, roles=list(roles),
                can_view_pii=can_view_pii, created_at=now,
                password_hash=generate_password_hash(password) if password else None)
    db.session.add(user)
    db.session.flush()
    audit.record("user_created", actor=actor, at=now, region_id=region.id,
                 payload={"username": username, "roles": roles, "org": org_code, "can_view_pii": can_view_pii})
    return user


def get_user(username: str) -> User:
    """Return a user by name or raise NotFound."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"没有用户 {username}")
    return user


def hash_token(token: str) -> str:
    """Return the stored form of an API token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(user: User, actor: Actor, now: datetime, label: str = "") -> str:
    """Create an API token for a user; return the token, shown once."""
    token = "zg_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), label=label, created_at=now))
    db.session.flush()
    audit.record("token_created", actor=actor, at=now, region_id=user.region_id,
                 payload={"username": user.username, "label": label})
    return token


def user_for_token(token: str) -> User | None:
    """Return the active user behind a live token, or None."""
    stmt = select(ApiToken).where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None))
    row = db.session.scalar(stmt)
    if row is None or not row.user.is_active:
        return None
    return row.user
