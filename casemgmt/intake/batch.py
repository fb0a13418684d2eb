"""Bulk intake: up to 1,000 evaluations in one transaction, one result per item.

Each item is checked as a single POST would check it (its shape, region, unit, item, rating content, its service
record's window and earlier ratings, the flag rules); a known external id answers `duplicate` with the first
evaluation, so a retried batch neither loses nor doubles an item. The accepted evaluations are inserted together
(one multi-row INSERT), counted in the statistics with one multi-row upsert, the good ones' audit events and chain
heads written with one statement each, and each bad review opens its case in the same transaction. Follow-ups,
group ratings and a record rated twice in one batch take the single path after the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import make_transient_to_detached

from casemgmt import refcache
from casemgmt.access.policy import Action, Role, authorize
from casemgmt.actor import Actor
from casemgmt.audit.batch import start_chains
from casemgmt.cases.operations import open_case
from casemgmt.db import db, savepoint
from casemgmt.errors import InvalidInput
from casemgmt.intake import flags, ratings
from casemgmt.intake.operations import build_evaluation, check_payload, receive_evaluation, summary
from casemgmt.intake.ratings import Plan
from casemgmt.intake.schemas import EvaluationSchema
from casemgmt.models import Case, Evaluation, Region, User
from casemgmt.stats import rollups

CREATED, DUPLICATE, INVALID = "created", "duplicate", "invalid"


@dataclass
class ItemResult:
    """What became of one item of a batch."""

    index: int
    status: str
    evaluation: Evaluation | None = None
    case: Case | None = None
    errors: dict = field(default_factory=dict)


def submit_batch(items: list[dict], submitter: User, now: datetime) -> list[ItemResult]:
    """Take a batch of raw evaluation payloads from a channel account; answer one result per item, in order."""
    authorize(submitter, Action.EVALUATION_SUBMIT)
    results: list[ItemResult | None] = [None] * len(items)
    loaded: list[tuple[int, dict, Region]] = []
    schema = EvaluationSchema()
    for index, raw in enumerate(items):
        try:
            payload = schema.load(raw if isinstance(raw, dict) else {})
            loaded.append((index, payload, _region(payload["region"], submitter)))
        except ValidationError as err:
            results[index] = ItemResult(index, INVALID, errors=_messages(err.messages))
        except InvalidInput as err:
            results[index] = ItemResult(index, INVALID, errors=_details(err))
    fresh = _mark_duplicates(loaded, results)
    accepted: list[tuple[int, Plan, Evaluation]] = []
    # follow-ups, group ratings and a record rated twice in this batch take the single path after the rest, so
    # each sees what the batch stored before it (one rating per record and evaluator, intake/ratings.py)
    deferred: list[tuple[int, dict]] = []
    planned: set[tuple[int, str]] = set()
    for index, payload, region in fresh:
        if (region.id, payload["record_no"]) in planned:
            deferred.append((index, payload))
            continue
        try:
            plan = ratings.plan_rating(region, payload, now)
            if plan.follow_up_of is not None or plan.group_no:
                deferred.append((index, payload))
                continue
            org, is_bad = check_payload(region, payload)
        except InvalidInput as err:
            results[index] = ItemResult(index, INVALID, errors=_details(err))
            continue
        planned.add((region.id, payload["record_no"]))
        extra = ratings.columns_of(plan)
        accepted.append((index, plan, build_evaluation(region, org, payload, is_bad, submitter, now, extra)))
    _insert(accepted, submitter, now)
    actor = Actor.of(submitter, Role.CHANNEL)
    for index, _, evaluation in accepted:
        case = open_case(evaluation, actor, now) if evaluation.is_bad else None
        results[index] = ItemResult(index, CREATED, evaluation, case)
    for index, payload in deferred:
        results[index] = _single(index, payload, submitter, now)
    for result in results:
        if result is not None and result.status == CREATED and result.evaluation is not None:
            flags.flag_rating(result.evaluation, actor, now)
    return [r for r in results if r is not None]


def _single(index: int, payload: dict, submitter: User, now: datetime) -> ItemResult:
    """Take one item through the single intake path, in a savepoint so that a refusal leaves the batch whole."""
    try:
        with savepoint():
            made = receive_evaluation(payload, submitter, now)
    except InvalidInput as err:
        return ItemResult(index, INVALID, errors=_details(err))
    return ItemResult(index, CREATED if made.created else DUPLICATE, made.evaluation, made.case)


def _region(code: str, submitter: User) -> Region:
    region = refcache.region_by_code(code)
    if region is None:
        raise InvalidInput("未知的地区", details={"region": [f"未知的地区编码 {code}"]})
    if region.id != submitter.region_id:
        raise InvalidInput("不能为其他地区提交评价", details={"region": ["不能为其他地区提交评价"]})
    return region


def _details(err: InvalidInput) -> dict:
    return err.details if isinstance(err.details, dict) else {"_item": [err.message]}


def _messages(messages: dict | list) -> dict:
    return messages if isinstance(messages, dict) else {"_item": messages}


def _mark_duplicates(
    loaded: list[tuple[int, dict, Region]], results: list[ItemResult | None]
) -> list[tuple[int, dict, Region]]:
    """Answer items whose external id is known (stored, or earlier in this batch); return the others."""
    ids = {p["external_id"] for _, p, _ in loaded if p.get("external_id")}
    region_ids = {r.id for _, _, r in loaded}
    stored: dict[tuple[int, str], Evaluation] = {}
    if ids:
        stmt = select(Evaluation).where(Evaluation.region_id.in_(region_ids), Evaluation.external_id.in_(ids))
        stored = {(e.region_id, e.external_id or ""): e for e in db.session.scalars(stmt)}
    cases: dict[int, Case] = {}
    if stored:
        stmt_cases = select(Case).where(Case.evaluation_id.in_([e.id for e in stored.values()]))
        cases = {c.evaluation_id: c for c in db.session.scalars(stmt_cases)}
    fresh: list[tuple[int, dict, Region]] = []
    first_in_batch: dict[tuple[int, str], int] = {}
    for index, payload, region in loaded:
        key = (region.id, payload.get("external_id") or "")
        if key[1] and key in stored:
            found = stored[key]
            results[index] = ItemResult(index, DUPLICATE, found, cases.get(found.id))
        elif key[1] and key in first_in_batch:
            results[index] = ItemResult(
                index, DUPLICATE, errors={"external_id": [f"与第 {first_in_batch[key]} 条重复"]}
            )
        else:
            if key[1]:
                first_in_batch[key] = index
            fresh.append((index, payload, region))
    return fresh


def _insert(accepted: list[tuple[int, Plan, Evaluation]], submitter: User, now: datetime) -> None:
    """Insert the evaluations together, mark the services they rate, count them, and audit the good ones."""
    if not accepted:
        return
    good = [evaluation for _, _, evaluation in accepted if not evaluation.is_bad]
    _insert_good(good)
    for evaluation in good:  # stored rows from now on: a flag or a record's mark is an UPDATE, as for any row
        make_transient_to_detached(evaluation)
        db.session.add(evaluation)
    db.session.add_all([evaluation for _, _, evaluation in accepted if evaluation.is_bad])
    db.session.flush()  # the bad reviews as rows of the session: open_case builds on them
    for _, plan, evaluation in accepted:
        ratings.mark_records(plan, evaluation)
    rollups.on_evaluations([evaluation for _, _, evaluation in accepted])
    actor = Actor.of(submitter, Role.CHANNEL)
    by_region: dict[int, dict[str, dict]] = {}
    for _, _, evaluation in accepted:
        if not evaluation.is_bad:
            by_region.setdefault(evaluation.region_id, {})[f"evaluation:{evaluation.id}"] = summary(evaluation)
    for region_id, chains in by_region.items():
        start_chains("evaluation_received", actor=actor, at=now, region_id=region_id, chains=chains)


def _insert_good(evaluations: list[Evaluation]) -> None:
    """Insert good evaluations with one multi-row INSERT and give each its id (they stay out of the session)."""
    if not evaluations:
        return
    table = Evaluation.__table__
    rows = [_row(evaluation) for evaluation in evaluations]
    # a column nobody set and the database fills (server default) is left out, as the ORM would leave it
    unset = [
        c.key for c in table.columns if c.server_default is not None and all(row.get(c.key) is None for row in rows)
    ]
    rows = [{k: v for k, v in row.items() if k not in unset} for row in rows]
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = table.insert().returning(table.c.id, sort_by_parameter_order=True)
        ids: Sequence[int] = db.session.scalars(stmt, rows).all()
    else:
        # SQLite: one writer, so the rows just inserted hold the highest ids, given in the order inserted
        db.session.execute(table.insert(), rows)
        last = db.session.scalar(select(func.max(table.c.id))) or 0
        ids = range(last - len(rows) + 1, last + 1)
    for evaluation, evaluation_id in zip(evaluations, ids, strict=True):
        evaluation.id = evaluation_id


def _row(evaluation: Evaluation) -> dict:
    row = {c.key: getattr(evaluation, c.key) for c in Evaluation.__table__.columns if c.key != "id"}
    row["org_id"] = evaluation.org.id
    for key, column in Evaluation.__table__.columns.items():
        if row.get(key) is None and column.default is not None:
            row[key] = column.default.arg if not callable(column.default.arg) else column.default.arg(None)
    return row
