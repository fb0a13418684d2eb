"""Publishing: a coordinator publishes a frozen report; its figures and file hashes are in the audit log."""

from __future__ import annotations

import hashlib
import io
import random
from datetime import UTC, datetime

from openpyxl import load_workbook
from sqlalchemy import select

from casemgmt.db import db
from casemgmt.models import AuditEvent, StatReport, User
from tests.stats.test_rollups import _random_history
from web.worker import publish_due_reports


def _history() -> None:
    channel = db.session.scalar(select(User).where(User.username == "ln-channel"))
    _random_history(random.Random(5), channel)
    db.session.commit()
    db.session.remove()


def test_a_coordinator_publishes_a_frozen_report(api, clock):
    _history()
    published = api.post("/api/v1/stats/reports", "ln-coordinator", json={"kind": "quarterly", "period": "2025Q3"})
    assert published.status_code == 201, published.get_json()
    body = published.get_json()
    xlsx = api.get(f"/api/v1/stats/reports/{body['id']}/xlsx", "ln-auditor")
    assert hashlib.sha256(xlsx.get_data()).hexdigest() == body["xlsx_sha256"]
    book = load_workbook(io.BytesIO(xlsx.get_data()))
    assert book.sheetnames == ["总体情况", "各单位情况", "热点", "重复差评"]
    assert book["各单位情况"]["C1"].value == "评价总数"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "stats_report_published"))
    assert event.payload["xlsx_sha256"] == body["xlsx_sha256"] and event.payload["pdf_sha256"] == body["pdf_sha256"]
    overview = api.get("/api/v1/stats/overview?period=2025Q3", "ln-coordinator").get_json()
    assert event.payload["totals"] == overview["totals"]
    if body["pdf_sha256"]:
        pdf = api.get(f"/api/v1/stats/reports/{body['id']}/pdf", "ln-auditor").get_data()
        assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == body["pdf_sha256"]


def test_only_coordinators_publish_and_other_regions_do_not_see(api, clock):
    _history()
    for user in ("ln-supervisor", "ln-auditor", "ln-officer"):
        answer = api.post("/api/v1/stats/reports", user, json={"kind": "notice", "period": "2025Q3"})
        assert answer.status_code == 403, user
    rid = api.post("/api/v1/stats/reports", "ln-coordinator", json={"kind": "notice", "period": "2025Q3"}).get_json()
    assert api.get(f"/api/v1/stats/reports/{rid['id']}/xlsx", "sm-coordinator").status_code == 404
    assert (
        api.post("/api/v1/stats/reports", "ln-coordinator", json={"kind": "x", "period": "2025Q3"}).status_code == 400
    )
    bad_period = {"kind": "notice", "period": "2025Q9"}
    assert api.post("/api/v1/stats/reports", "ln-coordinator", json=bad_period).status_code == 400


def test_the_worker_publishes_the_ended_quarter_once(seeded_app):
    now = datetime(2025, 10, 2, 1, 0, tzinfo=UTC)
    first = publish_due_reports(now)
    assert first == db.session.scalar(select(db.func.count()).select_from(StatReport)) > 0
    assert {r.period for r in db.session.scalars(select(StatReport))} == {"2025Q3"}
    assert publish_due_reports(now) == 0
