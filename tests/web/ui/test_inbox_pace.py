"""An inbox that keeps pace: working days left, counts, sorting, suffix and phone-tail search, batch claim,
取消认领, the next task claimed for whoever completed the previous one, and a 409 that keeps the typed form."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from casemgmt.access.queries import get_user
from casemgmt.cases.inbox import InboxFilter, inbox_page
from casemgmt.db import db
from casemgmt.models import AuditEvent, Evaluation, HumanTask
from tests.web.flows import only_task


def _rows(page: str) -> int:
    return page.count('<tr class="row-')


def test_rows_say_how_many_working_days_are_left_or_overdue_on_the_region_calendar(api, ui, clock):
    clock.set("2025-09-26T10:00:00+08:00")  # Sanming: the callback is due Tue 09-30 (Sun 09-28 is a make-up day)
    api.bad_review("sanming")
    officer = ui("sm-officer")
    assert "剩余 3 个工作日" in officer.get("/inbox").text
    clock.set("2025-09-30T10:00:00+08:00")
    assert "今日到期" in officer.get("/inbox").text
    clock.set("2025-10-10T10:00:00+08:00")  # 10-01..10-08 are holidays: 10-09 and 10-10 are late
    page = officer.get("/inbox").text
    assert "超期 2 个工作日" in page and "剩余" not in page


def test_tabs_show_counts_of_their_views(api, ui):
    first = api.bad_review(record_no="CNT-1")
    api.bad_review(record_no="CNT-2")
    officer = ui("ln-officer")
    officer.post(f"/tasks/{only_task(api, first['case_id'], 'ln-officer')['id']}/claim")
    page = officer.get("/inbox").text
    assert 'data-view="my_roles">2<' in page and 'data-view="mine">1<' in page and 'data-view="done">0<' in page


def test_search_matches_the_end_of_a_case_or_record_number_and_the_phones_last_four_digits(api, ui):
    first = api.bad_review(record_no="LN-2025-000123", evaluator={"name": "张三", "phone": "13812345678"})
    second = api.bad_review(record_no="LN-2025-000456", evaluator={"name": "李四", "phone": "13900001111"})
    officer = ui("ln-officer")
    by_record = officer.get("/inbox?q=0123").text
    assert first["case_no"] in by_record and second["case_no"] not in by_record
    by_case = officer.get(f"/inbox?q={second['case_no'][-5:]}").text
    assert second["case_no"] in by_case and first["case_no"] not in by_case
    by_phone = officer.get("/inbox?q=1111").text
    assert second["case_no"] in by_phone and first["case_no"] not in by_phone
    assert _rows(officer.get("/inbox?q=5678").text) == 1
    assert "13900001111" not in by_phone  # the number itself is never shown
    tails = dict(db.session.execute(select(Evaluation.record_no, Evaluation.evaluator_phone_tail)).all())
    assert tails == {"LN-2025-000123": "5678", "LN-2025-000456": "1111"}
    assert _rows(officer.get("/inbox?q=%25").text) == 0  # a LIKE wildcard is a plain character
    assert _rows(ui("sm-officer").get("/inbox?q=1111").text) == 0  # another region's task stays out


def test_columns_sort_both_ways_and_keyset_pages_follow_the_chosen_order(api, ui, clock, seeded_app):
    made = []
    for day in (22, 23, 24, 25, 26):
        clock.set(f"2025-09-{day}T10:00:00+08:00")
        made.append(api.bad_review(record_no=f"SORT-{day}")["case_no"])
    officer = ui("ln-officer")
    ascending, descending = officer.get("/inbox?sort=due").text, officer.get("/inbox?sort=-due").text
    assert [n for n in sorted(made, key=ascending.index)] == made
    assert [n for n in sorted(made, key=descending.index)] == made[::-1]
    assert 'aria-sort="descending"' in descending
    newest_first = officer.get("/inbox?sort=-created").text
    assert [n for n in sorted(made, key=newest_first.index)] == made[::-1]
    user, now = get_user("ln-officer"), datetime.fromisoformat("2025-09-26T12:00:00+08:00")
    for sort in ("due", "-due", "created", "-created"):
        seen, cursor = [], None
        while True:
            page = inbox_page(user, "my_roles", now, InboxFilter(), cursor=cursor, size=2, sort=sort)
            seen += [r.case.case_no for r in page.rows]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert seen == (made if not sort.startswith("-") else made[::-1]), sort


def test_batch_claim_takes_the_chosen_tasks_and_reports_those_it_could_not(api, ui):
    first, second = api.bad_review(record_no="B-1"), api.bad_review(record_no="B-2")
    foreign = api.bad_review("sanming", record_no="SM-B-3")
    ids = [only_task(api, c["case_id"], user)["id"] for c, user in ((first, "ln-officer"), (second, "ln-officer"))]
    other = only_task(api, foreign["case_id"], "sm-officer")["id"]
    colleague = ui("ln-officer2")
    colleague.post(f"/tasks/{ids[1]}/claim")
    officer = ui("ln-officer")
    page = officer.get("/inbox").text
    assert 'form="batch-claim"' in page and "认领所选" in page
    response = officer.post("/inbox/claim", {"task_id": [str(ids[0]), str(ids[1]), str(other)]})
    assert response.status_code == 302 and response.headers["Location"] == "/inbox?view=mine"
    assert db.session.get(HumanTask, ids[0]).assignee.username == "ln-officer"
    assert db.session.get(HumanTask, ids[1]).assignee.username == "ln-officer2"
    assert db.session.get(HumanTask, other).assignee_id is None
    flashes = officer.get("/inbox?view=mine").text
    assert "已认领 1 个任务" in flashes and "未能认领" in flashes and f"#{ids[1]}" in flashes
    auditor = ui("ln-auditor")
    auditor.post("/inbox/claim", {"task_id": [str(ids[0])]})
    assert db.session.get(HumanTask, ids[0]).assignee.username == "ln-officer"


def test_release_is_called_cancel_claim_and_the_next_task_is_claimed_for_whoever_completed_the_last(api, ui):
    case = api.bad_review("sanming")
    callback = only_task(api, case["case_id"], "sm-officer")
    officer = ui("sm-officer")
    officer.post(f"/tasks/{callback['id']}/claim")
    page = officer.get(f"/tasks/{callback['id']}").text
    assert "取消认领" in page and "退回" not in page
    assert "取消认领" in officer.get("/inbox?view=mine").text
    form = {
        "callback_result": "reached",
        "callback_at": "2025-09-26T15:00",
        "facts": "已核实",
        "outcome": "explanation",
        "action": "complete",
    }
    response = officer.post(f"/tasks/{callback['id']}", form)
    assert response.status_code == 302
    following = only_task(api, case["case_id"], "sm-officer")
    assert response.headers["Location"] == f"/tasks/{following['id']}"
    assert db.session.get(HumanTask, following["id"]).assignee.username == "sm-officer"
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "task_claimed")).all()
    assert [e.payload.get("automatic") for e in events] == [None, True]


def test_a_completion_someone_else_beat_comes_back_409_with_every_typed_value_and_what_changed(api, ui):
    case = api.bad_review()
    task = only_task(api, case["case_id"], "ln-officer")
    officer, colleague = ui("ln-officer"), ui("ln-officer2")
    officer.get(f"/tasks/{task['id']}")
    colleague.post(f"/tasks/{task['id']}/claim")
    typed = {"callback_result": "reached", "callback_at": "2025-09-26T15:00", "facts": "我已仔细核实的情况"}
    response = officer.post(f"/tasks/{task['id']}", {**typed, "outcome": "ledger", "action": "complete"})
    assert response.status_code == 409
    page = response.text
    assert "您填写的内容未能提交" in page and "已被" in page and "认领" in page
    assert "我已仔细核实的情况" in page and 'value="2025-09-26T15:00"' in page
    assert 'value="ledger" checked' in page and 'value="reached" checked' in page
    assert 'data-fresh="false"' in page and "disabled" in page
    draft = officer.post(f"/tasks/{task['id']}", {**typed, "action": "draft"})
    assert draft.status_code == 409 and "我已仔细核实的情况" in draft.text
    assert db.session.get(HumanTask, task["id"]).draft is None


def test_a_completed_task_comes_back_409_saying_who_completed_it(api, ui):
    case = api.bad_review()
    task = only_task(api, case["case_id"], "ln-officer")
    officer, colleague = ui("ln-officer"), ui("ln-officer2")
    officer.get(f"/tasks/{task['id']}")
    done = {"callback_result": "reached", "callback_at": "2025-09-26T15:00", "facts": "同事办结", "outcome": "ledger"}
    assert colleague.post(f"/tasks/{task['id']}", {**done, "action": "complete"}).status_code == 302
    response = officer.post(f"/tasks/{task['id']}", {**done, "facts": "我的版本", "action": "complete"})
    assert response.status_code == 409 and "办结" in response.text and "我的版本" in response.text


def test_the_task_page_autosaves_in_the_browser_and_comments_do_not_reload_the_form(api, ui):
    case = api.bad_review()
    task = only_task(api, case["case_id"], "ln-officer")
    page = ui("ln-officer").get(f"/tasks/{task['id']}").text
    assert 'id="task-form"' in page and 'data-fresh="true"' in page
    assert f'data-draft-key="zg-draft:{get_user("ln-officer").id}:{task["id"]}"' in page
    assert "/static/js/task-draft.js" in page
    watcher = ui("ln-supervisor").get(f"/tasks/{task['id']}").text  # may read, may not act: nothing to keep
    assert 'id="task-form"' not in watcher and "draft-done" not in watcher
    script = ui("ln-officer").get("/static/js/task-draft.js").text
    assert "beforeunload" in script and "localStorage" in script and "fetch(" in script


def test_the_api_lists_tasks_sorted_and_searched_like_the_page(api, clock):
    made = []
    for day in (24, 25, 26):
        clock.set(f"2025-09-{day}T10:00:00+08:00")
        made.append(api.bad_review(record_no=f"API-SORT-{day}", evaluator={"name": "赵六", "phone": f"1380000{day}99"}))
    body = api.get("/api/v1/tasks?view=my_roles&sort=-due", "ln-officer").get_json()
    assert [t["case_id"] for t in body["tasks"]] == [c["case_id"] for c in made[::-1]]
    found = api.get("/api/v1/tasks?view=my_roles&q=2599", "ln-officer").get_json()["tasks"]
    assert [t["case_id"] for t in found] == [made[1]["case_id"]]
    assert api.get("/api/v1/tasks?sort=priority", "ln-officer").status_code == 400
