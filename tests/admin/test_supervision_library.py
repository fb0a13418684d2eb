"""督办 as one called process (bpmn/national/supervision.bpmn): a case on a version whose callback held its own
督办 task runs to its end on that version, and a move to the library's supervision process is refused, because
the preview cannot map the open 督办 into a called process."""

from pathlib import Path

from sqlalchemy import select

from casemgmt.db import db
from casemgmt.models import HumanTask
from tests.admin.edits import url, use_national_rules
from tests.web.flows import FORMS, callback, complete, only_task

#: the national callback.bpmn as it was before supervision.bpmn: its 督办 a user task of its own
OLD_CALLBACK = (Path(__file__).parent / "fixtures" / "callback_with_own_supervision.bpmn").read_text("utf-8")


def _run_timers(api, now: str) -> None:
    result = api.app.test_cli_runner().invoke(args=["timers", "run", "--once", "--now", now])
    assert result.exit_code == 0, result.output
    db.session.remove()


def test_a_case_with_its_own_supervision_task_is_refused_a_move_and_closes_its_supervision_on_the_old_version(
    api, clock
):
    library = use_national_rules(api)
    files = {**library["files"], "callback.bpmn": OLD_CALLBACK}
    body = {"files": files, "comment": "旧版：回访核实自带督办"}
    response = api.post(url("liaoning", "/deploy"), "ln-admin", json=body)
    assert response.status_code == 201, response.get_json()
    old = response.get_json()["version"]
    clock.set("2025-09-26T10:00:00+08:00")
    case = api.bad_review()
    _run_timers(api, "2025-10-10T00:00:01+08:00")
    supervision = only_task(api, case["case_id"], "ln-supervisor", "Task_SuperviseCallback")
    assert supervision["title"] == "督办：回访核实逾期"

    new = use_national_rules(api)["version"]
    preview = api.get(url("liaoning", f"/migration/preview?to={new}"), "ln-admin").get_json()
    (entry,) = preview["cases"]
    assert not entry["movable"] and any("Task_SuperviseCallback" in b for b in entry["blockers"])

    late = only_task(api, case["case_id"], "ln-officer", "Task_Callback")
    assert complete(api, late["id"], "ln-officer", callback("explanation")).status_code == 200
    row = db.session.scalar(select(HumanTask).where(HumanTask.id == supervision["id"]))
    assert (row.status, row.data["closed_automatically"], row.supervised_task_id) == ("completed", True, late["id"])
    row = only_task(api, case["case_id"], "ln-officer", "Task_Explanation")
    assert complete(api, row["id"], "ln-officer", FORMS["explanation"]).status_code == 200
    body = api.get(f"/api/v1/cases/{case['case_id']}", "ln-auditor").get_json()
    assert body["definition"]["version"] == old


def test_the_library_supervision_names_the_late_task_in_the_calling_process_and_closes_with_it(api, clock):
    use_national_rules(api)
    clock.set("2025-09-26T10:00:00+08:00")
    case = api.bad_review()
    _run_timers(api, "2025-10-10T00:00:01+08:00")
    supervision = only_task(api, case["case_id"], "ln-supervisor", "Task_Supervise")
    late = only_task(api, case["case_id"], "ln-officer", "Task_Callback")
    assert supervision["title"] == "督办：回访核实逾期"
    row = db.session.get(HumanTask, supervision["id"])
    assert row.supervised_task_id == late["id"]
    assert complete(api, late["id"], "ln-officer", callback("explanation")).status_code == 200
    db.session.remove()
    row = db.session.get(HumanTask, supervision["id"])
    assert (row.status, row.data["closed_automatically"]) == ("completed", True)
    open_tasks = api.get(f"/api/v1/cases/{case['case_id']}", "ln-supervisor").get_json()["open_tasks"]
    assert [t["element_id"] for t in open_tasks] == ["Task_Explanation"]
