"""Case search: filters from the query string, a page of results, the same results as xlsx."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, g, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from casemgmt import audit
from casemgmt.access.policy import Action, authorize, unit_limit
from casemgmt.cases.export import export_cases
from casemgmt.cases.inbox import item_names
from casemgmt.cases.search import PAGE_SIZE, CaseFilter, late_case_ids, search_cases
from casemgmt.db import db
from casemgmt.errors import InvalidInput
from casemgmt.models import Case, CaseStatus, Organization, ServiceItem
from casemgmt.rules import bundles
from web.cases.names import choice_labels
from web.downloads import content_disposition
from web.ui import audit_key, level_label, login_required, now
from web.ui.labels import CASE_STATUS_LABELS, label
from web.ui.present import evaluator_view

bp = Blueprint("audit", __name__, template_folder="templates")


def read_filter() -> CaseFilter:
    """Read the search filter from the query string; bad dates are refused naming the field."""
    args = request.args
    return CaseFilter(
        region=args.get("region", ""),
        org_code=args.get("org", ""),
        item_code=args.get("item", ""),
        opened_from=_date("from"),
        opened_to=_date("to"),
        status=args.get("status", ""),
        overdue=args.get("overdue") == "1",
        q=args.get("q", "").strip(),
    )


def _date(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError as err:
        raise InvalidInput(_("Not a date: %(value)s", value=raw), details={name: ["YYYY-MM-DD"]}) from err


@bp.get("/audit/cases")
@login_required
def search():
    """Show one page of the cases matching the filter."""
    authorize(g.user, Action.CASE_SEARCH)
    flt, page = read_filter(), max(request.args.get("page", 1, type=int) or 1, 1)
    rows, total = search_cases(g.user, flt, now(), page)
    late = late_case_ids([c.id for c in rows], now())
    items = _items()
    return render_template(
        "audit/search.html",
        flt=flt,
        rows=rows,
        total=total,
        late=late,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        orgs=_orgs(),
        items=items,
        item_names={i.code: i.name for i in items},
        statuses=list(CaseStatus),
        args=request.args,
    )


@bp.post("/audit/cases.xlsx")
@login_required
def export():
    """Send the matching cases (filter in the query string) as an xlsx workbook; a POST, as it writes an event."""
    content = export_cases(g.user, read_filter(), now(), _headers(), _row, _("Cases"))
    db.session.commit()
    name = f"cases-{now():%Y%m%d%H%M}.xlsx"
    return Response(
        content,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": content_disposition(name), "Cache-Control": "no-store"},
    )


#: the chains checked on the integrity page: the region's own log, good evaluations, service records
REGION_CHAIN_PREFIXES = ("region:", "evaluation:", "service_record:")


@bp.get("/audit/integrity")
@login_required
def integrity():
    """Verify the region's audit chains that belong to no case: hashes, head rows, the latest signed checkpoint."""
    authorize(g.user, Action.AUDIT_VERIFY, region_id=g.user.region_id)
    chains = audit.all_chains(g.user.region_id, REGION_CHAIN_PREFIXES)
    broken = audit.verify_all(audit_key(), chains)
    checkpoint = audit.latest_checkpoint()
    return render_template("audit/integrity.html", chains=chains, broken=broken, checkpoint=checkpoint)


def _headers() -> list[str]:
    return [
        _("Case no."),
        _("Region"),
        _("Handling unit"),
        _("Service item"),
        _("Record no."),
        _("Rating"),
        _("Reasons"),
        _("Evaluator"),
        _("Phone"),
        _("Status"),
        _("Outcome"),
        _("Opened"),
        _("Closed"),
        _("Overdue"),
    ]


def _row(case: Case, late: bool) -> list[object]:
    ev, who = case.evaluation, evaluator_view(case, False)
    return [
        case.case_no,
        case.region.name,
        case.handling_org.name,
        _item_name(case),
        ev.record_no,
        level_label(case.region, ev.level),
        "、".join(ev.reasons or []),
        who["name"],
        who["phone"],
        label(CASE_STATUS_LABELS, case.status),
        outcome_name(case),
        case.opened_at,
        case.closed_at,
        _("Yes") if late else _("No"),
    ]


def _item_name(case: Case) -> str:
    names = g.setdefault("export_item_names", {})
    code = case.evaluation.item_code
    if (case.region_id, code) not in names:
        names[(case.region_id, code)] = item_names(case.region_id, {code}).get(code, code)
    return names[(case.region_id, code)]


def outcome_name(case: Case) -> str:
    """Return the label the case's forms give its outcome (建立台账限期整改), not the stored value (ledger)."""
    if not case.outcome:
        return ""
    cache = g.setdefault("outcome_names", {})
    if case.definition_id not in cache:
        cache[case.definition_id] = choice_labels(bundles.forms_of(case.definition), ("outcome", "handling"))
    return cache[case.definition_id].get(case.outcome, case.outcome)


def _orgs() -> list[Organization]:
    stmt = select(Organization).where(Organization.region_id == g.user.region_id)
    limit = unit_limit(g.user, Action.CASE_SEARCH)
    if limit is not None:
        stmt = stmt.where(Organization.path.startswith(limit, autoescape=True))
    return list(db.session.scalars(stmt.order_by(Organization.path)))


def _items() -> list[ServiceItem]:
    stmt = select(ServiceItem).where(ServiceItem.region_id == g.user.region_id).order_by(ServiceItem.code)
    return list(db.session.scalars(stmt))
