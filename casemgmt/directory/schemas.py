"""Column layouts of the import files (docs/IMPORT.md) and the JSON payload of the import API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

#: kind -> ordered columns: (key, Chinese header, required); a file's header row may use either name
LAYOUTS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "orgs": (
        ("code", "机构编码", True),
        ("name", "机构名称", True),
        ("kind", "机构类型", True),
        ("parent_code", "上级机构编码", False),
        ("is_active", "状态", False),
        ("calendar", "大厅日历", False),
    ),
    "items": (
        ("code", "事项编码", True),
        ("name", "事项名称", True),
        ("owning_org_code", "实施机构编码", True),
        ("lead_org_code", "牵头部门编码", False),
        ("is_active", "状态", False),
    ),
    "users": (
        ("username", "用户名", True),
        ("display_name", "姓名", True),
        ("org_code", "所属机构编码", True),
        ("roles", "角色", True),
        ("phone", "手机号", False),
        ("is_active", "状态", False),
    ),
}
KINDS = tuple(LAYOUTS)
#: the linked sheet of an orgs workbook: one row per day of a hall's own calendar (its exceptions to the region's)
HALL_SHEET = "大厅日历"
HALL_SHEET_LAYOUT: tuple[tuple[str, str, bool], ...] = (
    ("org_code", "机构编码", True),
    ("day", "日期", True),
    ("kind", "类型", True),
    ("name", "名称", False),
)
#: marks a row read from the linked sheet among the rows of an orgs import (its value: the sheet's name)
SHEET_KEY = "_sheet"
#: Chinese names of the calendar day kinds (casemgmt.models.calendar.DAY_KINDS) accepted in a file
DAY_KIND_NAMES = {
    "放假": "holiday",
    "休息": "holiday",
    "节假日": "holiday",
    "调休上班": "workday",
    "上班": "workday",
    "办公": "workday",
    "停止办公": "closed",
    "闭厅": "closed",
    "不办公": "closed",
}
#: Chinese names of the organization kinds accepted in a file besides the codes of casemgmt.models.ORG_KINDS
KIND_NAMES = {
    "省": "province",
    "市": "city",
    "县": "county",
    "区县": "county",
    "大厅": "hall",
    "政务服务中心": "hall",
    "部门": "department",
    "窗口": "window",
    "部委": "ministry",
    "办公室": "office",
    "12345": "office",
    "平台": "office",
}
ROLE_NAMES = {
    "办理人员": "officer",
    "监督人员": "supervisor",
    "协调人员": "coordinator",
    "管理员": "admin",
    "审计人员": "auditor",
    "渠道": "channel",
}
ACTIVE_WORDS = {
    "": True,
    "启用": True,
    "active": True,
    "1": True,
    "true": True,
    "停用": False,
    "inactive": False,
    "0": False,
    "false": False,
}


class ImportRequestSchema(Schema):
    """POST /api/v1/regions/<code>/directory/<kind>: rows as the file columns' keys, confirmed or previewed."""

    rows = fields.List(fields.Dict(keys=fields.String()), required=True, validate=validate.Length(min=1, max=100_000))
    confirm = fields.Boolean(load_default=False)
