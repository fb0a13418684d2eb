"""Refuse a too-large body from its Content-Length, before anything reads or parses it."""

from __future__ import annotations

from flask import Flask, abort, request

#: JSON bodies of the API other than the administrators' (an evaluation, a completed form: a few KiB)
MAX_API_JSON_BYTES = 1024 * 1024
#: any JSON body: a rule bundle holds up to 10 MiB of files (MAX_BUNDLE_BYTES), plus the JSON escaping of them
MAX_JSON_BYTES = 12 * 1024 * 1024
TOO_LARGE = "请求体过大（{size} 字节），上限为 {limit} 字节"


def body_limit() -> int | None:
    """Return the byte limit of this request's body, or None for the app-wide MAX_CONTENT_LENGTH."""
    if request.path.startswith("/api/") and not request.path.startswith("/api/v1/admin"):
        return MAX_API_JSON_BYTES if request.mimetype != "multipart/form-data" else None
    return MAX_JSON_BYTES if request.is_json else None


def refuse_large_bodies() -> None:
    """Answer 413 at once when the declared body is past its limit (undeclared lengths: MAX_CONTENT_LENGTH)."""
    limit = body_limit()
    size = request.content_length
    if limit is not None and size is not None and size > limit:
        abort(413, description=TOO_LARGE.format(size=size, limit=limit))


def init_app(app: Flask) -> None:
    """Check bodies before any other hook."""
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_large_bodies)
