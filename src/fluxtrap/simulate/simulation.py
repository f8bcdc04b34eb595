"""The front object: ``Simulation(case).run() -> Result``; ``simulate(case)`` for one call.

A ``Result`` holds the probe traces (a DataFrame with the columns of the ``probes.csv``
contract), the current density and field at snapshot times, the mesh and the solver counters.
It is a plain picklable value (no solver state), so Dask workers can return it.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import numbers
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pint

from fluxtrap.errors import AnalysisError, SolverError, ValidationError
from fluxtrap.inputs import near
from fluxtrap.simulate import bore, options
from fluxtrap.simulate.case import MU0, Case, CaseWarning
from fluxtrap.units import parse, to_A_cm2, value_text

HEAT_COLUMNS = ["time_s", "max_T_K", "mean_T_K", "heat_J", "dissipated_J", "removed_J"]
COLD_HEAD_COLUMNS = ["cold_head_T_K", "cooler_J", "heater_J"]  # with a [thermal.cold_head]
# The hottest element's temperature (a max over element means) converges in h more slowly than
# first order where the heat gathers at an edge or corner: its space part is taken at this order
# (``temperature_errors``)
HOTTEST_ORDER = 0.5
MAX_MAP_ROWS = 6  # rows of maps.png: a figure of 100 snapshots would be 9 m tall
# a map row whose peak |J| is under this fraction of the column's one colour scale says its peak in
# the panel: a field-cooled disk warmed to 37.5 K of Tc 38 K carried 137 A/cm^2 on a 2e4 A/cm^2
# scale, a blank panel
FAINT_MAP = 0.05
# probes.png zooms on each pulse shorter than this share of the run (at most MAX_PULSE_ROWS rows):
# on the run's time axis a 50 ms pulse beside a 90 s hold was one vertical line
PULSE_ZOOM_SHARE = 0.1
MAX_PULSE_ROWS = 3
MAX_PAIRS = 6  # coarse/fine pairs an accuracy-driven run may take
LIMIT_TRIES = 4  # designs again of a pair whose fine mesh is past [mesh] max_elements
# A target whose design needs over this many times [mesh] max_elements (``Design.first_order``:
# its error at the limit over twice the target) ends the run with the pair just run: the
# ring-stack example at "0.001 %" (0.28 % with 1,221 elements, about 1.1e8 needed) ran meshes at
# the limit until max_wall (2 h) to miss it anyway. The designs of bench_accuracy.py's cases and
# the paper case reach at most 1.48x (the slim cylinder's scout, too coarse to be first order).
BEYOND_LIMIT = 4.0
# The first pair of an accuracy-driven run only places the refinement: it steps at this many
# times the case's rtol (its time error stays small beside its space error; 40 % fewer Newton
# iterations there, bench) and its estimate never ends the run.
SCOUT_RTOL = 4.0
# ... unless its time error (``time_error``) is within this share of the accuracy target: then
# the scout is a pair like the others (it may end the run) and the pairs after it step at its rtol.
# A third is the cheapest split of the target: with time error e_t ~ sqrt(rtol) ~ 1 / steps and
# space error e_s ~ h ~ elements^-1/2, the cost elements x steps ~ 1 / (e_s^2 e_t) is least for
# e_s + e_t fixed at e_t = a third of it. Against a quarter on the 15 cases of bench_accuracy.py: six ran
# 1.2-2.6x faster (slim cylinder 36.5 -> 18.3 s CPU), the very thin disk 1.2x slower (its time
# part at the case's rtol, 1.13 %, was twice that at 4x), the rest on the same meshes; all met.
TIME_SHARE = 1 / 3
# a field map's grid: at most this many points (32 B each, and 32 B per time), and points x
# conductor elements (its Biot-Savart at MAP_QUALITY took MAP_PAIR_S each: 200 x 200 points on
# 118 elements 2.8 s) at most MAX_MAP_PAIRS, ~10 min
MAX_MAP_POINTS = 10**6
MAP_PAIR_S = 0.6e-6
MAX_MAP_PAIRS = 10**9

# The mesher, the solver and matplotlib are imported where a run or a plot needs them.
if TYPE_CHECKING:
    from fluxtrap.simulate.adapt import Sampled
    from fluxtrap.simulate.bore import BoreField
    from fluxtrap.simulate.mesh import Mesh
    from fluxtrap.simulate.solver import State


@dataclass(frozen=True, eq=False)
class Snapshot:
    """Fields at ``time_s``: ``J_A_m2`` (n_conductor,) azimuthal current density per conductor
    element (A/m^2); ``B_T`` (n_elements, 2) FEM flux density (B_r, B_z) per element (T);
    ``T_K`` (n_conductor,) temperature per conductor element (K; None when isothermal)."""

    time_s: float
    applied_T: float
    temperature_K: float
    J_A_m2: np.ndarray
    B_T: np.ndarray
    T_K: np.ndarray | None = None

    def __repr__(self) -> str:
        return (
            f"Snapshot(t={self.time_s:g} s, applied {self.applied_T:g} T, {self.temperature_K:g} K)"
        )


def _with_error(value: float, errors: dict[str, float] | None) -> str:
    """``value ± its final_error_T`` (``units.value_text``), or the value alone (4 digits)."""
    return value_text(value, (errors or {}).get("final_error_T"))


def _map_extent(extent: Any) -> tuple[float, float, float, float]:
    """``extent`` (r0, r1, z0, z1) in m with 0 <= r0 < r1 and z0 < z1, or a ValidationError (a
    NaN gave a map of NaN, r < 0 lies outside the axisymmetric cross-section, three values were
    a ValueError)."""
    try:
        r0, r1, z0, z1 = (float(x) for x in extent)
    except (TypeError, ValueError):
        r0 = math.nan
    if not 0 <= r0 < r1 < math.inf or not -math.inf < z0 < z1 < math.inf:
        raise ValidationError(
            f"field map: extent {extent!r} is not (r0, r1, z0, z1) in m with 0 <= r0 < r1, z0 < z1"
        )
    return r0, r1, z0, z1


def _seconds(time: float | str | pint.Quantity, where: str) -> float:
    """``time`` (s, or text / a pint quantity with its unit, "2 min") in s."""
    t = parse(time, "time", where) if isinstance(time, str | pint.Quantity) else time
    if isinstance(t, bool) or not isinstance(t, numbers.Real):
        raise ValidationError(f"{where}: {time!r} is not a time (s, or text such as '50 s')")
    return float(t)


@dataclass(frozen=True, eq=False)
class Result:
    """Outcome of a simulation (complete, or up to ``error`` if the solver stopped).

    ``probes``: DataFrame ``time_s, applied_T, temperature_K, <probe>_Bz_T...``, one row per
    time step; ``snapshots``: fields at the end of each protocol step and at the case's
    snapshot times; ``mesh`` with ``conductor`` (indices of its conductor elements);
    ``solver``: counters (mesh_size_m, elements, dofs, time_steps, newton_iterations,
    rejected_steps, wall_s); ``errors``: per probe ``final_error_T``, ``max_error_T`` (T), the
    estimated discretization error (``probe_errors``); ``accuracy``: target, estimate (fraction
    of the peak self-field), reached, the mesh levels run. ``heat`` (a heat model ran, else
    None): per time step ``time_s, max_T_K, mean_T_K`` (hottest element, volume mean),
    ``heat_J`` (heat gained by the conductors since t = 0), ``dissipated_J`` (integral of
    E.J over them and time so far) and ``removed_J`` (heat that left them through cooled
    surfaces so far; dissipated_J = heat_J + removed_J), in J, with a cold head also ``cold_head_T_K``, ``cooler_J``
    (heat the cooler took out since t = 0) and ``heater_J`` (heat its set-point heater put in);
    written as ``heat.csv``; ``temperature_errors``: the estimated discretization error of its
    hottest and mean temperature and of each temperature probe (K, ``temperature_errors``).
    """

    case: Case
    probes: pd.DataFrame
    snapshots: tuple[Snapshot, ...]
    mesh: Mesh
    conductor: np.ndarray
    solver: dict[str, float]
    error: str | None = None
    errors: dict[str, dict[str, float]] = dataclasses.field(default_factory=dict)
    accuracy: dict[str, Any] = dataclasses.field(default_factory=dict)
    heat: pd.DataFrame | None = None
    temperature_errors: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __repr__(self) -> str:
        t = self.probes["time_s"]
        finals = ", ".join(  # with the estimated discretization error where there is one
            f"{p.name} {_with_error(self.probes[f'{p.name}_Bz_T'].iloc[-1], self.errors.get(p.name))} T"
            for p in self.case.probes
        )
        status = f", stopped: {self.error}" if self.error else ""
        return (
            f"Result({self.case.title!r}, t = {t.iloc[0]:g}..{t.iloc[-1]:g} s in {len(t) - 1} steps, "
            f"final {finals or 'no probes'}; {self.solver['elements']} elements, "
            f"{self.solver['wall_s']:.3g} s wall{status})"
        )

    # numbers ---------------------------------------------------------------------------------
    def probe(self, name: str) -> pd.Series:
        """Bz (T) of probe ``name`` indexed by time (s)."""
        return self.probes.set_index("time_s")[self._probe_column(name, "probe")]

    def _probe_column(self, name: str, where: str) -> str:
        """``<name>_Bz_T``; a probe the case does not have is a ValidationError naming those it
        has and the near miss (a bare KeyError 'centre_Bz_T' before)."""
        names = [p.name for p in self.case.probes]
        if name not in names:
            close = near(name, names) if isinstance(name, str) else None
            hint = f"; did you mean {close!r}?" if close else ""
            raise ValidationError(
                f"{where}: no probe named {name!r} in case {self.case.title!r}{hint} "
                f"(its probes: {', '.join(names) or 'none'})"
            )
        return f"{name}_Bz_T"

    def _time_s(self, time: float | str | None, where: str) -> float | None:
        """``time`` (s, or text / a pint quantity with its unit, "50 s") in s, within the run
        (a time past it or NaN gave the last snapshot, "50 s" a TypeError); None stays None."""
        if time is None:
            return None
        t = _seconds(time, where)
        t0, t1 = self.probes["time_s"].iloc[0], self.probes["time_s"].iloc[-1]
        if not t0 <= t <= t1:
            raise ValidationError(
                f"{where}: t = {t:g} s is outside the run, {t0:g}..{t1:g} s"
                + (f" (stopped: {self.error})" if self.error else "")
            )
        return float(t)

    def snapshot(self, time_s: float | str | None = None) -> Snapshot:
        """The snapshot nearest ``time_s`` (s, or text with its unit; default: the last); one
        taken elsewhere (more than 1e-6 of the run away) warns with its time (``SnapshotWarning``:
        field_map(1000 s) gave the fields of 1500 s without a word)."""
        t = self._time_s(time_s, "snapshot")
        if t is None:
            return self.snapshots[-1]
        near = min(self.snapshots, key=lambda s: abs(s.time_s - t))
        span = self.probes["time_s"].iloc[-1] - self.probes["time_s"].iloc[0]
        if abs(near.time_s - t) > 1e-6 * span:
            warnings.warn(
                f"no snapshot at t = {t:g} s: the nearest, t = {near.time_s:g} s, is used (kept: "
                f"{', '.join(f'{s.time_s:g}' for s in self.snapshots[:12])}"
                f"{', ...' if len(self.snapshots) > 12 else ''} s: each protocol step's end and "
                "[output] snapshots; add the time there)",
                SnapshotWarning,
                stacklevel=2,
            )
        return near

    def summary(self) -> dict[str, Any]:
        """The ``summary.json`` contract: probes (final_T, max_abs_T: Bz with the applied field,
        max_abs_self_T: the sample's own, |Bz - applied|; final_error_T, max_error_T),
        temperature (the protocol's: start_K, final_K, min_K, max_K, and what it is of), solver
        counters, accuracy (target, estimate, reached, levels), case in SI; with a heat model,
        thermal (hottest and final hottest temperature, final mean temperature, heat,
        dissipation, heat removed through cooled surfaces; each temperature probe's final_K and max_K; the estimated errors of these
        temperatures, ``temperature_errors``: max_T_error_K, final_max_T_error_K,
        final_mean_T_error_K, and per probe final_error_K and max_error_K)."""
        applied = self.probes["applied_T"]
        probes = {
            p.name: {
                "final_T": float(self.probes[f"{p.name}_Bz_T"].iloc[-1]),
                "max_abs_T": float(self.probes[f"{p.name}_Bz_T"].abs().max()),
                "max_abs_self_T": float((self.probes[f"{p.name}_Bz_T"] - applied).abs().max()),
                **self.errors.get(p.name, {}),
            }
            for p in self.case.probes
        }
        temps = self.probes["temperature_K"]
        out = {
            "probes": probes,
            # the protocol's temperature (K) over the run: the conductors' under the isothermal
            # model, the coolant's with a heat model (``thermal`` has the conductors'); it was
            # in the case's protocol steps alone, which an isothermal run's reader had to replay
            "temperature": {
                "start_K": float(temps.iloc[0]),
                "final_K": float(temps.iloc[-1]),
                "min_K": float(temps.min()),
                "max_K": float(temps.max()),
                "of": "the conductors (isothermal)"
                if self.case.thermal.model == "isothermal"
                else "the coolant (the conductors' in thermal)",
            },
            "solver": dict(self.solver),
            "case": self.case.to_si_dict(),
        }
        if self.case.bore:
            out["bore"] = self.bore.to_dict()
        if self.heat is not None:
            h = self.heat
            err = self.temperature_errors
            out["thermal"] = {
                "model": self.case.thermal.model,
                "max_T_K": float(h["max_T_K"].max()),
                "final_max_T_K": float(h["max_T_K"].iloc[-1]),
                "final_mean_T_K": float(h["mean_T_K"].iloc[-1]),
                "heat_J": float(h["heat_J"].iloc[-1]),
                "dissipated_J": float(h["dissipated_J"].iloc[-1]),
            }
            if "removed_J" in h:  # absent from a heat.csv stored before it was written
                out["thermal"]["removed_J"] = float(h["removed_J"].iloc[-1])
            if err:  # the pair's estimate (``temperature_errors``), K
                out["thermal"] |= {
                    "max_T_error_K": err["hottest"]["max_error_K"],
                    "final_max_T_error_K": err["hottest"]["final_error_K"],
                    "final_mean_T_error_K": err["mean"]["final_error_K"],
                }
            if "cold_head_T_K" in h:
                out["thermal"] |= {k: float(h[k].iloc[-1]) for k in COLD_HEAD_COLUMNS}
            if self.case.temperature_probes:  # quantity = "temperature" probes, K
                out["thermal"]["probes"] = {
                    p.name: {
                        "final_K": float(self.probes[f"{p.name}_T_K"].iloc[-1]),
                        "max_K": float(self.probes[f"{p.name}_T_K"].max()),
                        **err.get("probes", {}).get(p.name, {}),
                    }
                    for p in self.case.temperature_probes
                }
        if self.accuracy:
            out["accuracy"] = self.accuracy
        if self.error:
            out["error"] = self.error
        return out

    @functools.cached_property
    def bore(self) -> BoreField:
        """Homogeneity, axial harmonics, profiles and drift in the case's ``[bore]`` (``bore.py``)."""
        return bore.of_result(self)

    def creep(
        self, probe: str, start_s: float | str | None = None, skip_s: float | str = 60.0
    ) -> dict[str, float]:
        """Fit B = a - b ln(t - start) to probe ``probe`` after ``start_s`` (default: the start of
        the closing holds, or of the last step without one: ``protocol.relaxation_start``)
        ignoring the first ``skip_s``; both in s, or text / a pint quantity with its unit
        ("2 min"); ``start_s`` within the run, ``skip_s`` >= 0. Returns a (T), b (T), the
        normalised rate S = b / B(first point) and the decay in ppm/h at the last time. (The
        default was the snapshot before the last: an ``[output] snapshots`` time inside the hold
        moved it there, a 1000 s hold's decay 199 905 -> 107 415 ppm/h.)"""
        if start_s is None:
            from fluxtrap.simulate.protocol import relaxation_start

            start_s = relaxation_start(self.case.protocol)
        else:
            start_s = self._time_s(start_s, "creep start_s")
        skip_s = _seconds(skip_s, "creep skip_s")
        if not 0 <= skip_s < math.inf:
            raise ValidationError(f"creep skip_s: {skip_s:g} s; it must be a finite time >= 0")
        column = self._probe_column(probe, "creep")
        df = self.probes[self.probes.time_s > start_s + skip_s]
        if len(df) < 3:
            raise AnalysisError(
                f"creep: fewer than 3 points of {probe!r} after t = {start_s + skip_s:g} s"
            )
        t = df.time_s.to_numpy() - start_s
        b = df[column].to_numpy()
        slope, a = np.polyfit(np.log(t), b, 1)
        return {
            "a_T": float(a),
            "b_T": float(-slope),
            "S": float(-slope / b[0]),
            "decay_ppm_per_h": float(-slope / (b[-1] * t[-1]) * 3600e6),
        }

    def field_map(
        self,
        time_s: float | None = None,
        shape: tuple[int, int] = (48, 40),
        extent: tuple[float, float, float, float] | None = None,
    ) -> dict[str, np.ndarray]:
        """B (T) on a grid of the cross-section at the snapshot nearest ``time_s``: see ``field_maps``."""
        return self.field_maps([time_s], shape, extent)[0]

    def field_maps(
        self,
        times: list[float | None],
        shape: tuple[int, int] = (48, 40),
        extent: tuple[float, float, float, float] | None = None,
    ) -> list[dict[str, np.ndarray]]:
        """B (T) on a grid of the cross-section at the snapshots nearest ``times`` (None: the
        last), by Biot-Savart from the currents plus the applied field: per time a dict of ``r``,
        ``z`` (shape (nz, nr) = (shape[1], shape[0]), m), ``Br``, ``Bz``; ``extent`` = (r0, r1,
        z0, z1) in m. The Biot-Savart matrix is built once for all times, at picture quality
        (``probes.MAP_QUALITY``: ~1% of the peak field at worst, as good as a probe-quality map
        against a converged one; ``bench/bench_outputs.py``), ``probes.PROBE_BATCH`` entries
        at a time (whole, 1920 points on 32 425 elements peaked at 2.7 GB RSS)."""
        from fluxtrap.simulate import probes

        snaps = [self.snapshot(t) for t in times]
        if not snaps:
            raise ValidationError("field maps: no times given (None: the last snapshot)")
        self._check_map_size(shape, len(snaps))
        r0, r1, z0, z1 = self._extent() if extent is None else _map_extent(extent)
        r, z = np.meshgrid(np.linspace(r0, r1, shape[0]), np.linspace(z0, z1, shape[1]))
        where = np.column_stack([r.ravel(), z.ravel()])
        J = np.column_stack([s.J_A_m2 for s in snaps])  # (elements, times)
        tri = self.mesh.triangles[self.conductor]
        Br, Bz = np.empty((len(where), len(snaps))), np.empty((len(where), len(snaps)))
        rows = max(1, probes.PROBE_BATCH // max(1, len(tri)))
        for i in range(0, len(where), rows):
            Gr, Gz = probes.field_matrix(
                self.mesh.points, tri, where[i : i + rows], **probes.MAP_QUALITY
            )
            Br[i : i + rows], Bz[i : i + rows] = Gr @ J, Gz @ J
        return [
            {
                "r": r,
                "z": z,
                "Br": Br[:, k].reshape(r.shape),
                "Bz": Bz[:, k].reshape(r.shape) + snap.applied_T,
            }
            for k, snap in enumerate(snaps)
        ]

    def _check_map_size(self, shape: tuple[int, int], times: int) -> None:
        """Refuse, before allocating, a grid ``shape`` (two counts >= 1) of more than
        ``MAX_MAP_POINTS`` points or ``MAX_MAP_PAIRS`` point-element pairs, with its size (a
        1e5 x 1e5 grid was a MemoryError, 1e3 x 1e3 on 30 000 elements hours of Biot-Savart),
        and ``times`` maps whose J and B take over ``options.MAX_MATRIX_BYTES``."""
        if (
            not isinstance(shape, tuple | list)
            or len(shape) != 2
            or any(
                isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1 for n in shape
            )
        ):
            raise ValidationError(
                f"field map: shape {shape!r} is not two counts of points >= 1 (nr, nz)"
            )
        points = shape[0] * shape[1]
        pairs = points * len(self.conductor)
        if points > MAX_MAP_POINTS or pairs > MAX_MAP_PAIRS:
            raise ValidationError(
                f"field map: a {shape[0]} x {shape[1]} grid is {points:.3g} points, "
                f"~{points * (32 + 32 * times) / 1e9:.3g} GB for {times} time(s) and "
                f"~{pairs * MAP_PAIR_S / 60:.3g} min of Biot-Savart on {len(self.conductor)} "
                f"conductor elements; at most {MAX_MAP_POINTS:,} points and {MAX_MAP_PAIRS:.0e} "
                "point-element pairs (~10 min): ask for a smaller shape"
            )
        held = 8 * times * (len(self.conductor) + 2 * points)  # J and (Br, Bz) at each time
        if held > options.MAX_MATRIX_BYTES:  # 1e6 times of a small grid: 8 GB of J, unchecked
            raise ValidationError(
                f"field maps: {times} times of a {shape[0]} x {shape[1]} grid on "
                f"{len(self.conductor)} conductor elements hold J and B at each, about "
                f"{held / 2**30:.3g} GiB, over the limit of "
                f"{options.MAX_MATRIX_BYTES / 2**30:g} GiB: ask for fewer times (each snapshot "
                "once) or a smaller shape"
            )

    def _extent(self) -> tuple[float, float, float, float]:
        st = self.case.stack
        rmax = max(x.radius_m for x in st)
        z0, z1 = min(x.z_m for x in st), max(x.top_m for x in st)
        pad = 0.3 * max(rmax, z1 - z0)
        return 0.0, rmax + pad, z0 - pad, z1 + pad

    # plots -----------------------------------------------------------------------------------
    def plot_probes(self, path: str | Path | None = None):
        """Probe Bz vs time and vs applied field (two panels), and when a heat model ran a third:
        the hottest and mean conductor temperature, each temperature probe, the coolant (or set
        point) and the cold head, in K vs time; without one, where the protocol changes the
        temperature, a third of probe Bz vs the temperature (K; a trapped field warmed away);
        saved to ``path`` if given."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        heat = self.heat
        df = self.probes
        swept = heat is None and df["temperature_K"].max() > df["temperature_K"].min()
        zooms = self._pulse_windows()
        rows = 1 + len(zooms)
        third = heat is not None or swept
        grid = plt.subplots(
            rows, 3 if third else 2, figsize=(16.5 if third else 11, 4.2 * rows), squeeze=False
        )
        fig, axes = grid[0], grid[1][0]
        fig.subplots_adjust(
            left=0.07,
            right=0.98,
            bottom=0.5 / (4.2 * rows),
            top=1 - 0.34 / (4.2 * rows),
            wspace=0.22,
            hspace=0.35,
        )
        a, b = axes[:2]
        a.plot(df["time_s"], df["applied_T"], "k--", lw=1, label="applied")
        for p in self.case.probes:
            a.plot(df["time_s"], df[f"{p.name}_Bz_T"], label=p.name)
            b.plot(df["applied_T"], df[f"{p.name}_Bz_T"], label=p.name)
        a.set(xlabel="time (s)", ylabel="$B_z$ (T)", title=self.case.title or "probe traces")
        b.set(xlabel="applied field (T)", ylabel="$B_z$ (T)", title="probe vs applied field")
        if swept:  # from the row before the temperature first moves: the field ramps before
            # it, at one temperature, were a vertical line over the whole axis
            temps = df["temperature_K"].to_numpy()
            moved = df.iloc[max(int(np.argmax(temps != temps[0])) - 1, 0) :]
            for p in self.case.probes:
                axes[2].plot(moved["temperature_K"], moved[f"{p.name}_Bz_T"], label=p.name)
            axes[2].set(xlabel="temperature (K)", ylabel="$B_z$ (T)", title="probe vs temperature")
        if heat is not None:
            c = axes[2]
            c.plot(heat["time_s"], heat["max_T_K"], color="tab:red", label="hottest")
            c.plot(heat["time_s"], heat["mean_T_K"], color="tab:red", ls="--", label="mean")
            for p in self.case.temperature_probes:
                c.plot(df["time_s"], df[f"{p.name}_T_K"], label=p.name)
            if self.case.thermal.model == "conduction":  # adiabatic: only where it started
                cold_head = "cold_head_T_K" in heat
                coolant = "set point" if cold_head else "coolant"
                c.plot(df["time_s"], df["temperature_K"], "k--", lw=1, label=coolant)
                if cold_head:
                    c.plot(heat["time_s"], heat["cold_head_T_K"], "k:", label="cold head")
            c.set(
                xlabel="time (s)", ylabel="T (K)", title=f"temperature ({self.case.thermal.model})"
            )
        for row, (i, t0, t1) in zip(grid[1][1:], zooms, strict=True):
            self._plot_pulse(row, i, t0, t1, axes, heat is not None)
        for ax in fig.axes:
            ax.grid(alpha=0.3)
            if ax.get_legend_handles_labels()[0]:  # none without Bz probes: matplotlib warned
                ax.legend()
        if path:
            fig.savefig(path, dpi=120)
            plt.close(fig)
        return fig

    def _pulse_windows(self) -> list[tuple[int, float, float]]:
        """(protocol step index, start, end in s) of the first ``MAX_PULSE_ROWS`` pulses shorter
        than ``PULSE_ZOOM_SHARE`` of the run."""
        from fluxtrap.simulate.case import Pulse, step_durations

        protocol = self.case.protocol
        durations = step_durations(protocol)
        starts = np.cumsum([0.0, *durations])
        total = starts[-1]
        return [
            (k + 1, float(starts[k]), float(starts[k] + d))
            for k, (step, d) in enumerate(zip(protocol[1:], durations, strict=True))
            if isinstance(step, Pulse) and d < PULSE_ZOOM_SHARE * total
        ][:MAX_PULSE_ROWS]

    def _plot_pulse(self, row, k: int, t0: float, t1: float, top, heat: bool) -> None:
        """One row of ``plot_probes`` zoomed on the pulse of protocol step ``k`` (from ``t0`` to
        ``t1``, s, and as long again after it): the probe traces and, with a ``heat`` model, the
        temperatures of the panels ``top`` against the time since the pulse's start (ms)."""
        span = t1 - t0
        lo, hi = t0 - 0.05 * span, t1 + span

        def zoom(src, dst) -> None:
            for line in src.get_lines():
                t = np.asarray(line.get_xdata(), float)
                keep = (t >= lo) & (t <= hi)
                # one point either side, so the lines reach the edges
                keep |= np.r_[keep[1:], False] | np.r_[False, keep[:-1]]
                dst.plot(
                    (t[keep] - t0) * 1e3,
                    np.asarray(line.get_ydata(), float)[keep],
                    color=line.get_color(),
                    ls=line.get_linestyle(),
                    lw=line.get_linewidth(),
                    label=line.get_label(),
                )
            dst.set(
                xlim=((lo - t0) * 1e3, (hi - t0) * 1e3),
                xlabel=f"time since the pulse's start at {t0:.6g} s (ms)",
                ylabel=src.get_ylabel(),
                title=f"{src.get_title()}: pulse, protocol step {k}",
            )

        zoom(top[0], row[0])
        row[1].remove()  # probe vs applied field: the whole pulse is in the panel above
        if heat:
            zoom(top[2], row[2])
        elif len(top) > 2:  # probe vs temperature: as vs applied field
            row[2].remove()

    def plot_maps(self, times: list[float] | None = None, path: str | Path | None = None):
        """J_phi (A/cm^2) in the conductors, |B| (T, Biot-Savart) of the cross-section and, when
        a heat model ran, the conductors' temperature (K) at
        ``times`` (default: the snapshots after the initial state), one row per time; at most
        ``MAX_MAP_ROWS`` rows, evenly spread over the times and always with the last."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        snaps = (
            [self.snapshot(t) for t in times]
            if times
            else list(self.snapshots[1:] or self.snapshots)
        )
        if len(snaps) > MAX_MAP_ROWS:
            keep = np.linspace(len(snaps) - 1, 0, MAX_MAP_ROWS)[::-1].round().astype(int)
            snaps = [snaps[i] for i in keep]
        heat = any(s.T_K is not None for s in snaps)  # a third column: the temperature
        cols = 3 if heat else 2
        fig, axes = plt.subplots(
            len(snaps), cols, figsize=(5 * cols, 3.6 * len(snaps)), squeeze=False
        )
        # fixed margins: tight_layout's text measuring cost as much as the drawing
        fig.subplots_adjust(
            left=0.07,
            right=0.9,  # 0.93 cut the last colour bar's label ("|B| (T)") off the figure
            bottom=0.6 / (3.6 * len(snaps)),
            top=1 - 0.55 / (3.6 * len(snaps)),
            hspace=0.45,
            # room for each colour bar's label (0.25 put it over the next column's "z (mm)",
            # with two columns too)
            wspace=0.55,
        )
        tri = self.mesh.triangles[self.conductor]
        pts = self.mesh.points * 1e3
        r0, r1, z0, z1 = self._extent()
        jmax = to_A_cm2(max(np.abs(s.J_A_m2).max() for s in snaps)) or 1.0
        maps = self.field_maps([s.time_s for s in snaps])
        bmax = max(float(np.hypot(m["Br"], m["Bz"]).max()) for m in maps) or 1.0
        levels = np.linspace(0.0, bmax, 25)
        # a protocol that changes the temperature: each map says at which (a warmed trapped
        # field's maps differed by time alone)
        swept = len({s.temperature_K for s in self.snapshots}) > 1
        if heat:  # one scale for the column's one colour bar (each row had its own range)
            temps = [s.T_K for s in snaps if s.T_K is not None]
            tmin, tmax = min(float(t.min()) for t in temps), max(float(t.max()) for t in temps)
        for row, s, m in zip(axes, snaps, maps, strict=True):
            pc = row[0].tripcolor(
                pts[:, 0],
                pts[:, 1],
                tri,
                facecolors=to_A_cm2(s.J_A_m2),
                cmap="RdBu_r",
                vmin=-jmax,
                vmax=jmax,
            )
            peak = to_A_cm2(float(np.abs(s.J_A_m2).max(initial=0.0)))
            if 0 < peak < FAINT_MAP * jmax:  # the column's scale hides it: say its peak
                row[0].text(
                    0.03,
                    0.04,
                    f"|J| up to {peak:.3g} A/cm$^2$",
                    transform=row[0].transAxes,
                    fontsize=8,
                )
            cf = row[1].contourf(
                m["r"] * 1e3, m["z"] * 1e3, np.hypot(m["Br"], m["Bz"]), levels, cmap="viridis"
            )
            for x in self.case.stack:
                row[1].add_patch(
                    plt.Rectangle(
                        (x.inner_radius_m * 1e3, x.z_m * 1e3),
                        x.width_m * 1e3,
                        x.thickness_m * 1e3,
                        fill=False,
                        ec="w",
                        lw=0.8,
                    )
                )
            for ax in row:
                ax.set(
                    xlim=(r0 * 1e3, r1 * 1e3),
                    ylim=(z0 * 1e3, z1 * 1e3),
                    xlabel="r (mm)",
                    ylabel="z (mm)",
                    aspect="equal",
                    # two lines: one ran under the next column's colour bar on a narrow stack
                    title=f"t = {s.time_s:g} s\napplied {s.applied_T:.3g} T"
                    + (f", {s.temperature_K:.4g} K" if swept else ""),
                )
            for p in self.case.probes:
                row[1].plot(p.r_m * 1e3, p.z_m * 1e3, "r+")
            if heat:
                pt = row[2].tripcolor(
                    pts[:, 0],
                    pts[:, 1],
                    tri,
                    facecolors=s.T_K,
                    cmap="inferno",
                    vmin=tmin,
                    vmax=tmax,
                )
                for p in self.case.temperature_probes:
                    row[2].plot(p.r_m * 1e3, p.z_m * 1e3, "c+")
        # one colour scale per column (drawing a colorbar costs as much as a map)
        fig.colorbar(pc, ax=axes[:, 0], label="$J_\\varphi$ (A/cm$^2$)", shrink=0.9)
        fig.colorbar(cf, ax=axes[:, 1], label="|B| (T)", shrink=0.9)
        if heat:
            fig.colorbar(pt, ax=axes[:, 2], label="T (K)", shrink=0.9)
        if path:
            fig.savefig(path, dpi=110)
            plt.close(fig)
        return fig

    # files -------------------------------------------------------------------------------------
    def heat_csv(self) -> bytes:
        """heat.csv as written by ``save`` (b"" without a heat model)."""
        if self.heat is None:
            return b""
        return self.heat.to_csv(index=False, float_format="%.9g").encode()

    def probes_csv(self) -> bytes:
        """The ``probes.csv`` contract as bytes (what ``save`` writes and the store keeps)."""
        return self.probes.to_csv(index=False, float_format="%.9g", lineterminator="\n").encode()

    def save(self, out: str | Path, vtu: bool = False, plots: bool = True) -> Path:
        """Write ``probes.csv``, ``summary.json``, ``probes.png``, ``maps.png`` (and VTU snapshots)
        into ``out``, all or none (``staged_folder``: an error half-way keeps the older files);
        those of an earlier run this one does not write (its plots, VTU) are removed."""
        from fluxtrap.outputs import staged_folder

        with staged_folder(out, owned=RESULT_FILES) as stage:
            (stage / "probes.csv").write_bytes(self.probes_csv())
            (stage / "summary.json").write_text(json.dumps(self.summary(), indent=2))
            if self.heat is not None:
                (stage / "heat.csv").write_bytes(self.heat_csv())
            if plots:
                self.plot_probes(stage / "probes.png")
                self.plot_maps(path=stage / "maps.png")
                if self.case.bore:
                    self.bore.plot(stage / "bore.png", self.accuracy.get("bore"))
            if vtu:
                self.write_vtu(stage)
        return Path(out)

    def write_vtu(self, out: str | Path) -> list[Path]:
        """One VTU file per snapshot (cell data J_phi in A/m^2, B in T, temperature T_K in K (NaN
        in air), region) for ParaView."""
        import meshio

        pts = np.column_stack([self.mesh.points, np.zeros(len(self.mesh.points))])
        paths = []
        for i, s in enumerate(self.snapshots):
            J = np.zeros(self.mesh.n_elements)
            J[self.conductor] = s.J_A_m2
            B = np.column_stack([s.B_T, np.zeros(len(s.B_T))])
            T = np.full(self.mesh.n_elements, np.nan)  # temperature in the conductors only
            T[self.conductor] = s.temperature_K if s.T_K is None else s.T_K
            p = Path(out) / f"snapshot_{i:03d}.vtu"
            meshio.write(
                p,
                meshio.Mesh(
                    pts,
                    [("triangle", self.mesh.triangles)],
                    cell_data={
                        "J_phi_A_m2": [J],
                        "B_T": [B],
                        "T_K": [T],
                        "region": [self.mesh.region.astype(np.int32)],
                    },
                ),
            )
            paths.append(p)
        return paths


# what Result.save writes (an earlier run's probes.png beside a --no-plots run's probes.csv read
# as that run's)
RESULT_FILES = ("probes.csv", "summary.json", "heat.csv", "probes.png", "maps.png", "bore.png",
                "snapshot_*.vtu")  # fmt: skip


class Simulation:
    """``Simulation(case).run()``: mesh, assemble, march through the protocol, return a Result.

    ``case``: a TOML path, a dict of the case-file shape, or a ``Case``.

    Every run solves the case on a pair, a fine run and a coarse one (elements twice the size,
    stepping over every other time of the fine run), and returns the fine one with a
    first-order Richardson estimate of each probe's discretization error in space and time
    (``probe_errors``). With ``[mesh] size`` given, h is that size; without it the first pair
    is at a quarter and half of the smallest superconductor dimension, and the next pairs are
    graded where the probes' coarse-to-fine change comes from (``adapt``), until every probe's
    estimate is within ``[solver] accuracy`` of its peak self-field or the next mesh would
    exceed ``[mesh] max_elements`` (or the target needs over ``BEYOND_LIMIT`` x it: not tried).
    ``max_output_values``: the probes.csv and heat.csv values
    each of its runs may keep (None: ``options.MAX_OUTPUT_VALUES``).
    """

    def __init__(self, case: str | Path | dict | Case, max_output_values: int | None = None):
        self.case = Case.load(case)
        self.max_output_values = max_output_values

    def __repr__(self) -> str:
        return f"Simulation({self.case!r})"

    def run(self, progress: bool = True, on_step: Callable[[State], None] | None = None) -> Result:
        """Run the whole protocol. On a solver failure raises ``SolverError`` whose ``result``
        attribute holds the Result up to the failure. A first mesh beyond ``[mesh] max_elements``
        was refused by the case's check (``options.check_element_limit``)."""
        from fluxtrap.simulate.adapt import MAX_GROWTH, design, sample_times, shares
        from fluxtrap.simulate.mesh import build_mesh
        from fluxtrap.simulate.options import MAX_MATRIX_BYTES, matrix_elements

        t_wall = time.perf_counter()
        case = self.case
        deadline = t_wall + case.solver.max_wall_s  # for the whole run, every pair in it
        fixed = case.mesh.size_m > 0
        check_run(case)
        h = case.mesh.size_m if fixed else case.start_size_m / 2
        limit = case.mesh.max_elements
        times = sample_times(case)
        # the pairs' probe matrices and J samples fit in MAX_MATRIX_BYTES: no mesh past that is
        # designed, as none past [mesh] max_elements (the conductors are fewer: on the safe side)
        limit_said = f"[mesh] max_elements = {limit:,}"
        kept = len(case.protocol) + len(case.snapshots_s)  # snapshots of B, each run
        fits = int(matrix_elements(len(case.probes) + bool(case.bore), len(times), kept))
        if fits < limit:
            limit = fits
            limit_said = (
                f"{fits:,} elements, the most whose probe matrices, J samples and snapshots fit "
                f"in {MAX_MATRIX_BYTES / 2**30:g} GiB ([[probes]] x {len(times)} sample times, "
                f"{kept} snapshots)"
            )
        coarse_mesh, fine_mesh = build_mesh(case, 2 * h), build_mesh(case, h)
        levels: list[dict[str, Any]] = []
        plan, stalled = None, False
        beyond = False  # the last design's target is far past the limit (``BEYOND_LIMIT``)
        scout = None if fixed else case.with_options(rtol=case.solver.rtol * SCOUT_RTOL)
        paired = self  # the pairs after the scout: at the case's rtol, or at the scout's
        scout_time_error = None
        accuracy = case.solver.accuracy
        timed = (np.inf, np.inf)  # the last pair's (time part, rtol)
        time_stuck = False  # tighter steps did not cut the time part
        finished, stopped_by = None, None  # the last pair run to the end; why the next was not
        said_lone = False  # a probe of little self-field alone sets the refinement: said once
        while True:
            # the pair before's samples and probe matrices: freed before this pair runs
            # (options.MAX_MATRIX_BYTES counts one pair)
            fine_s = coarse_s = space = share = None
            run = Simulation(scout, self.max_output_values) if scout else paired
            try:
                fine, fine_s = run.run_on_mesh(
                    fine_mesh, h, progress, on_step, times, deadline=deadline
                )
                fine_times = fine.probes.time_s.to_numpy()
                coarse, coarse_s = run.run_on_mesh(
                    coarse_mesh, 2 * h, progress, on_step, times, fine_times[2::2], deadline
                )
            except SolverError as err:
                if finished is None:
                    raise
                # the pair before is whole: its result and estimate stand, the target unmet.
                # Past max_wall, or a finer mesh that could not advance: near a quench the
                # hottest element's peak moves with the mesh (a ring pair under a 1.2 T pulse:
                # its 0.38 mm mesh stayed below Tc, 0.76 mm passed it by 0.3 K)
                fine, coarse, errors, worst, h, steady, pair_time = finished
                stopped_by = str(err).split("; results up to")[0]
                reached = worst <= accuracy
                break
            # the pair's coarse mesh stepped with its fine run splits the pair's difference into
            # its space and time parts, so that they cannot cancel in the estimate
            pair_time, space, steady = time_error(
                run, coarse_mesh, 2 * h, coarse, fine_times, times, deadline
            )
            # a scout whose time part is within its budget may end the run: that part is
            # measured again from steps half as long, which a transient the steps cannot follow
            # (copper's eddy currents) leaves first order no more (``half_steps``)
            # So is every pair's under a heat model, whose doubled steps can err in another sign
            # than its own (a pulse's steps held by the heat's rise limit: on a cold-headed disk
            # the time part by doubling +2.5e-4 T, by halving -3.0e-4, true -3.5e-4)
            half = None
            was_scout, scout = scout is not None, None
            heated = case.thermal.model != "isothermal"
            if heated or was_scout and pair_time <= TIME_SHARE * accuracy:
                half = half_steps(run, coarse_mesh, 2 * h, fine_times, deadline)
                pair_time = (
                    np.inf if half is None else largest(probe_errors(steady, coarse, steady, half))
                )
            errors = probe_errors(fine, coarse, steady, half)
            worst = largest(errors)
            if was_scout:
                scout_time_error = pair_time
                if scout_time_error <= TIME_SHARE * accuracy:
                    paired, was_scout = run, False  # the scout's rtol is good enough
            rtol = {"rtol": run.case.solver.rtol}
            # rtol 16x tighter should quarter the time part (dt ~ sqrt(rtol)); where the step
            # control judges errors against a scale far above the self-field, every step
            # passes, only the 2x growth cap sets them and tighter rtols cut nothing (n = 1.5
            # at 1e-4 T/s: 4.86 % at rtol 4e-3, 4.84 % at 6.25e-5, 2.4 % at 2.4e-7, 263 s).
            # At 4x it is not judged: a 20 x 0.4 mm disk's went 0.53 -> 1.13 %, then fell.
            time_stuck = rtol["rtol"] <= timed[1] / 16 and pair_time > max(
                0.7 * timed[0], TIME_SHARE * accuracy, worst / 2
            )
            timed = (pair_time, rtol["rtol"])
            levels += [{**coarse.solver, **rtol}, {**fine.solver, **rtol, "estimate": worst}]
            reached = worst <= accuracy
            finished = fine, coarse, errors, worst, h, steady, pair_time
            if was_scout and reached:  # the same meshes again at the case's rtol
                continue
            done = reached or (plan and plan.at_limit) or time_stuck or len(levels) >= 2 * MAX_PAIRS
            if fixed or (done and not was_scout):
                break
            # The time part of the pair's estimate (its coarse mesh at the fine run's times)
            # sets the next pairs' rtol; a scout over its time budget, whose time part refining
            # cannot cut, places the refinement by its space part alone (the fine run against
            # that run), aimed at the accuracy less the time error the next pair will add.
            # the next pairs' time error: dt ~ sqrt(rtol), so 4x tighter steps halve it; tighter
            # until it is within TIME_SHARE of the target (at most 16x per pair)
            time_next = pair_time * (1.0 if run is paired else SCOUT_RTOL**-0.5)
            next_rtol = paired.case.solver.rtol
            for _ in range(2):
                if not (TIME_SHARE * accuracy < time_next < np.inf):
                    break
                next_rtol, time_next = next_rtol / SCOUT_RTOL, time_next * SCOUT_RTOL**-0.5
            if next_rtol < paired.case.solver.rtol:
                paired = Simulation(
                    paired.case.with_options(rtol=next_rtol), self.max_output_values
                )
            by_space = space is not None and run is not paired
            target = max(accuracy - time_next, accuracy / 2) if by_space else accuracy
            # a probe without self-field has no relative error to meet (``probe_errors``)
            scale = np.array([e["scale_T"] or np.inf for e in errors.values()])
            share = shares(space if by_space else coarse_s, fine_s, scale)
            # The shares are seen at the sample times only; where they all meet the target
            # while the pair's estimate over its trace does not (a tall cylinder's peak 1-4 s
            # into a 135 s protocol: 0.7 % of 2.2 % seen), the design would refine nothing:
            # they are scaled up to the estimate, or by space to the space part's own largest
            # (a scout's estimate is mostly time error: n = 5, space 0.33 % of 2.7 %, and
            # scaled up to it the design refined 11x for a time error no mesh can cut).
            trace = worst
            if by_space:
                trace = largest(probe_errors(fine, steady))
            seen = np.abs(share.sum(axis=2)).max()
            if 0 < seen <= target < trace:
                share *= trace / seen
            plan = design(case, coarse_s, fine_s, share, target, limit)
            beyond = plan.first_order > BEYOND_LIMIT * limit
            if beyond:  # as a stalled design: a scout's meshes again at the case's rtol
                if was_scout:
                    continue
                break
            refined, next_fine = pair_meshes(case, coarse_mesh, plan.max_area)
            growth, cap = next_fine.n_elements / fine_mesh.n_elements, None
            if growth > MAX_GROWTH:  # designed from a pair too coarse to be first order
                cap = plan.count * MAX_GROWTH / growth
                plan = design(case, coarse_s, fine_s, share, target, limit, cap)
                refined, next_fine = pair_meshes(case, coarse_mesh, plan.max_area)
            # Triangle makes 1.5-2.2x the elements the design counts: a fine mesh past [mesh]
            # max_elements (12 309 for a limit of 10 000) is designed again for a limit scaled
            # down by what it made; one that still does not fit (Triangle's rounding splits
            # even a design that refines nothing) is not run: the pair before stands
            bound = limit
            for _ in range(LIMIT_TRIES):
                if next_fine.n_elements <= limit:
                    break
                bound = int(bound * 0.95 * limit / next_fine.n_elements)
                plan = design(case, coarse_s, fine_s, share, target, bound, cap)
                refined, next_fine = pair_meshes(case, coarse_mesh, plan.max_area)
            stalled = (  # the limit or the design
                next_fine.n_elements > limit or refined.n_elements == coarse_mesh.n_elements
            )
            if stalled:
                if was_scout:  # the result comes from a run at the case's rtol
                    continue
                break
            if (lone := lone_probe(errors, accuracy)) and not said_lone:
                e, grown = errors[lone], next_fine.n_elements / fine_mesh.n_elements
                said_lone = True
                warnings.warn(
                    f"probe {lone!r} alone sets the refinement: its own field peaks at "
                    f"{e['scale_T'] * 1e3:.3g} mT, under a tenth of the largest probe's, and "
                    f"its estimate is {100 * e['relative']:.3g} %, over twice every other "
                    f"probe's; the next pair has {next_fine.n_elements:,} "
                    f"elements ({grown:.1f}x). If its field matters less, move it where the "
                    "sample's own field is larger or give a coarser [solver] accuracy",
                    AccuracyWarning,
                    stacklevel=2,
                )
            coarse_mesh, fine_mesh = refined, next_fine
            h = float(np.sqrt(np.median(fine_mesh.area[fine_mesh.region >= 0]) * 4 / np.sqrt(3)))
        note = None
        unmeasured = fixed and reached and judged(case) and unmeasured_layers(case, h)
        if not judged(case):  # nothing was measured: "reached" with an estimate of 0 misled
            reached = False
            mesh_said = (
                f"[mesh] size = {h * 1e3:.3g} mm"
                if fixed
                else f"the first pair's mesh, {fine.mesh.n_elements:,} elements (median conductor "
                f"element {h * 1e3:.3g} mm, nothing refined); add a probe where the field matters "
                "or give [mesh] size"
            )
            note = (
                f"accuracy target {100 * case.solver.accuracy:.3g} % not checked: the case has no Bz "
                "[[probes]] and no [bore], where the estimate and the target are judged; the "
                f"result is on {mesh_said}"
            )
            warnings.warn(note, AccuracyWarning, stacklevel=2)
        elif unmeasured:  # the fixed pair's meshes are one element across those parts
            reached = False
            note = (
                f"accuracy target {100 * case.solver.accuracy:.3g} % not checked: the estimate "
                f"({100 * worst:.3g} %) leaves out the error across "
                f"{', '.join(what for what, _ in unmeasured)}, where the pair's coarse run "
                f"({2 * h * 1e3:.3g} mm) has at most one element; give [mesh] size at most "
                f"{min(size for _, size in unmeasured) * 1e3:.3g} mm, or leave it out to have "
                "the mesh refined"
            )
            warnings.warn(note, AccuracyWarning, stacklevel=2)
        elif not reached:
            # a pair whose time part alone misses the target and is most of its estimate:
            # refining its mesh cannot meet it (a disk with n = 1.5 ramped at 1e-4 T/s: 5.2 %
            # of 5.2 %, said to need 826 872 elements)
            by_time = not stopped_by and (
                time_stuck or accuracy < pair_time < np.inf and pair_time >= worst / 2
            )
            why = (
                f"the mesh size is fixed at {h * 1e3:.3g} mm ([mesh] size or --mesh-size; "
                "without one fluxtrap refines)"
                if fixed
                else f"the next pair stopped: {stopped_by}"
                if stopped_by
                else f"the target needs about {plan.first_order:.2g} elements by the pair's "
                f"first-order error model, {plan.first_order / limit:.2g}x {limit_said}, so no "
                "finer pair was run; raise [mesh] max_elements or give a coarser [solver] accuracy"
                if beyond
                else f"its time steps' part alone is {100 * pair_time:.3g} % (the pair's coarse mesh "
                "stepped at the fine run's times), which refining the mesh does not cut: the "
                "step control judges its errors against Jc x the stack's radius, which can be "
                "far above a probe's self-field (currents well below Jc, as with a low n or a "
                "slow ramp, or a probe far from them)"
                + ("; a tighter [solver] rtol did not cut it" if time_stuck else "")
                if by_time
                else f"the target needs about {plan.needed:,} elements"
                + (  # the design's count, which Triangle's mesh from it exceeds
                    " by the design's count, and the mesh made from such a design has 1.5-2.2x "
                    "as many"
                    if plan.needed <= limit
                    else ""
                )
                + f", over {limit_said}"
                if plan.at_limit
                else "the mesh design refined nothing (its error model, from the pair's "
                "sample times, has this mesh meet the target)"
                if stalled
                else f"{MAX_PAIRS} refinements did not reach it"
            )
            note = (
                f"accuracy target {100 * case.solver.accuracy:.3g} % not reached: estimated "
                f"{100 * worst:.3g} % of the peak self-field with {fine.mesh.n_elements:,} elements "
                f"(median conductor element {h * 1e3:.3g} mm); {why}"
            )
            warnings.warn(note, AccuracyWarning, stacklevel=2)
        elif stopped_by:  # met by a scout pair at its own rtol, whose rerun stopped
            note = f"the result is the first pair's, which meets the target; {stopped_by}"
        if not case.probes and case.bore:  # what the estimate is of, and what it is not
            centre = (
                "the case has no Bz [[probes]]: the target is judged at the [bore] centre (its Bz "
                "over the run, relative to its peak self-field)"
                + ("" if fixed else " and the mesh refined for it")
                + "; the homogeneity's and the drift's estimates (accuracy.bore) are not held to it"
            )
            note = f"{note}; {centre}" if note else centre
        if steady is None and judged(case):  # e.g. stopped by max_wall after the pair's runs
            unsplit = (
                "the estimate is the pair's difference: its space and time parts, which may "
                "cancel in it, were not measured apart (the coarse mesh's run at every time of "
                "the fine run stopped)"
            )
            note = f"{note}; {unsplit}" if note else unsplit
        accuracy = {
            "target": case.solver.accuracy,
            "estimate": worst,
            "reached": reached,
            "mesh_size_m": h,
            "method": (
                "a coarse/fine pair (element sizes 2h/h, the coarse run stepping over every other "
                "time of the fine one), first-order Richardson in space and time: error = "
                "|B_fine - B_coarse|, or the larger of its space part (B_fine against the coarse "
                "mesh stepped at every fine time) and its time part where they differ in sign; "
                "meshes refined where the probes' coarse-to-fine change comes from"
            ),
            "levels": levels,
        }
        if scout_time_error is not None:  # None in summary.json when not measured
            accuracy["scout_time_error"] = (
                scout_time_error if np.isfinite(scout_time_error) else None
            )
        if note:
            accuracy["note"] = note
        if case.bore:
            fine_bore, halved = fine.bore, None
            if steady is not None and fine_bore.drift_ppm_per_h is not None:
                # the drift's time part from the pair's steps halved (``bore_errors``)
                again = half
                if again is None:
                    again = half_steps(
                        Simulation(fine.case, self.max_output_values),
                        coarse.mesh,
                        coarse.solver["mesh_size_m"],
                        fine.probes.time_s.to_numpy(),
                        deadline,
                    )
                halved = None if again is None else bore.drift_of(again)
            accuracy["bore"] = bore_errors(
                fine_bore,
                coarse.bore,
                None if steady is None else steady.bore,
                halved,
                None if steady is None or half is None else half.bore,
            )
            if fixed and (parts := unmeasured_layers(case, h)):  # the pair cannot see them
                accuracy["bore"]["not_measured"] = (
                    f"the pair's bore estimates leave out the error across "
                    f"{', '.join(what for what, _ in parts)}, where its coarse run "
                    f"({2 * h * 1e3:.3g} mm) has at most one element; give [mesh] size at most "
                    f"{min(size for _, size in parts) * 1e3:.3g} mm"
                )
        solver = {**fine.solver, "wall_s": round(time.perf_counter() - t_wall, 4)}
        if "past_tc" in solver:
            from fluxtrap.simulate.solver import JC_FLOOR

            hot = solver["past_tc"]
            warnings.warn(
                f"{hot['elements']} superconducting elements of {hot['material']} went past Tc "
                f"(the hottest at {hot['hottest_K']:.4g} K against Tc {hot['tc_K']:.4g} K), where "
                f"the model keeps {JC_FLOOR:g} of their Jc (no normal state): the result there is "
                f"not the physics; give materials.{hot['material']}.normal_resistivity",
                CaseWarning,
                stacklevel=2,
            )
        if "outside_tables" in solver:  # a heat capacity ~T^3 held from 20 K: 59 K for 36 K
            warnings.warn(
                f"the run left thermal tables, whose end values were held: "
                f"{'; '.join(solver['outside_tables'])}; extend them over the temperatures reached",
                CaseWarning,
                stacklevel=2,
            )
        self._discretized = None  # the run's meshes' matrices are not held past it
        return dataclasses.replace(
            fine,
            solver=solver,
            errors={  # the probes' (a bore centre's is accuracy.bore's centre_error_T)
                k: {f: v for f, v in e.items() if f.endswith("error_T")}
                for k, e in errors.items()
                if k != BORE_CENTRE
            },
            accuracy=accuracy,
            temperature_errors=temperature_errors(fine, coarse, steady, half),
        )

    def run_on_mesh(
        self,
        mesh: Mesh,
        size_m: float,
        progress: bool,
        on_step: Callable[[State], None] | None,
        sample_times: np.ndarray | None = None,
        schedule: np.ndarray | None = None,
        deadline: float | None = None,
    ) -> tuple[Result, Sampled]:
        """One run of the protocol on ``mesh`` (conductor element edge ``size_m``, m), with J
        kept at ``sample_times`` (s), without an error estimate (``run`` pairs two of these);
        time steps adaptive, or to the times of ``schedule``; stopped at ``deadline`` (see
        ``run_protocol``). Returns the result and the samples."""
        from fluxtrap.simulate.adapt import Sampled
        from fluxtrap.simulate.fem import edge_space
        from fluxtrap.simulate.probes import probe_matrix
        from fluxtrap.simulate.solver import Discretization, Stats, past_tc, run_protocol

        t_wall = time.perf_counter()
        case = self.case
        # the last mesh's space and discretization, reused by the next run on it (a pair's
        # coarse mesh runs two or three times: its own steps, the fine run's, those halved);
        # each run sets what it changes (n(T), Jc floors, K's values); not with a heat model,
        # which tracks its run
        last = getattr(self, "_discretized", None)
        if last is not None and last[0] is mesh:
            space, disc = last[1:]
        else:
            space = edge_space(mesh)
            disc = Discretization(case, space)
            self._discretized = None if disc.heat else (mesh, space, disc)
        where = [[p.r_m, p.z_m] for p in case.probes]
        if case.bore:
            where.append([0.0, case.bore.center_z_m])
        bar = _Progress(case.duration_s, size_m, len(mesh.triangles)) if progress else None
        try:  # the matrix first, with its own bar: 1000 probes took 31-82 s before the solve's
            G = probe_matrix(
                mesh.points,
                mesh.triangles[disc.conductor],
                np.reshape(where, (-1, 2)),
                progress=None if bar is None else lambda done: bar.matrix(done, len(where)),
            )
        except BaseException:
            if bar:
                bar.close()
            raise
        rows: list[list[float]] = []
        snaps: list[Snapshot] = []
        wanted = np.asarray(sample_times if sample_times is not None else [], float)
        samples = np.zeros((len(wanted), len(disc.conductor)))
        last: list = []  # (t, J) of the previous step
        stats = Stats()
        heat = disc.heat
        heat_rows: list[list[float]] = []
        t_points = np.array([[p.r_m, p.z_m] for p in case.temperature_probes]).reshape(-1, 2)
        Tp = heat.probe_matrix(t_points) if heat and len(t_points) else None

        heat0: list[float] = []
        hottest: list = []  # past_tc of the step furthest past Tc without a normal state
        cold_head = heat is not None and getattr(heat, "cold_head", None) is not None
        flows = [0.0, 0.0]  # cooler, heater (J) so far
        before: list = []  # (t, heat state) of the previous step
        # values each accepted step keeps (its probes.csv and heat.csv rows): capped per run
        width = 3 + len(where) + len(t_points)
        width += len(HEAT_COLUMNS) + len(COLD_HEAD_COLUMNS) * cold_head if heat else 0
        most = self.max_output_values
        most = options.MAX_OUTPUT_VALUES if most is None else most  # values the run may keep
        max_rows = max(2, most // width)

        def record(s: State, is_cut: bool) -> None:
            if len(rows) >= max_rows:
                raise SolverError(
                    f"output limit: {len(rows):,} rows of {width} values (probes.csv"
                    f"{' and heat.csv' if heat else ''}) reach the {most:.3g} "
                    f"values a run may keep at t = {s.t:.6g} s; give fewer probes, a looser "
                    f"[solver] rtol or a shorter protocol; results up to t = {rows[-1][0]:.6g} s "
                    "are kept"
                )
            J = disc.C @ s.u
            temps = Tp @ s.heat if Tp is not None else [s.temperature_K] * len(t_points)
            rows.append([s.t, s.applied_T, s.temperature_K, *(G @ J + s.applied_T), *temps])
            if last:
                t0, J0 = last
                for i in np.nonzero((wanted > t0) & (wanted <= s.t))[0]:
                    a = (wanted[i] - t0) / (s.t - t0)
                    samples[i] = (1 - a) * J0 + a * J
            else:
                samples[wanted <= s.t] = J
            last[:] = [s.t, J]
            Te = heat.element_temperature(s.heat) if heat else None
            if heat:
                heat.track(s.heat)
                hot = past_tc(disc, Te)
                if hot[0] and (not hottest or hot[1] - hot[2] > hottest[1] - hottest[2]):
                    hottest[:] = hot
                if not heat_rows:
                    heat0.append(heat.heat_J(s.heat))
                row = [
                    s.t,
                    Te.max(),
                    heat.mean_temperature(s.heat),
                    heat.heat_J(s.heat) - heat0[0],
                    stats.dissipated_J,
                    stats.removed_J,
                ]
                if cold_head:
                    if before:
                        dt = s.t - before[0]
                        cooler, heater = heat.cold_head_flows(
                            before[1], s.heat, dt, s.temperature_K
                        )
                        flows[0] += cooler * dt
                        flows[1] += heater * dt
                    before[:] = [s.t, s.heat]
                    row += [s.heat[heat.n], *flows]
                heat_rows.append(row)
            if is_cut:
                u = disc.edge_dofs(s.u)
                B = MU0 * np.column_stack([space.Hr @ u, space.Hz @ u])
                snaps.append(Snapshot(s.t, s.applied_T, s.temperature_K, J, B, Te))
            if bar:
                bar.update(s.t, s.applied_T)
            if on_step:
                on_step(s)

        def result(error: str | None = None) -> Result:
            cols = [
                "time_s",
                "applied_T",
                "temperature_K",
                *(f"{p.name}_Bz_T" for p in case.probes),
                *([bore.CENTRE_COLUMN] if case.bore else []),
                *(f"{p.name}_T_K" for p in case.temperature_probes),
            ]
            solver = {
                "mesh_size_m": size_m,
                "elements": int(mesh.n_elements),
                "conductor_elements": int(len(disc.conductor)),
                "dofs": int(disc.n_dofs),
                "time_steps": stats.time_steps,
                "newton_iterations": stats.newton_iterations,
                "factorizations": stats.factorizations,
                "rejected_steps": stats.rejected,
                "wall_s": round(time.perf_counter() - t_wall, 4),
            }
            if hottest:
                solver["past_tc"] = dict(
                    zip(("elements", "hottest_K", "tc_K", "material"), hottest, strict=True)
                )
            if heat and (notes := heat.outside_tables()):
                solver["outside_tables"] = notes
            return Result(
                case,
                pd.DataFrame(rows, columns=cols),
                tuple(snaps),
                mesh,
                disc.conductor,
                solver,
                error,
                heat=pd.DataFrame(
                    heat_rows, columns=HEAT_COLUMNS + (COLD_HEAD_COLUMNS if cold_head else [])
                )
                if heat
                else None,
            )

        try:
            run_protocol(disc, record, stats, case.snapshots_s, schedule, deadline)
        except SolverError as err:
            err.result = result(str(err))  # type: ignore[attr-defined]
            raise
        finally:
            if bar:
                bar.close()
        return result(), Sampled(mesh, disc.conductor, G[: len(judged(case))], samples)


class AccuracyWarning(UserWarning):
    """The accuracy target of a case was not reached within its mesh limits."""


class SnapshotWarning(UserWarning):
    """The fields asked for at a time were kept only at another (the nearest snapshot's)."""


def pair_meshes(case: Case, coarse: Mesh, max_area: np.ndarray) -> tuple[Mesh, Mesh]:
    """The next pair's meshes: ``coarse`` refined to ``max_area`` (m^2 per element, ``design``),
    and that with the conductors and the air around them halved (splitting only the conductors
    and their band left the air's part of the error out of the estimate: 0.4x the true error on
    a fast ZFC loop, bench/bench_accuracy.py)."""
    from fluxtrap.simulate.adapt import halved
    from fluxtrap.simulate.mesh import refine, split
    from fluxtrap.simulate.topology import cuts

    refined = refine(coarse, max_area, cuts(case.stack))
    return refined, split(refined, halved(case, refined))


def unmeasured_layers(case: Case, size_m: float) -> list[tuple[str, float]]:
    """The parts across which a pair at ``size_m`` (m) and twice it measures no error, each as
    (what, the largest size in m that measures it): a superconducting layer (``stack[i]`` and
    its thinnest dimension) whose coarse run's elements are larger than it is thick (or wide),
    one across in both runs; with a ``[bore]``, a superconducting ring's bore (``the bore of
    stack[i]``) narrower than those elements, where both runs' elements at its wall follow the
    bore, not the size, while that wall's currents set the bore's field. A 0.2 mm disk ZFC to
    30 mT, 0.3 mm below the probe: estimates 5.3e-7 T at 0.4 mm and 8.1e-6 T at 0.2 mm, 170x and
    10x under their errors (9.2e-5, 8.5e-5 T against 6.46e-4 T, extrapolated from 0.1 and
    0.05 mm); 2x over at 0.1 mm (5.7e-5 T for 2.9e-5). A ring of bore 1 mm (r 0.5..10 mm, 5 mm
    tall, FCM, 0.6 mm DSV): centre, homogeneity and z2 estimated 10x, 5x and 43x under their
    errors at 2 mm, 3.7x, 1.7x and 5.8x at 1 mm, covered at 0.5 mm."""
    parts = []
    for i, x in enumerate(case.stack):
        if x not in case.superconducting:
            continue
        thin, what = min((x.thickness_m, "thickness"), (x.width_m, "radial width"))
        if 2 * size_m > thin * (1 + 1e-9):
            parts.append((f"stack[{i}] ({what} {thin * 1e3:.3g} mm)", thin / 2))
        if case.bore and 0 < x.inner_radius_m < size_m * (1 - 1e-9):
            r = x.inner_radius_m
            parts.append((f"the bore of stack[{i}] (radius {r * 1e3:.3g} mm)", r))
    return parts


BORE_CENTRE = "[bore] centre"  # the point judged in a case with a [bore] and no probe


def judged(case: Case) -> list[tuple[str, str]]:
    """(name, probes.csv column) of the points where the accuracy target is judged and the
    mesh refined: the Bz probes, or without one the ``[bore]`` centre (a bore-only case was
    never refined: its target went unchecked), or none."""
    if case.probes:
        return [(p.name, f"{p.name}_Bz_T") for p in case.probes]
    return [(BORE_CENTRE, bore.CENTRE_COLUMN)] if case.bore else []


def probe_errors(
    fine: Result, coarse: Result, steady: Result | None = None, half: Result | None = None
) -> dict[str, dict[str, float]]:
    """Discretization error estimate of each probe of ``fine`` (mesh h) from ``coarse`` (2h,
    stepping over every other time of ``fine``) and ``steady`` (coarse's mesh stepped at every
    time of ``fine``; ``time_error``), if given.

    First-order Richardson in space and time: B - B_exact ~ a h + b dt, so with twice both,
    error(fine) ~ |B_fine - B_coarse|, compared at the times both runs reached (the coarse
    run's; interpolating between them would add the coarse trace's own interpolation error).
    With ``steady`` the difference is taken apart into its space part B_fine - B_steady and
    its time part B_steady - B_coarse, and the estimate is the largest of the three: where the
    parts have one sign, that is the difference as before; where they have opposite signs the
    true error is at most the larger part (under first order), but the difference can cancel
    below the truth, as the space part often converges faster than first order (two disks'
    creep hold, its final value 0.5 mm above the face: space -0.26 %, time +0.27 % of the
    self-field, difference 0.01 %, true error 0.22 %). Per probe: ``final_error_T`` (T, at
    the last time), ``max_error_T`` (T, largest over those times), ``scale_T`` the probe's
    peak self-field max|Bz - applied| (T; the applied field itself is exact) and
    ``relative`` = max_error_T / scale_T. The probes are the points ``judged`` (a bore-only
    case's: its centre).
    """
    f = fine.probes
    out = {}
    for name, col in judged(fine.case):
        bz = f[col].to_numpy()
        diff = pair_difference(
            f,
            coarse.probes,
            None if steady is None else steady.probes,
            col,
            None if half is None else half.probes,
        )
        largest = float(diff.max(initial=0.0))
        scale = float(np.max(np.abs(bz - f.applied_T.to_numpy()), initial=0.0))
        out[name] = {
            "final_error_T": float(diff[-1]) if len(diff) else 0.0,
            "max_error_T": largest,
            "relative": largest / scale if scale > 0 else 0.0,
            "scale_T": scale,
        }
    return out


def pair_difference(
    fine: pd.DataFrame,
    coarse: pd.DataFrame,
    steady: pd.DataFrame | None,
    column: str,
    half: pd.DataFrame | None = None,
    order: float = 1.0,
) -> np.ndarray:
    """The estimated error of ``fine[column]`` at the times ``coarse`` reached (``probe_errors``'s
    method): |fine - coarse|, or with ``steady`` the largest of it and its space part
    |fine - steady| and time part |steady - coarse|; with ``half`` (``half_steps``) also the time
    part again, 2 (half - steady), alone and with the space part (each table has ``time_s``).
    The space part (the difference itself without ``steady``) is that of a quantity converging
    at ``order`` in h: divided by 2^order - 1 (1 at first order)."""
    tf, tc = fine.time_s.to_numpy(), coarse.time_s.to_numpy()
    common = np.isin(tf, tc)
    value = fine[column].to_numpy()[common]
    other = coarse[column].to_numpy()[np.searchsorted(tc, tf[common])]
    gain = 1.0 / (2.0**order - 1.0)
    diff = np.abs(value - other)
    if steady is None:
        return gain * diff
    mid = np.interp(tf[common], steady.time_s, steady[column])  # at fine's times (and substeps)
    space = gain * (value - mid)
    parts = [diff, np.abs(space), np.abs(mid - other)]
    if half is not None:  # at every time of steady's and halfway between them
        again = 2 * (np.interp(tf[common], half.time_s, half[column]) - mid)
        parts += [np.abs(space + again), np.abs(again)]
    return np.maximum.reduce(parts)


def temperature_errors(
    fine: Result, coarse: Result, steady: Result | None = None, half: Result | None = None
) -> dict[str, Any]:
    """Discretization error estimate of a heat run's temperatures from the same pair as
    ``probe_errors`` and by its method (first-order Richardson in space and time): ``hottest``
    and ``mean`` (heat.csv's max_T_K, mean_T_K) and ``probes``, each temperature probe's, each
    with ``final_error_K`` (K, at the last time) and ``max_error_K`` (K, largest over the run,
    which also bounds the error of the peak: |max f - max g| <= max |f - g|). Empty without a
    heat model (an isothermal temperature is the protocol's, exact)."""
    if fine.heat is None or coarse.heat is None:
        return {}

    def error(table: str, column: str, order: float = 1.0) -> dict[str, float]:
        f, c = getattr(fine, table), getattr(coarse, table)
        diff = pair_difference(
            f,
            c,
            None if steady is None else getattr(steady, table),
            column,
            None if half is None else getattr(half, table),
            order,
        )
        return {
            "final_error_K": float(diff[-1]) if len(diff) else 0.0,
            "max_error_K": float(diff.max(initial=0.0)),
        }

    return {
        "hottest": error("heat", "max_T_K", HOTTEST_ORDER),
        "mean": error("heat", "mean_T_K"),
        "probes": {p.name: error("probes", f"{p.name}_T_K") for p in fine.case.temperature_probes},
    }


def time_error(
    run: Simulation,
    mesh: Mesh,
    size_m: float,
    coarse: Result,
    fine_times: np.ndarray,
    sample_times: np.ndarray,
    deadline: float | None = None,
) -> tuple[float, Sampled | None, Result | None]:
    """The time part of a pair's estimate: its ``coarse`` run (on ``mesh``, stepping over every
    other time of its fine run) against the same mesh stepped at every one of ``fine_times`` (s),
    the largest over the probes relative to their peak self-field (first order in dt, like
    ``probe_errors``: the time error of the fine run's steps); infinite if that run stops
    (nothing measured: the scout's rtol is not taken). Also that run's samples at
    ``sample_times`` and its Result (None if it stopped): it steps with the fine run, so against
    the fine run its shares are the space part of the pair's difference alone."""
    try:
        steady, samples = run.run_on_mesh(
            mesh, size_m, False, None, sample_times, fine_times[1:], deadline
        )
    except SolverError:
        return np.inf, None, None
    return largest(probe_errors(steady, coarse)), samples, steady


def half_steps(
    run: Simulation,
    mesh: Mesh,
    size_m: float,
    fine_times: np.ndarray,
    deadline: float | None = None,
) -> Result | None:
    """``mesh`` stepped at every one of ``fine_times`` (s) and halfway between them (None if that
    run stops). Against ``time_error``'s run S (the same mesh at ``fine_times``) it measures the
    time error of those steps again, 2 (S_half - S) under first order, from steps half as long:
    ``time_error``'s doubled steps miss an error that no longer grows with the step, as after
    steps longer than a transient they cannot follow (two Kim disks with a 10 mm copper spacer at
    4e-3: 0.007 mT at the end of the ramp from doubling its last 2.3 s step, 0.27 mT from halving
    it, 0.43 mT true; one step of 1 / 2 / 3.5 s there is 0.26 / 0.41 / 0.45 mT off)."""
    halfway = (fine_times[1:] + fine_times[:-1]) / 2
    try:
        half, _ = run.run_on_mesh(
            mesh, size_m, False, None, None, np.sort([*fine_times[1:], *halfway]), deadline
        )
    except SolverError:
        return None
    return half


def lone_probe(errors: dict[str, dict[str, float]], accuracy: float) -> str | None:
    """The probe whose relative error sets the refinement, over twice every other's and the
    ``accuracy``, when its own field (``scale_T``) is under a tenth of the largest probe's; else
    None (a side probe seeing 6.6 mT of a 1 T loop, 13.3 % where the top's was 3.6 %, had a
    2658-element pair refined to 42 138)."""
    if len(errors) < 2:
        return None
    k = max(errors, key=lambda name: errors[name]["relative"])
    rest = max(e["relative"] for name, e in errors.items() if name != k)
    small = errors[k]["scale_T"] < 0.1 * max(e["scale_T"] for e in errors.values())
    return k if small and errors[k]["relative"] > 2 * max(rest, accuracy) else None


def largest(errors: dict[str, dict[str, float]]) -> float:
    """The largest ``relative`` error of ``probe_errors`` (0 without a probe)."""
    return max((e["relative"] for e in errors.values()), default=0.0)


def bore_errors(
    fine: BoreField,
    coarse: BoreField,
    steady: BoreField | None = None,
    half_drift: float | None = None,
    half: BoreField | None = None,
) -> dict[str, Any]:
    """Discretization error estimates of the bore numbers of ``fine`` (mesh h) from ``coarse``
    (2h), first-order Richardson as for the probes: centre field (T), homogeneity (ppm), the
    drift at the end of the final hold (ppm/h) and ``axial_terms_error_ppm``, each axial term's
    (C_n R^n / B0 in ppm, "z1".."z8"), each with ``steady`` (the coarse mesh stepped at
    the fine run's times, ``time_error``) the largest of the pair's difference, its space part
    and its time part (``pair_difference``: the centre's difference alone cancelled below the
    truth, 1.0e-4 T where a probe at the same point, 0.5 mm above two Kim disks after a creep
    hold, had 2.8e-3 T); None where a number is not finite or not told (a homogeneity of a zero
    centre field: NaN made summary.json invalid JSON; no final hold: no drift).

    With ``half_drift`` (ppm/h, the drift of ``steady``'s steps halved, ``half_steps``) the
    drift's time part is 2 (steady - half) and its estimate the largest of that, the space part
    fine - steady and their sum: backward Euler's error in a relaxation follows the steps'
    dt / t, so the slope of ln B errs where dt / t changes over the fitted decade; halving every
    step keeps that pattern and halves it, while the coarse run's every other step does not
    (the fine run's last step is cut short to end the hold): against the same mesh at rtol 1e-6,
    examples/ring_stack.toml's 784 ppm/h estimate for a true 26 is 57, three rings at n = 15 /
    60 after 3600 s 1284 / 12.5 for 436 / 12.9 are 471 / 20.5.

    With ``half`` (the bore of ``steady``'s mesh at its steps halved, where the probes' estimate
    takes it: a scout pair that ends the run) the centre's and homogeneity's time part is also
    2 (half - steady), alone and with the space part, as ``pair_difference`` takes a probe's (a
    probe at the centre had it, the centre not: 1.41 mT where the probe had 1.67 mT, 0.5 mm above
    two Kim disks with a copper spacer whose scout pair ended the run)."""

    def apart(name: str) -> Any:
        """The estimate of ``fine``'s ``name`` (a number, or the terms' array elementwise)."""
        f, c = getattr(fine, name), getattr(coarse, name)
        s = None if steady is None else getattr(steady, name)
        if f is None or c is None:
            return math.nan
        parts = [f - c, *((f - s, s - c) if s is not None else ())]
        if s is not None and half is not None:
            again = 2 * (getattr(half, name) - s)
            parts += [f - s + again, again]
        return np.max(np.abs(parts), axis=0)

    drift = apart("drift_ppm_per_h")
    known = steady is not None and steady.drift_ppm_per_h is not None
    if math.isfinite(drift) and half_drift is not None and known:
        space = fine.drift_ppm_per_h - steady.drift_ppm_per_h
        time_part = 2 * (steady.drift_ppm_per_h - half_drift)
        drift = max(abs(space), abs(time_part), abs(space + time_part))
    errors = {
        "centre_error_T": apart("centre_T"),
        "homogeneity_error_ppm": apart("homogeneity_ppm"),
        "drift_error_ppm_per_h": drift,
    }
    out: dict[str, Any] = {k: float(v) if math.isfinite(v) else None for k, v in errors.items()}
    # each axial term C_n R^n / B0 (ppm, n >= 1) alike: it had only its quadrature error, 1e-7
    # ppm on examples/ring_stack.toml, where the mesh's is thousands
    terms = apart("coefficients_ppm")
    out["axial_terms_error_ppm"] = {
        f"z{n}": float(v) if math.isfinite(v) else None for n, v in enumerate(terms) if n
    }
    return out


PLAIN_PROGRESS_S = 30.0  # wall time between progress lines when the output is not a terminal


class _Progress:
    """A rich progress bar over simulated time, and one over the probe matrix built before it;
    where the output is not a terminal (a log, a pipe: rich draws the bar only when it stops),
    a line every ``PLAIN_PROGRESS_S`` of wall time instead (a long run said nothing for
    minutes)."""

    def __init__(self, total_s: float, size_m: float, elements: int):
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        what = f"simulating {elements:,} elements ({size_m * 1e3:.3g} mm)"
        self.p = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            transient=False,
        )
        self.p.start()
        self.build = None  # the probe matrix's task, added by its first report
        self.task = self.p.add_task(what, total=total_s or 1.0, info="")
        self.what, self.total_s, self.start = what, total_s or 1.0, time.perf_counter()
        self.next_line = None if self.p.console.is_terminal else self.start + PLAIN_PROGRESS_S

    def matrix(self, done: int, total: int) -> None:
        """``done`` of the ``total`` probe rows of the probe matrix built."""
        if self.build is None:
            self.build = self.p.add_task("probe matrix", total=total, info="")
        self.p.update(self.build, completed=done, info=f"{done:,} of {total:,} probes")
        if self.next_line is not None and time.perf_counter() >= self.next_line:
            wall = time.perf_counter() - self.start
            self.p.console.print(
                f"probe matrix: {done:,} of {total:,} probes, {wall:.0f} s so far", soft_wrap=True
            )
            self.next_line = time.perf_counter() + PLAIN_PROGRESS_S

    def update(self, t: float, applied_T: float) -> None:
        self.p.update(self.task, completed=t, info=f"t = {t:8.1f} s  applied {applied_T:6.3f} T")
        if self.next_line is not None and time.perf_counter() >= self.next_line:
            wall = time.perf_counter() - self.start
            self.p.console.print(
                f"{self.what}: t = {t:.4g} s of {self.total_s:.4g} s "
                f"({100 * t / self.total_s:.0f} %), applied {applied_T:.3f} T, {wall:.0f} s so far",
                soft_wrap=True,  # one line in a log, however wide
            )
            self.next_line = time.perf_counter() + PLAIN_PROGRESS_S

    def close(self) -> None:
        self.p.stop()


def check_run(case: Case) -> None:
    """Refuse (``ValidationError``) what ``Simulation.run`` refuses before it meshes, so a
    command can ask first (``fluxtrap simulate`` did so only after creating its --db store): a
    stack without a superconductor refined for ``[solver] accuracy``, and a first pair whose
    probe matrices, J samples and snapshots (``options.check_matrix_memory``) do not fit."""
    from fluxtrap.simulate.geometry import thin_parts
    from fluxtrap.simulate.mesh import estimate_elements
    from fluxtrap.simulate.options import SAMPLES, check_matrix_memory, layer_elements

    fixed = case.mesh.size_m > 0
    if not fixed and not case.superconducting:
        raise ValidationError(
            "stack: no superconductor (every layer a normal metal), so nothing traps a field "
            "and [solver] accuracy cannot be met: its coarse/fine estimate assumes errors "
            "first order in the time step, which the eddy transients after each change of "
            "ramp rate break (a copper disk's estimate was 11x its true error, and the pairs "
            "refined until max_wall); give [mesh] size for a fixed pair and judge the time "
            "error by [solver] rtol"
        )
    h = case.mesh.size_m if fixed else case.start_size_m / 2
    estimate = estimate_elements(case, h)
    # the first pair's probe matrices and J samples (as the case's check_bounded counts
    # them) and the snapshots it keeps, B on every element of the estimate, before meshing
    conductors = 2 * sum(layer_elements(w, t, h) for _, w, t in thin_parts(case.stack, h))
    check_matrix_memory(
        len(case.probes) + bool(case.bore),
        len(case.protocol) + SAMPLES,
        conductors,
        f"mesh.size {h * 1e3:.3g} mm" if fixed else f"the first mesh, {h * 1e3:.3g} mm",
        len(case.protocol) + len(case.snapshots_s),
        estimate,
    )


def plan_text(case: Case) -> str:
    """What a run of ``case`` will cost, said before it starts: its first pair's elements (the
    upper estimate ``mesh.estimate_elements``, which the case's check, ``options.check_element_limit``,
    holds within ``[mesh] max_elements``) and, refined for ``[solver] accuracy``, the limits the
    pairs after it grow within (their size depends on the error they find)."""
    from fluxtrap.simulate.mesh import estimate_elements

    wall = f"[solver] max_wall = {case.solver.max_wall_s:g} s"
    if case.mesh.size_m:
        h = case.mesh.size_m
        return (
            f"a pair at [mesh] size {h * 1e3:.3g} mm: up to about "
            f"{estimate_elements(case, h):,} elements, and a coarse run at {2 * h * 1e3:.3g} mm; "
            f"stopped if it reaches {wall}"
        )
    h = case.start_size_m / 2
    if not judged(case):  # no probe, no [bore]: nothing to refine for
        return (
            f"one pair, its fine mesh up to about {estimate_elements(case, h):,} elements "
            f"({h * 1e3:.3g} mm), not refined: no Bz probe or [bore] to judge [solver] "
            f"accuracy at; stopped if it reaches {wall}"
        )
    points = "every probe is" if case.probes else "the [bore] centre is"
    return (
        f"first pair up to about {estimate_elements(case, h):,} elements ({h * 1e3:.3g} mm); "
        f"pairs refined until {points} within {100 * case.solver.accuracy:.3g} % of its "
        f"own field, at most {MAX_PAIRS}, each mesh within [mesh] max_elements = "
        f"{case.mesh.max_elements:,} (a pair's runs take about 10-20 us per element and time "
        f"step); stopped if it reaches {wall}"
    )


def simulate(
    case: str | Path | dict | Case, *, mesh_size_m: float | None = None, progress: bool = False
) -> Result:
    """Run ``case`` (path, dict or Case) and return its Result; ``mesh_size_m`` overrides the
    case's mesh size (e.g. 2e-3 for a quick look), in place of a file's or dict's ``[mesh]
    size`` before the case is checked (a refused size there refused the case whatever
    ``mesh_size_m`` said)."""
    size = None if mesh_size_m is None else (mesh_size_m, "mesh_size_m")
    if isinstance(case, str | Path):
        c = Case.from_toml(case, mesh_size=size)
    elif isinstance(case, dict):
        c = Case.from_dict(case, mesh_size=size)
    else:
        c = Case.load(case)
        if mesh_size_m is not None:
            c = c.with_options(mesh_size_m=mesh_size_m)
    return Simulation(c).run(progress=progress)


__all__ = ["Result", "Simulation", "Snapshot", "simulate"]
