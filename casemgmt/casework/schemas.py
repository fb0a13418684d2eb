"""Marshmallow schemas for the rule-pack API payloads; loads give plain dicts, errors name each field."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from casemgmt.cases.schemas import CompleteTaskSchema
from casemgmt.errors import MSG_REQUIRED
from casemgmt.inputs import Instant
from casemgmt.models.casework import CallbackResult


class CallbackAttemptSchema(Schema):
    class Meta:
        unknown = RAISE

    result = fields.String(
        required=True,
        validate=validate.OneOf(list(CallbackResult), error="可选：" + "、".join(CallbackResult)),
        error_messages=MSG_REQUIRED,
    )
    attempted_at = Instant(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=2000), error_messages=MSG_REQUIRED)


#: a request that a region's form validates, {"data": {...}}: the same shape as completing a task
FormPayloadSchema = CompleteTaskSchema


class TransferSchema(Schema):
    class Meta:
        unknown = RAISE

    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000), error_messages=MSG_REQUIRED)


class LedgerNoteSchema(Schema):
    class Meta:
        unknown = RAISE

    note = fields.String(required=True, validate=validate.Length(min=1, max=2000), error_messages=MSG_REQUIRED)
    owner = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=128))
    measures = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=4000))
