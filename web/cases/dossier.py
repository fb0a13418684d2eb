"""The case dossier (案卷) and its printable documents (回访记录, 整改通知书): one HTML each, the dossier as a PDF."""

from __future__ import annotations

from datetime import datetime

from markupsafe import Markup
from sqlalchemy import select

from casemgmt import audit
from casemgmt.cases.queries import list_case_events
from casemgmt.cases.trail import main_diagram
from casemgmt.casework.callbacks import list_attempts
from casemgmt.db import db
from casemgmt.models import Case, LedgerEntry, Organization, User
from casemgmt.rules import bundles
from web.cases.context import case_page_context
from web.cases.diagram_svg import diagram_svg
from web.cases.names import choice_labels
from web.cases.timeline import case_names

#: the form fields whose choices name a callback's result and a case's outcome
CHOICE_FIELDS = ("callback_result", "outcome", "handling")


def dossier_context(case: Case, user: User, now: datetime, key: bytes) -> dict:
    """Return what the dossier and the printable documents show: the case page's facts and more."""
    context = case_page_context(case, user, now, False, None)
    events = list_case_events(case.id)
    ledger = list(
        db.session.scalars(select(LedgerEntry).where(LedgerEntry.case_id == case.id).order_by(LedgerEntry.id))
    )
    orgs = {
        o.id: o.name for o in db.session.scalars(select(Organization).where(Organization.region_id == case.region_id))
    }
    return {
        **context,
        "breaks": audit.verify_chain(f"case:{case.id}", key),
        "svg": Markup(_svg(case, context["marks"])),  # diagram_svg escapes every text
        "attempts": list_attempts(case),
        "ledger": ledger,
        "org_names": orgs,
        "choices": choice_labels(bundles.forms_of(case.definition), CHOICE_FIELDS),
        "names": case_names(case, events, []),
        "outcome": case.outcome or _verified(events),
        "printed_at": now,
        "printed_by": user,
    }


def _verified(events: list) -> str:
    """Return the verification outcome the latest completed form recorded, before the case is closed."""
    for event in reversed(events):
        data = (event.payload or {}).get("data") if event.kind == "task_completed" else None
        if isinstance(data, dict) and data.get("outcome"):
            return str(data["outcome"])
    return ""


def _svg(case: Case, marks: dict) -> str:
    try:
        return diagram_svg(main_diagram(case), marks)
    except (StopIteration, ValueError, SyntaxError):  # no diagram, or one the drawing cannot read
        return ""


def render_pdf(html: str, base_url: str) -> bytes:
    """Return the PDF of a printable page; fonts (Noto CJK through fontconfig) are embedded."""
    from weasyprint import HTML  # lazily: pango loads only when someone prints

    return HTML(string=html, base_url=base_url).write_pdf()
