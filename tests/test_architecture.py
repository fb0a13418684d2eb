"""The house rules of STYLE.md, read from the source with `ast`: who may import what, who owns the transaction,
how long a module may grow, and no import cycles. Each failure names the file and line to fix."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 400
#: the kernel module that will own the savepoint helpers: the one place in casemgmt allowed to commit or roll back
TRANSACTION_KERNEL = "casemgmt/db.py"
TRANSACTION_CALLS = {"commit", "rollback"}
#: the kernel's session handle comes from Flask-SQLAlchemy; it is no request, and nothing else in casemgmt uses Flask
FLASK_IN_KERNEL = ("casemgmt/db.py", "flask_sqlalchemy")


@dataclass(frozen=True)
class Module:
    """One parsed source file: its dotted name, its path from the repository root, its syntax tree."""

    name: str
    path: str
    tree: ast.Module
    lines: int

    @property
    def is_package(self) -> bool:
        """Tell whether this is a package's __init__.py."""
        return self.path.endswith("__init__.py")


@dataclass(frozen=True)
class Import:
    """One import statement's target: `target` is the dotted name; `names` what `from target import ...` takes."""

    target: str
    names: tuple[str, ...]
    line: int


def parse_module(name: str, path: str, source: str) -> Module:
    """Parse one module's source."""
    return Module(name, path, ast.parse(source, filename=path), len(source.splitlines()))


def load_modules(*packages: str) -> dict[str, Module]:
    """Parse every .py file under the given top-level folders of the repository."""
    found = {}
    for package in packages:
        for file in sorted((ROOT / package).rglob("*.py")):
            relative = file.relative_to(ROOT)
            parts = relative.with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = parse_module(name, relative.as_posix(), file.read_text(encoding="utf-8"))
    return found


def _absolute(module: Module, node: ast.ImportFrom) -> str:
    """Return the dotted module a `from ... import` names, resolving relative imports."""
    if not node.level:
        return node.module or ""
    package = module.name.split(".")
    base = package if module.is_package else package[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(module: Module) -> Iterator[Import]:
    """Yield every import of the module, at any nesting level (inside functions and `if` blocks too)."""
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name, (), node.lineno)
        elif isinstance(node, ast.ImportFrom):
            yield Import(_absolute(module, node), tuple(alias.name for alias in node.names), node.lineno)


def _is_under(name: str, roots: Iterable[str]) -> bool:
    """Tell whether a dotted name is one of `roots` or inside one; a root `x_*` matches every top-level x_..."""
    return any(
        name == root or name.startswith(root + ".") or (root.endswith("*") and name.startswith(root[:-1]))
        for root in roots
    )


def forbidden_imports(module: Module, roots: Iterable[str]) -> list[str]:
    """Return `path:line imports x` for each import of the module that names something under `roots`."""
    roots = tuple(roots)
    found = sorted((imp.line, imp.target) for imp in imports_of(module) if _is_under(imp.target, roots))
    return [f"{module.path}:{line} imports {target}" for line, target in found]


def transaction_calls(module: Module) -> list[str]:
    """Return `path:line calls x.commit()` for each call of an attribute named commit or rollback."""
    found = sorted(
        (node.lineno, ast.unparse(node.func))
        for node in ast.walk(module.tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in TRANSACTION_CALLS
    )
    return [f"{module.path}:{line} calls {call}()" for line, call in found]


def import_graph(modules: dict[str, Module]) -> dict[str, dict[str, int]]:
    """Return each module's imports of the other modules, with the line of each import.

    `from pkg import mod` is an edge to the module pkg.mod when it is one, else to pkg; `import a.b` an edge to
    a.b (or its longest known parent). Importing a submodule runs its package's __init__ too, but that is not
    counted: the package's own imports are edges of their own.
    """
    graph: dict[str, dict[str, int]] = {name: {} for name in modules}
    for name, module in modules.items():
        for imp in imports_of(module):
            targets = [f"{imp.target}.{n}" if f"{imp.target}.{n}" in modules else imp.target for n in imp.names]
            for target in targets or [imp.target]:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].setdefault(target, imp.line)
    return graph


def strongly_connected(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Return the components of more than one module (the import cycles), by Tarjan's algorithm."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in graph.get(node, {}):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def describe_cycle(cycle: list[str], graph: dict[str, dict[str, int]], modules: dict[str, Module]) -> str:
    """Name a cycle's modules and the import lines that close it."""
    edges = [
        f"    {modules[source].path}:{line} imports {target}"
        for source in cycle
        for target, line in sorted(graph[source].items())
        if target in cycle
    ]
    return "cycle between " + ", ".join(cycle) + ":\n" + "\n".join(edges)


MODULES = load_modules("casemgmt", "web", "bench")
DOMAIN = {name: m for name, m in MODULES.items() if _is_under(name, ["casemgmt"])}
APPLICATION = {name: m for name, m in MODULES.items() if _is_under(name, ["casemgmt", "web"])}


def _report(problems: list[str], rule: str) -> str:
    return f"{rule}:\n" + "\n".join(problems)


def test_casemgmt_imports_neither_flask_nor_web():
    found = [p for module in DOMAIN.values() for p in forbidden_imports(module, ["flask", "flask_*", "web"])]
    path, extension = FLASK_IN_KERNEL
    problems = [p for p in found if not (p.startswith(f"{path}:") and p.endswith(f" imports {extension}"))]
    assert not problems, _report(problems, "casemgmt knows nothing of Flask or the web layer")


def test_only_the_engine_imports_spiffworkflow():
    outside = {name: m for name, m in MODULES.items() if not _is_under(name, ["casemgmt.engine"])}
    problems = [p for module in outside.values() for p in forbidden_imports(module, ["SpiffWorkflow"])]
    assert not problems, _report(problems, "only casemgmt/engine/ imports SpiffWorkflow")


def test_casemgmt_never_commits_or_rolls_back():
    domain = [m for m in DOMAIN.values() if m.path != TRANSACTION_KERNEL]
    problems = [p for module in domain for p in transaction_calls(module)]
    assert not problems, _report(problems, "the view, CLI command or worker commits; casemgmt flushes")


def test_no_module_passes_four_hundred_lines():
    problems = [
        f"{m.path}:{MAX_LINES + 1} is past the limit: {m.lines} lines"
        for m in APPLICATION.values()
        if m.lines > MAX_LINES
    ]
    assert not problems, _report(problems, f"past {MAX_LINES} lines, make a package")


@pytest.mark.parametrize("package", ["casemgmt", "web"])
def test_package_has_no_import_cycle(package):
    modules = {name: m for name, m in MODULES.items() if _is_under(name, [package])}
    graph = import_graph(modules)
    cycles = [describe_cycle(cycle, graph, modules) for cycle in strongly_connected(graph)]
    assert not cycles, _report(cycles, f"{package} has import cycles")


# The checker checks itself: a rule that cannot fail is a defect.


def test_the_checker_reads_the_whole_tree():
    assert {"casemgmt.db", "casemgmt.engine", "web.admin.routes", "web.api.routes"} <= MODULES.keys()
    assert len(DOMAIN) > 50 and len(APPLICATION) > len(DOMAIN) + 20


def _synthetic(name: str, source: str, package: bool = False) -> Module:
    path = name.replace(".", "/") + ("/__init__.py" if package else ".py")
    return parse_module(name, path, source)


def test_the_checker_finds_flask_and_web_imports_even_inside_functions():
    module = _synthetic(
        "casemgmt.leaky",
        "import os\n"
        "def view():\n"
        "    from flask import request\n"
        "    import flask_babel\n"
        "    from web.api import routes\n"
        "    from . import sibling\n",
    )
    assert forbidden_imports(module, ["flask", "flask_*", "web"]) == [
        "casemgmt/leaky.py:3 imports flask",
        "casemgmt/leaky.py:4 imports flask_babel",
        "casemgmt/leaky.py:5 imports web.api",
    ]


def test_the_checker_finds_spiffworkflow_imports():
    module = _synthetic("casemgmt.cases.peek", "from SpiffWorkflow.task import Task as SpiffTask\n")
    assert forbidden_imports(module, ["SpiffWorkflow"]) == ["casemgmt/cases/peek.py:1 imports SpiffWorkflow.task"]


def test_the_checker_finds_commit_and_rollback_calls():
    module = _synthetic(
        "casemgmt.eager", "def f(session):\n    session.flush()\n    db.session.commit()\n    sp.rollback()\n"
    )
    assert transaction_calls(module) == [
        "casemgmt/eager.py:3 calls db.session.commit()",
        "casemgmt/eager.py:4 calls sp.rollback()",
    ]


def test_the_checker_finds_an_import_cycle_through_from_package_import_module():
    modules = {
        "web.admin": _synthetic("web.admin", "", package=True),
        "web.admin.routes": _synthetic("web.admin.routes", "from web.admin import calendar\n"),
        "web.admin.calendar": _synthetic("web.admin.calendar", "def f():\n    from .routes import bp\n"),
        "web.admin.terms": _synthetic("web.admin.terms", "import web.admin.routes\n"),
    }
    graph = import_graph(modules)
    assert graph["web.admin.routes"] == {"web.admin.calendar": 1}
    assert graph["web.admin.calendar"] == {"web.admin.routes": 2}
    assert strongly_connected(graph) == [["web.admin.calendar", "web.admin.routes"]]
    assert "web/admin/calendar.py:2 imports web.admin.routes" in describe_cycle(
        ["web.admin.calendar", "web.admin.routes"], graph, modules
    )
