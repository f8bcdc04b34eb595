"""Flux creep of a trapped field: B(t) = a - b ln t, creep rate S, decay in ppm/h, extrapolation.

t is the time since the applied field reached its final value (zero after a field-cooled
magnetization), in s. Over the relaxation part the trapped field follows B(t) = a - b ln t
(a in T, b in T per e-fold of time); then

    S(t) = -d ln B / d ln t = b / B(t)
    decay rate (ppm/h) = -dB/dt / B * 3600 * 1e6 = b / (B(t) t) * 3600 * 1e6

The fit is linear least squares in ln t; uncertainties come from its covariance (scaled by the
residual variance) and are propagated to extrapolated fields and rates to first order.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fluxtrap.errors import AnalysisError, InputFileError
from fluxtrap.magnetometry.readers._columns import decode, numeric_column, si_factor, unit_of

PPM_H = 3600 * 1e6  # (1/s) -> ppm/h


@dataclass(frozen=True, eq=False)
class CreepFit:
    """B(t) = a_T - b_T ln(t / 1 s) fitted over ``t_start_s..t_end_s`` (time since ``origin_s``).

    ``cov`` is the 2x2 covariance of (a, b) in T^2; ``rms_T`` the residual rms; ``n_points`` used.
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

    def time_to_reach_ppm_per_h(self, ppm_per_h: float) -> float:
        """First time (s) after which the decay rate stays below ``ppm_per_h`` (solved numerically)."""
        from scipy.optimize import brentq

        f = lambda ln_t: self.decay_ppm_per_h(np.exp(ln_t)) - ppm_per_h  # noqa: E731
        # the rate falls until ln t = a/b - 1 (its minimum), then rises as B(t) -> 0
        lo, hi = np.log(max(self.t_start_s, 1e-3)), self.a_T / self.b_T - 1.0
        if f(lo) <= 0:
            return float(np.exp(lo))
        if hi <= lo or f(hi) > 0:
            raise AnalysisError(f"the fitted decay rate never falls below {ppm_per_h:g} ppm/h")
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
        }

    def __repr__(self) -> str:
        sa, sb = np.sqrt(np.diag(self.cov))
        return (
            f"<CreepFit {self.column or 'B'}(t) = ({self.a_T:.6g} ± {sa:.2g}) - ({self.b_T:.4g} ± {sb:.2g}) ln t "
            f"[T, t in s], {self.n_points} points over {self.t_start_s:.3g}..{self.t_end_s:.3g} s, "
            f"S(t0) = {self.rate(self.t_start_s):.4g}>"
        )


def relaxation_origin(
    time_s: np.ndarray, applied_T: np.ndarray, tolerance_T: float = 1e-6
) -> float:
    """Time at which the applied field reached its final value and stayed there (s)."""
    off = np.abs(applied_T - applied_T[-1]) > tolerance_T
    if not off.any():
        return float(time_s[0])
    return float(time_s[np.nonzero(off)[0][-1] + 1])


def fit_creep(
    time_s: np.ndarray,
    field_T: np.ndarray,
    *,
    applied_T: np.ndarray | None = None,
    origin_s: float | None = None,
    start_s: float | None = None,
    source: str = "",
    column: str = "",
) -> CreepFit:
    """Fit B = a - b ln t over the relaxation part of a trapped-field series.

    ``time_s``, ``field_T``: ``(n,)``. The time origin is ``origin_s`` if given, else the moment
    the ``applied_T`` series reached its final value, else 0 (the file's own clock). The fit uses
    points with t = time - origin > 0 and t >= ``start_s`` (s after the origin).
    """
    time_s = np.asarray(time_s, float)
    field_T = np.asarray(field_T, float)
    if origin_s is None:
        origin_s = (
            relaxation_origin(time_s, np.asarray(applied_T, float))
            if applied_T is not None
            else 0.0
        )
    t = time_s - origin_s
    use = (t > 0) & np.isfinite(field_T)
    if start_s is not None:
        use &= t >= start_s
    if use.sum() < 3:
        raise AnalysisError(
            f"{source or 'series'}: {int(use.sum())} points after t = {max(start_s or 0, 0):g} s past the origin "
            f"({origin_s:g} s); a creep fit needs at least 3"
        )
    ln_t, b = np.log(t[use]), field_T[use]
    if np.ptp(ln_t) < 1e-6:
        raise AnalysisError(f"{source or 'series'}: all points at one time; cannot fit B(t)")
    coef, cov = np.polyfit(ln_t, b, 1, cov="unscaled")
    slope, a = coef
    resid = b - (a + slope * ln_t)
    dof = max(b.size - 2, 1)
    # polyfit's "unscaled" covariance is for (slope, intercept); scale by the residual variance
    scaled = cov * (resid @ resid / dof)
    cov_ab = np.array([[scaled[1, 1], -scaled[0, 1]], [-scaled[0, 1], scaled[0, 0]]])
    return CreepFit(
        a_T=float(a),
        b_T=float(-slope),
        cov=cov_ab,
        t_start_s=float(t[use].min()),
        t_end_s=float(t[use].max()),
        origin_s=float(origin_s),
        n_points=int(use.sum()),
        rms_T=float(np.sqrt(np.mean(resid**2))),
        source=source,
        column=column,
    )


def read_series(
    path_or_bytes: str | Path | bytes, *, column: str | None = None, filename: str | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, str]:
    """Read a trapped-field series CSV: time (s), field (T), applied field (T) or None, field column.

    Columns are found by their units (``time_s``, ``t (h)``, ``center_Bz_T``, ``B (mT)``); a column
    named ``applied_T`` (as ``fluxtrap simulate`` writes) is the applied field. With several field
    columns ``column`` says which one.
    """
    if isinstance(path_or_bytes, bytes):
        text, name = decode(path_or_bytes), filename or "<bytes>"
    else:
        path = Path(path_or_bytes)
        name = filename or str(path)
        try:
            text = decode(path.read_bytes())
        except FileNotFoundError:
            raise InputFileError(f"{path}: no such file") from None
    numbered = [
        (i + 1, ln)
        for i, ln in enumerate(text.splitlines())
        if ln.strip() and not ln.startswith("#")
    ]
    if len(numbered) < 2:
        raise InputFileError(f"{name}: expected a header row and data rows")
    head_no, head = numbered[0]
    delimiter = max(",\t;", key=head.count)
    names = [c.strip() for c in next(csv.reader([head], delimiter=delimiter))]
    rows = list(
        csv.reader(io.StringIO("\n".join(ln for _, ln in numbered[1:])), delimiter=delimiter)
    )
    lines = [n for n, _ in numbered[1:]]
    where = f"{name}, line {head_no}"

    def dim(col: str) -> str | None:
        unit = unit_of(col)
        for qty, probe in (("time", "time"), ("field", "field")):
            try:
                si_factor(probe, unit or "", where)
                return qty
            except InputFileError:
                continue
        return None

    times = [c for c in names if dim(c) == "time"]
    fields = [c for c in names if dim(c) == "field" and c != "applied_T"]
    if not times:
        raise InputFileError(
            f"{where}: no time column (name it with its unit, e.g. time_s or 't (h)')"
        )
    if column is not None:
        if column not in names:
            raise InputFileError(f"{where}: no column {column!r}; columns: {', '.join(names)}")
        fields = [column]
    if not fields:
        raise InputFileError(
            f"{where}: no field column (name it with its unit, e.g. B_T or 'B (mT)')"
        )
    if len(fields) > 1:
        raise InputFileError(
            f"{where}: several field columns ({', '.join(fields)}); choose one with --column"
        )

    def col(c: str, required: bool = True) -> np.ndarray:
        qty = "time" if c == times[0] else "field"
        factor = si_factor(qty, unit_of(c) or "", f"{where}, column {c!r}")
        if qty == "field":
            factor *= 4e-7 * np.pi  # H (A/m) -> mu0 H (T)
        return factor * numeric_column(rows, names.index(c), lines, c, name, required)

    applied = col("applied_T") if "applied_T" in names else None
    return col(times[0]), col(fields[0]), applied, fields[0]
