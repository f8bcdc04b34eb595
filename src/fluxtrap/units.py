"""The one place units are read: a pint registry and helpers that turn "30 mm" into SI floats.

Everything inside fluxtrap is SI (m, s, T, A/m^2, V/m, K, ohm*m); process temperatures in
degC are the one exception and are named ``*_degC``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from tokenize import TokenError
from typing import Any

import pint

from fluxtrap.errors import UnitError

ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
ureg.define("emu = 1e-3 A*m^2")  # magnetic moment, CGS electromagnetic unit
ureg.define("Oe = 1000 / (4 * pi) * A/m = oersted")
Q_ = ureg.Quantity

MU0 = 4e-7 * math.pi  # H/m, the vacuum permeability: B = mu0 H
A_CM2 = 1e4  # A/m^2 in one A/cm^2, the unit Jc tables and papers use

# Dimensions by name, with the SI unit each is returned in.
DIMENSIONS: dict[str, str] = {
    "length": "m",
    "time": "s",
    "magnetic_flux_density": "T",
    "magnetic_field": "A/m",
    "current_density": "A/m^2",
    "electric_field": "V/m",
    "temperature": "K",
    "resistivity": "ohm*m",
    "field_rate": "T/s",
    "temperature_rate": "K/s",
    "magnetic_moment": "A*m^2",
    "dimensionless": "",
}


def quantity(text: str, key: str = "value") -> pint.Quantity:
    """Parse ``text`` (e.g. ``"30 mm"``) into a pint quantity; ``key`` names it in errors."""
    if not isinstance(text, str):
        raise UnitError(
            f'{key}: got the bare number {text!r}; write the value with its unit, e.g. "{text} mm"'
        )
    try:
        q = Q_(text)
    except (
        pint.errors.PintError,
        ValueError,
        TypeError,
        AttributeError,
        SyntaxError,
        AssertionError,
        TokenError,
    ) as err:
        raise UnitError(f"{key}: cannot read {text!r} as a quantity with a unit ({err})") from None
    if (
        not isinstance(q, pint.Quantity)
        or q.dimensionless
        and text.strip().replace(".", "").isdigit()
    ):
        raise UnitError(f'{key}: {text!r} has no unit; write it with one, e.g. "{text} mm"')
    return q


def parse(text: str, dimension: str, key: str = "value") -> float:
    """Return ``text`` in the SI unit of ``dimension`` (see ``DIMENSIONS``), as a float.

    >>> parse("30 mm", "length")
    0.03
    """
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}; known: {', '.join(DIMENSIONS)}")
    q = quantity(text, key)
    target = DIMENSIONS[dimension]
    try:
        return float(q.to(target).magnitude) if target else float(q.to("").magnitude)
    except pint.errors.DimensionalityError:
        raise UnitError(
            f"{key}: {text!r} is not a {dimension.replace('_', ' ')} "
            f"(expected something convertible to {target or 'a pure number'})"
        ) from None


def parse_in(mapping: Mapping[str, Any], key: str, dimension: str, where: str = "") -> float:
    """Parse ``mapping[key]`` as ``dimension``; errors name ``where.key``."""
    full = f"{where}.{key}" if where else key
    if key not in mapping:
        raise UnitError(f"{full}: missing (expected a {dimension.replace('_', ' ')} with its unit)")
    return parse(mapping[key], dimension, full)


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a float between units, e.g. ``convert(1e5, "A/cm^2", "A/m^2") == 1e9``."""
    return float(Q_(value, from_unit).to(to_unit).magnitude)


def to_A_cm2(jc_A_m2: Any) -> Any:
    """Jc (a number or an array) from A/m^2, as stored, to A/cm^2, as tables and papers show it."""
    return jc_A_m2 * 1e-4
