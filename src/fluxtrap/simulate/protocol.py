"""Protocol steps as data (``[[protocol]]`` tables): ``Set``, ``RampField``, ``Hold``, ``RampTemperature``.

Each step has a ``__repr__`` in the units people use, ``to_dict`` (its TOML table, SI strings) and
``from_dict``; ``step_from_dict`` picks the class from the table's ``step`` key, so
``step_from_dict(s.to_dict()) == s``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from fluxtrap.errors import ValidationError
from fluxtrap.simulate.casefile import check_keys, quantity, si


def _positive(d: Mapping[str, Any], key: str, dimension: str, where: str, hint: str = "") -> float:
    value = quantity(d, key, dimension, where)
    if value <= 0:
        raise ValidationError(f"{where}.{key}: must be > 0{hint}, got {d[key]!r}")
    return value


@dataclass(frozen=True)
class Set:
    """Initial state: uniform applied field ``field_T`` (T), ``temperature_K`` (K), no currents."""

    field_T: float
    temperature_K: float
    kind: ClassVar[str] = "set"

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.kind,
            "field": si(self.field_T, "T"),
            "temperature": si(self.temperature_K, "K"),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str = "protocol[0]") -> Set:
        check_keys(d, ("step", "field", "temperature"), where)
        return cls(
            quantity(d, "field", "magnetic_flux_density", where),
            quantity(d, "temperature", "temperature", where),
        )

    def __repr__(self) -> str:
        return f"Set(field_T={self.field_T:g}, temperature_K={self.temperature_K:g})"


@dataclass(frozen=True)
class RampField:
    """Ramp the applied field linearly to ``to_T`` (T) at ``rate_T_s`` (T/s, > 0)."""

    to_T: float
    rate_T_s: float
    kind: ClassVar[str] = "ramp_field"

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.kind, "to": si(self.to_T, "T"), "rate": si(self.rate_T_s, "T/s")}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str = "protocol") -> RampField:
        check_keys(d, ("step", "to", "rate"), where)
        rate = _positive(d, "rate", "field_rate", where, " (the direction follows from 'to')")
        return cls(quantity(d, "to", "magnetic_flux_density", where), rate)

    def __repr__(self) -> str:
        return f"RampField(to_T={self.to_T:g}, rate_T_h={self.rate_T_s * 3600:g})"


@dataclass(frozen=True)
class Hold:
    """Keep field and temperature for ``duration_s`` (s)."""

    duration_s: float
    kind: ClassVar[str] = "hold"

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.kind, "duration": si(self.duration_s, "s")}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str = "protocol") -> Hold:
        check_keys(d, ("step", "duration"), where)
        return cls(_positive(d, "duration", "time", where))

    def __repr__(self) -> str:
        return f"Hold(duration_s={self.duration_s:g})"


@dataclass(frozen=True)
class RampTemperature:
    """Ramp the temperature linearly to ``to_K`` (K) at ``rate_K_s`` (K/s, > 0); changes Jc only."""

    to_K: float
    rate_K_s: float
    kind: ClassVar[str] = "ramp_temperature"

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.kind, "to": si(self.to_K, "K"), "rate": si(self.rate_K_s, "K/s")}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str = "protocol") -> RampTemperature:
        check_keys(d, ("step", "to", "rate"), where)
        rate = _positive(d, "rate", "temperature_rate", where)
        return cls(quantity(d, "to", "temperature", where), rate)

    def __repr__(self) -> str:
        return f"RampTemperature(to_K={self.to_K:g}, rate_K_min={self.rate_K_s * 60:g})"


Step = Set | RampField | Hold | RampTemperature
STEPS: dict[str, type[Step]] = {s.kind: s for s in (Set, RampField, Hold, RampTemperature)}


def step_from_dict(d: Mapping[str, Any], where: str = "protocol") -> Step:
    """The step of a ``[[protocol]]`` table, by its ``step`` key."""
    kind = d.get("step")
    if kind not in STEPS:
        raise ValidationError(f"{where}.step: got {kind!r}; expected one of {', '.join(STEPS)}")
    return STEPS[kind].from_dict(d, where)


def states(protocol: tuple[Step, ...]) -> list[tuple[float, float]]:
    """(applied field T, temperature K) at the end of each step."""
    out: list[tuple[float, float]] = []
    b, t = 0.0, 0.0
    for s in protocol:
        if isinstance(s, Set):
            b, t = s.field_T, s.temperature_K
        elif isinstance(s, RampField):
            b = s.to_T
        elif isinstance(s, RampTemperature):
            t = s.to_K
        out.append((b, t))
    return out


def step_duration(step: Step, start: tuple[float, float]) -> float:
    """Duration in s of ``step`` starting from (field T, temperature K) = ``start``."""
    if isinstance(step, RampField):
        return abs(step.to_T - start[0]) / step.rate_T_s
    if isinstance(step, RampTemperature):
        return abs(step.to_K - start[1]) / step.rate_K_s
    if isinstance(step, Hold):
        return step.duration_s
    return 0.0


def protocol_duration(protocol: tuple[Step, ...]) -> float:
    """Total simulated time of ``protocol``, s."""
    ends = states(protocol)
    return sum(step_duration(s, st) for s, st in zip(protocol[1:], ends[:-1], strict=True))
