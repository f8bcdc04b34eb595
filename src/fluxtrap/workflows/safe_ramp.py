"""The safe-ramp scan on Dask: each ramp rate of ``simulate.stability``'s scan is one task on the
sweep's cluster (a ``LocalCluster`` of single-threaded worker processes, or a running scheduler
reached with TLS), so the rates run side by side; the fastest safe rate is then found here."""

from __future__ import annotations

import math
from typing import Any

from fluxtrap.simulate.case import Case
from fluxtrap.simulate.stability import RampRun, RampScan, ramp_run, ramp_scan, scan_plan
from fluxtrap.workflows.sweep.runner import _client


def scan_on_dask(
    case: Case,
    rates_T_s: list[float],
    max_rise_K: float | None = None,
    mesh_size_m: float | None = None,
    *,
    scheduler: str | None = None,
    workers: int = 2,
    security: Any = None,
) -> RampScan:
    """``stability.scan_ramp_rates`` with each rate (T/s) a task on Dask (``scheduler``: address
    of a running scheduler, with ``security``; else a ``LocalCluster`` of ``workers``). A task
    the cluster loses (a worker died) is a failed run, which ends the safe range there."""
    from distributed import as_completed

    rates, rise, h = scan_plan(case, rates_T_s, max_rise_K, mesh_size_m)
    runs: list[RampRun] = []
    with _client(scheduler, workers, security) as client:
        futures = {
            client.submit(
                ramp_run, case, rate, rise, h, key=f"fluxtrap-ramp-{case.key()}-{rate!r}"
            ): rate
            for rate in rates
        }
        for future in as_completed(futures):
            try:
                runs.append(future.result())
            except Exception as err:  # noqa: BLE001 - the cluster lost the task: a failed run
                runs.append(
                    RampRun(
                        futures[future],
                        math.nan,
                        False,
                        math.nan,
                        {},
                        math.nan,
                        f"{type(err).__name__}: {err}",
                    )
                )
            future.release()
    return ramp_scan(runs, rise)
