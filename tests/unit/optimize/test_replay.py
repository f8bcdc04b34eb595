"""Replay: the analytic random baseline, the protocol's bookkeeping, replay.json on real data."""

import itertools
import json
import math
import re

import numpy as np
import pandas as pd
import pytest

from fluxtrap.errors import InputFileError, ValidationError
from fluxtrap.optimize.replay import pool_from_table, random_expectation, read_table, replay

from ...conftest import DATA

SNAR = DATA / "bo-benchmarks" / "olympus" / "snar.csv"


@pytest.mark.parametrize("maximize", [True, False])
def test_random_expectation_equals_enumeration(maximize):
    """Expected best of i draws without replacement, by enumerating all C(7, i) subsets."""
    y = np.array([3.0, -1.0, 4.0, 1.5, 9.0, 2.6, 5.0])
    best, top = random_expectation(y, budget=7, maximize=maximize)
    pick = max if maximize else min
    for i in range(1, 8):
        exact = np.mean([pick(y[list(c)]) for c in itertools.combinations(range(7), i)])
        assert best[i - 1] == pytest.approx(exact, rel=1e-12)
        assert top[i - 1] == pytest.approx(i / 7)


def test_random_expectation_of_a_large_pool_holds_no_budget_by_pool_matrix():
    """A pool of 100 000 rows at budget 500: the weights of every draw count and value, a 500 x
    100 000 matrix (0.4 GB each, several of them), are now one vector of the pool at a time; the
    expectation is as before, the mean of the pool for one draw and its best for all."""
    import tracemalloc

    y = np.random.default_rng(0).normal(size=100_000)
    tracemalloc.start()
    best, top = random_expectation(y, budget=500, maximize=False)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 5 * y.nbytes  # a few vectors of the pool
    assert best[0] == pytest.approx(y.mean()) and np.all(np.diff(best) <= 0)
    assert top[-1] == pytest.approx(500 / len(y))


def test_pool_averages_identical_inputs():
    df = pd.DataFrame({"a": [1, 1, 2, 2, 3], "b": [0, 0, 0, 1, 0], "y": [1.0, 3.0, 5.0, 7.0, 9.0]})
    X, y = pool_from_table(df, ["a", "b"], "y")
    assert len(X) == 4
    assert y[(X.a == 1).to_numpy()].item() == 2.0


def test_a_replay_is_bounded_as_a_whole_and_no_step_of_it_refused(monkeypatch):
    """Each ask from a pool is now estimated like one without (Optimizer._check_cost): a replay,
    bounded as a whole before it starts (check_runs), would have stopped at the first step
    estimated past MAX_ASK_S, its earlier steps lost. Its asks are allowed long (limits patched
    to 0: every step stands in for a long one)."""
    import fluxtrap.optimize.optimizer as optimizer

    monkeypatch.setattr(optimizer, "MAX_ASK_S", 0.0)
    monkeypatch.setattr(optimizer, "ASK_NOTE_S", 0.0)
    x = np.linspace(0, 1, 20)
    with pytest.warns(optimizer.LongAskWarning):  # said, as a long ask is
        res = replay(pd.DataFrame({"x": x}), pd.Series(x**2), budget=4, n_initial=2, repeats=1)
    assert res.bo_top.shape == (1, 4)


def test_a_replay_scoring_a_large_pool_too_often_is_refused_before_any_run(monkeypatch):
    """Each ask scores the whole pool: 1000 runs of budget 50 on 10 000 rows of 2 inputs score
    9.6e8 values (hours), though their fits are within MAX_REPLAY_WORK; they had started without
    a word. Refused up front, with the estimate and what to change."""
    import fluxtrap.optimize.replay as replay_module

    monkeypatch.setattr(replay_module, "_run_once", lambda job: pytest.fail("a run started"))
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.uniform(size=10_000), "b": rng.uniform(size=10_000)})
    with pytest.raises(ValidationError, match=r"score the pool's 10000 distinct rows x 2 .* h;"):
        replay(X, pd.Series(rng.uniform(size=10_000)), budget=50, repeats=1000)


def test_replay_bookkeeping_on_a_known_pool():
    """On a 1D pool whose best entries sit at one end, BO finds the top 5% far faster than random."""
    x = np.linspace(0, 1, 60)
    X, y = pd.DataFrame({"x": x}), pd.Series(x**2)
    res = replay(X, y, budget=10, n_initial=2, repeats=1)
    assert res.n_top == 3 and res.bo_top.shape == (1, 10)
    assert (np.diff(res.bo_top, axis=1) >= 0).all() and res.bo_top.max() <= 1
    assert (np.diff(res.bo_best, axis=1) >= 0).all()
    assert res.bo_top[:, -1].mean() == 1.0  # all three top entries found in 10 trials
    assert res.enhancement_factor[-1] == pytest.approx(1.0 / (10 / 60))
    with pytest.raises(ValidationError, match="^replay: budget 100 is past the pool's 60 distinct"):
        replay(X, y, budget=100)
    with pytest.raises(
        ValidationError, match="repeats must be a whole number from 1 to 1000, got 10000"
    ):
        replay(X, y, budget=10, repeats=10_000)
    big = pd.DataFrame({"x": np.linspace(0, 1, 2500)})  # refused before any model is fitted
    with pytest.raises(
        ValidationError, match=r"budget must be a whole number from 2 to 2000, got 2001"
    ):
        replay(big, big.x, budget=2001)
    with pytest.raises(ValidationError, match=r"last seed \(seed \+ repeats - 1\): give"):
        replay(X, y, budget=10, repeats=2, seed=2**32 - 1)
    # each within its own limit, together months of model fits: refused before the first
    for repeats, budget in ((1000, 100), (2, 2000), (10, 700)):
        with pytest.raises(ValidationError, match=r"observations in all, at most 2e\+06"):
            replay(big, big.x, budget=budget, repeats=repeats)


def test_replay_in_batches_of_two_picks_distinct_rows_and_cuts_the_last_round():
    x = np.linspace(0, 1, 60)
    X, y = pd.DataFrame({"x": x}), pd.Series(x**2)
    res = replay(X, y, budget=9, n_initial=2, repeats=1, batch=2)  # 2 + 2 + 2 + 2 + 1
    assert res.bo_top.shape == (1, 9) and res.bo_top[:, -1].mean() == 1.0
    with pytest.raises(ValidationError, match="batch must be a whole number from 1 to 9, got 0"):
        replay(X, y, budget=9, batch=0)


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"budget": 5.5}, "replay: budget must be a whole number from 2 to 2000, got 5.5"),
        ({"n_initial": 2.5}, "replay: initial must be a whole number from 1 to 4, got 2.5"),
        ({"batch": 1.5}, "replay: batch must be a whole number from 1 to 5, got 1.5"),
        ({"repeats": True}, "replay: repeats must be a whole number from 1 to 1000, got True"),
        ({"top_percent": "5"}, "replay: top percent must be > 0 and <= 100, got '5'"),
    ],
)
def test_replay_refuses_a_count_that_is_no_whole_number_before_any_run(given, said):
    """budget=5.5 and batch=1.5 were refused by ask ("n must be a whole number ..., got 0.5")
    after a run's models had been fitted, initial=2.5 and top_percent="5" were numpy's and
    Python's TypeErrors, repeats=True ran one repeat: each now refused first, naming it."""
    x = np.linspace(0, 1, 30)
    with pytest.raises(ValidationError, match=f"^{re.escape(said)}$"):
        replay(pd.DataFrame({"x": x}), pd.Series(x**2), **{"budget": 5, "repeats": 1, **given})


def test_replay_json_shape_on_snar(tmp_path):
    inputs = ["residence_time", "ratio", "concentration", "temperature"]
    X, y = read_table(SNAR, inputs, "impurity")
    res = replay(X, y, maximize=False, budget=8, repeats=1)
    paths = res.write(tmp_path)
    doc = json.loads((tmp_path / "replay.json").read_text())
    assert set(doc) == {"top_percent", "budget", "strategies", "enhancement_factor"}
    assert doc["top_percent"] == 5 and doc["budget"] == 8
    assert set(doc["strategies"]) == {"bo", "random"}
    for s in doc["strategies"].values():
        assert set(s) == {"best_so_far", "top_fraction"}
        assert len(s["best_so_far"]) == len(s["top_fraction"]) == 8
    assert len(doc["enhancement_factor"]) == 8
    assert doc["strategies"]["random"]["top_fraction"][-1] == pytest.approx(8 / 66)
    assert res.n_top == math.ceil(0.05 * 66)
    # minimisation: best so far never rises, and the first value is a table value
    assert (np.diff(doc["strategies"]["bo"]["best_so_far"]) <= 0).all()
    assert paths[1].name == "replay.png" and paths[1].stat().st_size > 1000
    with pytest.raises(InputFileError, match="no column"):
        read_table(SNAR, ["nope"], "impurity")


def _table(tmp_path, text: str):
    path = tmp_path / "t.csv"
    path.write_text(text)
    return path


def test_a_column_of_text_is_a_categorical_input_and_bad_cells_are_named(tmp_path):
    """A gas column made the whole table 'non-numeric or empty value in [...]' at line 2."""
    rows = [
        (t, g, -((t - 600) ** 2) / 1e4 + (g == "N2"))
        for g in ("Ar", "N2", "O2")
        for t in range(400, 801, 50)
    ]  # 27 rows: lines 2 to 28
    text = "temp,gas,yield\n" + "".join(f"{t},{g},{y}\n" for t, g, y in rows)
    X, y = read_table(_table(tmp_path, text), ["temp", "gas"], "yield")
    assert X.gas.tolist()[:2] == ["Ar", "Ar"] and set(X.gas) == {"Ar", "N2", "O2"}
    res = replay(X, y, budget=8, n_initial=2, repeats=1, num_restarts=2, raw_samples=32)
    assert res.bo_best.shape == (1, 8) and res.bo_best[0, -1] <= y.max()
    for bad, match in (
        ("400,,2\n", "column 'gas', line 29: empty"),
        ("400,5,1\n", "column 'gas' mixes text \\(line 2: 'Ar'\\) and numbers \\(line 29: '5'\\)"),
        ("4OO,N2,1\n", "column 'temp' mixes text \\(line 29: '4OO'\\) and numbers \\(line 2"),
        ("400,N2,inf\n", "column 'yield', line 29: 'inf' is not a finite number"),
        ("400,N2,high\n", "column 'yield', line 29: 'high' is not a finite number"),
    ):
        with pytest.raises(InputFileError, match=match):
            read_table(_table(tmp_path, text + bad), ["temp", "gas"], "yield")


def test_a_column_named_twice_in_the_header_is_refused(tmp_path):
    """Header "a,a,y": pandas read the second as 'a.1' and --inputs a replayed the first in
    silence. A column used named twice is refused; one not used may repeat."""
    path = tmp_path / "t.csv"
    path.write_text("a,a,y,note,note\n1,5,3,x,y\n2,4,4,x,y\n3,3,5,x,y\n")
    with pytest.raises(InputFileError, match=r"column\(s\) 'a' appear twice in the header"):
        read_table(path, ["a"], "y")
    path.write_text("a,b,y,note,note\n1,5,3,x,y\n2,4,4,x,y\n3,3,5,x,y\n")
    assert read_table(path, ["a", "b"], "y")[0].shape == (3, 2)


def test_workers_beyond_the_cores_are_refused_before_any_process_starts(monkeypatch):
    """replay(workers=10**6) was taken: the spawn pool starts a process (torch loaded) per run
    asked, up to MAX_REPEATS; the CLI bounds --workers by the cores, now the API does too."""
    from fluxtrap.optimize import replay as module

    monkeypatch.setattr(module, "_cores", lambda: 2)
    X = pd.DataFrame({"x": np.linspace(0, 1, 20)})
    for workers in (3, 10**6, 0, 1.5, True):
        with pytest.raises(
            ValidationError, match=r"workers must be a whole number from 1 to the 2"
        ):
            replay(X, X.x, budget=5, repeats=8, workers=workers)


def test_a_replay_models_ln_value_with_log_and_names_a_span_once_without(monkeypatch):
    """A table of Jc over 4 decades could only be replayed raw, its SpanWarning repeated at every
    ask ("objective y ... give y log = true in [[objectives]]", 10 times in 2 runs of 12), with
    no way to follow it. ``log=True`` (``fluxtrap replay --log``) now models ln(value): refused
    for a value below 0 naming its entry, a 0 modelled at a floor and named once, its best so far
    drawn on a log axis; without it the span is named once, by the objective's name."""
    import warnings

    import fluxtrap.optimize.replay as replay_module
    from fluxtrap.optimize.optimizer import FloorWarning, Optimizer, SpanWarning
    from fluxtrap.optimize.plots import plot_replay

    told = []

    class Spy(Optimizer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            told.append(self.log_outcomes)

    monkeypatch.setattr(replay_module, "Optimizer", Spy)
    x = np.linspace(0, 1, 12)
    X, y = pd.DataFrame({"x": x}), pd.Series(10 ** (1 + 4 * x), name="jc")
    res = replay(X, y, budget=4, repeats=1, log=True, num_restarts=2, raw_samples=32)
    assert told == [["y"]] and res.to_dict()["log"] is True
    assert plot_replay(res).axes[1].get_yscale() == "log"
    with pytest.raises(ValidationError, match=r"objective jc is -1 at x=0\.0: log models ln"):
        replay(X, y.where(x > 0, -1.0), budget=4, repeats=1, log=True)
    with pytest.raises(ValidationError, match=r"objective jc is 0 at x=0\.0: minimised with log"):
        replay(X, y.where(x > 0, 0.0), maximize=False, budget=4, repeats=1, log=True)
    with warnings.catch_warnings(record=True) as caught:  # a 0: at a floor, named once
        warnings.simplefilter("always")
        replay(X, y.where(x > 0.5, 0.0), budget=8, repeats=2, log=True, num_restarts=2)
    (floor,) = [str(w.message) for w in caught if w.category is FloorWarning]
    assert floor.startswith("replay: objective jc is 0 at 6 of 12 entries (the first at x=0.0)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = replay(X, y, budget=4, repeats=2, num_restarts=2, raw_samples=32)
    spans = [str(w.message) for w in caught if w.category is SpanWarning]
    assert told[3:] == [[], []] and "log" not in res.to_dict()
    assert spans == [
        "replay: the values of objective jc, all above 0, span 4.0 decades (10 to 1e+05); the "
        "model fits them on a linear scale, where the largest dominate: log=True (fluxtrap "
        "replay --log) models ln(value)"
    ]
