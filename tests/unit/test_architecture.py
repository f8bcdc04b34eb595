"""The dependency rules of ARCHITECTURE.md, checked on the source (every import, also those inside
functions, which is how the command line defers heavy libraries).

Layers, top to bottom; a module imports only from its own package or from lower layers, and
packages side by side in one layer never import each other:

    __main__ (python -m fluxtrap)
    cli
    demo | web
    workflows
    magnetometry | optimize | simulate | store
    campaign
    jctable | tomlfile | probetable
    units | inputs | outputs | lazy
    the package root (fluxtrap/__init__.py: __version__)
    errors

and no two modules import each other, directly or round a loop.

An AST scan rather than import-linter: no extra dependency, and the rules fit in these lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

LAYERS: list[set[str]] = [
    {"__main__"},  # python -m fluxtrap
    {"cli"},
    {"demo", "web"},
    {"workflows"},
    {"magnetometry", "optimize", "simulate", "store"},
    {"campaign"},
    {"jctable", "tomlfile", "probetable"},
    {"units", "inputs", "outputs", "lazy"},
    {""},  # the package root, fluxtrap/__init__.py (__version__)
    {"errors"},
]
LAYER = {group: i for i, groups in enumerate(LAYERS) for group in groups}


def modules(src: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the ``fluxtrap`` package under ``src``
    (Alembic's migration scripts are not part of the import graph)."""
    out = {}
    for path in sorted((src / "fluxtrap").rglob("*.py")):
        parts = path.relative_to(src).with_suffix("").parts
        if "migrations" in parts:
            continue
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def import_graph(src: Path) -> dict[str, set[str]]:
    """Module -> the fluxtrap modules it imports (``from a import b`` counts as ``a.b`` when
    that is a module, else as ``a``)."""
    known = modules(src)
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                deps |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the package, up level - 1
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                for a in node.names:
                    deps.add(f"{base}.{a.name}" if f"{base}.{a.name}" in known else base)
        graph[name] = {d for d in deps if d in known and d != name}
    return graph


def group(module: str) -> str:
    """``fluxtrap.simulate.case`` -> ``simulate``; the package root -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    """Every import that runs up the layers or across one layer, and every module outside them."""
    out = [f"{m}: {group(m)!r} is in no layer" for m in graph if group(m) not in LAYER]
    for a, deps in sorted(graph.items()):
        for b in sorted(deps):
            ga, gb = group(a), group(b)
            if ga == gb or ga not in LAYER or gb not in LAYER:
                continue
            if LAYER[gb] < LAYER[ga]:
                out.append(f"{a} imports {b}: {ga} is below {gb}")
            elif LAYER[gb] == LAYER[ga]:
                out.append(f"{a} imports {b}: {ga} and {gb} stand side by side")
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def without_package_inits(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph without the edges into a package's ``__init__`` from its own modules: a
    package that re-exports its modules' names is not a cycle."""
    return {a: {b for b in deps if not a.startswith(b + ".")} for a, deps in graph.items()}


def test_every_import_runs_down_the_layers():
    graph = import_graph(SRC)
    assert len(graph) > 60, f"only {len(graph)} modules found under {SRC}"
    assert layer_violations(graph) == []


def test_no_import_cycles():
    assert cycles(without_package_inits(import_graph(SRC))) == []


def test_the_checks_see_a_kernel_reaching_up_a_cycle_and_a_stray_module(tmp_path):
    """The checks themselves: a small tree that breaks each rule once."""
    pkg = tmp_path / "fluxtrap"
    files = {
        "__init__.py": "",
        "errors.py": "",
        "store/__init__.py": "",
        "store/store.py": "from fluxtrap.simulate.case import Case\n",  # side by side
        "simulate/__init__.py": "",
        "simulate/case.py": "def f():\n    from fluxtrap.workflows import sweep\n",  # upward
        "workflows/__init__.py": "",
        "workflows/sweep.py": "from fluxtrap.workflows.loop import x\n",
        "workflows/loop.py": "from fluxtrap.workflows import sweep\n",  # a cycle
        "scratch.py": "import fluxtrap.errors\n",  # in no layer
    }
    for name, text in files.items():
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).write_text(text)
    graph = import_graph(tmp_path)
    assert layer_violations(graph) == [
        "fluxtrap.scratch: 'scratch' is in no layer",
        "fluxtrap.simulate.case imports fluxtrap.workflows.sweep: simulate is below workflows",
        "fluxtrap.store.store imports fluxtrap.simulate.case: store and simulate stand side by side",
    ]
    assert cycles(without_package_inits(graph)) == [
        ["fluxtrap.workflows.loop", "fluxtrap.workflows.sweep"]
    ]
