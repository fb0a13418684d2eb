"""Bombs an administrator could deploy are refused, each with a Chinese message naming the element."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.parser import CamundaParser

from casemgmt.engine.facade import ZgScriptEngine
from casemgmt.engine.validate import MAX_FLOW_NODES, MAX_LOOP_CARDINALITY
from casemgmt.engine.validate.limits import cycle_problem, duration_seconds
from casemgmt.errors import ExpressionRefused
from tests.casemgmt.engine.test_validate import DEFINITIONS, _validate, _with_extra

USER = 'camunda:formKey="callback_verification" camunda:candidateGroups="officer"'


def _mi(cardinality: str) -> str:
    return (
        f'<bpmn:userTask id="Task_mi" name="会签" {USER}><bpmn:multiInstanceLoopCharacteristics>'
        f"<bpmn:loopCardinality>{cardinality}</bpmn:loopCardinality>"
        "</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>"
    )


def _cycle(cycle: str) -> str:
    return (
        f'<bpmn:userTask id="Task_wait" name="整改" {USER}/>'
        '<bpmn:boundaryEvent id="Timer_nag" name="督办" attachedToRef="Task_wait" cancelActivity="false">'
        f"<bpmn:timerEventDefinition><bpmn:timeCycle>{cycle}</bpmn:timeCycle></bpmn:timerEventDefinition>"
        "</bpmn:boundaryEvent>"
    )


def _flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    inner = f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression>" if condition else ""
    return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">{inner}</bpmn:sequenceFlow>'


GATEWAY_LOOP = (
    '<bpmn:startEvent id="Start"/>'
    + _flow("F0", "Start", "Gw_a")
    + '<bpmn:exclusiveGateway id="Gw_a" name="是否回退"/><bpmn:exclusiveGateway id="Gw_b" name="再判断"/>'
    + _flow("F1", "Gw_a", "Gw_b")
    + _flow("F2", "Gw_b", "Gw_a", "True")
    + '<bpmn:endEvent id="End"/>'
    + _flow("F3", "Gw_b", "End", "False")
)
TASK_LOOP = (
    '<bpmn:task id="Task_spin" name="空转"/><bpmn:exclusiveGateway id="Gw_spin"/>'
    + _flow("F1", "Task_spin", "Gw_spin")
    + _flow("F2", "Gw_spin", "Task_spin", "True")
)
SELF_LOOP = '<bpmn:task id="Task_self" name="自循环"/>' + _flow("F1", "Task_self", "Task_self")
SUBPROCESS_LOOP = (
    '<bpmn:subProcess id="Sub_inner" name="子流程">'
    '<bpmn:task id="Task_in"/><bpmn:exclusiveGateway id="Gw_in"/>'
    + _flow("F1", "Task_in", "Gw_in")
    + _flow("F2", "Gw_in", "Task_in", "True")
    + "</bpmn:subProcess>"
)
LOOP_THROUGH_EMPTY_SUBPROCESS = (
    '<bpmn:subProcess id="Sub_empty" name="空子流程"><bpmn:task id="Task_nothing"/></bpmn:subProcess>'
    '<bpmn:exclusiveGateway id="Gw_back"/>' + _flow("F1", "Sub_empty", "Gw_back") + _flow("F2", "Gw_back", "Sub_empty")
)
MANY_NODES = "".join(f'<bpmn:task id="Task_{i}"/>' for i in range(MAX_FLOW_NODES + 1))
LONG_CONDITION = '<bpmn:exclusiveGateway id="Gw_long" name="长条件"/><bpmn:endEvent id="End_long"/>' + _flow(
    "Flow_long", "Gw_long", "End_long", " + ".join(["1"] * 1200) + " > 0"
)

#: (name, extra process body, element named, code, a word the message must hold)
BOMBS = [
    ("cardinality 100k", _mi("100000"), "Task_mi", "loop_cardinality", "100000"),
    ("cardinality 10M", _mi("10000000"), "Task_mi", "loop_cardinality", "10000000"),
    ("cycle R/PT0S", _cycle("R/PT0S"), "Timer_nag", "timer_cycle", "不限重复次数"),
    ("cycle R5/PT0S", _cycle("R5/PT0S"), "Timer_nag", "timer_cycle", "太短"),
    ("cycle R5/PT1S", _cycle("R5/PT1S"), "Timer_nag", "timer_cycle", "太短"),
    ("cycle R3/PT59M", _cycle("R3/PT59M"), "Timer_nag", "timer_cycle", "太短"),
    ("cycle unbounded daily", _cycle("R/P1D"), "Timer_nag", "timer_cycle", "不限重复次数"),
    ("cycle 1000 times", _cycle("R1000/P1D"), "Timer_nag", "timer_cycle", "超过上限"),
    ("cycle with start", _cycle("R/2025-01-01T00:00:00Z/PT1S"), "Timer_nag", "timer_cycle", "不限重复次数"),
    ("cycle as expression", _cycle("hours(1)"), "Timer_nag", "timer_cycle", "重复区间"),
    ("gateway loop", GATEWAY_LOOP, "Gw_a", "loop_without_wait", "没有等待节点"),
    ("task loop", TASK_LOOP, "Gw_spin", "loop_without_wait", "“空转”（Task_spin）"),
    ("self loop", SELF_LOOP, "Task_self", "loop_without_wait", "“自循环”（Task_self）"),
    ("loop inside a sub-process", SUBPROCESS_LOOP, "Gw_in", "loop_without_wait", "没有等待节点"),
    ("loop through an empty sub-process", LOOP_THROUGH_EMPTY_SUBPROCESS, "Gw_back", "loop_without_wait", "空子流程"),
    ("too many flow nodes", MANY_NODES, "extra", "too_many_flow_nodes", str(MAX_FLOW_NODES)),
    ("expression too long", LONG_CONDITION, "Flow_long", "expression_too_long", "超过上限"),
]


@pytest.mark.parametrize(("body", "element", "code", "word"), [b[1:] for b in BOMBS], ids=[b[0] for b in BOMBS])
def test_a_bomb_is_refused_naming_its_element(body, element, code, word):
    problems = [p for p in _validate(_with_extra(body)) if p.code == code]
    assert problems, f"not refused: {_validate(_with_extra(body))}"
    problem = problems[0]
    assert problem.file == "extra.bpmn" and problem.element == element
    assert word in problem.message and "文件 extra.bpmn" in problem.message


def test_the_corpus_holds_seventeen_bombs():
    assert len(BOMBS) == 17


@pytest.mark.parametrize(
    "body",
    [
        _mi(str(MAX_LOOP_CARDINALITY)),
        _mi("reviewers"),
        _cycle("R3/P1D"),
        _cycle("R31/PT1H"),
        '<bpmn:exclusiveGateway id="Gw_r"/>'
        + f'<bpmn:userTask id="Task_fix" name="整改" {USER}/>'
        + _flow("F1", "Gw_r", "Task_fix")
        + _flow("F2", "Task_fix", "Gw_r"),
    ],
    ids=["cardinality at the limit", "cardinality expression", "R3/P1D", "R31/PT1H", "loop through a user task"],
)
def test_bounded_diagrams_pass_the_limits(body):
    codes = {p.code for p in _validate(_with_extra(body))}
    assert not codes & {"loop_cardinality", "timer_cycle", "loop_without_wait", "too_many_flow_nodes"}, codes


def test_iso_durations_and_cycles_are_measured():
    assert duration_seconds("PT1H") == 3600 and duration_seconds("P1DT1S") == 86401 and duration_seconds("P") is None
    assert cycle_problem("R2/PT1H") is None and cycle_problem("R/PT1H") and cycle_problem("R2/PT30M")


def test_a_cardinality_expression_past_the_limit_is_refused_at_run_time():
    xml = DEFINITIONS.format(
        body='<bpmn:startEvent id="Start_1"/>'
        + _flow("F0", "Start_1", "Task_mi")
        + _mi("n").replace("bpmn:userTask", "bpmn:task").replace(f" {USER}", "")
        + '<bpmn:endEvent id="End_1"/>'
        + _flow("F1", "Task_mi", "End_1")
    )
    parser = CamundaParser()
    parser.add_bpmn_str(xml.encode(), filename="extra.bpmn")
    workflow = BpmnWorkflow(parser.get_spec("extra"))
    workflow.script_engine = ZgScriptEngine(SimpleNamespace(now=None))
    for task in workflow.get_tasks():
        task.data["n"] = MAX_LOOP_CARDINALITY + 1
    with pytest.raises(Exception) as caught:
        workflow.do_engine_steps()
    refused = caught.value if isinstance(caught.value, ExpressionRefused) else caught.value.__context__
    assert isinstance(refused, ExpressionRefused) and "超过上限" in refused.message
