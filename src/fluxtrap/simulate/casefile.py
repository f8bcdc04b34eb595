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

from fluxtrap.errors import UnitError, ValidationError
from fluxtrap.inputs import (  # noqa: F401 - re-exported: the case's readers
    MAX_KEY_SHOWN,
    check_keys,
    key_path,
    near,
    tables,
)
from fluxtrap.units import EXAMPLE_UNIT, parse


def did_you_mean(value: Any, options: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the option nearest to a misspelt ``value`` (the unknown-key
    path's ``inputs.near``), or "" (also for a ``value`` that is not a text). Tried in turn: an
    option differing only in case ("bz" for "Bz", which difflib rates below its cutoff), the
    whole text, then its words (split at _ - and spaces, longest first: "fcm_coll" -> "cool")."""
    if not isinstance(value, str):
        return ""
    options = list(options)
    text = value.strip()[:MAX_KEY_SHOWN]
    words = sorted(re.split(r"[\s_-]+", text), key=len, reverse=True)
    close = next((o for o in options if o.casefold() == text.casefold()), None)
    for word in [text, *words[:5]] if len(words) > 1 else [text]:
        close = close or near(word, options)
    return f" (did you mean {close!r}?)" if close else ""


def shown(value: Any) -> str:
    """``repr(value)``, at most ``MAX_KEY_SHOWN`` characters of it (a list of 10 000 numbers
    where a table belongs was repeated whole in its error)."""
    text = repr(value)
    if len(text) <= MAX_KEY_SHOWN:
        return text
    size = f" ({type(value).__name__} of {len(value)})" if hasattr(value, "__len__") else ""
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
