"""Reading and writing the tables of a case file: strict keys, quantities with units, TOML text.

Every reader names the key it reads as ``table.key`` (e.g. ``stack[0].thickness``) in its errors.
Unknown keys are errors with the nearest known key suggested; NaN and infinite values are
refused. Values come back in SI (through ``fluxtrap.units``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pint

from fluxtrap import units
from fluxtrap.errors import UnitError, ValidationError
from fluxtrap.inputs import (  # noqa: F401 - re-exported: the case's readers
    MAX_KEY_SHOWN,
    check_keys,
    did_you_mean,
    key_path,
    near,
    tables,
)
from fluxtrap.units import EXAMPLE_UNIT, misread_symbol, parse, unit_text

# the units people write for each dimension a case reads: a unit pint does not know ("2 mn",
# "A/cn^2", "1 uv/cm"), or of another dimension ("2 MM" is read as megamolar, "2 m m" as m^2),
# is answered with the nearest of them (``unit_hint``)
UNIT_SPELLINGS: dict[str, tuple[str, ...]] = {
    "length": (
        "m", "mm", "cm", "um", "µm", "nm", "km", "inch", "meter", "millimeter", "centimeter",
        "micrometer",
    ),
    "time": ("s", "ms", "us", "min", "h", "d", "second", "minute", "hour", "day"),
    "magnetic_flux_density": (
        "T", "mT", "uT", "G", "kG", "tesla", "millitesla", "gauss", "Oe", "kOe", "oersted", "A/m",
    ),
    "current_density": ("A/m^2", "A/cm^2", "A/mm^2", "kA/cm^2", "MA/m^2", "kA/mm^2"),
    "electric_field": ("V/m", "uV/cm", "mV/m", "V/cm", "uV/m"),
    "temperature": ("K", "degC", "mK", "degF", "kelvin", "celsius"),
    "resistivity": ("ohm*m", "ohm*cm", "uohm*cm", "nohm*m"),
    "field_rate": ("T/s", "T/min", "T/h", "mT/s", "mT/min", "Oe/s", "Oe/min", "kOe/min"),
    "temperature_rate": ("K/s", "K/min", "K/h", "mK/s"),
    "dimensionless": ("%", "percent", "ppm"),
    "volumetric_heat_capacity": ("J/(m^3*K)", "J/(cm^3*K)", "kJ/(m^3*K)"),
    "thermal_conductivity": ("W/(m*K)", "W/(cm*K)", "mW/(m*K)"),
    "heat_transfer_coefficient": ("W/(m^2*K)", "W/(cm^2*K)"),
    "power": ("W", "mW", "kW"),
    "heat_capacity": ("J/K", "mJ/K"),
    "thermal_resistance": ("K*m^2/W", "K*cm^2/W"),
}  # fmt: skip


def shown(value: Any) -> str:
    """``repr(value)``, at most ``MAX_KEY_SHOWN`` characters of it (a list of 10 000 numbers
    where a table belongs was repeated whole in its error)."""
    text = repr(value)
    if len(text) <= MAX_KEY_SHOWN:
        return text
    size = f" ({type(value).__name__} of {len(value)})" if isinstance(value, list | dict) else ""
    return f"{text[:MAX_KEY_SHOWN]}...{size}"


def one_of(value: Any, options: Iterable[str], full: str, context: str = "") -> str:
    """``value`` if it is one of ``options`` (an enumerated value: a protocol step's name, a
    probe's quantity), else a ``ValidationError`` naming the key ``full``, the value (or that it
    is missing: None), the near miss and the options; ``context`` is added to the message."""
    options = list(options)
    if isinstance(value, str) and value in options:
        return value
    got = "missing" if value is None else f"got {shown(value)}{did_you_mean(value, options)}"
    raise ValidationError(f"{full}: {got}; expected one of {', '.join(options)}{context}")


def _edits(a: str, b: str) -> int:
    """The optimal-string-alignment distance of ``a`` and ``b``: insertions, deletions,
    substitutions and swaps of two neighbours ("nm" for "mn") each count one."""
    d = [list(range(len(b) + 1))] + [[i] + [0] * len(b) for i in range(1, len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(
                d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[-1][-1]


def _known_unit(text: str) -> bool:
    try:
        units.unit(text)
    except UnitError:
        return False
    return True


def unit_hint(text: Any, dimension: str) -> str:
    """``" (did you mean 'mm'?)"`` for the unit of a quantity ``text`` that was refused as a
    ``dimension`` (unknown to pint, or of another dimension), naming the nearest of
    ``UNIT_SPELLINGS``: one written with spaces that multiply ("m m" is m^2: 'mm'), one that
    differs only in case ("MM", megamolar: 'mm'), else, for a unit pint does not know (a
    known one, "T" for a time, is no misspelling), those one edit away (two for a unit of 6
    characters or more; up to three, nearest first: "2 mn" -> 'm', 'mm', 'nm'; difflib named
    'm' alone, 1000x off), else ``inputs.near``'s. "" if none, or if the unit's C or F already
    has its own hint (``units.misread_symbol``). A decimal comma ("1,5 mm") is said so."""
    options = UNIT_SPELLINGS.get(dimension, ())
    if not isinstance(text, str) or not options:
        return ""
    comma = re.fullmatch(r"\s*([+-]?[0-9]+),([0-9]+)(\s*[^\s,].{0,40})", text)
    if comma:  # a decimal comma: the grammar stopped at "unexpected ',5 mm'"
        whole, part, rest = comma.groups()
        other = f", or {whole}{part}{rest} for a thousands separator" if len(part) == 3 else ""
        return f" (a decimal comma? write {whole}.{part}{rest}{other})"
    unit = unit_text(text).strip()[:MAX_KEY_SHOWN]
    if not unit or misread_symbol(unit):
        return ""
    squeezed = re.sub(r"\s+", "", unit)
    if squeezed != unit and squeezed in options:
        return f" (did you mean {squeezed!r}? a space multiplies units: {unit!r} is {'*'.join(unit.split())})"
    close = [o for o in options if o.casefold() == unit.casefold() and o != unit]
    if not close and not _known_unit(unit):  # a unit of another dimension ("T" for a time)
        edits = sorted((_edits(unit, o), i) for i, o in enumerate(options))  # is no misspelling
        best = min([e for e, _ in edits if e > 0], default=0)
        if best <= (1 if len(unit) < 6 else 2):
            close = [options[i] for e, i in edits if e == best][:3]
        if not close and (word := near(unit, options)):
            close = [word]
    if not close:
        return ""
    names = [repr(c) for c in close]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return f" (did you mean {listed}?)"


def parse_quantity(text: Any, dimension: str, key: str) -> float:
    """``units.parse`` (``text`` in the SI unit of ``dimension``), its ``UnitError`` with the
    near miss of a misspelt unit (``unit_hint``)."""
    try:
        return parse(text, dimension, key)
    except UnitError as err:
        raise UnitError(f"{err}{unit_hint(text, dimension)}") from None


def finite(value: float, full: str, text: Any) -> float:
    """``value`` if finite, else a ``ValidationError`` naming ``full`` and the ``text`` given."""
    if not math.isfinite(value):
        raise ValidationError(f"{full}: must be a finite number, got {text!r}")
    return value


def table_column(
    values: list, unit: str, dimension: str, where: str, *, h_field: bool = False
) -> tuple[float, ...]:
    """The plain numbers ``values`` (already checked to be numbers) of a table column in ``unit``
    ("" = dimensionless) as finite SI floats, ``where`` naming the column ("...jc"; its unit is
    the key ``where + "_unit"``, which a unit mistake names, with the near miss: it named
    "...field[0]: cannot read '0 Tesla'"). The unit is parsed once and scales the column
    (through pint per value a 20 000-point table took 20 s to load); the first value goes
    through pint, and an offset unit (degC) goes per value. ``h_field`` (a Jc table's fields):
    a column in Oe, kOe or A/m is read as mu0 H in T, as ``units.array_in`` reads it."""
    if not values:
        return ()
    text = (lambda x: f"{x} {unit}") if unit else (lambda x: f"{x} dimensionless")
    key = f"{where}_unit = {shown(unit)}"
    if h_field and (mu0_h := _h_field_scale(text(1), key)) is not None:
        return tuple(finite(float(x) * mu0_h, f"{where}[{i}]", x) for i, x in enumerate(values))
    zero = parse_quantity(text(0), dimension, key)
    first = finite(parse(text(values[0]), dimension, f"{where}[0]"), f"{where}[0]", values[0])
    if zero != 0.0:  # an offset unit: per value
        return (first,) + tuple(
            finite(parse(text(x), dimension, f"{where}[{i}]"), f"{where}[{i}]", x)
            for i, x in enumerate(values[1:], 1)
        )
    scale = parse(text(1), dimension, f"{where}[0]")
    return (first,) + tuple(
        finite(float(x) * scale, f"{where}[{i}]", x) for i, x in enumerate(values[1:], 1)
    )


def _h_field_scale(one: str | pint.Quantity, key: str, per_time: bool = False) -> float | None:
    """mu0 H in T of the quantity ``one`` ("1 Oe") if it is an H field (Oe, kOe, A/m), else None
    (a unit that is no H, or that pint cannot read: its reader names it, with the near miss);
    ``per_time``: mu0 dH/dt in T/s of an H per time ("1 Oe/s")."""
    try:
        q = units.quantity(one, key)
    except UnitError:
        return None
    if per_time:
        q = q * units.Q_(1.0, "s")
    if not q.check("[current] / [length]"):
        return None
    return float(units.array_in(q, "T", key, h_field=True))


def quantity(
    mapping: Mapping[str, Any],
    key: str,
    dimension: str,
    where: str,
    default: str | None = None,
    *,
    h_field: bool = False,
) -> float:
    """``mapping[key]`` (a string with a unit, or a pint quantity of a dict built in Python) as a
    finite float in the SI unit of ``dimension``. ``h_field`` (an applied field, its rate, Kim's
    B0): an H in Oe, kOe or A/m (per time for a rate) is read as mu0 H in T (T/s), as
    ``table_column`` reads a Jc table's fields."""
    full = key_path(where, key)
    dim = dimension.replace("_", " ")
    if key not in mapping:
        if default is not None:
            return parse(default, dimension, full)
        raise UnitError(f"{full}: missing (expected a {dim} with its unit)")
    value = mapping[key]
    if isinstance(value, bool) or not isinstance(value, str | pint.Quantity):
        example = value if isinstance(value, int | float) and not isinstance(value, bool) else 1
        raise UnitError(
            f"{full}: got the bare value {shown(value)}; expected a {dim} written with its unit, "
            f'e.g. "{example} {EXAMPLE_UNIT.get(dimension, "")}"'
        )
    per_time = dimension == "field_rate"
    if h_field and (mu0_h := _h_field_scale(value, full, per_time)) is not None:
        return finite(mu0_h, full, value)
    return finite(parse_quantity(value, dimension, full), full, value)


def number(mapping: Mapping[str, Any], key: str, where: str, default: float | None = None) -> float:
    """``mapping[key]`` as a finite plain number (no unit)."""
    full = key_path(where, key)
    if key not in mapping:
        if default is None:
            raise ValidationError(f"{full}: missing (expected a number)")
        return default
    v = mapping[key]
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValidationError(f"{full}: expected a plain number, got {v!r}")
    return finite(float(v), full, v)


def table(mapping: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    """``mapping[key]`` if it is a table (empty if absent)."""
    value = mapping.get(key, {})
    if not isinstance(value, Mapping):
        full = key_path(where, key)
        raise ValidationError(f"{full}: {expected_table(value, full)}")
    return value


def expected_table(value: Any, full: str) -> str:
    """ "expected a table, got ..." for the value ``value`` of the key ``full``, shown at most
    ``MAX_KEY_SHOWN`` characters long (a Jc table written as [[...]] was repeated whole), and
    for a list of tables, how TOML writes one table ([mesh], not [[mesh]])."""
    hint = ""
    if isinstance(value, list) and value and all(isinstance(x, Mapping) for x in value):
        hint = f": in TOML, write [{full}] (one table), not [[{full}]] (a list of them)"
    return f"expected a table, got {shown(value)}{hint}"


def number_start(text: str) -> bool:
    """Whether ``text`` starts like a number ("2e4 A/cm^2", "-1", ".5")."""
    return re.match(r"\s*[+-]?\.?[0-9]", text) is not None


def si(x: float, unit: str) -> str:
    """``x`` written with its unit, exactly (``repr``): the form ``quantity`` reads back."""
    return f"{x!r} {unit}"


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def toml_value(v: Any) -> str:
    """A TOML value: strings (JSON escapes are TOML's), numbers, lists, inline tables."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):  # JSON leaves DEL raw, which a TOML string may not hold
        return json.dumps(v, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(v, int | float):
        return repr(float(v)) if isinstance(v, float) else str(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, Mapping):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"no TOML form for {type(v).__name__}")


def toml_table(header: str, spec: Mapping[str, Any]) -> list[str]:
    """Lines of a TOML table ``[header]`` (or ``[[header]]`` when written so) with ``spec``."""
    return ["", header, *(f"{toml_key(k)} = {toml_value(v)}" for k, v in spec.items())]
