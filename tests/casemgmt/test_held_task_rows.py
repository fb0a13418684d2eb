"""A completion's new task row goes in with the held writes (PostgreSQL: its id reserved by the lock statement),
and is the row the ORM would have inserted: changes made to it before the commit go in with it, a flush with rows
of its own (which may refer to it) sends it first, a statement on a table referring to it too, a rollback leaves
nothing. On SQLite (no reserved ids) the ORM inserts it as before."""

from __future__ import annotations

from sqlalchemy import insert, inspect, text

from casemgmt.access.queries import get_user
from casemgmt.cases import held
from casemgmt.cases import operations as case_ops
from casemgmt.db import db, savepoint
from casemgmt.models import Attachment, HumanTask, TaskStatus
from tests.perf.test_statement_counts import counted
from tests.web.flows import callback, only_task

#: columns that differ between two cases by construction
OWN = {"id", "case_id", "instance_id", "spiff_task_id"}


def _is_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def _callback_task(api) -> int:
    case = api.bad_review()
    return only_task(api, case["case_id"], "ln-officer")["id"]


def _complete(api, clock, task_id: int):
    """Complete the callback task as the officer, in this test's transaction (not committed)."""
    return case_ops.complete(task_id, callback("immediate_fix"), get_user("ln-officer"), clock())


def _stored(task_id: int) -> dict:
    db.session.expire_all()
    row = db.session.get(HumanTask, task_id)
    return {c.key: getattr(row, c.key) for c in inspect(HumanTask).column_attrs}


def test_the_next_task_row_goes_in_with_the_held_writes_as_the_orm_would_insert_it(api, clock, monkeypatch) -> None:
    first, second = _callback_task(api), _callback_task(api)
    with counted() as counter:
        done = _complete(api, clock, first)
        (new,) = done.open_rows
        assert new.id is not None and new.element_id == "Task_ImmediateFix"
        # nothing of the new row was left to load: reading it sends nothing
        assert not inspect(new).expired_attributes
        _ = (new.candidate_org.code, new.case.case_no, new.instance.id, new.assignee, new.supervised_task)
        inserts = [s for s in counter.statements if s.lstrip().startswith("INSERT INTO human_tasks")]
        assert len(inserts) == (0 if _is_postgresql() else 1), counter.statements
        db.session.commit()
    held_row = _stored(new.id)
    # the same completion with the row inserted by the ORM's flush
    monkeypatch.setattr(held, "hold_new_rows", lambda rows: False)
    (orm,) = _complete(api, clock, second).open_rows
    db.session.commit()
    orm_row = _stored(orm.id)
    assert {k: v for k, v in held_row.items() if k not in OWN} == {k: v for k, v in orm_row.items() if k not in OWN}
    assert held_row["status"] == TaskStatus.OPEN and held_row["due_at"] is not None


def test_changes_to_a_held_row_before_the_commit_go_in_with_its_insert(api, clock) -> None:
    task = _callback_task(api)
    officer = get_user("ln-officer")
    (new,) = _complete(api, clock, task).open_rows
    with counted() as counter:
        new.assignee_id = officer.id
        new.title = "立行立改（已认领）"
        db.session.flush()
        db.session.commit()
    stored = _stored(new.id)
    assert (stored["assignee_id"], stored["title"]) == (officer.id, "立行立改（已认领）")
    if _is_postgresql():  # the changes went in with the INSERT: no UPDATE of the new row
        assert not [s for s in counter.statements if s.lstrip().startswith("UPDATE human_tasks")], counter.statements


def test_a_flush_with_rows_of_its_own_sends_the_held_rows_first(api, clock) -> None:
    task = _callback_task(api)
    (new,) = _complete(api, clock, task).open_rows
    # a row referring to the new one, inserted by the ORM before the commit: its reference must find the row
    copy = HumanTask(**{c.key: getattr(new, c.key) for c in inspect(HumanTask).column_attrs if c.key != "id"})
    copy.spiff_task_id, copy.supervised_task_id = "00000000-0000-4000-8000-000000000001", new.id
    db.session.add(copy)
    with counted() as counter:
        db.session.flush()
    inserts = [s.split("(")[0].strip() for s in counter.statements if s.lstrip().startswith("INSERT")]
    # PostgreSQL: the held row, then the ORM's; SQLite: the ORM had inserted the new row already
    assert inserts == ["INSERT INTO human_tasks"] * (2 if _is_postgresql() else 1), counter.statements
    db.session.commit()
    assert _stored(copy.id)["supervised_task_id"] == new.id


def test_a_statement_on_a_table_referring_to_task_rows_sends_the_held_rows_first(api, clock) -> None:
    task = _callback_task(api)
    (new,) = _complete(api, clock, task).open_rows
    values = {
        "case_id": new.case_id,
        "task_id": new.id,
        "field": "evidence",
        "name": "a.txt",
        "content_type": "text/plain",
        "size": 1,
        "sha256": "0" * 64,
        "content": b"x",
        "uploaded_by_id": get_user("ln-officer").id,
        "uploaded_at": clock(),
    }
    found = db.session.execute(insert(Attachment).values(values).returning(Attachment.id)).scalar_one()
    db.session.commit()
    assert db.session.get(Attachment, found).task_id == new.id


def test_a_rollback_leaves_no_held_row_behind(api, clock) -> None:
    task = _callback_task(api)
    (new,) = _complete(api, clock, task).open_rows
    new_id = new.id
    db.session.rollback()
    assert new not in db.session
    assert db.session.scalar(text("SELECT count(*) FROM human_tasks WHERE id = :id"), {"id": new_id}) == 0
    # the task is still open, and completing it again gives the next row
    (again,) = _complete(api, clock, task).open_rows
    db.session.commit()
    assert _stored(again.id)["element_id"] == "Task_ImmediateFix"


def test_a_savepoint_sends_the_held_rows_before_it_and_forgets_those_held_inside_it(api, clock) -> None:
    before, inside = _callback_task(api), _callback_task(api)
    (kept,) = _complete(api, clock, before).open_rows
    with savepoint() as step:
        (dropped,) = _complete(api, clock, inside).open_rows
        step.discard()
    assert kept in db.session and dropped not in db.session
    db.session.commit()
    assert _stored(kept.id)["element_id"] == "Task_ImmediateFix"
    assert db.session.scalar(text("SELECT count(*) FROM human_tasks WHERE id = :id"), {"id": dropped.id}) == 0
    # the task completed inside the discarded savepoint is still open, and completes again
    (again,) = _complete(api, clock, inside).open_rows
    db.session.commit()
    assert _stored(again.id)["case_id"] == dropped.case_id
