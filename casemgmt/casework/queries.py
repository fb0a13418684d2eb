"""Casework reads for the pages: badges per case, an extension's new due date before sending, what an approver
and a reviewer decide on, an appeal window's last day, and the ledger filtered by unit and lateness."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import select

from casemgmt.access.policy import Action, unit_limit
from casemgmt.calendar import Due
from casemgmt.calendar.case_calendar import case_calendar
from casemgmt.casework import extension_requests, ledger
from casemgmt.db import db
from casemgmt.models import (
    Appeal,
    AppealStatus,
    Case,
    ExtensionRequest,
    ExtensionStatus,
    HumanTask,
    LedgerEntry,
    Organization,
    Transfer,
    User,
)
from casemgmt.rules import bundles


class CaseworkBadge(StrEnum):
    """A casework state worth a badge beside a case or task (derived from its records, never stored)."""

    EXTENSION_PENDING = "extension_pending"
    EXTENDED = "extended"
    APPEALING = "appealing"
    TRANSFERRED = "transferred"


BADGE_LABELS = {
    CaseworkBadge.EXTENSION_PENDING: "申请中",
    CaseworkBadge.EXTENDED: "已延期",
    CaseworkBadge.APPEALING: "申诉中",
    CaseworkBadge.TRANSFERRED: "已移交",
}


def case_badges(case_ids: Iterable[int]) -> dict[int, list[CaseworkBadge]]:
    """Return, for each case id given, its casework badges in a fixed order (cases with none map to [])."""
    ids = sorted(set(case_ids))
    found: dict[int, set[CaseworkBadge]] = {case_id: set() for case_id in ids}
    if not ids:
        return {}
    extensions = select(ExtensionRequest.case_id, ExtensionRequest.status).where(ExtensionRequest.case_id.in_(ids))
    for case_id, status in db.session.execute(extensions):
        if status == ExtensionStatus.PENDING:
            found[case_id].add(CaseworkBadge.EXTENSION_PENDING)
        elif status == ExtensionStatus.APPROVED:
            found[case_id].add(CaseworkBadge.EXTENDED)
    pending = Appeal.status == AppealStatus.PENDING
    for case_id in db.session.scalars(select(Appeal.case_id).where(Appeal.case_id.in_(ids), pending)):
        found[case_id].add(CaseworkBadge.APPEALING)
    for case_id in db.session.scalars(select(Transfer.case_id).where(Transfer.case_id.in_(ids))):
        found[case_id].add(CaseworkBadge.TRANSFERRED)
    return {case_id: [b for b in CaseworkBadge if b in badges] for case_id, badges in found.items()}


@dataclass(frozen=True)
class ExtensionPreview:
    """What an extension would do: the task it extends, the region's cap, the current and the new due date."""

    task: HumanTask
    cap: int
    workdays: int | None
    current_due: date | None
    new_due: date | None
    problem: str | None = None


def extension_preview(case: Case, workdays: int | None) -> ExtensionPreview:
    """Compute the new due date of an extension by the case's working-day calendar; TaskNotOpen when none fits."""
    row, cap = extension_requests.extensible_task(case)
    problem = None
    if workdays is not None and not 1 <= workdays <= cap:
        problem = f"延长期限为 1 至 {cap} 个工作日"
    new_due = None
    if workdays is not None and problem is None and row.due_date is not None and row.due_at is not None:
        new_due = case_calendar(case).extend(Due(row.due_date, row.due_at), workdays).due_date
    return ExtensionPreview(row, cap, workdays, row.due_date, new_due, problem)


@dataclass(frozen=True)
class ExtensionReview:
    """What the approver of an extension sees: the request, the current and the new due date, the cap."""

    request: ExtensionRequest
    task: HumanTask | None
    cap: int | None
    current_due: date | None
    new_due: date | None


def pending_extension(case: Case) -> ExtensionReview | None:
    """Return the case's extension request awaiting a decision, with the dates the decision would set."""
    stmt = select(ExtensionRequest).where(
        ExtensionRequest.case_id == case.id, ExtensionRequest.status == ExtensionStatus.PENDING
    )
    request = db.session.scalar(stmt.order_by(ExtensionRequest.id.desc()).limit(1))
    if request is None:
        return None
    row = extension_requests.open_row(case, request.task_element)
    bundle = bundles.bundle_of(case.definition)
    cap = extension_requests.cap_of(case, bundle.task_property(request.task_element, extension_requests.CAP_PROPERTY))
    current = row.due_date if row is not None else request.old_due_date
    new_due = None
    if row is not None and row.due_date is not None and row.due_at is not None:
        new_due = case_calendar(case).extend(Due(row.due_date, row.due_at), request.workdays).due_date
    return ExtensionReview(request, row, cap, current, new_due)


def pending_appeal(case: Case) -> Appeal | None:
    """Return the case's appeal awaiting a ruling."""
    stmt = select(Appeal).where(Appeal.case_id == case.id, Appeal.status == AppealStatus.PENDING)
    return db.session.scalar(stmt.order_by(Appeal.id.desc()).limit(1))


def appeal_window_last_day(case: Case) -> date | None:
    """Return the last working day an appeal is accepted (the diagram's timer counts from the case's opening)."""
    days = bundles.settings_of(case.definition.files).get("appeal_window_workdays")
    if not isinstance(days, int) or isinstance(days, bool) or days <= 0:
        return None
    return case_calendar(case).due(case.opened_at, days).due_date


def ledger_rows(
    user: User, now: datetime, *, status: str | None = None, org_code: str | None = None, overdue: bool = False
) -> list[LedgerEntry]:
    """Return the ledger entries the user may read, filtered by status, unit (and its subunits) and lateness."""
    entries = ledger.list_entries(user, status)
    if org_code:
        entries = [e for e in entries if f"/{org_code}/" in e.org.path]
    if overdue:
        entries = [e for e in entries if e.closed_at is None and e.due_at is not None and e.due_at < now]
    return entries


def ledger_units(user: User) -> list[Organization]:
    """Return the units whose ledger the user may filter by: the region's, or their own unit's subtree."""
    stmt = select(Organization).where(Organization.region_id == user.region_id)
    limit = unit_limit(user, Action.LEDGER_READ)
    if limit is not None:
        stmt = stmt.where(Organization.path.startswith(limit, autoescape=True))
    return list(db.session.scalars(stmt.order_by(Organization.path)))
