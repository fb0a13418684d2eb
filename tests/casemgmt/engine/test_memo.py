"""A start copied from an earlier one of its batch (engine.memo) is the state a real start gives: for every bundled
region and several kinds of start data, the copy and a real start of the same data (its operations answering
alike) agree, task ids and state-change timestamps aside; a start whose data differs in a name an expression
reads is not copied."""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime

import pytest

from casemgmt.calendar import WorkCalendar
from casemgmt.engine.facade import RunContext, engine
from casemgmt.engine.memo import Starts
from casemgmt.errors import OperationFailed
from casemgmt.rules.bundles import bundle_sha256, collect_files, settings_of
from config import ROOT

NOW = datetime(2025, 9, 26, 2, 0, tzinfo=UTC)
CALENDAR = WorkCalendar(holidays=set(), workdays=set(), closed=set(), years=set())
ORGS = {
    "liaoning": ("ln-sy-scjg", "ln-sy", "ln"),
    "nea": ("nea-db-zz", "nea-db", "nea"),
    "sanming": ("sm-scjg", "sm", "sm"),
    "xian": ("xa-scjg", "xa", "xa"),
}
_ID = re.compile(r'"([0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"')


def _files(region: str, change: tuple[str, str, str] | None = None) -> dict:
    files = dict(collect_files(ROOT / "bpmn", ROOT / "forms", region))
    if change is not None:
        name, old, new = change
        assert old in files[name]
        files[name] = files[name].replace(old, new)
    return files


def _data(files: dict, region: str, n: int, **overrides) -> dict:
    handling, supervisor, coordinator = ORGS[region]
    orgs = {f"{k}_org": v for k, v in (settings_of(files).get("orgs") or {}).items()}
    return {
        "case_id": n,
        "case_no": f"ZG20250926{n:07d}",
        "region": region,
        "level": "dissatisfied",
        "is_real_name": n % 2 == 0,
        "reasons": ["办事效率低"] * (n % 3),
        "item_code": f"IT-{n}",
        "channel": "window_device" if n % 2 else "app",
        "handling_org": handling,
        "supervisor_org": supervisor,
        "coordinator_org": coordinator,
        "settings": settings_of(files),
        "revoked": False,
        "handling": None,
        **orgs,
        **overrides,
    }


class Operations:
    """Operations answering as the product's do: a new message id for each notice, nothing for the others."""

    def __init__(self, numbers: itertools.count) -> None:
        self.numbers = numbers
        self.calls: list[tuple[str, str, str]] = []
        self.results: list = []

    def __call__(self, name: str, data: dict, params: dict) -> dict | None:
        result = {f"{name}_message_id": next(self.numbers)} if name.startswith("notify") else None
        self.calls.append((name, json.dumps(data, ensure_ascii=False), json.dumps(params)))
        self.results.append(result)
        return result


class Answering(Operations):
    """Operations answering with results given beforehand, in order."""

    def __init__(self, results: list) -> None:
        super().__init__(itertools.count())
        self.given = list(results)

    def __call__(self, name: str, data: dict, params: dict) -> dict | None:
        super().__call__(name, data, params)
        return self.given.pop(0)


def _ctx(ops: Operations) -> RunContext:
    return RunContext(now=NOW, calendar=CALENDAR, call_operation=ops)


def _normalized(state: str) -> dict:
    """A state with its task ids numbered in order of appearance and no state-change timestamps."""
    numbers: dict[str, str] = {}

    def number(match: re.Match) -> str:
        short = match.group(1).replace("-", "")
        return f'"task-{numbers.setdefault(short, str(len(numbers)))}"'

    dct = json.loads(_ID.sub(number, state))
    for workflow in [dct, *dct.get("subprocesses", {}).values()]:
        for task in workflow["tasks"]:
            task.pop("t")
    return dct


#: the task ids of every start made so far
SEEN: set[str] = set()


def _compare(bundle, starts: Starts, data: dict, numbers: itertools.count) -> bool:
    """Start `data` through `starts` and for real; assert they agree; return whether it was a copy."""
    before = starts.copied
    ops = Operations(numbers)
    run, state = starts.start(bundle, data, _ctx(ops))
    real_ops = Answering(ops.results)
    real = engine.start(bundle, dict(data), _ctx(real_ops))
    assert _normalized(state) == _normalized(real.dump())
    assert state == run.dump()
    assert ops.calls == real_ops.calls  # the same operations, with the same task data and parameters
    assert [(t.info.element_id, t.data) for t in run.ready_user_tasks()] == [
        (t.info.element_id, t.data) for t in real.ready_user_tasks()
    ]
    assert (run.next_timer_at(), run.is_completed) == (real.next_timer_at(), real.is_completed)
    for mine, theirs in zip(run.ready_user_tasks(), real.ready_user_tasks(), strict=True):  # what task rows read
        for expression in (mine.info.org_expr, mine.info.due_expr, "case_no + handling_org"):
            if expression:
                assert run.evaluate(mine.spiff_id, expression) == real.evaluate(theirs.spiff_id, expression)
        assert run.boundary_host(mine.spiff_id) == real.boundary_host(theirs.spiff_id)
    ids = {m.group(1).replace("-", "") for m in _ID.finditer(state)}
    assert not ids & SEEN  # fresh task ids
    SEEN.update(ids)
    return starts.copied > before


@pytest.mark.parametrize("region", ["liaoning", "nea", "sanming", "xian"])
def test_a_copied_start_is_the_state_a_real_start_gives(region):
    files = _files(region)
    bundle = engine.bundle(bundle_sha256(files), lambda: files)
    numbers = itertools.count(1000)
    starts = Starts()
    handling, supervisor, _ = ORGS[region]
    shapes = [{}, {"level": "very_dissatisfied"}, {"handling_org": supervisor}, {"reasons": []}, {"revoked": True}]
    copied = []
    for n, shape in enumerate(shapes * 3):
        copied.append(_compare(bundle, starts, _data(files, region, n + 1, **shape), numbers))
    assert not copied[0]
    assert copied[len(shapes) :] == [True] * (2 * len(shapes))  # each shape's later starts are copies


def test_a_start_differing_in_a_name_an_expression_reads_is_not_copied():
    # the appeal window's gateway also reads case_no: the two starts take different paths
    condition = "settings['appeal_window_workdays'] &gt; 0"
    change = ("appeal.bpmn", condition, f"case_no == 'ZG202509260000001' or {condition}")
    files = _files("liaoning", change)
    bundle = engine.bundle(bundle_sha256(files), lambda: files)
    numbers = itertools.count(1000)
    starts = Starts()
    first = _data(files, "liaoning", 1)
    assert not _compare(bundle, starts, first, numbers)
    assert not _compare(bundle, starts, _data(files, "liaoning", 2), numbers)
    assert _compare(bundle, starts, dict(first, case_id=3), numbers)  # the same case_no: a copy
    one, two = (engine.start(bundle, d, _ctx(Operations(numbers))) for d in (first, _data(files, "liaoning", 2)))
    assert set(engine.path(bundle, one.dump()).completed) != set(engine.path(bundle, two.dump()).completed)


def test_an_operation_answering_other_names_makes_the_rest_of_the_start_real():
    files = _files("liaoning")
    bundle = engine.bundle(bundle_sha256(files), lambda: files)
    starts = Starts()
    numbers = itertools.count(1000)
    assert not _compare(bundle, starts, _data(files, "liaoning", 1), numbers)
    answers = iter([{"other": 1}])
    calls = []

    def other(name, data, params):
        calls.append(name)
        return next(answers)

    run, state = starts.start(bundle, _data(files, "liaoning", 2), RunContext(NOW, CALENDAR, other))
    assert calls == ["notify_unit"]  # called once: the real start got its answer
    real = engine.start(bundle, _data(files, "liaoning", 2), RunContext(NOW, CALENDAR, lambda n, d, p: {"other": 1}))
    assert _normalized(state) == _normalized(real.dump())
    assert starts.copied == 0


def test_an_operation_failing_in_a_copy_fails_as_in_a_real_start():
    files = _files("liaoning")
    bundle = engine.bundle(bundle_sha256(files), lambda: files)
    starts = Starts()
    assert not _compare(bundle, starts, _data(files, "liaoning", 1), itertools.count(1000))

    def failing(name, data, params):
        raise OperationFailed("通知失败")

    with pytest.raises(OperationFailed) as real:
        engine.start(bundle, _data(files, "liaoning", 2), RunContext(NOW, CALENDAR, failing))
    with pytest.raises(OperationFailed) as copied:
        starts.start(bundle, _data(files, "liaoning", 2), RunContext(NOW, CALENDAR, failing))
    assert str(copied.value) == str(real.value) and starts.copied == 0
    assert copied.traceback[-1].name == real.traceback[-1].name == "failing"
    assert any(entry.name == "_answered" for entry in copied.traceback)  # raised by the real start
