"""docs/STATISTICS.md names every counter and rate that casemgmt/stats/definitions.py defines, with its article."""

from pathlib import Path

from casemgmt.models import COUNTER_COLUMNS
from casemgmt.stats import definitions as d

DOC = (Path(__file__).resolve().parents[2] / "docs" / "STATISTICS.md").read_text("utf-8")


def test_every_counter_is_defined_once_and_documented():
    assert tuple(c.name for c in d.COUNTERS) == COUNTER_COLUMNS
    for counter in d.COUNTERS:
        assert f"| `{counter.name}` | {counter.label} | {counter.article} |" in DOC, counter.name


def test_every_rate_is_documented_with_its_ratio():
    for rate in d.RATES:
        assert f"| `{rate.name}` | {rate.label} | `{rate.numerator}` / `{rate.denominator}` | {rate.article} |" in DOC


def test_rates_of_sums():
    rates = d.rates_of({"good": 3, "evaluations": 4, "bad": 1, "closed": 0, "scored": 2, "score_sum": 13})
    assert rates["good_rate"] == 75.0 and rates["bad_rate"] == 25.0
    assert rates["rectify_rate"] == 0.0 and rates["on_time_rate"] is None and rates["average_score"] == 6.5
