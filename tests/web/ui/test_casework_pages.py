"""Casework pages through HTTP: extension (new due date before sending), approval facts, appeal with its window,
transfer, callback attempts, calling the evaluator from a callback task, the ledger; each refused to a role the
table refuses and not found from another region."""

from __future__ import annotations

import io
import re
import zipfile

from sqlalchemy import select

from casemgmt.casework.queries import CaseworkBadge, case_badges
from casemgmt.db import db
from casemgmt.models import AuditEvent, CallbackAttempt, ExtensionRequest, LedgerEntry, Transfer
from tests.regions.helpers import callback, casework, complete, do, run_timers, task

PDF = b"%PDF-1.4 evidence"


def _ledger_case(api, clock, at: str) -> int:
    clock.set(at)
    cid = api.bad_review("liaoning", evaluated_at=at)["case_id"]
    do(api, cid, "ln-officer", "Task_Callback", callback("ledger"))
    return cid


def test_an_extension_shows_its_new_due_date_before_sending_and_the_approver_sees_what_it_decides(api, ui, clock):
    cid = _ledger_case(api, clock, "2025-12-10T10:00:00+08:00")  # rectification due Wed 2025-12-31
    clock.set("2025-12-29T10:00:00+08:00")
    officer = ui("ln-officer")
    rectification = task(api, cid, "ln-officer", "Task_Rectification")
    link = f'href="/cases/{cid}/extension"'
    assert link in officer.get(f"/tasks/{rectification['id']}").text
    page = officer.get(f"/cases/{cid}/extension")
    assert page.status_code == 200 and "2025-12-31" in page.text and "15 个工作日" in page.text
    preview = officer.get(f"/cases/{cid}/extension/preview?workdays=5").get_json()
    assert (preview["current_due_date"], preview["new_due_date"], preview["cap"]) == ("2025-12-31", "2026-01-08", 15)
    assert (
        officer.get(f"/cases/{cid}/extension/preview?workdays=16").get_json()["problem"]
        == "延长期限为 1 至 15 个工作日"
    )
    form = {"extension_workdays": "5", "extension_reason": "需协调省级系统改造"}
    shown = officer.post(f"/cases/{cid}/extension", {**form, "action": "preview"})
    assert shown.status_code == 200 and "2026-01-08" in shown.text and "需协调省级系统改造" in shown.text
    assert db.session.scalars(select(ExtensionRequest)).all() == []  # a preview sends nothing
    refused = officer.post(f"/cases/{cid}/extension", {**form, "extension_workdays": "16", "action": "send"})
    assert refused.status_code == 400 and "不得超过 15 个工作日" in refused.text
    sent = officer.post(f"/cases/{cid}/extension", {**form, "action": "send"})
    assert sent.status_code == 302 and sent.headers["Location"].endswith(f"/cases/{cid}#casework")
    assert "申请中" in officer.get(f"/cases/{cid}").text
    assert link not in officer.get(f"/tasks/{rectification['id']}").text  # one request per rectification
    assert case_badges([cid]) == {cid: [CaseworkBadge.EXTENSION_PENDING]}
    assert ui("ln-auditor").get(f"/cases/{cid}/extension").status_code == 403
    assert ui("sm-officer").get(f"/cases/{cid}/extension").status_code == 404
    approval = task(api, cid, "ln-sy-coordinator", "Task_ExtensionApproval")
    facts = ui("ln-sy-coordinator").get(f"/tasks/{approval['id']}").text
    for shown_fact in ("需协调省级系统改造", "2025-12-31", "2026-01-08", "15 个工作日", 'class="ext-workdays">5<'):
        assert shown_fact in facts
    complete(api, approval["id"], "ln-sy-coordinator", {"extension_approved": True, "extension_opinion": "同意"})
    rectification = task(api, cid, "ln-officer", "Task_Rectification")
    page = officer.get(f"/tasks/{rectification['id']}").text
    assert "2026-01-08" in page and "已延期" in page


def test_an_appeal_shows_its_window_keeps_the_typed_reason_and_files_with_uploaded_evidence(api, ui, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    cid = api.bad_review("sanming", evaluated_at="2025-09-26T10:00:00+08:00")["case_id"]
    officer = ui("sm-officer")
    page = officer.get(f"/cases/{cid}/appeal")
    assert page.status_code == 200 and "2025-10-10" in page.text  # 5 working days across National Day
    missing = officer.post(f"/cases/{cid}/appeal", {"appeal_reason": "系误评"})
    assert missing.status_code == 400 and "系误评" in missing.text
    upload = {"appeal_reason": "  ", "appeal_evidence": (io.BytesIO(PDF), "录像截图.pdf")}
    refused = officer.post(f"/cases/{cid}/appeal", upload, content_type="multipart/form-data")
    kept = re.search(r'name="appeal_evidence__keep" value="(\d+)" checked', refused.text)
    assert refused.status_code == 400 and kept, "a refused appeal keeps the evidence uploaded with it"
    again = {"appeal_reason": "评价人当日未到窗口办理，系误评", "appeal_evidence__keep": kept.group(1)}
    filed = officer.post(f"/cases/{cid}/appeal", again)
    assert filed.status_code == 302, filed.text
    assert "申诉中" in officer.get(f"/cases/{cid}").text
    [record] = casework(api, cid, "sm-auditor")["appeals"]
    assert [f["name"] for f in record["evidence"]] == ["录像截图.pdf"]
    review = task(api, cid, "sm-coordinator", "Task_AppealReview")
    shown = ui("sm-coordinator").get(f"/tasks/{review['id']}").text
    assert "评价人当日未到窗口办理" in shown and "录像截图.pdf" in shown
    assert ui("sm-auditor").get(f"/cases/{cid}/appeal").status_code == 403
    assert ui("ln-officer").get(f"/cases/{cid}/appeal").status_code == 404


def test_a_transfer_needs_a_reason_and_shows_on_the_case(api, ui, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    cid = api.bad_review("liaoning", evaluated_at="2025-09-26T10:00:00+08:00")["case_id"]
    supervisor = ui("ln-supervisor")
    assert supervisor.get(f"/cases/{cid}/transfer").status_code == 200
    assert supervisor.post(f"/cases/{cid}/transfer", {"reason": "  "}).status_code == 400
    assert supervisor.post(f"/cases/{cid}/transfer", {"reason": "窗口人员违规收费"}).status_code == 302
    assert [t.reason for t in db.session.scalars(select(Transfer))] == ["窗口人员违规收费"]
    assert "已移交" in supervisor.get(f"/cases/{cid}").text
    assert ui("ln-auditor").post(f"/cases/{cid}/transfer", {"reason": "x"}).status_code == 403
    assert ui("sm-officer").get(f"/cases/{cid}/transfer").status_code == 404


def test_callback_attempts_are_logged_one_by_one_inside_the_callback_task(api, ui, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    cid = api.bad_review("liaoning", evaluated_at="2025-09-26T10:00:00+08:00")["case_id"]
    row = task(api, cid, "ln-officer", "Task_Callback")
    officer = ui("ln-officer")
    page = officer.get(f"/tasks/{row['id']}").text
    assert "尚未记录回访" in page and f'href="/cases/{cid}/extension"' not in page  # no step to extend yet
    attempt = {"result": "not_reached", "attempted_at": "2025-09-26T10:30", "note": "无人接听"}
    assert officer.post(f"/tasks/{row['id']}/callbacks", attempt).status_code == 302
    refused = officer.post(f"/tasks/{row['id']}/callbacks", {**attempt, "result": "maybe", "note": "第二次打不通"})
    assert refused.status_code == 400  # the task page again, with the error and what was typed
    assert 'role="alert"' in refused.text and 'value="第二次打不通"' in refused.text
    assert 'value="2025-09-26T10:30"' in refused.text and "尚未记录回访" not in refused.text
    page = officer.get(f"/tasks/{row['id']}").text
    assert "未联系上" in page and "无人接听" in page and "2025-09-26 10:30" in page
    assert [a.attempt_no for a in db.session.scalars(select(CallbackAttempt))] == [1]
    assert ui("ln-auditor").post(f"/tasks/{row['id']}/callbacks", attempt).status_code == 403
    assert ui("sm-officer").post(f"/tasks/{row['id']}/callbacks", attempt).status_code == 404


def _revealed(case_id: int) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.kind == "evaluator_revealed")
    return list(db.session.scalars(stmt))


def test_the_callback_assignee_gets_the_number_as_a_tel_link_recorded_once_with_the_task(api, ui, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    cid = api.bad_review("liaoning", evaluated_at="2025-09-26T10:00:00+08:00")["case_id"]
    row = task(api, cid, "ln-officer", "Task_Callback")
    officer, colleague = ui("ln-officer"), ui("ln-officer2")
    page = officer.get(f"/tasks/{row['id']}").text
    assert "显示电话并拨打" in page and "13812341234" not in page  # unclaimed: calling takes it
    assert "显示电话并拨打" not in ui("ln-auditor").get(f"/tasks/{row['id']}").text
    called = officer.post(f"/tasks/{row['id']}/call-evaluator")
    assert task(api, cid, "ln-officer", "Task_Callback")["assignee"] == "ln-officer"
    assert called.status_code == 302 and called.headers["Location"].endswith(f"/tasks/{row['id']}#evaluator-phone")
    for _ in range(2):  # a refresh shows it again and records nothing
        assert 'href="tel:13812341234"' in officer.get(f"/tasks/{row['id']}").text
    [event] = _revealed(cid)
    assert (event.actor, event.payload["task_id"], event.payload["reason"]) == (
        "ln-officer",
        row["id"],
        "办理任务：回访核实",
    )
    colleague_page = colleague.get(f"/tasks/{row['id']}").text
    assert "13812341234" not in colleague_page and "显示电话并拨打" not in colleague_page
    assert colleague.post(f"/tasks/{row['id']}/call-evaluator").status_code == 403
    assert "13812341234" not in officer.get(f"/cases/{cid}").text  # the case page keeps the mask
    assert ui("sm-officer").post(f"/tasks/{row['id']}/call-evaluator").status_code == 404
    do(api, cid, "ln-officer", "Task_Callback", callback("explanation"))
    assert officer.post(f"/tasks/{row['id']}/call-evaluator").status_code == 403  # done: the mask is back
    assert len(_revealed(cid)) == 1


def test_the_ledger_lists_the_units_entries_with_filters_and_as_xlsx(api, ui, clock):
    cid = _ledger_case(api, clock, "2025-09-29T10:00:00+08:00")  # due 2025-10-27
    case_no = api.get(f"/api/v1/cases/{cid}", "ln-auditor").get_json()["case_no"]
    officer = ui("ln-officer")
    assert case_no in officer.get("/ledger").text and "台账" in officer.get("/inbox").text
    assert case_no not in officer.get("/ledger?status=closed").text
    assert case_no not in officer.get("/ledger?overdue=1").text
    assert case_no in officer.get("/ledger?org=ln-sy").text and case_no not in officer.get("/ledger?org=ln-dl").text
    run_timers(api.app, "2025-10-28T00:00:01+08:00")
    clock.set("2025-10-28T09:00:00+08:00")
    assert case_no in officer.get("/ledger?overdue=1").text
    book = officer.get("/ledger.xlsx?status=open")
    assert book.status_code == 200 and book.mimetype.endswith("spreadsheetml.sheet")
    with zipfile.ZipFile(io.BytesIO(book.data)) as archive:
        cells = "".join(archive.read(n).decode() for n in archive.namelist() if n.endswith(".xml"))
    assert case_no in cells and "2025-10-27" in cells and "13812341234" not in cells
    assert case_no not in ui("sm-officer").get("/ledger").text


def test_a_ledger_entry_takes_progress_notes_from_its_units_officers(api, ui, clock):
    cid = _ledger_case(api, clock, "2025-09-29T10:00:00+08:00")
    entry = db.session.scalars(select(LedgerEntry).where(LedgerEntry.case_id == cid)).one()
    officer = ui("ln-officer")
    assert f'href="/ledger/{entry.id}"' in officer.get("/ledger").text
    page = officer.get(f"/ledger/{entry.id}").text
    assert "尚未记录进展" in page and 'name="note"' in page
    refused = officer.post(f"/ledger/{entry.id}/notes", {"note": " ", "owner": "张科长", "measures": "增设窗口"})
    assert refused.status_code == 400 and "进展说明不能为空" in refused.text
    assert 'value="张科长"' in refused.text and "增设窗口" in refused.text  # what was typed comes back
    long_owner = officer.post(f"/ledger/{entry.id}/notes", {"note": "已约谈", "owner": "长" * 129})
    assert long_owner.status_code == 400 and "长" * 129 in long_owner.text
    done = officer.post(
        f"/ledger/{entry.id}/notes", {"note": "已增设两个窗口", "owner": "张科长", "measures": "增设窗口"}
    )
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/ledger/{entry.id}#notes")
    page = officer.get(f"/ledger/{entry.id}").text
    assert "已增设两个窗口" in page and "张科长" in page and 'name="note"' in page
    kinds = [e.kind for e in db.session.scalars(select(AuditEvent).where(AuditEvent.case_id == cid))]
    assert kinds.count("ledger_note_added") == 1
    auditor = ui("ln-auditor").get(f"/ledger/{entry.id}")
    assert auditor.status_code == 200 and "已增设两个窗口" in auditor.text and 'name="note"' not in auditor.text
    assert ui("ln-auditor").post(f"/ledger/{entry.id}/notes", {"note": "x"}).status_code == 403
    assert ui("sm-officer").get(f"/ledger/{entry.id}").status_code == 404
