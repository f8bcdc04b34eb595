"""Campaign definitions (design section 4): process parameters, objectives and constraints.

A campaign file is TOML; it is parsed once into frozen values that the store and the
optimizer share. Parameter values are in the campaign's own units (degC, degC/min, min);
objective values in their objective's unit (Jc in A/m^2, Tc in K, ``unit`` of a plain value).

A parameter is numeric (``low``, ``high``, optional ``step``), categorical (``choices``) or fixed
(``fixed``: held at one value). ``[[constraints]]`` are either linear in the numeric parameters
(``"max_temperature + 4 * dwell_time <= 700"``, campaign units) or bounds on a measured outcome
(``"tc >= 36 K"``). Unknown or misspelt keys are errors that name the table and the near miss.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pint

from fluxtrap import units
from fluxtrap.errors import UnitError, ValidationError
from fluxtrap.inputs import (
    check_keys,
    check_values,
    code_points,
    hidden_characters,
    key_path,
    near,
    reordering_characters,
    tables,
)
from fluxtrap.jctable import JC_BULK_MIN
from fluxtrap.tomlfile import read_toml
from fluxtrap.units import parse

GOALS = (
    "maximize",
    "minimize",
    "constraint",
)  # constraint: measured, only bounded by [[constraints]]
MAX_MAGNITUDE = 1e100  # bounds and objective values beyond this are typos, and overflow the model
QUANTITIES = ("jc", "value", "tc")
QUANTITY_UNITS = {"jc": "A/m^2", "tc": "K"}  # the unit each quantity is stored in
# a Jc or Tc (>= 0 by nature) whose stated 1-sigma is over MAX_RELATIVE_ERROR x its value and
# over the quantity's noise floor is refused: no measurement says that (a mistyped unit or
# exponent does). Floors: Jc 1e6 A/m^2 = 100 A/cm^2 (jctable.JC_BULK_MIN, below any
# bulk's Jc: a Jc of ~0 may carry that noise), Tc 1 K. A 'value' objective has no natural zero
# (a value near 0 may carry any relative error): its errors are not judged so.
MAX_RELATIVE_ERROR = 10.0
ERROR_FLOOR = {"jc": JC_BULK_MIN, "tc": 1.0}
# What no superconductor reaches, so a recorded Jc or Tc beyond it is a unit or exponent typed
# wrong, whatever range the objective gives (none: 1e30 A/m^2 was stored and ranked best).
# Jc: the Ginzburg-Landau depairing current density Phi0 / (3 sqrt(3) pi mu0 lambda^2 xi) is
# about 3e12 A/m^2 for YBCO (lambda 150 nm, xi 1.5 nm), 2e12 for MgB2 and Nb, and the best films
# carry a few 1e11 A/m^2: 1e14 A/m^2 (1e10 A/cm^2) is above them all. Tc: the highest known is
# about 250 K (LaH10 at 170 GPa), 138 K at ambient pressure: 300 K is above them.
PHYSICAL_MAX = {"jc": 1e14, "tc": 300.0}
TOP_KEYS = ("name", "budget", "parameters", "objectives", "constraints")
PARAMETER_KEYS = ("name", "unit", "low", "high", "step", "choices", "fixed", "log")
OBJECTIVE_KEYS = (
    "name", "quantity", "goal", "unit", "field", "field_T", "temperature", "temperature_K",
    "range", "log",
)  # fmt: skip
CONSTRAINT_KEYS = ("expression",)


MAX_NAME = 200  # characters of a campaign name or a sample label
MAX_NOTES = 10_000  # characters of a sample's notes (free text), for every interface
MAX_STATUS_NOTE = 500  # characters of a status note (why a sample or suggestion was marked)
MAX_BUDGET = 10_000  # experiments planned in one campaign; more is a typo (and an unbounded loop)
MAX_BATCH = 100  # suggestions in one ask: a lab batch, and a bounded acquisition optimisation
# the most [[parameters]], [[objectives]], [[constraints]] and choices of a campaign: a Gaussian
# process models tens of dimensions, not thousands (each one-hot choice is one); beyond, a typo
MAX_TABLES = {"parameters": 100, "objectives": 20, "constraints": 200}
MAX_CHOICES = 100
MAX_CONDITION_K = 1000.0  # an objective's temperature: magnetometer ovens reach 1000 K
MAX_CONDITION_T = 100.0  # an objective's field: the strongest (pulsed) magnets reach about 100 T
# objectives one suggestion's hypervolume improvement weighs (``Optimizer.ask`` refuses more):
# its box decompositions (one per MC sample) grow exponentially with them; one point on one
# thread, 3 objectives: 4 s with 30 observations, 8 s with 100; 4 objectives: 41 s with 30, 82 s
# with 60
MAX_HV_OBJECTIVES = 3
MAX_GRID_STEPS = 2**53  # steps across a stepped parameter: float64 integers are exact up to here
# values (points x parameters, 8 bytes each) of the constrained parameters' grid checked at
# creation: 10**6 points of 3 parameters in 0.03 s
GRID_CHECK = 4 * 10**6
# a continuous parameter made this close to its suggested value (a fraction of low..high) is the
# suggested point: a value typed from a printed suggestion is rounded, no furnace is set to 1e-6
SAME_POINT = 1e-3


def check_budget(budget: Any, where: str = "budget") -> int | None:
    """The total number of experiments a campaign plans (None: not said), checked: an integer
    from 1 to ``MAX_BUDGET``."""
    if budget is None:
        return None
    if isinstance(budget, bool) or not isinstance(budget, int | np.integer):
        raise ValidationError(
            f"{where}: the number of experiments planned must be a whole number, got {budget!r}"
        )
    if not 1 <= budget <= MAX_BUDGET:
        raise ValidationError(
            f"{where}: the number of experiments planned must be 1 to {MAX_BUDGET}, got {budget}"
        )
    return int(budget)


def check_new_name(name: str, what: str = "campaign name") -> str:
    """A new campaign's name or sample's label (``what`` names it in the error), if it can be a
    URL path segment: 1 to ``MAX_NAME`` characters, not ``.`` or ``..``, no ``/``, ``\\`` or
    hidden characters (``hidden_characters``: such a name could be stored but never read back
    through the web API, or look like another)."""
    bad = ", ".join(
        filter(None, [" ".join(sorted(set(name) & set("/\\"))), hidden_characters(name)])
    )
    if bad or not name.strip() or name.strip() in (".", "..") or len(name) > MAX_NAME:
        raise ValidationError(
            f"{what} {name[:40]!r}: use 1 to {MAX_NAME} characters without / \\, control or "
            "invisible characters, and not . or .."
            f"{' (found ' + bad + ')' if bad else ''}"
        )
    return name


def check_who(name: Any, what: str = "--by") -> str | None:
    """Who did something (``--by``, ``recorded_by``; ``what`` names it in the error): None, or
    text of 1 to ``MAX_NAME`` characters, not blank, as a user name, without NUL (the store's
    columns hold 200 and PostgreSQL's text no NUL: it refused such names, SQLite kept them) or
    other hidden characters (``hidden_characters``: an ESC moved the terminal's cursor when the
    name was listed; U+202E made one name look like another)."""
    if name is None:
        return None
    if not isinstance(name, str):
        raise ValidationError(f"{what} {str(name)[:40]!r} is not a text")
    hidden = hidden_characters(name)
    if not name.strip() or len(name) > MAX_NAME or hidden:
        raise ValidationError(
            f"{what} {name[:40]!r}: give 1 to {MAX_NAME} characters, not blank, no NUL, control "
            f"or invisible characters (got {len(name)}{', found ' + hidden if hidden else ''})"
        )
    return name


def check_note(text: Any, what: str, most: int) -> str:
    """A note (a sample's notes: ``MAX_NOTES``, a status note: ``MAX_STATUS_NOTE``) of at most
    ``most`` characters, else a ValidationError "``what``: N characters, at most ``most``",
    without characters that reorder or rewrite the text shown (``reordering_characters``: a
    U+202E made "gpj.exe" read "exe.jpg" on every page that showed it); the store checks every
    note it writes with it, and the CLI's options before the store opens."""
    if not isinstance(text, str):
        raise ValidationError(f"{what} {str(text)[:40]!r} is not a text")
    if len(text) > most:
        raise ValidationError(f"{what}: {len(text)} characters, at most {most}")
    if bad := reordering_characters(text):
        raise ValidationError(
            f"{what}: holds {code_points(bad)}: bidi overrides, embeddings or isolates and control characters "
            "reorder or hide the text shown; write it without them"
        )
    return text


def check_new_rules(data: Mapping[str, Any]) -> None:
    """The rules a new campaign file meets besides its grammar (a ValidationError naming the
    table otherwise), checked before anything is built: at most ``MAX_TABLES`` tables and
    ``MAX_CHOICES`` choices, no two choices that read alike (``_alike``), a fixed value with a unit
    a number, at most
    ``MAX_GRID_STEPS`` steps across a stepped parameter (grid
    points beyond 2**53 steps are not exact in floating point), and no hidden characters in the
    free text a parameter carries (its unit, choices, fixed value: printed by the CLI and the
    dashboard), and parameter and objective names in NFKC form without hidden characters
    (``é`` as e + U+0301 beside ``é``, or a Hangul filler, made names that look alike, and a
    constraint could not name ``e`` + U+0301 or the ligature ``ﬁ``)."""
    for key in ("parameters", "objectives"):
        for i, t in enumerate(tables(data, key)):
            name = t.get("name")
            if not isinstance(name, str):
                continue  # the grammar's own error follows
            if bad := hidden_characters(name):
                why = f"it has invisible characters ({bad})"
            elif (nfkc := unicodedata.normalize("NFKC", name)) != name:
                why = f"write it as {nfkc!r}, the same text in NFKC form"
            else:
                continue
            raise ValidationError(f"{key}[{i}]: name {name[:40]!r}: {why}")
    for key, most in MAX_TABLES.items():
        if len(tables(data, key)) > most:
            raise ValidationError(
                f"{len(tables(data, key))} [[{key}]], at most {most} in a campaign"
            )
    for i, p in enumerate(tables(data, "parameters")):
        where = f"parameters[{i}]: parameter {str(p.get('name'))[:40]}"
        choices = p.get("choices")
        if isinstance(choices, list | tuple) and len(choices) > MAX_CHOICES:
            raise ValidationError(f"{where}: {len(choices)} choices, at most {MAX_CHOICES}")
        if isinstance(choices, list | tuple) and (alike := _alike(choices)):
            raise ValidationError(
                f"{where}: choices {alike[0]!r} and {alike[1]!r} read alike (a form or a CSV "
                "sends a choice as its text, so only the first could be chosen): rename one"
            )
        low, high, step = (p.get(k) for k in ("low", "high", "step"))
        if all(isinstance(x, int | float) for x in (low, high, step)) and step > 0:
            steps = (high - low) / step
            if steps > MAX_GRID_STEPS:
                raise ValidationError(
                    f"{where}: step {step:g} makes {steps:.3g} steps from {low:g} to {high:g}, "
                    f"at most 2**53 = {MAX_GRID_STEPS:.3g} (beyond, grid points are not exact "
                    "numbers); a larger step, or none (continuous)"
                )
        fixed = p.get("fixed")
        if p.get("unit") and isinstance(fixed, str) and not _is_number(fixed):
            raise ValidationError(
                f"{where}: fixed = {fixed[:40]!r} is not a number, but the parameter has the unit "
                f"{str(p['unit'])[:40]!r}: give the number in that unit, or no unit for a label"
            )
        for key in ("unit", "choices", "fixed"):
            values = p.get(key)
            for value in values if isinstance(values, list | tuple) else [values]:
                bad = hidden_characters(value)
                if bad:
                    raise ValidationError(
                        f"{where}: {key} {value[:40]!r} has control or invisible characters ({bad})"
                    )


def check_new_spec(spec: CampaignSpec) -> None:
    """The rules a new campaign meets once built (``check_new_rules`` checks its file before):
    no temperature below 0 K (a parameter's lowest value: a unit mistake), no unit with the
    symbol C or F on its own (``units.misread_symbol``), objectives'
    measuring conditions a magnetometer reaches (``_check_conditions``), and outcome
    constraints some value meets (``tc >= 36 K`` with ``tc <= 30 K`` left every sample
    infeasible, found only at the first suggestion), and linear constraints some point of the
    step grid meets (``_check_grid_feasible``)."""
    for i, p in enumerate(spec.parameters):
        try:
            p.check_above_absolute_zero()
        except ValidationError as err:
            raise ValidationError(f"parameters[{i}]: {err}") from None
    for i, o in enumerate(spec.objectives):
        if o.unit and (say := units.misread_symbol(o.unit)):
            raise ValidationError(f"objectives[{i}]: objective {o.name}: unit {o.unit!r}: {say}")
    _check_conditions(spec.objectives)
    _check_grid_feasible(spec)
    for o in spec.objectives:
        mine = [c for c in spec.outcome_constraints if c.objective == o.name]
        lows = [c.lower for c in mine if c.lower is not None]
        highs = [c.upper for c in mine if c.upper is not None]
        u = f" {o.value_unit}" if o.value_unit else ""
        if lows and highs and max(lows) > min(highs):
            raise ValidationError(
                f"constraints: no value of {o.name} meets them all: at least {max(lows):g}{u} "
                f"and at most {min(highs):g}{u}"
            )
        if o.log and highs and min(highs) <= 0:  # the Optimizer's rule, met at every suggest
            raise ValidationError(
                f"constraints: {o.name} <= {min(highs):g}{u}: {o.name} has log = true (modelled "
                f"as ln {o.name}, a 0 at a floor above 0), so no bound at or below 0 can be "
                f"modelled: bound it above 0, or give {o.name} no log"
            )


def _check_grid_feasible(spec: CampaignSpec) -> None:
    """Refuse linear constraints that no point of the step grid meets (T from 450 to 750 degC
    by 10 with T >= 455 and T <= 459: the box has points, the grid none; suggest then found "0
    of the 0 settable feasible points"). Checked exactly, as ``check_params`` checks a sample,
    on the grid of the constrained parameters when each is stepped and it holds at most
    ``GRID_CHECK`` values (points x parameters); otherwise only the linear program on the box (``_check_feasible``)."""
    linear = spec.linear_constraints
    names = list(dict.fromkeys(n for c in linear for n, _ in c.coefficients))
    params = [spec.parameter(n) for n in names]
    if not linear or any(p.step == 0 for p in params):
        return
    counts = [math.floor((p.high - p.low) / p.step + 1e-9) + 1 for p in params]
    if math.prod(counts) * len(params) > GRID_CHECK:
        return
    axes = [
        snap_to_grid(p.low + p.step * np.arange(k), p.low, p.high, p.step)
        for p, k in zip(params, counts, strict=True)
    ]
    grid = dict(zip(names, (a.ravel() for a in np.meshgrid(*axes, indexing="ij")), strict=True))
    ok = np.ones(math.prod(counts), dtype=bool)
    for con in linear:
        scale = sum(np.abs(c * grid[n]) for n, c in con.coefficients) + abs(con.rhs)
        ok &= con.lhs(grid) <= con.rhs + 1e-9 * np.maximum(1.0, scale)
    if not ok.any():
        texts = "; ".join(repr(e) for e, c in zip(spec.constraints, spec._parsed, strict=True)
                          if isinstance(c, LinearConstraint))  # fmt: skip
        steps = ", ".join(
            f"{p.name} from {p.low:g} to {p.high:g} in steps of {p.step:g} {p.unit}".rstrip()
            for p in params
        )
        raise ValidationError(
            f"campaign {spec.name!r}: the constraints {texts} leave no point of the step grid "
            f"feasible ({steps}): widen them or use a finer step"
        )


def _alike(choices: Sequence[Any]) -> tuple[Any, Any] | None:
    """The first two choices with the same text once trimmed, or the same number ("1", 1.0),
    or None."""
    seen: dict[Any, Any] = {}
    for c in choices:
        key = float(c) if _is_number(c) else str(c).strip()
        if key in seen:
            return seen[key], c
        seen[key] = c
    return None


@dataclass(frozen=True)
class ParameterDef:
    """A process parameter: numeric (``low <= value <= high`` on a grid of ``step`` from ``low``;
    step 0: continuous; ``log``: searched on a log scale, ``0 < low``, no step), categorical (one
    of ``choices``) or fixed (always ``fixed``)."""

    name: str
    unit: str = ""
    low: float | None = None
    high: float | None = None
    step: float = 0.0
    choices: tuple[Any, ...] | None = None
    fixed: float | str | None = None
    log: bool = False

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValidationError(f"parameter name {self.name!r}: use letters, digits and _ only")
        if not isinstance(self.log, bool):
            raise ValidationError(
                f"parameter {self.name}: log must be true or false, got {self.log!r}"
            )
        if self.choices is not None:
            object.__setattr__(self, "choices", tuple(self.choices))
            if self.low is not None or self.high is not None or self.step:
                raise ValidationError(
                    f"parameter {self.name}: give either choices or low/high/step, not both"
                )
            bad = [
                c
                for c in self.choices
                if isinstance(c, bool) or not isinstance(c, str | int | float)
            ]
            if len(self.choices) < 2 or len(set(self.choices)) != len(self.choices) or bad:
                one = self.choices[0] if len(set(self.choices)) == 1 and not bad else None
                same = "" if one is None else f" (one value: fixed = {_toml_value(one)})"
                raise ValidationError(
                    f"parameter {self.name}: choices must be >= 2 distinct strings or numbers, "
                    f"got {list(self.choices)}{same}"
                )
        elif self.low is not None or self.high is not None or self.fixed is None:
            self._check_bounds()
        if self.log and (self.low is None or self.low <= 0 or self.step or self.fixed is not None):
            raise ValidationError(
                f"parameter {self.name}: log = true needs low > 0 and high, without step, "
                f"choices or fixed, got low={self.low}, step={self.step}"
            )
        if self.fixed is not None:
            if isinstance(self.fixed, bool) or not isinstance(self.fixed, str | int | float):
                raise ValidationError(
                    f"parameter {self.name}: fixed must be a number or a string, got {self.fixed!r}"
                )
            if self.choices is not None or self.low is not None:
                object.__setattr__(self, "fixed", self._check_free(self.fixed, "fixed"))
            elif isinstance(self.fixed, int | float):
                object.__setattr__(self, "fixed", float(self.fixed))

    def check_above_absolute_zero(self) -> None:
        """Refuse a unit with the symbol C or F on its own (the coulomb or the farad, meant as
        degC or degF: "C", "deg C", "C/min", "F"; ``units.misread_symbol``), and a
        temperature parameter (unit K, degC, degF...; not a difference, delta_degC) whose lowest
        value is below 0 K: a unit mistake (450-750 given in K meant in degC is
        still possible, below absolute zero is not). A rule for new campaigns."""
        if self.unit and (say := units.misread_symbol(self.unit)):
            # unit "C" made a campaign in coulombs without a word, "F" one in farads
            raise ValidationError(f"parameter {self.name}: unit {self.unit!r}: {say}")
        lowest = self.low if self.low is not None else self.fixed
        if not self.unit or not isinstance(lowest, float):
            return
        try:
            unit = units.unit(self.unit)
        except UnitError:  # a unit pint does not know: nothing to compare with
            return
        if dict(unit.dimensionality) != {"[temperature]": 1} or "delta" in str(unit):
            return
        kelvin = units.convert(lowest, self.unit, "K")
        if kelvin < 0:
            shown = "" if str(unit) == "kelvin" else f" ({kelvin:.6g} K)"
            raise ValidationError(
                f"parameter {self.name}: {lowest:g} {self.unit}{shown} is below absolute zero: a "
                "wrong unit? (for a temperature difference use delta_degC)"
            )

    def _check_bounds(self) -> None:
        low, high = self.low, self.high
        if low is None or high is None:
            raise ValidationError(
                f"parameter {self.name}: needs low and high (or choices = [...], or fixed = ...)"
            )
        object.__setattr__(self, "low", float(low))
        object.__setattr__(self, "high", float(high))
        if not (abs(self.low) <= MAX_MAGNITUDE and abs(self.high) <= MAX_MAGNITUDE) or (
            self.low >= self.high
        ):
            same = f" (one value: fixed = {low})" if self.low == self.high else ""
            raise ValidationError(
                f"parameter {self.name}: need low < high, both within +-{MAX_MAGNITUDE:g}, "
                f"got low={low}, high={high}{same}"
            )
        if not math.isfinite(self.step) or self.step < 0 or self.step > self.high - self.low:
            raise ValidationError(
                f"parameter {self.name}: step {self.step} must be >= 0 and <= high - low"
            )

    @property
    def kind(self) -> str:
        """``"fixed"``, ``"categorical"`` or ``"numeric"``."""
        if self.fixed is not None:
            return "fixed"
        return "categorical" if self.choices is not None else "numeric"

    def check(
        self, value: Any, where: str = "", outside: bool = False, grid: bool = True
    ) -> float | str:
        """Return ``value`` (float, or the choice) if the campaign allows it, else raise;
        ``outside``: a number beyond the bounds or off the step grid is allowed (a sample made
        there already, ``CampaignSpec.outside``); ``grid=False``: off the step grid is allowed
        (inside the bounds: the model's continuous box)."""
        if self.fixed is None:
            return self._check_free(value, where, outside, grid)
        at = f"{where}: " if where else ""
        same = (
            value == self.fixed
            if isinstance(self.fixed, str)
            else (v := self._number(value, at)) is not None
            and math.isclose(v, self.fixed, rel_tol=1e-9)
        )
        if not same:
            raise ValidationError(
                f"{at}{self.name}={value!r}: this campaign holds {self.name} fixed at "
                f"{self.fixed!r} {self.unit}".rstrip()
            )
        return self.fixed

    def _check_free(
        self, value: Any, where: str, outside: bool = False, grid: bool = True
    ) -> float | str:
        at = f"{where}: " if where else ""
        if self.choices is not None:
            for c in self.choices:
                if (
                    value == c
                    or (not isinstance(c, str) and units.number(value) == float(c))
                    or (isinstance(value, str) and str(c) == value.strip())
                ):
                    return c
            raise ValidationError(f"{at}{self.name}={value!r} is not one of {list(self.choices)}")
        v = self._number(value, at)
        if v is None:
            unit = f" in {self.unit} or with a unit" if self.unit else ""
            raise ValidationError(f"{at}{self.name}={value!r} is not a number{unit}")
        if not math.isfinite(v):
            raise ValidationError(f"{at}{self.name}={value!r} is not a finite number")
        v += 0.0  # "-0" was stored as -0.0, and tables showed "-0"
        if outside:
            return v
        shown = f"{v:g} {self.unit}".rstrip()
        if units.number(value) is None:  # converted from another unit: show what was given
            shown = f"{value!r} = {shown}"
        tol = 1e-9 * max(1.0, abs(self.high), abs(self.low))
        if v < self.low - tol or v > self.high + tol:
            raise ValidationError(
                f"{at}{self.name}={shown} is outside [{self.low:g}, {self.high:g}] {self.unit}".rstrip()
            )
        if self.step > 0 and grid:
            k = (v - self.low) / self.step
            # within a millionth of a step, or the few ulps of v a grid point is stored to: a
            # grid of 1e-9 degC over 450..750 refused most of the points snap_to_grid gave it
            # (suggest failed on its own suggestions after the whole model fit)
            ulps = 4 * math.ulp(max(abs(v), abs(self.low), abs(self.high))) / self.step
            if abs(k - round(k)) > max(1e-6, ulps):
                raise ValidationError(
                    f"{at}{self.name}={shown} is off the step grid (low {self.low:g} + k * {self.step:g})"
                )
        return v

    def _number(self, value: Any, at: str) -> float | None:
        """``value`` in this parameter's unit: a bare number, or text with a unit (or a pint
        quantity) that pint converts to it ("1 h" for a dwell in min, "873.15 K" for degC); None
        if neither."""
        v = units.number(value)
        if v is not None or not isinstance(value, str | pint.Quantity) or not self.unit:
            return v
        try:
            q = units.quantity(value, f"{at}{self.name}")
        except UnitError:
            return None
        try:
            target = units.unit(self.unit)
        except UnitError:
            raise ValidationError(
                f"{at}{self.name}={value!r}: give a bare number in {self.unit} (pint does not "
                "know that unit, so nothing converts to it)"
            ) from None
        try:
            # 12 digits: "873.15 K" is 600 degC, not 599.9999999999999 (off the grid)
            return float(f"{q.to(target).magnitude:.12g}")
        except pint.errors.DimensionalityError:
            raise ValidationError(
                f"{at}{self.name}={value!r}: cannot convert {q.units:~} to the campaign's unit "
                f"{self.unit}{units.misread_hint(q, target)}"
            ) from None

    def departure(self, made: float | str, suggested: float | str) -> str | None:
        """How a value made departs from the suggested one, ``"max_temperature 705 degC,
        suggested 700 degC (+5 degC)"``; None when they are the same point: the same choice, the
        same grid point (within half a ``step``), or for a continuous parameter within
        ``SAME_POINT`` of its range."""
        unit = f" {self.unit}" if self.unit else ""
        if self.kind == "numeric":
            d = float(made) - float(suggested)
            if abs(d) <= (self.step / 2 if self.step else SAME_POINT * (self.high - self.low)):
                return None
            return f"{self.name} {made:g}{unit}, suggested {suggested:g}{unit} ({d:+g}{unit})"
        if made == suggested:
            return None
        return f"{self.name} {made}{unit}, suggested {suggested}{unit}"

    def snap(self, value: float) -> float:
        """Nearest grid value inside the bounds (numeric parameters; see :func:`snap_to_grid`)."""
        if self.kind != "numeric":
            raise ValidationError(f"parameter {self.name} is {self.kind}: nothing to snap")
        return float(snap_to_grid(value, self.low, self.high, self.step))

    def to_dict(self) -> dict[str, Any]:
        """The keys a campaign file would give (defaults left out)."""
        out: dict[str, Any] = {"name": self.name, "unit": self.unit}
        for key in ("low", "high", "choices", "fixed"):
            value = getattr(self, key)
            if value is not None:
                out[key] = list(value) if key == "choices" else value
        if self.step:
            out["step"] = self.step
        if self.log:
            out["log"] = True
        return out


@dataclass(frozen=True)
class ObjectiveDef:
    """A measured outcome. ``quantity='jc'``: Jc (A/m^2) at ``field_T`` and ``temperature_K``;
    ``'tc'``: Tc in K; ``'value'``: a number in ``unit``. ``goal`` ``constraint``: measured and
    modelled, only bounded by an outcome constraint, not optimised. ``range``: the values it can
    plausibly take (low, high; numbers in its unit or strings with a unit): one outside is
    refused as a typo or a wrong unit. ``log``: modelled as ln(value) (values spanning decades,
    as Jc across sintering conditions), every value then 0 or above: a 0 (nothing measurable) of
    a maximised one is modelled at a floor below the smallest value above 0
    (``Optimizer.floor``); of a minimised one it is refused (it would rank as the best)."""

    name: str
    quantity: str = "value"
    goal: str = "maximize"
    field_T: float | None = None
    temperature_K: float | None = None
    unit: str = ""
    range: tuple[float, float] | None = None
    log: bool = False

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValidationError(f"objective name {self.name!r}: use letters, digits and _ only")
        if not isinstance(self.log, bool):
            raise ValidationError(
                f"objective {self.name}: log must be true or false, got {self.log!r}"
            )
        if self.goal not in GOALS:
            raise ValidationError(
                f"objective {self.name}: goal {self.goal!r} is not one of {GOALS}"
                f"{_near(self.goal.lower(), GOALS)}"
            )
        if self.quantity not in QUANTITIES:
            raise ValidationError(
                f"objective {self.name}: quantity {self.quantity!r} is not one of {QUANTITIES}"
                f"{_near(self.quantity.lower(), QUANTITIES)}"
            )
        if self.quantity == "jc" and self.field_T is None:
            raise ValidationError(
                f"objective {self.name}: quantity 'jc' needs a field, e.g. \"3 T\""
            )
        if self.unit and self.quantity != "value":
            raise ValidationError(
                f"objective {self.name}: quantity {self.quantity!r} is stored in "
                f"{QUANTITY_UNITS[self.quantity]}; unit is only for quantity 'value'"
            )
        if self.unit:
            _unit(self.unit, f"objective {self.name}: unit")
        if self.range is not None:
            self._check_range()

    def _check_range(self) -> None:
        given, where = self.range, f"objective {self.name}: range"
        if isinstance(given, str) or not isinstance(given, Sequence) or len(given) != 2:
            raise ValidationError(
                f'{where}: give [low, high], e.g. ["20 K", "150 K"], got {given!r}'
            )
        object.__setattr__(self, "range", None)  # read the bounds unbounded
        low, high = (self.convert(x, "range") for x in given)
        if not low < high:
            raise ValidationError(f"{where}: need low < high, got {given!r}")
        object.__setattr__(self, "range", (low, high))

    @property
    def maximize(self) -> bool:
        return self.goal == "maximize"

    @property
    def optimised(self) -> bool:
        """True for goals maximize / minimize (not for constraint-only outcomes)."""
        return self.goal != "constraint"

    @property
    def value_unit(self) -> str:
        """The unit its values are stored in (``""``: a pure number)."""
        return QUANTITY_UNITS.get(self.quantity, self.unit)

    def shown(self, value: Any) -> Any:
        """A stored value (a number or an array) as people read it: Jc in A/cm^2, anything else
        as stored."""
        return units.to_A_cm2(value) if self.quantity == "jc" else value

    def spread(self, mean: float, std: float, k: float = 1.0) -> tuple[float, float]:
        """A model's ``mean`` -+ ``k`` ``std`` (stored units), or of a ``log`` objective, whose
        ``mean`` is the median exp(mu) and ``std`` that of ln(value), exp(mu -+ k std)."""
        if self.log:
            return mean / math.exp(k * std), mean * math.exp(k * std)
        return mean - k * std, mean + k * std

    def prediction_text(self, mean: float | None, std: float | None) -> str:
        """A model's prediction as people read it: ``mean ± std`` (``units.estimate_text``), or
        of a ``log`` objective the median with exp(mu -+ std) in brackets ("-": none)."""
        if mean is None or std is None:
            return "-"
        if not self.log:
            return units.estimate_text(self.shown(mean), self.shown(std))
        low, high = (self.shown(v) for v in self.spread(mean, std))
        return f"{self.shown(mean):.3g} ({low:.3g} to {high:.3g})"

    @property
    def shown_unit(self) -> str:
        """The unit :meth:`shown` values are in: A/cm² for Jc, else :attr:`value_unit` (``""``:
        a pure number)."""
        return "A/cm²" if self.quantity == "jc" else self.value_unit

    @property
    def label(self) -> str:
        """The name with the shown unit, as table headers and axes show it: ``jc_3T [A/cm²]``,
        ``tc [K]``, ``y`` (a pure number)."""
        return f"{self.name} [{self.shown_unit}]" if self.shown_unit else self.name

    def convert_error(self, text: str, where: str = "") -> float:
        """A 1-sigma (``"0.3 K"``, ``"300 A/cm^2"``, a bare number in :attr:`value_unit`) as a
        finite float >= 0 in :attr:`value_unit`, converted as a difference (0.3 degC is 0.3 K)."""
        at = f"{where + ': ' if where else ''}objective {self.name}: error {text!r}"
        q = _quantity(text, at, "A/cm^2" if self.quantity == "jc" else self.value_unit)
        v = q
        if isinstance(q, pint.Quantity):
            to = self.value_unit or "dimensionless"
            try:  # the unit's scale alone: a difference has no offset
                scale = units.Q_(1.0, q.units).to(to) - units.Q_(0.0, q.units).to(to)
            except pint.errors.DimensionalityError:
                hint = units.misread_hint(q, to)  # "0.3 C" for a 1-sigma in degC
                raise UnitError(f"{at}: cannot convert {q.units:~} to {to}{hint}") from None
            v = float(q.magnitude) * float(scale.magnitude)
        if not 0 <= v <= MAX_MAGNITUDE:
            raise ValidationError(f"{at} is not a finite number >= 0")
        return float(v)

    def check_error(self, value: float, error: float, where: str = "") -> None:
        """A ValidationError if the 1-sigma ``error`` of the stored ``value`` (both in
        :attr:`value_unit`) cannot be a measurement's: of a Jc or Tc, over
        ``MAX_RELATIVE_ERROR`` x |value| and over its ``ERROR_FLOOR``."""
        floor = ERROR_FLOOR.get(self.quantity)
        if floor is None or error <= max(floor, MAX_RELATIVE_ERROR * abs(value)):
            return
        unit = f" {self.shown_unit}" if self.shown_unit else ""
        times = f"{error / abs(value):.3g} times" if value else "an error on"
        raise ValidationError(
            f"{where + ': ' if where else ''}objective {self.name} = {self.shown(value):.5g}"
            f"{unit} ± {self.shown(error):.5g}{unit}: a 1-sigma {times} its value, over "
            f"{MAX_RELATIVE_ERROR:g} times and over {self.shown(floor):.3g}{unit}, is no "
            "measurement's error: a unit or exponent mistyped?"
        )

    def convert(self, value: Any, where: str = "") -> float:
        """A value as a finite float in :attr:`value_unit`: a number (already in that unit) or a
        string with a unit (``"2.1e4 A/cm^2"``), converted."""
        at = f"{where + ': ' if where else ''}objective {self.name}={value!r}"
        if isinstance(value, str | pint.Quantity):
            q = _quantity(value, at, "A/cm^2" if self.quantity == "jc" else self.value_unit)
            if isinstance(q, pint.Quantity):
                try:
                    v = float(q.to(self.value_unit or "dimensionless").magnitude)
                except pint.errors.DimensionalityError:
                    hint = units.misread_hint(q, self.value_unit or "dimensionless")
                    raise UnitError(
                        f"{at}: cannot convert {q.units:~} to {self.value_unit or 'a pure number'}"
                        f"{hint}"
                    ) from None
            else:
                v = float(q)
        elif _is_number(value):
            v = units.number(value)
        else:
            v = math.nan
        if not math.isfinite(v):
            raise ValidationError(f"{at} is not a finite number")
        v += 0.0  # "-0" was stored as -0.0, and tables showed "-0"
        if self.quantity == "jc" and v < 0:
            raise ValidationError(
                f"{at}: a critical current density is not negative ({v:.4g} A/m^2); give |Jc|"
            )
        if self.log and v < 0:
            u = f" {self.shown_unit}" if self.shown_unit else ""
            raise ValidationError(
                f"{at} is {self.shown(v):.4g}{u}: {self.name} has log = true (modelled as "
                f"ln {self.name}), so its values are 0 (nothing measurable) or above"
            )
        if self.quantity == "tc" and v <= 0:
            raise ValidationError(
                f"{at}: a temperature is above 0 K ({v:.4g} K); a bare number is kelvin, "
                'degrees Celsius need their unit ("-236 degC")'
            )
        if self.range is not None and not self.range[0] <= v <= self.range[1]:
            low, high = (self.shown(x) for x in self.range)
            u = f" {self.shown_unit}" if self.shown_unit else ""
            raise ValidationError(
                f"{at} is {self.shown(v):.6g}{u}, outside the range {low:g} to {high:g}{u} the "
                f"campaign gives {self.name}: a typo, or the wrong unit? (a bare number is "
                f"{self.value_unit or 'a pure number'})"
            )
        return v


@dataclass(frozen=True)
class LinearConstraint:
    """``sum(coefficients[name] * x[name]) <= rhs`` in campaign units (numeric parameters only)."""

    coefficients: tuple[tuple[str, float], ...]
    rhs: float

    def __init__(self, coefficients: Mapping[str, float] | Iterable[tuple[str, float]], rhs: float):
        items = coefficients.items() if isinstance(coefficients, Mapping) else coefficients
        object.__setattr__(self, "coefficients", tuple((str(k), float(v)) for k, v in items))
        object.__setattr__(self, "rhs", float(rhs))
        if not self.coefficients:
            raise ValidationError("linear constraint without coefficients")

    def lhs(self, X: pd.DataFrame | Mapping[str, Any]) -> np.ndarray:
        """Left-hand side per row of ``X`` (campaign units), shape ``(n,)``."""
        return sum(c * np.asarray(X[name], dtype=float) for name, c in self.coefficients)

    def __repr__(self) -> str:
        return f"LinearConstraint({self.text()})"

    def text(self) -> str:
        terms = " + ".join(f"{c:g}*{n}" for n, c in self.coefficients).replace("+ -", "- ")
        return f"{terms} <= {self.rhs:g}"


@dataclass(frozen=True)
class OutcomeConstraint:
    """``lower <= outcome <= upper`` on a measured objective (its :attr:`ObjectiveDef.value_unit`)."""

    objective: str
    lower: float | None = None
    upper: float | None = None

    def satisfied(self, value: float) -> bool:
        return (self.lower is None or value >= self.lower) and (
            self.upper is None or value <= self.upper
        )


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


def shown_acquisition(optimised: Sequence[ObjectiveDef]) -> tuple[float, str]:
    """How the acquisition of ``optimised`` (the objectives it improves) reads in their shown
    units: the shift to add to log EI (log EHVI), which the optimizer computes on stored values,
    and the axis label naming the improvement's unit (EI of Jc in A/cm^2 is 1e-4 of it in A/m^2:
    ln 1e-4 lower; a hypervolume's unit is the product of its objectives'). The plots, the
    suggestion tables of the CLI and the dashboard read it so that their numbers agree. A log
    objective's improvement is of ln(value), which has no unit: "ln jc_3T", no shift."""
    shift = float(sum(np.log(o.shown(1.0)) for o in optimised if not o.log))
    unit = "·".join(
        f"ln {o.name}" if o.log else o.shown_unit for o in optimised if o.log or o.shown_unit
    )
    name = "log EHVI" if len(optimised) > 1 else "log EI"
    return shift, f"{name}, {'HV' if len(optimised) > 1 else 'EI'} in {unit}" if unit else name


def acquisition_range(values: np.ndarray) -> tuple[float, float] | None:
    """The range a map of the acquisition ``values`` (log EI) is coloured over: its 5th
    percentile to its largest finite value, where the next suggestion is chosen (log EI falls
    by tens of decades next to measured points; over the whole range, -420..5 on the demo
    campaign, a map was one colour). None without a finite value."""
    finite = values[np.isfinite(values)]
    if not finite.size:
        return None
    return float(np.percentile(finite, 5)), float(finite.max())


def running_best(values: Sequence[float], maximize: bool = True) -> np.ndarray:
    """The best value so far after each of ``values`` (NaN skipped: the best carries over it;
    NaN before the first number), the largest if ``maximize`` else the smallest."""
    acc = np.fmax.accumulate if maximize else np.fmin.accumulate
    values = np.asarray(values, dtype=float)
    return acc(values) if values.size else values


# a sample's outcome constraints: "unknown" while a constrained outcome is not measured yet
# (neither the feasible best nor infeasible); Optimizer.constraint_status, the store's best so far
CONSTRAINT_STATUSES = ("met", "not met", "unknown")


def constraint_status(
    values: pd.DataFrame, bounds: Mapping[str, tuple[float | None, float | None]]
) -> np.ndarray:
    """Per row of ``values`` (a column per constrained outcome, NaN where not measured), ``(n,)``
    of "met" (every bound of ``bounds``, ``{outcome: (lower, upper)}`` either None, measured and
    met), "not met" (a measured one broken) or "unknown" (none broken, one not measured yet).
    Without bounds every row is "met". The one rule of ``Optimizer.best`` and the store's best so
    far (``workflows.history.best_so_far``, ``optimize.plots.best_so_far``)."""
    broken = np.zeros(len(values), dtype=bool)
    unmeasured = np.zeros(len(values), dtype=bool)
    for name, (lo, hi) in bounds.items():
        v = values[name].to_numpy(dtype=float)
        unmeasured |= np.isnan(v)
        broken |= (v < lo if lo is not None else False) | (v > hi if hi is not None else False)
    return np.where(broken, "not met", np.where(unmeasured, "unknown", "met")).astype(object)


def best_position(
    values: Sequence[float], maximize: bool = True, status: Sequence[str] | None = None
) -> int | None:
    """Position in ``values`` (``(n,)``, NaN where not measured) of the best measured one, the
    largest if ``maximize`` else the smallest (the first of equals), among the rows whose
    ``status`` (``constraint_status``) is "met" (all rows without ``status``); None when there is
    none. The one choice of the best row: ``Optimizer.best``, the slices through it
    (``optimize.plots.model_slices``) and the dashboard's model figure."""
    v = np.asarray(values, dtype=float)
    v = v if maximize else -v
    ok = ~np.isnan(v) if status is None else ~np.isnan(v) & (np.asarray(status) == "met")
    return int(np.argmax(np.where(ok, v, -np.inf))) if ok.any() else None


def awaiting(
    values: pd.DataFrame,
    bounds: Mapping[str, tuple[float | None, float | None]],
    rows: np.ndarray | None = None,
) -> dict[str, int]:
    """Per constrained outcome, the rows (of ``rows``, a boolean mask; default all) whose
    ``constraint_status`` is "unknown" for want of its measurement (a row may await several);
    only those with some awaiting."""
    unknown = constraint_status(values, bounds) == "unknown"
    if rows is not None:
        unknown &= rows
    counts = {name: int((unknown & values[name].isna().to_numpy()).sum()) for name in bounds}
    return {name: c for name, c in counts.items() if c}


def history_frame(
    spec: CampaignSpec,
    samples: Iterable[Any],
    before: Sequence[str] = (),
    after: Sequence[str] = (),
    missing: Any = math.nan,
) -> pd.DataFrame:
    """A campaign's samples as one table, one row each in the given order: the attributes named
    in ``before``, the parameters (campaign units), the objectives (SI; ``missing`` where not
    measured), the attributes named in ``after``. A sample is anything with those attributes and
    ``params`` and ``objectives`` mappings (a store ``SampleRecord``). The one builder of the
    history frame: ``Store.history``, the history CSV export and the demo's loops."""
    rows = [
        [
            *(getattr(x, c) for c in before),
            *(x.params.get(p) for p in spec.parameter_names),
            *(x.objectives.get(o, missing) for o in spec.objective_names),
            *(getattr(x, c) for c in after),
        ]
        for x in samples
    ]
    columns = [*before, *spec.parameter_names, *spec.objective_names, *after]
    return pd.DataFrame(rows, columns=columns)


def live_rows(
    spec: CampaignSpec, history: pd.DataFrame, outside: dict[int, str] | None = None
) -> np.ndarray:
    """Boolean ``(len(history),)``: rows of ``history`` (``Store.history``'s frame) not failed
    and inside the campaign's box (``outside_rows``, unless given), whatever is measured: the
    rows the optimizer may be told (``workflows.suggest.campaign_optimizer``), so the rows the
    store's best so far weighs (``workflows.history.best_so_far``) as ``Optimizer.best`` does,
    and a figure of the campaign's progress draws; no warning."""
    live = np.ones(len(history), bool)
    if "status" in history:
        live = (history["status"] != "failed").to_numpy()
    outside = outside_rows(spec, history) if outside is None else outside
    return live & ~np.isin(np.arange(len(history)), list(outside))


def outside_rows(spec: CampaignSpec, history: pd.DataFrame) -> dict[int, str]:
    """The rows of ``history`` beyond the campaign's box (its bounds, choices and fixed values;
    a step grid or a linear constraint is no matter for the model, whose inputs are the
    continuous box), by position: each sample's label and the first bound it breaks. Rows
    plainly inside (a number within the bounds, one of the choices, the fixed value) are found
    by column; the others are checked one by one (``CampaignSpec.outside``: 10 000 rows took
    1.2 s, 1e5 rows 4 s, each time the model was built)."""
    maybe = np.zeros(len(history), bool)
    for p in spec.parameters:
        col = history[p.name]
        if p.kind == "numeric":
            v = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
            maybe |= ~((v >= p.low) & (v <= p.high))  # NaN or text with a unit: checked
        elif p.kind == "categorical":
            maybe |= ~col.isin(p.choices).to_numpy()
        else:
            maybe |= (col != p.fixed).to_numpy()
    outside = {}
    rows = history[spec.parameter_names].iloc[np.flatnonzero(maybe)].to_dict("records")
    for i, row in zip(np.flatnonzero(maybe), rows, strict=True):
        if breaks := spec.outside(row, linear=False, grid=False):
            outside[int(i)] = (
                f"{history['label'].iloc[i] if 'label' in history else i} ({breaks[0]})"
            )
    return outside


@dataclass(frozen=True)
class CampaignSpec:
    """A campaign: its name, parameter definitions, objectives and constraint expressions."""

    name: str
    parameters: tuple[ParameterDef, ...]
    objectives: tuple[ObjectiveDef, ...] = field(default_factory=tuple)
    constraints: tuple[str, ...] = field(default_factory=tuple)
    budget: int | None = None  # experiments planned in all (measured and pending count)
    _parsed: tuple[LinearConstraint | OutcomeConstraint, ...] = field(
        init=False, repr=False, compare=False, default=()
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", tuple(self.parameters))
        object.__setattr__(self, "objectives", tuple(self.objectives))
        object.__setattr__(self, "constraints", tuple(str(c) for c in self.constraints))
        object.__setattr__(
            self, "budget", check_budget(self.budget, f"campaign {self.name!r}: budget")
        )
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
        clash = set(self.parameter_names) & set(self.objective_names)
        if clash:
            raise ValidationError(
                f"campaign {self.name!r}: {sorted(clash)} named both a parameter and an objective"
            )
        parsed = tuple(self._parse(i, e) for i, e in enumerate(self.constraints))
        object.__setattr__(self, "_parsed", parsed)
        self._check_feasible()
        bounded = {c.objective for c in parsed if isinstance(c, OutcomeConstraint)}
        for o in self.objectives:
            if o.goal == "constraint" and o.name not in bounded:
                raise ValidationError(
                    f"campaign {self.name!r}: objective {o.name} has goal 'constraint' but no "
                    f'[[constraints]] bounds it (e.g. expression = "{o.name} >= ...")'
                )

    def _check_feasible(self) -> None:
        """Refuse linear constraints that no point of the parameter box meets (a linear program
        on the box, steps relaxed: found now rather than at the first suggestion)."""
        linear = self.linear_constraints
        if not linear:
            return
        from scipy.optimize import linprog

        box = {p.name: (p.low, p.high) for p in self.free_parameters if p.kind == "numeric"}
        names = list(box)
        A = [[dict(c.coefficients).get(n, 0.0) for n in names] for c in linear]
        result = linprog(
            np.zeros(len(names)), A_ub=A, b_ub=[c.rhs for c in linear], bounds=list(box.values())
        )
        if result.status == 2:
            texts = "; ".join(repr(e) for e, c in zip(self.constraints, self._parsed, strict=True)
                              if isinstance(c, LinearConstraint))  # fmt: skip
            ranges = ", ".join(f"{n} in [{lo:g}, {hi:g}]" for n, (lo, hi) in box.items())
            raise ValidationError(
                f"campaign {self.name!r}: no parameter values meet the constraints {texts} "
                f"within {ranges}"
            )

    def _parse(self, i: int, expression: str):
        try:
            return parse_constraint(expression, self)
        except (ValidationError, UnitError) as err:
            raise type(err)(f"constraints[{i}] {expression!r}: {err}") from None

    @property
    def parameter_names(self) -> list[str]:
        return [p.name for p in self.parameters]

    @property
    def free_parameters(self) -> list[ParameterDef]:
        """The parameters the optimizer chooses (all but the fixed ones)."""
        return [p for p in self.parameters if p.kind != "fixed"]

    @property
    def fixed_values(self) -> dict[str, float | str]:
        return {p.name: p.fixed for p in self.parameters if p.kind == "fixed"}

    @property
    def objective_names(self) -> list[str]:
        return [o.name for o in self.objectives]

    @property
    def optimised_objectives(self) -> list[ObjectiveDef]:
        return [o for o in self.objectives if o.optimised]

    @property
    def off_grid_notes(self) -> list[str]:
        """A stepped parameter whose high is not on its grid low + k * step (T 800 to 903 by
        5): no sample or suggestion can reach it; each note names the highest settable value.
        One wording for `campaign create`, the API and the pages."""
        notes = []
        for p in self.parameters:
            if p.fixed is not None or p.choices is not None or not p.step:
                continue
            k = math.floor((p.high - p.low) / p.step + 1e-9)
            top = p.low + k * p.step
            if not math.isclose(top, p.high, rel_tol=1e-9, abs_tol=1e-9 * p.step):
                unit = f" {p.unit}" if p.unit else ""
                notes.append(
                    f"{p.name}: high {p.high:g}{unit} is off the step grid {p.low:g} + k * "
                    f"{p.step:g}; the highest settable value is {top:.12g}{unit}"
                )
        return notes

    @property
    def notes(self) -> list[str]:
        """Everything to know before using it, as `campaign create` prints each "note: ...":
        why suggest will refuse it (``suggest_note``), then the off-grid highs."""
        return [n for n in (self.suggest_note,) if n] + self.off_grid_notes

    @property
    def suggest_note(self) -> str | None:
        """What to tell whoever creates this campaign if suggest will refuse it (every
        parameter fixed: nothing to choose; more than ``MAX_HV_OBJECTIVES`` objectives to
        optimise), one wording for the CLI, API and pages; None if suggest takes it."""
        if not self.free_parameters:
            fixed = ", ".join(
                f"{p.name} = {p.fixed if isinstance(p.fixed, str) else format(p.fixed, 'g')}"
                f" {p.unit}".rstrip()
                for p in self.parameters
            )
            return (
                f"every parameter is fixed ({fixed}): fluxtrap suggest has nothing to choose; "
                "samples can be recorded, and a parameter with low/high (or choices) and no "
                "fixed = ... is one it chooses"
            )
        names = [o.name for o in self.optimised_objectives]
        if len(names) <= MAX_HV_OBJECTIVES:
            return None
        return (
            f"{len(names)} objectives to optimise ({', '.join(names)}): fluxtrap suggest takes "
            f"at most {MAX_HV_OBJECTIVES} (its work grows exponentially with them); samples can "
            'be recorded, and goal = "constraint" keeps one measured, not optimised'
        )

    @property
    def linear_constraints(self) -> list[LinearConstraint]:
        """Linear constraints on the free numeric parameters (fixed ones folded into ``rhs``)."""
        return [c for c in self._parsed if isinstance(c, LinearConstraint)]

    @property
    def outcome_constraints(self) -> list[OutcomeConstraint]:
        return [c for c in self._parsed if isinstance(c, OutcomeConstraint)]

    @property
    def outcome_bounds(self) -> dict[str, tuple[float | None, float | None]]:
        """``{objective: (lower, upper)}`` of the outcome constraints (either None), several on
        one objective joined (the highest lower, the lowest upper): the optimizer's
        ``outcome_constraints`` and ``constraint_status``'s ``bounds``."""
        bounds: dict[str, tuple[float | None, float | None]] = {}
        for c in self.outcome_constraints:
            lo, hi = bounds.get(c.objective, (None, None))
            lo = c.lower if lo is None else lo if c.lower is None else max(lo, c.lower)
            hi = c.upper if hi is None else hi if c.upper is None else min(hi, c.upper)
            bounds[c.objective] = (lo, hi)
        return bounds

    def parameter(self, name: str) -> ParameterDef:
        for p in self.parameters:
            if p.name == name:
                return p
        raise ValidationError(
            f"campaign {self.name!r} has no parameter {name!r}{_near(name, self.parameter_names)}; "
            f"known: {', '.join(self.parameter_names)}"
        )

    def objective(self, name: str) -> ObjectiveDef:
        for o in self.objectives:
            if o.name == name:
                return o
        raise ValidationError(
            f"campaign {self.name!r} has no objective {name!r}{_near(name, self.objective_names)}; "
            f"known: {', '.join(self.objective_names) or 'none'}"
        )

    def check_params(
        self, values: Mapping[str, Any], where: str = "", outside: bool = False
    ) -> dict[str, float | str]:
        """Validate a full set of parameter values (fixed ones may be left out: they are filled
        in) against bounds, grid, choices, fixed values and linear constraints; return them in
        campaign order (floats, or the choice of a categorical parameter). ``outside``: bounds,
        grid and linear constraints are not checked (a sample made there already: see
        :meth:`outside`)."""
        at = where + ": " if where else ""
        unknown = sorted(set(values) - set(self.parameter_names))
        if unknown:  # the first ten named: a hostile row may carry thousands
            near = "".join(_near(u, self.parameter_names) for u in unknown[:10])
            more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
            raise ValidationError(
                f"{at}unknown parameter(s) {', '.join(key_path('', u) for u in unknown[:10])}{more}{near} "
                f"for campaign {self.name!r}; known: {', '.join(self.parameter_names)}"
            )
        values = {**self.fixed_values, **values}
        missing = [n for n in self.parameter_names if n not in values]
        if missing:
            raise ValidationError(
                f"{at}missing parameter(s) {', '.join(missing)} for campaign {self.name!r}"
            )
        out = {p.name: p.check(values[p.name], where, outside) for p in self.parameters}
        for broken in () if outside else self._broken_constraints(out):
            raise ValidationError(f"{at}{broken}")
        return out

    def outside(
        self, values: Mapping[str, Any], linear: bool = True, grid: bool = True
    ) -> list[str]:
        """What parameter ``values`` (as :meth:`check_params` takes them, which must allow them
        with ``outside=True``) break of the campaign's space: each bound, (with ``grid``) step
        grid and (with ``linear``) linear constraint, as its refusal says it; [] for a point
        inside."""
        values = {**self.fixed_values, **values}
        out = []
        for p in self.parameters:
            try:
                p.check(values[p.name], grid=grid)
            except ValidationError as err:
                out.append(str(err))
        if not linear:
            return out
        return out + list(self._broken_constraints(self.check_params(values, outside=True)))

    def _broken_constraints(self, values: Mapping[str, float | str]) -> Iterator[str]:
        """The linear constraints checked ``values`` break, each said as a refusal."""
        for expression, con in zip(self.constraints, self._parsed, strict=True):
            if isinstance(con, LinearConstraint):
                lhs = float(con.lhs({k: [v] for k, v in values.items()})[0])
                scale = sum(abs(c * float(values[n])) for n, c in con.coefficients) + abs(con.rhs)
                if lhs > con.rhs + 1e-9 * max(1.0, scale):
                    yield (
                        f"violates the campaign constraint {expression!r} "
                        f"({con.text()}: left side {lhs:g})"
                    )

    def departures(
        self, made: Mapping[str, float | str], suggested: Mapping[str, float | str]
    ) -> list[str]:
        """Where a sample's parameters (checked, campaign units) depart from those of the
        suggestion it realises, one text per parameter (``ParameterDef.departure``); [] if none."""
        out = (p.departure(made[p.name], suggested[p.name]) for p in self.parameters)
        return [x for x in out if x is not None]

    def held_by(
        self, samples: pd.DataFrame, points: Sequence[Mapping[str, Any]]
    ) -> list[str | None]:
        """For each parameter dict of ``points`` (open suggestions), the label of a live (not
        failed) row of ``samples`` (a history frame) at the same point, else None: the same point
        as :meth:`departures` reads it (within half a step, ``SAME_POINT`` of a continuous range,
        the same choice). Such a suggestion was made without its id: it is no longer pending."""
        if "status" in samples:
            samples = samples[samples["status"] != "failed"]
        if not len(points) or not len(samples):
            return [None] * len(points)
        labels = samples.get("label", samples.index).to_numpy()
        out = []
        for point in points:
            same = np.ones(len(samples), bool)
            for p in self.free_parameters:
                col = samples[p.name].to_numpy()
                if p.kind == "categorical":
                    same &= col == point[p.name]
                    continue
                tol = p.step / 2 if p.step else SAME_POINT * (p.high - p.low)
                same &= np.abs(col.astype(float) - float(point[p.name])) <= tol
            out.append(str(labels[np.argmax(same)]) if same.any() else None)
        return out

    def split_errors(
        self, values: Mapping[str, Any], where: str = ""
    ) -> tuple[dict[str, Any], dict[str, float]]:
        """``values`` less their 1-sigma where one is written with ``±`` (or ``+/-``):
        ``"37.2 ± 0.3 K"`` is the value ``"37.2 K"`` and the error 0.3 K, converted to the
        objective's unit as a difference (``ObjectiveDef.convert_error``)."""
        plain, errors = {}, {}
        for name, value in values.items():
            plain[name] = value
            if isinstance(value, str) and len(parts := PLUS_MINUS.split(value)) > 1:
                if len(parts) > 2:
                    raise ValidationError(
                        f"{where + ': ' if where else ''}{name}={value!r}: one ± at most"
                    )
                v, err = parts
                v_bare, err_bare = (units.number(t) is not None for t in (v, err))
                if v_bare and not err_bare:  # "37.2 ± 0.3 K": the value takes the error's unit
                    v = f"{v} {units.unit_text(err)}"
                elif err_bare and not v_bare:  # "37.2 K ± 0.3"
                    err = f"{err} {units.unit_text(v)}"
                plain[name] = v
                errors[name] = self.objective(name).convert_error(err, where)
        return plain, errors

    def bare_jc(self, values: Mapping[str, Any]) -> tuple[str, Any, float] | None:
        """The first Jc objective of ``values`` given as a bare number (a number or plain decimal
        text, read in A/m^2) above 0 and below ``ERROR_FLOOR['jc']`` (1e6 A/m^2 = 100 A/cm^2,
        below any bulk's Jc: A/cm^2 typed as A/m^2), as (name, the value as given, A/m^2);
        None if there is none. Text with a unit is never one."""
        for o in self.objectives:
            value = units.number(values.get(o.name))
            if o.quantity == "jc" and value is not None and 0 < value < ERROR_FLOOR["jc"]:
                return o.name, values[o.name], value
        return None

    def check_objectives(self, values: Mapping[str, Any], where: str = "") -> dict[str, float]:
        """Objective values (a subset of the campaign's) as finite floats in each objective's unit;
        strings may carry a unit (``"2.1e4 A/cm^2"``) and are converted."""
        out = {name: self.objective(name).convert(value, where) for name, value in values.items()}
        for name, v in out.items():
            if not abs(v) <= MAX_MAGNITUDE:
                raise ValidationError(
                    f"{where + ': ' if where else ''}objective {name}={values[name]!r} is not a "
                    f"finite number within +-{MAX_MAGNITUDE:g}"
                )
            o = self.objective(name)
            most = PHYSICAL_MAX.get(o.quantity)
            if most is not None and v > most:
                unit = o.shown_unit
                raise ValidationError(
                    f"{where + ': ' if where else ''}objective {name}={values[name]!r} is "
                    f"{o.shown(v):.4g} {unit}, above the {o.shown(most):g} {unit} no "
                    f"superconductor reaches ("
                    + (
                        "the depairing current density of YBCO is about 3e8 A/cm²"
                        if o.quantity == "jc"
                        else "the highest Tc known is about 250 K, under 170 GPa"
                    )
                    + f"): a unit or exponent mistyped? (a bare number is {o.value_unit})"
                )
            if v == 0 and o.log and o.goal == "minimize":  # refused at suggest, long after
                raise ValidationError(
                    f"{where + ': ' if where else ''}objective {name}={values[name]!r} is 0, and "
                    f"{name} is minimised with log = true (modelled as ln {name}): ln 0 is "
                    "undefined, and at a floor below every measured value a 0 would rank as the "
                    "best yet; give the smallest value the instrument resolves, the most it can be"
                )
        return out

    def feasible_outcomes(self, values: Mapping[str, float]) -> bool:
        """True if measured ``values`` meet every outcome constraint (missing ones: not met)."""
        return all(
            c.objective in values
            and values[c.objective] is not None
            and math.isfinite(values[c.objective])
            and c.satisfied(values[c.objective])
            for c in self.outcome_constraints
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (JSON/TOML friendly); ``from_dict`` reads it back."""
        out: dict[str, Any] = {
            "name": self.name,
            "parameters": [p.to_dict() for p in self.parameters],
            "objectives": [
                {
                    k: list(v) if k == "range" else v
                    for k, v in o.__dict__.items()
                    if v not in (None, "") and v is not False  # log only when true
                }
                for o in self.objectives
            ],
        }
        if self.constraints:
            out["constraints"] = [{"expression": e} for e in self.constraints]
        if self.budget is not None:
            out["budget"] = self.budget
        return out

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], source: str = "campaign", *, stored: bool = False
    ) -> CampaignSpec:
        """Build from a parsed campaign file (units as strings) or from ``to_dict`` output.
        ``stored``: data a store holds, checked as when it was created, not again by the rules
        for new campaigns (``check_new_rules``), so that rules added later leave older stores
        readable; nor by ``check_new_spec``)."""
        check_values(data, source)
        try:
            check_keys(data, TOP_KEYS, "")
            if not stored:
                check_new_rules(data)
            params = tuple(
                _parameter(p, f"parameters[{i}]") for i, p in enumerate(tables(data, "parameters"))
            )
            objectives = tuple(
                _objective(o, f"objectives[{i}]") for i, o in enumerate(tables(data, "objectives"))
            )
            constraints = []
            for i, c in enumerate(tables(data, "constraints")):
                check_keys(c, CONSTRAINT_KEYS, f"constraints[{i}]")
                if not isinstance(c.get("expression"), str):
                    raise ValidationError(
                        f'constraints[{i}]: needs expression = "..." (e.g. "a + 2 * b <= 10")'
                    )
                constraints.append(c["expression"])
            spec = cls(
                name=str(data.get("name", "")),
                parameters=params,
                objectives=objectives,
                constraints=tuple(constraints),
                budget=data.get("budget"),  # checked in __post_init__
            )
            if not stored:
                check_new_spec(spec)
            return spec
        except (ValidationError, UnitError) as err:
            raise type(err)(f"{source}: {err}") from None

    @classmethod
    def from_toml(cls, path: str | Path) -> CampaignSpec:
        """Read a campaign file (design section 4)."""
        path = Path(path)
        return cls.from_dict(read_toml(path, "campaign file"), source=str(path))


# ------------------------------------------------------------------------- constraint grammar
# Hand-written (a dozen lines): expressions come from files and web forms, so never eval().
_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_]\w*)"
    r"|(?P<op><=|>=|==|!=|<|>|[-+*/=])|(?P<bad>\S))"
)


_COMPARISONS = {"<=", ">=", "==", "!=", "<", ">", "="}


def parse_constraint(expression: str, spec: CampaignSpec) -> LinearConstraint | OutcomeConstraint:
    """Parse ``"a + 4 * b <= 700"`` (linear in numeric parameters, campaign units) or
    ``"tc >= 36 K"`` (one objective against a value, with or without its unit)."""
    m = re.fullmatch(r"\s*([A-Za-z_]\w*)\s*(<=|>=)\s*(.+?)\s*", expression)
    if m and m.group(1) in spec.objective_names:
        o = spec.objective(m.group(1))
        bound = o.convert(m.group(3), "bound")
        return OutcomeConstraint(o.name, *((bound, None) if m.group(2) == ">=" else (None, bound)))
    tokens = _tokens(expression)
    ops = [i for i, (kind, text) in enumerate(tokens) if kind == "op" and text in _COMPARISONS]
    cmp = [i for i in ops if tokens[i][1] in ("<=", ">=")]
    if len(ops) != 1 or len(cmp) != 1:
        raise ValidationError(
            "expected one comparison, <= or >=, between two linear sides "
            '(e.g. "max_temperature + 4 * dwell_time <= 700")'
        )
    k = cmp[0]
    left, lc = _linear(tokens[:k], spec)
    right, rc = _linear(tokens[k + 1 :], spec)
    sign = 1.0 if tokens[k][1] == "<=" else -1.0
    coef = {n: sign * (left.get(n, 0.0) - right.get(n, 0.0)) for n in {**left, **right}}
    rhs = sign * (rc - lc)
    for name in list(coef):  # a fixed parameter is a number here
        p = spec.parameter(name)
        if p.kind == "fixed":
            rhs -= coef.pop(name) * float(p.fixed)
    coef = {n: c for n, c in coef.items() if c != 0}
    if not all(math.isfinite(v) for v in (rhs, *coef.values())):
        raise ValidationError(
            "its numbers reach beyond a float (1.8e308): write it with smaller ones"
        )
    if not coef:
        raise ValidationError("no free parameter left in it: it is always true or always false")
    return LinearConstraint({n: coef[n] for n in spec.parameter_names if n in coef}, rhs)


def _tokens(expression: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(expression.rstrip()):
        m = _TOKEN.match(expression, pos)
        kind = m.lastgroup
        if kind == "bad":
            raise ValidationError(f"unexpected {m.group(kind)!r} at character {m.start(kind) + 1}")
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _linear(tokens: list[tuple[str, str]], spec: CampaignSpec) -> tuple[dict[str, float], float]:
    """``[+-] term {(+|-) term}``, term = factors joined by * or /: -> ({name: coefficient}, constant)."""
    if not tokens:
        raise ValidationError("a side of the comparison is empty")
    coef: dict[str, float] = {}
    const, i = 0.0, 0
    while i < len(tokens):
        sign = 1.0
        while i < len(tokens) and tokens[i] in (("op", "+"), ("op", "-")):
            sign *= -1.0 if tokens[i][1] == "-" else 1.0
            i += 1
        value, name, divide = sign, None, False
        while True:
            if i >= len(tokens):
                raise ValidationError("ends with an operator")
            kind, text = tokens[i]
            if kind == "num":
                number = float(text)
                if divide and number == 0:
                    raise ValidationError("division by zero")
                value = value / number if divide else value * number
            elif kind == "name" and not divide and name is None:
                name = _numeric_parameter(text, spec)
            else:
                raise ValidationError(
                    f"{text!r} here makes it non-linear or malformed: write a sum of "
                    "number * parameter terms"
                )
            i += 1
            if i < len(tokens) and tokens[i] in (("op", "*"), ("op", "/")):
                divide = tokens[i][1] == "/"
                i += 1
                continue
            break
        if name is None:
            const += value
        else:
            coef[name] = coef.get(name, 0.0) + value
        if i < len(tokens) and tokens[i][0] == "name" and tokens[i - 1][0] == "num":
            units_of = ", ".join(f"{p.name} in {p.unit}" for p in spec.parameters if p.unit)
            raise ValidationError(
                f"{tokens[i - 1][1]} {tokens[i][1]}: a linear constraint is written in the "
                f"parameters' declared units ({units_of or 'none declared'}), without unit text: "
                f"write {tokens[i - 1][1]}"
            )
        if i < len(tokens) and tokens[i] not in (("op", "+"), ("op", "-")):
            raise ValidationError(f"expected + or - before {tokens[i][1]!r}")
    return coef, const


def _numeric_parameter(name: str, spec: CampaignSpec) -> str:
    if name in spec.objective_names:
        raise ValidationError(
            f"{name} is an objective: an outcome constraint is one objective against a value, "
            f'e.g. "{name} >= 36 K"'
        )
    if name not in spec.parameter_names:  # a misspelt objective was named a missing parameter
        names = [*spec.parameter_names, *spec.objective_names]
        raise ValidationError(
            f"campaign {spec.name!r} has no parameter or objective {name!r}{_near(name, names)}; "
            f"parameters: {', '.join(spec.parameter_names)}; objectives: "
            f"{', '.join(spec.objective_names) or 'none'}"
        )
    p = spec.parameter(name)
    if p.kind == "categorical" or isinstance(p.fixed, str):
        raise ValidationError(f"{name} is categorical: only numeric parameters can be summed")
    if p.log:  # the search is on log(x): a sum of x is no linear constraint there
        raise ValidationError(f"{name} has log = true: a linear constraint cannot name it")
    return name


# ------------------------------------------------------------------------- reading tables
def _near(name: str, options: Iterable[str]) -> str:
    close = near(name, options)
    return f" (did you mean {close!r}?)" if close else ""


def _parameter(p: Mapping[str, Any], where: str) -> ParameterDef:
    name = p.get("name")
    check_keys(p, PARAMETER_KEYS, where)
    if name is None:
        raise ValidationError(f"{where}: needs a name")
    low, high, step = (_number(p, key, where) for key in ("low", "high", "step"))  # say where
    try:
        return ParameterDef(
            name=str(name),
            unit=str(p.get("unit", "")),
            low=low,
            high=high,
            step=step or 0.0,
            choices=p.get("choices"),
            fixed=p.get("fixed"),
            log=p.get("log", False),
        )
    except ValidationError as err:
        raise ValidationError(f"{where}: {err}") from None


def _number(table: Mapping[str, Any], key: str, where: str) -> float | None:
    value = table.get(key)
    if value is None:
        return None
    if not _is_number(value):
        m = units._NUMBER.fullmatch(value) if isinstance(value, str) else None
        unit = table.get("unit") or m[2] if m and m[2] else None
        hint = (  # "450 degC": a parameter's unit is its own key
            f"; a bound or step is a plain number in the unit of the parameter's unit key: "
            f'{key} = {m[1]}, unit = "{unit}"'
            if unit and key in ("low", "high", "step")
            else ""
        )
        raise ValidationError(f"{where}: {key} = {value!r} is not a number{hint}")
    return units.number(value)


def _objective(o: Mapping[str, Any], where: str) -> ObjectiveDef:
    name = o.get("name")
    check_keys(o, OBJECTIVE_KEYS, where)
    if name is None:
        raise ValidationError(f"{where}: needs a name")
    field_T = _condition(o, "field", "magnetic_flux_density", "3 T", where)
    temperature_K = _condition(o, "temperature", "temperature", "5 K", where)
    try:
        return ObjectiveDef(
            name=str(name),
            quantity=str(o.get("quantity", "value")),
            goal=str(o.get("goal", "maximize")),
            field_T=field_T,
            temperature_K=temperature_K,
            unit=str(o.get("unit", "")),
            range=o.get("range"),
            log=o.get("log", False),
        )
    except (ValidationError, UnitError) as err:
        raise type(err)(f"{where}: {err}") from None


def _condition(
    o: Mapping[str, Any], key: str, dimension: str, example: str, where: str
) -> float | None:
    """An objective's measurement condition in SI: ``key`` with its unit (``field = "3 T"``)
    or ``<key>_<SI unit>`` a number (``field_T = 3``, as ``to_dict`` writes it); None if
    neither is given."""
    si_key = "field_T" if key == "field" else "temperature_K"
    if key in o and si_key in o:
        raise ValidationError(f"{where}: give {key} or {si_key}, not both")
    if si_key in o:
        return _number(o, si_key, where)
    if key not in o:
        return None
    if not isinstance(o[key], str | pint.Quantity):
        raise ValidationError(
            f'{where}.{key} = {o[key]!r}: give it with its unit, e.g. {key} = "{example}"'
        )
    return parse(o[key], dimension, f"{where}.{key}")


def _check_conditions(objectives: Sequence[ObjectiveDef]) -> None:
    """Refuse a new campaign's measurement conditions no magnetometer reaches: a temperature at
    or below 0 K or above ``MAX_CONDITION_K``, a field beyond ``MAX_CONDITION_T`` (a
    unit typo: "-5 K", "3000 T" for 3000 Oe)."""
    for i, o in enumerate(objectives):
        if o.temperature_K is not None and not 0 < o.temperature_K <= MAX_CONDITION_K:
            raise ValidationError(
                f"objectives[{i}]: objective {o.name}: temperature {o.temperature_K:g} K is outside 0 K .. "
                f"{MAX_CONDITION_K:g} K, where magnetometers measure"
            )
        if o.field_T is not None and not abs(o.field_T) <= MAX_CONDITION_T:
            raise ValidationError(
                f"objectives[{i}]: objective {o.name}: field {o.field_T:g} T is beyond {MAX_CONDITION_T:g} T, "
                "more than any laboratory magnet (Oe written as T?)"
            )


def _toml_value(value: Any) -> str:
    """``value`` as a campaign file writes it: a string in double quotes, a number as is."""
    return f'"{value}"' if isinstance(value, str) else f"{value:g}"


def _is_number(value: Any) -> bool:
    return units.number(value) is not None


PLUS_MINUS = re.compile(r"\s*(?:±|\+/-|\+-)\s*")  # "37.2 ± 0.3 K", "37.2 +/- 0.3 K"


def _quantity(text: str, where: str, example: str):
    """A number or a pint quantity from ``text`` (through the units grammar: no expressions);
    UnitError naming ``where`` and suggesting the unit ``example`` ("": a pure number)
    otherwise."""
    v = units.number(text)
    if v is not None:
        return v
    try:
        return units.quantity(text, where, example)
    except UnitError:
        if example:
            raise
        raise UnitError(f'{where} is not a number (nor a pure-number quantity, "30 %")') from None


def _unit(text: str, where: str) -> None:
    units.unit(text, where)
