"""An objective modelled as ln(value) (``ObjectiveDef(log=True)``) against the raw one, paired.

1. Synthetic Jc-like campaigns: ln Jc a smooth peak over three sintering parameters (temperature,
   dwell, ramp) spanning ``--decades`` (3 or 5) above a floor, a seed drawing the peak and the
   pool (300 settings, uniform). Leave-one-out R^2 of the model fitted to 25 random samples (the
   raw model's on Jc, the log model's on ln Jc, as each ``model_summary`` says it, and the log
   model's median exp(mu) on Jc), and the fraction of the pool's top 5 % found after 10 and 25
   trials of a pool replay (2 random starts, the same for both).
2. The benchmark tables of ``bench_optimize.py`` whose objective is positive and spans more than
   a decade: the same pool replay (2 starts, budget 50), raw and log, paired by seed.

    nice -n 10 .venv/bin/python bench/bench_log_objective.py --seeds 4 --table-seeds 3
    [--tables-only]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_optimize import DATA, SETS, load, starts, top_rows  # noqa: E402

from fluxtrap.campaign import ObjectiveDef  # noqa: E402
from fluxtrap.optimize import Continuous, Optimizer, SearchSpace  # noqa: E402

AT = (10, 25, 50)


def jc_landscape(seed: int, decades: float, n: int = 300) -> tuple[pd.DataFrame, pd.Series]:
    """A pool of ``n`` settings and their Jc (A/m^2): ln Jc a Gaussian peak over the unit box
    (centre and widths drawn from ``seed``), from 1e3 A/m^2 up ``decades`` decades, plus 5 %
    log-normal scatter."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "T": rng.uniform(550, 750, n),
            "dwell": rng.uniform(1, 60, n),
            "ramp": rng.uniform(5, 100, n),
        }
    )
    lo, hi = np.array([550, 1, 5]), np.array([750, 60, 100])
    U = (X.to_numpy() - lo) / (hi - lo)
    centre, width = rng.uniform(0.25, 0.75, 3), rng.uniform(0.2, 0.4, 3)
    shape = np.exp(-0.5 * (((U - centre) / width) ** 2).sum(axis=1))
    log10 = 3 + decades * shape + 0.02 * rng.standard_normal(n)
    return X, pd.Series(10**log10, name="y")


def space_of(X: pd.DataFrame) -> SearchSpace:
    return SearchSpace([Continuous(c, float(X[c].min()), float(X[c].max())) for c in X.columns])


def optimizer(X, maximize: bool, seed: int, log: bool) -> Optimizer:
    return Optimizer(
        space_of(X), seed=seed, maximize=maximize, shown={"y": ObjectiveDef("y", log=log)}
    )


def replay(X, y, maximize: bool, budget: int, seed: int, log: bool) -> list[int]:
    """Pool rows picked one at a time from 2 random starts (the same for raw and log)."""
    picked, y = starts(len(X), 2, seed), y.rename("y")  # the objective ObjectiveDef("y") names
    opt = optimizer(X, maximize, seed, log).tell(X.iloc[picked], y.iloc[picked])
    while len(picked) < budget:
        rows = [int(i) for i in opt.ask(1, candidates=X).index]
        picked += rows
        opt.tell(X.iloc[rows], y.iloc[rows])
    return picked


def found(picked: list[int], top: list[int], at: int) -> float:
    return len(set(picked[:at]) & set(top)) / len(top)


def loo_r2(X, y, seed: int, log: bool) -> tuple[float, float]:
    """LOO R^2 on 25 random pool rows: as the model's summary gives it (ln for log), and of its
    LOO mean (the median for log) on the raw values."""
    rows = np.random.default_rng(seed + 1000).choice(len(X), 25, replace=False)
    opt = optimizer(X, True, seed, log).tell(X.iloc[rows], y.iloc[rows].rename("y"))
    summary = opt.model_summary()["objectives"]["y"]["loo_r2"]
    loo = opt.loo()
    raw = 1 - ((loo["y_loo_mean"] - loo["y"]) ** 2).mean() / loo["y"].var(ddof=0)
    return summary, float(raw)


def mean_se(values) -> str:
    v = np.asarray(values, dtype=float)
    se = v.std(ddof=1) / math.sqrt(len(v)) if len(v) > 1 else float("nan")
    return f"{v.mean():+.3f} +- {se:.3f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=4, help="synthetic landscapes per span")
    ap.add_argument("--table-seeds", type=int, default=3, help="replay seeds per table")
    ap.add_argument("--out", type=Path, default=None, help="also write the runs as JSON lines")
    ap.add_argument("--tables-only", action="store_true", help="skip the synthetic campaigns")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    lines = []
    t0 = time.process_time()
    for decades in () if args.tables_only else (3, 5):
        r2 = {False: [], True: []}
        gains = {10: [], 25: []}
        fractions = {(log, at): [] for log in (False, True) for at in (10, 25)}
        for seed in range(args.seeds):
            X, y = jc_landscape(seed, decades)
            top = top_rows(y, True)
            picks = {log: replay(X, y, True, 25, seed, log) for log in (False, True)}
            for log in (False, True):
                r2[log].append(loo_r2(X, y, seed, log))
                for at in (10, 25):
                    fractions[(log, at)].append(found(picks[log], top, at))
            for at in (10, 25):
                gains[at].append(fractions[(True, at)][-1] - fractions[(False, at)][-1])
            lines.append({"set": f"synthetic {decades} decades", "seed": seed, "picks": picks})
        raw_r2 = [a for a, _ in r2[False]]
        log_r2, log_raw_r2 = [a for a, _ in r2[True]], [b for _, b in r2[True]]
        print(
            f"synthetic Jc, {decades} decades, {args.seeds} seeds: LOO R^2 (25 samples) raw "
            f"{np.mean(raw_r2):.2f} [{min(raw_r2):.2f}, {max(raw_r2):.2f}], log on ln "
            f"{np.mean(log_r2):.2f} [{min(log_r2):.2f}, {max(log_r2):.2f}], log's median on Jc "
            f"{np.mean(log_raw_r2):.2f}; top 5 % found raw / log @10 "
            f"{np.mean(fractions[(False, 10)]):.2f} / {np.mean(fractions[(True, 10)]):.2f}, "
            f"@25 {np.mean(fractions[(False, 25)]):.2f} / {np.mean(fractions[(True, 25)]):.2f}; "
            f"log - raw @10 {mean_se(gains[10])}, @25 {mean_se(gains[25])}",
            flush=True,
        )
    for name, _, _ in SETS:
        X, y, maximize = load(DATA, name)
        if not (y > 0).all() or math.log10(y.max() / y.min()) <= 1:
            continue
        top = top_rows(y, maximize)
        diffs = {at: [] for at in AT}
        base = {at: [] for at in AT}
        for seed in range(args.table_seeds):
            picks = {log: replay(X, y, maximize, 50, seed, log) for log in (False, True)}
            for at in AT:
                base[at].append(found(picks[False], top, at))
                diffs[at].append(found(picks[True], top, at) - base[at][-1])
            lines.append({"set": name, "seed": seed, "picks": picks})
        print(
            f"{name} ({math.log10(y.max() / y.min()):.1f} decades, {args.table_seeds} seeds): "
            + ", ".join(
                f"@{at} raw {np.mean(base[at]):.3f}, log - raw {mean_se(diffs[at])}" for at in AT
            ),
            flush=True,
        )
    print(f"CPU {time.process_time() - t0:.0f} s", flush=True)
    if args.out is not None:
        args.out.write_text("".join(json.dumps(x) + "\n" for x in lines))


if __name__ == "__main__":
    main()
