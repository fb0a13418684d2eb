"""SpiffWorkflow 3.2.0's engine steps (`BpmnWorkflow.do_engine_steps`) with a cheaper walk to the READY tasks.

Every action runs the engine steps, and each step asks every active workflow for its READY tasks: Spiff's
`get_tasks(state=READY)` walks the task tree through its general iterator (a filter object, a depth count, a list
popped from the front, each task's children looked up into a new list), 7 walks for a fired timer. `ready_tasks`
gives the same tasks in the same order with a plain stack; `do_engine_steps` is Spiff's loop around it, unchanged.

`tests/casemgmt/engine/test_steps.py` compares `ready_tasks` with Spiff's walk at every step of each region's
case; run the suite after upgrading SpiffWorkflow.
"""

from __future__ import annotations

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

_READY = TaskState.READY
_FUTURE = TaskState.FUTURE
_FINISHED = TaskState.FINISHED_MASK
#: Spiff's iterator stops descending at depth 1000; a tree that size is left to Spiff's own walk
_MAX_TASKS = 1000


def ready_tasks(workflow) -> list[Task]:
    """Return `workflow.get_tasks(state=TaskState.READY)`: the same tasks in the same order.

    BpmnTaskIterator, depth first: a task, then its called process's tree (if one was created for it), then its
    children in order; it descends into a task's children only when the task is at least FUTURE (READY tasks
    cannot follow predicted ones), into a called process always (its test for a finished one compares a single
    state with the mask of all three, which never holds, so neither does this walk's).
    """
    subprocesses = workflow.top_workflow.subprocesses
    calling = {key.int for key in subprocesses}  # an int's hash is C's, a UUID's is Python's
    found: list[Task] = []
    stack = [workflow.task_tree]
    seen = 0
    while stack:
        task = stack.pop()
        seen += 1
        if seen >= _MAX_TASKS:
            return workflow.get_tasks(state=_READY)
        state = task._state
        if state & _READY:
            found.append(task)
        subprocess = subprocesses[task.id] if calling and task.id.int in calling else None
        if subprocess is None and not (task._children and state >= _FUTURE):
            continue
        tasks = task.workflow.tasks
        stack.extend(tasks.get(child) for child in reversed(task._children))
        if subprocess is not None and not (state >= _FINISHED and _READY <= _FINISHED):
            stack.append(subprocess.task_tree)
    return found


def do_engine_steps(workflow: BpmnWorkflow) -> None:
    """Run the READY tasks that are not manual until only manual or waiting ones are left, as
    `BpmnWorkflow.do_engine_steps()` (3.2.0) does: the deepest called processes first, each until nothing more
    runs and then its calling task updated, then the workflow itself; again while anything ran or a called process
    started; then the timers refreshed."""
    while _engine_steps(workflow):
        pass
    workflow.refresh_timers()


def _engine_steps(workflow: BpmnWorkflow) -> bool:
    active = workflow.get_active_subprocesses()
    for subprocess in sorted(active, key=lambda v: v.depth, reverse=True):
        while _run_ready(subprocess):
            pass
        if subprocess.parent_task_id is not None:
            task = workflow.get_task_from_id(subprocess.parent_task_id)
            task.task_spec._update(task)
    count = _run_ready(workflow)
    return count > 0 or len(workflow.get_active_subprocesses()) > len(active)


def _run_ready(workflow) -> int:
    count = 0
    for task in ready_tasks(workflow):
        if not task.task_spec.manual:
            task.run()
            count += 1
    return count
