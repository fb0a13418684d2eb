"""Deploy-time validation of diagram bundles: a valid bundle passes, every hostile file is named."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from SpiffWorkflow.camunda.parser import CamundaParser

from casemgmt.engine.validate import Problem, check_bundle, validate_bundle
from casemgmt.errors import DiagramInvalid

HERE = Path(__file__).parent
VALID = HERE / "valid"
HOSTILE = HERE / "hostile"
FORM_KEYS = {"callback_verification", "overdue_review"}
OPERATIONS = {"notify_evaluator", "close_case"}
DEFINITIONS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'
    ' id="Definitions_extra" targetNamespace="http://bpmn.io/schema/bpmn">'
    '<bpmn:process id="extra" isExecutable="true">{body}</bpmn:process></bpmn:definitions>'
)
HOSTILE_CASES = [
    ("billion_laughs.bpmn", None, "doctype"),
    ("xxe.bpmn", None, "doctype"),
    ("duplicate_ids.bpmn", "Dup_task", "duplicate_id"),
    ("script_task.bpmn", "Script_write", "script_refused"),
    ("spiff_prescript.bpmn", "Task_prescript", "script_refused"),
    ("execution_listener.bpmn", "Start_listener", "script_refused"),
    ("import_condition.bpmn", "Flow_import", "expression_refused"),
    ("globals_timer.bpmn", "Timer_globals", "expression_refused"),
    ("subclasses_due_date.bpmn", "Task_subclasses", "expression_refused"),
    ("unknown_topic.bpmn", "Task_drop", "service_task"),
    ("event_gateway_timers.bpmn", "Gateway_wait", "event_gateway_timers"),
    ("unknown_form_key.bpmn", "Task_form", "form_key"),
    ("no_role.bpmn", "Task_nobody", "role"),
    ("bad_cell.dmn", "Rule_evil", "expression_refused"),
]


def _valid() -> dict[str, bytes]:
    """Return the files of the valid bundle."""
    return {path.name: path.read_bytes() for path in VALID.iterdir()}


def _validate(files: dict[str, bytes]) -> list[Problem]:
    """Validate files with the test registry of forms and operations."""
    return validate_bundle(files, form_keys=FORM_KEYS, operations=OPERATIONS)


def _with_main(old: str, new: str) -> dict[str, bytes]:
    """Return the valid bundle with one substitution in bad_review.bpmn."""
    files = _valid()
    assert old.encode() in files["bad_review.bpmn"]
    files["bad_review.bpmn"] = files["bad_review.bpmn"].replace(old.encode(), new.encode())
    return files


def _with_extra(body: str, name: str = "extra.bpmn") -> dict[str, bytes]:
    """Return the valid bundle plus one small process file."""
    return {**_valid(), name: DEFINITIONS.format(body=body).encode()}


def _codes(problems: list[Problem]) -> set[tuple[str, str | None, str]]:
    """Reduce problems to (file, element, code)."""
    return {(p.file, p.element, p.code) for p in problems}


def test_the_valid_bundle_has_no_problems() -> None:
    assert _validate(_valid()) == []
    check_bundle(_valid(), form_keys=FORM_KEYS, operations=OPERATIONS)


def test_the_valid_bundle_parses_with_the_camunda_parser() -> None:
    parser = CamundaParser()
    parser.add_bpmn_str((VALID / "bad_review.bpmn").read_bytes(), filename="bad_review.bpmn")
    parser.add_dmn_str((VALID / "priority.dmn").read_bytes(), filename="priority.dmn")
    spec = parser.get_spec("bad_review")
    assert spec.task_specs["Task_callback"].form.key == "callback_verification"
    assert spec.task_specs["Task_callback"].extensions == {"candidateOrg": "handling_org"}


@pytest.mark.parametrize(("name", "element", "code"), HOSTILE_CASES)
def test_every_hostile_file_is_refused_naming_its_file_and_element(name: str, element: str | None, code: str) -> None:
    problems = _validate({**_valid(), name: (HOSTILE / name).read_bytes()})
    assert (name, element, code) in _codes(problems)
    assert all(p.file == name for p in problems)
    for problem in problems:
        assert name in problem.message
        assert problem.element is None or problem.element in problem.message


def test_the_hostile_corpus_is_fully_covered() -> None:
    assert {path.name for path in HOSTILE.iterdir()} == {name for name, _, _ in HOSTILE_CASES}


def test_entities_are_refused_quickly_and_never_expanded() -> None:
    started = time.perf_counter()
    problems = _validate({"billion_laughs.bpmn": (HOSTILE / "billion_laughs.bpmn").read_bytes()})
    problems += _validate({"xxe.bpmn": (HOSTILE / "xxe.bpmn").read_bytes()})
    assert time.perf_counter() - started < 1
    assert "root:" not in repr(problems) and "lollol" not in repr(problems)


def test_an_entity_hidden_after_a_bom_and_without_declaration_is_refused() -> None:
    data = b'\xef\xbb\xbf<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    assert _codes(_validate({"x.bpmn": data})) >= {("x.bpmn", None, "doctype")}


def test_a_file_over_two_mebibytes_is_refused() -> None:
    padding = "<!--" + "x" * (3 * 1024 * 1024) + "-->"
    files = _with_main("</bpmn:definitions>", padding + "</bpmn:definitions>")
    assert ("bad_review.bpmn", None, "file_too_large") in _codes(_validate(files))


def test_a_bundle_over_ten_mebibytes_is_refused() -> None:
    files = {f"part{i}.bpmn": b" " * (2 * 1024 * 1024) for i in range(6)}
    assert _codes(_validate({**_valid(), **files})) == {("*", None, "bundle_too_large")}


def test_a_file_that_is_not_utf8_is_refused() -> None:
    files = _valid()
    files["bad_review.bpmn"] = files["bad_review.bpmn"].decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    files["bad_review.bpmn"] = files["bad_review.bpmn"].encode("utf-16")
    assert ("bad_review.bpmn", None, "not_utf8") in _codes(_validate(files))


def test_a_declared_encoding_other_than_utf8_is_refused() -> None:
    files = _with_main('encoding="UTF-8"', 'encoding="ISO-8859-1"')
    assert ("bad_review.bpmn", None, "not_utf8") in _codes(_validate(files))


@pytest.mark.parametrize("name", ["../evil.bpmn", "dir/x.bpmn", "x.xml", "回访.bpmn", "x.bpmn.exe", ".bpmn"])
def test_file_names_outside_the_allowed_pattern_are_refused(name: str) -> None:
    problems = _validate({**_valid(), name: (VALID / "priority.dmn").read_bytes()})
    assert (name, None, "file_name") in _codes(problems)


def test_a_root_other_than_definitions_is_refused() -> None:
    problems = _validate({**_valid(), "x.bpmn": b"<html><body/></html>"})
    assert ("x.bpmn", None, "root") in _codes(problems)


def test_a_dmn_table_in_a_bpmn_file_is_refused() -> None:
    problems = _validate({**_valid(), "x.bpmn": (VALID / "priority.dmn").read_bytes()})
    assert ("x.bpmn", None, "root") in _codes(problems)


@pytest.mark.parametrize(
    "namespace", ["http://www.omg.org/spec/DMN/20151101/dmn.xsd", "http://www.omg.org/spec/DMN/20180521/MODEL/"]
)
def test_dmn_1_1_and_1_2_tables_are_accepted(namespace: str) -> None:
    files = _valid()
    files["priority.dmn"] = files["priority.dmn"].replace(
        b'xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"', f'xmlns="{namespace}"'.encode()
    )
    assert _validate(files) == []


def test_a_bundle_without_the_main_process_is_refused() -> None:
    files = _valid()
    del files["bad_review.bpmn"]
    assert ("bad_review.bpmn", "bad_review", "main_process") in _codes(_validate(files))


def test_the_main_process_in_two_files_is_refused() -> None:
    files = {**_valid(), "copy.bpmn": (VALID / "bad_review.bpmn").read_bytes()}
    codes = _codes(_validate(files))
    assert ("copy.bpmn", "bad_review", "main_process") in codes
    assert ("copy.bpmn", "Task_callback", "duplicate_id") in codes


def test_diagram_shape_ids_may_repeat_across_files() -> None:
    body = '<bpmn:startEvent id="Extra_start" />'
    extra = DEFINITIONS.format(body=body).replace(
        "</bpmn:definitions>",
        '<bpmndi:BPMNDiagram xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" id="BPMNDiagram_1">'
        '<bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="extra" /></bpmndi:BPMNDiagram></bpmn:definitions>',
    )
    assert _validate({**_valid(), "extra.bpmn": extra.encode()}) == []


def test_a_script_inside_an_input_output_mapping_is_refused() -> None:
    files = _with_main(
        "<camunda:properties>",
        '<camunda:inputOutput><camunda:inputParameter name="x"><camunda:script scriptFormat="python">'
        "1</camunda:script></camunda:inputParameter></camunda:inputOutput><camunda:properties>",
    )
    assert ("bad_review.bpmn", "Task_callback", "script_refused") in _codes(_validate(files))


def test_a_task_listener_with_an_expression_is_refused() -> None:
    files = _with_main(
        "<camunda:properties>", '<camunda:taskListener event="create" expression="${x}" /><camunda:properties>'
    )
    assert ("bad_review.bpmn", "Task_callback", "script_refused") in _codes(_validate(files))


@pytest.mark.parametrize(
    "attribute", ['camunda:class="x.Y"', 'camunda:expression="${x}"', 'camunda:delegateExpression="${x}"']
)
def test_a_java_delegate_service_task_is_refused(attribute: str) -> None:
    files = _with_main('camunda:type="external" camunda:topic="notify_evaluator"', attribute)
    codes = _codes(_validate(files))
    assert ("bad_review.bpmn", "Task_notify", "script_refused") in codes
    assert ("bad_review.bpmn", "Task_notify", "service_task") in codes


def test_a_spiffworkflow_attribute_is_refused() -> None:
    files = _with_main(
        'id="Task_notify"',
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" spiffworkflow:x="1" id="Task_notify"',
    )
    assert ("bad_review.bpmn", "Task_notify", "script_refused") in _codes(_validate(files))


def test_an_operation_named_like_an_element_is_refused() -> None:
    files = _valid()
    files["bad_review.bpmn"] = files["bad_review.bpmn"].replace(b'"Task_notify"', b'"close_case"')
    assert ("bad_review.bpmn", "close_case", "operation_id_clash") in _codes(_validate(files))


def test_an_unknown_called_process_is_refused() -> None:
    files = _with_extra('<bpmn:startEvent id="Extra_start" /><bpmn:callActivity id="Call_x" calledElement="nowhere" />')
    assert ("extra.bpmn", "Call_x", "call_activity") in _codes(_validate(files))


def test_a_known_called_process_is_accepted() -> None:
    files = _with_extra('<bpmn:callActivity id="Call_main" calledElement="bad_review" />')
    assert _validate(files) == []


def test_an_unknown_decision_is_refused() -> None:
    files = _with_main('camunda:decisionRef="priority_decision"', 'camunda:decisionRef="missing"')
    assert ("bad_review.bpmn", "Task_priority", "decision_ref") in _codes(_validate(files))


def test_a_lane_named_after_a_role_gives_the_role() -> None:
    task = '<bpmn:userTask id="Task_lane" camunda:formKey="overdue_review" />'
    lanes = (
        '<bpmn:laneSet id="LaneSet_x"><bpmn:lane id="Lane_x" name="{}">'
        "<bpmn:flowNodeRef>Task_lane</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>"
    )
    assert _validate(_with_extra(lanes.format("supervisor") + task)) == []
    assert ("extra.bpmn", "Task_lane", "role") in _codes(_validate(_with_extra(lanes.format("督办") + task)))


@pytest.mark.parametrize("groups", ["officer,supervisor", "manager", "", "${role}"])
def test_candidate_groups_must_be_exactly_one_known_role(groups: str) -> None:
    files = _with_main('camunda:candidateGroups="officer"', f'camunda:candidateGroups="{groups}"')
    assert ("bad_review.bpmn", "Task_callback", "role") in _codes(_validate(files))


def test_a_due_date_without_a_deadline_function_is_refused() -> None:
    files = _with_main('camunda:dueDate="${workdays(3)}"', "camunda:dueDate=\"${'2030-01-01'}\"")
    assert ("bad_review.bpmn", "Task_callback", "due_date") in _codes(_validate(files))


def test_a_due_date_may_omit_the_el_wrapper() -> None:
    expression = "hours(4 if level == 'x' else 8)"
    files = _with_main('camunda:dueDate="${workdays(3)}"', f'camunda:dueDate="{expression}"')
    timer = b'<bpmn:timeDate xsi:type="bpmn:tFormalExpression">workdays(3)</bpmn:timeDate>'
    same = f'<bpmn:timeDate xsi:type="bpmn:tFormalExpression">{expression}</bpmn:timeDate>'.encode()
    files["bad_review.bpmn"] = files["bad_review.bpmn"].replace(timer, same)  # the overdue timer follows it
    assert _validate(files) == []


def test_the_candidate_org_expression_is_checked() -> None:
    files = _with_main('value="handling_org"', 'value="handling_org.__class__"')
    assert ("bad_review.bpmn", "Task_callback", "expression_refused") in _codes(_validate(files))


def test_a_user_task_without_a_form_key_is_refused() -> None:
    files = _with_main('camunda:formKey="callback_verification" ', "")
    assert ("bad_review.bpmn", "Task_callback", "form_key") in _codes(_validate(files))


def test_an_el_wrapped_condition_is_refused_with_a_hint() -> None:
    files = _with_main("level == 'very_dissatisfied' and len(reasons) &gt; 0", "${level == 'x'}")
    (problem,) = _validate(files)
    assert problem.element == "Flow_serious" and "${...}" in problem.message


@pytest.mark.parametrize(
    "text", ["PT2H", "P3D", "R3/PT1H", "R/2030-01-01T00:00:00Z/P1D", "'PT2H'", "'PT' + str(hours_left) + 'H'"]
)
def test_iso_literals_and_expressions_are_accepted_in_durations(text: str) -> None:
    files = _with_main(
        '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">workdays(3)</bpmn:timeDate>',
        f'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{text}</bpmn:timeDuration>',
    )
    assert _validate(files) == []


@pytest.mark.parametrize(
    ("timer", "code"),
    [
        ("<bpmn:timeDuration>PT2H; import os</bpmn:timeDuration>", "expression_refused"),
        ("<bpmn:timeCycle>R3/PT1H/__import__</bpmn:timeCycle>", "expression_refused"),
        ("<bpmn:timeDate>PT2H.__class__</bpmn:timeDate>", "expression_refused"),
        ("<bpmn:timeDate></bpmn:timeDate>", "expression_refused"),
        ("", "timer"),
    ],
)
def test_timers_that_are_neither_iso_nor_whitelisted_are_refused(timer: str, code: str) -> None:
    files = _with_main('<bpmn:timeDate xsi:type="bpmn:tFormalExpression">workdays(3)</bpmn:timeDate>', timer)
    assert _codes(_validate(files)) == {("bad_review.bpmn", "Timer_callback", code)}


def test_multi_instance_expressions_are_checked() -> None:
    body = (
        '<bpmn:userTask id="Task_each" camunda:formKey="overdue_review" camunda:candidateGroups="officer">'
        '<bpmn:multiInstanceLoopCharacteristics camunda:collection="reasons[0]" camunda:elementVariable="reason">'
        "<bpmn:loopCardinality>len(reasons)</bpmn:loopCardinality>"
        "<bpmn:completionCondition>reason.__class__</bpmn:completionCondition>"
        "</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>"
    )
    messages = sorted(p.message for p in _validate(_with_extra(body)) if p.element == "Task_each")
    assert len(messages) == 2
    assert "camunda:collection" in messages[0] and "completionCondition" in messages[1]


def test_a_boundary_timer_on_a_user_task_is_fine_but_two_timers_after_an_event_gateway_are_not() -> None:
    assert _validate(_valid()) == []
    problems = _validate({**_valid(), "g.bpmn": (HOSTILE / "event_gateway_timers.bpmn").read_bytes()})
    assert [p.code for p in problems] == ["event_gateway_timers"]


def _with_cell(old: str, new: str) -> dict[str, bytes]:
    """Return the valid bundle with one substitution in priority.dmn."""
    files = _valid()
    assert old.encode() in files["priority.dmn"]
    files["priority.dmn"] = files["priority.dmn"].replace(old.encode(), new.encode())
    return files


def test_a_dmn_cell_starting_with_in_is_refused_because_the_engine_glues_it_to_the_input() -> None:
    files = _with_cell("? in ('dissatisfied', 'very_dissatisfied')", "in ('dissatisfied', 'very_dissatisfied')")
    (problem,) = _validate(files)
    assert (problem.file, problem.element) == ("priority.dmn", "Rule_normal")
    assert "第 1 列（等级）" in problem.message and "? in" in problem.message


def test_a_dmn_cell_of_padded_dash_is_refused_because_the_engine_does_not_treat_it_as_any() -> None:
    files = _with_cell("<text>-</text>", "<text> - </text>")
    assert _codes(_validate(files)) == {("priority.dmn", "Rule_normal", "expression_refused")}


def test_a_hostile_dmn_output_and_input_expression_are_refused() -> None:
    files = _with_cell("<text>'high'</text>", "<text>__import__('os')</text>")
    files["priority.dmn"] = files["priority.dmn"].replace(b"<text>len(reasons)</text>", b"<text>reasons.pop()</text>")
    codes = _codes(_validate(files))
    assert ("priority.dmn", "Rule_high", "expression_refused") in codes
    assert ("priority.dmn", "Input_reasons", "expression_refused") in codes


def test_a_dmn_cell_with_many_question_marks_is_refused() -> None:
    files = _with_cell("? in ('dissatisfied', 'very_dissatisfied')", "?" * 5000)
    assert _codes(_validate(files)) == {("priority.dmn", "Rule_normal", "expression_refused")}


def test_an_unsupported_hit_policy_is_refused() -> None:
    files = _with_cell('hitPolicy="UNIQUE"', 'hitPolicy="FIRST"')
    assert _codes(_validate(files)) == {("priority.dmn", "DecisionTable_priority", "dmn")}


def test_check_bundle_raises_diagram_invalid_listing_every_problem() -> None:
    files = {**_valid(), "no_role.bpmn": (HOSTILE / "no_role.bpmn").read_bytes()}
    files["script_task.bpmn"] = (HOSTILE / "script_task.bpmn").read_bytes()
    with pytest.raises(DiagramInvalid) as caught:
        check_bundle(files, form_keys=FORM_KEYS, operations=OPERATIONS)
    assert "2 个问题" in caught.value.message
    assert [d["element"] for d in caught.value.details] == ["Task_nobody", "Script_write"]
    assert set(caught.value.details[0]) == {"file", "element", "message", "code"}


def test_a_flood_of_expressions_is_cut_off_within_seconds() -> None:
    flows = "".join(
        f'<bpmn:sequenceFlow id="F{i}" sourceRef="a" targetRef="b">'
        f"<bpmn:conditionExpression>level == {i}</bpmn:conditionExpression></bpmn:sequenceFlow>"
        for i in range(5_000)
    )
    started = time.perf_counter()
    problems = _validate(_with_extra(flows))
    assert time.perf_counter() - started < 3
    assert len(problems) == 201 and problems[-1].code == "too_many_problems"
    assert "总量超过上限" in problems[0].message


def test_a_bundle_with_too_many_xml_elements_is_refused() -> None:
    tasks = "".join(f'<bpmn:task id="T{i}" />' for i in range(50_001))
    assert ("extra.bpmn", None, "too_many_elements") in _codes(_validate(_with_extra(tasks)))
