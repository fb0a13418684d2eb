"""Form definitions (forms/) as HTML input and back: read a submission, show entered data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from casemgmt.inputs import strict_int
from web.ui import local_time

_LOCAL_DT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")
#: the offices' zone: a datetime-local input means Beijing time
OFFSET = "+08:00"


@dataclass
class Submission:
    #: what the user typed, per field, to show again (file fields: ids of files already uploaded)
    raw: dict = field(default_factory=dict)
    #: the values handed to validation (files are added once stored)
    data: dict = field(default_factory=dict)


def keep_name(name: str) -> str:
    """Return the name of the hidden inputs that keep a file field's uploaded files."""
    return f"{name}__keep"


def read_submission(definition: dict, form: MultiDict) -> Submission:
    """Turn posted form fields into raw values and data for validation; unknown inputs are ignored."""
    sub = Submission()
    for spec in definition["fields"]:
        name, kind = spec["name"], spec["type"]
        if kind == "file":
            kept = (strict_int(v) for v in form.getlist(keep_name(name)))
            sub.raw[keep_name(name)] = [n for n in kept if n is not None]
        elif kind == "multichoice":
            sub.raw[name] = sub.data[name] = form.getlist(name)
        else:
            sub.raw[name] = form.get(name, "")
            sub.data[name] = to_aware(sub.raw[name]) if kind == "datetime" else sub.raw[name]
    return sub


def to_aware(value: str) -> str:
    """Turn a datetime-local value (Beijing time) into ISO 8601 with its offset; leave anything else."""
    value = value.strip()
    if _LOCAL_DT.match(value):
        return (value if len(value) == 19 else value + ":00") + OFFSET
    return value


def initial_values(definition: dict, draft: dict | None) -> dict:
    """Return the values a form starts with: the saved draft, else each field's default."""
    if draft:
        return dict(draft)
    raw = {}
    for spec in definition["fields"]:
        if "default" in spec:
            value = spec["default"]
            raw[spec["name"]] = value[:16] if spec["type"] == "datetime" and isinstance(value, str) else value
    return raw


def display_value(spec: dict | None, value: object) -> str:
    """Return entered data as a person reads it: choice labels, yes/no, Beijing time."""
    if value is None or value == "" or value == []:
        return "—"
    kind = spec.get("type") if spec else None
    choices = {c["value"]: c["label"] for c in (spec or {}).get("choices", [])}
    if kind == "boolean":
        return _("Yes") if value else _("No")
    if kind == "choice":
        return choices.get(value, str(value))
    if kind == "multichoice" and isinstance(value, list):
        return "、".join(choices.get(v, str(v)) for v in value)
    if kind == "datetime" and isinstance(value, str):
        try:
            return local_time(datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def describe(definition: dict | None, data: dict | None) -> list[dict]:
    """Return entered data as rows of label, text and attached files, in the form's order."""
    data = data or {}
    specs = {s["name"]: s for s in (definition or {}).get("fields", [])}
    names = [n for n in specs if n in data] + [n for n in data if n not in specs]
    rows = []
    for name in names:
        spec, value = specs.get(name), data[name]
        if spec and spec["type"] == "file":
            refs = value if isinstance(value, list) else ([value] if value else [])
            rows.append({"label": spec["label"], "text": "" if refs else "—", "files": refs})
        else:
            rows.append({"label": spec["label"] if spec else name, "text": display_value(spec, value), "files": []})
    return rows


def required_conditions(definition: dict) -> dict[str, str]:
    """Return, per field with required_if, the condition in words (e.g. "required when 是否同意撤销 is 是")."""
    specs = {s["name"]: s for s in definition["fields"]}
    texts = {}
    for spec in definition["fields"]:
        cond = spec.get("required_if")
        other = specs.get(cond["field"]) if cond else None
        if other is not None:
            texts[spec["name"]] = _(
                "(required when %(field)s is %(value)s)",
                field=other["label"],
                value=display_value(other, cond["equals"]),
            )
    return texts
