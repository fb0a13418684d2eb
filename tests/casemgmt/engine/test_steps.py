"""engine/steps.py walks to the READY tasks as SpiffWorkflow's iterator does (the same tasks in the same order; the
whole suite checks each walk through steps_check.py) and runs the engine steps as Spiff's do_engine_steps does.
Here: each region's case walked step by step with its timers fired and its 督办 called processes, the two loops
side by side, the fallback for a large tree, and the check catching a walk that differs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from SpiffWorkflow.util.task import TaskState

from casemgmt.engine import steps
from casemgmt.engine.clock import engine_clock
from casemgmt.engine.facade import engine
from tests.casemgmt.engine.steps_check import WalkMismatch, checked_walk, unchecked_walk
from tests.casemgmt.engine.test_codec import NOW, REGIONS, _ctx, _start, walk


def _same_walks(run) -> None:  # noqa: ANN001 - a Run
    for workflow in [run._wf, *run._wf.subprocesses.values()]:
        ours = unchecked_walk(workflow)
        assert [t.id for t in ours] == [t.id for t in workflow.get_tasks(state=TaskState.READY)]


def _shape(workflow) -> list:  # noqa: ANN001
    """What the engine steps decided, without ids and instants: each task's element, state and data in tree
    order, for the workflow and each called process."""
    workflows = [workflow, *workflow.subprocesses.values()]
    return [[(t.task_spec.name, t.state, t.data) for t in wf.get_tasks()] for wf in workflows]


@pytest.mark.parametrize("region", REGIONS)
def test_each_step_of_a_case_finds_the_ready_tasks_spiff_finds(region):
    in_called_processes = 0
    for run in walk(region):  # with boundary timers fired and 督办 called processes opened
        _same_walks(run)
        in_called_processes += sum(len(unchecked_walk(sp)) for sp in run._wf.subprocesses.values())
    assert in_called_processes > 0  # the walk went into 督办 processes


@pytest.mark.parametrize("region", REGIONS)
def test_the_engine_steps_run_what_spiffs_run(region):
    run = _start(region)
    state = run.dump()
    ours, theirs, untouched = (engine.load(run.bundle, state, _ctx(NOW))._wf for _ in range(3))
    with engine_clock(NOW + timedelta(days=9)):  # the boundary timers are due now
        ours.refresh_timers()
        steps.do_engine_steps(ours)
        theirs.refresh_timers()
        theirs.do_engine_steps()
    assert _shape(ours) == _shape(theirs)
    assert _shape(theirs) != _shape(untouched)  # the timers fired and the steps ran


def test_a_tree_too_large_for_the_walk_is_left_to_spiff(monkeypatch):
    run = _start("liaoning")
    cls = type(run._wf)
    real, calls = cls.get_tasks, []

    def spy(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        calls.append(kwargs.get("state"))
        return real(self, *args, **kwargs)

    expected = [t.id for t in run._wf.get_tasks(state=TaskState.READY)]
    monkeypatch.setattr(cls, "get_tasks", spy)
    monkeypatch.setattr(steps, "_MAX_TASKS", 3)
    assert [t.id for t in unchecked_walk(run._wf)] == expected
    assert calls == [TaskState.READY]


def test_the_check_catches_a_walk_that_differs():
    run = _start("liaoning")
    assert len(unchecked_walk(run._wf)) >= 1

    def misses_the_last(workflow):  # noqa: ANN001, ANN202
        return unchecked_walk(workflow)[:-1]

    with pytest.raises(WalkMismatch):
        checked_walk(misses_the_last)(run._wf)
