"""Province API: JSON directory import (preview, confirm), notice retry and pause, /healthz."""

from datetime import timedelta

from sqlalchemy import select

from casemgmt.db import db
from casemgmt.models import AuditEvent, Case, Organization, OutboxMessage, OutboxState
from casemgmt.notices.operations import queue_message
from web.worker import beat

ROWS = [
    {"code": "ln-fs", "name": "抚顺市营商环境建设局", "kind": "city", "parent_code": "ln"},
    {"code": "ln-fs-hall", "name": "抚顺市政务服务中心", "kind": "hall", "parent_code": "ln-fs"},
    {"code": "bad code", "name": "", "kind": "city", "parent_code": "ln"},
]


def test_a_json_import_previews_then_writes_only_when_confirmed(api):
    url = "/api/v1/admin/liaoning/directory/orgs"
    preview = api.post(url, "ln-admin", json={"rows": ROWS})
    body = preview.get_json()
    assert preview.status_code == 200 and body["written"] is False
    assert body["counts"]["new"] == 2 and body["errors"][0]["line"] == 3
    assert db.session.scalar(select(Organization).where(Organization.code == "ln-fs")) is None
    refused = api.post(url, "ln-admin", json={"rows": ROWS, "confirm": True})
    assert refused.status_code == 400 and "1 行有误" in refused.get_json()["message"]
    done = api.post(url, "ln-admin", json={"rows": ROWS[:2], "confirm": True})
    assert done.status_code == 200 and done.get_json()["written"] is True
    assert (
        db.session.scalar(select(Organization.path).where(Organization.code == "ln-fs-hall")) == "/ln/ln-fs/ln-fs-hall/"
    )
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "directory_imported")).actor == "ln-admin"


def test_only_the_regions_admin_may_import(api):
    url = "/api/v1/admin/liaoning/directory/items"
    assert api.post(url, "ln-officer", json={"rows": ROWS}).status_code == 403
    assert api.post(url, "sm-admin", json={"rows": ROWS}).status_code == 404


def test_an_admin_retries_a_dead_notice(api, clock):
    case = db.session.get(Case, api.bad_review()["case_id"])
    message = queue_message(case, "sms", "13800000000", "x", clock.now, kind="feedback")
    message.state, message.attempts = OutboxState.DEAD, 5
    db.session.commit()
    response = api.post(f"/api/v1/admin/liaoning/outbox/{message.id}/retry", "ln-admin")
    assert response.status_code == 200 and response.get_json()["state"] == "queued"
    assert api.post(f"/api/v1/admin/sanming/outbox/{message.id}/retry", "sm-admin").status_code == 404
    assert api.post(f"/api/v1/admin/liaoning/outbox/{message.id}/retry", "ln-officer").status_code == 403


def test_healthz_reports_database_worker_and_backlog(api, clock):
    case = db.session.get(Case, api.bad_review()["case_id"])
    assert api.client.get("/healthz").status_code == 503  # no worker has run yet
    beat("test-worker", clock.now)
    clock.set(clock.now + timedelta(minutes=2))
    body = api.client.get("/healthz").get_json()
    assert body["ok"] is True and body["worker"]["age_seconds"] == 120
    queued = db.session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == case.id)).all()
    assert body["outbox"]["undelivered"] == len(queued) >= 1
    assert body["outbox"]["oldest_undelivered_seconds"] >= 120


def test_an_admin_cannot_grant_or_change_administrators_through_the_api(api):
    url = "/api/v1/admin/liaoning/directory/users"
    rows = [
        {"username": "ln-admin2", "display_name": "新管理员", "org_code": "ln", "roles": "admin"},
        {"username": "ln-admin", "display_name": "周磊", "org_code": "ln", "roles": "officer"},
        {"username": "ln-new", "display_name": "新办理人员", "org_code": "ln-sy-scjg", "roles": "officer"},
    ]
    body = api.post(url, "ln-admin", json={"rows": rows}).get_json()
    assert [e["line"] for e in body["errors"]] == [1, 2] and "flask users" in body["errors"][0]["reason"]
    assert [r["username"] for r in body["new"]] == ["ln-new"]
