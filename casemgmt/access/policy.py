"""Who may do what: one table maps each action to the roles allowed and the scope each role gets there.

Views and operations ask `allowed` or `authorize`; `access_case` and `access_task` (access/queries.py) fetch
and authorize in one call. `flask access matrix` writes this table to docs/PERMISSIONS.md.
Another region's object is NotFound (its existence is not revealed), an object inside the region but outside
the user's scope is PermissionDenied.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Flag, StrEnum, auto

from sqlalchemy import or_, select

from casemgmt.db import db
from casemgmt.errors import NotFound, PermissionDenied
from casemgmt.models import Case, HumanTask, Organization, TaskStatus, User


class Role(StrEnum):
    """The roles of casemgmt.models.ROLES, plus the machine clients that submit evaluations."""

    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    COORDINATOR = "coordinator"
    ADMIN = "admin"
    AUDITOR = "auditor"
    CHANNEL = "channel"


class Action(StrEnum):
    """Everything the product checks before it lets someone act, named noun.verb."""

    CASE_READ = "case.read"
    CASE_COMMENT = "case.comment"
    CASE_REVEAL_EVALUATOR = "case.reveal_evaluator"
    CASE_CALL_EVALUATOR = "case.call_evaluator"
    CASE_SEARCH = "case.search"
    CASE_EXPORT = "case.export"
    CASE_TRANSFER = "case.transfer"
    TASK_CLAIM = "task.claim"
    TASK_RELEASE = "task.release"
    TASK_COMPLETE = "task.complete"
    TASK_DRAFT = "task.draft"
    TASK_UPLOAD = "task.upload"
    TASK_REASSIGN = "task.reassign"
    TASK_URGE = "task.urge"
    CALLBACK_LOG = "callback.log"
    LEDGER_READ = "ledger.read"
    LEDGER_NOTE = "ledger.note"
    EXTENSION_REQUEST = "extension.request"
    APPEAL_FILE = "appeal.file"
    EVALUATION_SUBMIT = "evaluation.submit"
    SERVICE_RECORD_REGISTER = "service_record.register"
    EVALUATION_READ = "evaluation.read"
    SERVICE_RECORD_READ = "service_record.read"
    RATING_POSTER = "rating.poster"
    RATING_FLAG_DECIDE = "rating.flag_decide"
    STATS_READ = "stats.read"
    STATS_PUBLISH = "stats.publish"
    AUDIT_VERIFY = "audit.verify"
    RULES_READ = "rules.read"
    RULES_DEPLOY = "rules.deploy"
    RULES_MIGRATE = "rules.migrate"
    CALENDAR_EDIT = "calendar.edit"
    USERS_MANAGE = "users.manage"
    DIRECTORY_IMPORT = "directory.import"
    OUTBOX_MANAGE = "outbox.manage"
    NOTICE_READ = "notice.read"

    @property
    def noun(self) -> str:
        """Return what the action is done to: case, task, ledger..."""
        return self.value.split(".")[0]


class Scope(Flag):
    """Where a role may do an action; a cell of the table may combine scopes (unit | task_holder)."""

    OWN = auto()
    UNIT = auto()
    REGION = auto()
    NATIONAL = auto()
    TASK_HOLDER = auto()


OWN, UNIT, REGION, NATIONAL, TASK_HOLDER = Scope.OWN, Scope.UNIT, Scope.REGION, Scope.NATIONAL, Scope.TASK_HOLDER
OFFICER, SUPERVISOR, COORDINATOR = Role.OFFICER, Role.SUPERVISOR, Role.COORDINATOR
ADMIN, AUDITOR, CHANNEL = Role.ADMIN, Role.AUDITOR, Role.CHANNEL

#: the people who work on cases: officers and supervisors in their units, the others region-wide
_STAFF = {OFFICER: UNIT, SUPERVISOR: UNIT, COORDINATOR: REGION, ADMIN: REGION, AUDITOR: REGION}
#: work on a task is done in the role it is offered to, in its unit or below (see CANDIDATE_ROLE_ACTIONS)
_TASK_WORK = {OFFICER: UNIT, SUPERVISOR: UNIT, COORDINATOR: UNIT, ADMIN: UNIT, AUDITOR: UNIT}
_OVERSIGHT = {SUPERVISOR: UNIT, COORDINATOR: REGION, ADMIN: REGION, AUDITOR: REGION}
_REGION_ADMIN = {ADMIN: REGION}

POLICY: dict[Action, dict[Role, Scope]] = {
    Action.CASE_READ: {**_STAFF, OFFICER: UNIT | TASK_HOLDER, SUPERVISOR: UNIT | TASK_HOLDER},
    Action.CASE_COMMENT: _STAFF,
    Action.CASE_REVEAL_EVALUATOR: _STAFF,
    Action.CASE_CALL_EVALUATOR: {OFFICER: OWN, SUPERVISOR: OWN, COORDINATOR: OWN, ADMIN: OWN, AUDITOR: OWN},
    Action.CASE_SEARCH: _OVERSIGHT,
    Action.CASE_EXPORT: _OVERSIGHT,
    Action.CASE_TRANSFER: {OFFICER: UNIT, SUPERVISOR: UNIT, COORDINATOR: REGION},
    Action.TASK_CLAIM: _TASK_WORK,
    Action.TASK_RELEASE: _TASK_WORK,
    Action.TASK_COMPLETE: _TASK_WORK,
    Action.TASK_DRAFT: _TASK_WORK,
    Action.TASK_UPLOAD: _TASK_WORK,
    Action.TASK_REASSIGN: {SUPERVISOR: UNIT, COORDINATOR: UNIT},
    Action.TASK_URGE: {SUPERVISOR: UNIT, COORDINATOR: UNIT},
    Action.CALLBACK_LOG: {OFFICER: UNIT, SUPERVISOR: UNIT},
    Action.LEDGER_READ: _STAFF,
    Action.LEDGER_NOTE: {OFFICER: UNIT, SUPERVISOR: UNIT, COORDINATOR: REGION},
    Action.EXTENSION_REQUEST: {OFFICER: UNIT, SUPERVISOR: UNIT},
    Action.APPEAL_FILE: {OFFICER: UNIT, SUPERVISOR: UNIT},
    Action.EVALUATION_SUBMIT: {CHANNEL: REGION},
    Action.SERVICE_RECORD_REGISTER: {CHANNEL: REGION},
    Action.EVALUATION_READ: {**_STAFF, CHANNEL: REGION},
    Action.SERVICE_RECORD_READ: {**_STAFF, CHANNEL: REGION},
    Action.RATING_POSTER: {SUPERVISOR: UNIT, COORDINATOR: REGION, ADMIN: REGION},
    Action.RATING_FLAG_DECIDE: {SUPERVISOR: UNIT, COORDINATOR: REGION},
    Action.STATS_READ: _OVERSIGHT,
    Action.STATS_PUBLISH: {COORDINATOR: REGION},
    Action.AUDIT_VERIFY: {COORDINATOR: REGION, ADMIN: REGION, AUDITOR: REGION},
    Action.RULES_READ: _REGION_ADMIN,
    Action.RULES_DEPLOY: _REGION_ADMIN,
    Action.RULES_MIGRATE: _REGION_ADMIN,
    Action.CALENDAR_EDIT: _REGION_ADMIN,
    Action.USERS_MANAGE: {},
    Action.DIRECTORY_IMPORT: _REGION_ADMIN,
    Action.OUTBOX_MANAGE: _REGION_ADMIN,
    Action.NOTICE_READ: {OFFICER: UNIT, SUPERVISOR: UNIT, COORDINATOR: UNIT, ADMIN: UNIT, AUDITOR: UNIT},
}
#: actions on a task a role may do only when the task is offered to that role (its candidate role)
CANDIDATE_ROLE_ACTIONS = frozenset(
    {Action.TASK_CLAIM, Action.TASK_RELEASE, Action.TASK_COMPLETE, Action.TASK_DRAFT, Action.TASK_UPLOAD}
)
#: actions only for users allowed to see personal data (User.can_view_pii, `flask users create --pii`)
PII_ACTIONS = frozenset({Action.CASE_REVEAL_EVALUATOR})
#: the forms of the tasks whose assignee calls the evaluator (callback and feedback steps)
CONTACT_FORM_KEYS = frozenset({"callback_verification", "callback_attempt", "feedback", "satisfaction_callback"})
#: roles whose start page is the task inbox; the others start at case search
INBOX_FIRST = (OFFICER, SUPERVISOR, COORDINATOR, ADMIN)

SCOPE_MEANINGS: dict[Scope, str] = {
    OWN: "the task is assigned to the user",
    UNIT: "the object's organization (a case's handling unit, a task's candidate unit, a ledger entry's unit) "
    "is the user's organization or below it (materialized path prefix)",
    REGION: "the object is in the user's region",
    NATIONAL: "every region",
    TASK_HOLDER: "the user is or was assignee or completer of a task of the case, or the user's organization "
    "subtree holds the candidate unit of a task of the case offered to a role the user has",
}
#: each action: what it lets one do (docs/PERMISSIONS.md) and, after 无权, what a refusal says
ACTION_MEANINGS: dict[Action, tuple[str, str]] = {
    Action.CASE_READ: (
        "read a case: its page, history, casework records, diagram, files and its tasks' pages",
        "查看该工单",
    ),
    Action.CASE_COMMENT: ("add a comment to a case", "评论该工单"),
    Action.CASE_REVEAL_EVALUATOR: (
        "see the evaluator's name and phone unmasked, audited with a reason",
        "查看评价人身份信息",
    ),
    Action.CASE_CALL_EVALUATOR: (
        "get the evaluator's phone as a tel: link on an open callback or feedback task assigned to oneself, audited "
        "with the task as the reason",
        "拨打评价人电话：仅限本人已认领、未办结的回访或反馈任务",
    ),
    Action.CASE_SEARCH: ("search cases (listed by handling unit within the scope)", "查询工单"),
    Action.CASE_EXPORT: ("export the searched cases as xlsx, audited", "导出工单"),
    Action.CASE_TRANSFER: ("transfer suspected misconduct in a case to the discipline body", "移交该工单"),
    Action.TASK_CLAIM: ("claim a task offered to one's role", "认领该任务：需要任务所需角色且属于其承办机构"),
    Action.TASK_RELEASE: (
        "give a task one claimed back to its unit (取消认领)",
        "取消认领该任务：需要任务所需角色且属于其承办机构",
    ),
    Action.TASK_COMPLETE: ("complete a task with its form", "办理该任务：需要任务所需角色且属于其承办机构"),
    Action.TASK_DRAFT: ("save unfinished form input on a task", "保存该任务的草稿：需要任务所需角色且属于其承办机构"),
    Action.TASK_UPLOAD: (
        "upload evidence files for a task's form",
        "为该任务上传附件：需要任务所需角色且属于其承办机构",
    ),
    Action.TASK_REASSIGN: (
        "hand an open task to another person or unit, with a reason",
        "改派该任务：只能改派本机构及下属机构的任务",
    ),
    Action.TASK_URGE: (
        "urge (催办) the holder of an open task: a notice to its unit, recorded in the case history",
        "催办该任务：只能催办本机构及下属机构的任务",
    ),
    Action.CALLBACK_LOG: ("log a callback attempt between form submissions", "记录该工单的回访"),
    Action.LEDGER_READ: ("read ledger (台账) entries and their notes", "查看该台账"),
    Action.LEDGER_NOTE: ("add a progress note to an open ledger entry", "记录该台账的进展"),
    Action.EXTENSION_REQUEST: ("ask for a longer deadline (延期) for the case's handling unit", "为该工单申请延期"),
    Action.APPEAL_FILE: ("file the rated party's appeal (申诉) against a bad review", "为该工单提出申诉"),
    Action.EVALUATION_SUBMIT: (
        "submit an evaluation; a bad review opens a case",
        "提交评价：只有好差评渠道账号可以提交",
    ),
    Action.SERVICE_RECORD_REGISTER: (
        "register a finished service awaiting a rating",
        "登记办件：只有本地区的办件系统账号可以登记",
    ),
    Action.EVALUATION_READ: (
        "read an evaluation (evaluator masked) of a unit within the scope: level, reasons, follow-ups, its case",
        "查看该评价",
    ),
    Action.SERVICE_RECORD_READ: (
        "read a service record (办件) of a unit within the scope: its status, group and ratings",
        "查看该办件",
    ),
    Action.RATING_POSTER: ("print the QR posters of the rating page for the windows of a unit", "打印评价二维码"),
    Action.RATING_FLAG_DECIDE: (
        "see the queue of ratings flagged as gamed and decide each (left out of statistics or counted), audited",
        "处理疑似刷评",
    ),
    Action.STATS_READ: ("read per-unit rating statistics (units within the scope)", "查看统计"),
    Action.STATS_PUBLISH: ("publish the region's ranking, 通报 and quarterly or annual reports", "发布统计报告"),
    Action.AUDIT_VERIFY: ("verify a case's audit hash chain", "校验该工单的哈希链"),
    Action.RULES_READ: (
        "read the region's rule versions, files, diffs, editors and forms",
        "查看规则：需要本地区管理员角色",
    ),
    Action.RULES_DEPLOY: (
        "validate, dry-run, deploy and roll back the region's rules",
        "部署规则：需要本地区管理员角色",
    ),
    Action.RULES_MIGRATE: ("preview and move running cases to another rule version", "迁移工单：需要本地区管理员角色"),
    Action.CALENDAR_EDIT: (
        "change the region's and its halls' working-day calendars",
        "修改日历：需要本地区管理员角色",
    ),
    Action.USERS_MANAGE: (
        "create users and API tokens: only the `flask users` and `flask tokens` commands",
        "管理用户",
    ),
    Action.DIRECTORY_IMPORT: (
        "preview and import the region's units, service items and users; edit single entries",
        "导入机构、事项和用户：需要本地区管理员角色",
    ),
    Action.OUTBOX_MANAGE: (
        "see the region's notice deliveries, retry a failed one, pause or resume delivery",
        "管理通知投递：需要本地区管理员角色",
    ),
    Action.NOTICE_READ: (
        "read the internal notices addressed to one's unit (or the units below it) or to oneself; mark them read",
        "查看内部通知：需要工作人员角色，且通知发给本单位或下级单位",
    ),
}
_MISSING = {"task": "没有找到该任务", "ledger": "没有找到该台账"}
_MISSING_BY_OBJECT = {"case": "没有找到该工单", "org": "没有找到该机构", "region": "没有找到该地区"}


@dataclass(frozen=True)
class _Target:
    """What an action is done to, reduced to what scopes compare: region, unit path, case, task."""

    kind: str
    region_id: int | None = None
    path: str | None = None
    case: Case | None = None
    task: HumanTask | None = None

    @classmethod
    def of(
        cls, action: Action, case: Case | None, task: HumanTask | None, org: Organization | None, region_id: int | None
    ) -> _Target:
        """Return what the scopes of the action compare for the given object."""
        if task is not None and action.noun == "task":  # a task's own unit, not its case's
            return cls("task", task.region_id, task.candidate_org_path, task.case, task)
        case = case if case is not None else (task.case if task is not None else None)
        if case is not None:
            return cls("case", case.region_id, case.handling_org.path, case, task)
        if org is not None:
            return cls("org", org.region_id, org.path)
        return cls("region", region_id)


def allowed(
    user: User,
    action: Action,
    *,
    case: Case | None = None,
    task: HumanTask | None = None,
    org: Organization | None = None,
    region_id: int | None = None,
) -> bool:
    """Tell whether the table lets the user do the action, on the object when one is given."""
    target = _Target.of(action, case, task, org, region_id)
    return any(_grants(user, action, role, scope, target) for role, scope in _rules(user, action))


def authorize(
    user: User,
    action: Action,
    *,
    case: Case | None = None,
    task: HumanTask | None = None,
    org: Organization | None = None,
    region_id: int | None = None,
) -> None:
    """Raise NotFound for another region's object and PermissionDenied when the table refuses the action."""
    target = _Target.of(action, case, task, org, region_id)
    if any(_grants(user, action, role, scope, target) for role, scope in _rules(user, action)):
        return
    if target.region_id is not None and target.region_id != user.region_id:
        raise NotFound(_MISSING.get(action.noun) or _MISSING_BY_OBJECT[target.kind])
    raise PermissionDenied("无权" + ACTION_MEANINGS[action][1])


def _rules(user: User, action: Action) -> list[tuple[Role, Scope]]:
    """Return the user's roles that the table grants the action, each with its scope."""
    if not user.is_active or (action in PII_ACTIONS and not user.can_view_pii):
        return []
    cells = POLICY[action]
    return [(Role(role), cells[role]) for role in user.roles if role in cells]


def _grants(user: User, action: Action, role: Role, scope: Scope, target: _Target) -> bool:
    if action in CANDIDATE_ROLE_ACTIONS and target.task is not None and target.task.candidate_role != role:
        return False
    if target.region_id is not None and target.region_id != user.region_id:
        return NATIONAL in scope
    if target.kind == "region":
        return True
    return any(_covers(user, one, target) for one in scope)


def _covers(user: User, scope: Scope, target: _Target) -> bool:
    """Tell whether one scope covers an object of the user's region."""
    if scope in (REGION, NATIONAL):
        return True
    if scope is UNIT:
        return target.path is not None and in_unit(user, target.path)
    if scope is OWN:
        return target.task is not None and target.task.assignee_id == user.id
    return target.case is not None and holds_task(user, target.case)


def in_unit(user: User, org_path: str) -> bool:
    """Tell whether an organization (by path) is the user's own or below it."""
    return org_path.startswith(user.org.path)


def holds_task(user: User, case: Case) -> bool:
    """Tell whether the user has or had a task on the case: assigned, completed, or offered to their units."""
    offered = [
        (HumanTask.candidate_role == role) & HumanTask.candidate_org_path.startswith(user.org.path, autoescape=True)
        for role in user.roles
    ]
    held = or_(HumanTask.assignee_id == user.id, HumanTask.completed_by_id == user.id, *offered)
    return db.session.scalar(select(HumanTask.id).where(HumanTask.case_id == case.id, held).limit(1)) is not None


def unit_limit(user: User, action: Action) -> str | None:
    """Return the org path a listing for the action stays under, None for the whole region; refuse without a grant."""
    scopes = [scope for _, scope in _rules(user, action)]
    if not scopes:
        raise PermissionDenied("无权" + ACTION_MEANINGS[action][1])
    return None if any(scope & (REGION | NATIONAL) for scope in scopes) else user.org.path


def roles_granted(user: User, action: Action) -> list[Role]:
    """Return the user's roles the table grants the action."""
    return [role for role, _ in _rules(user, action)]


def may_call_evaluator(user: User, task: HumanTask) -> bool:
    """Tell whether the user may call the evaluator from the task: an open callback or feedback step that is
    theirs, or unclaimed and theirs to claim (calling takes it)."""
    if task.status != TaskStatus.OPEN or task.form_key not in CONTACT_FORM_KEYS:
        return False
    if task.assignee_id is None:
        return allowed(user, Action.TASK_CLAIM, task=task)
    return allowed(user, Action.CASE_CALL_EVALUATOR, task=task)


def holds_candidate_role(user: User, task: HumanTask) -> bool:
    """Tell whether the user holds the role a task is offered to (whom a task may be reassigned to)."""
    return user.has_role(task.candidate_role)


def starts_in_inbox(user: User) -> bool:
    """Tell whether the user's start page is the task inbox rather than case search."""
    return user.has_role(*INBOX_FIRST)
