"""Bulk intake: up to 1,000 evaluations in one transaction, one result per item, as if posted one by one in order.

Each item is checked as a single POST would check it (its shape, region, unit, item, rating content, its service
record's window and earlier ratings, the flag rules), but set-based: a plainly valid item skips marshmallow
(intake/fastload.py); reference rows are resolved once per batch; duplicates by external id, the service records
and the earlier ratings of the batch's records are each read with one query; the flag rules count with one
aggregate query per rule and count the batch's own ratings in order (flags.BatchRules). A known external id
answers `duplicate` with the first evaluation, so a retried batch neither loses nor doubles an item.

The items are taken in segments: a segment ends before an item whose record an earlier item of the segment rates
(it must see that rating) and at an item that takes the single path (a follow-up, a group rating, a record rated
before by the same evaluator), which runs in order after the segment is stored. A segment's evaluations go in
with one multi-row INSERT, its statistics with one upsert, the good ones' audit chains with one statement per
table (batch_store.py); each bad review opens its case in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from marshmallow import ValidationError
from sqlalchemy import select

from casemgmt import refcache
from casemgmt.access.policy import Action, Role, authorize
from casemgmt.actor import Actor
from casemgmt.bulk import matches, planned_with_values
from casemgmt.db import db, savepoint
from casemgmt.errors import InvalidInput
from casemgmt.intake import batch_store, content, flags, operations, ratings
from casemgmt.intake.fastload import fast_load
from casemgmt.intake.schemas import EvaluationSchema
from casemgmt.models import BAD_LEVELS, Case, Evaluation, Region, ServiceRecord, User

CREATED, DUPLICATE, INVALID = "created", "duplicate", "invalid"


@dataclass
class ItemResult:
    """What became of one item of a batch: its evaluation and case (ids), or its errors."""

    index: int
    status: str
    evaluation_id: int | None = None
    case_id: int | None = None
    case_no: str | None = None
    errors: dict = field(default_factory=dict)


def submit_batch(items: list[dict], submitter: User, now: datetime) -> list[ItemResult]:
    """Take a batch of raw evaluation payloads from a channel account; answer one result per item, in order."""
    authorize(submitter, Action.EVALUATION_SUBMIT)
    results: list[ItemResult | None] = [None] * len(items)
    loaded: list[tuple[int, dict]] = []
    regions: dict[str, Region | InvalidInput] = {}
    schema = None
    for index, raw in enumerate(items):
        payload = fast_load(raw)
        if payload is None:
            schema = schema or EvaluationSchema()
            try:
                payload = schema.load(raw if isinstance(raw, dict) else {})
            except ValidationError as err:
                results[index] = ItemResult(index, INVALID, errors=_messages(err.messages))
                continue
        code = payload["region"]
        if code not in regions:
            regions[code] = _region(code, submitter)
        region = regions[code]
        if isinstance(region, InvalidInput):
            results[index] = ItemResult(index, INVALID, errors=_details(region))
            continue
        loaded.append((index, payload))
    pending = _mark_duplicates(submitter.region_id, loaded, results) if loaded else []
    if pending:
        batch = _Batch(refcache.region(submitter.region_id), submitter, now, results)  # type: ignore[arg-type]
        while pending:
            pending = batch.segment(pending)
    return [r for r in results if r is not None]


class _Batch:
    """One batch's region, submitter and caches across its segments."""

    def __init__(self, region: Region, submitter: User, now: datetime, results: list[ItemResult | None]) -> None:
        self.region, self.submitter, self.now, self.results = region, submitter, now, results
        self.actor = Actor.of(submitter, Role.CHANNEL)
        self.directory: dict[tuple[str, str], int | InvalidInput] = {}

    def segment(self, pending: list[tuple[int, dict]]) -> list[tuple[int, dict]]:
        """Check and store items in order up to the first that must wait for them; return the rest."""
        region, now = self.region, self.now
        numbers = list({p["record_no"] for _, p in pending})
        stmt = select(ServiceRecord).where(
            ServiceRecord.region_id == region.id, matches(ServiceRecord.record_no, numbers)
        )
        rated: dict[str, list[str | None]] = {}
        stmt_rated = select(Evaluation.record_no, Evaluation.evaluator_key).where(
            Evaluation.region_id == region.id, matches(Evaluation.record_no, numbers)
        )
        with planned_with_values():
            records = {r.record_no: r for r in db.session.scalars(stmt)}
            for number, key in db.session.execute(stmt_rated):
                rated.setdefault(number, []).append(key)
        store = batch_store.Segment(region, self.submitter, self.actor, now)
        for position, (index, payload) in enumerate(pending):
            number = payload["record_no"]
            if number in store.numbers:
                self._store(store)
                return pending[position:]
            try:
                plan = _plan(region, payload, records.get(number), rated.get(number, []), now)
                if plan is None:
                    self._store(store)
                    self.results[index] = self._single(index, payload)
                    return pending[position + 1 :]
                org_id, is_bad = self._check(payload)
            except InvalidInput as err:
                self.results[index] = ItemResult(index, INVALID, errors=_details(err))
                continue
            store.add(index, payload, plan, org_id, is_bad, stored=len(rated.get(number, [])))
        self._store(store)
        return []

    def _check(self, payload: dict) -> tuple[int, bool]:
        """operations.check_payload, with each unit and item looked up once per batch; return the unit's id."""
        key = (payload["org_code"], payload["item_code"])
        found = self.directory.get(key)
        if found is None:
            try:
                org = operations._org(self.region, payload["org_code"])
                operations._check_item(self.region, payload["item_code"])
                found = self.directory[key] = org.id
            except InvalidInput as err:
                found = self.directory[key] = err
        if isinstance(found, InvalidInput):
            raise found
        is_bad = payload["level"] in BAD_LEVELS
        content.check_content(self.region, payload, is_bad)
        return found, is_bad

    def _store(self, store: batch_store.Segment) -> None:
        for index, evaluation_id, case in store.write():
            self.results[index] = ItemResult(
                index, CREATED, evaluation_id, case.id if case else None, case.case_no if case else None
            )

    def _single(self, index: int, payload: dict) -> ItemResult:
        """Take one item through the single intake path, in a savepoint so that a refusal leaves the batch whole."""
        try:
            with savepoint():
                made = operations.receive_evaluation(payload, self.submitter, self.now)
                if made.created:
                    flags.flag_rating(made.evaluation, self.actor, self.now)
        except InvalidInput as err:
            return ItemResult(index, INVALID, errors=_details(err))
        case = made.case
        status = CREATED if made.created else DUPLICATE
        return ItemResult(index, status, made.evaluation.id, case.id if case else None, case.case_no if case else None)


def _plan(region: Region, payload: dict, record, rated: list[str | None], now: datetime) -> ratings.Plan | None:  # noqa: ANN001
    """ratings.plan_rating from the rows read for the batch; None when the item takes the single path (its
    record belongs to a group, or its evaluator rated the record before: a follow-up or a refusal)."""
    plan = ratings.Plan(ratings.evaluator_key(payload.get("evaluator", {}).get("phone", "")))
    if record is not None:
        ratings._check_window(region, record, now)
        ratings._check_finished(region, record, now)
        if record.group_no and record.group_kind is not None:
            return None
    ratings._group(region, record, payload.get("scope") or ratings.RECORD, plan)
    return None if plan.evaluator_key in rated else plan


def _region(code: str, submitter: User) -> Region | InvalidInput:
    region = refcache.region_by_code(code)
    if region is None:
        return InvalidInput("未知的地区", details={"region": [f"未知的地区编码 {code}"]})
    if region.id != submitter.region_id:
        return InvalidInput("不能为其他地区提交评价", details={"region": ["不能为其他地区提交评价"]})
    return region


def _details(err: InvalidInput) -> dict:
    return err.details if isinstance(err.details, dict) else {"_item": [err.message]}


def _messages(messages: dict | list) -> dict:
    return messages if isinstance(messages, dict) else {"_item": messages}


def _mark_duplicates(
    region_id: int, loaded: list[tuple[int, dict]], results: list[ItemResult | None]
) -> list[tuple[int, dict]]:
    """Answer items whose external id is known (stored, or earlier in this batch); return the others."""
    ids = list({p["external_id"] for _, p in loaded if p.get("external_id")})
    stored: dict[str, tuple[int, int | None, str | None]] = {}
    if ids:
        stmt = (
            select(Evaluation.external_id, Evaluation.id, Case.id, Case.case_no)
            .outerjoin(Case, Case.evaluation_id == Evaluation.id)
            .where(Evaluation.region_id == region_id, matches(Evaluation.external_id, ids))
        )
        with planned_with_values():
            stored = {str(external_id): (e, c, n) for external_id, e, c, n in db.session.execute(stmt)}
    fresh: list[tuple[int, dict]] = []
    first_in_batch: dict[str, int] = {}
    for index, payload in loaded:
        key = payload.get("external_id") or ""
        if key and key in stored:
            results[index] = ItemResult(index, DUPLICATE, *stored[key])
        elif key and key in first_in_batch:
            errors = {"external_id": [f"与第 {first_in_batch[key]} 条重复"]}
            results[index] = ItemResult(index, DUPLICATE, errors=errors)
        else:
            if key:
                first_in_batch[key] = index
            fresh.append((index, payload))
    return fresh
