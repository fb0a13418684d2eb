"""engine/steps.py's walk held to SpiffWorkflow's: `check()` wraps `steps.ready_tasks` so that every walk any test
makes is also made by `get_tasks(state=READY)` and compared (the same tasks, in the same order).
tests/conftest.py turns it on for the whole suite."""

from __future__ import annotations

import functools

import pytest
from SpiffWorkflow.util.task import TaskState

from casemgmt.engine import steps


class WalkMismatch(AssertionError):
    """steps.ready_tasks and SpiffWorkflow's iterator found different READY tasks."""


def unchecked_walk(workflow) -> list:  # noqa: ANN001
    """steps.ready_tasks itself, whether or not `check()` wraps it."""
    walk = steps.ready_tasks
    return getattr(walk, "__wrapped__", walk)(workflow)


def checked_walk(fast_walk):  # noqa: ANN001, ANN201 - steps.ready_tasks
    @functools.wraps(fast_walk)
    def walk(workflow) -> list:  # noqa: ANN001
        fast = fast_walk(workflow)
        slow = workflow.get_tasks(state=TaskState.READY)
        if [t.id for t in fast] != [t.id for t in slow]:
            raise WalkMismatch(f"READY tasks {[str(t.id) for t in fast]} != {[str(t.id) for t in slow]}")
        return fast

    return walk


def check(patch: pytest.MonkeyPatch) -> None:
    """Wrap steps.ready_tasks in its check, with `patch` (undone when it is)."""
    patch.setattr(steps, "ready_tasks", checked_walk(steps.ready_tasks))
