"""The dashboard (统计分析): figures, trend, ranking and hot spots of casemgmt/stats for readers of stats.read.

Figures are summed from the rollups (casemgmt/stats/figures.py); the charts are drawn by ECharts, served from the
npm install like bpmn-js, from data the page embeds as JSON (no inline script: the CSP allows only 'self').
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, flash, g, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from casemgmt.access.policy import Action, allowed, unit_limit
from casemgmt.cases.inbox import item_names
from casemgmt.db import db
from casemgmt.models import Organization
from casemgmt.stats import definitions, drilldown, figures, publishing
from web.api import stats as api_stats
from web.ui import login_required, now
from web.ui.labels import CHANNEL_LABELS

bp = Blueprint("stats", __name__, template_folder="templates")
ECHARTS_DIST = Path(__file__).resolve().parents[2] / "node_modules" / "echarts" / "dist"
HOT_DIMS = ("item", "reason", "channel", "staff", "revoked")


def _period() -> str:
    return (request.args.get("period") or _current_quarter())[:64]


def _current_quarter() -> str:
    today = now().astimezone(definitions.LOCAL).date()
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"


def _periods() -> list[str]:
    year = now().astimezone(definitions.LOCAL).year
    return [p for y in (year, year - 1) for p in (f"{y}Q4", f"{y}Q3", f"{y}Q2", f"{y}Q1", str(y))]


def _orgs() -> list[Organization]:
    limit = unit_limit(g.user, Action.STATS_READ)
    stmt = select(Organization).where(Organization.region_id == g.user.region_id)
    if limit is not None:
        stmt = stmt.where(Organization.path.startswith(limit, autoescape=True))
    return list(db.session.scalars(stmt.order_by(Organization.path)))


@bp.get("/stats")
@login_required
def dashboard():
    """Show the figures of a period and unit: totals, trend, ranking with the bottom units, hot spots."""
    scope = figures.scope_for(g.user, _period(), (request.args.get("org") or "")[:64] or None)
    by = "day" if (scope.end - scope.start).days <= 92 else "month"
    return render_template(
        "stats/dashboard.html",
        scope=scope,
        period=_period(),
        periods=_periods(),
        orgs=_orgs(),
        totals=figures.totals(scope),
        trend=figures.trend(scope, by),
        units=figures.by_unit(scope),
        hot={dim: _named(scope, dim, figures.hot_spots(scope, dim, 10)) for dim in HOT_DIMS},
        repeats={dim: _named(scope, dim, figures.repeats(scope, dim)) for dim in ("unit", "item", "staff")},
        rates=definitions.RATES,
        rate_labels={r.name: r.label for r in definitions.RATES},
        indent="\u3000",
        counters={c.name: c for c in definitions.COUNTERS},
        dims=definitions.DIMENSIONS,
        threshold=definitions.REPEAT_THRESHOLD,
    )


def _named(scope, dim: str, rows: list[dict]) -> list[dict]:
    """Give the rows of a hot-spot or repeat table a name to show: service items and channels by name, not code."""
    if dim == "item":
        names = item_names(scope.region.id, {row["key"] for row in rows})
        return [{**row, "name": row.get("name") or names.get(row["key"]) or row["key"]} for row in rows]
    if dim == "channel":
        return [{**row, "name": str(CHANNEL_LABELS.get(row["key"], row["key"]))} for row in rows]
    return rows


@bp.get("/stats/cases")
@login_required
def cases():
    """Show a page of the cases behind a figure of the dashboard."""
    scope = figures.scope_for(g.user, _period(), (request.args.get("org") or "")[:64] or None)
    dim = (request.args.get("dim") or "")[:16] or None
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    found = drilldown.cases_behind(
        g.user,
        scope,
        (request.args.get("figure") or "bad")[:32],
        dim=dim,
        key=(request.args.get("key") or "")[:128],
        page=min(page, 100000),
    )
    return render_template("stats/cases.html", scope=scope, period=_period(), found=found, dims=definitions.DIMENSIONS)


@bp.get("/vendor/echarts/<path:filename>")
def echarts(filename: str):
    """Serve a file of ECharts' dist folder from the npm install."""
    if not ECHARTS_DIST.is_dir():
        abort(404, description="echarts is not installed: run make setup (npm ci)")
    return send_from_directory(ECHARTS_DIST, filename, max_age=3600)


@bp.get("/stats/reports")
@login_required
def reports():
    """List the region's published reports; coordinators publish a new one."""
    figures.scope_for(g.user, "2025")
    return render_template(
        "stats/reports.html",
        rows=publishing.list_reports(g.user.region_id),
        kinds=publishing.TITLES,
        periods=_periods(),
        can_publish=allowed(g.user, Action.STATS_PUBLISH, region_id=g.user.region_id),
    )


@bp.post("/stats/reports")
@login_required
def publish_report():
    """Publish a frozen report (coordinators) and go back to the list."""
    row = publishing.publish(g.user, request.form.get("kind", "")[:16], request.form.get("period", "")[:64], now())
    db.session.commit()
    flash(_("Published: %(title)s", title=row.title), "success")
    return redirect(url_for("stats.reports"))


@bp.get("/stats/reports/<int:report_id>/<fmt>")
@login_required
def report_file(report_id: int, fmt: str):
    """Download a published report's file as published."""
    figures.scope_for(g.user, "2025")
    return api_stats.report_file(publishing.get_report(g.user.region_id, report_id), fmt)
