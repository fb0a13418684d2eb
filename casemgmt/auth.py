"""Sign-in with a password: hashed passwords, counted failures, a lock-out after repeated ones."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from werkzeug.security import check_password_hash

from casemgmt import audit
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.errors import PermissionDenied
from casemgmt.models import User

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
        raise AccountLocked("账号因多次登录失败已锁定，请稍后再试或联系管理员",
                            details={"until": user.locked_until.isoformat()})
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
    audit.record(kind, actor=Actor.of(user), at=now, region_id=user.region_id,
                 payload={"username": user.username, **payload})
    db.session.flush()


def get_active_user(user_id: int | None) -> User | None:
    """Return the signed-in user of a session, or None when the account is gone or disabled."""
    user = db.session.get(User, user_id) if user_id else None
    return user if user is not None and user.is_active else None
