"""Marshmallow schemas of the statistics API payloads."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from casemgmt.errors import MSG_REQUIRED
from casemgmt.models import ReportKind


class ReportSchema(Schema):
    """Publish a report: its kind and period (2025, 2025Q3, 2025-09)."""

    class Meta:
        unknown = RAISE

    kind = fields.String(
        required=True,
        validate=validate.OneOf(list(ReportKind), error="可选：" + "、".join(ReportKind)),
        error_messages=MSG_REQUIRED,
    )
    period = fields.String(required=True, validate=validate.Length(min=4, max=64), error_messages=MSG_REQUIRED)
