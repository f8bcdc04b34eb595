"""Record a simulation in the store, done or failed: the one path of ``fluxtrap simulate --db``,
the web's simulation jobs and the demo; the numbers of a run's J/B maps, which the web draws and
a stored summary may keep."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from fluxtrap.simulate import Case
from fluxtrap.store import SimulationRecord, Store
from fluxtrap.store.records import MAX_MAPS
from fluxtrap.units import to_A_cm2


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
    extra: Mapping[str, Any] | None = None,
) -> SimulationRecord:
    """Store the run of ``case`` (its file text ``case_toml``): ``done`` with the ``result``'s
    summary.json, probes.csv and heat.csv (of a heat run), or, with ``error``, ``failed`` with whatever ``result`` holds
    of the run up to the failure (None: nothing ran); ``job_id``: the web job finished with it
    (``Store.add_simulation``); ``extra``: entries stored in the summary beside the result's
    (the demo's ``maps``, ``stored_maps``, and ``creep``, ``CreepFit.to_dict``)."""
    return store.add_simulation(
        case,
        case_toml,
        summary=None if result is None else result.summary() | dict(extra or {}),
        probes_csv=b"" if result is None else result.probes_csv(),
        heat_csv=b"" if result is None else result.heat_csv(),
        error=error,
        campaign=campaign,
        created_by=created_by,
        job_id=job_id,
    )


def map_data(result: Any, snapshot: Any) -> dict[str, Any]:
    """The numbers of the J/B map of ``result`` at one snapshot, JSON-able (what a stored
    simulation keeps for its page): time (s), applied field (T), temperature (K); J_phi
    (A/cm^2) of the conductors on a 60 x 60 r-z grid (mm) over the stack, sampled from the mesh's
    conductor triangles (None outside them); |B| (T) on the stack's surroundings from
    ``Result.field_map`` (Biot-Savart of the currents plus the applied field) on a 40 x 40 grid;
    each layer's [r_in, r_out, z_bottom, z_top] and each probe's [name, r, z] (mm)."""
    from matplotlib.tri import Triangulation

    stack = result.case.stack
    r1 = max(x.radius_m for x in stack) * 1e3
    z0, z1 = min(x.z_m for x in stack) * 1e3, max(x.top_m for x in stack) * 1e3
    jr, jz = np.linspace(0, r1, 60), np.linspace(z0, z1, 60)
    R, Z = np.meshgrid(jr, jz)
    tri = Triangulation(*(result.mesh.points.T * 1e3), result.mesh.triangles[result.conductor])
    inside = tri.get_trifinder()(R, Z)
    j = np.where(inside >= 0, to_A_cm2(snapshot.J_A_m2[inside]), np.nan)
    m = result.field_map(snapshot.time_s, shape=(40, 40))
    return {
        "time_s": float(snapshot.time_s),
        "applied_T": float(snapshot.applied_T),
        "temperature_K": float(snapshot.temperature_K),
        "r_mm": jr.tolist(),
        "z_mm": jz.tolist(),
        "J_A_cm2": _nan_to_none(j),
        "B_r_mm": (m["r"][0] * 1e3).tolist(),
        "B_z_mm": (m["z"][:, 0] * 1e3).tolist(),
        "B_T": np.hypot(m["Br"], m["Bz"]).tolist(),
        "layers": [
            [x.inner_radius_m * 1e3, x.radius_m * 1e3, x.z_m * 1e3, x.top_m * 1e3] for x in stack
        ],
        "probes": [[p.name, p.r_m * 1e3, p.z_m * 1e3] for p in result.case.probes],
    }


def _nan_to_none(a: np.ndarray) -> list[list[float | None]]:
    return [[None if not math.isfinite(v) else float(v) for v in row] for row in a]


def stored_maps(result: Any) -> dict[str, Any]:
    """The J/B maps' numbers (``map_data``) at the end of each protocol step and at ``[output]
    snapshots`` (the initial state has no currents): at most ``MAX_MAPS``, evenly spread over
    them and always with the last (a protocol of 300 steps drew 303 maps, 35 MB of one page;
    10 000 steps may be given), with how many times there were (``of``): what a stored
    simulation's summary keeps as ``maps`` for its page (``web.plots.maps_figures``)."""
    snaps = list(result.snapshots[1:] or result.snapshots)
    shown = snaps
    if len(snaps) > MAX_MAPS:  # as maps.png's rows (Result.plot_maps)
        shown = [
            snaps[i] for i in np.linspace(len(snaps) - 1, 0, MAX_MAPS)[::-1].round().astype(int)
        ]
    return {"of": len(snaps), "shown": [map_data(result, s) for s in shown]}
