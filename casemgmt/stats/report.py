"""Quarterly and annual reports of a region (季度/年度报告): the figures, and their xlsx (NEA 附件4 where it applies).

The figures come from the rollups only: one query for every unit's own sums, folded up each unit's path so every
unit gets its subtree's sums; plus hot spots and repeat bad reviews. The xlsx has the sheets 总体情况, 各单位情况
(附件4's columns: 评价总数, 好评/基本满意/差评, 好评率, 差评率, 实名差评回访率, 差评整改率, 按期整改率), 热点 and
重复差评.
"""

from __future__ import annotations

from sqlalchemy import select

from casemgmt.db import db
from casemgmt.models import COUNTER_COLUMNS, Organization, StatRollup
from casemgmt.stats import definitions as d
from casemgmt.stats import figures
from casemgmt.stats.figures import Scope
from casemgmt.xlsx import Sheet, workbook

UNIT_COLUMNS = (
    ("evaluations", "评价总数"),
    ("good", "好评"),
    ("basic", "基本满意"),
    ("bad", "差评"),
    ("good_rate", "好评率(%)"),
    ("bad_rate", "差评率(%)"),
    ("callback_rate", "实名差评回访率(%)"),
    ("rectify_rate", "差评整改率(%)"),
    ("on_time_rate", "按期整改率(%)"),
    ("revoked", "不予采纳"),
    ("average_score", "平均得分"),
)


def report_figures(scope: Scope) -> dict:
    """Return everything a report shows for the scope: totals, every unit with its subtree, hot spots, repeats."""
    own: dict[int, dict[str, int]] = {}
    stmt = select(StatRollup.org_id, *figures._sums()).where(*figures._where(scope, figures.unit_dim(scope)))
    for row in db.session.execute(stmt.group_by(StatRollup.org_id)):
        own[row.org_id] = {name: int(getattr(row, name)) for name in COUNTER_COLUMNS}
    orgs = list(db.session.scalars(select(Organization).where(Organization.region_id == scope.region.id)))
    by_path = {o.path: o for o in orgs}
    subtree: dict[int, dict[str, int]] = {}
    for org in orgs:
        sums = own.get(org.id)
        if not sums:
            continue
        for ancestor in _ancestors(org.path, by_path):
            into = subtree.setdefault(ancestor.id, dict.fromkeys(COUNTER_COLUMNS, 0))
            for name in COUNTER_COLUMNS:
                into[name] += sums[name]
    units = [
        {
            "org": o.code,
            "name": o.name,
            "depth": o.path.count("/") - 2,
            "path": o.path,
            **figures.with_rates(subtree[o.id]),
        }
        for o in sorted(orgs, key=lambda o: o.path)
        if o.id in subtree and (scope.path is None or o.path.startswith(scope.path))
    ]
    return {
        "region": scope.region.name,
        "unit": scope.org.name if scope.org else scope.region.name,
        "from": scope.start.isoformat(),
        "to": scope.end.isoformat(),
        "totals": figures.totals(scope),
        "ranking": figures.by_unit(scope),
        "units": units,
        "hot": {dim: figures.hot_spots(scope, dim, 20) for dim in ("item", "reason", "channel", "revoked")},
        "repeats": {dim: figures.repeats(scope, dim)[:50] for dim in ("unit", "item", "staff")},
    }


def _ancestors(path: str, by_path: dict[str, Organization]) -> list[Organization]:
    parts = path.strip("/").split("/")
    found = []
    for n in range(1, len(parts) + 1):
        org = by_path.get("/" + "/".join(parts[:n]) + "/")
        if org is not None:
            found.append(org)
    return found


def report_xlsx(data: dict) -> bytes:
    """Return the report as an xlsx workbook (the house writer, casemgmt/xlsx.py)."""
    title = f"{data['unit']} 政务服务“好差评”情况 {data['from']} 至 {data['to']}（不含）"
    overall = [[title, "", "", ""]]
    overall += [[r.label, data["totals"][r.name], f"{r.numerator}/{r.denominator}", r.article] for r in d.RATES]
    overall += [[c.label, data["totals"][c.name], "", c.article] for c in d.COUNTERS]
    units = [
        [n, "　" * unit["depth"] + unit["name"], *[unit[name] for name, _ in UNIT_COLUMNS]]
        for n, unit in enumerate(data["units"], start=1)
    ]
    hot = [
        [d.DIMENSIONS[dim], row["key"], row["bad"], row["revoked"], row["rectify_rate"]]
        for dim, rows in data["hot"].items()
        for row in rows
    ]
    repeats = [
        [d.DIMENSIONS[dim], row.get("name") or row["key"], row["bad"]]
        for dim, rows in data["repeats"].items()
        for row in rows
    ]
    return workbook(
        [
            Sheet("总体情况", ["指标", "数值", "口径", "依据"], overall),
            Sheet("各单位情况", ["序号", "单位", *[label for _, label in UNIT_COLUMNS]], units),
            Sheet("热点", ["维度", "对象", "差评数", "不予采纳数", "差评整改率(%)"], hot),
            Sheet("重复差评", ["维度", "对象", "差评数"], repeats),
        ]
    )
