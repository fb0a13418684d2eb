"""Refuse diagrams that would make the engine or the timer worker do unbounded work ("bombs").

Each limit below is a named constant with the reason for its number; bpmn/CONVENTIONS.md lists them. The
engine applies MAX_LOOP_CARDINALITY again at run time to a cardinality given by an expression.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from casemgmt.engine.validate.common import BPMN, Problem, _Doc, _elements, _owner, _problem, _tag

#: instances of one multi-instance activity. The rules ask for at most a handful of parallel reviews or
#: co-signers; 100 leaves room for a unit-wide consultation while 100k instances took 14 s per case (probe).
MAX_LOOP_CARDINALITY = 100
#: shortest period of a repeating timer (timeCycle). Reminders and escalations run daily or hourly; a shorter
#: period only multiplies tasks (R/PT0S made 1,386 督办 tasks on one case in 3 minutes and starved other cases).
MIN_TIMER_CYCLE_SECONDS = 3600
#: repetitions of a repeating timer: a month of daily reminders; "R/" (unbounded) is refused.
MAX_TIMER_REPETITIONS = 31
#: flow nodes (tasks, events, gateways) of one process or sub-process: the bundled processes have under 60,
#: a region's largest conceivable procedure a few hundred; more means a generated diagram, not a procedure.
MAX_FLOW_NODES = 1000
#: characters of one expression. The longest bundled one is under 200; the budget of the whole bundle
#: (MAX_EXPRESSION_CHARS) bounds deploy time, this bounds the cost of evaluating one expression each time.
MAX_EXPRESSION_LENGTH = 2000

_FLOW_CONTAINERS = tuple(_tag(BPMN, t) for t in ("process", "subProcess", "adHocSubProcess", "transaction"))
#: elements that stop the engine until a person, a message or the clock moves it on
_WAIT_TAGS = frozenset(_tag(BPMN, t) for t in ("userTask", "receiveTask", "manualTask", "eventBasedGateway"))
_CATCH_TAGS = frozenset(_tag(BPMN, t) for t in ("intermediateCatchEvent", "boundaryEvent"))
_NOT_NODES = frozenset(
    _tag(BPMN, t)
    for t in (
        "sequenceFlow",
        "association",
        "textAnnotation",
        "dataObject",
        "dataObjectReference",
        "dataStoreReference",
        "laneSet",
        "lane",
        "flowNodeRef",
        "incoming",
        "outgoing",
        "documentation",
        "extensionElements",
        "ioSpecification",
        "property",
        "multiInstanceLoopCharacteristics",
        "standardLoopCharacteristics",
        "group",
        "category",
    )
)
_EXPRESSION_TAGS = (
    "conditionExpression",
    "loopCardinality",
    "completionCondition",
    "loopCondition",
    "condition",
    "timeDate",
    "timeDuration",
    "timeCycle",
)
_CYCLE = re.compile(r"R(\d*)/(?:(P[^/]+)|[^/]+/(P[^/]+)|(P[^/]+)/[^/]+)")
_DURATION = re.compile(
    r"P(?:(?P<Y>\d+(?:[.,]\d+)?)Y)?(?:(?P<Mo>\d+(?:[.,]\d+)?)M)?(?:(?P<W>\d+(?:[.,]\d+)?)W)?"
    r"(?:(?P<D>\d+(?:[.,]\d+)?)D)?(?:T(?:(?P<H>\d+(?:[.,]\d+)?)H)?(?:(?P<Mi>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<S>\d+(?:[.,]\d+)?)S)?)?"
)
_SECONDS = {"Y": 365 * 86400, "Mo": 30 * 86400, "W": 7 * 86400, "D": 86400, "H": 3600, "Mi": 60, "S": 1}


def _named(node: etree._Element | None, fallback: str | None) -> str:
    """Name an element for a message: “name”（id）, or its id alone."""
    if node is None:
        return fallback or "?"
    name = (node.get("name") or "").strip()[:100]
    return f"“{name}”（{node.get('id')}）" if name else str(node.get("id") or fallback or "?")


def _flow_node(doc: _Doc, node: etree._Element) -> etree._Element | None:
    """Return the flow element holding node (the owner whose id _owner reports)."""
    owner = _owner(node)
    return _by_id(doc).get(owner or "")


def _by_id(doc: _Doc) -> dict[str, etree._Element]:
    return {node.get("id"): node for node in _elements(doc.root) if node.get("id")}


def limit_problems(doc: _Doc) -> Iterator[Problem]:
    """Check one BPMN file against every limit."""
    by_id = _by_id(doc)
    yield from _cardinalities(doc, by_id)
    yield from _cycles(doc, by_id)
    yield from _expression_lengths(doc, by_id)
    for container in _elements(doc.root):
        if container.tag in _FLOW_CONTAINERS:
            yield from _node_count(doc, container)
            yield from _loops_without_wait(doc, container)


def _cardinalities(doc: _Doc, by_id: dict) -> Iterator[Problem]:
    for node in _elements(doc.root, _tag(BPMN, "loopCardinality")):
        text = (node.text or "").strip()
        owner = by_id.get(_owner(node) or "")
        if text.isdecimal() and int(text) > MAX_LOOP_CARDINALITY:
            message = f"{_named(owner, _owner(node))} 的多实例循环次数 {int(text)} 超过上限 {MAX_LOOP_CARDINALITY}"
            yield _problem(doc.name, _owner(node), "loop_cardinality", message)


def _cycles(doc: _Doc, by_id: dict) -> Iterator[Problem]:
    for node in _elements(doc.root, _tag(BPMN, "timeCycle")):
        element = _owner(node)
        who = _named(by_id.get(element or ""), element)
        if message := cycle_problem(node.text or ""):
            yield _problem(doc.name, element, "timer_cycle", f"{who} 的定时器 timeCycle {message}")


def cycle_problem(text: str) -> str | None:
    """Say what is wrong with a timeCycle text, or None when it repeats a bounded number of times slowly enough."""
    text = text.strip()
    match = _CYCLE.fullmatch(text)
    if match is None:
        return f"必须是写明次数的 ISO 8601 重复区间（如 R3/P1D），不能是 {text[:60]!r}"
    if not match.group(1):
        return f"{text[:60]!r} 不限重复次数，请写明次数（最多 {MAX_TIMER_REPETITIONS} 次，如 R3/P1D）"
    if int(match.group(1)) > MAX_TIMER_REPETITIONS:
        return f"重复 {int(match.group(1))} 次，超过上限 {MAX_TIMER_REPETITIONS} 次"
    period = next(g for g in match.groups()[1:] if g)
    seconds = duration_seconds(period)
    if seconds is None:
        return f"周期 {period[:40]!r} 不是 ISO 8601 时长"
    if seconds < MIN_TIMER_CYCLE_SECONDS:
        return f"周期 {period} 太短（至少 {MIN_TIMER_CYCLE_SECONDS // 3600} 小时，如 PT1H）"
    return None


def duration_seconds(text: str) -> float | None:
    """Return an ISO 8601 duration's length in seconds (a year 365 days, a month 30), or None if it is not one."""
    match = _DURATION.fullmatch(text.strip())
    if match is None or text.strip() in ("P", "PT") or text.strip().endswith("T"):
        return None
    return sum(float(v.replace(",", ".")) * _SECONDS[k] for k, v in match.groupdict().items() if v)


def _expression_lengths(doc: _Doc, by_id: dict) -> Iterator[Problem]:
    for tag in _EXPRESSION_TAGS:
        for node in _elements(doc.root, _tag(BPMN, tag)):
            if len(node.text or "") > MAX_EXPRESSION_LENGTH:
                element = _owner(node)
                message = (
                    f"{_named(by_id.get(element or ''), element)} 的 {tag} 表达式有 {len(node.text or '')} 个字符，"
                    f"超过上限 {MAX_EXPRESSION_LENGTH}"
                )
                yield _problem(doc.name, element, "expression_too_long", message)


def _nodes(container: etree._Element) -> list[etree._Element]:
    """Return the flow nodes directly inside a process or sub-process."""
    return [
        child
        for child in container
        if isinstance(child.tag, str) and etree.QName(child).namespace == BPMN and child.tag not in _NOT_NODES
    ]


def _node_count(doc: _Doc, container: etree._Element) -> Iterator[Problem]:
    count = len(_nodes(container))
    if count > MAX_FLOW_NODES:
        message = f"{_named(container, None)} 含 {count} 个流程节点，超过上限 {MAX_FLOW_NODES}"
        yield _problem(doc.name, container.get("id"), "too_many_flow_nodes", message)


def _waits(node: etree._Element) -> bool:
    """Tell whether the engine stops at node until a person, a message or the clock moves it on."""
    if node.tag in _WAIT_TAGS:
        return True
    if node.tag in _CATCH_TAGS:
        return True  # catch events wait for their message, signal or timer
    if node.tag == _tag(BPMN, "callActivity"):
        return True  # the called process is checked on its own
    if node.tag in _FLOW_CONTAINERS:
        return any(_waits(inner) for inner in _nodes(node))
    return False


def _loops_without_wait(doc: _Doc, container: etree._Element) -> Iterator[Problem]:
    """Refuse a cycle of sequence flows none of whose nodes waits: the engine would run it for ever at once."""
    nodes = {node.get("id"): node for node in _nodes(container) if node.get("id")}
    edges: dict[str, list[str]] = {node_id: [] for node_id in nodes}
    for node in nodes.values():
        attached = node.get("attachedToRef")
        if node.tag == _tag(BPMN, "boundaryEvent") and attached in edges:
            edges[attached].append(node.get("id"))
    for flow in container.iterchildren(_tag(BPMN, "sequenceFlow")):
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        if source in edges and target in nodes:
            edges[source].append(target)
    for component in _cycles_of(edges):
        if not any(_waits(nodes[node_id]) for node_id in component):
            first = min(component)
            names = "、".join(_named(nodes[n], n) for n in sorted(component)[:5])
            more = "等" if len(component) > 5 else ""
            message = (
                f"顺序流构成的循环 {names}{more} 中没有等待节点（用户任务、接收任务、消息或定时器捕获事件），"
                "引擎会立刻无限循环"
            )
            yield _problem(doc.name, first, "loop_without_wait", message)


def _cycles_of(edges: dict[str, list[str]]) -> Iterator[list[str]]:
    """Yield the strongly connected components that hold a cycle (Tarjan, iterative)."""
    search = _Tarjan(edges)
    for root in edges:
        if root not in search.index:
            yield from search.run(root)


class _Tarjan:
    """Tarjan's strongly connected components without recursion (a diagram may be deep)."""

    def __init__(self, edges: dict[str, list[str]]) -> None:
        self.edges = edges
        self.index: dict[str, int] = {}
        self.low: dict[str, int] = {}
        self.on_stack: set[str] = set()
        self.stack: list[str] = []

    def _visit(self, node: str) -> None:
        self.index[node] = self.low[node] = len(self.index)
        self.stack.append(node)
        self.on_stack.add(node)

    def run(self, root: str) -> Iterator[list[str]]:
        """Yield the cyclic components reachable from root."""
        self._visit(root)
        work = [(root, iter(self.edges[root]))]
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in self.index:
                    self._visit(child)
                    work.append((child, iter(self.edges[child])))
                elif child in self.on_stack:
                    self.low[node] = min(self.low[node], self.index[child])
                continue
            work.pop()
            if work:
                self.low[work[-1][0]] = min(self.low[work[-1][0]], self.low[node])
            if self.low[node] == self.index[node]:
                component = self._pop_component(node)
                if len(component) > 1 or node in self.edges[node]:
                    yield component

    def _pop_component(self, node: str) -> list[str]:
        component = []
        while True:
            member = self.stack.pop()
            self.on_stack.discard(member)
            component.append(member)
            if member == node:
                return component
