"""Internal notices have a route: the 通知 list of the staff of the addressed unit (and the units above it), or of
the addressed person; each user marks them read (audited); the relay never claims them, so none ends dead."""

from sqlalchemy import select

from casemgmt.db import db
from casemgmt.models import AuditEvent, Case, NoticeRead, OutboxMessage, OutboxState
from casemgmt.notices import relay
from casemgmt.notices.operations import queue_message
from web.worker import run_outbox_once


def _assigned(case_id: int) -> OutboxMessage:
    stmt = select(OutboxMessage).where(OutboxMessage.case_id == case_id, OutboxMessage.kind == "assigned")
    return db.session.scalar(stmt)


def test_a_units_notice_shows_in_its_staffs_list_with_a_count_and_each_marks_it_read(api, ui, clock):
    case_id = api.bad_review()["case_id"]
    message = _assigned(case_id)
    assert (message.channel, message.recipient, message.state) == ("internal", "ln-sy-scjg", OutboxState.QUEUED)
    case_no, message_id = message.case.case_no, message.id

    officer = ui("ln-officer")
    assert f'data-notice-id="{message_id}"' in officer.get("/notices").text  # in the list before any relay runs
    run_outbox_once(clock.now, relay.RelaySettings(routes={}), "relay-a")  # no route names internal notices
    db.session.remove()
    delivered = db.session.get(OutboxMessage, message_id)
    assert (delivered.state, delivered.sent_at, delivered.last_error) == (OutboxState.SENT, clock.now, None)
    inbox = officer.get("/inbox").text
    assert 'id="nav-notices"' in inbox and '<span class="badge" aria-label="1 条未读">1</span>' in inbox
    page = officer.get("/notices").text
    assert f'data-notice-id="{message_id}"' in page and case_no in page and "新分派工单" in page
    assert "1 条未读" in page and 'class="notice unread"' in page
    assert officer.post(f"/notices/{message_id}/read").status_code == 302
    page = officer.get("/notices").text
    assert 'class="notice read"' in page and "条未读" not in page
    assert 'class="badge"' not in officer.get("/inbox").text
    assert f'data-notice-id="{message_id}"' not in officer.get("/notices?unread=1").text
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "notices_read"))
    assert event.actor == "ln-officer" and event.payload == {"messages": [message_id]}
    assert officer.post(f"/notices/{message_id}/read").status_code == 302  # again: nothing new, no new event
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "notices_read")).all()) == 1

    supervisor = ui("ln-supervisor")  # ln-sy, above the unit: sees it, still unread for them
    assert 'class="notice unread"' in supervisor.get("/notices").text
    assert db.session.query(NoticeRead).count() == 1


def test_staff_see_only_their_units_and_their_own_notices(api, ui, clock):
    dalian = api.bad_review(record_no="DL-1", org_code="ln-dl-hall")["case_id"]
    elsewhere = _assigned(dalian).id
    sanming = _assigned(api.bad_review("sanming", record_no="SM-1")["case_id"]).id
    case = db.session.get(Case, api.bad_review(record_no="SY-2")["case_id"])
    personal = queue_message(case, "internal", "ln-officer2", "请李娜今天回访评价人。", clock.now, kind="notice").id
    db.session.commit()

    officer = ui("ln-officer")
    page = officer.get("/notices").text
    assert f'data-notice-id="{elsewhere}"' not in page and f'data-notice-id="{sanming}"' not in page
    assert f'data-notice-id="{personal}"' not in page  # addressed to a colleague by name
    assert officer.post(f"/notices/{elsewhere}/read").status_code == 403
    assert officer.post(f"/notices/{sanming}/read").status_code == 404
    assert officer.post(f"/notices/{personal}/read").status_code == 403
    colleague = ui("ln-officer2")
    assert "请李娜今天回访评价人。" in colleague.get("/notices").text
    assert colleague.post(f"/notices/{personal}/read").status_code == 302
    coordinator = ui("ln-coordinator")  # the province: every unit of the region
    page = coordinator.get("/notices").text
    assert f'data-notice-id="{elsewhere}"' in page and f'data-notice-id="{sanming}"' not in page
    assert ui("sm-officer").post(f"/notices/{elsewhere}/read").status_code == 404


def test_mark_all_shown_read(api, ui, clock):
    ids = [_assigned(api.bad_review(record_no=f"SY-{n}")["case_id"]).id for n in range(3)]
    officer = ui("ln-officer")
    assert "3 条未读" in officer.get("/notices").text
    done = officer.post("/notices/read", {"ids": [str(i) for i in ids]})
    assert done.status_code == 302
    page = officer.get("/notices").text
    assert "已将 3 条通知标为已读。" in page and "条未读" not in page
    assert "没有未读通知。" in officer.get("/notices?unread=1").text


def test_a_route_for_internal_notices_still_sends_them_and_they_stay_in_the_list(api, ui, clock):
    message_id = _assigned(api.bad_review()["case_id"]).id
    routes = {"liaoning": {"internal": {"adapter": "sms_http", "url": "http://127.0.0.1:9/closed", "timeout": 0.2}}}
    run_outbox_once(clock.now, relay.RelaySettings(routes=routes), "relay-a")
    db.session.remove()
    message = db.session.get(OutboxMessage, message_id)
    assert message.state == OutboxState.FAILED and "无法送达" in message.last_error  # the configured route is used
    assert f'data-notice-id="{message_id}"' in ui("ln-officer").get("/notices").text
