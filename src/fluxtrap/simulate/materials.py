"""Materials of a stack: superconductors with a power-law E(J) and Jc(B[, T]), normal conductors.

Jc models (all vectorised, ``at(B_T) -> A/m^2``, B in T, |B| is used):

- ``TableJc``: measured points (a ``jctable.JcTable``, as in a magnetometry ``JcCurve``),
  interpolated linearly in B and in log Jc (measured curves fall over decades), held constant
  beyond the first and last points;
- ``KimJc``: Jc0 / (1 + |B| / B0);
- ``ConstantJc``;
- ``CurveJc``: wraps any object with a vectorised ``.at(B_T) -> A/m^2`` (e.g. a
  ``fluxtrap.magnetometry.JcCurve``), so measured curves feed the simulator directly.

A CSV file (columns ``B_T, Jc_A_cm2``, as ``fluxtrap jc`` writes) is read into a ``TableJc`` by the
reader the magnetometry uses too (:mod:`fluxtrap.jctable`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from fluxtrap import jctable
from fluxtrap.errors import InputFileError, UnitError, ValidationError
from fluxtrap.jctable import JcTable
from fluxtrap.simulate.thermal_spec import (
    MAX_TC_K,
    TemperatureTable,
    ThermalMaterial,
    check_material_thermal,
    kelvin,
)
from fluxtrap.units import A_CM2


@runtime_checkable
class JcLike(Protocol):
    """Anything with a vectorised ``at(B_T) -> Jc in A/m^2``."""

    def at(self, field_T: Any) -> Any: ...


def _fmt(values: Sequence[float], most: int = 8) -> str:
    """``[v, ...]`` to 4 digits; more than ``most`` values: the first and last three, and how
    many (a 100 000-point table's repr was 1.8 MB)."""

    def text(part: Sequence[float]) -> str:
        return ", ".join(f"{v:.4g}" for v in part)

    if len(values) <= most:
        return f"[{text(values)}]"
    return f"[{text(values[:3])}, ..., {text(values[-3:])}] ({len(values)} values)"


# Measured bulk exponents lie between ~5 and ~100; above a few hundred the power law is a step
# that a Newton solve on E(J) cannot follow (a critical-state solver would be needed).
N_MAX = 500.0
# the criterion E0 (V/m): usually 1e-4 V/m (1 uV/cm); beyond 1 V/m, or below 1e-12 V/m, it is a
# unit mistake (1e300 V/m reached Newton as an overflow)
E0_RANGE = (1e-12, 1.0)
# the normal-state resistivity (ohm*m): pure metals at 4 K ~1e-11, K-Ba122 near Tc ~1e-6, YBCO
# ~1e-5; beyond, a unit mistake (1e300 stalled Newton at t = 27 ms of a pulse)
NORMAL_RESISTIVITY_RANGE = (1e-12, 1e-2)
# a normal conductor's resistivity (ohm*m) at most: a spacer's metal is 1e-11 .. 1e-6; an
# insulator written as 1e6 ohm*m crawled (a 5 mm disk's 7 s ramp reached 3.4 s in 100 s of wall
# time; 1e12 stopped Newton at 0.7 ms), while 1e-2 .. 1e2 ran alike in 68-75 steps, the probe
# within 1e-4 T (its eddy currents are gone within a microsecond)
MAX_RESISTIVITY = NORMAL_RESISTIVITY_RANGE[1]
# Jc(T) ~ (1 - (T/Tc)^2)^exponent: measured exponents are ~1-3; past 100 the factor underflows
# to zero at the reference temperature (1e6: a ZeroDivisionError in the run)
TEMPERATURE_EXPONENT_MAX = 100.0
# Jc (A/m^2) given in a table, a Kim jc0 or a constant: 1e-4 .. 1e9 A/cm^2; beyond, a unit
# mistake: below, the power law overflowed Newton at t = 0 (1e-6 A/m^2: "Newton did not
# converge"), above, past any superconductor's depairing current (~3e12 A/m^2)
JC_RANGE = (1.0, 1e13)
# Inside JC_RANGE but past what a bulk carries (A/m^2): a largest Jc below 100 A/cm^2
# (jctable.JC_BULK_MIN) or above 1e7 A/cm^2 (the best bulks reach ~1e6 A/cm^2 at
# 4 K, films ~1e7) runs, with a CaseWarning: A/cm^2 and A/m^2 swapped are 1e4 apart (a table
# of 2e4 written as A/m^2 trapped 0.1 mT with no word)
JC_PLAUSIBLE = (jctable.JC_BULK_MIN, 1e11)
# Jc falls as the temperature rises (a jc.temperature scaling's exponent must be > 0): a
# jc.tables table whose Jc rises over the table below it, at a field both measured, runs with a
# CaseWarning (scatter); past this ratio it is refused (the temperatures or columns mixed up)
JC_RISE_REFUSED = 2.0


# why a Jc of 0 (or below) is refused, in a jc.table and a jc.csv alike
NO_ZERO_JC = (
    "the power law E = E0 (J/Jc)^n needs Jc > 0, and a table holds its last Jc beyond its last "
    "field; for no pinning above the irreversibility field give a small Jc there (at least "
    "1e-4 A/cm^2), which the log-linear interpolation falls to"
)


def _check_tc(tc_K: float, key: str) -> None:
    """Refuse (``ValidationError``) a Tc above ``MAX_TC_K``: no superconductor has one, and Jc
    would then hardly fall with T (jc.tc = "1e6 K" ran, the tables' last Jc held to 1e6 K)."""
    if tc_K > MAX_TC_K:
        raise ValidationError(
            f"{key} = {tc_K:g} K: above {MAX_TC_K:g} K, past the Tc of every known superconductor "
            "at ambient pressure (K-Ba122 ~38 K, MgB2 39 K, YBCO 92 K); a unit mistake?"
        )


def _check_jc(values: Any, what: str) -> None:
    """Refuse (``ValidationError``) Jc values (A/m^2) outside ``JC_RANGE``, naming ``what``."""
    v = np.asarray(values, float)
    lo, hi = JC_RANGE
    bad = v[(v < lo) | (v > hi)]
    if bad.size:
        raise ValidationError(
            f"{what}: Jc {bad[0]:.3g} A/m^2 ({bad[0] * 1e-4:.3g} A/cm^2) is outside {lo:g} .. "
            f"{hi:g} A/m^2 ({lo * 1e-4:g} .. {hi * 1e-4:g} A/cm^2); a unit mistake?"
        )


@dataclass(frozen=True)
class TableJc:
    """Jc at measured fields: ``field_T`` (k,) in T, increasing; ``jc_A_m2`` (k,) in A/m^2 > 0
    (a Jc of 0 is refused, ``NO_ZERO_JC``)."""

    field_T: tuple[float, ...]
    jc_A_m2: tuple[float, ...]
    source: str = ""

    def __post_init__(self) -> None:
        try:  # not a dataclass field: the case's identity (to_si_dict) stays the two tuples
            object.__setattr__(self, "_table", JcTable(self.field_T, self.jc_A_m2))
        except ValidationError as err:
            where = f" ({self.source})" if self.source else ""
            why = f": {NO_ZERO_JC}" if "every Jc must be > 0" in str(err) else ""
            raise ValidationError(f"jc.table{where}: {err}{why}") from None
        _check_jc(self.jc_A_m2, f"jc.table ({self.source})" if self.source else "jc.table")
        # ``jctable.log_interp``'s table, its log taken once (Newton reads Jc(B) per iteration)
        table = self._table
        object.__setattr__(self, "_log", (table.field_T, np.log(table.jc_A_m2)))

    def at(self, field_T: Any) -> np.ndarray:
        """Jc in A/m^2 at ``|field_T|``; log-linear interpolation, constant outside the table
        (``jctable.log_interp``, the same numbers)."""
        return np.exp(np.interp(np.abs(np.asarray(field_T, float)), *self._log))

    def to_dict(self) -> dict[str, Any]:
        if self.source:
            return {"csv": self.source}
        return {
            "table": {
                "field": list(self.field_T),
                "field_unit": "T",
                "jc": list(self.jc_A_m2),
                "jc_unit": "A/m^2",
            }
        }

    def __repr__(self) -> str:
        return f"TableJc(field_T={_fmt(self.field_T)}, jc_A_m2={_fmt(self.jc_A_m2)})"


@dataclass(frozen=True)
class KimJc:
    """Kim model Jc0 / (1 + |B|/B0): ``jc0_A_m2`` in A/m^2, ``b0_T`` in T."""

    jc0_A_m2: float
    b0_T: float

    def __post_init__(self) -> None:
        if not (0 < self.jc0_A_m2 < np.inf and 0 < self.b0_T < np.inf):
            raise ValidationError(
                f"jc.kim: jc0 and b0 must be finite and > 0, got {self.jc0_A_m2}, {self.b0_T}"
            )
        _check_jc(self.jc0_A_m2, "jc.kim.jc0")

    def at(self, field_T: Any) -> np.ndarray:
        return self.jc0_A_m2 / (1.0 + np.abs(np.asarray(field_T, float)) / self.b0_T)

    def to_dict(self) -> dict[str, Any]:
        return {"kim": {"jc0": f"{self.jc0_A_m2!r} A/m^2", "b0": f"{self.b0_T!r} T"}}


@dataclass(frozen=True)
class ConstantJc:
    """A field-independent Jc in A/m^2."""

    jc_A_m2: float

    def __post_init__(self) -> None:
        if not 0 < self.jc_A_m2 < np.inf:
            raise ValidationError(f"jc.constant must be finite and > 0, got {self.jc_A_m2} A/m^2")
        _check_jc(self.jc_A_m2, "jc.constant")

    def at(self, field_T: Any) -> np.ndarray:
        return np.full(np.shape(field_T), self.jc_A_m2, dtype=float)

    def to_dict(self) -> dict[str, Any]:
        return {"constant": f"{self.jc_A_m2!r} A/m^2"}


@dataclass(frozen=True)
class CurveJc:
    """Wraps a Jc(B)-curve object (``.at(B_T) -> A/m^2``) given in Python; ``name`` for display."""

    curve: Any
    name: str = "curve"

    def __post_init__(self) -> None:
        if not isinstance(self.curve, JcLike):
            raise ValidationError(f"jc: {type(self.curve).__name__} has no .at(B_T) method")

    def at(self, field_T: Any) -> np.ndarray:
        b = np.asarray(field_T, float)
        return np.broadcast_to(np.asarray(self.curve.at(np.abs(b)), float), b.shape)

    def to_dict(self) -> dict[str, Any]:
        """As a table sampled at 0..10 T (a curve object has no TOML form of its own)."""
        b = np.linspace(0.0, 10.0, 41)
        return TableJc(tuple(b), tuple(float(x) for x in self.at(b))).to_dict()


def _pchip_slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The slopes dy/dx at the knots ``x`` (k,) of scipy's ``PchipInterpolator`` (Fritsch-
    Carlson: weighted harmonic means inside, shape-preserving three-point ends), for ``y``
    (k, m) at once; scipy's own object cost 1.7 ms a call, half of a heated run's wall time, as
    Newton asks Jc(B, T) at new fields every iteration."""
    h = np.diff(x)[:, None]  # (k - 1, 1)
    m = np.diff(y, axis=0) / h  # (k - 1, m)
    if len(x) == 2:
        return np.concatenate([m, m])
    d = np.zeros_like(y)
    w1, w2 = 2 * h[1:] + h[:-1], h[1:] + 2 * h[:-1]
    same = (np.sign(m[1:]) * np.sign(m[:-1])) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = (w1 + w2) / (w1 / m[:-1] + w2 / m[1:])
    d[1:-1] = np.where(same, inner, 0.0)
    for end, (h0, h1, m0, m1) in (
        (0, (h[0], h[1], m[0], m[1])),
        (-1, (h[-1], h[-2], m[-1], m[-2])),
    ):
        e = ((2 * h0 + h1) * m0 - h0 * m1) / (h0 + h1)
        e = np.where(np.sign(e) != np.sign(m0), 0.0, e)
        d[end] = np.where((np.sign(m0) != np.sign(m1)) & (np.abs(e) > 3 * np.abs(m0)), 3 * m0, e)
    return d


def _pchip_pieces(x: np.ndarray, y: np.ndarray, i: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The PCHIP through knots ``x`` (k,) of values ``y`` (k, m), column j read at ``at[j]``
    on the piece ``i[j]`` (x[i] <= at <= x[i + 1])."""
    d = _pchip_slopes(x, y)
    cols = np.arange(y.shape[1])
    h = x[i + 1] - x[i]
    s = (at - x[i]) / h
    y0, y1, d0, d1 = y[i, cols], y[i + 1, cols], d[i, cols] * h, d[i + 1, cols] * h
    s1 = 1 - s
    return s1 * s1 * (y0 * (1 + 2 * s) + d0 * s) + s * s * (y1 * (3 - 2 * s) - d1 * s1)


@dataclass(frozen=True)
class TemperatureTablesJc:
    """Jc(B) tables measured at several temperatures: ``temperatures_K`` (k,) increasing,
    ``tables`` (k,) ``TableJc``, ``tc_K`` above the last.

    At each field (each table log-linear in B), log Jc is interpolated in x = -ln(1 - T/Tc): a
    monotone cubic (PCHIP) through the tables, which is a straight line between two tables, so
    Jc = Jc(T_i) ((Tc - T)/(Tc - T_i))^a between them; a power law (1 - T/Tc)^a is matched
    exactly, (1 - (T/Tc)^2)^1.5 and exp(-T/T0) within a few % at 4 tables over 5-30 K. (Log Jc
    linear in T read 8-12 % low between 20 and 30 K of (1 - (T/Tc)^2)^1.5, 33 % at 5/15/25/35 K,
    as ln Jc falls ever faster towards Tc.) Below the first temperature the first table holds;
    from the last to Tc Jc falls as ((Tc - T)/(Tc - T_last))^a, a the PCHIP's slope there
    (``tail_exponent``; at least 1: never slower than linearly, as with a single table)."""

    temperatures_K: tuple[float, ...]
    tables: tuple[TableJc, ...]
    tc_K: float

    def __post_init__(self) -> None:
        kelvin(self.tc_K, "jc.tc_K")  # a str "38" had raised a bare TypeError, inf passed
        _check_tc(self.tc_K, "jc.tc")
        t = self.temperatures_K
        if not t or len(t) != len(self.tables):
            raise ValidationError("jc.tables: give at least one table, each with its temperature")
        if t[0] <= 0 or any(b <= a for a, b in zip(t, t[1:], strict=False)):
            raise ValidationError(
                f"jc.tables: temperatures must be > 0 K and increasing, got {_fmt(t)} K"
            )
        if not self.tc_K > t[-1]:
            raise ValidationError(
                f"jc.tc = {self.tc_K:g} K must be above the last table's temperature {t[-1]:g} K"
            )
        rise = self.largest_rise()
        if rise and rise[0] > JC_RISE_REFUSED:
            raise ValidationError(rise[1])

    def largest_rise(self) -> tuple[float, str] | None:
        """The largest ratio of a table's Jc over the Jc of the table one temperature below,
        at the fields either measured within both tables' ranges, and what to say of it; None
        where Jc falls or holds as the temperature rises."""
        worst = None
        for i, (lo, hi) in enumerate(zip(self.tables, self.tables[1:], strict=False)):
            b = np.union1d(lo.field_T, hi.field_T)
            b = b[
                (b >= max(lo.field_T[0], hi.field_T[0]))
                & (b <= min(lo.field_T[-1], hi.field_T[-1]))
            ]
            if not b.size:
                continue
            ratio = hi.at(b) / lo.at(b)
            k = int(np.argmax(ratio))
            if ratio[k] > max(1.0, worst[0] if worst else 1.0):
                said = (
                    f"jc.tables[{i + 1}]: Jc at {b[k]:g} T is {hi.at(b[k]) / A_CM2:.4g} A/cm^2 at "
                    f"{self.temperatures_K[i + 1]:g} K, {ratio[k]:.3g}x the "
                    f"{lo.at(b[k]) / A_CM2:.4g} A/cm^2 of jc.tables[{i}] at "
                    f"{self.temperatures_K[i]:g} K: Jc falls as the temperature rises; are the "
                    "tables' temperatures, or their field and jc, mixed up? (a rise over "
                    f"{JC_RISE_REFUSED:g}x is refused)"
                )
                worst = (float(ratio[k]), said)
        return worst

    def at(self, field_T: Any) -> np.ndarray:
        """Jc (A/m^2) at the lowest table temperature (the reference)."""
        return self.tables[0].at(field_T)

    def tail_exponent(self, logs: np.ndarray) -> np.ndarray:
        """The exponent a of Jc ~ (Tc - T)^a from the last table to Tc, per field (``logs``
        (k, m) the tables' ln Jc): minus the PCHIP's slope in x at the last table (so ln Jc
        goes on smoothly; with two tables their power law), at least 1 (1 with one table).
        The last two tables' power law alone was 21 % high at 32 K on (1 - (T/Tc)^2)^1.5
        tabulated at 5, 15, 25 K (its exponent there 1.05; the slope's 1.30: 0.5 %)."""
        if len(self.tables) == 1:
            return np.ones(logs.shape[1:])
        x = -np.log1p(-np.asarray(self.temperatures_K) / self.tc_K)
        return np.maximum(-_pchip_slopes(x, logs)[-1], 1.0)

    def at_temperature(self, field_T: Any, temperature_K: Any) -> np.ndarray:
        """Jc (A/m^2) at fields ``field_T`` and temperatures ``temperature_K`` (broadcast)."""
        b, temp = np.broadcast_arrays(np.asarray(field_T, float), np.asarray(temperature_K, float))
        shape, k = b.shape, len(self.tables)
        b, temp = b.ravel(), temp.ravel()
        b = np.abs(b)
        logs = np.array([np.interp(b, *table._log) for table in self.tables])  # (k, m): ln Jc
        x_t = -np.log1p(-np.asarray(self.temperatures_K) / self.tc_K)  # (k,) increasing
        x = -np.log1p(-np.clip(temp, self.temperatures_K[0], self.temperatures_K[-1]) / self.tc_K)
        if k == 1:
            log_jc = logs[0]
        else:  # PCHIP in x per field, its cubic on each point's own piece
            i = np.clip(np.searchsorted(x_t, x, side="right") - 1, 0, k - 2)
            log_jc = _pchip_pieces(x_t, logs, i, x)
        last = self.temperatures_K[-1]
        jc = np.exp(log_jc)
        if (hot := temp > last).any():
            fall = np.clip((self.tc_K - temp[hot]) / (self.tc_K - last), 0.0, 1.0)
            jc[hot] *= fall ** self.tail_exponent(logs[:, hot])
        return jc.reshape(shape)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tc": f"{self.tc_K!r} K",
            "tables": [
                # a table read from a file keeps its file, as jc.csv does ({"csv": path})
                {"temperature": f"{temp!r} K", **table.to_dict().get("table", table.to_dict())}
                for temp, table in zip(self.temperatures_K, self.tables, strict=True)
            ],
        }


JcModel = TableJc | KimJc | ConstantJc | CurveJc | TemperatureTablesJc


def largest_jc(jc: JcModel) -> float:
    """The largest Jc (A/m^2) a model gives: a table's (every temperature's), Kim's jc0, the
    constant; a curve object's at 0 T."""
    if isinstance(jc, TemperatureTablesJc):
        return max(max(t.jc_A_m2) for t in jc.tables)
    if isinstance(jc, TableJc):
        return max(jc.jc_A_m2)
    if isinstance(jc, KimJc):
        return jc.jc0_A_m2
    return float(np.max(jc.at(np.zeros(1))))


def as_jc_model(obj: Any) -> JcModel:
    """A Jc model from ``obj``: a model as is; a tabulated curve (``field_T``, ``jc_A_m2`` arrays,
    like ``fluxtrap.magnetometry.JcCurve``) as the same ``TableJc``; any other object with
    ``.at(B_T)`` wrapped in ``CurveJc``."""
    if isinstance(obj, TableJc | KimJc | ConstantJc | CurveJc | TemperatureTablesJc):
        return obj
    if hasattr(obj, "field_T") and hasattr(obj, "jc_A_m2"):
        return TableJc(
            tuple(float(b) for b in np.ravel(obj.field_T)),
            tuple(float(j) for j in np.ravel(obj.jc_A_m2)),
        )
    if isinstance(obj, JcLike):
        return CurveJc(obj, name=type(obj).__name__)
    raise ValidationError(f"jc: {type(obj).__name__} is not a Jc model and has no .at(B_T) method")


def read_jc_csv(path: str | Path) -> TableJc:
    """Read a ``B_T, Jc_A_cm2`` CSV (as ``fluxtrap jc`` writes) into a ``TableJc`` in A/m^2.

    Negative-field rows are folded onto |B| and duplicates averaged (a loop gives both branches);
    rows flagged ``unpenetrated`` = 1 are left out (``fluxtrap jc``: the sample was not fully
    penetrated, the extended Bean value is too low there). Below the first valid field Jc(0) is
    then extrapolated log-linearly from the first five valid rows (never below the first valid
    value); above the last one the table holds it. A row with Jc of 0 or below, or not finite,
    is refused as in a ``jc.table`` (``NO_ZERO_JC``; it was left out and the Jc before it held
    beyond: Jc = 0 above the irreversibility field became the last measured Jc).
    """
    p = Path(path)
    columns = jctable.read_jc_columns(p)
    b, j = columns["B_T"], columns["Jc_A_m2"]
    flagged = columns.get("unpenetrated", np.zeros(b.size, bool))
    bad = ~(np.isfinite(b) & np.isfinite(j) & (j > 0)) & ~flagged
    if bad.any():
        k = int(np.argmax(bad))
        raise InputFileError(
            f"{p}, line {columns['line'][k]}: Jc_A_cm2 = {j[k] / A_CM2:g} at B_T = {b[k]:g}: every "
            f"Jc must be > 0 and finite: {NO_ZERO_JC}"
        )
    keep = ~flagged
    field_T, where = np.unique(np.abs(b[keep]), return_inverse=True)
    if not field_T.size:
        raise InputFileError(
            f"{p}: no rows with a positive Jc_A_cm2 (and not flagged unpenetrated)"
        )
    jc_A_m2 = np.bincount(where, weights=j[keep]) / np.bincount(where)
    if flagged.any() and field_T[0] > 0 and field_T.size >= 2:
        head = slice(0, 5)
        slope = min(np.polyfit(field_T[head], np.log(jc_A_m2[head]), 1)[0], 0.0)
        field_T = np.r_[0.0, field_T]
        jc_A_m2 = np.r_[jc_A_m2[0] * np.exp(-slope * field_T[1]), jc_A_m2]
    return TableJc(tuple(field_T.tolist()), tuple(jc_A_m2.tolist()), source=str(p))


@dataclass(frozen=True)
class TemperatureScaling:
    """Jc(B, T) = Jc(B, at) s(T)/s(at), s(T) = (1 - (T/Tc)^2)^exponent; temperatures in K."""

    at_K: float
    tc_K: float
    exponent: float = 1.5

    def __post_init__(self) -> None:
        kelvin(self.at_K, "jc.temperature.at_K")  # a str "38" had raised a bare TypeError
        kelvin(self.tc_K, "jc.temperature.tc_K")
        _check_tc(self.tc_K, "jc.temperature.tc")
        if not 0 < self.at_K < self.tc_K:
            raise ValidationError(
                f"jc.temperature: need 0 < at < tc, got at={self.at_K} K, tc={self.tc_K} K"
            )
        if not 0 < self.exponent <= TEMPERATURE_EXPONENT_MAX:
            raise ValidationError(
                f"jc.temperature.exponent: must be > 0 and at most {TEMPERATURE_EXPONENT_MAX:g}, "
                f"got {self.exponent:g}"
            )

    def factor(self, temperature_K: float | np.ndarray) -> float | np.ndarray:
        """s(T)/s(at) at one temperature or per element (array, K); zero at and above Tc."""
        s = lambda t: max(1.0 - (t / self.tc_K) ** 2, 0.0) ** self.exponent  # noqa: E731
        if np.ndim(temperature_K):
            t = np.maximum(1.0 - (np.asarray(temperature_K) / self.tc_K) ** 2, 0.0)
            return t**self.exponent / s(self.at_K)
        return s(temperature_K) / s(self.at_K)

    def to_dict(self) -> dict[str, Any]:
        return {"at": f"{self.at_K!r} K", "tc": f"{self.tc_K!r} K", "exponent": self.exponent}


@dataclass(frozen=True)
class Superconductor:
    """Power law E = e0 (|J|/Jc(B,T))^n sign(J): ``e0_V_m`` in V/m, ``jc`` a Jc model.
    ``normal_resistivity_ohm_m`` (ohm*m): a normal-state channel beside the superconducting one,
    sharing E (J = Jc (E/e0)^(1/n) + E/rho_n), which carries it alone at and past Tc."""

    name: str
    n: float
    e0_V_m: float
    jc: JcModel
    temperature: TemperatureScaling | None = None
    thermal: ThermalMaterial | None = None
    n_table: TemperatureTable | None = None  # n(T); ``n`` is then its first value
    normal_resistivity_ohm_m: float | None = None

    def __post_init__(self) -> None:
        check_material_thermal(self.thermal, self.name)
        object.__setattr__(self, "jc", as_jc_model(self.jc))
        rho, (lo, hi) = self.normal_resistivity_ohm_m, NORMAL_RESISTIVITY_RANGE
        if rho is not None and not lo <= rho <= hi:
            raise UnitError(
                f"materials.{self.name}.normal_resistivity = {rho:g} ohm*m: must be in "
                f"[{lo:g}, {hi:g}] ohm*m (K-Ba122 near Tc about 1e-6 ohm*m: 0.1 mOhm*cm)"
            )
        if self.n_table:
            object.__setattr__(self, "n", self.n_table.values[0])
            for i, v in enumerate(self.n_table.values):
                if not 1 < v <= N_MAX:
                    raise ValidationError(
                        f"materials.{self.name}.n.value[{i}] = {v}: the power-law exponent must be "
                        f"in (1, {N_MAX:g}]"
                    )
        if self.temperature and isinstance(self.jc, TemperatureTablesJc):
            raise ValidationError(
                f"materials.{self.name}.jc: tables at several temperatures already give Jc(B, T); "
                "leave out jc.temperature"
            )
        if not 1 < self.n <= N_MAX:
            raise ValidationError(
                f"materials.{self.name}.n = {self.n}: the power-law exponent must be in (1, {N_MAX:g}]"
            )
        lo, hi = E0_RANGE
        if not lo <= self.e0_V_m <= hi:
            raise UnitError(
                f"materials.{self.name}.e0 = {self.e0_V_m:g} V/m: the criterion field at Jc must "
                f"be in [{lo:g}, {hi:g}] V/m (usually 1e-4 V/m, i.e. 1 uV/cm)"
            )

    def jc_at(self, field_T: np.ndarray, temperature_K: float) -> np.ndarray:
        """Jc in A/m^2 at fields ``field_T`` (any shape, T) and ``temperature_K`` (a number, or
        an array of the fields' shape)."""
        if isinstance(self.jc, TemperatureTablesJc):
            return self.jc.at_temperature(field_T, temperature_K)
        jc = self.jc.at(field_T)
        return jc * self.temperature.factor(temperature_K) if self.temperature else jc

    @property
    def tc_K(self) -> float | None:
        """Tc (K) from the temperature scaling or the temperature tables, None if neither."""
        if isinstance(self.jc, TemperatureTablesJc):
            return self.jc.tc_K
        return self.temperature.tc_K if self.temperature else None

    @property
    def feels_temperature(self) -> bool:
        """True when Jc (a Tc from scaling or tables) or n (a table over T) depends on T."""
        return bool(self.tc_K or self.n_table)

    def exponent(self, temperature_K: Any) -> Any:
        """n at ``temperature_K`` (a number or an array, K)."""
        return self.n_table.at(temperature_K) if self.n_table else self.n

    def to_dict(self) -> dict[str, Any]:
        jc = self.jc.to_dict()
        if self.temperature:
            jc["temperature"] = self.temperature.to_dict()
        n = self.n_table.to_value("") if self.n_table else self.n
        out = {"n": n, "e0": f"{self.e0_V_m!r} V/m", "jc": jc}
        if self.normal_resistivity_ohm_m is not None:
            out["normal_resistivity"] = f"{self.normal_resistivity_ohm_m!r} ohm*m"
        return out | (self.thermal.to_dict() if self.thermal else {})


@dataclass(frozen=True)
class NormalConductor:
    """An ohmic conductor (spacer, holder): ``resistivity_ohm_m`` in ohm*m."""

    name: str
    resistivity_ohm_m: float
    thermal: ThermalMaterial | None = None

    def __post_init__(self) -> None:
        check_material_thermal(self.thermal, self.name)
        if not self.resistivity_ohm_m > 0:
            raise UnitError(
                f"materials.{self.name}.resistivity: must be > 0 ohm*m, got {self.resistivity_ohm_m}"
            )
        if self.resistivity_ohm_m > MAX_RESISTIVITY:
            raise UnitError(
                f"materials.{self.name}.resistivity = {self.resistivity_ohm_m:g} ohm*m: at most "
                f"{MAX_RESISTIVITY:g} ohm*m (the metals of a stack: 1e-11 .. 1e-6 ohm*m); a layer "
                f"of {MAX_RESISTIVITY:g} ohm*m already carries next to no current (its eddy "
                "currents decay in mu0 r^2 / rho, 0.03 us at r = 15 mm), and beyond it the time "
                "steps crawl; for an insulating spacer give "
                f"{MAX_RESISTIVITY:g} ohm*m, or leave it out of the stack (air)"
            )

    def to_dict(self) -> dict[str, Any]:
        out = {"resistivity": f"{self.resistivity_ohm_m!r} ohm*m"}
        return out | (self.thermal.to_dict() if self.thermal else {})


Material = Superconductor | NormalConductor
