"""The diagram editor's server side: the page opens the active version's file, validation names the element in
Chinese, a dry run shows the first task's due date and saves nothing, a deploy needs a reason and is audited,
a stale editor is refused, oversized and hostile files are refused; desktop uploads go through the same checks."""

import io
import json
import re

from casemgmt.db import db
from casemgmt.models import AuditEvent, Case, ProcessDefinition, Region
from tests.admin_ui.conftest import BASE, active_files, due_date_of, one_more_day, post_json, set_due_date

MAIN = "bad_review.bpmn"
#: the called process that holds the callback step
CALLBACK = "callback.bpmn"
MIB = 1024 * 1024


def _edited() -> tuple[str, str]:
    text = active_files()[CALLBACK]
    new_due = one_more_day(due_date_of(text, "Task_Callback"))
    return set_due_date(text, "Task_Callback", new_due), new_due


def _definitions() -> list[tuple[int, bool, str, str]]:
    rows = db.session.query(ProcessDefinition).join(Region).filter(Region.code == "liaoning")
    result = [(d.version, d.is_active, d.deployed_by, d.comment) for d in rows.order_by(ProcessDefinition.version)]
    db.session.remove()
    return result


def test_the_modeler_opens_the_active_versions_main_diagram_with_the_properties_panel(admin):
    page = admin.get(f"{BASE}/modeler").text
    assert f'data-xml="{BASE}/versions/1/files/{MAIN}"' in page and f'data-file="{MAIN}"' in page
    assert "build/modeler.js" in page and "properties-panel.css" in page and "js/rules.js" in page
    assert 'data-base="1" data-active="1"' in page
    download = admin.get(f"{BASE}/versions/1/files/{MAIN}?download=1")
    assert download.mimetype == "application/xml" and 'id="Call_Callback"' in download.text
    assert download.headers["Content-Disposition"] == f'attachment; filename="{MAIN}"'
    assert download.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    css = admin.get("/admin/vendor/properties-panel/properties-panel.css")
    assert css.status_code == 200 and ".bio-properties-panel" in css.text
    assert admin.get("/admin/vendor/properties-panel/../../package.json").status_code == 404
    assert admin.get("/admin/vendor/lodash/index.js").status_code == 404


def test_validation_names_the_element_and_says_what_is_wrong_in_chinese(admin):
    text = active_files()[CALLBACK]
    hostile = set_due_date(text, "Task_Callback", "${workdays.__globals__}")
    body = post_json(admin, f"{BASE}/rules/validate", {"files": {CALLBACK: hostile}, "base": 1}).get_json()
    assert body["valid"] is False
    problem = next(p for p in body["problems"] if p["element"] == "Task_Callback")
    assert problem["file"] == CALLBACK and "Task_Callback" in problem["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in problem["message"])
    assert 'data-element="Task_Callback"' in body["html"] and "未部署任何内容" in body["html"]
    good = post_json(admin, f"{BASE}/rules/validate", {"files": {CALLBACK: _edited()[0]}, "base": 1}).get_json()
    assert good["valid"] is True and good["problems"] == [] and good["html"].strip() == ""


def test_a_doctype_or_entity_is_refused(admin):
    text = active_files()[CALLBACK]
    xxe = text.replace("?>", '?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>', 1)
    body = post_json(admin, f"{BASE}/rules/validate", {"files": {CALLBACK: xxe}}).get_json()
    assert body["valid"] is False and any(p["code"] == "doctype" for p in body["problems"])
    assert "root:" not in str(body)


def test_a_dry_run_shows_the_first_tasks_due_date_and_saves_nothing(admin):
    before = (db.session.query(Case).count(), db.session.query(AuditEvent).count(), _definitions())
    edited, new_due = _edited()
    response = post_json(admin, f"{BASE}/rules/dry-run", {"files": {CALLBACK: edited}, "base": 1})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    (task,) = [t for t in body["result"]["tasks"] if t["element_id"] == "Task_Callback"]
    assert task["due_expr"] in (new_due, new_due[2:-1]) and task["due_date"]
    assert 'data-element-id="Task_Callback"' in body["html"] and task["due_date"] in body["html"]
    assert "试运行的内容均未保存" in body["html"]
    assert (db.session.query(Case).count(), db.session.query(AuditEvent).count(), _definitions()) == before


def test_a_hostile_dry_run_is_refused_before_it_runs(admin):
    hostile = set_due_date(active_files()[CALLBACK], "Task_Callback", "${__import__('os').system('id')}")
    response = post_json(admin, f"{BASE}/rules/dry-run", {"files": {CALLBACK: hostile}})
    assert response.status_code == 422 and response.get_json()["details"]


def test_a_deploy_needs_a_reason_and_becomes_an_audited_immutable_version(admin):
    edited, new_due = _edited()
    refused = post_json(admin, f"{BASE}/rules/deploy?active=1", {"files": {CALLBACK: edited}, "base": 1})
    assert refused.status_code == 400 and "comment" in refused.get_json()["details"]
    response = post_json(
        admin, f"{BASE}/rules/deploy?active=1", {"files": {CALLBACK: edited}, "base": 1, "comment": "回访时限延长一天"}
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["version"] == 2 and "已部署为第 2 版" in response.get_json()["message"]
    assert _definitions() == [(1, False, "seed", _definitions()[0][3]), (2, True, "ln-admin", "回访时限延长一天")]
    assert due_date_of(active_files()[CALLBACK], "Task_Callback") == new_due
    event = db.session.query(AuditEvent).filter_by(kind="definition_deployed", actor="ln-admin").one()
    assert event.payload["comment"] == "回访时限延长一天" and len(event.payload["sha256"]) == 64
    again = post_json(admin, f"{BASE}/rules/deploy?active=2", {"files": {CALLBACK: edited}, "comment": "再部署一次"})
    assert again.status_code == 200 and again.get_json()["created"] is False


def test_an_editor_opened_before_someone_elses_deploy_is_refused(admin):
    edited, _ = _edited()
    first = post_json(admin, f"{BASE}/rules/deploy?active=1", {"files": {CALLBACK: edited}, "comment": "第一次"})
    assert first.status_code == 201
    stale = set_due_date(active_files()[CALLBACK], "Task_Callback", "${workdays(5)}")
    response = post_json(
        admin, f"{BASE}/rules/deploy?active=1", {"files": {CALLBACK: stale}, "base": 1, "comment": "基于旧版本的修改"}
    )
    assert response.status_code == 409 and "第 2 版" in response.get_json()["message"]
    assert [v for v, *_ in _definitions()] == [1, 2]


def test_an_invalid_deploy_is_422_and_changes_nothing(admin):
    hostile = set_due_date(active_files()[CALLBACK], "Task_Callback", "${workdays(400)}")
    response = post_json(admin, f"{BASE}/rules/deploy", {"files": {CALLBACK: hostile}, "comment": "太长"})
    assert response.status_code == 422 and response.get_json()["details"][0]["element"] == "Task_Callback"
    assert [v for v, *_ in _definitions()] == [1]


def test_files_over_two_mebibytes_and_bad_names_are_refused(admin):
    padded = active_files()[CALLBACK].replace(
        "</bpmn:definitions>", "<!--" + "x" * (2 * MIB) + "--></bpmn:definitions>"
    )
    response = post_json(admin, f"{BASE}/rules/validate", {"files": {CALLBACK: padded}})
    assert response.status_code == 413 and CALLBACK in response.get_json()["message"]
    response = post_json(admin, f"{BASE}/forms/callback_verification/preview", {"text": "x" * (2 * MIB + 1)})
    assert response.status_code == 413
    response = post_json(admin, f"{BASE}/rules/validate", {"files": {"../../etc/passwd.bpmn": "<x/>"}})
    assert response.status_code == 400 and response.is_json


def _upload(admin, files: list[tuple[bytes, str]], action: str, comment: str = "", active: str = "1"):
    data = {
        "files": [(io.BytesIO(raw), name) for raw, name in files],
        "action": action,
        "comment": comment,
        "active": active,
        "csrf_token": admin.token,
    }
    return admin.client.post(f"{BASE}/upload", data=data, content_type="multipart/form-data")


def test_a_file_from_the_desktop_modeler_is_checked_then_deployed(admin):
    edited, new_due = _edited()
    checked = _upload(admin, [(edited.encode(), CALLBACK)], "validate")
    assert checked.status_code == 200 and "校验通过" in checked.text
    no_reason = _upload(admin, [(edited.encode(), CALLBACK)], "deploy")
    assert no_reason.status_code == 400
    deployed = _upload(admin, [(edited.encode(), CALLBACK)], "deploy", "桌面建模器修改回访时限")
    assert deployed.status_code == 302 and deployed.headers["Location"].endswith(f"{BASE}/versions")
    assert "已部署为第 2 版" in admin.get(f"{BASE}/versions").text
    assert due_date_of(active_files()[CALLBACK], "Task_Callback") == new_due


def test_hostile_oversized_and_non_utf8_uploads_are_refused(admin):
    text = active_files()[CALLBACK]
    bomb = text.replace("?>", '?>\n<!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>', 1)
    refused = _upload(admin, [(bomb.encode(), MAIN)], "deploy", "实体扩展")
    assert refused.status_code == 422 and "problems-box" in refused.text
    big = _upload(admin, [(b"x" * (2 * MIB + 1), MAIN)], "validate")
    assert big.status_code == 413
    gbk = _upload(admin, [("<?xml version='1.0'?><a>中</a>".encode("gb18030"), MAIN)], "validate")
    assert gbk.status_code == 400
    assert [v for v, *_ in _definitions()] == [1]


def test_the_editors_speak_the_users_language_including_the_properties_panel(admin):
    page = admin.get(f"{BASE}/modeler").text
    terms = json.loads(re.search(r'id="zg-panel-terms">(.*?)</script>', page, re.S).group(1))
    assert terms["User assignment"] == "用户分配" and "workdays" in terms[next(t for t in terms if "due date" in t)]
    assert "校验" in page and "部署为新版本" in page
    admin.get("/lang/en")
    page = admin.get(f"{BASE}/modeler").text
    terms = json.loads(re.search(r'id="zg-panel-terms">(.*?)</script>', page, re.S).group(1))
    assert terms["User assignment"] == "User assignment"
    assert "Validate" in page and "Deploy as a new version" in page and "Rules of" in page


def test_validation_names_elements_by_their_chinese_name_with_the_id_in_brackets_and_no_parser_english(admin):
    text = active_files()[CALLBACK]
    broken = set_due_date(text, "Task_Callback", "${workdays(settings['callback_workdays']}")
    body = post_json(admin, f"{BASE}/rules/validate", {"files": {CALLBACK: broken}, "base": 1}).get_json()
    problem = next(p for p in body["problems"] if p["element"] == "Task_Callback")
    assert problem["element_name"] == "回访核实" and "表达式语法错误" in problem["message"]
    assert not re.search(r"[A-Za-z]{4,} [a-z]{3,}", problem["message"]), problem["message"]  # no English sentence
    assert "回访核实（<code>Task_Callback</code>）" in body["html"]
    torn = text.replace("</bpmn:process>", "</bpmn:proces>", 1)
    body = post_json(admin, f"{BASE}/rules/validate", {"files": {CALLBACK: torn}, "base": 1}).get_json()
    [problem] = [p for p in body["problems"] if p["code"] == "xml_syntax"]
    assert "XML 格式错误（第 32 行" in problem["message"] and "mismatch" not in problem["message"]


def test_the_dry_run_and_the_calendar_page_show_names_not_codes(admin):
    edited, _ = _edited()
    html = post_json(admin, f"{BASE}/rules/dry-run", {"files": {CALLBACK: edited}, "base": 1}).get_json()["html"]
    assert "沈阳市住房和城乡建设局窗口" in html and "通知承办单位" in html and "回访核实" in html
    assert "<code>notify_unit</code>" not in html and not re.search(r"<td>ln-[a-z-]+</td>", html)
    page = admin.get(f"{BASE}/calendar").text
    assert "按错误处理" not in page and "暂定" in page and "当前环节" not in page
    assert "规则管理" in admin.get("/admin/", follow_redirects=True).text
