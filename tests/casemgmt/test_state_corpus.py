"""Stored instance states from earlier releases must still load and continue (ENGINE_NOTES: upgrades
have broken stored instances before). Regenerate only deliberately: `python -m tests.casemgmt.test_state_corpus`."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from casemgmt.calendar import WorkCalendar
from casemgmt.engine.facade import RunContext, engine

CORPUS = Path(__file__).with_name("corpus")
NOW = datetime(2025, 9, 26, 2, 0, tzinfo=UTC)


def _calendar() -> WorkCalendar:
    return WorkCalendar(holidays=set(), workdays=set(), closed=set(), years=set())


def _ctx(now=NOW) -> RunContext:
    return RunContext(now=now, calendar=_calendar(), call_operation=lambda name, data, params: None)


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.json")), ids=lambda p: p.stem)
def test_a_stored_state_loads_and_continues(path):
    item = json.loads(path.read_text(encoding="utf-8"))
    bundle = engine.bundle(item["bundle_key"], lambda: item["files"])
    run = engine.load(bundle, item["state"], _ctx())
    assert [t.info.element_id for t in run.ready_user_tasks()] == item["ready"]
    ready = run.ready_user_tasks()[0]
    run.complete(ready.spiff_id, item["next_data"])
    assert [t.info.element_id for t in run.ready_user_tasks()] == item["then_ready"]


def _write_corpus() -> None:
    from casemgmt.rules.bundles import bundle_sha256, collect_files
    from config import ROOT
    from tests.web.flows import FORMS, callback

    files = collect_files(ROOT / "bpmn", ROOT / "forms", "liaoning")
    key = bundle_sha256(files)
    bundle = engine.bundle(key, lambda: files)
    run = engine.start(bundle, {"handling_org": "ln-sy-scjg"}, _ctx())
    steps = [
        ("at_callback", callback("ledger")),
        ("at_rectification", FORMS["rectification"]),
        ("at_feedback", FORMS["feedback"]),
    ]
    for name, data in steps:
        ready = [t.info.element_id for t in run.ready_user_tasks()]
        state = run.dump()
        probe = engine.load(bundle, state, _ctx())
        probe.complete(probe.ready_user_tasks()[0].spiff_id, data)
        item = {
            "spiff": "3.2.0",
            "bundle_key": key,
            "files": files,
            "state": state,
            "ready": ready,
            "next_data": data,
            "then_ready": [t.info.element_id for t in probe.ready_user_tasks()],
        }
        (CORPUS / f"v1_{name}.json").write_text(json.dumps(item, ensure_ascii=False, indent=1), encoding="utf-8")
        run.complete(run.ready_user_tasks()[0].spiff_id, data)


if __name__ == "__main__":
    _write_corpus()
