"""bulk.matches: the same rows whether the values go as one joined text, as an array, or in an IN list."""

from sqlalchemy import select

from casemgmt import bulk
from casemgmt.db import db
from casemgmt.models import Region


def _codes(values: list) -> set[str]:
    return set(db.session.scalars(select(Region.code).where(bulk.matches(Region.code, values))))


def _ids(values: list) -> set[int]:
    return set(db.session.scalars(select(Region.id).where(bulk.matches(Region.id, values))))


def test_values_match_as_they_are_whichever_way_they_are_sent(seeded_app) -> None:  # noqa: ANN001
    liaoning = db.session.scalar(select(Region.id).where(Region.code == "liaoning"))
    assert _codes(["liaoning", "nowhere"]) == {"liaoning"}
    assert _codes(["liao\x1fning", "liaoning"]) == {"liaoning"}  # a separator inside a value: sent as an array
    assert _codes(["liaoning\x1fx"]) == set()  # not liaoning and x
    assert _codes([""]) == set() and _codes(["", "liaoning"]) == {"liaoning"}
    assert _codes([]) == set()
    assert _ids([liaoning, 2**31 - 1]) == {liaoning}
    assert _ids([]) == set()


def test_what_cannot_be_split_back_goes_as_an_array() -> None:
    assert bulk._joined(["a", "b"]) == "a\x1fb" and bulk._joined([1, 22]) == "1\x1f22"
    assert bulk._joined([]) == ""
    assert bulk._joined(["a\x1fb"]) is None  # would split into two
    assert bulk._joined([""]) is None  # one empty value splits into none
    assert bulk._joined(["a", 1]) is None and bulk._joined([True]) is None  # mixed, or not plain str / int
