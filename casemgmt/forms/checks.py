"""Check a form definition at deploy: form attributes, field names, types, options and required_if."""

from __future__ import annotations

import keyword
import re
from typing import Any

from casemgmt.forms.definitions import _PATH_PART_RE
from casemgmt.forms.field_types import _field_errors, _is_int

FIELD_TYPES = ("string", "text", "integer", "boolean", "choice", "multichoice", "date", "datetime", "file")
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
COMMON_KEYS = frozenset(
    {"name", "label", "type", "required", "required_if", "only_without_setting", "help", "placeholder", "default"}
)
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
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def check_definition(definition: dict, settings: dict | None = None) -> list[str]:
    """Return the problems of a form definition, in Chinese; an empty list means it is usable. With the
    bundle's settings, a field's `only_without_setting` must name one of them."""
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
        problems += [f"{where}：{p}" for p in _check_setting_condition(spec, settings)]
    for name, spec in by_name.items():
        problems += [f"字段 {name}：{p}" for p in _check_required_if(spec, by_name)]
    return problems


def _check_setting_condition(spec: dict, settings: dict | None) -> list[str]:
    if "only_without_setting" not in spec:
        return []
    name = spec["only_without_setting"]
    if not isinstance(name, str) or not name:
        return ["only_without_setting 必须是一个设置项的名称"]
    if settings is not None and name not in settings:
        return [f"only_without_setting 引用的设置项不存在：{name!r}"]
    return []


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
