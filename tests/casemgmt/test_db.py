"""The kernel's savepoints: a preview discards its writes and nothing else; a kept step survives its caller's
own savepoint handling; the caller's outer transaction and its earlier pending changes are never touched."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.exc import IntegrityError

from casemgmt.db import db, discarded_savepoint, savepoint
from casemgmt.errors import InvalidInput
from casemgmt.models import CalendarDay, CalendarYear, Region

WHEN = datetime(2025, 9, 26, 2, 0, tzinfo=UTC)


def _region(code: str) -> Region:
    return db.session.scalar(select(Region).where(Region.code == code))


def _regions() -> set[str]:
    return set(db.session.scalars(select(Region.code)))


def _committed_regions() -> dict[str, str]:
    """Read the regions through a connection of its own: what is committed, not what this session sees."""
    engine = create_engine(db.engine.url)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(select(Region.code, Region.name)).all())
    finally:
        engine.dispose()


@pytest.fixture
def regions(db):
    db.session.add_all([Region(code="north", name="北区"), Region(code="south", name="南区")])
    db.session.commit()
    return db


def test_a_preview_keeps_the_callers_pending_changes_and_leaves_nothing_of_its_own(regions):
    north, south = _region("north"), _region("south")
    north.name = "北区（改）"  # the caller's pending change, not flushed yet
    db.session.add(Region(code="east", name="东区"))
    with discarded_savepoint():
        north.name = "预览改名"
        south.name = "预览改名"
        db.session.add(Region(code="preview", name="预览"))
        db.session.flush()
        assert _regions() == {"north", "south", "east", "preview"}
    assert (north.name, south.name) == ("北区（改）", "南区")
    assert _regions() == {"north", "south", "east"}
    db.session.commit()
    assert _committed_regions() == {"north": "北区（改）", "south": "南区", "east": "东区"}


def test_a_preview_that_raises_is_rolled_back_and_the_error_reaches_the_caller(regions):
    north = _region("north")
    north.name = "北区（改）"
    with pytest.raises(InvalidInput), discarded_savepoint():
        north.name = "预览改名"
        db.session.add(Region(code="preview", name="预览"))
        db.session.flush()
        raise InvalidInput("预览失败")
    assert north.name == "北区（改）" and _regions() == {"north", "south"}
    db.session.commit()
    assert _committed_regions() == {"north": "北区（改）", "south": "南区"}


def test_a_database_error_inside_a_preview_leaves_the_outer_transaction_usable(regions):
    db.session.add(Region(code="east", name="东区"))
    with pytest.raises(IntegrityError), discarded_savepoint():
        db.session.add(Region(code="north", name="重复"))
        db.session.flush()
    db.session.add(Region(code="west", name="西区"))
    db.session.commit()
    assert set(_committed_regions()) == {"north", "south", "east", "west"}


def test_an_object_only_loaded_inside_a_preview_does_not_keep_rows_the_preview_added(db):
    year = CalendarYear(scope="north", year=2025, version=1, created_at=WHEN, created_by="admin")
    db.session.add(year)
    db.session.commit()
    with discarded_savepoint():
        db.session.add(CalendarDay(calendar_year_id=year.id, day=date(2025, 10, 1), kind="holiday", name="国庆节"))
        db.session.flush()
        assert len(year.days) == 1  # the collection loads inside the savepoint; `year` itself is not changed
    assert year.days == []
    assert db.session.scalars(select(CalendarDay)).all() == []


def test_a_kept_savepoint_stays_and_a_discarded_one_goes(regions):
    with savepoint():
        db.session.add(Region(code="kept", name="保留"))
    with savepoint() as step:
        db.session.add(Region(code="gone", name="放弃"))
        step.discard()
    assert _regions() == {"north", "south", "kept"}
    db.session.commit()
    assert set(_committed_regions()) == {"north", "south", "kept"}


def test_a_kept_savepoint_is_still_undone_when_the_caller_rolls_back(regions):
    """The savepoint opens the transaction here (nothing was written before it): releasing it must not commit."""
    assert _regions() == {"north", "south"}
    with savepoint():
        db.session.add(Region(code="kept", name="保留"))
    db.session.rollback()
    assert _regions() == {"north", "south"}
    assert set(_committed_regions()) == {"north", "south"}
