"""What the use cases read through the facade comes back as plain values: a run's start data and waiting
timers, a stored workflow's path (read without running it), a bundle's task properties and timers."""

from datetime import UTC, datetime, timedelta

import pytest

from casemgmt.calendar import WorkCalendar
from casemgmt.engine.facade import Bundle, RunContext, TimerDefinition, WaitingEvent, engine
from casemgmt.rules.bundles import bundle_sha256, collect_files, settings_of
from config import ROOT

NOW = datetime(2025, 9, 26, 2, 0, tzinfo=UTC)


def _ctx(now: datetime) -> RunContext:
    calendar = WorkCalendar(holidays=set(), workdays=set(), closed=set(), years=set())
    return RunContext(now=now, calendar=calendar, call_operation=lambda name, data, params: None)


FILES = collect_files(ROOT / "bpmn", ROOT / "forms", "liaoning")
#: what a case starts with (casemgmt.cases.operations), less what these diagrams do not read
START = {
    "handling_org": "ln-sy-scjg",
    "case_no": "T1",
    "settings": settings_of(FILES),
    "revoked": False,
    "handling": None,
}


@pytest.fixture
def bundle() -> Bundle:
    return engine.bundle(bundle_sha256(FILES), lambda: FILES)


def test_a_run_reports_its_start_data_and_waiting_timers_as_plain_values(bundle):
    run = engine.start(bundle, dict(START), _ctx(NOW))
    assert run.start_data()["case_no"] == "T1"
    assert {type(event) for event in run.waiting_events()} == {WaitingEvent}
    [timer] = run.waiting_timers()
    assert (timer.element_id, timer.name) == ("Timer_CallbackOverdue", "回访核实逾期")
    assert isinstance(timer.due_at, str) and datetime.fromisoformat(timer.due_at) == run.next_timer_at()


def test_the_path_of_a_stored_workflow_names_completed_elements_and_fired_timers_without_running_it(bundle):
    run = engine.start(bundle, dict(START), _ctx(NOW))
    state = run.dump()
    [timer] = run.waiting_timers()
    due = datetime.fromisoformat(timer.due_at)
    path = engine.path(bundle, state)
    assert "Task_NotifyUnit" in path.completed and "Task_Callback" not in path.completed
    assert path.timers_fired == frozenset()
    later = engine.load(bundle, state, _ctx(due + timedelta(minutes=1)))
    fired = engine.path(bundle, later.dump())
    assert "Timer_CallbackOverdue" in fired.completed and fired.timers_fired == {"Timer_CallbackOverdue"}
    assert engine.path(bundle, state) == path  # reading the stored state changed nothing


def test_a_bundle_answers_task_properties_and_its_timers(bundle):
    assert bundle.task_property("Task_Rectification", "extensionMaxWorkdays") == "settings:extension_max_workdays"
    assert bundle.task_property("Task_Callback", "extensionMaxWorkdays") is None
    assert bundle.task_property("Task_Missing", "extensionMaxWorkdays") is None
    assert (
        TimerDefinition("Timer_CallbackOverdue", "回访核实逾期", "workdays(settings['callback_workdays'])")
        in bundle.timer_definitions()
    )
