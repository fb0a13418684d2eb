"""Publishing (发布): a ranking and 通报 per period, quarterly and annual reports, each frozen when published.

A published report keeps its figures (JSON), its xlsx and its PDF in stat_reports and never changes; the audit
log records the figures and the sha256 of each file, so a later change of data cannot change a published number
unnoticed (004 第二十三条; 000 四.(三)). Coordinators publish (stats.publish); the worker publishes the last
quarter's and year's reports when they are due (publish_due).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime

from sqlalchemy import select

from casemgmt import audit
from casemgmt.access.policy import Action, authorize
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.errors import InvalidInput, NotFound
from casemgmt.models import Region, ReportKind, StatReport, User
from casemgmt.stats import definitions as d
from casemgmt.stats import figures, report, report_pdf

TITLES = {
    ReportKind.NOTICE: "好差评情况通报",
    ReportKind.QUARTERLY: "好差评季度报告",
    ReportKind.ANNUAL: "好差评年度报告",
}


def publish(user: User, kind: str, period: str, now: datetime) -> StatReport:
    """Publish a report of the user's region as the user (a coordinator)."""
    authorize(user, Action.STATS_PUBLISH, region_id=user.region_id)
    return publish_report(user.region, kind, period, Actor.of(user), now)


def publish_report(region: Region, kind: str, period: str, actor: Actor, now: datetime) -> StatReport:
    """Compute, render, store and audit one frozen report."""
    if kind not in list(ReportKind):
        raise InvalidInput("报告类型不正确", details={"kind": ["可选：" + "、".join(ReportKind)]})
    scope = figures.public_scope(region, period)
    data = report.report_figures(scope)
    data["notice"] = notice_of(data)
    title = f"{region.name}{period} {TITLES[ReportKind(kind)]}"
    data["title"] = title
    xlsx = report.report_xlsx(data)
    pdf = report_pdf.render(data)
    row = StatReport(
        region_id=region.id,
        kind=ReportKind(kind).value,
        period=period,
        title=title,
        figures=data,
        xlsx=xlsx,
        pdf=pdf,
        xlsx_sha256=hashlib.sha256(xlsx).hexdigest(),
        pdf_sha256=hashlib.sha256(pdf).hexdigest() if pdf is not None else None,
        published_at=now,
        published_by=actor.username,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        "stats_report_published",
        actor=actor,
        at=now,
        region_id=region.id,
        chain=f"stat_report:{row.id}",
        payload={
            "report_id": row.id,
            "kind": row.kind,
            "period": period,
            "title": title,
            "xlsx_sha256": row.xlsx_sha256,
            "pdf_sha256": row.pdf_sha256,
            "totals": data["totals"],
            "ranking": [
                {k: u[k] for k in ("org", "rank", "bottom", "good_rate", "rectify_rate")} for u in data["ranking"]
            ],
        },
    )
    return row


def notice_of(data: dict) -> dict:
    """The 通报: the bottom units of the ranking, repeat bad reviews, and units with bad reviews still open."""
    open_units = [
        {"org": u["org"], "name": u["name"], "open": u["bad"] - u["closed"]}
        for u in data["units"]
        if u["bad"] - u["closed"] > 0 and u["depth"] >= 1
    ]
    return {
        "bottom": [u for u in data["ranking"] if u["bottom"]],
        "repeats": data["repeats"],
        "open": sorted(open_units, key=lambda u: (-u["open"], u["org"]))[:20],
    }


def list_reports(region_id: int, limit: int = 50) -> list[StatReport]:
    """Return the region's published reports, newest first."""
    stmt = select(StatReport).where(StatReport.region_id == region_id)
    return list(db.session.scalars(stmt.order_by(StatReport.published_at.desc(), StatReport.id.desc()).limit(limit)))


def get_report(region_id: int, report_id: int) -> StatReport:
    row = db.session.get(StatReport, report_id)
    if row is None or row.region_id != region_id:
        raise NotFound("没有该报告")
    return row


def due_periods(now: datetime) -> list[tuple[ReportKind, str]]:
    """Return the reports due at `now`: the quarter just ended, and the year just ended in January."""
    today = now.astimezone(d.LOCAL).date()
    quarter = (today.month - 1) // 3  # the ended quarter: 0 means the last of the previous year
    year = today.year if quarter else today.year - 1
    due = [(ReportKind.QUARTERLY, f"{year}Q{quarter or 4}")]
    if today < date(today.year, 2, 1):
        due.append((ReportKind.ANNUAL, str(today.year - 1)))
    return due


def publish_due(now: datetime) -> list[StatReport]:
    """Publish, as the worker, every due report not yet published for each region."""
    made = []
    for region in db.session.scalars(select(Region).order_by(Region.id)):
        for kind, period in due_periods(now):
            exists = select(StatReport.id).where(
                StatReport.region_id == region.id, StatReport.kind == kind, StatReport.period == period
            )
            if db.session.scalar(exists.limit(1)) is None:
                made.append(publish_report(region, kind, period, Actor.system("stats-worker"), now))
    return made


def get_any_report(report_id: int) -> StatReport:
    """Return a published report of any region (reports are public once published)."""
    row = db.session.get(StatReport, report_id)
    if row is None:
        raise NotFound("没有该报告")
    return row
