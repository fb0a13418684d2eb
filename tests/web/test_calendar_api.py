"""The deadline calculator over HTTP and on the command line."""

import json


def test_the_due_endpoint_answers_the_domain_example(api):
    response = api.get("/api/v1/calendars/liaoning/due?start=2025-09-26T10:00:00%2B08:00&workdays=15", "ln-officer")
    assert response.status_code == 200
    assert response.get_json() == {
        "due_date": "2025-10-23",
        "due_at": "2025-10-24T00:00:00+08:00",
        "provisional": False,
    }


def test_the_due_endpoint_marks_a_year_without_data_provisional(api):
    response = api.get("/api/v1/calendars/liaoning/due?start=2026-12-30T10:00:00%2B08:00&workdays=5", "ln-officer")
    assert response.get_json()["provisional"] is True


def test_the_due_endpoint_refuses_bad_parameters_by_name(api):
    response = api.get("/api/v1/calendars/liaoning/due?start=2025-09-26&workdays=abc", "ln-officer")
    assert response.status_code == 400
    assert set(response.get_json()["details"]) == {"start", "workdays"}
    other_region = api.get("/api/v1/calendars/sanming/due?start=2025-09-26T10:00:00%2B08:00&workdays=1", "ln-officer")
    assert other_region.status_code == 400


def test_the_cli_prints_the_same_answer(seeded_app):
    result = seeded_app.test_cli_runner().invoke(
        args=["calendar", "due", "--region", "liaoning", "--start", "2025-09-26", "--workdays", "15"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "due_date": "2025-10-23",
        "due_at": "2025-10-24T00:00:00+08:00",
        "provisional": False,
    }


def test_users_and_tokens_are_created_from_the_cli_and_the_token_works(seeded_app):
    runner = seeded_app.test_cli_runner()
    made = runner.invoke(
        args=[
            "users",
            "create",
            "ln-new",
            "--name",
            "新同事",
            "--region",
            "liaoning",
            "--org",
            "ln-sy-zjj",
            "--roles",
            "officer",
        ]
    )
    assert made.exit_code == 0, made.output
    bad = runner.invoke(
        args=[
            "users",
            "create",
            "ln-bad",
            "--name",
            "x",
            "--region",
            "liaoning",
            "--org",
            "ln-sy-zjj",
            "--roles",
            "wizard",
        ]
    )
    assert bad.exit_code != 0 and "角色" in bad.output
    token = runner.invoke(args=["tokens", "create", "ln-new"]).output.strip()
    response = seeded_app.test_client().get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.get_json()["tasks"] == []
