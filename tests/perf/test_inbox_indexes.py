"""Issue 16 item 5: indexes led by each inbox view's filters (migration 0090); the officer's first page read
through one of them, not by scanning the task table, once the table holds thousands of other units' tasks; keyset
pages (cursors read as index ranges, undated tasks after the dated ones) walk every task once, in order."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import inspect, select, text

from casemgmt.cases.inbox import InboxFilter, _filtered, _view_query, inbox_page
from casemgmt.db import db
from casemgmt.models import HumanTask, Organization, TaskStatus, User
from web.cli import alembic_config

#: an index scan (backward too) or a bitmap index scan of the named index, or of any when only a prefix is given
SCAN = r"Index Scan (Backward )?(using|on) {}"
INDEXES = {
    "ix_human_tasks_role_org_due": ["status", "candidate_role", "candidate_org_path", "due_at", "id"],
    "ix_human_tasks_assignee_due": ["assignee_id", "status", "due_at", "id"],
    "ix_human_tasks_done_by": ["completed_by_id", "status", "completed_at", "id"],
    "ix_human_tasks_region_status_due": ["region_id", "status", "due_at", "id"],
}


def _indexes() -> dict[str, list[str]]:
    return {i["name"]: i["column_names"] for i in inspect(db.engine).get_indexes("human_tasks")}


def _migrate(target: str, direction) -> None:
    db.session.remove()
    db.engine.dispose()
    direction(alembic_config(), target)
    db.engine.dispose()


def test_0090_adds_the_inbox_indexes_and_downgrades_to_the_ones_before(api) -> None:
    assert {name: _indexes().get(name) for name in INDEXES} == INDEXES
    _migrate("0080", command.downgrade)
    found = _indexes()
    assert not set(INDEXES) - {"ix_human_tasks_region_status_due"} & set(found)
    assert found["ix_human_tasks_status_role_org"] == ["status", "candidate_role", "candidate_org_path"]
    _migrate("head", command.upgrade)
    assert {name: _indexes().get(name) for name in INDEXES} == INDEXES
    assert "ix_human_tasks_status_role_org" not in _indexes()


def _officer_shape(api, n: int) -> tuple[User, HumanTask]:
    """One real case, then n copies of its task by SQL: one in a hundred offered to the officer's unit."""
    api.bad_review()
    officer = db.session.scalar(select(User).where(User.username == "ln-officer"))
    other = db.session.scalar(select(Organization).where(Organization.code == "ln-dl-hall"))
    task = db.session.scalar(select(HumanTask).where(HumanTask.candidate_org_id == officer.org_id))
    assert task is not None and task.candidate_role == "officer"
    series = (
        "generate_series(1, :n) AS g"
        if db.engine.dialect.name == "postgresql"
        else "(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < :n) SELECT g FROM s)"
    )
    db.session.execute(
        text(
            "INSERT INTO human_tasks (case_id, instance_id, region_id, spiff_task_id, element_id, title, form_key,"
            " candidate_role, candidate_org_id, candidate_org_path, status, created_at, due_at, is_provisional)"
            " SELECT t.case_id, t.instance_id, t.region_id, 'copy-' || g, t.element_id, t.title, t.form_key,"
            " t.candidate_role, CASE WHEN g % 100 = 0 THEN t.candidate_org_id ELSE :other END,"
            " CASE WHEN g % 100 = 0 THEN t.candidate_org_path ELSE :other_path END, t.status, t.created_at,"
            f" t.due_at, t.is_provisional FROM human_tasks t, {series} WHERE t.id = :task"
        ),
        {"n": n, "other": other.id, "other_path": other.path, "task": task.id},
    )
    db.session.commit()
    return officer, task


def _plan(user: User, view: str, now) -> str:
    stmt = _filtered(_view_query(user, view, now), InboxFilter(), now).limit(26)
    sql = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
    return "\n".join(db.session.execute(text(f"EXPLAIN {sql}")).scalars())


def test_the_officers_first_page_reads_an_index_not_the_task_table(api, clock) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("EXPLAIN's plan is checked on PostgreSQL")
    officer, task = _officer_shape(api, 5000)
    supervisor = db.session.scalar(select(User).where(User.username == "ln-supervisor"))
    # half of the other units' tasks done (a tenth of them by the officer), one in fifty of the rest assigned to them
    db.session.execute(
        text(
            "UPDATE human_tasks SET status = :done, completed_at = created_at,"
            " completed_by_id = CASE WHEN id % 20 = 0 THEN :officer ELSE :other END"
            " WHERE id % 2 = 0 AND candidate_org_id <> :unit"
        ),
        {"done": TaskStatus.COMPLETED.value, "officer": officer.id, "other": supervisor.id, "unit": officer.org_id},
    )
    db.session.execute(
        text("UPDATE human_tasks SET assignee_id = :officer WHERE id % 50 = 1 AND status = :open"),
        {"officer": officer.id, "open": TaskStatus.OPEN.value},
    )
    db.session.commit()
    db.session.execute(text("ANALYZE human_tasks"))
    db.session.commit()
    now = clock()
    plan = _plan(officer, "my_roles", now)
    assert "Seq Scan on human_tasks" not in plan, plan
    assert re.search(SCAN.format("ix_human_tasks_"), plan), plan
    page = inbox_page(officer, "my_roles", now, size=25)
    assert len(page.rows) == 25 and {r.candidate_org_id for r in page.rows} == {officer.org_id}
    for user, view, index in (
        (officer, "mine", "ix_human_tasks_assignee_due"),
        (officer, "done", "ix_human_tasks_done_by"),
        (supervisor, "team", "ix_human_tasks_"),
        (supervisor, "overdue", "ix_human_tasks_"),
    ):
        plan = _plan(user, view, now)
        assert "Seq Scan on human_tasks" not in plan and re.search(SCAN.format(index), plan), (view, plan)


def test_keyset_pages_walk_every_task_once_with_undated_tasks_last(api, clock) -> None:
    officer, task = _officer_shape(api, 300)
    undated = list(db.session.scalars(select(HumanTask).where(HumanTask.candidate_org_id == officer.org_id)))[-2:]
    for row in undated:
        row.due_at = None
    tied = db.session.scalars(select(HumanTask).where(HumanTask.candidate_org_id == officer.org_id)).first()
    assert tied is not None and tied.due_at is not None
    db.session.commit()
    expected = list(
        db.session.scalars(
            select(HumanTask.id)
            .where(HumanTask.candidate_org_id == officer.org_id, HumanTask.status == task.status)
            .order_by(HumanTask.due_at.asc().nulls_last(), HumanTask.id)
        )
    )
    for sort, order in (("", expected), ("-due", _descending(expected))):
        seen, cursor = [], None
        while True:
            page = inbox_page(officer, "my_roles", clock() - timedelta(days=1), cursor=cursor, size=2, sort=sort)
            seen += [r.id for r in page.rows]
            if not (cursor := page.next_cursor):
                break
        assert seen == order, sort


def _descending(ids: list[int]) -> list[int]:
    rows = {r.id: r.due_at for r in db.session.scalars(select(HumanTask).where(HumanTask.id.in_(ids)))}
    dated = sorted((i for i in ids if rows[i] is not None), key=lambda i: (rows[i], i), reverse=True)
    return dated + sorted((i for i in ids if rows[i] is None), reverse=True)
