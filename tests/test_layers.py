"""The package shows its architecture: a folder per layer, imports only pointing down
(a module imports its own layer or the ones below), and no import circles."""

from __future__ import annotations

import ast
from pathlib import Path

import dunning_analytics

PACKAGE = Path(dunning_analytics.__file__).resolve().parent
# bottom to top: what every layer uses, the ledger, what comes in, the questions, what is
# shown, what a person does, the notebooks' views, the command line
LAYERS = ["common", "ledger", "ingest", "questions", "present", "act", "notebook", "cli"]


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(path: Path, top_level_only: bool = False) -> set[str]:
    """The package's modules `path` imports (absolute), anywhere or at module level only."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}:{node.lineno}: a relative import")
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dunning_analytics"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found & set(modules())


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def test_every_module_lives_in_a_layer_folder():
    loose = [m for m in modules() if m != "dunning_analytics" and layer(m) is None]
    assert not loose, loose


def test_imports_point_down_only():
    upward = []
    for module, path in modules().items():
        here = layer(module)
        for target in imports(path):
            there = layer(target)
            if here and there and LAYERS.index(there) > LAYERS.index(here):
                upward.append(f"{module} -> {target}")
    assert not upward, upward


def test_no_import_circles():
    graph = {m: imports(p, top_level_only=True) - {m} for m, p in modules().items()}
    seen, path, circles = set(), [], []

    def visit(module):
        if module in path:
            circles.append(path[path.index(module) :] + [module])
            return
        if module in seen:
            return
        seen.add(module)
        path.append(module)
        for target in sorted(graph.get(module, ())):
            visit(target)
        path.pop()

    for module in sorted(graph):
        visit(module)
    # a package's __init__ importing its own modules is no circle
    circles = [c for c in circles if not all(x.startswith(c[0]) or c[0].startswith(x) for x in c)]
    assert not circles, circles[:3]


def test_the_modules_of_before_the_layers_still_import_from_the_package():
    from dunning_analytics import MOVED, charts, letters, widgets

    assert charts.__name__ == "dunning_analytics.present.charts"
    assert letters.__name__ == "dunning_analytics.act.letters"
    assert widgets.__name__ == "dunning_analytics.notebook.widgets"
    for name, where in MOVED.items():
        assert getattr(dunning_analytics, name).__name__ == f"dunning_analytics.{where}.{name}"
