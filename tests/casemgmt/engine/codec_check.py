"""Both ways of reading and writing zhenggai/2 held to one answer (casemgmt/engine/codec.py against the generic path
through SpiffWorkflow's dict): `check()` wraps serializer's direct functions so that every state any test loads or
dumps is also taken the generic way and compared. tests/conftest.py turns it on for the whole suite."""

from __future__ import annotations

import copy
import json

import pytest

from casemgmt.engine import serializer


class CodecMismatch(AssertionError):
    """codec.py and the generic path gave different answers."""


def same_workflow(fast, slow) -> None:  # noqa: ANN001 - two BpmnWorkflows
    """The two workflows are one: SpiffWorkflow's own dict of each (tasks, data, ids, states, called processes),
    the tasks waiting for events, the called processes and the tasks their completion goes back to."""
    if serializer._SERIALIZER.to_dict(fast) != serializer._SERIALIZER.to_dict(slow):
        raise CodecMismatch("SpiffWorkflow's dict of the workflow differs")
    if list(fast.event_manager.tasks) != list(slow.event_manager.tasks):
        raise CodecMismatch("the tasks waiting for events differ")
    for key, sub in slow.subprocesses.items():
        other = fast.subprocesses.get(key)
        if other is None or other.top_workflow is not fast or other.parent_task_id != sub.parent_task_id:
            raise CodecMismatch(f"called process {key} differs")
        if _receivers(other) != _receivers(sub):
            raise CodecMismatch(f"called process {key} reports its completion elsewhere")


def _receivers(workflow) -> list:  # noqa: ANN001 - a BpmnSubWorkflow
    """Who its completion is reported to: each callback's spec and the task it is given."""
    return [
        (callback.__self__.name, [str(task.id) for task in args], kwargs)
        for callback, args, kwargs in workflow.completed_event.hard_subscribers or []
    ]


def checked_load(fast_load):  # noqa: ANN001, ANN201 - serializer._fast_load
    def load(dct: dict, spec, subprocess_specs: dict, as_parsed: bool = False):  # noqa: ANN001, ANN202
        slow = serializer._generic_load(copy.deepcopy(dct), serializer.STATE_FORMAT, spec, subprocess_specs)
        fast = fast_load(dct, spec, subprocess_specs, as_parsed)
        same_workflow(fast, slow)
        return fast

    return load


def checked_dump(fast_dump):  # noqa: ANN001, ANN201 - serializer._fast_dump
    def dump(workflow) -> dict:  # noqa: ANN001
        fast = fast_dump(workflow)
        slow = serializer._generic_dump(workflow)
        if json.dumps(fast, ensure_ascii=False) != json.dumps(slow, ensure_ascii=False):
            raise CodecMismatch("the written state differs")
        return fast

    return dump


def check(patch: pytest.MonkeyPatch) -> None:
    """Wrap serializer's direct functions in their checks, with `patch` (undone when it is)."""
    patch.setattr(serializer, "_fast_load", checked_load(serializer._fast_load))
    patch.setattr(serializer, "_fast_dump", checked_dump(serializer._fast_dump))
