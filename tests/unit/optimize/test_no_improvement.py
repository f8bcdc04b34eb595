"""A round whose expected improvement is below the noise is chosen by posterior mean: the peak of a
smooth landscape measured densely, the candidates left all away from it."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

from fluxtrap.optimize import Continuous, Optimizer, SearchSpace
from fluxtrap.optimize.model import noise_std
from fluxtrap.optimize.replay import read_table
from fluxtrap.optimize.stopping import KAPPA

from ...conftest import DATA

SPACE = SearchSpace(
    [
        Continuous("ramp_rate", 10, 100, 0.1, "degC/min"),
        Continuous("max_temperature", 450, 750, 1, "degC"),
    ]
)
NOISE = 0.01  # measurement noise std of jc


def distance2(X: pd.DataFrame) -> pd.Series:
    """Squared scaled distance from the peak (620 degC, 35 degC/min)."""
    return ((X.max_temperature - 620) / 60) ** 2 + ((X.ramp_rate - 35) / 30) ** 2


def grid(rates, temperatures) -> pd.DataFrame:
    return pd.DataFrame([(r, t) for r in rates for t in temperatures], columns=SPACE.names)


def measured(X: pd.DataFrame) -> Optimizer:
    """An optimizer told ``X`` measured with noise, fitted."""
    y = np.exp(-distance2(X)) + np.random.default_rng(0).normal(0, NOISE, len(X))
    opt = Optimizer(SPACE, seed=0, num_restarts=2, raw_samples=64).tell(X, y.rename("jc_3T"))
    opt.model  # noqa: B018 (fit now)
    return opt


COARSE = grid(np.linspace(10, 100, 7), np.linspace(450, 750, 7))


@pytest.fixture(scope="module")
def settled() -> Optimizer:
    """A 7 x 7 grid plus a 5 x 5 grid around the peak."""
    return measured(
        pd.concat(
            [COARSE, grid(np.linspace(25, 45, 5), np.linspace(590, 650, 5))], ignore_index=True
        )
    )


@pytest.fixture(scope="module")
def midpoints() -> pd.DataFrame:
    """The centres of the coarse grid's cells."""
    return grid(np.linspace(17.5, 92.5, 6), np.linspace(475, 725, 6))


def log_ei(opt: Optimizer, rows: pd.DataFrame) -> pd.Series:
    with torch.no_grad():
        values = opt.acquisition_function()(SPACE.to_unit(rows).unsqueeze(1))
    return pd.Series(values.numpy(), index=rows.index)


def test_away_from_the_measured_peak_the_best_posterior_mean_is_taken(settled, midpoints):
    far = midpoints[distance2(midpoints) > 0.5]
    ei = log_ei(settled, far)
    assert ei.max() < math.log(KAPPA * float(noise_std(settled.model)[0]))  # the premise
    best_mean = settled.predict(far)["jc_3T_mean"].idxmax()
    assert ei.idxmax() != best_mean  # expected improvement alone would go elsewhere
    out = settled.ask(1, candidates=far)
    assert out.attrs["exploit"] == [True]
    noise = float(settled.measurement_noise()[0])
    assert out.attrs["acquisition_function"] == (
        f"PosteriorMean (expected improvement of the search's best {math.exp(ei.max()) / noise:.2g}"
        f" x noise std, under 0.01 x; of the point(s) chosen by mean "
        f"{math.exp(ei[best_mean]) / noise:.2g} x)"
    )
    assert out.index.tolist() == [best_mean]
    assert out["acquisition"].iloc[0] == pytest.approx(ei[best_mean], abs=1e-6)  # still its EI


def test_the_label_states_the_expected_improvement_of_the_point_chosen(settled, monkeypatch):
    """The switch is judged on the EI search's best, but the stored row is the best-mean point,
    whose own EI can be larger (the search missed it): the label said "expected improvement <
    0.01 x noise std" beside a row whose EI was 0.23 x. Forced here on the dense grid, where the
    best-mean point's EI is 0.2 x the noise std: the label states that number, as stored."""
    monkeypatch.setattr(Optimizer, "expects_no_improvement", lambda self, log_ei: True)
    out = settled.ask(1)
    noise = float(settled.measurement_noise()[0])
    ratio = math.exp(out["acquisition"].iloc[0]) / noise
    assert out.attrs["exploit"] == [True] and ratio > KAPPA  # the premise: above the bar
    label = out.attrs["acquisition_function"]
    assert label.startswith("PosteriorMean (") and f"chosen by mean {ratio:.2g} x)" in label


def test_a_batch_expecting_no_improvement_takes_the_best_means(settled, midpoints):
    far = midpoints[distance2(midpoints) > 0.5]
    out = settled.ask(2, candidates=far)
    assert out.attrs["exploit"] == [True, True]
    means = settled.predict(far)["jc_3T_mean"]
    assert sorted(out.index) == sorted(means.nlargest(2).index)


def test_with_improvement_left_expected_improvement_chooses(midpoints):
    coarse = measured(COARSE)  # the cell centres next to the peak are still open
    ei = log_ei(coarse, midpoints)
    assert ei.max() > math.log(KAPPA * float(noise_std(coarse.model)[0]))
    out = coarse.ask(1, candidates=midpoints)
    assert out.attrs["exploit"] == [False]
    assert out.attrs["acquisition_function"] == "LogExpectedImprovement"
    assert out.index.tolist() == [ei.idxmax()]


def test_the_threshold_is_kappa_times_the_fitted_noise_std(settled):
    bar = math.log(KAPPA * float(noise_std(settled.model)[0]))
    assert float(noise_std(settled.model)[0]) == pytest.approx(NOISE, rel=0.5)
    assert settled.expects_no_improvement(bar - 0.01)
    assert not settled.expects_no_improvement(bar + 0.01)


def test_never_with_outcome_constraints(settled):
    constrained = Optimizer(SPACE, seed=0, outcome_constraints={"jc_3T": (0.1, None)})
    constrained.tell(settled.X, settled.Y["jc_3T"])
    assert not constrained.expects_no_improvement(-1e6)


def test_a_batch_is_judged_by_the_acquisition_that_chose_it():
    """A batch's rows are reported (and the switch judged) by the acquisition that chose its first
    row. qLogNEI prunes its baseline with posterior samples drawn from the global RNG; one built
    after the batch was chosen pruned differently: on snar after 14 trials of a pairs replay
    (bench_optimize.py, seed 1) it reported log EI -41.7 where the chooser saw -6.5, and the
    switch took a round by posterior mean that asking for three rows did not."""
    table = DATA / "bo-benchmarks" / "olympus" / "snar.csv"
    columns = list(pd.read_csv(table, nrows=0).columns)
    X, y = read_table(table, columns[:-1], columns[-1])
    X = X.loc[:, X.nunique() > 1]
    space = SearchSpace([Continuous(c, float(X[c].min()), float(X[c].max())) for c in X.columns])
    picks = [30, 33, 56, 9, 22, 47, 34, 50, 54, 46, 21, 25, 48, 36]
    opt = Optimizer(space, seed=1, maximize=False).tell(X.iloc[picks], y.iloc[picks])
    two, three = opt.ask(2, candidates=X), opt.ask(3, candidates=X)
    assert list(two.index) == list(three.index[:2])
    np.testing.assert_array_equal(two.acquisition, three.acquisition.iloc[:2])
    assert two.attrs["acquisition_function"] == three.attrs["acquisition_function"]
