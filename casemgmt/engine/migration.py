"""Move a running workflow onto another deployed version of its rules, and say beforehand what stops it.

SpiffWorkflow's `migrate_workflow` resets READY and WAITING tasks: a waiting timer would restart from the
migration time. What is safe is decided here: a case moves only if every step it is at (and every step it
passed) still exists with the same kind, role, form and org rule, and boundary events; running deadlines
keep their instants (the timers' internal data is put back after the reset).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import WorkflowDiff, diff_workflow, migrate_workflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.camunda.specs.user_task import UserTask
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState

from casemgmt.engine.facade import Bundle, Run, engine_errors
from casemgmt.engine.parser import OperationTask
from casemgmt.engine.serializer import dump_state, load_state
from casemgmt.errors import DomainError

OPEN_STATES = TaskState.READY | TaskState.WAITING | TaskState.STARTED
DONE_STATES = TaskState.COMPLETED | TaskState.CANCELLED | TaskState.ERROR


class MigrationRefused(DomainError):
    """A case cannot move to the target version; `details` lists why."""

    code = "migration_refused"


class OperationTaskConverter(BpmnTaskSpecConverter):
    """Describe an operation task for spec comparison (the stored state never holds specs)."""

    def to_dict(self, spec: OperationTask) -> dict:
        dct = self.get_default_attributes(spec)
        dct.update(topic=spec.topic, params=spec.params)
        return dct

    def from_dict(self, dct: dict) -> OperationTask:
        return self.task_spec_from_dict(dct)


SPEC_REGISTRY = BpmnWorkflowSerializer.configure({**CAMUNDA_CONFIG, OperationTask: OperationTaskConverter})


@dataclass
class Assessment:
    """Why a workflow cannot move (blockers) and what an administrator should know if it does."""

    blockers: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def movable(self) -> bool:
        return not self.blockers


@dataclass(frozen=True)
class _Part:
    """The top workflow or one subprocess, with its diff and its spec in the target version."""

    workflow: object
    diff: WorkflowDiff | None
    spec: object | None
    name: str


def label(spec) -> str:
    """Name a task spec for an administrator: element id and name (or the element an internal step serves)."""
    if spec.bpmn_id is None:
        return f"{spec.name.split('.')[0]} 的内部步骤 {spec.name}"
    return f"{spec.bpmn_id}（{spec.bpmn_name}）" if spec.bpmn_name else spec.bpmn_id


def _parts(run: Run, target: Bundle) -> list[_Part]:
    top, subs = diff_workflow(SPEC_REGISTRY, run._wf, target._spec, target._subprocess_specs)
    parts = [_Part(run._wf, top, target._spec, run._wf.spec.name)]
    for sp_id, diff in subs.items():
        sub = run._wf.subprocesses[sp_id]
        parts.append(_Part(sub, diff, target._subprocess_specs.get(sub.spec.name), sub.spec.name))
    return parts


def assess(run: Run, target: Bundle) -> Assessment:
    """Tell whether the run can move to `target`, naming every element that stops it."""
    result = Assessment()
    for part in _parts(run, target):
        if part.diff is None or part.spec is None:
            result.blockers.append(f"子流程 {part.name} 在新版本中已删除")
            continue
        for task in part.diff.removed:
            _removed(task, result, target)
        for task, new_spec in part.diff.alignment.items():
            if new_spec is not None and task.state & OPEN_STATES:
                _open_task(task, new_spec, part, run.bundle, target, result)
    return result


def _removed(task: SpiffTask, result: Assessment, target: Bundle) -> None:
    called = _called_process_of(task.task_spec.bpmn_id, target)
    if called is not None and task.state & (OPEN_STATES | DONE_STATES):
        result.blockers.append(
            f"步骤 {label(task.task_spec)} 在新版本中属于被调用流程 {called}，"
            "办理状态无法对应到新结构：该工单在原版本上办结"
        )
    elif task.state & OPEN_STATES:
        result.blockers.append(f"当前步骤 {label(task.task_spec)} 在新版本中已删除")
    elif task.state & DONE_STATES:
        result.blockers.append(f"已经过的步骤 {label(task.task_spec)} 在新版本中已删除，办理历史无法对应")


def _called_process_of(element_id: str | None, target: Bundle) -> str | None:
    """Return the called process of the target that holds the element, if the element moved into one."""
    if element_id is None or element_id in target._spec.task_specs:
        return None
    for name, spec in target._subprocess_specs.items():
        if element_id in spec.task_specs:
            return name
    return None


def _open_task(task: SpiffTask, new_spec, part: _Part, source: Bundle, target: Bundle, result: Assessment) -> None:
    old_spec = task.task_spec
    if type(old_spec) is not type(new_spec):
        result.blockers.append(f"当前步骤 {label(old_spec)} 的类型已改变")
        return
    if old_spec.bpmn_id != new_spec.bpmn_id:
        result.blockers.append(f"当前步骤 {label(old_spec)} 在新版本中对应 {label(new_spec)}，元素 id 不同")
        return
    if isinstance(old_spec, UserTask) and task.state == TaskState.READY:
        _user_task(old_spec, source, target, result)
        _boundaries(task, part, result)
    timer = getattr(old_spec, "event_definition", None)
    if isinstance(timer, TimerEventDefinition) and task.state == TaskState.WAITING:
        _timer(task, new_spec, result)


def _user_task(spec, source: Bundle, target: Bundle, result: Assessment) -> None:
    old, new = source.user_tasks[spec.bpmn_id], target.user_tasks[spec.bpmn_id]
    for attr, what in (("role", "办理角色"), ("form_key", "表单"), ("org_expr", "承办机构规则 candidateOrg")):
        if getattr(old, attr) != getattr(new, attr):
            result.blockers.append(
                f"待办任务 {label(spec)} 的{what}由 {getattr(old, attr)!r} 改为 {getattr(new, attr)!r}"
            )
    if old.due_expr != new.due_expr:
        result.warnings.append(
            f"待办任务 {label(spec)} 的截止时间由 {old.due_expr} 改为 {new.due_expr}：进行中的期限保持不变"
        )
    if old.title != new.title:
        result.warnings.append(f"待办任务 {spec.bpmn_id} 的名称由 {old.title} 改为 {new.title}")


def _boundaries(task: SpiffTask, part: _Part, result: Assessment) -> None:
    old = _boundary_events(task.workflow.spec, task.task_spec.name)
    new = _boundary_events(part.spec, task.task_spec.name)
    if old != new:
        added, removed = sorted(new - old), sorted(old - new)
        result.blockers.append(
            f"待办任务 {label(task.task_spec)} 的边界事件有变化（新增 {added or '无'}，删除 {removed or '无'}），"
            "对已在办理的任务无法生效"
        )


def _boundary_events(process_spec, task_name: str) -> set[str]:
    split = process_spec.task_specs.get(f"{task_name}.BoundaryEventSplit")
    return {spec.name for spec in split.outputs if spec.name != task_name} if split else set()


def _timer(task: SpiffTask, new_spec, result: Assessment) -> None:
    old_def, new_def = task.task_spec.event_definition, new_spec.event_definition
    if type(old_def) is not type(new_def):
        result.blockers.append(f"正在计时的定时器 {label(task.task_spec)} 的类型已改变")
    elif old_def.expression != new_def.expression:
        due = task.internal_data.get("event_value")
        result.warnings.append(
            f"定时器 {label(task.task_spec)} 的时间由 {old_def.expression} 改为 {new_def.expression}："
            f"正在计时的保持原到期时间 {due}"
        )


def migrate(run: Run, target: Bundle) -> Run:
    """Move the run onto `target` in memory; waiting timers keep their instants; raise if anything drifts."""
    assessment = assess(run, target)
    if not assessment.movable:
        raise MigrationRefused("该工单无法迁移：" + "；".join(assessment.blockers), details=assessment.blockers)
    timers = _waiting_timers(run)
    ready = {(t.spiff_id, t.info.element_id) for t in run.ready_user_tasks()}
    with engine_errors(run.ctx.now):
        for part in _parts(run, target):
            migrate_workflow(part.diff, part.workflow, part.spec)
    _restore_timers(run, timers)
    moved = Run(target, run._wf, run.ctx)
    moved.advance()
    _verify(moved, target, ready, timers)
    return moved


def _waiting_timers(run: Run) -> dict:
    return {
        task.id: (task.task_spec.name, dict(task.internal_data))
        for task in run._wf.get_tasks(state=TaskState.WAITING)
        if isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)
    }


def _restore_timers(run: Run, timers: dict) -> None:
    for task_id, (name, internal) in timers.items():
        task = _find(run, task_id)
        if task is not None and task.task_spec.name == name and task.state == TaskState.WAITING:
            task.internal_data.clear()
            task.internal_data.update(internal)


def _find(run: Run, task_id) -> SpiffTask | None:
    for workflow in (run._wf, *run._wf.subprocesses.values()):
        if task_id in workflow.tasks:
            return workflow.tasks[task_id]
    return None


def _verify(moved: Run, target: Bundle, ready: set, timers: dict) -> None:
    now_ready = {(t.spiff_id, t.info.element_id) for t in moved.ready_user_tasks()}
    if now_ready != ready:
        raise MigrationRefused("迁移后待办任务会发生变化，为保护办理中的任务（含草稿）已放弃迁移")
    waiting = _waiting_timers(moved)
    if any(task_id not in waiting or waiting[task_id][1] != data for task_id, (_, data) in timers.items()):
        raise MigrationRefused("迁移后正在计时的期限无法保持，已放弃迁移")
    try:
        load_state(dump_state(moved._wf), target._spec, target._subprocess_specs)
    except Exception as err:  # noqa: BLE001 - any failure to restore means the state does not fit
        raise MigrationRefused(f"迁移后的状态无法在新版本上恢复：{err}") from err
