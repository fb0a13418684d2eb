"""Fixtures of the national library tests: the parsed specs, topics, forms, a fake clock and a new case."""

from __future__ import annotations

from datetime import datetime

import pytest
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.camunda.parser import CamundaParser

from casemgmt.forms import list_form_keys, load_form
from casemgmt.rules.bundles import for_settings
from tests.bpmn.national import (
    CAMUNDA,
    FILES,
    FORMS,
    NS,
    SETTINGS,
    Case,
    FakeClock,
    _process,
    _xml,
)


@pytest.fixture(scope="module")
def spec():
    parser = CamundaParser()
    for path in FILES:
        parser.add_bpmn_file(str(path))
    return parser.get_spec("bad_review"), parser.get_subprocess_specs("bad_review")


@pytest.fixture(scope="module")
def topics_by_id() -> dict[str, str]:
    return {t.get("id"): t.get(CAMUNDA + "topic") for t in _process(_xml()).iterfind(".//bpmn:serviceTask", NS)}


@pytest.fixture(scope="module")
def national_forms() -> dict[str, dict]:
    """The national forms as the national settings make them (as a deployed version's are)."""
    forms = {key: load_form(key, "national", FORMS) for key in list_form_keys("national", FORMS)}
    return for_settings(forms, SETTINGS)


@pytest.fixture
def fake_clock(monkeypatch) -> FakeClock:
    fake = FakeClock(datetime.fromisoformat("2025-10-09T09:00:00+08:00"))

    class _Datetime(datetime):
        @classmethod
        def now(cls, tz=None):
            return fake.now.astimezone(tz) if tz else fake.now.replace(tzinfo=None)

    monkeypatch.setattr(spiff_timer, "datetime", _Datetime)
    return fake


@pytest.fixture
def new_case(spec, topics_by_id, national_forms, fake_clock):
    return lambda: Case(spec, topics_by_id, national_forms, fake_clock)
