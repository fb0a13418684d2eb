"""The brute-force recount: every rollup counter computed from the raw tables, to compare with stat_rollups."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from casemgmt.db import db
from casemgmt.models import (
    COUNTER_COLUMNS,
    CallbackAttempt,
    Case,
    Evaluation,
    ServiceRecord,
    ServiceRecordStatus,
    StatRollup,
)
from casemgmt.rules import regions
from casemgmt.stats import definitions as d
from casemgmt.stats.rollups import dims_of


def recount(region_id: int) -> dict[tuple, dict[str, int]]:
    """Return {(dim, key, org_id, day): counters} from evaluations, cases, callbacks and service records."""
    rows: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTER_COLUMNS, 0))
    cases = {c.evaluation_id: c for c in db.session.scalars(select(Case).where(Case.region_id == region_id))}
    for ev in db.session.scalars(select(Evaluation).where(Evaluation.region_id == region_id)):
        if ev.flag_status not in (None, "dismissed"):  # suspected gaming: out until a supervisor dismisses the flag
            continue
        day = d.local_day(ev.evaluated_at)
        counts = _counts(ev, cases.get(ev.id))
        for dim, key in dims_of(ev, with_reasons=True):
            for name, value in counts.items():
                rows[(dim, key, ev.org_id, d.bucket(dim, day))][name] += value
        if ev.revoked_at is not None:
            label = d.revocation_label(ev.revoked_reason)
            rows[("revoked", label, ev.org_id, d.bucket("revoked", day))]["revoked"] += 1
    records = select(ServiceRecord).where(
        ServiceRecord.region_id == region_id, ServiceRecord.status == ServiceRecordStatus.UNRATED
    )
    for record in db.session.scalars(records):
        for dim, key in (("unit", ""), ("month", ""), ("item", record.item_code), ("channel", record.channel)):
            rows[(dim, key, record.org_id, d.bucket(dim, d.local_day(record.completed_at or record.registered_at)))][
                "unrated"
            ] += 1
    return {k: v for k, v in rows.items() if any(v.values())}


def _counts(ev: Evaluation, case: Case | None) -> dict[str, int]:
    if ev.revoked_at is not None:
        return {"revoked": 1}
    out = {"evaluations": 1, **d.level_counters(ev.level)}
    out["bad"] = int(ev.is_bad)
    out["real_name_bad"] = int(ev.is_bad and ev.is_real_name)
    out["defaulted"] = int(ev.channel == d.DEFAULT_CHANNEL)
    score = regions.score_of(ev.region, ev.level)
    if score is not None:
        out["scored"], out["score_sum"] = 1, score
    if case is None:
        return out
    first = db.session.scalar(
        select(CallbackAttempt.attempted_at)
        .where(CallbackAttempt.case_id == case.id)
        .order_by(CallbackAttempt.attempt_no)
        .limit(1)
    )
    if first is not None and ev.is_real_name:
        workdays = int(regions.settings_of(case.region).get("callback_workdays") or d.DEFAULT_CALLBACK_WORKDAYS)
        out["called_back"] = 1
        out["callback_timely"] = int(d.callback_timely(case, first, workdays))
    if case.closed_at is not None:
        out["closed"] = 1
        out["closed_on_time"] = int(d.closed_on_time(case, case.closed_at))
        out["satisfied_after"] = int(d.satisfied_after(case, case.closed_at))
    return out


def stored(region_id: int) -> dict[tuple, dict[str, int]]:
    """Return the rollup rows of a region in the recount's shape, zero rows left out."""
    out = {}
    for row in db.session.scalars(select(StatRollup).where(StatRollup.region_id == region_id)):
        counts = {name: getattr(row, name) for name in COUNTER_COLUMNS}
        if any(counts.values()):
            out[(row.dim, row.key, row.org_id, row.day)] = counts
    return out
