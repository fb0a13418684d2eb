"""Opening a case for a bad review: the case row, its chain (case_opened), its process started to its first user
tasks, the instance and the task rows; one case (a single POST) or many (the bulk intake) at once."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy.orm.attributes import set_committed_value

from casemgmt import audit, bulk, refcache
from casemgmt.actor import Actor
from casemgmt.cases.instances import run_context, save_fresh_runs
from casemgmt.db import db
from casemgmt.engine.facade import Run
from casemgmt.engine.memo import Starts
from casemgmt.intake.routing import route
from casemgmt.models import Case, Evaluation, ProcessDefinition, ProcessInstance, TaskStatus
from casemgmt.notices.operations import reserved_message_ids
from casemgmt.rules import bundles, regions


def open_case(evaluation: Evaluation, actor: Actor, now: datetime) -> Case:
    """Open a case for a bad review and run its process to the first user tasks."""
    return open_cases([evaluation], actor, now)[0]


def open_cases(evaluations: list[Evaluation], actor: Actor, now: datetime) -> list[Case]:
    """Open a case for each bad review, in order, and run each process to its first user tasks.

    What `open_case` does to one, for many with one flush per table: the cases go in with one multi-row INSERT,
    then each case's chain starts (case_opened) and its process runs (its operations' own writes and events),
    then the instances with one INSERT and the task rows with one (save_fresh_runs). Each case's chain holds
    the same events in the same order as opened alone; ids are given in the same order.

    Ids held for cases and instances (bulk.hold_ids: a single POST reads them with its other reads) are given
    before their rows go in, and then those rows wait for the task rows' flush: one flush where three were.
    """
    try:
        return _open_cases(evaluations, actor, now)
    finally:
        bulk.drop_ids(Case.__table__, ProcessInstance.__table__)


def _open_cases(evaluations: list[Evaluation], actor: Actor, now: datetime) -> list[Case]:
    opened = []
    for evaluation in evaluations:
        definition = cast(ProcessDefinition, bundles.get_active(evaluation.region_id))  # required: raises if none
        r = route(evaluation)
        # each reference by its column too: a case held unflushed (its id given) has them only from its flush
        case = Case(
            region_id=evaluation.region_id,
            region=refcache.region(evaluation.region_id),
            evaluation_id=evaluation.id,
            evaluation=evaluation,
            handling_org_id=r.handling.id,
            handling_org=r.handling,
            definition_id=definition.id,
            definition=definition,
            status=TaskStatus.OPEN,
            opened_at=now,
            case_no=case_number(evaluation, now),
        )
        bulk.give_held_id(case)
        db.session.add(case)
        opened.append((case, r, definition))
    if any(case.id is None for case, _, _ in opened):
        db.session.flush()  # inserted complete: their numbers are known before the insert
    starts = Starts(len(opened) > 1)  # a case whose start runs as an earlier one's takes a copy of it (engine.memo)
    runs = []
    with reserved_message_ids(len(opened)):  # each start queues its unit's notice (notify_unit)
        for case, r, definition in opened:
            runs.append(_start(starts, case, r, definition, actor, now))
    instances = []
    for (case, _, definition), (run, state) in zip(opened, runs, strict=True):
        instance = ProcessInstance(
            case_id=case.id,
            case=case,
            definition_id=definition.id,
            definition=definition,
            state=state,
            next_timer_at=run.next_timer_at(),
            is_completed=run.is_completed,
            updated_at=now,
        )
        bulk.give_held_id(instance)
        db.session.add(instance)
        instances.append(instance)
    if any(instance.id is None for instance in instances):
        db.session.flush()  # inserted complete: only the task rows are added
    cases = [case for case, _, _ in opened]
    save_fresh_runs([(c, i, run) for c, i, (run, _) in zip(cases, instances, runs, strict=True)], actor, now)
    return cases


def _start(starts: Starts, case: Case, r, definition, actor: Actor, now: datetime) -> tuple[Run, str]:
    """Start a new case's chain (case_opened) and its process."""
    set_committed_value(case, "instance", None)  # a new case has no instance yet: nothing to look up
    audit.start_chain(f"case:{case.id}")
    audit.record(
        "case_opened",
        actor=actor,
        at=now,
        region_id=case.region_id,
        case_id=case.id,
        definition_id=definition.id,
        payload=_opening_payload(case, r, definition),
    )
    bundle = bundles.bundle_of(definition)
    return starts.start(bundle, _initial_data(case, r), run_context(case, actor, now))


def case_number(evaluation: Evaluation, now: datetime) -> str:
    """Number a case ZG + opening date + 7 digits: its evaluation's id (one case per evaluation), known at once."""
    return f"ZG{now:%Y%m%d}{evaluation.id:07d}"


def _initial_data(case: Case, r) -> dict:
    ev = case.evaluation
    return {
        "case_id": case.id,
        "case_no": case.case_no,
        "region": case.region.code,
        "level": ev.level,
        "is_real_name": ev.is_real_name,
        "reasons": list(ev.reasons or []),
        "item_code": ev.item_code,
        "channel": ev.channel,
        "handling_org": r.handling.code,
        "supervisor_org": r.supervisor.code,
        "coordinator_org": r.coordinator.code,
        # the version's rule settings (deadline counts, windows), frozen for the case at its start
        "settings": bundles.settings_of(case.definition.files),
        # set by the revocation and handling steps; defined from the start so conditions may test them anywhere
        "revoked": False,
        "handling": None,
        # the organizations the region's settings name, as <name>_org (Xi'an's hotline, Sanming's service centre)
        **{f"{name}_org": code for name, code in regions.named_orgs(case.region).items()},
    }


def _opening_payload(case: Case, r, definition) -> dict:
    ev = case.evaluation
    return {
        "case_no": case.case_no,
        "evaluation_id": ev.id,
        "record_no": ev.record_no,
        "item_code": ev.item_code,
        "level": ev.level,
        "reasons": ev.reasons,
        "channel": ev.channel,
        "handling_org": r.handling.code,
        "supervisor_org": r.supervisor.code,
        "definition_version": definition.version,
        "definition_sha256": definition.sha256,
    }
