"""codec.py reads and writes zhenggai/2 as the generic path through SpiffWorkflow's dict does: the same text, and
workflows SpiffWorkflow's converter turns into the same dict (codec_check.py; tests/conftest.py checks every state
of the suite that way too). Here: a region's case walked step by step with its timers fired, the rarer shapes a
stored state may hold, the fallback, and the check itself catching a difference."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from casemgmt.calendar import WorkCalendar
from casemgmt.engine import codec, serializer
from casemgmt.engine.facade import RunContext, engine
from casemgmt.rules.bundles import bundle_sha256, collect_files, settings_of
from config import ROOT
from tests.casemgmt.engine.codec_check import CodecMismatch, checked_dump, checked_load
from tests.web.flows import FORMS, callback

NOW = datetime(2025, 9, 26, 2, 0, tzinfo=UTC)
REGIONS = ("liaoning", "xian", "sanming", "nea")


def _ctx(now: datetime = NOW) -> RunContext:
    calendar = WorkCalendar(holidays=set(), workdays=set(), closed=set(), years=set())
    return RunContext(now=now, calendar=calendar, call_operation=lambda name, data, params: None)


def _bundle(region: str):  # noqa: ANN202 - the facade's Bundle
    files = collect_files(ROOT / "bpmn", ROOT / "forms", region)
    return engine.bundle(bundle_sha256(files), lambda: files), settings_of(files)


def _start(region: str):  # noqa: ANN202 - a Run
    bundle, settings = _bundle(region)
    data = {
        "handling_org": "org",
        "supervisor_org": "sup",
        "coordinator_org": "co",
        "region": region,
        "level": "dissatisfied",
        "reasons": [],
        "settings": settings,
        "revoked": False,
        "handling": None,
        "case_id": 1,
    }
    return engine.start(bundle, data, _ctx())


def _both_ways(run) -> str:  # noqa: ANN001
    """Dump the run both ways (the same text), load the text both ways (the same workflow); return the text."""
    checked_dump(_codec_dump)(run._wf)
    state = serializer.dump_state(run._wf)
    _same_loads(state, run.bundle)
    return state


def _codec_dump(workflow) -> dict:  # noqa: ANN001
    return codec.dump_workflow(workflow, serializer._SERIALIZER.registry)


def _codec_load(dct: dict, spec, subprocess_specs: dict, as_parsed: bool = False):  # noqa: ANN001, ANN202
    registry = codec.AsParsed if as_parsed else serializer._SERIALIZER.registry
    return codec.load_workflow(dct, spec, subprocess_specs, registry)


def _same_loads(state: str, bundle) -> None:  # noqa: ANN001
    dct = json.loads(state)
    dct.pop("format")
    checked_load(_codec_load)(dct, bundle._spec, bundle._subprocess_specs)


def _form(run, task) -> dict:  # noqa: ANN001
    key = task.info.form_key or ""
    if "callback" in key:
        return callback("immediate_fix")
    return next((data for name, data in FORMS.items() if name in key), FORMS["immediate_fix"])


def walk(region: str) -> Iterator:
    """A region's case step by step: each step's run (yielded), stored and loaded 9 days later, when its boundary
    timers fire and a 督办 (a called supervision process) opens beside the late step (that run yielded too), then
    its first READY task completed; up to 8 steps, or until a form this walk does not fill in."""
    run = _start(region)
    now = NOW
    for _ in range(8):
        yield run
        now += timedelta(days=9)
        run = engine.load(run.bundle, run.dump(), _ctx(now))
        yield run
        ready = run.ready_user_tasks()
        if not ready or run.is_completed:
            break
        try:
            run.complete(ready[0].spiff_id, _form(run, ready[0]))
        except Exception:  # noqa: BLE001 - a form this walk does not fill in; what was reached is checked
            break


@pytest.mark.parametrize("region", REGIONS)
def test_a_case_walked_step_by_step_reads_and_writes_alike(region):
    states = 0
    for run in walk(region):
        _both_ways(run)
        states += 1
    assert states >= 4


def test_rarer_shapes_of_a_stored_state_read_alike():
    run = _start("liaoning")
    run._wf.get_tasks()[1].last_state_change = 1.123456789  # not exact in 1e-7 s: kept as a list
    run._wf.get_tasks()[2].triggered = True
    state = _both_ways(run)
    dct = json.loads(state)
    assert any(isinstance(entry["t"], list) for entry in dct["tasks"])
    # a task named with its key and parent spelled out, as the generic path writes when they are unusual
    entry = dct["tasks"][3]
    entry["k"] = codec.long_id(entry["i"])
    entry["p"] = codec.long_id(dct["tasks"][0]["i"]) if 3 in dct["tasks"][0]["c"] else None
    _same_loads(json.dumps(dct), run.bundle)


def test_what_the_codec_does_not_know_takes_the_generic_path(monkeypatch):
    run = _start("liaoning")
    state = serializer.dump_state(run._wf)
    dct = json.loads(state)
    dct["tasks"][0]["y"] = "SomeOtherTask"
    dct.pop("format")
    with pytest.raises(codec.Unsupported):
        _codec_load(dct, run.bundle._spec, run.bundle._subprocess_specs)

    def unsupported(*args):  # noqa: ANN002, ANN202
        raise codec.Unsupported("test")

    monkeypatch.setattr(serializer, "_fast_dump", unsupported)
    monkeypatch.setattr(serializer, "_fast_load", unsupported)
    assert serializer.dump_state(run._wf) == state
    assert serializer.dump_state(serializer.load_state(state, run.bundle._spec, run.bundle._subprocess_specs)) == state


def test_the_check_catches_a_codec_that_writes_differently(monkeypatch):
    run = _start("liaoning")
    real = codec._entry

    def forgets_triggered(task, parent, registry):  # noqa: ANN001, ANN202
        entry, stamp = real(task, parent, registry)
        entry.pop("g", None)
        return entry, stamp

    run._wf.get_tasks()[2].triggered = True
    monkeypatch.setattr(codec, "_entry", forgets_triggered)
    with pytest.raises(CodecMismatch):
        checked_dump(_codec_dump)(run._wf)


def test_the_check_catches_a_codec_that_reads_differently(monkeypatch):
    run = _start("liaoning")
    state = serializer.dump_state(run._wf)
    real = codec._task

    def untriggered(*args):  # noqa: ANN002, ANN202
        task = real(*args)
        task.triggered = "changed"
        return task

    monkeypatch.setattr(codec, "_task", untriggered)
    with pytest.raises(CodecMismatch):
        _same_loads(state, run.bundle)


def test_a_state_without_typed_values_is_read_as_parsed_and_one_with_them_through_the_registry(monkeypatch):
    run = _start("liaoning")
    plain = serializer.dump_state(run._wf)
    at = datetime(2025, 9, 26, 10, 0, tzinfo=UTC)
    run._wf.task_tree.internal_data["answered_on"] = at  # the registry writes it with a typename
    typed = serializer.dump_state(run._wf)
    registries = []
    real = codec.load_workflow

    def spy(dct, spec, subprocess_specs, registry):  # noqa: ANN001, ANN202
        registries.append(registry)
        return real(dct, spec, subprocess_specs, registry)

    monkeypatch.setattr(codec, "load_workflow", spy)
    specs = (run.bundle._spec, run.bundle._subprocess_specs)
    assert serializer.dump_state(serializer.load_state(plain, *specs)) == plain
    loaded = serializer.load_state(typed, *specs)
    assert loaded.task_tree.internal_data["answered_on"] == at
    assert serializer.dump_state(loaded) == typed
    assert registries == [codec.AsParsed, serializer._SERIALIZER.registry]
