"""Who is signed in (users by name, session and API token), and cases and tasks fetched with their permission."""

from __future__ import annotations

import hashlib

from sqlalchemy import bindparam, select

from casemgmt import refcache
from casemgmt.access.policy import Action, authorize, may_call_evaluator
from casemgmt.db import db
from casemgmt.errors import NotFound
from casemgmt.models import ApiToken, AuditEvent, Case, HumanTask, User


def get_active_user(user_id: int | None) -> User | None:
    """Return the signed-in user of a session, or None when the account is gone or disabled."""
    user = db.session.get(User, user_id) if user_id else None
    return user if user is not None and user.is_active else None


def get_user(username: str) -> User:
    """Return a user by name or raise NotFound."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"没有用户 {username}")
    return user


#: the active user behind a live token's hash: one statement, built once (as every API request runs it)
_USER_FOR_TOKEN = (
    select(User)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None))
)


def user_for_token(token: str) -> User | None:
    """Return the active user behind a live token, or None."""
    user = db.session.scalar(_USER_FOR_TOKEN, {"token_hash": hash_token(token)})
    if user is None or not user.is_active:
        return None
    refcache.org(user.org_id)  # the user's unit and its ancestors, for the region and unit checks
    return user


def hash_token(token: str) -> str:
    """Return the stored form of an API token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def access_case(user: User, case_id: int, action: Action = Action.CASE_READ) -> Case:
    """Return a case the user may do the action on: NotFound if missing or in another region, else PermissionDenied."""
    case = db.session.get(Case, case_id)
    if case is None:
        raise NotFound("没有找到该工单")
    authorize(user, action, case=case)
    return case


def access_task(user: User, task_id: int, action: Action = Action.CASE_READ) -> HumanTask:
    """Return a task the user may do the action on; opening a task's page is reading its case."""
    row = db.session.get(HumanTask, task_id)
    if row is None:
        raise NotFound("没有找到该任务")
    authorize(user, action, task=row)
    return row


def evaluator_called(user: User, task: HumanTask) -> bool:
    """Tell whether the user may call the evaluator from the task and has already taken the number (audited)."""
    if not may_call_evaluator(user, task):
        return False
    stmt = select(AuditEvent.payload).where(
        AuditEvent.chain == f"case:{task.case_id}",
        AuditEvent.kind == "evaluator_revealed",
        AuditEvent.actor == user.username,
    )
    return any((payload or {}).get("task_id") == task.id for payload in db.session.scalars(stmt))
