"""The bulk intake's fast validation of an evaluation payload: EvaluationSchema's result for a plainly valid item.

`fast_load` accepts only what the schema surely accepts unchanged (exact types, lengths, choices, no unknown
fields) and returns what `EvaluationSchema().load` would; for anything else it returns None and the caller runs
the schema, which gives the field errors (or accepts a value the fast check was too strict for, such as
"true" for a boolean). tests/intake/test_fastload.py holds both to the same answers.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from marshmallow import validate

from casemgmt.inputs import Instant, instant_problem
from casemgmt.intake.schemas import CHANNELS, EvaluationSchema, EvaluatorSchema
from casemgmt.models import LEVELS

_SCHEMA = EvaluationSchema()
_KEYS = frozenset(_SCHEMA.fields)
_EVALUATOR_KEYS = frozenset(EvaluatorSchema().fields)
_PHONE = re.compile(
    str(next(v for v in EvaluatorSchema().fields["phone"].validators if isinstance(v, validate.Regexp)).regex.pattern)
)
_INSTANT = _SCHEMA.fields["evaluated_at"]
assert isinstance(_INSTANT, Instant) and not _INSTANT.validators and (_INSTANT.format or "iso") == "iso"
_LEVELS = frozenset(LEVELS)
_CHANNELS = frozenset(CHANNELS)
#: required strings and their length bounds (EvaluationSchema)
_REQUIRED = (("region", 32), ("record_no", 64), ("item_code", 64), ("org_code", 64))


def _text(value: Any, low: int, high: int) -> bool:
    return type(value) is str and low <= len(value) <= high


def fast_load(raw: Any) -> dict | None:
    """Return the loaded payload of a plainly valid item, else None (the schema decides)."""
    if type(raw) is not dict or not raw.keys() <= _KEYS:
        return None
    for name, high in _REQUIRED:
        if not _text(raw.get(name), 1, high):
            return None
    staff_no, external_id = raw.get("staff_no"), raw.get("external_id")
    if staff_no is not None and not _text(staff_no, 0, 64):
        return None
    if external_id is not None and not _text(external_id, 1, 128):
        return None
    channel, level = raw.get("channel", "api"), raw.get("level")
    if type(channel) is not str or channel not in _CHANNELS or type(level) is not str or level not in _LEVELS:
        return None
    scope, comment = raw.get("scope", "record"), raw.get("comment", "")
    if scope not in ("record", "group") or type(scope) is not str or not _text(comment, 0, 2000):
        return None
    reasons = _reasons(raw.get("reasons", ()))
    sub_ratings = _sub_ratings(raw.get("sub_ratings", {}))
    evaluator = _evaluator(raw["evaluator"]) if "evaluator" in raw else {}  # missing: the schema's default, {}
    if reasons is None or sub_ratings is None or evaluator is None:
        return None
    evaluated_at = _instant(raw.get("evaluated_at"))
    if evaluated_at is None:
        return None
    return {
        "region": raw["region"],
        "record_no": raw["record_no"],
        "item_code": raw["item_code"],
        "org_code": raw["org_code"],
        "staff_no": staff_no,
        "channel": channel,
        "level": level,
        "reasons": reasons,
        "comment": comment,
        "sub_ratings": sub_ratings,
        "evaluator": evaluator,
        "evaluated_at": evaluated_at,
        "external_id": external_id,
        "scope": scope,
    }


def _instant(value: Any) -> datetime | None:
    """What _INSTANT.deserialize gives for an ISO string it accepts (datetime.fromisoformat, aware, in range),
    without the field's machinery; None for anything else."""
    if type(value) is not str or len(value) > 64:
        return None
    try:
        result = datetime.fromisoformat(value)
    except (ValueError, OverflowError):
        return None
    if result.tzinfo is None or result.utcoffset() is None or instant_problem(result):
        return None
    return result


def _reasons(value: Any) -> list[str] | None:
    if value == ():
        return []
    if type(value) is not list or len(value) > 20 or not all(_text(r, 1, 200) for r in value):
        return None
    return list(value) if len(set(value)) == len(value) else None


def _sub_ratings(value: Any) -> dict | None:
    if type(value) is not dict or len(value) > 20:
        return None
    for key, level in value.items():
        if not _text(key, 1, 32) or type(level) is not str or level not in _LEVELS:
            return None
    return dict(value)


def _evaluator(value: Any) -> dict | None:
    if type(value) is not dict or not value.keys() <= _EVALUATOR_KEYS:
        return None
    name, phone, real_name = value.get("name", ""), value.get("phone", ""), value.get("real_name", False)
    if not _text(name, 0, 128) or type(phone) is not str or _PHONE.match(phone) is None or type(real_name) is not bool:
        return None
    return {"name": name, "phone": phone, "real_name": real_name}
