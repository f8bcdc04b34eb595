"""A magnet's measured Hall-probe series laid over a simulated probe trace (design 1, item 7).

This lives in ``magnetometry`` rather than ``simulate`` because it is an analysis of a measured
series against a table: it reads the measured file with ``read_series`` and fits both traces with
``fit_creep`` (both here), and it takes the simulation only as its output table, probes.csv
(``time_s, applied_T, temperature_K, <probe>_Bz_T``, from a run folder or
``Store.simulation(id).probes``; read with ``fluxtrap.probetable``). In the data flow ``Simulation.run -> Result -> probes.csv
-> Store`` the comparison comes after the simulator and needs none of the FEM code, so
``simulate`` stays free of magnetometry imports.

Both traces are put on t = time since the applied field reached its final value (s): the
simulation's origin from its ``applied_T`` column, the measured one as ``fluxtrap creep`` takes it
(from its ``applied_T`` column if it has one, else the end of the field removal found in the data,
``removal_end``; either way compared from creep's default start, 50 tau, on where the ramp is in
the series, else t = 0 on the file's clock: a logger series that held the ramp had its ramp
compared as relaxation, measured/simulated -0.03 for 1.0), plus ``shift_s``
added to the measured times. Only t > 0 is compared (the relaxation part, on a log time axis).
The simulated field is interpolated linearly in ln t (exact for B = a - b ln t) at the measured
times inside the overlap of both traces; nothing is extrapolated.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np

from fluxtrap.errors import AnalysisError, ValidationError
from fluxtrap.magnetometry.creep import CreepFit, fit_creep, origin_range, removal_end
from fluxtrap.probetable import (
    DROPPED_SHOWN,
    MissingSamplesWarning,
    ramp_end,
    ramp_rate,
    relaxation_origin,
    time_goes_back,
    without_gaps,
)
from fluxtrap.units import array_in, in_si

CLOCK_RATIO = 20.0  # measured / simulated ramp rate beyond which a time unit is suspected


class ClockWarning(UserWarning):
    """The measured applied field ramps at a rate a time unit's factor off the simulation's."""


class SignWarning(UserWarning):
    """The measured field lies nearer minus the simulated trace than the trace itself."""


@dataclass(frozen=True, eq=False)
class Comparison:
    """Measured against simulated B(t) on t = time since the applied field reached its final value.

    ``t_s``, ``measured_T``, ``simulated_T``: ``(n,)`` at the measured times inside the overlap
    ``t_start_s..t_end_s`` (simulated interpolated there). ``rms_T``/``max_abs_T``: of
    measured - simulated; ``rms_pct``/``max_abs_pct``: the same in % of the mean |measured| field
    over the overlap. ``ratio_end``: measured / simulated at ``t_end_s``, from the two creep fits
    (so noise in the last point does not enter). ``measured_fit``/``simulated_fit``: B = a - b ln t
    over the overlap (t in s since the origin, i.e. ``origin_s = 0``; the measured one's ``cov``
    also holds its origin's uncertainty as ``fit_creep``'s, ``origin_from`` saying where the
    origin came from); S and ppm/h are quoted at ``at_s`` (``--at``, default ``t_end_s``).
    ``ratio_end_sigma`` is the 1-sigma of ``ratio_end``. ``measured_origin_s``/``simulated_origin_s``: the
    origins on each file's own clock; ``shift_s`` was added to the measured times.
    ``n_dropped`` measured rows had no finite time, field or applied field and were left out
    (a ``MissingSamplesWarning`` names them); ``dropped_rows`` are the first ``DROPPED_SHOWN``
    (1 = the first row given), as ``CreepFit``'s; ``simulated_n_dropped`` and
    ``simulated_dropped_rows`` the same of the simulated trace.
    """

    probe: str
    t_start_s: float
    t_end_s: float
    t_s: np.ndarray
    measured_T: np.ndarray
    simulated_T: np.ndarray
    rms_T: float
    max_abs_T: float
    rms_pct: float
    max_abs_pct: float
    ratio_end: float
    measured_fit: CreepFit
    simulated_fit: CreepFit
    at_s: float
    shift_s: float
    measured_origin_s: float
    simulated_origin_s: float
    n_dropped: int = 0
    dropped_rows: tuple[int, ...] = ()
    simulated_n_dropped: int = 0
    simulated_dropped_rows: tuple[int, ...] = ()

    @property
    def residual_T(self) -> np.ndarray:
        """measured - simulated (T), ``(n,)``."""
        return self.measured_T - self.simulated_T

    @property
    def ratio_end_sigma(self) -> float:
        """1-sigma of ``ratio_end`` over both fits' ``cov`` (the measured origin's part in it)."""
        m, s = self.measured_fit, self.simulated_fit
        rel_m = m.field_sigma(self.t_end_s) / m.field(self.t_end_s)
        rel_s = s.field_sigma(self.t_end_s) / s.field(self.t_end_s)
        return float(abs(self.ratio_end) * np.hypot(rel_m, rel_s))

    def creep(self, which: str) -> dict:
        """a (T), b (T), S = b / B(t) (dimensionless, -d ln B / d ln t) at ``t_start_s`` (as
        ``fluxtrap creep``'s S(t0)) and at ``at_s``, and the decay (ppm/h) at ``at_s``, of
        ``"measured"`` or ``"simulated"``, each with its 1-sigma (``_sigma``) over the fit's
        ``cov``: the measured one's holds its origin's uncertainty, as ``fluxtrap creep``'s."""
        fit = self.measured_fit if which == "measured" else self.simulated_fit
        sa, sb = np.sqrt(np.diag(fit.cov))
        return {
            "a_T": fit.a_T,
            "a_sigma_T": float(sa),
            "b_T": fit.b_T,
            "b_sigma_T": float(sb),
            "S_at_start": float(fit.rate(self.t_start_s)),
            "S_at_start_sigma": _rate_sigma(fit, self.t_start_s),
            "S_at": float(fit.rate(self.at_s)),
            "S_at_sigma": _rate_sigma(fit, self.at_s),
            "decay_at_ppm_per_h": float(fit.decay_ppm_per_h(self.at_s)),
            "decay_at_sigma_ppm_per_h": float(fit.decay_sigma_ppm_per_h(self.at_s)),
            "n_points": fit.n_points,
            "rms_T": fit.rms_T,
        }

    def to_frame(self):  # -> pandas.DataFrame
        """The two traces on the common times as a pandas DataFrame: ``time_s``, ``measured_T``,
        ``simulated_T`` and ``residual_T`` (measured - simulated)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "time_s": self.t_s,
                "measured_T": self.measured_T,
                "simulated_T": self.simulated_T,
                "residual_T": self.residual_T,
            }
        )

    def to_dict(self) -> dict:
        """JSON-friendly numbers (SI; percentages of the mean measured field)."""
        return {
            "probe": self.probe,
            "t_start_s": self.t_start_s,
            "t_end_s": self.t_end_s,
            "n_points": int(self.t_s.size),
            "shift_s": self.shift_s,
            "measured_origin_s": self.measured_origin_s,
            "simulated_origin_s": self.simulated_origin_s,
            "n_dropped": self.n_dropped,
            "dropped_rows": list(self.dropped_rows),
            "simulated_n_dropped": self.simulated_n_dropped,
            "simulated_dropped_rows": list(self.simulated_dropped_rows),
            "rms_T": self.rms_T,
            "max_abs_T": self.max_abs_T,
            "rms_pct": self.rms_pct,
            "max_abs_pct": self.max_abs_pct,
            "ratio_end": self.ratio_end,
            "ratio_end_sigma": self.ratio_end_sigma,
            "at_s": self.at_s,
            "measured": self.creep("measured"),
            "simulated": self.creep("simulated"),
        }

    def __repr__(self) -> str:
        return (
            f"<Comparison{f' probe {self.probe}' if self.probe else ''}: {self.t_s.size} points over "
            f"{self.t_start_s:.4g}..{self.t_end_s:.4g} s, rms {self.rms_T:.3g} T "
            f"({self.rms_pct:.3g} %), measured/simulated at end {self.ratio_end:.4g}>"
        )


def compare(
    measured_time_s: np.ndarray,
    measured_T: np.ndarray,
    sim_time_s: np.ndarray,
    sim_T: np.ndarray,
    sim_applied_T: np.ndarray,
    *,
    measured_applied_T: np.ndarray | None = None,
    shift_s: float = 0.0,
    start_s: float = 0.0,
    at_s: float | None = None,
    probe: str = "",
    source: str = "measured",
    measured_lines: np.ndarray | None = None,
) -> Comparison:
    """Align, interpolate and fit a measured series against one simulated probe trace.

    Arrays are ``(n,)`` (measured) and ``(m,)`` (simulated), times in s, fields in T (pint
    quantities converted); ``shift_s``, ``start_s`` and ``at_s`` in s or with their unit ("1 min",
    a pint quantity); the comparison and both creep fits use the times from ``start_s`` after the origin on. Measured
    and simulated rows without a finite time, field or applied field are left out, counted and
    named (a ``MissingSamplesWarning`` each, as ``fit_creep``'s). Raises ``AnalysisError`` when the traces
    share no time after the origin, or fewer than 3 measured points fall in the overlap.
    ``measured_lines``: ``(n,)`` each measured row's line in its file (``read_series(...,
    with_lines=True)``): rows without a value are then named by it.
    """
    shift_s = in_si(shift_s, "time", "compare shift_s")
    start_s = in_si(start_s, "time", "compare start_s")
    at_s = None if at_s is None else in_si(at_s, "time", "compare at_s")
    tm = array_in(measured_time_s, "s", "compare measured_time_s")
    bm = array_in(measured_T, "T", "compare measured_T")
    if measured_applied_T is not None:
        measured_applied_T = array_in(measured_applied_T, "T", "compare measured_applied_T")
    shapes = [np.shape(x) for x in (tm, bm, measured_applied_T) if x is not None]
    if tm.ndim != 1 or len(set(shapes)) > 1:  # a numpy broadcasting ValueError
        raise ValidationError(
            f"{source}: the measured times, fields (and applied fields) must be 1-D arrays of one "
            f"length, got shapes {', '.join(map(str, shapes))}"
        )
    tm, bm, measured_applied_T, dropped, gaps = without_gaps(
        tm, bm, measured_applied_T, source, measured_lines
    )
    if gaps:  # silently left out of the comparison; a NaN applied field misread as a hold
        warnings.warn(gaps, MissingSamplesWarning, stacklevel=2)
    back = time_goes_back(tm, bm, measured_applied_T, source)
    if back:  # a clock reset: sorted, two runs were interleaved and compared as one
        raise ValidationError(back)
    ts = array_in(sim_time_s, "s", "compare sim_time_s")
    bs = array_in(sim_T, "T", "compare sim_T")
    sim_applied = array_in(sim_applied_T, "T", "compare sim_applied_T")
    shapes = [x.shape for x in (ts, bs, sim_applied)]
    if ts.ndim != 1 or len(set(shapes)) > 1:
        raise ValidationError(
            f"{probe or 'simulation'}: the simulated times, fields and applied fields must be 1-D "
            f"arrays of one length, got shapes {', '.join(map(str, shapes))}"
        )
    # named as the measured ones: a NaN or inf in the trace had been left out without a word
    ts, bs, sim_applied, s_dropped, s_gaps = without_gaps(
        ts, bs, sim_applied, f"{probe or 'simulation'} (simulated)"
    )
    if s_gaps:
        warnings.warn(s_gaps, MissingSamplesWarning, stacklevel=2)
    m_origin, origin_from = 0.0, "clock"
    if measured_applied_T is None:  # as fit_creep: the end of the removal in the data, if there
        try:
            m_origin, origin_from = removal_end(tm, bm, source=source), "data"
        except AnalysisError:
            m_origin = 0.0  # no removal in the data: the file's clock starts at the origin
    else:
        m_origin, origin_from = ramp_end(tm, np.asarray(measured_applied_T, float)), "applied"
        if m_origin <= tm.min():  # at its final value from the first sample: no ramp end
            raise AnalysisError(
                "the measured applied_T column stays at "
                f"{np.asarray(measured_applied_T, float)[np.argmax(tm)]:.4g} T, so the ramp's end "
                "(the origin) is not in the series; leave the column out (the file's t = 0 is "
                "then the origin, --shift moves it)"
            )
    # as fit_creep: from creep's default start (50 tau) on where the ramp is in the series, and
    # the origin's range (how much earlier the relaxation's own start may lie) in the fit's cov
    start, origin_shift = origin_range(tm, bm, m_origin, origin_from, start_given=bool(start_s))
    if origin_from == "data" or start:
        start_s = start_s or start + shift_s
    s_origin = relaxation_origin(ts, sim_applied)
    if measured_applied_T is not None:
        _check_clock(tm, np.asarray(measured_applied_T, float), m_origin, ts, sim_applied, source)
    tm = tm - m_origin + shift_s
    ts = ts - s_origin
    m_ok = (tm > 0) & np.isfinite(bm)
    s_ok = (ts > 0) & np.isfinite(bs)
    if not m_ok.any() or s_ok.sum() < 2:
        raise AnalysisError(
            f"{source}: no time overlap after the origin: measured has {int(m_ok.sum())} points "
            f"and simulation {int(s_ok.sum())} after the applied field reached its final value"
        )
    order = np.argsort(ts[s_ok])
    ts, bs = ts[s_ok][order], bs[s_ok][order]
    lo, hi = max(tm[m_ok].min(), ts[0], start_s), min(tm[m_ok].max(), ts[-1])
    inside = m_ok & (tm >= lo) & (tm <= hi)
    if hi <= lo or inside.sum() < 3:
        raise AnalysisError(
            f"{source}: no time overlap with the simulation: measured t = "
            f"{tm[m_ok].min():.4g}..{tm[m_ok].max():.4g} s, simulated t = {ts[0]:.4g}..{ts[-1]:.4g} s "
            f"after the origin (shift {shift_s:g} s, start {start_s:g} s); need at least 3 measured "
            "points in both ranges"
        )
    t, b_meas = tm[inside], bm[inside]
    order = np.argsort(t)
    t, b_meas = t[order], b_meas[order]
    b_sim = np.interp(np.log(t), np.log(ts), bs)
    diff = b_meas - b_sim
    scale = float(np.mean(np.abs(b_meas)))
    rms, mx = float(np.sqrt(np.mean(diff**2))), float(np.max(np.abs(diff)))
    if b_meas @ b_sim < 0:  # nearer -simulated: 200 % rms off with no word why
        flipped = float(np.sqrt(np.mean((b_meas + b_sim) ** 2)))
        warnings.warn(
            f"{source}: the measured field has the other sign than the simulated "
            f"{probe or 'probe'}'s ({rms:.3g} T rms apart, {flipped:.3g} T with its sign "
            "flipped): magnetised the other way, or a Hall probe mounted upside down? Give the "
            "case's protocol fields the series' sign",
            SignWarning,
            stacklevel=2,
        )
    # both on the times compared, their origin 0 here: the measured one's range as creep's
    fit_m = fit_creep(
        t, b_meas, origin_s=0.0, origin_shift_s=origin_shift, source=source, column="measured"
    )
    fit_m = replace(fit_m, origin_from=origin_from)
    fit_s = fit_creep(
        t, b_sim, origin_s=0.0, origin_shift_s=0.0, source=probe or "simulation", column="simulated"
    )
    t_end = float(t[-1])
    return Comparison(
        probe=probe,
        t_start_s=float(t[0]),
        t_end_s=t_end,
        t_s=t,
        measured_T=b_meas,
        simulated_T=b_sim,
        rms_T=rms,
        max_abs_T=mx,
        rms_pct=100 * rms / scale if scale else float("nan"),
        max_abs_pct=100 * mx / scale if scale else float("nan"),
        ratio_end=float(fit_m.field(t_end) / fit_s.field(t_end)),
        measured_fit=fit_m,
        simulated_fit=fit_s,
        at_s=float(at_s) if at_s is not None else t_end,
        shift_s=float(shift_s),
        measured_origin_s=float(m_origin),
        simulated_origin_s=float(s_origin),
        n_dropped=int(dropped.size),
        dropped_rows=tuple(int(i) + 1 for i in dropped[:DROPPED_SHOWN]),
        simulated_n_dropped=int(s_dropped.size),
        simulated_dropped_rows=tuple(int(i) + 1 for i in s_dropped[:DROPPED_SHOWN]),
    )


def _rate_sigma(fit: CreepFit, t_s: float) -> float:
    """1-sigma of S = b / (a - b ln t) at ``t_s`` over ``fit.cov`` (first order): dS/da =
    -b / B^2, dS/db = a / B^2."""
    grad = np.array([-fit.b_T, fit.a_T]) / fit.field(t_s) ** 2
    return float(np.sqrt(max(grad @ fit.cov @ grad, 0.0)))


def _check_clock(
    tm: np.ndarray, am: np.ndarray, m_origin: float, ts: np.ndarray, sa: np.ndarray, source: str
) -> None:
    """Warn (``ClockWarning``) when the measured ramp ``(n,)`` runs more than ``CLOCK_RATIO`` x
    faster or slower than the simulated ``(m,)``, each over its field's range: a series logged
    in minutes read as seconds was compared 13 % off with no word why."""
    om, os_ = np.argsort(tm, kind="stable"), np.argsort(ts, kind="stable")
    rate = ramp_rate(tm[om], am[om], m_origin)
    sim_rate = ramp_rate(ts[os_], sa[os_], relaxation_origin(ts, sa))
    if rate and sim_rate and not 1 / CLOCK_RATIO < rate / sim_rate < CLOCK_RATIO:
        warnings.warn(
            f"{source}: the measured applied field ramps {rate / sim_rate:.3g} x the simulation's "
            "rate (each over its range): a time unit mix-up? (the column name gives the unit: "
            "time_s is seconds, 'time (min)' minutes, 'time (h)' hours)",
            ClockWarning,
            stacklevel=3,
        )
