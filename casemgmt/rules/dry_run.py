"""Dry run: open a test case on an undeployed bundle in a savepoint that is discarded, and report it.

The bundle is made the region's active version inside the savepoint and a sample bad review is submitted
through the ordinary intake, so routing, operations, candidate orgs and the region's calendar are the real
ones. Nothing survives: the savepoint is rolled back before returning; the caller's transaction is untouched.
"""

from __future__ import annotations

from datetime import datetime

from marshmallow import ValidationError
from sqlalchemy import select

from casemgmt.access.policy import Role
from casemgmt.actor import Actor
from casemgmt.cases.instances import load_run, open_rows
from casemgmt.db import db, discarded_savepoint
from casemgmt.engine.facade import MAIN_PROCESS, Run
from casemgmt.errors import DomainError, InvalidInput
from casemgmt.intake import operations as intake_ops
from casemgmt.intake.schemas import EvaluationSchema
from casemgmt.models import AuditEvent, Case, Organization, ProcessDefinition, Region, ServiceItem, User
from casemgmt.rules import bundles

SAMPLE_KEYS = ("item_code", "org_code", "level", "reasons", "channel", "comment")


def dry_run(region: Region, files: dict[str, str], user: User, now: datetime, sample: dict | None = None) -> dict:
    """Validate the bundle, open a sample case on it, and return its first tasks, timers and deadlines."""
    bundles.validate_files(files)
    with discarded_savepoint():
        return _open_sample(region, files, user, now, sample or {})


def _open_sample(region: Region, files: dict[str, str], user: User, now: datetime, sample: dict) -> dict:
    active = bundles.get_active(region.id, required=False)
    if active is not None:
        active.is_active = False
    trial = ProcessDefinition(
        region_id=region.id,
        process_id=MAIN_PROCESS,
        version=0,
        sha256=bundles.bundle_sha256(files),
        files=files,
        is_active=True,
        deployed_at=now,
        deployed_by=user.username,
        comment="试运行",
    )
    db.session.add(trial)
    db.session.flush()
    case = intake_ops.receive_evaluation(_payload(region, sample, now), user, now).case
    if case is None:
        raise InvalidInput("试运行需要一条差评", details={"sample": ["level 必须是 dissatisfied 或 very_dissatisfied"]})
    run = load_run(case, case.instance, Actor.of(user, Role.ADMIN), now)
    forms = bundles.for_settings(bundles.form_definitions(files), bundles.settings_of(files))
    return {
        "case": {
            "handling_org": case.handling_org.code,
            "handling_org_name": case.handling_org.name,
            "status": case.status,
            "data": _start_data(run),
        },
        "tasks": [_task(row, forms) for row in open_rows(case.instance.id)],
        "timers": _timers(run),
        "operations": _operations(case),
        "deadlines": _deadlines(run, now),
        "completed": run.is_completed,
    }


def _payload(region: Region, sample: dict, now: datetime) -> dict:
    unknown = sorted(set(sample) - set(SAMPLE_KEYS))
    if unknown:
        raise InvalidInput("试运行样例含未知字段", details={"sample": unknown})
    item = db.session.scalar(select(ServiceItem).where(ServiceItem.region_id == region.id).order_by(ServiceItem.code))
    org = _default_org(region, item)
    payload = {
        "region": region.code,
        "record_no": "DRY-RUN",
        "item_code": item.code if item else "-",
        "org_code": org.code if org else "-",
        "channel": "window_device",
        "level": "very_dissatisfied",
        "reasons": ["试运行"],
        "evaluated_at": now.isoformat(),
        **sample,
    }
    try:
        return EvaluationSchema().load(payload)
    except ValidationError as err:
        raise InvalidInput("试运行样例有误", details={"sample": err.messages}) from err


def _default_org(region: Region, item: ServiceItem | None) -> Organization | None:
    if item is not None and item.lead_org_id:
        return db.session.get(Organization, item.lead_org_id)
    stmt = select(Organization).where(Organization.region_id == region.id)
    orgs = list(db.session.scalars(stmt))
    return max(orgs, key=lambda o: (o.path.count("/"), o.code), default=None)


def _start_data(run: Run) -> dict:
    return {k: v for k, v in run.start_data().items() if isinstance(v, str | int | float | bool | list)}


def _task(row, forms: dict[str, dict]) -> dict:
    return {
        "element_id": row.element_id,
        "title": row.title,
        "form_key": row.form_key,
        "form_title": str((forms.get(row.form_key or "") or {}).get("title") or ""),
        "role": row.candidate_role,
        "org": row.candidate_org.code,
        "org_name": row.candidate_org.name,
        "due_expr": row.due_expr,
        "due_at": _iso(row.due_at),
        "due_date": _iso(row.due_date),
        "provisional": row.is_provisional,
    }


def _timers(run: Run) -> list[dict]:
    return [{"element_id": t.element_id, "name": t.name, "due_at": t.due_at} for t in run.waiting_timers()]


def _operations(case: Case) -> list[dict]:
    stmt = select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.kind == "operation")
    return [
        {"operation": e.payload.get("operation"), "params": e.payload.get("params")}
        for e in db.session.scalars(stmt.order_by(AuditEvent.seq))
    ]


def _deadlines(run: Run, now: datetime) -> list[dict]:
    """Evaluate every user task's due date and every timeDate as if reached now with the case's start data."""
    ready = run.ready_user_tasks()
    if not ready:
        return []
    anchor = ready[0].spiff_id
    rows = [(info.element_id, info.title, info.due_expr) for info in run.bundle.user_tasks.values() if info.due_expr]
    rows += [(timer.element_id, timer.name, timer.expression) for timer in run.bundle.timer_definitions()]
    return [_deadline(run, anchor, element, name, expr, now) for element, name, expr in rows]


def _deadline(run: Run, anchor: str, element: str, name: str, expr: str, now: datetime) -> dict:
    entry = {"element_id": element, "name": name, "expression": expr}
    try:
        iso, due = run.evaluate_as_of(anchor, expr, now)
    except DomainError as err:
        return {**entry, "note": f"到达该步骤时才能计算：{err.message}"}
    return {
        **entry,
        "due_at": iso,
        "due_date": _iso(due.due_date) if due else None,
        "provisional": bool(due and due.provisional),
    }


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None
