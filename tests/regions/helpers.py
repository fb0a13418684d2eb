"""What region scenario tests share: walking a case through the API, firing timers, reading records."""

from __future__ import annotations

from sqlalchemy import select

from casemgmt.db import db
from casemgmt.models import Attachment, Case, Evaluation, HumanTask, OutboxMessage, User
from tests.web import flows
from tests.web.flows import open_tasks

#: a placeholder file reference: complete() and with_files() put a real attachment of the case in its place
FILE = {"id": 0, "name": "证明材料.pdf"}
FORMS = {
    **flows.FORMS,
    "rectification": {**flows.FORMS["rectification"], "rectification_evidence": [FILE]},
    "callback_attempt": {
        "callback_result": "reached",
        "callback_at": "2025-09-27T09:00:00+08:00",
        "callback_note": "第二次致电，评价人接听",
    },
    "consultation_reply": {"consult_opinion": "本部门同意联合整改", "consult_measures": "下周起共享材料"},
}


def callback(outcome: str, **extra) -> dict:
    """Return a callback form with the given verification outcome."""
    return {**flows.CALLBACK, "outcome": outcome, **extra}


def task(api, case_id: int, user: str, element: str) -> dict:
    """Return the one open task of an element."""
    found = [t for t in open_tasks(api, case_id, user) if t["element_id"] == element]
    assert len(found) == 1, [t["element_id"] for t in open_tasks(api, case_id, user)]
    return found[0]


def elements(api, case_id: int, user: str) -> list[str]:
    """Return the element ids of a case's open tasks, sorted."""
    return sorted(t["element_id"] for t in open_tasks(api, case_id, user))


def attach(case_id: int, name: str = FILE["name"]) -> dict:
    """Store a PDF as an attachment of the case and return a file reference to it."""
    case = db.session.get(Case, case_id)
    uploader = db.session.scalar(select(User).where(User.region_id == case.region_id).order_by(User.id))
    row = Attachment(
        case_id=case_id,
        field="evidence",
        name=name,
        content_type="application/pdf",
        size=5,
        sha256="0" * 64,
        content=b"%PDF-",
        uploaded_by_id=uploader.id,
        uploaded_at=case.opened_at,
    )
    db.session.add(row)
    db.session.commit()
    ref = {"id": row.id, "name": name}
    db.session.remove()
    return ref


def with_files(data: dict, case_id: int) -> dict:
    """Return the form data with each FILE placeholder replaced by a real attachment of the case."""

    def swap(value):
        if value == FILE:
            return attach(case_id)
        return [swap(v) for v in value] if isinstance(value, list) else value

    return {key: swap(value) for key, value in data.items()}


def names(refs: list[dict]) -> list[str]:
    """Return the file names of file references."""
    return [ref["name"] for ref in refs]


def complete(api, task_id: int, user: str, data: dict) -> dict:
    """Complete a task and insist it worked."""
    data = with_files(data, db.session.get(HumanTask, task_id).case_id)
    response = api.post(f"/api/v1/tasks/{task_id}/complete", user, json={"data": data})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def do(api, case_id: int, user: str, element: str, data: dict) -> dict:
    """Complete the open task of an element as the user."""
    return complete(api, task(api, case_id, user, element)["id"], user, data)


def case(api, case_id: int, user: str) -> dict:
    """Return the case as the user sees it."""
    return api.get(f"/api/v1/cases/{case_id}", user).get_json()


def casework(api, case_id: int, user: str) -> dict:
    """Return the case's rule-pack records."""
    response = api.get(f"/api/v1/cases/{case_id}/casework", user)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def history(api, case_id: int, user: str) -> list[dict]:
    """Return the case's audit events."""
    return api.get(f"/api/v1/cases/{case_id}/history", user).get_json()["events"]


def operations(events: list[dict]) -> list[str]:
    """Return the operations a case ran, in order."""
    return [e["payload"]["operation"] for e in events if e["kind"] == "operation"]


def run_timers(app, now: str) -> str:
    """Run the timer worker once as if it were `now`."""
    result = app.test_cli_runner().invoke(args=["timers", "run", "--once", "--now", now])
    assert result.exit_code == 0, result.output
    db.session.remove()
    return result.output


def outbox(case_id: int | None = None, channel: str | None = None) -> list[OutboxMessage]:
    """Return queued messages (of a case, of a channel)."""
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    if case_id is not None:
        stmt = stmt.where(OutboxMessage.case_id == case_id)
    if channel is not None:
        stmt = stmt.where(OutboxMessage.channel == channel)
    rows = list(db.session.scalars(stmt))
    db.session.remove()
    return rows


def evaluation_of(evaluation_id: int) -> Evaluation:
    """Return an evaluation row, detached."""
    row = db.session.get(Evaluation, evaluation_id)
    db.session.expunge(row)
    db.session.remove()
    return row


def inbox_task(api, user: str, element: str) -> dict:
    """Return the one task of an element in the user's inbox (for units that do not see the whole case)."""
    tasks = api.get("/api/v1/tasks?view=my_roles", user).get_json()["tasks"]
    found = [t for t in tasks if t["element_id"] == element]
    assert len(found) == 1, tasks
    return found[0]
