"""Reads of what evaluators gave: an evaluation and a service record (办件), evaluator masked.

Nested in the API blueprint: endpoints `api.ratings.<view>`; role and region come from the permission table.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, g, jsonify, url_for

from casemgmt.db import db
from casemgmt.intake import mobile, queries
from casemgmt.models import Evaluation, ServiceRecord
from casemgmt.rules import regions
from web.api.auth import token_required
from web.api.inputs import now
from web.api.present import iso, mask_name, mask_phone
from web.rate.links import rating_token

bp = Blueprint("ratings", __name__)


@bp.get("/evaluations/<int:evaluation_id>")
@token_required
def get_evaluation(evaluation_id: int):
    evaluation = queries.get_evaluation(g.user, evaluation_id)
    return jsonify(evaluation_json(evaluation))


@bp.get("/service-records/<int:record_id>")
@token_required
def get_service_record(record_id: int):
    record = queries.get_service_record(g.user, record_id)
    return jsonify(record_json(record))


@bp.post("/service-records/<int:record_id>/rating-link")
@token_required
def post_rating_link(record_id: int):
    """Start a record's single-use rating link (the SMS link and dynamic QR code) and queue the SMS."""
    record = queries.get_service_record(g.user, record_id)
    at = now()
    nonce = mobile.issue_rating_link(record, g.user, at)
    url = url_for("rate.record_link", token=rating_token(record.id, nonce), _external=True)
    message = mobile.send_rating_link(record, url, at)
    db.session.commit()
    expires = at + timedelta(days=mobile.link_days(record.org.region))
    return jsonify({"url": url, "expires_at": iso(expires), "sms_queued": message is not None}), 201


def evaluation_json(e: Evaluation) -> dict:
    """Return an evaluation as JSON: the evaluator masked, its follow-ups and its case."""
    case = queries.case_of(e)
    return {
        "id": e.id,
        "region": e.region.code,
        "record_no": e.record_no,
        "group_no": e.group_no,
        "item_code": e.item_code,
        "org_code": e.org.code,
        "channel": e.channel,
        "level": e.level,
        "label": regions.rating_labels(e.region)[e.level],
        "is_bad": e.is_bad,
        "reasons": list(e.reasons or []),
        "sub_ratings": dict(e.sub_ratings or {}),
        "comment": e.comment,
        "evaluator": {
            "name": mask_name(e.evaluator_name),
            "phone": mask_phone(e.evaluator_phone),
            "is_real_name": e.is_real_name,
        },
        "evaluated_at": iso(e.evaluated_at),
        "received_at": iso(e.received_at),
        "revoked_at": iso(e.revoked_at),
        "follow_up_of": e.follow_up_of_id,
        "follow_ups": [f.id for f in queries.list_follow_ups(e)],
        "case_id": case.id if case else None,
        "case_no": case.case_no if case else None,
    }


def record_json(r: ServiceRecord) -> dict:
    """Return a service record as JSON with the ids of its ratings (no evaluator phone)."""
    return {
        "id": r.id,
        "record_no": r.record_no,
        "item_code": r.item_code,
        "org_code": r.org.code,
        "channel": r.channel,
        "status": r.status,
        "completed_at": iso(r.completed_at),
        "promised_at": iso(r.promised_at),
        "group_no": r.group_no,
        "group_kind": r.group_kind,
        "is_lead": r.is_lead,
        "reminded_at": iso(r.reminded_at),
        "settled_at": iso(r.settled_at),
        "evaluation_id": r.evaluation_id,
        "evaluations": [e.id for e in queries.list_record_evaluations(r)],
    }
