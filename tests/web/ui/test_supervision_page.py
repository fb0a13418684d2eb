"""Supervision that acts: the 督办 page names the late task; 催办 and 改派 act on it; it closes with the late task.

In Sanming (callback 3 working days, ledger 10). The timer worker opens the 督办; the clock is injected."""

from __future__ import annotations

from sqlalchemy import select

from casemgmt.db import db
from casemgmt.models import AuditEvent, HumanTask, OutboxMessage, TaskStatus
from tests.regions.helpers import FORMS, callback, complete, run_timers, task

REGION = "sanming"


def _late_callback(api, clock) -> tuple[dict, dict, dict]:
    """A callback due Tue 09-30 that nobody did: on 10-01 the worker opens its 督办."""
    clock.set("2025-09-26T10:00:00+08:00")
    case = api.bad_review(REGION, record_no="SM-LATE-0001")
    run_timers(api.app, "2025-10-01T00:00:01+08:00")
    clock.set("2025-10-10T10:00:00+08:00")  # 10-01..10-08 holidays: 10-09 and 10-10 are the late working days
    late = task(api, case["case_id"], "sm-officer", "Task_Callback")
    supervision = task(api, case["case_id"], "sm-supervisor", "Task_Supervise")
    return case, late, supervision


def _events(case_id: int, kind: str) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.kind == kind).order_by(AuditEvent.id)
    rows = list(db.session.scalars(stmt))
    db.session.remove()
    return rows


def test_a_supervision_names_the_late_task_its_holder_due_date_and_working_days_late(api, ui, clock):
    case, late, supervision = _late_callback(api, clock)
    assert db.session.get(HumanTask, supervision["id"]).supervised_task_id == late["id"]
    page = ui("sm-supervisor").get(f"/tasks/{supervision['id']}").text
    panel = page.split('class="panel late-task"')[1].split("</section>")[0]
    assert "被督办的任务" in page and "回访核实" in panel
    assert "三明市市场监督管理局窗口" in panel  # nobody claimed it: its unit holds it
    assert "2025-09-30" in panel and "2 个工作日" in panel
    # 改派 on this page acts on the late task, not on the 督办 itself
    assert f'action="/tasks/{late["id"]}/reassign"' in page
    assert f'action="/tasks/{supervision["id"]}/reassign"' not in page
    assert f'action="/tasks/{late["id"]}/urge"' in page
    assert case["case_no"] in page


def test_urging_the_late_task_queues_a_notice_to_its_unit_and_is_audited_officers_may_not(api, ui, clock):
    case, late, supervision = _late_callback(api, clock)
    officer = ui("sm-officer")
    officer.get(f"/tasks/{late['id']}")
    assert officer.post(f"/tasks/{late['id']}/urge", {"note": "自己催自己"}).status_code == 403
    supervisor = ui("sm-supervisor")
    supervisor.get(f"/tasks/{supervision['id']}")
    back = f"/tasks/{supervision['id']}"
    response = supervisor.post(f"/tasks/{late['id']}/urge", {"note": "请今日内回访", "next": back})
    assert response.status_code == 302 and response.headers["Location"] == back
    [event] = _events(case["case_id"], "task_urged")
    assert (event.actor, event.payload["task_id"], event.payload["note"]) == (
        "sm-supervisor",
        late["id"],
        "请今日内回访",
    )
    message = db.session.get(OutboxMessage, event.payload["message_id"])
    assert (message.kind, message.recipient) == ("urge", "sm-scjg")
    assert "回访核实" in message.body and "2025-09-30" in message.body and "请今日内回访" in message.body
    assert "已催办" in supervisor.get(f"/cases/{case['case_id']}").text  # in the case history


def test_reassigning_from_the_supervision_page_moves_the_late_task_not_the_supervision(api, ui, clock):
    case, late, supervision = _late_callback(api, clock)
    supervisor = ui("sm-supervisor")
    supervisor.get(f"/tasks/{supervision['id']}")
    back = f"/tasks/{supervision['id']}"
    response = supervisor.post(
        f"/tasks/{late['id']}/reassign", {"assignee": "sm-officer", "reason": "专人跟进", "next": back}
    )
    assert response.status_code == 302 and response.headers["Location"] == back
    assert db.session.get(HumanTask, late["id"]).assignee.username == "sm-officer"
    assert db.session.get(HumanTask, supervision["id"]).assignee_id is None


def test_a_supervision_closes_itself_audited_when_the_late_rectification_is_completed(api, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    case = api.bad_review(REGION)
    complete(api, task(api, case["case_id"], "sm-officer", "Task_Callback")["id"], "sm-officer", callback("ledger"))
    rectification = task(api, case["case_id"], "sm-officer", "Task_Rectification")
    run_timers(api.app, f"{rectification['due_date']}T23:59:59+08:00")
    run_timers(api.app, "2025-10-23T00:00:01+08:00")  # one second past the due day's end
    supervision = task(api, case["case_id"], "sm-supervisor", "Task_Supervise")
    assert db.session.get(HumanTask, supervision["id"]).supervised_task_id == rectification["id"]
    clock.set("2025-10-24T10:00:00+08:00")
    complete(api, rectification["id"], "sm-officer", FORMS["rectification"])
    closed = db.session.get(HumanTask, supervision["id"])
    assert closed.status == TaskStatus.COMPLETED and closed.completed_by_id is None
    assert closed.data == {"closed_automatically": True, "supervised_task_id": rectification["id"]}
    [event] = _events(case["case_id"], "supervision_closed")
    assert (event.actor, event.payload["supervised_task_id"]) == ("supervision", rectification["id"])
    assert [
        t["element_id"] for t in api.get(f"/api/v1/cases/{case['case_id']}", "sm-auditor").get_json()["open_tasks"]
    ] == ["Task_Feedback"]


def test_a_supervision_completed_first_stays_as_its_supervisor_left_it(api, clock):
    """The scenario tests' order (督办 handled, then the late task) still works: nothing is closed twice."""
    clock.set("2025-09-26T10:00:00+08:00")
    case = api.bad_review(REGION)
    complete(api, task(api, case["case_id"], "sm-officer", "Task_Callback")["id"], "sm-officer", callback("ledger"))
    rectification = task(api, case["case_id"], "sm-officer", "Task_Rectification")
    run_timers(api.app, "2025-10-23T00:00:01+08:00")
    supervision = task(api, case["case_id"], "sm-supervisor", "Task_Supervise")
    clock.set("2025-10-24T10:00:00+08:00")
    complete(api, supervision["id"], "sm-supervisor", FORMS["supervision"])
    complete(api, rectification["id"], "sm-officer", FORMS["rectification"])
    assert _events(case["case_id"], "supervision_closed") == []
    assert db.session.get(HumanTask, supervision["id"]).completed_by.username == "sm-supervisor"


def test_the_supervisors_overdue_tab_shows_the_units_red_tasks_and_the_unit_load_counts_them(api, ui, clock):
    case, late, _ = _late_callback(api, clock)
    clock.set("2025-09-26T10:00:00+08:00")
    fresh = api.bad_review(REGION, record_no="SM-FRESH-0002")
    clock.set("2025-10-10T10:00:00+08:00")
    supervisor = ui("sm-supervisor")
    overdue = supervisor.get("/inbox?view=overdue").text
    assert case["case_no"] in overdue and "lamp-red" in overdue
    assert f'action="/tasks/{late["id"]}/claim"' not in overdue  # an officer's task: shown, not claimable
    assert f'name="task_id" value="{late["id"]}"' not in overdue
    load = supervisor.get("/inbox/load").text
    row = load.split('data-org="sm-scjg"')[1].split("</tr>")[0]
    cells = [c.split("</td>")[0] for c in row.split("<td")[1:]]
    assert "三明市市场监督管理局窗口" in cells[0]
    assert ">2<" in cells[1] and ">2<" in cells[3]  # both callbacks are late by now
    assert "view=overdue" in cells[3] and "org=sm-scjg" in cells[3]
    drill = supervisor.get("/inbox?view=overdue&org=sm-scjg").text
    assert case["case_no"] in drill and fresh["case_no"] in drill
    assert case["case_no"] not in supervisor.get("/inbox?view=overdue&org=sm-zjj").text
    officer = ui("sm-officer")
    assert officer.get("/inbox/load").status_code == 403
    assert ui("ln-supervisor").get("/inbox/load").text.count("sm-scjg") == 0


def test_due_soon_counts_tasks_due_by_the_end_of_the_next_working_day_and_drills_down_to_them(api, ui, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    soon = api.bad_review(REGION, record_no="SM-SOON-0001")  # due Tue 09-30
    clock.set("2025-09-29T10:00:00+08:00")
    later = api.bad_review(REGION, record_no="SM-LATER-0002")  # 09-30, then National Day: due Fri 10-10
    supervisor = ui("sm-supervisor")
    row = supervisor.get("/inbox/load").text.split('data-org="sm-scjg"')[1].split("</tr>")[0]
    cells = [c.split("</td>")[0] for c in row.split("<td")[1:]]
    assert ">2<" in cells[1] and ">1<" in cells[2] and cells[3].endswith(">0")
    drill = supervisor.get("/inbox?view=team&org=sm-scjg&due=soon").text
    assert soon["case_no"] in drill and later["case_no"] not in drill
    assert 'data-view="team">1<' in drill  # the tab counts follow the page's filters
