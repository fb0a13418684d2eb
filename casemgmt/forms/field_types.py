"""Turn one submitted value into a JSON-native value with the marshmallow field its form field spec names."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from marshmallow import ValidationError, fields

from casemgmt.inputs import BAD_TEXT, MAX_BIGINT, MAX_ID, MAX_YEAR, MIN_YEAR, instant_problem, text_problem

#: max_length when a string or text field states none
DEFAULT_MAX_LENGTH = {"string": 200, "text": 5000}
FILE_REF_KEYS = frozenset({"id", "name", "size", "content_type"})
#: a file reference's name and content type fit the attachments table's columns
MAX_FILE_NAME, MAX_CONTENT_TYPE = 255, 128
REQUIRED = "必填"
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _FormField(fields.Field):
    """A field built from one form field spec; subclasses turn input into JSON-native values."""

    default_error_messages = {"required": REQUIRED, "null": REQUIRED, "validator_failed": "无效的值"}

    def __init__(self, spec: dict, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec


class _Text(_FormField):
    default_error_messages = {"invalid": "必须是文本", "too_long": "长度不能超过 {max}", "characters": BAD_TEXT}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        limit = self.spec.get("max_length") or DEFAULT_MAX_LENGTH[self.spec["type"]]
        if len(value) > limit:
            raise self.make_error("too_long", max=limit)
        if text_problem(value):
            raise self.make_error("characters")
        return value


class _Integer(_FormField):
    default_error_messages = {"invalid": "必须是整数", "too_small": "不能小于 {min}", "too_large": "不能大于 {max}"}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,18}", value.strip()):
            value = int(value)
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        if not _is_int(value) or abs(value) > MAX_BIGINT:
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
            day = date.fromisoformat(value)
        except ValueError:
            raise self.make_error("invalid") from None
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise ValidationError(f"年份必须在 {MIN_YEAR} 到 {MAX_YEAR} 之间")
        return day.isoformat()


class _DateTime(_FormField):
    default_error_messages = {
        "invalid": "不是有效的时间，格式为 2025-10-01T09:30:00+08:00",
        "naive": "时间必须带时区，例如 2025-10-01T09:30:00+08:00",
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if isinstance(value, str) and len(value) > 64:
            raise self.make_error("invalid")
        if isinstance(value, str) and _DATE_RE.match(value[:10]) and len(value) > 10 and value[10] in "T ":
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                raise self.make_error("invalid") from None
        if not isinstance(value, datetime):
            raise self.make_error("invalid")
        if value.tzinfo is None or value.utcoffset() is None:
            raise self.make_error("naive")
        problem = instant_problem(value)
        if problem:
            raise ValidationError(problem)
        return value.isoformat()


class _File(_FormField):
    default_error_messages = {
        "invalid": '文件引用必须形如 {{"id": 附件编号, "name": ...}}',
        "name": "文件名过长或含有控制字符",
        "content_type": "文件类型格式不正确",
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
        if not _is_int(file_id) or not 0 < file_id <= MAX_ID or not isinstance(name, str) or not name:
            raise self.make_error("invalid")
        if len(name) > MAX_FILE_NAME or text_problem(name):
            raise self.make_error("name")
        if "size" in value and (not _is_int(size) or not 0 <= size <= MAX_BIGINT):
            raise self.make_error("invalid")
        content_type = value.get("content_type", "")
        if not isinstance(content_type, str) or len(content_type) > MAX_CONTENT_TYPE or text_problem(content_type):
            raise self.make_error("content_type")
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


def _field_errors(spec: dict, value: Any) -> list[str]:
    """Return the messages one value gets from the field `spec` (used to check defaults)."""
    try:
        FIELD_CLASSES[spec["type"]](spec).deserialize(value)
    except ValidationError as err:
        return list(err.messages) if isinstance(err.messages, list) else [str(err.messages)]
    return []
