"""Cases on a version of the old monolithic bad_review.bpmn run to their end on it; a move to the library of
called processes is refused with the reason, because the preview cannot map a step into a called process."""

from pathlib import Path

from tests.admin.edits import active, url, use_national_rules
from tests.web.flows import FORMS, callback, complete, only_task

#: the national diagram as it was before the library: every step in one process
MONOLITH = (Path(__file__).parent / "fixtures" / "monolithic_bad_review.bpmn").read_text("utf-8")


def _deploy_monolith(api) -> int:
    files = use_national_rules(api)["files"]
    remove = sorted(n for n in files if n.endswith(".bpmn") and n != "bad_review.bpmn") + ["settings.json"]
    body = {"files": {"bad_review.bpmn": MONOLITH}, "remove": remove, "comment": "旧版单一流程图"}
    response = api.post(url("liaoning", "/deploy"), "ln-admin", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["version"]


def test_a_case_on_the_monolith_is_refused_a_move_to_the_library_and_runs_to_its_end_on_the_monolith(api, clock):
    old = _deploy_monolith(api)
    case = api.bad_review()
    assert only_task(api, case["case_id"], "ln-officer")["element_id"] == "Task_Callback"
    library = use_national_rules(api)["version"]
    assert library == old + 1 and "callback.bpmn" in active(api)["files"]

    preview = api.get(url("liaoning", f"/migration/preview?to={library}"), "ln-admin").get_json()
    (entry,) = preview["cases"]
    assert not entry["movable"]
    assert any("Task_Callback" in b and "被调用流程 callback" in b and "原版本上办结" in b for b in entry["blockers"])
    moved = api.post(url("liaoning", "/migration"), "ln-admin", json={"to": library, "all": True}).get_json()
    assert (moved["moved"], moved["refused"]) == (0, 1)

    task = only_task(api, case["case_id"], "ln-officer")
    assert complete(api, task["id"], "ln-officer", callback("explanation")).status_code == 200
    for element, form in (("Task_Explanation", "explanation"), ("Task_Feedback", "feedback")):
        row = only_task(api, case["case_id"], "ln-officer", element)
        assert complete(api, row["id"], "ln-officer", FORMS[form]).status_code == 200
    body = api.get(f"/api/v1/cases/{case['case_id']}", "ln-auditor").get_json()
    assert body["status"] == "closed" and body["definition"]["version"] == old
