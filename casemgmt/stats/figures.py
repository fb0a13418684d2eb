"""The figures as read by the dashboard, the API, the reports and the public page: sums of rollup rows.

Nothing here reads the evaluations: each query sums stat_rollups over a period (local days, `start` inclusive,
`end` exclusive) and a unit's subtree (a prefix match on organizations.path). Scope: the permission table's
`unit_limit` for STATS_READ (a supervisor sees their unit's subtree, coordinators and auditors the region).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from casemgmt.access.policy import Action, unit_limit
from casemgmt.db import db
from casemgmt.errors import InvalidInput, NotFound
from casemgmt.models import COUNTER_COLUMNS, Organization, Region, StatRollup, User
from casemgmt.stats import definitions as d

#: how many units at the bottom of a ranking are highlighted (通报)
BOTTOM = 3


@dataclass(frozen=True)
class Scope:
    """Where a figure is counted: a region, optionally one unit's subtree, over [start, end)."""

    region: Region
    org: Organization | None
    start: date
    end: date

    @property
    def path(self) -> str | None:
        return self.org.path if self.org is not None else None


def parse_period(text: str) -> tuple[date, date]:
    """Read "2025", "2025Q3", "2025-09" or "2025-09-01..2025-10-01" as [start, end) local days."""
    text = text.strip()
    try:
        if m := re.fullmatch(r"(\d{4})", text):
            year = int(m[1])
            return date(year, 1, 1), date(year + 1, 1, 1)
        if m := re.fullmatch(r"(\d{4})[Qq]([1-4])", text):
            year, q = int(m[1]), int(m[2])
            return date(year, 3 * q - 2, 1), (date(year, 3 * q + 1, 1) if q < 4 else date(year + 1, 1, 1))
        if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
            year, month = int(m[1]), int(m[2])
            return date(year, month, 1), (date(year, month + 1, 1) if month < 12 else date(year + 1, 1, 1))
        if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", text):
            start, end = date.fromisoformat(m[1]), date.fromisoformat(m[2])
            if start < end and 1900 <= start.year and end.year <= 2100:
                return start, end
    except ValueError:
        pass
    raise InvalidInput("统计期间不正确", details={"period": ["如 2025、2025Q3、2025-09 或 2025-09-01..2025-10-01"]})


def scope_for(user: User, period: str, org_code: str | None = None) -> Scope:
    """Return the scope a user asks for; a unit outside their reach is not found."""
    limit = unit_limit(user, Action.STATS_READ)
    start, end = parse_period(period)
    org = None
    if org_code:
        org = db.session.scalar(
            select(Organization).where(Organization.region_id == user.region_id, Organization.code == org_code)
        )
        if org is None or (limit is not None and not org.path.startswith(limit)):
            raise NotFound(f"没有机构 {org_code}")
    elif limit is not None:
        org = user.org
    return Scope(user.region, org, start, end)


def public_scope(region: Region, period: str, org: Organization | None = None) -> Scope:
    """Return a scope for the public page: no user, whole region or one unit."""
    start, end = parse_period(period)
    return Scope(region, org, start, end)


def _sums():
    return [func.coalesce(func.sum(getattr(StatRollup, name)), 0).label(name) for name in COUNTER_COLUMNS]


def _where(scope: Scope, dim: str):
    conds = [
        StatRollup.region_id == scope.region.id,
        StatRollup.dim == dim,
        StatRollup.day >= d.bucket(dim, scope.start),
        StatRollup.day < scope.end,
    ]
    if scope.path is not None:
        subtree = select(Organization.id).where(
            Organization.region_id == scope.region.id, Organization.path.startswith(scope.path, autoescape=True)
        )
        conds.append(StatRollup.org_id.in_(subtree))
    return conds


def unit_dim(scope: Scope) -> str:
    """Return the dimension a unit figure reads: months when the period is whole months (12 rows a year per
    unit instead of 365), days otherwise."""
    return "month" if scope.start.day == 1 and scope.end.day == 1 else "unit"


def with_rates(counts: dict[str, int]) -> dict:
    """Return counters and their rates (definitions.RATES) in one dict."""
    return {**counts, **d.rates_of(counts)}


def totals(scope: Scope) -> dict:
    """Return the scope's counters and rates."""
    row = db.session.execute(select(*_sums()).where(*_where(scope, unit_dim(scope)))).one()
    return with_rates({name: int(getattr(row, name)) for name in COUNTER_COLUMNS})


def trend(scope: Scope, by: str = "month") -> list[dict]:
    """Return counters and rates per day or month of the period."""
    dim = "unit" if by == "day" else unit_dim(scope)
    rows = db.session.execute(
        select(StatRollup.day, *_sums()).where(*_where(scope, dim)).group_by(StatRollup.day).order_by(StatRollup.day)
    )
    buckets: dict[str, dict[str, int]] = {}
    for row in rows:
        label = row.day.isoformat() if by == "day" else row.day.strftime("%Y-%m")
        bucket = buckets.setdefault(label, dict.fromkeys(COUNTER_COLUMNS, 0))
        for name in COUNTER_COLUMNS:
            bucket[name] += int(getattr(row, name))
    return [{"period": label, **with_rates(counts)} for label, counts in buckets.items()]


def by_unit(scope: Scope) -> list[dict]:
    """Return one row per child unit of the scope's unit (the region's top units without one), each summed over
    its subtree, ranked by 差评整改率 then 好评率; the bottom units are flagged for the 通报."""
    per_org = {
        row.org_id: {name: int(getattr(row, name)) for name in COUNTER_COLUMNS}
        for row in db.session.execute(
            select(StatRollup.org_id, *_sums()).where(*_where(scope, unit_dim(scope))).group_by(StatRollup.org_id)
        )
    }
    children = _children(scope)
    ids = [c.id for c in children]
    parents = set(db.session.scalars(select(Organization.parent_id).where(Organization.parent_id.in_(ids)).distinct()))
    stmt = select(Organization.id, Organization.path).where(Organization.id.in_(list(per_org)))
    paths = {org_id: path for org_id, path in db.session.execute(stmt)}
    by_path = {c.path: c for c in children}
    depth = children[0].path.count("/") - 1 if children else 0
    sums_of: dict[int, dict[str, int]] = {}
    for org_id, sums in per_org.items():  # each unit's sums go to the child whose subtree holds it
        path = paths.get(org_id, "")
        child = by_path.get("/" + "/".join(path.strip("/").split("/")[:depth]) + "/")
        if child is None:
            continue
        into = sums_of.setdefault(child.id, dict.fromkeys(COUNTER_COLUMNS, 0))
        for name in COUNTER_COLUMNS:
            into[name] += sums[name]
    rows = [
        {"org": c.code, "name": c.name, "has_children": c.id in parents, **with_rates(sums_of[c.id])}
        for c in children
        if c.id in sums_of and any(sums_of[c.id].values())
    ]
    own = per_org.get(scope.org.id) if scope.org is not None else None
    if scope.org is not None and own is not None and any(own.values()):  # the unit's own ratings, beside its children
        rows.append(
            {"org": scope.org.code, "name": f"{scope.org.name}（本级）", "has_children": False, **with_rates(own)}
        )
    return rank(rows)


def rank(rows: list[dict]) -> list[dict]:
    """Rank units best first (差评整改率, then 好评率); the last BOTTOM of more than BOTTOM are flagged (通报)."""

    def key(row: dict) -> tuple:
        return (
            -(row["rectify_rate"] if row["rectify_rate"] is not None else 100.0),
            -(row["good_rate"] if row["good_rate"] is not None else 0.0),
            row["org"],
        )

    ordered = sorted(rows, key=key)
    for place, row in enumerate(ordered, start=1):
        row["rank"], row["bottom"] = place, len(ordered) > BOTTOM and place > len(ordered) - BOTTOM
    return ordered


def _children(scope: Scope) -> list[Organization]:
    """Return the units a ranking compares: the scope unit's children (a region's single root counts as its unit)."""
    parent_id = scope.org.id if scope.org is not None else None
    if parent_id is None:
        roots = list(
            db.session.scalars(
                select(Organization.id).where(
                    Organization.region_id == scope.region.id, Organization.parent_id.is_(None)
                )
            )
        )
        parent_id = roots[0] if len(roots) == 1 else None
    stmt = select(Organization).where(Organization.region_id == scope.region.id, Organization.parent_id == parent_id)
    return list(db.session.scalars(stmt.order_by(Organization.path)))


def hot_spots(scope: Scope, dim: str, limit: int = 10) -> list[dict]:
    """Return the keys of a dimension (item, reason, channel, staff) with the most counted bad reviews."""
    if dim not in d.DIMENSIONS or dim in ("unit", "month"):
        choices = "、".join(k for k in d.DIMENSIONS if k not in ("unit", "month"))
        raise InvalidInput("统计维度不正确", details={"dim": ["可选：" + choices]})
    order = StatRollup.revoked if dim == "revoked" else StatRollup.bad
    stmt = (
        select(StatRollup.key, *_sums())
        .where(*_where(scope, dim))
        .group_by(StatRollup.key)
        .order_by(func.sum(order).desc(), StatRollup.key)
        .limit(limit)
    )
    return [
        {"key": row.key, **with_rates({n: int(getattr(row, n)) for n in COUNTER_COLUMNS})}
        for row in db.session.execute(stmt)
    ]


def repeats(scope: Scope, dim: str) -> list[dict]:
    """Return the units, items or staff numbers with repeat bad reviews in the period (definitions.REPEAT_THRESHOLD)."""
    group = StatRollup.org_id if dim == "unit" else StatRollup.key
    stmt = (
        select(group.label("key"), func.sum(StatRollup.bad).label("bad"))
        .where(*_where(scope, unit_dim(scope) if dim == "unit" else dim))
        .group_by(group)
        .having(func.sum(StatRollup.bad) >= d.REPEAT_THRESHOLD)
        .order_by(func.sum(StatRollup.bad).desc(), group)
    )
    rows = db.session.execute(stmt).all()
    if dim != "unit":
        return [{"key": row.key, "bad": int(row.bad)} for row in rows]
    names = {
        o.id: o for o in db.session.scalars(select(Organization).where(Organization.id.in_([r.key for r in rows])))
    }
    return [{"key": names[row.key].code, "name": names[row.key].name, "bad": int(row.bad)} for row in rows]
