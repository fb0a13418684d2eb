"""Rule versions through the admin API: list, show, diff, deploy, roll back; scoped to the admin's region."""

import pytest

from casemgmt.audit.chain import verify_chain
from casemgmt.db import db
from casemgmt.models import AuditEvent
from tests.admin.edits import active, deploy, file_with, set_attribute, url


def _rename_callback(api, title: str) -> tuple[dict, dict]:
    current = active(api)
    name = file_with(current["files"], "Task_Callback")
    text = set_attribute(current["files"][name], "Task_Callback", "name", title)
    response = deploy(api, {name: text}, "回访核实改名")
    assert response.status_code == 201, response.get_json()
    return current, response.get_json()


def test_the_version_list_shows_who_deployed_when_and_why(api):
    response = api.get(url("liaoning", "/versions"), "ln-admin")
    assert response.status_code == 200
    (version,) = response.get_json()["versions"]
    assert version["is_active"] and version["deployed_by"] == "seed" and version["comment"]
    assert len(version["sha256"]) == 64 and "bad_review.bpmn" in version["file_names"]


def test_deploying_creates_a_new_immutable_version_and_audits_it(api):
    before, deployed = _rename_callback(api, "电话回访核实")
    assert deployed["version"] == before["version"] + 1 and deployed["created"] is True
    assert deployed["deployed_by"] == "ln-admin" and deployed["comment"] == "回访核实改名"
    old = api.get(url("liaoning", f"/versions/{before['version']}"), "ln-admin").get_json()
    assert old["files"] == before["files"] and old["sha256"] == before["sha256"] and not old["is_active"]
    event = db.session.query(AuditEvent).filter_by(kind="definition_deployed", actor="ln-admin").one()
    assert event.payload["version"] == deployed["version"] and event.payload["comment"] == "回访核实改名"
    assert verify_chain(event.chain) == []


def test_deploying_the_same_files_again_creates_nothing(api):
    _, deployed = _rename_callback(api, "电话回访核实")
    again = deploy(api, {}, "再次部署")
    assert again.status_code == 200 and again.get_json()["version"] == deployed["version"]
    assert again.get_json()["created"] is False


def test_the_diff_names_the_changed_element_with_old_and_new_values(api):
    before, deployed = _rename_callback(api, "电话回访核实")
    body = api.get(url("liaoning", f"/versions/{before['version']}/diff/{deployed['version']}"), "ln-admin").get_json()
    assert body["added"] == [] and body["removed"] == []
    (changed,) = body["changed"]
    assert (changed["id"], changed["type"], changed["name"]) == ("Task_Callback", "userTask", "电话回访核实")
    assert changed["changes"] == [{"field": "@name", "label": "名称", "old": "回访核实", "new": "电话回访核实"}]
    assert body["files"]["changed"] == [file_with(before["files"], "Task_Callback")]


def test_the_diff_lists_added_and_removed_elements_by_id(api):
    before = active(api)
    name = file_with(before["files"], "Task_Callback")
    text = before["files"][name].replace("End_CallbackSupervised", "End_Supervised")
    deployed = deploy(api, {name: text}, "改 id").get_json()
    body = api.get(url("liaoning", f"/versions/{before['version']}/diff/{deployed['version']}"), "ln-admin").get_json()
    assert [e["id"] for e in body["added"]] == ["End_Supervised"]
    assert [(e["id"], e["name"]) for e in body["removed"]] == [("End_CallbackSupervised", "督办已处理")]
    changed = {e["id"]: e for e in body["changed"]}
    assert changed["Flow_CallbackSupervised"]["changes"] == [
        {"field": "@targetRef", "label": "终点", "old": "End_CallbackSupervised", "new": "End_Supervised"}
    ]


def test_rollback_deploys_a_new_version_equal_to_the_old_one_and_audits_it(api):
    before, deployed = _rename_callback(api, "电话回访核实")
    response = api.post(
        url("liaoning", f"/versions/{before['version']}/rollback"), "ln-admin", json={"comment": "改名有误"}
    )
    assert response.status_code == 201, response.get_json()
    rolled = response.get_json()
    assert rolled["version"] == deployed["version"] + 1 and rolled["is_active"]
    assert rolled["sha256"] == before["sha256"] and rolled["comment"].endswith("改名有误")
    assert active(api)["files"] == before["files"]
    event = db.session.query(AuditEvent).filter_by(kind="definition_rolled_back").one()
    assert event.payload["from_version"] == deployed["version"] and event.payload["to_version"] == before["version"]
    again = api.post(url("liaoning", f"/versions/{before['version']}/rollback"), "ln-admin", json={"comment": "x"})
    assert again.status_code == 400


def test_a_rollback_needs_a_reason(api):
    before, _ = _rename_callback(api, "电话回访核实")
    response = api.post(url("liaoning", f"/versions/{before['version']}/rollback"), "ln-admin", json={})
    assert response.status_code == 400 and "comment" in response.get_json()["details"]


def test_a_deploy_needs_a_reason(api):
    response = api.post(url("liaoning", "/deploy"), "ln-admin", json={"files": {}})
    assert response.status_code == 400 and "comment" in response.get_json()["details"]


def test_another_regions_admin_gets_404_on_every_admin_route(api):
    version = active(api)["version"]
    routes = [
        ("GET", "/versions"),
        ("GET", f"/versions/{version}"),
        ("GET", f"/versions/{version}/diff/{version}"),
        ("POST", "/validate"),
        ("POST", "/dry-run"),
        ("POST", "/deploy"),
        ("POST", f"/versions/{version}/rollback"),
        ("GET", "/migration/preview"),
        ("POST", "/migration"),
        ("GET", "/calendar"),
        ("POST", "/calendar/preview"),
        ("POST", "/calendar"),
    ]
    for method, path in routes:
        response = api.call(method, url("liaoning", path), "sm-admin", json={"comment": "x", "files": {}})
        assert response.status_code == 404, (method, path, response.get_json())
    assert api.get(url("nowhere", "/versions"), "ln-admin").status_code == 404


def test_an_officer_or_auditor_of_the_region_gets_403(api):
    for user in ("ln-officer", "ln-auditor", "ln-coordinator"):
        assert api.get(url("liaoning", "/versions"), user).status_code == 403
        assert deploy(api, {}, "x", user=user).status_code == 403
    assert api.client.get(url("liaoning", "/versions")).status_code == 401


def test_a_version_that_does_not_exist_is_404(api):
    assert api.get(url("liaoning", "/versions/99"), "ln-admin").status_code == 404
    assert api.get(url("liaoning", "/versions/1/diff/99"), "ln-admin").status_code == 404


@pytest.mark.parametrize(
    ("region", "admin"), [("liaoning", "ln-admin"), ("sanming", "sm-admin"), ("xian", "xa-admin"), ("nea", "nea-admin")]
)
def test_every_bundled_region_validates_and_dry_runs_its_own_rules(api, region, admin):
    checked = api.post(url(region, "/validate"), admin, json={}).get_json()
    assert checked["valid"], checked["problems"]
    response = api.post(url(region, "/dry-run"), admin, json={})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["tasks"] and all(t["due_date"] for t in body["tasks"] if t["due_expr"])
    preview = api.get(url(region, "/migration/preview"), admin).get_json()
    assert preview["cases"] == []
