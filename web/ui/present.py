"""Shapes shared by the UI's pages: the evaluator as shown (masked unless revealed)."""

from __future__ import annotations

from casemgmt.models import Case
from web.api.present import mask_name, mask_phone


def evaluator_view(case: Case, revealed: bool | None) -> dict:
    """Return the evaluator's name and phone, masked unless this response reveals them."""
    ev = case.evaluation
    if revealed:
        return {"name": ev.evaluator_name, "phone": ev.evaluator_phone, "masked": False, "real_name": ev.is_real_name}
    return {
        "name": mask_name(ev.evaluator_name),
        "phone": mask_phone(ev.evaluator_phone),
        "masked": True,
        "real_name": ev.is_real_name,
    }
