"""Import the directory and catalogue (plan, then write in bulk), and edit single entries; everything audited."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update

from casemgmt import audit
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.directory import hall_calendars
from casemgmt.directory.parsers import Row
from casemgmt.directory.plans import PLANNERS, ImportPlan
from casemgmt.errors import InvalidInput
from casemgmt.models import HumanTask, Organization, Region, ServiceItem, User

#: rows per executemany: large enough to be fast, small enough to keep a progress bar moving
CHUNK = 2_000
Progress = Callable[[int], None]


def import_rows(
    region: Region,
    kind: str,
    rows: list[Row],
    actor: Actor,
    now: datetime,
    *,
    confirm: bool,
    skip_bad: bool = False,
    trusted: bool = False,
    progress: Progress | None = None,
) -> ImportPlan:
    """Plan an import and, when confirmed, write it; a plan with bad rows is written only with skip_bad.

    `trusted` is for the command line only: it may create and change administrators.
    """
    if kind not in PLANNERS:
        raise InvalidInput("未知的导入类型", details={"kind": [kind]})
    plan = PLANNERS[kind](region, rows, trusted)
    if not confirm:
        return plan
    if plan.errors and not skip_bad:
        raise InvalidInput(
            f"文件中有 {len({e.line for e in plan.errors})} 行有误，请改正后再导入",
            details={"errors": _error_lines(plan)},
        )
    if not plan.new and not plan.changed and not plan.calendars:
        return plan  # a repeated import writes nothing
    if plan.new or plan.changed:
        WRITERS[kind](region, plan, progress or (lambda _n: None), now)
        _record_import(region, plan, actor, now)
    hall_calendars.write_calendars(region, plan.calendars, actor, now)
    db.session.expire_all()  # bulk statements bypass the identity map
    return plan


def _error_lines(plan: ImportPlan) -> list[str]:
    return [f"第 {e.line} 行（{e.key}）：{e.reason}" for e in plan.errors[:50]]


def _chunks(rows: list[dict]) -> list[list[dict]]:
    return [rows[i : i + CHUNK] for i in range(0, len(rows), CHUNK)]


def _write_orgs(region: Region, plan: ImportPlan, progress: Progress, now: datetime) -> None:
    ids = {
        code: id_
        for code, id_ in db.session.execute(
            select(Organization.code, Organization.id).where(Organization.region_id == region.id)
        )
    }
    fields = ("code", "name", "kind", "path", "is_active")
    for chunk in _chunks(plan.new):
        made = db.session.execute(
            insert(Organization).returning(Organization.id, Organization.code, sort_by_parameter_order=True),
            [{"region_id": region.id, **{k: row[k] for k in fields}} for row in chunk],
        )
        ids.update({code: id_ for id_, code in made})
        progress(len(chunk))
    parented = [{"id": ids[r["code"]], "parent_id": ids.get(r["parent_code"])} for r in plan.new if r["parent_code"]]
    for chunk in _chunks(parented):
        db.session.execute(update(Organization), chunk)
    changes = [
        {
            "id": r["id"],
            "name": r["name"],
            "kind": r["kind"],
            "path": r["path"],
            "is_active": r["is_active"],
            "parent_id": ids.get(r["parent_code"]) if r["parent_code"] else None,
        }
        for r in plan.changed
    ]
    for chunk in _chunks(changes):
        db.session.execute(update(Organization), chunk)
        progress(len(chunk))
    _move_task_paths(plan)


def _move_task_paths(plan: ImportPlan) -> None:
    """Rewrite the unit path copied onto tasks (human_tasks.candidate_org_path) of every unit that moved."""
    moved = [{"old": r["before"]["path"], "new": r["path"]} for r in plan.changed if "path" in r["before"]]
    if not moved:
        return
    stmt = (
        update(HumanTask.__table__)
        .where(HumanTask.__table__.c.candidate_org_path == bindparam("old"))
        .values(candidate_org_path=bindparam("new"))
    )
    db.session.execute(stmt, moved)


def _write_items(region: Region, plan: ImportPlan, progress: Progress, now: datetime) -> None:
    fields = ("code", "name", "owning_org_id", "lead_org_id", "is_active")
    for chunk in _chunks(plan.new):
        db.session.execute(insert(ServiceItem), [{"region_id": region.id, **{k: r[k] for k in fields}} for r in chunk])
        progress(len(chunk))
    for chunk in _chunks(plan.changed):
        db.session.execute(update(ServiceItem), [{"id": r["id"], **{k: r[k] for k in fields}} for r in chunk])
        progress(len(chunk))


def _write_users(region: Region, plan: ImportPlan, progress: Progress, now: datetime) -> None:
    fields = ("username", "display_name", "org_id", "roles", "phone", "is_active")
    base = {"region_id": region.id, "password_hash": None, "can_view_pii": False, "failed_logins": 0}
    for chunk in _chunks(plan.new):
        db.session.execute(insert(User), [{**base, "created_at": now, **{k: r[k] for k in fields}} for r in chunk])
        progress(len(chunk))
    for chunk in _chunks(plan.changed):
        db.session.execute(update(User), [{"id": r["id"], **{k: r[k] for k in fields}} for r in chunk])
        progress(len(chunk))


WRITERS: dict[str, Callable[[Region, ImportPlan, Progress, datetime], None]] = {
    "orgs": _write_orgs,
    "items": _write_items,
    "users": _write_users,
}


def _record_import(region: Region, plan: ImportPlan, actor: Actor, now: datetime) -> None:
    """Audit the import as one event (every new and changed entry), plus one event per renamed or moved unit."""
    key = "username" if plan.kind == "users" else "code"
    payload = {
        "kind": plan.kind,
        "counts": plan.summary(0)["counts"],
        "new": [r[key] for r in plan.new],
        "changed": [{key: r[key], "before": r["before"]} for r in plan.changed],
        "skipped_lines": [e.line for e in plan.errors],
    }
    audit.record("directory_imported", actor=actor, at=now, region_id=region.id, payload=payload)
    if plan.kind != "orgs":
        return
    for row in plan.changed:
        if row.get("_implied"):
            continue
        before = row["before"]
        after = {k: row[k] for k in before}
        audit.record(
            "org_changed",
            actor=actor,
            at=now,
            region_id=region.id,
            chain=f"org:{region.id}:{row['code']}",
            payload={"code": row["code"], "before": before, "after": after},
        )


def save_org(region: Region, values: dict[str, str], actor: Actor, now: datetime) -> ImportPlan:
    """Create or change one organization (the admin page's form): the same checks and history as an import."""
    return import_rows(region, "orgs", [(1, values)], actor, now, confirm=True)


def save_item(region: Region, values: dict[str, str], actor: Actor, now: datetime) -> ImportPlan:
    """Create or change one service item."""
    return import_rows(region, "items", [(1, values)], actor, now, confirm=True)


def save_user(region: Region, values: dict[str, str], actor: Actor, now: datetime) -> ImportPlan:
    """Create or change one user's directory entry (name, unit, roles, phone, status)."""
    return import_rows(region, "users", [(1, values)], actor, now, confirm=True)
