"""Instance state without the spec: the spec comes from the cache of deployed versions.

Format zhenggai/2 (written since migration 0097) keeps what SpiffWorkflow's own dict holds, less what it can be
rebuilt from: each workflow's tasks are a list in the mapping's order, a task names its children by their place in
that list and not its parent (rebuilt from the children; kept when it cannot be), and a task's type name, `triggered`,
`internal_data`, `data` and `delta` are left out when they hold the usual value. Task ids are written without
their dashes, and `last_state_change` as exact 1e-7 s ticks after the previous task's (an int; a list holds a
value that cannot be). zhenggai/1 (the dict as
SpiffWorkflow writes it) still loads.
"""

from __future__ import annotations

import json
from uuid import UUID

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

from casemgmt.engine import codec
from casemgmt.engine.codec import from_ticks as _from_ticks
from casemgmt.engine.codec import long_id as _long_id
from casemgmt.engine.codec import ticks as _ticks

STATE_FORMAT = "zhenggai/2"
FORMATS = ("zhenggai/1", STATE_FORMAT)


class SpecFreeWorkflowConverter(BpmnWorkflowConverter):
    """Store a workflow's tasks and data only; `from_dict` takes the spec objects from the dict."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict) -> BpmnWorkflow:
        spec = dct.pop("spec")
        workflow = self.target_class(spec, dct.pop("subprocess_specs"), deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(CAMUNDA_CONFIG)
    config[BpmnWorkflow] = SpecFreeWorkflowConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


_SERIALIZER = _make_serializer()

#: a task's fields in zhenggai/2 and the value each has when it is left out (None: never left out)
_FIELDS: tuple[tuple[str, str, object], ...] = (
    ("id", "i", None),
    ("task_spec", "n", None),
    ("state", "s", None),
    ("last_state_change", "t", None),
    ("typename", "y", "Task"),
    ("triggered", "g", False),
    ("internal_data", "x", {}),
    ("data", "d", {}),
    ("delta", "e", {"updates": {}, "deletions": []}),
)


def _short_id(value):
    """A task id (a canonical UUID string) without its dashes; anything else as it is."""
    if isinstance(value, str) and len(value) == 36:
        try:
            if str(UUID(value)) == value:
                return value.replace("-", "")
        except ValueError:
            pass
    return value


def pack_tasks(tasks: dict) -> list[dict]:
    """A workflow's task mapping as zhenggai/2's list (see the module's docstring)."""
    place = {key: n for n, key in enumerate(tasks)}
    parents: dict[str, str] = {}
    for key, task in tasks.items():
        for child in task["children"]:
            parents.setdefault(child, key)
    packed = []
    last = 0
    for key, task in tasks.items():
        entry = {short: task[name] for name, short, usual in _FIELDS if usual is None or task[name] != usual}
        entry["i"] = _short_id(task["id"])
        ticks = _ticks(task["last_state_change"])
        # an exact timestamp as ticks after the previous task's (an int); any other value in a list
        entry["t"] = [task["last_state_change"]] if ticks is None else ticks - last
        last = last if ticks is None else ticks
        entry["c"] = [place.get(child, child) for child in task["children"]]
        if task["parent"] != parents.get(key) or key != task["id"]:
            entry["p"] = task["parent"]
            entry["k"] = key
        packed.append(entry)
    return packed


def unpack_tasks(packed: list[dict]) -> dict:
    """zhenggai/2's task list back to the mapping SpiffWorkflow reads."""
    keys = [entry.get("k", _long_id(entry["i"])) for entry in packed]
    parents: dict[str, str] = {}
    tasks = {}
    last = 0
    for key, entry in zip(keys, packed, strict=True):
        task = {name: entry[short] if short in entry else _fresh(usual) for name, short, usual in _FIELDS}
        task["id"] = _long_id(entry["i"])
        if isinstance(entry["t"], list):
            task["last_state_change"] = entry["t"][0]
        else:
            last += entry["t"]
            task["last_state_change"] = _from_ticks(last)
        task["children"] = [keys[child] if isinstance(child, int) else child for child in entry["c"]]
        for child in task["children"]:
            parents.setdefault(child, key)
        tasks[key] = task
    for key, entry in zip(keys, packed, strict=True):
        tasks[key]["parent"] = entry["p"] if "p" in entry else parents.get(key)
    return tasks


#: a workflow's fields holding a task id, written without dashes like the tasks' own
_ID_FIELDS = ("root", "last_task", "parent_task_id")


def _fresh(usual):
    """A new copy of a left-out field's usual value (SpiffWorkflow may change what it restores)."""
    if isinstance(usual, dict):
        return {key: _fresh(value) for key, value in usual.items()}
    return [] if isinstance(usual, list) else usual


def _map_workflows(dct: dict, convert, ids) -> dict:
    """Convert the tasks (`convert`) and the task ids (`ids`) of a workflow and of each of its subprocesses."""

    def one(wf: dict) -> dict:
        wf = dict(wf, tasks=convert(wf["tasks"]))
        for name in _ID_FIELDS:
            if name in wf:
                wf[name] = ids(wf[name])
        return wf

    dct = one(dct)
    if "subprocesses" in dct:
        dct["subprocesses"] = {ids(key): one(sub) for key, sub in dct["subprocesses"].items()}
    return dct


def dump_state(workflow: BpmnWorkflow) -> str:
    """Serialize a workflow's state (no spec) to compact JSON, format zhenggai/2 (codec.py's, else the generic path)."""
    try:
        dct = _fast_dump(workflow)
    except codec.Unsupported:
        dct = _generic_dump(workflow)
    dct["format"] = STATE_FORMAT
    return json.dumps(dct, separators=(",", ":"), ensure_ascii=False)


def _fast_dump(workflow: BpmnWorkflow) -> dict:
    return codec.dump_workflow(workflow, _SERIALIZER.registry)


def _generic_dump(workflow: BpmnWorkflow) -> dict:
    """zhenggai/2's dict through SpiffWorkflow's dict of the workflow (what codec.py writes directly)."""
    return _map_workflows(_SERIALIZER.to_dict(workflow), pack_tasks, _short_id)


def _fast_load(dct: dict, spec, subprocess_specs: dict, as_parsed: bool = False) -> BpmnWorkflow:  # noqa: ANN001
    """`as_parsed`: the state's values hold no typed object, and `dct` was just parsed (codec.AsParsed)."""
    return codec.load_workflow(dct, spec, subprocess_specs, codec.AsParsed if as_parsed else _SERIALIZER.registry)


def load_state(state: str, spec, subprocess_specs: dict) -> BpmnWorkflow:
    """Rebuild a workflow from stored state (zhenggai/1 or /2) and the cached specs of its version: zhenggai/2
    straight into its objects (codec.py) unless it holds what only SpiffWorkflow's generic path reads."""
    dct = json.loads(state)
    form = dct.pop("format", None)
    if form not in FORMATS:
        raise ValueError("unknown instance state format")
    if form == STATE_FORMAT:
        # "typename" only on the workflow and its called processes: no value the registry would turn into an object
        as_parsed = state.count('"typename"') == 1 + len(dct.get("subprocesses") or ())
        try:
            return _fast_load(dct, spec, subprocess_specs, as_parsed)
        except codec.Unsupported:
            dct = json.loads(state)
            dct.pop("format")
    return _generic_load(dct, form, spec, subprocess_specs)


def _generic_load(dct: dict, form: str, spec, subprocess_specs: dict) -> BpmnWorkflow:  # noqa: ANN001
    """A workflow from its stored dict through SpiffWorkflow's converters (what codec.py reads directly)."""
    if form == STATE_FORMAT:
        dct = _map_workflows(dct, unpack_tasks, _long_id)
    dct["spec"] = spec
    dct["subprocess_specs"] = subprocess_specs
    dct["typename"] = "BpmnWorkflow"
    return _SERIALIZER.from_dict(dct)


def to_current_format(state: str) -> str:
    """A stored state's JSON in zhenggai/2 (a zhenggai/1 state repacked; anything else as it is): migration 0097."""
    dct = json.loads(state) if state else None
    if not isinstance(dct, dict) or dct.get("format") != "zhenggai/1":
        return state
    dct = _map_workflows(dct, pack_tasks, _short_id)
    dct["format"] = STATE_FORMAT
    return json.dumps(dct, separators=(",", ":"), ensure_ascii=False)


def to_format_1(state: str) -> str:
    """A stored state's JSON back in zhenggai/1, which releases before migration 0097 read (its downgrade)."""
    dct = json.loads(state) if state else None
    if not isinstance(dct, dict) or dct.get("format") != STATE_FORMAT:
        return state
    dct = _map_workflows(dct, unpack_tasks, _long_id)
    dct["format"] = "zhenggai/1"
    return json.dumps(dct, separators=(",", ":"), ensure_ascii=False)
