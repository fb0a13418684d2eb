"""Personal data kept only as long as needed: a closed case loses the evaluator's name and phone after the
region's retention period (Liaoning: 365 days), audited; the case stays whole; consent is shown on the case."""

from __future__ import annotations

from sqlalchemy import select

from casemgmt.db import db
from casemgmt.models import AuditEvent, Case
from tests.regions.helpers import FORMS, callback, do


def _closed(api, clock, region: str = "liaoning") -> int:
    clock.set("2025-09-26T10:00:00+08:00")
    prefix = {"liaoning": "ln", "sanming": "sm"}[region]
    case_id = api.bad_review(region, record_no=f"{prefix.upper()}-KEEP")["case_id"]
    do(api, case_id, f"{prefix}-officer", "Task_Callback", callback("immediate_fix"))
    do(api, case_id, f"{prefix}-officer", "Task_ImmediateFix", FORMS["immediate_fix"])
    do(api, case_id, f"{prefix}-officer", "Task_Feedback", FORMS["feedback"])
    assert (
        api.get(f"/api/v1/cases/{case_id}", "ln-auditor" if region == "liaoning" else "sm-auditor").get_json()["status"]
        == "closed"
    )
    return case_id


def _erase(api, at: str) -> str:
    result = api.app.test_cli_runner().invoke(args=["rate", "erase-personal-data", "--now", at])
    assert result.exit_code == 0, result.output
    db.session.remove()
    return result.output.strip()


def test_name_and_phone_are_erased_from_a_closed_case_after_the_retention_period(api, clock, ui):
    case_id = _closed(api, clock)
    assert _erase(api, "2026-09-25T10:00:00+08:00") == "已删除 0 件工单的评价人姓名和电话"
    assert _erase(api, "2026-09-27T10:00:00+08:00") == "已删除 1 件工单的评价人姓名和电话"
    case = db.session.get(Case, case_id)
    ev = case.evaluation
    assert (ev.evaluator_name, ev.evaluator_phone, case.status) == ("", "", "closed")
    assert ev.comment == "等了两个小时" and ev.level == "very_dissatisfied"  # the case otherwise intact
    kinds = [e.kind for e in db.session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id))]
    assert kinds[-1] == "evaluator_pii_erased"
    db.session.remove()
    shown = api.get(f"/api/v1/cases/{case_id}?reveal_reason=核对", "ln-coordinator").get_json()
    assert shown["evaluation"]["evaluator"]["phone"] == "" and shown["evaluation"]["evaluator"]["erased_at"]
    page = ui("ln-auditor").get(f"/cases/{case_id}").text
    assert "保存期满，评价人姓名和电话已删除" in page
    assert _erase(api, "2026-12-01T10:00:00+08:00") == "已删除 0 件工单的评价人姓名和电话"


def test_a_region_without_a_retention_period_keeps_the_identity(api, clock):
    case_id = _closed(api, clock, "sanming")
    assert _erase(api, "2030-01-01T00:00:00+08:00") == "已删除 0 件工单的评价人姓名和电话"
    assert db.session.get(Case, case_id).evaluation.evaluator_phone == "13812341234"
    db.session.remove()


def test_the_consent_line_given_on_the_rating_page_is_shown_on_the_case(api, client, ui):
    from tests.web.ui.test_rating_page import _post

    answer = _post(
        client,
        "/rate/liaoning/ln-sy-scjg",
        item_code="LN-0001",
        record_no="LN-CONSENT",
        level="very_dissatisfied",
        comment="态度差",
        name="赵六",
        phone="13600001111",
        consent="yes",
    )
    assert answer.status_code == 303
    case_id = db.session.scalar(select(Case.id).order_by(Case.id.desc()))
    db.session.remove()
    page = ui("ln-auditor").get(f"/cases/{case_id}").text
    assert "本人同意将上述姓名和电话用于核实、回访本次评价" in page


def test_the_timer_worker_erases_expired_personal_data_without_anyone_running_the_command(api, clock):
    """The retention period is kept by the worker (`flask timers run` and the embedded thread), not by hand."""
    case_id = _closed(api, clock)
    runner = api.app.test_cli_runner()
    result = runner.invoke(args=["timers", "run", "--once", "--now", "2026-09-25T10:00:00+08:00"])
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert db.session.get(Case, case_id).evaluation.evaluator_phone == "13812341234"
    db.session.remove()
    result = runner.invoke(args=["timers", "run", "--once", "--now", "2026-09-27T11:00:00+08:00"])
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert db.session.get(Case, case_id).evaluation.evaluator_phone == ""
    db.session.remove()
