"""Protocol steps as data (``[[protocol]]`` tables): ``Set``, ``RampField``, ``Hold``,
``RampTemperature``, ``Cool``, ``Pulse``.

Each step has a ``__repr__`` in the units people use, ``to_dict`` (its TOML table, SI strings) and
``from_dict``; ``step_from_dict`` picks the class from the table's ``step`` key, so
``step_from_dict(s.to_dict()) == s``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from fluxtrap.errors import UnitError, ValidationError
from fluxtrap.simulate.casefile import (
    check_keys,
    key_path,
    one_of,
    quantity,
    si,
    table_column,
)

MAX_PULSE_POINTS = 10_000  # points of a tabulated pulse
MAX_STEPS = 10_000  # [[protocol]] steps: each is at least one time step of the run
MAX_DURATION_S = 1e10  # a protocol's total simulated time, s (317 years)
MAX_FIELD_T = 100.0  # applied field, T: the strongest pulsed magnets reach about 100 T
MAX_TEMPERATURE_K = 1000.0  # a protocol temperature, K: far above any superconductor's Tc
MIN_STEP_S = 1e-9  # the shortest time step (solver.max_step), step duration, pulse rise, decay or
# interval of a pulse table, s: the solver's own floor


def _positive(d: Mapping[str, Any], key: str, dimension: str, where: str, hint: str = "") -> float:
    value = quantity(d, key, dimension, where, h_field=dimension == "field_rate")
    if value <= 0:
        raise ValidationError(f"{where}.{key}: must be > 0{hint}, got {d[key]!r}")
    if dimension == "time" and value < MIN_STEP_S:
        raise ValidationError(f"{where}.{key}: must be at least 1 ns, got {d[key]!r}")
    return value


def _temperature(d: Mapping[str, Any], key: str, where: str) -> float:
    value = quantity(d, key, "temperature", where)
    if not 0 <= value <= MAX_TEMPERATURE_K:
        raise ValidationError(
            f"{where}.{key}: must be 0 to {MAX_TEMPERATURE_K:g} K (far above any superconductor's "
            f"Tc), got {d[key]!r} ({value:.4g} K)"
        )
    return value


def _field(d: Mapping[str, Any], key: str, where: str) -> float:
    """The applied field ``d[key]`` in T (an H in Oe, kOe or A/m read as mu0 H)."""
    value = quantity(d, key, "magnetic_flux_density", where, h_field=True)
    return _within_field_limit(value, f"{where}.{key}")


def _within_field_limit(value_T: float, where: str) -> float:
    if abs(value_T) > MAX_FIELD_T:
        raise ValidationError(
            f"{where}: {value_T:.4g} T is beyond the {MAX_FIELD_T:g} T the strongest pulsed "
            "magnets reach; a unit mistake?"
        )
    return value_T


@dataclass(frozen=True)
class Set:
    """Initial state: uniform applied field ``field_T`` (T), ``temperature_K`` (K), no currents."""

    field_T: float
    temperature_K: float
    kind: ClassVar[str] = "set"

    def __post_init__(self) -> None:
        _real(self.field_T, "Set.field_T")
        _code_temperature(self.temperature_K, "Set.temperature_K")

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.kind,
            "field": si(self.field_T, "T"),
            "temperature": si(self.temperature_K, "K"),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str = "protocol[0]") -> Set:
        check_keys(d, ("step", "field", "temperature"), where)
        return cls(_field(d, "field", where), _temperature(d, "temperature", where))

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
        return cls(_field(d, "to", where), rate)

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

    def __post_init__(self) -> None:
        _code_temperature(self.to_K, "RampTemperature.to_K")
        _code_positive(self.rate_K_s, "RampTemperature.rate_K_s", "K/s")

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.kind, "to": si(self.to_K, "K"), "rate": si(self.rate_K_s, "K/s")}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str = "protocol") -> RampTemperature:
        check_keys(d, ("step", "to", "rate"), where)
        rate = _positive(d, "rate", "temperature_rate", where)
        return cls(_temperature(d, "to", where), rate)

    def __repr__(self) -> str:
        return f"RampTemperature(to_K={self.to_K:g}, rate_K_min={self.rate_K_s * 60:g})"


@dataclass(frozen=True)
class Cool:
    """Set the coolant temperature (with a cold head: its set point) to ``to_K`` (K) at the
    step's start and keep it for ``duration_s`` (s, > 0): the magnet follows as fast as its
    cooling allows (with a cold head, as the cooler's load curve allows)."""

    to_K: float
    duration_s: float
    kind: ClassVar[str] = "cool"

    def __post_init__(self) -> None:
        _code_temperature(self.to_K, "Cool.to_K")
        _code_positive(self.duration_s, "Cool.duration_s", "s")

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.kind, "to": si(self.to_K, "K"), "duration": si(self.duration_s, "s")}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str = "protocol") -> Cool:
        check_keys(d, ("step", "to", "duration"), where)
        return cls(_temperature(d, "to", where), _positive(d, "duration", "time", where))

    def __repr__(self) -> str:
        return f"Cool(to_K={self.to_K:g}, duration_s={self.duration_s:g})"


@dataclass(frozen=True)
class Pulse:
    """A field pulse added to the applied field at the step's start (pulsed-field magnetization).

    Either the standard shape, ``peak_T`` (T) reached after ``rise_s`` (s) as a quarter sine and
    back to zero over ``decay_s`` (s) as a quarter cosine,
    B(t) = peak sin(pi t / (2 rise)) for t <= rise, peak cos(pi (t - rise) / (2 decay)) after;
    or a table ``times_s`` (k,) from 0, increasing, and ``fields_T`` (k,) from 0, linear between
    the points (the step then ends at the field start + fields_T[-1]).
    """

    peak_T: float = 0.0
    rise_s: float = 0.0
    decay_s: float = 0.0
    times_s: tuple[float, ...] = ()
    fields_T: tuple[float, ...] = ()
    kind: ClassVar[str] = "pulse"

    def __post_init__(self) -> None:
        """Refuse what ``from_dict`` refuses, for a pulse built in code (a str peak had raised
        TypeError in the case's checks, a rise of 0 or NaN and a table with its times out of
        order had been taken, a rise and decay of 0 divided by zero)."""
        for key in ("peak_T", "rise_s", "decay_s"):
            _real(getattr(self, key), f"Pulse.{key}")
        if not self.times_s and not self.fields_T:
            for key in ("rise_s", "decay_s"):
                if not getattr(self, key) >= MIN_STEP_S:
                    raise ValidationError(
                        f"Pulse.{key}: must be at least 1 ns (in s), got {getattr(self, key)!r}"
                    )
            return
        for key in ("times_s", "fields_T"):
            for i, x in enumerate(getattr(self, key)):
                _real(x, f"Pulse.{key}[{i}]")
        times, fields = tuple(map(float, self.times_s)), tuple(map(float, self.fields_T))
        if self.peak_T or self.rise_s or self.decay_s:
            raise ValidationError("Pulse: give peak_T, rise_s and decay_s, or times_s and fields_T")
        if not 2 <= len(times) == len(fields) <= MAX_PULSE_POINTS:
            raise ValidationError(
                f"Pulse: times_s and fields_T need the same number of points, 2 to "
                f"{MAX_PULSE_POINTS}, got {len(times)} and {len(fields)}"
            )
        _check_pulse_table(times, fields, "Pulse.times_s", "Pulse.fields_T")
        object.__setattr__(self, "times_s", times)
        object.__setattr__(self, "fields_T", fields)

    @property
    def duration_s(self) -> float:
        return self.times_s[-1] if self.times_s else self.rise_s + self.decay_s

    @property
    def knots_s(self) -> tuple[float, ...]:
        """Times into the step where the waveform has a kink (the time steps land on them)."""
        return self.times_s[1:-1] if self.times_s else (self.rise_s,)

    def offset_T(self, t_rel: float) -> float:
        """Field (T) the pulse adds at ``t_rel`` (s) into the step."""
        if self.times_s:
            return float(np.interp(t_rel, self.times_s, self.fields_T))
        if t_rel <= self.rise_s:
            return self.peak_T * math.sin(0.5 * math.pi * max(t_rel, 0.0) / self.rise_s)
        x = (t_rel - self.rise_s) / self.decay_s
        return self.peak_T * math.cos(0.5 * math.pi * x) if x < 1.0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        if self.times_s:
            return {
                "step": self.kind,
                "time": list(self.times_s),
                "time_unit": "s",
                "field": list(self.fields_T),
                "field_unit": "T",
            }
        return {
            "step": self.kind,
            "peak": si(self.peak_T, "T"),
            "rise": si(self.rise_s, "s"),
            "decay": si(self.decay_s, "s"),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str = "protocol") -> Pulse:
        check_keys(
            d, ("step", "peak", "rise", "decay", "time", "time_unit", "field", "field_unit"), where
        )
        shape, table = {"peak", "rise", "decay"} & set(d), {"time", "field"} & set(d)
        if bool(shape) == bool(table):
            raise ValidationError(
                f"{where}: a pulse is either peak, rise and decay (the standard shape) or a table "
                "time, time_unit, field, field_unit"
            )
        if shape:
            return cls(
                _field(d, "peak", where),
                _positive(d, "rise", "time", where),
                _positive(d, "decay", "time", where),
            )
        t = _column(d, "time", "time", where)
        b = _column(d, "field", "magnetic_flux_density", where)
        for i, x in enumerate(b):
            _within_field_limit(x, f"{where}.field[{i}]")
        if len(t) != len(b):
            raise ValidationError(
                f"{where}: time and field need the same number of points (got {len(t)} and {len(b)})"
            )
        _check_pulse_table(t, b, f"{where}.time", f"{where}.field")
        return cls(times_s=t, fields_T=b)

    def __repr__(self) -> str:
        if self.times_s:
            return f"Pulse({len(self.times_s)} points over {self.duration_s:g} s, ends at +{self.fields_T[-1]:g} T)"
        return f"Pulse(peak_T={self.peak_T:g}, rise_s={self.rise_s:g}, decay_s={self.decay_s:g})"


def _check_pulse_table(
    times_s: tuple[float, ...], fields_T: tuple[float, ...], time_key: str, field_key: str
) -> None:
    """Refuse a pulse table (times in s, fields in T) that does not start at 0 s with 0 T or
    whose times do not increase by at least ``MIN_STEP_S``, naming the entry (``time_key[i]``,
    ``field_key[0]``): a repeated time was "the pulse table ... its times increase", unsaid
    which."""
    if times_s[0] != 0:
        raise ValidationError(
            f"{time_key}[0]: a pulse table starts at time 0 s (into the step), got {times_s[0]:g} s"
        )
    if fields_T[0] != 0:
        raise ValidationError(
            f"{field_key}[0]: a pulse table starts at field 0 T (it adds to the applied field), "
            f"got {fields_T[0]:g} T"
        )
    name = time_key.rsplit(".", 1)[-1]
    for i in range(1, len(times_s)):
        now, before = times_s[i], times_s[i - 1]
        if now <= before:
            raise ValidationError(
                f"{time_key}[{i}]: {now:g} s after {before:g} s; a pulse table's times increase, "
                "each once (sort the rows, each field with its time)"
            )
        if now - before < MIN_STEP_S * (1 - 1e-6):  # a gap rounds: 4 - 3 ns is 0.9999999 ns
            raise ValidationError(
                f"{time_key}[{i}]: {now - before:.3g} s after {name}[{i - 1}]; the points of a "
                "pulse table must be at least 1 ns apart (time steps land on each)"
            )


def _code_temperature(x: Any, where: str) -> None:
    """Refuse a temperature (K) of a step built in code that is not one finite number within
    0 to ``MAX_TEMPERATURE_K`` (Set(0, -269) ran at -269 K: degC meant; a NaN cool step ran)."""
    _real(x, where)
    if not 0 <= x <= MAX_TEMPERATURE_K:
        raise ValidationError(
            f"{where}: {x:g} K is outside 0 to {MAX_TEMPERATURE_K:g} K; a temperature in degC? "
            "(-269 degC is 4.15 K)"
        )


def _code_positive(x: Any, where: str, unit: str) -> None:
    """Refuse a rate or duration of a step built in code that is not one finite number > 0."""
    _real(x, where)
    if not x > 0:
        raise ValidationError(f"{where}: must be > 0 {unit}, got {x!r}")


def _real(x: Any, where: str) -> None:
    """Refuse ``x`` unless it is one finite real number (not a bool), naming ``where``."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x):
        raise ValidationError(f"{where}: expected a finite number, got {type(x).__name__} {x!r}")


def _column(d: Mapping[str, Any], key: str, dimension: str, where: str) -> tuple[float, ...]:
    """A list of plain numbers ``d[key]`` in the unit ``d[key + '_unit']``, as SI floats (fields
    in Oe, kOe or A/m as mu0 H in T)."""
    values, unit = d.get(key), d.get(f"{key}_unit")
    if not isinstance(values, list):
        raise ValidationError(f"{where}.{key}: expected a list of numbers")
    if not isinstance(unit, str):
        raise UnitError(f'{where}.{key}_unit: missing (the unit of {key}, e.g. "s" or "T")')
    if not 2 <= len(values) <= MAX_PULSE_POINTS:
        raise ValidationError(
            f"{where}.{key}: a pulse table has 2 to {MAX_PULSE_POINTS} points, got {len(values)}"
        )
    for i, x in enumerate(values):
        if isinstance(x, bool) or not isinstance(x, int | float):
            raise ValidationError(f"{where}.{key}[{i}]: expected a number, got {x!r}")
    h_field = dimension == "magnetic_flux_density"
    return table_column(values, unit, dimension, f"{where}.{key}", h_field=h_field)


Step = Set | RampField | Hold | RampTemperature | Cool | Pulse
STEPS: dict[str, type[Step]] = {
    s.kind: s for s in (Set, RampField, Hold, RampTemperature, Cool, Pulse)
}


def step_from_dict(d: Mapping[str, Any], where: str = "protocol") -> Step:
    """The step of a ``[[protocol]]`` table, by its ``step`` key."""
    keys = ", ".join(key_path("", k) for k in d)[:200]
    keys = f" (the table has {keys or 'no keys'})" if "step" not in d else ""
    kind = one_of(d.get("step"), STEPS, f"{where}.step", keys)
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
        elif isinstance(s, RampTemperature | Cool):
            t = s.to_K
        elif isinstance(s, Pulse):
            b += s.offset_T(s.duration_s)
        out.append((b, t))
    return out


def step_duration(step: Step, start: tuple[float, float]) -> float:
    """Duration in s of ``step`` starting from (field T, temperature K) = ``start``."""
    if isinstance(step, RampField):
        return abs(step.to_T - start[0]) / step.rate_T_s
    if isinstance(step, RampTemperature):
        return abs(step.to_K - start[1]) / step.rate_K_s
    if isinstance(step, Hold | Cool | Pulse):
        return step.duration_s
    return 0.0


def protocol_duration(protocol: tuple[Step, ...]) -> float:
    """Total simulated time of ``protocol``, s."""
    return sum(step_durations(protocol))


def step_durations(protocol: tuple[Step, ...]) -> list[float]:
    """Duration (s) of each step of ``protocol`` after the first (``set``)."""
    ends = states(protocol)
    return [step_duration(s, st) for s, st in zip(protocol[1:], ends[:-1], strict=True)]


def relaxation_start(protocol: tuple[Step, ...]) -> float:
    """Time (s) the protocol's closing holds start, the end of its last step that changes the
    field or the temperature (holds in a row are one relaxation); without a closing hold, the
    start of the last step."""
    durations = step_durations(protocol)
    held = 0.0
    for step, duration in zip(protocol[:0:-1], durations[::-1], strict=True):
        if not isinstance(step, Hold):
            break
        held += duration
    return sum(durations) - (held or (durations[-1] if durations else 0.0))


def check_fields(protocol: tuple[Step, ...]) -> None:
    """Refuse (``ValidationError``) a pulse that takes the applied field beyond ``MAX_FIELD_T``:
    each value is checked when read, but a pulse adds to the field it starts from (and a table
    pulse leaves its last value on), so the sum is checked here, over the whole protocol. Refuse
    too a pulse that adds no field at any time (a peak of 0 T, a table of zeros): it ran as a
    hold, unsaid."""
    ends = states(protocol)
    for k, (s, start) in enumerate(zip(protocol[1:], ends[:-1], strict=True), start=1):
        if isinstance(s, Pulse) and not any(s.fields_T or (s.peak_T,)):
            raise ValidationError(
                f"protocol[{k}] ({s!r}): the pulse adds 0 T at every time, so the step changes "
                'nothing; give it a peak (peak = "3 T") or fields other than 0, or use step = "hold" to wait'
            )
        if isinstance(s, Pulse):
            offsets = s.fields_T or (s.peak_T, 0.0)
            _within_field_limit(
                start[0] + max(offsets, key=lambda x: abs(start[0] + x)),
                f"protocol[{k}] (the applied field {start[0]:.4g} T plus the pulse)",
            )


def largest_field(protocol: tuple[Step, ...]) -> float:
    """The largest applied |field| (T) of ``protocol``: at its steps' ends and its pulses' peaks."""
    ends = states(protocol)
    fields = [abs(b) for b, _ in ends]
    for s, start in zip(protocol[1:], ends[:-1], strict=True):
        if isinstance(s, Pulse):
            fields += [abs(start[0] + x) for x in (s.fields_T or (s.peak_T, 0.0))]
    return max(fields)


def check_duration(protocol: tuple[Step, ...]) -> None:
    """Refuse (``ValidationError``) a step shorter than ``MIN_STEP_S`` (but not empty), and a
    protocol longer than ``MAX_DURATION_S``, naming its longest step."""
    durations = step_durations(protocol)
    for k, d in enumerate(durations):
        if 0 < d < MIN_STEP_S:
            raise ValidationError(
                f"protocol[{k + 1}] ({protocol[k + 1]!r}) takes {d:.3g} s, under the solver's "
                "shortest step of 1 ns: a slower rate, or a unit mistake?"
            )
    total = sum(durations)
    if total > MAX_DURATION_S:
        k = max(range(len(durations)), key=durations.__getitem__)
        raise ValidationError(
            f"protocol: {total:.3g} s in all, over the limit of {MAX_DURATION_S:g} s (317 years); "
            f"protocol[{k + 1}] ({protocol[k + 1]!r}) alone takes {durations[k]:.3g} s"
        )
