"""Revocation (撤销): a review verified as misjudged, malicious or invalid stops counting against the unit."""

from __future__ import annotations

from datetime import datetime

from casemgmt.models import Case, CaseStatus
from casemgmt.stats import rollups
from casemgmt.topics import TopicContext, topic

REVOCATION_LABELS = {"misjudged": "经核实为误评", "malicious": "经核实为恶意差评", "invalid": "经复核为无效差评"}


def revoke_review(case: Case, outcome: str, label: str, opinion: str, now: datetime) -> str:
    """Revoke the case's review with its reason; return the reason as recorded."""
    evaluation = case.evaluation
    rollups.on_revoked(case, label, now)
    evaluation.revoked_at = now
    evaluation.revoked_reason = f"{label}：{opinion}" if opinion else label
    case.outcome = outcome
    case.status = CaseStatus.REVOKED
    return evaluation.revoked_reason


@topic("revoke_review", "撤销差评：不再计入被评价单位的统计，并记录理由")
def revoke_review_topic(ctx: TopicContext, data: dict, params: dict) -> dict:
    outcome = str(data.get(params.get("outcome_field") or "outcome") or "revoked")
    label = params.get("reason") or REVOCATION_LABELS.get(outcome, "经核实为误评或恶意差评")
    opinion = str(data.get(params.get("opinion_field") or "opinion") or "").strip()
    reason = revoke_review(ctx.case, params.get("outcome") or outcome, label, opinion, ctx.now)
    return {"revoked": True, "revoked_reason": reason}
