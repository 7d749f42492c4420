"""
The shape of the code (README, "How it fits together"): imports go one way,
views → services → tasks → consumer side → models, and every module imports
on its own, in any order.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("site", "users", "blog")
CONSUMER_SIDE = {"users.mailings", "blog.reports", "blog.newsletter", "blog.importers.runner"}


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _product_modules():
    return {
        _module_name(path): path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts and path.name != "gunicorn.conf.py"
    }


MODULES = _product_modules()


def _imports(tree, modules):
    """(imported module, is at module level) for every import of a module in `modules`."""
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            if name in modules:
                found.append((name, id(node) in top_level))
                if isinstance(node, ast.ImportFrom):
                    break
    return found


def _graph(modules=MODULES):
    return {
        name: {target for target, _ in _imports(ast.parse(path.read_text()), modules) if target != name}
        for name, path in modules.items()
    }


def test_no_function_level_import_of_a_task_module():
    offenders = [
        f"{name} imports {target} inside a function"
        for name, path in MODULES.items()
        for target, top in _imports(ast.parse(path.read_text()), MODULES)
        if not top and target.endswith(".tasks")
    ]
    assert offenders == []


def test_the_import_graph_has_no_cycle():
    graph, state, cycles = _graph(), {}, []

    def visit(node, trail):
        state[node] = "open"
        for target in graph[node]:
            if state.get(target) == "open":
                cycles.append(" → ".join([*trail[trail.index(target) :], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[node] = "done"

    for module in graph:
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_layers_point_one_way():
    graph = _graph()
    wrong = []
    for module, targets in graph.items():
        for target in targets:
            if module in CONSUMER_SIDE and target.endswith((".tasks", ".services", ".views", ".admin")):
                wrong.append(f"consumer side {module} imports {target}")
            if module.endswith(".tasks") and target.endswith((".services", ".views", ".admin")):
                wrong.append(f"task module {module} imports {target}")
            if module.startswith("users") and target.startswith("blog"):
                wrong.append(f"{module} imports {target}: users never imports blog")
            if module.startswith("site") and module != "site.urls" and target.startswith(("users", "blog")):
                wrong.append(f"{module} imports {target}: site is shared infrastructure")
    assert wrong == []


def test_nothing_imports_tests():
    everything = {**MODULES, **{_module_name(p): p for d in ("bench", "harness") for p in (ROOT / d).rglob("*.py")}}
    offenders = [
        name
        for name, path in everything.items()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        and any(
            n == "tests" or n.startswith("tests.")
            for n in ([a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""])
        )
    ]
    assert offenders == []


@pytest.mark.parametrize("order", ["sorted", "reversed"])
def test_every_module_imports_in_any_order(order):
    names = sorted(MODULES)
    if order == "reversed":
        names.reverse()
    code = (
        "import os, site, sys; from pathlib import Path\n"
        f"site.__path__ = [{str(ROOT / 'site')!r}]\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'site.settings'\n"
        "import django; django.setup()\n"
        "import importlib\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        "print('imported', len(sys.modules))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "1", "DATA_DIR": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
