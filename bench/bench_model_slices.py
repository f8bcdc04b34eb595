"""Time of the model plots' numbers (``model_slices``, behind the dashboard's model page,
``fluxtrap plot model`` and the demo's map): one torch thread (today) against the default.

    python bench/bench_model_slices.py [--repeat 3] [--observations 30] [--grid 60]

A three-parameter campaign space, ``--observations`` Sobol points of a smooth objective, three
open suggestions pending (as the model page draws them); ``model_slices`` of all three 1D lines
and three 2D maps at ``--grid`` points per axis, alternately on one thread (``one_thread``, as
``Optimizer.ask`` runs) and on torch's default thread count (the code before), so both see the
same load. Printed: wall and CPU seconds of each, and the ratio default / one thread per round,
with their median; the largest difference of the numbers between the two (they must agree).
"""

from __future__ import annotations

import argparse
import contextlib
import time

import numpy as np
import pandas as pd
import torch

import fluxtrap.optimize.plots as plots
from fluxtrap.optimize import Continuous, Optimizer, SearchSpace

SPACE = SearchSpace(
    [
        Continuous("ramp_rate", 10, 100, 0.1, "degC/min"),
        Continuous("max_temperature", 450, 750, 1, "degC"),
        Continuous("dwell_time", 0, 60, 0.01, "min"),
    ]
)


def timed(opt: Optimizer, pending: pd.DataFrame, grid: int) -> tuple[float, float, dict]:
    wall, cpu = time.perf_counter(), time.process_time()
    s = plots.model_slices(opt, n_grid=grid, pending=pending)
    return time.perf_counter() - wall, time.process_time() - cpu, s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--observations", type=int, default=30)
    ap.add_argument("--grid", type=int, default=60)
    args = ap.parse_args()
    X = SPACE.sample(args.observations, seed=0)
    y = np.exp(-(((X.max_temperature - 620) / 80) ** 2)) + 0.1 * np.sin(X.ramp_rate / 10)
    opt = Optimizer(SPACE, seed=0).tell(X, pd.Series(y, name="y"))
    pending = SPACE.sample(3, seed=5)
    one_thread = plots.one_thread
    timed(opt, pending, args.grid)  # warm-up
    print(f"torch default threads: {torch.get_num_threads()}")
    ratios = []
    for r in range(args.repeat):
        plots.one_thread = contextlib.nullcontext  # the code before: torch's thread count
        w0, c0, before = timed(opt, pending, args.grid)
        plots.one_thread = one_thread
        w1, c1, now = timed(opt, pending, args.grid)
        diff = max(
            float(np.max(np.abs(before[k][n][q] - now[k][n][q])))
            for k in ("one_d", "two_d")
            for n in now[k]
            for q in ("mean", "std", "acquisition")
        )
        ratios.append(w0 / w1)
        print(
            f"round {r}: default {w0:.2f} s wall / {c0:.2f} s CPU, one thread {w1:.2f} / "
            f"{c1:.2f} s: ratio {w0 / w1:.2f} (largest difference of the numbers {diff:.1e})"
        )
    print(f"median ratio default / one thread (wall): {np.median(ratios):.2f}")


if __name__ == "__main__":
    main()
