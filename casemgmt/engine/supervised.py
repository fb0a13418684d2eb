"""Which task a 督办 supervises, read from a workflow's task tree (the boundary event that opened it)."""

from __future__ import annotations

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task as SpiffTask


def supervised_host(workflow: BpmnWorkflow, task: SpiffTask) -> tuple[str, str | None] | None:
    """Return the task a 督办 supervises (the one its boundary event hangs on) and the 督办's title, else None.

    A 督办 is a user task right after a boundary event (its own name is its title), or the user task of a process
    called right after a boundary timer (bpmn/national/supervision.bpmn): the call activity, in the calling
    process, stands where the task would, and its name (督办：回访核实逾期) says which step is late.
    """
    title = None
    if not isinstance(getattr(task.parent, "task_spec", None), BoundaryEvent):
        parent_id = getattr(task.workflow, "parent_task_id", None)
        caller = workflow.get_task_from_id(parent_id) if parent_id is not None else None
        timer = getattr(getattr(caller, "parent", None), "task_spec", None)
        if caller is None or not isinstance(getattr(timer, "event_definition", None), TimerEventDefinition):
            return None
        task, title = caller, caller.task_spec.bpmn_name
    event = task.parent
    if event is None or not isinstance(event.task_spec, BoundaryEvent) or event.parent is None:
        return None
    hosts = [t for t in event.parent.children if not isinstance(t.task_spec, BoundaryEvent)]
    return (str(hosts[0].id), title) if hosts else None
