"""What every page of the web UI shares: the signed-in user, the clock, the language, formatting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from urllib.parse import urlsplit

from flask import current_app, g, redirect, request, session, url_for

from casemgmt.access.policy import Action, allowed
from casemgmt.calendar import SHANGHAI
from casemgmt.models import LEVELS, Region, User

LANGUAGES = {"zh_CN": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh_CN"


def select_locale() -> str:
    """Return the language of this request: the one chosen in the session, else Chinese."""
    lang = session.get("lang")
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def now() -> datetime:
    """Return the app's current instant (tests inject the clock)."""
    return current_app.config["CLOCK"]()


def audit_key() -> bytes | None:
    """Return the audit checkpoint key, with which verification checks the latest signed checkpoint too."""
    key = current_app.config.get("AUDIT_CHECKPOINT_KEY")
    return key.encode("utf-8") if key else None


def current_user() -> User:
    """Return the signed-in user of this request (views behind login_required only)."""
    return g.user


def can(action: str, **objects) -> bool:
    """Tell whether the signed-in user may do the action (on case=, task=, org=): templates show buttons by it."""
    user = g.get("user")
    return user is not None and allowed(user, Action(action), **objects)


def login_required(view: Callable) -> Callable:
    """Send visitors who have not signed in to the sign-in page, then back."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        """Redirect to the sign-in page unless someone is signed in."""
        if g.get("user") is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def safe_next(target: str | None, fallback: str) -> str:
    """Return `target` when it is a path on this site, else `fallback` (no open redirects)."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Format an instant as Asia/Shanghai wall time."""
    return value.astimezone(SHANGHAI).strftime(fmt) if value else ""


def level_label(region: Region, level: str) -> str:
    """Return the region's name for a rating level (非常不满意, 很差...)."""
    labels = (region.settings or {}).get("rating_labels") or []
    index = LEVELS.index(level) if level in LEVELS else -1
    return labels[index] if 0 <= index < len(labels) else level


def form_errors(details: object) -> dict[str, list[str]]:
    """Return a domain error's details as field -> messages, whatever shape they came in."""
    if isinstance(details, dict):
        return {str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in details.items()}
    if isinstance(details, list):
        return {"_schema": [str(m) for m in details]}
    return {}
