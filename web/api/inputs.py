"""What every API view reads: the JSON body, checked cheaply then validated by a schema, and the injected clock."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from flask import current_app, request
from marshmallow import Schema, ValidationError
from sqlalchemy.exc import IntegrityError

from casemgmt.db import db
from casemgmt.errors import InvalidInput
from casemgmt.inputs import MAX_JSON_DEPTH, check_json, json_depth_exceeds, plain_json, strict_int

T = TypeVar("T")


def now() -> datetime:
    """Return the app's clock reading (tests inject app.config['CLOCK'])."""
    return current_app.config["CLOCK"]()


def read_json(*, required: bool = True) -> dict[str, Any]:
    """Return the JSON object of the body: nesting, characters and integers checked before any schema sees it.

    Without `required`, an empty body is an empty object; anything else must still be a JSON object.
    """
    raw = request.get_data(cache=True)
    if not raw.strip() and not required:
        return {}
    if json_depth_exceeds(raw):
        raise InvalidInput("请求体嵌套过深", details={"_body": [f"嵌套不能超过 {MAX_JSON_DEPTH} 层"]})
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError):
        payload = None
    if not isinstance(payload, dict):
        raise InvalidInput("请求体必须是 JSON 对象", details={"_body": ["不是 JSON 对象"]})
    if not plain_json(raw):  # a text that cannot hold anything unstorable is not walked (bulk bodies: 1,000 items)
        check_json(payload)
    return payload


def load_json(schema: Schema) -> dict:
    """Validate the JSON body; bad input raises InvalidInput naming each field."""
    try:
        return schema.load(read_json())
    except ValidationError as err:
        raise InvalidInput("输入有误", details=err.messages) from err


def int_arg(name: str, default: int | None = None, *, minimum: int = 0, maximum: int = 2**31 - 1) -> int | None:
    """Return a query argument written in ASCII digits within the range; anything else is a 400 naming it."""
    raw = request.args.get(name)
    if raw is None:
        return default
    value = strict_int(raw, maximum)
    if value is None or value < minimum:
        raise InvalidInput("参数必须是整数", details={name: [f"必须是 {minimum} 到 {maximum} 之间的整数"]})
    return value


def commit_once(submit: Callable[[], T]) -> T:
    """Run an idempotent intake and commit; when the same external id raced in meanwhile, answer the first result."""
    try:
        result = submit()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        result = submit()
    return result
