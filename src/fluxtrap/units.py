"""The one place units are read: a pint registry and helpers that turn "30 mm" into SI floats.

Everything inside fluxtrap is SI (m, s, T, A/m^2, V/m, K, ohm*m); process temperatures in
degC are the one exception and are named ``*_degC``.
"""

from __future__ import annotations

import math
import numbers
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fluxtrap.errors import UnitError

if TYPE_CHECKING:
    import numpy as np
    import pint

# Built on first use (PEP 562 ``__getattr__`` below): importing pint takes numpy, babel and
# dask.base with it (0.3-0.6 s), which `fluxtrap --help` and the unit-free helpers here do not need.
ureg: pint.UnitRegistry  # the one registry: quantities of two registries do not mix
Q_: type[pint.Quantity]  # ``ureg.Quantity``: ``Q_(30, "mm")``
_BUILDING = threading.Lock()  # one registry, also when threads of the web server ask at once


def __getattr__(name: str) -> Any:
    if name in ("ureg", "Q_"):
        return _registry_ready() if name == "ureg" else _registry_ready().Quantity
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), "ureg", "Q_"})  # listed (tab completion) before they are built


def _registry_ready() -> pint.UnitRegistry:
    """:data:`ureg`, built with fluxtrap's definitions on the first call."""
    if "ureg" not in globals():
        with _BUILDING:
            if "ureg" not in globals():
                reg = _registry()
                reg.define("emu = 1e-3 A*m^2")  # magnetic moment, CGS electromagnetic unit
                # Oe the symbol: pint's short form of kOe was "koersted" with Oe as the name
                reg.define("oersted = 1000 / (4 * pi) * A/m = Oe")
                # pint's gauss is of its Gaussian system, convertible to nothing SI: "20 kG" was
                # refused as "not a magnetic flux density"; in SI the gauss is 1e-4 T (as the
                # oersted above is 1000/(4 pi) A/m)
                reg.define("gauss = 1e-4 * T = G")
                # the temperature scales as people capitalise them ("Celsius"): pint knows
                # "celsius" only
                reg.define("@alias degree_Celsius = Celsius")
                reg.define("@alias degree_Fahrenheit = Fahrenheit")
                reg.define("@alias kelvin = Kelvin")
                # the year as labs write it ("1 y"; pint knows year, yr and a): y is no other
                # unit, and pint still reads "ys" and "ym" as the yoctosecond and yoctometre
                reg.define("@alias year = y")
                globals().update(Q_=reg.Quantity, ureg=reg)  # ureg last: the check above
    return globals()["ureg"]


def _registry() -> pint.UnitRegistry:
    """pint's registry with its parsed definitions cached on disk (0.7 s -> 0.13 s per process).

    The cache is a folder per pint version and definitions file, filled in a temporary folder
    and renamed into place, so a process never reads a half-written cache (pint writes its
    files in place); a cache that cannot be written or read means parsing the definitions, as
    without it. ``FLUXTRAP_CACHE_DIR`` chooses the parent folder (default: the user cache).
    """
    import pint
    import platformdirs

    kw = {"autoconvert_offset_to_baseunit": True}
    try:
        source = Path(pint.__file__).parent / "default_en.txt"
        parent = Path(
            os.environ.get("FLUXTRAP_CACHE_DIR") or platformdirs.user_cache_path("fluxtrap")
        )
        folder = parent / f"pint-{pint.__version__}-{source.stat().st_mtime_ns}"
        if not folder.is_dir():
            parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=parent, prefix=".pint-"))
            pint.UnitRegistry(cache_folder=staging, **kw)
            try:
                staging.rename(folder)
            except OSError:  # another process got there first
                shutil.rmtree(staging, ignore_errors=True)
        return pint.UnitRegistry(cache_folder=folder, **kw)
    except Exception:  # any cache failure: the uncached registry, as before
        return pint.UnitRegistry(**kw)


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
    "temperature_difference": "K",  # a rise or an error: 0.5 degC is 0.5 K, not 273.65 K
    "resistivity": "ohm*m",
    "field_rate": "T/s",
    "temperature_rate": "K/s",
    "magnetic_moment": "A*m^2",
    "volumetric_heat_capacity": "J/(m^3*K)",
    "thermal_conductivity": "W/(m*K)",
    "heat_transfer_coefficient": "W/(m^2*K)",
    "thermal_resistance": "K*m^2/W",
    "heat_capacity": "J/K",
    "power": "W",
    "dimensionless": "",
}

# The unit an error message suggests for a value written without one, by dimension.
EXAMPLE_UNIT = {
    "length": "mm",
    "time": "s",
    "magnetic_flux_density": "T",
    "current_density": "A/cm^2",
    "electric_field": "V/m",
    "temperature": "K",
    "temperature_difference": "K",
    "resistivity": "ohm*m",
    "field_rate": "T/h",
    "temperature_rate": "K/min",
    "volumetric_heat_capacity": "J/(m^3*K)",
    "thermal_conductivity": "W/(m*K)",
    "heat_transfer_coefficient": "W/(m^2*K)",
    "heat_capacity": "J/K",
    "power": "W",
    "thermal_resistance": "K*m^2/W",
    "magnetic_field": "A/m",
    "magnetic_moment": "emu",
    "dimensionless": "%",
}

MAX_TEXT = 100  # characters of a quantity or unit; the longest real one ("1.2e5 A/cm^2") is 12
MAX_NESTING = 3  # parentheses inside a unit, e.g. "J/(m^3*K)" needs 1

# A quantity is a number and a unit; the unit is names joined by * / or spaces, each with an
# optional small integer power, in parentheses at most MAX_NESTING deep. Hand-written because
# pint has no safe mode: Q_(text) evaluates arithmetic, so "9**9**9" would run for ever.
# plain decimal text: ASCII digits only, so no "1_0", "nan", "inf" or other scripts' digits, all of
# which float() reads
_DECIMAL = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_NUMBER = re.compile(rf"\s*({_DECIMAL})\s*(.*?)\s*", re.S)
_TOKEN = re.compile(
    r"\s*(?:(?P<power>(?:\^|\*\*)\s*(?:[+-]?\d{1,2}|\(\s*[+-]?\d{1,2}\s*\)))"
    r"|(?P<name>(?:[^\W\d]|°)[\w°]*|%)|(?P<one>1)|(?P<op>[*/])|(?P<open>\()|(?P<close>\)))"
)


def _unit_tokens(text: str) -> list[tuple[str, str]]:
    """``(kind, text)`` tokens of a unit, or ValueError where it is not one."""
    tokens, pos = [], 0
    while pos < len(text.rstrip()):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ValueError(f"unexpected {text[pos:].strip()[:10]!r}")
        tokens.append((m.lastgroup, m.group(m.lastgroup)))
        pos = m.end()
    return tokens


def _check_unit(tokens: list[tuple[str, str]]) -> None:
    """Accept ``unit := factor ([*/]? factor)*``, ``factor := (name | 1 | "(" unit ")") power?``."""
    depth, prev = 0, "op"  # the kind of the previous token; a unit starts as if after an operator
    for kind, text in tokens:
        ends_factor = prev in ("name", "one", "close", "power")
        if kind == "open":
            depth += 1
            if depth > MAX_NESTING:
                raise ValueError(f"parentheses nested more than {MAX_NESTING} deep")
        elif kind == "close" and (not ends_factor or (depth := depth - 1) < 0):
            raise ValueError("unbalanced or empty parentheses")
        elif kind == "op" and not ends_factor:
            raise ValueError(f"expected a unit name before {text!r}")
        elif kind == "power" and prev not in ("name", "one", "close"):
            raise ValueError(f"misplaced power {text!r}")
        elif kind == "name" and text != "%" and not text.replace("°", "_").isidentifier():
            raise ValueError(f"{text!r} is not a unit name")  # e.g. "¼": \w, but pint asserts
        prev = kind
    if depth or prev in ("op", "open"):
        raise ValueError("incomplete unit")


def _bounded(text: Any, key: str, what: str) -> str:
    if not isinstance(text, str):
        raise UnitError(f"{key}: expected a {what} as text, got {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise UnitError(
            f"{key}: {text[:20]!r}... is {len(text)} characters long (at most {MAX_TEXT})"
        )
    return text


# Powers as people type them, "A/cm²" (as fluxtrap's own tables print it), "A/cm2", "A cm-2":
# superscripts, and digits right after a name pint does not know while the name without them is one;
# and the letterlike symbols text copied from a paper or a word processor carries, which pint
# does not know: ℃ ℉, the kelvin sign and the ohm sign (not the letters K and Ω)
_SUPERSCRIPTS = str.maketrans(
    {
        "²": "^2",
        "³": "^3",
        "⁻": "^-",
        "¹": "1",
        "℃": "degC",
        "℉": "degF",
        "\u212a": "K",
        "\u2126": "Ω",
    }
)
_NAME_POWER = re.compile(r"((?:[^\W\d]|°)[\w°]*?)(-?\d{1,2})(?![\w°])")


def _typed_powers(text: str) -> str:
    """``text`` with typed powers in pint's form: "A/cm2" -> "A/cm^2"; "mu0" stays (a unit)."""

    def known(name: str) -> bool:  # a name lookup: `name in ureg` would evaluate "cm-2"
        return bool(_registry_ready().parse_unit_name(name))

    def power(m: re.Match) -> str:
        name, exponent = m.groups()
        if (exponent[0] != "-" and known(m[0])) or not known(name):
            return m[0]
        return f"{name}^{exponent}"

    return _NAME_POWER.sub(power, text.translate(_SUPERSCRIPTS))


def _unit(text: str) -> pint.Unit:
    text = _typed_powers(text)
    tokens = _unit_tokens(text)
    if tokens:
        _check_unit(tokens)
    return _registry_ready().Unit(text.strip())


def _unit_errors() -> tuple[type[Exception], ...]:
    """What pint raises on text it cannot read as a unit: its own errors and, on some text the
    grammar lets through, bare builtin ones (an AssertionError among them)."""
    import pint

    return (pint.PintError, ValueError, TypeError, AttributeError, OverflowError, AssertionError)


def unit(text: str, key: str = "unit") -> pint.Unit:
    """A unit such as ``"A/cm^2"``, ``"J/(m^3*K)"``, ``"Oe"`` or ``""`` (a pure number), checked by
    the unit grammar before pint reads it; ``key`` names it in errors."""
    _bounded(text, key, "unit")
    try:
        return _unit(text)
    except _unit_errors() as err:
        raise UnitError(f"{key}: cannot read {text!r} as a unit ({err})") from None


def quantity(text: str | pint.Quantity, key: str = "value", example: str = "mm") -> pint.Quantity:
    """Parse ``text`` (e.g. ``"30 mm"``: a finite number, then a unit) into a pint quantity;
    ``key`` names it in errors, which suggest the unit ``example``. No arithmetic: ``"2*3 mm"``
    and ``"9**9**9"`` are refused. A pint quantity (this registry's, ``units.Q_(30, "mm")``, or a
    notebook's own ``pint.UnitRegistry``'s) of one finite number is taken as it is."""
    import pint

    if isinstance(text, pint.Quantity):
        return _own_quantity(text, key)
    if number(text) is not None and not isinstance(text, str):
        raise UnitError(
            f'{key}: got the bare number {text!r}; write the value with its unit, e.g. "{text} {example}"'
        )
    if not isinstance(text, str):
        raise UnitError(
            f'{key}: expected a quantity with its unit, e.g. "30 {example}" or '
            f'units.Q_(30, "{example}"), got {type(text).__name__} {str(text)[:40]!r}'
        )
    _bounded(text, key, "quantity")
    m = _NUMBER.fullmatch(text)
    if m is None:
        raise UnitError(
            f'{key}: cannot read {text!r} as a quantity: write a number and a unit, e.g. "30 {example}"'
        )
    digits, unit_text = m.groups()
    magnitude = float(digits)
    if not math.isfinite(magnitude):
        raise UnitError(f"{key}: {text!r} is not a finite number")
    if not unit_text:
        raise UnitError(f'{key}: {text!r} has no unit; write it with one, e.g. "{text} {example}"')
    try:
        return _registry_ready().Quantity(magnitude, _unit(unit_text))
    except _unit_errors() as err:
        raise UnitError(f"{key}: cannot read {text!r} as a quantity with a unit ({err})") from None


def _own_quantity(q: pint.Quantity, key: str) -> pint.Quantity:
    """A pint quantity of any registry as one of :data:`ureg` (pint refuses to mix registries),
    its unit read through the unit grammar; UnitError unless it is one finite number."""
    magnitude = q.magnitude
    if isinstance(magnitude, bool) or not isinstance(magnitude, numbers.Real):
        raise UnitError(f"{key}: expected one number with its unit, got {str(q)[:40]!r}")
    if not math.isfinite(magnitude):
        raise UnitError(f"{key}: {q!s} is not a finite number")
    try:
        return _registry_ready().Quantity(float(magnitude), _unit(str(q.units)))
    except _unit_errors() as err:
        raise UnitError(f"{key}: cannot read the unit of {q!s} ({err})") from None


def unit_text(text: str) -> str:
    """The unit part of a quantity's text, what follows its number ("0.3 K" -> "K"); ``text``
    itself if it does not start with one."""
    m = _NUMBER.fullmatch(text)
    return text if m is None else m.group(2)


def number(value: Any) -> float | None:
    """``value`` as a float if it is a number (not a bool) or plain decimal text (``"10"``,
    ``" -1.5e3 "``); None for anything else (``"1_0"``, ``"nan"``, ``"１０"``). Beyond a float's
    range: +-inf (the callers refuse what is not finite)."""
    if isinstance(value, bool) or not isinstance(value, str | numbers.Real):
        return None
    if isinstance(value, str) and re.fullmatch(_DECIMAL, value.strip()) is None:
        return None
    try:
        return float(value)
    except OverflowError:  # an int beyond 1.8e308
        return math.inf if value > 0 else -math.inf


# symbols pint reads as another unit than a lab means by them: (pint's name, the unit meant (of
# its dimension: kelvin for degC), what to write)
_MISREAD = (
    ("coulomb", "kelvin", "C is the coulomb: write degC (or K) for a temperature"),
    ("farad", "kelvin", "F is the farad: write degF for Fahrenheit"),
    ("meter", "minute", "m is the metre: write min for minutes"),
    ("metric_ton", "tesla", "t is the tonne: write T for tesla"),
)


# a unit's symbol C or F on its own ("C", "deg C", "° F", "C/min"; not "°C", "degF", "µF"), which
# pint reads as the coulomb or the farad where a lab means a temperature
_TEMPERATURE_SYMBOL = re.compile(r"(?<![\w°])([CF])(?![\w°])")
_SYMBOL_SAYS = {
    "C": "C is the coulomb: write degC (or K) for a temperature (coulomb for a charge)",
    "F": "F is the farad: write degF for a temperature (farad for a capacitance)",
}


def misread_symbol(text: str) -> str | None:
    """What to write instead of a unit ``text`` with the symbol C or F on its own ("C", "deg C",
    "C/min", "F"), which pint reads as the coulomb or the farad where a lab means degrees
    Celsius or Fahrenheit; None for any other text ("degC", "°C/min", "degF", "µF")."""
    m = _TEMPERATURE_SYMBOL.search(text.translate(_SUPERSCRIPTS))
    return None if m is None else _SYMBOL_SAYS[m[1]]


def misread_hint(q: pint.Quantity, target: Any) -> str:
    """``"; C is the coulomb: write degC ..."`` when ``q`` failed to convert to ``target`` (a
    unit) and would have with one of its symbols read as the unit a lab meant ("600 C", "10
    C/min" for degC; "5 m" for minutes); "" otherwise."""
    reg = _registry_ready()
    items = dict(q.unit_items())
    want = reg.Quantity(1.0, target).dimensionality
    hints = []
    for name, meant, say in _MISREAD:
        if name in items:
            read = {meant if n == name else n: e for n, e in items.items()}
            if math.prod(reg.Unit(n) ** e for n, e in read.items()).dimensionality == want:
                hints.append(f"; {say}")
    return "".join(hints)


def parse(text: str | pint.Quantity, dimension: str, key: str = "value") -> float:
    """Return ``text`` (``"30 mm"``, or a pint quantity: :func:`quantity`) in the SI unit of
    ``dimension`` (see ``DIMENSIONS``), as a float.

    >>> parse("30 mm", "length")
    0.03
    """
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}; known: {', '.join(DIMENSIONS)}")
    import pint

    q = quantity(text, key, EXAMPLE_UNIT.get(dimension, "mm"))
    target = DIMENSIONS[dimension]
    try:
        if dimension == "temperature_difference":  # the unit's scale alone: no offset
            one, zero = (_registry_ready().Quantity(x, q.units) for x in (1.0, 0.0))
            q = q.magnitude * (one - zero)  # degC -> delta_degC
        value = float(q.to(target).magnitude)
    except OverflowError:
        value = math.inf
    except pint.errors.DimensionalityError:
        hint = ""
        if dimension == "magnetic_flux_density" and q.check("[current] / [length]"):
            hint = f"; an H field: give mu0 H, e.g. '{MU0 * float(q.to('A/m').magnitude):.4g} T'"
        if dimension == "volumetric_heat_capacity" and q.check("[energy] / [mass] / [temperature]"):
            hint = "; a specific heat: multiply it by the density (kg/m^3) of the material"
        if dimension == "volumetric_heat_capacity" and q.check("[energy] / [temperature]"):
            hint = "; the heat capacity of a body: divide by its volume (m^3)"
        hint = hint or misread_hint(q, target or "dimensionless")  # "3 m" for a time, "5 C"
        what = dimension.replace("_", " ")
        raise UnitError(
            f"{key}: {text!r} is not {'an' if what[0] in 'aeiou' else 'a'} {what} "
            f"(expected something convertible to {target or 'a pure number'}){hint}"
        ) from None
    if not math.isfinite(value):
        raise UnitError(f"{key}: {text!r} is beyond the range of a float in {target or 'SI'}")
    return value


def in_si(value: Any, dimension: str, key: str = "value") -> float:
    """``value`` in the SI unit of ``dimension`` as a float: a bare number is taken in it, text
    or a pint quantity with its unit converted (:func:`parse`); anything else, NaN or infinity
    is a UnitError naming ``key``."""
    bare = None if isinstance(value, str) else number(value)
    si = parse(value, dimension, key) if bare is None else bare
    if not math.isfinite(si):
        raise UnitError(f"{key}: {value!r} is not a finite number")
    return si


def array_in(value: Any, unit: str, key: str = "value", *, h_field: bool = False) -> np.ndarray:
    """``value`` (numbers, an array, or a pint quantity) as a float array in ``unit``: a quantity
    is converted (numpy strips its unit: A/cm^2 read as A/m^2, G as T); one of another
    dimension, or what is not numbers, is a UnitError naming ``key``. ``h_field``: an H field
    (Oe, kOe, A/m), as magnetometers report it, is read as mu0 H (1 Oe -> 1e-4 T, 1 A/m ->
    4 pi 1e-7 T) before converting to ``unit``."""
    import numpy as np

    if hasattr(value, "m_as"):  # a pint quantity, without importing pint for plain arrays
        import pint

        try:
            if h_field and value.check("[current] / [length]"):
                value = _registry_ready().Quantity(MU0 * value.m_as("A/m"), "T")
            value = value.m_as(unit)
        except pint.DimensionalityError:
            hint = "; an H field: give mu0 H in T" if unit == "T" else ""
            if h_field:
                hint = " nor an H field (Oe, kOe, A/m: read as mu0 H)"
            raise UnitError(f"{key}: {value.units} is not convertible to {unit}{hint}") from None
    try:
        return np.asarray(value, float)
    except (TypeError, ValueError):
        raise UnitError(
            f"{key}: expected numbers in {unit} or a pint quantity, got {str(value)[:40]!r}"
        ) from None


def parse_in(mapping: Mapping[str, Any], key: str, dimension: str, where: str = "") -> float:
    """Parse ``mapping[key]`` as ``dimension``; errors name ``where.key``."""
    full = f"{where}.{key}" if where else key
    if key not in mapping:
        raise UnitError(f"{full}: missing (expected a {dimension.replace('_', ' ')} with its unit)")
    return parse(mapping[key], dimension, full)


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a float between units, e.g. ``convert(1e5, "A/cm^2", "A/m^2") == 1e9``."""
    import pint

    to = unit(to_unit, "to_unit")
    try:
        return float(
            _registry_ready().Quantity(value, unit(from_unit, "from_unit")).to(to).magnitude
        )
    except pint.errors.DimensionalityError:
        raise UnitError(
            f"cannot convert {from_unit!r} to {to_unit!r}: not the same dimension"
        ) from None


def to_A_cm2(jc_A_m2: Any) -> Any:
    """Jc (a number or an array) from A/m^2, as stored, to A/cm^2, as tables and papers show it."""
    return jc_A_m2 * 1e-4


# The one table of field units a column read beyond any magnet's limit may hold: (unit, its
# values per tesla of mu0 H, that number as said), in the order a file is likelier to hold them
# (an instrument's Oe, MultiVu's kOe, tesla, then units a user converted to). A column labelled
# in one of them (readers/_columns.check_field) is asked about the others; one read as tesla
# (field_unit_hint: table.py, the field series, calibrate's Series) about mT and Oe only.
FIELD_UNITS_PER_T = (
    ("Oe", 1e4, "1e4"),
    ("kOe", 10.0, "10"),
    ("T", 1.0, "1"),
    ("mT", 1e3, "1e3"),
    ("A/m", 1 / MU0, "7.96e5"),
)
_HINTED_AS_T = tuple(uf for u in ("mT", "Oe") for uf in FIELD_UNITS_PER_T if uf[0] == u)
_A_M_PER_T = next(said for u, _, said in FIELD_UNITS_PER_T if u == "A/m")
_TESLA_LABEL = re.compile(r"(?:(?<=_)T|(?<=\()\s*T\s*(?=\))|(?<=\[)\s*T\s*(?=\]))$")


def field_unit_hint(b_max_T: float, limit_T: float, column: str | None = None) -> str:
    """What a field read as tesla beyond ``limit_T`` (up to ``b_max_T``) likely holds, and the
    fix: mT (1e3 per T: a Hall probe's 500 mT read 500 T) or Oe / G (1e4 per T: an MPMS's 70
    kOe), the likelier first, the one whose largest field lies nearer 1 T in decades (a trapped
    field or a magnetometer's sweep: 0.1-10 T); only those that bring it under ``limit_T``.
    ``column``: the file's column, labelled T, to relabel; None for values given in code as T.
    The one hint of the magnetometry readers, the field series and calibrate's ``Series``."""
    fits = [uf for uf in _HINTED_AS_T if b_max_T / uf[1] <= limit_T]  # mT first on a tie
    if not fits:
        return (
            f"is the column another quantity or unit (A/m: {_A_M_PER_T} per T) but labelled T?"
            if column is not None
            else f"are the values another quantity or unit (A/m: {_A_M_PER_T} per T), not T?"
        )
    fits.sort(key=lambda uf: abs(math.log10(b_max_T / uf[1])))
    said = [
        f"in {'Oe or G' if u == 'Oe' else u} ({per} per T: up to {b_max_T / f:.3g} T)"
        for u, f, per in fits
    ]
    unit, per = fits[0][0], fits[0][2]
    if column is None:
        return f"are the values {' or '.join(said)}, not T? Give them in T (divided by {per})"
    fixed = _TESLA_LABEL.sub(unit, column) if _TESLA_LABEL.search(column) else f"B ({unit})"
    return (
        f"is the column {' or '.join(said)} but labelled T? Label it with its unit "
        f"({fixed!r}) and read the file again"
    )


def value_text(value: float | None, error: float | None = None, spec: str = ".4g") -> str:
    """``value ± error`` rounded alike (:func:`estimate_text`: the digits of the value that the
    error leaves) where the error is known (finite and > 0); else the value alone in ``spec``;
    "-" for no value (None)."""
    if value is None:
        return "-"
    if error is None or not 0 < error < math.inf:
        return format(value, spec)
    return estimate_text(value, error)


# a column name carrying its unit, as `fluxtrap export` writes it ("ramp_rate [degC/min]") or a
# spreadsheet ("dwell_time (h)")
HEADER_UNIT = re.compile(r"(?P<name>[^\[\]()]+?)\s*(?:\[(?P<b>[^\]]*)\]|\((?P<p>[^)]*)\))\s*")


def header_unit(column: str) -> tuple[str, str | None]:
    """A column's name and the unit it carries (``HEADER_UNIT``: ``ramp_rate [degC/min]``,
    ``dwell_time (h)``), or the column and None."""
    m = HEADER_UNIT.fullmatch(column)
    if m is None:
        return column, None
    return m["name"], (m["b"] if m["b"] is not None else m["p"]).strip()


ESTIMATE_DIGITS = 10  # significant digits of a mean beyond which estimate_text stops
# decimals beyond which estimate_text writes a mean under 1e-3 and its std in scientific
# notation (a probe's -7e-31 T ± 2.1e-30 T had printed 31 decimals)
ESTIMATE_DECIMALS = 8


def estimate_text(mean: float, std: float) -> str:
    """``mean ± std`` for people: both rounded to the std's second significant digit, with
    thousands separators ("40,600 ± 9,900", "-111,806.00 ± 0.10"); a mean that would need more
    than ``ESTIMATE_DIGITS`` significant digits for that keeps that many, its std in scientific
    notation ("36.90138771 ± 2.0e-10": a noise-free fit's); both are, for a mean under 1e-3
    that would need more than ``ESTIMATE_DECIMALS`` decimals ("-7e-31 ± 2.1e-30"). A std of
    0: the mean to 6
    significant digits, "± 0.00000"."""
    if not (math.isfinite(mean) and math.isfinite(std)):
        return "-"
    if std > 0:
        place = 1 - math.floor(math.log10(std))
        exponent = math.floor(math.log10(abs(mean))) if mean else 1 - place  # 0: as the std
        if exponent + place + 1 > ESTIMATE_DIGITS:
            decimals = ESTIMATE_DIGITS - 1 - exponent
            if decimals < 0:  # beyond 1e10: the mean in scientific notation too
                return f"{mean:.{ESTIMATE_DIGITS - 1}e} ± {std:.1e}"
            return f"{round(mean, decimals):,.{decimals}f} ± {std:.1e}"
        if place > ESTIMATE_DECIMALS and exponent < -3:  # a tiny mean: both scientific
            return f"{mean:.{max(exponent + place, 0)}e} ± {std:.1e}"
    else:
        place = min(6, 5 - math.floor(math.log10(abs(mean)))) if mean else 6
    decimals = max(place, 0)
    return f"{round(mean, place):,.{decimals}f} ± {round(std, place):,.{decimals}f}"
