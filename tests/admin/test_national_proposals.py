"""A change to the national library reaches each region that inherits the changed file as a proposal (diff and
dry run): its administrator deploys it with a reason, or keeps the current version; running cases stay pinned.
A region that overrides the file is not offered it."""

import pytest

from casemgmt.db import db
from casemgmt.models import AuditEvent
from tests.admin.edits import active, upgrade_national_feedback, url
from tests.web.flows import only_task


@pytest.fixture
def upgraded(api, tmp_path):
    """The product is upgraded: the national feedback process now names its review step differently."""
    upgrade_national_feedback(api.app, tmp_path)
    return api


def test_a_national_change_reaches_an_inheriting_region_as_a_proposal_it_deploys_with_a_reason(upgraded, clock):
    api = upgraded
    running = api.bad_review()
    before = active(api)

    body = api.get(url("liaoning", "/national-proposal"), "ln-admin").get_json()
    assert body["active_version"] == before["version"] and body["files"] == ["feedback.bpmn"]
    [change] = body["diff"]["changed"]
    assert change["id"] == "Task_DissatisfactionReview" and change["changes"][0]["new"] == "不满意复核（监督部门）"
    assert body["dry_run"]["tasks"][0]["element_id"] == "Task_Callback" and body["problems"] == []
    assert active(api)["version"] == before["version"]  # showing it deployed nothing

    refused = api.post(url("liaoning", "/national-proposal"), "ln-admin", json={"comment": " "})
    assert refused.status_code == 400
    accepted = api.post(url("liaoning", "/national-proposal"), "ln-admin", json={"comment": "采纳新版国家规则库"})
    assert accepted.status_code == 201, accepted.get_json()
    after = active(api)
    assert after["version"] == before["version"] + 1
    assert 'name="不满意复核（监督部门）"' in after["files"]["feedback.bpmn"]
    assert after["files"]["callback.bpmn"] == before["files"]["callback.bpmn"]
    event = db.session.query(AuditEvent).filter_by(kind="national_update_accepted").one()
    assert event.payload["files"] == ["feedback.bpmn"] and event.actor == "ln-admin"
    case = api.get(f"/api/v1/cases/{running['case_id']}", "ln-auditor").get_json()
    assert case["definition"]["version"] == before["version"]  # a running case stays on its pinned version
    assert only_task(api, running["case_id"], "ln-officer")["element_id"] == "Task_Callback"
    assert api.get(url("liaoning", "/national-proposal"), "ln-admin").get_json()["files"] == []


def test_a_region_that_overrides_the_changed_file_is_not_offered_it_and_keeping_changes_nothing(upgraded):
    api = upgraded
    sanming = api.get(url("sanming", "/national-proposal"), "sm-admin").get_json()
    assert sanming["files"] == [] and sanming["diff"] is None  # Sanming has its own feedback.bpmn
    before = active(api)
    offered = api.get(url("liaoning", "/national-proposal"), "ln-admin").get_json()
    assert offered["files"] == ["feedback.bpmn"]
    assert active(api)["version"] == before["version"]  # keeping the current version: nothing to do
    assert api.get(url("liaoning", "/national-proposal"), "sm-admin").status_code == 404
