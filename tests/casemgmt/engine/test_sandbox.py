"""The expression sandbox: whitelist at check time, the same whitelist again inside the engine."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG
from SpiffWorkflow.util.task import TaskState

from casemgmt.engine.sandbox import ALLOWED_FUNCTIONS, SandboxEnvironment, check_expression
from casemgmt.errors import ExpressionRefused

HERE = Path(__file__).parent
VALID = HERE / "valid"
HOSTILE = HERE / "hostile"


def _later(days: float) -> str:
    """Return a timezone-aware ISO instant some days from now."""
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def workdays(n: int) -> str:
    """Stand in for the real working-day calendar."""
    return _later(n * 1.4)


def calendar_days(n: int) -> str:
    """Stand in for the real calendar-day deadline."""
    return _later(n)


def hours(n: int) -> str:
    """Stand in for the real hour deadline."""
    return _later(n / 24)


FUNCTIONS = {"workdays": workdays, "calendar_days": calendar_days, "hours": hours}
DATA = {
    "level": "very_dissatisfied",
    "reasons": ["态度差", "超时"],
    "channel": "12345",
    "score": 2,
    "handling_org": "310101",
    "_secret": "hidden",
}

HOSTILE_EXPRESSIONS = [
    "workdays.__globals__",
    "workdays.__globals__['os'].system('id')",
    "len.__self__",
    "().__class__.__base__.__subclasses__()",
    "''.__class__.__mro__[1].__subclasses__()",
    "__import__('os')",
    "__import__('os').system('id')",
    "getattr(len, '__self__')",
    "[c for c in ()]",
    "{c: 1 for c in reasons}",
    "(c for c in reasons)",
    "(lambda: 1)()",
    "9**9**9",
    "'a' * 10**9",
    "'a' * 1000000000",
    "[0] * 1000000000",
    "open('/etc/passwd')",
    "eval('1')",
    "exec('import os')",
    "globals()",
    "vars()",
    "_secret",
    "__builtins__",
    "f'{score:99999999}'",
    "'%099999999d' % 1",
    "(x := 1)",
    "max(*reasons)",
    "dict(**{'a': 1})",
    "{**{'a': 1}}",
    "[len]",
    "sorted(reasons, key=len)",
    "reasons[0].upper()",
    "score if score else workdays",
    "b'bytes'",
    "12345678901234567890123",
    "1 << 100000",
    "~score",
    "${workdays(3)}",
    "",
    "x" * 10_001,
    "-" * 3000 + "1",
    "a" + "+a" * 4999,
    "[" * 60 + "]" * 60,
]


@pytest.fixture
def env() -> SandboxEnvironment:
    """Return a sandbox with stand-in deadline functions."""
    return SandboxEnvironment(FUNCTIONS)


def test_allowed_functions_are_exactly_those_of_the_conventions() -> None:
    assert ALLOWED_FUNCTIONS == {
        "workdays", "calendar_days", "hours", "len", "min", "max", "abs", "round",
        "int", "float", "str", "bool", "any", "all", "sorted",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("level == 'very_dissatisfied' and len(reasons) > 0", True),
        ("not (level == 'dissatisfied' or score >= 3)", True),
        ("'超时' in reasons and channel != '12345'", False),
        ("score * 2 + 1 - 3 // 2 % 2", 4),
        ("score / 4", 0.5),
        ("-score + +score", 0),
        ("'高' if score < 3 else '低'", "高"),
        ("reasons[0]", "态度差"),
        ("reasons[-1:]", ["超时"]),
        ("{'a': [1, 2], 'b': (3,)}['a'][1]", 2),
        ("len({1, 2, 2})", 2),
        ("max(score, 5) + min([4, 3]) + abs(-1)", 9),
        ("round(3.14159, 2)", 3.14),
        ("int('7') + float('0.5') + bool(1)", 8.5),
        ("str(score) + '分'", "2分"),
        ("any([score > 1, False]) and all(reasons)", True),
        ("sorted(reasons, reverse=True)[0]", "超时"),
        ("level + '_' + channel", "very_dissatisfied_12345"),
        ("reasons + ['其他']", ["态度差", "超时", "其他"]),
        ("handling_org", "310101"),
        ("None is None and 1 < score <= 2", True),
    ],
)
def test_plain_expressions_over_task_data_evaluate(env: SandboxEnvironment, expression: str, expected: object) -> None:
    check_expression(expression)
    assert env.evaluate(expression, DATA) == expected


def test_deadline_functions_are_callable_and_return_aware_iso_strings(env: SandboxEnvironment) -> None:
    due = env.evaluate("workdays(3)", DATA)
    assert datetime.fromisoformat(due).tzinfo is not None


@pytest.mark.parametrize("expression", HOSTILE_EXPRESSIONS)
def test_hostile_expression_is_refused_at_check_time(expression: str) -> None:
    with pytest.raises(ExpressionRefused):
        check_expression(expression)


@pytest.mark.parametrize("expression", HOSTILE_EXPRESSIONS)
def test_hostile_expression_is_refused_by_the_environment_at_run_time(env: SandboxEnvironment, expression: str) -> None:
    with pytest.raises(ExpressionRefused):
        env.evaluate(expression, DATA)


def test_refusal_names_the_attribute_node_and_its_position() -> None:
    with pytest.raises(ExpressionRefused) as caught:
        check_expression("score + ().__class__")
    assert caught.value.message == "不允许访问属性 __class__"
    assert caught.value.details == {
        "expression": "score + ().__class__",
        "node": "Attribute",
        "position": 8,
        "line": 1,
    }


def test_refusal_of_a_call_names_the_function() -> None:
    with pytest.raises(ExpressionRefused) as caught:
        check_expression("len(reasons) > 0 and __import__('os')")
    assert caught.value.message == "不允许调用函数 __import__"
    assert caught.value.details["node"] == "Call"
    assert caught.value.details["position"] == 21


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("x" * 10_001, "过长"),
        ("not " * 60 + "score", "嵌套过深"),
        ("[" + ", ".join(["1"] * 2_500) + "]", "过于复杂"),
        ("score ==", "语法错误"),
    ],
)
def test_oversized_deep_or_malformed_expressions_are_refused_with_a_reason(expression: str, words: str) -> None:
    with pytest.raises(ExpressionRefused) as caught:
        check_expression(expression)
    assert words in caught.value.message


def test_a_function_outside_the_given_names_is_refused() -> None:
    check_expression("workdays(3)")
    with pytest.raises(ExpressionRefused):
        check_expression("workdays(3)", functions={"len"})


@pytest.mark.parametrize(
    "expression",
    ["text * count", "items * count", "count * text", "text % count"],
)
def test_repeating_or_formatting_a_sequence_held_in_task_data_is_refused_at_run_time(
    env: SandboxEnvironment, expression: str
) -> None:
    data = {"text": "a", "items": [0], "count": 1_000_000_000}
    check_expression(expression)  # names hide the types from the static check
    with pytest.raises(ExpressionRefused):
        env.evaluate(expression, data)


def test_integer_products_beyond_the_bit_limit_are_refused(env: SandboxEnvironment) -> None:
    data = {"big": 2**2_000}
    assert env.evaluate("big * 2", data) == 2**2_001
    with pytest.raises(ExpressionRefused):
        env.evaluate("big * big * big", data)


def test_concatenation_beyond_the_length_limit_is_refused(env: SandboxEnvironment) -> None:
    data = {"text": "a" * 60_000}
    assert len(env.evaluate("text + 'b'", data)) == 60_001
    with pytest.raises(ExpressionRefused):
        env.evaluate("text + text", data)


def test_round_refuses_huge_ndigits_before_spending_seconds(env: SandboxEnvironment) -> None:
    started = time.perf_counter()
    with pytest.raises(ExpressionRefused):
        env.evaluate("round(score, -10000000)", DATA)
    assert time.perf_counter() - started < 0.5


def test_callables_smuggled_into_task_data_are_not_visible(env: SandboxEnvironment) -> None:
    with pytest.raises(NameError):
        env.evaluate("sneaky", {"sneaky": open})


def test_task_data_cannot_shadow_a_whitelisted_function(env: SandboxEnvironment) -> None:
    assert env.evaluate("len(reasons)", {**DATA, "len": 99}) == 2


def test_external_context_is_visible_but_task_data_wins(env: SandboxEnvironment) -> None:
    assert env.evaluate("dmninputexpr == score", DATA, {"dmninputexpr": 2, "score": 5}) is True


def test_scripts_are_always_refused(env: SandboxEnvironment) -> None:
    with pytest.raises(ExpressionRefused) as caught:
        env.execute("x = 1", {})
    assert "脚本" in caught.value.message


def test_service_calls_are_left_to_the_operation_registry(env: SandboxEnvironment) -> None:
    with pytest.raises(NotImplementedError):
        env.call_service({}, operation_name="notify_evaluator")


def test_iso_durations_and_cycles_come_back_as_text(env: SandboxEnvironment) -> None:
    assert env.evaluate("PT2H", {}) == "PT2H"
    assert env.evaluate(" R3/PT1H ", {}) == "R3/PT1H"
    assert env.evaluate("P1DT12H", {}) == "P1DT12H"


def test_functions_with_private_or_invalid_names_cannot_be_injected() -> None:
    with pytest.raises(ValueError):
        SandboxEnvironment({"_workdays": workdays})
    with pytest.raises(ValueError):
        SandboxEnvironment({"workdays": "not callable"})  # type: ignore[dict-item]


# --- Inside a real workflow ---------------------------------------------------------------


def _spec(bpmn: bytes, process: str = "bad_review"):
    """Parse one diagram (plus the valid DMN) into a spec, skipping deploy-time validation."""
    parser = CamundaParser()
    parser.add_bpmn_str(bpmn, filename="test.bpmn")
    parser.add_dmn_str((VALID / "priority.dmn").read_bytes(), filename="priority.dmn")
    return parser.get_spec(process)


def _start(bpmn: bytes, data: dict, process: str = "bad_review") -> BpmnWorkflow:
    """Start a workflow on the sandbox with data and run it as far as it goes."""
    engine = PythonScriptEngine(environment=SandboxEnvironment(FUNCTIONS))
    workflow = BpmnWorkflow(_spec(bpmn, process), script_engine=engine)
    workflow.get_tasks(state=TaskState.READY)[0].set_data(**data)
    workflow.do_engine_steps()
    return workflow


def _save_and_restore(workflow: BpmnWorkflow) -> BpmnWorkflow:
    """Round-trip the workflow through JSON and attach the sandbox again."""
    config = {**DEFAULT_CONFIG, ServiceTask: BpmnTaskSpecConverter}  # Spiff's Camunda config lacks one
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
    restored = serializer.deserialize_json(serializer.serialize_json(workflow))
    restored.script_engine = PythonScriptEngine(environment=SandboxEnvironment(FUNCTIONS))
    return restored


def _complete_callback(workflow: BpmnWorkflow) -> BpmnWorkflow:
    """Complete the callback user task after a save and restore."""
    workflow = _save_and_restore(workflow)
    workflow.refresh_timers()
    workflow.do_engine_steps()
    (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
    assert task.task_spec.name == "Task_callback"
    task.run()
    workflow.do_engine_steps()
    return workflow


def _states(workflow: BpmnWorkflow) -> dict[str, str]:
    """Map task spec names to their state names."""
    return {task.task_spec.name: TaskState.get_name(task.state) for task in workflow.get_tasks()}


def test_a_workflow_takes_the_serious_branch_through_the_sandbox() -> None:
    workflow = _start((VALID / "bad_review.bpmn").read_bytes(), {"level": "very_dissatisfied", "reasons": ["a", "b"]})
    (callback,) = workflow.get_tasks(state=TaskState.READY, manual=True)
    assert callback.data["priority"] == "high"  # the DMN cells ran in the sandbox too
    workflow = _complete_callback(workflow)
    assert _states(workflow)["Task_notify"] == "STARTED"  # left to the operation registry


def test_a_workflow_takes_the_default_branch_through_the_sandbox() -> None:
    workflow = _start((VALID / "bad_review.bpmn").read_bytes(), {"level": "dissatisfied", "reasons": []})
    workflow = _complete_callback(workflow)
    assert workflow.is_completed()
    assert workflow.data["priority"] == "normal"  # the `? in (...)` cell ran with dmninputexpr
    assert _states(workflow)["End_normal"] == "COMPLETED"


def test_the_boundary_timer_due_time_comes_from_workdays() -> None:
    workflow = _start((VALID / "bad_review.bpmn").read_bytes(), {"level": "dissatisfied", "reasons": []})
    (timer,) = workflow.get_tasks(state=TaskState.WAITING, spec_name="Timer_callback")
    assert datetime.fromisoformat(timer.internal_data["event_value"]) > datetime.now(UTC) + timedelta(days=4)


def test_a_hostile_condition_that_skipped_deploy_validation_still_fails_in_the_engine() -> None:
    bpmn = (
        (VALID / "bad_review.bpmn")
        .read_bytes()
        .replace(b"level == 'very_dissatisfied' and len(reasons) &gt; 0", b"__import__('os').system('id') == 0")
    )
    workflow = _start(bpmn, {"level": "dissatisfied", "reasons": []})
    (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
    task.run()
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    assert caught.value.error_type == "ExpressionRefused"


def test_a_script_task_that_skipped_deploy_validation_does_not_run() -> None:
    marker = Path("/tmp/zhenggai-script-ran")
    marker.unlink(missing_ok=True)
    with pytest.raises(WorkflowTaskException) as caught:
        _start((HOSTILE / "script_task.bpmn").read_bytes(), {}, process="script_process")
    assert caught.value.error_type == "ExpressionRefused"
    assert not marker.exists()


def test_a_shared_compile_cache_is_filled_once_and_reused_by_the_next_environment() -> None:
    shared: dict = {}
    first = SandboxEnvironment({}, shared=shared)
    assert first.evaluate("score + 1", {"score": 1}) == 2
    [(key, code)] = shared.items()
    second = SandboxEnvironment({}, shared=shared)
    assert second.evaluate("score + 1", {"score": 41}) == 42
    assert shared == {key: code}
    with pytest.raises(ExpressionRefused):
        second.evaluate("__import__('os')", {})
    assert len(shared) == 1


def test_runs_of_one_bundle_version_share_its_compiled_expressions(seeded_app, api) -> None:
    from casemgmt.db import db
    from casemgmt.models import Case
    from casemgmt.rules import bundles

    case_id = api.bad_review(external_id="share-1")["case_id"]
    definition = bundles.get_active(db.session.get(Case, case_id).region_id)
    compiled = bundles.bundle_of(definition).compiled
    assert compiled, "the first run compiled into the version's cache"
    before = dict(compiled)
    api.bad_review(external_id="share-2", record_no="LN-REC-0002")
    assert all(compiled[key] is code for key, code in before.items())
