"""Evaluator identity is personal data: revealing it needs a permission and a reason, and is audited."""

from __future__ import annotations

from datetime import datetime

from casemgmt import audit
from casemgmt.actor import Actor
from casemgmt.errors import InvalidInput, PermissionDenied
from casemgmt.models import Case, User


def may_reveal(user: User) -> bool:
    """Tell whether the user may see evaluator identity at all."""
    return bool(user.can_view_pii)


def reveal_evaluator(case: Case, user: User, reason: str, now: datetime) -> None:
    """Record that the user looked at the evaluator's identity, and why."""
    if not may_reveal(user):
        raise PermissionDenied("无权查看评价人身份信息")
    if not reason or not reason.strip():
        raise InvalidInput("查看评价人信息须说明理由", details={"reason": ["必填"]})
    audit.record("evaluator_revealed", actor=Actor.of(user), at=now, region_id=case.region_id, case_id=case.id,
                 definition_id=case.definition_id, payload={"reason": reason.strip()[:500]})
