"""The case page: timeline, diagram marks, masked evaluator and audited unmasking, comments, integrity, scope."""

import json
import os
import re
from pathlib import Path

import pytest
from sqlalchemy import select, text

from casemgmt.access.operations import create_user
from casemgmt.actor import Actor
from casemgmt.cases.queries import list_case_events, list_case_tasks
from casemgmt.cases.trail import diagram_marks
from casemgmt.db import db
from casemgmt.models import AuditEvent, Case
from tests.web.flows import FORMS, callback, complete, only_task


def _marks(page: str) -> dict:
    raw = re.search(r'data-marks="([^"]*)"', page).group(1)
    return json.loads(raw.replace("&#34;", '"').replace("&quot;", '"'))


def _handled(api) -> dict:
    case = api.bad_review()
    complete(api, only_task(api, case["case_id"], "ln-officer")["id"], "ln-officer", callback("explanation"))
    return case


def test_the_timeline_tells_who_in_which_role_when_what_on_which_version_with_the_data_as_entered(api, ui):
    case = _handled(api)
    page = ui("ln-auditor").get(f"/cases/{case['case_id']}").text
    assert "工单生成" in page and "办结任务" in page and "生成任务" in page and "自动环节" in page
    assert "王晓明" in page and "ln-officer" in page and "承办人" in page and "流程 v1" in page
    assert "2025-09-26 10:00:00" in page
    assert "核实结论" in page and "诉求缺乏法定依据，解释说明" in page  # the form data, with its labels
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.case_id == case["case_id"])).all()
    assert page.count('<li class="event') == len(events)


def test_the_diagram_of_the_cases_version_is_served_and_marked_with_the_path(api, ui):
    case = _handled(api)
    auditor = ui("ln-auditor")
    page = auditor.get(f"/cases/{case['case_id']}").text
    marks = _marks(page)
    assert {"StartEvent_BadReview", "Task_NotifyUnit", "Call_Callback", "Gateway_Outcome"} <= set(marks["done"])
    assert "Task_Callback" in marks["done"]  # inside the called process the main diagram marks as done
    # the open task sits in the called rectification process: the main diagram marks the call activity too
    assert marks["current"] == ["Call_Rectification", "Task_Explanation"] and marks["timed_out"] == []
    diagram = auditor.get(f"/cases/{case['case_id']}/diagram.bpmn")
    assert diagram.mimetype == "application/xml" and 'id="Call_Callback"' in diagram.text
    assert "bpmn-navigated-viewer.production.min.js" in page and "js/diagram.js" in page


def test_a_timer_that_fired_marks_the_timed_out_path(api, clock, seeded_app):
    from web.worker import run_timers_once

    case = api.bad_review()
    clock.set("2025-10-01T02:00:00+00:00")  # the callback was due at the end of Tue 09-30
    run_timers_once(clock.now)
    row = db.session.get(Case, case["case_id"])
    marks = diagram_marks(row, list_case_tasks(row.id), list_case_events(row.id))
    assert {"Timer_CallbackOverdue", "Task_Callback", "Call_Callback"} <= set(marks.timed_out)
    assert set(marks.current) == {"Call_Callback", "Task_Callback", "Task_Supervise"}


def test_the_evaluator_is_masked_and_unmasking_needs_the_permission_and_a_reason_and_is_audited(api, ui):
    case = api.bad_review()
    path = f"/cases/{case['case_id']}"
    auditor, officer = ui("ln-auditor"), ui("ln-officer")
    assert "138****1234" in auditor.get(path).text and "13812341234" not in auditor.get(path).text
    assert "显示姓名和电话" not in officer.get(path).text
    assert officer.post(f"{path}/reveal", {"reason": "回访"}).status_code == 403
    assert auditor.post(f"{path}/reveal", {"reason": "  "}).status_code == 400
    posted = auditor.post(f"{path}/reveal", {"reason": "核查回访投诉"})
    assert posted.status_code == 302 and posted.headers["Location"].endswith(f"{path}#evaluator")  # POST-redirect-GET
    shown = auditor.get(path)
    assert shown.status_code == 200 and "13812341234" in shown.text and "张三" in shown.text
    assert shown.headers["Cache-Control"] == "no-store"
    assert "13812341234" not in auditor.get(path).text  # shown once, masked again: a refresh records nothing
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "evaluator_revealed")).all()
    assert [(e.actor, e.payload["reason"]) for e in events] == [("ln-auditor", "核查回访投诉")]
    assert "查看评价人信息" in auditor.get(path).text


def test_comments_are_seen_by_everyone_on_the_case_and_audited(api, ui):
    case = api.bad_review()
    task = only_task(api, case["case_id"], "ln-officer")
    officer = ui("ln-officer")
    back = officer.post(
        f"/cases/{case['case_id']}/comments", {"body": "已约评价人明日回访", "next": f"/tasks/{task['id']}"}
    )
    assert back.status_code == 302 and back.headers["Location"] == f"/tasks/{task['id']}#comments"
    assert "已约评价人明日回访" in ui("ln-officer2").get(f"/tasks/{task['id']}").text
    assert "已约评价人明日回访" in ui("ln-auditor").get(f"/cases/{case['case_id']}").text
    assert officer.post(f"/cases/{case['case_id']}/comments", {"body": " "}).status_code == 400
    assert ui("sm-officer").post(f"/cases/{case['case_id']}/comments", {"body": "x"}).status_code == 404
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "comment_added")).all()
    assert (event.actor, event.payload["body"]) == ("ln-officer", "已约评价人明日回访")


def test_verifying_integrity_says_the_chain_holds_or_which_row_breaks_it(api, ui):
    case = _handled(api)
    auditor = ui("ln-auditor")
    intact = auditor.get(f"/cases/{case['case_id']}/verify").text
    assert "完整性校验通过" in intact
    seq = 3
    db.session.execute(
        text("UPDATE audit_events SET actor = 'mallory' WHERE chain = :c AND seq = :s"),
        {"c": f"case:{case['case_id']}", "s": seq},
    )
    db.session.commit()
    broken = auditor.get(f"/cases/{case['case_id']}/verify").text
    assert "哈希链已断裂" in broken and f"第 {seq} 条记录" in broken and "已被改动" in broken
    assert ui("ln-officer").get(f"/cases/{case['case_id']}/verify").status_code == 403


def test_an_officer_of_another_region_gets_404_and_one_outside_the_handling_unit_403(api, ui, seeded_app):
    case = api.bad_review()
    create_user(
        "ln-dl-officer",
        "大连窗口",
        "liaoning",
        "ln-dl-hall",
        ["officer"],
        Actor.system("test"),
        seeded_app.config["CLOCK"](),
        password="zhenggai-demo",
    )
    db.session.commit()
    for path in ("", "/diagram.bpmn", "/verify"):
        assert ui("sm-auditor").get(f"/cases/{case['case_id']}{path}").status_code == 404
    assert ui("ln-dl-officer").get(f"/cases/{case['case_id']}").status_code == 403
    assert ui("ln-dl-officer").get(f"/cases/{case['case_id']}/diagram.bpmn").status_code == 403
    assert ui("ln-officer").get(f"/cases/{case['case_id']}").status_code == 200


def test_the_closed_case_lists_its_tasks_and_steps(api, ui):
    case = _handled(api)
    complete(api, only_task(api, case["case_id"], "ln-officer")["id"], "ln-officer", FORMS["explanation"])
    complete(api, only_task(api, case["case_id"], "ln-officer")["id"], "ln-officer", FORMS["feedback"])
    page = ui("ln-auditor").get(f"/cases/{case['case_id']}").text
    assert "已办结" in page and "反馈评价人" in page and "解释说明" in page
    marks = _marks(page)
    assert marks["current"] == [] and {"End_Closed", "Task_Feedback", "Task_Explanation"} <= set(marks["done"])


def test_bpmn_js_is_served_from_the_npm_install(ui):
    dist = Path(__file__).resolve().parents[3] / "node_modules" / "bpmn-js" / "dist"
    if not dist.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail("node_modules/bpmn-js is missing: make setup runs npm ci")
        pytest.skip("bpmn-js not installed (make setup runs npm ci)")
    response = ui("ln-auditor").get("/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js")
    assert response.status_code == 200 and b"BpmnJS" in response.data
    assert ui().get("/vendor/bpmn-js/../../package.json").status_code == 404
