"""The rollups equal a brute-force recount after random intake, callbacks, revocation, extension and closing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from casemgmt.actor import Actor
from casemgmt.calendar import Due
from casemgmt.calendar.case_calendar import case_calendar
from casemgmt.cases.operations import close_case
from casemgmt.casework.callbacks import add_attempt
from casemgmt.casework.revocation import REVOCATION_LABELS, revoke_review
from casemgmt.db import db
from casemgmt.intake.operations import receive_evaluation
from casemgmt.models import Case, HumanTask, Region, StatRollup, TaskStatus, User
from tests.stats.recount import recount, stored

ORGS = ("ln-sy-scjg", "ln-sy-zjj", "ln-dl-hall", "ln-sy-hall")
ITEMS = ("LN-0001", "LN-0002", "LN-0003")
LEVELS = ("very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied")
REASONS = ("办事效率低", "服务态度差", "材料繁琐", "系统故障")
START = datetime(2025, 9, 1, 1, 0, tzinfo=UTC)


def _payload(rng: random.Random, n: int) -> dict:
    at = START + timedelta(days=rng.randrange(40), hours=rng.randrange(12))
    return {
        "region": "liaoning",
        "external_id": f"R-{n}",
        "record_no": f"LN-REC-{n}",
        "item_code": rng.choice(ITEMS),
        "org_code": rng.choice(ORGS),
        "staff_no": rng.choice((None, "S001", "S002", "S003")),
        "channel": rng.choice(("window_device", "app", "web")),
        "level": rng.choice(LEVELS),
        "reasons": rng.sample(REASONS, rng.randrange(3)),
        "comment": "",
        "evaluator": {"name": "张三", "phone": "13812341234", "real_name": rng.random() < 0.6},
        "evaluated_at": at,
    }


def _extend(case: Case, workdays: int) -> None:
    """An approved extension as decide_extension applies it: the open task's deadline moves by working days."""
    row = db.session.scalar(
        select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.status == TaskStatus.OPEN).limit(1)
    )
    if row is not None and row.due_date is not None:
        due = case_calendar(case).extend(Due(row.due_date, row.due_at), workdays)
        row.due_at, row.due_date = due.due_at, due.due_date


def _random_history(rng: random.Random, channel: User) -> None:
    actor = Actor.system("test")
    cases: list[Case] = []
    for n in range(60):
        payload = _payload(rng, n)
        now = payload["evaluated_at"] + timedelta(minutes=5)
        result = receive_evaluation(payload, channel, now)
        if result.case is not None:
            cases.append(result.case)
    for case in cases:
        later = case.opened_at + timedelta(days=rng.randrange(1, 30), hours=rng.randrange(24))
        if rng.random() < 0.7:
            add_attempt(
                case, "reached", case.opened_at + timedelta(days=rng.randrange(5)), "", actor, later, source="api"
            )
        if rng.random() < 0.3 and case.closed_at is None:  # a closed case's process has no open task to extend
            _extend(case, rng.randrange(1, 10))
        step = rng.random()
        if step < 0.2:
            outcome = rng.choice(list(REVOCATION_LABELS))
            revoke_review(case, outcome, REVOCATION_LABELS[outcome], "核实", later)
        if step < 0.3 or step > 0.5:
            if not case.evaluation.is_real_name or case.evaluation.id in _called_back(cases):
                close_case(case, {"handling": "fixed"}, later + timedelta(hours=1))
        if 0.2 <= step < 0.25 and case.closed_at is not None:
            revoke_review(case, "malicious", REVOCATION_LABELS["malicious"], "", later + timedelta(days=2))
        db.session.flush()


def _called_back(cases: list[Case]) -> set[int]:
    from casemgmt.casework.callbacks import has_record

    return {c.evaluation_id for c in cases if has_record(c)}


def test_rollups_equal_a_full_recount(seeded_app):
    region = db.session.scalar(select(Region).where(Region.code == "liaoning"))
    channel = db.session.scalar(select(User).where(User.username == "ln-channel"))
    # both histories use the same external ids: the second acts again on the first's cases (revoked and closed
    # anew, called back again), as a retried request or a second decision would
    for seed in (1, 2):
        _random_history(random.Random(seed), channel)
    db.session.commit()
    expected = recount(region.id)
    assert {k: v for k, v in expected.items() if k[0] == "revoked"}, "the history revoked nothing"
    assert any(v["closed"] for v in expected.values()) and any(v["called_back"] for v in expected.values())
    assert stored(region.id) == expected


def test_a_tampered_rollup_differs_from_the_recount(seeded_app):
    """The recount can fail: one counter off by one is caught."""
    region = db.session.scalar(select(Region).where(Region.code == "liaoning"))
    channel = db.session.scalar(select(User).where(User.username == "ln-channel"))
    _random_history(random.Random(3), channel)
    row = db.session.scalar(
        select(StatRollup).where(StatRollup.region_id == region.id, StatRollup.dim == "unit").limit(1)
    )
    row.evaluations += 1
    db.session.flush()
    assert stored(region.id) != recount(region.id)


def test_subtree_totals_equal_the_recount_of_the_subtree(seeded_app):
    from casemgmt.models import COUNTER_COLUMNS, Organization
    from casemgmt.stats import figures

    region = db.session.scalar(select(Region).where(Region.code == "liaoning"))
    channel = db.session.scalar(select(User).where(User.username == "ln-channel"))
    _random_history(random.Random(4), channel)
    expected = recount(region.id)
    for code in (None, "ln-sy", "ln-sy-hall", "ln-dl"):
        org = db.session.scalar(select(Organization).where(Organization.code == code)) if code else None
        paths = {o.id: o.path for o in db.session.scalars(select(Organization))}
        want = dict.fromkeys(COUNTER_COLUMNS, 0)
        for (dim, _key, org_id, _day), counts in expected.items():
            if dim == "unit" and (org is None or paths[org_id].startswith(org.path)):
                for name in COUNTER_COLUMNS:
                    want[name] += counts[name]
        got = figures.totals(figures.public_scope(region, "2025", org))
        assert {name: got[name] for name in COUNTER_COLUMNS} == want, code
    units = figures.by_unit(figures.public_scope(region, "2025Q3"))
    assert [u["org"] for u in units] == ["ln"] or {u["org"] for u in units} <= {"ln", "ln-sy", "ln-dl"}
