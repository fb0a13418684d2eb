"""NEA electricity-licensing services (国能综通资质〔2020〕50号) through the API on the real calendar: a designated
person calls back, the regional office confirms a misjudged review is not adopted, ledger deadlines set by the
office, feedback uploaded to the qualification and credit system, and the 7-day window for a late on-site rating."""

from tests.regions.helpers import FILE, FORMS, callback, case, casework, do, elements, history, outbox, run_timers, task

REGION = "nea"


def _open(api, clock, at: str) -> int:
    clock.set(at)
    return api.bad_review(REGION, evaluated_at=at)["case_id"]


def test_a_designated_person_of_the_regional_office_calls_back_per_4_1(api, clock):
    """四.(一): 反馈至对应派出机构，由该派出机构安排专人回访核实. The notice sets no deadline: the diagram keeps the
    template's 3 working days. From Wed 2026-09-30: (10-01..07 off), 10-08, 10-09, Sat 10-10 (调休)."""
    cid = _open(api, clock, "2026-09-30T10:00:00+08:00")
    callback_task = task(api, cid, "nea-officer", "Task_Callback")
    assert (callback_task["candidate_org"], callback_task["due_date"]) == ("nea-db-zz", "2026-10-10")
    run_timers(api.app, "2026-10-11T00:00:01+08:00")
    assert task(api, cid, "nea-supervisor", "Task_Supervise")["candidate_org"] == "nea-db"
    assert [m.recipient for m in outbox(cid) if m.channel == "internal"][0] == "nea-db-zz"


def test_a_misjudged_review_confirmed_by_the_regional_office_is_not_adopted_per_4_1(api, clock):
    """四.(一): 核实为误评或恶意差评的，评价结果可不予采纳."""
    cid = _open(api, clock, "2025-09-26T10:00:00+08:00")
    do(api, cid, "nea-officer", "Task_Callback", callback("malicious", evidence=[FILE]))
    review = task(api, cid, "nea-supervisor", "Task_RevocationReview")
    assert (review["title"], review["candidate_org"]) == ("不予采纳确认（派出机构）", "nea-db")
    do(api, cid, "nea-supervisor", "Task_RevocationReview", {"approved": True, "opinion": "同一企业重复恶意评价"})
    shown = case(api, cid, "nea-auditor")
    assert shown["status"] == "revoked"
    assert shown["evaluation"]["revoked_reason"] == "经核实为恶意差评：同一企业重复恶意评价"
    assert not [m for m in outbox(cid) if "报送" in m.body]


def test_the_office_sets_the_ledger_deadline_and_it_counts_working_days_across_spring_festival_2024(api, clock):
    """四.(一): 情况复杂、一时难以解决的，要建立台账，限期整改 (the office sets the limit). 20 working days from
    Thu 2024-02-08: 02-09, (02-10..17 off), Sun 02-18 (调休), 02-19..23, 02-26..03-01, 03-04..08, 03-11..13."""
    cid = _open(api, clock, "2024-02-08T09:00:00+08:00")
    callback_task = task(api, cid, "nea-officer", "Task_Callback")
    response = api.post(
        f"/api/v1/tasks/{callback_task['id']}/complete", "nea-officer", json={"data": callback("ledger")}
    )
    assert response.status_code == 400 and "rectification_workdays" in response.get_json()["details"]
    do(api, cid, "nea-officer", "Task_Callback", callback("ledger", rectification_workdays=20))
    assert task(api, cid, "nea-officer", "Task_Rectification")["due_date"] == "2024-03-13"
    assert casework(api, cid, "nea-auditor")["ledger"][0]["due_date"] == "2024-03-13"
    run_timers(api.app, "2024-03-14T00:00:01+08:00")
    assert task(api, cid, "nea-supervisor", "Task_Supervise")


def test_the_result_is_told_to_the_evaluator_and_uploaded_to_the_qualification_system_per_4_1(api, clock):
    """四.(一): 及时向企业和群众反馈 ... 并及时将相关情况上传至资质和信用信息系统."""
    cid = _open(api, clock, "2025-09-26T10:00:00+08:00")
    do(api, cid, "nea-officer", "Task_Callback", callback("immediate_fix"))
    do(api, cid, "nea-officer", "Task_ImmediateFix", FORMS["immediate_fix"])
    do(api, cid, "nea-officer", "Task_Feedback", FORMS["feedback"])
    assert case(api, cid, "nea-auditor")["status"] == "closed"
    channels = [(m.channel, m.recipient) for m in outbox(cid)]
    assert ("sms", "13812341234") in channels and ("upload", "资质和信用信息系统") in channels
    ops = [e["payload"]["operation"] for e in history(api, cid, "nea-auditor") if e["kind"] == "operation"]
    assert ops == ["notify_unit", "record_callback", "notify_evaluator", "report_upstream", "close_case"]


def test_a_rating_not_given_on_site_may_follow_within_7_calendar_days_per_3_1(api, clock):
    """三.(一): 没有在许可服务现场作出评价的企业和群众可在7日内补充评价 (calendar days: holidays count). The window
    follows the service's channel (on site), not the rating's, and is measured when the rating is received."""
    clock.set("2025-09-30T10:00:00+08:00")
    record = {
        "region": REGION,
        "record_no": "NEA-REC-0100",
        "item_code": "NEA-0001",
        "org_code": "nea-db-zz",
        "channel": "window_device",
        "completed_at": "2025-09-30T10:00:00+08:00",
    }
    assert api.post("/api/v1/service-records", "nea-officer", json=record).status_code == 403
    assert api.post("/api/v1/service-records", "nea-channel", json=record).status_code == 201
    assert api.post("/api/v1/service-records", "nea-channel", json=record).status_code == 200
    clock.set("2025-10-08T00:00:01+08:00")
    for n, channel in enumerate(("qr_static", "online_hall", "mobile_app", "api")):
        late = api.evaluation(
            REGION,
            record_no="NEA-REC-0100",
            channel=channel,
            external_id=f"late-{n}",
            evaluated_at="2025-10-06T10:00:00+08:00",  # dated in time by the channel: received too late
        )
        refused = api.post("/api/v1/evaluations", "nea-channel", json=late)
        assert refused.status_code == 400 and "7日内补充评价" in refused.get_json()["message"], channel
        assert refused.get_json()["details"]["evaluated_at"] == [
            "补充评价须在 2025-10-08T00:00:00+08:00 之前（以收到评价的时间为准）"
        ]
    clock.set("2025-10-07T23:59:00+08:00")
    in_time = api.evaluation(REGION, record_no="NEA-REC-0100", level="satisfied", channel="online_hall")
    assert api.post("/api/v1/evaluations", "nea-channel", json=in_time).status_code == 201


def test_nea_rates_with_its_own_labels_per_2_1(api):
    """二.(一): “很好”、“好”、“一般”、“差”、“很差”五个等级，后两个等级为差评."""
    body = api.get("/api/v1/regions/nea/settings", "nea-officer").get_json()
    assert [(x["label"], x["is_bad"]) for x in body["levels"]] == [
        ("很好", False),
        ("好", False),
        ("一般", False),
        ("差", True),
        ("很差", True),
    ]
    assert body["late_rating"]["calendar_days"] == 7
    assert api.get("/api/v1/regions/sanming/settings", "nea-officer").status_code == 404


def test_misconduct_found_at_any_step_is_transferred(api, clock):
    """五.(一) 查处违规违纪问题; 征求意见稿 (九) 发现违纪违法问题及时向纪检部门移交."""
    cid = _open(api, clock, "2025-09-26T10:00:00+08:00")
    do(api, cid, "nea-officer", "Task_Callback", callback("ledger", rectification_workdays=5))
    response = api.post(f"/api/v1/cases/{cid}/transfers", "nea-supervisor", json={"reason": "承办人涉嫌违规收费"})
    assert response.status_code == 201 and response.get_json()["at_steps"] == ["Task_Rectification"]
    assert elements(api, cid, "nea-officer") == ["Task_Rectification"]
    assert "transfer_requested" in [e["kind"] for e in history(api, cid, "nea-auditor")]


def test_a_review_found_valid_after_all_goes_to_the_ledger_with_the_deadline_the_office_sets(api, clock):
    cid = _open(api, clock, "2025-09-26T10:00:00+08:00")
    do(api, cid, "nea-officer", "Task_Callback", callback("misjudged"))
    do(api, cid, "nea-supervisor", "Task_RevocationReview", {"approved": False, "opinion": "证据不足"})
    choice = task(api, cid, "nea-officer", "Task_HandlingChoice")
    response = api.post(f"/api/v1/tasks/{choice['id']}/complete", "nea-officer", json={"data": {"handling": "ledger"}})
    assert response.status_code == 400 and "rectification_workdays" in response.get_json()["details"]
    do(api, cid, "nea-officer", "Task_HandlingChoice", {"handling": "ledger", "rectification_workdays": 2})
    assert task(api, cid, "nea-officer", "Task_Rectification")["due_date"] == "2025-09-29"  # Sun 09-28 (调休), 09-29
