"""Xi'an (市政办函〔2021〕61号) through the API on the real calendar: review requests with evidence to the approval
bureau, platform faults to their builder, consultation answered within 15 working days, 12345's satisfaction
callback, unrated services recorded as 未评, transfers of suspected misconduct."""

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
    inbox_task,
    outbox,
    run_timers,
    task,
)

REGION = "xian"
FEEDBACK = {k: v for k, v in FORMS["feedback"].items() if k != "satisfied"}
SATISFACTION = {"satisfied": "yes", "satisfaction_at": "2025-10-17T10:00:00+08:00", "satisfaction_note": "满意"}


def _open(api, clock, at: str) -> int:
    clock.set(at)
    return api.bad_review(REGION, evaluated_at=at)["case_id"]


def test_a_review_request_with_evidence_goes_to_the_approval_bureau_and_an_invalid_review_is_void_per_19(api, clock):
    """第十九条: 承办单位认为误评或恶意差评的，向本级行政审批部门提出复核申请并提供佐证；复核为无效差评的不予采纳."""
    cid = _open(api, clock, "2025-09-26T10:00:00+08:00")
    do(api, cid, "xa-officer", "Task_Callback", callback("misjudged"))
    request = task(api, cid, "xa-officer", "Task_ReviewRequest")
    response = api.post(
        f"/api/v1/tasks/{request['id']}/complete", "xa-officer", json={"data": {"review_reason": "评价对象错误"}}
    )
    assert response.status_code == 400 and "review_evidence" in response.get_json()["details"]
    complete(api, request["id"], "xa-officer", {"review_reason": "评价对象错误", "review_evidence": [FILE]})
    review = task(api, cid, "xa-coordinator", "Task_RevocationReview")
    assert (review["title"], review["candidate_org"], review["due_date"]) == ("行政审批部门复核", "xa", "2025-09-30")
    complete(api, review["id"], "xa-coordinator", {"review_result": "invalid", "review_opinion": "评价指向其他部门"})
    shown = case(api, cid, "xa-auditor")
    assert (shown["status"], shown["outcome"]) == ("revoked", "invalid")
    assert shown["evaluation"]["revoked_reason"] == "经复核为无效差评：评价指向其他部门"


def test_a_review_found_valid_is_handled_by_the_unit_as_required_per_19(api, clock):
    """第十九条: 复核为有效差评的，差评承办单位按要求办理."""
    cid = _open(api, clock, "2025-09-26T10:00:00+08:00")
    do(api, cid, "xa-officer", "Task_Callback", callback("malicious"))
    do(api, cid, "xa-officer", "Task_ReviewRequest", {"review_reason": "恶意", "review_evidence": [FILE]})
    do(api, cid, "xa-coordinator", "Task_RevocationReview", {"review_result": "valid", "review_opinion": "差评有效"})
    do(api, cid, "xa-officer", "Task_HandlingChoice", {"handling": "explanation"})
    assert elements(api, cid, "xa-officer") == ["Task_Explanation"]


def test_the_approval_bureau_convenes_a_consultation_answered_within_15_working_days_per_20(api, clock):
    """第二十条: 行政审批部门协调相关部门会商，并在15个工作日内回复服务对象. From Fri 2024-09-27: Sun 09-29 (调休),
    09-30, (10-01..07 off), 10-08..11, Sat 10-12 (调休), 10-14..18, 10-21..23 = 15."""
    cid = _open(api, clock, "2024-09-27T09:00:00+08:00")
    do(api, cid, "xa-officer", "Task_Callback", callback("consultation"))
    convene = task(api, cid, "xa-coordinator", "Task_ConveneConsultation")
    assert convene["candidate_org"] == "xa"
    complete(api, convene["id"], "xa-coordinator", {"consult_orgs": ["xa-zjj", "xa-bdc"], "consult_topic": "过户"})
    replies = {u: inbox_task(api, u, "Task_ConsultationReply") for u in ("xa-zjj-officer", "xa-bdc-officer")}
    assert {t["due_date"] for t in replies.values()} == {"2024-10-10"}  # 5 working days each
    clock.set("2024-10-10T16:00:00+08:00")
    for user, row in replies.items():
        complete(api, row["id"], user, FORMS["consultation_reply"])
    answer = task(api, cid, "xa-coordinator", "Task_ConsultationAnswer")
    assert answer["due_date"] == "2024-10-23"
    run_timers(api.app, "2024-10-23T23:00:00+08:00")
    assert "Task_Supervise" not in elements(api, cid, "xa-supervisor")
    run_timers(api.app, "2024-10-24T00:00:01+08:00")
    assert task(api, cid, "xa-supervisor", "Task_Supervise")
    clock.set("2024-10-24T10:00:00+08:00")
    complete(
        api,
        answer["id"],
        "xa-coordinator",
        {
            "answer_content": "已协调两部门一次办结",
            "answer_channel": "phone",
            "answered_at": "2024-10-24T09:30:00+08:00",
        },
    )
    callback_task = inbox_task(api, "xa-hotline", "Task_SatisfactionCallback")
    assert callback_task["candidate_org"] == "xa-12345" and "Task_Feedback" not in elements(api, cid, "xa-officer")
    [record] = casework(api, cid, "xa-auditor")["consultations"]
    assert record["orgs"] == ["xa-zjj", "xa-bdc"] and len(record["replies"]) == 2


def test_a_platform_fault_goes_to_its_builder_and_12345_calls_back_on_satisfaction_per_17_18(api, clock):
    """第十七条: 平台建设的差评由平台建设责任单位调查核实，优化系统功能; 第十八条: 12345负责满意度回访."""
    cid = _open(api, clock, "2025-09-26T10:00:00+08:00")
    do(api, cid, "xa-officer", "Task_Callback", callback("platform"))
    fix = inbox_task(api, "xa-platform-officer", "Task_PlatformFix")
    assert fix["candidate_org"] == "xa-platform"
    complete(
        api,
        fix["id"],
        "xa-platform-officer",
        {"platform_measures": "修复上传控件", "platform_fixed_at": "2025-09-30T10:00:00+08:00"},
    )
    do(api, cid, "xa-officer", "Task_Feedback", FEEDBACK)
    satisfaction = inbox_task(api, "xa-hotline", "Task_SatisfactionCallback")
    assert api.post(f"/api/v1/tasks/{satisfaction['id']}/claim", "xa-officer").status_code == 403
    complete(api, satisfaction["id"], "xa-hotline", SATISFACTION)
    assert case(api, cid, "xa-auditor")["status"] == "closed"


def test_an_evaluator_unhappy_at_the_12345_callback_is_reviewed(api, clock):
    cid = _open(api, clock, "2025-09-26T10:00:00+08:00")
    do(api, cid, "xa-officer", "Task_Callback", callback("ledger", rectification_workdays=3))
    assert task(api, cid, "xa-officer", "Task_Rectification")["due_date"] == "2025-09-30"
    do(api, cid, "xa-officer", "Task_Rectification", FORMS["rectification"])
    do(api, cid, "xa-officer", "Task_Feedback", FEEDBACK)
    complete(
        api,
        inbox_task(api, "xa-hotline", "Task_SatisfactionCallback")["id"],
        "xa-hotline",
        {**SATISFACTION, "satisfied": "no"},
    )
    assert task(api, cid, "xa-supervisor", "Task_DissatisfactionReview")


def test_an_unrated_service_is_reminded_and_recorded_as_unrated_after_5_working_days_per_10(api, clock):
    """第十条: 办结24小时内未评价的，短信提醒5个工作日内评价；超过5个工作日未评价的，记录为“未评”.
    Reminded Fri 2025-09-26: Sun 09-28 (调休), 09-29, 09-30, (10-01..08 off), 10-09, 10-10."""
    clock.set("2025-09-25T10:00:00+08:00")
    record = {
        "region": REGION,
        "record_no": "XA-REC-0100",
        "item_code": "XA-0001",
        "org_code": "xa-scjg",
        "completed_at": "2025-09-25T10:00:00+08:00",
        "evaluator_phone": "13900001111",
    }
    assert api.post("/api/v1/service-records", "xa-channel", json=record).status_code == 201
    rated = {**record, "record_no": "XA-REC-0101"}
    api.post("/api/v1/service-records", "xa-channel", json=rated)
    api.post(
        "/api/v1/evaluations", "xa-channel", json=api.evaluation(REGION, record_no="XA-REC-0101", level="satisfied")
    )

    def sweep(at: str) -> str:
        result = api.app.test_cli_runner().invoke(args=["api", "sweep-unrated", "--now", at])
        assert result.exit_code == 0, result.output
        return result.output

    assert "已提醒 0 件" in sweep("2025-09-26T09:59:00+08:00")
    assert "已提醒 1 件" in sweep("2025-09-26T10:00:01+08:00")
    assert [m.recipient for m in outbox(channel="sms") if "XA-REC-0100" in m.body] == ["13900001111"]
    assert "记为未评 0 件" in sweep("2025-10-10T23:59:00+08:00")
    assert "记为未评 1 件" in sweep("2025-10-11T00:00:01+08:00")
    assert "记为未评 0 件" in sweep("2025-10-12T00:00:01+08:00")


def test_a_bad_review_must_carry_a_reason_and_suspected_misconduct_is_transferred_per_8_29(api, clock):
    """第八条: 差评时需勾选或填写文字评价内容; 第二十九条: 工作人员涉嫌违纪、违法的，移交有关部门."""
    assert api.get("/api/v1/regions/xian/settings", "xa-officer").get_json()["bad_review_requires_reason"] is True
    cid = _open(api, clock, "2025-09-26T10:00:00+08:00")
    do(api, cid, "xa-officer", "Task_Callback", callback("immediate_fix"))
    response = api.post(f"/api/v1/cases/{cid}/transfers", "xa-coordinator", json={"reason": "涉嫌吃拿卡要"})
    assert response.status_code == 201 and response.get_json()["at_steps"] == ["Task_ImmediateFix"]
    kinds = [e["kind"] for e in history(api, cid, "xa-auditor")]
    assert kinds[-2:] == ["transfer_requested", "operation"]
    assert [m.body for m in outbox(cid) if m.recipient == "discipline"] == [
        f"差评工单 {case(api, cid, 'xa-auditor')['case_no']} 涉嫌违纪违法，移交处理。事由：涉嫌吃拿卡要"
    ]


def test_a_review_found_valid_can_go_to_the_ledger_with_the_deadline_the_unit_sets(api, clock):
    cid = _open(api, clock, "2025-09-26T10:00:00+08:00")
    do(api, cid, "xa-officer", "Task_Callback", callback("misjudged"))
    do(api, cid, "xa-officer", "Task_ReviewRequest", {"review_reason": "误评", "review_evidence": [FILE]})
    do(api, cid, "xa-coordinator", "Task_RevocationReview", {"review_result": "valid", "review_opinion": "有效"})
    do(api, cid, "xa-officer", "Task_HandlingChoice", {"handling": "ledger", "rectification_workdays": 4})
    assert task(api, cid, "xa-officer", "Task_Rectification")["due_date"] == "2025-10-09"  # 28, 29, 30, (off), 10-09
