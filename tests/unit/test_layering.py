"""The package's folders are its pipeline, and imports run one way down it.

model (values) <- io (files, spec JSON, bundled data, git) <- extraction (pages) <-
analysis (diff, history, validation, checks, scan) <- output (formatters, exporters) <-
cli; testing (hypothesis strategies) and the Sphinx extension sit on top. An ``ast`` walk
over every module checks each import, in-function ones included (a lazy import is still
a dependency), and that no two modules import each other, directly or around a loop.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support import ROOT

PACKAGE = ROOT / "konvoy_portspec"
EXTENSION = ROOT / "sphinx_ext" / "konvoy_portspec_sphinx"

#: Rank of each part of the package: a module may import only its own rank or lower.
RANKS = {
    "konvoy_portspec.errors": 0,
    "konvoy_portspec.protocols": 0,
    "konvoy_portspec.release_names": 0,
    "konvoy_portspec.gc_pause": 0,
    "konvoy_portspec.version": 0,
    "konvoy_portspec.model": 1,
    "konvoy_portspec.io": 2,
    "konvoy_portspec.extraction": 3,
    "konvoy_portspec.sides": 3,  # what a command-line name means: release, file, page
    "konvoy_portspec.analysis": 4,
    "konvoy_portspec.output": 5,
    "konvoy_portspec": 6,  # the API facade (__init__): everything below the CLI
    "konvoy_portspec.cli": 7,
    "konvoy_portspec.__main__": 7,
    "konvoy_portspec.testing": 8,
    "konvoy_portspec_sphinx": 9,
}


def _module_name(path: Path) -> str:
    base = EXTENSION.parent if path.is_relative_to(EXTENSION) else ROOT
    parts = list(path.relative_to(base).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _rank(module: str) -> int | None:
    """The rank of the longest known prefix of ``module`` (None: not ours)."""
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        rank = RANKS.get(".".join(parts[:i]))
        if rank is not None:
            return rank
    return None


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imports(path: Path) -> list[tuple[str, int]]:
    """Our modules ``path`` imports (outside ``if TYPE_CHECKING:``), with their line."""
    tree = ast.parse(path.read_text("utf-8"), str(path))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            skipped.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    out = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import (use absolute)"
            base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                target = candidate if _is_module(candidate) else base
                out.append((target, node.lineno))
        elif isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
    return [(m, line) for m, line in out if _rank(m) is not None]


def _is_module(name: str) -> bool:
    for root in (ROOT, EXTENSION.parent):
        base = root.joinpath(*name.split("."))
        if base.with_suffix(".py").is_file() or (base / "__init__.py").is_file():
            return True
    return False


def _modules() -> dict[str, Path]:
    files = [*PACKAGE.rglob("*.py"), *EXTENSION.rglob("*.py")]
    return {_module_name(p): p for p in files if "__pycache__" not in p.parts}


MODULES = _modules()


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_run_one_way_down_the_pipeline(module):
    own = _rank(module)
    assert own is not None, f"{module} has no layer: add it to RANKS"
    upward = [
        f"{MODULES[module]}:{line}: {module} (rank {own}) imports {target} (rank {_rank(target)})"
        for target, line in _imports(MODULES[module])
        if (_rank(target) or 0) > own
    ]
    assert not upward, "\n".join(upward)


def test_no_import_cycles():
    graph = {
        module: {target for target, _ in _imports(path) if target in MODULES and target != module}
        for module, path in MODULES.items()
    }
    # A package's __init__ re-exporting its own submodules is not a cycle of layers.
    for module, targets in graph.items():
        graph[module] = {t for t in targets if not module.startswith(t + ".")}
    cycles = []
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*stack[stack.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_check_itself_sees_an_upward_import(tmp_path):
    """The walk must find the imports it is meant to forbid (a check that cannot fail
    is no check): a model module importing the CLI, hidden in a function."""
    fake = tmp_path / "fake.py"
    fake.write_text("def f():\n    from konvoy_portspec.cli import run\n")
    assert _imports(fake) == [("konvoy_portspec.cli", 2)]
