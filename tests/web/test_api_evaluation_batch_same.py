"""The bulk intake answers and stores a batch as posting its items one by one in order would.

The same mixed items (good and bad ratings, phone and praise bursts, a record rated three times, a follow-up,
a self-rating, a forced-rating complaint, duplicates stored and within the batch, invalid items) go once through
POST /api/v1/evaluations one by one and once through one POST /api/v1/evaluations:batch, each on a fresh copy of
the seeded database at the same instant; results, evaluations, flags, cases, statistics and audit chains agree.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from casemgmt import audit, writes
from casemgmt.db import db
from casemgmt.models import AuditEvent, Case, Evaluation, HumanTask, Organization, ProcessInstance, StatRollup, User
from casemgmt.writes import _documents
from tests.conftest import Api, Clock, _app_on
from tests.web.ui.test_rating_flags import set_rules

INSTANT = "2025-09-26T10:00:00+08:00"
STAFF_PHONE = "13911112222"


def _items(api: Api, staff_org: str) -> list[dict]:
    def item(n: int, **overrides) -> dict:
        body = {
            "record_no": f"LN-S{n}",
            "level": "satisfied",
            "reasons": [],
            "external_id": f"same-{n}",
            "evaluator": {"name": "", "phone": f"1390000{n:04d}", "real_name": False},
            "evaluated_at": INSTANT,
        }
        return api.evaluation("liaoning", **{**body, **overrides})

    burst = {"name": "", "phone": "13955555555", "real_name": True}
    items = [item(n) for n in range(3)]
    items += [item(10 + n, evaluator=burst) for n in range(4)]  # a phone burst from the third
    items += [item(20 + n, level="very_satisfied") for n in range(4)]  # a praise burst at one unit
    items += [item(30 + n, record_no="LN-SAME") for n in range(3)]  # one record rated three times
    items += [item(40, level="very_dissatisfied", reasons=["办事效率低"])]  # a bad review opens a case
    items += [item(41, level="dissatisfied", reasons=["办事效率低"], evaluator=burst)]  # and is flagged too
    # more bad reviews: later ones start as earlier ones did (engine.memo copies those starts), at other units
    units = ["ln-sy-scjg", "ln-sy-scjg", "ln-sy-zjj", "ln-sy-scjg"]
    items += [
        item(90 + n, level=level, reasons=["办事效率低", "态度差"][: n % 2 + 1], org_code=unit, channel=channel)
        for n, (level, unit, channel) in enumerate(
            zip(["dissatisfied", "very_dissatisfied"] * 2, units, ["window_device", "mobile_app"] * 2, strict=True)
        )
    ]
    items += [item(50, record_no="LN-S0", evaluator=items[0]["evaluator"])]  # a follow-up of the first
    items += [item(51, org_code=staff_org, evaluator={"name": "", "phone": STAFF_PHONE, "real_name": True})]
    items += [item(52, comment="工作人员要求好评")]  # a forced rating
    # JSON whose text COPY must escape (a backslash, a quote, a tab, a newline), stored as the single path stores it
    items += [item(53, reasons=['等待\\"久"\t\n', "{a,b}"])]
    items += [item(60, external_id="same-1"), item(61, external_id="stored-before")]  # duplicates
    items += [item(70, org_code="nowhere"), item(71, item_code="NO-SUCH"), {**item(72), "level": "awful"}]
    items += [{**item(73), "surprise": 1}, item(74, record_no="")]
    items += [item(80 + n) for n in range(3)]  # good ones after all that
    return items


def _state(api: Api, answers: list[tuple]) -> dict:
    """What a run left: the answers, the evaluations by external id with their flags and cases, the rollups,
    the kinds of each chain, and whether every chain verifies."""
    by_id = {}
    for e in db.session.scalars(select(Evaluation).order_by(Evaluation.id)):
        follow = db.session.get(Evaluation, e.follow_up_of_id).external_id if e.follow_up_of_id else None
        case = db.session.scalar(select(Case).where(Case.evaluation_id == e.id))
        kinds = list(db.session.scalars(select(AuditEvent.kind).where(AuditEvent.chain == f"evaluation:{e.id}")))
        case_kinds = (
            list(db.session.scalars(select(AuditEvent.kind).where(AuditEvent.chain == f"case:{case.id}")))
            if case
            else None
        )
        by_id[e.id] = e.external_id
        flags = [(f["rule"], f["detail"]) for f in e.flags or []]
        row = (e.record_no, e.level, e.is_bad, e.flag_status, flags, follow, e.evaluator_key, e.evaluator_phone_tail)
        row += (e.reasons, e.sub_ratings, e.comment)
        opened = (case.case_no, case.status, case_kinds, _opened(case)) if case else None
        by_id[e.external_id] = (row, opened, kinds)
    columns = [c for c in StatRollup.__table__.columns if c.key != "id"]
    rollups = sorted(tuple(r) for r in db.session.execute(select(*columns)))
    named = [(status, by_id.get(ident), errors) for status, ident, errors in answers]
    evaluations = {k: v for k, v in by_id.items() if isinstance(k, str)}
    return {"answers": named, "evaluations": evaluations, "rollups": rollups, "broken": audit.verify_all(None)}


def _opened(case: Case) -> tuple:
    """A case's chain (kinds and payloads), task rows and workflow state (task ids numbered in order of
    appearance, no state-change timestamps)."""
    events = db.session.execute(
        select(AuditEvent.kind, AuditEvent.payload)
        .where(AuditEvent.chain == f"case:{case.id}")
        .order_by(AuditEvent.seq)
    ).all()
    columns = ("id", "element_id", "title", "candidate_role", "candidate_org_id", "status", "due_at", "due_date")
    rows = list(db.session.scalars(select(HumanTask).where(HumanTask.case_id == case.id).order_by(HumanTask.id)))
    tasks = [tuple(getattr(row, c) for c in columns) + (row.is_provisional, row.due_expr) for row in rows]
    instance = db.session.scalar(select(ProcessInstance).where(ProcessInstance.case_id == case.id))
    numbers: dict[str, str] = {}

    def number(match: re.Match) -> str:
        return f'"task-{numbers.setdefault(match.group(1).replace("-", ""), str(len(numbers)))}"'

    state = json.loads(_TASK_ID.sub(number, instance.state))
    for workflow in [state, *state.get("subprocesses", {}).values()]:
        for task in workflow["tasks"]:
            task.pop("t")
    spiff_ids = [numbers.get(row.spiff_task_id.replace("-", "")) for row in rows]
    return [tuple(e) for e in events], tasks, state, spiff_ids, instance.next_timer_at, instance.is_completed


_TASK_ID = re.compile(r'"([0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"')


def _run(templates, batch: bool) -> dict:
    runs = _app_on(templates, "seeded", Clock(datetime(2025, 9, 26, 2, 5, tzinfo=UTC)))
    app = next(runs)
    try:
        return _run_on(app, batch)
    finally:
        next(runs, None)


def _run_on(app, batch: bool) -> dict:
    api = Api(app)
    set_rules(
        phone_burst={"count": 3, "minutes": 60}, praise_burst={"count": 3, "minutes": 10}, record_burst={"count": 2}
    )  # noqa: E501
    staff = db.session.scalar(select(User).where(User.username == "ln-officer"))
    staff.phone = STAFF_PHONE
    staff_org = db.session.get(Organization, staff.org_id).code
    db.session.commit()
    stored = api.evaluation("liaoning", record_no="LN-STORED", level="satisfied", external_id="stored-before")
    assert api.post("/api/v1/evaluations", "ln-channel", json=stored).status_code == 201
    items = _items(api, staff_org)
    answers = []
    if batch:
        response = api.post("/api/v1/evaluations:batch", "ln-channel", json={"evaluations": items})
        assert response.status_code == 200, response.get_json()
        ids = {}
        for r in response.get_json()["results"]:
            ids[r["index"]] = r["id"]
            answers.append((r["status"], r["id"], r["errors"] if r["status"] == "invalid" else None))
    else:
        for body in items:
            response = api.post("/api/v1/evaluations", "ln-channel", json=body)
            data = response.get_json()
            if response.status_code == 201:
                answers.append(("created", data["id"], None))
            elif response.status_code == 200:
                answers.append(("duplicate", data["id"], None))
            else:
                answers.append(("invalid", None, data.get("details")))
    state = _state(api, answers)
    db.session.remove()
    return state


def test_a_batch_stores_what_posting_its_items_one_by_one_stores(templates):
    single, batch = _run(templates, batch=False), _run(templates, batch=True)
    # a repeated external id within one batch answers duplicate without an id (one by one: the first's id)
    dup = next(i for i, a in enumerate(single["answers"]) if a[0] == "duplicate")
    assert batch["answers"][dup][0] == "duplicate"
    single["answers"][dup] = batch["answers"][dup] = None
    assert batch["answers"] == single["answers"]
    assert batch["evaluations"] == single["evaluations"]
    assert batch["rollups"] == single["rollups"]
    assert batch["broken"] == single["broken"] == {}
    flagged = {k: v[0][4] for k, v in batch["evaluations"].items() if v[0][4]}
    rules = {rule for found in flagged.values() for rule, _ in found}
    assert rules == {"phone_burst", "praise_burst", "record_burst", "self_rating", "forced_complaint"}, flagged
    assert batch["evaluations"]["same-50"][0][5] == "same-0"  # the follow-up
    assert [v[1] is not None for k, v in sorted(batch["evaluations"].items())].count(True) == 6  # six cases


def test_held_writes_sent_as_json_documents_store_what_bound_rows_store(templates, monkeypatch):
    """PostgreSQL sends a held part of many rows as one JSON document (casemgmt/writes.py): here every part is
    sent so, and the batch still stores what posting one by one (rows bound one by one) stores."""
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("SQLite binds every held row")
    single = _run(templates, batch=False)
    monkeypatch.setattr(writes, "_DOCUMENT_ROWS", 1)
    sent = []

    def documents(parts, dialect):
        found = _documents(parts, dialect)
        sent.append(len(found))
        return found

    monkeypatch.setattr(writes, "_documents", documents)
    batch = _run(templates, batch=True)
    assert max(sent) >= 3  # events, heads and rollups at least
    assert batch["evaluations"] == single["evaluations"]
    assert batch["rollups"] == single["rollups"]
    assert batch["broken"] == single["broken"] == {}
