"""Record a simulation in the store, done or failed: the one path of ``fluxtrap simulate --db``,
the web's simulation jobs and the demo."""

from __future__ import annotations

from typing import Any

from fluxtrap.simulate import Case
from fluxtrap.store import SimulationRecord, Store


def failure(err: BaseException) -> str:
    """How a failed run is recorded: ``"SolverError: Newton did not converge ..."``."""
    return f"{type(err).__name__}: {err}"


def record_simulation(
    store: Store,
    case: Case,
    case_toml: str,
    result: Any = None,
    *,
    error: str | None = None,
    campaign: str | None = None,
    created_by: str | None = None,
    job_id: int | None = None,
) -> SimulationRecord:
    """Store the run of ``case`` (its file text ``case_toml``): ``done`` with the ``result``'s
    summary.json, probes.csv and heat.csv (of a heat run), or, with ``error``, ``failed`` with whatever ``result`` holds
    of the run up to the failure (None: nothing ran); ``job_id``: the web job finished with it
    (``Store.add_simulation``)."""
    return store.add_simulation(
        case,
        case_toml,
        summary=None if result is None else result.summary(),
        probes_csv=b"" if result is None else result.probes_csv(),
        heat_csv=b"" if result is None else result.heat_csv(),
        error=error,
        campaign=campaign,
        created_by=created_by,
        job_id=job_id,
    )
