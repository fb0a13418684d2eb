"""Check a file's code hooks and a BPMN file's user tasks, service tasks and event gateways."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from collections.abc import Set as AbstractSet

from lxml import etree

from casemgmt.engine.sandbox import DEADLINE_FUNCTIONS, check_expression, strip_el_wrapper
from casemgmt.engine.validate.common import BPMN, CAMUNDA, SPIFF, Problem, _Doc, _elements, _owner, _problem, _tag
from casemgmt.engine.validate.deadlines import argument_problem, deadline_calls
from casemgmt.engine.validate.expressions import _expression
from casemgmt.errors import ExpressionRefused

_CODE_TAGS = {
    f"{{{CAMUNDA}}}script": "不允许使用 camunda:script 脚本",
    f"{{{CAMUNDA}}}executionListener": "不允许使用执行监听器 camunda:executionListener",
    f"{{{CAMUNDA}}}taskListener": "不允许使用任务监听器 camunda:taskListener",
    f"{{{CAMUNDA}}}connector": "不允许使用 camunda:connector，请使用 external 服务任务",
    f"{{{BPMN}}}scriptTask": "不允许使用脚本任务 scriptTask",
    f"{{{BPMN}}}script": "不允许使用脚本 bpmn:script",
}
_CODE_ATTRIBUTES = {
    f"{{{CAMUNDA}}}class": "不允许使用 Java 委托 camunda:class",
    f"{{{CAMUNDA}}}delegateExpression": "不允许使用 camunda:delegateExpression",
    f"{{{CAMUNDA}}}expression": "不允许使用 camunda:expression",
    f"{{{CAMUNDA}}}resource": "不允许引用外部脚本 camunda:resource",
}


# --- Code hooks ---------------------------------------------------------------------------


def _code_hooks(doc: _Doc) -> Iterator[Problem]:
    """Refuse script tasks, scripts, listeners, Java delegates and the spiffworkflow namespace."""
    for node in _elements(doc.root):
        if node.tag in _CODE_TAGS and not _inside_script_task(node):
            yield _problem(doc.name, _owner(node), "script_refused", _CODE_TAGS[node.tag])
        elif etree.QName(node).namespace == SPIFF:
            text = f"不允许使用 spiffworkflow 扩展 {etree.QName(node).localname}（含前后置脚本）"
            yield _problem(doc.name, _owner(node), "script_refused", text)
        for attribute in node.attrib:
            yield from _code_attribute(doc, node, attribute)


def _inside_script_task(node: etree._Element) -> bool:
    """Tell whether node sits inside a script task, which is reported once already."""
    return any(parent.tag == _tag(BPMN, "scriptTask") for parent in node.iterancestors())


def _code_attribute(doc: _Doc, node: etree._Element, attribute: str) -> Iterator[Problem]:
    """Refuse an attribute that names code to run."""
    if etree.QName(attribute).namespace == SPIFF:
        yield _problem(doc.name, _owner(node), "script_refused", "不允许使用 spiffworkflow 命名空间的属性")
    elif attribute in _CODE_ATTRIBUTES:
        payload = attribute == _tag(CAMUNDA, "expression") and node.tag == _tag(BPMN, "messageEventDefinition")
        if not payload:
            yield _problem(doc.name, _owner(node), "script_refused", _CODE_ATTRIBUTES[attribute])


# --- Tasks and gateways -------------------------------------------------------------------


def _lanes(doc: _Doc) -> dict[str, str]:
    """Map each flow node id to the name of its innermost lane."""
    lanes: dict[str, str] = {}
    for lane in _elements(doc.root, _tag(BPMN, "lane")):
        for ref in lane.findall(_tag(BPMN, "flowNodeRef")):
            if ref.text:
                lanes[ref.text.strip()] = lane.get("name") or ""
    return lanes


def _user_tasks(doc: _Doc, form_keys: AbstractSet[str], roles: AbstractSet[str]) -> Iterator[Problem]:
    """Check form key, role, due date and candidateOrg of every user task."""
    lanes = _lanes(doc)
    for task in _elements(doc.root, _tag(BPMN, "userTask")):
        task_id = task.get("id")
        form_key = task.get(_tag(CAMUNDA, "formKey"))
        if not form_key:
            yield _problem(doc.name, task_id, "form_key", "用户任务缺少 camunda:formKey")
        elif form_key not in form_keys:
            yield _problem(doc.name, task_id, "form_key", f"表单 {form_key} 不存在")
        yield from _role(doc, task, lanes.get(task_id or ""), roles)
        yield from _due_date(doc, task)
        for prop in task.iterfind(f"{{{BPMN}}}extensionElements/{{{CAMUNDA}}}properties/{{{CAMUNDA}}}property"):
            if prop.get("name") == "candidateOrg" and (
                problem := _expression(doc, task_id, "属性 candidateOrg", prop.get("value"))
            ):
                yield problem


def _role(doc: _Doc, task: etree._Element, lane: str | None, roles: AbstractSet[str]) -> Iterator[Problem]:
    """Require exactly one known role, from camunda:candidateGroups or else the lane name."""
    groups = task.get(_tag(CAMUNDA, "candidateGroups"))
    if groups is None:
        if lane not in roles:
            text = "用户任务必须用 camunda:candidateGroups 或所在泳道名指定一个角色：" + "、".join(sorted(roles))
            yield _problem(doc.name, task.get("id"), "role", text)
        return
    names = [name.strip() for name in groups.split(",") if name.strip()]
    if len(names) != 1 or names[0] not in roles:
        text = f"camunda:candidateGroups 必须恰好是一个角色（{'、'.join(sorted(roles))}），而不是 {groups!r}"
        yield _problem(doc.name, task.get("id"), "role", text)


def _due_date(doc: _Doc, task: etree._Element) -> Iterator[Problem]:
    """Check camunda:dueDate, which must call workdays, calendar_days or hours."""
    due = task.get(_tag(CAMUNDA, "dueDate"))
    if due is None:
        return
    try:
        tree = doc.budget.check(strip_el_wrapper(due))
    except ExpressionRefused as err:
        yield _problem(doc.name, task.get("id"), "expression_refused", f"截止时间 dueDate 被拒绝：{err.message}")
        return
    called = {node.func.id for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    if not called & DEADLINE_FUNCTIONS:
        text = "截止时间 dueDate 必须调用 workdays、calendar_days 或 hours"
        yield _problem(doc.name, task.get("id"), "due_date", text)
    elif message := argument_problem(tree):
        yield _problem(doc.name, task.get("id"), "due_date", f"截止时间 dueDate 无法计算：{message}")


def _service_tasks(doc: _Doc, operations: AbstractSet[str]) -> Iterator[Problem]:
    """Require external service tasks whose topic is a registered operation."""
    for task in _elements(doc.root, _tag(BPMN, "serviceTask")):
        task_id = task.get("id")
        if task.get(_tag(CAMUNDA, "type")) != "external":
            yield _problem(doc.name, task_id, "service_task", '服务任务必须是 camunda:type="external"')
        topic = task.get(_tag(CAMUNDA, "topic"))
        if topic not in operations:
            yield _problem(doc.name, task_id, "service_task", f"服务任务的 camunda:topic {topic!r} 不是已登记的操作")


def _event_gateways(doc: _Doc) -> Iterator[Problem]:
    """Refuse an event-based gateway followed by two or more timers (engine bug)."""
    by_id = {node.get("id"): node for node in _elements(doc.root) if node.get("id")}
    targets: dict[str, list[etree._Element]] = {}
    for flow in _elements(doc.root, _tag(BPMN, "sequenceFlow")):
        if flow.get("targetRef") in by_id:
            targets.setdefault(flow.get("sourceRef") or "", []).append(by_id[flow.get("targetRef")])
    timer = _tag(BPMN, "timerEventDefinition")
    for gateway in _elements(doc.root, _tag(BPMN, "eventBasedGateway")):
        timers = [t for t in targets.get(gateway.get("id") or "", []) if t.find(timer) is not None]
        if len(timers) >= 2:
            text = f"事件网关后最多只能有一个定时器（现有 {len(timers)} 个），引擎只会执行第一个"
            yield _problem(doc.name, gateway.get("id"), "event_gateway_timers", text)


def _due_timers(doc: _Doc) -> Iterator[Problem]:
    """Refuse a user task whose overdue timer fires at another instant than its due date.

    Both are expressions evaluated when the task starts, so the same text gives the same instant; a different
    text (dueDate `workdays(2)`, timer `workdays(3)`) escalates a day late or a day early.
    """
    tasks = {task.get("id"): task for task in _elements(doc.root, _tag(BPMN, "userTask"))}
    for event in _elements(doc.root, _tag(BPMN, "boundaryEvent")):
        task = tasks.get(event.get("attachedToRef") or "")
        time_date = event.find(f"{_tag(BPMN, 'timerEventDefinition')}/{_tag(BPMN, 'timeDate')}")
        if task is None or time_date is None:
            continue
        due = task.get(_tag(CAMUNDA, "dueDate"))
        if due is None:
            continue
        timer = (time_date.text or "").strip()
        if not (_computable(strip_el_wrapper(due)) and _computable(timer)):
            continue  # the expression's own problem is reported; a mismatch on top would be noise
        if _normal(strip_el_wrapper(due)) != _normal(strip_el_wrapper(timer)):
            text = (
                f"用户任务的截止时间 dueDate {due.strip()} 与其逾期定时器 {event.get('id')} 的 "
                f"timeDate {timer} 不一致，督办会早于或晚于办理期限触发；请让两者使用同一表达式"
            )
            yield _problem(doc.name, task.get("id"), "due_timer_mismatch", text)


def _computable(expression: str) -> bool:
    """Tell whether a deadline expression passes the whitelist and calls a deadline function correctly."""
    try:
        tree = check_expression(expression)
    except ExpressionRefused:
        return False
    return bool(deadline_calls(tree)) and argument_problem(tree) is None


def _normal(expression: str) -> str:
    return "".join(expression.split())
