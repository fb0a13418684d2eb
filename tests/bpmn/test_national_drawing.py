"""The national library's drawing: every element drawn, edges joining their ends, no overlaps, left to right, and
Chinese names, so that each file opens readably in the Camunda Modeler."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from lxml import etree

from tests.bpmn.national import (
    DIAGRAM,
    FILES,
    NS,
    _process,
    _xml,
)

# ------------------------------------------------------------------------------------------ the drawing


def _bounds(tree: etree._ElementTree) -> dict[str, tuple[float, float, float, float]]:
    shapes = {}
    for shape in tree.iterfind(".//bpmndi:BPMNShape", NS):
        b = shape.find("dc:Bounds", NS)
        shapes[shape.get("bpmnElement")] = tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))
    return shapes


def _flow_nodes(process: etree._Element) -> list[etree._Element]:
    skip = {"sequenceFlow", "laneSet", "documentation", "extensionElements"}
    return [el for el in process if etree.QName(el).localname not in skip]


def _containers(process: etree._Element) -> list[etree._Element]:
    return [process, *process.iterfind(".//bpmn:subProcess", NS)]


def _file_process(path: Path) -> tuple[etree._ElementTree, etree._Element]:
    tree = etree.parse(str(path))
    return tree, tree.getroot().find("bpmn:process", NS)


DRAWN = pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])


@DRAWN
def test_every_flow_node_has_a_shape_and_every_flow_an_edge(path):
    tree, process = _file_process(path)
    shapes = _bounds(tree)
    edges = {e.get("bpmnElement"): e.findall("di:waypoint", NS) for e in tree.iterfind(".//bpmndi:BPMNEdge", NS)}
    for container in _containers(process):
        for node in _flow_nodes(container):
            if etree.QName(node).localname != "multiInstanceLoopCharacteristics":
                assert node.get("id") in shapes, node.get("id")
    for flow in process.iterfind(".//bpmn:sequenceFlow", NS):
        assert len(edges[flow.get("id")]) >= 2, flow.get("id")


def _touches(point: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
    x, y, w, h = box
    return x - 1 <= point[0] <= x + w + 1 and y - 1 <= point[1] <= y + h + 1


@DRAWN
def test_edges_run_from_their_source_to_their_target(path):
    tree, process = _file_process(path)
    shapes = _bounds(tree)
    flows = {f.get("id"): f for f in process.iterfind(".//bpmn:sequenceFlow", NS)}
    for edge in tree.iterfind(".//bpmndi:BPMNEdge", NS):
        points = [(float(p.get("x")), float(p.get("y"))) for p in edge.iterfind("di:waypoint", NS)]
        flow = flows[edge.get("bpmnElement")]
        assert _touches(points[0], shapes[flow.get("sourceRef")]), flow.get("id")
        assert _touches(points[-1], shapes[flow.get("targetRef")]), flow.get("id")


@DRAWN
def test_shapes_do_not_overlap_and_sub_processes_hold_their_steps(path):
    tree, process = _file_process(path)
    shapes = _bounds(tree)
    for container in _containers(process):
        hosts = {b.get("id"): b.get("attachedToRef") for b in container.iterfind("bpmn:boundaryEvent", NS)}
        nodes = [n.get("id") for n in _flow_nodes(container) if n.get("id")]
        for a, b in itertools.combinations(nodes, 2):
            if hosts.get(a) == b or hosts.get(b) == a or (a in hosts and b in hosts):
                continue
            (ax, ay, aw, ah), (bx, by, bw, bh) = shapes[a], shapes[b]
            assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, (a, b)
        if container is not process:
            sx, sy, sw, sh = shapes[container.get("id")]
            for node in nodes:
                x, y, w, h = shapes[node]
                assert sx <= x and x + w <= sx + sw and sy <= y and y + h <= sy + sh, node


def test_the_layout_reads_left_to_right():
    shapes = _bounds(etree.parse(str(DIAGRAM)))
    order = ["StartEvent_BadReview", "Gateway_Start", "Task_NotifyUnit", "Call_Callback", "Gateway_Outcome"]
    order += ["Call_Rectification", "Task_Feedback", "Call_Feedback", "Task_CloseCase", "End_Closed"]
    xs = [shapes[i][0] for i in order]
    assert xs == sorted(xs)


def test_every_element_has_a_chinese_name():
    process = _process(_xml())
    named = [n for c in _containers(process) for n in _flow_nodes(c)]
    named = [n for n in named if etree.QName(n).localname != "multiInstanceLoopCharacteristics"]
    defaults = _defaults(process)
    for flow in process.iterfind(".//bpmn:sequenceFlow", NS):
        if flow.find("bpmn:conditionExpression", NS) is not None or flow.get("id") in defaults:
            named.append(flow)
    for el in named:
        assert re.search(r"[\u4e00-\u9fff]", el.get("name") or ""), el.get("id")


def _defaults(process: etree._Element) -> set[str]:
    return {g.get("default") for g in process.iterfind(".//bpmn:exclusiveGateway", NS) if g.get("default")}
