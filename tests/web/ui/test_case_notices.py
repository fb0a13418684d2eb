"""The case page lists each notice with its delivery state (phone masked); an administrator retries a dead one."""

from sqlalchemy import select

from casemgmt.db import db
from casemgmt.models import AuditEvent, Case, OutboxState
from casemgmt.notices.operations import queue_message


def test_the_case_page_shows_notice_states_and_an_admin_retries_an_undeliverable_one(api, ui, clock):
    case = db.session.get(Case, api.bad_review()["case_id"])
    message = queue_message(case, "sms", "13812341234", "已办理", clock.now, kind="feedback")
    message.state, message.attempts, message.last_error = OutboxState.DEAD, 5, "对方返回 HTTP 500"
    db.session.commit()
    mid, cid = message.id, case.id
    officer_page = ui("ln-officer").get(f"/cases/{cid}").text
    assert "通知" in officer_page and "无法送达" in officer_page and "待发送" in officer_page
    assert "138****1234" in officer_page and "13812341234" not in officer_page
    assert f"/notices/{mid}/retry" not in officer_page
    admin = ui("ln-admin")
    assert f"/notices/{mid}/retry" in admin.get(f"/cases/{cid}").text
    response = admin.post(f"/cases/{cid}/notices/{mid}/retry")
    assert response.status_code == 302
    assert "该通知将重新发送" in admin.get(f"/cases/{cid}").text
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "notice_retried")).actor == "ln-admin"
    assert ui("ln-officer").post(f"/cases/{cid}/notices/{mid}/retry").status_code == 403
