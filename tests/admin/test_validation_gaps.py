"""Deploy-time checks added for administrators: deadlines that cannot evaluate and BPMN schema errors."""

from pathlib import Path

import pytest

from casemgmt.engine.validate import validate_bundle
from tests.casemgmt.engine.test_validate import _validate, _with_main

TIMER = '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">workdays(3)</bpmn:timeDate>'


def _timer(text: str) -> list:
    """Validate the sample with another overdue-timer text; its disagreement with the due date is left out here
    (test_a_due_date_and_its_overdue_timer_that_disagree_are_refused checks it)."""
    files = _with_main(TIMER, f'<bpmn:timeDate xsi:type="bpmn:tFormalExpression">{text}</bpmn:timeDate>')
    return [p for p in _validate(files) if p.code != "due_timer_mismatch"]


def test_a_due_date_and_its_overdue_timer_that_disagree_are_refused() -> None:
    """The measured bug: dueDate workdays(2), overdue timer still workdays(3): 督办 a day late (or early)."""
    files = _with_main('camunda:dueDate="${workdays(3)}"', 'camunda:dueDate="${workdays(2)}"')
    (problem,) = _validate(files)
    assert (problem.element, problem.code) == ("Task_callback", "due_timer_mismatch")
    assert "workdays(2)" in problem.message and "Timer_callback" in problem.message and "workdays(3)" in problem.message
    same = _with_main(TIMER, '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">workdays( 3 )</bpmn:timeDate>')
    assert _validate(same) == []


@pytest.mark.parametrize(
    "text",
    [
        "workdays(n_days)",
        "workdays(2) if level == 'x' else hours(4)",
        "'2030-01-01T00:00:00+08:00'",
        "calendar_days(0)",
    ],
)
def test_time_dates_that_compute_an_instant_are_accepted(text: str) -> None:
    assert _timer(text) == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("workdays(400)", "0 到 366"),
        ("hours(99999)", "0 到 8784"),
        ("workdays(-1)", "负数"),
        ("workdays('3')", "整数"),
        ("workdays(3, 4)", "一个参数"),
        ("3", "timeDate 必须调用"),
        ("'2030-01-01T00:00:00'", "带时区"),
    ],
)
def test_time_dates_that_cannot_compute_an_instant_are_refused_by_name(text: str, words: str) -> None:
    (problem,) = _timer(text)
    assert (problem.element, problem.code) == ("Timer_callback", "timer") and words in problem.message


def test_a_due_date_out_of_range_is_refused() -> None:
    files = _with_main('camunda:dueDate="${workdays(3)}"', 'camunda:dueDate="${workdays(3.5)}"')
    (problem,) = _validate(files)
    assert problem.code == "due_date" and "整数" in problem.message


def test_a_schema_violation_names_the_element_and_line() -> None:
    files = _with_main(TIMER, TIMER.replace("<bpmn:timeDate", "<bpmn:timeDate unknownAttribute='1'", 1))
    (problem,) = _validate(files)
    assert problem.code == "bpmn_schema" and "不符合 BPMN 2.0 规范" in problem.message and "第 " in problem.message
    assert problem.element == "Timer_callback"


def test_a_file_refused_for_other_reasons_gets_no_schema_noise() -> None:
    files = _with_main(
        TIMER, TIMER.replace("workdays(3)", "__import__('os')").replace("<bpmn:timeDate", "<bpmn:timeDate bogus='1'", 1)
    )
    assert {
        p.code
        for p in validate_bundle(
            files, form_keys={"callback_verification", "overdue_review"}, operations={"notify_evaluator", "close_case"}
        )
    } == {"expression_refused"}


def test_a_task_without_candidate_groups_takes_its_role_from_its_lane() -> None:
    from casemgmt.engine.facade import parse_bundle
    from casemgmt.rules.bundles import collect_files

    files = collect_files(Path("bpmn"), Path("forms"), "national")
    lanes = (
        '<bpmn:laneSet id="LaneSet_Callback"><bpmn:lane id="Lane_Officer" name="officer">'
        "<bpmn:flowNodeRef>Task_Callback</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>"
    )
    text = files["callback.bpmn"].replace(
        '<bpmn:startEvent id="Start_Callback"', lanes + '<bpmn:startEvent id="Start_Callback"'
    )
    text = text.replace(
        'camunda:formKey="callback_verification" camunda:candidateGroups="officer"',
        'camunda:formKey="callback_verification"',
    )
    assert text.count('name="officer"') == 1 and 'callback_verification" camunda:dueDate' in text
    bundle = parse_bundle("lane", {**files, "callback.bpmn": text})
    assert bundle.user_tasks["Task_Callback"].role == "officer"
