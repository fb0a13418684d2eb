"""The engine facade: parse and cache deployed bundles, start, load, act on and save workflows."""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

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

from casemgmt.engine.clock import engine_clock
from casemgmt.engine.parser import ZgParser
from casemgmt.engine.sandbox import SandboxEnvironment
from casemgmt.engine.serializer import dump_state, load_state
from casemgmt.engine.validate.limits import MAX_LOOP_CARDINALITY
from casemgmt.errors import DomainError, EngineError, ExpressionRefused, TaskNotOpen

MAIN_PROCESS = "bad_review"
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
class UserTaskInfo:
    element_id: str
    title: str
    form_key: str
    role: str
    due_expr: str | None
    org_expr: str


@dataclass(frozen=True)
class Bundle:
    """A parsed, immutable deployed version."""

    key: str
    spec: Any
    subprocess_specs: dict
    user_tasks: dict[str, UserTaskInfo]


@dataclass(frozen=True)
class ReadyTask:
    spiff_id: str
    info: UserTaskInfo
    data: dict


def strip_expr(text: str) -> str:
    """Drop the optional Camunda `${...}` wrapper around an expression."""
    text = text.strip()
    if text.startswith("${") and text.endswith("}"):
        return text[2:-1].strip()
    return text


def _task_info(spec) -> UserTaskInfo:
    ext = spec.extensions or {}
    due = ext.get("camunda:dueDate")
    return UserTaskInfo(
        element_id=spec.bpmn_id,
        title=spec.bpmn_name or spec.bpmn_id,
        form_key=ext.get("camunda:formKey") or spec.form.key or "",
        role=(ext.get("camunda:candidateGroups") or spec.lane or "").strip(),  # validation allows a role's lane
        due_expr=strip_expr(due) if due else None,
        org_expr=strip_expr(ext.get("candidateOrg") or "handling_org"),
    )


def parse_bundle(key: str, files: dict[str, str]) -> Bundle:
    """Parse a bundle's diagrams with a parser of its own (process ids repeat across versions)."""
    parser = ZgParser()
    for name in sorted(files):
        text = files[name].encode("utf-8")
        if name.endswith(".bpmn"):
            parser.add_bpmn_str(text, filename=name)
        elif name.endswith(".dmn"):
            parser.add_dmn_str(text, filename=name)
    spec = parser.get_spec(MAIN_PROCESS)
    subprocess_specs = parser.get_subprocess_specs(MAIN_PROCESS)
    user_tasks = {}
    for s in [spec, *subprocess_specs.values()]:
        for ts in s.task_specs.values():
            if isinstance(ts, UserTask):
                user_tasks[ts.bpmn_id] = _task_info(ts)
    return Bundle(key, spec, subprocess_specs, user_tasks)


class SpecCache:
    """Parsed bundles by key (sha256), least recently used dropped first."""

    def __init__(self, size: int = 64) -> None:
        self._items: OrderedDict[str, Bundle] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: str, load_files: Callable[[], dict[str, str]]) -> Bundle:
        """Return the bundle for `key`, parsing the files `load_files` gives on a miss."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        bundle = parse_bundle(key, load_files())
        with self._lock:
            self._items[key] = bundle
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return bundle


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

    def __init__(self, ctx: RunContext) -> None:
        super().__init__(environment=SandboxEnvironment(deadline_functions(ctx)))
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
    """One workflow loaded for one action, bound to a context."""

    def __init__(self, bundle: Bundle, workflow: BpmnWorkflow, ctx: RunContext) -> None:
        self.bundle = bundle
        self.wf = workflow
        self.ctx = ctx
        self.engine = ZgScriptEngine(ctx)
        self.wf.script_engine = self.engine

    def advance(self) -> None:
        """Fire due timers and run engine steps up to the next wait state."""
        with engine_errors(self.ctx.now):
            self.wf.refresh_timers()
            self.wf.do_engine_steps()
        self._mark_timer_starts()
        while self.ctx.timer_moves:
            self.move_timers(*self.ctx.timer_moves.pop(0))

    def ready_user_tasks(self) -> list[ReadyTask]:
        """Return the READY user tasks with what their task rows need."""
        tasks = self.wf.get_tasks(state=TaskState.READY, manual=True)
        return [
            ReadyTask(str(t.id), self.bundle.user_tasks[t.task_spec.bpmn_id], t.data)
            for t in tasks
            if isinstance(t.task_spec, UserTask)
        ]

    def evaluate(self, spiff_id: str, expression: str) -> Any:
        """Evaluate an expression against a task's data in the sandbox."""
        task = self.wf.get_task_from_id(_uuid(spiff_id))
        with engine_errors(self.ctx.now):
            return self.engine.evaluate(task, expression)

    def evaluate_as_of(self, spiff_id: str, expression: str, as_of: datetime) -> tuple[str, Any]:
        """Evaluate a deadline expression as if it were `as_of`; return the ISO instant and its Due."""
        ctx = replace(self.ctx, now=as_of, dues={})
        task = self.wf.get_task_from_id(_uuid(spiff_id))
        with engine_errors(as_of):
            iso = ZgScriptEngine(ctx).evaluate(task, expression)
        return iso, ctx.dues.get(iso)

    def retime_timers(self, only_provisional: bool) -> list[tuple[str, str, str]]:
        """Recompute waiting working-day timers from their start; return (element, old, new) changes."""
        changes = []
        for task in list(self.wf.event_manager.tasks.values()):
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
        task = self.wf.get_task_from_id(_uuid(spiff_id)) if self._has(spiff_id) else None
        if task is None or task.state != TaskState.READY or not isinstance(task.task_spec, UserTask):
            raise TaskNotOpen("该任务已不在办理中")
        task.set_data(**data)
        with engine_errors(self.ctx.now):
            task.run()
        self.advance()

    def deliver(self, message: str, payload: dict, variable: str) -> bool:
        """Deliver a BPMN message (payload in task data as `variable`) and advance; False if nothing waits for it."""
        event = BpmnEvent(CamundaMessage(message), payload={"payload": payload, "result_var": variable})
        with engine_errors(self.ctx.now):
            caught = self.wf.event_manager.catch(event, internal=False)
        if caught:
            self.advance()
        return bool(caught)

    def move_timers(self, element_id: str, iso: str) -> list[str]:
        """Move the waiting boundary timers of a task to a new instant (an approved extension); return their ids."""
        moved = []
        for task in self.wf.event_manager.tasks.values():
            hosts = {t.task_spec.bpmn_id for t in task.parent.children} if task.parent else set()
            timer = isinstance(getattr(task.task_spec, "event_definition", None), TimeDateEventDefinition)
            if timer and isinstance(task.task_spec, BoundaryEvent) and element_id in hosts:
                task.internal_data.update(event_value=iso, zg_moved=True, zg_provisional=False)
                moved.append(task.task_spec.bpmn_id)
        return moved

    def cancel(self) -> None:
        """Cancel the whole workflow (case revoked or withdrawn)."""
        self.wf.cancel()

    @property
    def is_completed(self) -> bool:
        return self.wf.is_completed()

    def next_timer_at(self) -> datetime | None:
        """Return the earliest waiting timer instant, read from state without running anything."""
        values = []
        for task in self.wf.event_manager.tasks.values():
            value = task.internal_data.get("event_value")
            if isinstance(value, str):
                values.append(TimerEventDefinition.get_datetime(value))
            elif isinstance(value, dict) and "next" in value:
                values.append(datetime.fromisoformat(value["next"]))
        return min(values) if values else None

    def dump(self) -> str:
        """Serialize the state, without the spec."""
        return dump_state(self.wf)

    def _has(self, spiff_id: str) -> bool:
        try:
            return self.wf.get_task_from_id(_uuid(spiff_id)) is not None
        except Exception:  # noqa: BLE001 - Spiff raises its own TaskNotFound
            return False

    def _mark_timer_starts(self) -> None:
        """Remember when each timer started and whether its instant was provisional."""
        for task in self.wf.event_manager.tasks.values():
            definition = getattr(task.task_spec, "event_definition", None)
            value = task.internal_data.get("event_value")
            if not isinstance(definition, TimeDateEventDefinition) or "zg_started" in task.internal_data:
                continue
            due = self.ctx.dues.get(value) if isinstance(value, str) else None
            task.internal_data["zg_started"] = self.ctx.now.isoformat()
            task.internal_data["zg_provisional"] = bool(due and due.provisional)


def _uuid(value: str):
    from uuid import UUID

    return UUID(value)


class Engine:
    """Start and load workflows of deployed bundles; the one entry point the use cases use."""

    def __init__(self, cache: SpecCache | None = None) -> None:
        self.cache = cache or SpecCache()

    def bundle(self, key: str, load_files: Callable[[], dict[str, str]]) -> Bundle:
        """Return the parsed bundle of a deployed version."""
        return self.cache.get(key, load_files)

    def start(self, bundle: Bundle, data: dict, ctx: RunContext) -> Run:
        """Create a workflow with its initial data and run it to the first wait state."""
        run = Run(bundle, BpmnWorkflow(bundle.spec, bundle.subprocess_specs), ctx)
        run.wf.task_tree.data.update(data)
        for task in run.wf.get_tasks(state=TaskState.READY):
            task.data.update(data)
        run.advance()
        return run

    def load(self, bundle: Bundle, state: str, ctx: RunContext) -> Run:
        """Restore a stored workflow and bring it up to `ctx.now` (timers refreshed first)."""
        run = Run(bundle, load_state(state, bundle.spec, bundle.subprocess_specs), ctx)
        run.advance()
        return run


engine = Engine()
