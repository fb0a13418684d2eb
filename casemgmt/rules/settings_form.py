"""The rule settings of a bundle (settings.json) as administrators edit them: labelled fields, checked by name.

The settings are versioned with the bundle: a change is deployed as a new version (validated, dry run, with a
reason, audited), and a running case keeps the settings it started with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

MAX_DAYS = 366
#: the bundle's file of rule settings
SETTINGS_FILE = "settings.json"


def dump_settings(settings: dict) -> str:
    """Write rule settings the one way they are hashed and compared."""
    return json.dumps(settings, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


@dataclass(frozen=True)
class SettingField:
    key: str
    label: str
    kind: str  # "days" (0-366), "days_or_form" (days, or empty: the unit fills it in a form), "flag", "text", "lines"
    help: str = ""


FIELDS = (
    SettingField("callback_workdays", "回访核实期限（工作日）", "days", "回访核实任务的截止时间与逾期督办"),
    SettingField("revocation_review_workdays", "撤销审核期限（工作日）", "days"),
    SettingField(
        "rectification_workdays", "限期整改期限（工作日）", "days_or_form", "留空：由承办单位在回访表单中填写"
    ),
    SettingField("extension_max_workdays", "延期上限（工作日）", "days", "0 表示不允许申请延期"),
    SettingField("extension_approval_workdays", "延期审批期限（工作日）", "days"),
    SettingField("consultation_workdays", "会商答复期限（工作日）", "days", "自发起会商起算"),
    SettingField("consultation_reply_workdays", "各部门会商意见期限（工作日）", "days"),
    SettingField("consultation_answers_evaluator", "会商结论直接答复评价人", "flag", "否：会商后由承办单位反馈"),
    SettingField("appeal_window_workdays", "申诉期（工作日）", "days", "0 表示不设申诉期"),
    SettingField("appeal_review_workdays", "申诉复核期限（工作日）", "days"),
    SettingField("feedback_workdays", "反馈评价人期限（工作日）", "days"),
    SettingField("feedback_notice", "告知评价人的短信内容", "text", "可用 {case_no}；留空用默认内容"),
    SettingField("bad_review_requires_reason", "差评须勾选或填写原因", "flag", "西安市第八条"),
    SettingField("preset_reasons", "评价原因选项", "lines", "每行一个原因；留空用国家标准（GB/T 39734）默认原因"),
    SettingField("sub_ratings", "分项评价", "lines", "每行一项：代码=名称，如 attitude=服务态度；留空不设分项"),
)
BY_KEY = {f.key: f for f in FIELDS}


def label_of(key: str) -> str:
    """Return a setting's Chinese label (the key itself for one the form does not know)."""
    field = BY_KEY.get(key)
    return field.label if field else key


def parse(values: dict[str, object], current: dict) -> tuple[dict, dict[str, str]]:
    """Read submitted values over the current settings; return the settings and problems by key, in Chinese."""
    settings, problems = dict(current), {}
    for field in FIELDS:
        if field.key not in values:
            continue
        raw = values[field.key]
        text = raw.strip() if isinstance(raw, str) else raw
        if field.kind == "flag":
            settings[field.key] = text in (True, "true", "on", "1", "yes")
        elif field.kind in ("text", "lines"):
            settings[field.key] = text or None
        elif field.kind == "days_or_form" and text in ("", None):
            settings[field.key] = None
        else:
            number = _days(text)
            if number is None:
                problems[field.key] = f"{field.label}：必须是 0 到 {MAX_DAYS} 之间的整数，而不是 {raw!r}"
                settings[field.key] = raw
            else:
                settings[field.key] = number
    return settings, problems


def _days(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isdigit():
        number = int(value)
    else:
        return None
    return number if 0 <= number <= MAX_DAYS else None


def changes(old: dict, new: dict) -> list[dict]:
    """Return the settings that differ, labelled, in form order."""
    keys = [f.key for f in FIELDS] + sorted((set(old) | set(new)) - set(BY_KEY))
    return [
        {"key": key, "label": label_of(key), "old": old.get(key), "new": new.get(key)}
        for key in keys
        if old.get(key) != new.get(key)
    ]


def settings_file(settings: dict) -> dict[str, str]:
    """Return the settings as the bundle file that carries them."""
    return {SETTINGS_FILE: dump_settings(settings)}
