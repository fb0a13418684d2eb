"""The timer worker's batches (casemgmt/cases/timers.py fire_batch) write exactly what firing one instance at a time
(fire_due_timers: instances.save_run and mark_overdue) writes, with a few statements per batch."""

from datetime import datetime

from sqlalchemy import event, select

from casemgmt import audit, refcache
from casemgmt.cases import timers
from casemgmt.db import db
from casemgmt.models import AuditEvent, HumanTask, LedgerEntry, ProcessInstance
from tests.web.flows import callback, complete, only_task

NOW = datetime.fromisoformat("2025-11-20T00:00:01+08:00")


def _at_callback(api, region: str) -> int:
    return api.bad_review(region)["case_id"]


def _at_rectification(api, region: str) -> int:
    """A case past its callback with a ledger entry open (its deadline adopted when the task was created)."""
    case_id = api.bad_review(region)["case_id"]
    officer = {"liaoning": "ln-officer", "sanming": "sm-officer"}[region]
    task = only_task(api, case_id, officer, "Task_Callback")
    assert complete(api, task["id"], officer, callback("ledger")).status_code == 200
    return case_id


# Liaoning: the callback's boundary timer opens a 督办; Sanming adds its appeal window (a timer with no task);
# at rectification the 督办 is the rectification's, with a ledger entry open
SCENARIOS = [
    (_at_callback, "liaoning"),
    (_at_callback, "sanming"),
    (_at_rectification, "sanming"),
    (_at_rectification, "liaoning"),
]


def _prepare(api, clock) -> tuple[list[int], list[int]]:
    clock.set("2025-09-26T10:00:00+08:00")
    one_by_one = [prepare(api, region) for prepare, region in SCENARIOS]
    batched = [prepare(api, region) for prepare, region in SCENARIOS]
    return one_by_one, batched


def _instances(case_ids: list[int]) -> list[ProcessInstance]:
    ids = db.session.scalars(select(ProcessInstance.id).where(ProcessInstance.case_id.in_(case_ids))).all()
    found = timers.claim_due_instances(NOW, frozenset(), len(ids), only=list(ids))
    assert sorted(i.case_id for i in found) == sorted(case_ids)
    return found


def _written(case_id: int) -> dict:
    """What the timer wrote on a case, with row ids replaced by the elements they stand for."""
    rows = db.session.scalars(select(HumanTask).where(HumanTask.case_id == case_id).order_by(HumanTask.id)).all()
    element = {row.id: row.element_id for row in rows}
    own = ("id", "case_id", "instance_id", "spiff_task_id")  # the case's own, differing between the two
    columns = [c.key for c in HumanTask.__table__.columns if c.key not in own]
    tasks = [
        {**{key: getattr(row, key) for key in columns}, "supervised_task_id": element.get(row.supervised_task_id)}
        for row in rows
    ]
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.chain == f"case:{case_id}").order_by(AuditEvent.seq)
    ).all()
    trail = [  # the timer's events in full, the others (with case numbers and names) by kind
        (e.seq, e.kind, e.actor, e.actor_role, e.at, e.definition_id, e.region_id, _named(e.payload, element))
        if e.actor == "timer"
        else (e.seq, e.kind)
        for e in events
    ]
    instance = db.session.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case_id)).one()
    entries = db.session.scalars(select(LedgerEntry).where(LedgerEntry.case_id == case_id)).all()
    ledger = [(e.status, e.task_element, element.get(e.task_id), e.due_at, e.due_date) for e in entries]
    state = (instance.next_timer_at, instance.is_completed, instance.version_no, instance.updated_at)
    return {"tasks": tasks, "trail": trail, "state": state, "ledger": ledger}


def _named(payload: dict, element: dict[int, str]) -> dict:
    return {**payload, "task_id": element.get(payload["task_id"])} if "task_id" in payload else payload


def test_a_batch_writes_what_firing_each_instance_alone_writes(api, clock):
    one_by_one, batched = _prepare(api, clock)
    for instance in _instances(one_by_one):
        timers.fire_due_timers(instance, NOW)
    db.session.commit()
    timers.fire_batch(_instances(batched), NOW)
    db.session.commit()
    db.session.remove()
    for alone, together in zip(one_by_one, batched, strict=True):
        written = _written(together)
        assert written == _written(alone)
        assert [e for e in written["trail"] if len(e) > 2], "the timer fired"
    assert audit.verify_all(None) == {}


def test_a_batch_costs_a_few_statements_whatever_its_size(api, clock, monkeypatch):
    """Set reads and multi-row writes: the statements of a batch do not grow with its instances (after a first
    batch, as a running worker has its reference cache warm)."""
    monkeypatch.setattr(refcache, "TTL_SECONDS", 3600.0)  # this test's slow set-up must not age the cache
    warm, batched = _prepare(api, clock)
    timers.fire_batch(_instances(warm), NOW)
    db.session.commit()
    db.session.expunge_all()  # as the worker does after each batch
    instances = _instances(batched)
    seen: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        timers.fire_batch(instances, NOW)
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    if db.engine.dialect.name == "sqlite":  # the ORM inserts a row at a time there: SQLite's RETURNING is unordered
        seen = [s for s in seen if not s.startswith("INSERT INTO human_tasks") or "audit_events" in s[:30]]
        seen = [s for s in seen if not s.startswith("INSERT INTO audit_events")]
    # open rows, chain heads, instances, new task rows, ledger entries, task updates, audit events, heads
    assert len(seen) <= 8, "\n".join(s[:100] for s in seen)
