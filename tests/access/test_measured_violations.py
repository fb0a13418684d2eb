"""What issue 8 measured on main and the permission table fixes, over HTTP as the demo users."""

from sqlalchemy import func, select

from casemgmt.db import db
from casemgmt.models import Evaluation
from tests.regions.helpers import callback, casework, do, task

STAFF = ("officer", "supervisor", "coordinator", "admin", "auditor")


def _sanming_ledger_entry(api, clock) -> int:
    clock.set("2025-09-29T10:00:00+08:00")
    cid = api.bad_review("sanming", evaluated_at="2025-09-29T10:00:00+08:00")["case_id"]
    do(api, cid, "sm-officer", "Task_Callback", callback("ledger"))
    [entry] = casework(api, cid, "sm-auditor")["ledger"]
    return entry["id"]


def test_a_channel_account_is_refused_the_ledger(api, clock):
    entry_id = _sanming_ledger_entry(api, clock)
    assert api.get(f"/api/v1/ledger/{entry_id}", "sm-channel").status_code == 403
    assert api.get("/api/v1/ledger", "sm-channel").status_code == 403
    assert api.get(f"/api/v1/ledger/{entry_id}", "sm-officer").status_code == 200
    assert api.get(f"/api/v1/ledger/{entry_id}", "ln-channel").status_code == 404


def test_only_a_channel_account_submits_evaluations(api):
    for role in STAFF:
        response = api.post("/api/v1/evaluations", f"ln-{role}", json=api.evaluation())
        assert response.status_code == 403, (role, response.get_json())
    assert db.session.scalar(select(func.count()).select_from(Evaluation)) == 0
    assert api.post("/api/v1/evaluations", "ln-channel", json=api.evaluation()).status_code == 201


def test_a_supervisor_reassigns_only_tasks_of_their_own_units(api, ui):
    dalian = api.bad_review(record_no="DL-1", org_code="ln-dl-hall")["case_id"]
    far = task(api, dalian, "ln-coordinator", "Task_Callback")
    assert far["candidate_org"] == "ln-dl-hall"
    refused = api.post(
        f"/api/v1/tasks/{far['id']}/reassign", "ln-supervisor", json={"reason": "x", "org_code": "ln-sy"}
    )
    assert refused.status_code == 403
    assert task(api, dalian, "ln-coordinator", "Task_Callback")["candidate_org"] == "ln-dl-hall"
    near = task(api, api.bad_review(record_no="SY-1")["case_id"], "ln-supervisor", "Task_Callback")
    moved = api.post(
        f"/api/v1/tasks/{near['id']}/reassign", "ln-supervisor", json={"reason": "属住建", "org_code": "ln-sy-zjj"}
    )
    assert moved.status_code == 200
    team = ui("ln-supervisor").get("/inbox?view=team").text
    assert f"/tasks/{near['id']}" in team and f"/tasks/{far['id']}" not in team
    by_province = {"reason": "省局统筹", "org_code": "ln-sy"}  # the coordinator's unit is the province: all of it
    assert api.post(f"/api/v1/tasks/{far['id']}/reassign", "ln-coordinator", json=by_province).status_code == 200
