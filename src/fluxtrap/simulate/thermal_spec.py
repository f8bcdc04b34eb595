"""The thermal part of a case file: material heat capacity and conductivity, the ``[thermal]`` table.

Material keys (any material): ``heat_capacity`` ("J/(m^3*K)") and ``thermal_conductivity``
("W/(m*K)"), each a quantity or a table over temperature,
``{ temperature = [4, 10, 20], temperature_unit = "K", value = [..], value_unit = "J/(m^3*K)" }``
(linear in T between the points, held beyond them).

``[thermal]``: ``model = "isothermal" | "adiabatic" | "conduction"`` (default isothermal: the
conductors sit at the protocol temperature, as before); ``interlayer_resistance`` ("K*m^2/W",
a thermal contact resistance between touching layers, conduction only); ``[[thermal.cooling]]``
tables, each ``surface = "bottom" | "top" | "side"`` (the exposed conductor faces at the lowest z
of the stack, at its highest z, and all others) and optionally ``heat_transfer_coefficient``
("W/(m^2*K)") to the protocol temperature; without it the surface is held at the protocol
temperature. Surfaces not listed are insulated. The protocol's temperature is the coolant's
(cold head, bath) in the conduction model and the starting temperature in the adiabatic one.

``[thermal.cold_head]`` (conduction only): the cryocooler's cold head as one lumped node that the
cooled surfaces reach through their ``heat_transfer_coefficient`` (every cooled surface needs one):
``heat_capacity`` ("J/K", a quantity or a table over temperature), ``cooling_power`` (the load
curve P(T) of the cooler, non-decreasing, 0 W at its first temperature = the base temperature:
a table ``{ temperature, temperature_unit, value, value_unit = "W" }``, or the usual idealised
second-stage curve ``{ base_temperature, rated_power, rated_temperature, max_power }``: zero at
the base, linear through the rated point, flat at max_power), optional ``heat_load`` ("W", the
static load: radiation, supports, leads). The protocol's temperature is then the set point of a
heater on the cold head (no power limit): it keeps the cold head at or above the set point; below
the cold head cools as its curve allows (a ``cool`` step lowers the set point at once).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from fluxtrap.errors import UnitError, ValidationError
from fluxtrap.simulate.casefile import (
    check_keys,
    key_path,
    one_of,
    quantity,
    si,
    table,
    table_column,
    tables,
)
from fluxtrap.simulate.protocol import Cool, RampTemperature

MODELS = ("isothermal", "adiabatic", "conduction")
SURFACES = ("bottom", "top", "side")
THERMAL_KEYS = ("model", "cooling", "interlayer_resistance", "cold_head")
COOLING_KEYS = ("surface", "heat_transfer_coefficient")
COLD_HEAD_KEYS = ("heat_capacity", "cooling_power", "heat_load")
CURVE_KEYS = ("base_temperature", "rated_power", "rated_temperature", "max_power")
MATERIAL_KEYS = ("heat_capacity", "thermal_conductivity")
# W/(m^2*K): the largest heat transfer coefficient to a cold head; far above any real joint
# (soldered ~1e6), past it the surface sits at the head's temperature, and the head's heat
# balance, h x (a temperature difference rounded to 1e-16 of T), is lost to rounding: with
# 1e30 the head stayed at its set point while 0.09 J flowed into it; 1e14 took 5x the steps
MAX_HEAD_COUPLING = 1e12
# W/(m*K): above any solid (ultrapure copper near 10 K: ~2e4); beyond, a unit mistake, and the
# conduction matrix loses the heat capacity and the surfaces to rounding (1e16 cooled to -6e7 K)
MAX_CONDUCTIVITY = 1e6
# J/(m^3*K): below any solid above 0.1 K (copper at 1 K: ~100); below, a unit mistake, and one
# step's heat runs the temperature away (1e-300 stopped at t = 0 as a "thermal runaway")
MIN_HEAT_CAPACITY = 1e-2
# J/(m^3*K): 25x any solid (about 4e6 at room temperature); beyond, a unit mistake, and a step's
# heat vanishes in the rounding of the enthalpy: 1e300 kept a disk at 5 K with heat_J 0 J of
# 0.015 J dissipated (1e14 was 2e-6 off, 1e8 1e-12)
MAX_HEAT_CAPACITY = 1e8
# J/K, a cold head's heat capacity: from under a gram of copper at 4 K (about 1e-4) to 25x
# ten kilograms at room temperature; below, the head follows the cooler within any step (1e-9
# failed a cool step at once as a "thermal runaway"); above, its balance's tolerance (1e-10 K
# of the head) is more heat than a step brings (1e8: the run's heat balance 2 % off)
COLD_HEAD_CAPACITY = (1e-4, 1e5)
# W, a cooler's power: far above any cryocooler (~1 kW at 80 K) or helium plant (the LHC's: 18 kW
# at 4.5 K); beyond, a unit mistake, and the head's balance loses the magnet's joules to rounding
MAX_COOLING_POWER = 1e6
# K*m^2/W: 1e3x below any real joint (1 um of copper; solder ~1e-7, low-temperature contacts far
# more); below, the contact conductance swamps the rest of the matrix: 1e-20 under a held face
# left the uniformly heated top layer at the coolant and the one beneath 33 K below it
MIN_INTERLAYER_RESISTANCE = 1e-9
# K: above the Tc of every known superconductor at ambient pressure (Hg-1223, ~138 K at most)
MAX_TC_K = 150.0
_UNITS = {
    "volumetric_heat_capacity": "J/(m^3*K)",
    "thermal_conductivity": "W/(m*K)",
    "heat_capacity": "J/K",
    "power": "W",
}


def kelvin(x: Any, where: str) -> float:
    """``x`` as a temperature (K): one finite real number >= 0, else a ``ValidationError`` naming
    ``where`` (in code a str Tc "38" had raised a bare TypeError from a comparison)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x):
        raise ValidationError(
            f"{where}: expected a temperature in K, one finite number, got {type(x).__name__} "
            f"{x!r}" + (' (in code: a float in K; a case file writes "38 K")' * isinstance(x, str))
        )
    if x < 0:
        raise ValidationError(
            f"{where}: {x:g} K is below absolute zero; a temperature in degC? (-269 degC is 4.15 K)"
        )
    return float(x)


def _finite_number(x: Any) -> bool:
    return not isinstance(x, bool) and isinstance(x, numbers.Real) and math.isfinite(x)


def _floats(column: Any) -> np.ndarray | None:
    """``column`` as a float array if every entry is a number (not a bool, not text: numpy
    would read "2e4" and True as numbers), else None."""
    if all(type(x) is float for x in column) or all(map(_finite_number, column)):
        return np.array(column, dtype=float)
    return None


@dataclass(frozen=True)
class TemperatureTable:
    """A positive property over temperature: ``temperature_K`` (k,) increasing, ``values`` (k,)
    in SI; linear between the points, held beyond them (k = 1: a constant)."""

    temperature_K: tuple[float, ...]
    values: tuple[float, ...]

    def __post_init__(self) -> None:
        """Refuse a table built in code that a case file's reader refuses (temperatures out of
        order, below 0 K or not numbers, columns of other lengths, values not finite numbers):
        they had been taken, and np.interp read a non-increasing table as garbage."""
        t, v = self.temperature_K, self.values
        for key, column in (("temperature_K", t), ("values", v)):
            if (
                isinstance(column, str | Mapping)
                or not hasattr(column, "__len__")
                or len(column) == 0
            ):
                raise ValidationError(
                    f"TemperatureTable.{key}: expected a non-empty sequence of numbers (one for "
                    f"a constant: TemperatureTable((0.0,), (value,))), got {column!r}"
                )
        if len(t) != len(v):
            raise ValidationError(
                f"TemperatureTable: temperature_K and values need the same number of entries, "
                f"got {len(t)} and {len(v)}"
            )
        x, y = _floats(t), _floats(v)  # each entry checked by type only when not all floats
        if x is None or not np.all(np.isfinite(x)) or x.min() < 0:
            for i, value in enumerate(t):
                kelvin(value, f"TemperatureTable.temperature_K[{i}]")
        if np.any(np.diff(x) <= 0):
            raise ValidationError(
                f"TemperatureTable.temperature_K: must increase, got {x[:10].tolist()} K"
            )
        if y is None or not np.all(np.isfinite(y)):
            i, value = next((i, z) for i, z in enumerate(v) if not _finite_number(z))
            raise ValidationError(
                f"TemperatureTable.values[{i}]: expected a finite number (SI), got "
                f"{type(value).__name__} {value!r}"
            )
        object.__setattr__(self, "temperature_K", tuple(x.tolist()))
        object.__setattr__(self, "values", tuple(y.tolist()))
        # the columns as arrays and the integral at the points, once: converted and summed per
        # call, a 200 000-point heat capacity table ran a pulse 80x slower (252 s against 3.2 s)
        x.flags.writeable = y.flags.writeable = False
        object.__setattr__(self, "_x", x)
        object.__setattr__(self, "_y", y)
        knots = np.concatenate([[0.0], np.cumsum(0.5 * (y[1:] + y[:-1]) * np.diff(x))])
        object.__setattr__(self, "_knots", knots)
        object.__setattr__(self, "_levels", self.integral(x) if len(x) > 1 else knots)

    def at(self, temperature_K: Any) -> np.ndarray:
        """The property at ``temperature_K`` (any shape, K)."""
        return np.interp(temperature_K, self._x, self._y)

    def integral(self, temperature_K: Any) -> np.ndarray:
        """The integral of the property from the first table temperature to ``temperature_K``
        (any shape): for a heat capacity, the enthalpy per volume (J/m^3) up to a constant."""
        x, y, knots = self._x, self._y, self._knots
        t = np.asarray(temperature_K, float)
        if len(x) == 1:
            return y[0] * (t - x[0])
        i = np.clip(np.searchsorted(x, t) - 1, 0, len(x) - 2)
        d = np.clip(t - x[i], 0.0, x[i + 1] - x[i])
        slope = (y[i + 1] - y[i]) / (x[i + 1] - x[i])
        inside = knots[i] + y[i] * d + 0.5 * slope * d**2
        return inside + y[0] * np.minimum(t - x[0], 0.0) + y[-1] * np.maximum(t - x[-1], 0.0)

    def inverse_integral(self, h: Any) -> np.ndarray:
        """The temperature (K) at which ``integral`` reaches ``h`` (exact: the integral is
        piecewise quadratic and increasing)."""
        x, y = self._x, self._y
        h = np.asarray(h, float)
        if len(x) == 1:
            return x[0] + h / y[0]
        knots = self._levels
        i = np.clip(np.searchsorted(knots, h) - 1, 0, len(x) - 2)
        slope = (y[i + 1] - y[i]) / (x[i + 1] - x[i])
        rest = h - knots[i]
        # y_i d + slope d^2 / 2 = rest, the root continuous as slope -> 0
        d = 2 * rest / (y[i] + np.sqrt(np.maximum(y[i] ** 2 + 2 * slope * rest, 0.0)))
        below = x[0] + np.minimum(h, 0.0) / y[0]
        above = x[-1] + (h - knots[-1]) / y[-1]
        return np.where(h < 0, below, np.where(h > knots[-1], above, x[i] + d))

    def to_value(self, unit: str) -> Any:
        """The case-file form: a quantity string (constant) or a table in ``unit`` ("" = a
        plain number, no value_unit)."""
        if len(self.values) == 1 and unit:
            return si(self.values[0], unit)
        out = {
            "temperature": list(self.temperature_K),
            "temperature_unit": "K",
            "value": list(self.values),
        }
        return out | ({"value_unit": unit} if unit else {})

    def to_si(self) -> dict[str, list[float]]:
        return {"temperature_K": list(self.temperature_K), "values": list(self.values)}


@dataclass(frozen=True)
class ThermalMaterial:
    """``heat_capacity`` (J/(m^3*K)) and ``thermal_conductivity`` (W/(m*K)); either may be None."""

    heat_capacity: TemperatureTable | None = None
    thermal_conductivity: TemperatureTable | None = None

    def __post_init__(self) -> None:
        for key in MATERIAL_KEYS:  # a float had raised AttributeError in the heat model
            value = getattr(self, key)
            if value is not None and not isinstance(value, TemperatureTable):
                raise ValidationError(
                    f"ThermalMaterial.{key}: expected a TemperatureTable (SI over K; a constant "
                    f"is TemperatureTable((0.0,), (value,))) or None, got {type(value).__name__} "
                    f"{value!r}"
                )

    def check(self, where: str) -> None:
        """Refuse values no solid has (``where``: the material, "materials.bulk"): a heat
        capacity outside ``MIN_HEAT_CAPACITY`` .. ``MAX_HEAT_CAPACITY``, a conductivity <= 0 or
        above ``MAX_CONDUCTIVITY`` (a case file's reader checks its own; a material built in code
        had run with a heat capacity of 0 or -5 J/(m^3*K))."""
        k = self.thermal_conductivity
        if k is not None and min(k.values) <= 0:
            raise ValidationError(
                f"{key_path(where, 'thermal_conductivity')}: must be > 0, got "
                f"{min(k.values):.3g} W/(m*K)"
            )
        if k is not None and max(k.values) > MAX_CONDUCTIVITY:
            raise ValidationError(
                f"{key_path(where, 'thermal_conductivity')}: {max(k.values):.3g} W/(m*K) is beyond "
                f"the {MAX_CONDUCTIVITY:.0e} W/(m*K) of any solid (ultrapure copper near 10 K has "
                "about 2e4); a unit mistake?"
            )
        c = self.heat_capacity
        if c is not None and min(c.values) < MIN_HEAT_CAPACITY:
            raise ValidationError(
                f"{key_path(where, 'heat_capacity')}: {min(c.values):.3g} J/(m^3*K) is below the "
                f"{MIN_HEAT_CAPACITY:g} J/(m^3*K) of any solid above 0.1 K (copper at 1 K has "
                "about 100); a unit mistake?"
            )
        if c is not None and max(c.values) > MAX_HEAT_CAPACITY:
            raise ValidationError(
                f"{key_path(where, 'heat_capacity')}: {max(c.values):.3g} J/(m^3*K) is beyond the "
                f"{MAX_HEAT_CAPACITY:.0e} J/(m^3*K) of any solid (about 4e6 at room temperature); "
                "a unit mistake?"
            )

    def to_dict(self) -> dict[str, Any]:
        out = {}
        if self.heat_capacity:
            out["heat_capacity"] = self.heat_capacity.to_value("J/(m^3*K)")
        if self.thermal_conductivity:
            out["thermal_conductivity"] = self.thermal_conductivity.to_value("W/(m*K)")
        return out

    def to_si(self) -> dict[str, Any]:
        return {
            f"{k}_SI": v.to_si()
            for k, v in (
                ("heat_capacity", self.heat_capacity),
                ("thermal_conductivity", self.thermal_conductivity),
            )
            if v
        }


def check_material_thermal(thermal: Any, name: str) -> None:
    """Refuse a material's ``thermal`` (built in code: the reader checks a case file's) that is
    not None or a ``ThermalMaterial`` within ``ThermalMaterial.check`` (a dict had raised
    AttributeError, a heat capacity of 0 or -5 J/(m^3*K) had run)."""
    if thermal is not None and not isinstance(thermal, ThermalMaterial):
        raise ValidationError(
            f"materials.{name}.thermal: expected a ThermalMaterial or None, got "
            f"{type(thermal).__name__} {thermal!r}"[:300]
        )
    if thermal is not None:
        thermal.check(f"materials.{name}")


def thermal_material(spec: Mapping[str, Any], where: str) -> ThermalMaterial | None:
    """The thermal keys of a material table ``spec`` (None if it has neither)."""
    got = {
        key: temperature_table(spec, key, dim, where)
        for key, dim in (
            ("heat_capacity", "volumetric_heat_capacity"),
            ("thermal_conductivity", "thermal_conductivity"),
        )
        if key in spec
    }
    if not got:
        return None
    thermal = ThermalMaterial(**got)
    thermal.check(where)
    return thermal


def temperature_table(
    spec: Mapping[str, Any], key: str, dimension: str, where: str, zero: bool = False
) -> TemperatureTable:
    """``spec[key]``: a positive quantity of ``dimension`` or a table over temperature (with
    ``dimension = "dimensionless"`` the values are plain numbers and value_unit is left out;
    ``zero``: table values may be 0)."""
    full = key_path(where, key)
    value = spec[key]
    if not isinstance(value, Mapping):
        x = quantity(spec, key, dimension, where)
        if not x > 0:
            raise ValidationError(f"{full}: must be > 0, got {value!r}")
        return TemperatureTable((0.0,), (x,))
    check_keys(value, ("temperature", "temperature_unit", "value", "value_unit"), full)
    for k in ("temperature", "value"):
        if not isinstance(value.get(k), list) or not value[k]:
            raise ValidationError(f"{full}.{k}: expected a non-empty list of numbers")
    tu, vu = value.get("temperature_unit"), value.get("value_unit")
    if dimension == "dimensionless" and vu is None:
        vu = ""
    if not (isinstance(tu, str) and isinstance(vu, str)):
        raise UnitError(
            f'{full}: give temperature_unit (e.g. "K") and value_unit (e.g. "{_UNITS[dimension]}")'
        )

    def values(k: str, unit: str, dim: str) -> tuple[float, ...]:
        for i, x in enumerate(value[k]):
            if isinstance(x, bool) or not isinstance(x, int | float):
                raise ValidationError(f"{full}.{k}[{i}]: expected a number, got {x!r}")
        return table_column(
            value[k], unit, dim, f"{full}.{k}"
        )  # per value: 100 000 points took 23 s

    t = values("temperature", tu, "temperature")
    v = values("value", vu, dimension)
    if len(t) != len(v):
        raise ValidationError(
            f"{full}: temperature and value need the same number of entries, got {len(t)} and {len(v)}"
        )
    x = np.asarray(t)
    if x.min() < 0:  # "-268" with temperature_unit "K": degC meant
        i = int(np.argmax(x < 0))
        kelvin(t[i], f"{full}.temperature[{i}]")
    if len(x) > 1 and np.any(np.diff(x) <= 0):
        i = int(np.argmax(np.diff(x) <= 0)) + 1
        raise ValidationError(
            f"{full}.temperature[{i}]: {t[i]:g} K after {t[i - 1]:g} K; the temperatures must "
            "increase, each once (sort the rows, each value with its temperature)"
        )
    bad = [i for i, x in enumerate(v) if not (x >= 0 if zero else x > 0)]
    if bad:
        raise ValidationError(
            f"{full}.value[{bad[0]}]: must be {'>=' if zero else '>'} 0, got {value['value'][bad[0]]!r}"
        )
    return TemperatureTable(t, v)


@dataclass(frozen=True)
class Cooling:
    """A cooled ``surface`` ("bottom", "top", "side"): through ``heat_transfer_W_m2K``
    (W/(m^2*K)) to the protocol temperature, or held at it when that is None."""

    surface: str
    heat_transfer_W_m2K: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"surface": self.surface}
        if self.heat_transfer_W_m2K is not None:
            d["heat_transfer_coefficient"] = si(self.heat_transfer_W_m2K, "W/(m^2*K)")
        return d


@dataclass(frozen=True)
class ColdHead:
    """The cryocooler's cold head: ``heat_capacity`` (J/K over T), ``cooling_power`` (W over T,
    non-decreasing from 0 at its first temperature, held beyond its last), ``heat_load_W`` (W)."""

    heat_capacity: TemperatureTable
    cooling_power: TemperatureTable
    heat_load_W: float = 0.0

    def __post_init__(self) -> None:
        """What a case file's ``[thermal.cold_head]`` may hold, checked here so that a cold head
        built in code is held to it too (a heat load of 5 W on a 1 W cooler, a head of 1e-9 J/K
        and a str load had run; a negative power raised "max() arg is an empty sequence")."""
        where = "thermal.cold_head"
        for key in ("heat_capacity", "cooling_power"):
            if not isinstance(getattr(self, key), TemperatureTable):
                raise ValidationError(
                    f"{key_path(where, key)}: expected a TemperatureTable (SI over K), got "
                    f"{getattr(self, key)!r}"
                )
        lo, hi = COLD_HEAD_CAPACITY
        bad = [x for x in self.heat_capacity.values if not lo <= x <= hi]
        if bad:
            raise ValidationError(
                f"{key_path(where, 'heat_capacity')}: {bad[0]:.3g} J/K is outside "
                f"[{lo:g}, {hi:g}] J/K (a gram of copper at 4 K has about 1e-4 J/K, ten "
                "kilograms at room temperature 4e3); a unit mistake?"
            )
        p = self.cooling_power.values
        if len(p) < 2 or p[0] != 0 or any(b < a for a, b in zip(p, p[1:], strict=False)):
            raise ValidationError(
                f"{key_path(where, 'cooling_power')}: the load curve starts at 0 W (the base "
                "temperature, where the cooler has no capacity left) and never falls with "
                f"temperature; got {[round(x, 6) for x in p]} W"
            )
        if over := [i for i, x in enumerate(p) if x > MAX_COOLING_POWER]:
            t = self.cooling_power.temperature_K[over[0]]
            raise ValidationError(
                f"{key_path(where, 'cooling_power')}.value[{over[0]}]: {p[over[0]]:.3g} W at "
                f"{t:g} K is over {MAX_COOLING_POWER:.0e} W, far above any cryocooler or helium "
                "plant; check the unit (mW?)"
            )
        load = self.heat_load_W
        if isinstance(load, bool) or not isinstance(load, numbers.Real) or not load >= 0:
            raise ValidationError(f"{where}.heat_load: must be >= 0 W, got {load!r}")
        if load > p[-1]:  # no steady state: a 1 W load on a 0.3 W cooler ran the head to 1310 K
            raise ValidationError(
                f"{where}.heat_load: {load:g} W is more than the cooler's largest power "
                f"{p[-1]:g} W at any temperature, so the head would warm without bound past "
                "every table; check the unit (mW?) or the cooling_power"
            )

    @property
    def base_K(self) -> float:
        """The cooler's base temperature (K): the highest of its 0 W points, below which it
        cannot take the head."""
        curve = self.cooling_power
        return max(t for t, p in zip(curve.temperature_K, curve.values, strict=True) if p == 0)

    @property
    def rest_K(self) -> float:
        """The lowest temperature (K) the cooler holds the head at under its ``heat_load_W``:
        where its power first meets the load (``base_K`` without a load)."""
        if not self.heat_load_W:
            return self.base_K
        x, p = self.cooling_power.temperature_K, self.cooling_power.values
        i = int(np.argmax(np.asarray(p) >= self.heat_load_W))  # p[0] = 0 < load <= p[-1]
        return float(np.interp(self.heat_load_W, p[i - 1 : i + 1], x[i - 1 : i + 1]))

    def power_W(self, temperature_K: Any) -> np.ndarray:
        """Cooling power P(T) (W)."""
        return self.cooling_power.at(temperature_K)

    def power_slope(self, temperature_K: Any) -> np.ndarray:
        """dP/dT (W/K): the slope of the segment holding T, 0 outside the table."""
        x, y = np.asarray(self.cooling_power.temperature_K), np.asarray(self.cooling_power.values)
        t = np.asarray(temperature_K, float)
        i = np.clip(np.searchsorted(x, t, side="right") - 1, 0, len(x) - 2)
        slope = (y[i + 1] - y[i]) / (x[i + 1] - x[i])
        return np.where((t < x[0]) | (t >= x[-1]), 0.0, slope)

    def to_dict(self) -> dict[str, Any]:
        d = {
            "heat_capacity": self.heat_capacity.to_value("J/K"),
            "cooling_power": self.cooling_power.to_value("W"),
        }
        return d | ({"heat_load": si(self.heat_load_W, "W")} if self.heat_load_W else {})

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str = "thermal.cold_head") -> ColdHead:
        check_keys(d, COLD_HEAD_KEYS, where)
        for key in ("heat_capacity", "cooling_power"):
            if key not in d:
                raise ValidationError(f"{key_path(where, key)}: missing")
        capacity = temperature_table(d, "heat_capacity", "heat_capacity", where)
        curve = d["cooling_power"]
        full = key_path(where, "cooling_power")
        if isinstance(curve, Mapping) and set(curve) & set(CURVE_KEYS):
            power = _standard_curve(curve, full)
        elif isinstance(curve, Mapping):
            power = temperature_table(d, "cooling_power", "power", where, zero=True)
        else:
            raise ValidationError(
                f"{full}: expected a table over temperature (temperature, value, value_unit = "
                f'"W") or the curve {{ {", ".join(CURVE_KEYS)} }}, got {curve!r}'
            )
        load = quantity(d, "heat_load", "power", where, default="0 W")
        if load < 0:
            raise ValidationError(f"{where}.heat_load: must be >= 0, got {d['heat_load']!r}")
        return cls(capacity, power, load)


def _standard_curve(curve: Mapping[str, Any], where: str) -> TemperatureTable:
    """The idealised second-stage load curve as a table: 0 W at the base temperature, linear
    through (rated_temperature, rated_power), flat from max_power on."""
    check_keys(curve, CURVE_KEYS, where)
    base = quantity(curve, "base_temperature", "temperature", where)
    rated_t = quantity(curve, "rated_temperature", "temperature", where)
    rated = quantity(curve, "rated_power", "power", where)
    top = quantity(curve, "max_power", "power", where)
    if not (0 <= base < rated_t and 0 < rated <= top):
        raise ValidationError(
            f"{where}: need 0 K <= base_temperature < rated_temperature and 0 W < rated_power <= "
            f"max_power, got {base:g} K, {rated_t:g} K, {rated:g} W, {top:g} W"
        )
    return TemperatureTable((base, base + top / rated * (rated_t - base)), (0.0, top))


@dataclass(frozen=True)
class ThermalSettings:
    """The ``[thermal]`` table: ``model``, ``cooling`` surfaces, ``interlayer_resistance_K_m2_W``
    (K*m^2/W, 0 = perfect contact), ``cold_head`` (None: the surfaces see the protocol
    temperature)."""

    model: str = "isothermal"
    cooling: tuple[Cooling, ...] = ()
    interlayer_resistance_K_m2_W: float = 0.0
    cold_head: ColdHead | None = None

    def __post_init__(self) -> None:
        """What a case file's ``[thermal]`` may hold, checked here so that settings built in code
        are held to it too (a model "foo", a surface "front", h -5 or "5", a negative or 1e-20
        contact resistance, a cold head without h or through 1e30 W/(m^2*K) had all run)."""
        one_of(self.model, MODELS, "thermal.model")
        for i, c in enumerate(self.cooling):
            w = f"thermal.cooling[{i}]"
            one_of(getattr(c, "surface", c), SURFACES, f"{w}.surface")
            if not isinstance(c, Cooling):
                raise ValidationError(f"{w}: expected a Cooling, got {c!r}")
            h = c.heat_transfer_W_m2K
            if h is not None and (
                isinstance(h, bool) or not isinstance(h, numbers.Real) or not 0 < h < math.inf
            ):
                raise ValidationError(
                    f"{w}.heat_transfer_coefficient: must be > 0 W/(m^2*K) and finite, got {h!r}"
                )
        surfaces = [c.surface for c in self.cooling]
        if len(set(surfaces)) != len(surfaces):
            raise ValidationError(f"thermal.cooling: a surface is listed twice ({surfaces})")
        resistance = self.interlayer_resistance_K_m2_W
        if (
            isinstance(resistance, bool)
            or not isinstance(resistance, numbers.Real)
            or not 0 <= resistance < math.inf
        ):
            raise ValidationError(
                f"thermal.interlayer_resistance: must be >= 0 K*m^2/W, got {resistance!r}"
            )
        if 0 < resistance < MIN_INTERLAYER_RESISTANCE:
            raise ValidationError(
                f"thermal.interlayer_resistance: {resistance:.3g} K*m^2/W is below the "
                f"{MIN_INTERLAYER_RESISTANCE:g} K*m^2/W of any real joint (1 um of copper); "
                'write "0 K*m^2/W" for perfect contact, or check the unit'
            )
        if self.cooling or resistance or self.cold_head:
            _needs_conduction(self.model)
        if self.cold_head is None:
            return
        if not isinstance(self.cold_head, ColdHead):
            raise ValidationError(f"thermal.cold_head: expected a ColdHead, got {self.cold_head!r}")
        loose = [c.surface for c in self.cooling if c.heat_transfer_W_m2K is None]
        if not self.cooling or loose:
            raise ValidationError(
                "thermal.cold_head: the cold head cools the magnet through the "
                "heat_transfer_coefficient of its [[thermal.cooling]] surfaces; give one "
                f"for every cooled surface (without: {', '.join(loose) or 'no surface listed'})"
            )
        for i, c in enumerate(self.cooling):
            if c.heat_transfer_W_m2K > MAX_HEAD_COUPLING:
                raise ValidationError(
                    f"thermal.cooling[{i}].heat_transfer_coefficient: "
                    f"{c.heat_transfer_W_m2K:.3g} W/(m^2*K) to the cold head is over "
                    f"{MAX_HEAD_COUPLING:g} W/(m^2*K), far above any real joint (a soldered "
                    "one ~1e6), where the cold head's heat balance is lost to rounding; "
                    "give a real joint's value, or check the unit"
                )

    @property
    def coupled(self) -> bool:
        """True when the conductors carry their own temperature (not isothermal)."""
        return self.model != "isothermal"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"model": self.model}
        if self.interlayer_resistance_K_m2_W:
            d["interlayer_resistance"] = si(self.interlayer_resistance_K_m2_W, "K*m^2/W")
        if self.cold_head:
            d["cold_head"] = self.cold_head.to_dict()
        if self.cooling:
            d["cooling"] = [c.to_dict() for c in self.cooling]
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ThermalSettings:
        where = "thermal"
        check_keys(d, THERMAL_KEYS, where)
        model = one_of(d.get("model", "isothermal"), MODELS, "thermal.model")
        cooling = []
        for i, c in enumerate(tables(d, "cooling", where)):
            w = f"thermal.cooling[{i}]"
            check_keys(c, COOLING_KEYS, w)
            surface = one_of(c.get("surface"), SURFACES, f"{w}.surface")
            h = None
            if "heat_transfer_coefficient" in c:
                h = quantity(c, "heat_transfer_coefficient", "heat_transfer_coefficient", w)
                if not h > 0:
                    raise ValidationError(
                        f"{w}.heat_transfer_coefficient: must be > 0, got "
                        f"{c['heat_transfer_coefficient']!r}"
                    )
            cooling.append(Cooling(surface, h))
        resistance = quantity(
            d, "interlayer_resistance", "thermal_resistance", where, default="0 K*m^2/W"
        )
        if resistance < 0:
            raise ValidationError(
                f"thermal.interlayer_resistance: must be >= 0, got {d['interlayer_resistance']!r}"
            )
        cold_head = None
        if "cold_head" in d:
            _needs_conduction(model)  # before the cold head's table is read, as before
            cold_head = ColdHead.from_dict(table(d, "cold_head", where))
        return cls(model, tuple(cooling), resistance, cold_head)


def _needs_conduction(model: str) -> None:
    if model != "conduction":
        raise ValidationError(
            "thermal: cooling and interlayer_resistance need model = "
            f'"conduction", as does cold_head (got {model!r})'
        )


def thermal_from_case(data: Mapping[str, Any]) -> ThermalSettings:
    """``[thermal]`` of a case dict (isothermal when absent)."""
    return ThermalSettings.from_dict(table(data, "thermal", ""))


def check_thermal(case: Any) -> None:
    """Refuse a ``Case`` whose thermal model lacks what it needs: the heat capacity (adiabatic,
    conduction) and conductivity (conduction) of every material in the stack; a temperature ramp
    or cool step where nothing exchanges heat (adiabatic, or conduction with no cooled surface);
    a temperature probe outside the layers."""
    model = case.thermal.model
    needs = {"adiabatic": ("heat_capacity",), "conduction": MATERIAL_KEYS}.get(model, ())
    for i, layer in enumerate(case.stack):
        m = case.material(layer.material)
        for key in needs:
            if m.thermal is None or getattr(m.thermal, key) is None:
                raise ValidationError(
                    f"materials.{m.name}.{key}: missing; thermal.model = {model!r} needs it for "
                    f"every material of the stack (stack[{i}] is {m.name!r})"
                )
    # nothing exchanges heat: adiabatic, or conduction with every surface insulated (a ramp to
    # 30 K left such a disk at its own 19 K and probes.csv said 30 K)
    if model == "adiabatic" or (model == "conduction" and not case.thermal.cooling):
        under = (
            'thermal.model = "adiabatic"'
            if model == "adiabatic"
            else 'thermal.model = "conduction" with every surface insulated (no [[thermal.cooling]])'
        )
        for i, step in enumerate(case.protocol):
            if isinstance(step, RampTemperature | Cool):
                raise ValidationError(
                    f"protocol[{i}]: a temperature ramp under {under} (or a cool step) changes "
                    'nothing (no heat is exchanged); use model = "conduction" with [[thermal.cooling]]'
                )
    _check_base_below_tc(case)
    _check_start_within_reach(case)
    for p in case.temperature_probes:
        if not any(layer.contains(p.r_m, p.z_m, strict=False) for layer in case.stack):
            raise ValidationError(
                f"probes[{p.name}]: a temperature probe must sit in or on a layer of the stack, got "
                f"r = {p.r_m * 1e3:g} mm, z = {p.z_m * 1e3:g} mm"
            )


def _check_base_below_tc(case: Any) -> None:
    """Refuse a cold head that its cooler cannot hold below the Tc of a superconductor of the
    stack (or below ``MAX_TC_K`` for one without a Tc), under its heat load (``ColdHead.rest_K``):
    it traps nothing (a base of "3 degC", 276 K, under a 5 K set point ran a field-cooled disk
    to 101 K with a warning, its trapped field 0.35 mT; a 0.95 W load on a cooler giving it only
    at 37 K, unsaid, to 37 K and 0.35 mT)."""
    head = case.thermal.cold_head
    if head is None:
        return
    base, rest = head.base_K, head.rest_K
    for layer in case.superconducting:
        m = case.material(layer.material)
        tc = m.tc_K or MAX_TC_K
        of = (
            f"Tc = {tc:g} K of {m.name}"
            if m.tc_K
            else f"{tc:g} K, above the Tc of every known superconductor ({m.name} has no Tc)"
        )
        if base >= tc:
            raise ValidationError(
                f"thermal.cold_head.cooling_power: the cooler's base temperature {base:g} K "
                f"(where its power is 0 W) is at or above {of}: the cooler cannot cool the head "
                f"below it, so any heat takes {m.name} normal and the case cannot trap field; "
                "check the temperature units (K, not degC)"
            )
        if rest >= tc:
            raise ValidationError(
                f"thermal.cold_head.heat_load: the cooler's power meets the heat_load "
                f"{head.heat_load_W:g} W only at {rest:.4g} K (its cooling_power), at or above "
                f"{of}: the head rests there, so the case cannot trap field; check the "
                "heat_load's unit (mW?) or the cooling_power"
            )


def _check_start_within_reach(case: Any) -> None:
    """Refuse a protocol that starts (``protocol[0]``'s temperature: the magnet's and the cold
    head's) below the cooler's base temperature (``ColdHead.base_K``), where it has no power: no
    cooler could have taken them there (a 20 K base under a 5 K start pulsed the disk at 5 K's Jc
    while the warning said the head rests above 20 K). A start below ``rest_K`` but above the
    base is a heat load switched on at the start, and a cool step below the base later is
    warned of (the head cools towards its rest)."""
    head = case.thermal.cold_head
    if head is None:
        return
    start, base = case.protocol[0].temperature_K, head.base_K
    if start < base:
        raise ValidationError(
            f"protocol[0].temperature: {start:g} K is below the cooler's base temperature "
            f"{base:g} K (thermal.cold_head.cooling_power, where its power is 0 W), so the run "
            "would start the magnet and the cold head where no cooler took them; start at "
            f"{base:g} K or above (a cool step below it is allowed), or check the temperature "
            "units (K, not degC)"
        )
