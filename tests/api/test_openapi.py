"""The OpenAPI 3.1 document: it covers every /api/v1 rule, names the roles from the permission table, and is
fuzzed by schemathesis (bounded, derandomized examples per operation) with 0 server errors.

`FUZZ_EXAMPLES=200 pytest -m fuzz -s tests/api` is the long run (≥ 5,000 requests); the suite runs fewer.
"""

from __future__ import annotations

import os
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from casemgmt.access.policy import POLICY, Action
from tests.web.ui.conftest import ui  # noqa: F401 - a fixture, used by name
from web.api.openapi import OPERATIONS, api_rules

_ARG = re.compile(r"<(?:\w+:)?(\w+)>")


def _document(api) -> dict:
    response = api.client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_the_document_covers_every_api_rule_with_its_roles_and_errors(api):
    document = _document(api)
    assert document["openapi"] == "3.1.0"
    for rule in api_rules(api.app):
        path = _ARG.sub(lambda m: "{" + m.group(1) + "}", rule.rule)
        assert path in document["paths"], rule.rule
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = document["paths"][path][method.lower()]
            assert {"400", "401", "403", "404", "409", "413"} <= set(operation["responses"])
            action = OPERATIONS[rule.endpoint].action
            if action is not None:
                assert operation["x-roles"] == [str(r) for r in POLICY[Action(action)]]
    evaluation = document["paths"]["/api/v1/evaluations"]["post"]
    assert evaluation["x-roles"] == ["channel"]
    assert "/Evaluation" in evaluation["requestBody"]["content"]["application/json"]["schema"]["$ref"]


def test_json_is_utf8_without_escapes_and_instants_are_in_beijing_time(api, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    case_id = api.bad_review()["case_id"]
    response = api.get(f"/api/v1/cases/{case_id}", "ln-auditor")
    assert "\\u" not in response.get_data(as_text=True) and "等了两个小时".encode() in response.data
    assert response.get_json()["opened_at"].endswith("+08:00")


def _user_for(operation: dict) -> str:
    roles = [r for r in operation.get("x-roles", []) if r != "any"]
    return f"ln-{roles[0] if roles else 'officer'}"


@pytest.mark.fuzz
def test_schemathesis_finds_no_server_error(api, clock):
    clock.set("2025-09-26T10:00:00+08:00")
    for n in range(3):
        api.bad_review(record_no=f"FUZZ-{n}")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api.app)
    examples = int(os.environ.get("FUZZ_EXAMPLES", "8"))
    counts = {"requests": 0}
    errors: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        headers = {"Authorization": f"Bearer {api.token(_user_for(operation.definition.raw))}"}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, headers, examples, counts, errors)
    print(f"fuzzed requests {counts.pop('requests')}, server errors {len(errors)}, by status {sorted(counts.items())}")
    counts["requests"] = sum(counts.values())
    assert counts["requests"] >= len(api_rules(api.app))
    assert errors == [], errors[:20]


def _fuzz(operation, mode, headers: dict, examples: int, counts: dict, errors: list) -> None:
    """Send `examples` generated requests to one operation; record each server error."""

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def fuzz(case):
        response = case.call(headers={**(case.headers or {}), **headers})
        counts["requests"] += 1
        counts[response.status_code] = counts.get(response.status_code, 0) + 1
        if response.status_code >= 500:
            errors.append(f"{operation.method.upper()} {case.formatted_path} -> {response.status_code}")

    fuzz()


def test_signed_in_users_get_an_interactive_page_listing_every_operation(api, ui):  # noqa: F811
    assert ui().get("/api-docs").status_code == 302
    page = ui("ln-officer").get("/api-docs")
    assert page.status_code == 200 and "API 参考" in page.text and "试一试" in page.text
    assert page.text.count('class="api-try"') == sum(len(ops) for ops in _document(api)["paths"].values())
    assert "js/api-docs.js" in page.text and "cdn" not in page.text.lower()
