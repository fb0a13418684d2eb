"""Reads of intake: an evaluation and a service record, each fetched and authorized in one call."""

from __future__ import annotations

from sqlalchemy import or_, select

from casemgmt.access.policy import Action, authorize
from casemgmt.db import db
from casemgmt.errors import NotFound
from casemgmt.models import Case, Evaluation, Organization, ServiceRecord, User


def get_evaluation(user: User, evaluation_id: int) -> Evaluation:
    """Return an evaluation the user may read (its unit within the user's scope) or raise NotFound/PermissionDenied."""
    evaluation = db.session.get(Evaluation, evaluation_id)
    if evaluation is None:
        raise NotFound("没有找到该评价")
    authorize(user, Action.EVALUATION_READ, org=evaluation.org)
    return evaluation


def get_service_record(user: User, record_id: int) -> ServiceRecord:
    """Return a service record the user may read or raise NotFound/PermissionDenied."""
    record = db.session.get(ServiceRecord, record_id)
    if record is None:
        raise NotFound("没有找到该办件")
    authorize(user, Action.SERVICE_RECORD_READ, org=db.session.get_one(Organization, record.org_id))
    return record


def case_of(evaluation: Evaluation) -> Case | None:
    """Return the case a bad review opened, if any."""
    return db.session.scalar(select(Case).where(Case.evaluation_id == evaluation.id))


def list_follow_ups(evaluation: Evaluation) -> list[Evaluation]:
    """Return the follow-up ratings (追加评价) of an evaluation."""
    stmt = select(Evaluation).where(Evaluation.follow_up_of_id == evaluation.id).order_by(Evaluation.id)
    return list(db.session.scalars(stmt))


def list_record_evaluations(record: ServiceRecord) -> list[Evaluation]:
    """Return the ratings of a service record: its own and its group's, oldest first."""
    match = Evaluation.record_no == record.record_no
    if record.group_no:
        match = or_(match, Evaluation.group_no == record.group_no)
    stmt = select(Evaluation).where(Evaluation.region_id == record.region_id, match).order_by(Evaluation.id)
    return list(db.session.scalars(stmt))
