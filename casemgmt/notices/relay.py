"""The outbox relay: claim due messages, deliver each through the adapter its region and kind are routed to.

Routes come from the caller (the OUTBOX_ROUTES setting): {region code or "*": {kind, channel or "*": route}},
a route being {"adapter": "sms_http" | "webhook" | "email", "url"..., "templates": {kind: text}}.
A claim marks a message `sending` for a lease; on PostgreSQL the candidates are read FOR UPDATE SKIP LOCKED,
everywhere the claim itself is a conditional UPDATE, so two relays never hold the same message. The caller
commits after `claim_due` and after each `deliver`; nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update

from casemgmt import audit
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.errors import InvalidInput
from casemgmt.models import OutboxMessage, OutboxState, Region
from casemgmt.notices.adapters import ADAPTERS, STAFF_LIST, DeliveryFailed
from casemgmt.notices.queries import INTERNAL


@dataclass(frozen=True)
class RelaySettings:
    routes: dict = field(default_factory=dict)
    #: tries before a message is dead
    max_attempts: int = 5
    #: first retry after this many seconds, doubled each try, capped
    backoff_seconds: float = 30.0
    backoff_cap_seconds: float = 6 * 3600.0
    #: how long a claim stands; a relay that died holding a message loses it after this
    lease_seconds: float = 300.0


def _due(now: datetime):
    waiting = and_(
        OutboxMessage.state.in_((OutboxState.QUEUED, OutboxState.FAILED)),
        or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
    )
    abandoned = and_(OutboxMessage.state == OutboxState.SENDING, OutboxMessage.claimed_until < now)
    paused = select(Region.id).where(Region.is_outbox_paused.is_(True))
    region_ok = or_(OutboxMessage.region_id.is_(None), OutboxMessage.region_id.not_in(paused))
    return and_(or_(waiting, abandoned), region_ok)


def claim_due(relay_id: str, now: datetime, settings: RelaySettings, limit: int = 100) -> list[int]:
    """Mark up to `limit` due messages as this relay's; return their ids (the caller commits at once)."""
    stmt = select(OutboxMessage.id).where(_due(now)).order_by(OutboxMessage.id).limit(limit)
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    candidates = list(db.session.scalars(stmt))
    if not candidates:
        return []
    until = now + timedelta(seconds=settings.lease_seconds)
    # one conditional UPDATE: a row another relay claimed since the SELECT no longer matches `_due`
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates), _due(now))
        .values(state=OutboxState.SENDING, claimed_by=relay_id, claimed_until=until)
        .execution_options(synchronize_session=False)
    )
    mine = select(OutboxMessage.id).where(
        OutboxMessage.id.in_(candidates),
        OutboxMessage.state == OutboxState.SENDING,
        OutboxMessage.claimed_by == relay_id,
        OutboxMessage.claimed_until == until,
    )
    return list(db.session.scalars(mine.order_by(OutboxMessage.id)))


def route_for(message: OutboxMessage, settings: RelaySettings) -> dict | None:
    """Return the route of a message: its region's for its kind, then for its channel, then the defaults."""
    region = db.session.get(Region, message.region_id) if message.region_id else None
    code = region.code if region else "*"
    for scope in (code, "*"):
        table = settings.routes.get(scope) or {}
        for key in (message.kind, message.channel, "*"):
            if key in table:
                return {"region": code, **table[key]}
    return None


def deliver(message_id: int, relay_id: str, now: datetime, settings: RelaySettings) -> OutboxState | None:
    """Deliver one claimed message and record the outcome; None when this relay no longer holds it."""
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    if message is None or message.state != OutboxState.SENDING or message.claimed_by != relay_id:
        return None
    route = route_for(message, settings)
    if route is None and message.channel == INTERNAL:
        route = {"adapter": STAFF_LIST}  # no other route: the staff's 通知 list, where it already shows
    try:
        if route is None or route.get("adapter") not in ADAPTERS:
            raise DeliveryFailed(f"没有为该地区的“{message.kind}”通知配置投递方式")
        ADAPTERS[route["adapter"]](message, route, now)
    except DeliveryFailed as err:
        _failed(message, str(err), now, settings)
    else:
        message.state, message.sent_at, message.last_error = OutboxState.SENT, now, None
        message.attempts += 1
    message.claimed_by, message.claimed_until = None, None
    db.session.flush()
    return message.state


def _failed(message: OutboxMessage, reason: str, now: datetime, settings: RelaySettings) -> None:
    message.attempts += 1
    message.last_error = reason[:2000]
    if message.attempts >= settings.max_attempts:
        message.state, message.next_attempt_at = OutboxState.DEAD, None
        return
    delay = min(settings.backoff_seconds * 2 ** (message.attempts - 1), settings.backoff_cap_seconds)
    message.state, message.next_attempt_at = OutboxState.FAILED, now + timedelta(seconds=delay)


def retry_message(message: OutboxMessage, actor: Actor, now: datetime) -> OutboxMessage:
    """Queue a failed or dead message again with a fresh count of tries (an administrator's retry)."""
    if message.state not in (OutboxState.FAILED, OutboxState.DEAD):
        raise InvalidInput("只有投递失败的通知可以重试", details={"state": [str(message.state)]})
    before = {"state": str(message.state), "attempts": message.attempts, "last_error": message.last_error}
    message.state, message.attempts, message.next_attempt_at = OutboxState.QUEUED, 0, None
    db.session.flush()
    audit.record(
        "notice_retried",
        actor=actor,
        at=now,
        region_id=message.region_id or (message.case.region_id if message.case else 0),
        case_id=message.case_id,
        payload={"message_id": message.id, "before": before},
    )
    return message


def set_paused(region: Region, paused: bool, actor: Actor, now: datetime) -> None:
    """Pause or resume delivery of the region's messages (audited)."""
    region.is_outbox_paused = paused
    db.session.flush()
    audit.record("outbox_paused" if paused else "outbox_resumed", actor=actor, at=now, region_id=region.id)
