"""The README's "Try it" walkthrough, call for call, so the README stays true."""

from datetime import timedelta

from tests.web.test_deadline_scenarios import run_timers

README_REVIEW = {
    "region": "liaoning",
    "record_no": "SY-2025-000123",
    "item_code": "LN-0001",
    "org_code": "ln-sy-scjg",
    "channel": "window_device",
    "level": "very_dissatisfied",
    "reasons": ["办事效率低"],
    "comment": "等了两个小时",
    "evaluator": {"name": "张三", "phone": "13812341234", "real_name": True},
    "evaluated_at": "2025-09-26T10:00:00+08:00",
    "external_id": "device-42-0001",
}


def test_the_readme_walkthrough_works_as_written(api, clock):
    clock.set("2026-11-21T10:00:00+08:00")
    body = api.post("/api/v1/evaluations", "ln-channel", json=README_REVIEW).get_json()
    assert body["is_bad"] and body["created"]
    cid = body["case_id"]
    case = api.get(f"/api/v1/cases/{cid}", "ln-officer").get_json()
    assert case["evaluation"]["evaluator"]["phone"] == "138****1234" and case["open_tasks"][0]["due_date"]
    assert api.get("/api/v1/tasks?view=my_roles", "ln-officer").get_json()["tasks"]
    run_timers(api.app, (clock() + timedelta(days=8)).isoformat())
    supervised = api.get("/api/v1/tasks?view=my_roles", "ln-supervisor").get_json()["tasks"]
    assert [t["title"] for t in supervised] == ["督办：回访核实逾期"]
    task_id = case["open_tasks"][0]["id"]
    assert api.post(f"/api/v1/tasks/{task_id}/claim", "ln-officer").status_code == 200
    data = {
        "callback_result": "reached",
        "callback_at": clock().isoformat(),
        "facts": "系统故障未告知",
        "outcome": "ledger",
    }
    assert api.post(f"/api/v1/tasks/{task_id}/complete", "ln-officer", json={"data": data}).status_code == 200
    events = api.get(f"/api/v1/cases/{cid}/history", "ln-supervisor").get_json()["events"]
    assert events[0]["kind"] == "case_opened" and any(e["kind"] == "task_overdue" for e in events)
    due = api.get("/api/v1/calendars/liaoning/due?start=2025-09-26T10:00:00%2B08:00&workdays=15", "ln-officer")
    assert due.get_json()["due_date"] == "2025-10-23"
