"""The 12345 centre's endpoints: tickets of bad reviews taken by phone, and satisfaction callback results.

Token auth with a channel account of the region (the hotline's account), the same grant as /evaluations.
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from casemgmt.db import db
from casemgmt.exchange import hotline
from casemgmt.exchange.schemas import SatisfactionSchema, TicketSchema
from web.api.auth import token_required
from web.api.inputs import commit_once, load_json, now

bp = Blueprint("exchange", __name__)


@bp.post("/hotline/tickets")
@token_required
def post_ticket():
    data = load_json(TicketSchema())
    result = commit_once(lambda: hotline.receive_ticket(data, g.user, now()))
    body = {
        "ticket_no": data["ticket_no"],
        "case_id": result.case.id if result.case else None,
        "case_no": result.case.case_no if result.case else None,
        "created": result.created,
    }
    return jsonify(body), 201 if result.created else 200


@bp.post("/hotline/satisfaction")
@token_required
def post_satisfaction():
    data = load_json(SatisfactionSchema())
    case = hotline.record_satisfaction(data, g.user, now())
    db.session.commit()
    return jsonify({"ticket_no": data["ticket_no"], "case_no": case.case_no, "recorded": True})
