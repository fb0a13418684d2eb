"""Printable QR posters of the rating page, one A4 page per window of a unit (segno + WeasyPrint)."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, url_for
from sqlalchemy import select

from casemgmt.access.policy import Action, authorize
from casemgmt.db import db
from casemgmt.errors import NotFound
from casemgmt.models import Organization
from web.ui import current_user, login_required

bp = Blueprint("rate_posters", __name__, url_prefix="/rate-posters", template_folder="templates")


@bp.get("/<int:org_id>.pdf")
@login_required
def poster(org_id: int):
    """Answer a PDF with one poster per active unit in the subtree: its name and the QR code of its rating page."""
    org = db.session.get(Organization, org_id)
    if org is None:
        raise NotFound("没有找到该机构")
    authorize(current_user(), Action.RATING_POSTER, org=org)
    units = db.session.scalars(
        select(Organization)
        .where(Organization.path.startswith(org.path), Organization.is_active.is_(True))
        .order_by(Organization.path)
    )
    pages = [
        (unit, _qr_svg(url_for("rate.window", region=org.region.code, org_code=unit.code, _external=True)))
        for unit in units
    ]
    html = render_template("rate/poster.html", pages=pages, region=org.region)
    return Response(
        _pdf(html),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="rating-qr-{org.code}.pdf"'},
    )


def _qr_svg(url: str) -> str:
    import segno  # imported here: only the poster needs it

    return segno.make(url, error="m").svg_inline(scale=8, border=2)


def _pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported here: pango is loaded only when a poster is printed

    return HTML(string=html).write_pdf()
