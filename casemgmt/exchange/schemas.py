"""Payloads of the 12345 centre: a bad review taken by phone (a ticket), and the satisfaction callback result."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from casemgmt.errors import MSG_REQUIRED
from casemgmt.intake.schemas import EvaluatorSchema
from casemgmt.models import LEVELS

SATISFACTION = ("satisfied", "basically_satisfied", "dissatisfied", "unreachable")


class TicketSchema(Schema):
    """POST /api/v1/hotline/tickets: a 12345 work order about a bad review of a government service."""

    class Meta:
        unknown = RAISE

    region = fields.String(required=True, validate=validate.Length(min=1, max=32), error_messages=MSG_REQUIRED)
    ticket_no = fields.String(required=True, validate=validate.Length(min=1, max=64), error_messages=MSG_REQUIRED)
    org_code = fields.String(required=True, validate=validate.Length(min=1, max=64), error_messages=MSG_REQUIRED)
    item_code = fields.String(required=True, validate=validate.Length(min=1, max=64), error_messages=MSG_REQUIRED)
    level = fields.String(
        load_default="very_dissatisfied", validate=validate.OneOf(LEVELS, error="必须是以下之一：" + "、".join(LEVELS))
    )
    reasons = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list)
    content = fields.String(load_default="", validate=validate.Length(max=2000))
    caller = fields.Nested(EvaluatorSchema, load_default=dict)
    called_at = fields.AwareDateTime(
        required=True, error_messages={**MSG_REQUIRED, "invalid": "必须是带时区的 ISO 时间"}
    )


class SatisfactionSchema(Schema):
    """POST /api/v1/hotline/satisfaction: what the caller said when 12345 called back about the handling."""

    class Meta:
        unknown = RAISE

    region = fields.String(required=True, error_messages=MSG_REQUIRED)
    ticket_no = fields.String(required=True, validate=validate.Length(min=1, max=64), error_messages=MSG_REQUIRED)
    result = fields.String(
        required=True, validate=validate.OneOf(SATISFACTION, error="必须是以下之一：" + "、".join(SATISFACTION))
    )
    comment = fields.String(load_default="", validate=validate.Length(max=2000))
    called_at = fields.AwareDateTime(
        required=True, error_messages={**MSG_REQUIRED, "invalid": "必须是带时区的 ISO 时间"}
    )
