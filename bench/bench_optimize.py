"""Benchmark of fluxtrap.optimize: pool replays on real experimental tables against plain BoTorch
loops in the same run, in single suggestions and in batches of two; and the time of one ask.

Replay follows Liang et al. 2021 (npj Comput. Mater. 7, 188) as ../shared/data/bo-benchmarks/README.md
describes it: identical inputs averaged into one pool entry, goal set = best ceil(5% N), 2 random
starting entries (the same rows for every method of a seed), trials counted including the starts;
result = fraction of the goal set found after 10 / 25 / 50 trials, mean +- standard error over the
seeds, and the paired difference of each method against fluxtrap (same seed, same starts).

Methods (all score every unobserved pool row and take the best):
- ``fluxtrap``: fluxtrap's Optimizer defaults (SingleTaskGP, Matern-5/2 ARD with BoTorch's
  dimension-scaled length-scale prior, Standardize, fitted noise; LogEI improving on the best
  posterior mean at the observed points, "plug-in" EI).
- ``fluxtrap log``: the same, told log(y) (for a minimised objective, log(y) is minimised); only
  where every y > 0. Measured to decide whether a log output transform helps (Jc spans decades).
- ``Matern + EI(best y)``: the same GP as fluxtrap, LogEI on the best observed value: what the
  plug-in incumbent adds.
- ``BoTorch default``: ``SingleTaskGP`` with no covariance module given, i.e. BoTorch 0.18's default
  GP: an RBF ARD kernel with the dimension-scaled log-normal length-scale prior (not Matern-5/2),
  LogEI on the best observed value. (Earlier versions of this file called it Matern-5/2: wrong.)
- ``... x2``: batches of two, the second chosen with the first pending: fluxtrap's ask(2)
  (qLogNEI, greedy sequential), and for the plain loop LogEI then qLogEI(best y, X_pending).

Runs go seed by seed (every set and method of seed 0, then seed 1, ...) and ``--out FILE`` appends
each finished run to a JSONL file, so a run stopped by a time limit still gives whole seeds
(``--summary FILE`` prints the tables of such a file). fluxtrap's single-point runs carry, per
trial, the chosen row's log EI and the fitted noise std, for calibrating the stopping advisor
(``bench/calibrate_stopping.py``).

    nice -n 10 python bench/bench_optimize.py [--seeds 10] [--first-seed 0] [--workers 2] [--budget 50]
        [--sets A,B] [--methods a,b] [--baseline-sets A,B] [--out runs.jsonl] [--timing-only]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd
import torch

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "bo-benchmarks"
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
METHODS = {
    "fluxtrap": ("fluxtrap", 1, False),
    "fluxtrap log": ("fluxtrap", 1, True),
    "Matern + EI(best y)": ("matern", 1, False),
    "BoTorch default": ("default", 1, False),
    "fluxtrap x2": ("fluxtrap", 2, False),
    "Matern + EI(best y) x2": ("matern", 2, False),
}
AT = (10, 25, 30, 50)


def load(data: Path, name: str) -> tuple[pd.DataFrame, pd.Series, bool]:
    from fluxtrap.optimize.replay import read_table

    file, maximize = next((f, m) for n, f, m in SETS if n == name)
    cols = list(pd.read_csv(data / file, encoding="utf-8-sig", nrows=0).columns)
    X, y = read_table(data / file, cols[:-1], cols[-1])
    return X.loc[:, X.nunique() > 1].reset_index(drop=True), y.reset_index(drop=True), maximize


def starts(n_pool: int, n_initial: int, seed: int) -> list[int]:
    return [int(i) for i in np.random.default_rng(seed).choice(n_pool, n_initial, replace=False)]


def run_fluxtrap(X, y, maximize, budget, seed, batch, log, record):
    """fluxtrap's Optimizer over the pool; with ``record`` also the per-trial EI / noise trace."""
    from fluxtrap.optimize import Continuous, Optimizer, SearchSpace
    from fluxtrap.optimize.model import noise_std

    space = SearchSpace([Continuous(c, float(X[c].min()), float(X[c].max())) for c in X.columns])
    told = np.log(y) if log else y
    picked = starts(len(X), 2, seed)
    opt = Optimizer(space, seed=seed, maximize=maximize)
    opt.tell(X.iloc[picked], told.iloc[picked].rename("y"))
    trace = []
    while len(picked) < budget:
        out = opt.ask(min(batch, budget - len(picked)), candidates=X)
        rows = [int(i) for i in out.index]
        if record:
            trace.append(
                {
                    "n": len(picked),
                    "log_ei": float(out["acquisition"].iloc[0]),
                    "noise_std": float(noise_std(opt.model)[0]),
                    "y_std": float(opt.Y["y"].std()),
                }
            )
        picked += rows
        opt.tell(X.iloc[rows], told.iloc[rows].rename("y"))
    return picked, trace


def run_plain(X, y, maximize, budget, seed, batch, kernel):
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
    while len(picked) < budget:
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
        round_ = []
        for k in range(min(batch, budget - len(picked))):
            free = np.setdiff1d(np.arange(len(X)), picked + round_)
            if k == 0:
                acqf = LogExpectedImprovement(model, best_f=best)
            else:
                acqf = qLogExpectedImprovement(model, best_f=best, X_pending=U[round_])
            with torch.no_grad():
                acq = acqf(U[free].unsqueeze(1))
            round_.append(int(free[int(acq.argmax())]))
        picked += round_
    return picked


def run_job(job) -> tuple[list[int], list[dict]]:
    method, data, name, budget, seed, record = job
    torch.set_num_threads(1)
    X, y, maximize = load(data, name)
    kind, batch, log = METHODS[method]
    if kind == "fluxtrap":
        return run_fluxtrap(X, y, maximize, budget, seed, batch, log, record)
    return run_plain(X, y, maximize, budget, seed, batch, kind), []


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


def mean_se(a: np.ndarray) -> str:
    return f"{a.mean():.3f} +- {a.std(ddof=1) / math.sqrt(len(a)):.3f}"


def summarise(rows: list[dict], budget: int) -> None:
    """Print per set and method the top fraction (mean +- s.e.) and the paired difference to
    fluxtrap, over the seeds every compared method finished."""
    by_set: dict[str, dict[str, dict[int, np.ndarray]]] = {}
    for r in rows:
        found = np.cumsum(np.isin(r["picks"], r["top"])) / len(r["top"])
        by_set.setdefault(r["set"], {}).setdefault(r["method"], {})[r["seed"]] = found
    at = [i for i in AT if i <= budget]
    pooled: dict[str, list[np.ndarray]] = {}  # method -> per set: (mean, s.e.) of the diff at `at`
    for name, methods in by_set.items():
        ref = methods.get("fluxtrap", {})
        print(f"\n{name} (top-5% fraction at {at})")
        for m, runs in methods.items():
            seeds = sorted(runs) if m == "fluxtrap" else sorted(set(runs) & set(ref))
            if len(seeds) < 2:
                continue
            a = np.array([runs[s] for s in seeds])
            cells = "  ".join(mean_se(a[:, i - 1]) for i in at)
            diff = ""
            if m != "fluxtrap":
                d = (a - np.array([ref[s] for s in seeds]))[:, [i - 1 for i in at]]
                diff = "   diff " + "  ".join(mean_se(d[:, k]) for k in range(len(at)))
                se = d.std(axis=0, ddof=1) / math.sqrt(len(seeds))
                pooled.setdefault(m, []).append(np.stack([d.mean(axis=0), se]))
            print(f"  {m:24s} n={len(seeds):2d}  {cells}{diff}")
    for m, sets in pooled.items():  # each set weighs the same; s.e. of that mean of means
        s = np.array(sets)  # (sets, 2, len(at))
        mean, se = s[:, 0].mean(axis=0), np.sqrt((s[:, 1] ** 2).sum(axis=0)) / len(s)
        cells = "  ".join(f"{x:+.3f} +- {e:.3f}" for x, e in zip(mean, se, strict=True))
        better = int((s[:, 0, -1] > 2 * s[:, 1, -1]).sum())
        worse = int((s[:, 0, -1] < -2 * s[:, 1, -1]).sum())
        print(
            f"\n{m} - fluxtrap, mean over {len(s)} sets at {at}: {cells}; at {at[-1]} better by "
            f"> 2 s.e. on {better} sets, worse on {worse}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument(
        "--first-seed", type=int, default=0, help="start at this seed (resume a stopped run)"
    )
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--budget", type=int, default=50)
    ap.add_argument("--sets", default=None, help="comma-separated data set names [all]")
    ap.add_argument("--methods", default=None, help=f"comma-separated, of: {', '.join(METHODS)}")
    ap.add_argument(
        "--baseline-sets",
        default=None,
        help="run the methods other than fluxtrap and fluxtrap log only on these sets [all]",
    )
    ap.add_argument(
        "--out", type=Path, default=None, help="append each finished run to this JSONL file"
    )
    ap.add_argument("--summary", type=Path, default=None, help="only summarise this JSONL file")
    ap.add_argument("--timing-only", action="store_true", help="only time ask, no replay")
    ap.add_argument("--data", type=Path, default=DATA, help=f"benchmark data folder [{DATA}]")
    args = ap.parse_args()
    if args.timing_only:
        for n_obs in (40, 200):
            for n in (1, 2):
                wall, cpu = time_ask(n_obs, n)
                print(f"{n_obs:4d} observations, ask({n}): wall {wall:6.2f} s, CPU {cpu:6.2f} s")
        return
    if args.summary:
        rows = [json.loads(line) for line in args.summary.read_text().splitlines() if line]
        return summarise(rows, max(len(r["picks"]) for r in rows))
    if not args.data.is_dir():
        raise SystemExit(f"benchmark data not found at {args.data}")
    names = [n for n, *_ in SETS]
    sets = args.sets.split(",") if args.sets else names
    methods = args.methods.split(",") if args.methods else list(METHODS)
    wide = args.baseline_sets.split(",") if args.baseline_sets else sets
    unknown = [m for m in methods if m not in METHODS] + [s for s in sets + wide if s not in names]
    if unknown:
        raise SystemExit(f"unknown method or set: {unknown}")
    if "fluxtrap" not in methods:
        methods.insert(0, "fluxtrap")  # the reference of the paired differences
    print(
        f"pool replay, budget {args.budget}, 2 random starts, up to {args.seeds} seeds, "
        f"{args.workers} workers, load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    info = {}
    for name in sets:
        X, y, maximize = load(args.data, name)
        order = np.argsort(-y.to_numpy() if maximize else y.to_numpy(), kind="stable")
        info[name] = (order[: math.ceil(0.05 * len(X))].tolist(), bool((y > 0).all()))
    jobs = [
        (m, args.data, name, args.budget, seed, True)
        for seed in range(args.first_seed, args.seeds)  # seed-major: a stopped run has whole seeds
        for name in sets
        for m in methods
        if (m != "fluxtrap log" or info[name][1])
        and (m in ("fluxtrap", "fluxtrap log") or name in wide)
    ]
    rows = []
    with ProcessPoolExecutor(args.workers, mp_context=get_context("spawn")) as pool:
        for job, (picks, trace) in zip(jobs, pool.map(run_job, jobs), strict=True):
            m, _, name, _, seed, _ = job
            row = {"set": name, "method": m, "seed": seed, "top": info[name][0], "picks": picks}
            row["trace"] = trace
            rows.append(row)
            if args.out:
                with args.out.open("a") as f:
                    f.write(json.dumps(row) + "\n")
    summarise(rows, args.budget)


if __name__ == "__main__":
    main()
