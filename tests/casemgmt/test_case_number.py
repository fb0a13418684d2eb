"""A case's number is known before its row is inserted: ZG, the opening date, its evaluation's id."""

from __future__ import annotations

import re

from casemgmt.db import db
from casemgmt.models import Case


def test_case_number_is_opening_date_and_evaluation_id(api) -> None:
    first = api.bad_review(external_id="number-1")
    second = api.bad_review(external_id="number-2")
    for body in (first, second):
        case = db.session.get(Case, body["case_id"])
        assert case is not None
        assert body["case_no"] == case.case_no == f"ZG{case.opened_at:%Y%m%d}{body['id']:07d}"
        assert re.fullmatch(r"ZG\d{8}\d{7}", case.case_no)
    assert first["case_no"] != second["case_no"]
