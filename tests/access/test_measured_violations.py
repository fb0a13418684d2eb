"""What issue 8 measured on main and the permission table fixes, over HTTP as the demo users."""

from tests.regions.helpers import callback, casework, do


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
