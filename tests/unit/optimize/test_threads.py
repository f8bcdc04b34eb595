"""Optimizer work in threads, as the web server runs it (two model fits at once): the warning
filters it sets are not another thread's, and what each ask warns of lands on its own
suggestions."""

import os
import subprocess
import sys
import threading
import warnings

import pytest

from fluxtrap.campaign import CampaignSpec
from fluxtrap.optimize.model import _small_noise
from fluxtrap.optimize.optimizer import quiet_numerics, quiet_search
from fluxtrap.optimize.quiet import SharedFilters
from fluxtrap.store import Store
from fluxtrap.workflows.suggest import suggest

from ...conftest import REPO

FAST = {"num_restarts": 2, "raw_samples": 32}


def _staggered(block) -> None:
    """Thread A enters ``block()``, then B; A leaves while B is inside, then B leaves."""
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def a():
        with block():
            a_in.set()
            b_in.wait(10)
        a_out.set()

    def b():
        a_in.wait(10)
        with block():
            b_in.set()
            a_out.wait(10)

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not any(t.is_alive() for t in threads)


@pytest.mark.parametrize("block", [quiet_numerics, quiet_search, _small_noise])
def test_overlapping_quiet_blocks_in_two_threads_leave_the_filters_as_they_were(block):
    """With warnings.catch_warnings each thread put back the filter list it found on entry: B's
    was A's, so A's "ignore" entries outlived both blocks and silenced those warnings in every
    thread of the server from then on (3 entries of quiet_numerics were left behind)."""
    before = list(warnings.filters)
    _staggered(block)
    assert warnings.filters == before
    seen = []

    def warn():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            from linear_operator.utils.warnings import NumericalWarning

            warnings.warn("jitter added", NumericalWarning, stacklevel=1)
        seen.extend(str(w.message) for w in caught)

    t = threading.Thread(target=warn)
    t.start()
    t.join()
    assert seen == ["jitter added"]


def test_a_quiet_block_ignores_its_warnings_nested_and_says_them_after():
    from linear_operator.utils.warnings import NumericalWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with quiet_numerics():
            with quiet_numerics():
                warnings.warn("inner", NumericalWarning, stacklevel=1)
            warnings.warn("outer", NumericalWarning, stacklevel=1)
        warnings.warn("after", NumericalWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["after"]


def _campaign(store: Store, name: str, samples: list[tuple[float, float]], **extra) -> None:
    spec = {"name": name, "parameters": [{"name": "x", "low": 0, "high": 1}]}
    store.create_campaign(CampaignSpec.from_dict(spec | {"objectives": [{"name": "y"}]}))
    for i, (x, y) in enumerate(samples):
        store.add_sample(name, f"S{i}", {"x": x}, objectives={"y": y})
    for label, kw in extra.items():
        store.add_sample(name, label, **kw)


def test_two_concurrent_asks_each_carry_their_own_notes(tmp_path):
    """Two asks at once (the server's two heavy workers): campaign A has a sample beyond its
    bounds, campaign B a constant objective. Each ask's notes are its own: the sample left out
    of A's model had gone to the server's log only (a warning), and a warning caught by the
    process's filters in one thread can land in the other's."""
    store = Store(tmp_path / "lab.db")
    _campaign(
        store,
        "A",
        [(0.1, 1.0), (0.4, 2.0), (0.8, 1.5)],
        FAR={"params": {"x": 1.5}, "objectives": {"y": 3.0}, "outside_space": True},
    )
    _campaign(store, "B", [(0.1, 2.5), (0.5, 2.5), (0.9, 2.5)])
    got, errors = {}, []
    start = threading.Barrier(2)

    def ask(name):
        try:
            start.wait(10)
            got[name] = suggest(store, name, n=1, seed=1, **FAST)
        except Exception as err:  # noqa: BLE001 - said by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=ask, args=(n,)) for n in "AB"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the warnings, said as ever; the notes are asserted
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
    assert not errors, errors
    assert got["A"][0].model_summary["notes"] == [
        "1 sample(s) outside the campaign's space left out of the model: FAR (x=1.5 is "
        "outside [0, 1])"
    ]
    assert got["B"][0].model_summary["notes"] == [
        "objective y is constant (2.5) over 3 observations: the model can only explore"
    ]


def test_the_sd_scale_refits_leave_a_quiet_block_of_another_thread_as_it_was(monkeypatch):
    """The web server's suggest runs sd_scale's refits while another thread may be inside a
    quiet block: thread A's block ends during a refit (fit_model waits for it). A
    catch_warnings around the refits put back, on leaving, the list it found, A's "ignore"
    entries included, which then silenced those warnings in every thread from then on."""
    import numpy as np
    import pandas as pd

    from fluxtrap.optimize import Continuous, Optimizer, SearchSpace
    from fluxtrap.optimize import optimizer as optimizer_module

    space = SearchSpace([Continuous("a", 0, 1), Continuous("b", 0, 1)])
    X = space.sample(6, seed=1)
    y = pd.Series(np.sin(3 * X["a"].to_numpy()) + X["b"].to_numpy(), name="y")
    opt = Optimizer(space, seed=0, **FAST).tell(X, y)
    before = list(warnings.filters)
    a_in, release, a_out = threading.Event(), threading.Event(), threading.Event()

    def a():
        with quiet_numerics():
            a_in.set()
            release.wait(20)
        a_out.set()

    real = optimizer_module.fit_models

    def fit_after_a_left(*args, **kwargs):
        release.set()
        a_out.wait(20)
        return real(*args, **kwargs)

    monkeypatch.setattr(optimizer_module, "fit_models", fit_after_a_left)
    t = threading.Thread(target=a)
    t.start()
    a_in.wait(20)
    assert opt.sd_scale()[0] > 0
    t.join(20)
    assert a_out.is_set()
    assert warnings.filters == before


@pytest.mark.parametrize(
    "module", ["fluxtrap.optimize.optimizer", "fluxtrap.optimize.model", "fluxtrap.optimize.space"]
)
def test_loading_botorch_says_nothing_of_torch_jit_script_and_leaves_no_filter(module):
    """linear_operator compiles two functions with torch.jit.script as it loads, which torch 2.9+
    deprecates: `suggest` printed the note twice wherever DeprecationWarnings show. Each module
    that reaches BoTorch loads it under a SharedFilters block (a fresh process, every warning
    shown): no note, the filter gone after, other deprecations and a later torch.jit.script of
    the process's own still said."""
    code = (
        f"import warnings, torch, {module}\n"
        "assert not any(f[1] and 'jit' in f[1].pattern and 'fuser' not in f[1].pattern "
        "for f in warnings.filters)\n"
        "warnings.warn('own note', DeprecationWarning)\n"
        "try:\n    torch.jit.script(lambda x: x)\n"  # warns first, then finds no source for -c
        "except OSError:\n    pass\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run([sys.executable, "-W", "always", "-c", code],
                          capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "own note" in done.stderr
    assert done.stderr.count("`torch.jit.script` is deprecated") == 1, done.stderr


def test_a_quiet_block_needs_no_private_warnings_api_and_keeps_default_once(monkeypatch):
    """SharedFilters called the private warnings._filters_mutated on entry and exit; with it
    gone (it is no API) every quiet block raised. Under the "default" action a warning met inside
    the block is still shown once after it, one shown before is not shown again."""

    def gone():
        raise AssertionError("warnings._filters_mutated is private")

    monkeypatch.setattr(warnings, "_filters_mutated", gone)
    quiet = SharedFilters({"message": "noise"})
    registry: dict = {}
    shown = []

    def warn(text):
        with monkeypatch.context() as m:
            m.setattr(warnings, "showwarning", lambda msg, *a, **k: shown.append(str(msg)))
            warnings.warn_explicit(text, UserWarning, "lab.py", 1, "lab", registry)

    before = list(warnings.filters)
    with monkeypatch.context() as m:
        m.setattr(warnings, "filters", [("default", None, Warning, None, 0)])
        warn("said before")
        with quiet():
            warn("noise here")
            warn("said before")
        warn("noise here")
        warn("noise here")
        warn("said before")
        assert warnings.filters == [("default", None, Warning, None, 0)]
    assert shown == ["said before", "noise here"]
    assert warnings.filters == before
