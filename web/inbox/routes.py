"""The inbox page: one view of the task table, filtered, sorted, a keyset page at a time, with deadline lamps."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from casemgmt.access.policy import Action, allowed, authorize
from casemgmt.calendar import load_calendar
from casemgmt.cases import operations as case_ops
from casemgmt.cases.inbox import (
    SORTS,
    VIEWS,
    InboxFilter,
    due_soon_by,
    inbox_page,
    item_names,
    lamp,
    view_counts,
    working_days_left,
)
from casemgmt.cases.supervision import unit_load
from casemgmt.db import db
from casemgmt.errors import DomainError
from casemgmt.inputs import strict_int
from casemgmt.models import ServiceItem
from casemgmt.rules import bundles
from web.ui import login_required, now, safe_next

bp = Blueprint("inbox", __name__, template_folder="templates")
#: at most this many tasks claimed in one go
BATCH_MAX = 100


@bp.get("/inbox")
@login_required
def index():
    """Show one page of an inbox view."""
    view = request.args.get("view", "my_roles")
    calendar = load_calendar(g.user.region.code)
    flt = InboxFilter(
        q=request.args.get("q", "").strip(),
        form_key=request.args.get("form_key", ""),
        item_code=request.args.get("item", ""),
        org_code=request.args.get("org", ""),
        due_by=due_soon_by(now(), calendar) if request.args.get("due") == "soon" else None,
    )
    sort = request.args.get("sort", "")
    sort = sort if sort in SORTS else ""
    page = inbox_page(g.user, view, now(), flt, cursor=request.args.get("after") or None, sort=sort)
    items = item_names(g.user.region_id, {r.case.evaluation.item_code for r in page.rows})
    rows = [
        (r, lamp(r, now(), calendar), items.get(r.case.evaluation.item_code, ""), working_days_left(r, now(), calendar))
        for r in page.rows
    ]
    views = [v for v in VIEWS if v != "team" or allowed(g.user, Action.TASK_REASSIGN)]
    return render_template(
        "inbox/index.html",
        view=view,
        views=views,
        counts=view_counts(g.user, views, now(), flt),
        flt=flt,
        sort=sort,
        rows=rows,
        page=page,
        form_titles=_form_titles(),
        items=_items(),
        is_first=not request.args.get("after"),
    )


@bp.post("/inbox/claim")
@login_required
def claim_many():
    """Claim the chosen tasks in one go; those someone else took meanwhile are listed, the rest are claimed."""
    ids = [n for n in (strict_int(v) for v in request.form.getlist("task_id")) if n is not None][:BATCH_MAX]
    claimed, refused = 0, []
    for task_id in ids:
        try:  # a refusal is raised before anything is written: the others go on in the same transaction
            case_ops.claim_task(task_id, g.user, now())
            claimed += 1
        except DomainError as err:
            refused.append(f"#{task_id}：{err.message}")
    db.session.commit()
    flash(_("%(n)s tasks claimed.", n=claimed), "success")
    if refused:
        flash(_("Not claimed: %(list)s", list="；".join(refused)), "error")
    return redirect(safe_next(request.form.get("next"), url_for("inbox.index", view="mine")))


@bp.get("/inbox/load")
@login_required
def load():
    """The load of every unit the user oversees: open, due within one working day, overdue."""
    authorize(g.user, Action.TASK_REASSIGN)
    rows = unit_load(g.user, now(), load_calendar(g.user.region.code))
    return render_template("inbox/load.html", rows=rows)


def _form_titles() -> dict[str, str]:
    active = bundles.get_active(g.user.region_id, required=False)
    definitions = bundles.forms_of(active) if active else {}
    return {key: d.get("title", key) for key, d in sorted(definitions.items())}


def _items() -> list[ServiceItem]:
    stmt = select(ServiceItem).where(ServiceItem.region_id == g.user.region_id).order_by(ServiceItem.code)
    return list(db.session.scalars(stmt))
