"""Marshmallow schemas of task payloads: completion and reassignment."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from casemgmt.errors import MSG_REQUIRED


class CompleteTaskSchema(Schema):
    class Meta:
        unknown = RAISE

    data = fields.Dict(keys=fields.String(), required=True, error_messages=MSG_REQUIRED)


class ReassignSchema(Schema):
    class Meta:
        unknown = RAISE

    reason = fields.String(required=True, validate=validate.Length(min=1, max=500), error_messages=MSG_REQUIRED)
    assignee = fields.String(load_default=None, allow_none=True)
    org_code = fields.String(load_default=None, allow_none=True)
