"""The officer's inbox: views of the task table with filters, keyset pages and deadline lamps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, false, func, or_, select, true
from sqlalchemy.orm import joinedload

from casemgmt.access.policy import Action, allowed, holds_candidate_role, roles_granted, unit_limit
from casemgmt.calendar import WorkCalendar, end_of_day, local_date
from casemgmt.db import db
from casemgmt.errors import InvalidInput
from casemgmt.models import ROLES, Case, Evaluation, HumanTask, Organization, ServiceItem, TaskStatus, User

#: "team" is every open task the user may reassign (task.reassign)
VIEWS = ("mine", "my_roles", "overdue", "done", "team")
PAGE_SIZE = 25
PAGE_SIZE_MAX = 200
MAX_ROW_ID = 2**63 - 1


#: sortable columns of the open views: name -> (column, descending); the key is always (column, id)
SORTS = {
    "due": (HumanTask.due_at, False),
    "-due": (HumanTask.due_at, True),
    "created": (HumanTask.created_at, False),
    "-created": (HumanTask.created_at, True),
}
PHONE_TAIL = 4


@dataclass(frozen=True)
class InboxFilter:
    #: the end of a record number or a case number (a whole number too), or the last four digits of the phone
    q: str = ""
    form_key: str = ""
    item_code: str = ""
    #: a unit's code: its own tasks (the unit-load view drills down here)
    org_code: str = ""
    #: only tasks not yet overdue and due by this instant (the end of the next working day: "due soon")
    due_by: datetime | None = None


@dataclass(frozen=True)
class InboxPage:
    rows: list[HumanTask]
    next_cursor: str | None


def inbox_query(user: User, *, view: str = "my_roles", now: datetime | None = None) -> Select:
    """Build the inbox query for a view: mine, my_roles (claimable in my units), overdue, done."""
    stmt = select(HumanTask).where(HumanTask.region_id == user.region_id)
    # task.claim as a query: offered to a role the table lets the user claim in, in the user's unit or below
    claimable = [
        (HumanTask.candidate_role == role) & HumanTask.candidate_org_path.startswith(user.org.path, autoescape=True)
        for role in roles_granted(user, Action.TASK_CLAIM)
    ]
    if view == "mine":
        stmt = stmt.where(HumanTask.status == TaskStatus.OPEN, HumanTask.assignee_id == user.id)
    elif view == "done":
        stmt = stmt.where(HumanTask.status == TaskStatus.COMPLETED, HumanTask.completed_by_id == user.id)
    else:
        stmt = stmt.where(HumanTask.status == TaskStatus.OPEN, or_(*claimable) if claimable else false())
        stmt = stmt.where(or_(HumanTask.assignee_id.is_(None), HumanTask.assignee_id == user.id))
        if view == "overdue":
            stmt = stmt.where(HumanTask.due_at < now)
    if view == "done":
        return stmt.order_by(HumanTask.completed_at.desc(), HumanTask.id.desc())
    return stmt.order_by(HumanTask.due_at.asc().nulls_last(), HumanTask.id)


def team_query(user: User) -> Select:
    """Build the query of every open task the user may reassign, due first."""
    limit = unit_limit(user, Action.TASK_REASSIGN)
    stmt = select(HumanTask).where(
        HumanTask.status == TaskStatus.OPEN, HumanTask.candidate_role.in_(ROLES), HumanTask.region_id == user.region_id
    )
    if limit is not None:
        stmt = stmt.where(HumanTask.candidate_org_path.startswith(limit, autoescape=True))
    return stmt.order_by(HumanTask.due_at.asc().nulls_last(), HumanTask.id)


def inbox_page(
    user: User,
    view: str,
    now: datetime,
    flt: InboxFilter = InboxFilter(),
    cursor: str | None = None,
    size: int = PAGE_SIZE,
    sort: str = "",
) -> InboxPage:
    """Return one page of an inbox view after the cursor, and the cursor of the next page."""
    if view not in VIEWS:
        raise InvalidInput("未知的视图", details={"view": ["可选：" + "、".join(VIEWS)]})
    sort = sort if sort in SORTS and view != "done" else ""
    stmt = _view_query(user, view, now)
    stmt = _filtered(stmt, flt, now)
    if sort:
        column, descending = SORTS[sort]
        key = column.desc() if descending else column.asc()
        stmt = stmt.order_by(None).order_by(key.nulls_last(), HumanTask.id.desc() if descending else HumanTask.id)
    tail = None
    if cursor:
        stmt, tail = _after(stmt, view, cursor, sort)
    size = max(1, min(size, PAGE_SIZE_MAX))
    loads = (joinedload(HumanTask.case).joinedload(Case.evaluation), joinedload(HumanTask.assignee))
    rows = list(db.session.scalars(stmt.options(*loads).limit(size + 1)))
    if tail is not None and len(rows) <= size:  # past the last dated task: the undated ones follow (nulls last)
        rows += db.session.scalars(tail.options(*loads).limit(size + 1 - len(rows)))
    more = len(rows) > size
    rows = rows[:size]
    return InboxPage(rows, _cursor_of(rows[-1], view, sort) if more else None)


def _view_query(user: User, view: str, now: datetime) -> Select:
    if view == "team":
        return team_query(user)
    if view == "overdue" and allowed(user, Action.TASK_REASSIGN):
        # a supervisor's 已逾期 is every red task of the units they oversee, not only those offered to them
        return team_query(user).where(HumanTask.due_at < now)
    return inbox_query(user, view=view, now=now)


def view_counts(user: User, views: list[str], now: datetime, flt: InboxFilter = InboxFilter()) -> dict[str, int]:
    """Count the tasks of each view (the tab labels), with the page's filters."""
    counts = {}
    for view in views:
        stmt = _filtered(_view_query(user, view, now), flt, now).order_by(None)
        counts[view] = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return counts


def _filtered(stmt: Select, flt: InboxFilter, now: datetime) -> Select:
    q = flt.q.strip()
    if q:
        by_no = select(Case.id).join(Evaluation, Case.evaluation_id == Evaluation.id)
        matches = [Case.case_no.endswith(q, autoescape=True), Evaluation.record_no.endswith(q, autoescape=True)]
        if len(q) == PHONE_TAIL and q.isascii() and q.isdigit():
            matches.append(Evaluation.evaluator_phone_tail == q)
        stmt = stmt.where(HumanTask.case_id.in_(by_no.where(or_(*matches))))
    if flt.org_code:
        unit = select(Organization.id).where(Organization.code == flt.org_code)
        stmt = stmt.where(HumanTask.candidate_org_id.in_(unit))
    if flt.due_by is not None:
        stmt = stmt.where(HumanTask.due_at <= flt.due_by, HumanTask.due_at > now)
    if flt.form_key:
        stmt = stmt.where(HumanTask.form_key == flt.form_key)
    if flt.item_code:
        by_item = select(Case.id).join(Evaluation, Case.evaluation_id == Evaluation.id)
        stmt = stmt.where(HumanTask.case_id.in_(by_item.where(Evaluation.item_code == flt.item_code)))
    return stmt


def _cursor_of(row: HumanTask, view: str, sort: str = "") -> str:
    key = row.completed_at if view == "done" else getattr(row, SORTS[sort or "due"][0].key)
    return f"{key.isoformat() if key else ''}|{row.id}"


def _parse_cursor(cursor: str) -> tuple[datetime | None, int]:
    key, _, ident = cursor.partition("|")
    instant, row_id = (_aware(key) if key else None), _row_id(ident)
    if (key and instant is None) or row_id is None:
        raise InvalidInput("分页参数无效", details={"cursor": ["无效的分页位置"]})
    return instant, row_id


def _aware(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def _row_id(text: str) -> int | None:
    # str.isdigit() alone would take '²', which int() refuses; past 64 bits the driver would overflow
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    value = int(text)
    return value if value <= MAX_ROW_ID else None


def _after(stmt: Select, view: str, cursor: str, sort: str = "") -> tuple[Select, Select | None]:
    """Narrow a view to the rows after the cursor, as a range an index on (key, id) serves: the rows with a key
    after it; and, when the key is not null, the query of the undated rows that follow them (nulls last)."""
    key, ident = _parse_cursor(cursor)
    if view == "done":
        col = HumanTask.completed_at
        return stmt.where(col <= key, or_(col < key, HumanTask.id < ident)), None
    col, descending = SORTS[sort or "due"]
    if key is None:
        return stmt.where(col.is_(None), HumanTask.id < ident if descending else HumanTask.id > ident), None
    if descending:
        return stmt.where(col <= key, or_(col < key, HumanTask.id < ident)), stmt.where(col.is_(None))
    return stmt.where(col >= key, or_(col > key, HumanTask.id > ident)), stmt.where(col.is_(None))


def working_days_left(task: HumanTask, now: datetime, calendar: WorkCalendar) -> int | None:
    """Return the working days left to an open task's due day (0: due today), negative when overdue."""
    if task.status != TaskStatus.OPEN or task.due_at is None:
        return None
    due_day = task.due_date or local_date(task.due_at)
    days = calendar.working_days_between(local_date(now), due_day)
    if task.due_at <= now:
        return min(days, -1)
    return max(days, 0)


def lamp(task: HumanTask, now: datetime, calendar: WorkCalendar) -> str:
    """Return the deadline lamp: red overdue, yellow due today or on the next working day, else green."""
    if task.status != TaskStatus.OPEN or task.due_at is None:
        return "none"
    if task.due_at <= now:
        return "red"
    due_day = task.due_date or local_date(task.due_at)
    return "yellow" if calendar.working_days_between(local_date(now), due_day) <= 1 else "green"


def item_names(region_id: int, codes: set[str]) -> dict[str, str]:
    """Return the names of the region's service items by code."""
    if not codes:
        return {}
    stmt = select(ServiceItem.code, ServiceItem.name).where(
        ServiceItem.region_id == region_id, ServiceItem.code.in_(codes)
    )
    return dict(db.session.execute(stmt).all())


def reassign_targets(user: User, task: HumanTask) -> tuple[list[User], list[Organization]]:
    """Return the people (holding the task's role) and units a supervisor may hand a task to."""
    limit = unit_limit(user, Action.TASK_REASSIGN)
    in_scope = Organization.path.startswith(limit, autoescape=True) if limit is not None else true()
    orgs = db.session.scalars(
        select(Organization).where(Organization.region_id == user.region_id, in_scope).order_by(Organization.path)
    )
    people = db.session.scalars(
        select(User)
        .join(Organization, User.org_id == Organization.id)
        .where(User.region_id == user.region_id, User.is_active.is_(True), in_scope)
        .order_by(User.username)
    )
    return [u for u in people if holds_candidate_role(u, task)], list(orgs)


def due_soon_by(now: datetime, calendar: WorkCalendar) -> datetime:
    """Return the end of the next working day: an open task due by then is due soon (the yellow lamp)."""
    day, _ = calendar.add_working_days(local_date(now), 1)
    return end_of_day(day)
