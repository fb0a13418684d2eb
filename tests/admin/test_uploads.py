"""Uploads through the admin endpoints: a hostile corpus is refused with messages naming file and element,
oversized files get 413, and a diagram exported by the desktop Camunda Modeler 5 is accepted and runs."""

import io
from pathlib import Path

import pytest

from casemgmt.db import db
from casemgmt.models import ProcessDefinition
from tests.admin.edits import active, file_with, set_attribute, url, use_national_rules


@pytest.fixture(autouse=True)
def national(api) -> dict:
    """The region runs the national template, so these tests do not depend on its own pack."""
    return use_national_rules(api)


MODELER = Path(__file__).parent / "modeler" / "bad_review.bpmn"
MIB = 1024 * 1024


def _main(api, element: str = "Task_Callback") -> tuple[str, str]:
    """Return the name and text of the library file that defines an element."""
    files = active(api)["files"]
    name = file_with(files, element)
    return name, files[name]


def _flow_condition(text: str, condition: str) -> str:
    """Give the revocation flow a condition of our choosing."""
    start = text.index('<bpmn:sequenceFlow id="Flow_Outcome_Revocation"')
    end = text.index("</bpmn:sequenceFlow>", start)
    head = text[start:end]
    cut = head.index("<bpmn:conditionExpression")
    replaced = head[:cut] + f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}'
    closing = head.index("</bpmn:conditionExpression>")
    return text[:start] + replaced + head[closing:] + text[end:]


def _doctype(entity: str) -> callable:
    return lambda t: t.replace(
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE bpmn:definitions [{entity}]>\n',
    )


CALLBACK_TIMER = ">workdays(settings['callback_workdays'])</bpmn:timeDate>"
#: the element whose file a hostile edit changes, where it is not the element the problem names
EDITED = {"script_task": "Task_NotifyUnit", "duplicate_ids": "Gateway_Revoked"}
LAUGHS = '<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
HOSTILE = {
    "condition_subclasses": (
        lambda t: _flow_condition(t, "().__class__.__base__.__subclasses__()"),
        "Flow_Outcome_Revocation",
        "expression_refused",
    ),
    "condition_import": (
        lambda t: _flow_condition(t, "__import__('os').system('id') == 0"),
        "Flow_Outcome_Revocation",
        "expression_refused",
    ),
    "timer_globals": (
        lambda t: t.replace(CALLBACK_TIMER, ">workdays.__globals__</bpmn:timeDate>", 1),
        "Timer_CallbackOverdue",
        "expression_refused",
    ),
    "timer_not_a_deadline": (
        lambda t: t.replace(CALLBACK_TIMER, ">3</bpmn:timeDate>", 1),
        "Timer_CallbackOverdue",
        "timer",
    ),
    "due_date_escape": (
        lambda t: set_attribute(t, "Task_Callback", "camunda:dueDate", "${[c for c in ().__class__.__mro__]}"),
        "Task_Callback",
        "expression_refused",
    ),
    "due_date_out_of_range": (
        lambda t: set_attribute(t, "Task_Callback", "camunda:dueDate", "${workdays(400)}"),
        "Task_Callback",
        "due_date",
    ),
    "entity_expansion": (_doctype(LAUGHS), None, "doctype"),
    "xxe": (_doctype('<!ENTITY xxe SYSTEM "file:///etc/passwd">'), None, "doctype"),
    "duplicate_ids": (
        lambda t: t.replace('id="Gateway_Revoked"', 'id="Gateway_Outcome"', 1),
        "Gateway_Outcome",
        "duplicate_id",
    ),
    "script_task": (
        lambda t: t.replace(
            '<bpmn:serviceTask id="Task_NotifyUnit"',
            '<bpmn:scriptTask id="Task_Script" '
            'scriptFormat="python"><bpmn:script>import os</bpmn:script></bpmn:scriptTask>'
            '<bpmn:serviceTask id="Task_NotifyUnit"',
            1,
        ),
        "Task_Script",
        "script_refused",
    ),
    "unknown_operation": (
        lambda t: set_attribute(t, "Task_NotifyUnit", "camunda:topic", "drop_tables"),
        "Task_NotifyUnit",
        "service_task",
    ),
    "unknown_form": (
        lambda t: set_attribute(t, "Task_Callback", "camunda:formKey", "no_such_form"),
        "Task_Callback",
        "form_key",
    ),
    "no_role": (
        lambda t: t.replace(
            ' camunda:candidateGroups="officer" camunda:dueDate="${workdays(settings[\'callback_workdays\'])}"',
            " camunda:dueDate=\"${workdays(settings['callback_workdays'])}\"",
            1,
        ),
        "Task_Callback",
        "role",
    ),
    "schema_violation": (
        lambda t: set_attribute(t, "Timer_CallbackOverdue", "cancelActivity", "sometimes"),
        "Timer_CallbackOverdue",
        "bpmn_schema",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_diagram_is_refused_naming_the_element_and_nothing_is_deployed(api, case):
    edit, element, code = HOSTILE[case]
    name, text = _main(api, EDITED.get(case) or element or "Task_Callback")
    hostile = edit(text)
    assert hostile != text
    versions = db.session.query(ProcessDefinition).count()
    checked = api.post(url("liaoning", "/validate"), "ln-admin", json={"files": {name: hostile}})
    assert checked.status_code == 200, checked.get_json()
    body = checked.get_json()
    assert body["valid"] is False
    assert (name, element, code) in {(p["file"], p["element"], p.get("code")) for p in body["problems"]}, body
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in p["message"]) for p in body["problems"])
    refused = api.post(url("liaoning", "/deploy"), "ln-admin", json={"files": {name: hostile}, "comment": "试试"})
    assert refused.status_code == 422 and refused.get_json()["details"]
    assert db.session.query(ProcessDefinition).count() == versions


def test_a_hostile_dry_run_is_refused_before_anything_runs(api):
    name, text = _main(api, "Flow_Outcome_Revocation")
    hostile = _flow_condition(text, "__import__('os').system('touch /tmp/zg-pwned') == 0")
    response = api.post(url("liaoning", "/dry-run"), "ln-admin", json={"files": {name: hostile}})
    assert response.status_code == 422
    assert not Path("/tmp/zg-pwned").exists()


def test_a_file_over_two_mebibytes_is_413_as_json_and_as_multipart(api):
    name, text = _main(api)
    padded = text.replace("</bpmn:definitions>", "<!--" + "x" * (3 * MIB) + "--></bpmn:definitions>")
    response = api.post(url("liaoning", "/validate"), "ln-admin", json={"files": {name: padded}})
    assert response.status_code == 413 and name in response.get_json()["message"]
    upload = {"files": (io.BytesIO(padded.encode()), name)}
    response = api.call("POST", url("liaoning", "/deploy"), "ln-admin", data={**upload, "comment": "大文件"})
    assert response.status_code == 413 and "2 MiB" in response.get_json()["message"]


def test_a_request_over_the_body_limit_is_413(api):
    response = api.post(url("liaoning", "/validate"), "ln-admin", json={"files": {"a.bpmn": "x" * (21 * MIB)}})
    assert response.status_code == 413


@pytest.mark.parametrize("name", ["../../etc/passwd.bpmn", "forms/../x.json", "evil.py", "a b.bpmn"])
def test_file_names_outside_the_pattern_are_400(api, name):
    response = api.post(url("liaoning", "/validate"), "ln-admin", json={"files": {name: "<x/>"}})
    assert response.status_code == 400 and name in response.get_json()["details"]["files"]


def test_a_non_utf8_upload_and_a_non_json_body_are_400(api):
    upload = {"files": (io.BytesIO("<?xml version='1.0'?>\n<a>中</a>".encode("gb18030")), "bad_review.bpmn")}
    response = api.call("POST", url("liaoning", "/validate"), "ln-admin", data=upload)
    assert response.status_code == 400
    assert api.call("POST", url("liaoning", "/validate"), "ln-admin", data="x").status_code == 400


def test_a_deeply_nested_form_file_is_refused_not_crashing(api):
    files = {"forms/callback_verification.json": "[" * 100_000 + "]" * 100_000}
    body = api.post(url("liaoning", "/validate"), "ln-admin", json={"files": files}).get_json()
    assert body["valid"] is False and body["problems"][0]["file"] == "forms/callback_verification.json"


def _modeler_upload(name: str) -> dict:
    upload = {"files": (io.BytesIO(MODELER.read_bytes()), "bad_review.bpmn"), "comment": "桌面建模器导出"}
    if name != "bad_review.bpmn":  # a region pack that keeps its main process elsewhere: replace that file
        upload["remove"] = name
    return upload


def test_a_diagram_exported_by_the_camunda_modeler_is_accepted_and_runs(api):
    name, _ = _main(api)
    checked = api.call("POST", url("liaoning", "/validate"), "ln-admin", data=_modeler_upload(name)).get_json()
    assert checked["valid"], checked["problems"]
    deployed = api.call("POST", url("liaoning", "/deploy"), "ln-admin", data=_modeler_upload(name))
    assert deployed.status_code == 201, deployed.get_json()
    case = api.bad_review()
    tasks = api.get(f"/api/v1/cases/{case['case_id']}", "ln-officer").get_json()["open_tasks"]
    assert [(t["element_id"], t["title"]) for t in tasks] == [("Activity_1callbk", "回访核实")]
