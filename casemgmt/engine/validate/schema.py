"""Check BPMN files against the BPMN 2.0 XML schema that SpiffWorkflow ships, naming the nearest element."""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import SpiffWorkflow.bpmn.parser as spiff_parser
from lxml import etree

from casemgmt.engine.validate.common import BPMN, Problem, _Doc, _owner, _problem

MAX_SCHEMA_ERRORS = 5
_XSD = Path(spiff_parser.__file__).parent / "schema" / "BPMN20.xsd"
_LOCK = threading.Lock()  # an XMLSchema keeps the last error log on itself
_SHORT = {f"{{{BPMN}}}": "bpmn:", "{http://www.omg.org/spec/BPMN/20100524/DI}": "bpmndi:"}


@functools.cache
def _schema() -> etree.XMLSchema:
    """Load the schema from SpiffWorkflow's local copy (no network)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(_XSD), parser))


def schema_problems(doc: _Doc) -> Iterator[Problem]:
    """Yield the first few schema violations of a BPMN document."""
    schema = _schema()
    with _LOCK:
        valid = schema.validate(doc.root)
        errors = [(error.line, error.message) for error in schema.error_log][:MAX_SCHEMA_ERRORS]
    if valid:
        return
    for line, message in errors:
        for long, short in _SHORT.items():
            message = message.replace(long, short)
        element = _element_at(doc, line)
        text = f"不符合 BPMN 2.0 规范（第 {line} 行）：{_in_chinese(message)}"
        yield _problem(doc.name, element, "bpmn_schema", text)


_SCHEMA_TAG = re.compile(r"Element '([^']+)'")
_SCHEMA_ATTRIBUTE = re.compile(r"attribute '([^']+)'")


def _in_chinese(message: str) -> str:
    """Say what libxml2's (English) schema message is about: the element or attribute, and the kind of fault."""
    tag = _SCHEMA_TAG.search(message)
    attribute = _SCHEMA_ATTRIBUTE.search(message)
    what = f"元素 {tag.group(1)}" if tag else "此元素"
    if attribute:
        what += f" 的属性 {attribute.group(1)}"
    if "not expected" in message or "is not allowed" in message:
        return f"{what} 不应出现在此处"
    if "Missing child element" in message or "is required but missing" in message:
        return f"{what} 缺少必需的内容"
    if "is not a valid value" in message or "not accepted" in message:
        return f"{what} 的取值无效"
    return f"{what} 的写法不符合规范"


def _element_at(doc: _Doc, line: int) -> str | None:
    """Return the id owning the first element that starts on `line`."""
    for node in doc.root.iter(etree.Element):
        if node.sourceline == line:
            return _owner(node)
    return None
