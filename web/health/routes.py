"""GET /healthz for the people who run Zhenggai: 200 when healthy, 503 when the database or the worker is down."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from casemgmt.db import db
from casemgmt.notices import queries as notice_queries

bp = Blueprint("health", __name__)


def health_report(now: datetime) -> dict:
    """Return the checks: database reachable, newest worker heartbeat and its age, outbox backlog."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as err:  # noqa: BLE001 - any failure means the database is down
        db.session.rollback()
        return {"ok": False, "database": {"ok": False, "error": type(err).__name__}}
    beat = notice_queries.last_heartbeat()
    if beat is not None and beat.tzinfo is None:
        beat = beat.replace(tzinfo=now.tzinfo)
    age = (now - beat).total_seconds() if beat else None
    worker_ok = age is not None and age <= float(current_app.config["HEARTBEAT_STALE_SECONDS"])
    return {
        "ok": worker_ok,
        "database": {"ok": True},
        "worker": {"ok": worker_ok, "last_beat_at": beat.isoformat() if beat else None, "age_seconds": age},
        "outbox": notice_queries.backlog(now),
    }


@bp.get("/healthz")
def healthz():
    report = health_report(current_app.config["CLOCK"]())
    return jsonify(report), 200 if report["ok"] else 503
