"""Check the bundle across its files: duplicate ids, the main process, references and operation clashes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet

from lxml import etree

from casemgmt.engine.validate.common import BPMN, CAMUNDA, DMN_NAMESPACES, Problem, _Doc, _elements, _problem, _tag


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
