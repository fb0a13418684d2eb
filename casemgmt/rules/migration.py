"""Move a region's running cases to another version of its rules: preview which can move and why not, then move.

A case moves only if the engine check (casemgmt.engine.migration) passes: its current steps and the steps it
passed still exist with the same kind, role, form, org rule and boundary events. Its open task rows (with
their due dates and drafts) and its waiting timers (with their instants) are kept. Each move is one audited
step under a savepoint, so a case that cannot move leaves the others moving; the preview runs in a savepoint
that is discarded.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import select

from casemgmt import audit
from casemgmt.actor import Actor
from casemgmt.cases.instances import load_run, lock_instance, open_rows, save_run
from casemgmt.db import db, discarded_savepoint, savepoint
from casemgmt.engine.migration import MigrationRefused, assess, migrate
from casemgmt.errors import DomainError, InvalidInput
from casemgmt.models import Case, CaseStatus, HumanTask, ProcessDefinition, ProcessInstance, Region
from casemgmt.rules import bundles


@dataclass
class CaseMove:
    """What happens (or would happen) to one case."""

    case_id: int
    case_no: str
    from_version: int
    movable: bool
    blockers: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    moved: bool = False

    def as_dict(self) -> dict:
        """Return the move as a JSON-ready dict."""
        return asdict(self)


def running_cases(region: Region, target: ProcessDefinition) -> list[Case]:
    """Return the region's open cases that run on another version than `target`."""
    stmt = (
        select(Case)
        .join(ProcessInstance, ProcessInstance.case_id == Case.id)
        .where(
            Case.region_id == region.id,
            Case.status == CaseStatus.OPEN,
            ProcessInstance.is_completed.is_(False),
            ProcessInstance.definition_id != target.id,
        )
        .order_by(Case.id)
    )
    return list(db.session.scalars(stmt))


def preview_migration(region: Region, target: ProcessDefinition, actor: Actor, now: datetime) -> list[CaseMove]:
    """Try every running case on `target` in memory; nothing is saved."""
    with discarded_savepoint():
        return [_try(case, case.instance, target, actor, now, apply=False) for case in running_cases(region, target)]


def migrate_cases(
    region: Region, target: ProcessDefinition, case_ids: list[int] | None, actor: Actor, now: datetime
) -> list[CaseMove]:
    """Move the chosen running cases (all movable ones when None) to `target`, one audited savepoint each."""
    cases = running_cases(region, target)
    if case_ids is not None:
        unknown = sorted(set(case_ids) - {case.id for case in cases})
        if unknown:
            raise InvalidInput("这些工单不是本地区运行在其他版本上的在办工单", details={"cases": unknown})
        cases = [case for case in cases if case.id in set(case_ids)]
    results = [_move(case.id, target, actor, now) for case in cases]
    moved = [r.case_no for r in results if r.moved]
    audit.record(
        "cases_migrated",
        actor=actor,
        at=now,
        region_id=region.id,
        definition_id=target.id,
        payload={
            "to_version": target.version,
            "moved": moved,
            "refused": {r.case_no: r.blockers for r in results if not r.moved},
        },
    )
    return results


def _move(case_id: int, target: ProcessDefinition, actor: Actor, now: datetime) -> CaseMove:
    try:
        with savepoint() as step:
            case = db.session.get(Case, case_id)
            instance = lock_instance(case.instance.id)
            result = _try(case, instance, target, actor, now, apply=True)
            if not result.moved:
                step.discard()
    except DomainError as err:
        case = db.session.get(Case, case_id)
        return CaseMove(case.id, case.case_no, case.definition.version, False, [err.message])
    return result


def _try(
    case: Case, instance: ProcessInstance, target: ProcessDefinition, actor: Actor, now: datetime, apply: bool
) -> CaseMove:
    source = instance.definition
    run = load_run(case, instance, actor, now)
    assessment = assess(run, bundles.bundle_of(target))
    rows = open_rows(instance.id)
    result = CaseMove(
        case.id,
        case.case_no,
        source.version,
        assessment.movable,
        assessment.blockers,
        assessment.warnings + _form_warnings(rows, source, target) + _settings_warnings(source, target),
    )
    if not assessment.movable:
        return result
    try:
        moved = migrate(run, bundles.bundle_of(target))
    except MigrationRefused as err:
        result.movable, result.blockers = False, [err.message]
        return result
    if apply:
        _save(case, instance, moved, rows, source, target, result, actor, now)
    return result


def _form_warnings(rows: list[HumanTask], source: ProcessDefinition, target: ProcessDefinition) -> list[str]:
    warnings = []
    for row in rows:
        name = f"{bundles.FORM_PREFIX}{row.form_key}.json"
        if source.files.get(name) != target.files.get(name):
            warnings.append(f"待办任务 {row.element_id} 的表单 {row.form_key} 内容有变化：提交时按新表单校验")
        if row.draft:
            warnings.append(f"待办任务 {row.element_id} 有未提交的草稿：迁移后保留")
    return warnings


def _settings_warnings(source: ProcessDefinition, target: ProcessDefinition) -> list[str]:
    """Name the rule settings that differ: a running case keeps the settings it started with."""
    old, new = bundles.settings_of(source.files), bundles.settings_of(target.files)
    return [
        f"地区设置 {key} 由 {old.get(key)!r} 改为 {new.get(key)!r}：本工单开始时的设置保持不变"
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key) and old
    ]


def _save(
    case: Case,
    instance: ProcessInstance,
    moved,
    rows: list[HumanTask],
    source: ProcessDefinition,
    target: ProcessDefinition,
    result: CaseMove,
    actor: Actor,
    now: datetime,
) -> None:
    instance.definition = target
    case.definition = target
    for row in rows:  # a 督办 of the called supervision process is titled by its call activity
        found = moved.boundary_host(row.spiff_task_id)
        row.title = (found and found[1]) or moved.bundle.user_tasks[row.element_id].title
    kept = [{"element": r.element_id, "due_at": r.due_at.isoformat() if r.due_at else None} for r in rows]
    kept += [{"element": event.element_id, "timer_at": event.value} for event in moved.waiting_events()]
    audit.record(
        "case_migrated",
        actor=actor,
        at=now,
        region_id=case.region_id,
        case_id=case.id,
        definition_id=target.id,
        payload={
            "from_version": source.version,
            "to_version": target.version,
            "from_sha256": source.sha256,
            "to_sha256": target.sha256,
            "kept_deadlines": kept,
            "warnings": result.warnings,
        },
    )
    save_run(case, instance, moved, actor, now)
    result.moved = True
