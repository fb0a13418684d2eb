"""Shapes shared by the UI's pages: the evaluator as shown (masked unless revealed)."""

from __future__ import annotations

from casemgmt.calendar import SHANGHAI
from casemgmt.models import Case
from web.api.present import mask_name, mask_phone


def evaluator_view(case: Case, revealed: bool | None) -> dict:
    """Return the evaluator's name and phone, masked unless this response reveals them."""
    ev = case.evaluation
    erased = ev.pii_erased_at.astimezone(SHANGHAI).date().isoformat() if ev.pii_erased_at else None
    shown = {"real_name": ev.is_real_name, "consent": ev.consent_text, "erased_at": erased}
    if revealed:
        return {"name": ev.evaluator_name, "phone": ev.evaluator_phone, "masked": False, **shown}
    return {"name": mask_name(ev.evaluator_name), "phone": mask_phone(ev.evaluator_phone), "masked": True, **shown}
