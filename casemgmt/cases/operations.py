"""Use cases of handling a case: open it, claim, release, reassign and complete its tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from casemgmt import audit
from casemgmt.access.policy import Action, Role, allowed, authorize, holds_candidate_role
from casemgmt.access.queries import access_task
from casemgmt.actor import Actor
from casemgmt.cases.attachments import validate_case_form
from casemgmt.cases.held import hold_task_update
from casemgmt.cases.instances import (
    load_run,
    lock_instance,
    lock_task,
    open_rows,
    save_run,
)
from casemgmt.casework import callbacks
from casemgmt.db import db
from casemgmt.errors import InvalidInput, NotFound, OperationFailed, TaskNotOpen
from casemgmt.exchange import results
from casemgmt.models import (
    Case,
    CaseComment,
    CaseStatus,
    HumanTask,
    Organization,
    ProcessInstance,
    TaskStatus,
    User,
)
from casemgmt.rules import bundles
from casemgmt.stats import rollups
from casemgmt.topics import TopicContext, topic

#: who closes a 督办 whose late task was completed
SUPERVISION_ACTOR = Actor.system("supervision")


def _locked_open_task(
    task_id: int, user: User, action: Action, *, reserve_task_id: bool = False
) -> tuple[HumanTask, ProcessInstance]:
    # one statement locks the instance, then the task, case and evaluation: what they hold now
    found = lock_task(task_id, reserve_task_id=reserve_task_id)
    if found is None:
        raise NotFound("没有找到该任务")
    row, instance = found
    authorize(user, action, task=row)
    if row.status != TaskStatus.OPEN:
        raise TaskNotOpen("该任务已办结或已取消")
    return row, instance


def claim_task(task_id: int, user: User, now: datetime) -> HumanTask:
    """Make the user the task's assignee; someone else's claim is a conflict."""
    row, _ = _locked_open_task(task_id, user, Action.TASK_CLAIM)
    if row.assignee_id not in (None, user.id):
        raise TaskNotOpen("该任务已被他人认领")
    row.assignee_id = user.id
    _audit(row, "task_claimed", Actor.of(user, row.candidate_role), now, {})
    return row


def release_task(task_id: int, user: User, now: datetime, reason: str = "") -> HumanTask:
    """Give a claimed task back to its unit."""
    row, _ = _locked_open_task(task_id, user, Action.TASK_RELEASE)
    if row.assignee_id != user.id:
        raise TaskNotOpen("只能取消认领本人认领的任务")
    row.assignee_id = None
    _audit(row, "task_released", Actor.of(user, row.candidate_role), now, {"reason": reason})
    return row


def reassign_task(
    task_id: int,
    user: User,
    now: datetime,
    reason: str,
    *,
    assignee: User | None = None,
    org: Organization | None = None,
) -> HumanTask:
    """Let a supervisor hand a task of their units to another person or unit of theirs, with a reason."""
    row = access_task(user, task_id, Action.TASK_REASSIGN)
    if not reason.strip():
        raise InvalidInput("改派需要说明理由", details={"reason": ["必填"]})
    lock_instance(row.instance_id)
    db.session.refresh(row)
    if row.status != TaskStatus.OPEN:
        raise TaskNotOpen("该任务已办结或已取消")
    before = {"assignee_id": row.assignee_id, "org": row.candidate_org.code}
    _apply_reassignment(row, user, assignee, org)
    after = {"assignee_id": row.assignee_id, "org": row.candidate_org.code}
    _audit(
        row, "task_reassigned", Actor.of(user, Role.SUPERVISOR), now, {"reason": reason, "from": before, "to": after}
    )
    return row


def _apply_reassignment(row: HumanTask, user: User, assignee: User | None, org: Organization | None) -> None:
    for target in (assignee.org if assignee else None, org):
        if target is not None and not allowed(user, Action.TASK_REASSIGN, org=target):
            raise InvalidInput("只能改派到本机构及下属机构", details={"org": ["超出管辖范围"]})
    if org is not None:
        row.candidate_org, row.candidate_org_path, row.assignee_id = org, org.path, None
    if assignee is not None:
        if not holds_candidate_role(assignee, row):
            raise InvalidInput("被改派人不具备该任务所需角色", details={"assignee": ["角色不符"]})
        row.assignee_id = assignee.id


@dataclass(frozen=True)
class Completion:
    """A completed task and the case's task rows open after it (new ones included)."""

    task: HumanTask
    open_rows: list[HumanTask]


def complete_task(task_id: int, data: dict, user: User, now: datetime) -> HumanTask:
    """Validate the form, complete the task in the engine, and save everything in one transaction."""
    return complete(task_id, data, user, now).task


def complete(task_id: int, data: dict, user: User, now: datetime) -> Completion:
    """Complete a task (as complete_task) and tell which task rows of its case are open afterwards."""
    # the completion's next task row takes the id reserved with the lock, and goes in with the held writes
    row, instance = _locked_open_task(task_id, user, Action.TASK_COMPLETE, reserve_task_id=True)
    if row.assignee_id not in (None, user.id):
        raise TaskNotOpen("该任务已被他人认领")
    case = row.case
    definition = bundles.forms_of(instance.definition).get(row.form_key)
    if definition is None:
        raise NotFound(f"流程版本中缺少表单 {row.form_key}")
    clean = validate_case_form(definition, data, row.case_id)
    actor = Actor.of(user, row.candidate_role)
    run = load_run(case, instance, actor, now)
    # task rows are kept in step with the engine's READY user tasks at every save: when the stored workflow had
    # no other READY user task, the case has no other open row, and nothing needs reading
    others = open_rows(instance.id) if run.ready_at_load - {row.spiff_task_id} else []
    # the row's UPDATE goes with the held writes (the audit rows'), not as a statement of its own
    hold_task_update(
        row,
        status=TaskStatus.COMPLETED,
        completed_at=now,
        completed_by_id=user.id,
        data=clean,
        draft=None,
        assignee_id=row.assignee_id or user.id,
    )
    _audit(row, "task_completed", actor, now, {"data": clean})
    run.complete(row.spiff_task_id, clean)
    _close_supervisions(row, others, run, now)
    rows = save_run(case, instance, run, actor, now, rows=[r for r in others if r.id != row.id], locked=True)
    return Completion(row, rows)


def _close_supervisions(late: HumanTask, rows: list[HumanTask], run, now: datetime) -> None:
    """The late task is done: every 督办 still open on it closes itself, audited (the system closes it)."""
    supervisions = [r for r in rows if r.supervised_task_id == late.id and r.status == TaskStatus.OPEN]
    ready = {t.spiff_id for t in run.ready_user_tasks()} if supervisions else set()
    for row in supervisions:
        data = {"closed_automatically": True, "supervised_task_id": late.id}
        row.status, row.completed_at, row.data, row.draft = TaskStatus.COMPLETED, now, data, None
        _audit(row, "supervision_closed", SUPERVISION_ACTOR, now, {"supervised_task_id": late.id})
        # a called process's terminate event may have ended it already; else the engine moves past it
        if row.spiff_task_id in ready:
            run.complete(row.spiff_task_id, {})


def _audit(row: HumanTask, kind: str, actor: Actor, now: datetime, extra: dict) -> None:
    payload = {"task_id": row.id, "element": row.element_id, "title": row.title, **extra}
    audit.record(
        kind,
        actor=actor,
        at=now,
        region_id=row.region_id,
        case_id=row.case_id,
        definition_id=row.case.definition_id,
        payload=payload,
    )


def next_task_for(user: User, case_id: int, rows: list[HumanTask] | None = None) -> HumanTask | None:
    """Return the user's next open task on the same case, if any (opened right after completing).

    `rows`: the case's open task rows when the caller has them (a Completion's), else they are read.
    """
    if rows is None:
        stmt = select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.status == TaskStatus.OPEN)
        rows = list(db.session.scalars(stmt))
    for row in sorted(rows, key=lambda r: r.id):
        if row.status != TaskStatus.OPEN:
            continue
        if allowed(user, Action.TASK_COMPLETE, task=row) and row.assignee_id in (None, user.id):
            return row
    return None


def claim_next_task(user: User, case_id: int, now: datetime) -> HumanTask | None:
    """Return the user's next open task on the case, claimed for them when it is unclaimed and the role allows."""
    row = next_task_for(user, case_id)
    if row is not None and row.assignee_id is None and allowed(user, Action.TASK_CLAIM, task=row):
        row.assignee_id = user.id
        _audit(row, "task_claimed", Actor.of(user, row.candidate_role), now, {"automatic": True})
    return row


def save_draft(task_id: int, data: dict, user: User, now: datetime) -> HumanTask:
    """Keep unfinished form input on an open task (not validated); the form starts from it next time."""
    row, _ = _locked_open_task(task_id, user, Action.TASK_DRAFT)
    if row.assignee_id not in (None, user.id):
        raise TaskNotOpen("该任务已被他人认领")
    row.draft = dict(data)
    _audit(row, "task_draft_saved", Actor.of(user, row.candidate_role), now, {"fields": sorted(data)})
    return row


MAX_LENGTH = 2000


def add_comment(case: Case, user: User, body: str, now: datetime) -> CaseComment:
    """Add a comment to a case."""
    authorize(user, Action.CASE_COMMENT, case=case)
    text = (body or "").strip()
    if not text:
        raise InvalidInput("评论不能为空", details={"body": ["必填"]})
    if len(text) > MAX_LENGTH:
        raise InvalidInput("评论过长", details={"body": [f"长度不能超过 {MAX_LENGTH}"]})
    comment = CaseComment(case_id=case.id, author_id=user.id, body=text, created_at=now)
    db.session.add(comment)
    db.session.flush()
    audit.record(
        "comment_added",
        actor=Actor.of(user),
        at=now,
        region_id=case.region_id,
        case_id=case.id,
        definition_id=case.definition_id,
        payload={"comment_id": comment.id, "body": text},
    )
    return comment


def close_case(case: Case, data: dict, now: datetime) -> None:
    """Close a case; a real-name review needs a callback record first."""
    if case.evaluation.is_real_name and not callbacks.has_record(case):
        raise OperationFailed("实名差评须有回访记录方可结案")
    if case.status == CaseStatus.OPEN:
        case.status = CaseStatus.CLOSED
    rollups.on_case_closed(case, now)
    case.closed_at = now
    # after a refused revocation `handling` says what was done; `outcome` still holds the claim
    case.outcome = case.outcome or str(data.get("handling") or data.get("outcome") or "")


@topic("close_case", "结案（实名差评须有回访记录）")
def close_case_topic(ctx: TopicContext, data: dict, params: dict) -> dict:
    close_case(ctx.case, data, ctx.now)
    pushed = results.queue_results(ctx.case, ctx.now)  # 整改结果 to the upper platform, when the region has one
    return {"closed": True, **({"results_message_id": pushed.id} if pushed else {})}
