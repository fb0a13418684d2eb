"""The registry of named operations that service tasks in diagrams may call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from casemgmt import audit
from casemgmt.actor import Actor
from casemgmt.db import db
from casemgmt.models import Case, OutboxMessage


@dataclass
class OperationContext:
    case: Case
    actor: Actor
    now: datetime


OperationFn = Callable[[OperationContext, dict, dict], dict | None]
REGISTRY: dict[str, OperationFn] = {}
#: what each operation does, in Chinese, for administrators choosing a topic
DESCRIPTIONS: dict[str, str] = {}


def operation(name: str, description: str) -> Callable[[OperationFn], OperationFn]:
    """Register a function as the operation a service task's topic names."""

    def register(fn: OperationFn) -> OperationFn:
        REGISTRY[name] = fn
        DESCRIPTIONS[name] = description
        return fn

    return register


def operation_names() -> set[str]:
    """Return the names diagrams may use as service-task topics."""
    return set(REGISTRY)


def call(ctx: OperationContext, name: str, data: dict, params: dict) -> dict | None:
    """Run an operation and write its audit event."""
    result = REGISTRY[name](ctx, data, params)
    audit.record(
        "operation",
        actor=ctx.actor,
        at=ctx.now,
        region_id=ctx.case.region_id,
        case_id=ctx.case.id,
        definition_id=ctx.case.definition_id,
        payload={"operation": name, "params": params, "result": result or {}},
    )
    return result


def _queue(ctx: OperationContext, channel: str, recipient: str, body: str) -> OutboxMessage:
    message = OutboxMessage(case_id=ctx.case.id, channel=channel, recipient=recipient, body=body, created_at=ctx.now)
    db.session.add(message)
    db.session.flush()
    return message


@operation("notify_unit", "通知承办单位有新的差评工单")
def notify_unit(ctx: OperationContext, data: dict, params: dict) -> dict:
    org = ctx.case.handling_org
    message = _queue(ctx, "internal", org.code, f"差评工单 {ctx.case.case_no} 已分派给 {org.name}，请按期回访核实。")
    return {"notified_unit_message_id": message.id}


@operation("notify_evaluator", "短信告知评价人办理结果")
def notify_evaluator(ctx: OperationContext, data: dict, params: dict) -> dict:
    evaluation = ctx.case.evaluation
    if not evaluation.evaluator_phone:
        return {"evaluator_notified": False}
    template = params.get("template") or "您对政务服务的评价（工单 {case_no}）已办理，感谢您的监督。"
    body = template.replace("{case_no}", ctx.case.case_no)
    message = _queue(ctx, "sms", evaluation.evaluator_phone, body)
    return {"evaluator_notified": True, "evaluator_message_id": message.id}


@operation("notify_supervisor", "通知监督部门")
def notify_supervisor(ctx: OperationContext, data: dict, params: dict) -> dict:
    parent = ctx.case.handling_org.parent or ctx.case.handling_org
    message = _queue(ctx, "internal", parent.code, f"差评工单 {ctx.case.case_no} 需要督办。")
    return {"supervisor_message_id": message.id}


@operation("open_ledger", "登记整改台账")
def open_ledger(ctx: OperationContext, data: dict, params: dict) -> dict:
    return {"ledger_opened_at": ctx.now.isoformat()}


@operation("revoke_review", "撤销差评：不再计入被评价单位的统计")
def revoke_review(ctx: OperationContext, data: dict, params: dict) -> dict:
    evaluation = ctx.case.evaluation
    evaluation.revoked_at = ctx.now
    evaluation.revoked_reason = str(data.get("opinion") or data.get("outcome") or "核实为误评或恶意差评")
    ctx.case.outcome = str(data.get("outcome") or "revoked")
    ctx.case.status = "revoked"
    return {"revoked": True}


@operation("close_case", "结案")
def close_case(ctx: OperationContext, data: dict, params: dict) -> dict:
    if ctx.case.status == "open":
        ctx.case.status = "closed"
    ctx.case.closed_at = ctx.now
    # after a refused revocation `handling` says what was done; `outcome` still holds the claim
    ctx.case.outcome = ctx.case.outcome or str(data.get("handling") or data.get("outcome") or "")
    return {"closed": True}


@operation("transfer_discipline", "移交纪检监察机关")
def transfer_discipline(ctx: OperationContext, data: dict, params: dict) -> dict:
    message = _queue(ctx, "internal", "discipline", f"差评工单 {ctx.case.case_no} 涉嫌违纪，移交处理。")
    return {"transferred_message_id": message.id}
