"""``JcCurve``: critical current density against field, the value the optimizer and simulator use."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pint

from fluxtrap.errors import InputFileError, ValidationError
from fluxtrap.jctable import JcTable, jc_csv_text, read_jc_columns
from fluxtrap.units import A_CM2, array_in, estimate_text, parse


def _field_T(value: Any) -> np.ndarray:
    """``value`` as B in T (floats, any shape): text or a pint quantity with its unit is
    converted ("3 T" was numpy's "could not convert string to float"); one that is not a field,
    or a single NaN or infinite one (it gave NaN, or the end value), is a ValidationError."""
    where = f"Jc(B) asked at {value!r}"
    if isinstance(value, str) or isinstance(value, pint.Quantity) and np.ndim(value.m) == 0:
        return np.asarray(parse(value, "magnetic_flux_density", "Jc(B) field"))
    try:
        b = np.asarray(value.m_as("T") if isinstance(value, pint.Quantity) else value, float)
    except (TypeError, ValueError, pint.DimensionalityError):
        raise ValidationError(
            f"{where}: not a field (B in T: a number, an array, or text such as '3 T')"
        ) from None
    if b.ndim == 0 and not np.isfinite(b):
        raise ValidationError(f"{where}: a field is a finite number of T")
    return b


@dataclass(frozen=True, eq=False)
class JcCurve:
    """Jc(B): ``jc_A_m2`` (A/m^2, > 0) at ``field_T`` (B = mu0*H in T, increasing, >= 0), ``(n,)``;
    pint quantities (``Q_(jc, "A/cm^2")``) are converted to these units, a field in Oe, kOe or
    A/m (H, as magnetometers report it) read as mu0 H (1 Oe -> 1e-4 T).

    ``unpenetrated`` ``(n,)`` flags points where the extended Bean model does not hold (the
    sample is not fully penetrated: the low-field remanent peak, and just after the turning
    field); they are kept, not smoothed. ``temperature_K`` is the measurement temperature,
    ``source`` the file it came from, ``method`` and ``settings`` how it was derived;
    ``jc_err_A_m2`` ``(n,)`` the 1-sigma uncertainty of Jc (A/m^2, NaN where unknown).

    ``at(B)`` interpolates linearly in B and logarithmically in Jc; Jc is even in B (|B| is
    used); outside the measured range it holds the end values (``extrapolate="hold"``) or
    raises (``extrapolate="raise"``).
    """

    field_T: np.ndarray
    jc_A_m2: np.ndarray
    temperature_K: float | None = None
    unpenetrated: np.ndarray | None = None
    source: str = ""
    method: str = ""
    settings: Mapping[str, Any] = field(default_factory=dict)
    jc_err_A_m2: np.ndarray | None = None

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "field_T", array_in(self.field_T, "T", "JcCurve field_T", h_field=True)
        )
        object.__setattr__(self, "jc_A_m2", array_in(self.jc_A_m2, "A/m^2", "JcCurve jc_A_m2"))
        if self.jc_err_A_m2 is not None:
            object.__setattr__(
                self, "jc_err_A_m2", array_in(self.jc_err_A_m2, "A/m^2", "JcCurve jc_err_A_m2")
            )
        try:
            table = JcTable(self.field_T, self.jc_A_m2)
        except ValidationError as err:
            raise ValidationError(f"JcCurve: {err}") from None
        b = table.field_T
        if b.size < 2:
            raise ValidationError(f"JcCurve needs at least 2 points, got {b.size}")
        flags = (
            np.zeros(b.size, bool)
            if self.unpenetrated is None
            else np.asarray(self.unpenetrated, bool).ravel()
        )
        if flags.shape != b.shape:
            raise ValidationError(
                f"JcCurve: unpenetrated has {flags.size} entries for {b.size} points"
            )
        err = (
            np.full(b.size, np.nan)
            if self.jc_err_A_m2 is None
            else np.asarray(self.jc_err_A_m2, float).ravel()
        )
        if err.shape != b.shape or np.any(err < 0):
            raise ValidationError(
                f"JcCurve: jc_err_A_m2 needs {b.size} values >= 0 (or NaN), got {err.size}"
            )
        for arr in (flags, err):
            arr.setflags(write=False)
        object.__setattr__(self, "_table", table)
        object.__setattr__(self, "jc_err_A_m2", err)
        object.__setattr__(self, "field_T", b)
        object.__setattr__(self, "jc_A_m2", table.jc_A_m2)
        object.__setattr__(self, "unpenetrated", flags)
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))

    @classmethod
    def from_function(
        cls, jc: Callable[[np.ndarray], np.ndarray], field_T: Any, **kwargs: Any
    ) -> JcCurve:
        """Tabulate a callable ``jc(B_T) -> A/m^2`` (vectorised) at the fields ``field_T`` (T, or a
        pint quantity: converted as the constructor's)."""
        b = array_in(field_T, "T", "JcCurve.from_function field_T", h_field=True)
        return cls(field_T=b, jc_A_m2=np.asarray(jc(b), dtype=float), **kwargs)

    def at(self, field_T: Any, *, extrapolate: str = "hold") -> Any:
        """Jc in A/m^2 at ``field_T`` (T, scalar or array of any shape, or with its unit: "3 T",
        a pint quantity; |B| is used); a single NaN or infinite field is refused (an array's NaN
        entries give NaN, as numpy's)."""
        b = np.abs(_field_T(field_T))
        if extrapolate not in ("hold", "raise"):
            raise ValueError(f"extrapolate must be 'hold' or 'raise', got {extrapolate!r}")
        if extrapolate == "raise":
            lo, hi = self.field_T[0], self.field_T[-1]
            bad = (b < lo - 1e-12) | (b > hi + 1e-12)
            if np.any(bad):
                raise ValidationError(
                    f"Jc(B) asked at {b[bad].ravel()[0]:.4g} T, outside the measured {lo:.4g}..{hi:.4g} T"
                )
        out = self._table.at(b)
        return float(out) if out.ndim == 0 else out

    __call__ = at

    def err_at(self, field_T: Any) -> Any:
        """1-sigma of :meth:`at` (A/m^2) at ``field_T`` (T, a scalar or an array of any shape, as
        for :meth:`at`; an array's NaN entries give NaN): the two neighbouring points' errors
        interpolated linearly, as for fully correlated points (the loop width on the union of
        both branches' fields interpolates each branch between its readings, so neighbours share
        readings; taken as independent, ``loops.interp_sigma``, the 1-sigma between them was
        1.6x too small over 40 loops whose branches' fields interleaved 20 mT apart, 1.25x at
        3 T on the real CoCp2 file's field history); NaN where the curve has none.

        Outside the curve's fields, where :meth:`at` holds the end value, the curve's change over
        the same distance inside its end is added in quadrature: Jc(7 T) of a 7 T loop (whose
        width closes at the turning field) is the last point's, 6.95 T, 0.66 % above the truth
        for a 0.035 % 1-sigma (20 sigma). That change is taken at most as large as the held
        value (held 3 T past a curve ending at 2 T it had read 47x the value).

        Between two of its fields the error of the log-linear interpolation is added
        (``_interpolation_error``; a bias, high where ln Jc is convex, so not in quadrature): a loop swept in 0.5 T steps read Jc(3.3 T) of a Kim
        curve 0.9 % high for a 0.1 % 1-sigma (0 of 30 loops within 1 sigma)."""
        b = np.abs(_field_T(field_T))
        if b.ndim == 0:
            return self._err_at(float(b))
        return np.array([self._err_at(x) if np.isfinite(x) else np.nan for x in b.flat]).reshape(
            b.shape
        )

    def _err_at(self, b: float) -> float:
        """:meth:`err_at` at one finite field ``b`` >= 0 (T)."""
        err = float(np.interp(b, self.field_T, self.jc_err_A_m2))
        lo, hi = float(self.field_T[0]), float(self.field_T[-1])
        end = hi if b > hi else lo if b < lo else b
        inside = float(np.clip(2 * end - b, lo, hi))  # as far inside the end as b lies outside
        held = self.at(end)
        err += self._interpolation_error(end)  # a bias, high for a convex ln Jc
        return float(np.hypot(err, min(abs(held - self.at(inside)), held)))

    def _interpolation_error(self, b: float) -> float:
        """Error (A/m^2) of :meth:`at` at ``b`` (T, inside the curve's fields) from interpolating
        ln Jc linearly between the neighbouring fields B_i < b < B_i+1: (b - B_i)(B_i+1 - b) / 2
        times |(ln Jc)''|, the larger of the second divided differences over the triples of
        points that hold the interval (0 at a measured field and with only two points)."""
        x, g = self.field_T, np.log(self.jc_A_m2)
        i = int(np.searchsorted(x, b, side="right")) - 1
        if i < 0 or i >= x.size - 1 or b == x[i]:
            return 0.0
        curvatures = [
            2
            * (
                (g[k + 2] - g[k + 1]) / (x[k + 2] - x[k + 1])
                - (g[k + 1] - g[k]) / (x[k + 1] - x[k])
            )
            / (x[k + 2] - x[k])
            for k in (i - 1, i)
            if k >= 0 and k + 2 < x.size
        ]
        if not curvatures:
            return 0.0
        return float(self.at(b) * (b - x[i]) * (x[i + 1] - b) / 2 * max(map(abs, curvatures)))

    @property
    def jc_A_cm2(self) -> np.ndarray:
        """Jc in A/cm^2 (the unit tables and papers use), ``(n,)``."""
        return self.jc_A_m2 / A_CM2

    @property
    def valid(self) -> np.ndarray:
        """Points where the sample was fully penetrated (not flagged), ``(n,)`` bool."""
        return ~self.unpenetrated

    @property
    def jc_err_A_cm2(self) -> np.ndarray:
        """1-sigma of Jc in A/cm^2 (NaN where unknown), ``(n,)``."""
        return self.jc_err_A_m2 / A_CM2

    def to_frame(self):  # -> pandas.DataFrame
        """The curve as a pandas DataFrame, one row a field: ``B_T``, ``Jc_A_m2``,
        ``Jc_err_A_m2`` (1-sigma, NaN where unknown) and ``unpenetrated`` (bool)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "B_T": self.field_T,
                "Jc_A_m2": self.jc_A_m2,
                "Jc_err_A_m2": self.jc_err_A_m2,
                "unpenetrated": self.unpenetrated,
            }
        )

    def to_columns(self) -> dict[str, list[float]]:
        """``{column: list}`` for the store (``from_columns`` reads it back)."""
        columns = {
            "B_T": self.field_T.tolist(),
            "Jc_A_m2": self.jc_A_m2.tolist(),
            "unpenetrated": self.unpenetrated.astype(float).tolist(),
        }
        if np.isfinite(self.jc_err_A_m2).any():
            columns["Jc_err_A_m2"] = [
                float(v) if np.isfinite(v) else None for v in self.jc_err_A_m2
            ]
        return columns

    @classmethod
    def from_columns(cls, columns: Mapping[str, Any], **kwargs: Any) -> JcCurve:
        """Inverse of ``to_columns``; also accepts ``Jc_A_cm2`` instead of ``Jc_A_m2``."""
        if "B_T" not in columns or not ({"Jc_A_m2", "Jc_A_cm2"} & set(columns)):
            raise ValidationError(
                f"Jc curve columns need B_T and Jc_A_m2 (or Jc_A_cm2), got {sorted(columns)}"
            )
        jc = (
            np.asarray(columns["Jc_A_m2"], float)
            if "Jc_A_m2" in columns
            else np.asarray(columns["Jc_A_cm2"], float) * A_CM2
        )
        flags = columns.get("unpenetrated")
        err = columns.get("Jc_err_A_m2")
        return cls(
            field_T=np.asarray(columns["B_T"], float),
            jc_A_m2=jc,
            unpenetrated=None if flags is None else np.asarray(flags, float) > 0.5,
            jc_err_A_m2=None if err is None else np.array(err, dtype=float),
            **kwargs,
        )

    def to_csv(self, path_or_buffer: str | Path | io.TextIOBase) -> None:
        """Write the design's Jc table: ``B_T,Jc_A_cm2`` first (what ``jc.csv`` cases read), then
        ``Jc_err_A_cm2`` (1 sigma, empty where unknown) and ``unpenetrated`` (1 = not fully
        penetrated: the simulator's reader leaves those rows out)."""
        text = jc_csv_text(self.field_T, self.jc_A_m2, self.jc_err_A_m2, self.unpenetrated)
        if isinstance(path_or_buffer, str | Path):
            Path(path_or_buffer).write_text(text, encoding="utf-8")
        else:
            path_or_buffer.write(text)

    @classmethod
    def from_csv(cls, path: str | Path, **kwargs: Any) -> JcCurve:
        """Read a ``B_T,Jc_A_cm2[,Jc_err_A_cm2][,unpenetrated]`` table (``fluxtrap jc --out``)."""
        path = Path(path)
        columns = read_jc_columns(path)
        kwargs.setdefault("source", path.name)
        try:
            return cls(
                field_T=columns["B_T"],
                jc_A_m2=columns["Jc_A_m2"],
                jc_err_A_m2=columns.get("Jc_err_A_m2"),
                unpenetrated=columns.get("unpenetrated"),
                **kwargs,
            )
        except ValidationError as err:
            raise InputFileError(f"{path}: {err}") from None

    def plot(self, ax: Any = None, *, label: str | None = None, color: str | None = None) -> Any:
        """Jc (A/cm^2, log scale) against B (T) with its 1-sigma band where known; unpenetrated
        points drawn hollow. Returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(4.5, 3.4), constrained_layout=True)
        if label is None:
            t = f"{self.temperature_K:.3g} K" if self.temperature_K is not None else ""
            label = ", ".join(x for x in (self.source, t) if x) or "Jc(B)"
        labels = ax.get_legend_handles_labels()[1]  # curves drawn before on these axes
        ok = self.valid
        err = self.jc_err_A_cm2[ok]
        banded = bool(np.isfinite(err).any())
        if banded:  # the band named once, with its line (not once per curve on shared axes)
            label = f"{label} (band ± 1 sigma)"
        every = max(1, int(ok.sum()) // 40)  # markers stay legible on dense curves
        (line,) = ax.semilogy(
            self.field_T[ok],
            self.jc_A_cm2[ok],
            "o-",
            ms=3,
            lw=1.2,
            markevery=every,
            color=color,
            label=label,
        )
        if banded:
            ax.fill_between(
                self.field_T[ok],
                *log_band(self.jc_A_cm2[ok], err),
                color=line.get_color(),
                alpha=0.25,
                lw=0,
            )
        if (~ok).any():
            ax.semilogy(
                self.field_T[~ok],
                self.jc_A_cm2[~ok],
                "o",
                ms=3.5,
                mfc="none",
                color=line.get_color(),
                label=None if "not fully penetrated" in labels else "not fully penetrated",
            )
        ax.set_xlabel(r"$\mu_0 H$ (T)")
        ax.set_ylabel(r"$J_c$ (A cm$^{-2}$)")
        ax.set_xlim(left=0)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(frameon=False, fontsize="small")
        return ax

    def __repr__(self) -> str:
        known = self.temperature_K is not None and math.isfinite(self.temperature_K)
        t = f" at {self.temperature_K:.4g} K" if known else ""  # NaN: a file without temperatures
        flagged = int(self.unpenetrated.sum())
        mid = self.at(3.0) / A_CM2 if self.field_T[0] <= 3.0 <= self.field_T[-1] else math.nan
        err = self.err_at(3.0) / A_CM2 if math.isfinite(mid) else math.nan  # NaN: none known
        shown = estimate_text(mid, err) if math.isfinite(err) and err > 0 else f"{mid:.3g}"
        at3 = f", Jc(3 T) = {shown} A/cm^2" if math.isfinite(mid) else ""
        return (
            f"<JcCurve{t}: {self.field_T.size} points, {self.field_T[0]:.3g}..{self.field_T[-1]:.3g} T, "
            f"Jc {self.jc_A_cm2.min():.3g}..{self.jc_A_cm2.max():.3g} A/cm^2{at3}"
            f"{f', {flagged} flagged not fully penetrated' if flagged else ''}"
            f"{f', from {self.source}' if self.source else ''}>"
        )


def log_band(value: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper edges of ``value`` ± ``sigma`` drawn on a log axis, the lower cut at 1 %
    of the value (a band reaching 0 would run off the axis); the Jc figures' band."""
    return np.maximum(value - sigma, value / 100), value + sigma


def kim(jc0_A_m2: float, b0_T: float) -> Callable[[np.ndarray], np.ndarray]:
    """Kim model Jc(B) = Jc0 / (1 + |B| / B0) as a vectorised callable (A/m^2 from T)."""
    if not (jc0_A_m2 > 0 and b0_T > 0):
        raise ValidationError(f"Kim model needs jc0 > 0 and b0 > 0, got {jc0_A_m2!r}, {b0_T!r}")

    def jc(field_T: np.ndarray) -> np.ndarray:
        return jc0_A_m2 / (1.0 + np.abs(np.asarray(field_T, dtype=float)) / b0_T)

    return jc
