"""Evidence: any file name downloads (RFC 5987), files go only to an open task the uploader holds, quotas."""

from io import BytesIO

import pytest
from sqlalchemy import select

from casemgmt.cases import attachments
from casemgmt.db import db
from casemgmt.models import Attachment, HumanTask
from tests.web.flows import CALLBACK, only_task
from web.downloads import content_disposition

PDF = b"%PDF-1.4\n% evidence\n"
FORM = {"action": "draft", **CALLBACK, "callback_at": "2025-09-26T15:00", "outcome": "explanation"}


def _upload(browser, task_id: int, name: str = "回访录音.pdf", content: bytes = PDF):
    return browser.post(
        f"/tasks/{task_id}", {**FORM, "evidence": [(BytesIO(content), name)]}, content_type="multipart/form-data"
    )


@pytest.mark.parametrize("name", ["回访录音.pdf", 'a"b\\c;.pdf', "证据 (1).pdf", "x" * 190 + ".pdf", "ü.pdf"])
def test_any_file_name_makes_a_latin1_header_with_an_ascii_fallback_and_the_utf8_name(name):
    header = content_disposition(name)
    header.encode("latin-1")
    assert header.isascii() and header.startswith('attachment; filename="')
    assert "filename*=UTF-8''" in header


def test_a_chinese_file_name_downloads_with_rfc_5987(api, ui):
    case = api.bad_review()
    task = only_task(api, case["case_id"], "ln-officer")
    officer = ui("ln-officer")
    assert _upload(officer, task["id"]).status_code == 302
    [stored] = db.session.scalars(select(Attachment)).all()
    response = officer.get(f"/attachments/{stored.id}")
    header = response.headers["Content-Disposition"]
    header.encode("latin-1")
    assert response.data == PDF
    assert header == "attachment; filename=\"____.pdf\"; filename*=UTF-8''%E5%9B%9E%E8%AE%BF%E5%BD%95%E9%9F%B3.pdf"


def test_uploading_takes_an_unclaimed_task_and_nobody_else_uploads_to_it(api, ui):
    case = api.bad_review()
    task = only_task(api, case["case_id"], "ln-officer")
    assert _upload(ui("ln-officer"), task["id"]).status_code == 302
    assert db.session.get(HumanTask, task["id"]).assignee.username == "ln-officer"
    db.session.remove()
    refused = _upload(ui("ln-officer2"), task["id"], "b.pdf")
    assert refused.status_code in (302, 400, 409)
    assert db.session.scalars(select(Attachment.name)).all() == ["回访录音.pdf"]


def test_nothing_is_attached_to_a_completed_task(api, ui):
    from tests.web.flows import complete

    case = api.bad_review()
    task = only_task(api, case["case_id"], "ln-officer")
    complete(api, task["id"], "ln-officer", {**CALLBACK, "outcome": "explanation"})
    _upload(ui("ln-officer"), task["id"])
    assert db.session.scalars(select(Attachment)).all() == []


def test_a_task_and_a_case_hold_at_most_their_quota_with_a_message_naming_the_limit(api, ui, monkeypatch):
    monkeypatch.setattr(attachments, "MAX_FILES_PER_TASK", 2)
    case = api.bad_review()
    task = only_task(api, case["case_id"], "ln-officer")
    officer = ui("ln-officer")
    for name in ("a.pdf", "b.pdf"):
        assert _upload(officer, task["id"], name).status_code == 302
    third = officer.post(
        f"/tasks/{task['id']}",
        {**FORM, "action": "complete", "evidence": [(BytesIO(PDF), "c.pdf")]},
        content_type="multipart/form-data",
    )
    assert third.status_code == 400 and "该任务最多 2 个附件" in third.text
    other = only_task(api, api.bad_review(record_no="LN-2")["case_id"], "ln-officer")
    monkeypatch.setattr(attachments, "MAX_BYTES_PER_CASE", 1024 * 1024)
    big = PDF + b"0" * 600_000
    assert _upload(officer, other["id"], "e.pdf", big).status_code == 302
    fourth = officer.post(
        f"/tasks/{other['id']}",
        {**FORM, "action": "complete", "evidence": [(BytesIO(big), "f.pdf")]},
        content_type="multipart/form-data",
    )
    assert fourth.status_code == 400 and "该工单附件合计不能超过 1 MB" in fourth.text
    assert sorted(db.session.scalars(select(Attachment.name)).all()) == ["a.pdf", "b.pdf", "e.pdf"]
