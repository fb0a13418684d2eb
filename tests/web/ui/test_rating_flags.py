"""Ratings nobody can game: each flag rule, statistics leaving flagged ratings out until a supervisor decides, the
decision audited, and the supervisors' queue page (001 二.(二)1, 002 第五条, 004 第十一、二十三条)."""

from __future__ import annotations

import json

from sqlalchemy import select

from casemgmt.db import db
from casemgmt.models import AuditEvent, Evaluation, Region, User

STATS = "/api/v1/stats/units?from=2025-09-01T00:00:00%2B08:00&to=2025-10-01T00:00:00%2B08:00"


def rate(api, n: int, **overrides) -> dict:
    body = api.evaluation("liaoning", **{"record_no": f"LN-F{n}", "level": "satisfied", "reasons": [], **overrides})
    response = api.post("/api/v1/evaluations", "ln-channel", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def flags_of(evaluation_id: int) -> tuple[str | None, list[str]]:
    row = db.session.get(Evaluation, evaluation_id)
    found = (row.flag_status, [f["rule"] for f in row.flags or []])
    db.session.remove()
    return found


def set_rules(**rules) -> None:
    region = db.session.scalar(select(Region).where(Region.code == "liaoning"))
    region.settings = {**region.settings, "rating_flags": rules}
    db.session.commit()


def total(api) -> int:
    return sum(u["total"] for u in api.get(STATS, "ln-auditor").get_json()["units"])


def test_an_unflagged_rating_counts(api):
    made = rate(api, 1, evaluator={"phone": "13900000001"})
    assert flags_of(made["id"]) == (None, [])
    assert total(api) == 1


def test_staff_rating_their_own_service_is_flagged_and_left_out_of_statistics(api):
    """001 二.(二)1: 不得以自我评价代替群众评价 (the evaluator's phone is a staff member's of the unit)."""
    officer = db.session.scalar(select(User).where(User.username == "ln-officer"))
    officer.phone = "13711112222"
    db.session.commit()
    made = rate(api, 1, staff_no="ln-officer", evaluator={"phone": "13711112222"})
    assert flags_of(made["id"]) == ("pending", ["self_rating"])
    assert total(api) == 0


def test_a_burst_from_one_phone_is_flagged_from_the_threshold_on(api):
    ids = [rate(api, n, evaluator={"phone": "13900000002"})["id"] for n in range(10)]
    assert [flags_of(i)[0] for i in ids] == [None] * 9 + ["pending"]
    assert flags_of(ids[-1])[1] == ["phone_burst"]


def test_the_phone_burst_threshold_is_a_region_setting(api):
    set_rules(phone_burst={"count": 2, "minutes": 60})
    ids = [rate(api, n, evaluator={"phone": "13900000003"})["id"] for n in range(2)]
    assert [flags_of(i)[0] for i in ids] == [None, "pending"]
    set_rules(phone_burst=None)
    assert flags_of(rate(api, 9, evaluator={"phone": "13900000003"})["id"]) == (None, [])


def test_a_burst_from_one_device_on_the_rating_page_is_flagged(api, seeded_app):
    from tests.web.ui.test_rating_page import _post  # noqa: PLC0415

    client = seeded_app.test_client()
    for n in range(10):
        _post(client, "/rate/liaoning/ln-sy-scjg", item_code="LN-0001", record_no=f"D{n}", level="basic")
    rows = list(db.session.scalars(select(Evaluation).order_by(Evaluation.id)))
    assert [r.flag_status for r in rows] == [None] * 9 + ["pending"]
    assert [f["rule"] for f in rows[-1].flags] == ["device_burst"]
    db.session.remove()


def test_many_ratings_of_one_record_are_flagged(api):
    ids = [rate(api, 0, record_no="LN-MANY", evaluator={"phone": f"1390000001{n}"})["id"] for n in range(3)]
    assert [flags_of(i) for i in ids][-1] == ("pending", ["record_burst"])
    assert [flags_of(i)[0] for i in ids[:2]] == [None, None]


def test_a_burst_of_praise_around_one_window_is_flagged(api):
    set_rules(praise_burst={"count": 3, "minutes": 10})
    ids = [rate(api, n, level="very_satisfied", evaluator={"phone": f"1390000002{n}"})["id"] for n in range(3)]
    assert [flags_of(i)[0] for i in ids] == [None, None, "pending"]
    assert flags_of(ids[-1])[1] == ["praise_burst"]


def test_a_complaint_of_a_forced_rating_is_flagged_for_a_supervisor(api):
    """002 第五条 / 004 第十一条: 不得强迫或者干扰服务对象的评价行为."""
    made = api.bad_review(comment="窗口人员要求好评才给办理", evaluator={"phone": "13900000031"})
    assert flags_of(made["id"]) == ("pending", ["forced_complaint"])
    assert made["case_id"] is not None  # the complaint is still handled as a case


def test_a_supervisor_decides_a_flag_in_the_queue_and_the_decision_is_audited(api, ui):
    made = rate(api, 1, evaluator={"phone": "13900000041"}, comment="被诱导给了好评")
    assert total(api) == 0
    page = ui("ln-supervisor")
    queue = page.get("/flags/")
    assert queue.status_code == 200 and "LN-F1" in queue.text and "反映被强迫或诱导评价" in queue.text
    assert page.post(f"/flags/{made['id']}/decide", {"decision": "dismissed", "note": ""}).status_code == 303
    assert flags_of(made["id"])[0] == "pending"  # a decision needs a note
    answer = page.post(f"/flags/{made['id']}/decide", {"decision": "dismissed", "note": "电话核实，评价真实"})
    assert answer.status_code == 303
    assert flags_of(made["id"])[0] == "dismissed" and total(api) == 1
    assert "LN-F1" not in page.get("/flags/").text
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "evaluation_flag_decided"))
    payload = event.payload if isinstance(event.payload, dict) else json.loads(event.payload)
    assert payload["decision"] == "dismissed" and event.actor == "ln-supervisor"
    db.session.remove()


def test_an_upheld_flag_stays_out_of_statistics_and_officers_cannot_decide(api, ui):
    made = rate(api, 1, evaluator={"phone": "13900000051"}, comment="强迫评价")
    assert ui("ln-officer").post(f"/flags/{made['id']}/decide", {"decision": "upheld", "note": "x"}).status_code == 403
    ui("ln-supervisor").post(f"/flags/{made['id']}/decide", {"decision": "upheld", "note": "确认刷评"})
    assert flags_of(made["id"])[0] == "upheld" and total(api) == 0
    assert ui("sm-supervisor").get("/flags/").text.count("LN-F") == 0
