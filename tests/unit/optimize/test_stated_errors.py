"""Objectives' stated 1-sigma enter the GP as known noise on top of the fitted one; without any
the model is the fitted-noise one, number for number."""

import math

import numpy as np
import pandas as pd
import pytest
from gpytorch.likelihoods import FixedNoiseGaussianLikelihood, GaussianLikelihood

from fluxtrap.errors import ValidationError
from fluxtrap.optimize import Categorical, Continuous, Optimizer, SearchSpace
from fluxtrap.optimize.model import known_noise_var
from fluxtrap.optimize.stopping import KAPPA

SPACE = SearchSpace([Continuous("x", 0, 10)])  # continuous: the rows (linspace) are on no grid


def trend(x: np.ndarray) -> np.ndarray:
    return np.sin(x / 1.5)


def outlier_campaign() -> tuple[pd.DataFrame, np.ndarray, int]:
    """15 rows on a smooth trend, the middle one 3 above it."""
    x = np.linspace(0, 10, 15)
    y = trend(x)
    y[7] += 3.0
    return pd.DataFrame({"x": x}), y, 7


def errors_at(n: int, rows: dict[int, float]) -> pd.Series:
    return pd.Series([rows.get(i, np.nan) for i in range(n)], name="y")


def told(X: pd.DataFrame, y: np.ndarray, errors: pd.Series | None = None) -> Optimizer:
    return Optimizer(SPACE, seed=0).tell(X, pd.Series(y, name="y"), errors)


def test_an_outlier_stated_as_uncertain_follows_its_neighbours():
    X, y, k = outlier_campaign()
    at = X.iloc[[k]]
    plain = told(X, y).predict(at)["y_mean"].iloc[0]
    stated = told(X, y, errors_at(len(y), {k: 3.0})).predict(at)["y_mean"].iloc[0]
    offset = y[k] - trend(X["x"].to_numpy())[k]
    # without its error the model believes the row; with it, the trend of its neighbours
    assert abs(plain - y[k]) < 0.2 * offset
    assert abs(stated - trend(at["x"].to_numpy())[0]) < 0.2 * offset


def noisy_campaign() -> tuple[pd.DataFrame, np.ndarray, int]:
    """31 rows with noise 0.3 about the trend; the middle one exact but 0.4 off the trend."""
    x = np.linspace(0, 10, 31)
    y = trend(x) + np.random.default_rng(3).normal(0, 0.3, len(x))
    y[15] = trend(x[15]) + 0.4
    return pd.DataFrame({"x": x}), y, 15


def test_a_row_with_a_tiny_stated_error_is_interpolated():
    """Every row states its error; the scatter is explained by them, the fitted part shrinks to
    its prior's pull, and the row stated to 1e-3 is followed far more closely than when stated
    as noisy as the others (the fitted part is still added to it: sample-to-sample variation
    is not measurement noise)."""
    X, y, k = noisy_campaign()
    n = len(y)
    at = X.iloc[[k]]
    same = told(X, y, errors_at(n, dict.fromkeys(range(n), 0.3)))
    tiny = told(X, y, errors_at(n, {**dict.fromkeys(range(n), 0.3), k: 1e-3}))
    miss_same = abs(same.predict(at)["y_mean"].iloc[0] - y[k])
    miss_tiny = abs(tiny.predict(at)["y_mean"].iloc[0] - y[k])
    assert miss_tiny < 0.5 * miss_same
    fitted = tiny.model_summary()["objectives"]["y"]["fitted_noise_std"]
    assert fitted < 0.5 * 0.3  # the stated errors explain the scatter
    assert miss_tiny < 2 * fitted


@pytest.mark.parametrize("none", [None, "nan", "zero"])
def test_without_stated_errors_the_model_is_the_fitted_noise_one(none):
    X, y, _ = noisy_campaign()
    errors = {None: None, "nan": errors_at(len(y), {}), "zero": errors_at(len(y), {})}[none]
    if none == "zero":
        errors = errors.fillna(0.0)
    base, other = told(X, y), told(X, y, errors)
    assert type(other.model.likelihood) is GaussianLikelihood
    grid = pd.DataFrame({"x": np.linspace(0, 10, 41)})
    pd.testing.assert_frame_equal(base.predict(grid), other.predict(grid), check_exact=True)
    summary = other.model_summary()
    assert summary == base.model_summary()
    o = summary["objectives"]["y"]
    assert o["known_errors"] == 0 and o["noise_std"] == o["fitted_noise_std"]
    assert summary["model"].endswith("fitted noise)")


def test_stated_errors_are_known_noise_in_the_summary_and_the_no_improvement_rule():
    X, y, k = noisy_campaign()
    n = len(y)
    stated = dict.fromkeys(range(0, n, 2), 0.3)  # every other row
    opt = told(X, y, errors_at(n, stated))
    lik = opt.model.likelihood
    assert isinstance(lik, FixedNoiseGaussianLikelihood) and lik.second_noise_covar is not None
    var = known_noise_var(opt.model)[:, 0].numpy()
    rows = sorted(stated)
    assert var[rows] == pytest.approx(0.09, rel=1e-9)  # Standardize's round trip
    others = np.setdiff1d(np.arange(n), rows)
    assert var[others].max() < 1e-5  # gpytorch's floor for known noise, 1e-6 standardized
    summary = opt.model_summary()
    o = summary["objectives"]["y"]
    assert o["known_errors"] == len(rows) and "stated errors" in summary["model"]
    # a typical measurement's noise: the fitted part and the median stated variance (0.09)
    assert o["noise_std"] == pytest.approx(math.hypot(o["fitted_noise_std"], 0.3), rel=1e-6)
    # the no-improvement rule compares with that noise, as the stopping advisor reads it
    between = math.log(KAPPA * math.sqrt(o["fitted_noise_std"] * o["noise_std"]))
    assert opt.expects_no_improvement(between)
    assert not opt.expects_no_improvement(math.log(KAPPA * o["noise_std"]) + 1e-9)


def test_errors_told_in_several_calls_stay_with_their_rows():
    X, y, k = outlier_campaign()
    opt = Optimizer(SPACE, seed=0)
    opt.tell(X.iloc[:k], pd.Series(y[:k], name="y"))
    opt.tell(X.iloc[k:], pd.Series(y[k:], name="y"), errors_at(len(y) - k, {0: 3.0}))
    assert opt.errors["y"].notna().tolist() == [i == k for i in range(len(y))]
    assert known_noise_var(opt.model)[k, 0] == pytest.approx(9.0, rel=1e-9)


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (-0.1, "errors row 3: the 1-sigma of y, -0.1, must be a finite number"),
        (math.inf, "errors row 3: the 1-sigma of y, inf, must be a finite number"),
        ("0.3 K", "errors row 3: the 1-sigma of y, '0.3 K', must be a finite number"),
        (1e300, "errors row 3: the 1-sigma of y, 1e+300, must be a finite number from 0 to 1e+100"),
    ],
)
def test_a_bad_stated_error_is_refused_naming_the_row(error, said):
    X, y, _ = outlier_campaign()
    errors = errors_at(len(y), {3: error}) if not isinstance(error, str) else None
    if errors is None:  # a column of objects: text in a numeric table
        errors = errors_at(len(y), {}).astype(object)
        errors.iloc[3] = error
    opt = Optimizer(SPACE, seed=0)
    with pytest.raises(ValidationError, match=f"^{said}".replace("+", r"\+")):
        opt.tell(X, pd.Series(y, name="y"), errors)
    assert opt.X.empty  # nothing told


def test_an_error_of_an_unknown_outcome_or_another_length_is_refused():
    X, y, _ = outlier_campaign()
    opt = Optimizer(SPACE, seed=0)
    with pytest.raises(ValidationError, match=r"errors: column\(s\) tc are not outcomes .*\(y\)"):
        opt.tell(X, pd.Series(y, name="y"), pd.DataFrame({"tc": np.ones(len(y))}))
    with pytest.raises(ValidationError, match="errors has 3 rows but y has 15"):
        opt.tell(X, pd.Series(y, name="y"), errors_at(3, {}))
    assert opt.X.empty


def test_categories_and_several_outcomes_take_their_own_stated_errors():
    """MixedSingleTaskGP and the batched model of two objectives and a constraint-only outcome:
    each output's known variance is its own column's, and ask works on them."""
    rng = np.random.default_rng(0)
    n = 12
    fast = {"num_restarts": 2, "raw_samples": 32}
    mixed = SearchSpace([Continuous("x", 0, 10, 0.1), Categorical("c", ("a", "b"))])
    X = pd.DataFrame({"x": rng.uniform(0, 10, n).round(1), "c": rng.choice(["a", "b"], n)})
    y = pd.Series(np.sin(X["x"]) + (X["c"] == "a"), name="y")
    opt = Optimizer(mixed, seed=0, **fast).tell(X, y, errors_at(n, {0: 0.2, 3: 0.2}))
    assert type(opt.model).__name__ == "MixedSingleTaskGP"
    assert known_noise_var(opt.model)[[0, 3], 0].tolist() == pytest.approx([0.04, 0.04])
    assert len(opt.ask(2)) == 2
    space = SearchSpace([Continuous("x", 0, 10, 0.1), Continuous("z", 0, 1, 0.01)])
    X = pd.DataFrame({"x": rng.uniform(0, 10, n).round(1), "z": rng.uniform(0, 1, n).round(2)})
    Y = pd.DataFrame({"a": np.sin(X["x"]), "b": X["z"] + np.cos(X["x"]), "t": X["x"] * 3})
    E = pd.DataFrame({"b": errors_at(n, {1: 0.1}), "t": 0.5})
    opt = Optimizer(
        space, seed=0, objectives=["a", "b"], outcome_constraints={"t": (None, 20)}, **fast
    ).tell(X, Y, E)
    var = known_noise_var(opt.model)
    assert var[1, 1] == pytest.approx(0.01) and var[:, 2].tolist() == pytest.approx([0.25] * n)
    assert float(var[:, 0].max()) < 1e-5 and float(var[0, 1]) < 1e-5
    assert [o["known_errors"] for o in opt.model_summary()["objectives"].values()] == [0, 1, n]
    assert len(opt.ask(1)) == 1
