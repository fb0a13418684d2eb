"""A phone's tail is its last four ASCII digits, whatever else it holds (separators, other scripts' digits)."""

from __future__ import annotations

from casemgmt.models.evaluation import phone_tail


def test_a_phone_tail_is_its_last_four_ascii_digits() -> None:
    assert phone_tail("13912345678") == "5678"
    assert phone_tail("+86 139-0000-1111") == "1111"
    assert phone_tail("010-1234 5678") == "5678"
    assert phone_tail("٣٤٥٦1234") == "1234"  # Arabic-Indic digits are not counted
    assert phone_tail("１２３４５") is None  # nor full-width ones
    assert phone_tail("²³12") is None
    assert phone_tail("12a3") is None
    assert phone_tail("") is None
    assert phone_tail(None) is None
