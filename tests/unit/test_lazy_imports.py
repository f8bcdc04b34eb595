"""The command line starts without the store: SQLAlchemy and Alembic load only for commands
that open it (they took 2-5 s of every ``fluxtrap simulate`` on a loaded 2-core machine); and
without the numerical stack: `fluxtrap --help` and the command tree load no numpy, pandas, pint
(which brings dask, babel and scipy), torch or matplotlib (0.85 s -> 0.28 s for `--help`,
bench/results/cli_startup.md)."""

import subprocess
import sys

# what `fluxtrap --help` has no use for; each command loads its own on first use
HEAVY = (
    "numpy",
    "pandas",
    "pint",
    "dask",
    "scipy",
    "torch",
    "botorch",
    "matplotlib",
    "sqlalchemy",
    "fastapi",
)


def loaded(code: str) -> list[str]:
    """The HEAVY packages in ``sys.modules`` after ``code`` ran in a fresh interpreter."""
    code += f"\nimport sys; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return eval(out.stdout.strip().splitlines()[-1])  # noqa: S307 (a list of names we printed)


def test_the_cli_and_a_simulation_start_without_the_store():
    code = (
        "import sys, fluxtrap.cli.app, fluxtrap.simulate.simulation;"
        "print(sorted(m for m in ('sqlalchemy', 'alembic') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"


def test_help_builds_every_command_without_the_numerical_stack():
    """The app imported and its whole command tree built (typer reads every command's options)."""
    assert loaded("import fluxtrap.cli.app") == []
    assert loaded("from fluxtrap.cli import run; assert run(['--help']) == 0") == []
    assert loaded("from fluxtrap.cli import run; assert run(['suggest', '--help']) == 0") == []


def test_units_load_pint_on_first_use_and_build_one_registry_for_all_threads():
    """`import fluxtrap.units` leaves pint unloaded; threads parsing at once share one registry
    (quantities of two registries do not mix), though building it is slow."""
    unbuilt = "import fluxtrap.units as u; assert u.number('3') == 3 and 'Q_' in dir(u)"
    assert loaded(unbuilt) == []
    code = (
        "import threading, time\n"
        "import fluxtrap.units as u\n"
        "build = u._registry\n"
        "u._registry = lambda: (time.sleep(0.3), build())[1]\n"
        "got = []\n"
        "threads = [threading.Thread(target=lambda: got.append(u.quantity('1 mm')))"
        " for _ in range(4)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "assert len({id(q._REGISTRY) for q in got}) == 1, got\n"
        "assert got[0]._REGISTRY is u.ureg and u.Q_ is u.ureg.Quantity\n"
        "assert sum(got, u.Q_(0, 'mm')).to('m').magnitude == 0.004\n"
    )
    assert "pint" in loaded(code)


def test_magnetometry_names_load_on_first_use_and_are_its_modules():
    """`fluxtrap.magnetometry` imported its every module (scipy.optimize, scipy.ndimage, pandas,
    pint): `fluxtrap tc` paid for bean and creep; its names are now those of its modules."""
    import importlib

    import fluxtrap.magnetometry as m

    assert loaded("import fluxtrap.magnetometry") == []
    assert m.__all__ == sorted(m._HOME) and set(m.__all__) <= set(dir(m))
    for name in m.__all__:
        home = importlib.import_module(f"fluxtrap.magnetometry.{m._HOME[name]}")
        assert getattr(m, name) is getattr(home, name)


def test_every_lazy_package_lists_its_names_before_loading_them():
    """magnetometry, optimize and simulate share one lazy helper (``fluxtrap.lazy.attach``; the
    first two repeated its code): ``dir()`` lists each public name before it is loaded (tab
    completion; optimize's listed none until imported), and a misspelt one is Python's
    AttributeError naming the package."""
    import importlib

    import pytest

    code = (
        "import fluxtrap.magnetometry as m, fluxtrap.optimize as o, fluxtrap.simulate as s\n"
        "for p in (m, o, s): assert set(p.__all__) <= set(dir(p)), (p.__name__, dir(p))\n"
    )
    assert loaded(code) == []  # listing loads none of them (torch, pandas, numpy)
    for package in ("magnetometry", "optimize", "simulate"):
        p = importlib.import_module(f"fluxtrap.{package}")
        with pytest.raises(AttributeError, match=f"module 'fluxtrap.{package}' has no attribute"):
            p.Reed  # noqa: B018


def test_suggest_help_states_the_batch_bound_it_checks_on_use(capsys):
    """-n's maximum, campaign.MAX_BATCH, is checked in a callback (common.at_most: as the option's
    max it loaded pandas and pint with every command), so the help states it in words: the same
    number."""
    from fluxtrap.campaign import MAX_BATCH
    from fluxtrap.cli import run

    assert run(["suggest", "--help"]) == 0
    assert f"(a batch, at most {MAX_BATCH})" in " ".join(capsys.readouterr().out.split())
    assert run(["suggest", "-c", "x", "-n", str(MAX_BATCH + 1), "--db", "/nonexistent.db"]) == 2
    said = f"'{MAX_BATCH + 1}': give a whole number from 1 to {MAX_BATCH}"
    assert said in capsys.readouterr().err


def test_a_command_builds_its_own_options_only(monkeypatch, capsys):
    """typer read every command's options on each call (55 ms of each command): `fluxtrap tc`
    builds tc's, `fluxtrap campaign list` its group's; the help they print is the same as
    from the whole tree, which a misspelt command and --help still get."""
    import importlib

    import typer.main

    from fluxtrap.cli import run

    app_module = importlib.import_module("fluxtrap.cli.app")  # fluxtrap.cli.app is the Typer app

    built = []
    real = typer.main.get_command_from_info

    def counted(command_info, **kw):
        built.append(command_info.name)
        return real(command_info, **kw)

    monkeypatch.setattr(typer.main, "get_command_from_info", counted)
    for args in (["tc", "--help"], ["campaign", "list", "--help"]):
        built.clear()
        assert run(args) == 0
        pruned = capsys.readouterr().out
        assert 1 <= len(built) <= 3, built  # tc; campaign's create, list, show
        with monkeypatch.context() as m:
            m.setattr(app_module, "_tree", lambda args: app_module.app)
            assert run(args) == 0
        assert capsys.readouterr().out == pruned
    built.clear()
    assert run(["tcc"]) == 2 and "Did you mean 'tc'?" in capsys.readouterr().err
    assert len(built) > 30  # every command: the whole tree


def test_a_model_page_of_too_few_samples_loads_no_torch():
    """web.plots.model_figures imported the model's modules (torch, botorch) before counting
    the measured samples: a campaign with one measured cost a server the import to say "at
    least 2". It counts first."""
    code = (
        "import pandas as pd\n"
        "from fluxtrap.campaign import CampaignSpec\n"
        "from fluxtrap.errors import ValidationError\n"
        "from fluxtrap.web.plots import model_figures\n"
        "spec = CampaignSpec.from_dict({'name': 'c', 'parameters': [{'name': 'x', 'low': 0, "
        "'high': 1}], 'objectives': [{'name': 'jc'}]})\n"
        "history = pd.DataFrame({'label': ['A', 'B', 'C'], 'status': ['made', 'failed', 'made'],"
        " 'x': [0.2, 0.6, 0.7], 'jc': [2e8, 3e8, None]})\n"
        "try:\n"
        "    model_figures(spec, history, [], 'jc', 'x')\n"
        "except ValidationError as err:\n"
        "    assert 'at least 2 measured samples; 1 so far' in str(err), err\n"
        "else:\n"
        "    raise AssertionError('no ValidationError')\n"
    )
    assert not {"torch", "botorch"} & set(loaded(code))


def test_tab_completion_lists_the_public_names_not_the_helpers():
    """``dir(fluxtrap)`` listed ``importlib`` and ``SUBPACKAGES``, and ``dir()`` of magnetometry
    and simulate ``attach``, ``TYPE_CHECKING``, ``_HOME`` and ``annotations``: a notebook's
    ``fluxtrap.<tab>`` offered them beside the parts. Now the public names, loaded submodules
    and dunders."""
    from types import ModuleType

    import fluxtrap
    import fluxtrap.magnetometry as m
    import fluxtrap.magnetometry.compare  # noqa: F401  (a loaded submodule stays listed)
    import fluxtrap.simulate as s

    assert [n for n in dir(fluxtrap) if not n.startswith("__")] == sorted(
        [*fluxtrap.SUBPACKAGES, "FluxtrapError"]
    )
    for p in (m, s):
        shown = {n for n in dir(p) if not n.startswith("__")}
        others = shown - set(p.__all__)
        assert all(isinstance(getattr(p, n), ModuleType) for n in others), (p.__name__, others)
    assert "compare" in dir(m)
