"""Calendars in the database: seeding, versioned imports, overlays and the built-calendar cache."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event, select

from casemgmt.calendar import (
    SHANGHAI,
    clear_cache,
    import_year,
    load_calendar,
    seed_national,
    years_with_data,
)
from casemgmt.errors import CalendarInvalid, CalendarMissing
from casemgmt.models.calendar import CalendarDay, CalendarYear

NOW = datetime(2025, 1, 2, 8, 0, tzinfo=UTC)
OPENED = datetime(2025, 9, 26, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()
    yield
    clear_cache()


def closed(day: str, name: str = "系统升级停止办公") -> dict:
    return {"day": day, "kind": "closed", "name": name}


def test_seeding_loads_every_shipped_year_once(db):
    assert seed_national(now=NOW) == [2023, 2024, 2025, 2026]
    assert seed_national(now=NOW) == []
    assert years_with_data() == {2023, 2024, 2025, 2026}
    row = db.session.scalars(select(CalendarYear).where(CalendarYear.year == 2025)).one()
    assert (row.scope, row.version, row.is_current) == ("national", 1, True)
    assert row.created_by == "system"
    assert "国办发明电〔2024〕12号" in row.note
    assert len(row.days) == 33


def test_seeding_skips_a_year_already_imported_by_hand(db):
    new_year = {"day": "2025-01-01", "kind": "holiday", "name": "元旦"}
    import_year("national", 2025, [new_year], "li", NOW)
    assert seed_national(now=NOW) == [2023, 2024, 2026]


def test_loading_before_any_national_data_is_refused(app):
    with pytest.raises(CalendarMissing):
        load_calendar("liaoning")


def test_the_seeded_calendar_gives_the_domain_example(app):
    seed_national(now=NOW)
    due = load_calendar("liaoning").due(OPENED, 15)
    assert due.as_dict() == {
        "due_date": "2025-10-23",
        "due_at": "2025-10-24T00:00:00+08:00",
        "provisional": False,
    }


def test_region_and_hall_closures_push_the_due_date(app):
    seed_national(now=NOW)
    import_year("liaoning", 2025, [closed("2025-10-09")], "admin", NOW)
    import_year("org:210100-01", 2025, [closed("2025-10-10")], "admin", NOW)
    assert load_calendar("jilin").due(OPENED, 15).due_date == date(2025, 10, 23)
    assert load_calendar("liaoning").due(OPENED, 15).due_date == date(2025, 10, 24)
    hall = load_calendar("liaoning", "210100-01")
    assert hall.due(OPENED, 15).due_date == date(2025, 10, 27)


def test_a_region_may_add_a_holiday_and_a_working_day(app):
    seed_national(now=NOW)
    days = [
        {"day": "2025-09-29", "kind": "holiday", "name": "地方节日"},
        {"day": "2025-10-01", "kind": "workday", "name": "值守"},
    ]
    import_year("xizang", 2025, days, "admin", NOW)
    calendar = load_calendar("xizang")
    assert not calendar.is_working_day(date(2025, 9, 29))
    assert calendar.is_working_day(date(2025, 10, 1))
    assert load_calendar("liaoning").is_working_day(date(2025, 9, 29))


def test_a_new_version_replaces_the_current_one(db):
    first = import_year("liaoning", 2025, [closed("2025-10-09")], "li", NOW)
    second = import_year("liaoning", 2025, [closed("2025-10-10")], "wang", NOW, note="更正")
    assert (first.version, second.version) == (1, 2)
    assert (first.is_current, second.is_current) == (False, True)
    assert second.created_by == "wang" and second.note == "更正"
    current = db.session.scalars(
        select(CalendarYear).where(CalendarYear.scope == "liaoning", CalendarYear.is_current)
    ).all()
    assert current == [second]
    assert [d.day for d in second.days] == [date(2025, 10, 10)]


def test_the_cache_serves_a_repeat_with_one_query_and_notices_a_new_version(db):
    seed_national(now=NOW)
    import_year("liaoning", 2025, [closed("2025-10-09")], "admin", NOW)
    calendar = load_calendar("liaoning")
    statements = []

    def listener(*args: object) -> None:
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert load_calendar("liaoning") is calendar
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 1
    import_year("liaoning", 2025, [closed("2025-10-10")], "admin", NOW)
    fresh = load_calendar("liaoning")
    assert fresh is not calendar
    assert fresh.is_working_day(date(2025, 10, 9))
    assert not fresh.is_working_day(date(2025, 10, 10))


def test_the_cache_notices_a_version_written_by_another_process(db):
    seed_national(now=NOW)
    before = load_calendar("liaoning")
    values = {"scope": "liaoning", "year": 2025, "version": 1, "is_current": True}
    inserted = db.session.execute(
        CalendarYear.__table__.insert().values(**values, created_at=NOW, created_by="x", note="")
    )
    db.session.execute(
        CalendarDay.__table__.insert().values(
            calendar_year_id=inserted.inserted_primary_key[0],
            day=date(2025, 10, 13),
            kind="closed",
            name="停电",
        )
    )
    after = load_calendar("liaoning")
    assert after is not before
    assert not after.is_working_day(date(2025, 10, 13))


def test_import_flushes_without_committing(db):
    import_year("liaoning", 2025, [closed("2025-10-09")], "admin", NOW)
    db.session.rollback()
    assert db.session.scalars(select(CalendarDay)).all() == []


def test_an_invalid_year_is_refused_with_every_problem_by_field(app):
    days = [
        {"day": "2025-10-09", "kind": "workday", "name": "国庆节"},
        {"day": "2024-12-31", "kind": "holiday", "name": "元旦"},
        {"day": "2025-10-01", "kind": "vacation", "name": "国庆节"},
        {"day": "2025-10-02", "kind": "holiday", "name": ""},
        {"day": "2025-10-02", "kind": "holiday", "name": "国庆节"},
        {"day": "10/03/2025", "kind": "holiday", "name": "国庆节"},
        {"day": "2025-10-04", "kind": "closed", "name": "停电"},
    ]
    with pytest.raises(CalendarInvalid) as caught:
        import_year("national", 2025, days, "admin", NOW)
    details = caught.value.details
    assert details["days[0].day"] == ["2025-10-09 是周四；调休上班日应为周六或周日"]
    assert "不在 2025 年内" in details["days[1].day"][0]
    assert "类型应为" in details["days[2].kind"][0]
    assert details["days[3].name"] == ["放假日应填写节日名称"]
    assert "与 days[3] 重复" in details["days[4].day"][0]
    assert "YYYY-MM-DD" in details["days[5].day"][0]
    assert "全国日历不能有 closed" in details["days[6].kind"][0]
    assert len(details) == 7
    assert years_with_data() == set()


def test_a_bad_scope_or_year_is_refused(app):
    with pytest.raises(CalendarInvalid) as caught:
        import_year("Liao Ning", 1999, [], "admin", NOW)
    assert set(caught.value.details) == {"scope", "year"}


def test_an_overlay_make_up_day_need_not_be_a_weekend(app):
    make_up = {"day": "2025-10-09", "kind": "workday"}
    entry = import_year("liaoning", 2025, [make_up], "admin", NOW)
    assert entry.days[0].kind == "workday"


def test_a_naive_clock_is_refused(app):
    with pytest.raises(ValueError):
        import_year("liaoning", 2025, [], "admin", datetime(2025, 1, 2, 8))
