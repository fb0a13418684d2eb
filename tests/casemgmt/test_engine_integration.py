"""The engine facade inside the product: untrusted expressions refused at deploy and at run time,
and a workflow saved and restored mid-flow continues exactly as one kept in memory."""

import os
from datetime import UTC, datetime, timedelta

import pytest

from casemgmt.actor import Actor
from casemgmt.calendar import load_calendar
from casemgmt.db import db
from casemgmt.engine.facade import RunContext, engine
from casemgmt.errors import DiagramInvalid
from casemgmt.models import ProcessDefinition, Region
from casemgmt.rules import bundles
from tests.web.flows import FORMS, callback, complete, only_task

HOSTILE = {
    "condition": (
        "outcome == 'explanation' or handling == 'explanation'",
        "__import__('os').system('touch /tmp/zg-pwned')",
    ),
    "timer": (
        "<bpmn:timeDate xsi:type=\"bpmn:tFormalExpression\">workdays(settings['callback_workdays'])</bpmn:timeDate>",
        "<bpmn:timeDate xsi:type=\"bpmn:tFormalExpression\">workdays.__globals__['os']</bpmn:timeDate>",
    ),
    "due": ('camunda:dueDate="${workdays(1)}"', 'camunda:dueDate="${().__class__.__base__.__subclasses__()}"'),
}


def liaoning_files(app) -> dict[str, str]:
    return bundles.collect_files(app.config["BPMN_ROOT"], app.config["FORMS_ROOT"], "liaoning")


def tampered_file(files: dict[str, str], kind: str) -> str:
    """Return the library file that holds the text a hostile edit replaces."""
    return next(name for name, text in sorted(files.items()) if HOSTILE[kind][0] in text)


def tamper(files: dict[str, str], kind: str) -> dict[str, str]:
    good, bad = HOSTILE[kind]
    name = tampered_file(files, kind)
    return {**files, name: files[name].replace(good, bad, 1)}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_hostile_expression_is_refused_at_deploy_naming_the_file_and_element(seeded_app, kind):
    region = db.session.query(Region).filter_by(code="liaoning").one()
    with pytest.raises(DiagramInvalid) as refused:
        bundles.deploy(
            region, tamper(liaoning_files(seeded_app), kind), Actor.system("admin"), datetime(2025, 9, 1, tzinfo=UTC)
        )
    problems = refused.value.details
    name = tampered_file(liaoning_files(seeded_app), kind)
    assert problems and all(p["file"] == name and p["element"] for p in problems)


def test_a_hostile_condition_that_skipped_deploy_is_refused_at_run_time_and_nothing_runs(api, seeded_app):
    region = db.session.query(Region).filter_by(code="liaoning").one()
    files = tamper(liaoning_files(seeded_app), "condition")
    active = bundles.get_active(region.id)
    active.is_active = False
    db.session.add(
        ProcessDefinition(
            region_id=region.id,
            process_id="bad_review",
            version=99,
            is_active=True,
            sha256=bundles.bundle_sha256(files),
            files=files,
            deployed_by="intruder",
            deployed_at=datetime(2025, 9, 1, tzinfo=UTC),
        )
    )
    db.session.commit()
    case = api.bad_review()
    task = only_task(api, case["case_id"], "ln-officer")
    response = complete(api, task["id"], "ln-officer", callback("explanation"))
    assert response.status_code == 422 and response.get_json()["error"] == "expression_refused"
    assert not os.path.exists("/tmp/zg-pwned")
    assert only_task(api, case["case_id"], "ln-officer")["id"] == task["id"]


def _drive(seeded_app, restore: bool) -> list[tuple[str, dict]]:
    files = liaoning_files(seeded_app)
    bundle = engine.bundle(bundles.bundle_sha256(files), lambda: files)
    calendar = load_calendar("liaoning")
    now = datetime(2025, 9, 26, 2, 0, tzinfo=UTC)
    ctx = RunContext(now=now, calendar=calendar, call_operation=lambda name, data, params: {f"did_{name}": True})
    start = {"handling_org": "ln-sy-scjg", "case_no": "T1", "revoked": False, "handling": None}
    run = engine.start(bundle, {**start, "settings": bundles.settings_of(files)}, ctx)
    steps = [
        callback("ledger"),
        FORMS["rectification"],
        {**FORMS["feedback"], "satisfied": "no"},
        FORMS["dissatisfaction_review"],
    ]
    trace = []
    for data in steps:
        if restore:
            run = engine.load(
                bundle, run.dump(), RunContext(now=now, calendar=calendar, call_operation=ctx.call_operation)
            )
        [ready] = run.ready_user_tasks()
        trace.append((ready.info.element_id, run.next_timer_at()))
        run.complete(ready.spiff_id, data)
        now += timedelta(days=1)
        run.ctx.now = now
    trace.append(("completed", run.is_completed))
    trace.append(("data", run.latest_data()))
    return trace


def test_a_workflow_saved_and_restored_after_every_step_continues_identically(seeded_app):
    assert _drive(seeded_app, restore=True) == _drive(seeded_app, restore=False)
    trace = _drive(seeded_app, restore=True)
    assert [t[0] for t in trace[:4]] == [
        "Task_Callback",
        "Task_Rectification",
        "Task_Feedback",
        "Task_DissatisfactionReview",
    ]
    assert trace[4] == ("completed", True)


def test_seeding_twice_changes_nothing_and_writes_no_audit_rows(seeded_app):
    from sqlalchemy import func, select

    from casemgmt.models import AuditEvent
    from casemgmt.rules import seed

    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    actor, now = Actor.system("seed"), datetime(2025, 10, 1, tzinfo=UTC)
    seed.load_bundled(seeded_app.config["BPMN_ROOT"], seeded_app.config["FORMS_ROOT"], actor, now)
    assert seed.load_demo(actor, now) == 0
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before
