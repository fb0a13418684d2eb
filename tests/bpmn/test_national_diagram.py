"""The national library: bad_review.bpmn and the processes it calls, checked for conventions, drawing, and every
branch run end to end in plain SpiffWorkflow.

Plain SpiffWorkflow (not the product's engine) on purpose: the diagram is data that administrators copy and
edit, and these tests pin what it means on its own. Two facts of SpiffWorkflow 3.2.0 shape the driver below:
- `CamundaParser` turns `serviceTask` into the default `ServiceTask`, whose run returns None: the task stops
  in STARTED, like an external task waiting for its worker. The driver completes it, recording its topic.
- The stock serializer has no converter for that `ServiceTask`; the driver registers the plain one.
"""

from __future__ import annotations

import ast
import copy
import itertools
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG
from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.util.task import TaskState

from casemgmt.forms import list_form_keys, load_form, validate_form

ROOT = Path(__file__).resolve().parents[2]
NATIONAL = ROOT / "bpmn" / "national"
DIAGRAM = NATIONAL / "bad_review.bpmn"
FILES = sorted(NATIONAL.glob("*.bpmn"))
SETTINGS = json.loads((NATIONAL / "settings.json").read_text("utf-8"))
FORMS = ROOT / "forms"
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "camunda": "http://camunda.org/schema/1.0/bpmn",
}
CAMUNDA = "{" + NS["camunda"] + "}"
ROLES = {"officer", "supervisor", "coordinator", "admin", "auditor"}
OPERATIONS = {
    "notify_unit",
    "notify_evaluator",
    "notify_supervisor",
    "open_ledger",
    "revoke_review",
    "close_case",
    "transfer_discipline",
    "record_callback",
    "close_ledger",
    "decide_extension",
    "open_consultation",
    "record_consultation_reply",
    "merge_consultation",
    "rule_appeal",
}
#: variables set by operations rather than forms, which conditions may test
OPERATION_VARIABLES = {"revoked"}
CASE_DATA = {
    "case_id": 1,
    "case_no": "ZG-2025-000001",
    "region": "national",
    "level": "very_dissatisfied",
    "is_real_name": True,
    "reasons": ["等候时间长"],
    "item_code": "000123",
    "channel": "window",
    "handling_org": "hall-1",
    "supervisor_org": "reform-office",
    "coordinator_org": "service-centre",
    "settings": SETTINGS,
    "revoked": False,
    "handling": None,
}
FUNCTIONS = {"workdays", "calendar_days", "hours", "len", "min", "max", "abs", "round", "int", "float", "str"} | {
    "bool",
    "any",
    "all",
    "sorted",
}
#: the user tasks other code and regional overrides refer to, by id
USER_TASKS = {
    "Task_Callback": ("回访核实", "callback_verification", "officer", "${workdays(settings['callback_workdays'])}"),
    "Task_SuperviseCallback": ("督办：回访核实逾期", "supervision", "supervisor", "${workdays(1)}"),
    "Task_CallbackRetry": ("再次回访", "callback_attempt", "officer", "${workdays(1)}"),
    "Task_RevocationReview": (
        "撤销审核",
        "revocation_review",
        "coordinator",
        "${workdays(settings['revocation_review_workdays'])}",
    ),
    "Task_HandlingChoice": ("确定整改方式", "handling_choice", "officer", "${workdays(1)}"),
    "Task_ImmediateFix": ("立行立改", "immediate_fix", "officer", "${workdays(1)}"),
    "Task_PlatformFix": ("平台建设单位优化系统功能", "platform_fix", "officer", "${workdays(5)}"),
    "Task_Rectification": (
        "限期整改",
        "rectification",
        "officer",
        "${workdays(settings['rectification_workdays'] or rectification_workdays)}",
    ),
    "Task_SuperviseRectification": ("督办：整改逾期", "supervision", "supervisor", "${workdays(1)}"),
    "Task_ExtensionApproval": (
        "延期审批",
        "extension_approval",
        "coordinator",
        "${workdays(settings['extension_approval_workdays'])}",
    ),
    "Task_Explanation": ("解释说明", "explanation", "officer", "${workdays(1)}"),
    "Task_ConveneConsultation": ("发起会商", "consultation_convene", "officer", "${workdays(1)}"),
    "Task_ConsultationReply": (
        "会商意见",
        "consultation_reply",
        "officer",
        "${workdays(settings['consultation_reply_workdays'])}",
    ),
    "Task_ConsultationAnswer": (
        "会商结论（牵头部门）",
        "consultation_conclusion",
        "officer",
        "${workdays(max(0, settings['consultation_workdays'] - consultation_elapsed_workdays))}",
    ),
    "Task_SuperviseConsultation": ("督办：会商答复逾期", "supervision", "supervisor", "${workdays(1)}"),
    "Task_AppealReview": (
        "申诉复核（政务服务主管部门）",
        "appeal_review",
        "coordinator",
        "${workdays(settings['appeal_review_workdays'])}",
    ),
    "Task_Feedback": ("反馈评价人", "feedback", "officer", "${workdays(settings['feedback_workdays'])}"),
    "Task_DissatisfactionReview": ("不满意复核", "dissatisfaction_review", "supervisor", "${workdays(3)}"),
}
#: officer tasks seen by another org than the handling unit, and tasks of one role seen by another role's org
CANDIDATE_ORGS = {
    "Task_ConsultationReply": "consult_org",
    "Task_PlatformFix": "platform_builder_org",
    "Task_ExtensionApproval": "supervisor_org",
}
TIMERS = {"Timer_CallbackOverdue": "Task_Callback", "Timer_RectificationOverdue": "Task_Rectification"}
SAMPLE_DATA = {
    "callback_verification": {
        "callback_result": "reached",
        "callback_at": "2025-10-09T10:00:00+08:00",
        "facts": "评价人反映窗口等候时间过长，调取叫号记录核实属实。",
        "evidence": [{"id": 1, "name": "叫号记录.pdf"}],
    },
    "revocation_review": {"opinion": "证据充分。", "reported_to": ["reform_office", "efficiency_office"]},
    "handling_choice": {"handling_reason": "撤销未获同意，按属实办理。"},
    "immediate_fix": {"fix_measures": "增开窗口。", "fixed_at": "2025-10-10T09:00:00+08:00"},
    "rectification": {
        "rectification_measures": "优化叫号系统。",
        "rectified": True,
        "rectified_at": "2025-10-20T09:00+08:00",
    },
    "explanation": {"explanation": "该事项须本人到场办理。", "legal_basis": "《某某条例》第十条"},
    "feedback": {
        "feedback_content": "已告知整改结果。",
        "feedback_channel": "phone",
        "feedback_at": "2025-10-21T10:00Z",
    },
    "dissatisfaction_review": {"review_opinion": "办理结果恰当。"},
    "supervision": {"supervision_method": "urge", "supervision_opinion": "请于明日前办结。"},
}


def _xml() -> etree._ElementTree:
    """Return the library as one document: every process's elements under bad_review, without drawings.

    Element ids are unique across the library (deployment refuses duplicates), so the merge loses nothing.
    """
    tree = etree.parse(str(DIAGRAM))
    root = tree.getroot()
    main = root.find("bpmn:process[@id='bad_review']", NS)
    for diagram in root.findall("bpmndi:BPMNDiagram", NS):
        root.remove(diagram)
    for path in FILES:
        if path == DIAGRAM:
            continue
        other = etree.parse(str(path)).getroot()
        for message in other.findall("bpmn:message", NS):
            root.insert(0, copy.deepcopy(message))
        for process in other.findall("bpmn:process", NS):
            for child in process:
                if etree.QName(child).localname != "documentation":
                    main.append(copy.deepcopy(child))
    return tree


def _process(tree: etree._ElementTree) -> etree._Element:
    return tree.find("bpmn:process[@id='bad_review']", NS)


def _expr(text: str) -> str:
    text = text.strip()
    return text[2:-1] if text.startswith("${") and text.endswith("}") else text


@pytest.fixture(scope="module")
def spec():
    parser = CamundaParser()
    for path in FILES:
        parser.add_bpmn_file(str(path))
    return parser.get_spec("bad_review"), parser.get_subprocess_specs("bad_review")


@pytest.fixture(scope="module")
def topics_by_id() -> dict[str, str]:
    return {t.get("id"): t.get(CAMUNDA + "topic") for t in _process(_xml()).iterfind(".//bpmn:serviceTask", NS)}


@pytest.fixture(scope="module")
def national_forms() -> dict[str, dict]:
    return {key: load_form(key, "national", FORMS) for key in list_form_keys("national", FORMS)}


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


# ------------------------------------------------------------------------------------------ the drawing


def _bounds(tree: etree._ElementTree) -> dict[str, tuple[float, float, float, float]]:
    shapes = {}
    for shape in tree.iterfind(".//bpmndi:BPMNShape", NS):
        b = shape.find("dc:Bounds", NS)
        shapes[shape.get("bpmnElement")] = tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))
    return shapes


def _flow_nodes(process: etree._Element) -> list[etree._Element]:
    skip = {"sequenceFlow", "laneSet", "documentation", "extensionElements"}
    return [el for el in process if etree.QName(el).localname not in skip]


def _containers(process: etree._Element) -> list[etree._Element]:
    return [process, *process.iterfind(".//bpmn:subProcess", NS)]


def _file_process(path: Path) -> tuple[etree._ElementTree, etree._Element]:
    tree = etree.parse(str(path))
    return tree, tree.getroot().find("bpmn:process", NS)


DRAWN = pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])


@DRAWN
def test_every_flow_node_has_a_shape_and_every_flow_an_edge(path):
    tree, process = _file_process(path)
    shapes = _bounds(tree)
    edges = {e.get("bpmnElement"): e.findall("di:waypoint", NS) for e in tree.iterfind(".//bpmndi:BPMNEdge", NS)}
    for container in _containers(process):
        for node in _flow_nodes(container):
            if etree.QName(node).localname != "multiInstanceLoopCharacteristics":
                assert node.get("id") in shapes, node.get("id")
    for flow in process.iterfind(".//bpmn:sequenceFlow", NS):
        assert len(edges[flow.get("id")]) >= 2, flow.get("id")


def _touches(point: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
    x, y, w, h = box
    return x - 1 <= point[0] <= x + w + 1 and y - 1 <= point[1] <= y + h + 1


@DRAWN
def test_edges_run_from_their_source_to_their_target(path):
    tree, process = _file_process(path)
    shapes = _bounds(tree)
    flows = {f.get("id"): f for f in process.iterfind(".//bpmn:sequenceFlow", NS)}
    for edge in tree.iterfind(".//bpmndi:BPMNEdge", NS):
        points = [(float(p.get("x")), float(p.get("y"))) for p in edge.iterfind("di:waypoint", NS)]
        flow = flows[edge.get("bpmnElement")]
        assert _touches(points[0], shapes[flow.get("sourceRef")]), flow.get("id")
        assert _touches(points[-1], shapes[flow.get("targetRef")]), flow.get("id")


@DRAWN
def test_shapes_do_not_overlap_and_sub_processes_hold_their_steps(path):
    tree, process = _file_process(path)
    shapes = _bounds(tree)
    for container in _containers(process):
        hosts = {b.get("id"): b.get("attachedToRef") for b in container.iterfind("bpmn:boundaryEvent", NS)}
        nodes = [n.get("id") for n in _flow_nodes(container) if n.get("id")]
        for a, b in itertools.combinations(nodes, 2):
            if hosts.get(a) == b or hosts.get(b) == a or (a in hosts and b in hosts):
                continue
            (ax, ay, aw, ah), (bx, by, bw, bh) = shapes[a], shapes[b]
            assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, (a, b)
        if container is not process:
            sx, sy, sw, sh = shapes[container.get("id")]
            for node in nodes:
                x, y, w, h = shapes[node]
                assert sx <= x and x + w <= sx + sw and sy <= y and y + h <= sy + sh, node


def test_the_layout_reads_left_to_right():
    shapes = _bounds(etree.parse(str(DIAGRAM)))
    order = ["StartEvent_BadReview", "Gateway_Start", "Task_NotifyUnit", "Call_Callback", "Gateway_Outcome"]
    order += ["Call_Rectification", "Task_Feedback", "Call_Feedback", "Task_CloseCase", "End_Closed"]
    xs = [shapes[i][0] for i in order]
    assert xs == sorted(xs)


def test_every_element_has_a_chinese_name():
    process = _process(_xml())
    named = [n for c in _containers(process) for n in _flow_nodes(c)]
    named = [n for n in named if etree.QName(n).localname != "multiInstanceLoopCharacteristics"]
    defaults = _defaults(process)
    for flow in process.iterfind(".//bpmn:sequenceFlow", NS):
        if flow.find("bpmn:conditionExpression", NS) is not None or flow.get("id") in defaults:
            named.append(flow)
    for el in named:
        assert re.search(r"[\u4e00-\u9fff]", el.get("name") or ""), el.get("id")


def _defaults(process: etree._Element) -> set[str]:
    return {g.get("default") for g in process.iterfind(".//bpmn:exclusiveGateway", NS) if g.get("default")}


# ------------------------------------------------------------------------------------------ running it


class FakeClock:
    """The instant both the deadline functions and SpiffWorkflow's timers read."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def deadline(self, n: int) -> str:
        return (self.now + timedelta(days=n)).isoformat()


@pytest.fixture
def fake_clock(monkeypatch) -> FakeClock:
    fake = FakeClock(datetime.fromisoformat("2025-10-09T09:00:00+08:00"))

    class _Datetime(datetime):
        @classmethod
        def now(cls, tz=None):
            return fake.now.astimezone(tz) if tz else fake.now.replace(tzinfo=None)

    monkeypatch.setattr(spiff_timer, "datetime", _Datetime)
    return fake


class Case:
    """One bad-review workflow, saved and restored around every action as the product does."""

    def __init__(self, spec, topics_by_id: dict[str, str], forms: dict[str, dict], clock: FakeClock) -> None:
        functions = {"workdays": clock.deadline, "calendar_days": clock.deadline, "hours": clock.deadline}
        self.engine = PythonScriptEngine(environment=TaskDataEnvironment(functions))
        self.topics_by_id, self.forms = topics_by_id, forms
        config = dict(DEFAULT_CONFIG)
        config[ServiceTask] = BpmnTaskSpecConverter
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
        self.wf = BpmnWorkflow(spec[0], spec[1], script_engine=self.engine)
        for task in self.wf.get_tasks(state=TaskState.READY):
            task.set_data(**CASE_DATA)
        self.topics: list[str] = []
        self.done_tasks: list[str] = []
        self.advance()

    def advance(self) -> None:
        """Fire due timers and run to the next wait state, doing each operation as its worker would."""
        self.wf.refresh_timers()
        self.wf.do_engine_steps()
        while started := self._waiting_operations():
            for task in started:
                topic = self.topics_by_id[task.task_spec.bpmn_id]
                self.topics.append(topic)
                if topic == "revoke_review":  # what the product's operation answers
                    task.data["revoked"] = True
                task.complete()
            self.wf.do_engine_steps()
        self._save_and_restore()

    def _waiting_operations(self) -> list:
        return [t for t in self.wf.get_tasks(state=TaskState.STARTED) if isinstance(t.task_spec, ServiceTask)]

    def _save_and_restore(self) -> None:
        self.wf = self.serializer.deserialize_json(self.serializer.serialize_json(self.wf))
        self.wf.script_engine = self.engine

    def ready(self) -> list[str]:
        """Return the names of the READY user tasks."""
        tasks = self.wf.get_tasks(state=TaskState.READY)
        return sorted(t.task_spec.bpmn_name for t in tasks if isinstance(t.task_spec, UserTask))

    def complete(self, name: str, **fields) -> None:
        """Fill the task's form (sample values plus `fields`), validate it like the API does, and run on."""
        [task] = [t for t in self.wf.get_tasks(state=TaskState.READY) if t.task_spec.bpmn_name == name]
        key = task.task_spec.form.key
        data = validate_form(self.forms[key], {**SAMPLE_DATA.get(key, {}), **fields})
        task.set_data(**data)
        task.run()
        self.done_tasks.append(name)
        self.advance()

    def task_state(self, bpmn_id: str) -> str:
        """Return the state name of the newest task of an element."""
        tasks = [t for t in self.wf.get_tasks() if t.task_spec.bpmn_id == bpmn_id]
        return TaskState.get_name(tasks[-1].state)

    def reached(self, bpmn_id: str) -> bool:
        return any(t.task_spec.bpmn_id == bpmn_id for t in self.wf.get_tasks(state=TaskState.COMPLETED))


@pytest.fixture
def new_case(spec, topics_by_id, national_forms, fake_clock):
    return lambda: Case(spec, topics_by_id, national_forms, fake_clock)


BRANCHES = {
    "misjudged, revocation approved": (
        [("回访核实", {"outcome": "misjudged"}), ("撤销审核", {"approved": True})],
        ["notify_unit", "record_callback", "revoke_review", "notify_evaluator"],
        "End_Revoked",
    ),
    "malicious, revocation refused, then a ledger": (
        [
            ("回访核实", {"outcome": "malicious"}),
            ("撤销审核", {"approved": False, "reported_to": []}),
            ("确定整改方式", {"handling": "ledger"}),
            ("限期整改", {}),
            ("反馈评价人", {"satisfied": "yes"}),
        ],
        ["notify_unit", "record_callback", "open_ledger", "close_ledger", "notify_evaluator", "close_case"],
        "End_Closed",
    ),
    "misjudged, revocation refused, then an immediate fix": (
        [
            ("回访核实", {"outcome": "misjudged"}),
            ("撤销审核", {"approved": "false"}),
            ("确定整改方式", {"handling": "immediate_fix"}),
            ("立行立改", {}),
            ("反馈评价人", {"satisfied": "unreached"}),
        ],
        ["notify_unit", "record_callback", "notify_evaluator", "close_case"],
        "End_Closed",
    ),
    "misjudged, revocation refused, then an explanation": (
        [
            ("回访核实", {"outcome": "misjudged"}),
            ("撤销审核", {"approved": False}),
            ("确定整改方式", {"handling": "explanation"}),
            ("解释说明", {}),
            ("反馈评价人", {"satisfied": "yes"}),
        ],
        ["notify_unit", "record_callback", "notify_evaluator", "close_case"],
        "End_Closed",
    ),
    "immediate fix": (
        [("回访核实", {"outcome": "immediate_fix"}), ("立行立改", {}), ("反馈评价人", {"satisfied": "yes"})],
        ["notify_unit", "record_callback", "notify_evaluator", "close_case"],
        "End_Closed",
    ),
    "ledger": (
        [("回访核实", {"outcome": "ledger"}), ("限期整改", {}), ("反馈评价人", {"satisfied": "yes"})],
        ["notify_unit", "record_callback", "open_ledger", "close_ledger", "notify_evaluator", "close_case"],
        "End_Closed",
    ),
    "ledger not finished in time, with reasons": (
        [
            ("回访核实", {"outcome": "ledger"}),
            ("限期整改", {"rectified": False, "rectified_at": None, "delay_reason": "需财政资金，明年完成。"}),
            ("反馈评价人", {"satisfied": "unreached"}),
        ],
        ["notify_unit", "record_callback", "open_ledger", "close_ledger", "notify_evaluator", "close_case"],
        "End_Closed",
    ),
    "explanation": (
        [("回访核实", {"outcome": "explanation"}), ("解释说明", {}), ("反馈评价人", {"satisfied": "yes"})],
        ["notify_unit", "record_callback", "notify_evaluator", "close_case"],
        "End_Closed",
    ),
    "dissatisfied evaluator, result maintained": (
        [
            ("回访核实", {"outcome": "explanation"}),
            ("解释说明", {}),
            ("反馈评价人", {"satisfied": "no"}),
            ("不满意复核", {"review_action": "maintain"}),
        ],
        ["notify_unit", "record_callback", "notify_evaluator", "close_case"],
        "End_Closed",
    ),
    "dissatisfied evaluator, misconduct transferred": (
        [
            ("回访核实", {"outcome": "immediate_fix"}),
            ("立行立改", {}),
            ("反馈评价人", {"satisfied": "no"}),
            ("不满意复核", {"review_action": "transfer"}),
        ],
        ["notify_unit", "record_callback", "notify_evaluator", "transfer_discipline", "close_case"],
        "End_Closed",
    ),
}


@pytest.mark.parametrize("steps, topics, end", BRANCHES.values(), ids=BRANCHES.keys())
def test_each_branch_runs_to_its_end(new_case, steps, topics, end):
    case = new_case()
    for name, fields in steps:
        assert case.ready() == [name]
        case.complete(name, **fields)
    assert case.ready() == []
    assert case.wf.is_completed()
    assert case.reached(end)
    assert case.done_tasks == [name for name, _ in steps]
    assert case.topics == topics


def test_the_case_waits_for_the_officer_first_and_the_unit_is_notified(new_case, fake_clock):
    case = new_case()
    assert case.ready() == ["回访核实"]
    assert case.topics == ["notify_unit"]
    assert case.task_state("Timer_CallbackOverdue") == "WAITING"
    [timer] = [t for t in case.wf.get_tasks() if t.task_spec.bpmn_id == "Timer_CallbackOverdue"]
    assert timer.internal_data["event_value"] == fake_clock.deadline(3)


def test_nothing_escalates_before_the_deadline(new_case, fake_clock):
    case = new_case()
    fake_clock.now += timedelta(days=2, hours=23)
    case.advance()
    assert case.ready() == ["回访核实"]


def test_an_overdue_callback_goes_to_the_supervisor_and_the_officer_keeps_the_task(new_case, fake_clock):
    case = new_case()
    fake_clock.now += timedelta(days=3, minutes=1)
    case.advance()
    assert case.ready() == ["回访核实", "督办：回访核实逾期"]
    case.complete("督办：回访核实逾期")
    assert case.reached("End_CallbackSupervised")
    assert case.ready() == ["回访核实"]
    assert not case.wf.is_completed()
    case.complete("回访核实", outcome="explanation")
    case.complete("解释说明")
    case.complete("反馈评价人", satisfied="yes")
    assert case.wf.is_completed()
    assert case.reached("End_Closed")


def test_finishing_the_overdue_callback_ends_the_supervision_nobody_handled(new_case, fake_clock):
    """A called process ends with a terminate event: its open supervision ends with the step it supervised."""
    case = new_case()
    fake_clock.now += timedelta(days=4)
    case.advance()
    assert case.ready() == ["回访核实", "督办：回访核实逾期"]
    case.complete("回访核实", outcome="immediate_fix")
    assert case.ready() == ["立行立改"]
    case.complete("立行立改")
    case.complete("反馈评价人", satisfied="yes")
    assert case.ready() == []
    assert case.wf.is_completed()


def test_a_callback_done_in_time_never_escalates(new_case, fake_clock):
    case = new_case()
    case.complete("回访核实", outcome="ledger")
    assert case.task_state("Timer_CallbackOverdue") == "CANCELLED"
    fake_clock.now += timedelta(days=5)
    case.advance()
    assert case.ready() == ["限期整改"]


def test_an_overdue_rectification_goes_to_the_supervisor(new_case, fake_clock):
    case = new_case()
    case.complete("回访核实", outcome="ledger")
    fake_clock.now += timedelta(days=9)
    case.advance()
    assert case.ready() == ["限期整改"]
    fake_clock.now += timedelta(days=2)
    case.advance()
    assert case.ready() == ["督办：整改逾期", "限期整改"]
    case.complete("督办：整改逾期", supervision_method="interview")
    assert case.reached("End_RectificationSupervised")
    case.complete("限期整改")
    case.complete("反馈评价人", satisfied="yes")
    assert case.wf.is_completed()


def test_the_case_data_and_every_form_reach_the_end(new_case):
    case = new_case()
    case.complete("回访核实", outcome="ledger")
    case.complete("限期整改")
    case.complete("反馈评价人", satisfied="yes")
    data = case.wf.last_task.data
    assert data["handling_org"] == "hall-1"
    assert data["outcome"] == "ledger"
    assert data["rectified_at"] == "2025-10-20T09:00:00+08:00"
    assert data["satisfied"] == "yes"
