"""Bulk migration of running cases: the preview says which cases can move and why not; moving keeps task
rows, due dates, drafts and running timers; every move is audited; nothing moves on a preview."""

import re

import pytest

from casemgmt.db import db
from casemgmt.models import AuditEvent, HumanTask, ProcessInstance
from tests.admin.edits import active, deploy, file_with, set_attribute, set_due, url, use_national_rules
from tests.web.flows import FORMS, callback, complete, only_task


@pytest.fixture(autouse=True)
def national(api) -> dict:
    """The region runs the national template, so these tests do not depend on its own pack."""
    return use_national_rules(api)


def _deploy_edit(api, edit, comment="修改规则", element="Task_Callback") -> int:
    """Deploy an edit of the library file that defines `element`; return the new version."""
    current = active(api)
    name = file_with(current["files"], element)
    response = deploy(api, {name: edit(current["files"][name])}, comment)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["version"]


def _without_notify_unit(text: str) -> str:
    """Drop the service task before the callback: the start gateway leads straight to the callback."""
    text = re.sub(r'\s*<bpmn:serviceTask id="Task_NotifyUnit"[^>]*/>', "", text)
    text = re.sub(r'\s*<bpmn:sequenceFlow id="Flow_ToCallback"[^>]*/>', "", text)
    text = re.sub(r'\s*<bpmndi:BPMNShape id="Task_NotifyUnit_di".*?</bpmndi:BPMNShape>', "", text, flags=re.S)
    text = re.sub(r'\s*<bpmndi:BPMNEdge id="Flow_ToCallback_di".*?</bpmndi:BPMNEdge>', "", text, flags=re.S)
    return set_attribute(text, "Flow_ToNotifyUnit", "targetRef", "Call_Callback")


def _preview(api, version: int) -> dict:
    response = api.get(url("liaoning", f"/migration/preview?to={version}"), "ln-admin")
    assert response.status_code == 200, response.get_json()
    return {c["case_id"]: c for c in response.get_json()["cases"]}


def test_a_case_whose_open_task_changes_role_cannot_move_and_says_why(api, clock, national):
    case = api.bad_review()
    version = _deploy_edit(api, lambda t: set_attribute(t, "Task_Callback", "camunda:candidateGroups", "supervisor"))
    entry = _preview(api, version)[case["case_id"]]
    assert not entry["movable"]
    assert any("Task_Callback" in b and "办理角色" in b and "supervisor" in b for b in entry["blockers"])
    body = api.post(url("liaoning", "/migration"), "ln-admin", json={"to": version, "all": True}).get_json()
    assert (body["moved"], body["refused"]) == (0, 1)
    on = api.get(f"/api/v1/cases/{case['case_id']}", "ln-auditor").get_json()["definition"]["version"]
    assert on == national["version"]


def test_a_case_that_passed_a_removed_step_cannot_move_but_new_cases_run_without_it(api, clock):
    case = api.bad_review()
    version = _deploy_edit(api, _without_notify_unit, element="Task_NotifyUnit")
    entry = _preview(api, version)[case["case_id"]]
    assert not entry["movable"]
    assert any("Task_NotifyUnit（通知承办单位）" in b and "已删除" in b for b in entry["blockers"])
    fresh = api.bad_review(record_no="LN-NEW")
    assert only_task(api, fresh["case_id"], "ln-officer")["element_id"] == "Task_Callback"


def test_a_case_at_a_removed_step_cannot_move(api, clock):
    case = api.bad_review()
    task = only_task(api, case["case_id"], "ln-officer")
    assert complete(api, task["id"], "ln-officer", callback("ledger")).status_code == 200
    assert only_task(api, case["case_id"], "ln-officer")["element_id"] == "Task_Rectification"
    version = _deploy_edit(
        api, lambda t: t.replace("Task_Rectification", "Task_RectifyByDeadline"), element="Task_Rectification"
    )
    entry = _preview(api, version)[case["case_id"]]
    assert not entry["movable"]
    assert any("Task_Rectification（限期整改）" in b for b in entry["blockers"]), entry


def test_a_preview_saves_nothing(api, clock, national):
    case = api.bad_review()
    version = _deploy_edit(api, lambda t: set_attribute(t, "Task_Callback", "name", "电话回访"))
    events = db.session.query(AuditEvent).count()
    instance = db.session.query(ProcessInstance).filter_by(case_id=case["case_id"]).one()
    state, version_no = instance.state, instance.version_no
    db.session.remove()
    assert _preview(api, version)[case["case_id"]]["movable"]
    instance = db.session.query(ProcessInstance).filter_by(case_id=case["case_id"]).one()
    assert (instance.state, instance.version_no) == (state, version_no)
    assert instance.definition.version == national["version"]
    assert db.session.query(AuditEvent).count() == events


def test_a_draft_and_the_running_timer_survive_a_migration(api, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    case = api.bad_review()
    task = only_task(api, case["case_id"], "ln-officer")
    row = db.session.get(HumanTask, task["id"])
    row.draft = {"facts": "已电话联系，待补充"}
    db.session.commit()
    timer_at = db.session.query(ProcessInstance).filter_by(case_id=case["case_id"]).one().next_timer_at
    db.session.remove()
    version = _deploy_edit(api, lambda t: set_due(t, "Task_Callback", "${workdays(1)}"))
    clock.set("2025-09-29T09:00:00+08:00")
    entry = _preview(api, version)[case["case_id"]]
    assert entry["movable"] and any("草稿" in w for w in entry["warnings"])
    assert any("Timer_CallbackOverdue" in w for w in entry["warnings"])
    body = api.post(url("liaoning", "/migration"), "ln-admin", json={"to": version, "all": True}).get_json()
    assert body["moved"] == 1, body
    row = db.session.get(HumanTask, task["id"])
    assert (row.status, row.draft) == ("open", {"facts": "已电话联系，待补充"})
    instance = db.session.query(ProcessInstance).filter_by(case_id=case["case_id"]).one()
    assert instance.next_timer_at == timer_at  # started on 09-26 under workdays(3): not restarted on 09-29


def test_the_old_timer_fires_at_its_old_instant_after_migration(api, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    case = api.bad_review()
    version = _deploy_edit(api, lambda t: set_due(t, "Task_Callback", "${workdays(8)}"))
    clock.set("2025-09-29T09:00:00+08:00")
    assert api.post(url("liaoning", "/migration"), "ln-admin", json={"to": version, "all": True}).get_json()["moved"]
    result = api.app.test_cli_runner().invoke(args=["timers", "run", "--once", "--now", "2025-10-01T00:00:01+08:00"])
    assert result.exit_code == 0, result.output
    db.session.remove()
    supervision = only_task(api, case["case_id"], "ln-supervisor", "Task_Supervise")
    assert supervision["candidate_role"] == "supervisor"


def test_only_open_cases_on_other_versions_are_listed_and_unknown_ids_are_refused(api, clock):
    closed = api.bad_review()
    task = only_task(api, closed["case_id"], "ln-officer")
    complete(api, task["id"], "ln-officer", callback("immediate_fix"))
    for element, form in (("Task_ImmediateFix", "immediate_fix"), ("Task_Feedback", "feedback")):
        complete(api, only_task(api, closed["case_id"], "ln-officer", element)["id"], "ln-officer", FORMS[form])
    running = api.bad_review(record_no="LN-2")
    version = _deploy_edit(api, lambda t: set_attribute(t, "Task_Callback", "name", "电话回访"))
    on_new = api.bad_review(record_no="LN-3")
    assert set(_preview(api, version)) == {running["case_id"]}
    refused = api.post(
        url("liaoning", "/migration"),
        "ln-admin",
        json={"to": version, "cases": [running["case_id"], on_new["case_id"], 999999]},
    )
    assert refused.status_code == 400
    assert refused.get_json()["details"]["cases"] == sorted([on_new["case_id"], 999999])


def test_every_move_is_audited_and_the_batch_too(api, clock):
    first, second = api.bad_review(), api.bad_review(record_no="LN-2")
    version = _deploy_edit(api, lambda t: set_attribute(t, "Task_Callback", "name", "电话回访"))
    body = api.post(url("liaoning", "/migration"), "ln-admin", json={"to": version, "all": True}).get_json()
    assert body["moved"] == 2
    for case in (first, second):
        assert only_task(api, case["case_id"], "ln-officer")["title"] == "电话回访"
        kinds = [e.kind for e in db.session.query(AuditEvent).filter_by(case_id=case["case_id"])]
        assert kinds.count("case_migrated") == 1
    batch = db.session.query(AuditEvent).filter_by(kind="cases_migrated").one()
    assert sorted(batch.payload["moved"]) == sorted([first["case_no"], second["case_no"]])
