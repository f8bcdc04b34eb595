"""Measured wall time of one ``Optimizer.ask`` against ``Optimizer.ask_seconds``, for candidate
pools and continuous spaces: ``python bench/bench_ask_seconds.py INPUTS KINDS [ROWS ...]``, KINDS
comma-separated from ``continuous`` and ``pool<rows>`` (``pool2000``), ROWS the observations told
(default 30 100 200). One point asked of a box of INPUTS continuous inputs after a warm-up ask;
prints one line a case: the fit's and the whole ask's seconds, the estimate, measured /
estimated. Results: bench/results/ask_seconds.md."""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import pandas as pd

from fluxtrap.optimize import Optimizer
from fluxtrap.optimize.space import Continuous, SearchSpace


def case(obs: int, pool_rows: int, d: int, n: int = 1) -> tuple[float, float, float]:
    """(fit, whole ask, estimated) seconds of ``ask(n)`` after ``obs`` observations, over a pool
    of ``pool_rows`` rows (0: the continuous box)."""
    rng = np.random.default_rng(obs)
    space = SearchSpace([Continuous(f"x{i}", 0.0, 1.0) for i in range(d)])
    X = pd.DataFrame(rng.random((obs, d)), columns=space.names)
    y = -((X - 0.3) ** 2).sum(axis=1) + 0.01 * rng.standard_normal(obs)
    opt = Optimizer(space, seed=0)
    opt.tell(X, y.rename("y"))
    pool = pd.DataFrame(rng.random((pool_rows, d)), columns=space.names) if pool_rows else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimate = opt.ask_seconds(n, candidates=pool_rows)
        t = time.perf_counter()
        opt.model  # noqa: B018 (the fit, timed on its own)
        fit = time.perf_counter() - t
        opt.ask(n, candidates=pool, allow_long=True)
    return fit, time.perf_counter() - t, estimate


def main(d: int, kinds: str, rows: list[int]) -> None:
    case(10, 100, 2)  # warm-up: the first ask of a process loads and compiles
    for obs in rows:
        for kind in kinds.split(","):
            pool_rows = 0 if kind == "continuous" else int(kind.removeprefix("pool"))
            fit, took, est = case(obs, pool_rows, d)
            print(
                f"| {kind} | {d} | {obs} | {fit:.2f} | {took:.2f} | {est:.2f} | {took / est:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], [int(a) for a in sys.argv[3:]] or [30, 100, 200])
