"""Ways to run a batch of simulations: ``runner(cases) -> [probes DataFrame | error]``.

A runner takes a list of ``Case``s and returns, in the same order, each one's probes table
(the ``probes.csv`` columns; ``attrs["wall_s"]``: the run's wall time, s, where known) or the
``Exception`` its simulation raised (returned, not raised, so a global scan can skip a failing
corner). Called as ``runner(cases, timeout_s=T)`` (the start scan) it stops each run after ``T``
seconds (``[solver] max_wall``), an error for that case; a ``workers`` attribute (runs at once,
default 1) enters calibrate's estimate of its wall time. ``serial`` runs here; ``PoolRunner`` on
local processes; the Dask runner with the sweep's on-disk case cache lives in
``fluxtrap.workflows``.

A case with a ``[mesh] size`` runs once, on that mesh (``single_run``), without the coarse/fine
pair behind ``Simulation.run``'s discretization-error estimate: the fit uses the fine run's probes
only, and the pair's coarse runs (its own steps, then the fine run's) cost two more runs of every
point of a scan, a descent and a profile (a 2 mm ring: 0.31 s against 0.10 s). ``calibrate``
estimates that error once, at the fitted point (``model_error``). An accuracy-driven case (no
``[mesh] size``) needs its pairs to choose its mesh and runs whole.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

import pandas as pd

from fluxtrap.simulate import Case, Result, Simulation

Outcome = pd.DataFrame | Exception
Runner = Callable[[Sequence[Case]], list[Outcome]]


def single_run(case: Case) -> Result:
    """``case`` (with a ``[mesh] size``) run once on that mesh, as ``Simulation.run``'s fine run
    of its pair (the same probes, to the bit), without the error estimate (``errors`` empty;
    stopped past ``[solver] max_wall``)."""
    from fluxtrap.simulate.mesh import build_mesh
    from fluxtrap.simulate.simulation import check_run

    h = case.mesh.size_m
    if not h > 0:
        raise ValueError(f"single_run: the case has no [mesh] size ({h!r}); Simulation.run it")
    deadline = time.perf_counter() + case.solver.max_wall_s
    check_run(case)
    result, _ = Simulation(case).run_on_mesh(build_mesh(case, h), h, False, None, deadline=deadline)
    return result


def coarse_run(case: Case, fine: pd.DataFrame) -> pd.DataFrame:
    """The probes of ``case``'s coarse run as ``Simulation.run`` pairs it with the fine run whose
    probes are ``fine``: elements twice ``[mesh] size``, stepping over every other time of the
    fine run (first order in space and time: fine - coarse estimates the fine run's error)."""
    from fluxtrap.simulate.mesh import build_mesh

    h = case.mesh.size_m
    deadline = time.perf_counter() + case.solver.max_wall_s
    times = fine["time_s"].to_numpy()
    result, _ = Simulation(case).run_on_mesh(
        build_mesh(case, 2 * h), 2 * h, False, None, None, times[2::2], deadline
    )
    return result.probes


def simulate_probes(case: Case, timeout_s: float | None = None) -> Outcome:
    """The probes table of ``case`` (run for at most ``timeout_s`` s if given), or the exception
    its run raised (on a worker: never raises)."""
    try:  # a timeout below the case's least solving time is refused up front, a failed point too
        if timeout_s is not None and timeout_s < case.solver.max_wall_s:
            case = dataclasses.replace(
                case, solver=dataclasses.replace(case.solver, max_wall_s=timeout_s)
            )
        fixed = case.mesh.size_m > 0  # one run on its mesh (module doc), or the whole refinement
        result = single_run(case) if fixed else Simulation(case).run(progress=False)
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
