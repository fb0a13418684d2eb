"""Marshmallow schemas for the rule-pack API payloads; loads give plain dicts, errors name each field."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from casemgmt.models.casework import CALLBACK_RESULTS
from casemgmt.schemas import CHANNELS, MSG_REQUIRED, CompleteTaskSchema

AWARE = {**MSG_REQUIRED, "invalid": "必须是带时区的 ISO 时间，如 2025-09-26T10:00:00+08:00",
         "invalid_awareness": "必须带时区偏移，如 +08:00"}


class CallbackAttemptSchema(Schema):
    class Meta:
        unknown = RAISE

    result = fields.String(required=True, validate=validate.OneOf(CALLBACK_RESULTS, error="可选：reached、not_reached、"
                                                                                     "refused"),
                           error_messages=MSG_REQUIRED)
    attempted_at = fields.AwareDateTime(required=True, error_messages=AWARE)
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


class ServiceRecordSchema(Schema):
    class Meta:
        unknown = RAISE

    region = fields.String(required=True, validate=validate.Length(min=1, max=32), error_messages=MSG_REQUIRED)
    record_no = fields.String(required=True, validate=validate.Length(min=1, max=64), error_messages=MSG_REQUIRED)
    item_code = fields.String(required=True, validate=validate.Length(min=1, max=64), error_messages=MSG_REQUIRED)
    org_code = fields.String(required=True, validate=validate.Length(min=1, max=64), error_messages=MSG_REQUIRED)
    channel = fields.String(load_default="window_device", validate=validate.OneOf(CHANNELS, error="未知的办理渠道"),
                            error_messages=MSG_REQUIRED)
    completed_at = fields.AwareDateTime(required=True, error_messages=AWARE)
    evaluator_phone = fields.String(load_default="", validate=validate.Regexp(
        r"^(\+?86)?1\d{10}$|^0\d{2,3}-?\d{7,8}$|^$", error="不是有效的电话号码"), error_messages=MSG_REQUIRED)
