"""The stopping advisor on a flat campaign (the objective pure noise) and the noise floor the
replicates give: the model's own reading of such data, checked against what was generated."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from fluxtrap.optimize import Continuous, Optimizer, SearchSpace
from fluxtrap.optimize.model import typical_noise_std
from fluxtrap.optimize.stopping import FLAT_KAPPA, FLAT_R2, KAPPA, advise

SPACE = SearchSpace([Continuous("a", 0, 1, 0.01), Continuous("b", 0, 1, 0.01)])
SIGMA = 1.0  # the measurement noise generated (sd)


def measure(X: pd.DataFrame, peak: float, rng: np.random.Generator) -> pd.Series:
    """10 + peak x a Gaussian bump at (0.63, 0.37) + N(0, SIGMA) at ``X``."""
    bump = np.exp(-((X.a - 0.63) ** 2 + (X.b - 0.37) ** 2) / 0.05)
    return (10 + peak * bump + rng.normal(0, SIGMA, len(X))).rename("y")


def told(X: pd.DataFrame, y: pd.Series) -> Optimizer:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Optimizer(SPACE, seed=0, num_restarts=4, raw_samples=64).tell(X, y)


def campaign(peak: float, rounds: int) -> tuple[list, list, list]:
    """A loop of ``rounds`` asks from 5 Sobol samples, each suggestion measured: per round the
    log EI of the suggestion, the summary's noise std and LOO R^2 (what the advisor reads)."""
    rng = np.random.default_rng(0)
    X = SPACE.sample(5, seed=1)
    y = measure(X, peak, rng)
    log_ei, noise, r2 = [], [], []
    for _ in range(rounds):
        opt = told(X, y)
        out = opt.ask(1)
        o = opt.model_summary()["objectives"]["y"]
        log_ei.append(float(out.acquisition.iloc[0]))
        noise.append(o["noise_std"])
        r2.append(o["loo_r2"])
        new = out[SPACE.names]
        X = pd.concat([X, new], ignore_index=True)
        y = pd.concat([y, measure(new, peak, rng)], ignore_index=True)
    return log_ei, noise, r2


def test_a_flat_campaign_hears_consider_stopping():
    """The objective pure noise (sd 1): EI stayed at 0.1-0.3 x the noise std, above KAPPA, so
    the rule alone never said stop (35 rounds tried); its model has no skill (LOO R^2 < 0.1)
    from 10 samples on, and twelve such rounds say 'consider stopping' at 21 samples."""
    log_ei, noise, r2 = campaign(peak=0.0, rounds=17)
    assert not advise(log_ei, noise).stop  # the rule alone
    a = advise(log_ei, noise, loo_r2=r2)
    assert a.stop and a.without_skill >= 10
    assert all(
        KAPPA < math.exp(e) / s < FLAT_KAPPA for e, s in zip(log_ei[-12:], noise[-12:], strict=True)
    )


def test_a_campaign_finding_a_peak_keeps_its_skill():
    """A bump 5 x the noise: LOO R^2 0.28-0.87 from 7 samples on, no round counts for want of
    skill, and the advice is to keep going."""
    log_ei, noise, r2 = campaign(peak=5.0, rounds=12)
    a = advise(log_ei, noise, loo_r2=r2)
    assert not a.stop and a.without_skill == 0
    assert min(r2[2:]) > 2 * FLAT_R2


def test_replicates_floor_the_noise_at_their_pooled_scatter():
    """Each of 20 points measured twice, noise sd 1: the fitted noise runs low (BoTorch's prior),
    0.69; the pooled scatter of the pairs (20 degrees of freedom) is the measurement's, 0.80 here,
    and the advisor's bar is the larger. With fewer than 3 degrees of freedom the fit stands."""
    X = SPACE.sample(20, seed=1)
    X2 = pd.concat([X, X], ignore_index=True)
    opt = told(X2, measure(X2, 0.0, np.random.default_rng(0)))
    y = opt.Y["y"].to_numpy()
    pooled = math.sqrt(np.sum((y[:20] - y[20:]) ** 2 / 2) / 20)  # pairs: (y1 - y2)^2 / 2 each
    std, dof = opt.replicate_noise()
    assert dof == 20 and std[0] == pytest.approx(pooled, rel=1e-12)
    fitted = float(typical_noise_std(opt.model)[0])
    assert fitted < pooled  # the premise: the fit alone was lower
    assert float(opt.measurement_noise()[0]) == pytest.approx(pooled, rel=1e-12)
    assert opt.model_summary()["objectives"]["y"]["noise_std"] == pytest.approx(pooled)
    X22 = pd.concat([X, X.iloc[:2]], ignore_index=True)
    few = told(X22, measure(X22, 0.0, np.random.default_rng(0)))
    assert few.replicate_noise()[1] == 2
    assert float(few.measurement_noise()[0]) == float(typical_noise_std(few.model)[0])
