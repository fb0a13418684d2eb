"""Province operations over the API: directory imports (JSON rows), notice retries and the delivery pause switch.

/api/v1/admin/<region>/directory/<kind> takes {"rows": [{column key: value}], "confirm": false|true} and
answers the plan (new, changed, unchanged, bad rows with their line); only "confirm": true writes.
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from casemgmt.access.policy import Action, Role
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.directory.operations import import_rows
from casemgmt.directory.schemas import KINDS, ImportRequestSchema
from casemgmt.errors import NotFound
from casemgmt.notices import queries as notice_queries
from casemgmt.notices import relay
from casemgmt.rules import versions
from web.api.auth import token_required
from web.api.inputs import load_json, now

bp = Blueprint("province", __name__)


@bp.post("/admin/<region>/directory/<kind>")
@token_required
def import_directory(region: str, kind: str):
    if kind not in KINDS:
        raise NotFound("没有这种导入")
    place = versions.admin_region(g.user, region, Action.DIRECTORY_IMPORT)
    data = load_json(ImportRequestSchema())
    rows = [(n, {k: "" if v is None else str(v) for k, v in row.items()}) for n, row in enumerate(data["rows"], 1)]
    plan = import_rows(place, kind, rows, Actor.of(g.user, Role.ADMIN), now(), confirm=data["confirm"])
    if data["confirm"]:
        db.session.commit()
    return jsonify({**plan.summary(), "written": data["confirm"]})


@bp.post("/admin/<region>/outbox/<int:message_id>/retry")
@token_required
def retry_notice(region: str, message_id: int):
    place = versions.admin_region(g.user, region, Action.OUTBOX_MANAGE)
    message = relay.retry_message(notice_queries.get_message(place.id, message_id), Actor.of(g.user, Role.ADMIN), now())
    db.session.commit()
    return jsonify({"id": message.id, "state": str(message.state)})


@bp.post("/admin/<region>/outbox/pause")
@token_required
def pause_outbox(region: str):
    place = versions.admin_region(g.user, region, Action.OUTBOX_MANAGE)
    relay.set_paused(place, True, Actor.of(g.user, Role.ADMIN), now())
    db.session.commit()
    return jsonify({"region": region, "paused": True})


@bp.post("/admin/<region>/outbox/resume")
@token_required
def resume_outbox(region: str):
    place = versions.admin_region(g.user, region, Action.OUTBOX_MANAGE)
    relay.set_paused(place, False, Actor.of(g.user, Role.ADMIN), now())
    db.session.commit()
    return jsonify({"region": region, "paused": False})
