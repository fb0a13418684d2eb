"""Supervision that acts: what a 督办 names (the late task), urging it (催办), and the load of each unit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from casemgmt import audit
from casemgmt.access.policy import Action, Role, allowed, unit_limit
from casemgmt.access.queries import access_task
from casemgmt.actor import Actor
from casemgmt.calendar import WorkCalendar, local_date
from casemgmt.cases.inbox import due_soon_by, working_days_left
from casemgmt.cases.instances import lock_instance
from casemgmt.db import db
from casemgmt.errors import InvalidInput, TaskNotOpen
from casemgmt.models import ROLES, HumanTask, Organization, TaskStatus, User
from casemgmt.notices.operations import queue_message

NOTE_MAX = 500


@dataclass(frozen=True)
class LateTask:
    """The task a 督办 was opened for, as the supervisor sees it."""

    task: HumanTask
    #: the assignee's name, else the unit the task is offered to
    holder: str
    #: working days past the due day (0 while it is not late yet, or once it is done)
    days_late: int
    can_urge: bool
    can_reassign: bool


def late_task(supervision: HumanTask, user: User, now: datetime, calendar: WorkCalendar) -> LateTask | None:
    """Return the late task a 督办 names, with what the user may do to it; None for other tasks."""
    late = supervision.supervised_task
    if late is None:
        return None
    left = working_days_left(late, now, calendar)
    is_open = late.status == TaskStatus.OPEN
    return LateTask(
        task=late,
        holder=late.assignee.display_name if late.assignee else late.candidate_org.name,
        days_late=-left if left is not None and left < 0 else 0,
        can_urge=is_open and allowed(user, Action.TASK_URGE, task=late),
        can_reassign=is_open and allowed(user, Action.TASK_REASSIGN, task=late),
    )


def urge_task(task_id: int, user: User, now: datetime, note: str = "") -> HumanTask:
    """催办: send the holder of an open task a notice and record it in the case history."""
    row = access_task(user, task_id, Action.TASK_URGE)
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise InvalidInput("催办说明过长", details={"note": [f"长度不能超过 {NOTE_MAX}"]})
    lock_instance(row.instance_id)
    db.session.refresh(row)
    if row.status != TaskStatus.OPEN:
        raise TaskNotOpen("该任务已办结或已取消")
    due_day = row.due_date or (local_date(row.due_at) if row.due_at else None)
    due = due_day.isoformat() if due_day else "—"
    body = f"催办：工单 {row.case.case_no} 的任务「{row.title}」办理期限为 {due}，请尽快办理。" + (
        f"督办意见：{note}" if note else ""
    )
    message = queue_message(row.case, "internal", row.candidate_org.code, body, now, kind="urge")
    holder = row.assignee.username if row.assignee else None
    audit.record(
        "task_urged",
        actor=Actor.of(user, Role.SUPERVISOR),
        at=now,
        region_id=row.region_id,
        case_id=row.case_id,
        definition_id=row.case.definition_id,
        payload={"task_id": row.id, "title": row.title, "note": note, "holder": holder, "message_id": message.id},
    )
    return row


@dataclass
class UnitLoad:
    """One unit's open tasks: all of them, those due within one working day, those overdue."""

    org: Organization
    open: int = 0
    due_soon: int = 0
    overdue: int = 0


def unit_load(user: User, now: datetime, calendar: WorkCalendar) -> list[UnitLoad]:
    """Count the open tasks of every unit the user oversees (task.reassign), in the order of the tree."""
    limit = unit_limit(user, Action.TASK_REASSIGN)
    orgs = select(Organization).where(Organization.region_id == user.region_id).order_by(Organization.path)
    tasks = select(HumanTask.candidate_org_id, HumanTask.due_at).where(
        HumanTask.region_id == user.region_id, HumanTask.status == TaskStatus.OPEN, HumanTask.candidate_role.in_(ROLES)
    )
    if limit is not None:
        orgs = orgs.where(Organization.path.startswith(limit, autoescape=True))
        tasks = tasks.where(HumanTask.candidate_org_path.startswith(limit, autoescape=True))
    loads = {org.id: UnitLoad(org) for org in db.session.scalars(orgs)}
    soon = due_soon_by(now, calendar)  # the inbox's drill-down (due=soon) uses the same instant
    for org_id, due_at in db.session.execute(tasks):
        load = loads.get(org_id)
        if load is None:
            continue
        load.open += 1
        if due_at is not None and due_at <= now:
            load.overdue += 1
        elif due_at is not None and due_at <= soon:
            load.due_soon += 1
    return list(loads.values())
