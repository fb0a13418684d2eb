"""API v1 routes of the region rule packs: callbacks, appeals, extensions, transfers, ledger, settings, statistics."""

from __future__ import annotations

from datetime import datetime

import click
from flask import Blueprint, current_app, g, jsonify, request

from casemgmt.access.policy import Action
from casemgmt.access.queries import access_case
from casemgmt.actor import Actor
from casemgmt.casework import appeals, callbacks, consultation, extension_requests, ledger, transfers
from casemgmt.casework.schemas import CallbackAttemptSchema, FormPayloadSchema, LedgerNoteSchema, TransferSchema
from casemgmt.db import db
from casemgmt.errors import InvalidInput, NotFound
from casemgmt.inputs import instant_problem
from casemgmt.intake import records
from casemgmt.intake.schemas import ServiceRecordSchema
from casemgmt.models import (
    Appeal,
    CallbackAttempt,
    Consultation,
    ExtensionRequest,
    LedgerEntry,
    ServiceRecord,
    Transfer,
)
from casemgmt.rules import regions
from casemgmt.stats import queries as unit_stats
from web.api.auth import token_required
from web.api.inputs import load_json, now
from web.api.present import iso

#: its CLI command keeps the name it had on the api blueprint: `flask api sweep-unrated`
bp = Blueprint("casework", __name__, cli_group="api")


@bp.get("/cases/<int:case_id>/casework")
@token_required
def get_casework(case_id: int):
    """Return the case's rule-pack records: callbacks, ledger, extensions, appeals, consultations, transfers."""
    case = access_case(g.user, case_id)
    entries = db.session.scalars(db.select(LedgerEntry).where(LedgerEntry.case_id == case.id).order_by(LedgerEntry.id))
    return jsonify(
        {
            "case_id": case.id,
            "callbacks": [callback_json(a) for a in callbacks.list_attempts(case)],
            "ledger": [ledger_json(e) for e in entries],
            "extension_requests": [extension_json(r) for r in extension_requests.list_requests(case)],
            "appeals": [appeal_json(a) for a in appeals.list_appeals(case)],
            "consultations": [consultation_json(c) for c in consultation.list_consultations(case)],
            "transfers": [transfer_json(t) for t in transfers.list_transfers(case)],
        }
    )


@bp.post("/cases/<int:case_id>/callbacks")
@token_required
def post_callback(case_id: int):
    """Log a callback attempt made between form submissions."""
    data = load_json(CallbackAttemptSchema())
    attempt = callbacks.log_attempt(access_case(g.user, case_id, Action.CALLBACK_LOG), g.user, data, now())
    db.session.commit()
    return jsonify(callback_json(attempt)), 201


@bp.post("/cases/<int:case_id>/appeals")
@token_required
def post_appeal(case_id: int):
    """File the rated party's appeal with evidence; 409 when the case accepts none now."""
    data = load_json(FormPayloadSchema())["data"]
    appeal = appeals.file_appeal(access_case(g.user, case_id, Action.APPEAL_FILE), g.user, data, now())
    db.session.commit()
    return jsonify(appeal_json(appeal)), 201


@bp.post("/cases/<int:case_id>/extension-requests")
@token_required
def post_extension_request(case_id: int):
    """Ask for a longer deadline; 400 above the region's cap, 409 when no step accepts one."""
    data = load_json(FormPayloadSchema())["data"]
    extension = extension_requests.request_extension(
        access_case(g.user, case_id, Action.EXTENSION_REQUEST), g.user, data, now()
    )
    db.session.commit()
    return jsonify(extension_json(extension)), 201


@bp.post("/cases/<int:case_id>/transfers")
@token_required
def post_transfer(case_id: int):
    """Transfer suspected misconduct to the discipline body; the case goes on."""
    data = load_json(TransferSchema())
    transfer = transfers.transfer_case(
        access_case(g.user, case_id, Action.CASE_TRANSFER), g.user, data["reason"], now()
    )
    db.session.commit()
    return jsonify(transfer_json(transfer)), 201


@bp.get("/ledger")
@token_required
def list_ledger():
    """List the ledger entries the user may see, soonest due first."""
    entries = ledger.list_entries(g.user, request.args.get("status") or None)
    return jsonify({"entries": [ledger_json(e) for e in entries]})


@bp.get("/ledger/<int:entry_id>")
@token_required
def get_ledger_entry(entry_id: int):
    """Return a ledger entry with its progress notes."""
    return jsonify(ledger_json(ledger.get_entry(entry_id, g.user), notes=True))


@bp.post("/ledger/<int:entry_id>/notes")
@token_required
def post_ledger_note(entry_id: int):
    """Add a progress note (and the owner or measures) to an open ledger entry."""
    data = load_json(LedgerNoteSchema())
    entry = ledger.add_note(entry_id, g.user, now(), data["note"], owner=data["owner"], measures=data["measures"])
    db.session.commit()
    return jsonify(ledger_json(entry, notes=True)), 201


@bp.get("/regions/<code>/settings")
@token_required
def get_region_settings(code: str):
    """Return the user's region's rating labels, scores and windows."""
    if code != g.user.region.code:
        raise NotFound(f"没有地区 {code}")
    return jsonify(regions.describe(g.user.region))


@bp.get("/stats/units")
@token_required
def get_unit_stats():
    """Return per-unit rating statistics for [from, to), with the bad reviews not counted and why."""
    start, end = _instant_arg("from"), _instant_arg("to")
    return jsonify({"from": iso(start), "to": iso(end), "units": unit_stats.unit_statistics(g.user, start, end)})


def _instant_arg(name: str) -> datetime:
    try:
        value = datetime.fromisoformat(request.args.get(name, ""))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None or instant_problem(value):
        raise InvalidInput("参数有误", details={name: ["必须是带时区的 ISO 时间，如 2025-10-01T00:00:00+08:00"]})
    return value


@bp.post("/service-records")
@token_required
def post_service_record():
    """Register a finished service that can be rated (idempotent on record_no)."""
    data = load_json(ServiceRecordSchema())
    record, created = records.register_service_record(data, g.user, now())
    db.session.commit()
    return jsonify(service_record_json(record)), 201 if created else 200


@bp.cli.command("sweep-unrated")
@click.option("--now", "now_text", default=None, help="pretend the time is this ISO instant")
def sweep_unrated_command(now_text: str | None) -> None:
    """Remind evaluators of unrated services and settle them by their region's rule."""
    at = datetime.fromisoformat(now_text) if now_text else current_app.config["CLOCK"]()
    if at.tzinfo is None:
        raise click.BadParameter("需要带时区的时间，如 2025-10-10T09:00:00+08:00")
    counts = records.sweep_unrated(at, Actor.system("ratings"))
    db.session.commit()
    click.echo("已提醒 {reminded} 件，默认评价 {defaulted} 件，记为未评 {unrated} 件".format(**counts))


def callback_json(a: CallbackAttempt) -> dict:
    """Return a callback attempt as JSON."""
    return {
        "attempt_no": a.attempt_no,
        "result": a.result,
        "label": callbacks.RESULT_LABELS[a.result],
        "attempted_at": iso(a.attempted_at),
        "recorded_at": iso(a.recorded_at),
        "recorded_by": a.recorded_by,
        "note": a.note,
        "source": a.source,
    }


def ledger_json(e: LedgerEntry, notes: bool = False) -> dict:
    """Return a ledger entry as JSON, with its notes if asked."""
    body = {
        "id": e.id,
        "case_id": e.case_id,
        "case_no": e.case.case_no,
        "org": e.org.code,
        "org_name": e.org.name,
        "owner": e.owner,
        "measures": e.measures,
        "task_element": e.task_element,
        "task_id": e.task_id,
        "due_date": iso(e.due_date),
        "due_at": iso(e.due_at),
        "extended_workdays": e.extended_workdays,
        "status": e.status,
        "opened_at": iso(e.opened_at),
        "closed_at": iso(e.closed_at),
        "closure": e.closure,
    }
    if notes:
        body["notes"] = [{"author": n.author, "note": n.note, "at": iso(n.at)} for n in e.notes]
    return body


def extension_json(r: ExtensionRequest) -> dict:
    """Return an extension request as JSON."""
    return {
        "id": r.id,
        "case_id": r.case_id,
        "task_element": r.task_element,
        "workdays": r.workdays,
        "reason": r.reason,
        "requested_by": r.requested_by,
        "requested_at": iso(r.requested_at),
        "status": r.status,
        "decided_by": r.decided_by,
        "decided_at": iso(r.decided_at),
        "opinion": r.opinion,
        "old_due_date": iso(r.old_due_date),
        "new_due_date": iso(r.new_due_date),
        "new_due_at": iso(r.new_due_at),
    }


def appeal_json(a: Appeal) -> dict:
    """Return an appeal as JSON."""
    return {
        "id": a.id,
        "case_id": a.case_id,
        "reason": a.reason,
        "evidence": a.evidence,
        "filed_by": a.filed_by,
        "filed_at": iso(a.filed_at),
        "status": a.status,
        "ruled_by": a.ruled_by,
        "ruled_at": iso(a.ruled_at),
        "ruling": a.ruling,
    }


def consultation_json(c: Consultation) -> dict:
    """Return a consultation as JSON."""
    return {
        "id": c.id,
        "orgs": c.orgs,
        "convened_by": c.convened_by,
        "convened_at": iso(c.convened_at),
        "replies": c.replies,
        "merged_at": iso(c.merged_at),
    }


def transfer_json(t: Transfer) -> dict:
    """Return a transfer as JSON."""
    return {
        "id": t.id,
        "case_id": t.case_id,
        "reason": t.reason,
        "at_steps": t.at_steps,
        "requested_by": t.requested_by,
        "requested_at": iso(t.requested_at),
        "sent_at": iso(t.sent_at),
    }


def service_record_json(r: ServiceRecord) -> dict:
    """Return a service record as JSON (no evaluator phone)."""
    return {
        "id": r.id,
        "record_no": r.record_no,
        "status": r.status,
        "completed_at": iso(r.completed_at),
        "reminded_at": iso(r.reminded_at),
        "settled_at": iso(r.settled_at),
        "evaluation_id": r.evaluation_id,
    }
