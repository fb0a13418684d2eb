"""The registry of named operations that service tasks in diagrams may call."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from casemgmt import audit, callbacks, consultation, ledger, regions
from casemgmt.actor import Actor
from casemgmt.calendar import Due
from casemgmt.case_calendar import case_calendar
from casemgmt.db import db
from casemgmt.errors import OperationFailed
from casemgmt.models import Appeal, Case, ExtensionRequest, HumanTask, OutboxMessage, Transfer


@dataclass
class OperationContext:
    case: Case
    actor: Actor
    now: datetime
    #: (task element, ISO instant): boundary timers the run moves once its engine steps are done
    timer_moves: list[tuple[str, str]] = field(default_factory=list)


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
    message = _queue(ctx, "sms", evaluation.evaluator_phone, fill_template(template, ctx.case, data))
    return {"evaluator_notified": True, "evaluator_message_id": message.id}


def fill_template(template: str, case: Case, data: dict) -> str:
    """Replace {case_no} and {name} of plain task-data values (text, numbers) in a message template."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        found = case.case_no if name == "case_no" else data.get(name)
        return str(found) if isinstance(found, str | int | float) and not isinstance(found, bool) else match.group(0)

    return re.sub(r"\{([a-z][a-z0-9_]*)\}", value, template)


@operation("notify_supervisor", "通知监督部门")
def notify_supervisor(ctx: OperationContext, data: dict, params: dict) -> dict:
    parent = ctx.case.handling_org.parent or ctx.case.handling_org
    message = _queue(ctx, "internal", parent.code, f"差评工单 {ctx.case.case_no} 需要督办。")
    return {"supervisor_message_id": message.id}


@operation("open_ledger", "登记整改台账：整改期限取参数 task 所指任务的期限")
def open_ledger(ctx: OperationContext, data: dict, params: dict) -> dict:
    entry = ledger.open_entry(ctx.case, params.get("task") or "Task_Rectification", ctx.now)
    return {"ledger_opened_at": ctx.now.isoformat(), "ledger_id": entry.id}


@operation("close_ledger", "台账销号：记录整改措施、完成情况和材料")
def close_ledger(ctx: OperationContext, data: dict, params: dict) -> dict:
    entry = ledger.close_entry(ctx.case, data, ctx.now)
    return {"ledger_closed": entry is not None}


REVOCATION_LABELS = {"misjudged": "经核实为误评", "malicious": "经核实为恶意差评", "invalid": "经复核为无效差评"}


@operation("revoke_review", "撤销差评：不再计入被评价单位的统计，并记录理由")
def revoke_review(ctx: OperationContext, data: dict, params: dict) -> dict:
    outcome = str(data.get(params.get("outcome_field") or "outcome") or "revoked")
    label = params.get("reason") or REVOCATION_LABELS.get(outcome, "经核实为误评或恶意差评")
    opinion = str(data.get(params.get("opinion_field") or "opinion") or "").strip()
    evaluation = ctx.case.evaluation
    evaluation.revoked_at = ctx.now
    evaluation.revoked_reason = f"{label}：{opinion}" if opinion else label
    ctx.case.outcome = params.get("outcome") or outcome
    ctx.case.status = "revoked"
    return {"revoked": True, "revoked_reason": evaluation.revoked_reason}


@operation("report_to", "报送：参数 to 列出机构名（流程变量 <名>_org 或地区设置中的机构，"
                       "如 supervisor、efficiency_office），template 为报送内容")
def report_to(ctx: OperationContext, data: dict, params: dict) -> dict:
    names = [n.strip() for n in (params.get("to") or "").split(",") if n.strip()]
    codes = [str(data.get(f"{n}_org") or regions.named_org_code(ctx.case.region, n) or n) for n in names]
    default = "差评工单 {case_no} 的评价结果不予采纳（{revoked_reason}），特此报送。"
    body = fill_template(params.get("template") or default,
                         ctx.case, {"revoked_reason": ctx.case.evaluation.revoked_reason or "", **data})
    for code in codes:
        _queue(ctx, "internal", code, body)
    return {"reported_to": codes}


@operation("record_callback", "记录一次回访：回访结果、时间和情况")
def record_callback(ctx: OperationContext, data: dict, params: dict) -> dict:
    at = data.get("callback_at")
    attempt = callbacks.add_attempt(ctx.case, str(data.get("callback_result") or ""),
                                    datetime.fromisoformat(at) if at else ctx.now,
                                    str(data.get("callback_note") or data.get("facts") or ""), ctx.actor, ctx.now,
                                    source="form")
    return {"callback_attempts": attempt.attempt_no}


@operation("close_case", "结案（实名差评须有回访记录）")
def close_case(ctx: OperationContext, data: dict, params: dict) -> dict:
    if ctx.case.evaluation.is_real_name and not callbacks.has_record(ctx.case):
        raise OperationFailed("实名差评须有回访记录方可结案")
    if ctx.case.status == "open":
        ctx.case.status = "closed"
    ctx.case.closed_at = ctx.now
    # after a refused revocation `handling` says what was done; `outcome` still holds the claim
    ctx.case.outcome = ctx.case.outcome or str(data.get("handling") or data.get("outcome") or "")
    return {"closed": True}


@operation("transfer_discipline", "移交纪检监察机关")
def transfer_discipline(ctx: OperationContext, data: dict, params: dict) -> dict:
    stmt = select(Transfer).where(Transfer.case_id == ctx.case.id, Transfer.sent_at.is_(None)).order_by(Transfer.id)
    transfer = db.session.scalar(stmt.limit(1))
    if transfer is None:  # a step of the diagram transfers by itself (e.g. after a dissatisfaction review)
        transfer = Transfer(case_id=ctx.case.id, region_id=ctx.case.region_id, at_steps=[],
                            reason=str(data.get("review_opinion") or "评价人反映工作人员涉嫌违纪"),
                            requested_by=ctx.actor.username, requested_at=ctx.now)
        db.session.add(transfer)
        db.session.flush()
    body = f"差评工单 {ctx.case.case_no} 涉嫌违纪违法，移交处理。事由：{transfer.reason}"
    message = _queue(ctx, "internal", regions.named_org_code(ctx.case.region, "discipline") or "discipline", body)
    transfer.sent_at = ctx.now
    return {"transferred_message_id": message.id, "transfer_id": transfer.id}


@operation("load_region_orgs", "读取地区设置中的机构（如 12345 热线），作为流程变量 <名称>_org")
def load_region_orgs(ctx: OperationContext, data: dict, params: dict) -> dict:
    return {f"{name}_org": code for name, code in regions.named_orgs(ctx.case.region).items()}


@operation("report_upstream", "将办理结果上传至上级系统（参数 system 为系统名称）")
def report_upstream(ctx: OperationContext, data: dict, params: dict) -> dict:
    system = params.get("system") or "上级系统"
    outcome = ctx.case.outcome or str(data.get("handling") or data.get("outcome") or "")
    body = f"差评工单 {ctx.case.case_no} 核实整改情况：{outcome}；反馈：{data.get('feedback_content') or ''}"
    message = _queue(ctx, "upload", system, body)
    return {"uploaded_message_id": message.id}


@operation("rule_appeal", "记录申诉复核结论（appeal_upheld、appeal_ruling）")
def rule_appeal(ctx: OperationContext, data: dict, params: dict) -> dict:
    appeal = _pending(Appeal, ctx.case, (data.get("appeal") or {}).get("appeal_id"))
    if appeal is None:
        return {"appeal_status": None}
    appeal.status = "upheld" if data.get("appeal_upheld") is True else "rejected"
    appeal.ruling, appeal.ruled_by, appeal.ruled_at = str(data.get("appeal_ruling") or ""), ctx.actor.username, ctx.now
    return {"appeal_status": appeal.status}


def _pending(model, case: Case, record_id):
    record = db.session.get(model, record_id) if isinstance(record_id, int) else None
    return record if record is not None and record.case_id == case.id and record.status == "pending" else None


@operation("decide_extension", "记录延期审批结论；同意的，自当前期限起顺延并调整逾期计时")
def decide_extension(ctx: OperationContext, data: dict, params: dict) -> dict:
    request = _pending(ExtensionRequest, ctx.case, (data.get("extension") or {}).get("request_id"))
    if request is None:
        return {"extension_status": None, "extension_due_date": None}
    approved = data.get("extension_approved") is True
    request.status = "approved" if approved else "refused"
    request.decided_by, request.decided_at = ctx.actor.username, ctx.now
    request.opinion = str(data.get("extension_opinion") or "")
    row = _open_row(ctx.case, request.task_element) if approved else None
    if row is None or row.due_date is None:
        return {"extension_status": request.status, "extension_due_date": None}
    due = case_calendar(ctx.case).extend(Due(row.due_date, row.due_at), request.workdays)
    row.due_at, row.due_date, row.is_provisional = due.due_at, due.due_date, due.provisional
    request.new_due_date, request.new_due_at = due.due_date, due.due_at
    ledger.extend_due(ctx.case, request.task_element, due, request.workdays)
    ctx.timer_moves.append((request.task_element, due.due_at.isoformat()))
    return {"extension_status": request.status, "extension_due_date": due.due_date.isoformat(),
            "extension_due_at": due.due_at.isoformat()}


def _open_row(case: Case, element_id: str) -> HumanTask | None:
    stmt = select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.element_id == element_id,
                                   HumanTask.status == "open")
    return db.session.scalar(stmt.order_by(HumanTask.id.desc()).limit(1))


@operation("open_consultation", "发起会商：记录参加会商的部门（consult_orgs）")
def open_consultation(ctx: OperationContext, data: dict, params: dict) -> dict:
    record = consultation.convene(ctx.case, data.get("consult_orgs") or [], ctx.actor, ctx.now)
    return {"consultation_id": record.id}


@operation("record_consultation_reply", "记录一个部门的会商意见（参数 fields 列出意见字段）")
def record_consultation_reply(ctx: OperationContext, data: dict, params: dict) -> dict:
    fields = [f.strip() for f in (params.get("fields") or "").split(",") if f.strip()]
    record = consultation.record_reply(ctx.case, data, fields, ctx.actor, ctx.now)
    return {"consultation_replies_count": len(record.replies) if record else 0}


@operation("merge_consultation", "汇总会商意见，并计算会商开始以来已用的工作日")
def merge_consultation(ctx: OperationContext, data: dict, params: dict) -> dict:
    replies, elapsed = consultation.merge(ctx.case, ctx.now)
    return {"consultation_replies": replies, "consultation_elapsed_workdays": elapsed}
