"""The stated-errors benchmark's bookkeeping (bench/bench_stated_errors.py): what each arm tells
the optimizer, the noise draws, and the metrics."""

import importlib.util
import sys

import numpy as np
import pytest

from ...conftest import DATA, REPO

BO = DATA / "bo-benchmarks"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(REPO / "bench"))  # it imports bench_optimize's replay machinery
    try:
        spec = importlib.util.spec_from_file_location(
            "bench_stated_errors", REPO / "bench" / "bench_stated_errors.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(REPO / "bench"))
    return module


def test_row_noise_is_log_uniform_in_its_span_and_fixed_by_the_seed(bench):
    sigma, eps = bench.row_noise(20_000, 3.0, seed=5, decades=2.0, scale=0.5)
    assert sigma.min() >= 0.5 * 3.0 * 1e-2 and sigma.max() <= 0.5 * 3.0
    # log-uniform: the median at the geometric middle, 10 % of the std ... (1.5e-2 * 10)
    assert np.median(np.log10(sigma)) == pytest.approx(np.log10(1.5e-2 * 10), abs=0.02)
    z = eps / sigma
    assert abs(z.mean()) < 0.03 and z.std() == pytest.approx(1.0, abs=0.03)
    again, eps_again = bench.row_noise(20_000, 3.0, seed=5, decades=2.0, scale=0.5)
    assert (again == sigma).all() and (eps_again == eps).all()
    assert not (bench.row_noise(20_000, 3.0, 6, 2.0, 0.5)[1] == eps).any()


@pytest.mark.parametrize("arm", ["told", "not told", "noise-free"])
def test_each_arm_tells_its_own_values_and_errors(bench, arm, monkeypatch):
    from fluxtrap.optimize import Optimizer

    seen = []
    tell = Optimizer.tell

    def spy(self, X, y, errors=None):
        seen.append((list(X.index), y.to_numpy().copy(), errors))
        return tell(self, X, y, errors)

    monkeypatch.setattr(Optimizer, "tell", spy)
    row = bench.run_arm((arm, BO, "snar", 3, 4, 2.0, 1.0))
    _, y, _ = bench.load(BO, "snar")
    sigma, eps = bench.row_noise(len(y), float(y.std()), 4, 2.0, 1.0)
    assert row["picks"][:2] == bench.starts(len(y), 2, 4)  # the same starts in every arm
    assert [i for rows, *_ in seen for i in rows] == row["picks"]
    for rows, values, errors in seen:
        truth = y.iloc[rows].to_numpy()
        if arm == "noise-free":
            assert np.array_equal(values, truth) and errors is None
        else:
            assert np.allclose(values, truth + eps[rows])
            if arm == "told":
                assert np.array_equal(errors.to_numpy(), sigma[rows])
            else:
                assert errors is None


def test_metrics_count_the_noise_free_top_rows_and_the_regret_in_std(bench):
    _, y, maximize = bench.load(BO, "snar")
    assert not maximize
    top = bench.top_rows(y, maximize)
    others = [i for i in range(len(y)) if i not in top]
    worst = int(np.argmax(y.to_numpy()))  # minimised: the largest value is the worst
    picks = [top[0], *others[:9]]
    run = {"set": "snar", "method": "told", "seed": 0, "noise": [2.0, 1.0], "picks": picks}
    run |= {"rec_mean": [top[0]], "rec_obs": [worst]}
    m = bench.metrics([run], BO)[("snar", "told")][0]
    assert m[0, 0] == pytest.approx(1 / len(top))
    assert m[1, 0] == 0.0  # the recommended row is the pool's best
    assert m[2, 0] == pytest.approx((y.max() - y.min()) / y.std())
