"""Callbacks (回访): every attempt to reach the evaluator is recorded; real-name reviews need one to close."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm.attributes import set_committed_value

from casemgmt import audit, writes
from casemgmt.access.policy import Action, authorize
from casemgmt.actor import Actor
from casemgmt.cases import held, instances
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


_ATTEMPTS = CallbackAttempt.__table__
#: the case's count of attempts moved on by one and read back, in one statement, built once
_NUMBER_ATTEMPT = (
    update(Case.__table__)
    .where(Case.__table__.c.id == bindparam("case_id"))
    .values(callback_attempts=Case.__table__.c.callback_attempts + 1)
    .returning(Case.__table__.c.callback_attempts)
)
#: the attempt inserted and read back, built once
_ADD_ATTEMPT = insert(CallbackAttempt).returning(CallbackAttempt)
_HELD_ATTEMPTS = "callback_attempts"


def add_attempt(
    case: Case, result: str, attempted_at: datetime, note: str, actor: Actor, now: datetime, *, source: str
) -> CallbackAttempt:
    """Record one callback attempt with the next attempt number (the case's count of attempts plus one).

    When this transaction locked the case's row and read it with the lock (a completion: lock_task), the count is
    the row's, and the attempt and the count go in with the held writes: the row stays locked until the commit,
    so no other attempt can be numbered meanwhile. Else one statement moves the count on and reads it (it waits
    for any other transaction writing the case), and the attempt is inserted and read back."""
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
    if held.is_locked(case):
        number = case.callback_attempts + 1
        held.hold_case_update(case, callback_attempts=number)
        writes.pending(_HELD_ATTEMPTS, list).append({**values, "attempt_no": number})
        attempt = CallbackAttempt(**values, attempt_no=number)
    else:
        number = db.session.scalar(_NUMBER_ATTEMPT, {"case_id": case.id})
        set_committed_value(case, "callback_attempts", number)
        attempt = db.session.scalars(_ADD_ATTEMPT, [{**values, "attempt_no": number}]).one()
    rollups.on_callback(case, attempt.attempted_at, attempt.attempt_no)
    return attempt


writes.register(_HELD_ATTEMPTS, (_ATTEMPTS.name,), lambda rows: [writes.Rows(_ATTEMPTS, rows)])


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
    # actions on a case take turns (its instance's lock): the case's status is read as it stands; the attempt's
    # number comes from the case's count, moved on by the statement that reads it (add_attempt)
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
