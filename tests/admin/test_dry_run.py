"""Dry run: a sample bad review opened on an undeployed bundle shows its first tasks and due dates by the
region's calendar, and leaves nothing behind."""

from datetime import datetime

import pytest

from casemgmt.calendar import load_calendar
from casemgmt.db import db
from casemgmt.models import AuditEvent, Case, Evaluation, OutboxMessage, ProcessDefinition
from tests.admin.edits import active, file_with, set_attribute, set_due, url, use_national_rules


@pytest.fixture(autouse=True)
def national(api) -> dict:
    """The region runs the national template, so these tests do not depend on its own pack."""
    return use_national_rules(api)


def _counts() -> tuple[int, ...]:
    counts = tuple(
        db.session.query(m).count() for m in (Case, Evaluation, ProcessDefinition, AuditEvent, OutboxMessage)
    )
    db.session.remove()
    return counts


def test_a_dry_run_shows_the_first_tasks_with_due_dates_and_saves_nothing(api, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    files = active(api)["files"]
    name = file_with(files, "Task_Callback")
    edited = set_due(files[name], "Task_Callback", "${workdays(1)}")
    before = _counts()
    response = api.post(
        url("liaoning", "/dry-run"), "ln-admin", json={"files": {name: edited}, "sample": {"org_code": "ln-sy-scjg"}}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    calendar = load_calendar("liaoning")
    start = datetime.fromisoformat("2025-09-26T10:00:00+08:00")
    (task,) = body["tasks"]
    assert (task["element_id"], task["role"], task["form_key"]) == ("Task_Callback", "officer", "callback_verification")
    assert task["due_date"] == calendar.due(start, 1).due_date.isoformat() == "2025-09-28"  # a make-up Sunday
    assert [t["element_id"] for t in body["timers"]] == ["Timer_CallbackOverdue"]
    assert [op["operation"] for op in body["operations"]] == ["notify_unit"]
    deadlines = {d["element_id"]: d for d in body["deadlines"]}
    assert deadlines["Task_Rectification"]["due_date"] == calendar.due(start, 10).due_date.isoformat()
    assert body["case"]["handling_org"] == "ln-sy-scjg"
    assert _counts() == before
    assert active(api)["files"][name] == files[name]


def test_a_dry_run_takes_a_sample_and_refuses_a_good_review(api):
    ok = api.post(url("liaoning", "/dry-run"), "ln-admin", json={"sample": {"level": "dissatisfied"}})
    assert ok.status_code == 200 and ok.get_json()["case"]["data"]["level"] == "dissatisfied"
    good = api.post(url("liaoning", "/dry-run"), "ln-admin", json={"sample": {"level": "satisfied"}})
    assert good.status_code == 400
    unknown = api.post(url("liaoning", "/dry-run"), "ln-admin", json={"sample": {"evaluator": {}}})
    assert unknown.status_code == 400 and unknown.get_json()["details"]["sample"] == ["evaluator"]


def test_a_deadline_that_needs_form_data_is_noted_not_failed(api):
    files = active(api)["files"]
    name = file_with(files, "Task_Feedback")
    edited = set_attribute(
        files[name], "Task_Feedback", "camunda:dueDate", "${workdays(1) if fix_measures else workdays(5)}"
    )
    body = api.post(url("liaoning", "/dry-run"), "ln-admin", json={"files": {name: edited}}).get_json()
    feedback = next(d for d in body["deadlines"] if d["element_id"] == "Task_Feedback")
    assert "到达该步骤时才能计算" in feedback["note"] and "fix_measures" in feedback["note"]


def test_an_invalid_bundle_is_refused_by_the_dry_run_with_problems(api):
    files = active(api)["files"]
    name = file_with(files, "Task_Callback")
    edited = set_attribute(files[name], "Task_Callback", "camunda:formKey", "nope")
    response = api.post(url("liaoning", "/dry-run"), "ln-admin", json={"files": {name: edited}})
    assert response.status_code == 422
    assert response.get_json()["details"][0]["element"] == "Task_Callback"
