"""Figures of the optimizer: model slices (BOXVIA's views), campaign progress, history, replay.

Data and drawing are separate: ``model_slices`` and ``best_so_far`` compute arrays; the
``plot_*`` functions draw them with matplotlib and return the ``Figure``; ``plotly_*`` functions
return plotly figures for the web dashboard. ``write_model_report`` writes all PNGs (and HTML).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import LogLocator, MaxNLocator  # noqa: E402

from fluxtrap.campaign import (  # noqa: E402
    CONSTRAINT_STATUSES,
    ObjectiveDef,
    acquisition_range,
    awaiting,
    best_position,
    constraint_status,
    running_best,
    shown_acquisition,
)
from fluxtrap.errors import ValidationError  # noqa: E402
from fluxtrap.inputs import near  # noqa: E402
from fluxtrap.optimize.optimizer import (  # noqa: E402
    ZERO_LABEL,
    _rows_frame,
    _whole,
    check_pending,
    one_thread,
    quiet_numerics,
    zero_floor,
)
from fluxtrap.optimize.space import Categorical  # noqa: E402


def plot_replay(result) -> Figure:
    """Top fraction and best-so-far vs trial: BO (mean, 5-95% band over repeats) and random; the
    best so far on a log axis when the objective was modelled as ln(value) (``result.log``)."""
    trials = np.arange(1, result.budget + 1)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for ax, bo, rnd, label in (
        (ax1, result.bo_top, result.random_top, f"fraction of top {result.top_percent:g}% found"),
        (ax2, result.bo_best, result.random_best, "best so far"),
    ):
        ax.fill_between(trials, *np.percentile(bo, [5, 95], axis=0), alpha=0.25, color="C0")
        ax.plot(trials, bo.mean(axis=0), color="C0", label=f"BO (mean of {len(bo)} runs, 5-95%)")
        ax.plot(trials, rnd, color="C3", ls="--", label="random (expectation)")
        ax.set_xlabel("trial")
        ax.set_ylabel(label)
    ax2.set_yscale("log" if result.log else "linear")
    ax1.legend(loc="upper left")
    fig.suptitle(
        f"replay: pool N={result.n_pool}, top {result.top_percent:g}% = {result.n_top} entries"
    )
    return fig


# -------------------------------------------------------------------- model slices (data)
# grid points per axis of a slice: a 2D map is its square, 90 000 points at 300 (7 s of CPU on a
# small model); n_grid 5000 had run a minute and failed allocating 5e15 bytes, 0 drew nothing
MAX_SLICE_GRID = 300


def model_slices(
    opt,
    through: Mapping[str, Any] | None = None,
    objective: str | None = None,
    pending: pd.DataFrame | Mapping[str, Sequence] | Sequence[Mapping] | None = None,
    n_grid: int = 60,
    one_d: Sequence[str] | None = None,
    two_d: Sequence[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """Posterior mean, std and acquisition on 1D and 2D slices through a point (BOXVIA's views).

    Args:
        opt: a fitted :class:`Optimizer` (>= 2 observations).
        through: the point the slices pass through (default: the best observed row known to
            meet the outcome constraints, ``Optimizer.best``'s; the best observed where none is;
            at the values ``SearchSpace.fix`` holds in place of the row's own).
        objective: which objective's mean/std (default: the first).
        pending: points taken as pending in the acquisition (e.g. open suggestions), in any form
            ``Optimizer.ask`` takes (a table, a mapping of name -> values, a list of rows).
        n_grid: grid points per axis, 2 to ``MAX_SLICE_GRID``.
        one_d: the parameters to slice along, or one name (default: every numeric parameter
            not held fixed by ``SearchSpace.fix``; a fixed one is refused).
        two_d: the ``(x, y)`` pairs of distinct parameters to map (default: the pairs among the three free numeric parameters
            with the shortest length-scale relative to their range, those that matter most).

    Returns a dict: ``through`` (dict), ``through_row`` (its position among the observations,
    ``opt.X``'s rows, when ``through`` was not given; else None), ``objective``, ``one_d`` {param: {x, mean, std,
    acquisition} arrays ``(n_grid,)``; the acquisition NaN where a linear constraint forbids
    the point}, ``two_d`` {(p, q): {x ``(n_grid,)``, y ``(n_grid,)``,
    mean, std, acquisition ``(n_grid, n_grid)`` indexed [y, x]}}, ``data`` (observations).
    """
    space = opt.space
    if pending is not None:  # in any form ask takes; a mapping had been counted by its keys
        pending = _rows_frame(pending, space.names, "model_slices: pending")
    check_pending(0 if pending is None else len(pending), "model_slices")
    n_grid = _whole(n_grid, "model_slices: n_grid", 2, MAX_SLICE_GRID)
    objective = objective or opt.objectives[0]
    if objective not in opt.objectives:  # was list.index's ValueError "'jc3T' is not in list"
        close = near(objective, opt.objectives)
        raise ValidationError(
            f"model_slices: {objective!r} is not an objective of the optimizer"
            f"{f' (did you mean {close!r}?)' if close else ''}; its objectives: "
            f"{', '.join(opt.objectives)}"
            + (
                f" ({objective} is modelled for an outcome constraint only)"
                * (objective in opt.outcomes)
            )
        )
    j = opt.objectives.index(objective)
    data = pd.concat([opt.X, opt.Y], axis=1)
    row = None
    if through is None:  # the best measured row, among those known to meet the constraints
        signed = opt._signed_Y()[:, j].numpy()  # NaN: not measured
        row = best_position(signed, status=opt.constraint_status().to_numpy())
        row = best_position(signed) if row is None else row
        # at the values SearchSpace.fix holds (no suggestion leaves them), not the row's own
        through = {**opt.X.iloc[row].to_dict(), **space.fixed}
    through = _checked_point(space, through)
    P = space.to_unit(pending, "pending") if pending is not None and len(pending) else None
    numeric = [p for p in space.parameters if not isinstance(p, Categorical)]
    free = [p for p in numeric if p.name not in space.fixed]  # no suggestion moves the fixed

    def sliceable(name: str):
        p = space.parameter(name)  # ValidationError for an unknown name
        if isinstance(p, Categorical):
            raise ValidationError(
                f"model_slices: {name} is categorical; slices run along numeric parameters"
            )
        if name in space.fixed:
            raise ValidationError(
                f"model_slices: {name} is held fixed at {space.fixed[name]:g}; slices run along "
                f"free parameters ({', '.join(f.name for f in free) or 'none'})"
            )
        return p

    # the slices asked for, checked before the model's fit: one name for one_d is one slice
    # ("ramp" had been the parameters 'r', 'a', ...), a pair is two distinct names ("Tt" had
    # been the pair T, t; (T, T) a map of one parameter against itself)
    lines = free if one_d is None else [sliceable(n) for n in _listed(one_d, "one_d")]
    pairs = None if two_d is None else [_pair(pair, sliceable) for pair in _listed(two_d, "two_d")]
    with quiet_numerics():
        acqf = opt.believer_acquisition(P)  # analytic with one objective: no MC floor

    def evaluate(grid: pd.DataFrame) -> dict[str, np.ndarray]:
        with one_thread():  # as ask: 4x less CPU here (bench/bench_mo_suggest.py's reason)
            pred = opt.predict(grid)
            with torch.no_grad(), quiet_numerics():
                acq = torch.cat([acqf(u.unsqueeze(1)) for u in space.to_unit(grid).split(1024)])
        acq = acq.numpy().copy()
        acq[~space.feasible(grid, fixed=False)] = np.nan  # no suggestion goes there: blank
        mean, std = pred[f"{objective}_mean"].to_numpy(), pred[f"{objective}_std"].to_numpy()
        # +- 2 sd: a log objective's median exp(mu) divided and multiplied by exp(2 sd)
        wide = np.exp(2 * std) if logged else None
        return {
            "mean": mean,
            "std": std,
            "low": mean / wide if logged else mean - 2 * std,
            "high": mean * wide if logged else mean + 2 * std,
            "acquisition": acq,
        }

    logged = objective in opt.log_outcomes

    if pairs is None:
        ls = opt.lengthscales().loc[objective]
        rel = sorted(free, key=lambda p: ls[p.name] / p.span)
        pairs = list(itertools.combinations(rel[:3], 2))
    out_1d = {}
    for p in lines:
        x = p.decode(np.linspace(0, 1, n_grid))
        grid = pd.DataFrame({n: np.full(n_grid, through[n], dtype=object) for n in space.names})
        grid[p.name] = x
        out_1d[p.name] = {"x": x, **evaluate(grid)}
    out_2d = {}
    for p, q in pairs:
        x, y = (r.decode(np.linspace(0, 1, n_grid)) for r in (p, q))
        gx, gy = np.meshgrid(x, y)
        grid = pd.DataFrame({n: np.full(gx.size, through[n], dtype=object) for n in space.names})
        grid[p.name], grid[q.name] = gx.ravel(), gy.ravel()
        vals = {k: v.reshape(gx.shape) for k, v in evaluate(grid).items()}
        out_2d[(p.name, q.name)] = {"x": x, "y": y, **vals}
    return {
        "through": through,
        "through_row": row,
        "objective": objective,
        "one_d": out_1d,
        "two_d": out_2d,
        "data": data,
        "units": {p.name: p.unit for p in numeric},
        "log": {p.name for p in numeric if p.log},  # drawn on a log axis
        "log_objective": logged,  # modelled as ln: mean the median, std of ln, drawn on a log axis
    }


def _listed(given: object, what: str) -> list:
    """``model_slices``' ``one_d`` or ``two_d`` (``what``) as a list: one name of ``one_d`` as
    the list of it; anything else not a list or tuple a ValidationError naming ``what``."""
    if isinstance(given, str) and what == "one_d":
        return [given]
    if not isinstance(given, list | tuple):
        raise ValidationError(
            f"model_slices: {what} must be a list of "
            f"{'parameter names' if what == 'one_d' else '(x, y) pairs of parameter names'}, "
            f"got {given!r}"
        )
    return list(given)


def _pair(pair: object, sliceable) -> tuple:
    """A ``two_d`` entry as its two parameters (``sliceable``), or a ValidationError naming it:
    not two names, or one name twice."""
    if isinstance(pair, str) or not isinstance(pair, list | tuple) or len(pair) != 2:
        raise ValidationError(
            f"model_slices: two_d holds {pair!r}, not an (x, y) pair of parameter names"
        )
    if pair[0] == pair[1]:
        raise ValidationError(
            f"model_slices: two_d pair ({pair[0]}, {pair[1]}) maps a parameter against itself; "
            "give two distinct parameters"
        )
    return sliceable(pair[0]), sliceable(pair[1])


def _checked_point(space, through: Mapping[str, Any]) -> dict[str, Any]:
    """``through`` as a point of ``space`` (numbers as floats), or a ValidationError naming a
    key it does not know (with the near miss), one it lacks, or a value outside the bounds or
    choices (a misspelt key was ignored and the one meant was a KeyError; a value outside
    was named as 'X row 0', a table the caller never passed)."""
    through = dict(through)
    unknown = [str(k) for k in through if k not in space.names]
    if unknown:
        close = near(unknown[0], space.names)
        raise ValidationError(
            f"model_slices: through has no parameter {unknown[0]!r}"
            f"{f' (did you mean {close!r}?)' if close else ''}; known: {', '.join(space.names)}"
        )
    missing = [n for n in space.names if n not in through]
    if missing:
        raise ValidationError(
            f"model_slices: through lacks {', '.join(missing)} (give every parameter, or none "
            "for the best point)"
        )
    point = pd.DataFrame([through])[space.names]
    space.to_unit(point, "model_slices: through")
    return {
        p.name: through[p.name] if isinstance(p, Categorical) else float(through[p.name])
        for p in space.parameters
    }


def shown_slices(
    slices: Mapping[str, Any],
    objective: ObjectiveDef,
    optimised: Sequence[ObjectiveDef] | None = None,
) -> dict[str, Any]:
    """``slices`` of ``objective`` (``model_slices``) as tables show it: mean, std, band and
    measured values by ``ObjectiveDef.shown`` (Jc A/m^2 -> A/cm^2; a log objective's std, of
    ln(value), as it is), its ``shown_unit`` in ``units``; the
    acquisition as the log of the improvement in those units (``shown_acquisition`` of
    ``optimised``, the objectives the acquisition improves; default ``objective`` alone), its
    axis label under ``acquisition_label``."""
    name = objective.name
    shift, label = shown_acquisition([objective] if optimised is None else optimised)

    def shown(s: Mapping[str, Any]) -> dict[str, Any]:
        out = {k: objective.shown(s[k]) for k in ("mean", "std", "low", "high")}
        if objective.log:  # the sd of ln(value) has no unit
            out["std"] = s["std"]
        return {**s, **out, "acquisition": s["acquisition"] + shift}

    data = slices["data"].copy()
    data[name] = objective.shown(data[name])
    return {
        **slices,
        "one_d": {k: shown(s) for k, s in slices["one_d"].items()},
        "two_d": {k: shown(s) for k, s in slices["two_d"].items()},
        "data": data,
        "units": {**slices["units"], name: objective.shown_unit},
        "acquisition_label": label,
    }


# -------------------------------------------------------------------- model slices (figures)
def _origin_groups(data: pd.DataFrame, origin: Sequence[str] | None):
    if origin is None:
        return [("data", data, "k", "o")]
    origin = np.asarray(origin)
    if len(origin) != len(data):
        raise ValidationError(
            f"origin has {len(origin)} labels for {len(data)} observations (give the measured rows' origins)"
        )
    return [
        (
            o,
            data[origin == o],
            ORIGIN_STYLE.get(o, ("C7", "s"))[0],
            ORIGIN_STYLE.get(o, ("C7", "s"))[1],
        )
        for o in sorted(set(origin))
    ]


ORIGIN_STYLE = {"researcher": ("C0", "o"), "optimizer": ("C1", "^")}


def _label(name: str, units: Mapping[str, str]) -> str:
    return f"{name} [{units[name]}]" if units.get(name) else name


def _at_choices(slices: Mapping[str, Any]) -> str:
    """ ", gas = vac": the slice point's categorical values (every curve and map holds them)."""
    held = [f"{k} = {v}" for k, v in slices["through"].items() if k not in slices["units"]]
    return ", " + ", ".join(held) if held else ""


def plot_slices_1d(
    slices: Mapping[str, Any],
    origin: Sequence[str] | None = None,
    suggestions: pd.DataFrame | None = None,
) -> Figure:
    """Mean +- 2 std (top; a log objective: the median and exp(mu -+ 2 sd) on a log axis) and
    acquisition (bottom) along each parameter through the slice point.

    ``origin`` (one label per observation, e.g. researcher / optimizer) colours the data points,
    which are drawn at their own parameter value (a projection: other parameters differ).
    ``suggestions`` are marked as vertical lines.
    """
    names = list(slices["one_d"])
    fig, axes = plt.subplots(
        2,
        len(names),
        figsize=(max(3.6 * len(names), 5.6), 5.6),  # one parameter: room for the title
        squeeze=False,
        sharex="col",
        constrained_layout=True,
    )
    obj = slices["objective"]
    for k, name in enumerate(names):
        s = slices["one_d"][name]
        ax, bx = axes[0, k], axes[1, k]
        logged = slices.get("log_objective", False)
        ax.fill_between(
            s["x"],
            s["low"],
            s["high"],
            color="C2",
            alpha=0.2,
            label="exp(mu -+ 2 sd)" if logged else "mean +- 2 std",
        )
        ax.plot(s["x"], s["mean"], color="C2", label="median" if logged else "posterior mean")
        if logged:
            ax.set_yscale("log")
        for label, d, color, marker in _origin_groups(slices["data"], origin):
            ax.scatter(d[name], d[obj], s=18, color=color, marker=marker, label=label, zorder=3)
        ax.axvline(slices["through"][name], color="0.5", lw=0.8, ls=":")
        bx.plot(s["x"], s["acquisition"], color="C4")
        if suggestions is not None:
            for v in suggestions[name]:
                ax.axvline(v, color="C3", lw=1)
                bx.axvline(v, color="C3", lw=1)
        bx.set_xlabel(_label(name, slices["units"]))
        if name in slices.get("log", ()):
            ax.set_xscale("log")
            bx.set_xscale("log")
        if k == 0:
            ax.set_ylabel(_label(obj, slices["units"]))
            bx.set_ylabel(slices.get("acquisition_label", "acquisition (log)"))
    axes[0, 0].legend(fontsize=7, loc="best")
    fig.suptitle(
        f"{obj}: slices through the best point{_at_choices(slices)}"
        + (" (red: next suggestions)" if suggestions is not None else "")
    )
    return fig


def plot_slice_2d(
    slices: Mapping[str, Any],
    pair: tuple[str, str],
    origin: Sequence[str] | None = None,
    suggestions: pd.DataFrame | None = None,
) -> Figure:
    """Mean, std and acquisition maps over one pair of parameters (others at the slice point);
    a log objective's median coloured on a log scale (its values span decades)."""
    s = slices["two_d"][pair]
    p, q = pair
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), constrained_layout=True)
    for ax, key, cmap in zip(
        axes, ("mean", "std", "acquisition"), ("viridis", "magma", "cividis"), strict=True
    ):
        z, levels, norm = s[key], 20, None
        coloured = acquisition_range(z) if key == "acquisition" else None
        if coloured and coloured[1] > coloured[0]:  # below it the lowest colour, as on the web
            z, levels = np.maximum(z, coloured[0]), np.linspace(*coloured, 21)
        if key == "mean" and slices.get("log_objective") and np.ptp(z) > 0:
            levels, norm = np.geomspace(np.min(z), np.max(z), 21), matplotlib.colors.LogNorm()
        cs = ax.contourf(s["x"], s["y"], z, levels=levels, cmap=cmap, norm=norm)
        fig.colorbar(cs, ax=ax, ticks=LogLocator() if norm else None)  # decades, not levels
        for label, d, color, marker in _origin_groups(slices["data"], origin):
            ax.scatter(
                d[p], d[q], s=18, color=color, marker=marker, edgecolor="w", lw=0.5, label=label
            )
        ax.plot(slices["through"][p], slices["through"][q], "w+", ms=12, mew=2)
        if suggestions is not None:
            ax.scatter(
                suggestions[p],
                suggestions[q],
                marker="*",
                s=160,
                color="C3",
                edgecolor="w",
                label="next",
            )
        ax.set_title(
            f"{_label(slices['objective'], slices['units'])} "
            + ("median" if key == "mean" else "sd of ln")
            if slices.get("log_objective") and key != "acquisition"
            else f"{_label(slices['objective'], slices['units'])} {key}"
            if key != "acquisition"
            else slices.get("acquisition_label", "acquisition (log)")
        )
        ax.set_xlabel(_label(p, slices["units"]))
        ax.set_ylabel(_label(q, slices["units"]))
        ax.set_xscale("log" if p in slices.get("log", ()) else "linear")
        ax.set_yscale("log" if q in slices.get("log", ()) else "linear")
    axes[0].legend(fontsize=7, loc="best")
    if _at_choices(slices):
        fig.suptitle(f"others at the best point{_at_choices(slices)}")
    return fig


# -------------------------------------------------------------------- campaign history
def best_so_far(
    history: pd.DataFrame,
    objective: str,
    maximize: bool = True,
    outcome_constraints: Mapping[str, tuple[float | None, float | None]] | None = None,
) -> pd.DataFrame:
    """Best value so far vs trial, per origin and overall, over measured rows in recording order,
    among the rows known to meet ``outcome_constraints`` (``{outcome: (lower, upper)}``, the
    optimizer's; ``campaign.constraint_status`` "met", as ``Optimizer.best``: a row breaking one
    had been the best).

    Returns columns ``trial`` (1-based over measured samples), ``origin``, ``value``, ``status``
    ("met", "not met", "unknown"), ``best_origin`` (best so far among that origin's samples
    meeting the constraints) and ``best_all``; ``attrs["constraints"]`` counts each status and
    ``attrs["awaiting"]`` the rows awaiting each constrained outcome's measurement.
    """
    bounds = dict(outcome_constraints or {})
    h = history[history[objective].notna()].reset_index(drop=True)
    origin = h["origin"] if "origin" in h else pd.Series("data", index=h.index)
    status = constraint_status(h, bounds)
    out = pd.DataFrame(
        {
            "trial": np.arange(1, len(h) + 1),
            "origin": origin.to_numpy(),
            "value": h[objective].to_numpy(dtype=float),
            "status": status,
        }
    )
    met = out["value"].where(out["status"] == "met")
    out["best_origin"] = met.groupby(out["origin"]).transform(
        lambda v: running_best(v.to_numpy(), maximize)
    )
    out["best_all"] = running_best(met.to_numpy(), maximize)
    out.attrs["constraints"] = {k: int((status == k).sum()) for k in CONSTRAINT_STATUSES}
    out.attrs["awaiting"] = awaiting(h, bounds)
    return out


def plot_best_so_far(progress: pd.DataFrame, objective: str, log: bool = False) -> Figure:
    """Each loop's best-so-far (steps) and every measured value (points) vs trial; ``log``: on a
    log axis (an objective with log = true, whose values span decades), a 0 and a best so far
    of 0 at the model's floor (``_floored``), each 0 marked by a triangle (ZERO_LABEL)."""
    fig, ax = plt.subplots(figsize=(7, 4), constrained_layout=True)
    zero = (progress["value"] == 0).to_numpy() & log
    if zero.any():  # ln 0 has no place on a log axis: left out there
        floor = zero_floor(progress["value"])
        best = {k: progress[k].replace(0.0, floor) for k in ("value", "best_origin", "best_all")}
        progress = progress.assign(**best)
    met = progress["status"] == "met" if "status" in progress else True
    for o, d in progress.groupby("origin"):
        color, marker = ORIGIN_STYLE.get(o, ("C7", "s"))
        ok = met[d.index] if "status" in progress else np.ones(len(d), bool)
        ok, broken = ok & ~zero[d.index], ~ok & ~zero[d.index]
        ax.scatter(d.trial[ok], d.value[ok], color=color, marker=marker, s=16, alpha=0.6)
        ax.scatter(d.trial[broken], d.value[broken], color=color, marker="x", s=16, alpha=0.6)
        ax.step(d.trial, d.best_origin, where="post", color=color, label=f"{o}: best so far")
    if zero.any():
        colors = [ORIGIN_STYLE.get(o, ("C7", "s"))[0] for o in progress["origin"][zero]]
        at = progress[zero]
        ax.scatter(at.trial, at.value, c=colors, marker="v", s=30, alpha=0.8, label=ZERO_LABEL)
    ax.step(
        progress.trial,
        progress.best_all,
        where="post",
        color="k",
        lw=0.8,
        ls="--",
        label="all: best so far",
    )
    ax.set_xlabel("trial (measured samples in recording order)")
    counts = progress.attrs.get("constraints", {})
    if counts.get("not met") or counts.get("unknown"):  # x: not known to meet them
        waiting = ", ".join(progress.attrs.get("awaiting", {}))
        ax.set_title(
            f"best among samples meeting the outcome constraints (x: {counts['not met']} do "
            f"not, {counts['unknown']} await {waiting or 'a measurement'})",
            fontsize=8,
        )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # trials are counted: no 1.2, 1.4
    ax.set_ylabel(objective)
    ax.set_yscale("log" if log else "linear")
    ax.legend(fontsize=8)
    return fig


def plot_parallel_coordinates(
    history: pd.DataFrame,
    parameters: Sequence[str],
    objective: str,
    units: Mapping[str, str] | None = None,
    log: bool = False,
) -> Figure:
    """One line per sample across the parameters (each axis min..max, a categorical one its
    choices in order of appearance), coloured by the objective; ``log``: the objective's axis
    and colours on a log scale (an objective with log = true, whose values span decades), a 0
    at the model's floor (``_floored``)."""
    h = history[history[objective].notna()]
    h = h.assign(**{objective: _floored(h[objective])}) if log else h
    cols = [*parameters, objective]
    values, labels = _coordinates(h, cols)
    lo, hi = values.min(), values.max()
    at = values.assign(**{objective: np.log(values[objective])}) if log else values
    Z = (at - at.min()) / (at.max() - at.min()).replace(0, 1)
    fig, ax = plt.subplots(figsize=(1.8 * len(cols) + 2, 4.5), constrained_layout=True)
    scale = matplotlib.colors.LogNorm if log else matplotlib.colors.Normalize
    norm = scale(h[objective].min(), h[objective].max())
    cmap = matplotlib.colormaps["viridis"]
    origin = h["origin"] if "origin" in h else pd.Series("data", index=h.index)
    for (_, z), v, o in zip(Z.iterrows(), h[objective], origin, strict=True):
        ax.plot(
            range(len(cols)),
            z.to_numpy(),
            color=cmap(norm(v)),
            lw=1.2,
            ls="--" if o == "optimizer" else "-",
            alpha=0.85,
        )
    ax.set_xticks(range(len(cols)), [_label(c, units or {}) for c in cols], rotation=15)
    for k, c in enumerate(cols):
        ax.axvline(k, color="0.6", lw=0.6)
        if c in labels:
            for i, text in enumerate(labels[c]):
                ax.annotate(text, (k, Z[c][values[c] == i].iloc[0]), xytext=(2, 2), **_NOTE)
            continue
        ax.annotate(f"{hi[c]:.4g}", (k, 1.0), xytext=(2, 4), **_NOTE)
        ax.annotate(f"{lo[c]:.4g}", (k, 0.0), xytext=(2, -10), **_NOTE)
    ax.set_yticks([])
    fig.colorbar(
        matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap),
        ax=ax,
        label=_label(objective, units or {}),
    )
    ax.set_title("history (solid: researcher, dashed: optimizer)")
    return fig


_NOTE = dict(textcoords="offset points", fontsize=7)


def _floored(values: pd.Series) -> pd.Series:
    """A log objective's values (any unit) with each 0 at ``zero_floor``, where the model puts
    it (``Optimizer.floor``): ln 0 has no place on a log axis."""
    return values.where(values != 0, zero_floor(values))


def _coordinates(h: pd.DataFrame, cols: Sequence[str]) -> tuple[pd.DataFrame, dict[str, list]]:
    """``h[cols]`` as numbers, each non-numeric (categorical) column as the index of its value
    in order of appearance; and those columns' values in that order, {column: labels}."""
    values, labels = {}, {}
    for c in cols:
        if pd.api.types.is_numeric_dtype(h[c]):
            values[c] = h[c].astype(float)
        else:
            codes, uniques = pd.factorize(h[c])
            values[c] = pd.Series(codes.astype(float), index=h.index)
            labels[c] = [str(u) for u in uniques]
    return pd.DataFrame(values, index=h.index), labels


# -------------------------------------------------------------------- plotly (web dashboard)
def plotly_parallel_coordinates(
    history: pd.DataFrame,
    parameters: Sequence[str],
    objective: str,
    units: Mapping[str, str] | None = None,
    log: bool = False,
):
    """The history as a plotly ``Parcoords`` figure (interactive axis filtering); ``log``: the
    objective's axis and colours in log10, ticked at its decades (``Parcoords`` has no log axis),
    a 0 at the model's floor (``_floored``)."""
    import plotly.graph_objects as go

    h = history[history[objective].notna()]
    h = h.assign(**{objective: _floored(h[objective])}) if log else h
    cols = [*parameters, objective]
    values, labels = _coordinates(h, cols)
    if log:
        values[objective] = np.log10(values[objective])
        decades = range(math.floor(values[objective].min()), math.ceil(values[objective].max()) + 1)
        labels[objective] = {k: f"{10.0**k:g}" for k in decades}
    dims = [
        dict(label=_label(c, units or {}), values=values[c]) | _ticks(labels.get(c)) for c in cols
    ]
    return go.Figure(
        go.Parcoords(
            line=dict(color=values[objective], colorscale="Viridis", showscale=True),
            dimensions=dims,
        )
    )


def _ticks(labels: Sequence[str] | Mapping[float, str] | None) -> dict[str, list]:
    """A ``Parcoords`` dimension's ticks: categories' labels at 0, 1, ... or {value: label}."""
    if labels is None:
        return {}
    at = labels if isinstance(labels, Mapping) else dict(enumerate(labels))
    return dict(tickvals=list(at), ticktext=list(at.values()))


def plotly_slices_1d(slices: Mapping[str, Any]):
    """Mean +- 2 std (a log objective: the median and exp(mu -+ 2 sd), log axis) and
    acquisition along each parameter, as a plotly figure."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    names = list(slices["one_d"])
    fig = make_subplots(rows=2, cols=len(names), shared_xaxes=True, vertical_spacing=0.08)
    for k, name in enumerate(names, 1):
        s = slices["one_d"][name]
        band = np.r_[s["high"], s["low"][::-1]]
        fig.add_trace(
            go.Scatter(
                x=np.r_[s["x"], s["x"][::-1]],
                y=band,
                fill="toself",
                line=dict(width=0),
                fillcolor="rgba(44,160,44,0.2)",
                showlegend=False,
            ),
            row=1,
            col=k,
        )
        fig.add_trace(
            go.Scatter(
                x=s["x"], y=s["mean"], line=dict(color="green"), name="mean", showlegend=k == 1
            ),
            row=1,
            col=k,
        )
        fig.add_trace(
            go.Scatter(
                x=slices["data"][name],
                y=slices["data"][slices["objective"]],
                mode="markers",
                marker=dict(color="black", size=5),
                name="data",
                showlegend=k == 1,
            ),
            row=1,
            col=k,
        )
        fig.add_trace(
            go.Scatter(
                x=s["x"],
                y=s["acquisition"],
                line=dict(color="purple"),
                name="acquisition",
                showlegend=k == 1,
            ),
            row=2,
            col=k,
        )
        fig.update_xaxes(title_text=_label(name, slices["units"]), row=2, col=k)
    fig.update_yaxes(title_text=_label(slices["objective"], slices["units"]), row=1, col=1)
    if slices.get("log_objective"):  # the median and exp(mu -+ 2 sd)
        fig.update_yaxes(type="log", row=1)
    fig.update_yaxes(title_text=slices.get("acquisition_label", "acquisition (log)"), row=2, col=1)
    fig.update_layout(
        title_text=f"{slices['objective']}: slices through the best point{_at_choices(slices)}"
    )
    return fig


# -------------------------------------------------------------------- report
def shown_bounds(
    bounds: Mapping[str, tuple[float | None, float | None]], defs: Mapping[str, ObjectiveDef]
) -> dict[str, tuple[float | None, float | None]]:
    """Outcome constraints' bounds in the units the tables show their objective in (those of
    ``defs``, ``ObjectiveDef.shown``: a bound on Jc in A/cm^2), the others as given: the bounds
    of a history whose objectives were converted so."""
    return {
        n: tuple(b if b is None or n not in defs else float(defs[n].shown(b)) for b in lh)
        for n, lh in bounds.items()
    }


def write_model_report(
    opt,
    history: pd.DataFrame,
    out_dir: str | Path,
    suggestions: pd.DataFrame | None = None,
    pending: pd.DataFrame | None = None,
    html: bool = True,
    advice: str | None = None,
    objectives: Sequence[ObjectiveDef] = (),
) -> list[Path]:
    """Write the model and history figures of a campaign into ``out_dir``; return the paths.

    ``advice``: the stopping advisor's line, printed under the best-so-far figure.
    ``objectives``: the campaign's; each one's values are drawn as tables show them
    (``shown_slices``, ``ObjectiveDef.shown``: Jc in A/cm^2) under its label, ``jc_3T [A/cm²]``;
    an objective not among them is drawn as modelled, under its name.

    ``history`` has parameter, objective and ``origin`` columns (``Store.history``); the
    observations the optimizer was told must be its rows with every outcome measured, in order.
    Each objective's best so far and parallel coordinates draw every row measuring it (a sample
    awaiting a constraint's Tc was left out of its Jc's progress).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    space = opt.space
    defs = {o.name: o for o in objectives if o.name in opt.objectives}
    units = {p.name: p.unit for p in space.parameters} | {n: o.shown_unit for n, o in defs.items()}
    history = history.assign(**{n: o.shown(history[n]) for n, o in defs.items()})
    bounds = shown_bounds(opt.outcome_constraints, defs)  # as history is now drawn
    measured = history[history[opt.outcomes].notna().any(axis=1)]  # the rows told
    origin = measured["origin"].to_numpy() if "origin" in measured else None
    paths = []

    def save(fig: Figure, name: str) -> None:
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        paths.append(out / name)

    for obj, mx in zip(opt.objectives, opt.maximize, strict=True):
        slices = model_slices(opt, objective=obj, pending=pending)
        if obj in defs:
            optimised = [defs[o] for o in opt.objectives if o in defs]
            slices = shown_slices(slices, defs[obj], optimised)
        slices["units"] = {**slices["units"], **units}  # the other objectives' too
        tag = f"_{obj}" if len(opt.objectives) > 1 else ""
        if slices["one_d"]:  # a space of categorical parameters only has no line to slice along
            save(plot_slices_1d(slices, origin, suggestions), f"model_1d{tag}.png")
        for pair in slices["two_d"]:
            save(
                plot_slice_2d(slices, pair, origin, suggestions),
                f"model_2d{tag}_{pair[0]}_{pair[1]}.png",
            )
        progress = best_so_far(history, obj, mx, bounds)
        logged = obj in opt.log_outcomes
        fig = plot_best_so_far(progress, _label(obj, units), log=logged)
        if advice:  # below the axis label, in the layout (a text placed by hand overlapped it)
            fig.supxlabel(advice, fontsize=7, x=0.01, ha="left", wrap=True)
        save(fig, f"best_so_far{tag}.png")
        save(
            plot_parallel_coordinates(history, space.names, obj, units, log=logged),
            f"parallel_coordinates{tag}.png",
        )
        if html:
            figures = [
                (
                    plotly_parallel_coordinates(history, space.names, obj, units, log=logged),
                    f"parallel_coordinates{tag}.html",
                )
            ]
            if slices["one_d"]:
                figures.insert(0, (plotly_slices_1d(slices), f"model_1d{tag}.html"))
            for fig, name in figures:  # plotly.min.js written beside them: offline, no CDN
                fig.write_html(out / name, include_plotlyjs="directory")
                paths.append(out / name)
    return paths
