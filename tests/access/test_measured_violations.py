"""What issue 8 measured on main and the permission table fixes, over HTTP as the demo users."""

from sqlalchemy import func, select

from casemgmt.db import db
from casemgmt.models import Evaluation
from tests.regions.helpers import FORMS, callback, casework, complete, do, inbox_task, task

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


def test_a_consulted_department_reads_the_case_and_opens_the_task_it_holds(api, ui, clock):
    clock.set("2026-02-12T09:00:00+08:00")
    cid = api.bad_review("sanming", evaluated_at="2026-02-12T09:00:00+08:00")["case_id"]
    do(api, cid, "sm-officer", "Task_Callback", callback("consultation"))
    convene = {"consult_orgs": ["sm-zjj"], "consult_topic": "预售许可材料互认"}
    do(api, cid, "sm-officer", "Task_ConveneConsultation", convene)
    reply = inbox_task(api, "sm-zjj-officer", "Task_ConsultationReply")
    assert api.post(f"/api/v1/tasks/{reply['id']}/claim", "sm-zjj-officer").status_code == 200
    shown = api.get(f"/api/v1/cases/{cid}", "sm-zjj-officer")
    assert shown.status_code == 200 and shown.get_json()["evaluation"]["evaluator"]["masked"] is True
    assert api.get(f"/api/v1/cases/{cid}/history", "sm-zjj-officer").status_code == 200
    browser = ui("sm-zjj-officer")
    page = browser.get(f"/tasks/{reply['id']}")
    assert page.status_code == 200 and "138****1234" in page.text
    assert browser.get(f"/cases/{cid}").status_code == 200
    assert api.get(f"/api/v1/cases/{cid}", "sm-zrzy-officer").status_code == 403  # a department not consulted
    assert browser.post(f"/cases/{cid}/comments", {"body": "x"}).status_code == 403  # reading is not commenting
    complete(api, reply["id"], "sm-zjj-officer", FORMS["consultation_reply"])
    assert api.get(f"/api/v1/cases/{cid}", "sm-zjj-officer").status_code == 200  # held a task: still reads it


def _claim_and_read(api, ui, case_id: int, user: str, element: str) -> int:
    """Claim the user's task of the element and insist the user reads its case and opens its page."""
    row = inbox_task(api, user, element)
    assert api.get(f"/api/v1/cases/{case_id}", user).status_code == 200  # offered to the unit: held already
    assert api.post(f"/api/v1/tasks/{row['id']}/claim", user).status_code == 200
    assert ui(user).get(f"/tasks/{row['id']}").status_code == 200
    assert ui(user).get(f"/cases/{case_id}").status_code == 200
    return row["id"]


def test_the_platform_builder_and_the_12345_centre_read_the_case_they_hold_a_task_on(api, ui, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    cid = api.bad_review("xian", evaluated_at="2025-09-26T10:00:00+08:00")["case_id"]
    assert api.get(f"/api/v1/cases/{cid}", "xa-platform-officer").status_code == 403  # no task of it yet
    do(api, cid, "xa-officer", "Task_Callback", callback("platform"))
    fix = _claim_and_read(api, ui, cid, "xa-platform-officer", "Task_PlatformFix")
    complete(
        api, fix, "xa-platform-officer", {"platform_measures": "修复", "platform_fixed_at": "2025-09-30T10:00:00+08:00"}
    )
    do(api, cid, "xa-officer", "Task_Feedback", {k: v for k, v in FORMS["feedback"].items() if k != "satisfied"})
    call = _claim_and_read(api, ui, cid, "xa-hotline", "Task_SatisfactionCallback")
    complete(
        api,
        call,
        "xa-hotline",
        {"satisfied": "yes", "satisfaction_at": "2025-10-17T10:00:00+08:00", "satisfaction_note": "满意"},
    )
    assert api.get(f"/api/v1/cases/{cid}", "xa-platform-officer").status_code == 200  # held a task: still reads it
    assert api.get(f"/api/v1/cases/{cid}", "xa-zjj-officer").status_code == 403
