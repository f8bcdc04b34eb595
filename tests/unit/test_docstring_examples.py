"""The docstrings' examples run as written. An example is a ```python block of a docstring (the
API pages show it as code; a ``>>>`` block of a module's docstring showed as a quote and was run
by nothing): each runs from a fresh interpreter in a folder laid out as the repository's root,
with ``examples/`` and the SYNTHETIC files the examples name, written as their docstrings say by
``examples/jc_from_loop.py --out loop/`` and ``examples/tutorial_files.py --out tutorial/``
(``--quick``: a 3 mm mesh for the Hall series)."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys

import pytest

from ..conftest import REPO

SRC = REPO / "src"
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
# the public parts whose docstring shows a first session
SHOWN = ("magnetometry", "optimize", "simulate", "simulate/calibrate", "store", "workflows")


def docstrings():
    """(file:line, docstring, whether a module's) of every module, class and function under
    src/fluxtrap."""
    for path in sorted((SRC / "fluxtrap").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            kinds = ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
            if isinstance(node, kinds) and (doc := ast.get_docstring(node)):
                where = f"{path.relative_to(SRC)}:{node.body[0].lineno}"
                yield where, doc, isinstance(node, ast.Module)


EXAMPLES = [(where, code) for where, doc, _ in docstrings() for code in PYTHON_BLOCK.findall(doc)]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """The repository's root as the examples see it: examples/, loop/ and tutorial/."""
    root = tmp_path_factory.mktemp("root")
    shutil.copytree(REPO / "examples", root / "examples")
    for script, *args in (
        ("jc_from_loop.py", "--out", "loop/"),
        ("tutorial_files.py", "--out", "tutorial/", "--quick"),
    ):
        done = subprocess.run(
            [sys.executable, f"examples/{script}", *args],
            cwd=root, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    return root


@pytest.mark.parametrize(("where", "code"), EXAMPLES, ids=[where for where, _ in EXAMPLES])
def test_each_docstring_example_runs_as_written(where, code, root, tmp_path):
    """magnetometry's named B2_mh_5K.dat and hall.csv and used tc_from_table, read_series and
    fit_creep unimported; optimize's told undefined X, y; store's and workflows' read a
    campaign.toml of no folder."""
    here = shutil.copytree(root, tmp_path / "root")
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=here, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{where}: its example fails:\n{done.stderr}"


def test_the_public_parts_show_examples_of_the_one_kind():
    with_examples = {where.split(":")[0] for where, _ in EXAMPLES}
    assert {f"fluxtrap/{part}/__init__.py" for part in SHOWN} <= with_examples
    quoted = [where for where, doc, module in docstrings() if module and ">>>" in doc]
    assert quoted == []  # web's two modules had one


def test_the_package_map_names_what_exists():
    """Each name the "where to start" list of ``help(fluxtrap)`` gives a part is an attribute of it
    from a fresh interpreter: ``fluxtrap.workflows.measurements`` was an AttributeError until
    imported, and ``store``'s ``history`` is ``Store.history``."""
    import fluxtrap

    parts = re.findall(r"^- ``(\w+)``: (.*?)(?=^- |\Z)", fluxtrap.__doc__, re.S | re.M)
    names = [
        f"{part}.{name.group(0)}"
        for part, text in parts
        for span in re.findall(r"``(.+?)``", text)
        if (name := re.match(r"[A-Za-z_][\w.]*", span))
    ]
    assert "workflows.measurements.record_measurement" in names
    code = (
        "import functools, fluxtrap\n"
        f"for name in {names!r}: functools.reduce(getattr, name.split('.'), fluxtrap)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
