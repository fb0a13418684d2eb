"""Share the namespaces, the Problem record, the expression budget and the XML helpers of the checks."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from lxml import etree

from casemgmt.engine.sandbox import check_expression
from casemgmt.errors import ExpressionRefused

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
# Per bundle, to bound deploy-time CPU (about 1 s): a check costs up to ~5 µs a character plus ~40 µs.
MAX_EXPRESSION_CHARS = 200_000
EXPRESSION_OVERHEAD = 50

_FLOW_CONTAINERS = frozenset(f"{{{BPMN}}}{tag}" for tag in ("process", "subProcess", "adHocSubProcess", "transaction"))


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
