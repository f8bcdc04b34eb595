"""The predicted measurement +- 1 sd at suggestions (Optimizer.predict(measurement=True),
sd_scale): what it is made of, and that it covers what the measurement reads."""

import numpy as np
import pandas as pd
import pytest

from fluxtrap.optimize import Continuous, Optimizer, SearchSpace

FAST = {"num_restarts": 2, "raw_samples": 64}
SPACE = SearchSpace([Continuous("a", 0, 1, 0.01), Continuous("b", 0, 1, 0.01)])


def peak(X: pd.DataFrame, width: float = 0.15) -> pd.Series:
    """A Jc-like objective in A/m^2: a peak 2 decades above the floor at (0.7, 0.3) (not one of
    the functions bench/bench_suggest_coverage.py chose the statement on)."""
    a, b = X["a"].to_numpy(float), X["b"].to_numpy(float)
    r2 = (a - 0.7) ** 2 + (b - 0.3) ** 2
    return pd.Series(1e8 * 10 ** (2 * np.exp(-r2 / (2 * width**2))), name="jc")


def test_without_a_record_the_sd_is_the_means_and_the_noise_in_quadrature():
    """Two rows: no model stood before either, so no record to scale by (s = 1); the sd of a
    measurement is sqrt(sd_mean^2 + noise^2) exactly."""
    X = pd.DataFrame({"a": [0.2, 0.8], "b": [0.5, 0.1]})
    opt = Optimizer(SPACE, seed=0, **FAST).tell(X, pd.Series([1.0, 3.0], name="y"))
    at = pd.DataFrame({"a": [0.5, 0.9], "b": [0.5, 0.9]})
    mean, measured = opt.predict(at), opt.predict(at, measurement=True)
    noise = float(opt.measurement_noise()[0])
    assert opt.sd_scale() == pytest.approx([1.0])
    np.testing.assert_allclose(measured.y_mean, mean.y_mean, rtol=1e-12)
    np.testing.assert_allclose(measured.y_std, np.hypot(mean.y_std, noise), rtol=1e-9)


def test_the_scale_is_the_record_of_the_models_that_stood_when_each_row_came():
    """Rows told one at a time, each predicted before it is told: sd_scale's refits of the
    prefixes are those models (same seed and rows), so s^2 = (1 + sum z^2) / (1 + k) over the
    last four rows' z = (y - mean) / sd of a measurement, as predicted then (to 1e-6)."""
    X = SPACE.sample(8, seed=4)
    y = peak(X)
    opt = Optimizer(SPACE, seed=3, **FAST).tell(X.iloc[:2], y.iloc[:2])
    z = []
    for i in range(2, len(X)):
        guess = opt.predict(X.iloc[[i]])
        sd = np.hypot(guess.jc_std.iloc[0], float(opt.measurement_noise()[0]))  # unscaled
        z.append((y.iloc[i] - guess.jc_mean.iloc[0]) / sd)
        opt.tell(X.iloc[[i]], y.iloc[[i]])
    last = np.array(z[-4:])
    assert opt.sd_scale()[0] == pytest.approx(np.sqrt((1 + (last**2).sum()) / 5), rel=1e-6)


def test_the_sd_stated_at_suggestions_covers_the_measured_value():
    """Six seeds of a campaign loop on a peak the statement was not chosen on (noise-free, 5
    Sobol rows, then 2 asks, each suggestion measured and told): the mean's sd held the
    measured value within 1 sd at 2 of the 12 suggestions (median |z| 3.8; expected 0.68 x 12
    = 8.2); the sd of a measurement scaled by the loop's own record holds 9 (binomial s.e. for
    p = 0.68, N = 12: 1.6 rows). Within 2 sd also 9, not the 11.4 a normal z would give: the
    misses are far off (the tails the scale does not reach), so the bar is 2 in 3."""
    inside_mean, inside, inside2 = 0, 0, 0
    for seed in range(6):
        X = SPACE.sample(5, seed=100 + seed)
        opt = Optimizer(SPACE, seed=seed, **FAST).tell(X, peak(X))
        for _ in range(2):
            x = opt.ask(1)[SPACE.names]
            y = float(peak(x).iloc[0])
            mean, stated = opt.predict(x).iloc[0], opt.predict(x, measurement=True).iloc[0]
            inside_mean += abs(y - mean.jc_mean) <= mean.jc_std
            inside += abs(y - stated.jc_mean) <= stated.jc_std
            inside2 += abs(y - stated.jc_mean) <= 2 * stated.jc_std
            opt.tell(x, peak(x))
    assert inside_mean <= 4
    assert 6 <= inside <= 11 and inside2 >= 8


def test_refits_estimated_past_their_budget_are_not_made(monkeypatch):
    """sd_scale refits the model once per recent row; where those refits are estimated past
    LFO_MAX_S (a categorical space's fits, 10-30 s each) none is made and the scale is 1, so a
    suggest stays within what its cost check promised. Within the budget they are made."""
    from fluxtrap.optimize import optimizer as optimizer_module

    X = SPACE.sample(8, seed=4)
    fits = []
    real = optimizer_module.fit_models

    def counted(*args, **kwargs):
        fits.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(optimizer_module, "fit_models", counted)
    opt = Optimizer(SPACE, seed=3, **FAST).tell(X, peak(X))
    monkeypatch.setattr(optimizer_module, "LFO_MAX_S", 1e-3)
    assert opt.sd_scale() == pytest.approx([1.0]) and fits == []
    monkeypatch.setattr(optimizer_module, "LFO_MAX_S", 60.0)
    opt = Optimizer(SPACE, seed=3, **FAST).tell(X, peak(X))
    assert opt.sd_scale()[0] != 1.0 and len(fits) == 4
