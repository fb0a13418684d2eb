"""The case dossier (案卷) as a PDF with Chinese fonts embedded, and the printable 回访记录 and 整改通知书."""

import re
import zlib

import pytest

from casemgmt.db import db
from casemgmt.models import Attachment
from tests.web.flows import callback, complete, only_task

pytest.importorskip("weasyprint")


def _ledger_case(api) -> int:
    case = api.bad_review()
    complete(api, only_task(api, case["case_id"], "ln-officer")["id"], "ln-officer", callback("ledger"))
    return case["case_id"]


def _objects(pdf: bytes) -> bytes:
    """Return the PDF's object streams inflated: where WeasyPrint keeps page and font dictionaries."""
    out = [pdf]
    for start in re.finditer(rb"stream\r?\n", pdf):
        try:
            out.append(zlib.decompressobj().decompress(pdf[start.end() : start.end() + 400_000]))
        except zlib.error:
            continue
    return b"\n".join(out)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_dossier_has_the_evaluation_every_step_the_files_with_hashes_the_diagram_and_the_integrity(api, ui):
    cid = _ledger_case(api)
    page = ui("ln-auditor").get(f"/cases/{cid}/dossier")
    text = _text(page.text)
    assert page.status_code == 200 and "差评工单案卷" in text and "非常不满意" in text and "企业设立登记" in text
    assert "王晓明办结了任务“回访核实”。" in text and "登记整改台账" in text
    assert "完整性校验通过" in text and "<svg" in page.text and 'fill="#e3eefc"' in page.text  # the current step
    assert "回访记录" in text and "整改通知书" in text and "沈阳市市场监督管理局窗口" in text
    assert "ledger" not in text and "Task_Callback" not in text


def test_the_dossier_pdf_embeds_its_chinese_font_and_is_read_with_the_case_permission(api, ui):
    cid = _ledger_case(api)
    response = ui("ln-auditor").get(f"/cases/{cid}/dossier.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf" and response.data[:5] == b"%PDF-"
    objects = _objects(response.data)
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+Noto-Sans-CJK-SC", objects), "the CJK font is not embedded (subset)"
    assert re.search(rb"/FontFile[23]?", objects) and len(re.findall(rb"/Type\s*/Page\b", objects)) >= 3
    boxes = {tuple(round(float(v)) for v in m.split()) for m in re.findall(rb"/MediaBox\s*\[([^\]]+)\]", objects)}
    assert {(0, 0, 595, 842), (0, 0, 842, 595)} <= boxes, boxes  # A4, and the diagram's page in landscape
    assert ui("sm-auditor").get(f"/cases/{cid}/dossier.pdf").status_code in (403, 404)


def test_the_dossier_lists_attachments_with_their_sha256(api, ui):
    cid = _ledger_case(api)
    attachment = db.session.query(Attachment).filter_by(case_id=cid).first()
    page = ui("ln-auditor").get(f"/cases/{cid}/dossier").text
    if attachment is not None:
        assert attachment.sha256 in page
    else:
        assert "没有附件" in page


def test_the_callback_record_and_the_rectification_notice_print_on_their_own(api, ui):
    cid = _ledger_case(api)
    auditor = ui("ln-auditor")
    record = _text(auditor.get(f"/cases/{cid}/callback-record").text)
    assert "回访记录" in record and "属实：情况复杂、一时难以解决，建立台账限期整改" in record
    notice = auditor.get(f"/cases/{cid}/rectification-notice")
    assert notice.status_code == 200 and "整改通知书" in notice.text and "@page" in notice.text
    assert "整改中" in _text(notice.text)
    assert auditor.get(f"/cases/{cid}/other-document").status_code == 404
