"""POST /api/v1/evaluations: validation, idempotency, region scope, and the case a bad review opens."""

from sqlalchemy import func, select

from casemgmt.db import db
from casemgmt.models import Case, Evaluation


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_bad_review_opens_a_case_with_a_callback_task_due_in_three_working_days(api):
    body = api.bad_review("sanming")  # Sanming keeps the national template's 3 working days
    assert body["is_bad"] is True and body["case_id"]
    case = api.get(f"/api/v1/cases/{body['case_id']}", "sm-officer").get_json()
    [task] = case["open_tasks"]
    assert (task["title"], task["candidate_role"], task["form_key"]) == ("回访核实", "officer", "callback_verification")
    # Opened Fri 2025-09-26; Sun 09-28 is a make-up working day: 28, 29, 30.
    assert (task["due_date"], task["due_at"], task["provisional"]) == ("2025-09-30", "2025-10-01T00:00:00+08:00", False)
    assert case["definition"]["version"] == 1 and len(case["definition"]["sha256"]) == 64


def test_a_good_review_is_stored_without_a_case(api):
    response = api.post("/api/v1/evaluations", "ln-channel", json=api.evaluation(level="satisfied"))
    assert response.status_code == 201
    assert response.get_json()["case_id"] is None and response.get_json()["is_bad"] is False
    assert count(Case) == 0 and count(Evaluation) == 1


def test_bad_input_names_every_bad_field_and_stores_nothing(api):
    payload = api.evaluation(level="awful", evaluated_at="2025-09-26T10:00:00", record_no="")
    payload["evaluator"] = {"phone": "12"}
    payload["surprise"] = 1
    response = api.post("/api/v1/evaluations", "ln-channel", json=payload)
    assert response.status_code == 400
    details = response.get_json()["details"]
    assert {"level", "evaluated_at", "record_no", "evaluator", "surprise"} <= set(details)
    assert "phone" in details["evaluator"]
    assert count(Evaluation) == 0 and count(Case) == 0


def test_unknown_org_or_item_is_refused_by_field(api):
    response = api.post("/api/v1/evaluations", "ln-channel", json=api.evaluation(org_code="nowhere"))
    assert response.status_code == 400 and "org_code" in response.get_json()["details"]
    response = api.post("/api/v1/evaluations", "ln-channel", json=api.evaluation(item_code="X-404"))
    assert response.status_code == 400 and "item_code" in response.get_json()["details"]
    assert count(Evaluation) == 0


def test_resubmitting_the_same_external_id_returns_the_first_result_and_creates_nothing(api):
    first = api.post("/api/v1/evaluations", "ln-channel", json=api.evaluation(external_id="dev-42"))
    again = api.post("/api/v1/evaluations", "ln-channel", json=api.evaluation(external_id="dev-42"))
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["case_id"] == first.get_json()["case_id"]
    assert count(Evaluation) == 1 and count(Case) == 1


def test_a_channel_cannot_submit_for_another_region(api):
    response = api.post("/api/v1/evaluations", "sm-channel", json=api.evaluation("liaoning"))
    assert response.status_code == 403
    assert count(Evaluation) == 0


def test_requests_without_a_valid_token_get_401(api):
    response = api.client.post("/api/v1/evaluations", json=api.evaluation())
    assert response.status_code == 401
    response = api.client.get("/api/v1/tasks", headers={"Authorization": "Bearer zg_forged"})
    assert response.status_code == 401


def test_xian_refuses_a_bad_review_without_a_reason(api):
    payload = api.evaluation("xian", reasons=[], comment="")
    response = api.post("/api/v1/evaluations", "xa-channel", json=payload)
    assert response.status_code == 400 and "reasons" in response.get_json()["details"]
