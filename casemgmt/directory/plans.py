"""Compare imported rows with the directory: new, changed, unchanged, and every bad row with a Chinese reason.

Planning only reads; operations.apply_plan writes what a confirmed plan says, in bulk.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select

from casemgmt.db import db
from casemgmt.directory import hall_calendars
from casemgmt.directory.parsers import Row
from casemgmt.directory.schemas import ACTIVE_WORDS, KIND_NAMES, ROLE_NAMES
from casemgmt.models import ROLES, Case, CaseStatus, Organization, Region, ServiceItem, User
from casemgmt.models.org import ORG_KINDS

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
PHONE = re.compile(r"^\+?[0-9\-]{5,20}$")
ALL_ROLES = (*ROLES, "channel")
#: roles only the command line grants (see Action.USERS_MANAGE)
PRIVILEGED = {"admin"}


@dataclass
class BadRow:
    line: int
    key: str
    reason: str


@dataclass
class ImportPlan:
    """What an import would do; `new` and `changed` rows carry the final values, `changed` also `before`."""

    kind: str
    region_id: int
    new: list[dict] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[BadRow] = field(default_factory=list)
    #: entries in the directory but not in the file: listed, never removed
    missing: list[str] = field(default_factory=list)
    #: hall calendar years that change (orgs only): {code, year, days, days_added, days_removed}
    calendars: list[dict] = field(default_factory=list)

    def summary(self, limit: int = 200) -> dict:
        """Return the counts and the first `limit` entries of each list (every bad row), for screens and JSON."""
        return {
            "kind": self.kind,
            "counts": {
                "new": len(self.new),
                "changed": len(self.changed),
                "unchanged": len(self.unchanged),
                "errors": len(self.errors),
                "missing": len(self.missing),
                "calendars": len(self.calendars),
            },
            "new": [_public(row) for row in self.new[:limit]],
            "changed": [_public(row) for row in self.changed[:limit]],
            "unchanged": self.unchanged[:limit],
            "missing": self.missing[:limit],
            "calendars": [{k: v for k, v in c.items() if k != "days"} for c in self.calendars[:limit]],
            "errors": [{"line": e.line, "key": e.key, "reason": e.reason} for e in self.errors],
        }


def _public(row: dict) -> dict:
    return {k: v for k, v in row.items() if not k.startswith("_")}


def _active(value: str, line: int, key: str, errors: list[BadRow]) -> bool | None:
    found = ACTIVE_WORDS.get(value.strip().lower())
    if found is None:
        errors.append(BadRow(line, key, f"状态只能填写“启用”或“停用”，而不是“{value}”"))
    return found


def _first_seen(rows: list[Row], key: str, errors: list[BadRow]) -> list[Row]:
    seen: dict[str, int] = {}
    kept = []
    for line, values in rows:
        code = values.get(key, "")
        if code in seen:
            errors.append(BadRow(line, code, f"与第 {seen[code]} 行重复"))
            continue
        seen[code] = line
        kept.append((line, values))
    return kept


# ---- organizations ------------------------------------------------------------------------------------------


def plan_orgs(region: Region, rows: list[Row], trusted: bool = False) -> ImportPlan:
    """Plan an import of organizations: the tree as the file and the directory together make it."""
    plan = ImportPlan("orgs", region.id)
    rows, sheet = hall_calendars.split_rows(rows)
    existing = _existing_orgs(region)
    valid = {}
    for line, values in _first_seen(rows, "code", plan.errors):
        row = _org_row(line, values, plan.errors)
        if row is not None:
            valid[row["code"]] = row
    _drop_orphans(valid, existing, plan.errors)
    paths = _final_paths(valid, existing, plan.errors)
    open_counts = _open_cases_by_org(region)
    for code, row in valid.items():
        row["path"] = paths[code]
        _classify_org(row, existing.get(code), open_counts, plan)
    # a unit moved because an ancestor moved changes path too: the plan carries it so its path is rewritten
    for code, old in existing.items():
        if code not in valid and paths.get(code, old["path"]) != old["path"]:
            plan.changed.append({**old, "path": paths[code], "before": {"path": old["path"]}, "_implied": True})
    plan.missing = sorted(set(existing) - {r[1].get("code", "") for r in rows})
    _plan_hall_calendars(plan, rows, sheet, existing, valid)
    return plan


def _plan_hall_calendars(
    plan: ImportPlan, rows: list[Row], sheet: list[Row], existing: dict[str, dict], valid: dict[str, dict]
) -> None:
    """Plan the halls' own calendars given in the column 大厅日历 or the linked sheet (hall_calendars)."""
    bad: list[hall_calendars.Bad] = []
    entries = hall_calendars.entries_of(rows, sheet, bad)
    kinds = {code: old["kind"] for code, old in existing.items()} | {code: r["kind"] for code, r in valid.items()}
    refused = {r[1].get("code", "") for r in rows} - set(valid)
    plan.calendars = hall_calendars.plan_calendars(entries, kinds, refused, bad)
    plan.errors += [BadRow(line, code, reason) for line, code, reason in bad]


def _existing_orgs(region: Region) -> dict[str, dict]:
    stmt = select(
        Organization.id,
        Organization.code,
        Organization.name,
        Organization.kind,
        Organization.path,
        Organization.is_active,
        Organization.parent_id,
    ).where(Organization.region_id == region.id)
    found = db.session.execute(stmt).all()
    codes = {r.id: r.code for r in found}
    return {
        r.code: {
            "id": r.id,
            "code": r.code,
            "name": r.name,
            "kind": r.kind,
            "path": r.path,
            "is_active": r.is_active,
            "parent_code": codes.get(r.parent_id) if r.parent_id else "",
        }
        for r in found
    }


def _org_row(line: int, values: dict[str, str], errors: list[BadRow]) -> dict | None:
    code, name = values.get("code", ""), values.get("name", "")
    kind = KIND_NAMES.get(values.get("kind", ""), values.get("kind", ""))
    before = len(errors)
    if not CODE.match(code):
        errors.append(BadRow(line, code, "机构编码只能由字母、数字、点、横线和下划线组成，且不超过 64 个字符"))
    if not name or len(name) > 128:
        errors.append(BadRow(line, code, "机构名称不能为空，且不超过 128 个字符"))
    if kind not in ORG_KINDS:
        errors.append(BadRow(line, code, f"未知的机构类型“{values.get('kind', '')}”"))
    parent = values.get("parent_code", "")
    if parent == code:
        errors.append(BadRow(line, code, "上级机构不能是自己"))
    active = _active(values.get("is_active", ""), line, code, errors)
    if len(errors) > before:
        return None
    return {"_line": line, "code": code, "name": name, "kind": kind, "parent_code": parent, "is_active": active}


def _drop_orphans(valid: dict[str, dict], existing: dict[str, dict], errors: list[BadRow]) -> None:
    """Refuse rows whose parent is neither in the directory nor a good row of the file (repeated to a fixpoint)."""
    changed = True
    while changed:
        changed = False
        for code, row in list(valid.items()):
            parent = row["parent_code"]
            if parent and parent not in valid and parent not in existing:
                errors.append(BadRow(row["_line"], code, f"上级机构 {parent} 不存在（目录和文件中都没有，或该行有误）"))
                del valid[code]
                changed = True


def _final_paths(valid: dict[str, dict], existing: dict[str, dict], errors: list[BadRow]) -> dict[str, str]:
    """Return every unit's materialized path after the import; rows that would make a cycle are refused."""
    parents = {code: old["parent_code"] for code, old in existing.items()}
    parents.update({code: row["parent_code"] for code, row in valid.items()})
    paths: dict[str, str] = {}

    def path_of(code: str, trail: tuple[str, ...]) -> str | None:
        if code in paths:
            return paths[code]
        if code in trail:
            return None
        parent = parents.get(code) or ""
        head = "/" if not parent else path_of(parent, (*trail, code))
        if head is None:
            return None
        paths[code] = head + code + "/"
        return paths[code]

    for code in list(parents):
        if path_of(code, ()) is None:
            if code in valid:
                errors.append(BadRow(valid.pop(code)["_line"], code, "上级机构关系形成循环"))
            parents[code] = existing[code]["parent_code"] if code in existing else ""
    paths.clear()
    for code in parents:
        path_of(code, ())
    return paths


def _open_cases_by_org(region: Region) -> dict[int, int]:
    stmt = (
        select(Case.handling_org_id, func.count())
        .where(Case.region_id == region.id, Case.status == CaseStatus.OPEN)
        .group_by(Case.handling_org_id)
    )
    return dict(db.session.execute(stmt).all())


def _classify_org(row: dict, old: dict | None, open_counts: dict[int, int], plan: ImportPlan) -> None:
    if row["is_active"] is None:
        row["is_active"] = old["is_active"] if old else True
    if old is None:
        plan.new.append(row)
        return
    keys = ("name", "kind", "parent_code", "path", "is_active")
    before = {k: old[k] for k in keys if old[k] != row[k]}
    if not before:
        plan.unchanged.append(row["code"])
        return
    if row["is_active"] is False and old["is_active"] and open_counts.get(old["id"]):
        reason = f"该机构还有 {open_counts[old['id']]} 件未办结的工单，不能停用；请先办结或转办"
        plan.errors.append(BadRow(row["_line"], row["code"], reason))
        return
    plan.changed.append({**row, "id": old["id"], "before": before})


# ---- service items --------------------------------------------------------------------------------------------


def plan_items(region: Region, rows: list[Row], trusted: bool = False) -> ImportPlan:
    """Plan an import of the service-item catalogue (事项清单)."""
    plan = ImportPlan("items", region.id)
    orgs = _org_ids(region)
    stmt = select(
        ServiceItem.id,
        ServiceItem.code,
        ServiceItem.name,
        ServiceItem.owning_org_id,
        ServiceItem.lead_org_id,
        ServiceItem.is_active,
    ).where(ServiceItem.region_id == region.id)
    existing = {r.code: r._asdict() for r in db.session.execute(stmt)}
    for line, values in _first_seen(rows, "code", plan.errors):
        row = _item_row(line, values, orgs, plan.errors)
        if row is not None:
            _classify(row, existing.get(row["code"]), ("name", "owning_org_id", "lead_org_id", "is_active"), plan)
    plan.missing = sorted(set(existing) - {r[1].get("code", "") for r in rows})
    return plan


def _org_ids(region: Region) -> dict[str, int]:
    stmt = select(Organization.code, Organization.id).where(Organization.region_id == region.id)
    return dict(db.session.execute(stmt).all())


def _item_row(line: int, values: dict[str, str], orgs: dict[str, int], errors: list[BadRow]) -> dict | None:
    code, name = values.get("code", ""), values.get("name", "")
    owner, lead = values.get("owning_org_code", ""), values.get("lead_org_code", "")
    before = len(errors)
    if not CODE.match(code):
        errors.append(BadRow(line, code, "事项编码只能由字母、数字、点、横线和下划线组成，且不超过 64 个字符"))
    if not name or len(name) > 256:
        errors.append(BadRow(line, code, "事项名称不能为空，且不超过 256 个字符"))
    if owner not in orgs:
        errors.append(BadRow(line, code, f"实施机构 {owner or '（空）'} 不在本地区的机构目录中"))
    if lead and lead not in orgs:
        errors.append(BadRow(line, code, f"牵头部门 {lead} 不在本地区的机构目录中"))
    active = _active(values.get("is_active", ""), line, code, errors)
    if len(errors) > before:
        return None
    return {
        "_line": line,
        "code": code,
        "name": name,
        "owning_org_id": orgs[owner],
        "owning_org_code": owner,
        "lead_org_id": orgs.get(lead) if lead else None,
        "lead_org_code": lead,
        "is_active": active,
    }


def _classify(row: dict, old: dict | None, keys: tuple[str, ...], plan: ImportPlan) -> None:
    key = row.get("code") or row["username"]
    if row.get("is_active") is None:
        row["is_active"] = old["is_active"] if old else True
    if old is None:
        plan.new.append(row)
        return
    before = {k: old[k] for k in keys if old[k] != row[k]}
    if before:
        plan.changed.append({**row, "id": old["id"], "before": before})
    else:
        plan.unchanged.append(key)


# ---- users ------------------------------------------------------------------------------------------------------


def plan_users(region: Region, rows: list[Row], trusted: bool = False) -> ImportPlan:
    """Plan an import of users (no passwords: they are set by an administrator or the user's first sign-in).

    Only a trusted caller (the CLI, like `flask users`) may create or change administrators: a region
    administrator importing through the pages or the API cannot grant their own role (users.manage is CLI-only).
    """
    plan = ImportPlan("users", region.id)
    orgs = _org_ids(region)
    stmt = select(
        User.id, User.username, User.display_name, User.org_id, User.roles, User.phone, User.is_active, User.region_id
    )
    existing = {r.username: {**r._asdict(), "roles": sorted(r.roles or [])} for r in db.session.execute(stmt)}
    for line, values in _first_seen(rows, "username", plan.errors):
        row = _user_row(line, values, orgs, plan.errors)
        old = existing.get(row["username"]) if row else None
        if old is not None and old["region_id"] != region.id:
            plan.errors.append(BadRow(line, values["username"], "该用户名已被其他地区使用"))
            continue
        if row is not None and not trusted and PRIVILEGED & set(row["roles"] + (old["roles"] if old else [])):
            reason = "不能在页面或接口中授予或修改管理员账号，请用 flask users 命令"
            plan.errors.append(BadRow(line, row["username"], reason))
            continue
        if row is not None:
            _classify(row, old, ("display_name", "org_id", "roles", "phone", "is_active"), plan)
    in_region = {name for name, old in existing.items() if old["region_id"] == region.id}
    plan.missing = sorted(in_region - {r[1].get("username", "") for r in rows})
    return plan


def _user_row(line: int, values: dict[str, str], orgs: dict[str, int], errors: list[BadRow]) -> dict | None:
    name, display, org = values.get("username", ""), values.get("display_name", ""), values.get("org_code", "")
    roles = [
        ROLE_NAMES.get(r.strip(), r.strip()) for r in re.split(r"[,，、;；\s]+", values.get("roles", "")) if r.strip()
    ]
    phone = values.get("phone", "")
    before = len(errors)
    if not CODE.match(name):
        errors.append(BadRow(line, name, "用户名只能由字母、数字、点、横线和下划线组成，且不超过 64 个字符"))
    if not display or len(display) > 128:
        errors.append(BadRow(line, name, "姓名不能为空，且不超过 128 个字符"))
    if org not in orgs:
        errors.append(BadRow(line, name, f"所属机构 {org or '（空）'} 不在本地区的机构目录中"))
    unknown = [r for r in roles if r not in ALL_ROLES]
    if not roles or unknown:
        errors.append(BadRow(line, name, f"未知的角色：{'、'.join(unknown) or '（空）'}"))
    if phone and not PHONE.match(phone):
        errors.append(BadRow(line, name, f"手机号格式不正确：{phone}"))
    active = _active(values.get("is_active", ""), line, name, errors)
    if len(errors) > before:
        return None
    return {
        "_line": line,
        "username": name,
        "display_name": display,
        "org_id": orgs[org],
        "org_code": org,
        "roles": sorted(set(roles)),
        "phone": phone or None,
        "is_active": active,
    }


PLANNERS: dict[str, Callable[[Region, list[Row], bool], ImportPlan]] = {
    "orgs": plan_orgs,
    "items": plan_items,
    "users": plan_users,
}
