"""The inbox page: one view of the task table, filtered, a keyset page at a time, with deadline lamps."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request
from sqlalchemy import select

from casemgmt.access.policy import Action, allowed
from casemgmt.calendar import load_calendar
from casemgmt.cases.inbox import VIEWS, InboxFilter, inbox_page, item_names, lamp
from casemgmt.db import db
from casemgmt.models import ServiceItem
from casemgmt.rules import bundles
from web.ui import login_required, now

bp = Blueprint("inbox", __name__, template_folder="templates")


@bp.get("/inbox")
@login_required
def index():
    """Show one page of an inbox view."""
    view = request.args.get("view", "my_roles")
    flt = InboxFilter(
        q=request.args.get("q", "").strip(),
        form_key=request.args.get("form_key", ""),
        item_code=request.args.get("item", ""),
    )
    page = inbox_page(g.user, view, now(), flt, cursor=request.args.get("after") or None)
    calendar = load_calendar(g.user.region.code)
    items = item_names(g.user.region_id, {r.case.evaluation.item_code for r in page.rows})
    rows = [(r, lamp(r, now(), calendar), items.get(r.case.evaluation.item_code, "")) for r in page.rows]
    views = [v for v in VIEWS if v != "team" or allowed(g.user, Action.TASK_REASSIGN)]
    return render_template(
        "inbox/index.html",
        view=view,
        views=views,
        flt=flt,
        rows=rows,
        page=page,
        form_titles=_form_titles(),
        items=_items(),
        is_first=not request.args.get("after"),
    )


def _form_titles() -> dict[str, str]:
    active = bundles.get_active(g.user.region_id, required=False)
    definitions = bundles.forms_of(active) if active else {}
    return {key: d.get("title", key) for key, d in sorted(definitions.items())}


def _items() -> list[ServiceItem]:
    stmt = select(ServiceItem).where(ServiceItem.region_id == g.user.region_id).order_by(ServiceItem.code)
    return list(db.session.scalars(stmt))
