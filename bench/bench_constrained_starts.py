"""Time and quality of constrained categorical asks: start points drawn once per ask (today)
against BoTorch's fresh draw for every categorical combination's search (before).

    python bench/bench_constrained_starts.py [--seeds 4] [--first 0] [--initial 4] [--rounds 6] [--n 1]

The space is examples/campaign_constrained.toml's (ramp rate, temperature, dwell time on their
step grids, atmosphere Ar / vacuum, pressure fixed; T + 4 dwell <= 700). The objective, told
without noise, peaks on the constraint: exp(-((T - 640) / 60)^2) (1 + dwell / 30) (1.2 in Ar)
- ((ramp - 40) / 100)^2. Each seed starts from ``--initial`` Sobol points and asks ``--rounds``
batches of ``--n`` with the default effort, telling each batch; the same seed runs both ways in a
row, so both see the same load. Printed per seed: seconds per ask (mean), the best value
reached, and how many picks the two share; then the mean +- s.e. over seeds of the paired
difference in best value (today minus before).

Measured (seeds 0-19, 5 asks of 1, load 6-10 on 2 shared cores): best today - before -0.004 +-
0.028 (s.e.; 8 better, 6 worse, 6 equal; the optimum is about 1.85), s/ask median 5.3 -> 3.4.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import fluxtrap.optimize.optimizer as optimizer
from fluxtrap.campaign import CampaignSpec
from fluxtrap.optimize import Optimizer, SearchSpace

ROOT = Path(__file__).resolve().parents[1]


def objective(X: pd.DataFrame) -> pd.Series:
    """The benchmark's objective (dimensionless), maximised."""
    peak = np.exp(-(((X.max_temperature - 640) / 60) ** 2)) * (1 + X.dwell_time / 30)
    peak = peak * np.where(X.atmosphere == "Ar", 1.2, 1.0)
    return pd.Series(peak - ((X.ramp_rate - 40) / 100) ** 2, name="jc_3T")


@contextlib.contextmanager
def fresh_draws():
    """BoTorch's own start points: a fresh hit-and-run draw per search (before)."""
    kept = optimizer._polytope_starts
    optimizer._polytope_starts = lambda space, seed: None
    try:
        yield
    finally:
        optimizer._polytope_starts = kept


def run(space: SearchSpace, seed: int, args) -> tuple[float, float, list]:
    """One campaign: seconds per ask (mean), best value reached, the picks (rows)."""
    X = space.sample(args.initial, seed=seed)
    opt = Optimizer(space, seed=seed).tell(X, objective(X))
    took, picks = [], []
    for _ in range(args.rounds):
        _ = opt.model  # the fit is the same both ways: timed apart from the ask
        t = time.perf_counter()
        out = opt.ask(args.n).drop(columns="acquisition")
        took.append(time.perf_counter() - t)
        picks += out.to_dict("records")
        opt.tell(out, objective(out))
    return float(np.mean(took)), float(objective(opt.X).max()), picks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--first", type=int, default=0, help="the first seed")
    ap.add_argument("--initial", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--n", type=int, default=1)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    space = SearchSpace.from_campaign(
        CampaignSpec.from_toml(ROOT / "examples/campaign_constrained.toml")
    )
    diffs = []
    for seed in range(args.first, args.first + args.seeds):
        s_new, best_new, new = run(space, seed, args)
        with fresh_draws():
            s_old, best_old, old = run(space, seed, args)
        same = sum(a == b for a, b in zip(new, old, strict=True))
        diffs.append(best_new - best_old)
        print(
            f"seed {seed}: s/ask {s_old:.1f} -> {s_new:.1f}, best {best_old:.4f} -> "
            f"{best_new:.4f}, {same}/{len(new)} picks shared",
            flush=True,
        )
    d = np.array(diffs)
    se = d.std(ddof=1) / math.sqrt(len(d)) if len(d) > 1 else math.nan
    print(f"best today - before: {d.mean():+.4f} +- {se:.4f} (s.e., {len(d)} seeds)")


if __name__ == "__main__":
    main()
