"""Check a DMN file: one decision, supported hit policies, and every cell as the DMN engine reads it."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from lxml import etree

from casemgmt.engine.sandbox import check_expression
from casemgmt.engine.validate.common import Problem, _Budget, _Doc, _elements, _problem, _tag
from casemgmt.engine.validate.expressions import _expression
from casemgmt.errors import ExpressionRefused

HIT_POLICIES = frozenset({"UNIQUE", "COLLECT"})
MAX_DMN_CELL = 1_000
MAX_DMN_QUESTION_MARKS = 5

# The DMN engine's own pattern for a `?` outside quotes (SpiffWorkflow.dmn.engine.DMNEngine).
_DMN_QUESTION = re.compile(r"""(\?)(?=(?:[^'"]|['"][^'"]*['"])*$)""")


def _dmn(doc: _Doc) -> Iterator[Problem]:
    """Check decisions, hit policies and every cell of every decision table."""
    ns = etree.QName(doc.root).namespace
    decisions = doc.root.findall(_tag(ns, "decision"))
    if len(decisions) != 1:
        yield _problem(doc.name, None, "dmn", f"DMN 文件必须恰好含一个决策（现有 {len(decisions)} 个）")
    for table in _elements(doc.root, _tag(ns, "decisionTable")):
        policy = (table.get("hitPolicy") or "UNIQUE").upper()
        if policy not in HIT_POLICIES:
            yield _problem(doc.name, table.get("id"), "dmn", f"命中策略 {policy} 不受支持，只能用 UNIQUE 或 COLLECT")
        inputs = [_dmn_input(ns, node) for node in table.findall(_tag(ns, "input"))]
        for node in table.findall(_tag(ns, "input")):
            yield from _dmn_input_problem(doc, ns, node)
        for rule in table.findall(_tag(ns, "rule")):
            yield from _dmn_rule(doc, ns, rule, inputs)


def _dmn_input(ns: str, node: etree._Element) -> tuple[str, str]:
    """Return an input column's label and its input expression text."""
    text = node.findtext(f"{{{ns}}}inputExpression/{{{ns}}}text") or ""
    return node.get("label") or node.get("id") or "", text


def _dmn_input_problem(doc: _Doc, ns: str, node: etree._Element) -> Iterator[Problem]:
    """Check an input column's expression (the engine falls back to task data by label without one)."""
    label, text = _dmn_input(ns, node)
    if problem := _expression(doc, node.get("id"), f"输入列（{label}）的输入表达式", text):
        yield problem


def _dmn_rule(doc: _Doc, ns: str, rule: etree._Element, inputs: list[tuple[str, str]]) -> Iterator[Problem]:
    """Check the input and output cells of one rule, named by rule id and column."""
    for index, entry in enumerate(rule.findall(_tag(ns, "inputEntry"))):
        label, input_text = inputs[index] if index < len(inputs) else ("?", "")
        column = f"规则 {rule.get('id')} 第 {index + 1} 列（{label}）的输入条件"
        message = _dmn_cell(doc.budget, input_text, entry.findtext(_tag(ns, "text")))
        if message:
            yield _problem(doc.name, rule.get("id"), "expression_refused", f"{column}被拒绝：{message}")
    for index, entry in enumerate(rule.findall(_tag(ns, "outputEntry"))):
        text = entry.findtext(_tag(ns, "text"))
        if text and (problem := _expression(doc, rule.get("id"), f"规则 {rule.get('id')} 第 {index + 1} 个输出", text)):
            yield problem


def _dmn_cell(budget: _Budget, input_text: str, text: str | None) -> str | None:
    """Check an input cell the way the DMN engine combines it with its column's expression."""
    if text is None or text == "-":
        return None
    if text.strip() in ("", "-"):
        return "单元格含多余空白，引擎不会把它当作“任意”；请写 - 或留空"
    try:
        budget.spend(text)
        for expression in _dmn_cell_expressions(input_text, text):
            check_expression(expression)
    except ExpressionRefused as err:
        return err.message
    return None


def _dmn_cell_expressions(input_text: str, text: str) -> list[str]:
    """Build the expressions SpiffWorkflow's DMNEngine will evaluate for one input cell."""
    # The engine runs _DMN_QUESTION on every evaluation, in time quadratic in length times `?` count.
    if len(text) > MAX_DMN_CELL or text.count("?") > MAX_DMN_QUESTION_MARKS:
        raise ExpressionRefused(f"单元格过长（上限 {MAX_DMN_CELL} 个字符、{MAX_DMN_QUESTION_MARKS} 个 ?）")
    if "?" in text and _DMN_QUESTION.search(text):
        return [input_text, _DMN_QUESTION.sub("dmninputexpr", text)]
    try:
        ast.parse(text)  # the engine's own test: a whole expression is compared with ==
        return [f"({input_text}) == ({text})"]
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        pass
    if re.match(r"\w", text) and re.search(r"\w\Z", input_text):
        # The engine concatenates without a space: `level` + `in (...)` becomes `levelin (...)`.
        raise ExpressionRefused("以关键字开头的单元格会与输入表达式粘连，请写成 ? in (...) 的形式")
    return [input_text + text]
