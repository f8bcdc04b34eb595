"""Campaign definitions (design section 4): process parameters with bounds and steps, objectives.

A campaign file is TOML; it is parsed once into frozen values that the store and the
optimizer share. Parameter values are in the campaign's own units (degC, degC/min, min).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fluxtrap.errors import ValidationError
from fluxtrap.inputs import check_values
from fluxtrap.tomlfile import read_toml
from fluxtrap.units import parse

GOALS = ("maximize", "minimize")
MAX_MAGNITUDE = 1e100  # bounds and objective values beyond this are typos, and overflow the model
QUANTITIES = ("jc", "value", "tc")


MAX_NAME = 200  # characters of a campaign name


def check_new_name(name: str) -> str:
    """A new campaign's name, if it can be a URL path segment: at most ``MAX_NAME`` characters,
    no ``/``, ``\\`` or control characters (a name with ``/`` could be stored but never read back
    through the web API)."""
    bad = sorted({c for c in name if c in "/\\" or unicodedata.category(c) == "Cc"})
    if bad or not name.strip() or len(name) > MAX_NAME:
        raise ValidationError(
            f"campaign name {name[:40]!r}: use 1 to {MAX_NAME} characters without / \\ or "
            f"control characters{' (found ' + ', '.join(map(repr, bad)) + ')' if bad else ''}"
        )
    return name


@dataclass(frozen=True)
class ParameterDef:
    """A process parameter: ``low <= value <= high`` on a grid of ``step`` from ``low`` (step 0: continuous)."""

    name: str
    unit: str = ""
    low: float = 0.0
    high: float = 1.0
    step: float = 0.0

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValidationError(f"parameter name {self.name!r}: use letters, digits and _ only")
        if not (abs(self.low) <= MAX_MAGNITUDE and abs(self.high) <= MAX_MAGNITUDE) or (
            self.low >= self.high
        ):
            raise ValidationError(
                f"parameter {self.name}: need low < high, both within +-{MAX_MAGNITUDE:g}, "
                f"got low={self.low}, high={self.high}"
            )
        if not math.isfinite(self.step) or self.step < 0 or self.step > self.high - self.low:
            raise ValidationError(
                f"parameter {self.name}: step {self.step} must be >= 0 and <= high - low"
            )

    def check(self, value: Any, where: str = "") -> float:
        """Return ``value`` as a float if it lies in bounds and on the step grid, else raise."""
        at = f"{where}: " if where else ""
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ValidationError(f"{at}{self.name}={value!r} is not a number") from None
        if not math.isfinite(v):
            raise ValidationError(f"{at}{self.name}={value!r} is not a finite number")
        tol = 1e-9 * max(1.0, abs(self.high), abs(self.low))
        if v < self.low - tol or v > self.high + tol:
            raise ValidationError(
                f"{at}{self.name}={v:g} {self.unit} is outside [{self.low:g}, {self.high:g}] {self.unit}"
            )
        if self.step > 0:
            k = (v - self.low) / self.step
            if abs(k - round(k)) > 1e-6:
                raise ValidationError(
                    f"{at}{self.name}={v:g} is off the step grid (low {self.low:g} + k * {self.step:g})"
                )
        return v

    def snap(self, value: float) -> float:
        """Nearest grid value inside the bounds (see :func:`snap_to_grid`)."""
        return float(snap_to_grid(value, self.low, self.high, self.step))


@dataclass(frozen=True)
class ObjectiveDef:
    """A campaign objective; ``quantity='jc'`` reads Jc (A/m^2) at ``field_T`` and ``temperature_K``."""

    name: str
    quantity: str = "value"
    goal: str = "maximize"
    field_T: float | None = None
    temperature_K: float | None = None

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValidationError(f"objective name {self.name!r}: use letters, digits and _ only")
        if self.goal not in GOALS:
            raise ValidationError(
                f"objective {self.name}: goal {self.goal!r} is not one of {GOALS}"
            )
        if self.quantity not in QUANTITIES:
            raise ValidationError(
                f"objective {self.name}: quantity {self.quantity!r} is not one of {QUANTITIES}"
            )
        if self.quantity == "jc" and self.field_T is None:
            raise ValidationError(
                f"objective {self.name}: quantity 'jc' needs a field, e.g. \"3 T\""
            )

    @property
    def maximize(self) -> bool:
        return self.goal == "maximize"


def snap_to_grid(x: Any, low: float, high: float, step: float) -> np.ndarray:
    """The nearest settable values to ``x`` (a number or an array): inside ``[low, high]`` and, if
    ``step`` > 0, on the grid ``low + k * step`` (k whole, the last grid point at most ``high``),
    rounded to 6 digits below the step so that grid values print as typed."""
    x = np.clip(np.asarray(x, dtype=float), low, high)
    if step == 0:
        return x
    k = np.round((x - low) / step)
    kmax = math.floor((high - low) / step + 1e-9)
    v = low + np.clip(k, 0, kmax) * step
    return np.round(v, max(0, -math.floor(math.log10(step)) + 6))


def running_best(values: Sequence[float], maximize: bool = True) -> np.ndarray:
    """The best value so far after each of ``values`` (NaN skipped: the best carries over it;
    NaN before the first number), the largest if ``maximize`` else the smallest."""
    acc = np.fmax.accumulate if maximize else np.fmin.accumulate
    values = np.asarray(values, dtype=float)
    return acc(values) if values.size else values


@dataclass(frozen=True)
class CampaignSpec:
    """A campaign: its name, parameter definitions and objectives."""

    name: str
    parameters: tuple[ParameterDef, ...]
    objectives: tuple[ObjectiveDef, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValidationError("campaign name is empty")
        if not self.parameters:
            raise ValidationError(
                f"campaign {self.name!r}: needs at least one [[parameters]] entry"
            )
        for kind, items in (("parameter", self.parameters), ("objective", self.objectives)):
            names = [p.name for p in items]
            dup = {n for n in names if names.count(n) > 1}
            if dup:
                raise ValidationError(
                    f"campaign {self.name!r}: {kind} names repeated: {sorted(dup)}"
                )

    @property
    def parameter_names(self) -> list[str]:
        return [p.name for p in self.parameters]

    @property
    def objective_names(self) -> list[str]:
        return [o.name for o in self.objectives]

    def parameter(self, name: str) -> ParameterDef:
        for p in self.parameters:
            if p.name == name:
                return p
        raise ValidationError(
            f"campaign {self.name!r} has no parameter {name!r}; known: {', '.join(self.parameter_names)}"
        )

    def objective(self, name: str) -> ObjectiveDef:
        for o in self.objectives:
            if o.name == name:
                return o
        raise ValidationError(
            f"campaign {self.name!r} has no objective {name!r}; known: {', '.join(self.objective_names) or 'none'}"
        )

    def check_params(self, values: Mapping[str, Any], where: str = "") -> dict[str, float]:
        """Validate a full set of parameter values; return them as floats in campaign order."""
        unknown = sorted(set(values) - set(self.parameter_names))
        if unknown:
            raise ValidationError(
                f"{where + ': ' if where else ''}unknown parameter(s) {', '.join(unknown)} "
                f"for campaign {self.name!r}; known: {', '.join(self.parameter_names)}"
            )
        missing = [n for n in self.parameter_names if n not in values]
        if missing:
            raise ValidationError(
                f"{where + ': ' if where else ''}missing parameter(s) {', '.join(missing)} "
                f"for campaign {self.name!r}"
            )
        return {p.name: p.check(values[p.name], where) for p in self.parameters}

    def check_objectives(self, values: Mapping[str, Any], where: str = "") -> dict[str, float]:
        """Validate objective values (a subset of the campaign's objectives) as finite floats."""
        out = {}
        for name, value in values.items():
            self.objective(name)
            try:
                v = float(value)
            except (TypeError, ValueError):
                v = math.nan
            if not abs(v) <= MAX_MAGNITUDE:
                raise ValidationError(
                    f"{where + ': ' if where else ''}objective {name}={value!r} is not a finite "
                    f"number within +-{MAX_MAGNITUDE:g}"
                )
            out[name] = v
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (JSON/TOML friendly); ``from_dict`` reads it back."""
        return {
            "name": self.name,
            "parameters": [asdict(p) for p in self.parameters],
            "objectives": [asdict(o) for o in self.objectives],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "campaign") -> CampaignSpec:
        """Build from a parsed campaign file (units as strings) or from ``to_dict`` output."""
        check_values(data, source)
        try:
            params = tuple(
                _parameter(p, f"{source}: parameters[{i}]")
                for i, p in enumerate(data.get("parameters", []))
            )
            objectives = tuple(
                _objective(o, f"{source}: objectives[{i}]")
                for i, o in enumerate(data.get("objectives", []))
            )
            return cls(name=str(data.get("name", "")), parameters=params, objectives=objectives)
        except ValidationError as err:
            raise ValidationError(f"{source}: {err}") from None

    @classmethod
    def from_toml(cls, path: str | Path) -> CampaignSpec:
        """Read a campaign file (design section 4)."""
        path = Path(path)
        return cls.from_dict(read_toml(path, "campaign file"), source=str(path))


def _parameter(p: Mapping[str, Any], where: str) -> ParameterDef:
    unknown = set(p) - {"name", "unit", "low", "high", "step"}
    if unknown:
        raise ValidationError(f"{where}: unknown key(s) {sorted(unknown)}")
    if "name" not in p or "low" not in p or "high" not in p:
        raise ValidationError(f"{where}: needs name, low and high")
    return ParameterDef(
        name=str(p["name"]),
        unit=str(p.get("unit", "")),
        low=float(p["low"]),
        high=float(p["high"]),
        step=float(p.get("step", 0.0)),
    )


def _objective(o: Mapping[str, Any], where: str) -> ObjectiveDef:
    if "name" not in o:
        raise ValidationError(f"{where}: needs a name")
    field_T = o.get("field_T")
    if isinstance(o.get("field"), str):
        field_T = parse(o["field"], "magnetic_flux_density", f"{where}.field")
    temperature_K = o.get("temperature_K")
    if isinstance(o.get("temperature"), str):
        temperature_K = parse(o["temperature"], "temperature", f"{where}.temperature")
    return ObjectiveDef(
        name=str(o["name"]),
        quantity=str(o.get("quantity", "value")),
        goal=str(o.get("goal", "maximize")),
        field_T=None if field_T is None else float(field_T),
        temperature_K=None if temperature_K is None else float(temperature_K),
    )
