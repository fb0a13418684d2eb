"""What one rating needs to know before it is stored, read with one statement.

Whether its external id is known, the service record it rates, whether this evaluator rated that record
before, what the flag rules count (intake/flags.py `reads`) and, on PostgreSQL, the new evaluation's id
(taken from its sequence, so that the evaluation and its audit rows can be written by one statement); for a bad
review also the ids of its case, its process instance and its unit's notice, so that those rows go in with its
first task rows in one flush (cases/opening.open_cases). A follow-up, which opens no case, leaves its ids
unused: a gap in their sequences, as a rolled-back insert leaves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, and_, exists, literal_column, select

from casemgmt import bulk, refcache
from casemgmt.db import db
from casemgmt.intake import flags
from casemgmt.models import BAD_LEVELS, Case, Evaluation, OutboxMessage, ProcessInstance, Region, ServiceRecord


@dataclass
class Prefetch:
    """The answers of the read, and the values the flag reads assumed (a group rating changes them)."""

    existing_id: int | None = None
    record: ServiceRecord | None = None
    record_no: str = ""
    has_prior: bool = True
    next_id: int | None = None
    #: the ids reserved for a bad review's case, instance and notice (PostgreSQL)
    case_ids: tuple[int, int, int] | None = None
    flag_values: dict | None = None
    assumed: tuple = ()


def read(region: Region, payload: dict, evaluator_key: str, now: datetime, with_flags: bool) -> Prefetch:
    """Read, in one statement, what storing the payload as a new rating depends on."""
    record_no = payload["record_no"]
    org = refcache.org_by_code(region.id, payload["org_code"])
    rating = SimpleNamespace(
        region_id=region.id,
        org_id=org.id if org is not None else None,
        record_no=record_no,
        level=payload["level"],
        evaluator_phone=payload["evaluator"].get("phone", ""),
        staff_no=payload.get("staff_no"),
        device_key=None,
    )
    columns = {
        "existing_id": _existing(region, payload.get("external_id")),
        "has_prior": exists().where(
            Evaluation.region_id == region.id,
            Evaluation.record_no == record_no,
            Evaluation.evaluator_key == evaluator_key,
        ),
    }
    reads = flags.reads(region, rating, now) if with_flags and org is not None else {}
    columns.update({f"flag_{name}": sq for name, sq in reads.items()})
    if bulk.is_postgresql():
        columns["next_id"] = bulk.next_id_column(cast(Table, Evaluation.__table__))
        if payload["level"] in BAD_LEVELS:
            columns.update({f"next_{table.name}": bulk.next_id_column(table) for table in _CASE_TABLES})
    one = select(literal_column("1").label("one")).subquery("one")
    match = and_(ServiceRecord.region_id == region.id, ServiceRecord.record_no == record_no)
    stmt = select(ServiceRecord, *(c.label(name) for name, c in columns.items()))
    row = db.session.execute(stmt.select_from(one).outerjoin(ServiceRecord, match).limit(1)).one()
    return Prefetch(
        existing_id=row.existing_id,
        record=row[0],
        record_no=record_no,
        has_prior=bool(row.has_prior),
        next_id=getattr(row, "next_id", None),
        case_ids=_case_ids(row._mapping),
        flag_values={name: getattr(row, f"flag_{name}") for name in reads} if with_flags else None,
        assumed=_assumed(rating),
    )


def hold_case_ids(found: Prefetch) -> None:
    """Hold the ids read for a bad review's case, instance and notice for its case opening (bulk.hold_ids)."""
    if found.case_ids is not None:
        for table, reserved in zip(_CASE_TABLES, found.case_ids, strict=True):
            bulk.hold_ids(table, [reserved])


#: the tables of the rows a bad review's case opening inserts whose ids the read reserves
_CASE_TABLES: tuple[Table, ...] = tuple(
    cast(Table, model.__table__) for model in (Case, ProcessInstance, OutboxMessage)
)


def _case_ids(row: Any) -> tuple[int, int, int] | None:
    names = [f"next_{table.name}" for table in _CASE_TABLES]
    if names[0] not in row:
        return None
    return row[names[0]], row[names[1]], row[names[2]]


def _existing(region: Region, external_id: str | None):  # noqa: ANN202 - a scalar subquery or NULL
    if not external_id:
        return literal_column("NULL")
    stmt = select(Evaluation.id).where(Evaluation.region_id == region.id, Evaluation.external_id == external_id)
    return stmt.scalar_subquery()


def _assumed(rating: SimpleNamespace) -> tuple:
    return (rating.org_id, rating.record_no, rating.level, rating.evaluator_phone, rating.staff_no)


def flag_values_for(found: Prefetch, evaluation: Evaluation) -> dict | None:
    """Return the flag reads' values if they were read for this evaluation's values, else None (read again)."""
    if found.flag_values is None:
        return None
    actual = _assumed(SimpleNamespace(**{key: getattr(evaluation, key) for key in _ASSUMED}))
    return found.flag_values if actual == found.assumed and evaluation.device_key is None else None


_ASSUMED = ("org_id", "record_no", "level", "evaluator_phone", "staff_no")
