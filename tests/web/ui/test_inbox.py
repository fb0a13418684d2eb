"""The inbox page: views, what each row shows, lamps on working days, filters, keyset pages, claim and release."""

from datetime import UTC, date, datetime

from sqlalchemy import select

from casemgmt.calendar import end_of_day, load_calendar
from casemgmt.cases.inbox import lamp
from casemgmt.db import db
from casemgmt.models import AuditEvent, HumanTask
from tests.web.flows import callback, complete, only_task


def _rows(page: str) -> int:
    return page.count('<tr class="row-')


def test_the_units_inbox_shows_case_item_rating_reason_task_and_due_date_with_its_lamp(api, ui):
    case = api.bad_review("sanming", record_no="SM-REC-7")  # Sanming: callback in 3 working days
    page = ui("sm-officer").get("/inbox").text
    assert case["case_no"] in page and "SM-REC-7" in page
    assert "个体工商户登记" in page  # the service item's name
    assert "非常不满意" in page and "办事效率低" in page  # Sanming's label of the level, the reason
    assert "回访核实" in page and "2025-09-30" in page and "lamp-green" in page
    assert "未认领" in page and "认领" in page


def test_lamps_count_working_days_yellow_within_one_red_when_overdue(seeded_app):
    cal = load_calendar("liaoning")

    def color(due: date, now: str) -> str:
        task = HumanTask(status="open", due_date=due, due_at=end_of_day(due))
        return lamp(task, datetime.fromisoformat(now), cal)

    assert color(date(2025, 9, 30), "2025-09-26T10:00:00+08:00") == "green"
    assert color(date(2025, 9, 30), "2025-09-29T10:00:00+08:00") == "yellow"
    assert color(date(2025, 9, 28), "2025-09-26T10:00:00+08:00") == "yellow"  # Sunday 09-28 is a make-up day
    assert color(date(2025, 10, 9), "2025-09-30T10:00:00+08:00") == "yellow"  # 10-01..10-08 are holidays
    assert color(date(2025, 10, 10), "2025-09-30T10:00:00+08:00") == "green"
    assert color(date(2025, 9, 30), "2025-10-01T00:00:01+08:00") == "red"
    assert lamp(HumanTask(status="completed", due_at=end_of_day(date(2025, 9, 30))), datetime.now(UTC), cal) == "none"


def test_tasks_are_sorted_by_due_time_and_overdue_ones_have_their_own_view(api, ui, clock):
    clock.set("2025-09-24T02:00:00+00:00")
    older = api.bad_review(record_no="OLD")
    clock.set("2025-09-26T02:00:00+00:00")
    newer = api.bad_review(record_no="NEW")
    officer = ui("ln-officer")
    page = officer.get("/inbox").text
    assert page.index(older["case_no"]) < page.index(newer["case_no"])
    clock.set("2025-09-26T03:00:00+00:00")  # older's callback was due at the end of Thu 09-25 (Liaoning: 1 day)
    overdue = officer.get("/inbox?view=overdue").text
    assert older["case_no"] in overdue and newer["case_no"] not in overdue and "lamp-red" in overdue


def test_a_record_or_case_number_finds_the_task_and_filters_narrow_the_list(api, ui):
    first = api.bad_review(record_no="LN-A-1")
    second = api.bad_review(record_no="LN-B-2", item_code="LN-0002")
    officer = ui("ln-officer")
    by_record = officer.get("/inbox?q=LN-B-2").text
    assert second["case_no"] in by_record and first["case_no"] not in by_record
    by_case = officer.get(f"/inbox?q={first['case_no']}").text
    assert first["case_no"] in by_case and second["case_no"] not in by_case
    by_item = officer.get("/inbox?item=LN-0002").text
    assert second["case_no"] in by_item and first["case_no"] not in by_item
    assert _rows(officer.get("/inbox?form_key=feedback").text) == 0
    assert _rows(officer.get("/inbox?form_key=callback_verification").text) == 2


def test_pages_follow_a_keyset_cursor_without_gaps_or_repeats(api, ui):
    made = [api.bad_review(record_no=f"P-{i:02d}")["case_no"] for i in range(27)]
    officer = ui("ln-officer")
    first = officer.get("/inbox").text
    assert _rows(first) == 25 and 'rel="next"' in first
    after = first.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = officer.get(after).text
    assert _rows(second) == 2 and 'rel="next"' not in second
    assert [n for n in made if n in first] == made[:25] and [n for n in made if n in second] == made[25:]
    assert officer.get("/inbox?after=garbage").status_code == 400


def test_claiming_moves_the_task_to_my_tasks_releasing_gives_it_back_both_audited(api, ui):
    case = api.bad_review()
    task = only_task(api, case["case_id"], "ln-officer")
    officer, colleague = ui("ln-officer"), ui("ln-officer2")
    assert case["case_no"] not in officer.get("/inbox?view=mine").text
    claimed = officer.post(f"/tasks/{task['id']}/claim")
    assert claimed.status_code == 302 and claimed.headers["Location"] == f"/tasks/{task['id']}"
    assert case["case_no"] in officer.get("/inbox?view=mine").text
    assert case["case_no"] not in colleague.get("/inbox").text  # someone else's claim is not claimable
    assert colleague.post(f"/tasks/{task['id']}/claim").status_code == 409
    assert officer.post(f"/tasks/{task['id']}/release", {"reason": "外出"}).status_code == 302
    assert case["case_no"] in colleague.get("/inbox").text
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.case_id == case["case_id"])).all()
    assert [(e.kind, e.actor) for e in events if e.kind in ("task_claimed", "task_released")] == [
        ("task_claimed", "ln-officer"),
        ("task_released", "ln-officer"),
    ]


def test_done_by_me_lists_completed_tasks_newest_first(api, ui, clock):
    first, second = api.bad_review(record_no="D1"), api.bad_review(record_no="D2")
    for case in (first, second):
        complete(api, only_task(api, case["case_id"], "ln-officer")["id"], "ln-officer", callback("explanation"))
        clock.set("2025-09-26T03:00:00+00:00")
    done = ui("ln-officer").get("/inbox?view=done").text
    assert _rows(done) == 2 and done.index(second["case_no"]) < done.index(first["case_no"])
    assert _rows(ui("ln-officer2").get("/inbox?view=done").text) == 0


def test_supervisors_see_their_units_tasks_in_the_team_view_officers_do_not(api, ui):
    case = api.bad_review()
    supervisor = ui("ln-supervisor")
    assert "下辖单位任务" in supervisor.get("/inbox").text
    assert case["case_no"] in supervisor.get("/inbox?view=team").text
    assert case["case_no"] not in supervisor.get("/inbox?view=my_roles").text
    officer = ui("ln-officer")
    assert "下辖单位任务" not in officer.get("/inbox").text
    assert officer.get("/inbox?view=team").status_code == 403
    assert officer.get("/inbox?view=everything").status_code == 400


def test_a_due_date_in_a_year_without_a_calendar_is_marked_provisional(api, ui, clock):
    clock.set("2026-12-31T02:00:00+00:00")  # Liaoning's one working day reaches 2027, not loaded yet
    case = api.bad_review(evaluated_at="2026-12-31T09:00:00+08:00")
    page = ui("ln-officer").get("/inbox").text
    assert case["case_no"] in page and "暂定" in page


def test_another_regions_officer_sees_none_of_it(api, ui):
    case = api.bad_review()
    page = ui("sm-officer").get("/inbox").text
    assert case["case_no"] not in page and _rows(page) == 0
