"""整改结果: the handling result of a bad review as the documented JSON (docs/EXCHANGE.md), queued for the relay.

A region sends results when its settings name the receiving platform (`upper_platform`); the relay routes
kind "results" of that region (a signed webhook) and the document travels in the webhook's "document".
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select

from casemgmt import audit
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.models import Attachment, AuditEvent, Case, CaseStatus, HumanTask, OutboxMessage, OutboxState, Region

SCHEMA = "zhenggai.results/1"


def results_document(case: Case) -> dict:
    """Return the handling result of a case: case, outcome, dates, evidence list, satisfaction."""
    evaluation = case.evaluation
    return {
        "schema": SCHEMA,
        "case_no": case.case_no,
        "region": case.region.code,
        "ticket_no": _ticket_no(evaluation.external_id),
        "record_no": evaluation.record_no,
        "org_code": case.handling_org.code,
        "item_code": evaluation.item_code,
        "level": evaluation.level,
        "evaluated_at": evaluation.evaluated_at.isoformat(),
        "opened_at": case.opened_at.isoformat(),
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "status": str(case.status),
        "outcome": case.outcome or "",
        "evidence": [
            {"name": a.name, "sha256": a.sha256, "size": a.size, "uploaded_at": a.uploaded_at.isoformat()}
            for a in db.session.scalars(select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id))
        ],
        "satisfaction": _satisfaction(case),
    }


def _ticket_no(external_id: str | None) -> str | None:
    return external_id.split(":", 1)[1] if external_id and external_id.startswith("12345:") else None


def _satisfaction(case: Case) -> str | None:
    """Return the evaluator's satisfaction: 12345's callback result when there is one, else the feedback task's."""
    reported = select(AuditEvent.payload).where(
        AuditEvent.case_id == case.id, AuditEvent.kind == "hotline_satisfaction"
    )
    hotline = list(db.session.scalars(reported.order_by(AuditEvent.seq)))
    if hotline:
        return str(hotline[-1].get("result"))
    stmt = select(HumanTask.data).where(HumanTask.case_id == case.id, HumanTask.data.is_not(None))
    found = None
    for data in db.session.scalars(stmt.order_by(HumanTask.id)):
        if isinstance(data, dict) and data.get("satisfied") is not None:
            found = str(data["satisfied"])
    return found


def queue_results(case: Case, now: datetime) -> OutboxMessage | None:
    """Queue the case's results for the region's upper platform; None when the region names no platform."""
    platform = (case.region.settings or {}).get("upper_platform")
    if not platform:
        return None
    message = OutboxMessage(
        case_id=case.id,
        region_id=case.region_id,
        channel="platform",
        kind="results",
        recipient=str(platform),
        body=json.dumps(results_document(case), ensure_ascii=False, sort_keys=True),
        created_at=now,
        state=OutboxState.QUEUED,
        attempts=0,
    )
    db.session.add(message)
    db.session.flush()
    return message


def replay_results(region: Region, since: datetime | None, case_no: str | None, actor: Actor, now: datetime) -> int:
    """Queue the results of the region's finished cases again (all closed since `since`, or one case); audited."""
    stmt = select(Case).where(Case.region_id == region.id, Case.status != CaseStatus.OPEN)
    if since is not None:
        stmt = stmt.where(Case.closed_at >= since)
    if case_no:
        stmt = stmt.where(Case.case_no == case_no)
    queued = [m for m in (queue_results(case, now) for case in db.session.scalars(stmt.order_by(Case.id))) if m]
    audit.record(
        "results_replayed",
        actor=actor,
        at=now,
        region_id=region.id,
        payload={"since": since.isoformat() if since else None, "case_no": case_no, "queued": len(queued)},
    )
    return len(queued)
