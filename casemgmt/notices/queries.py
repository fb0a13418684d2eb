"""Read the outbox: a case's notices, and the backlog the health check reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from casemgmt.db import db
from casemgmt.errors import NotFound
from casemgmt.models import OutboxMessage, OutboxState, WorkerHeartbeat

UNDELIVERED = (OutboxState.QUEUED, OutboxState.SENDING, OutboxState.FAILED)


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
