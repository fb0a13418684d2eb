"""Read the outbox: a case's notices, the internal notices of a member of staff, and the backlog the health check
reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, func, or_, select

from casemgmt.access.policy import Action, authorize, unit_limit
from casemgmt.db import db
from casemgmt.errors import NotFound, PermissionDenied
from casemgmt.models import NoticeRead, Organization, OutboxMessage, OutboxState, User, WorkerHeartbeat

UNDELIVERED = (OutboxState.QUEUED, OutboxState.SENDING, OutboxState.FAILED)
#: the channel of notices to staff: delivered into the web UI's 通知 list, never by a relay
INTERNAL = "internal"


def list_case_notices(case_id: int) -> list[OutboxMessage]:
    """List a case's notices, oldest first."""
    stmt = select(OutboxMessage).where(OutboxMessage.case_id == case_id).order_by(OutboxMessage.id)
    return list(db.session.scalars(stmt))


def get_message(region_id: int, message_id: int) -> OutboxMessage:
    """Return one message of the region, or raise NotFound."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.region_id != region_id:
        raise NotFound("没有找到该通知")
    return message


def backlog(now: datetime) -> dict:
    """Return the undelivered count, the dead count and the age in seconds of the oldest undelivered message."""
    undelivered = OutboxMessage.state.in_(UNDELIVERED)
    count, oldest = db.session.execute(
        select(func.count(OutboxMessage.id), func.min(OutboxMessage.created_at)).where(undelivered)
    ).one()
    dead = db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.state == OutboxState.DEAD))
    age = (now - _aware(oldest, now)).total_seconds() if oldest else 0.0
    return {"undelivered": count, "dead": dead, "oldest_undelivered_seconds": round(age)}


def _aware(value: datetime, now: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=now.tzinfo)


def last_heartbeat() -> datetime | None:
    """Return the newest heartbeat of any worker."""
    return db.session.scalar(select(func.max(WorkerHeartbeat.beat_at)))


# ---- internal notices: the 通知 list of staff ----------------------------------------------------------------


def _addressed_to(user: User):
    """Return the condition: an internal notice of the user's region addressed to them or to a unit they see.

    A unit's notice reaches its staff and the staff of the units above it (the scope of Action.NOTICE_READ).
    """
    path = unit_limit(user, Action.NOTICE_READ)  # refuses a user without the action
    units = select(Organization.code).where(Organization.region_id == user.region_id)
    if path is not None:
        units = units.where(Organization.path.startswith(path, autoescape=True))
    return (
        (OutboxMessage.channel == INTERNAL)
        & (OutboxMessage.region_id == user.region_id)
        & or_(OutboxMessage.recipient == user.username, OutboxMessage.recipient.in_(units))
    )


def _is_read(user: User):
    return exists().where(NoticeRead.message_id == OutboxMessage.id, NoticeRead.user_id == user.id)


def staff_notices(user: User, *, unread_only: bool = False, limit: int = 200) -> list[tuple[OutboxMessage, bool]]:
    """List the internal notices addressed to the user or their units, newest first, each with its read mark."""
    stmt = select(OutboxMessage, _is_read(user)).where(_addressed_to(user))
    if unread_only:
        stmt = stmt.where(~_is_read(user))
    rows = db.session.execute(stmt.order_by(OutboxMessage.id.desc()).limit(limit)).all()
    return [(message, bool(read)) for message, read in rows]


def unread_count(user: User) -> int:
    """Count the user's unread internal notices (the badge of the 通知 link)."""
    stmt = select(func.count(OutboxMessage.id)).where(_addressed_to(user), ~_is_read(user))
    return db.session.scalar(stmt) or 0


def staff_notice(user: User, message_id: int) -> OutboxMessage:
    """Return an internal notice the user may read: NotFound when missing, not internal or of another region,
    PermissionDenied when it is addressed to a unit outside theirs."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.channel != INTERNAL:
        raise NotFound("没有找到该通知")
    if message.recipient == user.username and message.region_id == user.region_id:
        return message
    unit = db.session.scalar(
        select(Organization).where(Organization.region_id == message.region_id, Organization.code == message.recipient)
    )
    if unit is None:  # addressed to another person
        if message.region_id != user.region_id:
            raise NotFound("没有找到该通知")
        raise PermissionDenied("无权查看发给他人的通知")
    authorize(user, Action.NOTICE_READ, org=unit)
    return message
