"""The engine facade: start, load, act on, read and save workflows of deployed bundles.

Nothing SpiffWorkflow leaves this package: a run's workflow and a bundle's specs are private (`_wf`, `_spec`),
and what the use cases read of them comes back as plain values (ids, names, ISO instants, dicts).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition as CamundaMessage
from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState

from casemgmt.engine import steps
from casemgmt.engine.bundle import (
    MAIN_PROCESS,
    Bundle,
    SpecCache,
    TimerDefinition,
    UserTaskInfo,
    parse_bundle,
    strip_expr,
)
from casemgmt.engine.clock import engine_clock
from casemgmt.engine.sandbox import SandboxEnvironment
from casemgmt.engine.serializer import dump_state, load_state
from casemgmt.engine.supervised import supervised_host
from casemgmt.engine.validate.limits import MAX_LOOP_CARDINALITY
from casemgmt.errors import DomainError, EngineError, ExpressionRefused, TaskNotOpen

__all__ = [
    "MAIN_PROCESS",
    "Bundle",
    "Engine",
    "ReadyTask",
    "Run",
    "RunContext",
    "SpecCache",
    "TimerDefinition",
    "UserTaskInfo",
    "WaitingEvent",
    "WorkflowPath",
    "engine",
    "engine_errors",
    "parse_bundle",
    "strip_expr",
]

MAX_DEADLINE_DAYS = 366


class DueLike(Protocol):
    due_at: datetime
    provisional: bool


class CalendarLike(Protocol):
    def due(self, start: datetime, n: int) -> Any: ...

    def calendar_due(self, start: datetime, n: int) -> Any: ...


Operation = Callable[[str, dict, dict], dict | None]


@dataclass
class RunContext:
    """What a run needs from outside: the instant, the region's calendar, the operations."""

    now: datetime
    calendar: CalendarLike
    call_operation: Operation
    #: every deadline computed in this run, by its ISO string, so rows can show due_date/provisional
    dues: dict[str, Any] = field(default_factory=dict)
    #: (task element, ISO instant) pairs operations ask for: that task's boundary timers move there
    timer_moves: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ReadyTask:
    spiff_id: str
    info: UserTaskInfo
    data: dict


@dataclass(frozen=True)
class WaitingEvent:
    """A step waiting for an event; for a timer, `value` is its ISO instant (or a cycle's state), else None."""

    element_id: str
    name: str | None
    value: str | dict | None

    @property
    def due_at(self) -> str | None:
        """Return the ISO instant a timeDate or duration timer fires at (None for other events)."""
        return self.value if isinstance(self.value, str) else None


@dataclass(frozen=True)
class WorkflowPath:
    """The elements a stored workflow completed, and the timer events among them (their deadline passed)."""

    completed: frozenset[str]
    timers_fired: frozenset[str]


def _count(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_DEADLINE_DAYS:
        raise ExpressionRefused(f"期限天数必须是 0 到 {MAX_DEADLINE_DAYS} 之间的整数，得到 {n!r}")
    return n


def deadline_functions(ctx: RunContext) -> dict[str, Callable]:
    """The deadline functions diagrams may call, bound to this run's clock and calendar."""

    def record(due) -> str:
        iso = due.due_at.isoformat()
        ctx.dues[iso] = due
        return iso

    def workdays(n):
        return record(ctx.calendar.due(ctx.now, _count(n)))

    def calendar_days(n):
        return record(ctx.calendar.calendar_due(ctx.now, _count(n)))

    def hours(n):
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 24 * MAX_DEADLINE_DAYS:
            raise ExpressionRefused(f"小时数不合法：{n!r}")
        return (ctx.now + timedelta(hours=n)).isoformat()

    return {"workdays": workdays, "calendar_days": calendar_days, "hours": hours}


class ZgScriptEngine(PythonScriptEngine):
    """Sandboxed expressions; service tasks dispatch to the run's operation registry."""

    def __init__(self, ctx: RunContext, compiled: dict | None = None) -> None:
        super().__init__(environment=SandboxEnvironment(deadline_functions(ctx), shared=compiled))
        self.ctx = ctx

    def evaluate(self, task: SpiffTask, expression: str, external_context: dict | None = None) -> Any:
        """Evaluate in the sandbox; a multi-instance cardinality past MAX_LOOP_CARDINALITY is refused here too."""
        result = super().evaluate(task, expression, external_context)
        if (
            isinstance(result, int)
            and result > MAX_LOOP_CARDINALITY
            and expression == getattr(task.task_spec, "cardinality", None)
        ):
            raise ExpressionRefused(
                f"多实例循环次数 {result} 超过上限 {MAX_LOOP_CARDINALITY}（由表达式 {expression[:100]!r} 算出）",
                details={"expression": expression, "node": "loopCardinality"},
            )
        return result

    def call_service(self, task: SpiffTask, **kwargs) -> None:
        updates = self.ctx.call_operation(kwargs["operation"], dict(task.data), kwargs["params"])
        if updates:
            task.data.update(updates)


@contextlib.contextmanager
def engine_errors(now: datetime) -> Iterator[None]:
    """Run engine code at `now`; turn the engine's wrapped failures into domain errors naming the element."""
    with engine_clock(now):
        try:
            yield
        except WorkflowTaskException as err:
            element = getattr(getattr(err, "task_spec", None), "bpmn_id", None) or "?"
            inner = err.__context__ if isinstance(err.__context__, DomainError) else None
            if isinstance(inner, ExpressionRefused) or err.error_type == "ExpressionRefused":
                message = f"元素 {element} 的表达式被拒绝：{inner.message if inner else err}"
                raise ExpressionRefused(message, details={"element": element}) from err
            raise EngineError(f"元素 {element} 执行出错：{err}", details={"element": element}) from err


class Run:
    """One workflow loaded for one action, bound to a context; the Spiff workflow stays private."""

    def __init__(self, bundle: Bundle, workflow: BpmnWorkflow, ctx: RunContext) -> None:
        self.bundle = bundle
        self.ctx = ctx
        self._wf = workflow
        self._script_engine = ZgScriptEngine(ctx, bundle.compiled)
        self._wf.script_engine = self._script_engine
        self.ready_at_load: frozenset[str] = frozenset()  # READY user tasks as stored, before any step ran

    def advance(self) -> None:
        """Fire due timers and run engine steps up to the next wait state."""
        with engine_errors(self.ctx.now):
            self._wf.refresh_timers()
            steps.do_engine_steps(self._wf)
        self._mark_timer_starts()
        while self.ctx.timer_moves:
            self.move_timers(*self.ctx.timer_moves.pop(0))

    def ready_user_tasks(self) -> list[ReadyTask]:
        """Return the READY user tasks with what their task rows need."""
        return [
            ReadyTask(str(t.id), self.bundle.user_tasks[t.task_spec.bpmn_id], t.data)
            for t in steps.ready_tasks(self._wf)
            if t.task_spec.manual and isinstance(t.task_spec, UserTask)
        ]

    def start_data(self) -> dict:
        """Return a copy of the data the workflow started with (its root task's data)."""
        return dict(self._wf.task_tree.data)

    def latest_data(self) -> dict:
        """Return a copy of the workflow's data, or of its last task's when the workflow keeps none."""
        return dict(self._wf.data) or dict(self._wf.last_task.data)

    def waiting_events(self) -> list[WaitingEvent]:
        """Return the steps waiting for an event (timers, messages), read from state without running anything."""
        return [_waiting(task) for task in self._wf.event_manager.tasks.values()]

    def waiting_timers(self) -> list[WaitingEvent]:
        """Return the waiting timers that fire at one instant (timeDate, duration), with that ISO instant."""
        return [event for event in self.waiting_events() if event.due_at is not None]

    def evaluate(self, spiff_id: str, expression: str) -> Any:
        """Evaluate an expression against a task's data in the sandbox."""
        task = self._wf.get_task_from_id(UUID(spiff_id))
        with engine_errors(self.ctx.now):
            return self._script_engine.evaluate(task, expression)

    def evaluate_as_of(self, spiff_id: str, expression: str, as_of: datetime) -> tuple[str, Any]:
        """Evaluate a deadline expression as if it were `as_of`; return the ISO instant and its Due."""
        ctx = replace(self.ctx, now=as_of, dues={})
        task = self._wf.get_task_from_id(UUID(spiff_id))
        with engine_errors(as_of):
            iso = ZgScriptEngine(ctx, self.bundle.compiled).evaluate(task, expression)
        return iso, ctx.dues.get(iso)

    def retime_timers(self, only_provisional: bool) -> list[tuple[str, str, str]]:
        """Recompute waiting working-day timers from their start; return (element, old, new) changes."""
        changes = []
        for task in list(self._wf.event_manager.tasks.values()):
            started = task.internal_data.get("zg_started")
            if started is None or task.internal_data.get("zg_moved"):  # an extension, not the expression, set it
                continue
            if only_provisional and not task.internal_data.get("zg_provisional"):
                continue
            old = task.internal_data.get("event_value")
            new, due = self.evaluate_as_of(
                str(task.id), task.task_spec.event_definition.expression, datetime.fromisoformat(started)
            )
            task.internal_data["event_value"] = new
            task.internal_data["zg_provisional"] = bool(due and due.provisional)
            if new != old:
                changes.append((task.task_spec.bpmn_id, old, new))
        return changes

    def complete(self, spiff_id: str, data: dict) -> None:
        """Put validated form data on a READY user task, run it and advance."""
        task = self._wf.get_task_from_id(UUID(spiff_id)) if self._has(spiff_id) else None
        if task is None or task.state != TaskState.READY or not isinstance(task.task_spec, UserTask):
            raise TaskNotOpen("该任务已不在办理中")
        task.set_data(**data)
        with engine_errors(self.ctx.now):
            task.run()
        self.advance()

    def boundary_host(self, spiff_id: str) -> tuple[str, str | None] | None:
        """Return the task a 督办 supervises and, if it is not the task's own name, the 督办's title (see
        `supervised_host`); None for a task no boundary event opened."""
        task = self._wf.get_task_from_id(UUID(spiff_id)) if self._has(spiff_id) else None
        return supervised_host(self._wf, task) if task is not None else None

    def deliver(self, message: str, payload: dict, variable: str) -> bool:
        """Deliver a BPMN message (payload in task data as `variable`) and advance; False if nothing waits for it."""
        event = BpmnEvent(CamundaMessage(message), payload={"payload": payload, "result_var": variable})
        with engine_errors(self.ctx.now):
            caught = self._wf.event_manager.catch(event, internal=False)
        if caught:
            self.advance()
        return bool(caught)

    def move_timers(self, element_id: str, iso: str) -> list[str]:
        """Move the waiting boundary timers of a task to a new instant (an approved extension); return their ids."""
        moved = []
        for task in self._wf.event_manager.tasks.values():
            hosts = {t.task_spec.bpmn_id for t in task.parent.children} if task.parent else set()
            timer = isinstance(getattr(task.task_spec, "event_definition", None), TimeDateEventDefinition)
            if timer and isinstance(task.task_spec, BoundaryEvent) and element_id in hosts:
                task.internal_data.update(event_value=iso, zg_moved=True, zg_provisional=False)
                moved.append(task.task_spec.bpmn_id)
        return moved

    def cancel(self) -> None:
        """Cancel the whole workflow (case revoked or withdrawn)."""
        self._wf.cancel()

    @property
    def is_completed(self) -> bool:
        return self._wf.is_completed()

    def next_timer_at(self) -> datetime | None:
        """Return the earliest waiting timer instant, read from state without running anything."""
        values = []
        for task in self._wf.event_manager.tasks.values():
            value = task.internal_data.get("event_value")
            if isinstance(value, str):
                values.append(TimerEventDefinition.get_datetime(value))
            elif isinstance(value, dict) and "next" in value:
                values.append(datetime.fromisoformat(value["next"]))
        return min(values) if values else None

    def dump(self) -> str:
        """Serialize the state, without the spec."""
        return dump_state(self._wf)

    def _has(self, spiff_id: str) -> bool:
        try:
            return self._wf.get_task_from_id(UUID(spiff_id)) is not None
        except Exception:  # noqa: BLE001 - Spiff raises its own TaskNotFound
            return False

    def _mark_timer_starts(self) -> None:
        """Remember when each timer started and whether its instant was provisional."""
        for task in self._wf.event_manager.tasks.values():
            definition = getattr(task.task_spec, "event_definition", None)
            value = task.internal_data.get("event_value")
            if not isinstance(definition, TimeDateEventDefinition) or "zg_started" in task.internal_data:
                continue
            due = self.ctx.dues.get(value) if isinstance(value, str) else None
            task.internal_data["zg_started"] = self.ctx.now.isoformat()
            task.internal_data["zg_provisional"] = bool(due and due.provisional)


def _waiting(task: SpiffTask) -> WaitingEvent:
    value = task.internal_data.get("event_value")
    value = dict(value) if isinstance(value, dict) else value  # detached from the workflow's internal data
    return WaitingEvent(task.task_spec.bpmn_id, task.task_spec.bpmn_name, value)


def _path(workflow: BpmnWorkflow) -> WorkflowPath:
    completed, fired = set(), set()
    for task in workflow.get_tasks(state=TaskState.COMPLETED):
        element = getattr(task.task_spec, "bpmn_id", None)
        if not element:
            continue
        completed.add(element)
        if isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition):
            fired.add(element)
    return WorkflowPath(frozenset(completed), frozenset(fired))


class Engine:
    """Start and load workflows of deployed bundles; the one entry point the use cases use."""

    def __init__(self, cache: SpecCache | None = None) -> None:
        self.cache = cache or SpecCache()

    def bundle(self, key: str, load_files: Callable[[], dict[str, str]]) -> Bundle:
        """Return the parsed bundle of a deployed version."""
        return self.cache.get(key, load_files)

    def start(self, bundle: Bundle, data: dict, ctx: RunContext, wrap: Callable[[dict], dict] | None = None) -> Run:
        """Create a workflow with its initial data and run it to the first wait state (`wrap`: engine.memo's)."""
        workflow = BpmnWorkflow(bundle._spec, bundle._subprocess_specs)
        workflow.task_tree.data.update(data)
        for task in steps.ready_tasks(workflow):
            task.data.update(data)
        run = Run(bundle, workflow, ctx)
        run._script_engine.environment.wrap = wrap  # type: ignore[attr-defined] # the sandbox's (SandboxEnvironment)
        run.advance()
        return run

    def load(self, bundle: Bundle, state: str, ctx: RunContext) -> Run:
        """Restore a stored workflow and bring it up to `ctx.now` (timers refreshed first)."""
        run = Run(bundle, load_state(state, bundle._spec, bundle._subprocess_specs), ctx)
        run.ready_at_load = frozenset(t.spiff_id for t in run.ready_user_tasks())
        run.advance()
        return run

    def path(self, bundle: Bundle, state: str) -> WorkflowPath:
        """Read a stored workflow's completed elements and fired timers, without running it."""
        return _path(load_state(state, bundle._spec, bundle._subprocess_specs))


engine = Engine()
