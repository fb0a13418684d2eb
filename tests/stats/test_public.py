"""The public page: no sign-in, no personal data or free text, cached, with the published reports."""

from __future__ import annotations

import random

from sqlalchemy import select

from casemgmt.db import db
from casemgmt.models import Evaluation, User
from tests.stats.test_rollups import _random_history


def test_the_public_page_shows_counts_without_personal_data(api, clock):
    channel = db.session.scalar(select(User).where(User.username == "ln-channel"))
    _random_history(random.Random(6), channel)
    for ev in db.session.scalars(select(Evaluation).limit(5)):
        ev.comment = "评价人的原话不得公开"
    db.session.commit()
    api.post("/api/v1/stats/reports", "ln-coordinator", json={"kind": "annual", "period": "2025"})
    client = api.app.test_client()
    page = client.get("/public/stats/liaoning?period=2025")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "public, max-age=300"
    text = page.get_data(as_text=True)
    assert "辽宁" in text and "13812341234" not in text and "张三" not in text and "评价人的原话" not in text
    assert "好差评年度报告" in text
    rid = db.session.execute(db.text("SELECT id FROM stat_reports")).scalar()
    assert client.get(f"/public/reports/{rid}/xlsx").status_code == 200
    assert client.get("/public/stats/nowhere").status_code == 404
    assert client.get("/public/stats/liaoning?period=bad").status_code == 400
