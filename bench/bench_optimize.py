"""Benchmark of fluxtrap.optimize: replay on real experimental data sets, and the time of one ask.

Replay follows Liang et al. 2021 (npj Comput. Mater. 7, 188) as ../shared/data/bo-benchmarks/README.md
describes it: identical inputs averaged into one pool entry, goal set = best ceil(5% N), 2 random
starting entries, the random baseline as its analytic expectation (top fraction i/N), trials
counted including the 2 starts. Repeats: REPEATS (default 10) per data set, 50 (the paper's
count) for Crossed barrel and Perovskite, 20 for fullerenes: 230 runs of 48 asks, about 13 minutes
on 2 cores. Defaults of fluxtrap's Optimizer throughout (SingleTaskGP Matern-5/2 ARD + analytic
LogEI over the pool, improving on the best posterior mean).

Baseline in the same run: for Crossed barrel and Perovskite, the plain BoTorch loop the issue
quotes (same model, LogEI on the best observed value; it found 35% of the Crossed-barrel top 5%
by trial 50 over 5 seeds in the data README) on the same seeds and starting rows, with the paired
difference. ``--sets`` runs a subset, e.g. ``--sets "Crossed barrel,Perovskite"``.

    python bench/bench_optimize.py [--repeats 10] [--workers 2] [--sets A,B] [--out DIR] [--data DIR] [--timing-only]
"""

from __future__ import annotations

import argparse
import math
import os
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from botorch.acquisition import LogExpectedImprovement
from botorch.fit import fit_gpytorch_mll
from botorch.models import SingleTaskGP
from botorch.models.transforms.outcome import Standardize
from gpytorch.mlls import ExactMarginalLogLikelihood

from fluxtrap.optimize import Continuous, Optimizer, SearchSpace
from fluxtrap.optimize.replay import read_table, replay

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "bo-benchmarks"
# (name, file, maximize, repeats multiplier)
SETS = [
    ("Crossed barrel", "liang2021/Crossed_barrel_dataset.csv", True, 5),
    ("Perovskite", "liang2021/Perovskite_dataset.csv", False, 5),
    ("AgNP", "liang2021/AgNP_dataset.csv", False, 1),
    ("P3HT", "liang2021/P3HT_dataset.csv", True, 1),
    ("AutoAM", "liang2021/AutoAM_dataset.csv", True, 1),
    ("fullerenes", "olympus/fullerenes.csv", True, 2),
    ("snar", "olympus/snar.csv", False, 1),
    ("suzuki", "olympus/suzuki.csv", True, 1),
    ("benzylation", "olympus/benzylation.csv", False, 1),
    ("hplc", "olympus/hplc.csv", True, 1),
    ("photo_pce10", "olympus/photo_pce10.csv", False, 1),
]


def time_ask(n_obs: int, n: int, rounds: int = 3) -> tuple[float, float]:
    """Median wall and CPU time (s) of fit + ask(n) with ``n_obs`` observations in the SPS space."""
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


def plain_botorch_run(job) -> list[int]:
    """The issue's reference loop, written out with BoTorch defaults: SingleTaskGP (Matern-5/2 ARD,
    dimension-scaled prior, Standardize, fitted noise) on min-max scaled inputs, LogEI on the best
    observed value, scored over the unobserved pool. Same starting rows as ``replay`` (same seed)."""
    X, y, maximize, budget, n_initial, seed = job
    torch.set_num_threads(1)
    span = (X.max() - X.min()).replace(0, 1)
    U = torch.tensor(((X - X.min()) / span).to_numpy(dtype=float))
    Y = torch.tensor(y.to_numpy(dtype=float) * (1 if maximize else -1)).unsqueeze(-1)
    picked = [
        int(i) for i in np.random.default_rng(seed).choice(len(X), size=n_initial, replace=False)
    ]
    torch.manual_seed(seed)
    while len(picked) < budget:
        model = SingleTaskGP(U[picked], Y[picked], outcome_transform=Standardize(m=1))
        fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
        free = np.setdiff1d(np.arange(len(X)), picked)
        with torch.no_grad():
            acq = LogExpectedImprovement(model, best_f=Y[picked].max())(U[free].unsqueeze(1))
        picked.append(int(free[int(acq.argmax())]))
    return picked


def plain_top_fraction(X, y, maximize, budget, seeds, workers) -> np.ndarray:
    """Top-5% fraction found by the plain loop, ``len(seeds) x budget``."""
    n_top = math.ceil(0.05 * len(X))
    top = np.argsort(-y.to_numpy() if maximize else y.to_numpy(), kind="stable")[:n_top]
    jobs = [(X, y, maximize, budget, 2, s) for s in seeds]
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        picks = np.array(list(pool.map(plain_botorch_run, jobs)))
    return np.cumsum(np.isin(picks, top), axis=1) / n_top


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--budget", type=int, default=50)
    ap.add_argument(
        "--out", type=Path, default=None, help="write each replay.json/png under DIR/<name>"
    )
    ap.add_argument("--timing-only", action="store_true", help="only time ask, no replay")
    ap.add_argument("--sets", default=None, help="comma-separated data set names [all]")
    ap.add_argument("--data", type=Path, default=DATA, help=f"benchmark data folder [{DATA}]")
    args = ap.parse_args()
    if not args.data.is_dir():
        raise SystemExit(f"benchmark data not found at {args.data}")

    for threads in (1, 2):
        torch.set_num_threads(threads)
        print(
            f"time of one ask (fit + acquisition optimisation), SPS space, 3 parameters, {threads} "
            f"torch thread(s); load average now {os.getloadavg()[0]:.1f} (CPU time: what an idle "
            "machine would take with 1 thread):"
        )
        for n_obs in (40, 200):
            for n in (1, 2):
                wall, cpu = time_ask(n_obs, n)
                print(
                    f"  {n_obs:4d} observations, ask({n}): wall {wall:6.2f} s, CPU {cpu:6.2f} s "
                    f"(target < {1 if n_obs == 40 else 5} s)"
                )
    if args.timing_only:
        return

    print(f"\nreplay, budget {args.budget}, 2 random starts, {args.workers} workers")
    header = f"{'data set':15s} {'N':>5s} {'top':>4s} {'runs':>4s} {'EF10':>6s} {'EF25':>6s} {'EF50':>6s} {'BO top@50':>10s} {'rand@50':>8s} {'s':>5s}"
    print(header)
    rows = []
    chosen = args.sets.split(",") if args.sets else [name for name, *_ in SETS]
    for name, file, maximize, mult in SETS:
        if name not in chosen:
            continue
        path = args.data / file
        cols = list(pd.read_csv(path, encoding="utf-8-sig", nrows=0).columns)
        X, y = read_table(path, cols[:-1], cols[-1])
        t = time.perf_counter()
        res = replay(
            X,
            y,
            maximize=maximize,
            budget=args.budget,
            n_initial=2,
            repeats=args.repeats * mult,
            seed=0,
            workers=args.workers,
        )
        dt = time.perf_counter() - t
        ef = res.enhancement_factor
        top = res.bo_top.mean(axis=0)
        flag = "  <- not better than random" if min(ef[9], ef[24], ef[49]) < 1 else ""
        print(
            f"{name:15s} {res.n_pool:5d} {res.n_top:4d} {len(res.seeds):4d} {ef[9]:6.2f} {ef[24]:6.2f} "
            f"{ef[49]:6.2f} {top[49]:10.2f} {res.random_top[49]:8.2f} {dt:5.0f}{flag}",
            flush=True,
        )
        rows.append((name, res))
        if args.out:
            res.write(args.out / name.replace(" ", "_"))
    print(
        "\nbaseline in the same run, on the same seeds and starting rows: the plain BoTorch loop "
        "(LogEI on the best observed value) vs fluxtrap's defaults; top-5% fraction at 10 / 25 / 50 "
        "(mean +- standard error; paired difference)"
    )
    for name, res in rows:
        if name not in ("Crossed barrel", "Perovskite"):
            continue
        file, maximize = next((f, m) for n, f, m, _ in SETS if n == name)
        cols = list(pd.read_csv(args.data / file, encoding="utf-8-sig", nrows=0).columns)
        X, y = read_table(args.data / file, cols[:-1], cols[-1])
        X = X.loc[:, X.nunique() > 1]
        plain = plain_top_fraction(X, y, maximize, args.budget, res.seeds, args.workers)
        ours, k = res.bo_top, np.sqrt(len(res.seeds))
        for label, top in (("plain BoTorch", plain), ("fluxtrap", ours)):
            at = "  ".join(
                f"{top[:, i - 1].mean():.3f} +- {top[:, i - 1].std(ddof=1) / k:.3f}"
                for i in (10, 25, 50)
            )
            print(f"  {name:15s} {label:14s} {at}")
        d = ours - plain
        print(
            f"  {name:15s} {'difference':14s} "
            + "  ".join(
                f"{d[:, i - 1].mean():+.3f} +- {d[:, i - 1].std(ddof=1) / k:.3f}"
                for i in (10, 25, 50)
            )
        )


if __name__ == "__main__":
    main()
