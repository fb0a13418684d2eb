"""Bearer-token authentication for the API."""

from __future__ import annotations

from functools import wraps

from flask import abort, g, request

from casemgmt.access.queries import user_for_token


def token_required(view):
    """Resolve `Authorization: Bearer <token>` to g.user, or answer 401."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        user = user_for_token(token.strip()) if scheme.lower() == "bearer" and token else None
        if user is None:
            abort(401, description="需要有效的 API 令牌：Authorization: Bearer <token>")
        g.user = user
        return view(*args, **kwargs)

    return wrapper
