"""The task page: case and evaluation, earlier steps, the form from forms/, errors beside fields, drafts,
evidence files, the next task opening directly, reassignment, and who may see what."""

from io import BytesIO

from sqlalchemy import select

from casemgmt.db import db
from casemgmt.models import Attachment, AuditEvent, HumanTask
from tests.web.flows import CALLBACK, callback, complete, only_task

PDF = b"%PDF-1.4\n% evidence\n"


def _task(api, user: str = "ln-officer") -> tuple[dict, dict]:
    case = api.bad_review()
    return case, only_task(api, case["case_id"], user)


def _sanming_task(api) -> tuple[dict, dict]:
    """Sanming keeps the national revocation review (by the coordinator, with a conditionally required field)."""
    case = api.bad_review("sanming")
    return case, only_task(api, case["case_id"], "sm-officer")


def _kinds(case_id: int) -> list[str]:
    return list(
        db.session.scalars(select(AuditEvent.kind).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq))
    )


def test_the_task_page_shows_the_case_the_evaluation_masked_and_the_form_from_its_definition(api, ui):
    case, task = _task(api)
    page = ui("ln-officer").get(f"/tasks/{task['id']}").text
    assert case["case_no"] in page and "企业设立登记" in page and "等了两个小时" in page
    assert "张*" in page and "138****1234" in page and "13812341234" not in page
    assert "回访结果" in page and "核实情况" in page and 'class="req"' in page  # labels and required marks
    assert 'type="radio" name="outcome" value="ledger"' in page and 'type="datetime-local" name="callback_at"' in page
    assert 'type="file" name="evidence" multiple accept=".pdf,.jpg,.jpeg,.png"' in page
    assert "这是第一个环节" in page


def test_a_wrong_field_is_shown_beside_it_with_every_typed_value_kept_and_nothing_changes(api, ui):
    case, task = _task(api)
    officer = ui("ln-officer")
    form = {
        "action": "complete",
        "callback_result": "reached",
        "callback_at": "2025-09-26T15:00",
        "facts": "",
        "outcome": "explanation",
    }
    response = officer.post(f"/tasks/{task['id']}", form)
    assert response.status_code == 400
    facts = response.text.split('data-field="facts"')[1].split('data-field="outcome"')[0]
    assert '<p class="error" role="alert">必填</p>' in facts
    assert response.text.count('class="error" role="alert"') == 1  # only the wrong field
    assert 'value="2025-09-26T15:00"' in response.text
    assert 'value="reached" checked' in response.text and 'value="explanation" checked' in response.text
    assert only_task(api, case["case_id"], "ln-officer")["id"] == task["id"]
    assert "task_completed" not in _kinds(case["case_id"])


def test_completing_opens_the_next_task_when_it_is_the_same_persons(api, ui):
    case, task = _task(api)
    form = {"action": "complete", **CALLBACK, "callback_at": "2025-09-26T15:00", "outcome": "explanation"}
    response = ui("ln-officer").post(f"/tasks/{task['id']}", form)
    following = only_task(api, case["case_id"], "ln-officer")
    assert response.status_code == 302 and response.headers["Location"] == f"/tasks/{following['id']}"
    row = db.session.get(HumanTask, task["id"])
    assert row.data["callback_at"] == "2025-09-26T15:00:00+08:00" and row.completed_by.username == "ln-officer"
    done = ui("ln-officer").get(f"/tasks/{following['id']}").text
    assert "回访核实" in done and "已联系上" in done and "2025-09-26 15:00" in done  # the earlier step, as entered


def test_completing_the_last_own_task_returns_to_the_inbox(api, ui):
    case, task = _sanming_task(api)
    complete(api, task["id"], "sm-officer", callback("misjudged"))  # goes to the coordinator's review
    assert only_task(api, case["case_id"], "sm-coordinator")["element_id"] == "Task_RevocationReview"
    review = only_task(api, case["case_id"], "sm-coordinator")
    response = ui("sm-coordinator").post(
        f"/tasks/{review['id']}",
        {"action": "complete", "approved": "true", "opinion": "证据充分，同意撤销", "reported_to": "reform_office"},
    )
    assert response.status_code == 302, response.text
    assert response.headers["Location"] == "/inbox"


def test_a_draft_is_kept_unvalidated_audited_and_the_form_starts_from_it(api, ui):
    case, task = _task(api)
    officer = ui("ln-officer")
    draft = {"action": "draft", "facts": "已电话联系，待核实", "outcome": "ledger"}
    saved = officer.post(f"/tasks/{task['id']}", draft)
    assert saved.status_code == 302
    page = officer.get(f"/tasks/{task['id']}").text
    assert "已电话联系，待核实" in page and 'value="ledger" checked' in page and "已载入您保存的草稿" in page
    assert "task_draft_saved" in _kinds(case["case_id"])
    assert only_task(api, case["case_id"], "ln-officer")["status"] == "open"


def test_evidence_is_stored_with_its_type_checked_and_linked_from_the_entered_data(api, ui):
    case, task = _task(api)
    officer = ui("ln-officer")
    form = {"action": "complete", **CALLBACK, "callback_at": "2025-09-26T15:00", "outcome": "explanation"}
    bad = officer.post(
        f"/tasks/{task['id']}",
        {**form, "evidence": [(BytesIO(b"MZ\x90\x00"), "report.pdf")]},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400 and "文件内容与扩展名 .pdf 不符" in bad.text
    wrong_type = officer.post(
        f"/tasks/{task['id']}",
        {**form, "evidence": [(BytesIO(b"hello"), "notes.exe")]},
        content_type="multipart/form-data",
    )
    assert wrong_type.status_code == 400 and "文件类型只能是" in wrong_type.text
    ok = officer.post(
        f"/tasks/{task['id']}",
        {**form, "evidence": [(BytesIO(PDF), "回访录音记录.pdf")]},
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302
    [stored] = db.session.scalars(select(Attachment)).all()
    assert (stored.name, stored.content_type, stored.size) == ("回访录音记录.pdf", "application/pdf", len(PDF))
    assert db.session.get(HumanTask, task["id"]).data["evidence"][0]["id"] == stored.id
    stored_id = stored.id
    download = officer.get(f"/attachments/{stored_id}")
    assert download.data == PDF and "attachment" in download.headers["Content-Disposition"]
    assert ui("sm-auditor").get(f"/attachments/{stored_id}").status_code == 404
    assert "attachment_uploaded" in _kinds(case["case_id"])


def test_evidence_uploaded_with_a_refused_form_is_kept_and_offered_again(api, ui):
    case, task = _task(api)
    officer = ui("ln-officer")
    refused = officer.post(
        f"/tasks/{task['id']}",
        {"action": "complete", "evidence": [(BytesIO(PDF), "a.pdf")]},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    [stored_id] = db.session.scalars(select(Attachment.id)).all()
    assert f'name="evidence__keep" value="{stored_id}" checked' in refused.text
    form = {
        "action": "complete",
        **CALLBACK,
        "callback_at": "2025-09-26T15:00",
        "outcome": "explanation",
        "evidence__keep": str(stored_id),
    }
    assert officer.post(f"/tasks/{task['id']}", form).status_code == 302
    assert db.session.get(HumanTask, task["id"]).data["evidence"] == [
        {"id": stored_id, "name": "a.pdf", "size": len(PDF), "content_type": "application/pdf"}
    ]


def test_an_upload_over_the_fields_size_limit_is_refused(api, ui, seeded_app):
    _, task = _task(api)
    big = PDF + b"0" * (10 * 1024 * 1024)
    response = ui("ln-officer").post(
        f"/tasks/{task['id']}",
        {"action": "draft", "evidence": [(BytesIO(big), "big.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302  # a draft keeps going; the file is not stored
    assert db.session.scalars(select(Attachment)).all() == []
    seeded_app.config["MAX_CONTENT_LENGTH"] = 1024
    too_big = ui("ln-officer").post(
        f"/tasks/{task['id']}",
        {"action": "draft", "evidence": [(BytesIO(big), "b.pdf")]},
        content_type="multipart/form-data",
    )
    assert too_big.status_code == 413


def test_a_supervisor_reassigns_with_a_reason_and_cannot_complete_an_officers_task(api, ui):
    case, task = _task(api)
    supervisor = ui("ln-supervisor")
    page = supervisor.get(f"/tasks/{task['id']}").text
    assert "改派" in page and "提交办结" not in page
    assert supervisor.post(f"/tasks/{task['id']}", {"action": "complete", **CALLBACK}).status_code == 403
    no_reason = {"assignee": "ln-officer2", "reason": ""}
    assert supervisor.post(f"/tasks/{task['id']}/reassign", no_reason).status_code == 400
    moved = supervisor.post(f"/tasks/{task['id']}/reassign", {"assignee": "ln-officer2", "reason": "王晓明休假"})
    assert moved.status_code == 302
    assert db.session.get(HumanTask, task["id"]).assignee.username == "ln-officer2"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "task_reassigned")).one()
    assert (event.actor, event.payload["reason"]) == ("ln-supervisor", "王晓明休假")
    to_unit = supervisor.post(f"/tasks/{task['id']}/reassign", {"org_code": "ln-sy-zjj", "reason": "属住建窗口"})
    assert to_unit.status_code == 302
    assert db.session.get(HumanTask, task["id"]).candidate_org.code == "ln-sy-zjj"
    assert (
        ui("ln-officer").post(f"/tasks/{task['id']}/reassign", {"assignee": "ln-officer", "reason": "x"}).status_code
        == 403
    )


def test_an_officer_of_another_region_gets_404_on_the_task_and_cannot_act(api, ui):
    _, task = _task(api)
    other = ui("sm-officer")
    assert other.get(f"/tasks/{task['id']}").status_code == 404
    assert other.post(f"/tasks/{task['id']}/claim").status_code == 404
    assert other.post(f"/tasks/{task['id']}", {"action": "complete", **CALLBACK}).status_code == 404
    assert other.get("/tasks/999999").status_code == 404


def test_a_conditionally_required_field_says_when_it_is_required(api, ui):
    case, task = _sanming_task(api)
    complete(api, task["id"], "sm-officer", callback("misjudged"))
    review = only_task(api, case["case_id"], "sm-coordinator")
    page = ui("sm-coordinator").get(f"/tasks/{review['id']}").text
    assert "（“同意撤销”为“是”时必填）" in page
