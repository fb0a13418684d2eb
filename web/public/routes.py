"""Public disclosure (000 四.(三), 002 第十三条, 004 第二十五条; GB/T 39734 10.1): per region and unit, counts,
好评率 and the rectification status of bad reviews, with the published reports. No sign-in; no personal data and
no evaluator's free text (the figures are rollup counters; the reports are the frozen files). Cached: an answer is
kept CACHE_SECONDS in this process and as long by browsers and proxies (Cache-Control: public).
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, render_template, request
from sqlalchemy import func, select

from casemgmt.db import db
from casemgmt.errors import NotFound
from casemgmt.models import Organization, Region, StatReport
from casemgmt.stats import definitions, figures, publishing
from web.api import stats as api_stats

bp = Blueprint("public", __name__, template_folder="templates")
CACHE_SECONDS = 300


def _now() -> datetime:
    return current_app.config["CLOCK"]()


@bp.get("/public")
def index():
    """List the regions whose figures are published."""
    regions = list(db.session.scalars(select(Region).order_by(Region.id)))
    return _public(render_template("public/index.html", regions=regions))


@bp.get("/public/stats/<code>")
def region_stats(code: str):
    """Show a region's or a unit's figures for a period, and the region's published reports."""
    region = db.session.scalar(select(Region).where(Region.code == code[:32]))
    if region is None:
        raise NotFound("没有该地区")
    year = _now().astimezone(definitions.LOCAL).year
    period = (request.args.get("period") or str(year))[:64]
    org_code = (request.args.get("org") or "")[:64]
    cache: dict[tuple, tuple[datetime, str]] = current_app.extensions.setdefault("zhenggai_public_stats", {})
    latest = db.session.scalar(select(func.max(StatReport.id)).where(StatReport.region_id == region.id))
    key = (region.id, period, org_code, latest)  # a newly published report shows at once
    hit = cache.get(key)
    if hit is not None and (_now() - hit[0]).total_seconds() < CACHE_SECONDS:
        return _public(hit[1])
    org = None
    if org_code:
        org = db.session.scalar(
            select(Organization).where(Organization.region_id == region.id, Organization.code == org_code)
        )
        if org is None:
            raise NotFound("没有该机构")
    scope = figures.public_scope(region, period, org)
    html = render_template(
        "public/region.html",
        region=region,
        org=org,
        scope=scope,
        period=period,
        periods=[str(year), f"{year}Q4", f"{year}Q3", f"{year}Q2", f"{year}Q1", str(year - 1)],
        totals=figures.totals(scope),
        units=figures.by_unit(scope),
        reports=publishing.list_reports(region.id, 20),
    )
    if len(cache) > 1000:
        cache.clear()
    cache[key] = (_now(), html)
    return _public(html)


@bp.get("/public/reports/<int:report_id>/<fmt>")
def report_file(report_id: int, fmt: str):
    """Download a published report, byte for byte as published (its sha256 is in the audit log)."""
    row = publishing.get_any_report(report_id)
    return _public(api_stats.report_file(row, fmt), seconds=86400)


def _public(body, seconds: int = CACHE_SECONDS):
    response = current_app.make_response(body)
    response.headers["Cache-Control"] = f"public, max-age={seconds}"
    return response
