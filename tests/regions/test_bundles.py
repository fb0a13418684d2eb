"""Region folders override the national template file by file, and a broken one is refused at load."""

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from casemgmt.actor import Actor
from casemgmt.errors import DiagramInvalid
from casemgmt.rules import seed
from casemgmt.rules.bundles import collect_files

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2025, 9, 26, 2, 0, tzinfo=UTC)
REGIONS = ("nea", "sanming", "liaoning", "xian")


def _national(tmp_path: Path) -> tuple[Path, Path]:
    bpmn, forms = tmp_path / "bpmn", tmp_path / "forms"
    shutil.copytree(ROOT / "bpmn" / "national", bpmn / "national")
    shutil.copytree(ROOT / "forms" / "national", forms / "national")
    return bpmn, forms


def test_a_region_overriding_one_form_inherits_every_other_file(tmp_path):
    bpmn, forms = _national(tmp_path)
    (bpmn / "demo").mkdir()
    (forms / "demo").mkdir()
    feedback = json.loads((forms / "national" / "feedback.json").read_text("utf-8")) | {"title": "反馈评价人（示例）"}
    (forms / "demo" / "feedback.json").write_text(json.dumps(feedback, ensure_ascii=False), "utf-8")
    files = collect_files(bpmn, forms, "demo")
    national = collect_files(bpmn, forms, "national")
    assert set(files) == set(national)
    assert json.loads(files["forms/feedback.json"])["title"] == "反馈评价人（示例）"
    assert {k: v for k, v in files.items() if k != "forms/feedback.json"} == {
        k: v for k, v in national.items() if k != "forms/feedback.json"
    }


@pytest.mark.parametrize("region", REGIONS)
def test_every_bundled_region_holds_only_the_files_it_changes_and_inherits_the_rest(region):
    files = collect_files(ROOT / "bpmn", ROOT / "forms", region)
    national = collect_files(ROOT / "bpmn", ROOT / "forms", "national")
    own = {p.name for p in (ROOT / "bpmn" / region).glob("*.bpmn")}
    own |= {f"forms/{p.name}" for p in (ROOT / "forms" / region).glob("*.json")}
    assert own and "bad_review.bpmn" not in own  # the main process is the library's
    for name in own:
        assert files[name] != national.get(name), name
    inherited = set(national) - own - {"settings.json"}
    assert all(files[name] == national[name] for name in inherited)
    assert set(files) == set(national) | own


def test_no_region_diagram_is_a_copy_of_a_national_or_another_regions_file():
    texts = {p: p.read_text("utf-8") for p in (ROOT / "bpmn").glob("*/*.bpmn")}
    regional = [p for p in texts if p.parent.name != "national"]
    for path in regional:
        copies = [other for other, text in texts.items() if other != path and text == texts[path]]
        assert not copies, (path, copies)


@pytest.mark.parametrize("region", REGIONS)
def test_the_bundle_settings_are_the_national_defaults_with_the_regions_numbers(region):
    files = collect_files(ROOT / "bpmn", ROOT / "forms", region)
    settings = json.loads(files["settings.json"])
    defaults = json.loads((ROOT / "bpmn" / "national" / "settings.json").read_text("utf-8"))
    own = json.loads((ROOT / "bpmn" / region / "region.json").read_text("utf-8"))["settings"]
    assert set(settings) == set(defaults)
    assert all(settings[key] == own.get(key, value) for key, value in defaults.items())


def test_sanming_keeps_the_national_revocation_form_and_xian_replaces_the_feedback_form():
    national = collect_files(ROOT / "bpmn", ROOT / "forms", "national")
    sanming = collect_files(ROOT / "bpmn", ROOT / "forms", "sanming")
    xian = collect_files(ROOT / "bpmn", ROOT / "forms", "xian")
    assert sanming["forms/revocation_review.json"] == national["forms/revocation_review.json"]
    assert "satisfied" not in xian["forms/feedback.json"] and "satisfied" in national["forms/feedback.json"]


def _broken_region(tmp_path: Path) -> tuple[Path, Path]:
    bpmn, forms = _national(tmp_path)
    shutil.copytree(ROOT / "forms" / "sanming", forms / "broken")
    (bpmn / "broken").mkdir()
    (bpmn / "broken" / "region.json").write_text(json.dumps({"code": "broken", "name": "测试地区"}), "utf-8")
    diagram = (ROOT / "bpmn" / "national" / "appeal.bpmn").read_text("utf-8")
    diagram = diagram.replace('camunda:formKey="appeal_review"', 'camunda:formKey="appeal_verdict"', 1)
    diagram = diagram.replace('camunda:topic="rule_appeal"', 'camunda:topic="delete_everything"', 1)
    (bpmn / "broken" / "appeal.bpmn").write_text(diagram, "utf-8")
    return bpmn, forms


def test_a_region_folder_with_an_invalid_diagram_is_refused_at_load_naming_the_file_and_element(app, tmp_path):
    bpmn, forms = _broken_region(tmp_path)
    with pytest.raises(DiagramInvalid) as refused:
        seed.load_region("broken", bpmn, forms, Actor.system("seed"), NOW)
    problems = {(p["file"], p["element"]) for p in refused.value.details}
    assert problems == {("appeal.bpmn", "Task_AppealReview"), ("appeal.bpmn", "Task_RuleAppeal")}
    messages = [p["message"] for p in refused.value.details]
    assert "文件 appeal.bpmn，元素 Task_AppealReview：表单 appeal_verdict 不存在" in messages
    assert "2 个问题" in refused.value.message


def test_the_seed_command_refuses_the_broken_region_and_names_file_and_element(app, tmp_path):
    bpmn, forms = _broken_region(tmp_path)
    app.config.update(BPMN_ROOT=bpmn, FORMS_ROOT=forms)
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code != 0
    assert "Task_RuleAppeal" in result.output and "delete_everything" in result.output
    assert "appeal.bpmn" in result.output


def test_a_field_asked_only_where_a_setting_is_null_follows_each_regions_settings():
    """One national handling_choice form: NEA and Xi'an fix no rectification period, so their units set it there;
    Liaoning (15) and Sanming fix it, so their officers are not asked."""
    from casemgmt.rules.bundles import for_settings, form_definitions, settings_of

    def fields(region: str) -> list[str]:
        files = collect_files(ROOT / "bpmn", ROOT / "forms", region)
        forms = for_settings(form_definitions(files), settings_of(files))
        return [f["name"] for f in forms["handling_choice"]["fields"]]

    assert "rectification_workdays" in fields("nea") and "rectification_workdays" in fields("xian")
    assert "rectification_workdays" not in fields("liaoning") and "rectification_workdays" not in fields("sanming")
    files = collect_files(ROOT / "bpmn", ROOT / "forms", "nea")
    assert "rectification_workdays" in [f["name"] for f in form_definitions(files)["handling_choice"]["fields"]]


def test_a_field_conditioned_on_a_setting_that_does_not_exist_is_refused():
    from casemgmt.rules.bundles import validate_files

    files = collect_files(ROOT / "bpmn", ROOT / "forms", "nea")
    form = json.loads(files["forms/handling_choice.json"])
    form["fields"][-1]["only_without_setting"] = "rectification_days"
    files["forms/handling_choice.json"] = json.dumps(form, ensure_ascii=False)
    with pytest.raises(DiagramInvalid) as refused:
        validate_files(files)
    assert any("rectification_days" in p["message"] for p in refused.value.details)
