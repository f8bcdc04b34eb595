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

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from fluxtrap import jctable
from fluxtrap.errors import InputFileError, UnitError, ValidationError
from fluxtrap.jctable import JcTable


@runtime_checkable
class JcLike(Protocol):
    """Anything with a vectorised ``at(B_T) -> Jc in A/m^2``."""

    def at(self, field_T: Any) -> Any: ...


def _fmt(values: tuple[float, ...]) -> str:
    return "[" + ", ".join(f"{v:.4g}" for v in values) + "]"


# Measured bulk exponents lie between ~5 and ~100; above a few hundred the power law is a step
# that a Newton solve on E(J) cannot follow (a critical-state solver would be needed).
N_MAX = 500.0


@dataclass(frozen=True)
class TableJc:
    """Jc at measured fields: ``field_T`` (k,) in T, increasing; ``jc_A_m2`` (k,) in A/m^2 > 0."""

    field_T: tuple[float, ...]
    jc_A_m2: tuple[float, ...]
    source: str = ""

    def __post_init__(self) -> None:
        try:  # not a dataclass field: the case's identity (to_si_dict) stays the two tuples
            object.__setattr__(self, "_table", JcTable(self.field_T, self.jc_A_m2))
        except ValidationError as err:
            where = f" ({self.source})" if self.source else ""
            raise ValidationError(f"jc.table{where}: {err}") from None

    def at(self, field_T: Any) -> np.ndarray:
        """Jc in A/m^2 at ``|field_T|``; log-linear interpolation, constant outside the table."""
        return self._table.at(field_T)

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


JcModel = TableJc | KimJc | ConstantJc | CurveJc


def as_jc_model(obj: Any) -> JcModel:
    """A Jc model from ``obj``: a model as is; a tabulated curve (``field_T``, ``jc_A_m2`` arrays,
    like ``fluxtrap.magnetometry.JcCurve``) as the same ``TableJc``; any other object with
    ``.at(B_T)`` wrapped in ``CurveJc``."""
    if isinstance(obj, TableJc | KimJc | ConstantJc | CurveJc):
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
    rows without a positive Jc are left out, and so are rows flagged ``unpenetrated`` = 1
    (``fluxtrap jc``: the sample was not fully penetrated, the extended Bean value is too low
    there). Below the first valid field Jc(0) is then extrapolated log-linearly from the first
    five valid rows (never below the first valid value); above the last one the table holds it.
    """
    p = Path(path)
    columns = jctable.read_jc_columns(p)
    b, j = columns["B_T"], columns["Jc_A_m2"]
    flagged = columns.get("unpenetrated", np.zeros(b.size, bool))
    keep = np.isfinite(b) & np.isfinite(j) & (j > 0) & ~flagged
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
        if not 0 < self.at_K < self.tc_K:
            raise ValidationError(
                f"jc.temperature: need 0 < at < tc, got at={self.at_K} K, tc={self.tc_K} K"
            )

    def factor(self, temperature_K: float) -> float:
        """s(T)/s(at); zero at and above Tc."""
        s = lambda t: max(1.0 - (t / self.tc_K) ** 2, 0.0) ** self.exponent  # noqa: E731
        return s(temperature_K) / s(self.at_K)

    def to_dict(self) -> dict[str, Any]:
        return {"at": f"{self.at_K!r} K", "tc": f"{self.tc_K!r} K", "exponent": self.exponent}


@dataclass(frozen=True)
class Superconductor:
    """Power law E = e0 (|J|/Jc(B,T))^n sign(J): ``e0_V_m`` in V/m, ``jc`` a Jc model."""

    name: str
    n: float
    e0_V_m: float
    jc: JcModel
    temperature: TemperatureScaling | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "jc", as_jc_model(self.jc))
        if not 1 < self.n <= N_MAX:
            raise ValidationError(
                f"materials.{self.name}.n = {self.n}: the power-law exponent must be in (1, {N_MAX:g}]"
            )
        if not self.e0_V_m > 0:
            raise UnitError(f"materials.{self.name}.e0: must be > 0 V/m, got {self.e0_V_m}")

    def jc_at(self, field_T: np.ndarray, temperature_K: float) -> np.ndarray:
        """Jc in A/m^2 at fields ``field_T`` (any shape, T) and ``temperature_K``."""
        jc = self.jc.at(field_T)
        return jc * self.temperature.factor(temperature_K) if self.temperature else jc

    def to_dict(self) -> dict[str, Any]:
        jc = self.jc.to_dict()
        if self.temperature:
            jc["temperature"] = self.temperature.to_dict()
        return {"n": self.n, "e0": f"{self.e0_V_m!r} V/m", "jc": jc}


@dataclass(frozen=True)
class NormalConductor:
    """An ohmic conductor (spacer, holder): ``resistivity_ohm_m`` in ohm*m."""

    name: str
    resistivity_ohm_m: float

    def __post_init__(self) -> None:
        if not self.resistivity_ohm_m > 0:
            raise UnitError(
                f"materials.{self.name}.resistivity: must be > 0 ohm*m, got {self.resistivity_ohm_m}"
            )

    def to_dict(self) -> dict[str, Any]:
        return {"resistivity": f"{self.resistivity_ohm_m!r} ohm*m"}


Material = Superconductor | NormalConductor
