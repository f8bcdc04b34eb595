"""Flux creep of a trapped field: B(t) = a - b ln t, creep rate S, decay in ppm/h, extrapolation.

t is the time since the applied field reached its final value (zero after a field-cooled
magnetization), in s. Over the relaxation part the trapped field follows B(t) = a - b ln t
(a in T, b in T per e-fold of time); then

    S(t) = -d ln B / d ln t = b / B(t)
    decay rate (ppm/h) = -dB/dt / B * 3600 * 1e6 = b / (B(t) t) * 3600 * 1e6

The fit is linear least squares in ln t. Its covariance allows for noise correlated in time (a
probe's temperature or the logger's reference wandering): the residuals are modelled as white
noise plus an Ornstein-Uhlenbeck process (correlation exp(-|dt| / tau)), tau and the white fraction
by maximum likelihood (``noise_model``), and the least-squares covariance is the sandwich over that
correlation. Taking the noise as independent, the 1-sigma of the decay rate covered the truth in
10% of repeats of a series sampled evenly in ln t with noise correlated over 1000 s, not 68%. Uncertainties are propagated to extrapolated
fields and rates to first order.

The origin (the end of the field removal) is given, or found from an applied-field column (where
its ramp reached the final value, ``probetable.ramp_end``), or from the probe field itself
(``removal_end``): the removal is a stretch of steady steep change, the relaxation after it
slows as 1/t, so the end is where the slope drops by far more than ln t relaxation alone can
(``RAMP_CONTRAST``). A series without such a kink is
refused (``AnalysisError``: give the origin). A relaxation that starts at the ramp's rate is
a - b ln t from tau before the ramp's end, and an end found in the data is late by up to
tau + 2 samples: the change of (a, b) fitted from 2 tau + 2 samples earlier (2 tau for an origin
given or from applied_T, fitted from the default 50 tau on) is added to the covariance (the noise's 1-sigma of the decay rate, 0.03%, missed the truth, 0.2-1% off, in
every logger series with its ramp). After the fit, the residuals are tested for what
ln t cannot explain (a runs test on their signs and their trend over ln t, ``residual_structure``);
structure gives a ``CreepResidualWarning`` kept in ``CreepFit.warnings``.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fluxtrap.errors import AnalysisError, InputFileError, ValidationError
from fluxtrap.magnetometry.loops import RepeatedMeasurementWarning
from fluxtrap.magnetometry.readers._columns import (
    check_cells,
    check_names,
    check_size,
    decode,
    header_units,
    name_the_unit,
    numeric_block,
    numeric_column,
    read_limited,
    si_factor,
    split_rows,
)
from fluxtrap.magnetometry.table import (
    TruncatedFileWarning,
    check_values,
    robust_sigma,
    unterminated_note,
    unterminated_row,
)
from fluxtrap.probetable import (
    DROPPED_SHOWN,
    MAX_CLOCK_S,
    MissingSamplesWarning,
    log_time_thinned,
    not_repeats,
    ramp_end,
    time_goes_back,
    without_gaps,
)
from fluxtrap.units import MU0, array_in, in_si, value_text

PPM_H = 3600 * 1e6  # (1/s) -> ppm/h
RAMP_CONTRAST = 10.0  # slope before / after a candidate ramp end; ln t relaxation alone gives ~1.6
RUNS_Z = -4.0  # runs test: fewer sign changes than this many sigma below chance is structure
TREND_FRACTION = 0.05  # ... and a binned residual trend above this fraction of b (T per e-fold)
START_TAUS = 50.0  # the default fit start after an origin with the ramp before it, in tau
BEND_SIGMAS = 5.0  # bend_tau: a - b ln(t + tau) must beat a - b ln t by this many sigma
EXTRAPOLATED_DECADES = 1.0  # a time more than this many decades past the last point fitted warns
END_BINS = 2000  # a longer series' end fit starts from one on this many means in ln t (4x fewer)
END_MIN_POINTS = 6  # fewer points fitted: no curvature to fit, the end's decay is not estimated
CURVED_SIGMAS = 5.0  # ln t's decay at the end this many 1-sigma of the end's own off ...
CURVED_FRACTION = (
    0.02  # ... and this fraction of it: said (an origin a few s late bends the start: 1.3%)
)


class CreepResidualWarning(UserWarning):
    """The residuals of a creep fit show structure that B = a - b ln t cannot explain."""


class CreepCurvatureWarning(CreepResidualWarning):
    """B = a - b ln t's decay rate at the series' end is off its local one by several 1-sigma:
    the decay curves in ln t (power-law creep), and b averages a rate that falls over the window."""


class FieldGrowsWarning(UserWarning):
    """The fitted field grows in magnitude with ln t: no decay of a trapped field."""


class CreepExtrapolationWarning(UserWarning):
    """A value read off a creep fit before its first point fitted or more than a decade past
    its last: B = a - b ln t is assumed to hold where nothing was measured."""


@dataclass(frozen=True, eq=False)
class CreepFit:
    """B(t) = a_T - b_T ln(t / 1 s) fitted over ``t_start_s..t_end_s`` (time since ``origin_s``).

    ``cov`` is the 2x2 covariance of (a, b) in T^2; ``rms_T`` the residual rms; ``n_points`` used;
    ``n_before_origin`` the rows at t <= 0 (at or before the origin) left out; ``noise_tau_s``
    and ``noise_white`` the residual noise model (correlation time in s, white fraction of its
    variance; 0 and 1 for independent noise) and ``sigma_factor`` how much it widened the
    1-sigma of b over that of independent noise (the noise alone: ``cov`` also holds the origin's
    part). With an origin found in the data, ``origin_moves_ab_T`` is how much (a, b) change when
    fitted from ``origin_shift_s`` earlier (2 tau + 2 samples: the relaxation's own start, tau
    before the ramp's end, which was found up to tau + 2 samples late), and ``cov`` holds it
    as a systematic part. ``n_dropped`` rows had no finite time, field or
    applied field and were left out; ``dropped_rows`` are the first ``DROPPED_SHOWN`` of them
    (their positions in the arrays given, 1 = the first, as the note counts them).
    """

    a_T: float
    b_T: float
    cov: np.ndarray
    t_start_s: float
    t_end_s: float
    origin_s: float
    n_points: int
    rms_T: float
    source: str = ""
    column: str = ""
    origin_from: str = "given"  # given | applied | data | clock
    warnings: tuple[str, ...] = field(default=())
    n_before_origin: int = 0
    noise_tau_s: float = 0.0
    noise_white: float = 1.0
    sigma_factor: float = 1.0
    origin_shift_s: float = 0.0
    origin_moves_ab_T: tuple[float, float] = (0.0, 0.0)
    n_dropped: int = 0
    dropped_rows: tuple[int, ...] = ()
    end_fit: tuple[float, float, float] = (np.nan, np.nan, np.nan)
    end_cov: np.ndarray = field(default_factory=lambda: np.full((3, 3), np.nan))
    end_offset_s: float = 0.0

    def end_decay_ppm_per_h(self) -> float:
        """Decay rate -dB/dt / B (ppm/h) at the last point fitted, ``t_end_s``, from the local
        creep rate S there (``end_fit``: B = B_end (1 + kappa ln(t/t_end))^(-S/kappa), the
        interpolation formula of collective creep, which holds both B = a - b ln t and the power
        law of E = E0 (J/Jc)^n exactly): S / t_end * 3600e6. After a ramp in the series the
        relaxation is fitted on t + ``end_offset_s`` (its start before the origin found), and the
        rate is S / (t_end + end_offset_s). NaN under ``END_MIN_POINTS``."""
        return self.end_fit[1] / (self.t_end_s + self.end_offset_s) * PPM_H

    def end_decay_sigma_ppm_per_h(self) -> float:
        """1-sigma of ``end_decay_ppm_per_h`` (that of S at the end, noise model as ``cov``)."""
        return float(np.sqrt(self.end_cov[1, 1])) / (self.t_end_s + self.end_offset_s) * PPM_H

    def end_decay_at(self, t_s: float) -> tuple[float, float]:
        """Decay rate (ppm/h) at ``t_s`` (s since the origin) as ``end_fit`` has it, and its
        1-sigma over ``end_cov`` (the curvature's uncertainty in it): S / ((1 + kappa x) u),
        u = t + ``end_offset_s``, x = ln(u / u_end). Where B = a - b ln t's decay at a year is
        read off b's average over the window (n = 40 power-law creep over 100..36,000 s: 21%
        high, 1-sigma 0.9%), this is the local S carried on. NaNs when not estimated or where
        the field has crept to 0 (1 + kappa x <= 0)."""
        _, rate, kappa = self.end_fit
        u = t_s + self.end_offset_s
        x = np.log(u / (self.t_end_s + self.end_offset_s))
        z = 1 + kappa * x
        if not (np.isfinite(z) and z > 0 and np.all(np.isfinite(self.end_cov))):
            return np.nan, np.nan
        grad = np.array([0.0, 1 / (z * u), -rate * x / (z**2 * u)]) * PPM_H
        return rate / (z * u) * PPM_H, float(np.sqrt(max(grad @ self.end_cov @ grad, 0.0)))

    def end_time_to_reach_ppm_per_h(self, ppm_per_h: float) -> tuple[float, float, float]:
        """When |decay| falls below ``ppm_per_h`` going on as ``end_fit`` (s since the origin),
        and its 1-sigma range ``(t, lo, hi)``: first-order in ln t over ``end_cov``, so the
        curvature's uncertainty is in it (a series that cannot tell ln t from the power law gets
        the range of both). B = a - b ln t's ``time_to_reach_ppm_per_h`` assumes ln t for ever:
        on n = 40 power-law creep (100..36,000 s) 1.63e4 d +- 1% for the true 1.07e4 d, here
        1.07e4 d +- 0.3%. Already below at the last point fitted: that point, and as
        ``time_to_reach_range`` the upper end the first time |decay| + 1-sigma falls below it
        (it had been the last point too: no range at all). NaNs when not estimated, inf when
        never (before 1e30 s)."""
        p = np.asarray(self.end_fit, float)
        if not np.all(np.isfinite(p)) or not np.all(np.isfinite(self.end_cov)):
            return np.nan, np.nan, np.nan
        t_s = self._end_first_below(p, ppm_per_h)
        if not np.isfinite(t_s):
            return t_s, t_s, t_s
        if t_s <= self.t_end_s:
            return t_s, t_s, self._end_upper_below(ppm_per_h)
        grad = np.zeros(3)
        for i in range(3):
            h = 1e-3 * np.sqrt(self.end_cov[i, i]) or 1e-9 * max(abs(p[i]), 1e-12)
            up, down = p.copy(), p.copy()
            up[i], down[i] = p[i] + h, p[i] - h
            ends = self._end_first_below(up, ppm_per_h), self._end_first_below(down, ppm_per_h)
            if not all(np.isfinite(e) and e > 0 for e in ends):
                return t_s, t_s if ends[0] < ends[1] else 0.0, np.inf
            grad[i] = (np.log(ends[0]) - np.log(ends[1])) / (2 * h)
        spread = float(np.sqrt(max(grad @ self.end_cov @ grad, 0.0)))
        return t_s, t_s * np.exp(-spread), t_s * np.exp(spread)

    def _end_upper_below(self, ppm_per_h: float) -> float:
        """First time (s since the origin, from ``t_end_s`` on) at which ``end_decay_at``'s
        |decay| + 1-sigma falls below ``ppm_per_h``; inf if never before 1e30 s."""
        from scipy.optimize import brentq

        u_end = self.t_end_s + self.end_offset_s

        def f(x: float) -> float:  # |decay| + 1-sigma over ppm_per_h, less 1, at u_end e^x
            rate, sigma = self.end_decay_at(u_end * np.exp(x) - self.end_offset_s)
            return (abs(rate) + sigma) / ppm_per_h - 1 if np.isfinite(rate) else 1.0

        if f(0.0) <= 0:
            return self.t_end_s
        kappa = self.end_fit[2]
        hi = np.log(1e30 / u_end)
        if kappa < 0:  # as _end_first_below: the field creeps to 0 at x = -1 / kappa
            hi = min(hi, -1 / kappa - 1)
        if hi <= 0 or f(hi) > 0:
            return np.inf
        return float(u_end * np.exp(brentq(f, 0.0, hi)) - self.end_offset_s)

    def _end_first_below(self, p: np.ndarray, ppm_per_h: float) -> float:
        """First time (s since the origin, from ``t_end_s`` on) at which |decay| of the end's
        model with parameters ``p`` falls below ``ppm_per_h``; inf if never before 1e30 s."""
        from scipy.optimize import brentq

        _, rate, kappa = p
        u_end = self.t_end_s + self.end_offset_s

        def f(x: float) -> float:  # ln of |decay| / ppm_per_h at u = u_end e^x
            z = 1 + kappa * x
            return np.log(abs(rate) / (z * u_end * np.exp(x)) * PPM_H / ppm_per_h) if z > 0 else 1.0

        hi = np.log(1e30 / u_end)
        if kappa < 0:  # the field reaches 0 at x = -1 / kappa: the drift rises towards it
            hi = min(hi, -1 / kappa - 1)  # d/dx of ln(z e^x) is 0 at x = -1/kappa - 1
        if f(0.0) <= 0:
            return self.t_end_s
        if hi <= 0 or f(hi) > 0:
            return np.inf
        return float(u_end * np.exp(brentq(f, 0.0, hi)) - self.end_offset_s)

    def field(self, t_s: float | np.ndarray) -> float | np.ndarray:
        """Fitted B (T) at time ``t_s`` (s since the origin)."""
        return self.a_T - self.b_T * np.log(t_s)

    def field_sigma(self, t_s: float | np.ndarray) -> float | np.ndarray:
        """1-sigma uncertainty (T) of the fitted B at ``t_s``, from the covariance."""
        ln = np.log(t_s)
        var = self.cov[0, 0] - 2 * ln * self.cov[0, 1] + ln**2 * self.cov[1, 1]
        return np.sqrt(np.maximum(var, 0.0))

    def rate(self, t_s: float | np.ndarray) -> float | np.ndarray:
        """Normalised creep rate S = -d ln B / d ln t = b / B(t) (dimensionless)."""
        return self.b_T / self.field(t_s)

    def decay_ppm_per_h(self, t_s: float | np.ndarray) -> float | np.ndarray:
        """Decay rate -dB/dt / B in ppm/h at ``t_s``: b / (B(t) t) * 3600 * 1e6."""
        return self.b_T / (self.field(t_s) * t_s) * PPM_H

    def decay_sigma_ppm_per_h(self, t_s: float | np.ndarray) -> float | np.ndarray:
        """1-sigma uncertainty of ``decay_ppm_per_h`` (first-order propagation of ``cov``)."""
        b_t = self.field(t_s)
        # r = b / (B t) with B = a - b ln t: dr/da = -b / (B^2 t), dr/db = a / (B^2 t)
        ga = -self.b_T / (b_t**2 * t_s) * PPM_H
        gb = self.a_T / (b_t**2 * t_s) * PPM_H
        var = ga**2 * self.cov[0, 0] + 2 * ga * gb * self.cov[0, 1] + gb**2 * self.cov[1, 1]
        return np.sqrt(np.maximum(var, 0.0))

    def extrapolation(self, t_s: float, what: str) -> str:
        """A note when ``t_s`` (s since the origin; ``what`` names it) lies before the first
        point fitted or more than ``EXTRAPOLATED_DECADES`` decades past the last, so what the fit
        says there is extrapolated; "" otherwise."""
        name = f"{self.source or 'series'}{f' [{self.column}]' if self.column else ''}"
        if t_s < self.t_start_s * (1 - 1e-9):  # t_start_s is exp(ln t): the first time's own
            return (
                f"{name}: t = {t_s:.4g} s ({what}) lies before the first point fitted "
                f"({self.t_start_s:.4g} s): extrapolated; nothing measured says the field "
                "relaxed as ln t there"
            )
        decades = np.log10(t_s / self.t_end_s)
        if decades > EXTRAPOLATED_DECADES:
            return (
                f"{name}: t = {t_s:.4g} s = {t_s / 86400:.4g} d ({what}) lies {decades:.3g} "
                f"decades past the last point fitted ({self.t_end_s:.4g} s = "
                f"{self.t_end_s / 86400:.3g} d): extrapolated; it holds only if the field keeps "
                "relaxing as ln t"
            )
        return ""

    def time_to_reach_ppm_per_h(self, ppm_per_h: float) -> float:
        """First time (s) after which the field drifts by less than ``ppm_per_h``, either way
        (|dB/dt| / |B|: a field that grows drifts too), solved numerically; a time before the
        first point fitted or over a decade past the last warns (``CreepExtrapolationWarning``)."""
        t_s = self._first_below(ppm_per_h, 0.0)
        if not np.isfinite(t_s):
            raise AnalysisError(f"the fitted decay rate never falls below {ppm_per_h:g} ppm/h")
        if note := self.extrapolation(t_s, f"{ppm_per_h:g} ppm/h reached"):
            warnings.warn(note, CreepExtrapolationWarning, stacklevel=2)
        return t_s

    def time_to_reach_range(self, ppm_per_h: float) -> tuple[float, float]:
        """1-sigma range (s) of ``time_to_reach_ppm_per_h``: the first times at which |decay|
        minus and plus its 1-sigma fall below ``ppm_per_h`` (the later one inf if that never
        happens before 1e30 s). A series already below it at its first point still gets the
        time its upper 1-sigma needs."""
        return self._first_below(ppm_per_h, -1.0), self._first_below(ppm_per_h, 1.0)

    def _first_below(self, ppm_per_h: float, k: float) -> float:
        """First time (s, from the first point fitted on) at which |decay| + k sigma(decay) is
        below ``ppm_per_h``; inf if never before 1e30 s."""
        from scipy.optimize import brentq

        def f(ln_t: float) -> float:
            t_s = np.exp(ln_t)
            drift = abs(self.decay_ppm_per_h(t_s))
            return (
                drift + k * self.decay_sigma_ppm_per_h(t_s) - ppm_per_h if k else drift - ppm_per_h
            )

        lo = np.log(max(self.t_start_s, 1e-3))
        if f(lo) <= 0:  # b = 0 too: no drift at all
            return float(np.exp(lo))
        # |B| falls (a/b > 0): the drift falls until ln t = a/b - 1, then rises as B(t) -> 0;
        # |B| grows (a/b < 0): the drift falls for ever. Either way no further than 1e30 s,
        # beyond any magnet's life (a slow creep's a/b of 3e5 overflowed exp in the search)
        end = np.log(1e30)
        hi = min(self.a_T / self.b_T - 1.0, end) if self.a_T / self.b_T > 0 else end
        if hi <= lo or f(hi) > 0:
            return np.inf
        return float(np.exp(brentq(f, lo, hi)))

    def to_dict(self) -> dict:
        """JSON-friendly summary (SI)."""
        return {
            "a_T": self.a_T,
            "b_T": self.b_T,
            "cov_T2": self.cov.tolist(),
            "t_start_s": self.t_start_s,
            "t_end_s": self.t_end_s,
            "origin_s": self.origin_s,
            "n_points": self.n_points,
            "rms_T": self.rms_T,
            "S_at_start": float(self.rate(self.t_start_s)),
            "source": self.source,
            "column": self.column,
            "origin_from": self.origin_from,
            "warnings": list(self.warnings),
            "n_before_origin": self.n_before_origin,
            "noise_tau_s": self.noise_tau_s,
            "noise_white": self.noise_white,
            "sigma_factor": self.sigma_factor,
            "origin_shift_s": self.origin_shift_s,
            "origin_moves_ab_T": list(self.origin_moves_ab_T),
            "n_dropped": self.n_dropped,
            "dropped_rows": list(self.dropped_rows),
            "end_field_T": _finite(self.end_fit[0]),
            "end_S": _finite(self.end_fit[1]),
            "end_S_sigma": _finite(np.sqrt(self.end_cov[1, 1])),
            "end_kappa": _finite(self.end_fit[2]),
            "end_offset_s": self.end_offset_s,
            "end_decay_ppm_per_h": _finite(self.end_decay_ppm_per_h()),
            "end_decay_sigma_ppm_per_h": _finite(self.end_decay_sigma_ppm_per_h()),
        }

    def __repr__(self) -> str:
        sa, sb = np.sqrt(np.diag(self.cov))
        return (
            f"<CreepFit {self.column or 'B'}(t) = ({value_text(self.a_T, sa, '.6g')}) - "
            f"({value_text(self.b_T, sb, '.4g')}) ln t "
            f"[T, t in s], {self.n_points} points over {self.t_start_s:.3g}..{self.t_end_s:.3g} s, "
            f"S(t0) = {self.rate(self.t_start_s):.4g}>"
        )


def _finite(x: float) -> float | None:
    """``x`` as a float, None (JSON null) where it is not finite."""
    return float(x) if np.isfinite(x) else None


def _interpolation(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    """B = B_end (1 + kappa x)^(-S / kappa) at x = ln(t / t_end), p = (B_end, S, kappa): the
    interpolation formula of collective creep (J(t) = Jc [1 + (mu kT/U0) ln(t/t0)]^(-1/mu)).
    kappa = -S is B = a - b ln t (Anderson-Kim), kappa -> 0 the power law B ~ t^(-S) of
    E = E0 (J/Jc)^n (S = 1/(n - 1)); S is -d ln B / d ln t at t_end. Where 1 + kappa x <= 0
    the field has crept to 0."""
    b_end, rate, kappa = p
    z = kappa * x
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(np.abs(z) < 1e-8, 1 - z / 2, np.log1p(z) / np.where(z == 0, 1, z))
        return np.where(z > -1, b_end * np.exp(-rate * x * ratio), 0.0)


def _interpolation_jac(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    """d ``_interpolation`` / d (B_end, S, kappa) at ``x``, (x.size, 3): with B = B_end e^(-S x r),
    r = ln(1 + z) / z, z = kappa x: B / B_end, -B x r, -B S x^2 r'(z); 0 where B is."""
    b_end, rate, kappa = p
    z = kappa * x
    with np.errstate(invalid="ignore", divide="ignore"):
        small = np.abs(z) < 1e-4
        safe = np.where(small | (z <= -1), 0.5, z)
        ratio = np.where(small, 1 - z / 2 + z**2 / 3, np.log1p(safe) / safe)
        slope = np.where(
            small, -0.5 + 2 * z / 3 - 3 * z**2 / 4, (safe / (1 + safe) - np.log1p(safe)) / safe**2
        )
        shape = np.where(z > -1, np.exp(-rate * x * ratio), 0.0)
    b = b_end * shape
    return np.column_stack([shape, -b * x * ratio, -b * rate * x**2 * slope])


def _end_fit(
    ln_t: np.ndarray,
    b: np.ndarray,
    start: tuple[float, float],
    noise: bool = True,
    white_before: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """(B_end, S, kappa) of ``_interpolation`` fitted to B ``b`` at ``ln_t`` (ascending) by least
    squares from the ln t fit's ``start`` (a, b), and their covariance: the sandwich over its own
    residuals' noise model (``noise_model``; those of ln t hold its misfit of a curved decay, taken
    for correlated noise: 5x too wide) widened by Student's t of n - 3 degrees of freedom, as
    the ln t fit's. ``noise`` False: the fit alone, no covariance (NaN). ``white_before``: the
    ln t fit's residuals were white noise, so are these (less misfit): not modelled again."""
    from scipy.optimize import least_squares
    from scipy.stats import norm
    from scipy.stats import t as student

    x = ln_t - ln_t[-1]
    a, slope_b = start
    b_end = a - slope_b * ln_t[-1]
    rate = slope_b / b_end if b_end else 0.0
    # 1 + kappa x > 0 over the window (x <= 0): kappa < 1 / |x[0]| (collective creep's kappa > 0
    # bounded above; ln t's kappa = -S is not bounded below: it had been, by -0.99 / |x[0]|, and
    # a fast ln t creep with S |x[0]| > 1 was read as curved, 5 sigma off its own S)
    hi = 0.99 / max(-x[0], 1e-12)
    # between ln t (kappa = -S) and the power law (0) halfway first; the two ends only if that
    # one did not converge (6e5 points: 1.9 s a try)
    guesses = [(b_end, rate, min(-rate / 2, hi)), (b_end, rate, 0.0), (b_end, rate, min(-rate, hi))]
    scale = max(float(np.max(np.abs(b))), 1e-300)
    # a long series: the guesses are tried on the means of END_BINS bins in ln t (weighted by
    # their counts; the model's curvature over a bin ~1e-5 of the window's), then polished on
    # every point from the best with the analytic Jacobian (6e5 points: 18-25 evaluations on all
    # of them -> 3, the end fit 1.2 -> 0.6 s; the same (B_end, S, kappa) to 1e-3 sigma)
    xs, bs, weight = x, b, None
    if b.size > 4 * END_BINS and x[0] < 0:
        index = np.minimum((x / x[0] * END_BINS).astype(int), END_BINS - 1)
        counts = np.bincount(index, minlength=END_BINS)
        held = counts > 0
        xs = (np.bincount(index, x, END_BINS) / np.maximum(counts, 1))[held]
        bs = (np.bincount(index, b, END_BINS) / np.maximum(counts, 1))[held]
        weight = np.sqrt(counts[held])
    best = None
    for guess in guesses:
        if best is not None and best.status > 0:
            break
        found = least_squares(
            lambda p: (_interpolation(xs, p) - bs) * (1 if weight is None else weight) / scale,
            guess,
            bounds=([-np.inf, -np.inf, -np.inf], [np.inf, np.inf, hi]),
            x_scale=[scale, max(abs(rate), 1e-9), max(abs(rate), 1e-9)],
            method="trf",
        )
        if best is None or found.cost < best.cost:
            best = found
    if weight is not None:  # polished on every point: the fit and its Jacobian there
        best = least_squares(
            lambda p: (_interpolation(x, p) - b) / scale,
            np.minimum(best.x, [np.inf, np.inf, hi]),
            jac=lambda p: _interpolation_jac(x, p) / scale,
            bounds=([-np.inf, -np.inf, -np.inf], [np.inf, np.inf, hi]),
            x_scale=[scale, max(abs(rate), 1e-9), max(abs(rate), 1e-9)],
            method="trf",
        )
    p = best.x
    if not noise:
        return p, np.full((3, 3), np.nan)
    resid = b - _interpolation(x, p)
    jac = best.jac * scale
    dof = max(b.size - 3, 1)
    tau, white = (0.0, 1.0) if white_before else noise_model(np.exp(ln_t), resid)
    try:
        bread = np.linalg.inv(jac.T @ jac)
    except np.linalg.LinAlgError:
        return p, np.full((3, 3), np.nan)
    omega_j = jac if white == 1 else white * jac + (1 - white) * _ou_solve(np.exp(ln_t), tau, jac)
    wide = float(student.ppf(norm.cdf(1.0), dof)) ** 2
    return p, wide * bread @ (jac.T @ omega_j) @ bread * (resid @ resid / dof)


def _window_slopes(
    t: np.ndarray, b: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares slopes dB/dt over index windows ``lo[k]..hi[k]-1`` and 1/sqrt(Sxx) (their
    standard error per unit noise); NaN under 3 points. Prefix sums: O(n) for all windows."""
    lo, hi = np.clip(lo, 0, t.size), np.clip(hi, 0, t.size)
    t = t - t[0]
    c = [np.concatenate([[0.0], np.cumsum(v)]) for v in (np.ones_like(t), t, b, t * t, t * b)]
    n, st, sb, stt, stb = (ci[hi] - ci[lo] for ci in c)
    with np.errstate(invalid="ignore", divide="ignore"):
        sxx = stt - st * st / n
        good = (n >= 3) & (sxx > 0)
        slope = np.where(good, (stb - st * sb / n) / sxx, np.nan)
        return slope, np.where(good, 1 / np.sqrt(sxx), np.nan)


def removal_end(time_s: np.ndarray, field_T: np.ndarray, *, source: str = "series") -> float:
    """End of the field removal (s, on the series' clock) found from the probe field alone.

    For each sample time t the mean slope over the window before it (t - d .. t) is compared with
    the one after it (t + d .. t + 2d), d = (t - t_first) / 4: a ramp's end gives a ratio of
    hundreds, a ln t relaxation at most 1.6. The slope before must stand 10 standard errors out
    of the noise, the one after counts as at least 3 of its standard errors, and the ratio must
    exceed ``RAMP_CONTRAST``; the end is then the last time whose 5-point slope is still half the
    ramp's. A magnet's slope is continuous (it relaxes from the ramp's electric field), so this is
    late by up to tau = b / (ramp slope), the relaxation's own time constant (~10 s for the
    published magnet), plus two samples. AnalysisError when there is no such kink.
    """
    order = np.argsort(time_s, kind="stable")
    t, b = np.asarray(time_s, float)[order], np.asarray(field_T, float)[order]
    ok = np.isfinite(t) & np.isfinite(b)
    t, b = t[ok], b[ok]
    refuse = (
        f"{source}: cannot find the end of the field removal in the data (no steady steep change "
        "followed by a slow ln t relaxation); give the origin (--origin, the time the applied "
        "field reached its final value) or an applied_T column"
    )
    if t.size < 12:
        raise AnalysisError(f"{refuse}; only {t.size} points")
    noise = robust_sigma(np.diff(b, 2), about=0.0) / np.sqrt(6.0)
    d = (t - t[0]) / 4
    idx = lambda x: np.searchsorted(t, x, side="left")  # noqa: E731
    before, se_before = _window_slopes(t, b, idx(t - d), idx(t) + 1)
    after, se_after = _window_slopes(t, b, idx(t + d), idx(t + 2 * d) + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.abs(before) / np.maximum(np.abs(after), 3 * noise * se_after)
    steady = np.abs(before) > 10 * noise * se_before
    # the window after must lie inside the data: one cut by the series' end holds a few last
    # samples whose slope in noise-free data is rounding (a 1700x "drop" 2e5 s in)
    inside = t + 2 * d <= t[-1]
    ratio = np.where(steady & inside & np.isfinite(ratio), ratio, 0.0)
    if not np.any(ratio > RAMP_CONTRAST):
        raise AnalysisError(
            f"{refuse}; the largest slope drop is {np.max(ratio, initial=0):.3g}x, need > "
            f"{RAMP_CONTRAST:g}x"
        )
    k = int(np.argmax(ratio))
    ramp_slope = before[k]
    seg = np.arange(idx(t[k] - d[k]), min(idx(t[k] + 2 * d[k]) + 1, t.size))
    local, _ = _window_slopes(t, b, seg - 2, seg + 3)
    steep = seg[local * np.sign(ramp_slope) >= 0.5 * abs(ramp_slope)]
    return float(t[steep[-1]] if steep.size else t[k])


STAMP_NAME = re.compile(r"time|date|stamp", re.IGNORECASE)
ZONE = re.compile(r"\d(Z|[+-]\d\d(:?\d\d)?)$")  # an ISO 8601 date-time's zone: Z, +01, +01:00


CLOCK_ONLY = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d(?:\.\d+)?))?")


class ClockOnlyWarning(UserWarning):
    """A series' times were clock readings without a date (HH:MM:SS), put on one clock as running
    forward within a day or across one midnight."""


def _clock_only(cells: list[str], lines: list[int], column: str, name: str) -> np.ndarray | None:
    """Seconds since the first row of clock-only cells ("23:59:58", "00:00:02.5"), None if they
    are not all such. Read forward within one day or across one midnight (a step back of the
    clock), the span under 24 h, said by a ``ClockOnlyWarning``; a second step back, or a series
    past its first row's time of day after one, cannot be put on one clock without the dates:
    InputFileError naming the line."""
    found = [CLOCK_ONLY.fullmatch(c) for c in cells]
    if not cells or not all(found):
        return None
    day = np.array([int(m[1]) * 3600 + int(m[2]) * 60 + float(m[3] or 0) for m in found])
    back = np.flatnonzero(np.diff(day) < 0) + 1
    fix = "give dates with the times (ISO 8601, e.g. 2026-12-05 23:59:58), or seconds (time_s)"
    if back.size > 1:
        raise InputFileError(
            f"{name}, line {lines[back[1]]}, column {column!r}: the clock ({cells[back[1]]!r}) "
            f"steps back a second time (first at line {lines[back[0]]}): times without a date "
            f"are read across one midnight at most; {fix}"
        )
    seconds = day - day[0]
    if back.size:
        seconds[back[0] :] += 86400.0
        if seconds[-1] >= 86400.0:
            raise InputFileError(
                f"{name}, line {lines[-1]}, column {column!r}: past midnight (line "
                f"{lines[back[0]]}) the clock reaches {cells[-1]!r}, at or past the first row's "
                f"{cells[0]!r}: over 24 h, and how many days passed cannot be told; {fix}"
            )
    crossed = (
        f", across midnight at line {lines[back[0]]} ({cells[back[0] - 1]!r} -> {cells[back[0]]!r})"
        if back.size
        else ", within one day"
    )
    warnings.warn(
        f"{name}, column {column!r}: times without a date ({cells[0]!r} .. {cells[-1]!r}) read "
        f"as s since the first row{crossed}, {seconds[-1]:.6g} s in all",
        ClockOnlyWarning,
        stacklevel=3,
    )
    return seconds


def _seconds(
    rows: list[list[str]], index: int, lines: list[int], column: str, name: str
) -> np.ndarray:
    """Seconds since the first row of ISO 8601 date-time cells ("2026-12-05 10:00:00.5",
    "2026-12-05T10:00:00+01:00"), or of clock readings without a date (``_clock_only``);
    InputFileError naming the line of the first that is not one, or of a clock that mixes time
    zones with none."""
    import pandas as pd

    cells = [row[index].strip() if index < len(row) else "" for row in rows]
    if (clock := _clock_only(cells, lines, column, name)) is not None:
        return clock
    zoned = [bool(ZONE.search(c)) for c in cells]
    if any(zoned) and not all(zoned):  # pandas took the ones without as UTC: silent hours off
        k = zoned.index(not zoned[0])
        raise InputFileError(
            f"{name}, line {lines[k]}, column {column!r}: {cells[k][:40]!r} "
            f"{'has a' if zoned[k] else 'has no'} time zone where line {lines[0]} "
            f"({cells[0][:40]!r}) {'has none' if zoned[k] else 'has one'}: date-times with and "
            "without a time zone cannot be put on one clock"
        )
    try:
        stamps = pd.to_datetime(pd.Series(cells), format="ISO8601", utc=True)
    except (ValueError, TypeError):
        for cell, line in zip(cells, lines, strict=True):
            try:
                pd.to_datetime(cell, format="ISO8601")
            except (ValueError, TypeError):
                raise InputFileError(
                    f"{name}, line {line}, column {column!r}: {cell[:40]!r} is not an ISO 8601 "
                    "date-time (e.g. 2026-12-05 10:00:00); a time in seconds or hours needs its "
                    "unit in the column's name (time_s, 't (h)')"
                ) from None
        raise InputFileError(
            f"{name}, column {column!r}: date-times with and without a time zone"
        ) from None
    if stamps.isna().any():
        line = lines[int(np.flatnonzero(stamps.isna().to_numpy())[0])]
        raise InputFileError(f"{name}, line {line}, column {column!r}: empty date-time")
    return (stamps - stamps.iloc[0]).dt.total_seconds().to_numpy(float)


def residual_structure(ln_t: np.ndarray, resid: np.ndarray, b_T: float) -> str:
    """Why the residuals of a ln t fit are not noise ("" if they look like it).

    Structure needs both a runs test on the residual signs (too few sign changes: z < ``RUNS_Z``)
    and a trend over ln t (means in 8 equal ln t bins) larger than ``TREND_FRACTION`` of b: the
    first alone flags harmless model detail in long series, the second alone flags noise.
    """
    signs = resid > 0
    n1, n2 = int(signs.sum()), int((~signs).sum())
    n = n1 + n2
    if n < 20 or n1 == 0 or n2 == 0:
        return ""
    runs = 1 + int(np.sum(signs[1:] != signs[:-1]))
    mu = 2.0 * n1 * n2 / n + 1
    var = (mu - 1) * (mu - 2) / (n - 1)
    z = (runs - mu) / np.sqrt(var) if var > 0 else 0.0
    edges = np.linspace(ln_t.min(), ln_t.max(), 9)
    which = np.clip(np.searchsorted(edges, ln_t, side="right") - 1, 0, 7)
    means = np.array([resid[which == j].mean() for j in range(8) if np.any(which == j)])
    centres = np.array([np.exp(ln_t[which == j].mean()) for j in range(8) if np.any(which == j)])
    worst = int(np.argmax(np.abs(means)))
    trend = abs(means[worst])
    if z >= RUNS_Z or trend <= TREND_FRACTION * abs(b_T):
        return ""
    return (
        f"the residuals are not noise about B = a - b ln t: {runs} sign runs where {mu:.0f} ± "
        f"{np.sqrt(var):.2g} were expected (z = {z:.1f}), and their mean near t = {centres[worst]:.3g} s "
        f"is {means[worst]:+.3g} T, {trend / abs(b_T):.0%} of b; the series holds more than ln t "
        "relaxation (part of the field removal, a wrong origin, a temperature drift?)"
    )


def fit_creep(
    time_s: np.ndarray,
    field_T: np.ndarray,
    *,
    applied_T: np.ndarray | None = None,
    origin_s: float | None = None,
    start_s: float | None = None,
    source: str = "",
    column: str = "",
    lines: np.ndarray | None = None,
    origin_shift_s: float | None = None,
) -> CreepFit:
    """Fit B = a - b ln t over the relaxation part of a trapped-field series.

    ``time_s``, ``field_T``: ``(n,)``, in s and T (pint quantities converted; ``origin_s`` and
    ``start_s`` also text with a unit, "1 min"). The time origin is ``origin_s`` if given, else the moment
    the ``applied_T`` series reached its final value (``probetable.ramp_end``; one at its final
    value from its first sample on holds no ramp end and is not used), else the end of the field removal found in
    the data (``removal_end``), else the clock's zero if the series relaxes as ln t from it over at
    least a decade without residual structure (``origin_from`` says which); else AnalysisError. The fit uses points with
    t = time - origin > 0 and t >= ``start_s`` (s after the origin; with the ramp in the series
    before the origin the default is 50 tau, tau = b / ramp slope, the time the relaxation takes to
    slow from the ramp's rate, which also covers a found origin's own lateness of up to tau; for an
    origin given or from applied_T only where that leaves a decade of the series; then the change
    of (a, b) fitted from 2 tau earlier is in ``cov``; the rows at t <= 0 are counted in
    ``n_before_origin``). Residual structure
    warns (``CreepResidualWarning``) and is kept in ``warnings``. ``lines``: ``(n,)`` each row's
    line in its file (``read_series(..., with_lines=True)``), so rows without a value are named
    by it. ``origin_shift_s`` (s, >= 0): how much earlier than the origin the relaxation's own
    start may lie, for a caller that found the origin itself (``compare``, with ``origin_range``):
    the change of (a, b) fitted from that much earlier is kept in ``cov``, and no default start
    is sought; 0 for an exact origin. Default: ``origin_range``'s for the origin had here.
    """
    name = source or "series"
    time_s = array_in(time_s, "s", f"{name}: time_s")
    field_T = array_in(field_T, "T", f"{name}: field_T")
    if applied_T is not None:
        applied_T = array_in(applied_T, "T", f"{name}: applied_T")
    origin_s = None if origin_s is None else in_si(origin_s, "time", f"{name}: origin_s")
    start_s = None if start_s is None else in_si(start_s, "time", f"{name}: start_s")
    if origin_shift_s is not None and not (np.isfinite(origin_shift_s) and origin_shift_s >= 0):
        raise ValidationError(
            f"{name}: origin_shift_s must be a time >= 0 s, got {origin_shift_s!r}"
        )
    shapes = [np.shape(x) for x in (time_s, field_T, applied_T) if x is not None]
    if time_s.ndim != 1 or time_s.size == 0 or len(set(shapes)) > 1:
        raise ValidationError(
            f"{name}: time_s, field_T (and applied_T) must be 1-D arrays of one length > 0, got "
            f"shapes {', '.join(map(str, shapes))}"
        )
    time_s, field_T, applied_T, dropped, gaps = without_gaps(
        time_s, field_T, applied_T, name, lines
    )
    if gaps:
        warnings.warn(gaps, MissingSamplesWarning, stacklevel=2)
    if time_s.size < 3:
        raise AnalysisError(
            f"{gaps or name}{'; ' if gaps else ': '}{time_s.size} "
            f"row{'s' * (time_s.size != 1)} remain{'s' * (time_s.size == 1)}, a creep fit needs "
            "at least 3"
        )
    back = time_goes_back(time_s, field_T, applied_T, name)
    if back:
        raise ValidationError(back)
    time_s, field_T, applied_T, repeated = _without_repeats(time_s, field_T, applied_T, name)
    shared = _shared_times(time_s, field_T, name)
    # an applied field at its final value (within its readback noise) from its first sample on
    # is the hold alone: it holds no ramp end (that first sample was taken as the origin, so a
    # hold recorded late was laid early)
    applied_end = None if applied_T is None else ramp_end(time_s, np.asarray(applied_T))
    if origin_s is not None:
        origin_from = "given"
    elif applied_end is not None and applied_end > np.min(time_s):
        origin_s, origin_from = applied_end, "applied"
    else:
        try:
            origin_s, origin_from = removal_end(time_s, field_T, source=name), "data"
        except AnalysisError as err:  # no removal in the data: maybe the clock starts at the origin
            origin_s, origin_from, no_kink = 0.0, "clock", err
            finite = field_T[np.isfinite(field_T)]
            if finite.size and finite[0] and np.ptp(finite) == 0:  # its fit's residuals: 1e-16 T
                raise AnalysisError(
                    f"{name}{f' [{column}]' if column else ''}: the field is {finite[0]:.6g} T at "
                    f"all {field_T.size} points: nothing relaxes to find the origin from (a stuck "
                    "probe or logger?); give the origin to fit it anyway"
                ) from None
    # however the origin was had, a relaxation from a ramp in the series starts at the ramp's rate,
    # a - b ln(1 + t/tau): fitted from t = 0 on, an origin from applied_T biased b by -3 sigma
    if origin_shift_s is None:
        ramp_from, origin_shift_s = origin_range(
            time_s, field_T, origin_s, origin_from, start_given=start_s is not None
        )
        if start_s is None and ramp_from > 0:
            start_s = ramp_from
    t = time_s - origin_s
    use = (t > 0) & np.isfinite(field_T)
    if start_s is not None:
        use &= t >= start_s
    if use.sum() < 3:
        raise AnalysisError(
            f"{name}: {int(use.sum())} points after t = {max(start_s or 0, 0):g} s past the origin "
            f"({origin_s:g} s; the times run {np.nanmin(time_s):.4g}..{np.nanmax(time_s):.4g} s); "
            "a creep fit needs at least 3" + (f" ({gaps})" if gaps else "")
        )
    ln_t, b = np.log(t[use]), field_T[use]
    if not np.any(b):
        raise AnalysisError(
            f"{name}{f' [{column}]' if column else ''}: the field is 0 at all {b.size} points "
            "fitted: no trapped field to fit (wrong column, or the probe was not read?)"
        )
    if np.ptp(ln_t) < 1e-6:
        raise AnalysisError(f"{name}: all points at one time; cannot fit B(t)")
    order = np.argsort(ln_t, kind="stable")
    ln_t, b = ln_t[order], b[order]
    coef, cov = np.polyfit(ln_t, b, 1, cov="unscaled")
    slope, a = coef
    resid = b - (a + slope * ln_t)
    dof = max(b.size - 2, 1)
    # polyfit's "unscaled" covariance (X'X)^-1 is for (slope, intercept); the sandwich
    # (X'X)^-1 X' Omega X (X'X)^-1 over the residuals' correlation, scaled by their variance
    x = np.column_stack([ln_t, np.ones_like(ln_t)])
    tau, white = noise_model(np.exp(ln_t), resid)
    omega_x = x if white == 1 else white * x + (1 - white) * _ou_solve(np.exp(ln_t), tau, x)
    scaled = cov @ (x.T @ omega_x) @ cov * (resid @ resid / dof)
    # the noise's scale is estimated from the residuals: a 1-sigma of Student's t with dof degrees
    # of freedom, so that it covers 68% (3, 4 and 6 points: 51%, 58% and 61% of 2000 seeds)
    from scipy.stats import norm
    from scipy.stats import t as student

    wide = float(student.ppf(norm.cdf(1.0), dof)) ** 2
    cov_ab = wide * np.array([[scaled[1, 1], -scaled[0, 1]], [-scaled[0, 1], scaled[0, 0]]])
    shift, moved = float(origin_shift_s), np.zeros(2)
    bend = shift > 0
    if bend:
        # the relaxation a - b ln(1 + t/tau) from the ramp's true end is a - b ln t from tau before
        # it, and an end found in the data is late by up to tau + 2 samples: (a, b) fitted to the
        # same points from origin_range's shift earlier, their change kept in the covariance (the
        # 1-sigma of the decay rate covered the truth in 0 of 10 logger series with the ramp,
        # 0.2-1% off; b's from 50 tau after an origin from applied_T in 63-100% of 30 seeds with
        # tau, 100% with 2 tau)
        slope_moved, a_moved = np.polyfit(np.log(np.exp(ln_t) + shift), b, 1)
        moved = np.array([a_moved - a, slope - slope_moved])
        cov_ab = cov_ab + np.outer(moved, moved)
    end_p, end_cov = np.full(3, np.nan), np.full((3, 3), np.nan)
    t_fit = np.exp(ln_t)
    # the relaxation from a ramp is a - b ln(t + tau') with tau' between tau and shift: the end's
    # fit is on ln(t + shift / 2), both ends of that range its systematic (on t alone a 6000 s
    # hold's local rate was 0.45% high, 4.6 of its 1-sigma)
    offset = shift / 2 if bend else 0.0
    if b.size >= END_MIN_POINTS and np.ptp(ln_t) > 0:
        end_p, end_cov = _end_fit(np.log(t_fit + offset), b, (a, -slope), white_before=white == 1)
        for other in (0.0, shift) if bend else ():
            moved_end = _end_fit(np.log(t_fit + other), b, (a, -slope), noise=False)[0]
            # its rate S / (t_end + other) as an S at t_end + offset
            moved_end[1] *= (t_fit[-1] + offset) / (t_fit[-1] + other)
            end_cov = end_cov + np.outer(moved_end - end_p, moved_end - end_p) / 2
    notes = [note for note in (gaps, repeated, shared) if note]
    for note in (repeated, shared):
        if note:
            warnings.warn(note, RepeatedMeasurementWarning, stacklevel=2)
    why = residual_structure(ln_t, resid, -slope)
    if origin_from == "clock" and (why or ln_t[-1] - ln_t[0] < np.log(10) or time_s.min() < 0):
        raise AnalysisError(
            f"{no_kink}; nor does the series relax as ln t from its clock's zero over a decade or more "
            f"(t = {time_s.min():.4g}..{time_s.max():.4g} s{'; ' + why if why else ''})"
        )
    if why:
        notes.append(f"{name}{f' [{column}]' if column else ''}: {why}")
        warnings.warn(notes[-1], CreepResidualWarning, stacklevel=2)
    t_end = float(t_fit[-1])
    log_rate = -slope / ((a + slope * ln_t[-1]) * t_end) * PPM_H
    end_rate = end_p[1] / (t_end + offset) * PPM_H
    end_sigma = np.sqrt(end_cov[1, 1]) / (t_end + offset) * PPM_H
    b_end = a + slope * ln_t[-1]  # ln t's own 1-sigma there, as decay_sigma_ppm_per_h
    grad = np.array([slope, a]) / (b_end**2 * t_end) * PPM_H
    log_sigma = np.sqrt(max(grad @ cov_ab @ grad, 0.0))
    off = abs(log_rate - end_rate)  # said where ln t's own 1-sigma does not cover it either
    if off > max(CURVED_SIGMAS * end_sigma, log_sigma, CURVED_FRACTION * abs(end_rate)):
        notes.append(
            f"{name}{f' [{column}]' if column else ''}: B = a - b ln t gives {log_rate:.4g} ppm/h "
            f"at the last point fitted ({t_end:.4g} s), its local decay rate there is "
            f"{value_text(end_rate, end_sigma, '.4g')} ppm/h (S = {end_p[1]:.4g}, "
            f"{(log_rate - end_rate) / end_sigma:+.1f} of its sigma; ln t's own "
            f"{log_sigma:.2g} ppm/h): the decay curves in ln t "
            f"(kappa = {end_p[2]:.3g}; 0 is the power law of E ~ J^n, -S ln t) and b averages "
            "a rate that falls over the window; the local one is the series' (end_decay_ppm_per_h)"
        )
        warnings.warn(notes[-1], CreepCurvatureWarning, stacklevel=2)
    if a * slope > 0:  # B = a - b ln t moves away from 0
        notes.append(
            f"{name}{f' [{column}]' if column else ''}: the field grows in magnitude as ln t "
            f"(b = {-slope:.3g} T against a = {a:.4g} T): no trapped field's decay (a probe in "
            "the return flux, a reversed sign, a temperature drift?); its decay rates are "
            "negative and the time to 0.1 ppm/h is that of its growth"
        )
        warnings.warn(notes[-1], FieldGrowsWarning, stacklevel=2)
    return CreepFit(
        a_T=float(a),
        b_T=float(-slope),
        cov=cov_ab,
        t_start_s=float(np.exp(ln_t[0])),
        t_end_s=float(np.exp(ln_t[-1])),
        origin_s=float(origin_s),
        n_points=int(use.sum()),
        rms_T=float(np.sqrt(np.mean(resid**2))),
        source=source,
        column=column,
        origin_from=origin_from,
        warnings=tuple(notes),
        n_before_origin=int(np.sum(t <= 0)),
        noise_tau_s=tau,
        noise_white=white,
        sigma_factor=float(np.sqrt(scaled[0, 0] / (cov[0, 0] * (resid @ resid / dof))))
        if cov[0, 0] * (resid @ resid) > 0
        else 1.0,
        origin_shift_s=float(shift),
        origin_moves_ab_T=(float(moved[0]), float(moved[1])),
        n_dropped=dropped.size,
        dropped_rows=tuple(int(i) + 1 for i in dropped[:DROPPED_SHOWN]),
        end_fit=(float(end_p[0]), float(end_p[1]), float(end_p[2])),
        end_cov=end_cov,
        end_offset_s=float(offset),
    )


NOISE_MIN_POINTS = 12  # fewer residuals say nothing about their correlation: taken as independent


def _ou_precision(dt: np.ndarray, tau: float) -> np.ndarray:
    """Upper banded (2, n) precision matrix of a unit-variance Ornstein-Uhlenbeck process sampled
    after steps ``dt`` (s) with correlation time ``tau`` (s): it is tridiagonal (Markov)."""
    phi = np.exp(-dt / tau)
    q = np.maximum(-np.expm1(-2 * dt / tau), 1e-12)  # 1 - phi^2; a repeated time is kept finite
    diag = np.ones(dt.size + 1)
    diag[1:] += 1 / q - 1
    diag[:-1] += phi**2 / q
    return np.vstack([np.concatenate([[0.0], -phi / q]), diag])


def _ou_solve(t: np.ndarray, tau: float, x: np.ndarray) -> np.ndarray:
    """R x for the OU correlation R_ij = exp(-|t_i - t_j| / tau), ``t`` ascending, O(n)."""
    from scipy.linalg import cho_solve_banded, cholesky_banded

    return cho_solve_banded((cholesky_banded(_ou_precision(np.diff(t), tau)), False), x)


def _noise_parts(
    resid: np.ndarray, dt: np.ndarray, tau: float, white: float
) -> tuple[float, float]:
    """resid' C^-1 resid and log det C for the unit-variance correlation C = white * I +
    (1 - white) * R(tau): with Q = R^-1 tridiagonal, C^-1 = M^-1 Q with M = (1 - white) I +
    white Q tridiagonal too, so everything is a banded Cholesky, O(n); (inf, 0) if singular."""
    from scipy.linalg import cho_solve_banded, cholesky_banded

    q = _ou_precision(dt, tau)
    m = white * q
    m[1] += 1 - white
    try:
        cq, cm = cholesky_banded(q), cholesky_banded(m)
    except np.linalg.LinAlgError:
        return np.inf, 0.0
    qe = q[1] * resid
    qe[:-1] += q[0, 1:] * resid[1:]
    qe[1:] += q[0, 1:] * resid[:-1]
    return resid @ cho_solve_banded((cm, False), qe), 2 * (
        np.log(cm[1]).sum() - np.log(cq[1]).sum()
    )


NOISE_WINDOW = 5000  # points: longer series get the noise model's likelihood over 4 windows
NOISE_GAIN = 1.0  # log-likelihood a correlated noise model must gain over independent noise


def noise_model(t_s: np.ndarray, resid: np.ndarray) -> tuple[float, float]:
    """Correlation time tau (s) and white fraction of residuals ``resid`` at ascending times
    ``t_s``: white noise plus an Ornstein-Uhlenbeck process, by maximum likelihood (scale profiled
    out) over a grid of tau (a tenth of the shortest step to ten times the span) and white
    fractions, then refined. Over 4 * ``NOISE_WINDOW`` points the likelihood is that of 4 windows
    spread over the series (a 6e5-point series took 46 s, now ~2 s). (0.0, 1.0), independent
    noise, under ``NOISE_MIN_POINTS`` residuals or when they are 0."""
    from scipy.optimize import minimize

    dt = np.diff(t_s)
    if resid.size < NOISE_MIN_POINTS or not np.any(dt > 0) or not resid @ resid > 0:
        return 0.0, 1.0
    lo, hi = np.log(dt[dt > 0].min() / 10), np.log((t_s[-1] - t_s[0]) * 10)
    if resid.size > 4 * NOISE_WINDOW:
        starts = np.linspace(0, resid.size - NOISE_WINDOW, 4).astype(int)
        parts = [(resid[i : i + NOISE_WINDOW], dt[i : i + NOISE_WINDOW - 1]) for i in starts]
    else:
        parts = [(resid, dt)]
    n = sum(r.size for r, _ in parts)

    def nll(p: np.ndarray) -> float:
        tau, white = np.exp(np.clip(p[0], lo, hi)), np.clip(p[1], 0, 1)
        quad, logdet = np.sum([_noise_parts(r, d, tau, white) for r, d in parts], axis=0)
        return 0.5 * n * np.log(quad / n) + 0.5 * logdet if 0 < quad < np.inf else np.inf

    grid = [(nll((lt, w)), lt, w) for lt in np.linspace(lo, hi, 16) for w in (0.0, 0.3, 0.7, 1.0)]
    best, lt, w = min(grid)
    found = minimize(nll, [lt, w], method="Nelder-Mead", options={"xatol": 1e-3, "fatol": 1e-6})
    if found.fun < best:
        best, (lt, w) = found.fun, found.x
    white = float(np.clip(w, 0, 1))
    # correlated noise only where its likelihood beats independent noise's by NOISE_GAIN (a
    # likelihood ratio of e, below which the data cannot tell them; kept low, as the correlated
    # model's 1-sigma is the wider): Nelder-Mead from the grid's white point could stop at white
    # 1 - 1e-9 for a gain of 1e-10, and a 1e-12 T change of the data then flipped the model (and
    # whether the end fit models its own residuals)
    if white == 1 or nll((lo, 1.0)) - best <= NOISE_GAIN:
        return 0.0, 1.0
    return float(np.exp(np.clip(lt, lo, hi))), white


def _without_repeats(
    time_s: np.ndarray, field_T: np.ndarray, applied_T: np.ndarray | None, name: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, str]:
    """The samples without those that repeat an earlier one in time, field and applied field,
    and a note naming them ("" if none): a logger's file pasted after itself counted each point
    twice and made every 1-sigma of the fit 0.707x."""
    columns = [time_s, field_T] if applied_T is None else [time_s, field_T, applied_T]
    if len({c.shape for c in columns}) > 1 or time_s.ndim != 1:
        return time_s, field_T, applied_T, ""  # unequal lengths: left to the checks that say so
    keep = not_repeats(columns)
    if keep.all():
        return time_s, field_T, applied_T, ""
    repeats = np.flatnonzero(~keep)
    note = (
        f"{name}: {repeats.size} of {time_s.size} samples "
        f"{'repeats' if repeats.size == 1 else 'repeat'} an earlier one in time and field "
        f"(the first at {time_s[repeats[0]]:.6g} s on the file's clock): each is counted once "
        "(rows copied twice, or the file pasted after itself?)"
    )
    applied = None if applied_T is None else np.asarray(applied_T)[keep]
    return time_s[keep], field_T[keep], applied, note


def _shared_times(time_s: np.ndarray, field_T: np.ndarray, name: str) -> str:
    """A note when samples share a time with others but read a different field ("" if none): two
    probes or runs interleaved in one column, or a clock coarser than the sampling. They were
    fitted as separate readings without a word (two probes 0.2 T apart alternating on one clock:
    their mean fitted, the residual rms 0.1 T, no warning)."""
    t, inverse, counts = np.unique(time_s, return_inverse=True, return_counts=True)
    if not np.any(counts > 1):
        return ""
    spread = np.zeros(t.size)
    np.maximum.at(spread, inverse, field_T)
    low = np.full(t.size, np.inf)
    np.minimum.at(low, inverse, field_T)
    spread -= low
    shared = np.flatnonzero(counts > 1)
    worst = shared[int(np.argmax(spread[shared]))]
    first = shared[0]
    return (
        f"{name}: {int(counts[shared].sum())} of {time_s.size} samples share their time with "
        f"another that reads a different field ({shared.size} times, the first {t[first]:.6g} s "
        f"on the file's clock; readings at one time differ by up to {spread[worst]:.3g} T, at "
        f"{t[worst]:.6g} s): two probes or runs interleaved in one column, or a clock coarser "
        "than the sampling? Each is fitted as its own reading"
    )


def default_start(time_s: np.ndarray, field_T: np.ndarray, origin_s: float) -> float:
    """50 tau after a found origin (``relaxation_tau``): there a - b ln t is within 2% of b of the
    relaxation a - b ln(1 + t/tau) that starts at the ramp's rate, and the origin's lateness (up
    to tau) shifts ln t by under 2%."""
    return START_TAUS * relaxation_tau(time_s, field_T, origin_s)


def ramp_start(time_s: np.ndarray, field_T: np.ndarray, origin_s: float) -> float:
    """``default_start`` after an exact origin (given, or from applied_T), s; 0 where it leaves
    under a decade of the series after the origin (a probe that stood still through the ramp has
    no ramp's rate to relax from: tau ~ 1e16 s)."""
    start = default_start(time_s, field_T, origin_s)
    return start if start <= (np.max(time_s) - origin_s) / 10 else 0.0


def origin_range(
    time_s: np.ndarray,
    field_T: np.ndarray,
    origin_s: float,
    origin_from: str,
    *,
    start_given: bool = False,
) -> tuple[float, float]:
    """The default fit start (s after the origin; 0: every point after it) and the origin's range
    (s): how much earlier than ``origin_s`` (on the clock of ``time_s``, ``field_T``: ``(n,)``) the
    relaxation's own start may lie, for an origin had as ``origin_from`` says (``fit_creep``'s:
    given, applied, data, clock). A relaxation from the ramp's rate is a - b ln(1 + t/tau), i.e.
    a - b ln t from tau before the ramp's end: found in the data (``removal_end``, up to tau + 2
    samples late), the start is 50 tau and the range 2 tau + 2 samples; an exact origin (given,
    or from applied_T) with the ramp in the series before it, 50 tau where that leaves a decade
    (``ramp_start``) and 2 tau, without the probe's ramp tau from the relaxation's own bend
    (``bend_tau``; the start then at most a tenth of the series), unless the start is given
    (``start_given``: the user's choice); the clock's zero, neither. ``fit_creep`` keeps (a, b)'s change over the range in ``cov``;
    ``compare`` takes both from here for its measured series."""
    if origin_from == "clock":
        return 0.0, 0.0
    if origin_from == "data":
        tau = relaxation_tau(time_s, field_T, origin_s)
        spacing = (
            float(np.median(np.diff(np.unique(time_s)))) if np.unique(time_s).size > 1 else 0.0
        )
        return START_TAUS * tau, 2 * tau + 2 * spacing
    if start_given:
        return 0.0, 0.0
    if relaxation_tau(time_s, field_T, origin_s) > 0:  # the probe's ramp is in the series
        start = ramp_start(time_s, field_T, origin_s)
        return start, 2 * start / START_TAUS
    # the probe's ramp is not in the series: tau from its bend, the start at 50 tau, or where a
    # decade of the series is left (fitted from t = 0, b was 4% low for tau = 10 s)
    tau = bend_tau(time_s - origin_s, field_T)
    return min(START_TAUS * tau, (np.max(time_s) - origin_s) / 10), 2 * tau


def bend_tau(t_s: np.ndarray, field_T: np.ndarray) -> float:
    """tau (s) of a relaxation ``field_T`` at ``t_s`` (``(n,)``, s since an exact origin; t <= 0
    left out) that bends from the ramp's rate, for a series without the ramp before the origin
    to give tau = b / ramp slope (``relaxation_tau``): ln |B| quadratic in ln(t + tau) by least
    squares, tau from a hundredth of the first time to a tenth of the last (ln t creep,
    a - b ln(1 + t/tau), and the power law of E ~ J^n, B0 (1 + t/tau)^(-S), are both that to
    1e-5 of B, so the power law's own curvature is not read as a bend); 0 unless it fits better
    than tau = 0 by ``BEND_SIGMAS`` of the residuals' noise (their sum of squares down by over
    ``BEND_SIGMAS``^2 of their variance), or the field changes sign. Fitted from t = 0 on, such
    a series' b had been 1.3% and 3.4% low for tau = 3 and 10 s (a logger at 1 s, 6000 s hold),
    3 of its 1-sigma."""
    from scipy.optimize import minimize_scalar

    ok = (np.asarray(t_s) > 0) & np.isfinite(field_T)
    t, b = np.asarray(t_s, float)[ok], np.asarray(field_T, float)[ok]
    order = np.argsort(t, kind="stable")  # in time: the residuals' correlation is next to next
    t, b = t[order], b[order]
    if t.size < 8 or np.ptp(t) <= 0 or not (np.all(b > 0) or np.all(b < 0)):
        return 0.0
    if t.size > 4 * END_BINS:  # a week at 1 Hz: the bend is in the first decades, all kept
        keep = log_time_thinned(t, 4 * END_BINS)
        t, b = t[keep], b[keep]
    y = np.log(np.abs(b))
    y = y - y.mean()

    def fit(tau: float) -> tuple[float, np.ndarray]:  # the quadratic's sum of squares, O(n)
        x = np.log(t + tau)
        x = (x - x.mean()) / max(np.ptp(x), 1e-300)
        basis = np.column_stack([x, x * x - np.mean(x * x), np.ones_like(x)])
        coef = np.linalg.solve(basis.T @ basis, basis.T @ y)
        r = y - basis @ coef
        return float(r @ r), r

    def rss(tau: float) -> float:
        return fit(tau)[0]

    lo, hi = np.log(t.min() / 100), np.log(t.max() / 10)
    if hi <= lo:
        return 0.0
    grid = np.linspace(lo, hi, 24)
    k = int(np.argmin([rss(np.exp(g)) for g in grid]))
    found = minimize_scalar(
        lambda g: rss(np.exp(g)),
        bounds=(grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)]),
        method="bounded",
    )
    best = min((found.fun, float(found.x)), (rss(np.exp(grid[k])), float(grid[k])))
    # the noise's variance, times (1 + rho) / (1 - rho) for residuals correlated from one sample
    # to the next by rho (as an AR(1) process's mean is): correlated noise alone had put a bend
    # of 0.2-1 s in 8 of 40 series
    r = fit(np.exp(best[1]))[1]
    rho = float(np.clip((r[1:] @ r[:-1]) / (r @ r), 0.0, 0.99)) if r @ r > 0 else 0.0
    noise = best[0] / (t.size - 4) * (1 + rho) / (1 - rho)
    return float(np.exp(best[1])) if rss(0.0) - best[0] > BEND_SIGMAS**2 * noise else 0.0


def relaxation_tau(time_s: np.ndarray, field_T: np.ndarray, origin_s: float) -> float:
    """tau = b / |ramp slope| (s) at a found origin, b from a fit of the last half in ln t, the
    slope from the samples before the origin; 0 when there are too few of either."""
    t = time_s - origin_s
    ok = (t > 0) & np.isfinite(field_T)
    if ok.sum() < 6:
        return 0.0
    before = (
        (time_s <= origin_s)
        & (time_s >= origin_s - max(t[ok].max(), 1.0) / 20)
        & np.isfinite(field_T)
    )
    if before.sum() < 3:
        return 0.0
    ln_t = np.log(t[ok])
    late = ln_t >= np.median(ln_t)
    b = -np.polyfit(ln_t[late], field_T[ok][late], 1)[0]
    ramp = abs(np.polyfit(time_s[before], field_T[before], 1)[0])
    return float(abs(b) / ramp) if ramp > 0 else 0.0


def _nan_as_empty(rows: list[list[str]], index: int) -> list[list[str]]:
    """``rows`` with a NaN cell ("nan", "NaN", as numpy and LabVIEW write a missing reading) at
    ``index`` made empty: a gap, as an empty cell is (it had been refused while an empty one was
    left out). "inf" stays a value, refused."""

    def nan(text: str) -> bool:
        return text.strip().lower().lstrip("+-") == "nan"

    if not any(index < len(r) and nan(r[index]) for r in rows):
        return rows
    return [
        [*r[:index], "", *r[index + 1 :]] if index < len(r) and nan(r[index]) else r for r in rows
    ]


SERIES = "trapped-field series"  # what read_series names its file in errors


def read_series(
    path_or_bytes: str | Path | bytes,
    *,
    column: str | None = None,
    filename: str | None = None,
    exclude: tuple[str, ...] = (),
    gaps: bool = False,
    with_lines: bool = False,
) -> tuple:
    """Read a trapped-field series CSV: time (s), field (T), applied field (T) or None, field column.

    Columns are found by their units (``time_s``, ``t (h)``, ``center_Bz_T``, ``B (mT)``); a field
    column whose name starts with "applied" (``applied_T`` as ``fluxtrap simulate`` writes it,
    ``Applied field (mT)``) is the applied field. Without a time unit, a column named like
    ``timestamp``, ``date`` or ``time`` of ISO 8601 date-times (a logger's clock) gives the time
    in s since its first row. With several field
    columns ``column`` says which one; the columns in ``exclude`` (a noise column) are not.
    With ``gaps`` an empty or NaN field or applied-field cell (a logger's missing reading) is
    NaN, else an error. A time beyond ``MAX_CLOCK_S`` is refused, naming its line. With
    ``with_lines`` a fifth item: each row's line in the file, ``(n,)`` int (for ``fit_creep``'s
    and ``compare``'s ``lines``: a gap is then named by its line, as a refused cell is).
    """
    if isinstance(path_or_bytes, bytes):
        name = filename or "<bytes>"
        check_size(path_or_bytes, name, SERIES)
        text = decode(path_or_bytes, name)
    else:
        path = Path(path_or_bytes)
        name = filename or str(path)
        text = decode(read_limited(path, SERIES), name)
    numbered = [
        (i + 1, ln)
        for i, ln in enumerate(text.splitlines())
        if ln.strip() and not ln.startswith("#")
    ]
    cut = unterminated_row(text)
    if cut is not None and len(numbered) > 1 and numbered[-1][0] == cut:  # a data row
        numbered.pop()  # cut while written or copied: its last number may be cut short
        warnings.warn(TruncatedFileWarning(f"{name}: {unterminated_note(cut)}"), stacklevel=2)
    if len(numbered) < 2:
        raise InputFileError(f"{name}: expected a header row and data rows")
    head_no, head = numbered[0]
    if head.strip().strip(",\t").strip() == "[Header]":
        raise InputFileError(
            f"{name}: a Quantum Design .dat magnetometer file (it starts with [Header]), not a "
            "field series; give a CSV with a time and a field column (time_s, B_T), or read "
            "the magnetometer file with fluxtrap jc or tc"
        )
    delimiter = max(",\t;", key=head.count)
    names = [c.strip() for c in split_rows([head], [head_no], delimiter, name)[0]]
    where = f"{name}, line {head_no}"
    check_names(names, where)
    units, header = header_units(numbered, names, delimiter, name)
    unit_in = dict(zip(names, units, strict=True)).get  # a name's unit, or its units row's

    def dim(col: str) -> str | None:
        unit = unit_in(col)
        for qty, probe in (("time", "time"), ("field", "field")):
            try:
                si_factor(probe, unit or "", where)
                return qty
            except InputFileError:
                continue
        return None

    times = [c for c in names if dim(c) == "time"]
    # a logger's date-time column (no unit) counts when no column holds seconds or hours
    stamps = [c for c in names if unit_in(c) is None and STAMP_NAME.search(c)]
    times = times or stamps[:1]
    applied_names = [c for c in names if c.lower().startswith("applied") and dim(c) == "field"]
    fields = [
        c for c in names if dim(c) == "field" and c not in (*applied_names, *exclude)
    ]  # fmt: skip
    if not times:
        raise InputFileError(
            f"{where}: no time column (name it with its unit, e.g. time_s or 't (h)', or give "
            "ISO 8601 date-times in a column named like 'timestamp')"
        )
    if column is not None:
        if column not in names:
            raise InputFileError(f"{where}: no column {column!r}; columns: {', '.join(names)}")
        if column in times:  # it would be read as a time: B(t) = t
            raise InputFileError(
                f"{where}: column {column!r} is a time column; give a field column "
                f"({', '.join(fields) or 'named with its unit, e.g. B_T'})"
            )
        if unit_in(column) is None:  # it had said "unit '' is not a field unit"
            raise InputFileError(
                f"{where}: column {column!r} has no unit in its name; "
                + name_the_unit(column, "field")
            )
        fields = [column]
    if not fields:
        raise InputFileError(
            f"{where}: no field column (name it with its unit, e.g. B_T or 'B (mT)')"
        )
    if len(fields) > 1:
        raise InputFileError(
            f"{where}: several field columns ({', '.join(fields)}); choose one with --column"
        )

    # only the columns read are kept as text: memory follows them, not the file's width
    applied_name = applied_names[0] if applied_names else None
    read = {names.index(c) for c in (times[0], fields[0], applied_name) if c in names}
    lines = [n for n, _ in numbered[1 + header :]]
    data = [ln for _, ln in numbered[1 + header :]]
    order = sorted(read)

    def required(c: str) -> bool:
        return not (gaps and c in (fields[0], applied_name))

    # a plain series (numbers in every cell read) at once; else line by line, naming its cells
    block = None if times[0] in stamps else numeric_block(data, delimiter, len(names), order)
    if block is not None and any(
        required(names[i]) and np.isnan(block[k]).any() for k, i in enumerate(order)
    ):
        block = None
    rows: list[list[str]] = []
    if block is None:
        rows = split_rows(data, lines, delimiter, name, keep=read)
        for n, row in zip(lines, rows, strict=True):
            check_cells(row, name, n, len(names))

    def col(c: str) -> np.ndarray:
        if c in stamps:
            return _seconds(rows, names.index(c), lines, c, name)
        qty = "time" if c == times[0] else "field"
        factor = si_factor(qty, unit_in(c) or "", f"{where}, column {c!r}")
        if qty == "field":
            factor *= MU0  # H (A/m) -> mu0 H (T)
        if block is not None:
            return factor * block[order.index(names.index(c))]
        i = names.index(c)
        cells = rows if required(c) else _nan_as_empty(rows, i)
        return factor * numeric_column(cells, i, lines, c, name, required(c))

    applied = col(applied_name) if applied_name else None
    field = col(fields[0])
    for c, b in ((fields[0], field), (applied_name, applied)):
        if b is not None:
            check_values({"field": b / MU0}, {"field": c}, lines, name)
    time = col(times[0])
    far = np.flatnonzero(np.abs(time) > MAX_CLOCK_S)
    if far.size:  # 1e300 s, or epoch ms labelled s: no logger's clock
        k = int(far[0])
        raise InputFileError(
            f"{name}, line {lines[k]}, column {times[0]!r}: {time[k]:.4g} s is beyond "
            f"{MAX_CLOCK_S:g} s, more than any logger's clock reads ({far.size} of {time.size} "
            "rows): is the column in ms or us but labelled s?"
        )
    columns = [time, field] if applied is None else [time, field, applied]
    known = np.flatnonzero(np.isfinite(time) & not_repeats(columns))  # a file pasted twice: fine
    back = np.flatnonzero(np.diff(time[known]) < 0)
    if back.size:  # a clock reset or two files joined: sorting would interleave two runs
        i, j = known[back[0]], known[back[0] + 1]
        raise InputFileError(
            f"{name}, line {lines[j]}: time goes back, from {time[i]:g} s (line {lines[i]}) to "
            f"{time[j]:g} s ({back.size} such step(s)); a series runs forward in time: was the "
            "logger's clock reset, or are two series joined? Split the file or sort its rows"
        )
    if with_lines:
        return time, field, applied, fields[0], np.asarray(lines, int)
    return time, field, applied, fields[0]
