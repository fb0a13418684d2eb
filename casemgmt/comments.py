"""Comments on a case: anyone who may see the case reads and writes them; each one is audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from casemgmt import audit
from casemgmt.access import ensure_can_see_case
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.errors import InvalidInput
from casemgmt.models import Case, CaseComment, User

MAX_LENGTH = 2000


def add_comment(case: Case, user: User, body: str, now: datetime) -> CaseComment:
    """Add a comment to a case the user may see."""
    ensure_can_see_case(user, case)
    text = (body or "").strip()
    if not text:
        raise InvalidInput("评论不能为空", details={"body": ["必填"]})
    if len(text) > MAX_LENGTH:
        raise InvalidInput("评论过长", details={"body": [f"长度不能超过 {MAX_LENGTH}"]})
    comment = CaseComment(case_id=case.id, author_id=user.id, body=text, created_at=now)
    db.session.add(comment)
    db.session.flush()
    audit.record("comment_added", actor=Actor.of(user), at=now, region_id=case.region_id, case_id=case.id,
                 definition_id=case.definition_id, payload={"comment_id": comment.id, "body": text})
    return comment


def list_comments(case_id: int) -> list[CaseComment]:
    """Return a case's comments, oldest first."""
    stmt = select(CaseComment).where(CaseComment.case_id == case_id)
    return list(db.session.scalars(stmt.order_by(CaseComment.created_at, CaseComment.id)))
