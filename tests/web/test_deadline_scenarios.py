"""Scenarios on the real 2025 calendar: due dates across National Day and Spring Festival make-up days,
escalation by the timer worker, and the audit trail. The clock is injected; nothing sleeps.

They run in Sanming, whose rules keep the national template's numbers (callback 3, ledger 10 working days)."""

from datetime import datetime

from casemgmt.actor import Actor
from casemgmt.calendar import import_year
from casemgmt.calendar.deadlines import recompute_deadlines
from casemgmt.db import db
from tests.web.flows import FORMS, callback, complete, only_task, open_tasks

REGION = "sanming"


def run_timers(app, now: str) -> str:
    result = app.test_cli_runner().invoke(args=["timers", "run", "--once", "--now", now])
    assert result.exit_code == 0, result.output
    db.session.remove()
    return result.output


def test_an_overdue_callback_escalates_to_the_supervisor_after_national_day_rules(api, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    case = api.bad_review(REGION)
    callback_task = only_task(api, case["case_id"], "sm-officer")
    assert callback_task["due_date"] == "2025-09-30"

    assert "：0" in run_timers(api.app, "2025-09-30T23:59:59+08:00")
    assert len(open_tasks(api, case["case_id"], "sm-officer")) == 1

    assert "：1" in run_timers(api.app, "2025-10-01T00:00:01+08:00")
    tasks = {t["element_id"]: t for t in open_tasks(api, case["case_id"], "sm-supervisor")}
    supervision = tasks["Task_Supervise"]
    assert (supervision["candidate_role"], supervision["candidate_org"]) == ("supervisor", "sm")
    # 10-01..10-08 are holidays; the first working day after 10-01 is Thu 10-09.
    assert supervision["due_date"] == "2025-10-09"
    assert tasks["Task_Callback"]["escalated_at"] is not None
    inbox = api.get("/api/v1/tasks?view=my_roles", "sm-supervisor").get_json()["tasks"]
    assert [t["id"] for t in inbox] == [supervision["id"]]

    assert "：0" in run_timers(api.app, "2025-10-02T00:00:00+08:00"), "a timer fires once"
    history = api.get(f"/api/v1/cases/{case['case_id']}/history", "sm-auditor").get_json()["events"]
    timer_events = [(e["kind"], e["payload"].get("element")) for e in history if e["actor"] == "timer"]
    assert timer_events == [("task_created", "Task_Supervise"), ("task_overdue", "Task_Callback")]


def test_the_officer_can_still_finish_an_escalated_callback_and_the_case_goes_on(api, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    case = api.bad_review(REGION)
    run_timers(api.app, "2025-10-01T00:00:01+08:00")
    clock.set("2025-10-09T09:00:00+08:00")
    callback_task = only_task(api, case["case_id"], "sm-officer", "Task_Callback")
    assert complete(api, callback_task["id"], "sm-officer", callback("ledger")).status_code == 200
    rectification = only_task(api, case["case_id"], "sm-officer", "Task_Rectification")
    # From Thu 10-09: 10, Sat 10-11 (make-up), 13, 14, 15, 16, 17, 20, 21, 22 -> ten working days end 10-22.
    assert rectification["due_date"] == "2025-10-22"


def test_spring_festival_make_up_days_count_and_the_holiday_does_not(api, clock):
    clock.set("2025-01-24T16:00:00+08:00")
    case = api.bad_review(REGION, evaluated_at="2025-01-24T15:00:00+08:00")
    # Sun 01-26 (make-up) 1, Mon 01-27 2, 01-28..02-04 holiday, Wed 02-05 3.
    assert only_task(api, case["case_id"], "sm-officer")["due_date"] == "2025-02-05"
    run_timers(api.app, "2025-02-05T23:00:00+08:00")
    assert len(open_tasks(api, case["case_id"], "sm-officer")) == 1
    run_timers(api.app, "2025-02-06T00:00:01+08:00")
    supervision = only_task(api, case["case_id"], "sm-supervisor", "Task_Supervise")
    assert supervision["due_date"] == "2025-02-07"
    clock.set("2025-02-07T10:00:00+08:00")
    assert complete(api, supervision["id"], "sm-supervisor", FORMS["supervision"]).status_code == 200


def test_a_deadline_reaching_a_year_without_data_is_provisional_until_that_year_is_loaded(api, clock):
    clock.set("2026-12-24T10:00:00+08:00")
    case = api.bad_review(REGION, evaluated_at="2026-12-24T09:00:00+08:00")
    callback_task = only_task(api, case["case_id"], "sm-officer")
    assert callback_task["provisional"] is False
    complete(api, callback_task["id"], "sm-officer", callback("ledger"))
    rectification = only_task(api, case["case_id"], "sm-officer", "Task_Rectification")
    # 2027 has no data yet: counted on weekdays (12-25, 28, 29, 30, 31, 01-01, 04, 05, 06, 07).
    assert (rectification["due_date"], rectification["provisional"]) == ("2027-01-07", True)

    actor = Actor.system("admin")
    import_year(
        "national",
        2027,
        [{"day": "2027-01-01", "kind": "holiday", "name": "元旦"}],
        "admin",
        datetime.fromisoformat("2026-12-25T00:00:00+08:00"),
    )
    changes = recompute_deadlines(actor, clock())
    db.session.commit()
    assert {c.what for c in changes} == {"task:Task_Rectification", "timer:Timer_RectificationOverdue"}
    rectification = only_task(api, case["case_id"], "sm-officer", "Task_Rectification")
    assert (rectification["due_date"], rectification["provisional"]) == ("2027-01-08", False)
    run_timers(api.app, "2027-01-08T23:00:00+08:00")
    assert only_task(api, case["case_id"], "sm-officer")["element_id"] == "Task_Rectification"
    run_timers(api.app, "2027-01-09T00:00:01+08:00")
    assert only_task(api, case["case_id"], "sm-supervisor", "Task_Supervise")
