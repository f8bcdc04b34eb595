"""The optimizer benchmark's bookkeeping (bench/bench_optimize.py): resume, random runs, paired
differences and the goal criteria of its summary. No peer package and no model fit is needed."""

import gzip
import importlib.util
import json
import math

import numpy as np
import pytest

from ...conftest import DATA, REPO

BO = DATA / "bo-benchmarks"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location(
        "bench_optimize", REPO / "bench" / "bench_optimize.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_random_runs_share_the_starts_and_never_repeat_a_row(bench):
    picks = bench.run_random(np.zeros((66, 1)), budget=30, seed=4)
    assert picks[:2] == bench.starts(66, 2, 4)  # the starts every method of seed 4 gets
    assert len(set(picks)) == 30 and max(picks) < 66


@pytest.mark.parametrize("name", ["runs.jsonl", "runs.jsonl.gz"])
def test_a_second_run_resumes_where_the_results_file_stops(bench, tmp_path, monkeypatch, name):
    out = tmp_path / name
    argv = ["bench", "--sets", "snar", "--methods", "random", "--workers", "1", "--budget", "12"]
    argv += ["--data", str(BO), "--out", str(out)]
    monkeypatch.setattr("sys.argv", [*argv, "--seeds", "2"])
    bench.main()
    monkeypatch.setattr("sys.argv", [*argv, "--seeds", "3"])
    bench.main()
    with gzip.open(out, "rt") if name.endswith(".gz") else out.open() as f:
        rows = [json.loads(line) for line in f]
    assert [r["seed"] for r in rows] == [0, 1, 2]  # seeds 0 and 1 not run twice


def test_paired_difference_over_the_common_seeds(bench):
    a = {0: np.array([0.5]), 1: np.array([1.0]), 2: np.array([0.25]), 9: np.array([1.0])}
    b = {0: np.array([0.25]), 1: np.array([0.5]), 2: np.array([0.25])}
    mean, se, n = bench.paired(a, b, at=1)
    d = np.array([0.25, 0.5, 0.0])  # seed 9 has no partner
    assert n == 3 and mean == pytest.approx(d.mean())
    assert se == pytest.approx(d.std(ddof=1) / math.sqrt(3))


def test_summary_judges_level_and_ahead_against_the_best_peer(bench, capsys):
    _, y, maximize = bench.load(BO, "snar")
    top = bench.top_rows(y, maximize)  # 4 of 66 rows
    rest = [i for i in range(66) if i not in top]

    def row(method, seed, n_top):
        picks = top[:n_top] + rest[seed : seed + 12 - n_top]
        return {"set": "snar", "method": method, "seed": seed, "picks": picks}

    rows = []
    for seed in range(4):
        rows += [row("fluxtrap", seed, 3), row("random", seed, 0)]
        rows.append(row("BayBE", seed, 3 + (seed % 2)))  # ahead of fluxtrap by 0.125 on average
    bench.summarise(rows, BO)
    line = next(t for t in capsys.readouterr().out.splitlines() if t.startswith("| snar | 10 |"))
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[2] == "0.750 (4)"  # fluxtrap found 3 of the 4 top rows in every seed
    assert cells[3] == "-0.125 +- 0.072 (4)"  # paired: -0.25, 0, -0.25, 0
    assert cells[-2:] == ["NO", "NO"]  # behind BayBE by more than one s.e.: not level


@pytest.mark.parametrize(
    "budget, batch, shared",
    [(10, 1, 9), (25, 1, 22), (50, 1, 45), (10, 2, 8), (25, 2, 22), (50, 2, 44)],
)
def test_budgeted_runs_share_the_prefix_before_the_batch_of_the_first_exploiting_trial(
    bench, budget, batch, shared
):
    # last ceil(0.1 B) trials exploit; batches of two start after the 2 starts (trials 3-4, 5-6, ...)
    assert bench.budget_prefix(budget, batch) == shared


def test_budget_reference_takes_each_budget_from_its_own_run(bench):
    _, y, maximize = bench.load(BO, "snar")
    top = bench.top_rows(y, maximize)
    rest = [i for i in range(66) if i not in top]
    rows = [  # the run told B = 10 finds one top row by trial 10; the one told 25 finds two
        {"set": "snar", "method": "fluxtrap budget@10", "seed": 0, "picks": rest[:9] + top[:1]},
        {"set": "snar", "method": "fluxtrap budget@25", "seed": 0, "picks": rest[:23] + top[:2]},
        {"set": "snar", "method": "fluxtrap budget@50", "seed": 0, "picks": rest[:50]},
        {"set": "snar", "method": "fluxtrap budget@10", "seed": 1, "picks": rest[:10]},
    ]
    pairs = [{**r, "method": r["method"].replace("@", " x2@")} for r in rows]
    curves = bench.found_curves(rows + pairs, BO)
    for method in ("fluxtrap budget", "fluxtrap budget x2"):
        whole = curves[("snar", method)]
        assert list(whole) == [0]  # seed 1 has no 25 and 50 runs
        assert [whole[0][b - 1] for b in (10, 25, 50)] == [0.25, 0.5, 0.0]


def test_an_equal_method_is_level_in_a_cell_about_84_percent_of_the_time(bench):
    # 400 seeds of paired differences with a mean of +1 (centred away: the method is "equal");
    # level = mean >= -1 s.e., P(Z >= -1) = 0.841 for one cell; three independent cells 0.595
    rng = np.random.default_rng(1)
    same = np.repeat(rng.normal(1.0, 1.0, size=(400, 1)), 3, axis=1)  # budgets move together
    rate, level = bench.equal_pass_rate([same], draws=4000)
    assert rate == pytest.approx(0.841, abs=0.03) and level == pytest.approx(3 * 0.841, abs=0.09)
    rate, level = bench.equal_pass_rate([rng.normal(1.0, 1.0, size=(400, 3))], draws=4000)
    assert rate == pytest.approx(0.841**3, abs=0.04) and level == pytest.approx(3 * 0.841, abs=0.09)
