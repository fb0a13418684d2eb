"""Read side: get_* raise NotFound, list_* return lists."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload

from casemgmt.access.policy import Action, authorize, roles_granted
from casemgmt.db import db
from casemgmt.errors import NotFound
from casemgmt.models import (
    Attachment,
    AuditEvent,
    Case,
    CaseComment,
    HumanTask,
    User,
)

PAGE_SIZE_MAX = 200


def list_case_tasks(case_id: int) -> list[HumanTask]:
    """Return a case's task rows, oldest first."""
    stmt = select(HumanTask).where(HumanTask.case_id == case_id).order_by(HumanTask.created_at, HumanTask.id)
    return list(db.session.scalars(stmt))


def list_case_events(case_id: int) -> list[AuditEvent]:
    """Return a case's audit events, oldest first."""
    stmt = select(AuditEvent).where(AuditEvent.chain == f"case:{case_id}").order_by(AuditEvent.seq)
    return list(db.session.scalars(stmt))


def inbox_query(user: User, *, view: str = "my_roles", now: datetime | None = None) -> Select:
    """Build the inbox query for a view: mine, my_roles (claimable in my units), overdue, done."""
    stmt = select(HumanTask).where(HumanTask.region_id == user.region_id)
    # task.claim as a query: offered to a role the table lets the user claim in, in the user's unit or below
    claimable = [
        (HumanTask.candidate_role == role) & HumanTask.candidate_org_path.startswith(user.org.path, autoescape=True)
        for role in roles_granted(user, Action.TASK_CLAIM)
    ]
    if view == "mine":
        stmt = stmt.where(HumanTask.status == "open", HumanTask.assignee_id == user.id)
    elif view == "done":
        stmt = stmt.where(HumanTask.status == "completed", HumanTask.completed_by_id == user.id)
    else:
        stmt = stmt.where(HumanTask.status == "open", or_(*claimable) if claimable else False)
        stmt = stmt.where(or_(HumanTask.assignee_id.is_(None), HumanTask.assignee_id == user.id))
        if view == "overdue":
            stmt = stmt.where(HumanTask.due_at < now)
    if view == "done":
        return stmt.order_by(HumanTask.completed_at.desc(), HumanTask.id.desc())
    return stmt.order_by(HumanTask.due_at.asc().nulls_last(), HumanTask.id)


def list_inbox(
    user: User, *, view: str = "my_roles", now: datetime | None = None, limit: int = 50, offset: int = 0
) -> list[HumanTask]:
    """Return one page of the user's inbox view."""
    stmt = inbox_query(user, view=view, now=now).options(joinedload(HumanTask.case).joinedload(Case.evaluation))
    return list(db.session.scalars(stmt.limit(min(limit, PAGE_SIZE_MAX)).offset(offset)))


def list_comments(case_id: int) -> list[CaseComment]:
    """Return a case's comments, oldest first."""
    stmt = select(CaseComment).where(CaseComment.case_id == case_id)
    return list(db.session.scalars(stmt.order_by(CaseComment.created_at, CaseComment.id)))


def get_attachment(attachment_id: int, user: User) -> Attachment:
    """Return an attachment of a case the user may see."""
    row = db.session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound("没有找到该附件")
    authorize(user, Action.CASE_READ, case=db.session.get(Case, row.case_id))
    return row


def list_case_attachments(case_id: int) -> list[Attachment]:
    """Return a case's attachments, oldest first."""
    stmt = select(Attachment).where(Attachment.case_id == case_id).order_by(Attachment.id)
    return list(db.session.scalars(stmt))
