"""Deployed bundles: parse a version's diagrams once, cache them, and answer what the use cases ask of them."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition
from SpiffWorkflow.camunda.specs.user_task import UserTask

from casemgmt.engine.parser import OperationTask, ZgParser

MAIN_PROCESS = "bad_review"


@dataclass(frozen=True)
class UserTaskInfo:
    element_id: str
    title: str
    form_key: str
    role: str
    due_expr: str | None
    org_expr: str


@dataclass(frozen=True)
class TimerDefinition:
    """A timeDate timer of a diagram: its element, name and expression (without the `${...}` wrapper)."""

    element_id: str
    name: str
    expression: str


@dataclass(frozen=True)
class Bundle:
    """A parsed, immutable deployed version; its Spiff specs stay inside the engine package."""

    key: str
    _spec: Any = field(repr=False)
    _subprocess_specs: dict = field(repr=False)
    user_tasks: dict[str, UserTaskInfo]
    #: compiled expressions of this version, shared by every run of it (see SandboxEnvironment)
    compiled: dict = field(default_factory=dict, repr=False, compare=False)
    #: topic -> the params of each service task calling it (what a use case may need to know ahead of a run)
    topic_params: dict[str, list[dict]] = field(default_factory=dict, repr=False, compare=False)

    def params_of(self, topic: str, name: str) -> set[str]:
        """Return the values a param takes in the bundle's service tasks of a topic (missing values left out)."""
        return {str(p[name]) for p in self.topic_params.get(topic, []) if p.get(name)}

    def task_property(self, element_id: str, name: str) -> str | None:
        """Return a camunda:property of a task in the bundle's diagrams (None if the task or property is absent)."""
        for spec in self._process_specs():
            task_spec = spec.task_specs.get(element_id)
            if task_spec is not None:
                return (getattr(task_spec, "extensions", None) or {}).get(name)
        return None

    def timer_definitions(self) -> list[TimerDefinition]:
        """Return every timeDate timer of the bundle's diagrams, main process first."""
        found = []
        for spec in self._process_specs():
            for task_spec in spec.task_specs.values():
                definition = getattr(task_spec, "event_definition", None)
                if isinstance(definition, TimeDateEventDefinition):
                    expression = strip_expr(definition.expression)
                    found.append(TimerDefinition(task_spec.bpmn_id, task_spec.bpmn_name or "", expression))
        return found

    def callers(self) -> dict[str, set[str]]:
        """Map each element of a called process to the main diagram's call activities that (through nesting) run it."""
        specs = {self._spec.name: self._spec, **self._subprocess_specs}
        calls: dict[str, set[str]] = {}  # called process -> call activities of the main process

        def visit(spec_name: str, top_calls: frozenset[str], seen: frozenset[str]) -> None:
            for task_spec in specs[spec_name].task_specs.values():
                called = getattr(task_spec, "spec", None)
                if isinstance(called, str) and called in specs and called not in seen:
                    here = top_calls or frozenset({task_spec.bpmn_id})
                    calls.setdefault(called, set()).update(here)
                    visit(called, here, seen | {called})

        visit(self._spec.name, frozenset(), frozenset({self._spec.name}))
        return {
            task_spec.bpmn_id: callers
            for name, callers in calls.items()
            for task_spec in specs[name].task_specs.values()
            if task_spec.bpmn_id
        }

    def _process_specs(self) -> Iterator[Any]:
        yield self._spec
        yield from self._subprocess_specs.values()


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
    topic_params: dict[str, list[dict]] = {}
    for s in [spec, *subprocess_specs.values()]:
        for ts in s.task_specs.values():
            if isinstance(ts, UserTask):
                user_tasks[ts.bpmn_id] = _task_info(ts)
            elif isinstance(ts, OperationTask):
                topic_params.setdefault(ts.topic, []).append(dict(ts.params))
    return Bundle(key, spec, subprocess_specs, user_tasks, topic_params=topic_params)


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
