"""Access writes: sign-in with counted failures and lock-out, users and API tokens, revealing an evaluator."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from casemgmt import audit
from casemgmt.access.policy import Action, Role, authorize
from casemgmt.access.queries import hash_token
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.errors import InvalidInput, PermissionDenied
from casemgmt.models import ApiToken, Case, Organization, Region, User

#: failures in a row that lock an account, and for how long
MAX_FAILURES = 5
LOCK_MINUTES = 15
#: checked against when the user does not exist, so both paths take as long
_DUMMY_HASH = "scrypt:32768:8:1$0000000000000000$" + "0" * 128


class LoginFailed(PermissionDenied):
    """Unknown user or wrong password; the message never says which."""

    code = "login_failed"


class AccountLocked(PermissionDenied):
    code = "account_locked"


def authenticate(username: str, password: str, now: datetime) -> User:
    """Return the user whose password matches; count failures and lock the account after too many."""
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.is_active or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        raise LoginFailed("用户名或密码不正确")
    if user.locked_until is not None and user.locked_until > now:
        raise AccountLocked(
            "账号因多次登录失败已锁定，请稍后再试或联系管理员", details={"until": user.locked_until.isoformat()}
        )
    if not check_password_hash(user.password_hash, password):
        _count_failure(user, now)
        raise LoginFailed("用户名或密码不正确")
    user.failed_logins, user.locked_until = 0, None
    _audit(user, "user_logged_in", now, {})
    return user


def _count_failure(user: User, now: datetime) -> None:
    user.failed_logins = (user.failed_logins or 0) + 1
    payload: dict = {"failed_logins": user.failed_logins}
    if user.failed_logins >= MAX_FAILURES:
        user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
        payload["locked_until"] = user.locked_until.isoformat()
    _audit(user, "login_failed", now, payload)


def log_out(user: User, now: datetime) -> None:
    """Record that the user signed out."""
    _audit(user, "user_logged_out", now, {})


def _audit(user: User, kind: str, now: datetime, payload: dict) -> None:
    audit.record(
        kind, actor=Actor.of(user), at=now, region_id=user.region_id, payload={"username": user.username, **payload}
    )
    db.session.flush()


def create_user(
    username: str,
    display_name: str,
    region_code: str,
    org_code: str,
    roles: list[str],
    actor: Actor,
    now: datetime,
    password: str | None = None,
    can_view_pii: bool = False,
) -> User:
    """Create a user scoped to a region and an organization."""
    bad = [r for r in roles if r not in list(Role)]
    if bad or not roles:
        raise InvalidInput("角色不正确", details={"roles": [f"可选角色：{', '.join(Role)}"]})
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise InvalidInput("用户名已存在", details={"username": ["用户名已存在"]})
    region = db.session.scalar(select(Region).where(Region.code == region_code))
    if region is None:
        raise InvalidInput("未知的地区", details={"region": [region_code]})
    org = db.session.scalar(
        select(Organization).where(Organization.region_id == region.id, Organization.code == org_code)
    )
    if org is None:
        raise InvalidInput("未知的机构", details={"org": [org_code]})
    user = User(
        username=username,
        display_name=display_name,
        region=region,
        org=org,
        roles=list(roles),
        can_view_pii=can_view_pii,
        created_at=now,
        password_hash=generate_password_hash(password) if password else None,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user_created",
        actor=actor,
        at=now,
        region_id=region.id,
        payload={"username": username, "roles": roles, "org": org_code, "can_view_pii": can_view_pii},
    )
    return user


def create_token(user: User, actor: Actor, now: datetime, label: str = "") -> str:
    """Create an API token for a user; return the token, shown once."""
    token = "zg_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), label=label, created_at=now))
    db.session.flush()
    audit.record(
        "token_created",
        actor=actor,
        at=now,
        region_id=user.region_id,
        payload={"username": user.username, "label": label},
    )
    return token


def reveal_evaluator(case: Case, user: User, reason: str, now: datetime) -> None:
    """Record that the user looked at the evaluator's identity, and why."""
    authorize(user, Action.CASE_REVEAL_EVALUATOR, case=case)
    if not reason or not reason.strip():
        raise InvalidInput("查看评价人信息须说明理由", details={"reason": ["必填"]})
    audit.record(
        "evaluator_revealed",
        actor=Actor.of(user),
        at=now,
        region_id=case.region_id,
        case_id=case.id,
        definition_id=case.definition_id,
        payload={"reason": reason.strip()[:500]},
    )
