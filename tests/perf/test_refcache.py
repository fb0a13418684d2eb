"""The per-process reference cache: edits through this process are seen at once, other processes' after a TTL."""

from __future__ import annotations

from sqlalchemy import create_engine, select

from casemgmt import refcache
from casemgmt.db import db
from casemgmt.models import Organization


def _org(code: str) -> Organization:
    return db.session.scalar(select(Organization).where(Organization.code == code))


def test_an_org_deactivated_through_this_process_is_refused_at_once(api) -> None:
    api.bad_review(external_id="warm")
    _org("ln-sy-scjg").is_active = False
    db.session.commit()
    response = api.post("/api/v1/evaluations", "ln-channel", json=api.evaluation(external_id="after"))
    assert response.status_code == 400, response.get_json()
    assert "org_code" in response.get_json()["details"]


def test_a_rolled_back_edit_leaves_no_trace_in_the_cache(api) -> None:
    api.bad_review(external_id="warm")
    org = _org("ln-sy-scjg")
    org_id, org.name = org.id, "临时名称"
    db.session.flush()
    assert refcache.org(org_id).name == "临时名称"  # this transaction sees its own edit
    db.session.rollback()
    db.session.remove()
    assert refcache.org(org_id).name != "临时名称"


def test_another_process_edit_is_seen_after_the_ttl(api, monkeypatch) -> None:
    api.bad_review(external_id="warm")
    org_id = _org("ln-sy-scjg").id
    db.session.remove()
    name = refcache.org(org_id).name
    db.session.remove()
    other = create_engine(db.engine.url).raw_connection()  # like another process: no engine event sees it
    try:
        cursor = other.cursor()
        cursor.execute(f"UPDATE organizations SET name = 'renamed elsewhere' WHERE id = {int(org_id)}")
        other.commit()
    finally:
        other.close()
    assert refcache.org(org_id).name == name
    db.session.remove()
    monkeypatch.setattr(refcache, "TTL_SECONDS", 0.0)
    assert refcache.org(org_id).name == "renamed elsewhere"
