"""Per-unit statistics of ratings: bad reviews that count against a unit, and those that do not, with why.

A revoked review (误评, 恶意差评, upheld appeal) never counts and carries its reason. In a region whose settings
say `satisfied_not_counted` (Sanming 二.(三)1: 得到差评人满意回复的，可不予计算), a bad review whose evaluator was
satisfied with the handling does not count either. Scores (Liaoning 第十条) average over counted ratings.
Ratings are counted in SQL by unit and level; only bad reviews, a small share, are read one by one.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select

from casemgmt.access.policy import Action, allowed, authorize
from casemgmt.db import db
from casemgmt.intake.flags import counted_in_stats
from casemgmt.models import Case, Evaluation, HumanTask, Organization, Region, TaskStatus, User
from casemgmt.rules import regions

SATISFIED_REASON = "整改后评价人表示满意，按规定不予计算"


def unit_statistics(user: User, start: datetime, end: datetime) -> list[dict]:
    """Return one row per unit of the user's region (their own units unless region-wide) for [start, end)."""
    authorize(user, Action.STATS_READ)
    region = user.region
    in_range = (
        Evaluation.region_id == region.id,
        Evaluation.evaluated_at >= start,
        Evaluation.evaluated_at < end,
        counted_in_stats(),  # flagged ratings count only once a supervisor dismissed the flag
    )
    rows: dict[int, dict] = defaultdict(
        lambda: {"total": 0, "bad": 0, "bad_counted": 0, "not_counted": [], "levels": defaultdict(int)}
    )
    stmt = select(Evaluation.org_id, Evaluation.level, func.count()).where(*in_range)
    for org_id, level, count in db.session.execute(stmt.group_by(Evaluation.org_id, Evaluation.level)):
        rows[org_id]["total"] += count
        rows[org_id]["levels"][level] += count
    bad = list(
        db.session.scalars(select(Evaluation).where(*in_range, Evaluation.is_bad.is_(True)).order_by(Evaluation.id))
    )
    satisfied = _satisfied_after_handling([e.id for e in bad]) if _skips_satisfied(region) else set()
    for evaluation in bad:
        _count_bad(rows[evaluation.org_id], evaluation, satisfied)
    orgs = {o.id: o for o in db.session.scalars(select(Organization).where(Organization.id.in_(list(rows))))}
    return [
        _row(orgs[org_id], data, region)
        for org_id, data in sorted(rows.items(), key=lambda kv: orgs[kv[0]].path)
        if allowed(user, Action.STATS_READ, org=orgs[org_id])
    ]


def _skips_satisfied(region: Region) -> bool:
    return bool(regions.settings_of(region).get("satisfied_not_counted"))


def _count_bad(row: dict, evaluation: Evaluation, satisfied: set[int]) -> None:
    row["bad"] += 1
    reason = evaluation.revoked_reason if evaluation.revoked_at else None
    if reason is None and evaluation.id in satisfied:
        reason = SATISFIED_REASON
    if reason is None:
        row["bad_counted"] += 1
        return
    row["not_counted"].append(
        {"evaluation_id": evaluation.id, "record_no": evaluation.record_no, "level": evaluation.level, "reason": reason}
    )
    row["levels"][evaluation.level] -= 1  # a review that does not count does not score either


def _satisfied_after_handling(evaluation_ids: list[int]) -> set[int]:
    """Return the bad reviews whose case's last satisfaction answer was "yes"."""
    if not evaluation_ids:
        return set()
    stmt = (
        select(Case.evaluation_id, HumanTask.data)
        .join(HumanTask, HumanTask.case_id == Case.id)
        .where(Case.evaluation_id.in_(evaluation_ids), HumanTask.status == TaskStatus.COMPLETED)
        .order_by(HumanTask.completed_at, HumanTask.id)
    )
    last: dict[int, str] = {}
    for evaluation_id, data in db.session.execute(stmt):
        if isinstance(data, dict) and "satisfied" in data:
            last[evaluation_id] = data["satisfied"]
    return {eid for eid, answer in last.items() if answer == "yes"}


def _row(org: Organization, data: dict, region: Region) -> dict:
    levels = data.pop("levels")
    scored = [(regions.score_of(region, level), count) for level, count in levels.items()]
    scored = [(score, count) for score, count in scored if score is not None and count]
    counted = sum(count for _, count in scored)
    average = round(sum(score * count for score, count in scored) / counted, 2) if counted else None
    return {"org": org.code, "name": org.name, **data, "average_score": average}
