"""Signed tokens of the evaluator's pages: a record's rating link (its nonce expires and is used once on the
record) and a follow link."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from casemgmt.errors import NotFound

RATE_SALT, FOLLOW_SALT = "rating-link", "follow-link"


def _serializer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt)


def rating_token(record_id: int, nonce: str) -> str:
    """Return the token of a record's rating link."""
    return _serializer(RATE_SALT).dumps({"r": record_id, "n": nonce})


def follow_token(evaluation_id: int) -> str:
    """Return the token with which an evaluator follows the handling of their rating."""
    return _serializer(FOLLOW_SALT).dumps({"e": evaluation_id})


def read_rating_token(token: str) -> tuple[int, str]:
    """Return the record id and nonce of a rating link; a forged or damaged one is not found."""
    try:
        data = _serializer(RATE_SALT).loads(token)
        return int(data["r"]), str(data["n"])
    except (BadSignature, KeyError, TypeError, ValueError) as err:
        raise NotFound("评价链接无效") from err


def read_follow_token(token: str) -> int:
    """Return the evaluation id of a follow link."""
    try:
        return int(_serializer(FOLLOW_SALT).loads(token)["e"])
    except (BadSignature, KeyError, TypeError, ValueError) as err:
        raise NotFound("查询链接无效") from err


def device_key() -> str:
    """Return a keyed hash of the caller's address: enough to count ratings by it, never the address itself."""
    seen = (request.remote_addr or "").encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), seen, hashlib.sha256).hexdigest()[:64]
