"""Tasks over the API: inbox views, claim, complete with form validation, conflicts, scope, history."""

from datetime import timedelta
from urllib.parse import quote

import pytest

from tests.web.flows import FORMS, callback, complete, only_task


def test_the_officer_finds_the_callback_task_in_the_units_inbox_sorted_by_due_time(api):
    first = api.bad_review(record_no="A")
    second = api.bad_review(record_no="B")
    tasks = api.get("/api/v1/tasks?view=my_roles", "ln-officer").get_json()["tasks"]
    assert [t["case_id"] for t in tasks] == [first["case_id"], second["case_id"]]
    assert api.get("/api/v1/tasks?view=mine", "ln-officer").get_json()["tasks"] == []
    assert api.get("/api/v1/tasks", "ln-supervisor").get_json()["tasks"] == []


def test_claiming_puts_the_task_in_mine_and_another_officers_claim_gets_409(api):
    case = api.bad_review()
    task = only_task(api, case["case_id"], "ln-officer")
    assert api.post(f"/api/v1/tasks/{task['id']}/claim", "ln-officer").status_code == 200
    mine = api.get("/api/v1/tasks?mine=1", "ln-officer").get_json()["tasks"]
    assert [t["id"] for t in mine] == [task["id"]]
    assert api.post(f"/api/v1/tasks/{task['id']}/claim", "ln-officer2").status_code == 409
    assert complete(api, task["id"], "ln-officer2", callback("explanation")).status_code == 409


def test_invalid_form_data_gets_400_naming_the_fields_and_changes_nothing(api):
    case = api.bad_review()
    task = only_task(api, case["case_id"], "ln-officer")
    response = complete(api, task["id"], "ln-officer", {"callback_result": "maybe", "typo_field": "x"})
    assert response.status_code == 400
    assert {"callback_result", "typo_field", "facts", "outcome", "callback_at"} <= set(response.get_json()["details"])
    assert only_task(api, case["case_id"], "ln-officer")["id"] == task["id"]


def test_completing_the_callback_with_explanation_leads_to_the_explanation_task(api):
    case = api.bad_review()
    task = only_task(api, case["case_id"], "ln-officer")
    response = complete(api, task["id"], "ln-officer", callback("explanation"))
    assert response.status_code == 200
    following = only_task(api, case["case_id"], "ln-officer")
    assert following["element_id"] == "Task_Explanation"
    assert response.get_json()["next_task_id"] == following["id"]
    # Completed Fri 2025-09-26: one working day is Sun 09-28 (make-up day).
    assert following["due_date"] == "2025-09-28"
    assert complete(api, task["id"], "ln-officer", callback("explanation")).status_code == 409


def test_a_whole_case_runs_to_closure_and_the_history_tells_it_in_order(api):
    case = api.bad_review()
    cid = case["case_id"]
    complete(api, only_task(api, cid, "ln-officer")["id"], "ln-officer", callback("immediate_fix"))
    complete(api, only_task(api, cid, "ln-officer")["id"], "ln-officer", FORMS["immediate_fix"])
    complete(api, only_task(api, cid, "ln-officer")["id"], "ln-officer", FORMS["feedback"])
    body = api.get(f"/api/v1/cases/{cid}", "ln-officer").get_json()
    assert body["status"] == "closed" and body["open_tasks"] == []
    assert [t["element_id"] for t in body["closed_tasks"]] == ["Task_Callback", "Task_ImmediateFix", "Task_Feedback"]
    events = api.get(f"/api/v1/cases/{cid}/history", "ln-auditor").get_json()["events"]
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "case_opened" and kinds.count("task_completed") == 3
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert all(e["actor"] and e["at"] for e in events)
    assert events[1]["prev_hash"] == events[0]["hash"]
    ops = [e["payload"]["operation"] for e in events if e["kind"] == "operation"]
    assert ops == ["notify_unit", "record_callback", "notify_evaluator", "close_case"]


def test_an_officer_of_another_region_gets_404_and_cannot_act(api):
    case = api.bad_review()
    task = only_task(api, case["case_id"], "ln-officer")
    assert api.get(f"/api/v1/cases/{case['case_id']}", "sm-officer").status_code == 404
    assert api.get(f"/api/v1/cases/{case['case_id']}/history", "sm-auditor").status_code == 404
    assert api.post(f"/api/v1/tasks/{task['id']}/claim", "sm-officer").status_code == 404
    assert complete(api, task["id"], "sm-officer", callback("explanation")).status_code == 404


def test_a_supervisor_cannot_complete_an_officers_task(api):
    case = api.bad_review()
    task = only_task(api, case["case_id"], "ln-officer")
    assert complete(api, task["id"], "ln-supervisor", callback("explanation")).status_code == 403


def test_evaluator_identity_is_masked_and_revealing_it_is_audited(api):
    case = api.bad_review()
    masked = api.get(f"/api/v1/cases/{case['case_id']}", "ln-auditor").get_json()["evaluation"]["evaluator"]
    assert (masked["name"], masked["phone"], masked["masked"]) == ("张*", "138****1234", True)
    shown = api.get(f"/api/v1/cases/{case['case_id']}?reveal_reason=核查投诉", "ln-auditor").get_json()
    assert shown["evaluation"]["evaluator"]["phone"] == "13812341234"
    assert api.get(f"/api/v1/cases/{case['case_id']}?reveal_reason=x", "ln-officer").status_code == 403
    events = api.get(f"/api/v1/cases/{case['case_id']}/history", "ln-auditor").get_json()["events"]
    revealed = [e for e in events if e["kind"] == "evaluator_revealed"]
    assert [(e["actor"], e["payload"]["reason"]) for e in revealed] == [("ln-auditor", "核查投诉")]


def test_a_supervisor_reassigns_a_task_with_a_reason_and_it_is_audited(api):
    case = api.bad_review()
    task = only_task(api, case["case_id"], "ln-officer")
    no_reason = api.post(f"/api/v1/tasks/{task['id']}/reassign", "ln-supervisor", json={"reason": ""})
    assert no_reason.status_code == 400
    response = api.post(
        f"/api/v1/tasks/{task['id']}/reassign",
        "ln-supervisor",
        json={"reason": "王晓明休假", "assignee": "ln-officer2"},
    )
    assert response.status_code == 200 and response.get_json()["assignee"] == "ln-officer2"
    assert (
        api.post(
            f"/api/v1/tasks/{task['id']}/reassign", "ln-officer", json={"reason": "x", "assignee": "ln-officer"}
        ).status_code
        == 403
    )
    events = api.get(f"/api/v1/cases/{case['case_id']}/history", "ln-auditor").get_json()["events"]
    [event] = [e for e in events if e["kind"] == "task_reassigned"]
    assert event["payload"]["reason"] == "王晓明休假" and event["actor"] == "ln-supervisor"


def test_bad_inbox_parameters_are_refused(api):
    assert api.get("/api/v1/tasks?view=everything", "ln-officer").status_code == 400
    assert api.get("/api/v1/tasks?region=sanming", "ln-officer").status_code == 400
    assert api.get("/api/v1/tasks?limit=-1", "ln-officer").status_code == 400


def _pages(api, path: str, user: str) -> list[list[int]]:
    pages, cursor = [], None
    while True:
        body = api.get(path + (f"&cursor={quote(cursor)}" if cursor else ""), user).get_json()
        pages.append([t["case_id"] for t in body["tasks"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def test_the_inbox_pages_follow_the_next_cursor_without_gaps_or_repeats(api, clock):
    made = []
    for day in range(24, 29):  # one case a day: due dates differ, and the order is by due date
        clock.set(f"2025-09-{day}T02:00:00+00:00")
        made.append(api.bad_review(record_no=f"P-{day}")["case_id"])
    assert _pages(api, "/api/v1/tasks?view=my_roles&limit=2", "ln-officer") == [made[:2], made[2:4], made[4:]]
    assert _pages(api, "/api/v1/tasks?view=my_roles", "ln-officer") == [made]
    for case_id in made[:3]:
        task = only_task(api, case_id, "ln-officer")
        assert complete(api, task["id"], "ln-officer", callback("explanation")).status_code == 200
        clock.set(clock.now + timedelta(minutes=1))
    assert _pages(api, "/api/v1/tasks?view=done&limit=2", "ln-officer") == [made[2:0:-1], made[:1]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=abc", "limit"),
        ("limit=-1", "limit"),
        ("limit=0", "limit"),
        ("limit=\u00b2", "limit"),  # '²'.isdigit() is True, yet int('²') fails
        ("limit=1.5", "limit"),
        ("limit=" + "9" * 5000, "limit"),
        ("offset=0", "offset"),  # pages follow next_cursor now; an offset would silently repeat page one
        ("offset=-1", "offset"),
        ("offset=\u00b2", "offset"),
        ("cursor=garbage", "cursor"),
        ("cursor=2025-09-26T02%3A00%3A00%7C5", "cursor"),  # an instant without its offset
        ("cursor=%7C\u00b2", "cursor"),
        ("cursor=%7C" + "9" * 30, "cursor"),
    ],
)
def test_a_malformed_paging_parameter_is_a_400_naming_it(api, query, field):
    response = api.get(f"/api/v1/tasks?view=my_roles&{query}", "ln-officer")
    assert response.status_code == 400
    assert list(response.get_json()["details"]) == [field]


def test_a_channel_account_can_submit_but_not_read_cases(api):
    case = api.bad_review()
    assert api.get(f"/api/v1/cases/{case['case_id']}", "ln-channel").status_code == 403
    assert api.get(f"/api/v1/cases/{case['case_id']}/history", "ln-channel").status_code == 403
    assert api.get("/api/v1/tasks", "ln-channel").get_json()["tasks"] == []


def test_a_completed_task_row_is_stored_as_completed_and_read_so_before_the_commit(api, clock):
    """A completion's UPDATE of its task row goes with the held writes (casemgmt.writes): a read of the row later
    in the same transaction sees it completed, and the commit stores it, its draft cleared."""
    from sqlalchemy import select

    from casemgmt.access.queries import get_user
    from casemgmt.cases import operations as case_ops
    from casemgmt.db import db
    from casemgmt.models import HumanTask, TaskStatus

    case = api.bad_review()
    task_id = only_task(api, case["case_id"], "ln-officer")["id"]
    officer = get_user("ln-officer")
    case_ops.save_draft(task_id, {"facts": "待核实"}, officer, clock())
    db.session.commit()
    data = callback("immediate_fix")
    case_ops.complete(task_id, data, officer, clock())
    columns = (HumanTask.status, HumanTask.completed_by_id, HumanTask.assignee_id, HumanTask.draft)
    stmt = select(*columns).where(HumanTask.id == task_id)
    assert tuple(db.session.execute(stmt).one()) == (TaskStatus.COMPLETED, officer.id, officer.id, None)
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(HumanTask, task_id)
    assert (row.status, row.completed_by_id, row.assignee_id, row.draft) == (
        TaskStatus.COMPLETED,
        officer.id,
        officer.id,
        None,
    )
    assert row.completed_at == clock() and row.data["outcome"] == "immediate_fix"


def test_a_completion_stores_the_instances_state_and_version_once_and_reads_them_so_before_the_commit(api, clock):
    """On PostgreSQL a completion's versioned UPDATE of its (locked) instance goes with the held writes: its version
    still goes up by exactly one per completion, a read in the same transaction sees the new state, and the commit
    stores it."""
    from sqlalchemy import select

    from casemgmt.access.queries import get_user
    from casemgmt.cases import operations as case_ops
    from casemgmt.db import db
    from casemgmt.models import ProcessInstance

    case = api.bad_review()
    officer = get_user("ln-officer")
    columns = (ProcessInstance.version_no, ProcessInstance.state, ProcessInstance.updated_at)
    stmt = select(*columns).where(ProcessInstance.case_id == case["case_id"])
    version, state, _ = db.session.execute(stmt).one()
    db.session.commit()
    for form in (callback("immediate_fix"), FORMS["immediate_fix"]):
        clock.set(clock() + timedelta(minutes=5))
        case_ops.complete(only_task(api, case["case_id"], "ln-officer")["id"], form, officer, clock())
        seen = tuple(db.session.execute(stmt).one())
        assert seen[0] == version + 1 and seen[1] != state and seen[2] == clock()
        db.session.commit()
        db.session.expire_all()
        assert tuple(db.session.execute(stmt).one()) == seen
        version, state, _ = seen
        db.session.commit()
