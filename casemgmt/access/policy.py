"""Who may see and do what: role and region (and organization subtree) checks."""

from __future__ import annotations

from casemgmt.errors import NotFound, PermissionDenied
from casemgmt.models import Case, HumanTask, Organization, User

#: roles that see every case of their region
REGION_WIDE_ROLES = ("auditor", "admin", "coordinator")
#: roles that work on cases; a channel account (a hall device) only submits evaluations
STAFF_ROLES = ("officer", "supervisor", *REGION_WIDE_ROLES)


def in_subtree(user: User, org_path: str) -> bool:
    """Tell whether an org (by path) is the user's own org or below it."""
    return org_path.startswith(user.org.path)


def can_see_case(user: User, case: Case) -> bool:
    """Tell whether the user may read a case."""
    if user.region_id != case.region_id or not user.has_role(*STAFF_ROLES):
        return False
    return user.has_role(*REGION_WIDE_ROLES) or in_subtree(user, case.handling_org.path)


def ensure_can_see_case(user: User, case: Case) -> None:
    """Raise NotFound for a case of another region, PermissionDenied for one outside the user's scope."""
    if user.region_id != case.region_id:
        raise NotFound("没有找到该工单")
    if not can_see_case(user, case):
        raise PermissionDenied("无权查看该工单")


def can_act_on_task(user: User, task: HumanTask) -> bool:
    """Tell whether the user may claim or complete a task."""
    return (
        user.is_active
        and user.region_id == task.region_id
        and user.has_role(task.candidate_role)
        and in_subtree(user, task.candidate_org_path)
    )


def ensure_can_act_on_task(user: User, task: HumanTask) -> None:
    """Raise unless the user holds the task's role in the task's organization subtree."""
    if user.region_id != task.region_id:
        raise NotFound("没有找到该任务")
    if not can_act_on_task(user, task):
        raise PermissionDenied("无权办理该任务：需要相应角色且属于承办机构")


def ensure_role(user: User, *roles: str) -> None:
    """Raise PermissionDenied unless the user holds one of the roles."""
    if not user.has_role(*roles):
        raise PermissionDenied("需要以下角色之一：" + "、".join(roles))


def ensure_unit_role(user: User, org: Organization, *roles: str) -> None:
    """Raise unless the user holds one of the roles in `org` or an organization above it."""
    if not (user.is_active and user.has_role(*roles) and in_subtree(user, org.path)):
        raise PermissionDenied(f"只有{org.name}及其上级机构的以下角色可以办理：" + "、".join(roles))
