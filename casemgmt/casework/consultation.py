"""Multi-department consultation (会商): the diagram convenes departments, each replies on its own task,
the replies merge back and the evaluator is answered within the region's limit.

The limit is the diagram's: a timer on the consultation sub-process and an answer task due
`workdays(max(0, LIMIT - consultation_elapsed_workdays))`, where the merge step supplies the elapsed count.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from casemgmt.actor import Actor
from casemgmt.calendar import local_date
from casemgmt.calendar.case_calendar import case_calendar
from casemgmt.db import db
from casemgmt.errors import OperationFailed
from casemgmt.models import Case, Consultation, Organization
from casemgmt.topics import TopicContext, topic


def convene(case: Case, org_codes: list, actor: Actor, now: datetime) -> Consultation:
    """Record a consultation of the given departments of the case's region."""
    codes = [str(code) for code in org_codes or []]
    known = set(
        db.session.scalars(
            select(Organization.code).where(Organization.region_id == case.region_id, Organization.code.in_(codes))
        )
    )
    if not codes or len(set(codes)) != len(codes) or set(codes) - known:
        raise OperationFailed(f"会商部门不正确：{', '.join(sorted(set(codes) - known)) or '未选择或重复'}")
    consultation = Consultation(
        case_id=case.id, region_id=case.region_id, orgs=codes, convened_by=actor.username, convened_at=now, replies=[]
    )
    db.session.add(consultation)
    db.session.flush()
    return consultation


def current(case: Case) -> Consultation | None:
    """Return the case's consultation still collecting replies."""
    stmt = select(Consultation).where(Consultation.case_id == case.id, Consultation.merged_at.is_(None))
    return db.session.scalar(stmt.order_by(Consultation.id.desc()).limit(1))


def record_reply(case: Case, data: dict, fields: list[str], actor: Actor, now: datetime) -> Consultation | None:
    """Append one department's reply (the named fields of its reply form) to the current consultation."""
    consultation = current(case)
    if consultation is None:
        return None
    reply = {"org": data.get("consult_org"), "by": actor.username, "at": now.isoformat()}
    reply.update({name: data.get(name) for name in fields})
    consultation.replies = [*consultation.replies, reply]
    return consultation


def merge(case: Case, now: datetime) -> tuple[list[dict], int]:
    """Close the collection of replies; return them and the working days elapsed since convening."""
    consultation = current(case)
    if consultation is None:
        return [], 0
    consultation.merged_at = now
    calendar = case_calendar(case)
    elapsed = calendar.working_days_between(local_date(consultation.convened_at), local_date(now))
    return list(consultation.replies), max(elapsed, 0)


def list_consultations(case: Case) -> list[Consultation]:
    """Return a case's consultations, oldest first."""
    return list(
        db.session.scalars(select(Consultation).where(Consultation.case_id == case.id).order_by(Consultation.id))
    )


@topic("open_consultation", "发起会商：记录参加会商的部门（consult_orgs）")
def open_consultation_topic(ctx: TopicContext, data: dict, params: dict) -> dict:
    record = convene(ctx.case, data.get("consult_orgs") or [], ctx.actor, ctx.now)
    return {"consultation_id": record.id}


@topic("record_consultation_reply", "记录一个部门的会商意见（参数 fields 列出意见字段）")
def record_consultation_reply_topic(ctx: TopicContext, data: dict, params: dict) -> dict:
    fields = [f.strip() for f in (params.get("fields") or "").split(",") if f.strip()]
    record = record_reply(ctx.case, data, fields, ctx.actor, ctx.now)
    return {"consultation_replies_count": len(record.replies) if record else 0}


@topic("merge_consultation", "汇总会商意见，并计算会商开始以来已用的工作日")
def merge_consultation_topic(ctx: TopicContext, data: dict, params: dict) -> dict:
    replies, elapsed = merge(ctx.case, ctx.now)
    return {"consultation_replies": replies, "consultation_elapsed_workdays": elapsed}
