"""Liaoning (《辽宁省政务服务“好差评”管理办法》) through the API on the real calendar: callback within 1 working day,
not-adopted reviews reported to the business-environment bureau, a 15-working-day ledger, extensions approved by the
bureau and capped at 15 more working days, scores 10/8/6/3/0, unrated services defaulting to 满意."""

from tests.regions.helpers import (
    FILE,
    FORMS,
    callback,
    case,
    casework,
    complete,
    do,
    elements,
    history,
    operations,
    outbox,
    run_timers,
    task,
)

REGION = "liaoning"


def _open(api, clock, at: str, **overrides) -> int:
    clock.set(at)
    return api.bad_review(REGION, evaluated_at=at, **overrides)["case_id"]


def _ledger(api, clock, at: str) -> int:
    cid = _open(api, clock, at)
    do(api, cid, "ln-officer", "Task_Callback", callback("ledger"))
    return cid


def _request(api, cid: int, workdays: int, user: str = "ln-officer"):
    return api.post(
        f"/api/v1/cases/{cid}/extension-requests",
        user,
        json={"data": {"extension_workdays": workdays, "extension_reason": "需协调省级系统改造"}},
    )


def test_the_unit_calls_back_within_1_working_day_per_article_11_across_spring_festival_2025(api, clock):
    """第十一条: 安排专人1个工作日之内回访核实. Fri 2025-01-24: Sun 01-26 is a make-up day; supervision then waits
    for Wed 02-05 (01-28..02-04 off)."""
    cid = _open(api, clock, "2025-01-24T16:00:00+08:00")
    assert task(api, cid, "ln-officer", "Task_Callback")["due_date"] == "2025-01-26"
    run_timers(api.app, "2025-01-27T00:00:01+08:00")
    supervision = task(api, cid, "ln-supervisor", "Task_Supervise")
    assert (supervision["candidate_org"], supervision["due_date"]) == ("ln-sy", "2025-02-05")


def test_a_misjudged_review_is_not_adopted_and_reported_to_the_bureau_per_article_11(api, clock):
    """第十一条: 核实为误评或恶意差评的，评价结果不予采纳，并报同级营商环境建设管理部门."""
    cid = _open(api, clock, "2025-09-26T10:00:00+08:00")
    do(api, cid, "ln-officer", "Task_Callback", callback("misjudged"))
    record = task(api, cid, "ln-officer", "Task_NonAdoption")
    response = api.post(
        f"/api/v1/tasks/{record['id']}/complete", "ln-officer", json={"data": {"non_adoption_reason": "评价人选错事项"}}
    )
    assert response.status_code == 400 and "non_adoption_evidence" in response.get_json()["details"]
    complete(
        api, record["id"], "ln-officer", {"non_adoption_reason": "评价人选错事项", "non_adoption_evidence": [FILE]}
    )
    shown = case(api, cid, "ln-auditor")
    assert (shown["status"], shown["evaluation"]["revoked_reason"]) == ("revoked", "经核实为误评：评价人选错事项")
    assert [m.recipient for m in outbox(cid) if "不予采纳" in m.body and m.channel == "internal"] == ["ln-sy"]
    assert operations(history(api, cid, "ln-auditor"))[-3:] == ["revoke_review", "report_to", "notify_evaluator"]


def test_a_complex_case_is_rectified_within_15_working_days_per_article_11(api, clock):
    """第十一条: 建立台账，15个工作日内完成整改. From Mon 2025-09-29: 09-30, (10-01..08 off), 10-09, 10-10,
    Sat 10-11 (调休), 10-13..17, 10-20..24, 10-27 = 15."""
    cid = _ledger(api, clock, "2025-09-29T10:00:00+08:00")
    assert task(api, cid, "ln-officer", "Task_Rectification")["due_date"] == "2025-10-27"
    assert casework(api, cid, "ln-auditor")["ledger"][0]["due_date"] == "2025-10-27"
    run_timers(api.app, "2025-10-28T00:00:01+08:00")
    assert task(api, cid, "ln-supervisor", "Task_Supervise")


def test_an_extension_beyond_15_working_days_is_refused_with_a_clear_message_per_article_11(api, clock):
    """第十一条: 延长期限最长不得超过15个工作日."""
    cid = _ledger(api, clock, "2025-09-29T10:00:00+08:00")
    response = _request(api, cid, 16)
    assert response.status_code == 400
    assert response.get_json()["message"] == "延长期限最长不得超过 15 个工作日，本次申请 16 个工作日，不予受理"
    assert response.get_json()["details"] == {"extension_workdays": ["不得超过 15 个工作日"]}
    assert casework(api, cid, "ln-auditor")["extension_requests"] == []
    assert _request(api, cid, 15, user="ln-auditor").status_code == 403


def test_an_approved_extension_counts_from_the_current_due_date_and_the_evaluator_is_told_per_article_11(api, clock):
    """第十一条: 需要延长整改期限的，经本级营商环境建设管理部门同意并告知评价人. Due Wed 2025-12-31 (15 working
    days from 12-10); 5 more from it: (2026-01-01..03 off), Sun 01-04 (调休), 01-05..08."""
    cid = _ledger(api, clock, "2025-12-10T10:00:00+08:00")
    assert task(api, cid, "ln-officer", "Task_Rectification")["due_date"] == "2025-12-31"
    clock.set("2025-12-29T10:00:00+08:00")
    assert _request(api, cid, 5).status_code == 201
    assert _request(api, cid, 3).status_code == 409  # one request per rectification
    approval = task(api, cid, "ln-sy-coordinator", "Task_ExtensionApproval")
    assert (approval["candidate_role"], approval["candidate_org"], approval["due_date"]) == (
        "coordinator",
        "ln-sy",
        "2025-12-31",
    )
    clock.set("2025-12-30T10:00:00+08:00")
    complete(api, approval["id"], "ln-sy-coordinator", {"extension_approved": True, "extension_opinion": "同意"})
    rectification = task(api, cid, "ln-officer", "Task_Rectification")
    assert rectification["due_date"] == "2026-01-08"
    [request] = casework(api, cid, "ln-auditor")["extension_requests"]
    assert (request["status"], request["old_due_date"], request["new_due_date"], request["decided_by"]) == (
        "approved",
        "2025-12-31",
        "2026-01-08",
        "ln-sy-coordinator",
    )
    [entry] = casework(api, cid, "ln-auditor")["ledger"]
    assert (entry["due_date"], entry["extended_workdays"]) == ("2026-01-08", 5)
    assert [m.body for m in outbox(cid, channel="sms") if "延长至" in m.body] == [
        f"您反映的问题（工单 {case(api, cid, 'ln-auditor')['case_no']}）情况复杂，经批准整改期限延长至 2026-01-08，"
        "我们将按期整改并向您反馈。"
    ]
    run_timers(api.app, "2026-01-01T00:00:01+08:00")
    assert elements(api, cid, "ln-supervisor") == ["Task_Rectification"], "the old deadline no longer escalates"
    run_timers(api.app, "2026-01-09T00:00:01+08:00")
    assert task(api, cid, "ln-supervisor", "Task_Supervise")
    kinds = [e["kind"] for e in history(api, cid, "ln-auditor")]
    assert kinds.count("extension_requested") == 1 and "decide_extension" in operations(history(api, cid, "ln-auditor"))


def test_a_refused_extension_keeps_the_deadline_and_tells_the_evaluator_nothing(api, clock):
    cid = _ledger(api, clock, "2025-09-29T10:00:00+08:00")
    _request(api, cid, 10)
    do(
        api,
        cid,
        "ln-coordinator",
        "Task_ExtensionApproval",
        {"extension_approved": False, "extension_opinion": "理由不充分"},
    )
    assert task(api, cid, "ln-officer", "Task_Rectification")["due_date"] == "2025-10-27"
    assert casework(api, cid, "ln-auditor")["extension_requests"][0]["status"] == "refused"
    assert not [m for m in outbox(cid, channel="sms") if "延长" in m.body]
    do(api, cid, "ln-officer", "Task_Rectification", FORMS["rectification"])
    assert _request(api, cid, 5).status_code == 409
    assert elements(api, cid, "ln-officer") == ["Task_Feedback"]


def test_ratings_score_10_8_6_3_0_and_a_revoked_review_does_not_count_per_article_10(api, clock):
    """第十条: 五个等级对应分值分别为10分、8分、6分、3分、0分."""
    body = api.get("/api/v1/regions/liaoning/settings", "ln-officer").get_json()
    assert [(x["label"], x["score"]) for x in body["levels"]] == [
        ("非常满意", 10),
        ("满意", 8),
        ("基本满意", 6),
        ("不满意", 3),
        ("非常不满意", 0),
    ]
    clock.set("2025-09-26T10:00:00+08:00")
    for n, level in enumerate(("very_satisfied", "satisfied", "basic")):
        api.post("/api/v1/evaluations", "ln-channel", json=api.evaluation(record_no=f"G{n}", level=level))
    counted = _open(api, clock, "2025-09-26T10:00:00+08:00", record_no="B1", level="dissatisfied")
    revoked = _open(api, clock, "2025-09-26T10:00:00+08:00", record_no="B2")
    do(api, revoked, "ln-officer", "Task_Callback", callback("malicious"))
    do(
        api,
        revoked,
        "ln-officer",
        "Task_NonAdoption",
        {"non_adoption_reason": "同一号码批量差评", "non_adoption_evidence": [FILE]},
    )
    stats = api.get(
        "/api/v1/stats/units?from=2025-09-01T00:00:00%2B08:00&to=2025-10-01T00:00:00%2B08:00", "ln-supervisor"
    ).get_json()["units"]
    [unit] = stats
    assert (unit["org"], unit["total"], unit["bad"], unit["bad_counted"]) == ("ln-sy-scjg", 5, 2, 1)
    assert unit["average_score"] == 6.75  # (10 + 8 + 6 + 3) / 4: the revoked 0 is left out
    assert unit["not_counted"][0]["reason"] == "经核实为恶意差评：同一号码批量差评"
    assert counted != revoked


def test_a_service_unrated_after_5_working_days_defaults_to_satisfied_per_articles_7_and_10(api, clock):
    """第七条: 24小时内未作出评价的短信提醒; 第十条: 5个工作日内未进行评价的，默认为“满意”.
    Served Thu 2025-09-25: 09-26, Sun 09-28 (调休), 09-29, 09-30, (10-01..08 off), 10-09."""
    clock.set("2025-09-25T10:00:00+08:00")
    record = {
        "region": REGION,
        "record_no": "LN-REC-0100",
        "item_code": "LN-0001",
        "org_code": "ln-sy-scjg",
        "completed_at": "2025-09-25T10:00:00+08:00",
        "evaluator_phone": "13900002222",
    }
    assert api.post("/api/v1/service-records", "ln-channel", json=record).status_code == 201

    def sweep(at: str) -> str:
        result = api.app.test_cli_runner().invoke(args=["api", "sweep-unrated", "--now", at])
        assert result.exit_code == 0, result.output
        return result.output

    assert "已提醒 1 件" in sweep("2025-09-26T10:00:00+08:00")
    assert "默认评价 0 件" in sweep("2025-10-09T23:59:00+08:00")
    assert "默认评价 1 件" in sweep("2025-10-10T00:00:01+08:00")
    stats = api.get(
        "/api/v1/stats/units?from=2025-09-01T00:00:00%2B08:00&to=2025-11-01T00:00:00%2B08:00", "ln-auditor"
    ).get_json()["units"]
    assert [(u["org"], u["total"], u["bad"], u["average_score"]) for u in stats] == [("ln-sy-scjg", 1, 0, 8.0)]


def test_staff_misconduct_reported_by_the_evaluator_is_transferred_per_article_15(api, clock):
    """第十五条: 工作人员涉嫌违纪、违法具体信息，应按有关规定及时向有关部门移交处理."""
    cid = _ledger(api, clock, "2025-09-29T10:00:00+08:00")
    _request(api, cid, 5)
    response = api.post(f"/api/v1/cases/{cid}/transfers", "ln-supervisor", json={"reason": "窗口人员违规收费"})
    assert response.status_code == 201
    assert sorted(response.get_json()["at_steps"]) == ["Task_ExtensionApproval", "Task_Rectification"]
    assert elements(api, cid, "ln-coordinator") == ["Task_ExtensionApproval", "Task_Rectification"]


def test_a_calendar_change_after_an_approved_extension_keeps_the_extension(api, clock):
    """A region closure added after an extension moves the extended deadline by the closure; it does not fall
    back to the original 15 working days."""
    from datetime import datetime

    from casemgmt.actor import Actor
    from casemgmt.calendar import import_year
    from casemgmt.calendar.deadlines import recompute_deadlines
    from casemgmt.db import db

    cid = _ledger(api, clock, "2025-12-10T10:00:00+08:00")
    clock.set("2025-12-29T10:00:00+08:00")
    _request(api, cid, 5)
    approval = task(api, cid, "ln-sy-coordinator", "Task_ExtensionApproval")
    clock.set("2025-12-30T10:00:00+08:00")
    complete(api, approval["id"], "ln-sy-coordinator", {"extension_approved": True, "extension_opinion": "同意"})
    assert task(api, cid, "ln-officer", "Task_Rectification")["due_date"] == "2026-01-08"
    closure = [{"day": "2026-01-06", "kind": "closed", "name": "系统迁移停止办公"}]
    import_year("liaoning", 2026, closure, "ln-admin", datetime.fromisoformat("2025-12-31T09:00:00+08:00"))
    recompute_deadlines(Actor.system("ln-admin"), clock(), only_provisional=False)
    db.session.commit()
    assert task(api, cid, "ln-officer", "Task_Rectification")["due_date"] == "2026-01-09"
    run_timers(api.app, "2026-01-09T23:00:00+08:00")
    assert elements(api, cid, "ln-supervisor") == ["Task_Rectification"], "the timer moved with the extension"
    run_timers(api.app, "2026-01-10T00:00:01+08:00")
    assert task(api, cid, "ln-supervisor", "Task_Supervise")
