"""Load the bundle's files safely: names, sizes, encoding, no DTD or entity, the right root element."""

from __future__ import annotations

import re
from collections.abc import Mapping

from lxml import etree

from casemgmt.engine.validate.common import (
    BPMN,
    DMN_NAMESPACES,
    MAX_EXPRESSION_CHARS,
    Problem,
    _Budget,
    _Doc,
    _problem,
)

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ELEMENTS = 50_000

_FILE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}\.(bpmn|dmn)")
_ENCODING = re.compile(r"""\A\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")
_DTD = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)


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
        line, column = err.position if err.position else (0, 0)  # lxml's own (English) text is not shown
        return _problem(name, None, "xml_syntax", f"XML 格式错误（第 {line} 行第 {column} 列附近）：标签未闭合或不匹配")
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
