"""Done when: a fresh database imports a province from files, accepts a rating for an imported unit, and the
feedback notice of the finished case reaches the test's HTTP gateway exactly once after two injected failures."""

from flask import current_app
from sqlalchemy import select

from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.directory.operations import import_rows
from casemgmt.directory.parsers import read_rows
from casemgmt.directory.queries import get_region
from casemgmt.models import OutboxMessage, OutboxState
from casemgmt.notices.relay import RelaySettings
from casemgmt.rules import seed
from tests.conftest import Api
from tests.notices.gateway import Gateway
from tests.web.flows import FORMS, callback, complete, only_task
from web.worker import run_outbox_once

ORGS = """机构编码,上级机构编码,机构类型,机构名称
ln,,province,辽宁省营商环境建设局
ln-as,ln,city,鞍山市营商环境建设局
ln-as-hall,ln-as,hall,鞍山市政务服务中心
ln-as-scjg,ln-as-hall,department,鞍山市市场监督管理局窗口
"""
ITEMS = "事项编码,事项名称,实施机构编码\nAS-0001,食品经营许可,ln-as-scjg\n"
USERS = """用户名,姓名,所属机构编码,角色,手机号
as-officer,刘洋,ln-as-scjg,officer,13900000001
as-supervisor,陈静,ln-as,supervisor,13900000002
ln-platform,辽宁好差评平台,ln,channel,
"""


def _import_files() -> None:
    region, actor, now = get_region("liaoning"), Actor.system("installer"), current_app.config["CLOCK"]()
    for kind, text in (("orgs", ORGS), ("items", ITEMS), ("users", USERS)):
        plan = import_rows(region, kind, read_rows(kind, f"{kind}.csv", text.encode()), actor, now, confirm=True)
        assert not plan.errors, plan.errors
    db.session.commit()


def test_a_fresh_province_imports_rates_and_delivers_the_feedback_exactly_once(app, clock):
    seed.load_bundled(app.config["BPMN_ROOT"], app.config["FORMS_ROOT"], Actor.system("installer"), clock.now)
    db.session.commit()
    _import_files()
    api = Api(app)
    rating = {
        "region": "liaoning",
        "record_no": "AS-REC-1",
        "item_code": "AS-0001",
        "org_code": "ln-as-scjg",
        "channel": "window_device",
        "level": "very_dissatisfied",
        "reasons": ["办事效率低"],
        "comment": "排队太久",
        "evaluator": {"name": "张三", "phone": "13812341234", "real_name": True},
        "evaluated_at": "2025-09-26T10:00:00+08:00",
    }
    response = api.post("/api/v1/evaluations", "ln-platform", json=rating)
    assert response.status_code == 201, response.get_json()
    cid = response.get_json()["case_id"]
    complete(api, only_task(api, cid, "as-officer")["id"], "as-officer", callback("immediate_fix"))
    complete(api, only_task(api, cid, "as-officer")["id"], "as-officer", FORMS["immediate_fix"])
    complete(api, only_task(api, cid, "as-officer")["id"], "as-officer", FORMS["feedback"])
    assert api.get(f"/api/v1/cases/{cid}", "as-officer").get_json()["status"] == "closed"
    with Gateway(["500", "drop"]) as gateway:
        routes = {"liaoning": {"feedback": {"adapter": "sms_http", "url": gateway.url, "timeout": 0.5}}}
        settings = RelaySettings(routes=routes, backoff_seconds=10)
        for minutes in range(0, 60, 1):
            run_outbox_once(clock.now.replace(minute=minutes), settings, "relay-a")
            run_outbox_once(clock.now.replace(minute=minutes), settings, "relay-b")
    feedback = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "feedback"))
    assert (feedback.state, feedback.attempts) == (OutboxState.SENT, 3)
    assert gateway.seen == 3
    assert [(m["message_id"], m["phone"]) for m in gateway.accepted] == [(feedback.id, "13812341234")]
