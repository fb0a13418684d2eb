"""Forms edited as their definition file with a live preview as officers see it; decision tables in dmn-js,
a new one starting from an empty table that passes validation and deploys."""

import json

from casemgmt.db import db
from casemgmt.models import AuditEvent
from tests.admin_ui.conftest import BASE, active_files, post_json

FORM = "forms/callback_verification.json"


def _preview(admin, key: str, text: str) -> dict:
    response = post_json(admin, f"{BASE}/forms/{key}/preview", {"text": text})
    assert response.status_code == 200, response.text[:300]
    return response.get_json()


def test_the_forms_page_lists_the_active_versions_forms(admin):
    page = admin.get(f"{BASE}/forms").text
    definition = json.loads(active_files()[FORM])
    assert "callback_verification" in page and definition["title"] in page
    assert f'href="{BASE}/forms/callback_verification"' in page


def test_the_form_editor_shows_the_file_and_its_preview_with_the_task_forms_fields(admin):
    page = admin.get(f"{BASE}/forms/callback_verification").text
    definition = json.loads(active_files()[FORM])
    assert 'id="form-text"' in page and f'data-file="{FORM}"' in page
    for spec in definition["fields"]:
        assert f'data-field="{spec["name"]}"' in page and spec["label"] in page


def test_the_live_preview_renders_a_valid_definition_and_lists_the_problems_of_a_broken_one(admin):
    definition = json.loads(active_files()[FORM])
    definition["fields"].append({"name": "visit_note", "label": "走访记录", "type": "text", "required": True})
    shown = _preview(admin, "callback_verification", json.dumps(definition, ensure_ascii=False))
    assert shown["problems"] == [] and 'data-field="visit_note"' in shown["html"] and "走访记录" in shown["html"]
    broken = _preview(admin, "callback_verification", '{"key": "callback_verification", "fields": [')
    assert broken["html"] == "" and "不是有效的 JSON" in broken["problems"][0]
    definition["fields"][-1]["type"] = "decimal"
    typo = _preview(admin, "callback_verification", json.dumps(definition, ensure_ascii=False))
    assert typo["html"] == "" and any("visit_note" in p for p in typo["problems"])
    renamed = _preview(admin, "callback_verification", json.dumps({**definition, "key": "other"}))
    assert any("callback_verification" in p for p in renamed["problems"])
    hostile = _preview(admin, "callback_verification", "[" * 100_000 + "]" * 100_000)
    assert hostile["html"] == "" and hostile["problems"]


def test_a_form_change_is_validated_and_deployed_like_a_diagram(admin):
    definition = json.loads(active_files()[FORM])
    definition["fields"].append({"name": "visit_note", "label": "走访记录", "type": "text"})
    text = json.dumps(definition, ensure_ascii=False, indent=2)
    assert post_json(admin, f"{BASE}/rules/validate", {"files": {FORM: text}}).get_json()["valid"] is True
    response = post_json(admin, f"{BASE}/rules/deploy?active=1", {"files": {FORM: text}, "comment": "增加走访记录"})
    assert response.status_code == 201, response.get_json()
    assert "visit_note" in active_files()[FORM]


def test_a_new_form_key_opens_a_starter_definition(admin):
    page = admin.get(f"{BASE}/forms/site_visit").text
    assert 'data-file="forms/site_visit.json"' in page and "&#34;key&#34;: &#34;site_visit&#34;" in page
    assert admin.get(f"{BASE}/forms?key=site_visit").status_code == 302
    assert admin.get(f"{BASE}/forms/..%2Fsecret").status_code == 404


def test_the_decisions_page_offers_a_new_table_when_the_version_has_none(admin):
    page = admin.get(f"{BASE}/decisions").text
    assert "此版本还没有决策表" in page
    page = admin.get(f"{BASE}/decisions?new=routing_rules").text
    assert f'data-xml="{BASE}/decisions/new.dmn?name=routing_rules"' in page and "build/dmn.js" in page
    assert 'data-file="routing_rules.dmn"' in page
    assert admin.get(f"{BASE}/decisions?new=1bad name").status_code == 400
    assert admin.get(f"{BASE}/decisions/new.dmn?name=a%22b").status_code == 404


def test_a_new_decision_table_validates_deploys_and_opens_from_the_new_version(admin):
    dmn = admin.get(f"{BASE}/decisions/new.dmn?name=routing_rules")
    assert dmn.mimetype == "application/xml" and 'decision id="routing_rules"' in dmn.text
    checked = post_json(admin, f"{BASE}/rules/validate", {"files": {"routing_rules.dmn": dmn.text}}).get_json()
    assert checked["valid"] is True, checked["problems"]
    response = post_json(
        admin, f"{BASE}/rules/deploy?active=1", {"files": {"routing_rules.dmn": dmn.text}, "comment": "新增分派决策表"}
    )
    assert response.status_code == 201
    page = admin.get(f"{BASE}/decisions").text
    assert f'data-xml="{BASE}/versions/2/files/routing_rules.dmn"' in page
    assert db.session.query(AuditEvent).filter_by(kind="definition_deployed", actor="ln-admin").count() == 1


def test_a_decision_table_with_a_forbidden_cell_is_refused_naming_the_rule(admin):
    dmn = admin.get(f"{BASE}/decisions/new.dmn?name=routing_rules").text
    hostile = dmn.replace('<text>"supervisor"</text>', "<text>__import__('os').getcwd()</text>")
    body = post_json(admin, f"{BASE}/rules/validate", {"files": {"routing_rules.dmn": hostile}}).get_json()
    assert body["valid"] is False and "Rule_1" in str(body["problems"])
