"""The statistics API: the figures over HTTP, scoped like every read of the permission table."""

from __future__ import annotations

from tests.regions.helpers import callback, do

AT = "2025-09-29T10:00:00+08:00"


def _history(api, clock) -> dict:
    clock.set("2025-09-29T10:00:00+08:00")
    ids = {}
    ids["sy"] = api.bad_review(record_no="R1", org_code="ln-sy-scjg", evaluated_at=AT, item_code="LN-0002")["case_id"]
    api.bad_review(record_no="R2", org_code="ln-sy-scjg", evaluated_at=AT, item_code="LN-0002", external_id="x2")
    ids["dl"] = api.bad_review(record_no="R3", org_code="ln-dl-hall", evaluated_at=AT)["case_id"]
    good = api.evaluation(record_no="R4", org_code="ln-dl-hall", level="satisfied", reasons=[], evaluated_at=AT)
    assert api.post("/api/v1/evaluations", "ln-channel", json=good).status_code == 201
    do(api, ids["sy"], "ln-officer", "Task_Callback", callback("ledger"))
    return ids


def test_overview_counts_and_rates_for_the_region(api, clock):
    _history(api, clock)
    body = api.get("/api/v1/stats/overview?period=2025Q3", "ln-coordinator").get_json()
    totals = body["totals"]
    assert (totals["evaluations"], totals["bad"], totals["good"], totals["real_name_bad"]) == (4, 3, 1, 3)
    assert totals["called_back"] == 1 and totals["callback_rate"] == 33.33 and totals["good_rate"] == 25.0
    assert totals["average_score"] == round((0 + 0 + 0 + 8) / 4, 2)
    repeats = api.get("/api/v1/stats/repeats?period=2025Q3", "ln-coordinator").get_json()
    assert [r["key"] for r in repeats["item"]] == ["LN-0002"] and [r["key"] for r in repeats["unit"]] == ["ln-sy-scjg"]
    assert [row["period"] for row in body["trend"]] == ["2025-09-29"]
    assert api.get("/api/v1/stats/overview?period=2025Q4", "ln-coordinator").get_json()["totals"]["evaluations"] == 0


def test_a_supervisor_sees_their_subtree_and_not_another_unit(api, clock):
    _history(api, clock)
    mine = api.get("/api/v1/stats/overview?period=2025", "ln-supervisor").get_json()
    assert mine["scope"]["org"] == "ln-sy" and mine["totals"]["bad"] == 2
    assert api.get("/api/v1/stats/overview?period=2025&org=ln-dl", "ln-supervisor").status_code == 404
    assert api.get("/api/v1/stats/overview?period=2025", "ln-officer").status_code == 403
    assert api.get("/api/v1/stats/overview?period=2025", "sm-coordinator").get_json()["totals"]["evaluations"] == 0
    cases = api.get("/api/v1/stats/cases?period=2025&figure=bad", "ln-supervisor").get_json()["cases"]
    assert {c["org"] for c in cases} == {"ln-sy-scjg"} and len(cases) == 2
    assert "evaluator" not in str(cases) and "13812341234" not in str(cases)


def test_ranking_hotspots_and_drill_down(api, clock):
    ids = _history(api, clock)
    units = api.get("/api/v1/stats/ranking?period=2025", "ln-auditor").get_json()["units"]
    assert {u["org"]: u["bad"] for u in units} == {"ln-sy": 2, "ln-dl": 1}
    sub = api.get("/api/v1/stats/ranking?period=2025&org=ln-sy", "ln-auditor").get_json()["units"]
    assert [u["org"] for u in sub] == ["ln-sy-hall"]
    items = api.get("/api/v1/stats/hotspots?period=2025&dim=item", "ln-auditor").get_json()["rows"]
    assert items[0]["key"] == "LN-0002" and items[0]["bad"] == 2
    assert api.get("/api/v1/stats/hotspots?period=2025&dim=nope", "ln-auditor").status_code == 400
    assert api.get("/api/v1/stats/overview?period=20x5", "ln-auditor").status_code == 400
    drill = api.get("/api/v1/stats/cases?period=2025&figure=bad&org=ln-dl", "ln-auditor").get_json()
    assert [c["id"] for c in drill["cases"]] == [ids["dl"]]
    reasons = api.get("/api/v1/stats/hotspots?period=2025&dim=reason", "ln-auditor").get_json()["rows"]
    assert reasons[0] == {**reasons[0], "key": "办事效率低", "bad": 3}
