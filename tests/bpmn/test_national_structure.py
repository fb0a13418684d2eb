"""The national library's conventions: it parses, every call resolves inside the library, every user task has its
form, role and due date, timers follow their tasks, expressions stay in the whitelist, and every decision takes
exactly one way for every value a form allows."""

from __future__ import annotations

import ast
import copy
import json
import re

import pytest
from lxml import etree
from SpiffWorkflow.camunda.specs.user_task import UserTask

from casemgmt.forms import list_form_keys
from tests.bpmn.national import (
    CAMUNDA,
    CANDIDATE_ORGS,
    FILES,
    FORMS,
    FUNCTIONS,
    NS,
    OPERATION_VARIABLES,
    OPERATIONS,
    ROLES,
    SETTINGS,
    TIMERS,
    USER_TASKS,
    _expr,
    _process,
    _xml,
)

# ------------------------------------------------------------------------------------------ the file


def test_the_diagram_parses_with_the_camunda_parser(spec):
    main, called = spec
    assert main.name == "bad_review"
    assert set(called) >= {"callback", "revocation", "rectification", "extension_approval", "consultation"}
    assert set(called) >= {"appeal", "feedback", "transfer"}
    specs = [main, *called.values()]
    user_tasks = {ts.bpmn_id: ts for s in specs for ts in s.task_specs.values() if isinstance(ts, UserTask)}
    assert set(user_tasks) == set(USER_TASKS)
    assert {ts.form.key for ts in user_tasks.values()} == {form for _, form, _, _ in USER_TASKS.values()}


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_the_definitions_are_those_the_camunda_modeler_writes(path):
    root = etree.parse(str(path)).getroot()
    assert root.get("exporter") == "Camunda Modeler"
    assert root.get("exporterVersion").startswith("5.")
    assert root.get("{http://camunda.org/schema/modeler/1.0}executionPlatform") == "Camunda Platform"
    assert root.get("{http://camunda.org/schema/modeler/1.0}executionPlatformVersion") == "7.20.0"
    [process] = root.findall("bpmn:process", NS)
    assert process.get("isExecutable") == "true"
    assert process.get("id") == path.stem


def test_every_call_activity_calls_a_process_of_the_library():
    processes = {etree.parse(str(p)).getroot().find("bpmn:process", NS).get("id") for p in FILES}
    calls = list(_xml().iterfind(".//bpmn:callActivity", NS))
    assert len(calls) >= 9
    assert {c.get("calledElement") for c in calls} == processes - {"bad_review"}


def test_every_user_task_has_its_form_one_known_role_and_a_due_date():
    forms = list_form_keys("national", FORMS)
    tasks = _process(_xml()).findall(".//bpmn:userTask", NS)
    seen = {}
    for task in tasks:
        form, role, due = (task.get(CAMUNDA + a) for a in ("formKey", "candidateGroups", "dueDate"))
        assert form in forms, task.get("id")
        assert role in ROLES, task.get("id")
        assert re.fullmatch(r"\$\{(workdays|calendar_days|hours)\(.+\)\}", due), task.get("id")
        assert re.search(r"\(\d+\)|settings\['[a-z_]+'\]", due), task.get("id")
        seen[task.get("id")] = (task.get("name"), form, role, due)
    assert seen == USER_TASKS


def test_tasks_outside_the_handling_unit_name_the_org_that_sees_them():
    orgs = {}
    for task in _process(_xml()).findall(".//bpmn:userTask", NS):
        props = task.findall("bpmn:extensionElements/camunda:properties/camunda:property", NS)
        orgs[task.get("id")] = {p.get("name"): p.get("value") for p in props}.get("candidateOrg", "handling_org")
    for task_id, (_, _, role, _) in USER_TASKS.items():
        wanted = CANDIDATE_ORGS.get(task_id) or {"officer": "handling_org"}.get(role, f"{role}_org")
        assert orgs[task_id] == wanted, task_id


def test_overdue_timers_are_non_interrupting_and_fire_when_their_task_falls_due():
    process = _process(_xml())
    timer = "bpmn:timerEventDefinition"
    on_tasks = {t.get("id") for t in process.iterfind("bpmn:userTask", NS)}
    boundaries = {
        b.get("id"): b
        for b in process.iterfind("bpmn:boundaryEvent", NS)
        if b.find(timer, NS) is not None and b.get("attachedToRef") in on_tasks
    }
    assert set(boundaries) == set(TIMERS)
    for timer_id, host_id in TIMERS.items():
        event = boundaries[timer_id]
        host = process.find(f"bpmn:userTask[@id='{host_id}']", NS)
        time_date = event.find("bpmn:timerEventDefinition/bpmn:timeDate", NS)
        assert event.get("attachedToRef") == host_id
        assert event.get("cancelActivity") == "false"
        assert time_date.get("{http://www.w3.org/2001/XMLSchema-instance}type") == "bpmn:tFormalExpression"
        assert time_date.text == _expr(host.get(CAMUNDA + "dueDate"))


def test_service_tasks_are_external_and_call_registered_operations():
    process = _process(_xml())
    tasks = process.findall(".//bpmn:serviceTask", NS)
    assert tasks
    for task in tasks:
        assert task.get(CAMUNDA + "type") == "external"
        assert task.get(CAMUNDA + "topic") in OPERATIONS
    ids = {el.get("id") for el in _xml().iter() if el.get("id")}
    assert not ids & OPERATIONS


def test_the_diagram_holds_no_code():
    tree = _xml()
    assert not tree.findall(".//bpmn:scriptTask", NS)
    assert not tree.findall(".//bpmn:script", NS)
    for tag in ("script", "executionListener", "taskListener", "connector"):
        assert not tree.findall(f".//camunda:{tag}", NS)
    for el in tree.iter():
        assert not {CAMUNDA + a for a in ("class", "expression", "delegateExpression")} & set(el.attrib)


def _whitelisted(expression: str) -> bool:
    allowed = (
        ast.Expression, ast.Constant, ast.Name, ast.Load, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.BinOp,
        ast.IfExp, ast.List, ast.Tuple, ast.Dict, ast.Subscript, ast.Call, ast.And, ast.Or, ast.Not, ast.USub,
        ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt,
        ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot,
    )  # fmt: skip
    for node in ast.walk(ast.parse(expression, mode="eval")):
        if not isinstance(node, allowed):
            return False
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            return False
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS):
            return False
    return True


def _expressions(tree: etree._ElementTree) -> list[str]:
    found = [c.text for c in tree.iterfind(".//bpmn:conditionExpression", NS)]
    found += [t.text for t in tree.iterfind(".//bpmn:timeDate", NS)]
    found += [_expr(t.get(CAMUNDA + "dueDate")) for t in tree.iterfind(".//bpmn:userTask", NS)]
    found += [p.get("value") for p in tree.iterfind(".//camunda:property[@name='candidateOrg']", NS)]
    return found


def test_every_expression_stays_inside_the_whitelist():
    expressions = _expressions(_xml())
    assert len(expressions) > 20
    for expression in expressions:
        assert _whitelisted(expression), expression


def _field_specs(national_forms: dict[str, dict]) -> dict[str, dict]:
    """Fields of the national forms, each offering every choice a region's form of that name offers too.

    The library holds steps that only a region's form leads to (Xi'an's outcome `platform`)."""
    fields = {f["name"]: copy.deepcopy(f) for form in national_forms.values() for f in form["fields"]}
    for path in FORMS.glob("*/*.json"):
        for field in json.loads(path.read_text("utf-8")).get("fields", []):
            known = fields.setdefault(field["name"], copy.deepcopy(field))
            values = [c["value"] for c in known.get("choices", [])]
            known["choices"] = known.get("choices", []) + [
                c for c in field.get("choices", []) if c["value"] not in values
            ] or known.get("choices")
            if not known["choices"]:
                known.pop("choices")
    return fields


def test_conditions_compare_form_fields_with_values_the_forms_offer(national_forms):
    fields = _field_specs(national_forms)
    compared = 0
    for condition in _xml().iterfind(".//bpmn:conditionExpression", NS):
        for node in ast.walk(ast.parse(condition.text, mode="eval")):
            if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name):
                if node.left.id in OPERATION_VARIABLES:
                    continue
                spec = fields[node.left.id]
                value = node.comparators[0].value
                allowed = [c["value"] for c in spec.get("choices", [])] or [True, False]
                assert value in allowed, condition.text
                compared += 1
    assert compared >= 10


def _flows_from(process: etree._Element) -> dict[str, list[etree._Element]]:
    flows: dict[str, list[etree._Element]] = {}
    for flow in process.iterfind("bpmn:sequenceFlow", NS):
        flows.setdefault(flow.get("sourceRef"), []).append(flow)
    return flows


def _condition_names(flows: list[etree._Element]) -> set[str]:
    texts = [c.text for f in flows if (c := f.find("bpmn:conditionExpression", NS)) is not None]
    names = {n.id for t in texts for n in ast.walk(ast.parse(t, mode="eval")) if isinstance(n, ast.Name)}
    return names - {"settings"}


def _taken(flows: list[etree._Element], name: str, value: object, **more) -> list[str]:
    """Return the ids of the flows a gateway would take when `name` is `value` (default when none holds)."""
    taken, default = [], None
    env = {"settings": SETTINGS, "handling": None, name: value, **more}
    for flow in flows:
        condition = flow.find("bpmn:conditionExpression", NS)
        if condition is None:
            default = flow.get("id")
        elif eval(condition.text, {"__builtins__": {}}, env):  # noqa: S307 - the diagram's own text
            taken.append(flow.get("id"))
    return taken or ([default] if default else [])


def _values_reaching(process: etree._Element, gateway_id: str, name: str, values: list) -> list:
    """Return the values of `name` that can arrive at a gateway, given the decisions upstream on `name`."""
    flows, reaching = _flows_from(process), []
    for flow in process.iterfind(f"bpmn:sequenceFlow[@targetRef='{gateway_id}']", NS):
        upstream = flows.get(flow.get("sourceRef"), [])
        if _condition_names(upstream) != {name}:
            return values
        reaching += [v for v in values if flow.get("id") in _taken(upstream, name, v)]
    return reaching


def test_every_decision_takes_exactly_one_way_for_every_value_a_form_allows(national_forms):
    fields = _field_specs(national_forms)
    process = _process(_xml())
    flows = _flows_from(process)
    decisions = 0
    for gateway in process.iterfind("bpmn:exclusiveGateway", NS):
        outgoing = flows[gateway.get("id")]
        if len(outgoing) == 1:
            continue
        unconditioned = [f.get("id") for f in outgoing if f.find("bpmn:conditionExpression", NS) is None]
        assert unconditioned == ([gateway.get("default")] if gateway.get("default") else []), gateway.get("id")
        names = _condition_names(outgoing)
        if names == {"outcome", "handling"}:  # the rectification's way: the callback's outcome or, after a
            # refused revocation, the handling the unit chose
            for outcome in ("immediate_fix", "explanation", "ledger", "platform"):
                assert len(_taken(outgoing, "outcome", outcome)) == 1, (gateway.get("id"), outcome)
            for handling in [c["value"] for c in fields["handling"]["choices"]]:
                assert len(_taken(outgoing, "outcome", "misjudged", handling=handling)) == 1, handling
            decisions += 1
            continue
        if names == {"callback_result", "is_real_name"}:  # call again while a real-name evaluator is not reached
            for result in [c["value"] for c in fields["callback_result"]["choices"]]:
                for real_name in (True, False):
                    taken = _taken(outgoing, "callback_result", result, is_real_name=real_name)
                    assert len(taken) == 1, (result, real_name)
            decisions += 1
            continue
        if not names:  # a decision on the region's settings: exactly one way either way
            assert len(_taken(outgoing, "_", None)) == 1, gateway.get("id")
            decisions += 1
            continue
        [name] = names
        if name in OPERATION_VARIABLES:
            for value in (True, False):
                assert len(_taken(outgoing, name, value)) == 1, (gateway.get("id"), value)
            decisions += 1
            continue
        spec = fields[name]
        values = [c["value"] for c in spec.get("choices", [])] or [True, False]
        for value in _values_reaching(process, gateway.get("id"), name, values):
            assert len(_taken(outgoing, name, value)) == 1, (gateway.get("id"), value)
        decisions += 1
    assert decisions == 12
