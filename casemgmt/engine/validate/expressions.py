"""Check the expression texts of a BPMN file: conditions, messages, timers and multi-instance loops."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from lxml import etree

from casemgmt.engine.sandbox import is_iso_interval
from casemgmt.engine.validate.common import BPMN, CAMUNDA, Problem, _Doc, _elements, _owner, _problem, _tag
from casemgmt.engine.validate.deadlines import argument_problem, time_date_problem
from casemgmt.errors import ExpressionRefused

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_EXPRESSION_TAGS = {
    "conditionExpression": "条件表达式",
    "loopCardinality": "循环次数 loopCardinality",
    "completionCondition": "完成条件 completionCondition",
    "loopCondition": "循环条件 loopCondition",
    "condition": "条件事件的条件",
    "messagePath": "消息关联表达式 messagePath",
}


def _expression(doc: _Doc, element: str | None, label: str, text: str | None) -> Problem | None:
    """Check one expression text; return the problem if it is refused."""
    try:
        doc.budget.check(text or "")
    except ExpressionRefused as err:
        hint = ""
        if (text or "").strip().startswith("${"):
            hint = "（此处不支持 ${...} 包裹，请直接写表达式）"
        return _problem(doc.name, element, "expression_refused", f"{label}被拒绝：{err.message}{hint}")
    return None


def _expression_texts(doc: _Doc) -> Iterator[Problem]:
    """Check conditions, loop and completion conditions and message expressions."""
    for tag, label in _EXPRESSION_TAGS.items():
        for node in _elements(doc.root, _tag(BPMN, tag)):
            problem = _expression(doc, _owner(node), label, node.text)
            if problem:
                yield problem
    for node in _elements(doc.root, _tag(BPMN, "messageEventDefinition")):
        payload = node.get(_tag(CAMUNDA, "expression"))
        if payload is not None and (problem := _expression(doc, _owner(node), "消息内容表达式", payload)):
            yield problem


def _timers(doc: _Doc) -> Iterator[Problem]:
    """Check timer texts: timeDate is an expression, duration and cycle may be ISO 8601."""
    for timer in _elements(doc.root, _tag(BPMN, "timerEventDefinition")):
        owner = _owner(timer)
        specs = [child for child in timer if etree.QName(child).localname in ("timeDate", "timeDuration", "timeCycle")]
        if not specs:
            yield _problem(doc.name, owner, "timer", "定时器缺少 timeDate、timeDuration 或 timeCycle")
        for spec in specs:
            kind = etree.QName(spec).localname
            if kind != "timeDate" and is_iso_interval(spec.text or ""):
                continue
            if problem := _expression(doc, owner, f"定时器 {kind} 的表达式", spec.text):
                yield problem
            elif message := _deadline_problem(kind, spec.text or ""):
                yield _problem(doc.name, owner, "timer", f"定时器 {kind} 无法计算：{message}")


def _deadline_problem(kind: str, text: str) -> str | None:
    """Check a whitelisted timer expression's deadline calls, and that a timeDate gives an instant."""
    tree = ast.parse(text.strip(), mode="eval")
    problem = argument_problem(tree)
    if problem is None and kind == "timeDate":
        problem = time_date_problem(tree)
    return problem


def _multi_instance(doc: _Doc) -> Iterator[Problem]:
    """Require camunda:collection and camunda:elementVariable to be plain variable names."""
    for loop in _elements(doc.root, _tag(BPMN, "multiInstanceLoopCharacteristics")):
        for attribute in ("collection", "elementVariable"):
            value = loop.get(_tag(CAMUNDA, attribute))
            if value is not None and not _IDENTIFIER.fullmatch(value):
                text = f"camunda:{attribute} 必须是变量名（字母开头，只含字母、数字和 _），不能是 {value!r}"
                yield _problem(doc.name, _owner(loop), "expression_refused", text)
