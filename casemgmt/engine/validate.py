"""Deploy-time validation of a diagram bundle, at XML level, before SpiffWorkflow parses it.

The rules are bpmn/CONVENTIONS.md. Every problem names its file and element, in Chinese.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import asdict, dataclass
from itertools import chain, islice

from lxml import etree

from casemgmt.engine.sandbox import DEADLINE_FUNCTIONS, check_expression, is_iso_interval, strip_el_wrapper
from casemgmt.errors import DiagramInvalid, ExpressionRefused

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DMN_NAMESPACES = frozenset(
    {
        "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
        "http://www.omg.org/spec/DMN/20180521/MODEL/",
        "https://www.omg.org/spec/DMN/20191111/MODEL/",
    }
)
DEFAULT_ROLES = frozenset({"officer", "supervisor", "coordinator", "admin", "auditor"})
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_BUNDLE_BYTES = 10 * 1024 * 1024
HIT_POLICIES = frozenset({"UNIQUE", "COLLECT"})
MAX_DMN_CELL = 1_000
# Per bundle, to bound deploy-time CPU (about 1 s): a check costs up to ~5 µs a character plus ~40 µs.
MAX_EXPRESSION_CHARS = 200_000
EXPRESSION_OVERHEAD = 50
MAX_ELEMENTS = 50_000
MAX_PROBLEMS = 200
MAX_DMN_QUESTION_MARKS = 5

_FILE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}\.(bpmn|dmn)")
_ENCODING = re.compile(r"""\A\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")
_DTD = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# The DMN engine's own pattern for a `?` outside quotes (SpiffWorkflow.dmn.engine.DMNEngine).
_DMN_QUESTION = re.compile(r"""(\?)(?=(?:[^'"]|['"][^'"]*['"])*$)""")
_FLOW_CONTAINERS = frozenset(f"{{{BPMN}}}{tag}" for tag in ("process", "subProcess", "adHocSubProcess", "transaction"))
_EXPRESSION_TAGS = {
    "conditionExpression": "条件表达式",
    "loopCardinality": "循环次数 loopCardinality",
    "completionCondition": "完成条件 completionCondition",
    "loopCondition": "循环条件 loopCondition",
    "condition": "条件事件的条件",
    "messagePath": "消息关联表达式 messagePath",
}
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


@dataclass(frozen=True)
class Problem:
    """One reason a bundle is refused."""

    file: str
    element: str | None
    message: str
    code: str

    def as_dict(self) -> dict[str, str | None]:
        """Return the problem as a JSON-ready dict."""
        return asdict(self)


class _Budget:
    """The expression text a bundle may still have checked."""

    def __init__(self, chars: int) -> None:
        self.chars = chars

    def spend(self, text: str) -> None:
        """Charge text to the budget, refusing once it is spent."""
        self.chars -= len(text) + EXPRESSION_OVERHEAD
        if self.chars < 0:
            raise ExpressionRefused("流程包中的表达式总量超过上限，请精简")

    def check(self, text: str) -> ast.Expression:
        """Charge text, then check it against the whitelist."""
        self.spend(text)
        return check_expression(text)


@dataclass(frozen=True)
class _Doc:
    name: str
    root: etree._Element
    is_dmn: bool
    budget: _Budget


def _problem(file: str, element: str | None, code: str, text: str) -> Problem:
    """Build a problem whose message names the file and the element."""
    element = element[:200] if element else None
    where = f"文件 {file}，元素 {element}" if element else f"文件 {file}"
    return Problem(file=file, element=element, message=f"{where}：{text}", code=code)


def _tag(namespace: str, name: str) -> str:
    """Return the Clark notation of a namespaced tag."""
    return f"{{{namespace}}}{name}"


def _elements(root: etree._Element, tag: str | None = None) -> Iterator[etree._Element]:
    """Iterate the elements under root (comments and processing instructions skipped)."""
    return root.iter(tag) if tag else root.iter(etree.Element)


def _owner(element: etree._Element) -> str | None:
    """Return the id of the flow element holding element, else of its nearest ancestor with an id."""
    nearest = None
    node = element
    while node is not None:
        parent = node.getparent()
        if node.get("id"):
            nearest = nearest or node.get("id")
            if parent is not None and parent.tag in _FLOW_CONTAINERS:
                return node.get("id")
        node = parent
    return nearest


# --- Loading ------------------------------------------------------------------------------


def _parser() -> etree.XMLParser:
    """Return a parser that resolves no entity, loads no DTD and touches no network."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False
    )


def _load(name: str, data: bytes, budget: _Budget) -> _Doc | Problem:
    """Parse one file safely, or say why it cannot be parsed."""
    if not _FILE_NAME.fullmatch(name):
        return _problem(name, None, "file_name", "文件名只能含字母、数字、_ . -，并以 .bpmn 或 .dmn 结尾")
    if len(data) > MAX_FILE_BYTES:
        return _problem(name, None, "file_too_large", "文件超过 2 MiB")
    try:
        text = data.decode("utf-8")
    except (UnicodeDecodeError, AttributeError):
        return _problem(name, None, "not_utf8", "文件必须是 UTF-8 编码")
    declared = _ENCODING.match(text.lstrip("\ufeff"))
    if declared and declared.group(1).lower() not in ("utf-8", "utf8"):
        return _problem(name, None, "not_utf8", f"文件声明的编码 {declared.group(1)} 不是 UTF-8")
    if _DTD.search(text):
        return _problem(name, None, "doctype", "文件不允许包含 DOCTYPE 或 ENTITY 声明")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as err:
        return _problem(name, None, "xml_syntax", f"XML 格式错误：{err.msg}")
    if root.getroottree().docinfo.doctype:
        return _problem(name, None, "doctype", "文件不允许包含 DOCTYPE 声明")
    return _root_kind(name, root, budget)


def _root_kind(name: str, root: etree._Element, budget: _Budget) -> _Doc | Problem:
    """Accept a bpmn:definitions root in .bpmn files and a dmn:definitions root in .dmn files."""
    qname = etree.QName(root)
    is_dmn = qname.namespace in DMN_NAMESPACES
    if qname.localname != "definitions" or not (is_dmn or qname.namespace == BPMN):
        return _problem(name, None, "root", "根元素必须是 bpmn:definitions 或 dmn:definitions（DMN 1.1–1.3）")
    if is_dmn != name.endswith(".dmn"):
        return _problem(name, None, "root", "文件扩展名与内容不符（.bpmn 放 BPMN，.dmn 放 DMN）")
    return _Doc(name, root, is_dmn, budget)


def _load_all(files: Mapping[str, bytes]) -> tuple[list[_Doc], list[Problem]]:
    """Load every file of the bundle, in name order."""
    docs: list[_Doc] = []
    problems: list[Problem] = []
    budget = _Budget(MAX_EXPRESSION_CHARS)
    elements = 0
    for name in sorted(files):
        loaded = _load(name, files[name], budget)
        if isinstance(loaded, _Doc):
            elements += sum(1 for _ in loaded.root.iter())
            if elements > MAX_ELEMENTS:
                loaded = _problem(name, None, "too_many_elements", f"流程包的 XML 元素超过 {MAX_ELEMENTS} 个")
        (docs if isinstance(loaded, _Doc) else problems).append(loaded)
    return docs, problems


# --- Expressions --------------------------------------------------------------------------


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


def _multi_instance(doc: _Doc) -> Iterator[Problem]:
    """Require camunda:collection and camunda:elementVariable to be plain variable names."""
    for loop in _elements(doc.root, _tag(BPMN, "multiInstanceLoopCharacteristics")):
        for attribute in ("collection", "elementVariable"):
            value = loop.get(_tag(CAMUNDA, attribute))
            if value is not None and not _IDENTIFIER.fullmatch(value):
                text = f"camunda:{attribute} 必须是变量名（字母开头，只含字母、数字和 _），不能是 {value!r}"
                yield _problem(doc.name, _owner(loop), "expression_refused", text)


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


# --- DMN ----------------------------------------------------------------------------------


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


# --- Bundle -------------------------------------------------------------------------------


def _ids(doc: _Doc) -> list[str]:
    """Return every id in the document, in document order."""
    return [node.get("id") for node in _elements(doc.root) if node.get("id")]


def _semantic_ids(doc: _Doc) -> set[str]:
    """Return ids of BPMN and DMN model elements (not diagram shapes, not the root)."""
    namespaces = DMN_NAMESPACES | {BPMN}
    return {
        node.get("id")
        for node in _elements(doc.root)
        if node is not doc.root and node.get("id") and etree.QName(node).namespace in namespaces
    }


def _duplicate_ids(docs: list[_Doc]) -> Iterator[Problem]:
    """Name ids used twice in one file, or by model elements of two files."""
    for doc in docs:
        for element, count in Counter(_ids(doc)).items():
            if count > 1:
                yield _problem(doc.name, element, "duplicate_id", f"id 重复出现 {count} 次")
    first_seen: dict[str, str] = {}
    for doc in docs:
        for element in sorted(_semantic_ids(doc)):
            if element in first_seen:
                yield _problem(doc.name, element, "duplicate_id", f"id 与文件 {first_seen[element]} 中的元素重复")
            first_seen.setdefault(element, doc.name)


def _main_process(docs: list[_Doc], main_process: str) -> Iterator[Problem]:
    """Require the main process in exactly one file."""
    holders = [doc.name for doc in docs if main_process in _process_ids([doc])]
    if not holders:
        yield _problem(f"{main_process}.bpmn", main_process, "main_process", f"流程包中没有主流程 {main_process}")
    for name in holders[1:]:
        yield _problem(name, main_process, "main_process", f"主流程 {main_process} 已在文件 {holders[0]} 中定义")


def _process_ids(docs: Iterable[_Doc]) -> set[str]:
    """Return the ids of every process in docs."""
    return {node.get("id") for doc in docs for node in _elements(doc.root, _tag(BPMN, "process")) if node.get("id")}


def _references(docs: list[_Doc]) -> Iterator[Problem]:
    """Require call activities and business rule tasks to name a process or decision of the bundle."""
    processes = _process_ids(docs)
    decisions = {
        node.get("id")
        for doc in docs
        if doc.is_dmn
        for node in doc.root.findall(_tag(etree.QName(doc.root).namespace, "decision"))
    }
    for doc in docs:
        for call in _elements(doc.root, _tag(BPMN, "callActivity")):
            if call.get("calledElement") not in processes:
                text = f"调用活动的 calledElement {call.get('calledElement')!r} 不是本流程包中的流程"
                yield _problem(doc.name, call.get("id"), "call_activity", text)
        for task in _elements(doc.root, _tag(BPMN, "businessRuleTask")):
            if task.get(_tag(CAMUNDA, "decisionRef")) not in decisions:
                ref = task.get(_tag(CAMUNDA, "decisionRef"))
                text = f"业务规则任务的 camunda:decisionRef {ref!r} 不是本流程包中的决策"
                yield _problem(doc.name, task.get("id"), "decision_ref", text)


def _operation_clashes(docs: list[_Doc], operations: AbstractSet[str]) -> Iterator[Problem]:
    """Refuse element ids equal to an operation name (the engine then parses silently wrong)."""
    for doc in docs:
        for element in sorted(set(_ids(doc)) & set(operations)):
            yield _problem(doc.name, element, "operation_id_clash", f"元素 id 不能与服务操作同名：{element}")


def _document_problems(
    doc: _Doc, form_keys: AbstractSet[str], operations: AbstractSet[str], roles: AbstractSet[str]
) -> Iterator[Problem]:
    """Run every single-file check on doc."""
    yield from _code_hooks(doc)
    if doc.is_dmn:
        yield from _dmn(doc)
        return
    yield from _user_tasks(doc, form_keys, roles)
    yield from _service_tasks(doc, operations)
    yield from _expression_texts(doc)
    yield from _timers(doc)
    yield from _multi_instance(doc)
    yield from _event_gateways(doc)


def validate_bundle(
    files: Mapping[str, bytes],
    *,
    form_keys: AbstractSet[str],
    operations: AbstractSet[str],
    roles: AbstractSet[str] = DEFAULT_ROLES,
    main_process: str = "bad_review",
) -> list[Problem]:
    """Check a bundle of .bpmn and .dmn files against the conventions; return every problem found."""
    if sum(len(data) for data in files.values()) > MAX_BUNDLE_BYTES:
        return [_problem("*", None, "bundle_too_large", "流程包总大小超过 10 MiB")]
    docs, problems = _load_all(files)
    checks = chain(
        chain.from_iterable(_document_problems(doc, form_keys, operations, roles) for doc in docs),
        _main_process(docs, main_process),
        _duplicate_ids(docs),
        _references(docs),
        _operation_clashes(docs, operations),
    )
    problems.extend(islice(checks, MAX_PROBLEMS + 1))
    if len(problems) > MAX_PROBLEMS:
        problems[MAX_PROBLEMS:] = [_problem("*", None, "too_many_problems", f"问题超过 {MAX_PROBLEMS} 个，其余未列出")]
    return problems


def check_bundle(
    files: Mapping[str, bytes],
    *,
    form_keys: AbstractSet[str],
    operations: AbstractSet[str],
    roles: AbstractSet[str] = DEFAULT_ROLES,
    main_process: str = "bad_review",
) -> None:
    """Raise DiagramInvalid listing every problem of the bundle, if it has any."""
    problems = validate_bundle(
        files, form_keys=form_keys, operations=operations, roles=roles, main_process=main_process
    )
    if problems:
        summary = f"流程包校验未通过，共 {len(problems)} 个问题。{problems[0].message}"
        raise DiagramInvalid(summary, details=[problem.as_dict() for problem in problems])
