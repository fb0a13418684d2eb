"""Access writes: sign-in with counted failures and lock-out, users and API tokens, revealing an evaluator."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import and_, case, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from casemgmt import audit
from casemgmt.access.policy import ACTION_MEANINGS, Action, Role, authorize, may_call_evaluator
from casemgmt.access.queries import hash_token
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.errors import InvalidInput, PermissionDenied
from casemgmt.models import ApiToken, Case, HumanTask, Organization, Region, User

#: failures in a row that lock an account, and for how long
MAX_FAILURES = 5
LOCK_MINUTES = 15
#: checked against when the user does not exist, so both paths take as long
_DUMMY_HASH = "scrypt:32768:8:1$0000000000000000$" + "0" * 128


#: the one answer to a refused sign-in: it never says whether the user exists, the password was wrong or the
#: account is locked
LOGIN_REFUSED = "用户名或密码不正确，或账号因多次登录失败已被暂时锁定"


class LoginFailed(PermissionDenied):
    """Unknown user or wrong password; the message never says which."""

    code = "login_failed"


class AccountLocked(LoginFailed):
    """Too many failures in a row; answered with the same message as LoginFailed."""

    code = "login_failed"


def authenticate(username: str, password: str, now: datetime) -> User:
    """Return the user whose password matches; count failures and lock the account after too many.

    Each attempt on an existing account first takes one of its MAX_FAILURES tries with an atomic UPDATE
    (failed_logins + 1 in SQL, returning the new count), before the password is checked: concurrent wrong
    guesses cannot all pass the lock-out check, whatever their interleaving. Success gives the tries back.
    """
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.is_active or not user.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        raise LoginFailed(LOGIN_REFUSED)
    attempt = _take_attempt(user.id, now)
    if attempt is None or attempt > MAX_FAILURES:
        if attempt is not None:  # the lock's last free try went to a concurrent guess: lock now
            _lock(user.id, now)
        raise AccountLocked(LOGIN_REFUSED)
    if not check_password_hash(user.password_hash, password):
        payload: dict = {"failed_logins": attempt}
        if attempt >= MAX_FAILURES:
            payload["locked_until"] = _lock(user.id, now).isoformat()
        _audit(user, "login_failed", now, payload)
        raise LoginFailed(LOGIN_REFUSED)
    db.session.execute(update(User).where(User.id == user.id).values(failed_logins=0, locked_until=None))
    _audit(user, "user_logged_in", now, {})
    db.session.refresh(user)
    return user


def _new_user_scope(username: str, region_code: str, org_code: str, roles: list[str]) -> tuple[Region, Organization]:
    """Check a new user's name and roles; return the region and organization it is scoped to."""
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
    return region, org


def _take_attempt(user_id: int, now: datetime) -> int | None:
    """Count one attempt atomically; return the new count, or None while the account is locked.

    An expired lock starts the count again from 1.
    """
    expired = and_(User.locked_until.is_not(None), User.locked_until <= now)
    stmt = (
        update(User)
        .where(User.id == user_id, or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(
            failed_logins=case((expired, 1), else_=User.failed_logins + 1),
            locked_until=case((expired, None), else_=User.locked_until),
        )
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    )
    return db.session.execute(stmt).scalar()


def _lock(user_id: int, now: datetime) -> datetime:
    until = now + timedelta(minutes=LOCK_MINUTES)
    stmt = update(User).where(User.id == user_id).values(locked_until=until)
    db.session.execute(stmt.execution_options(synchronize_session=False))
    return until


def log_out(user: User, now: datetime) -> None:
    """Record that the user signed out and end every session of theirs (a copied cookie stops working)."""
    _bump_session_version(user)
    _audit(user, "user_logged_out", now, {})


def change_password(user: User, password: str, actor: Actor, now: datetime) -> None:
    """Set a new password and end the user's open sessions."""
    if not password or len(password) < 8 or len(password) > 256:
        raise InvalidInput("密码长度须为 8 到 256 个字符", details={"password": ["8 到 256 个字符"]})
    user.password_hash = generate_password_hash(password)
    user.failed_logins, user.locked_until = 0, None
    _bump_session_version(user)
    audit.record("password_changed", actor=actor, at=now, region_id=user.region_id, payload={"username": user.username})


def _bump_session_version(user: User) -> None:
    stmt = update(User).where(User.id == user.id).values(session_version=User.session_version + 1)
    db.session.execute(stmt.execution_options(synchronize_session=False))
    db.session.refresh(user, ["session_version"])


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
    region, org = _new_user_scope(username, region_code, org_code, roles)
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


def call_evaluator(task: HumanTask, user: User, now: datetime) -> None:
    """Record that the assignee of a callback or feedback task took the evaluator's number, the task as the reason.

    The task must be the user's: the page claims an unclaimed one first (case_ops.claim_task)."""
    if task.assignee_id != user.id or not may_call_evaluator(user, task):
        authorize(user, Action.CASE_CALL_EVALUATOR, task=task)  # another region's task: NotFound
        raise PermissionDenied("无权" + ACTION_MEANINGS[Action.CASE_CALL_EVALUATOR][1])
    case = task.case
    audit.record(
        "evaluator_revealed",
        actor=Actor.of(user, task.candidate_role),
        at=now,
        region_id=case.region_id,
        case_id=case.id,
        definition_id=case.definition_id,
        payload={"reason": f"办理任务：{task.title}", "task_id": task.id, "element": task.element_id, "via": "call"},
    )
