"""Every branch of the national library run end to end in plain SpiffWorkflow, with its timers (escalation to the
supervisor) on a fake clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

# ------------------------------------------------------------------------------------------ running it


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
    assert case.ready() == ["回访核实", "督办"]
    case.complete("督办")
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
    assert case.ready() == ["回访核实", "督办"]
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
    assert case.ready() == ["督办", "限期整改"]
    case.complete("督办", supervision_method="interview")
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
