"""Measured Hall-probe series and their alignment with a simulated probe trace.

A series is put on the simulation's clock as ``fluxtrap compare`` does: its origin (the moment
the applied field reached its final value) comes from its own ``applied_T`` column, or is given
(``origin_s``), or is t = 0 on the file's clock; the simulation's origin comes from its
``applied_T`` column. Unlike ``compare``, points before the origin (the field removal, a loop)
are used too: a measured time t maps to ``t - origin + simulated origin``. Points outside the
simulated time span are dropped (and counted). The simulated field is interpolated linearly in
ln(t - origin) after the origin (exact for B = a - b ln t) and linearly in t before it.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fluxtrap.errors import AnalysisError, ValidationError
from fluxtrap.probetable import (
    MAX_CLOCK_S,
    MissingSamplesWarning,
    not_repeats,
    ramp_end,
    ramp_rate,
    readback_tolerance,
    relaxation_origin,
    simulated_trace,
    time_goes_back,
    white_noise,
    without_gaps,
)
from fluxtrap.simulate.protocol import MAX_FIELD_T, Pulse, Step, states, step_durations
from fluxtrap.units import field_unit_hint

MIN_SIGMA_T = 1e-12  # T, a noise value below any Hall probe's or fluxgate's resolution
# the fewest points whose noise is estimated (estimate_noise): their 18 second differences give
# sigma within a factor 2 of the truth in 97 % of white-noise series (95 % between 0.50 and
# 1.75 x); 3 points give one difference, off by more than 2 x in 45 % (18 mT for 5 mT)
MIN_NOISE_POINTS = 20


class RepeatedSamplesWarning(UserWarning):
    """Samples of a series that repeat an earlier one in every column (each counted once)."""


@dataclass(frozen=True, eq=False)
class Series:
    """A measured probe trace: ``time_s``, ``field_T`` ``(n,)``; ``probe`` it is compared with;
    ``applied_T`` ``(n,)`` or None; ``sigma_T`` ``(n,)`` noise per point or None (estimated);
    ``origin_s`` on the series' clock (used when there is no ``applied_T``; None = 0);
    ``case``: index of the case it belongs to when several are calibrated at once. Points with
    a NaN time, field, applied field or noise (a gap) are left out, named in a
    ``MissingSamplesWarning`` (as ``read_measured`` names a file's gaps); an infinite value, or
    one beyond any instrument's (``_refuse_absurd``), is refused naming its row and column."""

    name: str
    time_s: np.ndarray
    field_T: np.ndarray
    probe: str
    applied_T: np.ndarray | None = None
    sigma_T: np.ndarray | None = field(default=None, repr=False)
    origin_s: float | None = None
    case: int = 0

    def __post_init__(self) -> None:
        t, b = np.asarray(self.time_s, float), np.asarray(self.field_T, float)
        if t.ndim != 1 or t.shape != b.shape:
            raise ValidationError(f"{self.name}: time and field need the same length (1-D)")
        for label, arr in (("applied_T", self.applied_T), ("sigma_T", self.sigma_T)):
            if arr is not None and np.shape(arr) != t.shape:
                raise ValidationError(
                    f"{self.name}: {label} has {np.size(arr)} values, not {t.size}"
                )
        if self.origin_s is not None:  # NaN: "the series spans nan..nan s"; "100 s": ValueError
            try:
                origin = float(self.origin_s)
            except (TypeError, ValueError):
                origin = math.nan
            if not math.isfinite(origin) or isinstance(self.origin_s, (bool, str)):
                raise ValidationError(
                    f"{self.name}: origin_s must be a finite time in s (a number), got "
                    f"{self.origin_s!r}"
                )
            object.__setattr__(self, "origin_s", origin)
        sigma = None if self.sigma_T is None else np.asarray(self.sigma_T, float)
        _refuse_absurd(self.name, t, b, self.applied_T, sigma)
        if sigma is not None and np.any(sigma[~np.isnan(sigma)] <= 0):  # a NaN: a missing point
            k = int(np.flatnonzero(sigma <= 0)[0])
            raise ValidationError(
                f"{self.name}: row {k + 1} (1 = the first), sigma_T = {sigma[k]:.4g} T: every "
                "noise value (sigma) must be > 0"
            )
        if sigma is not None and np.nanmin(sigma, initial=np.inf) < MIN_SIGMA_T:
            # 1e-300 T made weights of 1e600: inf, and a scipy ValueError traceback in the fit
            raise ValidationError(
                f"{self.name}: a noise value (sigma) of {np.nanmin(sigma):.3g} T is below "
                f"{MIN_SIGMA_T:g} T, which no field probe resolves: check its unit"
            )
        either = b if sigma is None else np.where(np.isfinite(sigma), b, np.nan)
        label = self.name if sigma is None else f"{self.name} (field or sigma_T)"
        keep = np.ones(t.shape, bool)
        dropped, note = without_gaps(t, either, self.applied_T, label)[-2:]
        keep[dropped] = False  # a NaN applied field in the hold would put the origin at 0
        if keep.sum() < 3:
            raise ValidationError(f"{self.name}: fewer than 3 finite points")
        if note:
            warnings.warn(note, MissingSamplesWarning, stacklevel=3)
        back = time_goes_back(t[keep], b[keep], None, self.name)
        if back:  # sorted, a clock reset's two runs were interleaved and fitted as one
            raise ValidationError(back)
        columns = [t, b] + [np.asarray(a, float) for a in (self.applied_T, sigma) if a is not None]
        repeats = np.flatnonzero(keep & ~not_repeats(columns))
        if repeats.size:  # each point counted twice: every sigma 0.707 x (as creep found)
            keep[repeats] = False
            warnings.warn(
                f"{self.name}: {repeats.size} of {t.size} samples repeat an earlier one in time "
                f"and field (the first at {t[repeats[0]]:.6g} s): each is counted once (rows "
                "copied twice, or the file pasted after itself?)",
                RepeatedSamplesWarning,
                stacklevel=3,
            )
        if keep.sum() < 3:
            raise ValidationError(f"{self.name}: fewer than 3 points that repeat no other")
        times = np.unique(t[keep])
        if times.size < 3:  # all at one time: the fit ran, with infinite and NaN sigmas
            raise ValidationError(
                f"{self.name}: its {keep.sum()} points lie at {times.size} distinct time"
                f"{'s' * (times.size > 1)} ({', '.join(f'{x:g}' for x in times)} s); a series "
                "needs at least 3 (is the time column the right one, or its unit far too coarse?)"
            )
        order = np.argsort(t[keep], kind="stable")
        object.__setattr__(self, "time_s", t[keep][order])
        object.__setattr__(self, "field_T", b[keep][order])
        for label in ("applied_T", "sigma_T"):
            arr = getattr(self, label)
            if arr is not None:
                object.__setattr__(self, label, np.asarray(arr, float)[keep][order])

    @property
    def origin(self) -> float:
        """The series' origin on its own clock (s): where its ramp of ``applied_T`` reaches the
        final value (``probetable.ramp_end``), else ``origin_s``, else 0."""
        if self.applied_T is not None:
            return ramp_end(self.time_s, self.applied_T)
        return float(self.origin_s or 0.0)

    def noise(self) -> tuple[np.ndarray, str]:
        """Noise per point (T) ``(n,)`` and how it was found (``"column"`` or ``"estimated"``);
        ``ValidationError`` when it is to be estimated from fewer than ``MIN_NOISE_POINTS``."""
        if self.sigma_T is not None:
            return self.sigma_T, "column"
        if self.time_s.size < MIN_NOISE_POINTS:
            raise ValidationError(
                f"{self.name}: its noise cannot be estimated from {self.time_s.size} points (at "
                f"least {MIN_NOISE_POINTS}: fewer give it wrong by a factor 2 or more too often); "
                "give its noise per point in a column (--sigma-column)"
            )
        return np.full(self.time_s.shape, estimate_noise(self.field_T)), "estimated"


def _refuse_absurd(
    name: str,
    time_s: np.ndarray,
    field_T: np.ndarray,
    applied_T: np.ndarray | None,
    sigma_T: np.ndarray | None,
) -> None:
    """Refuse (``ValidationError``) an infinite value or one beyond any instrument's in a series'
    columns, naming the first such row (1 = the first, as given) and its column: |B|, |applied|
    or sigma above ``MAX_FIELD_T``, |t| above ``MAX_CLOCK_S``. A field of 1e300 T overflowed the
    fit's chi^2 and gave NaN sigmas; an infinite one was dropped as a gap. NaN is a gap (left
    out and named by the caller)."""
    columns = (
        ("time_s", time_s, MAX_CLOCK_S, "s"),
        ("field_T", field_T, MAX_FIELD_T, "T"),
        ("applied_T", applied_T, MAX_FIELD_T, "T"),
        ("sigma_T", sigma_T, MAX_FIELD_T, "T"),
    )
    for label, values, limit, unit in columns:
        if values is None:
            continue
        v = np.asarray(values, float)
        with np.errstate(invalid="ignore"):
            bad = np.flatnonzero(np.isinf(v) | (np.abs(v) > limit))
        if bad.size:
            k = int(bad[0])
            finite = np.abs(v[np.isfinite(v)])
            if not finite.size or finite.max() <= limit:  # an infinite value: no unit fits it
                hint = "an infinite value is no reading: leave the row out, or make it NaN (a gap)"
            elif unit == "s":
                hint = "a clock in ms or us labelled s?"
            else:  # the magnetometry readers' hint: the likely unit and its largest field
                hint = field_unit_hint(float(finite.max()), limit)
            raise ValidationError(
                f"{name}: row {k + 1} (1 = the first), {label} = {v[k]:.4g} {unit}: beyond "
                f"{limit:g} {unit}, more than any {'clock' if unit == 's' else 'magnet'} reads "
                f"({bad.size} of {v.size} rows); {hint}"
            )


def estimate_noise(field_T: np.ndarray) -> float:
    """White-noise sigma (T) of a densely sampled smooth trace, from the median absolute second
    difference (robust to the trace's slow change and to outliers); floored at 1e-6 of the
    trace's largest |B| so that a noise-free series still gets finite weights."""
    b = np.asarray(field_T, float)
    return max(white_noise(b), 1e-6 * float(np.max(np.abs(b))), 1e-12)


@dataclass(frozen=True, eq=False)
class Alignment:
    """Where a series meets a simulation: ``sim_time_s`` ``(m,)`` the used points' times on the
    simulation's clock, ``used`` ``(n,)`` mask of the series' points inside the simulated span,
    ``shift_s`` added to the series' times, ``sim_origin_s``; ``clock_ratio``: the series'
    ramp rate of ``applied_T`` at its end over the simulation's (each over its field's range),
    else its span after the origin
    over the simulation's (near 60 or 1/60: a time in minutes read as seconds, or the reverse)."""

    sim_time_s: np.ndarray
    used: np.ndarray
    shift_s: float
    sim_origin_s: float
    clock_ratio: float = 1.0


def simulated_span(protocol: tuple[Step, ...]) -> tuple[float, float]:
    """The time span (s) a simulation of ``protocol`` covers, counted from its origin as
    ``align`` counts it (the end of the last step that changes the applied field; its start
    without one): (-origin, duration - origin), known without simulating."""
    ends = np.cumsum([0.0, *step_durations(protocol)])  # the end of each step (the set: 0)
    fields = [b for b, _ in states(protocol)]
    changed = [i for i in range(1, len(protocol))
               if fields[i] != fields[i - 1] or isinstance(protocol[i], Pulse)]  # fmt: skip
    origin = float(ends[changed[-1]]) if changed else 0.0
    return -origin, float(ends[-1]) - origin


def inside_span(series: Series, span: tuple[float, float]) -> np.ndarray:
    """Mask ``(n,)`` of the points of ``series`` whose time after its origin lies in ``span``
    (s, from ``simulated_span``), to the tolerance ``align`` allows."""
    t = series.time_s - series.origin
    eps = 1e-9 * max(abs(span[0]), abs(span[1]), 1.0)  # a last sample at the protocol's end
    return (t >= span[0] - eps) & (t <= span[1] + eps)


# a probe reads at most about the applied field plus what the sample traps of it (a change of
# the applied field at most): a series 10 x above the case's largest applied field is in mT, G
# or Oe labelled T (a 70 mT trapped field read as 70 T passed the 100 T check and was fitted)
FIELD_MARGIN = 10.0


def check_magnitude(series: Series, largest_T: float) -> None:
    """Refuse (``ValidationError``) a series whose field or applied field exceeds
    ``FIELD_MARGIN`` x ``largest_T`` (T, the case's largest applied field), naming the first
    such point and the unit its values are likely in; a case without applied field: nothing."""
    limit = FIELD_MARGIN * largest_T
    for label, values in (("field_T", series.field_T), ("applied_T", series.applied_T)):
        if values is None or not limit:
            continue
        over = np.flatnonzero(np.abs(values) > limit)
        if over.size:
            k, top = int(over[0]), float(np.max(np.abs(values)))
            raise ValidationError(
                f"{series.name}: {label} = {values[k]:.4g} T at t = {series.time_s[k]:.6g} s "
                f"({over.size} of {values.size} points, up to {top:.4g} T) is over "
                f"{FIELD_MARGIN:g} x the case's largest applied field, {largest_T:.4g} T, more "
                f"than its probes read; {field_unit_hint(top, limit)}"
            )


# measured / simulated ramp rate beyond which a series' clock is taken for another time unit
CLOCK_RATIO = 20.0


def check_applied(series: Series, sim_time_s: np.ndarray, sim_applied_T: np.ndarray) -> None:
    """Refuse (``AnalysisError``) a series whose ``applied_T`` column lacks its origin, the
    ramp's end: at its final value from the start, or ending off the simulation's final applied
    field; whose ramp runs opposite to the simulation's (magnetised the other way), or over
    ``CLOCK_RATIO`` x faster or slower (a clock in minutes read as s). The
    simulation's applied field ``(m,)`` (T) at ``sim_time_s`` (s): its probes table, or the
    protocol's step ends, known before any run. No column: nothing to check."""
    if series.applied_T is None:
        return
    a, tol = series.applied_T, readback_tolerance(series.time_s, series.applied_T)
    final_T = float(sim_applied_T[-1])
    if series.origin <= series.time_s.min():  # at the final value from the start
        raise AnalysisError(
            f"{series.name}: its applied_T column stays at {a[-1]:.4g} T, so the ramp's end "
            "(its origin) is not in it; leave the column out and give the origin (--origin)"
        )
    if abs(a[-1] - final_T) > tol:
        raise AnalysisError(
            f"{series.name}: its applied field ends at {a[-1]:.4g} T, the simulation's at "
            f"{final_T:.4g} T: the series stops before the ramp's end (its origin); leave "
            "the applied_T column out and give the origin (--origin)"
        )
    # the ramp, on the simulation's clock: a field of the other sign fitted to the bounds
    sim_origin = relaxation_origin(sim_time_s, sim_applied_T)
    t = series.time_s - series.origin + sim_origin
    ramp = (t >= sim_time_s[0]) & (t < sim_origin) & (np.abs(a - final_T) > tol)
    sim = np.interp(t[ramp], sim_time_s, sim_applied_T) - final_T
    if ramp.any() and (a[ramp] - final_T) @ sim < 0:
        k = int(np.argmax(np.abs(a[ramp] - final_T)))
        raise AnalysisError(
            f"{series.name}: its applied field runs opposite to the simulation's: "
            f"{a[ramp][k]:.4g} T at t = {series.time_s[ramp][k]:.6g} s on its clock, where the "
            f"case's protocol has {sim[k] + final_T:.4g} T: magnetised the other way? Give "
            "the case's protocol fields the series' sign"
        )
    # both sampled at the series' times: a protocol ramping fast, then slowly, has other medians
    rate = _ramp_T_s(series.time_s, a, series.origin)
    sim_rate = _ramp_T_s(series.time_s, np.interp(t, sim_time_s, sim_applied_T), series.origin)
    if rate and sim_rate and not 1 / CLOCK_RATIO < rate / sim_rate < CLOCK_RATIO:
        raise AnalysisError(
            f"{series.name}: its applied field ramps {rate / sim_rate:.3g} x the simulation's "
            "rate (at the series' times): a time unit mix-up? (the column name gives the unit: "
            "time_s is seconds, 'time (min)' minutes, 'time (h)' hours); else give the case's "
            "ramp the measured rate"
        )


def _ramp_T_s(time_s: np.ndarray, applied_T: np.ndarray, origin_s: float) -> float | None:
    """``probetable.ramp_rate`` (1/s) times the applied field's range: T/s."""
    rate = ramp_rate(time_s, applied_T, origin_s)
    return rate * float(np.ptp(applied_T)) if rate else None


def align(series: Series, probes: pd.DataFrame) -> Alignment:
    """Put ``series`` on the clock of a simulated probes table (probes.csv columns)."""
    ts, _, applied, _ = simulated_trace(probes, series.probe)
    origin = series.origin
    check_applied(series, ts, applied)
    sim_origin = relaxation_origin(ts, applied)
    shift = sim_origin - origin
    t = series.time_s + shift
    eps = 1e-9 * max(abs(ts[0]), abs(ts[-1]), 1.0)  # a last sample at the protocol's end
    used = (t >= ts[0] - eps) & (t <= ts[-1] + eps)
    if used.sum() < 3:
        raise AnalysisError(
            f"{series.name}: fewer than 3 points inside the simulated time span "
            f"{ts[0] - sim_origin:.4g}..{ts[-1] - sim_origin:.4g} s around the origin (the series "
            f"spans {series.time_s[0] - origin:.4g}..{series.time_s[-1] - origin:.4g} s); "
            "check the origin (applied_T column or --origin)"
        )
    sim_rate = ramp_rate(ts, applied, sim_origin)
    rate = None if series.applied_T is None else ramp_rate(series.time_s, series.applied_T, origin)
    if rate and sim_rate:
        ratio = rate / sim_rate
    else:
        span, sim_span = series.time_s[-1] - origin, ts[-1] - sim_origin
        ratio = span / sim_span if span > 0 and sim_span > 0 else 1.0
    return Alignment(t[used], used, float(shift), float(sim_origin), float(ratio))


def simulated_at(probes: pd.DataFrame, probe: str, sim_time_s: np.ndarray) -> np.ndarray:
    """Simulated Bz (T) of ``probe`` at ``sim_time_s`` ``(m,)`` on the simulation's clock:
    linear in ln(t - origin) after the origin, linear in t before it."""
    ts, bs, applied, _ = simulated_trace(probes, probe)
    origin = relaxation_origin(ts, applied)
    out = np.interp(sim_time_s, ts, bs)
    after = ts > origin
    late = sim_time_s > (ts[after][0] if after.any() else np.inf)
    if late.any():
        out[late] = np.interp(
            np.log(sim_time_s[late] - origin), np.log(ts[after] - origin), bs[after]
        )
    return out
