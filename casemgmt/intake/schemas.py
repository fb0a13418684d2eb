"""Marshmallow schemas for API payloads; loads give plain dicts, errors name each field."""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates, validates_schema

from casemgmt.errors import MSG_REQUIRED
from casemgmt.inputs import Instant
from casemgmt.models import LEVELS, ServiceGroupKind

CHANNELS = (
    "window_device",
    "tablet",
    "qr_static",
    "qr_dynamic",
    "sms",
    "hotline",
    "online_hall",
    "mobile_app",
    "terminal",
    "paper",
    "suggestion_box",
    "email",
    "survey",
    "api",
)


class EvaluatorSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(load_default="", validate=validate.Length(max=128), error_messages=MSG_REQUIRED)
    phone = fields.String(
        load_default="",
        validate=validate.Regexp(r"^(\+?86)?1\d{10}$|^0\d{2,3}-?\d{7,8}$|^$", error="不是有效的电话号码"),
        error_messages=MSG_REQUIRED,
    )
    real_name = fields.Boolean(load_default=False, error_messages=MSG_REQUIRED)


class EvaluationSchema(Schema):
    class Meta:
        unknown = RAISE

    region = fields.String(required=True, validate=validate.Length(min=1, max=32), error_messages=MSG_REQUIRED)
    record_no = fields.String(required=True, validate=validate.Length(min=1, max=64), error_messages=MSG_REQUIRED)
    item_code = fields.String(required=True, validate=validate.Length(min=1, max=64), error_messages=MSG_REQUIRED)
    org_code = fields.String(required=True, validate=validate.Length(min=1, max=64), error_messages=MSG_REQUIRED)
    staff_no = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    channel = fields.String(
        load_default="api", validate=validate.OneOf(CHANNELS, error="未知的评价渠道"), error_messages=MSG_REQUIRED
    )
    level = fields.String(
        required=True,
        validate=validate.OneOf(LEVELS, error="必须是以下之一：" + "、".join(LEVELS)),
        error_messages=MSG_REQUIRED,
    )
    reasons = fields.List(
        fields.String(validate=validate.Length(min=1, max=200)),
        load_default=list,
        validate=validate.Length(max=20),
        error_messages=MSG_REQUIRED,
    )
    comment = fields.String(load_default="", validate=validate.Length(max=2000), error_messages=MSG_REQUIRED)
    #: the region's sub-rating items: {"attitude": "satisfied", ...}
    sub_ratings = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=32)),
        values=fields.String(validate=validate.OneOf(LEVELS, error="必须是以下之一：" + "、".join(LEVELS))),
        load_default=dict,
        validate=validate.Length(max=20),
    )
    evaluator = fields.Nested(EvaluatorSchema, load_default=dict, error_messages=MSG_REQUIRED)
    evaluated_at = Instant(required=True)
    external_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=128))
    #: "group": one rating for the whole batch, parallel approval or 一件事 the record belongs to
    scope = fields.String(
        load_default="record", validate=validate.OneOf(("record", "group"), error="只能是 record 或 group")
    )

    @validates("reasons")
    def _reasons_are_distinct(self, value: list[str], **kwargs) -> None:
        if len(set(value)) != len(value):
            raise ValidationError("原因不能重复")


class ServiceRecordSchema(Schema):
    class Meta:
        unknown = RAISE

    region = fields.String(required=True, validate=validate.Length(min=1, max=32), error_messages=MSG_REQUIRED)
    record_no = fields.String(required=True, validate=validate.Length(min=1, max=64), error_messages=MSG_REQUIRED)
    item_code = fields.String(required=True, validate=validate.Length(min=1, max=64), error_messages=MSG_REQUIRED)
    org_code = fields.String(required=True, validate=validate.Length(min=1, max=64), error_messages=MSG_REQUIRED)
    channel = fields.String(
        load_default="window_device",
        validate=validate.OneOf(CHANNELS, error="未知的办理渠道"),
        error_messages=MSG_REQUIRED,
    )
    #: empty while the service is not finished: then promised_at says when it should have been
    completed_at = Instant(load_default=None, allow_none=True)
    promised_at = Instant(load_default=None, allow_none=True)
    group_no = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))
    group_kind = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(tuple(ServiceGroupKind), error="只能是 batch、parallel 或 theme"),
    )
    is_lead = fields.Boolean(load_default=False)
    evaluator_phone = fields.String(
        load_default="",
        validate=validate.Regexp(r"^(\+?86)?1\d{10}$|^0\d{2,3}-?\d{7,8}$|^$", error="不是有效的电话号码"),
        error_messages=MSG_REQUIRED,
    )

    @validates_schema
    def _finished_or_promised(self, data: dict, **kwargs) -> None:
        if data.get("completed_at") is None and data.get("promised_at") is None:
            raise ValidationError("未办结的办件须给出承诺时限", field_name="promised_at")
        if bool(data.get("group_no")) != bool(data.get("group_kind")):
            raise ValidationError("办件组编号与组类型须同时给出", field_name="group_kind")


#: evaluations one bulk request may carry
BATCH_LIMIT = 1_000


class EvaluationBatchSchema(Schema):
    """A bulk intake request: up to BATCH_LIMIT evaluations, each checked on its own (one result per item)."""

    class Meta:
        unknown = RAISE

    evaluations = fields.List(
        fields.Dict(),
        required=True,
        validate=validate.Length(min=1, max=BATCH_LIMIT, error=f"每批 1 到 {BATCH_LIMIT} 条评价"),
        error_messages=MSG_REQUIRED,
    )
