"""The cases behind a number: a page of the cases a dashboard figure counts, for a reader of the figures.

Unlike the figures this reads cases and their evaluations, one page at a time (by the evaluations' region and
time index); each case listed is one the reader may read. No personal data: case number, unit, item, channel,
level, status and dates.
"""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import select

from casemgmt.access.policy import Action, allowed
from casemgmt.db import db
from casemgmt.errors import InvalidInput
from casemgmt.models import Case, Evaluation, Organization, User
from casemgmt.stats import definitions as d
from casemgmt.stats.figures import Scope

#: the figures a drill-down answers: which cases each counts
FIGURES = {
    "bad": "差评",
    "real_name_bad": "实名差评",
    "closed": "已整改办结",
    "open": "未办结",
    "revoked": "撤销或不予采纳",
}
FILTERS = {"item": Evaluation.item_code, "channel": Evaluation.channel, "staff": Evaluation.staff_no}
PAGE = 50


def cases_behind(
    user: User, scope: Scope, figure: str, *, dim: str | None = None, key: str | None = None, page: int = 1
) -> dict:
    """Return a page of the cases counted by `figure` in the scope (optionally one item, channel or staff)."""
    if figure not in FIGURES:
        raise InvalidInput("统计项不正确", details={"figure": ["可选：" + "、".join(FIGURES)]})
    start = datetime.combine(scope.start, time(), d.LOCAL)
    end = datetime.combine(scope.end, time(), d.LOCAL)
    stmt = (
        select(Case, Evaluation, Organization)
        .join(Evaluation, Evaluation.id == Case.evaluation_id)
        .join(Organization, Organization.id == Evaluation.org_id)
        .where(Evaluation.region_id == scope.region.id, Evaluation.evaluated_at >= start, Evaluation.evaluated_at < end)
    )
    if scope.path is not None:
        stmt = stmt.where(Organization.path.startswith(scope.path, autoescape=True))
    if dim is not None:
        if dim not in FILTERS:
            raise InvalidInput("统计维度不正确", details={"dim": ["可选：" + "、".join(FILTERS)]})
        stmt = stmt.where(FILTERS[dim] == (key or ""))
    stmt = stmt.where(*_figure(figure)).order_by(Evaluation.evaluated_at.desc(), Case.id.desc())
    rows = db.session.execute(stmt.offset((page - 1) * PAGE).limit(PAGE + 1)).all()
    items = [_row(case, ev, org) for case, ev, org in rows[:PAGE] if allowed(user, Action.CASE_READ, case=case)]
    return {"figure": figure, "label": FIGURES[figure], "page": page, "has_more": len(rows) > PAGE, "cases": items}


def _figure(figure: str) -> list:
    if figure == "revoked":
        return [Evaluation.revoked_at.is_not(None)]
    counted = [Evaluation.revoked_at.is_(None)]
    if figure == "real_name_bad":
        return [*counted, Evaluation.is_real_name.is_(True)]
    if figure == "closed":
        return [*counted, Case.closed_at.is_not(None)]
    if figure == "open":
        return [*counted, Case.closed_at.is_(None)]
    return counted


def _row(case: Case, ev: Evaluation, org: Organization) -> dict:
    return {
        "id": case.id,
        "case_no": case.case_no,
        "status": case.status.value,
        "org": org.code,
        "org_name": org.name,
        "item_code": ev.item_code,
        "channel": ev.channel,
        "level": ev.level,
        "evaluated_at": ev.evaluated_at.astimezone(d.LOCAL).isoformat(),
        "closed_at": case.closed_at.astimezone(d.LOCAL).isoformat() if case.closed_at else None,
        "revoked_reason": d.revocation_label(ev.revoked_reason) if ev.revoked_reason else None,
    }
