"""Form definitions: load them with regional override, check them at deploy, validate what users submit.

A form is a JSON file `forms/<region>/<key>.json` (format in forms/README.md). Its field names become
task-data variables that diagrams' expressions read, so they are checked like identifiers.
"""

from __future__ import annotations

import hashlib
import json
import keyword
import re
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validates_schema

from casemgmt.errors import FormInvalid, InvalidInput, NotFound

NATIONAL = "national"
FIELD_TYPES = ("string", "text", "integer", "boolean", "choice", "multichoice", "date", "datetime", "file")
#: max_length when a string or text field states none
DEFAULT_MAX_LENGTH = {"string": 200, "text": 5000}
#: task data the engine puts on every case; a form must not overwrite it
RESERVED_NAMES = frozenset(
    {
        "case_id", "case_no", "region", "level", "is_real_name", "reasons", "item_code", "channel",
        "handling_org", "supervisor_org", "coordinator_org",
        "workdays", "calendar_days", "hours", "len", "min", "max", "abs", "round", "int", "float", "str",
        "bool", "any", "all", "sorted",
    }
)  # fmt: skip
FORM_KEYS = frozenset({"key", "title", "description", "fields"})
COMMON_KEYS = frozenset({"name", "label", "type", "required", "required_if", "help", "placeholder", "default"})
TYPE_KEYS = {
    "string": {"max_length"},
    "text": {"max_length"},
    "integer": {"min", "max"},
    "boolean": set(),
    "choice": {"choices"},
    "multichoice": {"choices"},
    "date": set(),
    "datetime": set(),
    "file": {"multiple", "accept", "max_size_mb"},
}
FILE_REF_KEYS = frozenset({"id", "name", "size", "content_type"})
REQUIRED = "必填"
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_PATH_PART_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CACHE_SIZE = 256
_schemas: dict[str, Schema] = {}
_schemas_lock = threading.Lock()


# ---------------------------------------------------------------------------------------------- files


def _part(value: str, what: str) -> str:
    if not isinstance(value, str) or not _PATH_PART_RE.match(value):
        raise NotFound(f"{what}不存在：{value!r}")
    return value


def load_form(key: str, region: str, forms_root: Path) -> dict:
    """Return the form `key` for `region`: the region's own file, else the national one."""
    _part(key, "表单")
    for folder in dict.fromkeys([_part(region, "地区"), NATIONAL]):
        path = Path(forms_root) / folder / f"{key}.json"
        if path.is_file():
            return _parse(path.read_bytes(), f"{folder}/{key}.json")
    raise NotFound(f"表单不存在：{key}")


def _parse(raw: bytes, name: str) -> dict:
    try:
        definition = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InvalidInput(f"表单文件 {name} 不是有效的 UTF-8 JSON：{err}") from err
    if not isinstance(definition, dict):
        raise InvalidInput(f"表单文件 {name} 必须是一个 JSON 对象")
    return definition


def _form_paths(region: str, forms_root: Path) -> dict[str, Path]:
    paths: dict[str, Path] = {}
    for folder in dict.fromkeys([NATIONAL, _part(region, "地区")]):
        directory = Path(forms_root) / folder
        if directory.is_dir():
            paths.update({p.stem: p for p in sorted(directory.glob("*.json")) if p.is_file()})
    return paths


def list_form_keys(region: str, forms_root: Path) -> set[str]:
    """Return every form key the region can use: its own plus the inherited national ones."""
    return set(_form_paths(region, forms_root))


def form_files(region: str, forms_root: Path) -> dict[str, bytes]:
    """Return the region's effective form files, path relative to `forms_root` -> bytes, for a bundle."""
    root = Path(forms_root)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in _form_paths(region, root).values()}


# ------------------------------------------------------------------------------------ checking forms


def check_definition(definition: dict) -> list[str]:
    """Return the problems of a form definition, in Chinese; an empty list means it is usable."""
    if not isinstance(definition, dict):
        return ["表单定义必须是一个 JSON 对象"]
    problems = [f"未知的表单属性：{k}" for k in definition if k not in FORM_KEYS]
    for attr in ("key", "title"):
        if not isinstance(definition.get(attr), str) or not definition[attr].strip():
            problems.append(f"缺少 {attr}")
    if "description" in definition and not isinstance(definition["description"], str):
        problems.append("description 必须是文本")
    if isinstance(definition.get("key"), str) and not _PATH_PART_RE.match(definition["key"]):
        problems.append(f"key 只能包含字母、数字、下划线和连字符：{definition['key']!r}")
    specs = definition.get("fields")
    if not isinstance(specs, list) or not specs:
        return [*problems, "fields 必须是非空列表"]
    by_name: dict[str, dict] = {}
    for index, spec in enumerate(specs):
        where = f"第 {index + 1} 个字段"
        if not isinstance(spec, dict):
            problems.append(f"{where}必须是一个对象")
            continue
        name = spec.get("name")
        if isinstance(name, str):
            where = f"字段 {name}"
            if name in by_name:
                problems.append(f"字段名重复：{name}")
            by_name.setdefault(name, spec)
        problems += [f"{where}：{p}" for p in _check_field(spec)]
    for name, spec in by_name.items():
        problems += [f"字段 {name}：{p}" for p in _check_required_if(spec, by_name)]
    return problems


def _check_field(spec: dict) -> list[str]:
    name, kind = spec.get("name"), spec.get("type")
    if not isinstance(name, str) or not _NAME_RE.match(name) or keyword.iskeyword(name):
        return [f"字段名必须是小写字母开头的小写字母、数字和下划线：{name!r}"]
    problems = []
    if name in RESERVED_NAMES:
        problems.append(f"{name} 是系统保留的变量名")
    if not isinstance(spec.get("label"), str) or not spec["label"].strip():
        problems.append("缺少 label")
    if kind not in TYPE_KEYS:
        return [*problems, f"未知的字段类型：{kind!r}，可用类型：{'、'.join(FIELD_TYPES)}"]
    problems += [f"未知的属性：{k}" for k in spec if k not in COMMON_KEYS | TYPE_KEYS[kind]]
    for attr in ("required", "multiple"):
        if attr in spec and not isinstance(spec[attr], bool):
            problems.append(f"{attr} 必须是 true 或 false")
    for attr in ("help", "placeholder"):
        if attr in spec and not isinstance(spec[attr], str):
            problems.append(f"{attr} 必须是文本")
    problems += _check_type_options(spec)
    if "default" in spec and not problems:
        problems += [f"默认值无效：{m}" for m in _field_errors(spec, spec["default"])]
    return problems


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_type_options(spec: dict) -> list[str]:
    kind, problems = spec["type"], []
    if "max_length" in spec and (not _is_int(spec["max_length"]) or spec["max_length"] < 1):
        problems.append("max_length 必须是正整数")
    for attr in ("min", "max"):
        if attr in spec and not _is_int(spec[attr]):
            problems.append(f"{attr} 必须是整数")
    if _is_int(spec.get("min")) and _is_int(spec.get("max")) and spec["min"] > spec["max"]:
        problems.append("min 不能大于 max")
    if kind in ("choice", "multichoice"):
        problems += _check_choices(spec.get("choices"))
    if "accept" in spec:
        accept = spec["accept"]
        if not isinstance(accept, list) or not accept or not all(_is_extension(a) for a in accept):
            problems.append('accept 必须是扩展名列表，例如 [".pdf", ".jpg"]')
    size = spec.get("max_size_mb")
    if "max_size_mb" in spec and (isinstance(size, bool) or not isinstance(size, (int, float)) or size <= 0):
        problems.append("max_size_mb 必须是正数")
    return problems


def _is_extension(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"\.[A-Za-z0-9]{1,10}", value) is not None


def _check_choices(choices: Any) -> list[str]:
    if not isinstance(choices, list) or not choices:
        return ["选择题必须有 choices"]
    problems, seen = [], set()
    for choice in choices:
        if not isinstance(choice, dict) or set(choice) != {"value", "label"}:
            problems.append("每个选项必须恰好有 value 和 label")
            continue
        if not isinstance(choice["value"], str) or not choice["value"]:
            problems.append(f"选项值必须是非空文本：{choice['value']!r}")
        elif choice["value"] in seen:
            problems.append(f"选项值重复：{choice['value']}")
        else:
            seen.add(choice["value"])
        if not isinstance(choice["label"], str) or not choice["label"].strip():
            problems.append(f"选项 {choice['value']!r} 缺少 label")
    return problems


def _check_required_if(spec: dict, by_name: dict[str, dict]) -> list[str]:
    if "required_if" not in spec:
        return []
    cond = spec["required_if"]
    if not isinstance(cond, dict) or set(cond) != {"field", "equals"}:
        return ['required_if 必须形如 {"field": "字段名", "equals": 值}']
    other = by_name.get(cond["field"]) if isinstance(cond["field"], str) else None
    if other is None or other is spec:
        return [f"required_if 引用的字段不存在：{cond['field']!r}"]
    problems = ["已设为必填，不能再设 required_if"] if spec.get("required") else []
    if other.get("type") in TYPE_KEYS and not _check_type_options(other):
        problems += [f"required_if 的 equals 值无效：{m}" for m in _field_errors(other, cond["equals"])]
    return problems


# -------------------------------------------------------------------------------- submitted values


class _FormField(fields.Field):
    """A field built from one form field spec; subclasses turn input into JSON-native values."""

    default_error_messages = {"required": REQUIRED, "null": REQUIRED, "validator_failed": "无效的值"}

    def __init__(self, spec: dict, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec


class _Text(_FormField):
    default_error_messages = {"invalid": "必须是文本", "too_long": "长度不能超过 {max}"}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        limit = self.spec.get("max_length") or DEFAULT_MAX_LENGTH[self.spec["type"]]
        if len(value) > limit:
            raise self.make_error("too_long", max=limit)
        return value


class _Integer(_FormField):
    default_error_messages = {"invalid": "必须是整数", "too_small": "不能小于 {min}", "too_large": "不能大于 {max}"}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,18}", value.strip()):
            value = int(value)
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        if not _is_int(value):
            raise self.make_error("invalid")
        if "min" in self.spec and value < self.spec["min"]:
            raise self.make_error("too_small", min=self.spec["min"])
        if "max" in self.spec and value > self.spec["max"]:
            raise self.make_error("too_large", max=self.spec["max"])
        return value


class _Boolean(_FormField):
    default_error_messages = {"invalid": "必须是“是”或“否”"}
    truthy = frozenset({"true", "1", "yes", "on"})
    falsy = frozenset({"false", "0", "no", "off"})

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = value.strip().lower() if isinstance(value, str) else None
        if text in self.truthy or (_is_int(value) and value == 1):
            return True
        if text in self.falsy or (_is_int(value) and value == 0):
            return False
        raise self.make_error("invalid")


class _Choice(_FormField):
    default_error_messages = {"invalid_choice": "不是有效的选项"}

    def _values(self) -> list[str]:
        return [c["value"] for c in self.spec["choices"]]

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str) or value not in self._values():
            raise self.make_error("invalid_choice")
        return value


class _MultiChoice(_Choice):
    default_error_messages = {"invalid": "必须是选项列表", "duplicate": "选项重复"}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[str]:
        if not isinstance(value, list):
            raise self.make_error("invalid")
        if any(not isinstance(v, str) or v not in self._values() for v in value):
            raise self.make_error("invalid_choice")
        if len(set(value)) != len(value):
            raise self.make_error("duplicate")
        return list(value)


class _Date(_FormField):
    default_error_messages = {"invalid": "不是有效的日期，格式为 2025-10-01"}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value.isoformat()
        if not isinstance(value, str) or not _DATE_RE.match(value):
            raise self.make_error("invalid")
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise self.make_error("invalid") from None


class _DateTime(_FormField):
    default_error_messages = {
        "invalid": "不是有效的时间，格式为 2025-10-01T09:30:00+08:00",
        "naive": "时间必须带时区，例如 2025-10-01T09:30:00+08:00",
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if isinstance(value, str) and _DATE_RE.match(value[:10]) and len(value) > 10 and value[10] in "T ":
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                raise self.make_error("invalid") from None
        if not isinstance(value, datetime):
            raise self.make_error("invalid")
        if value.tzinfo is None or value.utcoffset() is None:
            raise self.make_error("naive")
        return value.isoformat()


class _File(_FormField):
    default_error_messages = {
        "invalid": '文件引用必须形如 {{"id": ..., "name": ...}}',
        "unknown_key": "文件引用只能包含 id、name、size、content_type",
        "invalid_list": "必须是文件列表",
        "single": "只能上传一个文件",
        "extension": "文件类型只能是 {accept}",
        "too_big": "文件不能超过 {max} MB",
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not self.spec.get("multiple"):
            if isinstance(value, list):
                raise self.make_error("single")
            return self._ref(value)
        if not isinstance(value, list):
            raise self.make_error("invalid_list")
        return [self._ref(item) for item in value]

    def _ref(self, value: Any) -> dict:
        if not isinstance(value, dict):
            raise self.make_error("invalid")
        if set(value) - FILE_REF_KEYS:
            raise self.make_error("unknown_key")
        file_id, name, size = value.get("id"), value.get("name"), value.get("size")
        if not (_is_int(file_id) or (isinstance(file_id, str) and file_id)) or not isinstance(name, str) or not name:
            raise self.make_error("invalid")
        if "size" in value and (not _is_int(size) or size < 0):
            raise self.make_error("invalid")
        if "content_type" in value and not isinstance(value["content_type"], str):
            raise self.make_error("invalid")
        accept = self.spec.get("accept")
        if accept and not name.lower().endswith(tuple(a.lower() for a in accept)):
            raise self.make_error("extension", accept="、".join(accept))
        limit = self.spec.get("max_size_mb")
        if limit and _is_int(size) and size > limit * 1024 * 1024:
            raise self.make_error("too_big", max=limit)
        return dict(value)


FIELD_CLASSES: dict[str, type[_FormField]] = {
    "string": _Text,
    "text": _Text,
    "integer": _Integer,
    "boolean": _Boolean,
    "choice": _Choice,
    "multichoice": _MultiChoice,
    "date": _Date,
    "datetime": _DateTime,
    "file": _File,
}


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or (isinstance(value, str) and not value.strip())


def _field_errors(spec: dict, value: Any) -> list[str]:
    """Return the messages one value gets from the field `spec` (used to check defaults)."""
    try:
        FIELD_CLASSES[spec["type"]](spec).deserialize(value)
    except ValidationError as err:
        return list(err.messages) if isinstance(err.messages, list) else [str(err.messages)]
    return []


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
