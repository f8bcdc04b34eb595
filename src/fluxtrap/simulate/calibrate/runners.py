"""Ways to run a batch of simulations: ``runner(cases) -> [probes DataFrame | error]``.

A runner takes a list of ``Case``s and returns, in the same order, each one's probes table
(the ``probes.csv`` columns; ``attrs["wall_s"]``: the run's wall time, s, where known) or the
``Exception`` its simulation raised (returned, not raised, so a global scan can skip a failing
corner). Called as ``runner(cases, timeout_s=T)`` (the start scan) it stops each run after ``T``
seconds (``[solver] max_wall``), an error for that case; a ``workers`` attribute (runs at once,
default 1) enters calibrate's estimate of its wall time. ``serial`` runs here; ``PoolRunner`` on
local processes; the Dask runner with the sweep's on-disk case cache lives in
``fluxtrap.workflows``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

import pandas as pd

from fluxtrap.simulate import Case, Simulation

Outcome = pd.DataFrame | Exception
Runner = Callable[[Sequence[Case]], list[Outcome]]


def simulate_probes(case: Case, timeout_s: float | None = None) -> Outcome:
    """The probes table of ``case`` (run for at most ``timeout_s`` s if given), or the exception
    its run raised (on a worker: never raises)."""
    try:  # a timeout below the case's least solving time is refused up front, a failed point too
        if timeout_s is not None and timeout_s < case.solver.max_wall_s:
            case = dataclasses.replace(
                case, solver=dataclasses.replace(case.solver, max_wall_s=timeout_s)
            )
        result = Simulation(case).run(progress=False)
    except Exception as err:  # noqa: BLE001 - a failed point is data for the fit, see module doc
        return err
    probes = result.probes
    probes.attrs["wall_s"] = result.solver["wall_s"]
    return probes


def serial(cases: Sequence[Case], timeout_s: float | None = None) -> list[Outcome]:
    """Run the cases one after the other in this process."""
    return [simulate_probes(c, timeout_s) for c in cases]


class PoolRunner:
    """Run each batch on ``workers`` local processes (kept for the runner's life; ``close()``
    or use as a context manager)."""

    def __init__(self, workers: int = 2):
        self.workers = workers  # runs at once (calibrate's estimate of its wall time)
        self.pool = ProcessPoolExecutor(max_workers=workers)

    def __call__(self, cases: Sequence[Case], timeout_s: float | None = None) -> list[Outcome]:
        return list(self.pool.map(simulate_probes, cases, [timeout_s] * len(cases)))

    def close(self) -> None:
        self.pool.shutdown()

    def __enter__(self) -> PoolRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
