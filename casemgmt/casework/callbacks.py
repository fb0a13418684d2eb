"""Callbacks (回访): every attempt to reach the evaluator is recorded; real-name reviews need one to close."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, insert, select

from casemgmt import audit
from casemgmt.access.policy import Action, authorize
from casemgmt.actor import Actor
from casemgmt.cases import instances
from casemgmt.db import db
from casemgmt.errors import InvalidInput, TaskNotOpen
from casemgmt.models import CallbackAttempt, CallbackResult, Case, CaseStatus, HumanTask, TaskStatus, User
from casemgmt.stats import rollups
from casemgmt.topics import TopicContext, topic

RESULT_LABELS = {
    CallbackResult.REACHED: "已联系上",
    CallbackResult.NOT_REACHED: "未联系上",
    CallbackResult.REFUSED: "拒绝回访",
}


#: an attempt numbered by the INSERT itself (a subquery) and read back with it: one statement, built once
_ADD_ATTEMPT = (
    insert(CallbackAttempt)
    .values(
        {
            **{
                column: bindparam(f"v_{column}")
                for column in (
                    "case_id",
                    "region_id",
                    "result",
                    "attempted_at",
                    "recorded_at",
                    "recorded_by",
                    "note",
                    "source",
                )
            },
            "attempt_no": select(func.count() + 1)
            .where(CallbackAttempt.case_id == bindparam("v_case_id"))
            .scalar_subquery(),
        }
    )
    .returning(CallbackAttempt)
)


def add_attempt(
    case: Case, result: str, attempted_at: datetime, note: str, actor: Actor, now: datetime, *, source: str
) -> CallbackAttempt:
    """Record one callback attempt with the next attempt number."""
    if result not in list(CallbackResult):
        raise InvalidInput("回访结果不正确", details={"result": ["可选：" + "、".join(CallbackResult)]})
    values = {
        "case_id": case.id,
        "region_id": case.region_id,
        "result": CallbackResult(result),
        "attempted_at": attempted_at,
        "recorded_at": now,
        "recorded_by": actor.username,
        "note": note[:2000],
        "source": source,
    }
    attempt = db.session.scalars(_ADD_ATTEMPT, {f"v_{k}": v for k, v in values.items()}).one()
    rollups.on_callback(case, attempt.attempted_at, attempt.attempt_no)
    return attempt


def list_attempts(case: Case) -> list[CallbackAttempt]:
    """Return a case's callback attempts in order."""
    stmt = select(CallbackAttempt).where(CallbackAttempt.case_id == case.id).order_by(CallbackAttempt.attempt_no)
    return list(db.session.scalars(stmt))


def has_record(case: Case) -> bool:
    """Tell whether the case has a callback record: a logged attempt or a completed callback form."""
    if db.session.scalar(select(CallbackAttempt.id).where(CallbackAttempt.case_id == case.id).limit(1)):
        return True
    rows = db.session.scalars(
        select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.status == TaskStatus.COMPLETED)
    )
    return any((row.data or {}).get("callback_result") for row in rows)


def log_attempt(case: Case, user: User, data: dict, now: datetime) -> CallbackAttempt:
    """Log an attempt between form submissions (e.g. not reached at 10:00); officers of the unit or above."""
    authorize(user, Action.CALLBACK_LOG, case=case)
    # numbered after the case's lock, as a completion's attempt is (lock_task): two attempts recorded at once
    # would otherwise both count the attempts committed before them and take the same number
    instances.lock_instance(case.instance.id)
    if case.status != CaseStatus.OPEN:
        raise TaskNotOpen("该工单已办结，不能再记录回访")
    attempt = add_attempt(case, data["result"], data["attempted_at"], data["note"], Actor.of(user), now, source="api")
    audit.record(
        "callback_logged",
        actor=Actor.of(user),
        at=now,
        region_id=case.region_id,
        case_id=case.id,
        definition_id=case.definition_id,
        payload={
            "attempt_no": attempt.attempt_no,
            "result": attempt.result,
            "attempted_at": attempt.attempted_at.isoformat(),
            "note": attempt.note,
        },
    )
    return attempt


@topic("record_callback", "记录一次回访：回访结果、时间和情况")
def record_callback_topic(ctx: TopicContext, data: dict, params: dict) -> dict:
    at = data.get("callback_at")
    attempt = add_attempt(
        ctx.case,
        str(data.get("callback_result") or ""),
        datetime.fromisoformat(at) if at else ctx.now,
        str(data.get("callback_note") or data.get("facts") or ""),
        ctx.actor,
        ctx.now,
        source="form",
    )
    return {"callback_attempts": attempt.attempt_no}
