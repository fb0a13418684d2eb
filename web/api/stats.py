"""API v1 statistics: the figures of casemgmt/stats as JSON, scoped by the permission table (stats.read).

Query parameters: `period` (2025, 2025Q3, 2025-09, 2025-09-01..2025-10-01; default the current year) and `org`
(a unit code: its subtree; default the region, or the reader's own unit when their scope is a unit).
"""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request

from casemgmt.db import db
from casemgmt.errors import NotFound
from casemgmt.stats import definitions, drilldown, figures, publishing
from casemgmt.stats.figures import Scope
from casemgmt.stats.schemas import ReportSchema
from web.api.auth import token_required
from web.api.inputs import int_arg, load_json, now
from web.api.present import iso
from web.downloads import content_disposition

bp = Blueprint("stats", __name__)


def scope_arg() -> Scope:
    """Return the scope the request asks for, checked against the reader's reach."""
    period = request.args.get("period") or str(now().astimezone(definitions.LOCAL).year)
    return figures.scope_for(g.user, period[:64], (request.args.get("org") or "")[:64] or None)


def scope_json(scope: Scope) -> dict:
    return {
        "region": scope.region.code,
        "org": scope.org.code if scope.org else None,
        "org_name": scope.org.name if scope.org else scope.region.name,
        "from": scope.start.isoformat(),
        "to": scope.end.isoformat(),
    }


@bp.get("/stats/overview")
@token_required
def get_overview():
    """Return the scope's counters, rates and repeat counts, and their trend per month (per day within a quarter)."""
    scope = scope_arg()
    by = "day" if (scope.end - scope.start).days <= 92 else "month"
    body = {"scope": scope_json(scope), "totals": figures.totals(scope), "trend": figures.trend(scope, by)}
    return jsonify(body)


@bp.get("/stats/ranking")
@token_required
def get_ranking():
    """Return the rates per child unit, ranked, the bottom units flagged."""
    scope = scope_arg()
    return jsonify({"scope": scope_json(scope), "units": figures.by_unit(scope), "bottom": figures.BOTTOM})


@bp.get("/stats/hotspots")
@token_required
def get_hotspots():
    """Return the items, reasons, channels, staff numbers or revocation reasons with the most bad reviews."""
    scope = scope_arg()
    dim = (request.args.get("dim") or "item")[:16]
    limit = int_arg("limit", 10, minimum=1, maximum=100) or 10
    return jsonify({"scope": scope_json(scope), "dim": dim, "rows": figures.hot_spots(scope, dim, limit)})


@bp.get("/stats/repeats")
@token_required
def get_repeats():
    """Return the units, items and staff numbers with repeat bad reviews in the period."""
    scope = scope_arg()
    body = {dim: figures.repeats(scope, dim) for dim in ("unit", "item", "staff")}
    return jsonify({"scope": scope_json(scope), "threshold": definitions.REPEAT_THRESHOLD, **body})


@bp.get("/stats/cases")
@token_required
def get_stat_cases():
    """Return a page of the cases behind a figure (drill-down)."""
    scope = scope_arg()
    figure = (request.args.get("figure") or "bad")[:32]
    dim = request.args.get("dim") or None
    key = (request.args.get("key") or "")[:128]
    page = int_arg("page", 1, minimum=1, maximum=100000) or 1
    body = drilldown.cases_behind(g.user, scope, figure, dim=dim and dim[:16], key=key, page=page)
    return jsonify({"scope": scope_json(scope), **body})


@bp.get("/stats/definitions")
@token_required
def get_definitions():
    """Return the counters and rates with the articles they serve."""
    figures.scope_for(g.user, "2025")  # the same gate as the figures
    return jsonify(
        {
            "counters": [c.__dict__ for c in definitions.COUNTERS],
            "rates": [r.__dict__ for r in definitions.RATES],
            "dimensions": definitions.DIMENSIONS,
        }
    )


@bp.get("/stats/reports")
@token_required
def list_stat_reports():
    """Return the region's published reports (ranking and 通报, quarterly, annual), newest first."""
    figures.scope_for(g.user, "2025")  # the same gate as the figures
    rows = publishing.list_reports(g.user.region_id)
    return jsonify({"reports": [report_json(r) for r in rows]})


@bp.post("/stats/reports")
@token_required
def post_stat_report():
    """Publish a frozen report of the region for a period (coordinators)."""
    data = load_json(ReportSchema())
    row = publishing.publish(g.user, data["kind"], data["period"], now())
    db.session.commit()
    return jsonify(report_json(row)), 201


@bp.get("/stats/reports/<int:report_id>/<fmt>")
@token_required
def get_stat_report_file(report_id: int, fmt: str):
    """Download a published report's xlsx or PDF, byte for byte as published."""
    figures.scope_for(g.user, "2025")
    row = publishing.get_report(g.user.region_id, report_id)
    return report_file(row, fmt)


def report_json(row) -> dict:
    return {
        "id": row.id,
        "kind": row.kind,
        "period": row.period,
        "title": row.title,
        "published_at": iso(row.published_at),
        "published_by": row.published_by,
        "xlsx_sha256": row.xlsx_sha256,
        "pdf_sha256": row.pdf_sha256,
    }


def report_file(row, fmt: str) -> Response:
    """Answer a report's file as an attachment."""
    if fmt == "xlsx":
        body, mime = row.xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif fmt == "pdf" and row.pdf is not None:
        body, mime = row.pdf, "application/pdf"
    else:
        raise NotFound("没有该格式的报告文件")
    response = Response(body, mimetype=mime)
    response.headers["Content-Disposition"] = content_disposition(f"{row.title}.{fmt}")
    return response
