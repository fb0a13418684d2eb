"""Migration 0107: the record-number and phone-tail indexes of evaluations hold only bad reviews (the rows a case
search can find); a downgrade restores the full indexes; the migrated schema matches the models."""

from __future__ import annotations

from alembic import command

from tests.casemgmt.test_migration_0103 import _index_diffs, _indexes, _migrate, _predicate

PARTIAL = {
    "ix_evaluations_record_no": ["record_no"],
    "ix_evaluations_evaluator_phone_tail": ["evaluator_phone_tail"],
}


def _partial() -> dict[str, bool]:
    found = {}
    indexes = _indexes("evaluations")
    for name, columns in PARTIAL.items():
        assert indexes[name]["column_names"] == columns, name
        found[name] = "is_bad" in _predicate(indexes[name])
    return found


def test_0107_makes_two_indexes_partial_and_downgrades_to_the_full_ones(api) -> None:
    api.bad_review()
    assert _partial() == dict.fromkeys(PARTIAL, True)
    _migrate("0104", command.downgrade)
    assert _partial() == dict.fromkeys(PARTIAL, False)
    _migrate("head", command.upgrade)
    assert _partial() == dict.fromkeys(PARTIAL, True)
    assert _index_diffs() == []
