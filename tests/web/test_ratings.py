"""Service records first-class: one rating per record and evaluator, follow-ups, group ratings, overdue services,
and the read endpoints of evaluations and records (seeds 001 二.(二)1, 002 第七条, 004 第九、十条)."""

from __future__ import annotations

from sqlalchemy import func, select

from casemgmt.db import db
from casemgmt.models import Case, ServiceRecord

CHANNELS = {"liaoning": "ln-channel", "sanming": "sm-channel", "xian": "xa-channel", "nea": "nea-channel"}


def register(api, region: str, record_no: str, **fields) -> dict:
    """Register a service record as the region's channel account; return the answer."""
    body = {
        "region": region,
        "record_no": record_no,
        "item_code": fields.pop("item_code", api.evaluation(region)["item_code"]),
        "org_code": fields.pop("org_code", api.evaluation(region)["org_code"]),
        "completed_at": "2025-09-26T09:00:00+08:00",
        **fields,
    }
    response = api.post("/api/v1/service-records", CHANNELS[region], json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def rate(api, region: str, **overrides):
    """Post an evaluation as the region's channel account; return the response."""
    return api.post("/api/v1/evaluations", CHANNELS[region], json=api.evaluation(region, **overrides))


def case_count() -> int:
    count = db.session.scalar(select(func.count()).select_from(Case))
    db.session.remove()
    return count


def record(region_record_no: str) -> ServiceRecord:
    row = db.session.scalar(select(ServiceRecord).where(ServiceRecord.record_no == region_record_no))
    db.session.expunge(row)
    db.session.remove()
    return row


def test_a_second_rating_of_one_record_by_one_evaluator_is_refused_and_opens_no_second_case(api):
    """The issue: five bad reviews of one 办件 opened five cases. Sanming has no follow-up period."""
    assert rate(api, "sanming", record_no="SM-ONE").status_code == 201
    for n in range(4):
        again = rate(api, "sanming", record_no="SM-ONE", external_id=f"again-{n}")
        assert again.status_code == 400
        assert again.get_json()["message"] == "您已评价过该办件，每个办件只能评价一次"
    assert case_count() == 1
    same_phone_other_form = rate(api, "sanming", record_no="SM-ONE", evaluator={"phone": "+8613812341234"})
    assert same_phone_other_form.status_code == 400
    other_evaluator = rate(api, "sanming", record_no="SM-ONE", evaluator={"phone": "13900000000"})
    assert other_evaluator.status_code == 201 and case_count() == 2


def test_the_same_external_id_still_answers_the_first_result(api):
    first = rate(api, "sanming", record_no="SM-IDEM", external_id="e-1")
    again = rate(api, "sanming", record_no="SM-IDEM", external_id="e-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]


def test_liaoning_allows_one_follow_up_within_15_days_and_it_joins_the_first_case(api, clock):
    """002 第七条: 评价人作出评价后可在一定期限内进行一次追加评价 (the region sets 15 days)."""
    clock.set("2025-09-26T10:00:00+08:00")
    first = rate(api, "liaoning", record_no="LN-FU").get_json()
    clock.set("2025-10-11T09:00:00+08:00")
    follow = rate(api, "liaoning", record_no="LN-FU", comment="整改后仍未解决")
    assert follow.status_code == 201, follow.get_json()
    body = follow.get_json()
    assert (body["follow_up_of"], body["case_id"]) == (first["id"], first["case_id"])
    assert case_count() == 1
    third = rate(api, "liaoning", record_no="LN-FU", level="satisfied")
    assert third.status_code == 400 and third.get_json()["message"] == "您已追加评价过该办件，不能再次评价"
    shown = api.get(f"/api/v1/evaluations/{first['id']}", "ln-auditor").get_json()
    assert shown["follow_ups"] == [body["id"]]


def test_a_follow_up_after_the_period_is_refused_with_the_rule(api, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    assert rate(api, "liaoning", record_no="LN-LATE", level="satisfied").status_code == 201
    clock.set("2025-10-11T10:00:01+08:00")
    late = rate(api, "liaoning", record_no="LN-LATE")
    assert late.status_code == 400 and late.get_json()["message"] == "已超过追加评价期限（首次评价后 15 日内）"
    assert "第七条" in late.get_json()["details"]["record_no"][0]


def test_a_bad_follow_up_of_a_good_rating_opens_a_case(api, clock):
    first = rate(api, "liaoning", record_no="LN-GB", level="satisfied").get_json()
    assert first["case_id"] is None
    follow = rate(api, "liaoning", record_no="LN-GB").get_json()
    assert follow["follow_up_of"] == first["id"] and follow["case_id"] is not None


def test_a_batch_is_rated_once_for_all_its_records_per_liaoning_7(api):
    """002 第七条: 批量业务实行“一次评价”，一次评价的结果适用于本次批量办理的所有业务."""
    for n in (1, 2, 3):
        register(api, "liaoning", f"LN-B{n}", group_no="LN-BATCH", group_kind="batch", evaluator_phone="13812341234")
    alone = rate(api, "liaoning", record_no="LN-B2")
    assert alone.status_code == 400
    assert alone.get_json()["message"] == "本地区的批量业务不能单独评价，请对整体评价（scope=group）"
    whole = rate(api, "liaoning", record_no="LN-B2", scope="group")
    assert whole.status_code == 201, whole.get_json()
    body = whole.get_json()
    assert body["group_no"] == "LN-BATCH" and case_count() == 1
    assert {record(f"LN-B{n}").evaluation_id for n in (1, 2, 3)} == {body["id"]}
    assert {record(f"LN-B{n}").status for n in (1, 2, 3)} == {"rated"}
    again = rate(api, "liaoning", record_no="LN-B3", scope="group", level="satisfied")
    assert again.status_code == 201 and again.get_json()["follow_up_of"] == body["id"]


def test_a_parallel_approval_is_rated_as_a_whole_for_the_lead_department_or_per_department_in_sanming(api):
    """001 二.(二)1: 并联审批可批量总体评价，也可分部门单独评价；跨部门事项评价结果归集到牵头部门."""
    register(api, "sanming", "SM-P1", org_code="sm-zjj", item_code="SM-0002", group_no="SM-PAR", group_kind="parallel")
    register(api, "sanming", "SM-P2", group_no="SM-PAR", group_kind="parallel", is_lead=True)
    register(api, "sanming", "SM-Q1", org_code="sm-zjj", item_code="SM-0002", group_no="SM-PAR2", group_kind="parallel")
    whole = rate(api, "sanming", record_no="SM-P1", org_code="sm-zjj", scope="group").get_json()
    shown = api.get(f"/api/v1/evaluations/{whole['id']}", "sm-auditor").get_json()
    assert (shown["record_no"], shown["org_code"], shown["group_no"]) == ("SM-P2", "sm-scjg", "SM-PAR")
    single = rate(api, "sanming", record_no="SM-Q1", org_code="sm-zjj", item_code="SM-0002")
    assert single.status_code == 201 and single.get_json()["group_no"] is None


def test_a_theme_service_is_rated_only_as_a_whole_in_sanming(api):
    """001 二.(二)1: “一件事”集成套餐服务事项，评价内容由企业群众统一评价，不再分阶段评价."""
    register(api, "sanming", "SM-T1", group_no="SM-THEME", group_kind="theme")
    refused = rate(api, "sanming", record_no="SM-T1")
    assert refused.status_code == 400 and "“一件事”主题服务不能单独评价" in refused.get_json()["message"]
    assert rate(api, "sanming", record_no="SM-T1", scope="group").status_code == 201


def test_nea_rates_each_record_and_refuses_a_group_rating(api):
    register(api, "nea", "NEA-G1", group_no="NEA-G", group_kind="parallel")
    refused = rate(api, "nea", record_no="NEA-G1", scope="group")
    assert refused.status_code == 400 and "并联审批不能整体评价" in refused.get_json()["message"]
    lone = rate(api, "nea", record_no="NEA-LONE", scope="group")
    assert lone.status_code == 400 and "不能整体评价" in lone.get_json()["message"]


def test_xian_rates_an_overdue_service_from_the_next_working_day_after_the_promise_per_10(api, clock):
    """004 第十条: 对超出时限未办结的，服务对象可以在承诺时限下一个工作日后进行评价. Promised Fri 2025-09-26:
    the next working day is Sun 09-28 (调休)."""
    clock.set("2025-09-27T12:00:00+08:00")
    register(api, "xian", "XA-OVER", completed_at=None, promised_at="2025-09-26T17:00:00+08:00")
    early = rate(api, "xian", record_no="XA-OVER")
    assert early.status_code == 400
    assert early.get_json()["message"] == "该办件尚未办结，超出承诺时限的可在承诺时限的下一个工作日（2025-09-28）起评价"
    clock.set("2025-09-28T00:00:00+08:00")
    assert rate(api, "xian", record_no="XA-OVER").status_code == 201


def test_an_unfinished_service_is_not_rated_where_the_region_has_no_overdue_rule(api, clock):
    register(api, "liaoning", "LN-OPEN", completed_at=None, promised_at="2025-09-01T17:00:00+08:00")
    refused = rate(api, "liaoning", record_no="LN-OPEN")
    assert refused.status_code == 400 and refused.get_json()["message"] == "该办件尚未办结，暂不能评价"
    missing = api.post(
        "/api/v1/service-records",
        "ln-channel",
        json={"region": "liaoning", "record_no": "LN-X", "item_code": "LN-0001", "org_code": "ln-sy-scjg"},
    )
    assert missing.status_code == 400 and "promised_at" in missing.get_json()["details"]


def test_an_evaluation_is_read_with_the_evaluator_masked_by_role_and_region(api):
    made = rate(api, "liaoning", record_no="LN-READ").get_json()
    path = f"/api/v1/evaluations/{made['id']}"
    shown = api.get(path, "ln-officer")
    assert shown.status_code == 200
    body = shown.get_json()
    assert body["evaluator"] == {"name": "张*", "phone": "138****1234", "is_real_name": True}
    assert (body["label"], body["case_id"], body["reasons"]) == ("非常不满意", made["case_id"], ["办事效率低"])
    assert "13812341234" not in shown.get_data(as_text=True)
    assert api.get(path, "sm-auditor").status_code == 404
    assert api.get(path, "ln-channel").status_code == 200
    assert api.get("/api/v1/evaluations/999999", "ln-auditor").status_code == 404


def test_a_service_record_is_read_with_its_ratings(api):
    made = register(api, "liaoning", "LN-REC-READ", evaluator_phone="13812341234")
    rated = rate(api, "liaoning", record_no="LN-REC-READ", level="satisfied").get_json()
    body = api.get(f"/api/v1/service-records/{made['id']}", "ln-auditor").get_json()
    assert (body["status"], body["evaluations"], body["evaluation_id"]) == ("rated", [rated["id"]], rated["id"])
    assert "13812341234" not in str(body)
    assert api.get(f"/api/v1/service-records/{made['id']}", "sm-auditor").status_code == 404


def test_nea_rates_its_one_visit_items_and_liaoning_has_none_per_nea_2_2(api):
    """NEA 二.(二) 一次一评: 总体评价、工作人员服务态度、工作人员业务水平 (sub_ratings of nea's region.json)."""
    made = rate(api, "nea", record_no="NEA-SUB", sub_ratings={"attitude": "very_satisfied", "proficiency": "basic"})
    assert made.status_code == 201, made.get_json()
    shown = api.get(f"/api/v1/evaluations/{made.get_json()['id']}", "nea-auditor").get_json()
    assert shown["sub_ratings"] == {"attitude": "very_satisfied", "proficiency": "basic"}
    refused = rate(api, "liaoning", record_no="LN-SUB", sub_ratings={"attitude": "basic"})
    assert refused.status_code == 400 and "本地区不设分项评价" in refused.get_json()["details"]["sub_ratings"][0]
