"""No import cycles in app/, counting every import: at the top of a file, inside functions,
and under TYPE_CHECKING.

A cycle hidden behind a late import still joins two modules that can no longer be read,
tested or moved apart, and import-linter's layer contracts see only the packages they name.
The walk reads the source with `ast` and runs nothing, so it needs no Qt and no display.
"""

from __future__ import annotations

import ast
from collections import deque
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"


def modules(root: Path) -> dict[str, Path]:
    """Every module of the package at `root`, by dotted name (a package by its own name)."""
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imported_names(node: ast.Import | ast.ImportFrom, current: str, is_package: bool) -> list[str]:
    """The dotted names one import statement asks for, relative ones made absolute.

    `from a import b` asks for `a`, and for `a.b` in case b is a module (a name that is not
    one falls back to `a` below).
    """
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = current.split(".") if is_package else current.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, base] if base else package)
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def import_graph(root: Path) -> dict[str, dict[str, int]]:
    """module -> {module it imports: the line of the first such import} inside the package.

    Each name is taken as the longest module it starts with (`app.vault.Vault` is app.vault).
    A package's `__init__` importing its own submodules is left out: re-exporting them makes
    no cycle, while a submodule importing its package still counts.
    """
    mods = modules(root)
    top = root.name
    graph: dict[str, dict[str, int]] = {name: {} for name in mods}
    for name, path in mods.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for wanted in _imported_names(node, name, is_package):
                target = wanted
                while target and target not in mods:
                    target = target.rpartition(".")[0]
                if not target or target == name or target.split(".")[0] != top:
                    continue
                if is_package and target.startswith(name + "."):
                    continue
                edges = graph[name]
                edges[target] = min(edges.get(target, node.lineno), node.lineno)
    return graph


def _components(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(graph[succ]))))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def _loop(graph: dict[str, dict[str, int]], component: list[str]) -> list[str]:
    """One shortest way round the component from its first module, as `module:line` steps
    (the line of the import that leads on)."""
    members = set(component)
    start = component[0]
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for succ in sorted(graph[node]):
            if succ not in members:
                continue
            if succ == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                path.reverse()
                steps = [
                    f"{a}:{graph[a][b]}" for a, b in zip(path, [*path[1:], start], strict=True)
                ]
                return [*steps, start]
            if succ not in came_from:
                came_from[succ] = node
                queue.append(succ)
    raise AssertionError(f"{component} is not a cycle")  # pragma: no cover - Tarjan says it is


def cycles(root: Path) -> list[str]:
    """Each import cycle in the package at `root`, in words: its modules, and one loop."""
    graph = import_graph(root)
    return [
        f"{' <-> '.join(component)} (e.g. {' -> '.join(_loop(graph, component))})"
        for component in _components(graph)
    ]


# -- the check -------------------------------------------------------------------------------


def test_app_has_no_import_cycles() -> None:
    found = cycles(APP)
    assert not found, "import cycles in app/ (module:line of the import that leads on):\n" + (
        "\n".join(found)
    )


# -- the walker itself, on small packages made here ------------------------------------------


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_a_cycle_through_an_import_inside_a_function_is_found(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/sub/__init__.py": "",
            "pkg/sub/a.py": "from pkg.sub.b import helper\n",
            "pkg/sub/b.py": (
                "def helper():\n"
                "    from . import a  # a module named in a from-import, relatively\n"
                "    return a\n"
            ),
        },
    )
    assert cycles(root) == [
        "pkg.sub.a <-> pkg.sub.b (e.g. pkg.sub.a:1 -> pkg.sub.b:2 -> pkg.sub.a)"
    ]


def test_a_cycle_under_type_checking_is_found(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/one.py": "import pkg.two\n",
            "pkg/two.py": "from .inner.three import THREE\n",
            "pkg/inner/__init__.py": "",
            "pkg/inner/three.py": (
                "from typing import TYPE_CHECKING\n"
                "THREE = 3\n"
                "if TYPE_CHECKING:\n"
                "    from ..one import Thing\n"  # two levels up: pkg.one
            ),
        },
    )
    assert cycles(root) == [
        "pkg.inner.three <-> pkg.one <-> pkg.two "
        "(e.g. pkg.inner.three:4 -> pkg.one:1 -> pkg.two:1 -> pkg.inner.three)"
    ]


def test_a_package_without_cycles_passes(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            # A package re-exporting its modules, which import the package: no cycle.
            "pkg/__init__.py": "from pkg.low import VALUE\nfrom .high import use\n",
            "pkg/low.py": "import json\nVALUE = json.dumps(1)\n",
            "pkg/high.py": (
                "from pkg import low\n"
                "from pkg.low import VALUE as SAME  # a name, not a module: pkg.low itself\n"
                "def use():\n"
                "    import pkg.low\n"
                "    return pkg.low.VALUE, low, SAME\n"
            ),
        },
    )
    assert import_graph(root) == {
        "pkg": {},
        "pkg.high": {"pkg": 1, "pkg.low": 1},
        "pkg.low": {},
    }
    assert cycles(root) == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("import pkg.a", {"pkg.a": 1}),
        ("import pkg.a.missing", {"pkg.a": 1}),
        ("from pkg import a", {"pkg": 1, "pkg.a": 1}),
        ("from . import a", {"pkg": 1, "pkg.a": 1}),
        ("from .a import name", {"pkg.a": 1}),
        ("import os.path", {}),
    ],
)
def test_imports_resolve_to_the_modules_they_load(
    tmp_path: Path, line: str, expected: dict[str, int]
) -> None:
    root = _package(tmp_path, {"pkg/__init__.py": "", "pkg/a.py": "", "pkg/b.py": line + "\n"})
    assert import_graph(root)["pkg.b"] == expected
