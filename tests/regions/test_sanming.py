"""Sanming (明审改办〔2020〕12号) through the API on the real calendar: callback in 3 working days, revocation
checked by the service centre in 3 and reported to 审改办 and 效能办, a 10-working-day ledger, the rated party's
appeal within 5 working days, consultation led by the lead department, dissatisfaction to 审改办 and 效能办."""

from tests.regions.helpers import (
    FILE,
    FORMS,
    callback,
    case,
    casework,
    complete,
    do,
    elements,
    evaluation_of,
    history,
    inbox_task,
    names,
    operations,
    outbox,
    run_timers,
    task,
    with_files,
)

REGION = "sanming"


def _open(api, clock, at: str, **overrides) -> int:
    clock.set(at)
    return api.bad_review(REGION, evaluated_at=at, **overrides)["case_id"]


def test_callback_is_due_in_3_working_days_per_article_2_3_1_and_escalates_to_the_reform_office(api, clock):
    """二.(三)1: 评价后3个工作日内完成回访核实. Fri 2024-09-27: Sun 09-29 (调休), 09-30, (10-01..07 off), 10-08."""
    cid = _open(api, clock, "2024-09-27T10:00:00+08:00")
    assert task(api, cid, "sm-officer", "Task_Callback")["due_date"] == "2024-10-08"
    assert "：0" in run_timers(api.app, "2024-10-08T23:59:00+08:00")
    run_timers(api.app, "2024-10-09T00:00:01+08:00")
    supervision = task(api, cid, "sm-supervisor", "Task_Supervise")
    assert (supervision["candidate_org"], supervision["due_date"]) == ("sm", "2024-10-10")
    assert task(api, cid, "sm-officer", "Task_Callback")["escalated_at"] is not None
    kinds = [(e["kind"], e["actor"]) for e in history(api, cid, "sm-auditor")]
    assert ("task_overdue", "timer") in kinds


def test_a_real_name_review_needs_the_evaluator_reached_and_every_callback_attempt_is_recorded(api, clock):
    """Real-name bad reviews are called back 100% (二.(三)1): not reached means another callback, not a verdict."""
    cid = _open(api, clock, "2025-09-26T10:00:00+08:00")
    do(api, cid, "sm-officer", "Task_Callback", callback("explanation", callback_result="not_reached"))
    retry = task(api, cid, "sm-officer", "Task_CallbackRetry")
    assert retry["due_date"] == "2025-09-28"  # one working day: Sun 09-28 is a make-up day
    logged = api.post(
        f"/api/v1/cases/{cid}/callbacks",
        "sm-officer",
        json={"result": "refused", "attempted_at": "2025-09-27T11:00:00+08:00", "note": "家属代接"},
    )
    assert logged.status_code == 201 and logged.get_json()["attempt_no"] == 2
    assert (
        api.post(
            f"/api/v1/cases/{cid}/callbacks",
            "sm-officer",
            json={"result": "maybe", "attempted_at": "2025-09-27T11:00:00"},
        ).status_code
        == 400
    )
    complete(api, retry["id"], "sm-officer", {**FORMS["callback_attempt"], "callback_result": "not_reached"})
    again = task(api, cid, "sm-officer", "Task_CallbackRetry")
    complete(api, again["id"], "sm-officer", FORMS["callback_attempt"])
    assert elements(api, cid, "sm-officer") == ["Task_Explanation"]
    attempts = casework(api, cid, "sm-auditor")["callbacks"]
    assert [(a["attempt_no"], a["result"], a["source"]) for a in attempts] == [
        (1, "not_reached", "form"),
        (2, "refused", "api"),
        (3, "not_reached", "form"),
        (4, "reached", "form"),
    ]


def test_an_anonymous_review_not_reached_goes_on_to_handling(api, clock):
    cid = _open(api, clock, "2025-09-26T10:00:00+08:00", evaluator={"name": "", "phone": "", "real_name": False})
    do(api, cid, "sm-officer", "Task_Callback", callback("explanation", callback_result="not_reached"))
    assert elements(api, cid, "sm-officer") == ["Task_Explanation"]


def test_a_misjudged_review_is_checked_by_the_service_centre_in_3_working_days_and_reported_per_2_3_1(api, clock):
    """二.(三)1: 误评或恶意差评的，行政服务中心管委会3个工作日内完成撤销核实，并报送同级审改办、效能办."""
    cid = _open(api, clock, "2025-09-26T10:00:00+08:00")
    body = api.bad_review(REGION, record_no="SM-REC-0002", evaluated_at="2025-09-26T10:00:00+08:00")
    do(api, cid, "sm-officer", "Task_Callback", callback("misjudged", evidence=[FILE]))
    review = task(api, cid, "sm-centre", "Task_RevocationReview")
    assert (review["candidate_role"], review["candidate_org"], review["due_date"]) == (
        "coordinator",
        "sm-hall",
        "2025-09-30",
    )
    clock.set("2025-09-29T10:00:00+08:00")
    complete(
        api,
        review["id"],
        "sm-centre",
        {"approved": True, "opinion": "评价人误操作，已确认", "reported_to": ["reform_office", "efficiency_office"]},
    )
    shown = case(api, cid, "sm-auditor")
    assert (shown["status"], shown["outcome"], shown["open_tasks"]) == ("revoked", "misjudged", [])
    assert shown["evaluation"]["revoked_reason"] == "经核实为误评：评价人误操作，已确认"
    reports = [(m.recipient, m.channel) for m in outbox(cid) if "不予采纳" in m.body]
    assert ("sm", "internal") in reports and ("sm-xnb", "internal") in reports
    stats = api.get(
        "/api/v1/stats/units?from=2025-09-01T00:00:00%2B08:00&to=2025-10-01T00:00:00%2B08:00", "sm-auditor"
    ).get_json()["units"]
    [unit] = [u for u in stats if u["org"] == "sm-scjg"]
    assert (unit["bad"], unit["bad_counted"]) == (2, 1)
    assert unit["not_counted"] == [
        {
            "evaluation_id": shown["evaluation"]["id"],
            "record_no": "SM-REC-0001",
            "level": "very_dissatisfied",
            "reason": "经核实为误评：评价人误操作，已确认",
        }
    ]
    assert body["case_id"] != cid


def test_a_revocation_check_left_past_3_working_days_escalates(api, clock):
    cid = _open(api, clock, "2025-09-26T10:00:00+08:00")
    do(api, cid, "sm-officer", "Task_Callback", callback("malicious"))
    run_timers(api.app, "2025-10-01T00:00:01+08:00")
    supervision = task(api, cid, "sm-supervisor", "Task_Supervise")
    assert supervision["due_date"] == "2025-10-09"  # 10-01..10-08 are National Day holidays
    do(api, cid, "sm-centre", "Task_RevocationReview", {"approved": False, "opinion": "证据不足，按属实办理"})
    assert "Task_HandlingChoice" in elements(api, cid, "sm-officer")


def test_a_complex_case_goes_on_the_ledger_with_10_working_days_per_2_3_1_across_national_day(api, clock):
    """二.(三)1: 属实的10个工作日内整改；情况复杂的建立台账，限期整改，期限内无法整改的应说明理由.
    From Mon 2025-09-29: 09-30, (10-01..08 off), 10-09, 10-10, Sat 10-11 (调休), 10-13..17, 10-20 = 10."""
    cid = _open(api, clock, "2025-09-29T10:00:00+08:00")
    do(api, cid, "sm-officer", "Task_Callback", callback("ledger"))
    rectification = task(api, cid, "sm-officer", "Task_Rectification")
    assert rectification["due_date"] == "2025-10-20"
    [entry] = casework(api, cid, "sm-auditor")["ledger"]
    assert (entry["status"], entry["org"], entry["due_date"], entry["task_id"]) == (
        "open",
        "sm-scjg",
        "2025-10-20",
        rectification["id"],
    )
    clock.set("2025-10-10T09:00:00+08:00")
    noted = api.post(
        f"/api/v1/ledger/{entry['id']}/notes",
        "sm-officer",
        json={"note": "已完成系统改造方案", "owner": "陈静", "measures": "改造预约系统"},
    )
    assert noted.status_code == 201
    assert api.post(f"/api/v1/ledger/{entry['id']}/notes", "sm-auditor", json={"note": "x"}).status_code == 403
    run_timers(api.app, "2025-10-21T00:00:01+08:00")
    assert task(api, cid, "sm-supervisor", "Task_Supervise")["due_date"] == "2025-10-22"
    clock.set("2025-10-21T10:00:00+08:00")
    do(
        api,
        cid,
        "sm-officer",
        "Task_Rectification",
        {**FORMS["rectification"], "rectified": False, "rectified_at": None, "delay_reason": "需跨年度采购设备"},
    )
    entry = api.get(f"/api/v1/ledger/{entry['id']}", "sm-supervisor").get_json()
    assert (entry["status"], entry["owner"], entry["measures"]) == ("closed", "陈静", "改造预约系统")
    assert entry["closure"]["delay_reason"] == "需跨年度采购设备"
    assert names(entry["closure"]["rectification_evidence"]) == [FILE["name"]]
    assert [n["note"] for n in entry["notes"]] == ["已完成系统改造方案"]
    assert api.get("/api/v1/ledger?status=closed", "sm-officer").get_json()["entries"][0]["id"] == entry["id"]


def test_the_rated_party_appeals_within_5_working_days_per_3_3_and_an_upheld_appeal_voids_the_review(api, clock):
    """三.(三): 收到差评时，可在5个工作日内通过所在机构向同级政务服务主管部门提出申诉.
    From Fri 2025-09-26: Sun 09-28 (调休), 09-29, 09-30, (10-01..08 off), 10-09, 10-10: the window ends 10-10."""
    cid = _open(api, clock, "2025-09-26T10:00:00+08:00")
    run_timers(api.app, "2025-10-10T23:00:00+08:00")
    clock.set("2025-10-10T23:30:00+08:00")
    appeal = with_files({"appeal_reason": "评价人当日未到窗口办理，系误评", "appeal_evidence": [FILE]}, cid)
    assert api.post(f"/api/v1/cases/{cid}/appeals", "sm-auditor", json={"data": appeal}).status_code == 403
    assert api.post(f"/api/v1/cases/{cid}/appeals", "sm-officer", json={"data": {}}).status_code == 400
    filed = api.post(f"/api/v1/cases/{cid}/appeals", "sm-officer", json={"data": appeal})
    assert filed.status_code == 201, filed.get_json()
    review = task(api, cid, "sm-coordinator", "Task_AppealReview")
    assert review["candidate_org"] == "sm"
    assert review["due_date"] == "2025-10-14"  # 3 working days: Sat 10-11 (调休), Mon 10-13, Tue 10-14
    clock.set("2025-10-13T10:00:00+08:00")
    complete(api, review["id"], "sm-coordinator", {"appeal_upheld": True, "appeal_ruling": "调取录像，确认误评"})
    shown = case(api, cid, "sm-auditor")
    assert (shown["status"], shown["outcome"], shown["open_tasks"]) == ("revoked", "appeal_upheld", [])
    reason = evaluation_of(shown["evaluation"]["id"]).revoked_reason
    assert reason == "申诉成立，经核实为误评或恶意差评：调取录像，确认误评"
    [record] = casework(api, cid, "sm-auditor")["appeals"]
    assert (record["status"], record["ruled_by"], names(record["evidence"])) == (
        "upheld",
        "sm-coordinator",
        [FILE["name"]],
    )
    kinds = [e["kind"] for e in history(api, cid, "sm-auditor")]
    assert kinds.index("appeal_filed") < kinds.index("task_cancelled")
    assert "revoke_review" in operations(history(api, cid, "sm-auditor"))


def test_an_appeal_after_the_5_working_day_window_is_refused_with_a_clear_message(api, clock):
    cid = _open(api, clock, "2025-09-26T10:00:00+08:00")
    run_timers(api.app, "2025-10-11T00:00:01+08:00")
    clock.set("2025-10-11T09:00:00+08:00")
    response = api.post(
        f"/api/v1/cases/{cid}/appeals",
        "sm-officer",
        json={"data": with_files({"appeal_reason": "误评", "appeal_evidence": [FILE]}, cid)},
    )
    assert response.status_code == 409
    assert "申诉期已过" in response.get_json()["message"] and "5个工作日" in response.get_json()["message"]
    assert casework(api, cid, "sm-auditor")["appeals"] == []


def test_a_rejected_appeal_lets_the_case_continue(api, clock):
    cid = _open(api, clock, "2025-09-26T10:00:00+08:00")
    api.post(
        f"/api/v1/cases/{cid}/appeals",
        "sm-officer",
        json={"data": with_files({"appeal_reason": "误评", "appeal_evidence": [FILE]}, cid)},
    )
    do(api, cid, "sm-coordinator", "Task_AppealReview", {"appeal_upheld": False, "appeal_ruling": "差评属实"})
    assert elements(api, cid, "sm-officer") == ["Task_Callback"]
    assert casework(api, cid, "sm-auditor")["appeals"][0]["status"] == "rejected"
    second = api.post(
        f"/api/v1/cases/{cid}/appeals",
        "sm-officer",
        json={"data": with_files({"appeal_reason": "再次申诉", "appeal_evidence": [FILE]}, cid)},
    )
    assert second.status_code == 409
    do(api, cid, "sm-officer", "Task_Callback", callback("immediate_fix"))
    do(api, cid, "sm-officer", "Task_ImmediateFix", FORMS["immediate_fix"])
    do(api, cid, "sm-officer", "Task_Feedback", FORMS["feedback"])
    assert case(api, cid, "sm-auditor")["status"] == "closed"


def test_the_lead_department_convenes_a_consultation_answered_within_10_working_days(api, clock):
    """三.(一) 跨部门工作由牵头部门组织；二.(三)1 10个工作日内完成整改与反馈. Across Spring Festival 2026:
    from Thu 02-12: 02-13, Sat 02-14 (调休), (02-15..23 off), 02-24..27, Sat 02-28 (调休), 03-02, 03-03, 03-04."""
    cid = _open(api, clock, "2026-02-12T09:00:00+08:00")
    do(api, cid, "sm-officer", "Task_Callback", callback("consultation"))
    clock.set("2026-02-12T15:00:00+08:00")
    do(
        api,
        cid,
        "sm-officer",
        "Task_ConveneConsultation",
        {"consult_orgs": ["sm-zjj", "sm-zrzy"], "consult_topic": "预售许可与不动产登记材料互认"},
    )
    replies = {user: inbox_task(api, user, "Task_ConsultationReply") for user in ("sm-zjj-officer", "sm-zrzy-officer")}
    assert {(t["candidate_org"], t["due_date"]) for t in replies.values()} == {
        ("sm-zjj", "2026-02-24"),
        ("sm-zrzy", "2026-02-24"),
    }
    assert api.get("/api/v1/tasks", "sm-officer").get_json()["tasks"] == []
    clock.set("2026-02-25T10:00:00+08:00")
    for user, row in replies.items():
        complete(api, row["id"], user, {**FORMS["consultation_reply"], "consult_opinion": f"{user} 同意"})
    conclusion = task(api, cid, "sm-officer", "Task_ConsultationAnswer")
    assert conclusion["due_date"] == "2026-03-04"
    [record] = casework(api, cid, "sm-auditor")["consultations"]
    assert sorted(r["org"] for r in record["replies"]) == ["sm-zjj", "sm-zrzy"] and record["merged_at"]
    run_timers(api.app, "2026-03-05T00:00:01+08:00")
    assert task(api, cid, "sm-supervisor", "Task_Supervise")["due_date"] == "2026-03-06"
    complete(api, conclusion["id"], "sm-officer", {"consult_conclusion": "两部门共享材料，窗口一次受理"})
    assert "Task_Feedback" in elements(api, cid, "sm-officer")


def test_an_unhappy_evaluator_is_reported_to_the_reform_and_efficiency_offices_per_2_3_1(api, clock):
    """二.(三)1: 申请人不满意回复的，相关情况反馈同级审改办、效能办."""
    cid = _open(api, clock, "2025-09-26T10:00:00+08:00")
    do(api, cid, "sm-officer", "Task_Callback", callback("immediate_fix"))
    do(api, cid, "sm-officer", "Task_ImmediateFix", FORMS["immediate_fix"])
    do(api, cid, "sm-officer", "Task_Feedback", {**FORMS["feedback"], "satisfied": "no"})
    review = task(api, cid, "sm-supervisor", "Task_DissatisfactionReview")
    assert review["candidate_org"] == "sm"
    complete(api, review["id"], "sm-supervisor", {"review_opinion": "责成窗口重新办理", "review_action": "criticize"})
    reported = {m.recipient for m in outbox(cid) if "不满意" in m.body and "责成窗口重新办理" in m.body}
    assert reported == {"sm", "sm-xnb"}
    assert case(api, cid, "sm-auditor")["status"] == "closed"


def test_a_bad_review_whose_evaluator_was_satisfied_is_not_counted_per_2_3_1(api, clock):
    """二.(三)1: 得到差评人满意回复的，可不予计算."""
    cid = _open(api, clock, "2025-09-26T10:00:00+08:00")
    do(api, cid, "sm-officer", "Task_Callback", callback("explanation"))
    do(api, cid, "sm-officer", "Task_Explanation", FORMS["explanation"])
    do(api, cid, "sm-officer", "Task_Feedback", FORMS["feedback"])
    stats = api.get(
        "/api/v1/stats/units?from=2025-09-01T00:00:00%2B08:00&to=2025-10-01T00:00:00%2B08:00", "sm-supervisor"
    ).get_json()["units"]
    [unit] = [u for u in stats if u["org"] == "sm-scjg"]
    assert (unit["bad"], unit["bad_counted"]) == (1, 0)
    assert unit["not_counted"][0]["reason"] == "整改后评价人表示满意，按规定不予计算"
    assert unit["average_score"] is None  # Sanming does not score
    assert api.get("/api/v1/stats/units?from=x&to=y", "sm-supervisor").status_code == 400
    assert (
        api.get(
            "/api/v1/stats/units?from=2025-09-01T00:00:00%2B08:00&to=2025-10-01T00:00:00%2B08:00", "sm-officer"
        ).status_code
        == 403
    )


def test_suspected_misconduct_is_transferred_from_any_step_and_the_case_goes_on(api, clock):
    cid = _open(api, clock, "2025-09-26T10:00:00+08:00")
    response = api.post(f"/api/v1/cases/{cid}/transfers", "sm-officer", json={"reason": "评价人反映窗口人员索要好处"})
    assert response.status_code == 201
    assert response.get_json()["at_steps"] == ["Task_Callback"]
    [transfer] = casework(api, cid, "sm-auditor")["transfers"]
    assert transfer["sent_at"] is not None
    assert [m.recipient for m in outbox(cid) if "移交" in m.body] == ["discipline"]
    assert elements(api, cid, "sm-officer") == ["Task_Callback"]
    assert api.post(f"/api/v1/cases/{cid}/transfers", "sm-channel", json={"reason": "x"}).status_code == 403
    assert api.post(f"/api/v1/cases/{cid}/transfers", "ln-officer", json={"reason": "x"}).status_code == 404


def test_sanming_sets_no_rule_for_unrated_services_so_registered_ones_are_never_reminded(api):
    record = {
        "region": REGION,
        "record_no": "SM-REC-0100",
        "item_code": "SM-0001",
        "org_code": "sm-scjg",
        "completed_at": "2025-09-25T10:00:00+08:00",
    }
    response = api.post("/api/v1/service-records", "sm-channel", json=record)
    assert response.status_code == 201  # records are kept for one rating each and for group ratings
    result = api.app.test_cli_runner().invoke(args=["api", "sweep-unrated", "--now", "2025-12-31T00:00:00+08:00"])
    assert result.output.strip() == "已提醒 0 件，默认评价 0 件，记为未评 0 件"
    shown = api.get(f"/api/v1/service-records/{response.get_json()['id']}", "sm-auditor").get_json()
    assert shown["status"] == "awaiting"
    assert api.get("/api/v1/regions/sanming/settings", "sm-officer").get_json()["unrated"] is None
