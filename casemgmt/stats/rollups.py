"""Rollup maintenance: one function per event, called in the transaction of the operation that causes it.

on_evaluation (intake, default ratings), on_callback (a first callback attempt), on_case_closed (before
closed_at is set), on_revoked (before revoked_at is set), on_unrated (a service record settled as 未评),
on_flag_raised / on_flag_dismissed (a rating suspected of gaming leaves every counter until a supervisor
dismisses the flag; an upheld flag keeps it out).
Each adds deltas to the rows of every dimension the evaluation falls in (definitions.DIMENSIONS); the rows are
held to the transaction's end and written by one INSERT ... ON CONFLICT DO UPDATE, so concurrent events add up
without a lost update.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from sqlalchemy import select

from casemgmt import writes
from casemgmt.db import db
from casemgmt.models import (
    COUNTER_COLUMNS,
    CallbackAttempt,
    Case,
    Evaluation,
    FlagStatus,
    Region,
    ServiceRecord,
    StatRollup,
)
from casemgmt.rules import regions
from casemgmt.stats import definitions as d

KEY_COLUMNS = ("region_id", "day", "dim", "key", "org_id")


def on_evaluation(evaluation: Evaluation) -> None:
    """A new evaluation (given or by default) counts under its unit, item, channel, staff number and reasons."""
    _bump(evaluation, _evaluation_deltas(evaluation), with_reasons=True)


def on_evaluations(evaluations: list[Evaluation]) -> None:
    """Many new evaluations (the bulk intake): their deltas summed per rollup row, one upsert per row."""
    rows: dict[tuple[int, date, str, str, int], dict[str, int]] = {}
    for evaluation in evaluations:
        if not counted(evaluation):
            continue
        deltas = {name: value for name, value in _evaluation_deltas(evaluation).items() if value}
        day = _day(evaluation)
        for dim, key in dims_of(evaluation, with_reasons=True):
            row = rows.setdefault((evaluation.region_id, d.bucket(dim, day), dim, key, evaluation.org_id), {})
            for name, value in deltas.items():
                row[name] = row.get(name, 0) + value
    _upsert_rows(rows)


def on_callback(case: Case, attempted_at: datetime, attempt_no: int) -> None:
    """The first callback attempt of a real-name bad review counts as its callback, timely or not."""
    evaluation = case.evaluation
    if attempt_no != 1 or not evaluation.is_real_name or evaluation.revoked_at is not None:
        return
    _bump(evaluation, _callback_deltas(case, attempted_at), with_reasons=True)


def on_case_closed(case: Case, closed_at: datetime) -> None:
    """A bad review's case closes (整改办结) at `closed_at`: closed, on time, satisfied. Call before setting
    case.closed_at; closing again at another instant replaces the first closing's figures."""
    if case.evaluation.revoked_at is not None:
        return
    deltas = _closure_deltas(case, closed_at)
    if case.closed_at is not None:
        before = _closure_deltas(case, case.closed_at)
        deltas = {name: value - before[name] for name, value in deltas.items()}
    _bump(case.evaluation, deltas, with_reasons=True)


def on_revoked(case: Case, label: str, now: datetime) -> None:
    """A review is revoked (误评, 恶意差评, upheld appeal): it leaves every counter and counts under its reason.
    Call before setting revoked_at."""
    evaluation = case.evaluation
    if not counted(evaluation):
        return
    if evaluation.revoked_at is not None:  # revoked again: the count moves to the new reason
        if evaluation.revoked_reason is not None and d.revocation_label(evaluation.revoked_reason) != label:
            day, org_id = _day(evaluation), evaluation.org_id
            _upsert(
                evaluation.region_id,
                day,
                "revoked",
                d.revocation_label(evaluation.revoked_reason),
                org_id,
                {"revoked": -1},
            )
            _upsert(evaluation.region_id, day, "revoked", label, org_id, {"revoked": 1})
        return
    deltas = _evaluation_deltas(evaluation)
    if case.closed_at is not None:
        deltas.update(_closure_deltas(case, case.closed_at))
    first = _first_attempt_at(case)
    if first is not None and evaluation.is_real_name:
        deltas.update(_callback_deltas(case, first))
    deltas = {name: -value for name, value in deltas.items()}
    deltas["revoked"] = 1
    _bump(evaluation, deltas, with_reasons=True)
    _upsert(evaluation.region_id, _day(evaluation), "revoked", label, evaluation.org_id, {"revoked": 1})


def on_flag_raised(evaluation: Evaluation) -> None:
    """A rating is flagged (suspected self-rating, burst, forced rating): it leaves every counter, with what its
    case has done so far. Call before setting flag_status to pending."""
    if counted(evaluation) and evaluation.revoked_at is None:
        _bump(evaluation, {name: -value for name, value in _counted_deltas(evaluation).items()}, with_reasons=True)


def on_flag_dismissed(evaluation: Evaluation) -> None:
    """A supervisor dismissed a rating's flag: it counts again, with what its case did meanwhile. Call after
    setting flag_status to dismissed."""
    if evaluation.revoked_at is None:
        _bump(evaluation, _counted_deltas(evaluation), with_reasons=True)
    elif evaluation.revoked_reason is not None:
        label = d.revocation_label(evaluation.revoked_reason)
        _bump(evaluation, {"revoked": 1}, with_reasons=True)
        _upsert(evaluation.region_id, _day(evaluation), "revoked", label, evaluation.org_id, {"revoked": 1})


def counted(evaluation: Evaluation) -> bool:
    """Whether a rating counts in the statistics: not flagged, or its flag dismissed (intake.flags)."""
    return evaluation.flag_status in (None, FlagStatus.DISMISSED)


def _counted_deltas(evaluation: Evaluation) -> dict[str, int]:
    deltas = _evaluation_deltas(evaluation)
    case = db.session.scalar(select(Case).where(Case.evaluation_id == evaluation.id))
    if case is not None:
        if case.closed_at is not None:
            deltas.update(_closure_deltas(case, case.closed_at))
        first = _first_attempt_at(case)
        if first is not None and evaluation.is_real_name:
            deltas.update(_callback_deltas(case, first))
    return deltas


def on_unrated(record: ServiceRecord) -> None:
    """A service record settled as unrated (未评) counts under its unit, item and channel."""
    day = d.local_day(record.completed_at or record.registered_at)  # an unfinished service: its registration
    for dim, key in (("unit", ""), ("month", ""), ("item", record.item_code), ("channel", record.channel)):
        _upsert(record.region_id, day, dim, key, record.org_id, {"unrated": 1})


def _evaluation_deltas(evaluation: Evaluation) -> dict[str, int]:
    deltas = {"evaluations": 1, **d.level_counters(evaluation.level)}
    if evaluation.is_bad:
        deltas["bad"] = 1
        deltas["real_name_bad"] = 1 if evaluation.is_real_name else 0
    if evaluation.channel == d.DEFAULT_CHANNEL:
        deltas["defaulted"] = 1
    score = regions.score_of(evaluation.region, evaluation.level)
    if score is not None:
        deltas["scored"], deltas["score_sum"] = 1, score
    return deltas


def _callback_deltas(case: Case, attempted_at: datetime) -> dict[str, int]:
    workdays = int(regions.settings_of(case.region).get("callback_workdays") or d.DEFAULT_CALLBACK_WORKDAYS)
    return {"called_back": 1, "callback_timely": int(d.callback_timely(case, attempted_at, workdays))}


def _closure_deltas(case: Case, closed_at: datetime) -> dict[str, int]:
    return {
        "closed": 1,
        "closed_on_time": int(d.closed_on_time(case, closed_at)),
        "satisfied_after": int(d.satisfied_after(case, closed_at)),
    }


def _first_attempt_at(case: Case) -> datetime | None:
    stmt = select(CallbackAttempt.attempted_at).where(CallbackAttempt.case_id == case.id)
    return db.session.scalar(stmt.order_by(CallbackAttempt.attempt_no).limit(1))


def _day(evaluation: Evaluation) -> date:
    return d.local_day(evaluation.evaluated_at)


def dims_of(evaluation: Evaluation, with_reasons: bool) -> list[tuple[str, str]]:
    """Return the (dimension, key) pairs an evaluation counts under."""
    dims = [("unit", ""), ("month", ""), ("item", evaluation.item_code), ("channel", evaluation.channel)]
    if evaluation.staff_no:
        dims.append(("staff", evaluation.staff_no))
    if with_reasons and evaluation.is_bad:
        dims.extend(("reason", str(code)) for code in dict.fromkeys(evaluation.reasons or []))
    return dims


def _bump(evaluation: Evaluation, deltas: dict[str, int], with_reasons: bool) -> None:
    deltas = {name: value for name, value in deltas.items() if value}
    if not deltas or not counted(evaluation):
        return
    day = _day(evaluation)
    rows = [(evaluation.region_id, day, dim, key, evaluation.org_id) for dim, key in dims_of(evaluation, with_reasons)]
    _upsert_rows({row: deltas for row in rows})


def _upsert(region_id: int, day: date, dim: str, key: str, org_id: int, deltas: dict[str, int]) -> None:
    _upsert_rows({(region_id, day, dim, key, org_id): deltas})


def _upsert_rows(rows: dict[tuple[int, date, str, str, int], dict[str, int]]) -> None:
    """Add each row's deltas to the transaction's held rollup rows (casemgmt.writes): all of them are written
    by one multi-row INSERT ... ON CONFLICT DO UPDATE before the commit, in key order (no deadlock between
    two writers), so a row is locked from then to the commit rather than for the whole request."""
    held: dict[tuple, dict[str, int]] = writes.pending(_HELD, dict)
    for (region_id, day, dim, key, org_id), deltas in rows.items():
        target = held.setdefault((region_id, d.bucket(dim, day), dim, key[:128], org_id), {})
        for name, value in deltas.items():
            target[name] = target.get(name, 0) + value


def _statements(held: dict[tuple, dict[str, int]]) -> list[writes.Rows]:
    names = tuple(sorted({name for deltas in held.values() for name in deltas}))
    if not names:
        return []
    # every counter given: held rows may be sent inside another statement, where no column default is filled in
    values = [
        {**dict(zip(KEY_COLUMNS, row, strict=True)), **{n: held[row].get(n, 0) for n in COUNTER_COLUMNS}}
        for row in sorted(held)
    ]
    return [writes.Rows(StatRollup.__table__, values, KEY_COLUMNS, add=names)]


_HELD = "stat_rollups"
writes.register(_HELD, (StatRollup.__tablename__,), _statements)


def on_new_rows(region: Region, rows: list[dict]) -> None:
    """Many new evaluations of a region given as column dicts (the bulk intake, before or as they are inserted):
    what `on_evaluation` adds for each, summed per rollup row and written with one upsert. A flagged row (flag
    status pending) adds nothing but its rows, as `on_evaluation` then `on_flag_raised` leave them."""
    alike: Counter[tuple] = Counter()
    for row in rows:
        is_bad = row["is_bad"]
        alike[
            (
                row["level"],
                is_bad,
                row["is_real_name"],
                row["channel"],
                row["flag_status"] not in (None, FlagStatus.DISMISSED),
                row["evaluated_at"],
                row["item_code"],
                row["staff_no"],
                tuple(dict.fromkeys(row["reasons"] or [])) if is_bad else (),
                row["org_id"],
            )
        ] += 1
    out: dict[tuple[int, date, str, str, int], dict[str, int]] = {}
    for (level, is_bad, real_name, channel, flagged, at, item, staff, reasons, org_id), n in alike.items():
        deltas = _row_deltas(region, level, is_bad, real_name, channel)
        deltas = dict.fromkeys(deltas, 0) if flagged else {name: value * n for name, value in deltas.items()}
        day = d.local_day(at)
        dims = [("unit", ""), ("month", ""), ("item", item), ("channel", channel)]
        if staff:
            dims.append(("staff", staff))
        dims.extend(("reason", str(code)) for code in reasons)
        for dim, key in dims:
            target = out.setdefault((region.id, d.bucket(dim, day), dim, key, org_id), {})
            for name, value in deltas.items():
                target[name] = target.get(name, 0) + value
    _upsert_rows(dict(sorted(out.items())))  # rows locked in key order: concurrent batches cannot deadlock here


def _row_deltas(region: Region, level: str, is_bad: bool, is_real_name: bool, channel: str) -> dict[str, int]:
    """`_evaluation_deltas` of a row with these columns (only its non-zero counters)."""
    deltas = {"evaluations": 1, **d.level_counters(level)}
    if is_bad:
        deltas["bad"] = 1
        deltas["real_name_bad"] = 1 if is_real_name else 0
    if channel == d.DEFAULT_CHANNEL:
        deltas["defaulted"] = 1
    score = regions.score_of(region, level)
    if score is not None:
        deltas["scored"], deltas["score_sum"] = 1, score
    return {name: value for name, value in deltas.items() if value}
