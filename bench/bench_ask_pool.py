"""Time of one ``Optimizer.ask`` over a large candidate pool, and the share of it spent in
``SearchSpace.keys`` (calls counted): ``python bench/bench_ask_pool.py [rows] [inputs]``.
Defaults: 400 000 rows of 2 inputs, 5 observations (a replay's first asks)."""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from fluxtrap.optimize import Optimizer
from fluxtrap.optimize.space import Continuous, SearchSpace


def main(rows: int = 400_000, d: int = 2) -> None:
    rng = np.random.default_rng(0)
    space = SearchSpace([Continuous(f"x{i}", 0.0, 1.0) for i in range(d)])
    pool = pd.DataFrame(rng.random((rows, d)), columns=space.names)
    opt = Optimizer(space, seed=0)
    told = pool.iloc[:5]
    opt.tell(told, pd.Series(-((told - 0.3) ** 2).sum(axis=1).to_numpy(), name="y"))
    calls, spent = 0, 0.0
    keys = SearchSpace.keys

    def counted(self, X):
        nonlocal calls, spent
        t = time.perf_counter()
        out = keys(self, X)
        calls, spent = calls + (len(X) > 1000), spent + time.perf_counter() - t
        return out

    SearchSpace.keys = counted
    t = time.perf_counter()
    opt.ask(1, candidates=pool, allow_long=True)
    total = time.perf_counter() - t
    print(
        f"{rows} rows x {d} inputs: ask {total:.2f} s, keys of the pool {calls} call(s) "
        f"{spent:.2f} s ({spent / total:.0%})"
    )


if __name__ == "__main__":
    main(*map(int, sys.argv[1:]))
