"""Benchmark of fluxtrap.optimize against the peers a lab would pick instead: pool replays on real
experimental tables, in single suggestions and in batches of two with pending points, results
accumulated seed by seed in a committed JSONL file; and the time of one ask.

Replay follows Liang et al. 2021 (npj Comput. Mater. 7, 188) as ../shared/data/bo-benchmarks/README.md
describes it: identical inputs averaged into one pool entry, goal set = best ceil(5% N), 2 random
starting entries (the same rows for every method of a seed), trials counted including the starts,
every method picks only unobserved pool rows; result = fraction of the goal set found after 10 / 25
/ 50 trials (prefixes of one 50-trial run: every method here ignores the budget), and per table and
budget the paired difference fluxtrap minus each peer (same seed, same starts), mean +- s.e.

Methods (``x2``: batches of two, the second asked with the first pending, the lab's way):
- ``fluxtrap`` / ``fluxtrap x2``: fluxtrap's ``Optimizer`` defaults over the pool (``ask(n,
  candidates=pool)``: the acquisition scored on every unobserved row).
- ``BayBE`` / ``BayBE x2``: BayBE 0.15 ``Campaign`` with its default recommender (random first,
  then ``BotorchRecommender``: BayBE's GP preset, qLogEI) over ``SubspaceDiscrete.from_dataframe``
  of the pool rows; ``recommend(batch_size=1 or 2)``. One setting changed from the default:
  ``allow_recommending_already_measured=False`` (BayBE's default would let it measure a row twice,
  which the replay gives no new information for and no other method may do).
- ``Optuna TPE`` / ``Optuna TPE x2``: Optuna 5 ``TPESampler(seed)`` (defaults, 10 random startup
  trials) ask/tell, each input a float in the pool's box; the asked point is snapped to the nearest
  unobserved pool row (min-max scaled Euclidean) and that row is told as a trial of its own (the
  asked trial is failed, so TPE learns from what was measured). Snapping, not a categorical row
  index: rows as unordered categories carry no distance, so TPE could not generalise between
  them. ``x2``: two asks before the tells, ``constant_liar=True`` (Optuna's documented setting for
  parallel asks; without it the second ask ignores the first).
- ``Matern + EI(best y)`` / ``x2``: a plain BoTorch loop, fluxtrap's GP (Matern-5/2 ARD, BoTorch's
  dimension-scaled prior, Standardize), LogEI on the best observed value; ``x2`` then qLogEI with
  the first pending.
- ``BoTorch default`` / ``x2``: the same loop with ``SingleTaskGP``'s default GP (BoTorch 0.18: RBF
  ARD with the dimension-scaled log-normal length-scale prior).
- ``random``: uniform without replacement (the same in batches: its row serves both tables).
- ``fluxtrap log``: fluxtrap told log(y) (not in the default set; measured earlier, not adopted).
- Other variants, run with ``--methods`` and read with ``--variants`` (variant minus fluxtrap [x2],
  paired): ``fluxtrap warp [x2]``, ``gamma [x2]``, ``gamma2d [x2]``, ``yeo-johnson [x2]``,
  ``believer x2``; each patches the optimizer for one run (see the context managers below).

Peers are not fluxtrap dependencies: ``make bench-env`` builds ``.venv-bench`` from
``bench/requirements.txt``; a peer whose package is missing is skipped with a note.

Results accumulate: ``--out FILE`` (default ``bench/results/optimize_runs.jsonl.gz``, gzip when
the name ends in ``.gz``) gets one line per finished run (set, method, seed, picks, seconds per suggestion; fluxtrap's single-point runs
also the per-round log EI and noise std for ``bench/calibrate_stopping.py``), and a new run skips
every (set, method, seed) the file already holds, so each session resumes where the last stopped.
Jobs go seed-major (every set and method of seed 0, then seed 1, ...). ``--summary`` prints the
paired tables and the goal criteria of issue 22 from the file.

    make bench-env
    nice -n 10 timeout 3h .venv-bench/bin/python bench/bench_optimize.py --seeds 30 [--workers 2]
    .venv-bench/bin/python bench/bench_optimize.py --summary
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import math
import os
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from multiprocessing import get_context
from pathlib import Path
from unittest.mock import patch

import numpy as np
import pandas as pd
import torch

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "bo-benchmarks"
RESULTS = Path(__file__).resolve().parent / "results" / "optimize_runs.jsonl.gz"
# (name, file, maximize)
SETS = [
    ("Crossed barrel", "liang2021/Crossed_barrel_dataset.csv", True),
    ("Perovskite", "liang2021/Perovskite_dataset.csv", False),
    ("AgNP", "liang2021/AgNP_dataset.csv", False),
    ("P3HT", "liang2021/P3HT_dataset.csv", True),
    ("AutoAM", "liang2021/AutoAM_dataset.csv", True),
    ("fullerenes", "olympus/fullerenes.csv", True),
    ("snar", "olympus/snar.csv", False),
    ("suzuki", "olympus/suzuki.csv", True),
    ("benzylation", "olympus/benzylation.csv", False),
    ("hplc", "olympus/hplc.csv", True),
    ("photo_pce10", "olympus/photo_pce10.csv", False),
]
# name -> (kind, batch, fluxtrap Optimizer options or None)
METHODS: dict[str, tuple[str, int, dict | None]] = {
    "fluxtrap": ("fluxtrap", 1, {}),
    "fluxtrap x2": ("fluxtrap", 2, {}),
    "BayBE": ("baybe", 1, None),
    "BayBE x2": ("baybe", 2, None),
    "Optuna TPE": ("optuna", 1, None),
    "Optuna TPE x2": ("optuna", 2, None),
    "Matern + EI(best y)": ("matern", 1, None),
    "Matern + EI(best y) x2": ("matern", 2, None),
    "BoTorch default": ("default", 1, None),
    "BoTorch default x2": ("default", 2, None),
    "random": ("random", 1, None),
    "fluxtrap log": ("fluxtrap log", 1, {}),
    "fluxtrap warp": ("fluxtrap warp", 1, {}),
    "fluxtrap believer x2": ("fluxtrap believer", 2, {}),
    "fluxtrap gamma": ("fluxtrap gamma", 1, {}),
    "fluxtrap gamma x2": ("fluxtrap gamma", 2, {}),
    "fluxtrap warp x2": ("fluxtrap warp", 2, {}),
    "fluxtrap gamma2d": ("fluxtrap gamma2d", 1, {}),
    "fluxtrap gamma2d x2": ("fluxtrap gamma2d", 2, {}),
    "fluxtrap yeo-johnson": ("fluxtrap yeo-johnson", 1, {}),
    "fluxtrap yeo-johnson x2": ("fluxtrap yeo-johnson", 2, {}),
    # today's code (Optimizer.expects_no_improvement); the stored single runs of seeds 0-12 were
    # made by a patch on the code before it, with the same picks; the pairs rows are today's code
    # (the code before 0e4622b: 'fluxtrap unseeded x2')
    "fluxtrap collapse": ("fluxtrap", 1, {}),
    "fluxtrap collapse x2": ("fluxtrap", 2, {}),
    "fluxtrap single-first x2": ("fluxtrap single-first", 2, {}),
}
VARIANTS = [
    "fluxtrap log",
    "fluxtrap warp",
    "fluxtrap warp x2",
    "fluxtrap believer x2",
    "fluxtrap gamma",
    "fluxtrap gamma x2",
    "fluxtrap gamma2d",
    "fluxtrap gamma2d x2",
    "fluxtrap yeo-johnson",
    "fluxtrap yeo-johnson x2",
    "fluxtrap collapse",
    "fluxtrap collapse x2",
    "fluxtrap single-first x2",
]  # measured against fluxtrap, not run by default
# a variant of today's code is measured against today's code (else against fluxtrap [x2])
VARIANT_REFERENCE = {"fluxtrap single-first x2": "fluxtrap collapse x2"}
DEFAULT_METHODS = [m for m in METHODS if m not in VARIANTS]
NEEDS = {"baybe": "baybe", "optuna": "optuna"}  # kind -> package
AT = (10, 25, 50)


def load(data: Path, name: str) -> tuple[pd.DataFrame, pd.Series, bool]:
    from fluxtrap.optimize.replay import read_table

    file, maximize = next((f, m) for n, f, m in SETS if n == name)
    cols = list(pd.read_csv(data / file, encoding="utf-8-sig", nrows=0).columns)
    X, y = read_table(data / file, cols[:-1], cols[-1])
    return X.loc[:, X.nunique() > 1].reset_index(drop=True), y.reset_index(drop=True), maximize


def top_rows(y: pd.Series, maximize: bool) -> list[int]:
    """The goal set: pool rows of the best ceil(5% N) values."""
    order = np.argsort(-y.to_numpy() if maximize else y.to_numpy(), kind="stable")
    return order[: math.ceil(0.05 * len(y))].tolist()


def starts(n_pool: int, n_initial: int, seed: int) -> list[int]:
    return [int(i) for i in np.random.default_rng(seed).choice(n_pool, n_initial, replace=False)]


class Clock:
    """Wall and CPU seconds spent in the suggestion steps of one run."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0
        self.points = 0

    def __call__(self, step, points: int):
        t, c = time.perf_counter(), time.process_time()
        out = step()
        self.wall += time.perf_counter() - t
        self.cpu += time.process_time() - c
        self.points += points
        return out


def run_fluxtrap(X, y, maximize, budget, seed, batch, options, clock, log=False):
    """fluxtrap's Optimizer over the pool; single points also give the per-round EI / noise trace."""
    from fluxtrap.optimize import Continuous, Optimizer, SearchSpace
    from fluxtrap.optimize.model import noise_std

    space = SearchSpace([Continuous(c, float(X[c].min()), float(X[c].max())) for c in X.columns])
    told = np.log(y) if log else y
    picked = starts(len(X), 2, seed)
    opt = Optimizer(space, seed=seed, maximize=maximize, **options)
    opt.tell(X.iloc[picked], told.iloc[picked].rename("y"))
    trace = []
    while len(picked) < budget:
        n = min(batch, budget - len(picked))
        out = clock(lambda n=n: opt.ask(n, candidates=X), n)
        rows = [int(i) for i in out.index]
        if batch == 1 and not log:
            log_ei = float(out["acquisition"].iloc[0])
            noise = float(noise_std(opt.model)[0])
            trace.append([len(picked), round(log_ei, 3), float(f"{noise:.4g}")])
        picked += rows
        opt.tell(X.iloc[rows], told.iloc[rows].rename("y"))
    return picked, trace


@contextmanager
def warped_inputs():
    """fluxtrap's GP with a learned Kumaraswamy input warping (BoTorch ``Warp``, log-normal priors
    on both concentrations as in BoTorch's warping tutorial), patched in for one run."""
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from botorch.models.transforms.input import Warp
    from botorch.models.transforms.outcome import Standardize
    from botorch.models.utils.gpytorch_modules import get_covar_module_with_dim_scaled_prior
    from gpytorch.mlls import ExactMarginalLogLikelihood
    from gpytorch.priors import LogNormalPrior

    import fluxtrap.optimize.optimizer as optimizer

    def fit(U, Y, cat_dims, *_):  # the whole GP: fit_model's options do not apply
        d = U.shape[-1]
        warp = Warp(
            d=d,
            indices=list(range(d)),
            concentration1_prior=LogNormalPrior(0.0, 0.75**0.5),
            concentration0_prior=LogNormalPrior(0.0, 0.75**0.5),
        )
        covar = get_covar_module_with_dim_scaled_prior(ard_num_dims=d, use_rbf_kernel=False)
        model = SingleTaskGP(
            U, Y, covar_module=covar, input_transform=warp, outcome_transform=Standardize(m=1)
        )
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
        model.eval()
        return model

    with patch.object(optimizer, "fit_model", fit):
        yield


def budget_prefix(budget: int, batch: int) -> int:
    """Trials a budget-``budget`` run shares with the same method's budget-free run: those before
    the batch holding its first exploiting trial (batches start after the 2 starts)."""
    from fluxtrap.optimize.optimizer import EXPLOIT_SHARE

    free = budget - math.ceil(EXPLOIT_SHARE * budget)  # trials before the endgame
    return 2 + (free - 2) // batch * batch


def fit_gamma(U, Y, cat_dims, *_):
    """fluxtrap's GP with BayBE 0.15's length-scale prior instead of BoTorch's: Gamma(3, rate)
    with the same mode, 0.205 sqrt(d) (``exp(sqrt 2 - 3) sqrt d``), but a light tail (the
    log-normal's sigma = sqrt 3 lets 2-4 points fit an almost linear model); noise prior and
    everything else unchanged. That is fluxtrap's own light-tailed fit (the model module's, which
    the variants do not patch), the one batches are now planned on while points are few."""
    from fluxtrap.optimize.model import fit_model

    return fit_model(U, Y, cat_dims, light_tailed=True)


@contextmanager
def gamma_lengthscale_prior():
    """``fit_gamma`` patched in for one run."""
    import fluxtrap.optimize.optimizer as optimizer

    with patch.object(optimizer, "fit_model", fit_gamma):
        yield


@contextmanager
def gamma_prior_while_few():
    """``fit_gamma`` while fewer than 2 d observations (d inputs), fluxtrap's own GP from then
    on: the light-tailed prior only where 2-4 points would otherwise fit an almost linear model
    (the pairs' second point at 10 trials), patched in for one run."""
    import fluxtrap.optimize.optimizer as optimizer

    own = optimizer.fit_model

    def fit(U, Y, cat_dims, *options):
        return (fit_gamma if len(U) < 2 * U.shape[-1] else own)(U, Y, cat_dims, *options)

    with patch.object(optimizer, "fit_model", fit):
        yield


@contextmanager
def yeo_johnson_outputs():
    """The GP fitted to Yeo-Johnson transformed objectives (Yeo & Johnson 2000; as in HEBO,
    Cowen-Rivers et al. 2022): each column standardised, then transformed with the maximum-
    likelihood power (SciPy ``yeojohnson_normmax``, clipped to [-2, 2] so that outliers cannot
    blow it up), then fluxtrap's own GP (which standardises again). The transform is monotone, so
    the plug-in incumbent and EI work in its space; patched in for one run."""
    from scipy.stats import yeojohnson, yeojohnson_normmax

    import fluxtrap.optimize.optimizer as optimizer

    own = optimizer.fit_model

    def fit(U, Y, cat_dims, *options):  # fit_model's options passed on
        cols = []
        for y in Y.T.numpy():
            z = (y - y.mean()) / (y.std() or 1.0)
            lam = float(np.clip(yeojohnson_normmax(z), -2, 2)) if np.ptp(z) > 0 else 1.0
            cols.append(yeojohnson(z, lam))
        return own(U, torch.tensor(np.stack(cols, -1), dtype=Y.dtype), cat_dims, *options)

    with patch.object(optimizer, "fit_model", fit):
        yield


@contextmanager
def kriging_believer():
    """Pending points (the batch's earlier rows included) as observations at their posterior mean
    (kriging believer, Ginsbourger et al. 2010) and analytic LogEI on the best posterior mean, for
    the batch's first point too (the single-point acquisition), patched in for one run."""
    import fluxtrap.optimize.optimizer as optimizer

    def believer(self, pending=None, batch=False):
        model = self.model
        with torch.no_grad():
            if pending is not None and len(pending):
                model.posterior(pending)  # fills the prediction cache conditioning needs
                model = model.condition_on_observations(pending, model.posterior(pending).mean)
            best = model.posterior(model.train_inputs[0]).mean.max()
        return optimizer.LogExpectedImprovement(model, best_f=best)

    with patch.object(optimizer.Optimizer, "acquisition_function", believer):
        yield


@contextmanager
def single_first():
    """A batch asked without external pending points takes its first row as a single suggestion
    would (analytic LogEI on the best posterior mean, on ``model``), its further rows by qLogNEI
    with the earlier ones pending (on ``planning_model``), patched in for one run."""
    import fluxtrap.optimize.optimizer as optimizer

    acquisition = optimizer.Optimizer.acquisition_function

    def first_as_single(self, pending=None, batch=False):
        return acquisition(self, pending, batch and pending is not None and len(pending) > 0)

    with patch.object(optimizer.Optimizer, "acquisition_function", first_as_single):
        yield


def run_budgeted(job) -> dict:
    """``<base> budget@B`` / ``<base> budget x2@B``: ``Optimizer(budget=B)``. Its runs are
    deterministic and identical to the budget-free run until the batch holding the first
    exploiting trial, so the recorded budget-free picks of ``<base> [x2]`` are told up to there
    and the rest asked (with the code on PYTHONPATH: the base's runs must be what it runs)."""
    from fluxtrap.optimize import Continuous, Optimizer, SearchSpace

    data, name, seed, budget, batch, recorded, base = job
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    X, y, maximize = load(data, name)
    space = SearchSpace([Continuous(c, float(X[c].min()), float(X[c].max())) for c in X.columns])
    picked = list(recorded[: budget_prefix(budget, batch)])
    opt = Optimizer(space, seed=seed, maximize=maximize, budget=budget)
    opt.tell(X.iloc[picked], y.iloc[picked].rename("y"))
    while len(picked) < budget:
        rows = [int(i) for i in opt.ask(min(batch, budget - len(picked)), candidates=X).index]
        picked += rows
        opt.tell(X.iloc[rows], y.iloc[rows].rename("y"))
    method = budget_method(batch, budget, base)
    return {"set": name, "method": method, "seed": seed, "picks": picked}


def run_gamma_early(job) -> dict:
    """``fluxtrap gamma10 [x2]``: the Gamma length-scale prior while fewer than ``switch``
    observations, then fluxtrap's own: the recorded ``fluxtrap gamma [x2]`` picks of the first
    ``switch`` trials (made with < ``switch`` observations), then fluxtrap's defaults."""
    from fluxtrap.optimize import Continuous, Optimizer, SearchSpace

    data, name, seed, batch, switch, budget, recorded = job
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    X, y, maximize = load(data, name)
    space = SearchSpace([Continuous(c, float(X[c].min()), float(X[c].max())) for c in X.columns])
    picked = list(recorded[:switch])
    opt = Optimizer(space, seed=seed, maximize=maximize)
    opt.tell(X.iloc[picked], y.iloc[picked].rename("y"))
    while len(picked) < budget:
        rows = [int(i) for i in opt.ask(min(batch, budget - len(picked)), candidates=X).index]
        picked += rows
        opt.tell(X.iloc[rows], y.iloc[rows].rename("y"))
    method = f"fluxtrap gamma{switch}" + ("" if batch == 1 else f" x{batch}")
    return {"set": name, "method": method, "seed": seed, "picks": picked}


def budget_method(batch: int, budget: int, base: str = "fluxtrap") -> str:
    return f"{base} budget{'' if batch == 1 else f' x{batch}'}@{budget}"


def run_plain(X, y, maximize, budget, seed, batch, kernel, clock):
    """A plain BoTorch loop: min-max scaled inputs, Standardize, LogEI on the best observed value."""
    from botorch.acquisition import LogExpectedImprovement, qLogExpectedImprovement
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from botorch.models.transforms.outcome import Standardize
    from botorch.models.utils.gpytorch_modules import get_covar_module_with_dim_scaled_prior
    from gpytorch.mlls import ExactMarginalLogLikelihood

    span = (X.max() - X.min()).replace(0, 1)
    U = torch.tensor(((X - X.min()) / span).to_numpy(dtype=float))
    Y = torch.tensor(y.to_numpy(dtype=float) * (1 if maximize else -1)).unsqueeze(-1)
    picked = starts(len(X), 2, seed)
    torch.manual_seed(seed)

    def suggest(n: int) -> list[int]:
        covar = (
            get_covar_module_with_dim_scaled_prior(ard_num_dims=U.shape[-1], use_rbf_kernel=False)
            if kernel == "matern"
            else None  # BoTorch's default: RBF ARD, dimension-scaled prior
        )
        model = SingleTaskGP(
            U[picked], Y[picked], covar_module=covar, outcome_transform=Standardize(m=1)
        )
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
        best = Y[picked].max()
        round_: list[int] = []
        for k in range(n):
            free = np.setdiff1d(np.arange(len(X)), picked + round_)
            if k == 0:
                acqf = LogExpectedImprovement(model, best_f=best)
            else:
                acqf = qLogExpectedImprovement(model, best_f=best, X_pending=U[round_])
            with torch.no_grad():
                acq = acqf(U[free].unsqueeze(1))
            round_.append(int(free[int(acq.argmax())]))
        return round_

    while len(picked) < budget:
        n = min(batch, budget - len(picked))
        picked += clock(lambda n=n: suggest(n), n)
    return picked


def run_baybe(X, y, maximize, budget, seed, batch, clock):
    """BayBE's default recommender over the pool rows (a discrete subspace)."""
    from baybe import Campaign, Settings
    from baybe.parameters import NumericalDiscreteParameter
    from baybe.searchspace import SearchSpace, SubspaceDiscrete
    from baybe.targets import NumericalTarget

    Settings(random_seed=seed, cache_directory=None).activate()
    params = [NumericalDiscreteParameter(c, values=tuple(sorted(X[c].unique()))) for c in X.columns]
    campaign = Campaign(
        SearchSpace(discrete=SubspaceDiscrete.from_dataframe(X, parameters=params)),
        objective=NumericalTarget("y", minimize=not maximize).to_objective(),
        allow_recommending_already_measured=False,
    )
    picked = starts(len(X), 2, seed)
    campaign.add_measurements(X.iloc[picked].assign(y=y.iloc[picked].to_numpy()))
    while len(picked) < budget:
        n = min(batch, budget - len(picked))
        rec = clock(lambda n=n: campaign.recommend(batch_size=n), n)
        rows = [int(i) for i in rec.index]  # the subspace keeps the pool's row index
        picked += rows
        campaign.add_measurements(X.iloc[rows].assign(y=y.iloc[rows].to_numpy()))
    return picked


def run_optuna(X, y, maximize, budget, seed, batch, clock):
    """Optuna TPE in the pool's box, each ask snapped to the nearest unobserved pool row."""
    import optuna
    from optuna.distributions import FloatDistribution
    from optuna.trial import TrialState, create_trial

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    lo, span = X.min(), (X.max() - X.min()).replace(0, 1)
    U = ((X - lo) / span).to_numpy(dtype=float)
    dists = {c: FloatDistribution(float(X[c].min()), float(X[c].max())) for c in X.columns}
    sampler = optuna.samplers.TPESampler(seed=seed, constant_liar=batch > 1)
    study = optuna.create_study(sampler=sampler, direction="maximize" if maximize else "minimize")

    def record(row: int) -> None:
        params = {c: float(X.iloc[row][c]) for c in X.columns}
        study.add_trial(create_trial(params=params, distributions=dists, value=float(y.iloc[row])))

    picked = starts(len(X), 2, seed)
    for row in picked:
        record(row)

    def suggest(n: int) -> tuple[list, list[int]]:
        trials, rows = [], []
        free = np.setdiff1d(np.arange(len(X)), picked)
        for _ in range(n):
            trial = study.ask(dists)
            u = (np.array([trial.params[c] for c in X.columns]) - lo.to_numpy()) / span.to_numpy()
            i = int(np.argmin(((U[free] - u) ** 2).sum(axis=1)))
            rows.append(int(free[i]))
            free = np.delete(free, i)
            trials.append(trial)
        return trials, rows

    while len(picked) < budget:
        n = min(batch, budget - len(picked))
        trials, rows = clock(lambda n=n: suggest(n), n)
        for trial, row in zip(trials, rows, strict=True):
            study.tell(trial, state=TrialState.FAIL)  # replaced by the measured row
            record(row)
        picked += rows
    return picked


def run_random(X, budget, seed):
    """Uniform choice without replacement after the same starts."""
    picked = starts(len(X), 2, seed)
    free = np.setdiff1d(np.arange(len(X)), picked)
    rng = np.random.default_rng([seed, 1])
    return picked + [int(i) for i in rng.choice(free, budget - len(picked), replace=False)]


# fluxtrap's variants: each patches fluxtrap for one run (the context manager by its kind)
VARIANT_PATCHES = {
    "fluxtrap warp": warped_inputs,
    "fluxtrap gamma": gamma_lengthscale_prior,
    "fluxtrap gamma2d": gamma_prior_while_few,
    "fluxtrap yeo-johnson": yeo_johnson_outputs,
    "fluxtrap believer": kriging_believer,
    "fluxtrap single-first": single_first,
}


def run_job(job) -> dict:
    method, data, name, budget, seed = job
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")  # peers' deprecation / fit chatter; results are what count
    X, y, maximize = load(data, name)
    kind, batch, options = METHODS[method]
    clock, trace = Clock(), []
    if kind in ("fluxtrap", "fluxtrap log"):
        picks, trace = run_fluxtrap(
            X, y, maximize, budget, seed, batch, options, clock, kind == "fluxtrap log"
        )
    elif kind in VARIANT_PATCHES:
        with VARIANT_PATCHES[kind]():
            picks, trace = run_fluxtrap(X, y, maximize, budget, seed, batch, options, clock)
    elif kind == "baybe":
        picks = run_baybe(X, y, maximize, budget, seed, batch, clock)
    elif kind == "optuna":
        picks = run_optuna(X, y, maximize, budget, seed, batch, clock)
    elif kind == "random":
        picks = run_random(X, budget, seed)
    else:
        picks = run_plain(X, y, maximize, budget, seed, batch, kind, clock)
    row = {"set": name, "method": method, "seed": seed, "picks": picks}
    if clock.points:
        row["s_per_point"] = [
            round(clock.wall / clock.points, 4),
            round(clock.cpu / clock.points, 4),
        ]
    if trace:
        row["trace"] = trace  # [samples so far, log EI of the chosen row, noise std]
    return row


def time_ask(n_obs: int, n: int, rounds: int = 3) -> tuple[float, float]:
    """Median wall and CPU time (s) of fit + ask(n) with ``n_obs`` observations in the SPS space."""
    from fluxtrap.optimize import Continuous, Optimizer, SearchSpace

    space = SearchSpace(
        [
            Continuous("ramp_rate", 10, 100, 0.1, "degC/min"),
            Continuous("max_temperature", 450, 750, 1, "degC"),
            Continuous("dwell_time", 0, 60, 0.01, "min"),
        ]
    )
    times, cpu = [], []
    for r in range(rounds):
        X = space.sample(n_obs, seed=r)
        noise = np.random.default_rng(r).normal(0, 0.01, n_obs)  # 1% measurement scatter
        y = (
            np.exp(
                -(((X.max_temperature - 620) / 60) ** 2)
                - ((X.ramp_rate - 35) / 30) ** 2
                - ((X.dwell_time - 20) / 25) ** 2
            )
            + noise
        )
        opt = Optimizer(space, seed=r).tell(X, y.rename("jc_3T"))
        t, c = time.perf_counter(), time.process_time()
        opt.ask(n)
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return float(np.median(times)), float(np.median(cpu))


def results_file(path: Path, mode: str):
    """The results file opened in text ``mode`` ("rt" or "at"); gzip-compressed when it ends
    in ``.gz`` (each append is a gzip member; a reader sees one stream)."""
    return gzip.open(path, mode) if path.suffix == ".gz" else path.open(mode[0])


def read_results(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with results_file(path, "rt") as f:
        return [json.loads(line) for line in f if line.strip()]


def found_curves(rows: list[dict], data: Path) -> dict[tuple[str, str], dict[int, np.ndarray]]:
    """(set, method) -> seed -> top fraction after each trial ``(budget,)``."""
    tops: dict[str, np.ndarray] = {}
    out: dict[tuple[str, str], dict[int, np.ndarray]] = {}
    for r in rows:
        if r["set"] not in tops:
            _, y, maximize = load(data, r["set"])
            tops[r["set"]] = np.array(top_rows(y, maximize))
        top = tops[r["set"]]
        found = np.cumsum(np.isin(r["picks"], top)) / len(top)
        out.setdefault((r["set"], r["method"]), {})[r["seed"]] = found
    # "fluxtrap budget [x2]": at each budget B of AT, the run told B (NaN at other trials)
    for (name, method), runs in list(out.items()):
        if " budget" not in method or "@" not in method:
            continue
        b = int(method.split("@")[1])
        whole = out.setdefault((name, method.split("@")[0]), {})
        for seed, found in runs.items():
            curve = whole.setdefault(seed, np.full(max(AT), np.nan))
            curve[b - 1] = found[b - 1]
    for key in [k for k in out if " budget" in k[1] and "@" not in k[1]]:
        full = {s: c for s, c in out[key].items() if np.isfinite(c[[a - 1 for a in AT]]).all()}
        out[key] = full
    return out


def paired(a: dict[int, np.ndarray], b: dict[int, np.ndarray], at: int):
    """Mean and s.e. of a - b at trial ``at`` over the seeds both have, and that seed count."""
    seeds = sorted(s for s in set(a) & set(b) if len(a[s]) >= at and len(b[s]) >= at)
    d = np.array([a[s][at - 1] - b[s][at - 1] for s in seeds])
    if len(seeds) < 2:
        return (float(d[0]) if len(d) else math.nan), math.nan, len(seeds)
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(len(d))), len(seeds)


def equal_pass_rate(tables: list[np.ndarray], draws: int = 2000) -> tuple[float, float]:
    """For a method exactly as good as each cell's best peer: how often it is judged level (mean
    difference >= -1 s.e.) in every cell, and its mean number of level cells. Each table's
    (seeds, budgets) paired differences are centred to mean 0 and its seeds resampled with
    replacement (a table's budgets share seeds, so they are drawn together)."""
    rng = np.random.default_rng(0)
    level = np.zeros((draws, 0), dtype=bool)
    for d in tables:
        d = d - d.mean(axis=0)
        s = d[rng.integers(len(d), size=(draws, len(d)))]  # (draws, seeds, budgets)
        mean, se = s.mean(axis=1), s.std(axis=1, ddof=1) / math.sqrt(len(d))
        level = np.hstack([level, mean >= -se])
    return float(level.all(axis=1).mean()), float(level.sum(axis=1).mean())


def summarise(rows: list[dict], data: Path, reference: str = "fluxtrap") -> None:
    """Per mode (single, x2), table and budget: the reference's mean top fraction, its paired
    difference to each peer, the seed count; then the goal criteria of issue 22."""
    curves = found_curves(rows, data)
    sets = [n for n, *_ in SETS if any(k[0] == n for k in curves)]
    timing: dict[str, list[float]] = {}
    for r in rows:
        if "s_per_point" in r:
            timing.setdefault(r["method"], []).append(r["s_per_point"][1])
    for mode, suffix in (("single suggestions", ""), ("batches of two, pending points", " x2")):
        ref = reference + suffix
        peers = [
            m
            for m in DEFAULT_METHODS
            if (m.endswith(" x2") == bool(suffix) or m == "random")
            and not m.startswith("fluxtrap")
            and m != ref  # a peer judged as the reference: against the others
        ]
        peers = [p for p in peers if any(k[1] == p for k in curves)]
        if not any((s, ref) in curves for s in sets) or not peers:
            continue
        print(f"\n## {mode}: {ref} - peer, top-5% fraction, paired mean +- s.e. (n seeds)\n")
        print("| table | trials | " + ref + " | " + " | ".join(peers) + " | level | ahead |")
        print("|---" * (len(peers) + 5) + "|")
        level = ahead = cells = 0
        to_best: list[np.ndarray] = []  # per table: (seeds, budgets) differences to the best peer
        for name in sets:
            mine = curves.get((name, ref), {})
            by_budget = []
            for at in AT:
                vals = [c[at - 1] for c in mine.values() if len(c) >= at]
                if not vals:
                    continue
                diffs = [paired(mine, curves.get((name, p), {}), at) for p in peers]
                # the best peer: the highest mean, i.e. the smallest paired difference
                gaps = {p: d for p, (d, _, n) in zip(peers, diffs, strict=True) if n >= 2}
                best = min(gaps, key=gaps.get) if gaps else None
                d_best = diffs[peers.index(best)] if best else (math.nan,) * 3
                if best:
                    theirs = curves[(name, best)]
                    by_budget.append({s: mine[s][at - 1] - theirs[s][at - 1] for s in theirs})
                is_level = d_best[0] >= -d_best[1] if d_best[2] >= 2 else None
                is_ahead = d_best[0] > 2 * d_best[1] if d_best[2] >= 2 else None
                if is_level is not None:
                    cells += 1
                    level += is_level
                    ahead += is_ahead
                text = [
                    f"{d:+.3f} +- {e:.3f} ({n})" if n >= 2 else f"{d:+.3f} ({n})" if n else "-"
                    for d, e, n in diffs
                ]
                print(
                    f"| {name} | {at} | {np.mean(vals):.3f} ({len(vals)}) | "
                    + " | ".join(text)
                    + f" | {_yes(is_level)} | {_yes(is_ahead)} |"
                )
            seeds = sorted(set(mine).intersection(*by_budget)) if by_budget else []
            if len(by_budget) == len(AT) and len(seeds) >= 2:
                to_best.append(np.array([[d[s] for d in by_budget] for s in seeds]))
        print(f"\n{ref} - peer over every (table, seed) pair, at {AT} trials (pairs):")
        for p in peers:
            parts = []
            for at in AT:
                d = [
                    mine[s][at - 1] - theirs[s][at - 1]
                    for name in sets
                    for mine, theirs in [(curves.get((name, ref), {}), curves.get((name, p), {}))]
                    for s in set(mine) & set(theirs)
                    if len(mine[s]) >= at and len(theirs[s]) >= at
                ]
                se = np.std(d, ddof=1) / math.sqrt(len(d)) if len(d) > 1 else math.nan
                parts.append(f"{np.mean(d):+.3f} +- {se:.3f} ({len(d)})" if d else "-")
            print(f"  {p:24s} " + "  ".join(parts))
        n_min = min(
            (
                paired(curves.get((s, ref), {}), curves.get((s, p), {}), 50)[2]
                for s in sets
                for p in peers
            ),
            default=0,
        )
        print(
            f"\n{ref}: level with the best peer (diff >= -1 s.e.) in {level} of {cells} table-budget "
            f"cells, ahead by > 2 s.e. in {ahead}; fewest paired seeds in a cell {n_min}; goal: "
            "all 33 level, >= 17 ahead, >= 30 seeds"
        )
        if to_best:
            rate, mean_level = equal_pass_rate(to_best)
            print(
                f"a method exactly as good as each cell's best peer would be level in all "
                f"{len(to_best) * len(AT)} cells in {rate:.1%} of resampled benchmarks, in "
                f"{mean_level:.1f} cells on average (each table's differences centred, its seeds "
                "resampled)"
            )
    if timing:
        print("\nCPU seconds per suggested point (mean over runs; 2 shared cores, nice 10):")
        for m, t in timing.items():
            print(f"  {m:24s} {np.mean(t):.3f} (runs {len(t)})")


def summarise_variants(rows: list[dict], data: Path) -> None:
    """Each fluxtrap variant minus fluxtrap (single suggestions), per table at each budget, and the
    mean over the tables (each table weighs the same; s.e. from the tables' paired s.e.)."""
    curves = found_curves(rows, data)
    variants = sorted({m for _, m in curves if m.startswith("fluxtrap ") and m != "fluxtrap x2"})
    for v in variants:
        budgets = [int(v.split("@")[1])] if "@" in v else list(AT)
        reference = VARIANT_REFERENCE.get(v, "fluxtrap x2" if " x2" in v else "fluxtrap")
        print(f"\n## {v} - {reference}, top-5% fraction, paired mean +- s.e. (n seeds)\n")
        print("| table | " + " | ".join(f"{b} trials" for b in budgets) + " |")
        print("|---" * (len(budgets) + 1) + "|")
        per_budget: dict[int, list[tuple[float, float]]] = {b: [] for b in budgets}
        pairs: dict[int, list[float]] = {b: [] for b in budgets}  # every (table, seed)
        for name, *_ in SETS:
            if (name, v) not in curves:
                continue
            cells = []
            for b in budgets:
                mine, ref = curves[(name, v)], curves.get((name, reference), {})
                one = [mine[s][b - 1] - ref[s][b - 1] for s in set(mine) & set(ref)]
                pairs[b] += one
                d, e, n = paired(mine, ref, b)
                cells.append(
                    f"{d:+.3f} +- {e:.3f} ({n})" if n >= 2 else f"{d:+.3f} ({n})" if n else "-"
                )
                if n >= 2:
                    per_budget[b].append((d, e))
            print(f"| {name} | " + " | ".join(cells) + " |")
        for b, d in pairs.items():
            if len(d) > 1:
                print(
                    f"at {b}: over all {len(d)} (table, seed) pairs {np.mean(d):+.3f} +- "
                    f"{np.std(d, ddof=1) / math.sqrt(len(d)):.3f}"
                )
        for b, de in per_budget.items():
            if de:
                d, e = np.array(de).T
                better, worse = int((d > 2 * e).sum()), int((d < -2 * e).sum())
                print(
                    f"at {b}: mean over {len(d)} tables {d.mean():+.3f} +- "
                    f"{np.sqrt((e**2).sum()) / len(e):.3f}; better by > 2 s.e. on {better}, "
                    f"worse on {worse}"
                )


def _yes(flag) -> str:
    return "-" if flag is None else ("yes" if flag else "NO")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=30, help="run seeds 0 .. SEEDS-1 (those missing)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--budget", type=int, default=50)
    ap.add_argument("--sets", default=None, help="comma-separated data set names [all]")
    ap.add_argument(
        "--methods", default=None, help=f"comma-separated, of: {', '.join(METHODS)} [all but log]"
    )
    ap.add_argument("--out", type=Path, default=RESULTS, help=f"results JSONL [{RESULTS}]")
    ap.add_argument("--summary", action="store_true", help="only summarise the results file")
    ap.add_argument("--reference", default="fluxtrap", help="the method compared in --summary")
    ap.add_argument(
        "--budgeted",
        action="store_true",
        help="add the 'fluxtrap budget [x2]@B' rows (B = 10, 25, 50) missing for the recorded "
        "fluxtrap runs",
    )
    ap.add_argument(
        "--budgeted-from",
        default="fluxtrap,fluxtrap x2",
        help="the budget-free methods --budgeted continues (rows '<method> budget [x2]@B'; run "
        "with the code that made them) [fluxtrap,fluxtrap x2]",
    )
    ap.add_argument(
        "--gamma-early",
        action="store_true",
        help="add 'fluxtrap gamma10 [x2]' (Gamma prior for the first 10 trials) from the gamma runs",
    )
    ap.add_argument(
        "--variants", action="store_true", help="only summarise the fluxtrap variants vs fluxtrap"
    )
    ap.add_argument("--timing-only", action="store_true", help="only time ask, no replay")
    ap.add_argument("--data", type=Path, default=DATA, help=f"benchmark data folder [{DATA}]")
    args = ap.parse_args()
    if args.timing_only:
        for n_obs in (40, 200):
            for n in (1, 2):
                wall, cpu = time_ask(n_obs, n)
                print(f"{n_obs:4d} observations, ask({n}): wall {wall:6.2f} s, CPU {cpu:6.2f} s")
        return
    if not args.data.is_dir():
        raise SystemExit(f"benchmark data not found at {args.data}")
    if args.summary:
        return summarise(read_results(args.out), args.data, args.reference)
    if args.variants:
        return summarise_variants(read_results(args.out), args.data)
    if args.budgeted:
        rows = read_results(args.out)
        done = {(r["set"], r["method"], r["seed"]) for r in rows}
        bases = {m: m.removesuffix(" x2") for m in args.budgeted_from.split(",")}
        jobs = [
            (args.data, r["set"], r["seed"], b, batch, r["picks"], bases[r["method"]])
            for r in rows
            if r["method"] in bases
            for batch in [METHODS[r["method"]][1]]
            for b in AT
            if len(r["picks"]) >= b
            and (r["set"], budget_method(batch, b, bases[r["method"]]), r["seed"]) not in done
        ]
        return run_jobs(run_budgeted, jobs, args.out, args.workers)
    if args.gamma_early:
        rows = read_results(args.out)
        done = {(r["set"], r["method"], r["seed"]) for r in rows}
        jobs = [
            (args.data, r["set"], r["seed"], METHODS[r["method"]][1], 10, args.budget, r["picks"])
            for r in rows
            if r["method"] in ("fluxtrap gamma", "fluxtrap gamma x2")
            and (r["set"], r["method"].replace("gamma", "gamma10"), r["seed"]) not in done
        ]
        return run_jobs(run_gamma_early, jobs, args.out, args.workers)
    names = [n for n, *_ in SETS]
    sets = args.sets.split(",") if args.sets else names
    methods = args.methods.split(",") if args.methods else list(DEFAULT_METHODS)
    unknown = [m for m in methods if m not in METHODS] + [s for s in sets if s not in names]
    if unknown:
        raise SystemExit(f"unknown method or set: {unknown}")
    missing = {m for m in methods if NEEDS.get(METHODS[m][0]) and not _has(NEEDS[METHODS[m][0]])}
    if missing:
        print(f"skipped (package missing; `make bench-env`): {', '.join(sorted(missing))}")
        methods = [m for m in methods if m not in missing]
    done = {(r["set"], r["method"], r["seed"]) for r in read_results(args.out)}
    positive = {n: bool((load(args.data, n)[1] > 0).all()) for n in sets}
    jobs = [
        (m, args.data, name, args.budget, seed)
        for seed in range(args.seeds)  # seed-major: a stopped run leaves whole seeds behind
        for name in sets
        for m in methods
        if (name, m, seed) not in done and (m != "fluxtrap log" or positive[name])
    ]
    print(
        f"pool replay, budget {args.budget}, 2 random starts, seeds < {args.seeds}: {len(jobs)} "
        f"runs to do ({len(done)} in {args.out}), {args.workers} workers, load average "
        f"{os.getloadavg()[0]:.1f}",
        flush=True,
    )
    run_jobs(run_job, jobs, args.out, args.workers)


def run_jobs(work, jobs: list, out: Path, workers: int) -> None:
    """Run ``work(job)`` in ``workers`` processes, appending each finished row to ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)

    def append(row: dict) -> None:
        with results_file(out, "at") as f:
            f.write(json.dumps(row, separators=(",", ":")) + "\n")
        print(f"{row['set']} / {row['method']} / seed {row['seed']}", flush=True)

    if workers <= 1:  # in this process
        for job in jobs:
            append(work(job))
        return
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        for future in as_completed([pool.submit(work, job) for job in jobs]):
            append(future.result())


def _has(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


if __name__ == "__main__":
    main()
