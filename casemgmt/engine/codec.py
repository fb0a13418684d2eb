"""zhenggai/2 written from a workflow's objects and read back into them, without SpiffWorkflow's dict of each task.

The generic path (serializer.py) goes through SpiffWorkflow's own dict of the workflow, every task a dict whose ids
are strings, and turns that into zhenggai/2's task lists (pack_tasks), or back (unpack_tasks) before SpiffWorkflow
restores each task from its dict: every id parsed, printed and parsed again. Here the lists are written straight from
the Task objects and the Task objects built straight from the lists, each id parsed once, doing what SpiffWorkflow
3.2.0's TaskConverter, WorkflowConverter, BpmnSubWorkflowConverter and our SpecFreeWorkflowConverter do, in their
order. Loading a stored state and dumping a workflow each took about a third of a fired timer's CPU.

Anything these functions do not know (a task or workflow of another class, a task type named in the state) raises
Unsupported, and serializer.py takes the generic path. tests/casemgmt/engine/test_codec.py (and codec_check.py,
on for the whole suite) holds both paths to the same answers: the same text, and workflows SpiffWorkflow's
converter turns into the same dict.
"""

from __future__ import annotations

from copy import copy
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task, TaskState
from SpiffWorkflow.util.deep_merge import DeepMerge

_NO_DELTA: dict = {"updates": {}, "deletions": []}
_COPIED = (dict, list, set)
_TICKS = 10**7


class Unsupported(Exception):
    """The state or workflow holds something only the generic path handles."""


class AsParsed:
    """Stands for the registry when reading a state whose values hold no typed object (serializer.load_state finds
    no "typename" in its text but its workflows'): the registry's restore would give a copy of each value as JSON
    parsed it, and the parsed value, used once, serves as it is."""

    @staticmethod
    def restore(value):  # noqa: ANN001, ANN205 - any parsed JSON value
        return value


def ticks(value) -> int | None:  # noqa: ANN001 - any stored timestamp
    """A timestamp float as an exact integer of 1e-7 s, or None when its shortest decimal has more digits."""
    if not isinstance(value, float) or value < 0:
        return None
    text = repr(value)
    whole, _, frac = text.partition(".")
    if "e" in text or not frac or len(frac) > 7 or not whole.isdigit():
        return None
    return int(whole) * _TICKS + int(frac.ljust(7, "0"))


def from_ticks(count: int) -> float:
    return float(f"{count // _TICKS}.{count % _TICKS:07d}")


def long_id(value):  # noqa: ANN001, ANN201 - a stored id or anything else
    """A task id back with its dashes (ids without them are 32 characters, as written)."""
    if isinstance(value, str) and len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return value


# --- writing -------------------------------------------------------------------------------------------------------


def dump_workflow(workflow: BpmnWorkflow, registry) -> dict:  # noqa: ANN001 - SpiffWorkflow's DictionaryConverter
    """The workflow as serializer.dump_state's dict (format key excepted)."""
    if type(workflow) is not BpmnWorkflow:
        raise Unsupported(type(workflow).__name__)
    dct = _workflow_fields(workflow, registry)
    subprocesses = {}
    for key, sub in workflow.subprocesses.items():
        if type(sub) is not BpmnSubWorkflow or not isinstance(key, UUID):
            raise Unsupported(type(sub).__name__)
        one = _workflow_fields(sub, registry)
        one["parent_task_id"] = _short(sub.parent_task_id)
        one["spec"] = sub.spec.name
        one["typename"] = "BpmnSubWorkflow"
        subprocesses[key.hex] = one
    dct["subprocesses"] = subprocesses
    dct["bpmn_events"] = registry.convert(workflow.bpmn_events)
    dct["typename"] = "BpmnWorkflow"
    return dct


def _short(value):  # noqa: ANN001, ANN202 - an id as SpiffWorkflow's dict holds it, then without its dashes
    return value.hex if isinstance(value, UUID) else str(value)


def _workflow_fields(workflow, registry) -> dict:  # noqa: ANN001 - a workflow and SpiffWorkflow's registry
    """WorkflowConverter.to_dict's fields, in its order, the tasks packed and the ids without dashes."""
    last = workflow.last_task
    return {
        "data": registry.convert(registry.clean(workflow.data)),
        "correlations": workflow.correlations,
        "last_task": _short(last.id) if last is not None else None,
        "success": workflow.success,
        "completed": workflow.completed,
        "tasks": pack(workflow, registry),
        "root": _short(workflow.task_tree.id),
    }


def pack(workflow, registry) -> list[dict]:  # noqa: ANN001 - a workflow and SpiffWorkflow's registry
    """The workflow's tasks as serializer.pack_tasks lists SpiffWorkflow's dict of them."""
    tasks = workflow.tasks
    place: dict = {}
    parents: dict = {}
    for n, (key, task) in enumerate(tasks.items()):
        if not isinstance(key, UUID) or type(task) is not Task:
            raise Unsupported(type(task).__name__)
        place[key] = n
        for child in task._children:
            parents.setdefault(child, key)
    packed = []
    last = 0
    for key, task in tasks.items():
        above = tasks.get(task._parent)
        entry, stamp = _entry(task, above, registry)
        count = ticks(stamp)
        entry["t"] = [stamp] if count is None else count - last
        last = last if count is None else count
        entry["c"] = [place[child] if child in place else str(child) for child in task._children]
        parent = task._parent if above is not None else None
        if parent != parents.get(key) or key != task.id:
            entry["p"] = str(parent) if parent is not None else None
            entry["k"] = str(key)
        packed.append(entry)
    return packed


def _entry(task: Task, parent: Task | None, registry) -> tuple[dict, object]:  # noqa: ANN001 - the registry
    """TaskConverter.to_dict's fields that differ from their usual values, in zhenggai/2's order; and the
    timestamp (written by the caller, after the previous task's)."""
    if parent is None:
        data, delta = task.data, {}
    else:
        parent_data, own = parent.data, task.data
        data = {}
        delta = {
            "updates": DeepMerge.get_updated_keys(parent_data, own),
            "deletions": DeepMerge.get_deleted_keys(parent_data, own),
        }
    entry: dict = {"i": task.id.hex, "n": task.task_spec.name, "s": task.state, "t": None}
    if task.triggered != False:  # noqa: E712 - the generic path's test: 0 is usual too
        entry["g"] = task.triggered
    internal = registry.convert(task.internal_data)
    if internal != {}:
        entry["x"] = internal
    if data != {}:
        entry["d"] = data
    if delta != _NO_DELTA:
        entry["e"] = delta
    return entry, task.last_state_change


# --- reading -------------------------------------------------------------------------------------------------------


def load_workflow(dct: dict, spec, subprocess_specs: dict, registry) -> BpmnWorkflow:  # noqa: ANN001
    """A workflow from zhenggai/2's dict (format key removed) and the cached specs of its version."""
    workflow = BpmnWorkflow(spec, subprocess_specs, deserializing=True)
    workflow.tasks = unpack(dct["tasks"], workflow, registry)
    workflow.task_tree = workflow.tasks.get(UUID(long_id(dct["root"])))
    _set_default_attributes(workflow, dct, registry)
    subprocesses = {long_id(key): sub for key, sub in dct["subprocesses"].items()}
    _subprocesses(subprocesses, workflow, workflow, registry)
    workflow.bpmn_events = registry.restore(dct.pop("bpmn_events", []))
    return workflow


def _set_default_attributes(workflow, dct: dict, registry) -> None:  # noqa: ANN001 - a workflow, the registry
    workflow.success = dct["success"]
    workflow.completed = dct.get("completed", False)
    workflow.correlations = dct.pop("correlations", {})
    if isinstance(dct["last_task"], str):
        workflow.last_task = workflow.tasks.get(UUID(long_id(dct["last_task"])))
    workflow.data = registry.restore(dct.pop("data", {}))


def _subprocesses(dct: dict, workflow, top: BpmnWorkflow, registry) -> None:  # noqa: ANN001
    """BpmnWorkflowConverter.subprocesses_from_dict: each called process after the task that calls it."""
    for task in list(workflow.tasks.values()):
        if not isinstance(task.task_spec, SubWorkflowTask) or str(task.id) not in dct:
            continue
        one = dct.pop(str(task.id))
        if one.get("typename") != "BpmnSubWorkflow":
            raise Unsupported(str(one.get("typename")))
        sub = BpmnSubWorkflow(top.subprocess_specs.get(task.task_spec.spec), task.id, top, deserializing=True)
        sub.tasks = unpack(one["tasks"], sub, registry)
        sub.task_tree = sub.tasks.get(UUID(long_id(one["root"])))
        _set_default_attributes(sub, one, registry)
        top.subprocesses[task.id] = sub
        sub.completed_event.connect(task.task_spec._on_subworkflow_completed, task)
        _subprocesses(dct, sub, top, registry)


def unpack(packed: list[dict], workflow, registry) -> dict:  # noqa: ANN001 - a workflow, the registry
    """The workflow's task mapping from zhenggai/2's list, each task built as TaskConverter.from_dict builds it."""
    keys = [entry["k"] if "k" in entry else long_id(entry["i"]) for entry in packed]
    ids = [UUID(key) for key in keys]
    by_key = dict(zip(keys, ids, strict=True))
    parents: dict[str, str] = {}
    children_of = []
    for key, entry in zip(keys, packed, strict=True):
        children = [keys[child] if isinstance(child, int) else child for child in entry["c"]]
        for child in children:
            parents.setdefault(child, key)
        children_of.append(children)
    tasks = {}
    last = 0
    for n, entry in enumerate(packed):
        if entry.get("y", "Task") != "Task":
            raise Unsupported(str(entry["y"]))
        stamp = entry["t"]
        if isinstance(stamp, list):
            stamp = stamp[0]
        else:
            last += stamp
            stamp = from_ticks(last)
        parent = entry["p"] if "p" in entry else parents.get(keys[n])
        task_id = ids[n] if "k" not in entry else UUID(long_id(entry["i"]))
        task = _task(workflow, entry, task_id, stamp, registry)
        task._parent = (by_key[parent] if parent in by_key else UUID(parent)) if parent is not None else None
        task._children = [by_key[child] if child in by_key else UUID(child) for child in children_of[n]]
        _data(task, entry, registry)
        tasks[ids[n]] = task
    return tasks


def _task(workflow, entry: dict, task_id: UUID, stamp: float, registry) -> Task:  # noqa: ANN001
    """TaskConverter.from_dict's task, its parent and children and data not yet set."""
    task_spec = workflow.spec.task_specs.get(entry["n"])
    task = Task(workflow, task_spec, state=entry["s"], id=task_id)
    task.last_state_change = stamp
    task.triggered = entry.get("g", False)
    task.internal_data = registry.restore(entry["x"]) if "x" in entry else {}
    if isinstance(task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
        task.workflow.top_workflow.event_manager.add_task(task)
    return task


def _data(task: Task, entry: dict, registry) -> None:  # noqa: ANN001 - the registry
    """TaskConverter.from_dict's data: the parent's (when restored before it) with the delta, else the task's own."""
    delta = entry["e"] if "e" in entry else {"updates": {}, "deletions": []}
    above = task.parent
    if delta and above is not None:
        # DeepMerge.merge({}, above.data): each value, the dicts, lists and sets copied (one level)
        data = {key: copy(value) if isinstance(value, _COPIED) else value for key, value in above.data.items()}
        data.update(registry.restore(delta.get("updates", {})))
        for key in delta.get("deletions", {}):
            if key in data:
                del data[key]
    else:
        data = registry.restore(entry["d"]) if "d" in entry else {}
    task.data = data
