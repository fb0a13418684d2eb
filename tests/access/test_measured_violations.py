"""What issue 8 measured on main and the permission table fixes, over HTTP as the demo users."""

from sqlalchemy import func, select

from casemgmt.db import db
from casemgmt.models import Evaluation
from tests.regions.helpers import callback, casework, do

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
