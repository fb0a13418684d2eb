"""The case's main diagram drawn on the server as SVG, with the path marked: for the printed dossier."""

from __future__ import annotations

from xml.etree import ElementTree
from xml.sax.saxutils import escape

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
DI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
DC = "{http://www.omg.org/spec/DD/20100524/DC}"
DDI = "{http://www.omg.org/spec/DD/20100524/DI}"
#: fill and stroke of an element by its mark
STYLES = {
    "current": ("#e3eefc", "#1558b0", 3),
    "timed_out": ("#fdecea", "#c62828", 2.5),
    "done": ("#e8f5e9", "#2e7d32", 2),
    "": ("#ffffff", "#52606d", 1.2),
}
EDGE_STYLES = {"done": ("#2e7d32", 2.2), "": ("#7b8794", 1)}
#: the width, in px, of one Chinese character of a label
CHAR = 12


def diagram_svg(xml: str, marks: dict[str, list[str]]) -> str:
    """Return an SVG drawing of the diagram's shapes and flows, coloured by done / current / timed-out marks."""
    root = ElementTree.fromstring(xml)
    kinds = {el.get("id"): el.tag.removeprefix(BPMN) for el in root.iter() if el.get("id")}
    names = {el.get("id"): " ".join((el.get("name") or "").split()) for el in root.iter() if el.get("id")}
    mark = _marks(marks)
    shapes, edges, box = [], [], [1e9, 1e9, -1e9, -1e9]
    for shape in root.iter(f"{DI}BPMNShape"):
        bounds = shape.find(f"{DC}Bounds")
        if bounds is None:
            continue
        x, y, w, h = (float(bounds.get(k) or 0) for k in ("x", "y", "width", "height"))
        _grow(box, x, y, x + w, y + h)
        element = shape.get("bpmnElement") or ""
        shapes.append(_shape(kinds.get(element, ""), names.get(element, ""), mark.get(element, ""), x, y, w, h))
    for edge in root.iter(f"{DI}BPMNEdge"):
        points = [(float(p.get("x") or 0), float(p.get("y") or 0)) for p in edge.iter(f"{DDI}waypoint")]
        for px, py in points:
            _grow(box, px, py, px, py)
        edges.append(_edge(points, mark.get(edge.get("bpmnElement") or "", "")))
    if box[0] > box[2]:
        return ""
    x0, y0, x1, y1 = box[0] - 10, box[1] - 10, box[2] + 10, box[3] + 30
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x0:.0f} {y0:.0f} {x1 - x0:.0f} {y1 - y0:.0f}" '
        f'class="diagram-svg" role="img" font-family="Noto Sans CJK SC, sans-serif" font-size="13">'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#52606d"/></marker></defs>'
        + "".join(shapes)
        + "".join(edges)
        + "</svg>"
    )


def _marks(marks: dict[str, list[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key in ("done", "timed_out", "current"):  # later wins: current over timed out over done
        for element in marks.get(key, []):
            out[element] = key
    return out


def _grow(box: list[float], x0: float, y0: float, x1: float, y1: float) -> None:
    box[0], box[1], box[2], box[3] = min(box[0], x0), min(box[1], y0), max(box[2], x1), max(box[3], y1)


def _shape(kind: str, name: str, mark: str, x: float, y: float, w: float, h: float) -> str:
    fill, stroke, width = STYLES[mark]
    dash = ' stroke-dasharray="6 3"' if mark == "timed_out" else ""
    paint = f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"{dash}'
    if kind in ("participant", "lane"):
        return f'<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="none" stroke="#c0c8d0"/>'
    if kind.endswith("Event"):
        ring = 3 if kind == "endEvent" else width
        circle = f'<circle cx="{x + w / 2}" cy="{y + h / 2}" r="{w / 2}" {paint} stroke-width="{ring}"/>'
        return circle + _label(name, x + w / 2, y + h + 14, 90)
    if kind.endswith("Gateway"):
        cx, cy = x + w / 2, y + h / 2
        diamond = f'<polygon points="{cx},{y} {x + w},{cy} {cx},{y + h} {x},{cy}" {paint}/>'
        return diamond + _label(name, cx, y + h + 14, 110)
    if kind == "textAnnotation":
        return ""
    rect = f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="8" {paint}/>'
    if kind == "callActivity":
        rect += f'<rect x="{x + 3}" y="{y + 3}" width="{w - 6}" height="{h - 6}" rx="6" fill="none" stroke="{stroke}"/>'
    return rect + _label(name, x + w / 2, y + h / 2, w - 8, middle=True)


def _label(name: str, cx: float, y: float, width: float, middle: bool = False) -> str:
    if not name:
        return ""
    per_line = max(1, int(width // CHAR))
    lines = [name[i : i + per_line] for i in range(0, len(name), per_line)][:4]
    top = y - (len(lines) - 1) * 7 + 4 if middle else y
    spans = "".join(f'<tspan x="{cx}" y="{top + i * 14:.1f}">{escape(line)}</tspan>' for i, line in enumerate(lines))
    return f'<text text-anchor="middle" fill="#1f2933">{spans}</text>'


def _edge(points: list[tuple[float, float]], mark: str) -> str:
    if len(points) < 2:
        return ""
    stroke, width = EDGE_STYLES.get(mark, EDGE_STYLES[""])
    path = " ".join(f"{px},{py}" for px, py in points)
    return f'<polyline points="{path}" fill="none" stroke="{stroke}" stroke-width="{width}" marker-end="url(#arrow)"/>'
