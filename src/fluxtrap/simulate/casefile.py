"""Reading and writing the tables of a case file: strict keys, quantities with units, TOML text.

Every reader names the key it reads as ``table.key`` (e.g. ``stack[0].thickness``) in its errors.
Unknown keys are errors with the nearest known key suggested; NaN and infinite values are
refused. Values come back in SI (through ``fluxtrap.units``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

import pint

from fluxtrap.errors import UnitError, ValidationError
from fluxtrap.inputs import check_keys, key_path, tables  # noqa: F401 - re-exported: the case's readers
from fluxtrap.units import EXAMPLE_UNIT, parse


def finite(value: float, full: str, text: Any) -> float:
    """``value`` if finite, else a ``ValidationError`` naming ``full`` and the ``text`` given."""
    if not math.isfinite(value):
        raise ValidationError(f"{full}: must be a finite number, got {text!r}")
    return value


def table_column(values: list, unit: str, dimension: str, where: str) -> tuple[float, ...]:
    """The plain numbers ``values`` (already checked to be numbers) of a table column in ``unit``
    ("" = dimensionless) as finite SI floats, ``where`` naming the column ("...jc"). The unit is
    parsed once and scales the column (through pint per value a 20 000-point table took 20 s to
    load); the first value goes through pint, so a unit mistake is named at [0], and an offset
    unit (degC) goes per value."""
    if not values:
        return ()
    text = (lambda x: f"{x} {unit}") if unit else (lambda x: f"{x} dimensionless")
    first = finite(parse(text(values[0]), dimension, f"{where}[0]"), f"{where}[0]", values[0])
    if parse(text(0), dimension, f"{where}[0]") != 0.0:  # an offset unit: per value
        return (first,) + tuple(
            finite(parse(text(x), dimension, f"{where}[{i}]"), f"{where}[{i}]", x)
            for i, x in enumerate(values[1:], 1)
        )
    scale = parse(text(1), dimension, f"{where}[0]")
    return (first,) + tuple(
        finite(float(x) * scale, f"{where}[{i}]", x) for i, x in enumerate(values[1:], 1)
    )


def quantity(
    mapping: Mapping[str, Any], key: str, dimension: str, where: str, default: str | None = None
) -> float:
    """``mapping[key]`` (a string with a unit, or a pint quantity of a dict built in Python) as a
    finite float in the SI unit of ``dimension``."""
    full = key_path(where, key)
    dim = dimension.replace("_", " ")
    if key not in mapping:
        if default is not None:
            return parse(default, dimension, full)
        raise UnitError(f"{full}: missing (expected a {dim} with its unit)")
    value = mapping[key]
    if isinstance(value, bool) or not isinstance(value, str | pint.Quantity):
        raise UnitError(
            f"{full}: got the bare value {value!r}; expected a {dim} written with its unit, "
            f'e.g. "{value} {EXAMPLE_UNIT.get(dimension, "")}"'
        )
    return finite(parse(value, dimension, full), full, value)


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
        raise ValidationError(f"{key_path(where, key)}: expected a table, got {value!r}")
    return value


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
