"""Read side: get_* raise NotFound, list_* return lists."""

from __future__ import annotations

from sqlalchemy import select

from casemgmt.access.policy import Action, authorize
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


def list_case_tasks(case_id: int) -> list[HumanTask]:
    """Return a case's task rows, oldest first."""
    stmt = select(HumanTask).where(HumanTask.case_id == case_id).order_by(HumanTask.created_at, HumanTask.id)
    return list(db.session.scalars(stmt))


def list_case_events(case_id: int) -> list[AuditEvent]:
    """Return a case's audit events, oldest first."""
    stmt = select(AuditEvent).where(AuditEvent.chain == f"case:{case_id}").order_by(AuditEvent.seq)
    return list(db.session.scalars(stmt))


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
