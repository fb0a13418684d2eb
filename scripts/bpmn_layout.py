"""Draw a BPMN file: (re)write its bpmndi section from the process, so bpmn-js and the Camunda Modeler show it.

Usage: python scripts/bpmn_layout.py bpmn/national/callback.bpmn [more files...]

The layout is plain: flow nodes in columns by their longest path from the start, branches in rows below,
a boundary event on the lower edge of its host, expanded sub-processes drawn around their own layout.
An administrator who wants a nicer drawing moves shapes in the Modeler; this tool is for files written by hand.
Shapes and edges are written one per line.
"""

from __future__ import annotations

import sys
from pathlib import Path

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"

COL, ROW, PAD = 150, 120, 30
SIZES = {"startEvent": (36, 36), "endEvent": (36, 36), "intermediateCatchEvent": (36, 36), "boundaryEvent": (36, 36)}
GATEWAY = (50, 50)
TASK = (100, 80)
SKIP = {"sequenceFlow", "laneSet", "documentation", "extensionElements", "multiInstanceLoopCharacteristics"}


def _local(node) -> str:
    return etree.QName(node).localname


def _size(node) -> tuple[int, int]:
    kind = _local(node)
    if kind in SIZES:
        return SIZES[kind]
    if kind.endswith("Gateway"):
        return GATEWAY
    return TASK


class Layout:
    """Positions (x, y, w, h) of every flow node and the waypoints of every flow, relative to (0, 0)."""

    def __init__(self) -> None:
        self.shapes: dict[str, tuple[int, int, int, int]] = {}
        self.expanded: set[str] = set()
        self.edges: dict[str, list[tuple[int, int]]] = {}
        self.width = self.height = 0


def layout_container(container) -> Layout:
    """Lay out the flow nodes of a process or sub-process."""
    nodes = [n for n in container if isinstance(n.tag, str) and _local(n) not in SKIP]
    boundaries = [n for n in nodes if _local(n) == "boundaryEvent"]
    plain = [n for n in nodes if _local(n) != "boundaryEvent" and n.get("triggeredByEvent") != "true"]
    event_subs = [n for n in nodes if n.get("triggeredByEvent") == "true"]
    flows = [f for f in container if isinstance(f.tag, str) and _local(f) == "sequenceFlow"]
    inner = {n.get("id"): layout_container(n) for n in nodes if _local(n) == "subProcess"}
    size = {}
    for n in nodes:
        nid = n.get("id")
        size[nid] = (inner[nid].width, inner[nid].height) if nid in inner else _size(n)
    host = {b.get("id"): b.get("attachedToRef") for b in boundaries}
    succ: dict[str, list[str]] = {}
    for f in flows:
        succ.setdefault(f.get("sourceRef"), []).append(f.get("targetRef"))
    # columns: longest path over the graph without back edges (DFS from the starts)
    ids = [n.get("id") for n in plain]
    starts = [n.get("id") for n in plain if _local(n) == "startEvent"] or ids[:1]
    col: dict[str, int] = {}
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}
    order: list[str] = []

    def visit(nid: str) -> None:
        state[nid] = 1
        outs = list(succ.get(nid, []))
        outs += [b for b, h in host.items() if h == nid]
        for target in outs:
            if state.get(target) == 1:
                back.add((nid, target))
            elif target not in state:
                visit(target)
        state[nid] = 2
        order.append(nid)

    for s in starts:
        if s not in state:
            visit(s)
    for nid in ids + list(host):
        if nid not in state:
            visit(nid)
    for nid in reversed(order):
        col.setdefault(nid, 0)
        if nid in host:
            col[nid] = col.get(host[nid], 0)
        for target in succ.get(nid, []):
            if (nid, target) not in back:
                col[target] = max(col.get(target, 0), col[nid] + 1)
    # rows: first come, first served per column, following the order of the flows
    row: dict[str, int] = {}
    used: dict[int, set[int]] = {}

    def place(nid: str, wanted: int) -> None:
        if nid in row or nid in host:
            return
        r = wanted
        while r in used.setdefault(col[nid], set()):
            r += 1
        row[nid] = r
        used[col[nid]].add(r)

    for nid in reversed(order):
        if nid in host:
            continue
        preds = [s for s, ts in succ.items() if nid in ts and s in row and (s, nid) not in back]
        bpreds = [host[s] for s in preds if s in host]
        base = min((row[p] for p in preds if p not in host), default=None)
        if base is None and bpreds:
            base = row.get(bpreds[0], 0) + 1
        if base is None:
            hp = [host[s] for s, ts in succ.items() if nid in ts and s in host and host[s] in row]
            base = row[hp[0]] + 1 if hp else 0
        place(nid, base)
    # boundary targets are placed after their host: redo nodes reached only from a boundary event
    cols = max(col.values(), default=0) + 1
    col_w = [COL] * cols
    for nid in ids:
        if nid in col:
            col_w[col[nid]] = max(col_w[col[nid]], size[nid][0] + 50)
    rows = max(row.values(), default=0) + 1
    row_h = [ROW] * rows
    for nid in ids:
        if nid in row:
            row_h[row[nid]] = max(row_h[row[nid]], size[nid][1] + 40)
    x0 = [PAD + sum(col_w[:c]) for c in range(cols)]
    y0 = [PAD + sum(row_h[:r]) for r in range(rows)]
    out = Layout()
    for nid in ids:
        if nid not in col or nid not in row:
            continue
        w, h = size[nid]
        c, r = col[nid], row[nid]
        x = x0[c] + (col_w[c] - w) // 2
        y = y0[r] + (row_h[r] - h) // 2
        out.shapes[nid] = (x, y, w, h)
        if nid in inner:
            out.expanded.add(nid)
            for cid, (cx, cy, cw, ch) in inner[nid].shapes.items():
                out.shapes[cid] = (cx + x, cy + y, cw, ch)
            out.expanded |= inner[nid].expanded
            for eid, points in inner[nid].edges.items():
                out.edges[eid] = [(px + x, py + y) for px, py in points]
    counts: dict[str, int] = {}
    for bid, hid in host.items():
        hx, hy, hw, hh = out.shapes[hid]
        k = counts[hid] = counts.get(hid, 0) + 1
        out.shapes[bid] = (hx + hw - 18 - 40 * (k - 1), hy + hh - 18, 36, 36)
    out.width = PAD * 2 + sum(col_w)
    out.height = PAD * 2 + sum(row_h)
    y_sub = out.height
    for sub in event_subs:
        sid = sub.get("id")
        lay = inner[sid]
        out.shapes[sid] = (PAD, y_sub, lay.width, lay.height)
        out.expanded.add(sid)
        for cid, (cx, cy, cw, ch) in lay.shapes.items():
            out.shapes[cid] = (cx + PAD, cy + y_sub, cw, ch)
        out.expanded |= lay.expanded
        for eid, points in lay.edges.items():
            out.edges[eid] = [(px + PAD, py + y_sub) for px, py in points]
        y_sub += lay.height + PAD
        out.width = max(out.width, lay.width + 2 * PAD)
    out.height = y_sub
    for f in flows:
        out.edges[f.get("id")] = _edge(out.shapes[f.get("sourceRef")], out.shapes[f.get("targetRef")])
    return out


def _edge(src, dst) -> list[tuple[int, int]]:
    sx, sy, sw, sh = src
    dx, dy, dw, dh = dst
    scx, scy, dcx, dcy = sx + sw // 2, sy + sh // 2, dx + dw // 2, dy + dh // 2
    if dx >= sx + sw:  # forward
        if abs(scy - dcy) < 2:
            return [(sx + sw, scy), (dx, dcy)]
        if sh == 36 and sw == 36 and dcy > scy:  # a boundary event going down
            return [(scx, sy + sh), (scx, dcy), (dx, dcy)]
        return [(sx + sw, scy), ((sx + sw + dx) // 2, scy), ((sx + sw + dx) // 2, dcy), (dx, dcy)]
    if dcy > scy + sh // 2 and abs(scx - dcx) < sw:  # straight down
        return [(scx, sy + sh), (dcx, dy)]
    if dcy > scy:  # down and back
        return [(scx, sy + sh), (scx, dcy), (dx + dw, dcy)]
    low = max(sy + sh, dy + dh) + 20  # a loop back
    return [(scx, sy + sh), (scx, low), (dcx, low), (dcx, dy + dh)]


def draw(path: Path) -> None:
    """Rewrite the bpmndi:BPMNDiagram of each process in the file."""
    text = path.read_text(encoding="utf-8")
    tree = etree.fromstring(text.encode("utf-8"))
    for old in tree.findall(f"{{{BPMNDI}}}BPMNDiagram"):
        tree.remove(old)
    lines = []
    for process in tree.findall(f"{{{BPMN}}}process"):
        pid = process.get("id")
        lay = layout_container(process)
        lines.append(f'  <bpmndi:BPMNDiagram id="Diagram_{pid}">')
        lines.append(f'    <bpmndi:BPMNPlane id="Plane_{pid}" bpmnElement="{pid}">')
        for nid, (x, y, w, h) in lay.shapes.items():
            extra = ' isExpanded="true"' if nid in lay.expanded else ""
            lines.append(
                f'      <bpmndi:BPMNShape id="{nid}_di" bpmnElement="{nid}"{extra}>'
                f'<dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}" /></bpmndi:BPMNShape>'
            )
        for eid, points in lay.edges.items():
            waypoints = "".join(f'<di:waypoint x="{x}" y="{y}" />' for x, y in points)
            lines.append(f'      <bpmndi:BPMNEdge id="{eid}_di" bpmnElement="{eid}">{waypoints}</bpmndi:BPMNEdge>')
        lines.append("    </bpmndi:BPMNPlane>")
        lines.append("  </bpmndi:BPMNDiagram>")
    head, _, _ = text.partition("  <bpmndi:BPMNDiagram")
    head = head.rstrip()
    if head.endswith("</bpmn:definitions>"):
        head = head[: -len("</bpmn:definitions>")].rstrip()
    path.write_text(head + "\n" + "\n".join(lines) + "\n</bpmn:definitions>\n", encoding="utf-8")


if __name__ == "__main__":
    for name in sys.argv[1:]:
        draw(Path(name))
