"""API v1 routes: thin views that parse, call one use case, commit, answer.

The casework and admin blueprints are nested in this one: they share its /api/v1 prefix, and their endpoints are
`api.casework.<view>` and `api.admin.<view>`.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, g, jsonify, request

from casemgmt.access.operations import reveal_evaluator
from casemgmt.access.queries import access_case, get_user
from casemgmt.calendar import load_calendar
from casemgmt.cases import operations as case_ops
from casemgmt.cases import queries as case_queries
from casemgmt.cases.inbox import SORTS, InboxFilter, inbox_page
from casemgmt.cases.schemas import CompleteTaskSchema, ReassignSchema
from casemgmt.db import db
from casemgmt.errors import InvalidInput
from casemgmt.inputs import instant_problem, is_digits
from casemgmt.intake import operations as intake_ops
from casemgmt.intake.batch import ItemResult, submit_batch
from casemgmt.intake.schemas import EvaluationBatchSchema, EvaluationSchema
from casemgmt.models import Organization
from web.api import admin, casework, exchange, province, ratings, stats
from web.api.auth import token_required
from web.api.inputs import commit_once, int_arg, load_json, now, read_json
from web.api.present import case_json, event_json, task_json

bp = Blueprint("api", __name__, url_prefix="/api/v1")
for child in (casework.bp, admin.bp, province.bp, exchange.bp, ratings.bp, stats.bp):
    bp.register_blueprint(child)
#: the inbox views the API offers (the web inbox adds "team")
API_VIEWS = ("mine", "my_roles", "overdue", "done")


@bp.post("/evaluations")
@token_required
def post_evaluation():
    data = load_json(EvaluationSchema())
    # the answer is read before the commit, which expires every loaded row: no reload afterwards
    body = commit_once(lambda: _intake_body(intake_ops.submit_evaluation(data, g.user, now())))
    return jsonify(body), 201 if body["created"] else 200


@bp.post("/evaluations:batch")
@token_required
def post_evaluation_batch():
    """Bulk intake: up to 1,000 evaluations, one result per item (created, duplicate, invalid with its fields)."""
    items = load_json(EvaluationBatchSchema())["evaluations"]
    body = commit_once(lambda: _batch_body(submit_batch(items, g.user, now())))
    return jsonify(body), 200


def _batch_body(results: list[ItemResult]) -> dict:
    answers = [
        {
            "index": r.index,
            "status": r.status,
            "id": r.evaluation_id,
            "case_id": r.case_id,
            "case_no": r.case_no,
            "errors": r.errors or None,
        }
        for r in results
    ]
    counts = {status: sum(1 for r in results if r.status == status) for status in ("created", "duplicate", "invalid")}
    return {"results": answers, "counts": counts}


def _intake_body(result: intake_ops.IntakeResult) -> dict:
    return {
        "id": result.evaluation.id,
        "is_bad": result.evaluation.is_bad,
        "case_id": result.case.id if result.case else None,
        "case_no": result.case.case_no if result.case else None,
        "created": result.created,
        "follow_up_of": result.evaluation.follow_up_of_id,
        "group_no": result.evaluation.group_no,
    }


@bp.get("/cases/<int:case_id>")
@token_required
def get_case(case_id: int):
    case = access_case(g.user, case_id)
    reason = request.args.get("reveal_reason", "")
    reveal = bool(reason)
    if reveal:
        reveal_evaluator(case, g.user, reason, now())
        db.session.commit()
    return jsonify(case_json(case, case_queries.list_case_tasks(case.id), reveal))


@bp.get("/cases/<int:case_id>/history")
@token_required
def get_history(case_id: int):
    case = access_case(g.user, case_id)
    return jsonify({"case_id": case.id, "events": [event_json(e) for e in case_queries.list_case_events(case.id)]})


@bp.get("/tasks")
@token_required
def list_tasks():
    view = request.args.get("view") or _legacy_view()
    if view not in API_VIEWS:
        raise InvalidInput("未知的视图", details={"view": ["可选：" + ", ".join(API_VIEWS)]})
    region = request.args.get("region")
    if region and region != g.user.region.code:
        raise InvalidInput("只能查看本地区任务", details={"region": [f"您属于 {g.user.region.code}"]})
    if "offset" in request.args:
        raise InvalidInput("不再支持 offset 分页", details={"offset": ["请改用 cursor：上一页答复中的 next_cursor"]})
    size = _positive_int_arg("limit", 50)
    sort = request.args.get("sort", "")
    if sort and sort not in SORTS:
        raise InvalidInput("未知的排序", details={"sort": ["可选：" + ", ".join(SORTS)]})
    q = request.args.get("q", "").strip()
    if len(q) > 64:
        raise InvalidInput("查询过长", details={"q": ["长度不能超过 64"]})
    cursor = request.args.get("cursor") or None
    page = inbox_page(g.user, view, now(), InboxFilter(q=q), cursor=cursor, size=size, sort=sort)
    return jsonify({"view": view, "tasks": [task_json(r) for r in page.rows], "next_cursor": page.next_cursor})


def _legacy_view() -> str:
    if request.args.get("mine") in ("1", "true"):
        return "mine"
    if request.args.get("overdue") in ("1", "true"):
        return "overdue"
    return "my_roles"


def _positive_int_arg(name: str, default: int) -> int:
    value = int_arg(name, default, minimum=1)
    assert value is not None
    return value


@bp.post("/tasks/<int:task_id>/claim")
@token_required
def claim(task_id: int):
    row = case_ops.claim_task(task_id, g.user, now())
    db.session.commit()
    return jsonify(task_json(row))


@bp.post("/tasks/<int:task_id>/release")
@token_required
def release(task_id: int):
    reason = read_json(required=False).get("reason", "")
    if not isinstance(reason, str) or len(reason) > 500:
        raise InvalidInput("输入有误", details={"reason": ["必须是不超过 500 字的文本"]})
    row = case_ops.release_task(task_id, g.user, now(), reason)
    db.session.commit()
    return jsonify(task_json(row))


@bp.post("/tasks/<int:task_id>/reassign")
@token_required
def reassign(task_id: int):
    data = load_json(ReassignSchema())
    assignee = get_user(data["assignee"]) if data["assignee"] else None
    org = _org(data["org_code"]) if data["org_code"] else None
    row = case_ops.reassign_task(task_id, g.user, now(), data["reason"], assignee=assignee, org=org)
    db.session.commit()
    return jsonify(task_json(row))


def _org(code: str) -> Organization:
    org = db.session.query(Organization).filter_by(region_id=g.user.region_id, code=code).one_or_none()
    if org is None:
        raise InvalidInput("未知的机构", details={"org_code": [code]})
    return org


@bp.post("/tasks/<int:task_id>/complete")
@token_required
def complete(task_id: int):
    data = load_json(CompleteTaskSchema())
    done = case_ops.complete(task_id, data["data"], g.user, now())
    # read the answer in the transaction (it sees its own writes): the commit expires every row it would reload
    following = case_ops.next_task_for(g.user, done.task.case_id, done.open_rows)
    body = {"task": task_json(done.task), "next_task_id": following.id if following else None}
    db.session.commit()
    return jsonify(body)


@bp.get("/calendars/<region>/due")
@token_required
def calendar_due(region: str):
    errors = {}
    try:
        start = datetime.fromisoformat(request.args.get("start", ""))
        if start.tzinfo is None:
            errors["start"] = ["必须带时区偏移，如 2025-09-26T10:00:00+08:00"]
        elif instant_problem(start):
            errors["start"] = [str(instant_problem(start))]
    except ValueError:
        errors["start"] = ["必须是 ISO 时间，如 2025-09-26T10:00:00+08:00"]
    raw = request.args.get("workdays", "")
    if not is_digits(raw) or len(raw) > 3 or int(raw) > 366:
        errors["workdays"] = ["必须是 0 到 366 之间的整数"]
    if errors:
        raise InvalidInput("参数有误", details=errors)
    if region != g.user.region.code:
        raise InvalidInput("只能查询本地区日历", details={"region": [f"您属于 {g.user.region.code}"]})
    return jsonify(load_calendar(region).due(start, int(raw)).as_dict())
