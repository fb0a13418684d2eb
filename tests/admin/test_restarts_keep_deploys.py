"""Deployed rules survive restarts: `flask seed` (which `make run` runs every time) imports a region's bundled
pack only when the region has no version; `flask rules import` imports it on purpose, prints the diff, needs a
reason and is audited."""

from casemgmt.db import db
from casemgmt.models import AuditEvent
from tests.admin.edits import active, deploy, file_with, set_attribute


def _seed(api, *args: str):
    result = api.app.test_cli_runner().invoke(args=["seed", "--demo", *args])
    assert result.exit_code == 0, result.output
    db.session.remove()
    return result


def test_a_person_deploys_through_the_admin_api_and_a_restart_keeps_that_version_active(api):
    current = active(api)
    name = file_with(current["files"], "Task_Callback")
    edited = set_attribute(current["files"][name], "Task_Callback", "name", "电话回访核实")
    response = deploy(api, {name: edited}, "按本地做法改名")
    assert response.status_code == 201, response.get_json()
    deployed = response.get_json()["version"]

    result = _seed(api)  # what `make run` does on every start

    after = active(api)
    assert after["version"] == deployed and after["files"][name] == edited
    assert "liaoning：随版本发布的规则与当前生效版本不同，未导入" in result.output
    assert 'flask rules import --region liaoning --reason "原因"' in result.output
    _seed(api)
    assert active(api)["version"] == deployed


def test_importing_the_bundled_pack_needs_a_reason_prints_the_diff_and_is_audited(api):
    current = active(api)
    name = file_with(current["files"], "Task_Callback")
    edited = set_attribute(current["files"][name], "Task_Callback", "name", "电话回访核实")
    deployed = deploy(api, {name: edited}, "按本地做法改名").get_json()["version"]
    runner = api.app.test_cli_runner()

    missing = runner.invoke(args=["rules", "import", "--region", "liaoning"])
    assert missing.exit_code != 0 and "--reason" in missing.output
    blank = runner.invoke(args=["rules", "import", "--region", "liaoning", "--reason", " "])
    assert blank.exit_code != 0 and "需要说明原因" in blank.output
    db.session.remove()
    assert active(api)["version"] == deployed

    result = runner.invoke(args=["rules", "import", "--region", "liaoning", "--reason", "升级到新版国家规则库"])
    assert result.exit_code == 0, result.output
    assert f"修改文件 {name}" in result.output
    assert "修改元素 Task_Callback：名称 电话回访核实 → 回访核实" in result.output
    assert f"成为第 {deployed + 1} 版" in result.output
    db.session.remove()
    assert active(api)["version"] == deployed + 1
    event = db.session.query(AuditEvent).filter_by(kind="bundled_rules_imported").one()
    assert event.payload["reason"] == "升级到新版国家规则库"
    assert (event.payload["from_version"], event.payload["to_version"]) == (deployed, deployed + 1)

    again = runner.invoke(args=["rules", "import", "--region", "liaoning", "--reason", "再导入一次"])
    assert again.exit_code == 0 and "未部署新版本" in again.output
