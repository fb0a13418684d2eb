"""12345 tickets become cases (ticket number kept), its satisfaction result comes back, results go to the platform."""

from sqlalchemy import select

from casemgmt.db import db
from casemgmt.models import AuditEvent, Case, OutboxMessage, Region
from casemgmt.notices.relay import RelaySettings
from tests.notices.gateway import Gateway
from tests.web.flows import FORMS, callback, complete, only_task
from web.worker import run_outbox_once

TICKET = {
    "region": "liaoning",
    "ticket_no": "12345-20250926-0001",
    "org_code": "ln-sy-scjg",
    "item_code": "LN-0001",
    "reasons": ["办事效率低"],
    "content": "市民来电反映窗口办理慢",
    "caller": {"name": "李四", "phone": "13900001111"},
    "called_at": "2025-09-26T09:30:00+08:00",
}


def test_a_12345_ticket_opens_a_case_once_and_keeps_its_ticket_number(api):
    first = api.post("/api/v1/hotline/tickets", "ln-channel", json=TICKET)
    assert first.status_code == 201, first.get_json()
    again = api.post("/api/v1/hotline/tickets", "ln-channel", json=TICKET)
    assert again.status_code == 200 and again.get_json()["case_id"] == first.get_json()["case_id"]
    case = db.session.get(Case, first.get_json()["case_id"])
    assert case.evaluation.external_id == "12345:12345-20250926-0001"
    assert (case.evaluation.record_no, case.evaluation.channel) == ("12345-20250926-0001", "hotline")
    assert api.post("/api/v1/hotline/tickets", "ln-officer", json=TICKET).status_code == 403


def test_the_satisfaction_callback_is_recorded_on_the_case(api):
    case_id = api.post("/api/v1/hotline/tickets", "ln-channel", json=TICKET).get_json()["case_id"]
    body = {
        "region": "liaoning",
        "ticket_no": TICKET["ticket_no"],
        "result": "dissatisfied",
        "called_at": TICKET["called_at"],
    }
    response = api.post("/api/v1/hotline/satisfaction", "ln-channel", json=body)
    assert response.status_code == 200, response.get_json()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "hotline_satisfaction"))
    assert (event.case_id, event.payload["result"]) == (case_id, "dissatisfied")
    unknown = api.post("/api/v1/hotline/satisfaction", "ln-channel", json={**body, "ticket_no": "nope"})
    assert unknown.status_code == 404
    assert api.post("/api/v1/hotline/satisfaction", "sm-channel", json=body).status_code == 403


def test_the_results_of_a_finished_case_reach_the_upper_platform_signed_and_can_be_replayed(api, clock):
    region = db.session.scalar(select(Region).where(Region.code == "liaoning"))
    region.settings = {**region.settings, "upper_platform": "辽宁省好差评系统"}
    db.session.commit()
    cid = api.post("/api/v1/hotline/tickets", "ln-channel", json=TICKET).get_json()["case_id"]
    complete(api, only_task(api, cid, "ln-officer")["id"], "ln-officer", callback("immediate_fix"))
    complete(api, only_task(api, cid, "ln-officer")["id"], "ln-officer", FORMS["immediate_fix"])
    complete(api, only_task(api, cid, "ln-officer")["id"], "ln-officer", FORMS["feedback"])
    with Gateway() as gateway:
        routes = {"liaoning": {"results": {"adapter": "webhook", "url": gateway.url, "secret": "k"}}}
        run_outbox_once(clock.now, RelaySettings(routes=routes), "relay-a")
    documents = [m["document"] for m in gateway.accepted if m["kind"] == "results"]
    assert len(documents) == 1
    doc = documents[0]
    assert (doc["schema"], doc["case_no"], doc["ticket_no"], doc["status"]) == (
        "zhenggai.results/1",
        db.session.get(Case, cid).case_no,
        TICKET["ticket_no"],
        "closed",
    )
    assert doc["satisfaction"] == "yes" and doc["closed_at"] and doc["evidence"] == []
    headers = {k.lower(): v for k, v in gateway.headers[-1].items()}
    assert headers["x-zhenggai-signature"]
    result = api.app.test_cli_runner().invoke(args=["exchange", "replay", "--region", "liaoning"])
    assert result.exit_code == 0 and "1 件" in result.output
    assert len(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "results")).all()) == 2
