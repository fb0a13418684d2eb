"""Starts shared within one batch: a case whose start would run exactly as an earlier case's takes a copy of it.

A start is a function of the bundle version, the instant, the calendar, its start data and what its operations
return (task ids and the state-change timestamps aside). In a run of only the kinds of step in `_STEPS`,
expressions are the only part that looks at task data (the sandbox; scripts are refused), operations get it as
their argument, and nothing but the start data and the operations' results writes it. So when a start (the
template) looked up the names `reads` in task data, called operations whose results use names of their own that
no expression read, and its state holds nothing else, a start of another case with the same bundle, instant,
calendar and data names, whose data agree with the template's on every name read, takes the same path: the same
tasks in the same states, the same timers, the same operations called in order with the same parameters. Only
the values of its start data and of its operations' results differ, wherever the template's state holds them.

`Starts.start` then calls that case's operations for real, in order, each with the task data it would get, puts
its values in a copy of the template's state, gives the copy fresh task ids (remapped wherever they occur) and
restores the run from it. An operation that moves timers or answers other names than the template's did makes
the rest of that start a real one (the operations already called answer with what they returned). Anything else
outside the above (another kind of step, data that is not plain JSON, an operation that changed its argument)
makes the template unusable: those starts are real. tests/casemgmt/engine/test_memo.py compares copies with
real starts for every bundled region.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from SpiffWorkflow.util.task import TaskState

from casemgmt.engine.clock import engine_clock
from casemgmt.engine.facade import (
    Bundle,
    ReadyTask,
    Run,
    RunContext,
    UserTaskInfo,
    ZgScriptEngine,
    deadline_functions,
    engine,
)
from casemgmt.engine.sandbox import SandboxEnvironment
from casemgmt.engine.serializer import load_state
from casemgmt.jsonvalues import is_plain

#: the kinds of step a template may have run: none of them reads or writes task data other than through the
#: sandbox's expressions and the operations (a multi-instance task reads its collection directly, for one)
_STEPS = frozenset(
    "BoundaryEvent BoundaryEventJoin BoundaryEventSplit BpmnStartTask CallActivity EndEvent EventBasedGateway "
    "ExclusiveGateway IntermediateCatchEvent OperationTask ParallelGateway SimpleBpmnTask StartEvent UserTask "
    "_EndJoin".split()
)
#: a task in one of these states ran (or is ready to): its step's kind is checked
_REACHED = TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.COMPLETED | TaskState.ERROR
#: what a template's tasks may hold in their internal data: timer values and marks, set from expressions, and
#: the events a task waiting for several caught (none, in a template)
_INTERNAL = frozenset({"event_fired", "event_value", "seen_events", "zg_started", "zg_provisional", "zg_moved"})
#: a task id in a state's JSON text, with or without dashes
_ID = re.compile(r'"([0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"')
_MISSING = "\0missing"


@dataclass
class _Call:
    """An operation the template called: its name, parameters, the task data it got and its result's names."""

    name: str
    params: dict
    data: dict
    keys: tuple[str, ...]


@dataclass
class _Template:
    bundle: Bundle
    calendar: object
    #: every name read, with the JSON of the template's value (_MISSING when absent)
    reads: dict[str, str]
    names: frozenset[str]
    calls: list[_Call]
    state: str
    ids: frozenset[str] = field(default_factory=frozenset)
    #: the READY user tasks: id, properties, and the names of their data (each a start datum or an operation's)
    ready: list[tuple[str, UserTaskInfo, tuple[str, ...]]] = field(default_factory=list)
    next_timer_at: datetime | None = None
    is_completed: bool = False


@dataclass
class _Candidate:
    """A real start not yet checked as a template (only when another start could use it)."""

    run: Run
    data: dict
    reads: set[str]
    calls: list[tuple[str, dict, Any, Any]]
    state: str
    usable: bool
    template: _Template | None = None
    checked: bool = False


class Starts:
    """The starts of one batch: each start either runs or copies an earlier one of the batch (see the module)."""

    def __init__(self, shared: bool = True) -> None:
        """`shared`: False for a single start (nothing to share it with: it runs without noting anything)."""
        self.shared = shared
        self._candidates: dict[tuple, list[_Candidate]] = {}
        #: how many starts were copies (for tests and measurements)
        self.copied = 0

    def start(self, bundle: Bundle, data: dict, ctx: RunContext) -> tuple[Run, str]:
        """Start a workflow as engine.start does; return the run and its state (what run.dump() gives)."""
        if not self.shared:
            run = engine.start(bundle, data, ctx)
            return run, run.dump()
        key = (id(bundle), id(ctx.calendar), ctx.now, tuple(data))
        candidates = self._candidates.setdefault(key, [])
        if is_plain(data):
            for candidate in candidates:
                template = _checked(candidate)
                if template is not None and template.bundle is bundle and template.calendar is ctx.calendar:
                    if all(_json(data.get(name, _MISSING)) == value for name, value in template.reads.items()):
                        run, state, copied = _copy(template, data, ctx)
                        self.copied += copied
                        return run, state
        run, candidate = _recorded(bundle, data, ctx)
        candidates.append(candidate)
        return run, candidate.state


def _recorded(bundle: Bundle, data: dict, ctx: RunContext) -> tuple[Run, _Candidate]:
    """A real start, noting the names its expressions read and the operations it called."""
    noted: set[str] = set()
    calls: list[tuple[str, dict, Any, Any]] = []
    usable = [True]
    real = ctx.call_operation

    def recording(name: str, given: dict, params: dict) -> dict | None:
        before, moves = _json_or_none(given), len(ctx.timer_moves)
        result = real(name, given, params)
        if before is None or _json_or_none(given) != before or len(ctx.timer_moves) != moves:
            usable[0] = False  # it changed its argument or moved timers: no copy can be told apart
        calls.append((name, params, before, result))
        return result

    ctx.call_operation = recording
    try:
        run = engine.start(bundle, data, ctx, lambda task_data: _Reads(task_data, noted))
    finally:
        ctx.call_operation = real
    reads = set(noted)  # what the start read (the run's later expressions still note theirs in `noted`)
    state = run.dump()
    return run, _Candidate(run, dict(data), reads, calls, state, usable[0] and is_plain(data))


class _Reads(dict):
    """Task data that notes each name looked up in it (eval looks names up through __getitem__ when its locals
    are not a plain dict), found or not: whether a name is missing decides too."""

    def __init__(self, data: dict[str, Any], reads: set[str]) -> None:
        super().__init__(data)
        self._reads = reads

    def __getitem__(self, key: str) -> Any:
        self._reads.add(key)
        return super().__getitem__(key)


def _checked(candidate: _Candidate) -> _Template | None:
    if not candidate.checked:
        candidate.checked = True
        candidate.template = _template(candidate) if candidate.usable else None
        candidate.run = None  # type: ignore[assignment] # the workflow is no longer needed
    return candidate.template


def _template(c: _Candidate) -> _Template | None:
    """The candidate as a template, or None when a copy of it could differ from a real start (see the module)."""
    names = frozenset(c.data)
    values = {name: _json(value) for name, value in c.data.items()}
    calls = []
    for name, params, given, result in c.calls:
        if result is not None and not isinstance(result, dict):
            return None
        keys = tuple(result or {})
        if given is None or not is_plain(result or {}) or set(values) & set(keys) or c.reads & set(keys):
            return None  # a result's names must be its own, and unread
        data = json.loads(given)
        if any(values.get(key) != _json(value) for key, value in data.items()):
            return None  # the operation got a value a copy does not give it
        calls.append(_Call(name, params, data, keys))
        values.update({key: _json((result or {})[key]) for key in keys})
    if not _steps_allowed(c.run):
        return None
    dct = json.loads(c.state)
    ids: set[str] = set()
    for workflow in _workflows(dct):
        if workflow.get("correlations") or any(_carries(event) for event in workflow.get("bpmn_events", [])):
            return None
        for holder in _data_holders(workflow):
            if any(values.get(key) != _json(value) for key, value in holder.items()):
                return None  # a value the state holds is not one a copy puts in
        for task in workflow["tasks"]:
            internal = task.get("x", {})
            if set(internal) - _INTERNAL or internal.get("seen_events"):
                return None
            ids.add(task["i"])
    reads = {name: _json(c.data.get(name, _MISSING)) for name in c.reads}
    ready = []
    for task in c.run.ready_user_tasks():
        if c.run.boundary_host(task.spiff_id) is not None:
            return None  # a 督办 at the start: never so (its timer has not fired)
        if any(values.get(key) != _json(value) for key, value in task.data.items()):
            return None
        ready.append((task.spiff_id.replace("-", ""), task.info, tuple(task.data)))
    run = c.run
    template = _Template(run.bundle, run.ctx.calendar, reads, names, calls, c.state, frozenset(ids), ready)
    template.next_timer_at, template.is_completed = run.next_timer_at(), run.is_completed
    return template


def _carries(event: dict) -> bool:
    """Whether an event the workflow threw carries anything (a terminate event carries nothing)."""
    return bool(event.get("payload") is not None or event.get("correlations"))


def _steps_allowed(run: Run) -> bool:
    workflow = run._wf
    for wf in (workflow, *workflow.subprocesses.values()):
        for task in wf.tasks.values():
            if not task.state & _REACHED:
                continue
            spec = task.task_spec
            if type(spec).__name__ not in _STEPS:
                return False
            if any(getattr(spec, a, None) for a in ("data_input_associations", "data_output_associations")):
                return False
            if getattr(spec, "io_specification", None) is not None:
                return False
    for spec in (run.bundle._spec, *run.bundle._subprocess_specs.values()):
        if getattr(spec, "data_objects", None):
            return False
    return True


def _copy(template: _Template, data: dict, ctx: RunContext) -> tuple[Run, str, bool]:  # noqa: C901
    """The start of `data` made from the template: its operations called, the template's state with its values;
    False when an operation's answer made it a real start after all."""
    results: list[dict | None] = []
    values = dict(data)
    for call in template.calls:
        given = _with_values(call.data, values)
        try:
            result = ctx.call_operation(call.name, given, call.params)
        except Exception:  # noqa: BLE001 - the real start calls it again and fails as a start fails
            return (*_answered(template.bundle, data, ctx, results), False)
        results.append(result)
        if not isinstance(result, dict | None) or tuple(result or {}) != call.keys or not is_plain(result or {}):
            return (*_answered(template.bundle, data, ctx, results), False)
        if ctx.timer_moves:
            return (*_answered(template.bundle, data, ctx, results), False)
        values.update(result or {})
    dct = json.loads(template.state)
    for workflow in _workflows(dct):
        for holder in _data_holders(workflow):
            for key in holder:
                holder[key] = values[key]
    text = json.dumps(dct, separators=(",", ":"), ensure_ascii=False)
    fresh = {old: uuid.uuid4().hex for old in template.ids}

    def remap(match: re.Match) -> str:
        found = match.group(1)
        new = fresh.get(found.replace("-", ""))
        if new is None:
            return match.group(0)
        return f'"{new}"' if len(found) == 32 else f'"{uuid.UUID(new)}"'

    text = _ID.sub(remap, text)
    ready = [
        ReadyTask(str(uuid.UUID(fresh[old])), info, json.loads(json.dumps({key: values[key] for key in keys})))
        for old, info, keys in template.ready
    ]
    return _Copy(template, ctx, text, ready), text, True


class _Copy(Run):
    """A copied start's run: what opening a case asks of it (its READY user tasks, expressions on their data, next
    timer, state) answered without restoring the workflow; anything else restores it first."""

    def __init__(self, template: _Template, ctx: RunContext, state: str, ready: list[ReadyTask]) -> None:
        self.bundle, self.ctx, self.ready_at_load = template.bundle, ctx, frozenset()
        self._template, self._state, self._ready = template, state, ready
        self._restored: Run | None = None
        self._sandbox = SandboxEnvironment(deadline_functions(ctx), shared=template.bundle.compiled)

    def _run(self) -> Run:
        if self._restored is None:
            workflow = load_state(self._state, self.bundle._spec, self.bundle._subprocess_specs)
            self._restored = Run(self.bundle, workflow, self.ctx)
        return self._restored

    @property  # type: ignore[override]
    def _wf(self):  # noqa: ANN202 - the restored workflow, for every other method of Run
        return self._run()._wf

    @property  # type: ignore[override]
    def _script_engine(self) -> ZgScriptEngine:  # type: ignore[override]
        return self._run()._script_engine

    def ready_user_tasks(self) -> list[ReadyTask]:
        return list(self._ready) if self._restored is None else self._restored.ready_user_tasks()

    def evaluate(self, spiff_id: str, expression: str) -> Any:
        task = next((t for t in self._ready if t.spiff_id == spiff_id), None)
        if self._restored is not None or task is None:
            return self._run().evaluate(spiff_id, expression)
        try:
            with engine_clock(self.ctx.now):
                return self._sandbox.evaluate(expression, task.data)  # as Run.evaluate's script engine does
        except Exception:  # noqa: BLE001 - the restored run raises it as a run does, naming the element
            return self._run().evaluate(spiff_id, expression)

    def boundary_host(self, spiff_id: str) -> tuple[str, str | None] | None:
        return None if self._restored is None else self._restored.boundary_host(spiff_id)

    @property
    def is_completed(self) -> bool:
        return self._template.is_completed if self._restored is None else self._restored.is_completed

    def next_timer_at(self) -> datetime | None:
        return self._template.next_timer_at if self._restored is None else self._restored.next_timer_at()

    def dump(self) -> str:
        return self._state if self._restored is None else self._restored.dump()


def _answered(bundle: Bundle, data: dict, ctx: RunContext, results: list[dict | None]) -> tuple[Run, str]:
    """A real start whose first operations answer with what they returned already (they ran once, for real)."""
    answers = list(results)
    real = ctx.call_operation

    def answered(name: str, given: dict, params: dict) -> dict | None:
        return answers.pop(0) if answers else real(name, given, params)

    ctx.call_operation = answered
    try:
        run = engine.start(bundle, data, ctx)
    finally:
        ctx.call_operation = real
    return run, run.dump()


def _with_values(data: dict, values: dict) -> dict:
    return {key: json.loads(json.dumps(values[key])) if key in values else value for key, value in data.items()}


def _workflows(dct: dict) -> list[dict]:
    return [dct, *dct.get("subprocesses", {}).values()]


def _data_holders(workflow: dict) -> list[dict]:
    """The dicts of a packed workflow that hold task data: its own data, each task's data and delta's updates."""
    holders = [workflow.get("data", {})]
    for task in workflow["tasks"]:
        holders.append(task.get("d", {}))
        holders.append(task.get("e", {}).get("updates", {}))
    return holders


def _json(value: Any) -> str:
    return value if value is _MISSING else json.dumps(value, ensure_ascii=False)


def _json_or_none(value: Any) -> str | None:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return None
