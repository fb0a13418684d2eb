"""Check what deadline expressions will compute: literal counts in range, and that a timeDate gives an instant."""

from __future__ import annotations

import ast
from datetime import datetime

from casemgmt.engine.sandbox import DEADLINE_FUNCTIONS

MAX_DAYS = 366
_LIMITS = {"workdays": MAX_DAYS, "calendar_days": MAX_DAYS, "hours": 24 * MAX_DAYS}


def deadline_calls(tree: ast.AST) -> list[ast.Call]:
    """Return the calls to workdays, calendar_days and hours in a checked expression."""
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in DEADLINE_FUNCTIONS
    ]


def argument_problem(tree: ast.AST) -> str | None:
    """Say what is wrong with a deadline call's arguments that is visible without running it."""
    for call in deadline_calls(tree):
        name, limit = call.func.id, _LIMITS[call.func.id]
        if len(call.args) != 1 or call.keywords:
            return f"{name}() 只接受一个参数（天数或小时数）"
        arg = call.args[0]
        if isinstance(arg, ast.UnaryOp) and isinstance(arg.op, ast.USub):
            return f"{name}() 的参数不能为负数"
        if isinstance(arg, ast.Constant) and not _in_range(arg.value, limit):
            return f"{name}() 的参数必须是 0 到 {limit} 之间的整数，而不是 {arg.value!r}"
    return None


def _in_range(value: object, limit: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= limit


def time_date_problem(tree: ast.Expression) -> str | None:
    """Require a timeDate to call a deadline function or be an ISO instant with a time zone."""
    if deadline_calls(tree):
        return None
    body = tree.body
    if isinstance(body, ast.Constant) and isinstance(body.value, str) and _aware_iso(body.value):
        return None
    return "定时器 timeDate 必须调用 workdays、calendar_days 或 hours，或是带时区的 ISO 时间字符串"


def _aware_iso(text: str) -> bool:
    try:
        return datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False
