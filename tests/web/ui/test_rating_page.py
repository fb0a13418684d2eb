"""The evaluator's mobile page through real HTTP: static QR per window, single-use SMS links, following the case,
consent stored with the rating, rate limits per address, phone and record, and the QR posters."""

from __future__ import annotations

import re

from sqlalchemy import select

from casemgmt.db import db
from casemgmt.models import Evaluation, OutboxMessage
from tests.regions.helpers import FORMS, callback, do

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _token(client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    return CSRF.search(page.get_data(as_text=True)).group(1)


def _post(client, path: str, **fields):
    data = {"csrf_token": _token(client, path), **fields}
    return client.post(path, data=data)


def _link(api, record_no: str = "LN-SMS-1", phone: str = "13812341234") -> tuple[int, str]:
    body = {
        "region": "liaoning",
        "record_no": record_no,
        "item_code": "LN-0001",
        "org_code": "ln-sy-scjg",
        "completed_at": "2025-09-26T09:00:00+08:00",
        "evaluator_phone": phone,
    }
    record_id = api.post("/api/v1/service-records", "ln-channel", json=body).get_json()["id"]
    issued = api.post(f"/api/v1/service-records/{record_id}/rating-link", "ln-channel")
    assert issued.status_code == 201, issued.get_json()
    return record_id, issued.get_json()["url"].replace("http://localhost", "")


def _evaluations() -> list[Evaluation]:
    rows = list(db.session.scalars(select(Evaluation).order_by(Evaluation.id)))
    db.session.expunge_all()
    db.session.remove()
    return rows


def test_a_window_qr_page_shows_the_unit_labels_and_reasons_without_sign_in(client):
    page = client.get("/rate/nea/nea-db-zz")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'lang="zh-CN"' in text
    assert "很差" in text and "办事流程繁琐" in text and "评价我们的服务" in text
    assert '<label for="phone">' in text and 'name="viewport"' in text
    assert client.get("/rate/nea/no-such-window").status_code == 404


def test_a_rating_by_static_qr_is_stored_and_followed(client):
    answer = _post(
        client,
        "/rate/liaoning/ln-sy-scjg",
        item_code="LN-0001",
        record_no="LN-QR-1",
        level="very_dissatisfied",
        reasons=["办理时间过长"],
        comment="排队太久",
    )
    assert answer.status_code == 303 and "/rate/f/" in answer.headers["Location"]
    [row] = _evaluations()
    assert (row.channel, row.record_no, row.reasons, row.evaluator_phone, row.consent_text) == (
        "qr_static",
        "LN-QR-1",
        ["办理时间过长"],
        "",
        None,
    )
    follow = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "非常不满意" in follow and 'data-step="handling"' in follow and "已受理" in follow


def test_name_and_phone_need_the_consent_line_which_is_stored_with_the_rating(client):
    fields = {"item_code": "LN-0001", "level": "satisfied", "name": "李四", "phone": "13911112222"}
    refused = _post(client, "/rate/liaoning/ln-sy-scjg", **fields)
    assert refused.status_code == 400 and "留下姓名或电话须同意使用说明" in refused.get_data(as_text=True)
    assert _evaluations() == []
    assert _post(client, "/rate/liaoning/ln-sy-scjg", consent="yes", **fields).status_code == 303
    [row] = _evaluations()
    assert row.is_real_name and row.evaluator_phone == "13911112222" and "不向第三方提供" in row.consent_text


def test_an_sms_link_rates_once_and_then_follows_the_case_to_its_answer(api, client):
    record_id, path = _link(api)
    [sms] = [m for m in db.session.scalars(select(OutboxMessage)) if m.kind == "rating_link"]
    assert sms.recipient == "13812341234" and path in sms.body
    db.session.remove()
    page = client.get(path).get_data(as_text=True)
    assert "LN-SMS-1" in page and "企业设立登记" in page
    first = _post(client, path, level="very_dissatisfied", reasons=["多次往返跑腿"])
    assert first.status_code == 303
    [row] = _evaluations()
    assert row.channel == "sms" and row.record_no == "LN-SMS-1"
    again = client.post(path, data={"csrf_token": _token(client, "/rate/liaoning/ln-sy-scjg"), "level": "satisfied"})
    assert again.status_code == 410 and "该评价链接已使用或已失效" in again.get_data(as_text=True)
    assert len(_evaluations()) == 1
    case_id = api.get(f"/api/v1/evaluations/{row.id}", "ln-auditor").get_json()["case_id"]
    do(api, case_id, "ln-officer", "Task_Callback", callback("immediate_fix"))
    do(api, case_id, "ln-officer", "Task_ImmediateFix", FORMS["immediate_fix"])
    followed = client.get(path).get_data(as_text=True)  # the same link now follows the case
    assert re.search(r'class="done" data-step="rectified"', followed)
    assert "Task_" not in followed and "ln-officer" not in followed


def test_a_link_expires_and_a_forged_one_is_not_found(api, client, clock):
    _record_id, path = _link(api)
    clock.set("2025-10-10T00:00:00+08:00")
    expired = client.get(path)
    assert expired.status_code == 410 and "该评价链接已过期" in expired.get_data(as_text=True)
    assert client.get(path[:-3] + "abc").status_code == 404


def test_the_page_limits_ratings_per_address_phone_and_record(client, seeded_app):
    seeded_app.config["CLOCK"].set("2025-09-26T10:00:00+08:00")
    for n in range(3):
        answer = _post(
            client,
            "/rate/liaoning/ln-sy-scjg",
            item_code="LN-0001",
            record_no="LN-HOT",
            level="satisfied",
            phone=f"1390000000{n}",
            consent="yes",
        )
        assert answer.status_code == 303
    fourth = _post(
        client,
        "/rate/liaoning/ln-sy-scjg",
        item_code="LN-0001",
        record_no="LN-HOT",
        level="satisfied",
        phone="13900000009",
        consent="yes",
    )
    assert fourth.status_code == 400 and "该办件评价过于频繁" in fourth.get_data(as_text=True)
    for n in range(4):  # the phone's first rating was LN-HOT's: five in all
        _post(
            client,
            "/rate/liaoning/ln-sy-scjg",
            item_code="LN-0001",
            record_no=f"LN-P{n}",
            level="satisfied",
            phone="13900000000",
            consent="yes",
        )
    sixth = _post(
        client,
        "/rate/liaoning/ln-sy-scjg",
        item_code="LN-0001",
        record_no="LN-P9",
        level="satisfied",
        phone="13900000000",
        consent="yes",
    )
    assert sixth.status_code == 400 and "该电话评价过于频繁" in sixth.get_data(as_text=True)


def test_the_page_limits_ratings_per_address_per_hour(client, seeded_app):
    for n in range(20):
        answer = _post(client, "/rate/liaoning/ln-sy-scjg", item_code="LN-0001", record_no=f"A{n}", level="basic")
        assert answer.status_code == 303
    last = _post(client, "/rate/liaoning/ln-sy-scjg", item_code="LN-0001", record_no="A99", level="basic")
    assert last.status_code == 400 and "本设备评价过于频繁" in last.get_data(as_text=True)
    seeded_app.config["CLOCK"].now += __import__("datetime").timedelta(hours=1, seconds=1)
    again = _post(client, "/rate/liaoning/ln-sy-scjg", item_code="LN-0001", record_no="A100", level="basic")
    assert again.status_code == 303


def test_a_supervisor_prints_qr_posters_of_the_windows_of_a_unit(ui):
    browser = ui("ln-admin")
    answer = browser.get("/rate-posters/1.pdf")
    assert answer.status_code == 200 and answer.data.startswith(b"%PDF-")
    assert answer.headers["Content-Disposition"].startswith("attachment;")
