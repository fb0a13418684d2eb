"""Migration 0107: the record-number and phone-tail indexes of evaluations hold only bad reviews (the rows a case
search can find); a downgrade restores the full indexes; the migrated schema matches the models."""

from __future__ import annotations

from tests.casemgmt.test_migration_0103 import assert_partial_round_trip

PARTIAL = {
    "ix_evaluations_record_no": ("evaluations", ["record_no"], "is_bad"),
    "ix_evaluations_evaluator_phone_tail": ("evaluations", ["evaluator_phone_tail"], "is_bad"),
}


def test_0107_makes_two_indexes_partial_and_downgrades_to_the_full_ones(api) -> None:
    api.bad_review()
    assert_partial_round_trip("0104", PARTIAL)
