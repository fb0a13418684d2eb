"""Calendar changes by administrators: preview lists the open deadlines a year import would move; applying
recomputes them and is audited; a region's admins change only their overlay, the nation only when named."""

import pytest
from sqlalchemy import select

from casemgmt.access.queries import get_user
from casemgmt.actor import Actor
from casemgmt.calendar import changes as calendar_changes
from casemgmt.db import db
from casemgmt.models import AuditEvent, CalendarYear, HumanTask, Region
from tests.admin.edits import url, use_national_rules
from tests.web.flows import only_task


@pytest.fixture(autouse=True)
def national(api) -> dict:
    """The region runs the national template, so these tests do not depend on its own pack."""
    return use_national_rules(api)


CLOSED_MONDAY = {
    "scope": "liaoning",
    "year": 2025,
    "days": [{"day": "2025-09-29", "kind": "closed", "name": "系统升级停止办公"}],
    "note": "停办一天",
}


def test_a_preview_lists_the_deadlines_that_would_move_and_changes_nothing(api, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    case = api.bad_review()
    assert only_task(api, case["case_id"], "ln-officer")["due_date"] == "2025-09-30"
    response = api.post(url("liaoning", "/calendar/preview"), "ln-admin", json=CLOSED_MONDAY)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["days_added"] == [{"day": "2025-09-29", "kind": "closed", "name": "系统升级停止办公"}]
    moved = {(d["case_no"], d["kind"], d["element_id"]) for d in body["deadlines"]}
    assert moved == {(case["case_no"], "task", "Task_Callback"), (case["case_no"], "timer", "Timer_CallbackOverdue")}
    assert only_task(api, case["case_id"], "ln-officer")["due_date"] == "2025-09-30"
    overview = api.get(url("liaoning", "/calendar?year=2025"), "ln-admin").get_json()
    assert overview["scopes"]["liaoning"]["versions"] == []
    assert overview["editable_scopes"] == ["liaoning", "org:ln-dl-hall", "org:ln-sy-hall"]


def test_a_preview_inside_the_callers_transaction_keeps_its_pending_change_and_shows_no_previewed_deadline(api, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    case = api.bad_review()
    row = db.session.scalars(select(HumanTask).where(HumanTask.case_id == case["case_id"])).one()
    due_at, region = row.due_at, row.case.region
    region.name = "辽宁（改名）"  # the caller's own change, still pending
    actor = Actor.of(get_user("ln-admin"), "admin")
    preview = calendar_changes.preview_calendar_change(
        region, "liaoning", 2025, CLOSED_MONDAY["days"], actor, clock(), ()
    )
    assert ("task", "Task_Callback") in {(d["kind"], d["element_id"]) for d in preview["deadlines"]}
    assert row.due_at == due_at and region.name == "辽宁（改名）"
    assert db.session.scalars(select(CalendarYear).where(CalendarYear.scope == "liaoning")).all() == []
    region_id, row_id = region.id, row.id
    db.session.commit()
    db.session.remove()
    assert db.session.get(Region, region_id).name == "辽宁（改名）"
    assert db.session.get(HumanTask, row_id).due_at == due_at


def test_applying_recomputes_the_deadlines_and_audits_the_change(api, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    case = api.bad_review()
    response = api.post(url("liaoning", "/calendar"), "ln-admin", json=CLOSED_MONDAY)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["version"] == 1 and response.get_json()["deadlines_moved"] == 2
    # 09-28 (make-up Sunday), 09-30, then the National Day holiday until 10-08: the third working day is 10-09.
    assert only_task(api, case["case_id"], "ln-officer")["due_date"] == "2025-10-09"
    event = db.session.query(AuditEvent).filter_by(kind="calendar_changed").one()
    assert (event.actor, event.payload["scope"], event.payload["note"]) == ("ln-admin", "liaoning", "停办一天")
    assert db.session.query(AuditEvent).filter_by(case_id=case["case_id"], kind="deadlines_recomputed").count() == 1
    overview = api.get(url("liaoning", "/calendar?year=2025"), "ln-admin").get_json()
    assert overview["scopes"]["liaoning"]["days"] == CLOSED_MONDAY["days"]


def test_region_admins_change_only_their_overlay_and_the_nation_only_when_named(api, clock):
    national = {"scope": "national", "year": 2027, "days": [{"day": "2027-01-01", "kind": "holiday", "name": "元旦"}]}
    assert api.post(url("liaoning", "/calendar/preview"), "ln-admin", json=national).status_code == 403
    other = {**CLOSED_MONDAY, "scope": "sanming"}
    assert api.post(url("liaoning", "/calendar"), "ln-admin", json=other).status_code == 403
    assert api.post(url("liaoning", "/calendar"), "ln-officer", json=CLOSED_MONDAY).status_code == 403
    assert api.post(url("liaoning", "/calendar"), "sm-admin", json=CLOSED_MONDAY).status_code == 404
    api.app.config["NATIONAL_ADMIN_REGIONS"] = ("liaoning",)
    sanming_case = api.bad_review("sanming", evaluated_at="2026-12-24T09:00:00+08:00")
    assert sanming_case["case_id"]
    response = api.post(url("liaoning", "/calendar/preview"), "ln-admin", json=national)
    assert response.status_code == 200, response.get_json()
    scopes = api.get(url("liaoning", "/calendar"), "ln-admin").get_json()["editable_scopes"]
    assert scopes == ["national", "liaoning", "org:ln-dl-hall", "org:ln-sy-hall"]


def test_a_notice_can_be_pasted_and_bad_days_are_named(api):
    notice = {"scope": "liaoning", "year": 2025, "notice": "2025-10-10 地方停办"}
    body = api.post(url("liaoning", "/calendar/preview"), "ln-admin", json=notice).get_json()
    assert body["days_added"] == [{"day": "2025-10-10", "kind": "holiday", "name": "地方停办"}]
    bad = {"scope": "liaoning", "year": 2025, "days": [{"day": "2026-01-01", "kind": "weekend"}]}
    response = api.post(url("liaoning", "/calendar/preview"), "ln-admin", json=bad)
    assert response.status_code == 400
    assert set(response.get_json()["details"]) == {"days[0].day", "days[0].kind"}
    both = api.post(url("liaoning", "/calendar/preview"), "ln-admin", json={**bad, "notice": "x"})
    assert both.status_code == 400


def test_the_national_admin_regions_come_from_the_environment(monkeypatch):
    from config import Config

    monkeypatch.setenv("NATIONAL_ADMIN_REGIONS", "nea, liaoning")
    assert Config.from_env()["NATIONAL_ADMIN_REGIONS"] == ("nea", "liaoning")
    monkeypatch.delenv("NATIONAL_ADMIN_REGIONS")
    assert Config.from_env()["NATIONAL_ADMIN_REGIONS"] == ()


def test_a_hall_closure_moves_the_deadlines_of_cases_handled_in_that_hall_only(api, clock):
    """A hall (政务服务中心) may close a day of its own: its cases' deadlines move, other halls' do not."""
    clock.set("2025-09-26T10:00:00+08:00")
    shenyang = api.bad_review()
    dalian = api.bad_review(org_code="ln-dl-hall", record_no="DL-1")
    closure = {
        "scope": "org:ln-sy-hall",
        "year": 2025,
        "note": "大厅改造",
        "days": [{"day": "2025-09-29", "kind": "closed", "name": "大厅改造停止办公"}],
    }
    preview = api.post(url("liaoning", "/calendar/preview"), "ln-admin", json=closure).get_json()
    assert {d["case_no"] for d in preview["deadlines"]} == {shenyang["case_no"]}
    assert api.post(url("liaoning", "/calendar"), "ln-admin", json=closure).status_code == 201
    assert only_task(api, shenyang["case_id"], "ln-officer")["due_date"] == "2025-10-09"
    dalian_task = api.get(f"/api/v1/cases/{dalian['case_id']}", "ln-auditor").get_json()["open_tasks"][0]
    assert dalian_task["due_date"] == "2025-09-30"
    response = api.post(url("liaoning", "/calendar"), "ln-admin", json={**closure, "scope": "org:sm-hall"})
    assert response.status_code == 403
