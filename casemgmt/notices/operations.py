"""Notices: queue a message in the outbox for an evaluator, a unit, a supervisor or an upper platform."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from datetime import datetime

from casemgmt import audit, bulk
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.models import Case, NoticeRead, OutboxMessage, OutboxState, User
from casemgmt.notices.queries import staff_notice
from casemgmt.rules import regions
from casemgmt.topics import TopicContext, topic


def queue_message(
    case: Case, channel: str, recipient: str, body: str, now: datetime, kind: str = "notice"
) -> OutboxMessage:
    """Put a message for a case in the outbox, queued for the relay of the case's region.

    A notice to staff (channel "internal") is in its addressees' 通知 list at once (queries.staff_notices); the relay
    also sends it by the route configured for it, if any (email...), else records it delivered to that list.
    """
    message = queue_region_message(case.region_id, channel, recipient, body, now, kind)
    message.case_id = case.id
    message.case = case  # a flush inserting both (a case held unflushed) inserts the case first
    if not bulk.give_held_id(message):  # else inserted with the next flush
        db.session.flush()
    return message


@contextlib.contextmanager
def reserved_message_ids(n: int) -> Iterator[None]:
    """Within the block, the next n messages queued for cases take ids reserved now (PostgreSQL, n > 1: one
    statement) or before (bulk.hold_ids), so queueing one sends nothing: the bulk intake's case openings each
    queue one (notify_unit), and a single POST's case opening reserves its message's id with its reads."""
    table = OutboxMessage.__table__
    if n > 1 and bulk.is_postgresql():
        bulk.hold_ids(table, bulk.next_ids(table, n))
    try:
        yield
    finally:
        bulk.drop_ids(table)


def queue_region_message(
    region_id: int, channel: str, recipient: str, body: str, now: datetime, kind: str = "notice"
) -> OutboxMessage:
    """Put a message of no case (a service record's rating reminder or link) in the region's outbox, queued."""
    message = OutboxMessage(
        region_id=region_id,
        channel=channel,
        kind=kind,
        recipient=recipient,
        body=body,
        created_at=now,
        state=OutboxState.QUEUED,
        attempts=0,
    )
    db.session.add(message)
    return message


def mark_read(user: User, message_ids: list[int], actor: Actor, now: datetime) -> int:
    """Mark internal notices read for the user (each checked like opening it; audited); return how many were new."""
    marked = []
    for message_id in message_ids:
        message = staff_notice(user, message_id)
        if db.session.get(NoticeRead, (message.id, user.id)) is None:
            db.session.add(NoticeRead(message_id=message.id, user_id=user.id, read_at=now))
            marked.append(message.id)
    if marked:
        db.session.flush()
        audit.record("notices_read", actor=actor, at=now, region_id=user.region_id, payload={"messages": marked})
    return len(marked)


def fill_template(template: str, case: Case, data: dict) -> str:
    """Replace {case_no} and {name} of plain task-data values (text, numbers) in a message template."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        found = case.case_no if name == "case_no" else data.get(name)
        return str(found) if isinstance(found, str | int | float) and not isinstance(found, bool) else match.group(0)

    return re.sub(r"\{([a-z][a-z0-9_]*)\}", value, template)


@topic("notify_unit", "通知承办单位有新的差评工单")
def notify_unit(ctx: TopicContext, data: dict, params: dict) -> dict:
    org = ctx.case.handling_org
    body = f"差评工单 {ctx.case.case_no} 已分派给 {org.name}，请按期回访核实。"
    message = queue_message(ctx.case, "internal", org.code, body, ctx.now, kind="assigned")
    return {"notified_unit_message_id": message.id}


@topic("notify_evaluator", "短信告知评价人办理结果")
def notify_evaluator(ctx: TopicContext, data: dict, params: dict) -> dict:
    evaluation = ctx.case.evaluation
    if not evaluation.evaluator_phone:
        return {"evaluator_notified": False}
    found = data.get("settings")
    settings: dict = found if isinstance(found, dict) else {}
    template = (
        params.get("template")
        or settings.get("feedback_notice")
        or "您对政务服务的评价（工单 {case_no}）已办理，感谢您的监督。"
    )
    body = fill_template(template, ctx.case, data)
    message = queue_message(ctx.case, "sms", evaluation.evaluator_phone, body, ctx.now, kind="feedback")
    return {"evaluator_notified": True, "evaluator_message_id": message.id}


@topic("notify_supervisor", "通知监督部门")
def notify_supervisor(ctx: TopicContext, data: dict, params: dict) -> dict:
    parent = ctx.case.handling_org.parent or ctx.case.handling_org
    message = queue_message(
        ctx.case, "internal", parent.code, f"差评工单 {ctx.case.case_no} 需要督办。", ctx.now, kind="supervise"
    )
    return {"supervisor_message_id": message.id}


@topic(
    "report_to",
    "报送：参数 to 列出机构名（流程变量 <名>_org 或地区设置中的机构，"
    "如 supervisor、efficiency_office），template 为报送内容",
)
def report_to(ctx: TopicContext, data: dict, params: dict) -> dict:
    names = [n.strip() for n in (params.get("to") or "").split(",") if n.strip()]
    codes = [str(data.get(f"{n}_org") or regions.named_org_code(ctx.case.region, n) or n) for n in names]
    default = "差评工单 {case_no} 的评价结果不予采纳（{revoked_reason}），特此报送。"
    body = fill_template(
        params.get("template") or default,
        ctx.case,
        {"revoked_reason": ctx.case.evaluation.revoked_reason or "", **data},
    )
    for code in codes:
        queue_message(ctx.case, "internal", code, body, ctx.now, kind="report")
    return {"reported_to": codes}


@topic("report_upstream", "将办理结果上传至上级系统（参数 system 为系统名称）")
def report_upstream(ctx: TopicContext, data: dict, params: dict) -> dict:
    system = params.get("system") or "上级系统"
    outcome = ctx.case.outcome or str(data.get("handling") or data.get("outcome") or "")
    body = f"差评工单 {ctx.case.case_no} 核实整改情况：{outcome}；反馈：{data.get('feedback_content') or ''}"
    message = queue_message(ctx.case, "upload", system, body, ctx.now, kind="upload")
    return {"uploaded_message_id": message.id}
