"""Edit a region's rule files the way an administrator would, through the admin API."""

from __future__ import annotations

import re

ADMIN = "/api/v1/admin/{region}"


def url(region: str, path: str) -> str:
    return ADMIN.format(region=region) + path


def active(api, region: str = "liaoning", user: str = "ln-admin") -> dict:
    """Return the active version with its files."""
    versions = api.get(url(region, "/versions"), user).get_json()["versions"]
    number = next(v["version"] for v in versions if v["is_active"])
    return api.get(url(region, f"/versions/{number}"), user).get_json()


def file_with(files: dict[str, str], element_id: str) -> str:
    """Return the name of the diagram file that defines an element."""
    return next(name for name, text in files.items() if name.endswith(".bpmn") and f'id="{element_id}"' in text)


def start_tag(text: str, element_id: str) -> re.Match:
    match = re.search(rf'<[^<>]*\bid="{re.escape(element_id)}"[^<>]*>', text)
    assert match, element_id
    return match


def attribute(text: str, element_id: str, name: str) -> str | None:
    found = re.search(rf'\s{re.escape(name)}="([^"]*)"', start_tag(text, element_id).group(0))
    return found.group(1) if found else None


def set_attribute(text: str, element_id: str, name: str, value: str) -> str:
    """Return the diagram text with one attribute of one element set."""
    match = start_tag(text, element_id)
    tag = match.group(0)
    pattern = rf'(\s{re.escape(name)}=")[^"]*(")'
    new_tag = (
        re.sub(pattern, rf"\g<1>{value}\g<2>", tag)
        if re.search(pattern, tag)
        else tag.replace(f' id="{element_id}"', f' id="{element_id}" {name}="{value}"')
    )
    return text[: match.start()] + new_tag + text[match.end() :]


def deploy(api, files: dict[str, str], comment: str, region: str = "liaoning", user: str = "ln-admin"):
    return api.post(url(region, "/deploy"), user, json={"files": files, "comment": comment})


def use_national_rules(api, region: str = "liaoning", user: str = "ln-admin") -> dict:
    """Deploy the national template (diagrams and forms) as the region's rules, whatever its own pack says.

    Tests of the administration machinery use it so that they do not depend on a region pack's details.
    """
    from casemgmt.rules.bundles import collect_files

    wanted = collect_files(api.app.config["BPMN_ROOT"], api.app.config["FORMS_ROOT"], "national")
    current = active(api, region, user)["files"]
    if current == wanted:
        return active(api, region, user)
    remove = sorted(set(current) - set(wanted))
    response = api.post(
        url(region, "/deploy"), user, json={"files": wanted, "remove": remove, "comment": "测试：使用国家基线规则"}
    )
    assert response.status_code == 201, response.get_json()
    return active(api, region, user)


def set_due(text: str, element_id: str, expression: str) -> str:
    """Set a user task's camunda:dueDate and the timeDate of its overdue timers to the same deadline
    (deployment refuses a due date and an overdue timer that disagree)."""
    text = set_attribute(text, element_id, "camunda:dueDate", expression)
    inner = expression[2:-1] if expression.startswith("${") and expression.endswith("}") else expression
    timers = re.compile(
        rf'(<bpmn:boundaryEvent\b[^>]*\battachedToRef="{re.escape(element_id)}".*?<bpmn:timeDate\b[^>]*>)[^<]*(</)',
        re.S,
    )
    return timers.sub(lambda m: m.group(1) + inner + m.group(2), text)


def upgrade_national_feedback(app, tmp_path) -> None:
    """Upgrade the product in a copy of bpmn/ and forms/: the national feedback process renames its review step.

    Liaoning inherits feedback.bpmn (a proposal for it); in the upgraded copy Sanming's pack overrides it (none: the
    bundled packs change smaller called steps, such as Sanming's review_followup.bpmn). Tracked files are untouched.
    """
    import shutil
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    bpmn, forms = tmp_path / "bpmn", tmp_path / "forms"
    shutil.copytree(root / "bpmn", bpmn)
    shutil.copytree(root / "forms", forms)
    path = bpmn / "national" / "feedback.bpmn"
    text = path.read_text("utf-8")
    own = text.replace("告知评价人与满意度", "告知评价人与满意度（三明）", 1)
    (bpmn / "sanming" / "feedback.bpmn").write_text(own, "utf-8")
    assert 'name="不满意复核"' in text
    path.write_text(text.replace('name="不满意复核"', 'name="不满意复核（监督部门）"', 1), "utf-8")
    app.config.update(BPMN_ROOT=bpmn, FORMS_ROOT=forms)
