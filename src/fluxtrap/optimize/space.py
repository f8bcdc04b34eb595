"""Search spaces: parameters with bounds and steps, categories, fixed values, linear constraints.

A :class:`SearchSpace` turns a ``n x d`` DataFrame of parameter values (campaign units) into a
``n x d`` tensor in the unit cube and back. Numeric parameters map linearly,
``u = (x - low) / (high - low)``, or with ``log`` logarithmically, ``u = log(x / low) / log(high / low)``; a categorical parameter is one column holding the index of its
choice (``0 .. k-1``), as BoTorch's ``MixedSingleTaskGP`` expects. ``from_unit`` snaps to the
step grid, so every value it returns is one a researcher can set.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.quasirandom import SobolEngine

from fluxtrap.campaign import CampaignSpec, LinearConstraint, snap_to_grid
from fluxtrap.errors import InputFileError, ValidationError
from fluxtrap.inputs import near
from fluxtrap.optimize import quiet  # noqa: F401  linear_operator loaded for _polytope_draw's BoTorch

DTYPE = torch.double
_TOL = 1e-9
SMALL_GRID = 4096  # a settable grid this small is listed whole (ask counts its free points)
POLYTOPE_DRAW = 1024  # hit-and-run points drawn when Sobol misses a thin constrained region


@dataclass(frozen=True)
class Continuous:
    """A real parameter ``low <= x <= high`` set in multiples of ``step`` from ``low`` (0: any
    value); ``log``: modelled and searched in log(x) (``0 < low``, no step)."""

    name: str
    low: float
    high: float
    step: float = 0.0
    unit: str = ""
    log: bool = False

    def __post_init__(self) -> None:
        _check_name(self.name)
        for key in ("low", "high", "step"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int | float | np.number):
                raise ValidationError(
                    f"parameter {self.name}: {key} must be a number, got {value!r}"
                )
        if not math.isfinite(self.high - self.low) or self.low >= self.high:  # NaN, inf too
            raise ValidationError(  # a width past 1.8e308 had encoded every value as NaN
                f"parameter {self.name}: need finite low < high, a finite high - low, got "
                f"low={self.low}, high={self.high}"
            )
        if not 0 <= self.step <= self.high - self.low:
            raise ValidationError(
                f"parameter {self.name}: step {self.step} must be >= 0 and <= high - low"
            )
        if self.log and (self.low <= 0 or self.step):
            raise ValidationError(f"parameter {self.name}: log needs low > 0 and no step")

    @property
    def width(self) -> float:
        return self.high - self.low

    @property
    def span(self) -> float:
        """The width the unit cube maps: ``high - low``, or decades ``log10(high / low)`` (log)."""
        return math.log10(self.high / self.low) if self.log else self.width

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Values in ``[low, high]`` (campaign units) as unit-cube coordinates."""
        return np.log10(x / self.low) / self.span if self.log else (x - self.low) / self.width

    def decode(self, u: np.ndarray) -> np.ndarray:
        """Unit-cube coordinates as values (campaign units, not snapped)."""
        return self.low * 10 ** (u * self.span) if self.log else self.low + u * self.width

    @property
    def top(self) -> float:
        """The largest settable value (``high``, or the last grid point below it)."""
        if self.step == 0:
            return self.high
        return self.low + math.floor(self.width / self.step + 1e-9) * self.step

    def snap(self, x: np.ndarray) -> np.ndarray:
        """Nearest settable values (in bounds, on the grid), same shape as ``x``."""
        return snap_to_grid(x, self.low, self.high, self.step)

    def __repr__(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        step = f", step {self.step:g}" if self.step else ""
        return f"{type(self).__name__}({self.name} in [{self.low:g}, {self.high:g}]{unit}{step})"


@dataclass(frozen=True)
class Integer(Continuous):
    """An integer parameter ``low <= k <= high`` (a continuous one with step 1, returned as int)."""

    step: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.step != 1 or self.low != int(self.low) or self.high != int(self.high):
            raise ValidationError(
                f"parameter {self.name}: Integer needs integer low/high and step 1"
            )


@dataclass(frozen=True)
class Categorical:
    """A parameter taking one of ``choices`` (strings or numbers), encoded as the choice's index."""

    name: str
    choices: tuple[Any, ...]
    unit: str = ""

    def __post_init__(self) -> None:
        _check_name(self.name)
        if isinstance(self.choices, str) or not isinstance(self.choices, Sequence):
            raise ValidationError(
                f"parameter {self.name}: choices must be a list or tuple, got {self.choices!r}"
            )
        object.__setattr__(self, "choices", tuple(self.choices))
        if len(self.choices) < 2 or len(set(self.choices)) != len(self.choices):
            raise ValidationError(f"parameter {self.name}: needs >= 2 distinct choices")

    def __repr__(self) -> str:
        return f"Categorical({self.name}: {', '.join(map(str, self.choices))})"


Parameter = Continuous | Integer | Categorical


def campaign_spec(campaign: str | Path | Mapping[str, Any] | CampaignSpec) -> CampaignSpec:
    """The :class:`CampaignSpec` of a campaign file (path), a dict of the same shape or a spec."""
    if isinstance(campaign, CampaignSpec):
        return campaign
    if isinstance(campaign, Mapping):
        return CampaignSpec.from_dict(campaign)
    if isinstance(campaign, str | Path):
        return CampaignSpec.from_toml(campaign)
    raise InputFileError(
        "SearchSpace.from_campaign: expected a campaign file path, a dict or a "
        f"CampaignSpec, got {type(campaign).__name__}"
    )


@dataclass(frozen=True)
class SearchSpace:
    """Parameters (order = column order), linear constraints and fixed values.

    ``fixed`` holds parameters at one value for a sub-campaign: suggestions carry that value,
    while the model still learns from data taken at other values.
    """

    parameters: tuple[Parameter, ...]
    constraints: tuple[LinearConstraint, ...] = ()
    fixed: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", tuple(self.parameters))
        object.__setattr__(self, "constraints", tuple(self.constraints))
        if not self.parameters:
            raise ValidationError("search space needs at least one parameter")
        names = self.names
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValidationError(f"search space: parameter names repeated: {dup}")
        for con in self.constraints:
            for name, _ in con.coefficients:
                if not isinstance(p := self.parameter(name), Continuous):
                    raise ValidationError(f"{con!r}: {name} is not a numeric parameter")
                if p.log:  # the cube is linear in log(x): no linear constraint there
                    raise ValidationError(f"{con!r}: {name} is searched on a log scale")
        fixed = {}
        for name, value in dict(self.fixed).items():
            p = self.parameter(name)
            fixed[name] = self._check_value(p, value, f"fixed {name}")
            if isinstance(p, Continuous) and p.snap(fixed[name]) != fixed[name]:
                raise ValidationError(f"fixed {name}={value!r} is off the step grid of {p!r}")
        object.__setattr__(self, "fixed", fixed)

    # ----------------------------------------------------------------- building
    @classmethod
    def from_campaign(
        cls,
        campaign: str | Path | Mapping[str, Any] | CampaignSpec,
        constraints: Sequence[LinearConstraint] = (),
        fixed: Mapping[str, Any] | None = None,
    ) -> SearchSpace:
        """The space of a campaign file (path), a dict of the same shape or a
        :class:`CampaignSpec`: its free parameters (steps become grids, choices categories) and
        linear constraints (plus ``constraints``). The campaign's fixed parameters are left out
        (they carry no information); ``fixed`` holds free ones."""
        spec = campaign_spec(campaign)
        if not spec.free_parameters:  # a record-only campaign (CampaignSpec.suggest_note)
            raise ValidationError(f"campaign {spec.name!r}: {spec.suggest_note}")
        params = tuple(
            Categorical(p.name, p.choices, p.unit)
            if p.kind == "categorical"
            else Continuous(p.name, p.low, p.high, p.step, p.unit, p.log)
            for p in spec.free_parameters
        )
        return cls(params, (*spec.linear_constraints, *constraints), dict(fixed or {}))

    def fix(self, **values: Any) -> SearchSpace:
        """A copy with ``values`` held fixed (added to those already fixed)."""
        return replace(self, fixed={**self.fixed, **values})

    # ----------------------------------------------------------------- access
    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    @property
    def dim(self) -> int:
        return len(self.parameters)

    @property
    def cat_dims(self) -> list[int]:
        return [i for i, p in enumerate(self.parameters) if isinstance(p, Categorical)]

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise ValidationError(
            f"search space has no parameter {name!r}; known: {', '.join(self.names)}"
        )

    @property
    def bounds(self) -> torch.Tensor:
        """``2 x d`` bounds of the encoded space: [0, 1] numeric, [0, k-1] categorical."""
        hi = [len(p.choices) - 1 if isinstance(p, Categorical) else 1.0 for p in self.parameters]
        return torch.tensor([[0.0] * self.dim, hi], dtype=DTYPE)

    def __repr__(self) -> str:
        lines = [f"SearchSpace({self.dim} parameters)"] + [f"  {p!r}" for p in self.parameters]
        lines += [f"  {c!r}" for c in self.constraints]
        lines += [f"  fixed {k} = {v!r}" for k, v in self.fixed.items()]
        return "\n".join(lines)

    # ----------------------------------------------------------------- encoding
    def to_unit(self, X: pd.DataFrame, where: str = "X") -> torch.Tensor:
        """Encode ``n x d`` parameter values (campaign units) as a ``n x d`` tensor; validate bounds.

        Raises ``ValidationError`` naming the row and the value for a missing column, a value
        outside the bounds, an unknown category or a non-finite number. Values off the step grid
        are accepted here, as ``Optimizer.tell`` accepts them (``check_grid`` refuses them, as
        ``Optimizer.ask`` does its candidates).
        """
        if not isinstance(X, pd.DataFrame):
            raise ValidationError(f"{where}: expected a pandas DataFrame, got {type(X).__name__}")
        missing = [n for n in self.names if n not in X.columns]
        if missing:  # a misspelt column, "max_temprature", had gone unnamed
            others = [str(c) for c in X.columns if c not in self.names]
            misspelt = [f"{n} for {c!r}" for n in missing if (c := near(n, others))]
            raise ValidationError(
                f"{where}: missing parameter column(s) {', '.join(missing)}"
                + (f" (did you mean {', '.join(misspelt)}?)" if misspelt else "")
            )
        twice = sorted({str(c) for c in X.columns[X.columns.duplicated()] if c in self.names})
        if twice:  # X[name] would be a table, not a column
            raise ValidationError(f"{where}: parameter column(s) {', '.join(twice)} given twice")
        cols = []
        for p in self.parameters:
            col = X[p.name]
            if isinstance(p, Categorical):
                index = {c: i for i, c in enumerate(p.choices)}
                bad = [(r, v) for r, v in col.items() if v not in index]
                if bad:
                    raise ValidationError(
                        f"{where} row {bad[0][0]!r}: {p.name}={bad[0][1]} is not one of {p.choices}"
                    )
                cols.append(np.array([index[v] for v in col], dtype=float))
                continue
            v = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
            tol = _TOL * max(1.0, abs(p.low), abs(p.high))
            bad = ~np.isfinite(v) | (v < p.low - tol) | (v > p.high + tol)
            if bad.any():
                i = int(np.argmax(bad))
                r = col.index[i]
                if not np.isfinite(v[i]):  # "abc", None, inf: no number to compare with the bounds
                    shown = repr(col[r]) if isinstance(col[r], str) else col[r]
                    raise ValidationError(
                        f"{where} row {r!r}: {p.name}={shown} is not a finite number"
                    )
                raise ValidationError(
                    f"{where} row {r!r}: {p.name}={col[r]} is outside [{p.low:g}, {p.high:g}] {p.unit}".rstrip()
                )
            cols.append(np.clip(p.encode(np.clip(v, p.low, p.high)), 0.0, 1.0))
        return torch.tensor(np.stack(cols, axis=-1).reshape(len(X), self.dim), dtype=DTYPE)

    def check_grid(self, X: pd.DataFrame, where: str = "X") -> None:
        """Refuse a stepped parameter's value off its grid (``low + k * step``), by the rule of
        ``ParameterDef.check`` (the store's): within a millionth of a step or a few ulps.
        Raises ``ValidationError`` naming the row and value; ``X`` in bounds (``to_unit``)."""
        for p in self.parameters:
            if isinstance(p, Categorical) or not p.step:
                continue
            v = pd.to_numeric(X[p.name], errors="coerce").to_numpy(dtype=float)
            k = (v - p.low) / p.step
            ulps = 4 * np.spacing(np.maximum(np.abs(v), max(abs(p.low), abs(p.high)))) / p.step
            off = np.abs(k - np.round(k)) > np.maximum(1e-6, ulps)
            if off.any():
                r = X.index[int(np.argmax(off))]
                raise ValidationError(
                    f"{where} row {r!r}: {p.name}={X[p.name][r]} is off the step grid "
                    f"(low {p.low:g} + k * {p.step:g}) {p.unit}".rstrip()
                )

    def as_numbers(self, X: pd.DataFrame) -> pd.DataFrame:
        """``X`` with each numeric parameter's column as numbers ("650" -> 650; a copy when one
        is text); its values already checked (``to_unit``)."""
        text = [
            p.name
            for p in self.parameters
            if not isinstance(p, Categorical) and not pd.api.types.is_numeric_dtype(X[p.name])
        ]
        return X.assign(**{n: pd.to_numeric(X[n]) for n in text}) if text else X

    def from_unit(self, U: torch.Tensor | np.ndarray) -> pd.DataFrame:
        """Decode ``n x d`` unit-cube values into campaign units, snapped to steps and choices."""
        U = np.asarray(U, dtype=float).reshape(-1, self.dim)
        data: dict[str, Any] = {}
        for j, p in enumerate(self.parameters):
            if isinstance(p, Categorical):
                k = np.clip(np.round(U[:, j]), 0, len(p.choices) - 1).astype(int)
                data[p.name] = [p.choices[i] for i in k]
            else:  # 12 digits of the cube: its float noise (4e-17) is not a value to set
                v = p.snap(p.decode(np.round(U[:, j], 12)))
                data[p.name] = v.astype(int) if isinstance(p, Integer) else v
        return pd.DataFrame(data)

    def snap_unit(self, U: torch.Tensor) -> torch.Tensor:
        """``U`` moved to the nearest settable point (grid, choice, fixed value), same shape."""
        out = self.to_unit(self.from_unit(U))
        for j, u in self.fixed_features().items():
            out[:, j] = u
        return out

    def fixed_features(self) -> dict[int, float]:
        """``{column: encoded value}`` of the fixed parameters (BoTorch ``fixed_features``)."""
        row = self.to_unit(
            pd.DataFrame(
                {
                    **{n: [self._any(n)] for n in self.names},
                    **{k: [v] for k, v in self.fixed.items()},
                }
            ),
            "fixed",
        )[0]
        return {self.names.index(k): float(row[self.names.index(k)]) for k in self.fixed}

    def inequality_constraints(self) -> list[tuple[torch.Tensor, torch.Tensor, float]]:
        """The constraints in BoTorch's encoded form ``sum(coef * u[idx]) >= rhs``."""
        out = []
        for con in self.constraints:
            idx, coef, rhs = [], [], con.rhs
            for name, c in con.coefficients:
                p = self.parameter(name)
                idx.append(self.names.index(name))
                coef.append(-c * p.width)
                rhs -= c * p.low
            out.append((torch.tensor(idx), torch.tensor(coef, dtype=DTYPE), -rhs))
        return out

    def equalities(self) -> tuple[list, list]:
        """``inequality_constraints()`` split into inequalities and equalities (BoTorch's forms):
        a pair ``a <= b`` and ``a >= b`` (``T + t <= 500`` with ``T + t >= 500``) is one
        equality ``a == b``, a region of no interior that hit-and-run cannot enter."""
        ineq = self.inequality_constraints()
        keys = [(tuple(i.tolist()), c, r) for i, c, r in ineq]
        pairs = {
            a: b
            for a, (ia, ca, ra) in enumerate(keys)
            for b, (ib, cb, rb) in enumerate(keys)
            if a < b
            and ia == ib
            and torch.allclose(ca, -cb)
            and math.isclose(ra, -rb, abs_tol=_TOL)
        }
        paired = set(pairs) | set(pairs.values())
        return [c for k, c in enumerate(ineq) if k not in paired], [ineq[a] for a in pairs]

    def feasible(self, X: pd.DataFrame, fixed: bool = True) -> np.ndarray:
        """Boolean mask ``(n,)``: rows meeting every constraint and (with ``fixed``) fixed value."""
        ok = np.ones(len(X), dtype=bool)
        for con in self.constraints:
            scale = sum(abs(c) * self.parameter(n).width for n, c in con.coefficients)
            ok &= con.lhs(X) <= con.rhs + 1e-9 * max(1.0, scale, abs(con.rhs))
        for name, value in self.fixed.items() if fixed else ():
            col = X[name].to_numpy()
            ok &= (
                np.isclose(col.astype(float), value)
                if not isinstance(self.parameter(name), Categorical)
                else col == value
            )
        return ok

    def keys(self, X: pd.DataFrame) -> list[tuple]:
        """Hashable identity of each row (numeric values rounded to 1e-9 of the range)."""
        return unit_keys(self.to_unit(X))

    def sample(
        self, n: int, seed: int = 0, exclude: pd.DataFrame | None = None, strict: bool = True
    ) -> pd.DataFrame:
        """``n`` distinct settable, feasible points from a scrambled Sobol sequence (with
        constraints, hit-and-run points inside them when the Sobol points miss).

        Points equal to a row of ``exclude`` are skipped. If the space (grid, constraints) does
        not hold ``n`` new points among 2^14 draws (and ``POLYTOPE_DRAW``): raise, or with
        ``strict=False`` return fewer.
        """
        self.check_feasible()
        seen = set(self.keys(exclude)) if exclude is not None and len(exclude) else set()
        draws = [("sobol", max(256, 8 * n)), ("sobol", 2**14)]  # a small draw usually suffices
        if self.constraints:  # a thin feasible region misses every Sobol point
            draws.append(("polytope", max(POLYTOPE_DRAW, 4 * n)))
        for how, m in draws:
            if how == "sobol":
                engine = SobolEngine(self.dim, scramble=True, seed=seed)
                cand = self.from_unit(engine.draw(m, dtype=DTYPE) * self.bounds[1])
            else:
                cand = self.from_unit(self._polytope_draw(m, seed))
            for name, value in self.fixed.items():
                cand[name] = value
            cand = cand[self.feasible(cand)]
            keep, taken = [], set(seen)
            for i, key in zip(cand.index, self.keys(cand), strict=True):
                if key not in taken:
                    taken.add(key)
                    keep.append(i)
                    if len(keep) == n:
                        break
            if len(keep) == n:
                break
        if len(keep) < n and strict:
            raise ValidationError(
                f"search space holds only {len(keep)} new feasible point(s), {n} asked for"
            )
        return cand.loc[keep].reset_index(drop=True)

    def check_feasible(self) -> None:
        """A ValidationError naming the constraints, fixed values and bounds if no point of the
        box meets every linear constraint at the fixed values (a linear program, steps relaxed,
        as ``CampaignSpec`` checks a campaign file: milliseconds). A space built in code is not
        checked at creation: ``ask`` and ``sample`` call it before any fit or draw (a fixed
        value that excluded every point was BoTorch's CandidateGenerationError after an 8 s
        search, and empty constraints with data told its InfeasibilityError)."""
        if not self.constraints:
            return
        from scipy.optimize import linprog

        numeric = [p for p in self.parameters if not isinstance(p, Categorical)]
        bounds = [
            (self.fixed[p.name],) * 2 if p.name in self.fixed else (p.low, p.high) for p in numeric
        ]
        A = [[dict(c.coefficients).get(p.name, 0.0) for p in numeric] for c in self.constraints]
        scale = [sum(abs(c) * self.parameter(n).width for n, c in con.coefficients)
                 for con in self.constraints]  # fmt: skip
        rhs = [  # feasible()'s tolerance
            c.rhs + 1e-9 * max(1.0, s, abs(c.rhs))
            for c, s in zip(self.constraints, scale, strict=True)
        ]
        if linprog(np.zeros(len(numeric)), A_ub=A, b_ub=rhs, bounds=bounds).status != 2:
            return
        held = [
            f"{p.name} fixed at {self.fixed[p.name]:g}" for p in numeric if p.name in self.fixed
        ]
        box = [f"{p.name} in [{p.low:g}, {p.high:g}]" for p in numeric if p.name not in self.fixed]
        raise ValidationError(
            "search space: no parameter values meet the constraints "
            f"{'; '.join(c.text() for c in self.constraints)} (within {', '.join(box + held)})"
        )

    def _polytope_draw(self, m: int, seed: int) -> torch.Tensor:
        """``m`` encoded points spread over the region the linear constraints leave (BoTorch's
        hit-and-run sampler; fixed numeric values as equalities), ``m x d``."""
        from botorch.utils.sampling import get_polytope_samples

        fixed = [
            (torch.tensor([j]), torch.tensor([1.0], dtype=DTYPE), u)
            for j, u in self.fixed_features().items()
            if not isinstance(self.parameters[j], Categorical)
        ]
        ineq, eq = self.equalities()
        try:
            return get_polytope_samples(
                m,
                self.bounds,
                inequality_constraints=ineq or None,
                equality_constraints=fixed + eq or None,
                seed=seed,
                n_burnin=1000,
                n_thinning=4,
            )
        except ValueError as err:  # no interior point: the constraints exclude the whole box
            raise ValidationError(
                "search space: no parameter values meet the constraints "
                f"{'; '.join(c.text() for c in self.constraints)} ({err})"
            ) from None

    def grid(self, limit: int = SMALL_GRID) -> pd.DataFrame | None:
        """Every settable, feasible point when each free parameter is stepped, integer or
        categorical and the box holds at most ``limit`` of them; else None."""
        axes: list[Sequence[Any]] = []
        for p in self.parameters:
            if p.name in self.fixed:
                axes.append([self.fixed[p.name]])
            elif isinstance(p, Categorical):
                axes.append(p.choices)
            elif p.step:
                count = math.floor(p.width / p.step + 1e-9) + 1
                if count > limit:
                    return None
                values = p.snap(p.low + p.step * np.arange(count))
                axes.append(values.astype(int) if isinstance(p, Integer) else values)
            else:
                return None
        if math.prod(len(a) for a in axes) > limit:
            return None
        X = pd.DataFrame(list(itertools.product(*axes)), columns=self.names)
        return X[self.feasible(X)].reset_index(drop=True)

    # ----------------------------------------------------------------- helpers
    def _any(self, name: str) -> Any:
        p = self.parameter(name)
        return p.choices[0] if isinstance(p, Categorical) else p.low

    @staticmethod
    def _check_value(p: Parameter, value: Any, where: str) -> Any:
        if isinstance(p, Categorical):
            if value not in p.choices:
                raise ValidationError(f"{where}: {value!r} is not one of {p.choices}")
            return value
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ValidationError(f"{where}: {value!r} is not a number") from None
        if not p.low <= v <= p.high:
            raise ValidationError(
                f"{where}: {v:g} is outside [{p.low:g}, {p.high:g}] {p.unit}".rstrip()
            )
        return v


def unit_keys(U: torch.Tensor) -> list[tuple]:
    """Hashable identity of each encoded row ``n x d`` (rounded to 1e-9)."""
    return list(map(tuple, np.round(np.asarray(U, dtype=float), 9).tolist()))


def _check_name(name: str) -> None:
    if not str(name).strip():
        raise ValidationError("parameter name is empty")
