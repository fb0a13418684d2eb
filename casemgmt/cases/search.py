"""Case search for auditors and supervisors: region scope, filters, pages, the overdue mark."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import joinedload

from casemgmt.access.policy import Action, unit_limit
from casemgmt.calendar import SHANGHAI
from casemgmt.db import db
from casemgmt.errors import InvalidInput
from casemgmt.models import Case, CaseStatus, Evaluation, HumanTask, Organization, TaskStatus, User

PAGE_SIZE = 25
EXPORT_MAX = 10_000


@dataclass(frozen=True)
class CaseFilter:
    region: str = ""
    org_code: str = ""
    item_code: str = ""
    opened_from: date | None = None
    opened_to: date | None = None
    status: str = ""
    overdue: bool = False
    #: a case number or a record number, matched exactly
    q: str = ""


def late_task(now: datetime):
    """Return the condition "the case has a task that passed its deadline" (open, escalated or done late)."""
    return exists().where(
        HumanTask.case_id == Case.id,
        or_(
            (HumanTask.status == TaskStatus.OPEN) & (HumanTask.due_at < now),
            HumanTask.escalated_at.is_not(None),
            (HumanTask.status == TaskStatus.COMPLETED) & (HumanTask.completed_at > HumanTask.due_at),
        ),
    )


def search_query(user: User, flt: CaseFilter, now: datetime, action: Action = Action.CASE_SEARCH) -> Select:
    """Build the query of the cases in the user's scope (for search or export) that match the filter, newest first."""
    scope = unit_limit(user, action)
    if flt.region and flt.region != user.region.code:
        raise InvalidInput("只能查询本地区工单", details={"region": [f"您属于 {user.region.code}"]})
    if flt.status and flt.status not in list(CaseStatus):
        raise InvalidInput("未知的状态", details={"status": ["可选：" + "、".join(CaseStatus)]})
    stmt = select(Case).join(Evaluation, Case.evaluation_id == Evaluation.id).where(Case.region_id == user.region_id)
    if scope or flt.org_code:
        stmt = stmt.join(Organization, Case.handling_org_id == Organization.id)
    if scope:
        stmt = stmt.where(Organization.path.startswith(scope, autoescape=True))
    if flt.org_code:
        stmt = stmt.where(Organization.path.startswith(_org_path(user, flt.org_code), autoescape=True))
    return _filtered(stmt, flt, now).order_by(Case.opened_at.desc(), Case.id.desc())


def _org_path(user: User, code: str) -> str:
    stmt = select(Organization.path).where(Organization.region_id == user.region_id, Organization.code == code)
    path = db.session.scalar(stmt)
    if path is None:
        raise InvalidInput("未知的机构", details={"org": [code]})
    return path


def _filtered(stmt: Select, flt: CaseFilter, now: datetime) -> Select:
    if flt.item_code:
        stmt = stmt.where(Evaluation.item_code == flt.item_code)
    if flt.opened_from:
        stmt = stmt.where(Case.opened_at >= _start_of(flt.opened_from))
    if flt.opened_to:
        stmt = stmt.where(Case.opened_at < _start_of(flt.opened_to + timedelta(days=1)))
    if flt.status:
        stmt = stmt.where(Case.status == flt.status)
    if flt.overdue:
        stmt = stmt.where(late_task(now))
    if flt.q.strip():
        stmt = stmt.where(or_(Case.case_no == flt.q.strip(), Evaluation.record_no == flt.q.strip()))
    return stmt


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=SHANGHAI)


def search_cases(
    user: User, flt: CaseFilter, now: datetime, page: int = 1, size: int = PAGE_SIZE
) -> tuple[list[Case], int]:
    """Return one page of matching cases and how many match in all."""
    stmt = search_query(user, flt, now)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    page_stmt = stmt.options(joinedload(Case.evaluation), joinedload(Case.handling_org))
    rows = list(db.session.scalars(page_stmt.limit(size).offset((max(page, 1) - 1) * size)))
    return rows, total


def late_case_ids(case_ids: list[int], now: datetime) -> set[int]:
    """Return which of the cases have a task that passed its deadline."""
    if not case_ids:
        return set()
    stmt = select(Case.id).where(Case.id.in_(case_ids), late_task(now))
    return set(db.session.scalars(stmt))
