"""The Liaoning story at the API level: an administrator changes the callback deadline, deploys, new cases get
the new deadline, a case opened before keeps the old one, and keeps it when migrated to the new version."""

import json
import re
from datetime import datetime

from casemgmt.calendar import load_calendar
from casemgmt.db import db
from casemgmt.models import AuditEvent, ProcessInstance
from tests.admin.edits import active, attribute, deploy, file_with, url
from tests.web.flows import callback, complete, open_tasks


def _callback_task(api, case_id: int) -> dict:
    tasks = open_tasks(api, case_id, "ln-officer")
    return next((t for t in tasks if t["form_key"] == "callback_verification"), tasks[0])


def _workdays(expression: str) -> int:
    match = re.fullmatch(r"\$\{\s*workdays\((\d+)\)\s*\}|workdays\((\d+)\)", expression.strip())
    assert match, f"the callback deadline is not a plain workdays(n): {expression}"
    return int(match.group(1) or match.group(2))


def _fill(form_text: str) -> dict:
    """Fill the callback form as an officer would: the national answers, plus any field the region added."""
    data = callback("ledger")
    for field in json.loads(form_text)["fields"]:
        if field["name"] not in data and field.get("required"):
            data[field["name"]] = field["choices"][0]["value"] if field.get("choices") else "已核实"
    return data


def _due_date(start: str, days: int) -> str:
    return load_calendar("liaoning").due(datetime.fromisoformat(start), days).due_date.isoformat()


def test_a_new_callback_deadline_applies_to_new_cases_and_migration_keeps_the_old_ones(api, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    old_case = api.bad_review(record_no="LN-OLD")
    old_task = _callback_task(api, old_case["case_id"])
    current = active(api)
    name = file_with(current["files"], old_task["element_id"])
    due = attribute(current["files"][name], old_task["element_id"], "camunda:dueDate")
    assert due == "${workdays(settings['callback_workdays'])}"  # the number is the region's setting
    settings = json.loads(current["files"]["settings.json"])
    old_days = settings["callback_workdays"]
    assert old_task["due_date"] == _due_date("2025-09-26T10:00:00+08:00", old_days)

    new_days = 1 if old_days != 1 else 3
    edited = json.dumps({**settings, "callback_workdays": new_days}, ensure_ascii=False)
    clock.set("2025-09-26T14:00:00+08:00")  # the old case's deadlines (and its overdue timer) are still ahead
    response = deploy(api, {"settings.json": edited}, f"回访时限改为 {new_days} 个工作日")
    assert response.status_code == 201, response.get_json()
    new_version = response.get_json()["version"]

    new_case = api.bad_review(record_no="LN-NEW")
    new_task = _callback_task(api, new_case["case_id"])
    assert new_task["due_date"] == _due_date("2025-09-26T14:00:00+08:00", new_days)
    assert new_task["due_date"] != _due_date("2025-09-26T14:00:00+08:00", old_days)
    assert _callback_task(api, old_case["case_id"])["due_date"] == old_task["due_date"]
    versions = {
        c: api.get(f"/api/v1/cases/{c}", "ln-auditor").get_json()["definition"]["version"]
        for c in (old_case["case_id"], new_case["case_id"])
    }
    assert versions == {old_case["case_id"]: current["version"], new_case["case_id"]: new_version}

    preview = api.get(url("liaoning", f"/migration/preview?to={new_version}"), "ln-admin").get_json()
    (entry,) = preview["cases"]
    assert entry["case_id"] == old_case["case_id"] and entry["movable"] and entry["from_version"] == current["version"]
    assert any("callback_workdays" in w and "保持不变" in w for w in entry["warnings"])
    timer_before = db.session.query(ProcessInstance).filter_by(case_id=old_case["case_id"]).one().next_timer_at
    db.session.remove()

    migrated = api.post(
        url("liaoning", "/migration"), "ln-admin", json={"to": new_version, "cases": [old_case["case_id"]]}
    )
    assert migrated.status_code == 200, migrated.get_json()
    assert migrated.get_json()["moved"] == 1
    after = _callback_task(api, old_case["case_id"])
    assert (after["id"], after["due_date"], after["due_at"]) == (
        old_task["id"],
        old_task["due_date"],
        old_task["due_at"],
    )
    case = api.get(f"/api/v1/cases/{old_case['case_id']}", "ln-auditor").get_json()
    assert case["definition"]["version"] == new_version
    instance = db.session.query(ProcessInstance).filter_by(case_id=old_case["case_id"]).one()
    assert instance.next_timer_at == timer_before and instance.definition.version == new_version
    event = db.session.query(AuditEvent).filter_by(case_id=old_case["case_id"], kind="case_migrated").one()
    assert (event.actor, event.payload["from_version"], event.payload["to_version"]) == (
        "ln-admin",
        current["version"],
        new_version,
    )

    clock.set("2025-09-26T16:00:00+08:00")
    form = next(f for n, f in active(api)["files"].items() if n == f"forms/{after['form_key']}.json")
    done = complete(api, after["id"], "ln-officer", _fill(form))
    assert done.status_code == 200, done.get_json()
