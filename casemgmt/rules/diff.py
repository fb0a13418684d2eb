"""Compare two versions of a bundle element by element (BPMN ids), for an administrator and the diagram viewer.

An element is a flow node, sequence flow, lane, participant, process, message or DMN decision/rule. What it
holds without an id of its own (attributes, texts, timer and event definitions, extension properties) is
flattened into named fields, so that a changed due date or condition shows on the element it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from casemgmt.engine.validate.common import BPMN, CAMUNDA, DMN_NAMESPACES

_CONTAINERS = frozenset(
    f"{{{BPMN}}}{tag}"
    for tag in (
        "definitions",
        "process",
        "subProcess",
        "adHocSubProcess",
        "transaction",
        "collaboration",
        "laneSet",
        "childLaneSet",
        "lane",
    )
)
_DMN_ELEMENTS = frozenset({"decision", "input", "output", "rule"})
_PREFIXES = {BPMN: "", CAMUNDA: "camunda:", "http://www.w3.org/2001/XMLSchema-instance": "xsi:"}
_DI_NAMESPACES = frozenset(
    {
        "http://www.omg.org/spec/BPMN/20100524/DI",
        "http://www.omg.org/spec/DD/20100524/DC",
        "http://www.omg.org/spec/DD/20100524/DI",
    }
)
LABELS = {
    "@name": "名称",
    "@camunda:dueDate": "截止时间",
    "@camunda:formKey": "表单",
    "@camunda:candidateGroups": "办理角色",
    "@camunda:topic": "服务操作",
    "@default": "默认连线",
    "@sourceRef": "起点",
    "@targetRef": "终点",
    "@attachedToRef": "依附的任务",
    "@cancelActivity": "是否中断任务",
    "conditionExpression": "条件",
    "timerEventDefinition/timeDate": "定时器时间",
    "timerEventDefinition/timeDuration": "定时器时长",
    "timerEventDefinition/timeCycle": "定时器周期",
    "extensionElements/camunda:properties/camunda:property[candidateOrg]@value": "承办机构规则",
    "incoming": "进入连线",
    "outgoing": "离开连线",
    "flowNodeRef": "泳道内的元素",
    "documentation": "说明",
    "type": "元素类型",
}

Facets = dict[str, list[str]]


@dataclass
class _Element:
    id: str
    type: str
    name: str
    file: str
    facets: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict:
        return {"id": self.id, "type": self.type, "name": self.name, "file": self.file}


def _short(tag: str) -> str:
    qname = etree.QName(tag)
    return _PREFIXES.get(qname.namespace or "", "") + qname.localname


def _reportable(node: etree._Element) -> bool:
    if not node.get("id") or not isinstance(node.tag, str):
        return False
    qname = etree.QName(node)
    if qname.namespace in DMN_NAMESPACES:
        return qname.localname in _DMN_ELEMENTS
    parent = node.getparent()
    return qname.namespace == BPMN and (parent is None or parent.tag in _CONTAINERS)


def _collect(node: etree._Element, prefix: str, facets: Facets) -> None:
    """Flatten a node's attributes, text and id-less (or non-element) children into facets."""
    for attr, value in node.attrib.items():
        if attr != "id":
            _add(facets, f"{prefix}@{_short(attr)}", value)
    text = (node.text or "").strip()
    if text:
        _add(facets, prefix or "text", text)
    seen: dict[str, int] = {}
    for child in node.iterchildren(etree.Element):
        if _reportable(child) or etree.QName(child).namespace in _DI_NAMESPACES:
            continue
        key = _short(child.tag)
        seen[key] = seen.get(key, 0) + 1
        if child.get("name") and child.get("value") is not None:
            key += f"[{child.get('name')}]"
        elif etree.QName(child).namespace in DMN_NAMESPACES:
            key += f"[{seen[key]}]"  # DMN cells are told apart by column, not by their generated ids
        _collect(child, f"{prefix}/{key}" if prefix else key, facets)


def _add(facets: Facets, key: str, value: str) -> None:
    facets.setdefault(key, []).append(value)


def elements(files: dict[str, str]) -> dict[str, _Element]:
    """Index the reportable elements of every diagram file by id."""
    found: dict[str, _Element] = {}
    for name in sorted(files):
        if not name.endswith((".bpmn", ".dmn")):
            continue
        root = etree.fromstring(files[name].encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))
        for node in root.iter(etree.Element):
            if _reportable(node) and node is not root:
                facets: Facets = {}
                _collect(node, "", facets)
                flat = {key: ", ".join(sorted(values)) for key, values in facets.items()}
                found[node.get("id")] = _Element(
                    node.get("id"), etree.QName(node).localname, node.get("name") or "", name, flat
                )
    return found


def _changes(old: _Element, new: _Element) -> list[dict]:
    result = []
    if old.type != new.type:
        result.append({"field": "type", "label": LABELS["type"], "old": old.type, "new": new.type})
    for key in sorted(set(old.facets) | set(new.facets)):
        if old.facets.get(key) != new.facets.get(key):
            result.append(
                {"field": key, "label": LABELS.get(key, key), "old": old.facets.get(key), "new": new.facets.get(key)}
            )
    return result


def _layout(files: dict[str, str]) -> dict[str, str]:
    """Return each diagram file's drawing (bpmndi) as text, to tell layout-only edits."""
    result = {}
    for name, text in files.items():
        start = text.find("<bpmndi:BPMNDiagram")
        result[name] = text[start:] if start >= 0 else ""
    return result


def diff_files(old_files: dict[str, str], new_files: dict[str, str]) -> dict:
    """Return the elements added, removed and changed between two bundles, and the files that differ."""
    old, new = elements(old_files), elements(new_files)
    changed = []
    for element_id in sorted(set(old) & set(new)):
        if changes := _changes(old[element_id], new[element_id]):
            changed.append({**new[element_id].summary(), "old_name": old[element_id].name, "changes": changes})
    return {
        "added": [new[i].summary() for i in sorted(set(new) - set(old))],
        "removed": [old[i].summary() for i in sorted(set(old) - set(new))],
        "changed": changed,
        "files": {
            "added": sorted(set(new_files) - set(old_files)),
            "removed": sorted(set(old_files) - set(new_files)),
            "changed": sorted(n for n in set(old_files) & set(new_files) if old_files[n] != new_files[n]),
        },
        "layout_changed": _layout(old_files) != _layout(new_files),
    }
