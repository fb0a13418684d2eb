"""The national update page: an inheriting region's administrator sees the changed files, the element diff and a
dry run, then deploys with a reason or keeps the current version (both audited); a region that overrides the
file sees nothing to decide; the overview links to it."""

from sqlalchemy import select

from casemgmt.db import db
from casemgmt.models import AuditEvent
from casemgmt.rules import bundles
from tests.admin.edits import upgrade_national_feedback
from tests.admin_ui.conftest import BASE


def _active_version(code: str = "liaoning") -> int:
    from casemgmt.rules.regions import get_region

    return bundles.get_active(get_region(code).id).version


def test_the_overview_links_an_inheriting_region_to_the_proposal_which_it_deploys_with_a_reason(
    seeded_app, signed_in, tmp_path
):
    admin = signed_in("ln-admin")
    assert "全国规则库修改了" not in admin.get(f"{BASE}/").text
    assert "没有待处理的全国规则更新" in admin.get(f"{BASE}/national-proposal").text
    upgrade_national_feedback(seeded_app, tmp_path)
    overview = admin.get(f"{BASE}/").text
    assert "全国规则库修改了本地区继承的 1 个文件。" in overview and f"{BASE}/national-proposal" in overview
    before = _active_version()

    page = admin.get(f"{BASE}/national-proposal")
    assert page.status_code == 200
    text = page.text
    assert "全国规则更新" in text and "<code>feedback.bpmn</code>" in text
    assert 'data-element-id="Task_DissatisfactionReview"' in text and "不满意复核（监督部门）" in text
    assert "试运行" in text and 'data-element-id="Task_Callback"' in text  # the dry run's first task
    assert _active_version() == before  # showing it deployed nothing

    refused = admin.post(f"{BASE}/national-proposal", {"action": "deploy", "comment": " "})
    assert refused.status_code == 400 and _active_version() == before
    done = admin.post(f"{BASE}/national-proposal", {"action": "deploy", "comment": "采纳新版国家规则库"})
    assert done.status_code == 302 and done.location.endswith(f"{BASE}/versions")
    assert f"全国规则更新已部署为第 {before + 1} 版。" in admin.get(f"{BASE}/versions").text
    assert _active_version() == before + 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "national_update_accepted"))
    assert event.actor == "ln-admin" and event.payload["files"] == ["feedback.bpmn"]
    assert "没有待处理的全国规则更新" in admin.get(f"{BASE}/national-proposal").text
    assert "全国规则库修改了" not in admin.get(f"{BASE}/").text


def test_keeping_the_current_version_is_audited_and_shown_until_the_national_library_changes_again(
    seeded_app, signed_in, tmp_path
):
    upgrade_national_feedback(seeded_app, tmp_path)
    admin = signed_in("ln-admin")
    before = _active_version()
    admin.get(f"{BASE}/national-proposal")
    kept = admin.post(f"{BASE}/national-proposal", {"action": "keep", "comment": "本省复核仍由原部门办理"})
    assert kept.status_code == 302 and kept.location.endswith(f"{BASE}/national-proposal")
    page = admin.get(f"{BASE}/national-proposal").text
    assert "当前版本继续生效，未部署全国规则更新。" in page
    assert "ln-admin 于" in page and f"决定保留第 {before} 版" in page and "本省复核仍由原部门办理" in page
    assert _active_version() == before
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "national_update_kept"))
    assert event.payload["files"] == ["feedback.bpmn"] and event.payload["version"] == before

    path = seeded_app.config["BPMN_ROOT"] / "national" / "feedback.bpmn"  # a later national change
    path.write_text(path.read_text("utf-8").replace("不满意复核（监督部门）", "不满意复核（督查室）", 1), "utf-8")
    assert "决定保留" not in admin.get(f"{BASE}/national-proposal").text


def test_a_region_that_overrides_the_file_has_nothing_to_decide_and_others_cannot_decide_for_it(
    seeded_app, signed_in, tmp_path
):
    upgrade_national_feedback(seeded_app, tmp_path)
    sanming = signed_in("sm-admin")
    assert "没有待处理的全国规则更新" in sanming.get("/admin/sanming/national-proposal").text
    refused = sanming.post("/admin/sanming/national-proposal", {"action": "keep", "comment": "x"})
    assert refused.status_code == 400  # nothing to keep
    assert sanming.get(f"{BASE}/national-proposal").status_code == 404
    officer = signed_in("ln-officer")
    assert officer.get(f"{BASE}/national-proposal").status_code == 403
    assert officer.post(f"{BASE}/national-proposal", {"action": "deploy", "comment": "x"}).status_code == 403
