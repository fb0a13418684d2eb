"""Marshmallow schemas of the administrators' API payloads (rules, migration, calendar)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from casemgmt.errors import MSG_REQUIRED

COMMENT = validate.Length(min=1, max=500, error="请用 1 到 500 个字说明原因")


class UploadSchema(Schema):
    """Files laid over a base version (the active one unless `base` names another)."""

    class Meta:
        unknown = RAISE

    files = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict, error_messages=MSG_REQUIRED)
    remove = fields.List(fields.String(), load_default=list, validate=validate.Length(max=100))
    base = fields.Integer(load_default=None, allow_none=True, strict=False, validate=validate.Range(min=1))
    comment = fields.String(load_default="", validate=validate.Length(max=500))
    sample = fields.Dict(keys=fields.String(), load_default=dict)


class DeploySchema(UploadSchema):
    comment = fields.String(required=True, validate=COMMENT, error_messages=MSG_REQUIRED)


class RollbackSchema(Schema):
    class Meta:
        unknown = RAISE

    comment = fields.String(required=True, validate=COMMENT, error_messages=MSG_REQUIRED)


class MigrationSchema(Schema):
    class Meta:
        unknown = RAISE

    to = fields.Integer(required=True, strict=True, validate=validate.Range(min=1), error_messages=MSG_REQUIRED)
    cases = fields.List(
        fields.Integer(strict=True), load_default=None, allow_none=True, validate=validate.Length(min=1, max=10_000)
    )
    all = fields.Boolean(load_default=False)

    @validates_schema
    def _one_selection(self, data: dict, **kwargs) -> None:
        if (data.get("cases") is None) == (not data.get("all")):
            raise ValidationError("请给出 cases（工单 id 列表）或 all: true 之一", field_name="cases")


class CalendarChangeSchema(Schema):
    class Meta:
        unknown = RAISE

    scope = fields.String(required=True, validate=validate.Length(min=1, max=64), error_messages=MSG_REQUIRED)
    year = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=2000, max=2100), error_messages=MSG_REQUIRED
    )
    days = fields.List(fields.Dict(), load_default=None, allow_none=True, validate=validate.Length(max=400))
    notice = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20_000))
    note = fields.String(load_default="", validate=validate.Length(max=500))
