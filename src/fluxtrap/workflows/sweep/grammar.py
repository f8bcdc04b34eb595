"""The sweep's grammar: a swept ``Value`` with its unit, an ``Axis`` (``--vary NAME=START:STOP:NUM``
or ``NAME=V1,V2,...``), a CSV list of variants (``read_list``) and results-table column names."""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pint

from fluxtrap.errors import InputFileError, UnitError, ValidationError
from fluxtrap.inputs import read_text
from fluxtrap.units import DIMENSIONS, Q_, misread_hint, quantity

MAX_VARIANTS = 10_000  # variants of one sweep: each is a parsed case, a task and a results row

# name -> (dimension, what it changes); see the module docstring
SHORTCUTS: dict[str, tuple[str, str]] = {
    "radius": ("length", "every stack layer's radius"),
    "thickness": ("length", "every superconductor layer's thickness"),
    "inner_radius": ("length", "every stack layer's inner radius (0: disks)"),
    "spacer_thickness": ("length", "every normal-conductor (spacer) layer's thickness"),
    "temperature": ("temperature", "the temperature of the set step (protocol[0])"),
    "field": ("magnetic_flux_density", "the applied field of the set step (protocol[0])"),
    "n": ("dimensionless", "the power-law exponent n of every superconductor"),
    "jc_scale": ("dimensionless", "a factor on the Jc(B) of every superconductor"),
}


@dataclass(frozen=True)
class Value:
    """One setting of a swept parameter: ``magnitude`` in ``unit`` (``""`` for a pure number)."""

    magnitude: float
    unit: str = ""

    @classmethod
    def parse(cls, text: str | float, where: str) -> Value:
        """``"12 mm"``, ``"12mm"`` or ``"35"`` (a pure number), quoted or not (``'"12 mm"'``,
        as a case file writes it); errors name ``where``."""
        if isinstance(text, str):
            text = unquote(text, where)
        try:
            number = float(text)
        except ValueError:
            pass
        else:  # float() reads "nan", "inf" and "1e999" too
            if not math.isfinite(number):
                raise ValidationError(f"{where}: {text!r} is not a finite number")
            return cls(number)
        head = re.match(r"\s*([+-]?(?:nan|inf(?:inity)?))(?![a-z])", str(text), re.IGNORECASE)
        if head:  # "nan T" was "cannot read 'nan T' as a quantity"
            raise ValidationError(f"{where}: {text!r} is not a finite number")
        q = quantity(str(text).strip(), where)
        return cls(float(q.magnitude), f"{q.units:~C}")

    def to(self, unit: str, where: str) -> Value:
        """The same value in ``unit``."""
        if unit == self.unit:
            return self
        try:
            return Value(_round(Q_(self.magnitude, self.unit or "").to(unit or "").magnitude), unit)
        except pint.errors.DimensionalityError:
            raise UnitError(
                f"{where}: {self} cannot be converted to {unit or 'a pure number'}"
            ) from None

    def to_case(self) -> str | float:
        """As written into the case dict: a string with its unit, or a plain number."""
        return f"{self.magnitude!r} {self.unit}" if self.unit else self.magnitude

    def __str__(self) -> str:
        return f"{self.magnitude:g} {self.unit}".strip()

    def __repr__(self) -> str:
        return f"Value({self})"


@dataclass(frozen=True)
class Axis:
    """A swept parameter: its ``name`` (a shortcut or a dotted path) and ``values`` in one unit."""

    name: str
    values: tuple[Value, ...]

    @classmethod
    def parse(cls, text: str) -> Axis:
        """Read ``NAME=START:STOP:NUM`` (NUM evenly spaced values), ``NAME=START:STOP:NUM:log``
        (NUM values evenly spaced in log: START, STOP of one sign, not 0) or ``NAME=V1,V2,...``.

        >>> Axis.parse("radius=10mm:40mm:7").values[1]
        Value(15 mm)
        """
        where = f"--vary {text!r}"
        name, sep, spec = text.partition("=")
        # quoted whole ('field="5 T:7 T:3"') or each value ('field="5 T","6 T"'; Value.parse)
        name, spec = unquote(name, where), _unpair(spec)
        if not sep or not name or not spec:
            raise ValidationError(
                f"{where}: expected NAME=START:STOP:NUM or NAME=V1,V2,..., e.g. radius=10mm:40mm:7"
            )
        if ":" in spec:
            parts = [_unpair(part) for part in spec.split(":")]
            log = len(parts) == 4 and parts[3].strip().lower() == "log"
            if len(parts) != 3 and not log:
                raise ValidationError(
                    f"{where}: a range is START:STOP:NUM, e.g. 10mm:40mm:7, or START:STOP:NUM:log "
                    "(evenly spaced in log), e.g. 1e-3T/s:1T/s:4:log"
                )
            start = Value.parse(parts[0], where)
            stop = Value.parse(parts[1], where).to(start.unit, where)
            try:
                num = int(parts[2])
            except ValueError:
                num = 0
            if not 1 <= num <= MAX_VARIANTS:
                raise ValidationError(
                    f"{where}: NUM must be a whole number from 1 to {MAX_VARIANTS} (the most "
                    f"variants a sweep may have; how many values, not the step between them), "
                    f"got {parts[2]!r}"
                )
            if num == 1 and stop.magnitude != start.magnitude:  # STOP was ignored unsaid
                raise ValidationError(
                    f"{where}: NUM 1 gives START alone ({start}), so STOP ({stop}) would be "
                    f"ignored: give NUM 2 or more, or NAME={start} for one value"
                )
            if num > 1 and stop.magnitude == start.magnitude:  # was "a value is given twice"
                raise ValidationError(
                    f"{where}: START and STOP are both {start}, so the {num} values would be one; "
                    f"give another STOP, or NAME={start} for one value"
                )
            if log and not start.magnitude * stop.magnitude > 0:
                raise ValidationError(
                    f"{where}: a log range needs START and STOP of one sign, not 0, got {start} "
                    f"and {stop}"
                )
            spaced = np.geomspace if log else np.linspace
            values = [
                Value(_round(x), start.unit) for x in spaced(start.magnitude, stop.magnitude, num)
            ]
        else:
            texts = [s for s in spec.split(",") if s.strip()]
            if len(texts) > MAX_VARIANTS:  # counted before any is read (20 000 took 11 s)
                raise ValidationError(
                    f"--vary {name}: {len(texts)} values; a sweep may have at most {MAX_VARIANTS} "
                    "variants"
                )
            items = [Value.parse(s, where) for s in texts]
            if not items:  # "radius=,," was an IndexError
                raise ValidationError(f"{where}: no values between the commas, e.g. radius=5mm,8mm")
            values = [v.to(items[0].unit, where) for v in items]
        axis = cls(name, tuple(values))
        axis.check()
        return axis

    @property
    def unit(self) -> str:
        return self.values[0].unit if self.values else ""

    @property
    def column(self) -> str:
        """Its column in the results table: the name with a unit suffix (``radius_mm``)."""
        return column_name(self.name, self.unit)

    def check(self) -> None:
        """Each value once; shortcuts take their dimension (``radius`` a length, ``n`` a number,
        ...; ``check_value``)."""
        where = f"--vary {self.name}"
        seen: set[Value] = set()
        for v in self.values:
            if v in seen:
                raise ValidationError(f"{where}: {v} is given twice")
            seen.add(v)
        for v in self.values:
            check_value(self.name, v, where)


def check_value(name: str, value: Value, where: str) -> None:
    """A value of a shortcut in its dimension (a length for ``radius``, ..., a ``field`` in T or,
    read as mu0 H, Oe or A/m) and a ``jc_scale`` factor > 0, or an error naming ``where``; a
    dotted path's values are the case's to check."""
    if name not in SHORTCUTS:
        return
    dim = SHORTCUTS[name][0]
    target = DIMENSIONS[dim]
    try:
        one = Q_(1.0, value.unit or "")
        if not (name == "field" and one.check("[current] / [length]")):  # Oe, kOe: mu0 H
            one.to(target or "")  # as the case's set step reads it
    except pint.errors.DimensionalityError:
        raise UnitError(
            f"{where}: {value} is not a {dim.replace('_', ' ')} "
            f"(expected something convertible to {target or 'a pure number'})"
            f"{misread_hint(Q_(1.0, value.unit), target) if value.unit else ''}"
        ) from None
    if name == "jc_scale" and value.magnitude <= 0:
        raise ValidationError(f"{where}: factors must be > 0, got {value}")


QUOTES = "\"'"


def unquote(text: str, where: str) -> str:
    """``text`` stripped, without one pair of matching quotes around it: ``mesh.size="1.5 mm"``
    (as the case file and the help's ``solver.accuracy="0.5 %"`` write it) was "cannot read
    '"1.5 mm"' as a quantity"; a quote left unpaired is refused, saying what to write."""
    text = _unpair(text)
    if any(q in text for q in QUOTES):
        raise ValidationError(
            f"{where}: unpaired quote in {text!r}; write the value without quotes (size=1.5mm) "
            'or quote each value whole (size="1.5 mm", field="5 T","6 T", '
            'field="5 T":"7 T":3), the whole --vary in the shell\'s quotes: '
            "--vary 'size=\"1.5 mm\"'"
        )
    return text


def _unpair(text: str) -> str:
    """``text`` stripped, and without the quotes around it when they are its only ones."""
    text = text.strip()
    inner = text[1:-1]
    if len(text) >= 2 and text[0] == text[-1] and text[0] in QUOTES and text[0] not in inner:
        return inner.strip()
    return text


def column_name(name: str, unit: str) -> str:
    """``radius`` in ``mm`` -> ``radius_mm``; ``A/cm**2`` -> ``A_per_cm2``; ``°C`` -> ``degC``,
    ``µm`` -> ``um``."""
    if not unit:
        return name
    suffix = unit.replace("**", "").replace("/", "_per_").replace("*", "_").replace(" ", "")
    # ASCII, as the style's ramp_rate_degC_min: "temperature_°C" read as "temperature_Â°C"
    # where a spreadsheet took results.csv for Latin-1
    suffix = suffix.replace("Δ°", "delta_deg").replace("°", "deg").replace("µ", "u")
    return f"{name}_{suffix}"


def read_list(path: str | Path) -> list[dict[str, Value]]:
    """Variants listed in a CSV: one column per swept name, cells like ``12 mm`` or ``35``."""
    p = Path(path)
    text = read_text(p, "variant list").removeprefix("\ufeff")  # the byte-order mark of Excel
    reader = csv.DictReader(io.StringIO(text, newline=""))
    names = [name.strip() for name in reader.fieldnames or []]
    twice = sorted({name for name in names if names.count(name) > 1})
    if "" in names or twice:  # DictReader kept the last of two same-named columns
        what = f"column {names.index('') + 1} has no name" if "" in names else (
            f"the column(s) {', '.join(map(repr, twice))} appear twice"
        )  # fmt: skip
        raise InputFileError(f"{p}, line 1: {what}; give each swept name one column")
    rows = list(reader)
    if not rows:
        raise InputFileError(
            f"{p}: no variants (expected a header of swept names, then one row each)"
        )
    if len(rows) > MAX_VARIANTS:
        raise InputFileError(f"{p}: {len(rows)} variants; a sweep may have at most {MAX_VARIANTS}")
    out = []
    for i, row in enumerate(rows):
        if None in row or any(v is None or not v.strip() for v in row.values()):
            raise InputFileError(f"{p}, line {i + 2}: every column needs a value")
        out.append(
            {
                k.strip(): Value.parse(v, f"{p}, line {i + 2}, column {k.strip()!r}")
                for k, v in row.items()
            }
        )
    first: dict[tuple[Value, ...], int] = {}  # each row's values -> its line
    for i, row in enumerate(out):
        for name, value in row.items():
            where = f"{p}, line {i + 2}, column {name!r}"
            check_value(name, value, where)
            row[name] = value.to(out[0][name].unit, where)
        line = first.setdefault(tuple(row.values()), i + 2)
        if line != i + 2:  # the same variant twice: a row twice in the results, run once
            raise InputFileError(
                f"{p}, line {i + 2}: the same variant as line {line} "
                f"({', '.join(f'{k}={v}' for k, v in row.items())}); give each once"
            )
    return out


def _round(x: float) -> float:
    """12 significant digits: 0.1 + 0.2 becomes 0.3, so keys and labels are what one typed."""
    return float(f"{float(x):.12g}")
