"""Every input is stored clean or refused with a 400 naming the field; nothing stored breaks a page or export later.

The refusals are the probe's hand-made 500s; the last test stores the worst input that is accepted and then
renders every page and export of the region as each role.
"""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from casemgmt.inputs import json_depth_exceeds, strict_int, string_details
from casemgmt.xlsx import cell as _cell
from tests.regions.helpers import attach
from tests.web.flows import CALLBACK, only_task
from tests.web.ui.conftest import ui  # noqa: F401 - a fixture, used by name


def _refused(response, field: str) -> None:
    assert response.status_code == 400, (response.status_code, response.get_data(as_text=True)[:300])
    details = response.get_json()["details"]
    assert any(key == field or key.startswith(field + ".") for key in details), details


def _post_raw(api, path: str, user: str, body: bytes):
    return api.call("POST", path, user, data=body, content_type="application/json")


def test_json_nested_past_the_limit_is_refused_before_parsing(api):
    deep = b"[" * 1000 + b"]" * 1000
    _refused(_post_raw(api, "/api/v1/evaluations", "ln-channel", deep), "_body")
    assert json_depth_exceeds(b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}') is False  # brackets in a string


@pytest.mark.parametrize(
    "instant",
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1899-12-31T23:00:00+08:00", "2025-01-01T00:00+15:00"],
)
def test_instants_outside_1900_to_2100_or_past_14_hours_offset_are_400(api, instant):
    _refused(api.post("/api/v1/evaluations", "ln-channel", json=api.evaluation(evaluated_at=instant)), "evaluated_at")


@pytest.mark.parametrize(
    ("field", "value"),
    [("comment", "a\x00b"), ("comment", "a\ud800b"), ("comment", "bell\x07"), ("record_no", "R\x1b[31m")],
)
def test_control_characters_nul_and_lone_surrogates_are_400_naming_the_field(api, field, value):
    body = json.dumps(api.evaluation(**{field: value})).encode()  # a lone surrogate travels escaped
    _refused(_post_raw(api, "/api/v1/evaluations", "ln-channel", body), field)


def test_tabs_and_newlines_in_free_text_are_kept(api):
    created = api.post("/api/v1/evaluations", "ln-channel", json=api.evaluation(comment="第一行\r\n\t第二行"))
    assert created.status_code == 201
    assert api.get(f"/api/v1/cases/{created.get_json()['case_id']}", "ln-auditor").status_code == 200


def test_non_object_bodies_are_400_on_every_json_endpoint(api):
    case_id = api.bad_review()["case_id"]
    task = only_task(api, case_id, "ln-officer")
    for body in (b"[]", b'"x"', b"1", b"null", b"{", b"\xff"):
        _refused(_post_raw(api, f"/api/v1/tasks/{task['id']}/release", "ln-officer", body), "_body")
        _refused(_post_raw(api, f"/api/v1/tasks/{task['id']}/complete", "ln-officer", body), "_body")
        _refused(_post_raw(api, "/api/v1/evaluations", "ln-channel", body), "_body")


def test_integers_past_the_column_range_are_400(api):
    too_big = api.evaluation(evaluator={"name": "张三", "phone": "13812341234", "real_name": True})
    too_big["extra"] = 2**70
    _refused(api.post("/api/v1/evaluations", "ln-channel", json=too_big), "extra")
    migrate = api.post("/api/v1/admin/liaoning/migration", "ln-admin", json={"to": 2**70, "cases": [1]})
    assert migrate.status_code == 400


@pytest.mark.parametrize("query", ["limit=²", "limit=１", "limit=99999999999999999999", "cursor=2025-10-01T00:00|1"])
def test_strict_digits_and_an_aware_cursor_on_the_inbox(api, query):
    _refused(api.get(f"/api/v1/tasks?{query}", "ln-officer"), query.split("=")[0])


def test_strict_ints_take_ascii_digits_only():
    assert strict_int("12") == 12 and strict_int("²") is None and strict_int("١") is None and strict_int("-1") is None
    assert strict_int(str(2**31)) is None


def test_error_details_with_mixed_key_types_are_answered():
    assert string_details({0: ["x"], "name": {1: ["y"]}}) == {"0": ["x"], "name": {"1": ["y"]}}


def test_file_references_must_name_an_attachment_of_the_same_case(api):
    case_id = api.bad_review()["case_id"]
    other = api.bad_review(record_no="LN-OTHER")["case_id"]
    task = only_task(api, case_id, "ln-officer")
    form = {**CALLBACK, "outcome": "explanation"}
    for ref in ({"id": "f-1", "name": "a.pdf"}, attach(other), {"id": 999_999, "name": "a.pdf"}):
        refused = api.post(
            f"/api/v1/tasks/{task['id']}/complete", "ln-officer", json={"data": {**form, "evidence": [ref]}}
        )
        _refused(refused, "evidence")
    ok = api.post(
        f"/api/v1/tasks/{task['id']}/complete", "ln-officer", json={"data": {**form, "evidence": [attach(case_id)]}}
    )
    assert ok.status_code == 200, ok.get_json()


def test_control_characters_cannot_break_an_xlsx_cell():
    assert _cell("理由\x01\x0b\ud800") == "理由"
    assert _cell("=HYPERLINK()") == "'=HYPERLINK()"


#: the worst of the fuzz corpus that is still valid input: every kind of text at its longest
WORST = "<script>alert(1)</script>'\"&{{7*7}}${x}%s\u202e\u200b😀𠀀\t\r\n=cmd|' /C calc'!A0 "


def test_the_worst_accepted_input_renders_every_page_and_export_of_the_region(api, ui, clock):  # noqa: F811
    clock.set("2025-09-26T10:00:00+08:00")
    worst = api.evaluation(
        record_no=("=" + WORST)[:64],
        comment=(WORST * 40)[:2000],
        reasons=[(f"{n}" + WORST * 5)[:200] for n in range(20)],
        evaluator={"name": WORST[:128], "phone": "", "real_name": True},
        staff_no=WORST[:64],
        evaluated_at="1900-01-01T00:00:00+14:00",
    )
    created = api.post("/api/v1/evaluations", "ln-channel", json=worst)
    assert created.status_code == 201, created.get_json()
    case_id = created.get_json()["case_id"]
    task = only_task(api, case_id, "ln-officer")
    facts = {
        **CALLBACK,
        "facts": (WORST * 20)[:5000],
        "outcome": "explanation",
        "evidence": [attach(case_id, "=😀.pdf")],
    }
    done = api.post(f"/api/v1/tasks/{task['id']}/complete", "ln-officer", json={"data": facts})
    assert done.status_code == 200, done.get_json()
    errors = []
    pages = [
        f"/cases/{case_id}",
        f"/tasks/{task['id']}",
        f"/cases/{case_id}/diagram.bpmn",
        "/inbox",
        "/inbox?view=team",
        "/inbox?view=done",
        "/audit/cases",
        f"/audit/cases?q={WORST[:40]}",
        "/audit/cases.xlsx",
        "/admin/",
        "/admin/liaoning/",
        "/admin/liaoning/versions",
        "/admin/liaoning/migration",
        "/admin/liaoning/calendar",
        "/admin/liaoning/forms",
    ]
    for role in ("officer", "supervisor", "coordinator", "admin", "auditor"):
        browser = ui(f"ln-{role}")
        for path in pages:
            response = browser.get(path)
            if response.status_code >= 500:
                errors.append((role, path, response.status_code))
            if path.endswith(".xlsx") and response.status_code == 200:
                load_workbook(io.BytesIO(response.data))
        for path in (f"/api/v1/cases/{case_id}", f"/api/v1/cases/{case_id}/history", "/api/v1/tasks?view=done"):
            if api.get(path, f"ln-{role}").status_code >= 500:
                errors.append((role, path))
    assert errors == []


def test_page_forms_refuse_control_characters_naming_the_field(api, ui):  # noqa: F811
    case_id = api.bad_review()["case_id"]
    officer = ui("ln-officer")
    officer.get(f"/cases/{case_id}")
    for body in ("a\x00b", "bell\x07"):
        refused = officer.post(f"/cases/{case_id}/comments", {"body": body})
        assert refused.status_code == 400 and "body" in refused.text
    assert officer.post(f"/cases/{case_id}/comments", {"body": "第一行\r\n第二行"}).status_code == 302
    assert officer.get("/audit/cases?q=%00").status_code in (400, 403)
