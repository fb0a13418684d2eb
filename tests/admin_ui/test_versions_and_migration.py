"""Versions: the list says who, when, why and the sha256; the diff lists and marks what changed; a rollback
needs a reason and is a new audited version. Migration: a preview of the cases that can move, then the move,
one audited step per case, keeping the open task's due date."""

import html
import json
import re

from casemgmt.db import db
from casemgmt.models import AuditEvent, Case, ProcessDefinition
from tests.admin_ui.conftest import BASE, active_files, due_date_of, one_more_day, post_json, set_due_date
from tests.web.flows import open_tasks

MAIN = "bad_review.bpmn"
CALLBACK = "callback.bpmn"


def _deploy_longer_callback(admin) -> tuple[str, str]:
    text = active_files()[CALLBACK]
    old_due = due_date_of(text, "Task_Callback")
    new_due = one_more_day(old_due)
    response = post_json(
        admin,
        f"{BASE}/rules/deploy?active=1",
        {"files": {CALLBACK: set_due_date(text, "Task_Callback", new_due)}, "comment": "回访时限延长一天"},
    )
    assert response.status_code == 201, response.get_json()
    return old_due, new_due


def _marks(page: str) -> dict:
    raw = re.search(r'data-marks="([^"]*)"', page).group(1)
    return json.loads(raw.replace("&#34;", '"'))


def test_the_version_list_says_who_when_why_and_the_sha256(admin):
    _deploy_longer_callback(admin)
    page = admin.get(f"{BASE}/versions").text
    sha = db.session.query(ProcessDefinition).filter_by(is_active=True, deployed_by="ln-admin").one().sha256
    assert "回访时限延长一天" in page and "ln-admin" in page and f'title="{sha}"' in page
    assert page.index('data-version="2"') < page.index('data-version="1"')
    assert f'href="{BASE}/versions/1/diff/2"' in page
    assert f'action="{BASE}/versions/1/rollback"' in page and f'action="{BASE}/versions/2/rollback"' not in page


def test_the_diff_lists_the_changed_due_date_and_marks_the_element_on_both_diagrams(admin):
    old_due, new_due = _deploy_longer_callback(admin)
    page = admin.get(f"{BASE}/versions/1/diff/2?file={CALLBACK}").text
    assert _marks(page) == {"added": [], "removed": [], "changed": ["Task_Callback", "Timer_CallbackOverdue"]}
    row = re.search(r'<tr class="diff-changed" data-element-id="Task_Callback">.*?</tr>', page, re.S).group(0)
    row = html.unescape(row)
    assert "截止时间" in row and old_due in row and new_due in row
    assert f'data-xml="{BASE}/versions/1/files/{CALLBACK}"' in page
    assert f'data-xml="{BASE}/versions/2/files/{CALLBACK}"' in page
    assert admin.get(f"{BASE}/versions/1/diff/2?file=other.bpmn").status_code == 400


def test_a_diff_shows_added_and_removed_elements(admin):
    text = active_files()[CALLBACK]
    note = '<bpmn:textAnnotation id="Note_Rule"><bpmn:text>依据第十条</bpmn:text></bpmn:textAnnotation></bpmn:process>'
    added = text.replace("</bpmn:process>", note, 1)
    response = post_json(admin, f"{BASE}/rules/deploy?active=1", {"files": {CALLBACK: added}, "comment": "加注释"})
    assert response.status_code == 201
    marks = _marks(admin.get(f"{BASE}/versions/1/diff/2?file={CALLBACK}").text)
    assert marks["added"] == ["Note_Rule"]
    assert _marks(admin.get(f"{BASE}/versions/2/diff/1?file={CALLBACK}").text)["removed"] == ["Note_Rule"]


def test_a_rollback_needs_a_reason_and_deploys_the_old_files_as_a_new_audited_version(admin):
    old_due, _ = _deploy_longer_callback(admin)
    assert admin.post(f"{BASE}/versions/1/rollback", {"comment": " "}).status_code == 400
    response = admin.post(f"{BASE}/versions/1/rollback", {"comment": "新时限有误，恢复"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"{BASE}/versions")
    assert "第 1 版已作为第 3 版重新生效" in admin.get(f"{BASE}/versions").text
    versions = {d.version: d for d in db.session.query(ProcessDefinition).filter_by(deployed_by="ln-admin")}
    first = db.session.query(ProcessDefinition).filter_by(version=1, region_id=versions[3].region_id).one()
    assert versions[3].is_active and versions[3].sha256 == first.sha256
    assert due_date_of(active_files()[CALLBACK], "Task_Callback") == old_due
    event = db.session.query(AuditEvent).filter_by(kind="definition_rolled_back").one()
    assert (event.actor, event.payload["to_version"], event.payload["comment"]) == ("ln-admin", 1, "新时限有误，恢复")
    same = admin.post(f"{BASE}/versions/3/rollback", {"comment": "再次回滚"})
    assert same.status_code == 400 and "无需回滚" in same.text


def test_the_migration_preview_lists_running_cases_and_the_move_is_audited_per_case(admin, api, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    case = api.bad_review(record_no="LN-MIGRATE")
    (before,) = [t for t in open_tasks(api, case["case_id"], "ln-officer") if t["element_id"] == "Task_Callback"]
    _deploy_longer_callback(admin)
    page = admin.get(f"{BASE}/migration").text
    assert "将在办工单迁移到第 2 版" in page and case["case_no"] in page
    assert f'name="cases" value="{case["case_id"]}" checked' in page and "1 件可以迁移，0 件不能迁移" in page
    assert db.session.get(Case, case["case_id"]).definition.version == 1
    db.session.remove()
    empty = admin.post(f"{BASE}/migration", {"to": "2"})
    assert empty.status_code == 302 and "to=2" in empty.headers["Location"]
    moved = admin.post(f"{BASE}/migration", {"to": "2", "cases": str(case["case_id"])})
    assert moved.status_code == 200 and "1 件工单中已有 1 件迁移到第 2 版" in moved.text
    assert re.search(rf'data-case-id="{case["case_id"]}" class="moved"', moved.text)
    assert db.session.get(Case, case["case_id"]).definition.version == 2
    event = db.session.query(AuditEvent).filter_by(kind="case_migrated", case_id=case["case_id"]).one()
    assert (event.actor, event.payload["from_version"], event.payload["to_version"]) == ("ln-admin", 1, 2)
    (after,) = [t for t in open_tasks(api, case["case_id"], "ln-officer") if t["element_id"] == "Task_Callback"]
    assert after["due_date"] == before["due_date"]
    assert "没有运行在其他版本上的在办工单" in admin.get(f"{BASE}/migration").text


def test_a_case_of_another_region_cannot_be_slipped_into_a_migration(admin, api):
    other = api.bad_review("sanming", record_no="SM-OTHER")
    _deploy_longer_callback(admin)
    response = admin.post(f"{BASE}/migration", {"to": "2", "cases": str(other["case_id"])})
    assert response.status_code == 400
    assert db.session.get(Case, other["case_id"]).definition.version == 1
