"""Region settings in the browser: a labelled form, checks that name the field, the difference from the active
version, a dry run, and a deploy with a reason that becomes an audited version; running cases keep theirs."""

import json

from casemgmt.db import db
from casemgmt.models import AuditEvent
from tests.admin_ui.conftest import BASE, active_files, post_json


def test_the_settings_page_shows_labelled_fields_with_the_active_values(admin):
    page = admin.get(f"{BASE}/settings").text
    assert "回访核实期限（工作日）" in page and "延期上限（工作日）" in page and "申诉期（工作日）" in page
    assert 'id="setting-callback_workdays"' in page and 'value="1"' in page  # Liaoning: 1 working day
    assert 'id="setting-extension_max_workdays"' in page and 'value="15"' in page
    assert f'data-preview="{BASE}/settings/preview"' in page and "js/settings_editor.js" in page


def test_a_wrong_value_is_refused_naming_the_field_and_a_change_shows_its_difference(admin):
    bad = post_json(admin, f"{BASE}/settings/preview", {"values": {"callback_workdays": "两天"}}).get_json()
    assert bad["problems"] == {"callback_workdays": "回访核实期限（工作日）：必须是 0 到 366 之间的整数，而不是 '两天'"}
    checked = post_json(admin, f"{BASE}/rules/validate", {"files": bad["files"], "base": 1}).get_json()
    assert checked["valid"] is False
    assert (
        checked["problems"][0]["element"] == "callback_workdays" and "回访核实期限" in checked["problems"][0]["message"]
    )

    good = post_json(admin, f"{BASE}/settings/preview", {"values": {"callback_workdays": "2"}}).get_json()
    assert good["problems"] == {}
    assert good["changes"] == [{"key": "callback_workdays", "label": "回访核实期限（工作日）", "old": 1, "new": 2}]
    assert 'data-setting="callback_workdays"' in good["html"]


def test_settings_are_dry_run_and_deployed_as_an_audited_version(admin, api):
    running = api.bad_review(record_no="LN-RUNNING")
    before = post_json(admin, f"{BASE}/settings/preview", {"values": {"callback_workdays": "3"}}).get_json()
    dry = post_json(admin, f"{BASE}/rules/dry-run", {"files": before["files"], "base": 1}).get_json()
    [task] = dry["result"]["tasks"]
    assert task["element_id"] == "Task_Callback" and task["due_expr"] == "workdays(settings['callback_workdays'])"

    deployed = post_json(
        admin,
        f"{BASE}/rules/deploy?active=1",
        {"files": before["files"], "base": 1, "comment": "回访期限改为 3 个工作日"},
    )
    assert deployed.status_code == 201, deployed.get_json()
    assert json.loads(active_files()["settings.json"])["callback_workdays"] == 3
    event = db.session.query(AuditEvent).filter_by(kind="definition_deployed").order_by(AuditEvent.seq.desc()).first()
    assert event.payload["comment"] == "回访期限改为 3 个工作日" and "settings.json" in event.payload["files"]
    db.session.remove()
    fresh = api.bad_review(record_no="LN-FRESH")
    old_case = api.get(f"/api/v1/cases/{running['case_id']}", "ln-auditor").get_json()
    new_case = api.get(f"/api/v1/cases/{fresh['case_id']}", "ln-auditor").get_json()
    assert (old_case["definition"]["version"], new_case["definition"]["version"]) == (1, 2)


def test_preset_reasons_and_sub_ratings_are_versioned_settings_the_rating_page_and_intake_use(admin, api, client):
    """GB/T 39734 annex A: the rating's items and reasons are the region's, edited and deployed like any setting."""
    values = {"preset_reasons": "窗口排队久\n材料反复退回", "sub_ratings": "attitude=服务态度\nefficiency=办事效率"}
    preview = post_json(admin, f"{BASE}/settings/preview", {"values": values}).get_json()
    assert preview["problems"] == {} and {c["key"] for c in preview["changes"]} == set(values)
    assert 'id="setting-preset_reasons"' in admin.get(f"{BASE}/settings").text
    before = client.get("/rate/liaoning/ln-sy-scjg").get_data(as_text=True)
    assert "窗口排队久" not in before and "办事流程繁琐" in before
    deployed = post_json(
        admin, f"{BASE}/rules/deploy?active=1", {"files": preview["files"], "base": 1, "comment": "评价原因与分项"}
    )
    assert deployed.status_code == 201, deployed.get_json()
    page = client.get("/rate/liaoning/ln-sy-scjg").get_data(as_text=True)
    assert "窗口排队久" in page and "办事流程繁琐" not in page and 'data-sub-rating="efficiency"' in page
    rated = api.post(
        "/api/v1/evaluations",
        "ln-channel",
        json=api.evaluation(record_no="LN-SUB", sub_ratings={"attitude": "satisfied", "efficiency": "dissatisfied"}),
    )
    assert rated.status_code == 201
    shown = api.get(f"/api/v1/evaluations/{rated.get_json()['id']}", "ln-auditor").get_json()
    assert shown["sub_ratings"] == {"attitude": "satisfied", "efficiency": "dissatisfied"}
    unknown = api.post(
        "/api/v1/evaluations", "ln-channel", json=api.evaluation(record_no="LN-SUB2", sub_ratings={"speed": "basic"})
    )
    assert unknown.status_code == 400 and "speed" in unknown.get_json()["details"]["sub_ratings"][0]
