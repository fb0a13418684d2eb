"""Build a cached marshmallow schema from a form definition and validate what users submit with it."""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, pre_load, validates_schema

from casemgmt.errors import FormInvalid, InvalidInput
from casemgmt.forms.checks import check_definition
from casemgmt.forms.field_types import FIELD_CLASSES, REQUIRED

_CACHE_SIZE = 256
_schemas: dict[str, Schema] = {}
_schemas_lock = threading.Lock()


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or (isinstance(value, str) and not value.strip())


class _FormSchema(Schema):
    """Base of the schemas built from form definitions."""

    form_specs: dict[str, dict] = {}
    error_messages = {"unknown": "表单中没有这一项", "type": "表单数据必须是对象"}

    class Meta:
        unknown = RAISE
        register = False

    @pre_load
    def _drop_empty(self, data: Any, **kwargs: Any) -> Any:
        """Trim text and treat blank values of known fields as not given; unknown keys stay for RAISE."""
        if not isinstance(data, dict):
            return data
        cleaned = {}
        for name, value in data.items():
            spec = self.form_specs.get(name)
            if spec is not None and isinstance(value, str) and spec["type"] in ("string", "text"):
                value = value.strip()
            if spec is None or not _is_empty(value):
                cleaned[name] = value
        return cleaned

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _required_if(self, data: dict, original: Any, **kwargs: Any) -> None:
        """Require a field when another field has a given value (a default counts as given)."""
        errors = {}
        for name, spec in self.form_specs.items():
            cond = spec.get("required_if")
            if not cond or name in data or not _is_empty(original.get(name)):
                continue
            other = self.form_specs[cond["field"]]
            if cond["field"] in data:
                value = data[cond["field"]]
            elif "default" in other:
                value = _clean(other, other["default"])
            else:
                continue
            if value == _clean(other, cond["equals"]):
                errors[name] = [REQUIRED]
        if errors:
            raise ValidationError(errors)


def _build_schema(definition: dict) -> Schema:
    problems = check_definition(definition)
    if problems:
        raise InvalidInput("表单定义无效", details=problems)
    specs = {spec["name"]: spec for spec in definition["fields"]}
    attrs: dict[str, Any] = {
        name: FIELD_CLASSES[spec["type"]](spec, required=bool(spec.get("required")) and "default" not in spec)
        for name, spec in specs.items()
    }
    attrs["form_specs"] = specs
    return type(f"Form_{definition['key']}", (_FormSchema,), attrs)()


def _schema_for(definition: dict) -> tuple[Schema, dict[str, dict]]:
    canonical = json.dumps(definition, sort_keys=True, ensure_ascii=False, default=str)
    sha = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    schema = _schemas.get(sha)
    if schema is None:
        schema = _build_schema(json.loads(canonical))  # a private copy: callers may mutate theirs
        with _schemas_lock:
            if len(_schemas) >= _CACHE_SIZE:
                _schemas.clear()
            _schemas[sha] = schema
    return schema, schema.form_specs


def validate_form(definition: dict, data: dict) -> dict:
    """Validate submitted form data; return JSON-native values for every field of the form."""
    schema, specs = _schema_for(definition)
    try:
        loaded = schema.load(data)
    except ValidationError as err:
        raise FormInvalid("表单校验失败", details=_flat(err.messages)) from None
    return {name: loaded.get(name, _absent(spec)) for name, spec in specs.items()}


def _absent(spec: dict) -> Any:
    if "default" in spec:
        return _clean(spec, spec["default"])
    return [] if spec["type"] == "multichoice" or (spec["type"] == "file" and spec.get("multiple")) else None


def _clean(spec: dict, value: Any) -> Any:
    """Return `value` as the field `spec` would store it (for defaults and required_if values)."""
    return FIELD_CLASSES[spec["type"]](spec).deserialize(value)


def _flat(messages: Any) -> dict[str, list[str]]:
    """Return {field: [messages]} whatever shape marshmallow gave (schema-level errors under `_schema`)."""
    if not isinstance(messages, dict):
        return {"_schema": [str(m) for m in (messages if isinstance(messages, list) else [messages])]}
    flat: dict[str, list[str]] = {}
    for name, value in messages.items():
        if isinstance(value, dict):
            value = [m for sub in _flat(value).values() for m in sub]
        flat[str(name)] = [str(m) for m in (value if isinstance(value, list) else [value])]
    return flat
