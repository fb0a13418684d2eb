"""Form definitions: the national files, regional override, deploy-time checks and validation of submissions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from casemgmt import forms
from casemgmt.errors import FormInvalid, InvalidInput, NotFound
from casemgmt.forms import check_definition, form_files, list_form_keys, load_form, validate_form

FORMS = Path(__file__).resolve().parents[2] / "forms"
NATIONAL_KEYS = sorted(p.stem for p in (FORMS / "national").glob("*.json"))
CJK = re.compile(r"[\u4e00-\u9fff]")


def _form(*fields: dict, key: str = "sample") -> dict:
    return {"key": key, "title": "示例", "fields": list(fields)}


def _errors(definition: dict, data: object) -> dict[str, list[str]]:
    with pytest.raises(FormInvalid) as caught:
        validate_form(definition, data)
    assert caught.value.message == "表单校验失败"
    return caught.value.details


@pytest.fixture
def forms_root(tmp_path: Path) -> Path:
    for region, key, title in [
        ("national", "feedback", "反馈评价人"),
        ("national", "supervision", "督办"),
        ("sanming", "feedback", "反馈评价人（三明）"),
        ("sanming", "consultation", "会商"),
    ]:
        (tmp_path / region).mkdir(exist_ok=True)
        definition = _form({"name": "note", "label": "说明", "type": "text"}, key=key) | {"title": title}
        (tmp_path / region / f"{key}.json").write_text(json.dumps(definition, ensure_ascii=False), "utf-8")
    return tmp_path


# ----------------------------------------------------------------------------------------- the files


def test_the_national_forms_are_the_ones_the_diagram_uses():
    used = {
        key
        for path in (FORMS.parent / "bpmn" / "national").glob("*.bpmn")
        for key in re.findall(r'camunda:formKey="([^"]+)"', path.read_text("utf-8"))
    }
    api_forms = {"appeal_request", "extension_request"}  # filled through the casework API, not a user task
    assert NATIONAL_KEYS == sorted(used | api_forms)


@pytest.mark.parametrize("key", NATIONAL_KEYS)
def test_every_national_form_passes_the_deploy_check_and_speaks_chinese(key):
    definition = load_form(key, "national", FORMS)
    assert check_definition(definition) == []
    assert definition["key"] == key
    assert CJK.search(definition["title"])
    for field in definition["fields"]:
        assert CJK.search(field["label"]), field["name"]
        for choice in field.get("choices", []):
            assert CJK.search(choice["label"]), choice["value"]


def test_a_region_file_beats_the_national_one(forms_root):
    assert load_form("feedback", "sanming", forms_root)["title"] == "反馈评价人（三明）"
    assert load_form("feedback", "liaoning", forms_root)["title"] == "反馈评价人"
    assert load_form("supervision", "sanming", forms_root)["title"] == "督办"


def test_a_region_sees_its_own_forms_and_the_inherited_national_ones(forms_root):
    assert list_form_keys("sanming", forms_root) == {"feedback", "supervision", "consultation"}
    assert list_form_keys("national", forms_root) == {"feedback", "supervision"}
    assert list_form_keys("liaoning", forms_root) == {"feedback", "supervision"}


def test_a_bundle_gets_the_files_in_force_for_the_region(forms_root):
    files = form_files("sanming", forms_root)
    assert set(files) == {"sanming/feedback.json", "national/supervision.json", "sanming/consultation.json"}
    assert files["sanming/feedback.json"] == (forms_root / "sanming" / "feedback.json").read_bytes()


def test_an_unknown_form_or_a_path_trick_is_not_found(forms_root):
    for key, region in [("missing", "sanming"), ("../sanming/feedback", "national"), ("feedback", "../national")]:
        with pytest.raises(NotFound):
            load_form(key, region, forms_root)


def test_a_broken_file_is_reported_with_its_name(forms_root):
    (forms_root / "national" / "broken.json").write_text("{not json", "utf-8")
    with pytest.raises(InvalidInput, match="national/broken.json"):
        load_form("broken", "national", forms_root)


# ------------------------------------------------------------------------------------ deploy checks


@pytest.mark.parametrize(
    "field, problem",
    [
        ({"name": "x", "label": "甲", "type": "decimal"}, "未知的字段类型"),
        ({"name": "x", "label": "甲", "type": "choice"}, "必须有 choices"),
        ({"name": "x", "label": "甲", "type": "choice", "choices": []}, "必须有 choices"),
        ({"name": "x", "label": "甲", "type": "choice", "choices": [{"value": "a"}]}, "value 和 label"),
        ({"name": "x", "label": "甲", "type": "text", "requried": True}, "未知的属性：requried"),
        ({"name": "x", "label": "甲", "type": "text", "max_length": 0}, "max_length"),
        ({"name": "x", "label": "甲", "type": "integer", "min": 5, "max": 1}, "min 不能大于 max"),
        ({"name": "x", "label": "甲", "type": "integer", "default": "many"}, "默认值无效"),
        ({"name": "x", "label": "甲", "type": "file", "accept": ["pdf"]}, "accept"),
        ({"name": "Bad-Name", "label": "甲", "type": "text"}, "字段名"),
        ({"name": "_secret", "label": "甲", "type": "text"}, "字段名"),
        ({"name": "lambda", "label": "甲", "type": "text"}, "字段名"),
        ({"name": "handling_org", "label": "甲", "type": "text"}, "保留"),
        ({"name": "workdays", "label": "甲", "type": "text"}, "保留"),
        ({"name": "x", "type": "text"}, "缺少 label"),
        ({"name": "x", "label": "甲", "type": "text", "required": "yes"}, "required"),
        (
            {"name": "x", "label": "甲", "type": "text", "required_if": {"field": "nope", "equals": 1}},
            "引用的字段不存在",
        ),
    ],
)
def test_a_bad_field_is_refused_with_a_message(field, problem):
    problems = check_definition(_form(field))
    assert any(problem in p for p in problems), problems


def test_duplicate_names_and_choice_values_are_refused():
    choices = [{"value": "a", "label": "甲"}, {"value": "a", "label": "乙"}]
    problems = check_definition(
        _form(
            {"name": "x", "label": "甲", "type": "text"},
            {"name": "x", "label": "乙", "type": "choice", "choices": choices},
        )
    )
    assert "字段名重复：x" in problems
    assert any("选项值重复：a" in p for p in problems)


def test_a_required_if_value_must_be_one_the_other_field_can_take():
    definition = _form(
        {"name": "ok", "label": "同意", "type": "boolean"},
        {"name": "why", "label": "理由", "type": "text", "required_if": {"field": "ok", "equals": "maybe"}},
    )
    assert any("equals" in p for p in check_definition(definition))


def test_a_form_without_fields_or_key_is_refused():
    assert check_definition([]) == ["表单定义必须是一个 JSON 对象"]
    problems = check_definition({"title": "示例", "fields": [], "colour": "red"})
    assert set(problems) == {"未知的表单属性：colour", "缺少 key", "fields 必须是非空列表"}


def test_validating_against_a_broken_definition_is_an_error_not_a_pass():
    with pytest.raises(InvalidInput) as caught:
        validate_form(_form({"name": "x", "label": "甲", "type": "decimal"}), {"x": 1})
    assert not isinstance(caught.value, FormInvalid)


# ------------------------------------------------------------------------------------ submissions

CALLBACK = load_form("callback_verification", "national", FORMS)
VALID_CALLBACK = {
    "callback_result": "reached",
    "callback_at": "2025-10-09T10:00:00+08:00",
    "facts": "属实。",
    "outcome": "ledger",
}


def test_a_valid_submission_comes_back_with_every_field_json_native():
    cleaned = validate_form(CALLBACK, {**VALID_CALLBACK, "facts": "  属实。\n"})
    assert cleaned == {**VALID_CALLBACK, "evidence": []}
    assert json.loads(json.dumps(cleaned)) == cleaned


def test_missing_and_blank_required_fields_are_reported_in_chinese():
    errors = _errors(CALLBACK, {"callback_result": "reached", "facts": "   ", "outcome": None})
    assert errors == {"callback_at": ["必填"], "facts": ["必填"], "outcome": ["必填"]}


def test_a_value_outside_the_choices_is_refused():
    assert _errors(CALLBACK, {**VALID_CALLBACK, "outcome": "valid"}) == {"outcome": ["不是有效的选项"]}
    assert _errors(CALLBACK, {**VALID_CALLBACK, "outcome": ["ledger"]}) == {"outcome": ["不是有效的选项"]}


def test_text_longer_than_its_limit_is_refused():
    assert _errors(CALLBACK, {**VALID_CALLBACK, "facts": "长" * 2001}) == {"facts": ["长度不能超过 2000"]}
    assert validate_form(CALLBACK, {**VALID_CALLBACK, "facts": "长" * 2000})["facts"] == "长" * 2000


def test_an_unknown_field_is_refused_not_dropped():
    errors = _errors(CALLBACK, {**VALID_CALLBACK, "handling_org": "other-unit", "Outcome": "ledger"})
    assert errors == {"handling_org": ["表单中没有这一项"], "Outcome": ["表单中没有这一项"]}


def test_a_submission_that_is_not_an_object_is_refused():
    assert _errors(CALLBACK, ["reached"]) == {"_schema": ["表单数据必须是对象"]}


@pytest.mark.parametrize(
    "given, stored",
    [
        ("2025-10-09T10:00:00+08:00", "2025-10-09T10:00:00+08:00"),
        ("2025-10-09T02:00:00Z", "2025-10-09T02:00:00+00:00"),
        ("2025-10-09 10:00+08:00", "2025-10-09T10:00:00+08:00"),
        ("2025-10-09T10:00:00.250+08:00", "2025-10-09T10:00:00.250000+08:00"),
    ],
)
def test_a_datetime_keeps_its_offset(given, stored):
    assert validate_form(CALLBACK, {**VALID_CALLBACK, "callback_at": given})["callback_at"] == stored


@pytest.mark.parametrize("given", ["2025-10-09T10:00:00", "2025-10-09"])
def test_a_datetime_without_offset_is_refused(given):
    [message] = _errors(CALLBACK, {**VALID_CALLBACK, "callback_at": given})["callback_at"]
    assert "时区" in message or "不是有效的时间" in message


@pytest.mark.parametrize("given", ["yesterday", "2025-13-01T10:00:00+08:00", 1760000000])
def test_a_datetime_that_is_not_one_is_refused(given):
    assert _errors(CALLBACK, {**VALID_CALLBACK, "callback_at": given})["callback_at"] == [
        "不是有效的时间，格式为 2025-10-01T09:30:00+08:00"
    ]


DATED = _form({"name": "on", "label": "日期", "type": "date", "required": True})


def test_a_date_is_stored_as_an_iso_string():
    assert validate_form(DATED, {"on": "2025-10-09"}) == {"on": "2025-10-09"}


@pytest.mark.parametrize("given", ["2025-02-30", "20251009", "2025-10-09T10:00:00+08:00", "10/09/2025", 20251009])
def test_a_date_that_is_not_a_plain_iso_date_is_refused(given):
    assert _errors(DATED, {"on": given}) == {"on": ["不是有效的日期，格式为 2025-10-01"]}


REVOCATION = load_form("revocation_review", "national", FORMS)
RECTIFICATION = load_form("rectification", "national", FORMS)


def test_required_if_applies_only_when_the_other_field_has_the_value():
    assert _errors(REVOCATION, {"approved": True, "opinion": "证据充分。"}) == {"reported_to": ["必填"]}
    refused = validate_form(REVOCATION, {"approved": "false", "opinion": "证据不足。"})
    assert refused == {"approved": False, "opinion": "证据不足。", "reported_to": []}


def test_a_rectification_needs_a_date_when_done_and_reasons_when_not():
    base = {"rectification_measures": "优化叫号。"}
    assert _errors(RECTIFICATION, {**base, "rectified": True}) == {"rectified_at": ["必填"]}
    assert _errors(RECTIFICATION, {**base, "rectified": False}) == {"delay_reason": ["必填"]}
    late = validate_form(RECTIFICATION, {**base, "rectified": False, "delay_reason": "需采购设备。"})
    assert late["rectified_at"] is None and late["delay_reason"] == "需采购设备。"


def test_required_if_and_field_errors_are_reported_together():
    errors = _errors(REVOCATION, {"approved": True, "opinion": "", "reported_to": []})
    assert errors == {"opinion": ["必填"], "reported_to": ["必填"]}


def test_multichoice_takes_listed_values_once_each():
    data = {"approved": True, "opinion": "同意。"}
    assert validate_form(REVOCATION, {**data, "reported_to": ["efficiency_office"]})["reported_to"] == [
        "efficiency_office"
    ]
    assert _errors(REVOCATION, {**data, "reported_to": ["reform_office", "reform_office"]}) == {
        "reported_to": ["选项重复"]
    }
    assert _errors(REVOCATION, {**data, "reported_to": ["mayor"]}) == {"reported_to": ["不是有效的选项"]}
    assert _errors(REVOCATION, {**data, "reported_to": "reform_office"}) == {"reported_to": ["必须是选项列表"]}


@pytest.mark.parametrize("given, stored", [(True, True), ("true", True), ("on", True), ("0", False), (0, False)])
def test_booleans_accept_what_forms_post(given, stored):
    assert (
        validate_form(REVOCATION, {"approved": given, "opinion": "意见。", "reported_to": ["reform_office"]})[
            "approved"
        ]
        is stored
    )


def test_a_boolean_that_is_not_one_is_refused():
    assert _errors(REVOCATION, {"approved": "maybe", "opinion": "意见。"}) == {"approved": ["必须是“是”或“否”"]}


COUNTED = _form({"name": "visits", "label": "回访次数", "type": "integer", "min": 1, "max": 5, "default": 1})


@pytest.mark.parametrize("given, stored", [(3, 3), ("4", 4), (2.0, 2), (None, 1), ("", 1)])
def test_integers_are_stored_as_integers_and_defaults_fill_blanks(given, stored):
    assert validate_form(COUNTED, {"visits": given}) == {"visits": stored}
    assert validate_form(COUNTED, {}) == {"visits": 1}


@pytest.mark.parametrize(
    "given, message",
    [(0, "不能小于 1"), (6, "不能大于 5"), (2.5, "必须是整数"), (True, "必须是整数"), ("3x", "必须是整数")],
)
def test_integers_out_of_range_or_not_whole_are_refused(given, message):
    assert _errors(COUNTED, {"visits": given}) == {"visits": [message]}


def test_file_references_are_checked_for_shape_type_and_size():
    ok = {"id": 7, "name": "记录.PDF", "size": 1024}
    assert validate_form(CALLBACK, {**VALID_CALLBACK, "evidence": [ok]})["evidence"] == [ok]
    cases = [
        ([{"id": 7}], "文件引用必须形如"),
        ([{"id": 7, "name": "a.pdf", "path": "/etc/passwd"}], "只能包含"),
        ([{"id": 7, "name": "a.exe"}], "文件类型只能是"),
        ([{"id": 7, "name": "a.pdf", "size": 11 * 1024 * 1024}], "不能超过 10 MB"),
        ({"id": 7, "name": "a.pdf"}, "必须是文件列表"),
        ([{"id": "f-1", "name": "a.pdf"}], "文件引用必须形如"),  # an attachment's id is its number
        ([{"id": 2**31, "name": "a.pdf"}], "文件引用必须形如"),
        ([{"id": 7, "name": "a" * 5_000_000 + ".pdf"}], "文件名过长"),
        ([{"id": 7, "name": "a\x00.pdf"}], "控制字符"),
        ([{"id": 7, "name": "a.pdf", "content_type": "x" * 5_000_000}], "文件类型格式不正确"),
    ]
    for evidence, message in cases:
        [error] = _errors(CALLBACK, {**VALID_CALLBACK, "evidence": evidence})["evidence"]
        assert message in error, evidence


def test_a_single_file_field_takes_one_reference():
    single = _form({"name": "scan", "label": "扫描件", "type": "file", "required": True})
    assert validate_form(single, {"scan": {"id": 7, "name": "a.png"}}) == {"scan": {"id": 7, "name": "a.png"}}
    assert _errors(single, {"scan": [{"id": 7, "name": "a.png"}]}) == {"scan": ["只能上传一个文件"]}


def test_string_fields_default_to_two_hundred_characters():
    short = _form({"name": "phone_note", "label": "备注", "type": "string"})
    assert _errors(short, {"phone_note": "字" * 201}) == {"phone_note": ["长度不能超过 200"]}
    assert validate_form(short, {}) == {"phone_note": None}


def test_schemas_are_cached_per_definition_content():
    definition = _form({"name": "note", "label": "说明", "type": "text", "max_length": 5})
    first, _ = forms._schema_for(definition)
    assert forms._schema_for(json.loads(json.dumps(definition)))[0] is first
    definition["fields"][0]["max_length"] = 10
    assert forms._schema_for(definition)[0] is not first
    assert validate_form(definition, {"note": "十个字十个字十个字十"}) == {"note": "十个字十个字十个字十"}
