"""What every API view reads: the JSON body, validated by a schema, and the injected clock."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, request
from marshmallow import Schema, ValidationError

from casemgmt.errors import InvalidInput


def now() -> datetime:
    """Return the app's clock reading (tests inject app.config['CLOCK'])."""
    return current_app.config["CLOCK"]()


def load_json(schema: Schema) -> dict:
    """Validate the JSON body; bad input raises InvalidInput naming each field."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise InvalidInput("请求体必须是 JSON 对象", details={"_body": ["不是 JSON 对象"]})
    try:
        return schema.load(payload)
    except ValidationError as err:
        raise InvalidInput("输入有误", details=err.messages) from err
