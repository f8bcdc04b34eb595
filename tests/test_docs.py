"""The documentation site (mkdocs.yml) builds offline with warnings as errors: the README, the
architecture, one tutorial per workflow and the API reference from the docstrings."""

from __future__ import annotations

import ast
import doctest
import importlib
import os
import re
import shlex
import subprocess
import sys
import tomllib

import pytest

from fluxtrap.errors import FluxtrapError

from .conftest import REPO

TUTORIALS = ("campaign", "measurement", "simulation", "dashboard", "sweep")


def test_the_docs_site_builds_strictly(tmp_path):
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=REPO, capture_output=True, text=True, timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "make demo" in (site / "index.html").read_text()  # the README is the home page
    for name in TUTORIALS:
        assert (site / "tutorials" / name / "index.html").is_file()
    api = (site / "reference" / "store" / "index.html").read_text()
    assert "Create a user whose API" in api  # Store.add_user's docstring
    for page in ("store", "magnetometry", "optimize", "simulate", "errors"):
        html = (site / "reference" / page / "index.html").read_text()
        module = importlib.import_module(f"fluxtrap.{page}")
        names = getattr(module, "__all__", [n for n in vars(module) if n[0].isupper()])
        missing = [n for n in names if f'id="fluxtrap.{page}.{n}"' not in html]
        assert not missing, f"the {page} API page lacks {missing}"  # optimize's lacked all 8


def test_the_lazy_optimize_exports_are_its_all():
    import fluxtrap.optimize as optimize

    assert optimize.__all__ == sorted(optimize._EXPORTS)


def test_the_package_shows_its_parts_to_tab_completion_and_help():
    """``fluxtrap.<tab>`` listed FluxtrapError and errors alone, and ``fluxtrap.store`` was an
    AttributeError until imported: the parts are imported on first use and listed by dir()."""
    import fluxtrap

    assert set(fluxtrap.SUBPACKAGES) <= set(dir(fluxtrap))
    for name in fluxtrap.SUBPACKAGES:
        assert getattr(fluxtrap, name) is importlib.import_module(f"fluxtrap.{name}")
        assert f"``{name}``" in fluxtrap.__doc__  # help(fluxtrap) says where to start
    with pytest.raises(AttributeError, match="no attribute 'stor'"):
        fluxtrap.stor  # noqa: B018
    light = (
        "import fluxtrap, sys; print(sorted(m for m in sys.modules if m.startswith('fluxtrap')))"
    )
    done = subprocess.run([sys.executable, "-c", light], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["['fluxtrap',", "'fluxtrap.errors']"], done.stdout


# -- what the pages claim, checked against the code -------------------------------------------
PAGES = (
    "README.md",
    "ARCHITECTURE.md",
    "examples/README.md",
    *(f"docs/tutorials/{t}.md" for t in TUTORIALS),
)
# options of programs that are not fluxtrap's, shown beside it (dask, curl, pip, mkdocs)
FOREIGN_OPTIONS = {
    "--protocol",
    "--port",
    "--nworkers",
    "--nthreads",
    "--data",
    "--all",
    "--strict",
    "--help",
}


def page_lines(pages=PAGES):
    """(page, line number, text) of every line of the pages, a `\\` continuation joined on."""
    for page in pages:
        text = (REPO / page).read_text(encoding="utf-8").replace("\\\n", " ")
        for number, line in enumerate(text.splitlines(), 1):
            yield page, number, line


def cli_tree():
    import typer.main

    from fluxtrap.cli import app

    return typer.main.get_command(app)


def options_of(command) -> set[str]:
    return {o for p in command.params for o in (*p.opts, *p.secondary_opts)} | {"--help"}


def documented_command_mistakes(lines) -> list[str]:
    """Every `fluxtrap COMMAND [SUBCOMMAND] ... --option` on the lines names a real command and
    options that command has (up to the end of the code span, a comment or the next command)."""
    root = cli_tree()
    wrong = []
    for page, number, line in lines:
        for m in re.finditer(r"\bfluxtrap ([a-z][a-z-]*)((?:[^`#\n;|](?!\bfluxtrap ))*)", line):
            if m.group(1) not in root.commands:
                continue  # prose ("fluxtrap carries ..."), not a command
            command, rest = root.commands[m.group(1)], m.group(2)
            if hasattr(command, "commands"):  # a group: the next word is its subcommand
                sub = re.match(r"\s+([a-z][a-z-]*)\b", rest)
                if sub is None:
                    continue
                if sub.group(1) not in command.commands:
                    wrong.append(f"{page}:{number}: fluxtrap {m.group(1)} has no {sub.group(1)!r}")
                    continue
                command, rest = command.commands[sub.group(1)], rest[sub.end() :]
            known = options_of(command)
            for option in re.findall(r"(?<![\w/=-])(--?[a-zA-Z][\w-]*)", rest):
                if option not in known:
                    wrong.append(f"{page}:{number}: {command.name!r} has no option {option}")
    return wrong


def documented_option_mistakes(lines) -> list[str]:
    """Every `--option` on the lines is one of a fluxtrap command, an example or bench script, or
    of the other programs the pages show (``--tls-*`` stands for its family)."""
    known = set(FOREIGN_OPTIONS)

    def walk(command):
        known.update(options_of(command))
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(cli_tree())
    for script in (*(REPO / "examples").glob("*.py"), *(REPO / "bench").glob("*.py")):
        known.update(
            re.findall(r"""["'](--[a-zA-Z][\w-]*)["']""", script.read_text(encoding="utf-8"))
        )
    wrong = []
    for page, number, line in lines:
        for option in re.findall(r"(?<![\w/=-])(--[a-zA-Z][\w-]*)", line):
            family = option.endswith("-") and any(k.startswith(option) for k in known)
            if option not in known and not family:
                wrong.append(f"{page}:{number}: no command or script has {option}")
    return wrong


def documented_path_mistakes(lines) -> list[str]:
    """Every repository path the lines name (``src/``, ``examples/``, ``bench/``, ``tests/``,
    ``docs/``, or a module such as ``simulate/case.py`` under ``src/fluxtrap``) exists."""
    wrong = []
    for page, number, line in lines:
        for path in re.findall(
            r"(?<![\w./-])((?:src|examples|bench|tests|docs)/[\w./*-]*\w)", line
        ):
            if not (REPO.glob(path) if "*" in path else (REPO / path).exists()):
                wrong.append(f"{page}:{number}: no {path}")
        for path in re.findall(r"(?<![\w./-])([a-z_]+/[\w/]*\.py)\b", line):
            if not path.startswith(("src/", "examples/", "bench/", "tests/", "docs/")) and not any(
                (root / path).exists()
                for root in (REPO, REPO / "src", REPO / "src" / "fluxtrap", REPO / "tests")
            ):
                wrong.append(f"{page}:{number}: no {path}")
    return wrong


def documented_worker_mistakes(lines, cores: int = 2) -> list[str]:
    """Every ``--workers N`` (``--job-workers N``) the lines show runs on a machine of ``cores``
    CPU cores, the fewest the project runs on: the commands refuse more workers than cores."""
    return [
        f"{page}:{number}: {m.group(0)} is refused on a {cores}-core machine"
        for page, number, line in lines
        for m in re.finditer(r"--(?:job-)?workers[ =](\d+)", line)
        if int(m.group(1)) > cores
    ]


def test_every_documented_command_option_and_path_exists():
    lines = list(page_lines())
    assert documented_command_mistakes(lines) == []
    assert documented_option_mistakes(lines) == []
    assert documented_path_mistakes(lines) == []
    assert documented_worker_mistakes(lines) == []  # the simulation tutorial said --workers 4


@pytest.mark.parametrize("page", ["README.md", "docs/tutorials/campaign.md"])
def test_the_pages_sample_from_a_suggestion_is_recorded_as_suggested(page, tmp_path, capsys):
    """The page's `fluxtrap sample add ... --from-suggestion 1`, run after `suggest`, records the
    sample with suggestion 1's conditions and no departure warning (the pages typed three other
    values, each then warned as a departure, since --from-suggestion fills in those not given)."""
    from fluxtrap.cli import run
    from fluxtrap.store import Store

    [line] = [t for _, _, t in page_lines([page]) if t.startswith("fluxtrap sample add ")
              and "--from-suggestion 1" in t]  # fmt: skip
    db = str(tmp_path / "lab.db")
    assert run(["campaign", "create", str(REPO / "examples" / "campaign.toml"), "--db", db]) == 0
    assert run(["suggest", "-c", "K-Ba122 SPS", "-n", "2", "-q", "--db", db]) == 0
    capsys.readouterr()
    assert run([*shlex.split(line.split("#")[0])[1:], "--db", db]) == 0
    err = capsys.readouterr().err
    assert "departs" not in err, err
    store = Store(db)
    [made] = store.samples("K-Ba122 SPS")
    [used] = [g for g in store.suggestions("K-Ba122 SPS") if g.id == 1]
    assert (made.params, made.suggestion_id, used.status) == (used.params, 1, "used")


def test_the_bore_line_the_simulation_tutorial_quotes_for_a_coarse_mesh_is_printed(
    tmp_path, capsys
):
    """The tutorial's `--mesh-size "4 mm"` of ring_stack.toml prints the bore's numbers without ±
    and the line it quotes, `bore errors not measured: ...; give [mesh] size at most 3 mm`."""
    from fluxtrap.cli import run

    page = " ".join((REPO / "docs/tutorials/simulation.md").read_text(encoding="utf-8").split())
    size = re.search(r'`--mesh-size "([\d.]+ mm)"` here', page).group(1)
    start, end = re.search(r"`(bore errors not measured: )\.\.\.(; give [^`]+)`", page).groups()
    case = str(REPO / "examples" / "ring_stack.toml")
    assert run(["simulate", case, "--mesh-size", size, "--no-plots", "--out", str(tmp_path)]) == 0
    [bore, why] = [t for t in capsys.readouterr().out.splitlines() if t.startswith("bore ")]
    assert "±" not in bore and why.startswith(start) and why.endswith(end), (bore, why)


def bare_python_mistakes(lines) -> list[str]:
    """Every script of the repository the lines run (``examples/``, ``bench/``) is run with the
    venv's Python, as the README says: a system ``python`` has no fluxtrap to import."""
    return [
        f"{page}:{number}: {m.group(0)} is not the venv's .venv/bin/python"
        for page, number, line in lines
        for m in re.finditer(r"(?<![\w./-])python3? (?:examples|bench)/[\w.]+", line)
    ]


def test_the_scripts_are_run_with_the_venvs_python():
    assert bare_python_mistakes(page_lines()) == []  # README showed `python bench/...` 4 times
    planted = [("p", 1, "`python bench/bench_sweep.py` and `.venv/bin/python examples/a.py`")]
    assert bare_python_mistakes(planted) == [
        "p:1: python bench/bench_sweep.py is not the venv's .venv/bin/python"
    ]


def test_the_checks_catch_a_planted_mistake():
    planted = [
        ("p", 1, "fluxtrap jc loop.dat --a 1mm --b 2mm --c 3mm --outt jc.csv"),
        ("p", 2, "`fluxtrap campaign shwo NAME`"),
        ("p", 3, "see examples/no_such_case.toml and simulate/no_such_module.py"),
        ("p", 4, "`fluxtrap sweep CASE --vary n=20,30 --workers 4`"),
    ]
    assert documented_worker_mistakes(planted) == [
        "p:4: --workers 4 is refused on a 2-core machine"
    ]
    assert documented_command_mistakes(planted) == [
        "p:1: 'jc' has no option --outt",
        "p:2: fluxtrap campaign has no 'shwo'",
    ]
    assert documented_option_mistakes(planted) == ["p:1: no command or script has --outt"]
    assert documented_path_mistakes(planted) == [
        "p:3: no examples/no_such_case.toml",
        "p:3: no simulate/no_such_module.py",
    ]


def test_the_python_blocks_import_what_exists():
    """Each ```python block of the pages compiles, and its imports resolve (the blocks read files
    the tutorials write first, so they are not run here)."""
    for page in PAGES:
        text = (REPO / page).read_text(encoding="utf-8")
        for block in re.findall(r"```python\n(.*?)```", text, re.S):
            tree = ast.parse(block, page)
            imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
            exec(compile(ast.Module(imports, []), page, "exec"), {})


@pytest.mark.parametrize("module", ["fluxtrap.units", "fluxtrap.workflows.sweep.grammar"])
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


def test_every_example_is_listed_and_the_links_are_as_said():
    """examples/README.md lists every file of examples/, and the TOML files it says are links
    into the package are links (the others are plain files)."""
    readme = (REPO / "examples" / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([\w.]+)` \|", readme, re.M))
    files = {p.name for p in (REPO / "examples").iterdir() if p.name != "README.md"}
    assert listed == files
    plain = set(re.search(r"The TOML files but (.*?) are links", readme).group(1).split("`")[1::2])
    tomls = {p for p in (REPO / "examples").glob("*.toml")}
    assert {p.name for p in tomls if not p.is_symlink()} == plain


def case_vocabulary() -> dict[tuple[str, ...], tuple[str, ...]]:
    """The keys the case parser accepts in each table (``*``: any material's name)."""
    from fluxtrap.simulate import case, geometry, material_spec, options, thermal_spec

    material = ("materials", "*")
    return {
        (): case.TOP_KEYS,
        ("mesh",): options.MESH_KEYS,
        ("solver",): options.SOLVER_KEYS,
        ("output",): options.OUTPUT_KEYS,
        ("bore",): geometry.BORE_KEYS,
        ("stack",): geometry.LAYER_KEYS,
        ("probes",): geometry.PROBE_KEYS,
        ("thermal",): thermal_spec.THERMAL_KEYS,
        ("thermal", "cooling"): thermal_spec.COOLING_KEYS,
        ("thermal", "cold_head"): thermal_spec.COLD_HEAD_KEYS,
        material: material_spec.SUPERCONDUCTOR_KEYS + material_spec.NORMAL_KEYS,
        (*material, "jc"): (*material_spec.JC_KINDS, "temperature", "tc"),
        (*material, "jc", "temperature"): ("at", "tc", "exponent"),
        (*material, "jc", "kim"): ("jc0", "b0"),
    }


def case_key_mistakes(page: str, number: int, data: dict, path: tuple[str, ...] = ()) -> list[str]:
    """Unknown keys in a (partial) case ``data`` at ``path``; a ``[[protocol]]`` step is read by
    the step's own reader; tables not in the vocabulary (data tables over T or B) are leaves."""
    from fluxtrap.errors import UnknownKeyError
    from fluxtrap.simulate.protocol import step_from_dict

    vocabulary = case_vocabulary()
    generic = (
        ("materials", "*", *path[2:]) if path[:1] == ("materials",) and len(path) > 1 else path
    )
    if path == ("protocol",):
        try:
            step_from_dict(data)
        except UnknownKeyError as err:
            return [f"{page}:{number}: {err}"]
        except FluxtrapError:
            pass  # a fragment: its other keys are the rest of a step
        return []
    if path == ("materials",):
        return [m for k, v in data.items() for m in case_key_mistakes(page, number, v, (*path, k))]
    if generic not in vocabulary:
        return []
    wrong = []
    for key, value in data.items():
        dotted = ".".join((*path, key))
        if key not in vocabulary[generic]:
            wrong.append(f"{page}:{number}: no case key {dotted}")
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                wrong += case_key_mistakes(page, number, item, (*path, key))
    return wrong


def documented_case_key_mistakes(pages=PAGES) -> list[str]:
    """Every key of the ```toml case blocks, and every `[table] key` of the prose, is one the
    case parser reads (campaign blocks, with ``parameters``, are the campaign reader's)."""
    wrong = []
    for page in pages:
        text = (REPO / page).read_text(encoding="utf-8")
        for m in re.finditer(r"```toml\n(.*?)```", text, re.S):
            data = tomllib.loads(m.group(1))
            if "parameters" not in data and "objectives" not in data:
                wrong += case_key_mistakes(page, text[: m.start()].count("\n") + 2, data)
        for number, line in enumerate(text.splitlines(), 1):
            for table, key in re.findall(r"`\[([a-z_.]+)\] ([a-z_]+)`", line):
                wrong += case_key_mistakes(page, number, {key: ""}, tuple(table.split(".")))
    return wrong


def test_every_documented_case_key_is_read():
    assert documented_case_key_mistakes() == []


def test_the_case_key_check_catches_a_planted_key(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "`[mesh] max_element` and `[solver] accuracy`\n```toml\n[materials.bulk1]\nheat_capacty = 1\n"
        '[materials.bulk1.jc.kim]\njc0 = "1 A/m^2"\nb00 = "1 T"\n[[protocol]]\nstep = "hold"\n'
        'durration = "1 s"\n[thermal]\nmodel = "conduction"\n[[thermal.cooling]]\nsurfaces = "top"\n```\n'
    )
    wrong = documented_case_key_mistakes([page])
    assert [w.split(": ", 1)[1] for w in wrong] == [
        "no case key materials.bulk1.heat_capacty",
        "no case key materials.bulk1.jc.kim.b00",
        "protocol.durration: unknown key; did you mean 'duration'? (known keys in protocol: duration, step)",
        "no case key thermal.cooling.surfaces",
        "no case key mesh.max_element",
    ]


def significant(text: str) -> int:
    """Significant digits of a number as a page writes it: "0.0064" 2, "43 710" 4, "2.989" 4."""
    digits = text.lstrip("-").replace(" ", "").replace(",", "")
    return len(digits.replace(".", "").lstrip("0") if "." in digits else digits.strip("0"))


@pytest.mark.parametrize(
    ("page", "case", "said"),
    [  # the tutorial said 2.990 ± 0.012 and the ring stack 43 710 +- 150 ppm and -12 000 ppm/h
        (
            "docs/tutorials/simulation.md",
            "paper_bulk_pair.toml",
            r"`center: final ([\d.]+) ± ([\d.]+) T`",
        ),
        (
            "examples/README.md",
            "ring_stack.toml",
            r"centre ([\d.]+) \+- ([\d.]+) T, ([\d ]+) \+- (\d+) ppm peak-to-peak, (-[\d ]+) \+- (\d+) ppm/h",
        ),
    ],
)
def test_the_simulated_numbers_the_pages_quote_are_what_simulate_prints(
    page, case, said, tmp_path, capsys
):
    """The numbers a page quotes from `fluxtrap simulate examples/CASE` (its own 1 mm mesh) are
    the printed ones, rounded as the page gives them."""
    from fluxtrap.cli import run

    quoted = re.search(said, " ".join((REPO / page).read_text(encoding="utf-8").split())).groups()
    out = tmp_path / "out"
    assert run(["simulate", str(REPO / "examples" / case), "--out", str(out), "--no-plots"]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    shown = re.search(r"center: final ([\d.]+) ± ([\d.]+) T", printed).groups()
    if len(quoted) > 2:  # the bore line: peak-to-peak ppm and the drift, ± each
        shown += re.search(
            r"([\d,]+) ± ([\d,]+) ppm peak-to-peak, drift (-[\d,]+) ± ([\d,]+) ppm/h", printed
        ).groups()
    number = [float(v.replace(",", "").replace(" ", "")) for v in (*quoted, *shown)]
    rounded = [
        float(f"{s:.{significant(q)}g}") for q, s in zip(quoted, number[len(quoted) :], strict=True)
    ]
    assert number[: len(quoted)] == rounded, (page, quoted, shown)
