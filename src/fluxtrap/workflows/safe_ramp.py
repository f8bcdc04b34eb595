"""The safe-ramp scan on Dask: each ramp rate of ``simulate.stability``'s scan is one task on the
sweep's cluster (a ``LocalCluster`` of single-threaded worker processes, or a running scheduler
reached with TLS), so the rates run side by side; the fastest safe rate is then found here."""

from __future__ import annotations

import math
from typing import Any

from fluxtrap.errors import FluxtrapError
from fluxtrap.simulate.case import Case
from fluxtrap.simulate.stability import (
    CHECK_RTOL,
    RampRun,
    RampScan,
    checked_scan,
    ramp_run,
    scan_plan,
)
from fluxtrap.workflows.isolated import DEFAULT_MEMORY_MB, ChildFailed
from fluxtrap.workflows.sweep.runner import (
    _client,
    check_memory_mb,
    finished,
    run_limited,
    task_key,
)


def scan_on_dask(
    case: Case,
    rates_T_s: list[float],
    max_rise_K: float | None = None,
    mesh_size_m: float | None = None,
    *,
    scheduler: str | None = None,
    workers: int = 2,
    security: Any = None,
    memory_mb: int | None = DEFAULT_MEMORY_MB,
) -> RampScan:
    """``stability.scan_ramp_rates`` with each rate (T/s) a task on Dask (``scheduler``: address
    of a running scheduler, with ``security``; else a ``LocalCluster`` of ``workers``). A task
    the cluster loses (a worker died) is a failed run, which ends the safe range there. Each run
    is a child of its worker with ``memory_mb`` MiB (as a sweep's variants; None: no limit).
    The fastest safe rate and the next faster one run again at rtol / ``CHECK_RTOL``, as
    ``checked_scan``."""
    check_memory_mb(memory_mb, "safe-ramp")
    rates, rise, h = scan_plan(case, rates_T_s, max_rise_K, mesh_size_m)
    tight = case.with_options(rtol=case.solver.rtol / CHECK_RTOL)
    where = scheduler or "the local cluster"
    with _client(scheduler, workers, security) as client:
        runs = _run_all(client, where, case, rates, rise, h, memory_mb)
        # the edge of the safe range again at rtol / CHECK_RTOL, side by side as the scan
        return checked_scan(
            runs,
            rise,
            tight.solver.rtol,
            lambda todo: _run_all(client, where, tight, todo, rise, h, memory_mb),
        )


def _run_all(
    client: Any,
    where: str,
    case: Case,
    rates: list[float],
    rise: float,
    h: float,
    memory_mb: int | None,
) -> list[RampRun]:
    """``_ramp_run`` of each rate (T/s) as a task on ``client``; a lost task is a failed run."""
    runs: list[RampRun] = []
    futures = {
        client.submit(
            _ramp_run,
            case,
            rate,
            rise,
            h,
            memory_mb,
            key=task_key("fluxtrap-ramp", case.key(), rate, rise, h, memory_mb),
        ): rate
        for rate in rates
    }
    for future, workerless in finished(client, futures, where, lambda r: f"{r:g} T/s"):
        try:
            if workerless:
                raise FluxtrapError(workerless)
            runs.append(future.result())
        except Exception as err:  # noqa: BLE001 - the cluster lost the task: a failed run
            runs.append(_failed(futures[future], f"{type(err).__name__}: {err}"))
        future.release()
    return runs


def _ramp_run(
    case: Case, rate_T_s: float, rise_K: float, mesh_size_m: float, memory_mb: int | None
) -> RampRun:
    """``ramp_run`` on a worker, in a child with ``memory_mb`` MiB if given; a child over its
    limit or killed is a failed run."""
    if memory_mb is None:
        return ramp_run(case, rate_T_s, rise_K, mesh_size_m)
    try:
        return run_limited(
            ramp_run, (case, rate_T_s, rise_K, mesh_size_m), memory_mb, case.solver.max_wall_s
        )
    except ChildFailed as err:
        return _failed(rate_T_s, f"ChildFailed: {err}")


def _failed(rate_T_s: float, error: str) -> RampRun:
    """A run that gave no result at ``rate_T_s`` (T/s)."""
    return RampRun(rate_T_s, math.nan, False, math.nan, {}, math.nan, error)
