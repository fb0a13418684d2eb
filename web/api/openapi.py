"""The OpenAPI 3.1 document of /api/v1, built with apispec from the marshmallow schemas and the permission table.

Each operation of OPERATIONS names its action (the roles allowed come from casemgmt.access.policy.POLICY), its
request schema, its query parameters and its answer; every operation may answer 400, 401, 403, 404, 409 and 413
with the Error shape. A test checks that the document covers every /api/v1 rule of app.url_map.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, current_app, jsonify, render_template
from marshmallow import Schema, fields

from casemgmt.access.policy import ACTION_MEANINGS, POLICY, Action
from casemgmt.cases.schemas import CompleteTaskSchema, ReassignSchema
from casemgmt.casework.schemas import CallbackAttemptSchema, LedgerNoteSchema, TransferSchema
from casemgmt.directory.schemas import ImportRequestSchema
from casemgmt.exchange.schemas import SatisfactionSchema, TicketSchema
from casemgmt.inputs import MAX_ID
from casemgmt.intake.schemas import EvaluationBatchSchema, EvaluationSchema, ServiceRecordSchema
from casemgmt.rules.schemas import CalendarChangeSchema, DeploySchema, MigrationSchema, RollbackSchema, UploadSchema
from casemgmt.stats.schemas import ReportSchema
from web.ui import login_required

bp = Blueprint("openapi", __name__, template_folder="templates")
PREFIX = "/api/v1"
ERRORS = {
    "400": "输入有误：details 按字段列出原因",
    "401": "缺少或无效的 API 令牌",
    "403": "无权进行该操作",
    "404": "对象不存在或属于其他地区",
    "409": "状态冲突：任务已办结、已被他人认领或工单刚被他人更新",
    "413": "请求体过大",
}


class ErrorSchema(Schema):
    error = fields.String(required=True, metadata={"description": "机器可读的错误代码"})
    message = fields.String(required=True, metadata={"description": "中文说明"})
    details = fields.Dict(metadata={"description": "按字段列出的原因"})


class ObjectSchema(Schema):
    """A JSON object whose fields are described in the operation's text."""

    class Meta:
        unknown = "include"


@dataclass(frozen=True)
class Operation:
    summary: str
    action: Action | None
    request: type[Schema] | None = None
    query: dict[str, dict] = field(default_factory=dict)
    status: int = 200


STATS_QUERY = {
    "period": {
        "type": "string",
        "maxLength": 64,
        "description": "统计期间：2025、2025Q3、2025-09 或 2025-09-01..2025-10-01",
    },
    "org": {"type": "string", "maxLength": 64, "description": "机构编码（含下级）"},
}
INSTANT = {"type": "string", "format": "date-time", "description": "带时区的 ISO 时间，如 2025-10-01T00:00:00+08:00"}
OPERATIONS: dict[str, Operation] = {
    "api.post_evaluation": Operation("提交评价；差评开启工单", Action.EVALUATION_SUBMIT, EvaluationSchema, status=201),
    "api.post_evaluation_batch": Operation(
        "批量提交评价（每批至多 1000 条）：逐条答复 created / duplicate（按 external_id）/ invalid（附字段错误）；"
        "重试同一批不会丢失或重复任何一条",
        Action.EVALUATION_SUBMIT,
        EvaluationBatchSchema,
    ),
    "api.get_case": Operation("查看工单", Action.CASE_READ),
    "api.get_history": Operation("工单审计记录", Action.CASE_READ),
    "api.list_tasks": Operation(
        "任务列表（游标分页）",
        Action.TASK_CLAIM,
        query={
            "view": {"type": "string", "enum": ["mine", "my_roles", "overdue", "done"]},
            "region": {"type": "string", "maxLength": 32},
            "limit": {"type": "integer", "minimum": 1, "maximum": 500},
            "cursor": {"type": "string", "maxLength": 100},
            "sort": {"type": "string", "enum": ["due", "-due", "created", "-created"]},
            "q": {"type": "string", "maxLength": 64},
        },
    ),
    "api.claim": Operation("认领任务", Action.TASK_CLAIM),
    "api.release": Operation("取消认领", Action.TASK_RELEASE),
    "api.reassign": Operation("改派任务", Action.TASK_REASSIGN, ReassignSchema),
    "api.complete": Operation("办理任务", Action.TASK_COMPLETE, CompleteTaskSchema),
    "api.calendar_due": Operation(
        "按工作日计算期限",
        None,
        query={"start": {**INSTANT}, "workdays": {"type": "integer", "minimum": 0, "maximum": 366}},
    ),
    "api.casework.get_casework": Operation("工单的台账、申诉、延期等记录", Action.CASE_READ),
    "api.casework.post_callback": Operation("记录回访", Action.CALLBACK_LOG, CallbackAttemptSchema, status=201),
    "api.casework.post_appeal": Operation("提出申诉", Action.APPEAL_FILE, CompleteTaskSchema, status=201),
    "api.casework.post_extension_request": Operation(
        "申请延期", Action.EXTENSION_REQUEST, CompleteTaskSchema, status=201
    ),
    "api.casework.post_transfer": Operation("移交纪检", Action.CASE_TRANSFER, TransferSchema, status=201),
    "api.casework.list_ledger": Operation(
        "台账列表", Action.LEDGER_READ, query={"status": {"type": "string", "maxLength": 32}}
    ),
    "api.casework.get_ledger_entry": Operation("查看台账", Action.LEDGER_READ),
    "api.casework.post_ledger_note": Operation("记录台账进展", Action.LEDGER_NOTE, LedgerNoteSchema, status=201),
    "api.casework.get_region_settings": Operation("本地区评价设置", None),
    "api.casework.get_unit_stats": Operation(
        "各机构评价统计", Action.STATS_READ, query={"from": {**INSTANT}, "to": {**INSTANT}}
    ),
    "api.ratings.get_evaluation": Operation("查看评价（评价人信息已遮盖）", Action.EVALUATION_READ),
    "api.ratings.get_service_record": Operation("查看办件及其评价", Action.SERVICE_RECORD_READ),
    "api.ratings.post_rating_link": Operation(
        "生成办件的一次性评价链接（短信或动态二维码）并发送短信", Action.SERVICE_RECORD_REGISTER, status=201
    ),
    "api.stats.get_overview": Operation("统计总览与趋势", Action.STATS_READ, query={**STATS_QUERY}),
    "api.stats.get_ranking": Operation("各单位比率排名", Action.STATS_READ, query={**STATS_QUERY}),
    "api.stats.get_hotspots": Operation(
        "差评热点（事项、原因、渠道、工号）",
        Action.STATS_READ,
        query={**STATS_QUERY, "dim": {"type": "string", "maxLength": 16}, "limit": {"type": "integer", "minimum": 1}},
    ),
    "api.stats.get_repeats": Operation("重复差评", Action.STATS_READ, query={**STATS_QUERY}),
    "api.stats.get_stat_cases": Operation(
        "统计数字背后的工单",
        Action.STATS_READ,
        query={
            **STATS_QUERY,
            "figure": {"type": "string", "maxLength": 32},
            "dim": {"type": "string", "maxLength": 16},
            "key": {"type": "string", "maxLength": 128},
            "page": {"type": "integer", "minimum": 1},
        },
    ),
    "api.stats.get_definitions": Operation("统计口径与依据", Action.STATS_READ),
    "api.stats.list_stat_reports": Operation("已发布的统计报告", Action.STATS_READ),
    "api.stats.post_stat_report": Operation(
        "发布通报或季度、年度报告（冻结）", Action.STATS_PUBLISH, ReportSchema, status=201
    ),
    "api.stats.get_stat_report_file": Operation("下载已发布报告（xlsx 或 pdf）", Action.STATS_READ),
    "api.casework.post_service_record": Operation(
        "登记办件", Action.SERVICE_RECORD_REGISTER, ServiceRecordSchema, status=201
    ),
    "api.admin.list_versions": Operation("规则版本列表", Action.RULES_READ),
    "api.admin.get_version": Operation("查看规则版本", Action.RULES_READ),
    "api.admin.diff_versions": Operation("比较两个规则版本", Action.RULES_READ),
    "api.admin.validate": Operation("校验规则文件", Action.RULES_DEPLOY, UploadSchema),
    "api.admin.post_dry_run": Operation("试运行规则", Action.RULES_DEPLOY, UploadSchema),
    "api.admin.deploy": Operation("部署规则", Action.RULES_DEPLOY, DeploySchema, status=201),
    "api.admin.rollback": Operation("回滚到规则版本", Action.RULES_DEPLOY, RollbackSchema, status=201),
    "api.admin.migration_preview": Operation(
        "预览迁移运行中的工单", Action.RULES_MIGRATE, query={"to": {"type": "integer", "minimum": 0, "maximum": MAX_ID}}
    ),
    "api.admin.migrate": Operation("迁移运行中的工单", Action.RULES_MIGRATE, MigrationSchema),
    "api.admin.calendar": Operation(
        "本地区工作日历", Action.CALENDAR_EDIT, query={"year": {"type": "integer", "minimum": 2000, "maximum": 2100}}
    ),
    "api.admin.calendar_preview": Operation("预览日历修改", Action.CALENDAR_EDIT, CalendarChangeSchema),
    "api.admin.calendar_apply": Operation("修改工作日历", Action.CALENDAR_EDIT, CalendarChangeSchema),
    "api.admin.national_proposal": Operation("全国规则更新提议：差异与试运行", Action.RULES_READ),
    "api.admin.accept_national_proposal": Operation(
        "部署全国规则更新提议", Action.RULES_DEPLOY, RollbackSchema, status=201
    ),
    "api.province.import_directory": Operation(
        "导入机构、事项或用户（预览或确认）", Action.DIRECTORY_IMPORT, ImportRequestSchema
    ),
    "api.province.retry_notice": Operation("重发一条通知", Action.OUTBOX_MANAGE),
    "api.province.pause_outbox": Operation("暂停本地区通知发送", Action.OUTBOX_MANAGE),
    "api.province.resume_outbox": Operation("恢复本地区通知发送", Action.OUTBOX_MANAGE),
    "api.exchange.post_ticket": Operation(
        "12345 热线工单转入（差评开启工单）", Action.EVALUATION_SUBMIT, TicketSchema, status=201
    ),
    "api.exchange.post_satisfaction": Operation("12345 满意度回访结果", Action.EVALUATION_SUBMIT, SatisfactionSchema),
    "openapi.document": Operation("本文档（OpenAPI 3.1）", None),
}
_ARG = re.compile(r"<(?:(\w+):)?(\w+)>")


def roles_for(action: Action | None) -> list[str]:
    """Return the roles the permission table grants the action (every signed-in role when there is none)."""
    if action is None:
        return ["any"]
    return [str(role) for role in POLICY[action]]


def api_rules(app: Flask) -> list:
    """Return the /api/v1 rules of the app, sorted by path."""
    return sorted((r for r in app.url_map.iter_rules() if r.rule.startswith(PREFIX)), key=lambda r: r.rule)


def build_spec(app: Flask) -> dict:
    """Return the OpenAPI 3.1 document for every /api/v1 rule of the app."""
    spec = APISpec(
        title="Zhenggai 政改 API",
        version="1",
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={"description": "好差评差评工单系统 API。时间均为带时区的 ISO 8601，答复中为北京时间 +08:00。"},
        servers=[{"url": "/"}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=ErrorSchema)
    spec.components.schema("Object", schema=ObjectSchema)
    for rule in api_rules(app):
        op = OPERATIONS[rule.endpoint]
        path = _ARG.sub(lambda m: "{" + m.group(2) + "}", rule.rule)
        operations = {}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operations[method.lower()] = _operation(rule, op)
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _operation(rule, op: Operation) -> dict:
    params = []
    for converter, name in _ARG.findall(rule.rule):
        schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID} if converter == "int" else {"type": "string"}
        if converter != "int":
            schema["maxLength"] = 32
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    for name, schema in op.query.items():
        params.append({"name": name, "in": "query", "required": False, "schema": schema})
    roles = roles_for(op.action)
    meaning = ACTION_MEANINGS[op.action][0] if op.action else ""
    answer = {"description": "成功", "content": {"application/json": {"schema": "Object"}}}
    body = {
        "summary": op.summary,
        "description": f"角色：{'、'.join(roles)}。{meaning}",
        "x-roles": roles,
        "x-action": str(op.action) if op.action else None,
        "parameters": params,
        "responses": {
            str(op.status): answer,
            **{
                code: {"description": text, "content": {"application/json": {"schema": "Error"}}}
                for code, text in ERRORS.items()
            },
        },
    }
    if rule.endpoint != "openapi.document":
        body["security"] = [{"bearer": []}]
    if op.request is not None:
        body["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.request}}}
    return body


@bp.get(f"{PREFIX}/openapi.json")
def document():
    """Answer the OpenAPI document (public, like any published contract)."""
    return jsonify(_spec())


def _spec() -> dict:
    if "zhenggai_openapi" not in current_app.extensions:
        current_app.extensions["zhenggai_openapi"] = build_spec(current_app)
    return current_app.extensions["zhenggai_openapi"]


@bp.get("/api-docs")
@login_required
def docs():
    """List every operation with its roles and a form to try it, for signed-in users."""
    return render_template("openapi/docs.html", spec=_spec())
