"""Data and Plotly figures for the dashboard (figures as plain JSON-able dicts).

Values arrive in SI from the store; the figures show Jc in A/cm^2, as the field reports it.
"""

from __future__ import annotations

import html
import io
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io

from fluxtrap.campaign import CampaignSpec, ObjectiveDef, acquisition_range, live_rows
from fluxtrap.errors import ValidationError
from fluxtrap.inputs import REORDERING
from fluxtrap.magnetometry.jc import log_band
from fluxtrap.probetable import log_time_thinned
from fluxtrap.units import estimate_text, to_A_cm2, value_text
from fluxtrap.workflows.history import ORIGINS, best_so_far

ORIGIN_COLOR = {"researcher": "#1f77b4", "optimizer": "#d62728", "all": "#7f7f7f"}


def formatted(o: ObjectiveDef, v: float, err: float | None = None) -> str:
    """An objective value for a table: Jc as whole A/cm^2 with thousands separators; ``value ±
    err`` where its 1-sigma ``err`` is known."""
    if err:
        return estimate_text(o.shown(v), o.shown(err))
    return f"{o.shown(v):,.0f}" if o.quantity == "jc" else f"{v:.4g}"


def with_error(value: object, error: object = None, digits: int = 4) -> str:
    """``value ± error`` rounded alike (``estimate_text``), in the caller's unit; the value alone
    (``digits`` significant digits) where the error is not known (None, undefined in a
    template), "value ± 0" where it is 0; "-" for no value (null, or missing from a stored
    summary, as a backup's may be: "%.4g" of it had failed the page with a 500)."""
    if not isinstance(value, int | float):
        return "-"
    known = error if isinstance(error, int | float) else None
    return value_text(value, known, f".{digits}g") + (" ± 0" if error == 0 else "")


# what reorders or hides the text around it: bidi overrides, embeddings and isolates, control
# characters but tab, newline and carriage return (inputs.reordering_characters' set, with NUL)
_REORDERING = re.compile(
    f"[{''.join(sorted(REORDERING))}\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]"
)


def visible(text: str) -> str:
    """Stored text as a page shows it: its reordering characters written as escapes ("\\u202e"),
    as text stored before they were refused (a note with U+202E reordered the page's line)."""
    return _REORDERING.sub(lambda c: f"\\u{ord(c.group()):04x}", text)


def plain(text: Any) -> str:
    """Users' text (labels, units, choices, file names) for a figure: Plotly reads tags and
    entities in names, titles and hover text (a label "<a href=...>" became a link), so they
    are escaped and show as typed (reordering characters as escapes: ``visible``)."""
    return html.escape(visible(str(text)), quote=False)


def estimate(o: ObjectiveDef, guess: Mapping[str, float | None] | None) -> str:
    """A model's ``{"mean", "std"}`` of an objective in the unit people read: "mean ± std", or
    of a log objective the median and its 1-sd range (``ObjectiveDef.prediction_text``)."""
    guess = guess or {}
    text = o.prediction_text(guess.get("mean"), guess.get("std"))
    return "–" if text == "-" else text


def unit_label(o: ObjectiveDef) -> str:
    """The objective's name and unit as the CLI's headers show it (``ObjectiveDef.label``)."""
    return o.label


# -- figures -------------------------------------------------------------------------------------
def _layout(fig: go.Figure, **kw: Any) -> dict[str, Any]:
    kw.setdefault("margin", dict(l=60, r=20, t=50, b=50))
    fig.update_layout(template="plotly_white", **kw)
    return json.loads(fig.to_json())  # JSON-able dicts (traces are given lists, not numpy arrays)


def _with_sigmas(values: list[float], sigmas: list[float | None]) -> list[str]:
    """Hover text of each value with its 1-sigma, rounded alike (``estimate_text``; plotly's
    "%{y:.4g}" gave "2.125e+4 ± 6.4"); "value ± –" where none is stated."""
    return [
        f"{v:.4g} ± –" if s is None else estimate_text(v, s)
        for v, s in zip(values, sigmas, strict=True)
    ]


def progress_figure(
    spec: CampaignSpec, history: pd.DataFrame, objective: ObjectiveDef
) -> dict[str, Any]:
    """Each sample's objective (markers by origin) with its stated 1-sigma as an error bar, and
    the best so far per loop (lines) among the samples known to meet the outcome constraints
    (``best_so_far``); the title says how many were left out as not meeting one or awaiting a
    measurement. A log objective (values spanning decades) on a log axis, its title saying so,
    a 0 and a best so far of 0 at the model's floor (``Optimizer.floor``: ``zero_floor`` over
    the samples it is told, ``live_rows``, not over a failed one's or one outside the box), the
    0s as triangles named ``ZERO_LABEL``: plotly leaves 0 out of a log axis."""
    best = best_so_far(spec, history)[objective.name]
    x = list(range(1, len(history) + 1))
    fig = go.Figure()
    values = history[objective.name].to_numpy(dtype=float)
    zero = (values == 0) & objective.log
    floor = 0.0
    if zero.any():
        from fluxtrap.optimize.optimizer import ZERO_LABEL, zero_floor

        floor = zero_floor(values[live_rows(spec, history)])
        rows = history[zero]
        fig.add_scatter(
            x=[i + 1 for i in rows.index],
            y=[objective.shown(floor)] * len(rows),
            mode="markers",
            name=ZERO_LABEL,
            marker=dict(
                color=[ORIGIN_COLOR[o] for o in rows["origin"]], size=10, symbol="triangle-down"
            ),
            text=[plain(label) for label in rows["label"]],
            hovertemplate=f"%{{text}}: {ZERO_LABEL} (%{{y:.3g}})<extra></extra>",
        )
    for origin in ("researcher", "optimizer"):
        rows = history[(history["origin"] == origin) & ~zero]
        idx = [i + 1 for i in rows.index]
        sigma = [(errors or {}).get(objective.name) for errors in rows["objective_errors"]]
        shown_sigma = [None if s is None else objective.shown(s) for s in sigma]
        shown = [objective.shown(v) for v in rows[objective.name]]
        fig.add_scatter(
            x=idx,
            y=shown,
            error_y=dict(type="data", array=shown_sigma, thickness=1.2, width=3),
            mode="markers",
            name=f"{origin} samples",
            marker=dict(color=ORIGIN_COLOR[origin], size=9),
            text=[plain(label) for label in rows["label"]],
            customdata=_with_sigmas(shown, shown_sigma),
            hovertemplate="%{text}: %{customdata}<extra></extra>",
        )
    for group in ("all", *ORIGINS):
        series = best[group]
        fig.add_scatter(
            x=x,
            y=[None if v is None else objective.shown(v or floor) for v in series],
            mode="lines",
            line=dict(
                color=ORIGIN_COLOR[group], shape="hv", dash="solid" if group == "all" else "dot"
            ),
            name=f"best so far ({group})",
        )
    return _layout(
        fig,
        xaxis_title="sample (recording order)",
        yaxis_title=unit_label(objective),
        yaxis_type="log" if objective.log else "linear",
        title=f"{objective.name}: {objective.goal}{', log' if objective.log else ''}{left_out(best)}",
        legend=dict(orientation="h", y=-0.2),
    )


def left_out(best: Mapping[str, Any]) -> str:
    """What an objective's best so far (``best_so_far``'s entry) leaves out, as a title's tail:
    "; best among samples meeting the outcome constraints (2 do not, 1 awaits tc)"; "" when none."""
    broken, unknown = best["constraints"]["not met"], best["constraints"]["unknown"]
    if not broken and not unknown:
        return ""
    said = [f"{broken} do{'es' * (broken == 1)} not"] * bool(broken)
    said += [f"{unknown} await{'s' * (unknown == 1)} {', '.join(best['awaiting'])}"] * bool(unknown)
    return f"; best among samples meeting the outcome constraints ({', '.join(said)})"


MAX_PLOTTED = 2000  # points of one curve in a figure


def thinned(n: int, most: int) -> np.ndarray:
    """Indices of every k-th of ``n`` points and the last, at most ``most`` of them."""
    return np.unique(np.r_[0 : n : max(1, math.ceil(n / max(1, most - 1))), n - 1]) if n else []


MAX_BRANCHES = 50  # branches of an M(H) file drawn (a sweep's loops: a few each)
BRANCH_STYLE = {  # M(H) branches told apart by colour and dash
    "virgin": dict(color="#2ca02c", dash="dot"),
    "decreasing": dict(color="#d62728", dash="solid"),
    "increasing": dict(color="#1f77b4", dash="dash"),
}


def loop_figure(table: Any, filename: str, temperature_K: float | None) -> dict[str, Any]:
    """A stored M(H) file's moment (A·m²) against mu0 H (T), one line a branch
    (``loops.split_branches``: virgin, decreasing, increasing; several loops' branches named by
    loop and temperature; the first ``MAX_BRANCHES``), at most ``MAX_PLOTTED`` points over all
    of them; titled with the file and the temperature of the analysed loop (K)."""
    from fluxtrap.magnetometry.loops import split_branches

    every = split_branches(table)
    branches = every[:MAX_BRANCHES]
    total = sum(len(b) for b in branches)
    loops = len({b.loop for b in branches})
    fig = go.Figure()
    for b in branches:  # each at least its ends: 2 of the MAX_PLOTTED kept for each
        keep = thinned(len(b), 2 + (MAX_PLOTTED - 2 * MAX_BRANCHES) * len(b) // total)
        name = b.kind if loops == 1 else f"loop {b.loop + 1} ({b.temperature_K:.4g} K): {b.kind}"
        fig.add_scatter(
            x=b.field_T[keep].tolist(),
            y=b.moment_Am2[keep].tolist(),
            mode="lines",
            name=name,
            legendgroup=b.kind,
            line=BRANCH_STYLE[b.kind],
        )
    at = "" if temperature_K is None else f" at {temperature_K:.4g} K"
    drawn = sum(len(t.x) for t in fig.data)
    shown = f" ({drawn} of {total} points shown)" if drawn < total else ""
    if len(every) > MAX_BRANCHES:
        shown += f" (the first {MAX_BRANCHES} of {len(every)} branches)"
    return _layout(
        fig,
        title=plain(f"M(H) {filename}{at}") + shown,
        xaxis_title="μ<sub>0</sub>H [T]",
        yaxis_title="m [A·m²]",
    )


def mt_figure(table: Any, filename: str, tc: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A stored M(T) file's moment (A·m²) against temperature (K), one line a sweep
    (``tc.split_sweeps``: ZFC, FC...; the first ``MAX_BRANCHES``), at most ``MAX_PLOTTED`` points
    over all of them, and each stored Tc fit (``tc``: the tc_fit curves' settings, ``tc_K`` ±
    ``tc_err_K``) a dashed vertical line; titled with the file and its field (T)."""
    from fluxtrap.magnetometry.tc import held_field_part, split_sweeps

    sweeps = split_sweeps(held_field_part(table)[0])[:MAX_BRANCHES]
    total = sum(len(s) for s in sweeps)
    fig = go.Figure()
    for s in sweeps:
        keep = thinned(len(s), 2 + (MAX_PLOTTED - 2 * MAX_BRANCHES) * len(s) // total)
        fig.add_scatter(
            x=s.temperature_K[keep].tolist(),
            y=s.moment_Am2[keep].tolist(),
            mode="lines+markers",
            marker=dict(size=3),
            name=plain(s.label),
        )
    for fit in tc:
        fig.add_vline(
            x=fit["tc_K"],
            line=dict(color="#7f7f7f", dash="dash"),
            annotation_text=plain(
                f"Tc {value_text(fit['tc_K'], fit.get('tc_err_K'))} K ({fit.get('sweep', '')})"
            ),
        )
    field = f" in {sweeps[0].field_T:.4g} T" if sweeps else ""
    drawn = sum(len(t.x) for t in fig.data)
    shown = f" ({drawn} of {total} points shown)" if drawn < total else ""
    return _layout(
        fig,
        title=plain(f"M(T) {filename}{field}") + shown,
        xaxis_title="T [K]",
        yaxis_title="m [A·m²]",
    )


def measured_at(label: str, temperature_K: float | None) -> str:
    """A sample's label with the temperature its loop was measured at, as the Jc(B) page names
    a curve: "B1 (5 K)" (Jc falls with temperature: two samples' curves at 5 K and 20 K were
    told apart by nothing)."""
    return label if temperature_K is None else f"{label} ({temperature_K:.4g} K)"


def jc_figure(
    curves: dict[str, dict[str, list[float]]],
    temperatures_K: Mapping[str, float | None] | None = None,
) -> dict[str, Any]:
    """Jc(B) of several samples, Jc in A/cm^2 on a log axis: a line through the fully penetrated
    points with its 1-sigma band (``Jc_err_A_m2``, curves stored with one) and faint markers
    where the extended Bean model does not hold (``unpenetrated``); each named by its label and
    the temperature in ``temperatures_K`` (label -> K) it was measured at. The layout's
    ``meta.valid_jc`` holds each label's [min, max] of its valid Jc (A/cm^2): the page scales the
    y axis to the samples shown."""
    fig = go.Figure()
    colors = go.layout.Template(plotly.io.templates["plotly_white"]).layout.colorway
    valid: list[float] = []
    extents: dict[str, list[float]] = {}
    for i, (label, cols) in enumerate(curves.items()):
        name = plain(measured_at(label, (temperatures_K or {}).get(label)))
        # every k-th point and the last, at most MAX_PLOTTED: a 190 000-point loop's 95 000 made eight
        # samples' page 28 MB (6 s to build, 3.6 GB of server memory for eight at once)
        n = len(cols["B_T"])
        kept = thinned(n, MAX_PLOTTED)
        b = np.asarray(cols["B_T"])[kept]
        jc = to_A_cm2(np.asarray(cols["Jc_A_m2"]))[kept]
        flagged = np.asarray(cols.get("unpenetrated", np.zeros(n)))[kept] > 0.5
        color = colors[i % len(colors)]
        valid += jc[~flagged].tolist()
        if (~flagged).any():
            extents[label] = [float(jc[~flagged].min()), float(jc[~flagged].max())]
        if "Jc_err_A_m2" in cols and (~flagged).any():
            x, y = b[~flagged], jc[~flagged]
            err = to_A_cm2(np.asarray(cols["Jc_err_A_m2"]))[kept][~flagged]
            low, high = log_band(y, err)
            fig.add_scatter(  # upper edge out, lower edge back: one closed band
                x=np.concatenate([x, x[::-1]]).tolist(),
                y=_values(np.concatenate([high, low[::-1]])),
                fill="toself",
                mode="lines",
                line=dict(width=0),
                fillcolor=color,
                opacity=0.25,
                name=f"{name} ± 1 sigma",
                legendgroup=label,
                showlegend=False,
                hoverinfo="skip",
            )
        fig.add_scatter(
            x=b[~flagged].tolist(),
            y=jc[~flagged].tolist(),
            mode="lines",
            name=name,
            legendgroup=label,
            line=dict(color=color),
        )
        fig.add_scatter(
            x=b[flagged].tolist(),
            y=jc[flagged].tolist(),
            mode="markers",
            name=f"{name} (not fully penetrated)",
            legendgroup=label,
            showlegend=False,
            marker=dict(color=color, size=5, opacity=0.35),
        )
    if valid:  # scale to the valid points: a closing loop's last flagged points fall by decades
        fig.update_yaxes(range=[math.log10(min(valid) / 2), math.log10(max(valid) * 2)])
    return _layout(
        fig,
        xaxis_title="B [T]",
        yaxis_title="Jc [A/cm²]",
        yaxis_type="log",
        meta={"valid_jc": extents},
        title="Jc(B) of each sample at the temperature it was measured at (band: ± 1 sigma; "
        "faint points: not fully penetrated)",
    )


def _values(a: Any) -> list[float | None]:
    """Array values for a figure, None where not finite (an acquisition can underflow to -inf)."""
    return [float(v) if math.isfinite(v) else None for v in np.ravel(a)]


def model_notes(spec: CampaignSpec, history: pd.DataFrame, suggestions: Sequence[Any]) -> list[str]:
    """What the data of the model :func:`model_figures` draws warn of, as text: the fitted
    optimizer's ``notes`` (a constant objective, a value in a wrong unit...) and the samples it
    leaves aside (``workflows.suggest.campaign_notes``); those of the model shown, not of the
    newest ask's (stored with its suggestions). Call after ``model_figures`` drew a model."""
    from fluxtrap.workflows.suggest import MODEL_LOCK, campaign_notes, fitted_optimizer

    open_ = [sg.params for sg in suggestions if sg.status == "open"]
    with MODEL_LOCK:
        opt, _ = fitted_optimizer(spec, history, open_)  # model_figures' optimizer, kept
        return opt.notes() + campaign_notes(spec, history)


def model_samples(spec: CampaignSpec, history: pd.DataFrame, objective: str) -> pd.DataFrame:
    """The rows of ``history`` the model of ``objective`` is fitted on (failed and outside
    samples left out, those measuring it); a ``ValidationError`` while fewer than 2."""
    live = history[live_rows(spec, history)]
    measured = live[live[objective].notna()]
    if len(measured) < 2:
        raise ValidationError(
            f"the model needs at least 2 measured samples; {len(measured)} so far"
        )
    return measured


def model_figures(
    spec: CampaignSpec,
    history: pd.DataFrame,
    suggestions: Sequence[Any],
    objective: str,
    x: str,
    y: str | None = None,
    n_grid: int = 60,
) -> dict[str, dict[str, Any]]:
    """The optimizer's model of ``objective`` on a slice through the best measured sample known to
    meet the outcome constraints (``Optimizer.best``'s; the best measured where none is), like
    BOXVIA.

    The numbers are ``fluxtrap.optimize.plots.model_slices`` of the optimizer that
    ``fluxtrap.workflows.suggest`` fits for suggestions, with the unmeasured samples and the
    open suggestions pending in the acquisition (as when asking; they are not data).
    1D (``y`` None): posterior mean with a +-2 std band along ``x`` (``n_grid`` points), the other
    parameters held at the best sample's values (``x`` and ``y`` numeric; fixed parameters are
    not in the model), the measured samples (by origin, each stated 1-sigma an error bar; a log
    objective's 0 at ``Optimizer.floor``, hovered as ``ZERO_LABEL``) and the open
    suggestions (at their predicted mean) laid over it; below it, on the same x axis, the
    acquisition (log expected improvement; log EHVI with several objectives). 2D: mean, std and
    acquisition maps over ``x`` and ``y`` (``n_grid // 2 + 1`` points per axis). Mean and std of
    a Jc objective are in A/cm^2, and so is its improvement (``shown_slices``).
    Raises ``ValidationError`` while fewer than 2 samples are measured, before the model's
    modules (torch: seconds of a loaded server) are imported."""
    o = spec.objective(objective)
    px, py = spec.parameter(x), None if not y or y == x else spec.parameter(y)
    measured = model_samples(spec, history, o.name)
    from plotly.subplots import make_subplots

    from fluxtrap.optimize.optimizer import ZERO_LABEL
    from fluxtrap.optimize.plots import model_slices, shown_slices
    from fluxtrap.workflows.suggest import MODEL_LOCK, fitted_optimizer, told_rows

    told = history[told_rows(spec, history)]  # the rows through_row counts
    open_ = [sg for sg in suggestions if sg.status == "open"]
    with MODEL_LOCK:
        opt, pending = fitted_optimizer(spec, history, [sg.params for sg in open_])
        slices = model_slices(  # through Optimizer.best's row (its rows are told's, in order)
            opt,
            objective=o.name,
            pending=pending,
            n_grid=n_grid if py is None else n_grid // 2 + 1,
            one_d=[x] if py is None else [],
            two_d=[] if py is None else [(x, py.name)],
        )
        slices = shown_slices(slices, o, spec.optimised_objectives)  # Jc in A/cm², as tables
        at = opt.predict(pd.DataFrame([sg.params for sg in open_])) if open_ else None
        floor = opt.floor(o.name) if o.log else 0.0  # where its 0s are modelled
    acq_label = slices["acquisition_label"]
    best, anchor = told.iloc[slices["through_row"]], slices["through"]
    where = ", ".join(  # each held value with its unit: "max_temperature=575 degC"
        f"{p}={v if isinstance(v, str) else format(v, 'g')}"
        + (f" {spec.parameter(p).unit}" if spec.parameter(p).unit else "")
        for p, v in anchor.items()
        if p not in (x, getattr(py, "name", None))
    )
    title = f"{o.name} through the best sample {best['label']} ({where})" if where else o.name
    title = plain(title)
    if py is None:
        s = slices["one_d"][x]
        gx, mean = s["x"], s["mean"]
        fig = make_subplots(
            rows=2, cols=1, shared_xaxes=True, row_heights=[0.7, 0.3], vertical_spacing=0.06
        )
        fig.add_scatter(
            x=np.r_[gx, gx[::-1]].tolist(),
            y=_values(np.r_[s["high"], s["low"][::-1]]),
            fill="toself",
            fillcolor="rgba(31,95,168,0.15)",
            line=dict(width=0),
            name="exp(mu ± 2 sd)" if o.log else "mean ± 2 std",
            row=1,
            col=1,
        )
        fig.add_scatter(
            x=gx.tolist(),
            y=_values(mean),
            mode="lines",
            name="model median" if o.log else "model mean",
            line=dict(color="#1f5fa8"),
            row=1,
            col=1,
        )
        for origin in ("researcher", "optimizer"):
            rows = measured[measured["origin"] == origin]
            sigma = [(errors or {}).get(o.name) for errors in rows["objective_errors"]]
            shown_sigma = [None if e is None else o.shown(e) for e in sigma]
            shown = [o.shown(v or floor) for v in rows[o.name]]  # a log axis leaves 0 out
            fig.add_scatter(
                x=rows[x].tolist(),
                y=shown,
                error_y=dict(type="data", array=shown_sigma, thickness=1.2, width=3),
                mode="markers",
                name=f"{origin} samples",
                text=[plain(label) for label in rows["label"]],
                customdata=[
                    f"0 ({ZERO_LABEL})" if v == 0 and o.log else said
                    for v, said in zip(rows[o.name], _with_sigmas(shown, shown_sigma), strict=True)
                ],
                marker=dict(color=ORIGIN_COLOR[origin], size=9, line=dict(color="white", width=1)),
                hovertemplate="%{text}<br>%{x:g}: %{customdata}<extra></extra>",
                row=1,
                col=1,
            )
        if at is not None:
            fig.add_scatter(
                x=[sg.params[x] for sg in open_],
                y=[o.shown(v) for v in at[f"{o.name}_mean"]],
                mode="markers",
                name="next suggestions",
                text=[f"#{sg.id}" for sg in open_],
                marker=dict(
                    symbol="star", size=16, color="#ff7f0e", line=dict(color="black", width=1)
                ),
                hovertemplate="suggestion %{text}<br>%{x:g}: predicted %{y:.4g}<extra></extra>",
                row=1,
                col=1,
            )
        fig.add_scatter(
            x=gx.tolist(),
            y=_values(s["acquisition"]),
            mode="lines",
            name="acquisition",
            line=dict(color="#7b3294"),
            hovertemplate=f"%{{x:g}}: {acq_label} %{{y:.4g}}<extra></extra>",
            row=2,
            col=1,
        )
        for sg in open_:  # after the acquisition trace: add_vline skips empty subplots
            fig.add_vline(
                x=sg.params[x], line=dict(color="#ff7f0e", width=1, dash="dot"), row=2, col=1
            )
        fig.update_xaxes(type="log" if px.log else "linear")
        fig.update_xaxes(title_text=plain(f"{x} [{px.unit}]"), row=2, col=1)
        fig.update_yaxes(title_text=unit_label(o), type="log" if o.log else None, row=1, col=1)
        fig.update_yaxes(title_text=f"acquisition ({acq_label})", row=2, col=1)
        return {"model-1d": _layout(fig, title=title, legend=dict(orientation="h", y=-0.2))}
    s = slices["two_d"][(x, py.name)]
    median = np.log10(s["mean"]) if o.log else None  # coloured by decade: values span decades
    maps = (
        (
            "mean",
            s["mean"] if median is None else median,
            "Viridis",
            f"median {unit_label(o)}, log colour" if o.log else f"mean {unit_label(o)}",
        ),
        (
            "std",
            s["std"],
            "Magma",
            f"sd of ln {o.name}" if o.log else f"std {unit_label(o)} (uncertainty)",
        ),
        ("acquisition", s["acquisition"], "Cividis", f"acquisition ({acq_label})"),
    )
    fig = make_subplots(1, 3, subplot_titles=[m[3] for m in maps], horizontal_spacing=0.1)
    for col, (name, z, colorscale, _) in enumerate(maps, 1):
        domain = fig.get_subplot(1, col).xaxis.domain
        # the acquisition coloured over its upper 95 % (hover shows every value)
        low, high = (acquisition_range(z) if name == "acquisition" else None) or (None, None)
        decades = name == "mean" and median is not None
        ticks = range(math.floor(np.nanmin(z)), math.ceil(np.nanmax(z)) + 1) if decades else ()
        fig.add_contour(
            x=s["x"].tolist(),
            y=s["y"].tolist(),
            z=[_values(row) for row in z],
            colorscale=colorscale,
            name=name,
            colorbar=dict(x=domain[1] + 0.005, thickness=12)
            | (
                dict(tickvals=list(ticks), ticktext=[f"{10.0**k:g}" for k in ticks])
                if decades
                else {}
            ),
            hovertemplate="%{x}, %{y}: median 10^%{z:.2f}<extra></extra>" if decades else None,
            zmin=low,
            zmax=high,
            row=1,
            col=col,
        )
    for col in range(1, len(maps) + 1):
        for origin in ("researcher", "optimizer"):
            rows = measured[measured["origin"] == origin]
            fig.add_scatter(
                x=rows[x].tolist(),
                y=rows[py.name].tolist(),
                mode="markers",
                name=f"{origin} samples",
                text=[plain(label) for label in rows["label"]],
                showlegend=col == 1,
                legendgroup=origin,
                marker=dict(color=ORIGIN_COLOR[origin], size=9, line=dict(color="white", width=1)),
                row=1,
                col=col,
            )
        if open_:
            fig.add_scatter(
                x=[sg.params[x] for sg in open_],
                y=[sg.params[py.name] for sg in open_],
                mode="markers",
                name="next suggestions",
                text=[f"#{sg.id}" for sg in open_],
                showlegend=col == 1,
                legendgroup="suggestions",
                marker=dict(
                    symbol="star", size=16, color="#ff7f0e", line=dict(color="black", width=1)
                ),
                row=1,
                col=col,
            )
    fig.update_xaxes(title_text=plain(f"{x} [{px.unit}]"), type="log" if px.log else "linear")
    fig.update_yaxes(title_text=plain(f"{py.name} [{py.unit}]"), type="log" if py.log else "linear")
    return {
        "model-2d": _layout(
            fig,
            title=title,
            legend=dict(orientation="h", y=-0.2),
            margin=dict(l=60, r=20, t=90, b=50),
        )
    }


MAX_PROBE_TRACES = 50  # probes drawn in one figure (their data are all in probes.csv)


def stored_table(data: bytes, name: str, columns: tuple[str, ...]) -> pd.DataFrame | str:
    """A stored CSV (``probes.csv``, ``heat.csv``) as a DataFrame, or why it cannot be drawn (no
    rows, unreadable, a column missing): a stored file damaged or cut short is said on its
    figure, not a 500."""
    try:
        table = pd.read_csv(io.BytesIO(data))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        return f"{name} cannot be read: {str(err).splitlines()[0][:200]}"
    missing = [c for c in columns if c not in table.columns]
    if missing:
        return f"{name} has no column {', '.join(missing)}"
    if table.empty:
        return f"{name} holds no time step (only its header)"
    return table


def note_figure(title: str, note: str) -> dict[str, Any]:
    """An empty figure whose title says why there is nothing to draw."""
    return _layout(go.Figure(), title=f"{title}: {plain(note)}")


def probes_figure(probes: pd.DataFrame | str) -> dict[str, Any]:
    """Hall-probe traces Bz(t) with the applied field, against time in s: every k-th time and
    the last, at most ``MAX_PLOTTED``, of the first ``MAX_PROBE_TRACES`` probes (1000 probes
    over 20 000 steps made an 80 MB figure and a 508 MB page); a note (``stored_table``) is an
    empty figure saying it."""
    if isinstance(probes, str):
        return note_figure("Hall probes", probes)
    n = len(probes)
    kept = probes.iloc[thinned(n, MAX_PLOTTED)]
    t = kept["time_s"].tolist()
    fig = go.Figure()
    fig.add_scatter(
        x=t, y=kept["applied_T"].tolist(), name="applied", line=dict(color="#7f7f7f", dash="dot")
    )
    columns = [c for c in probes.columns if c.endswith("_Bz_T")]
    for col in columns[:MAX_PROBE_TRACES]:
        fig.add_scatter(x=t, y=kept[col].tolist(), name=col.removesuffix("_Bz_T"))
    title = "Hall probes"
    if len(columns) > MAX_PROBE_TRACES:
        title += f" (the first {MAX_PROBE_TRACES} of {len(columns)}; all in probes.csv)"
    return _layout(fig, xaxis_title="t [s]", yaxis_title="Bz [T]", title=title)


def heat_figure(heat: pd.DataFrame | str) -> dict[str, Any]:
    """A heat run's hottest and mean conductor temperature (K) against time (s), from its
    heat.csv: every k-th time and the last, at most ``MAX_PLOTTED``; a note (``stored_table``)
    is an empty figure saying it."""
    if isinstance(heat, str):
        return note_figure("Temperature", heat)
    n = len(heat)
    kept = heat.iloc[thinned(n, MAX_PLOTTED)]
    t = kept["time_s"].tolist()
    fig = go.Figure()
    fig.add_scatter(x=t, y=kept["max_T_K"].tolist(), name="hottest", line=dict(color="#d62728"))
    fig.add_scatter(
        x=t, y=kept["mean_T_K"].tolist(), name="mean", line=dict(color="#d62728", dash="dash")
    )
    return _layout(fig, xaxis_title="t [s]", yaxis_title="T [K]", title="Temperature")


def bore_figure(bore: dict[str, Any]) -> dict[str, Any] | None:
    """Axial and radial Bz profiles through the bore centre in ppm of the centre field, from the
    ``bore`` part of a summary.json (``simulate.bore.BoreField.to_dict``); None without a centre
    field (nothing to take ppm of)."""
    from plotly.subplots import make_subplots

    prof, b0, zc = bore["profiles"], bore["centre_T"], bore["center_z_m"]
    if not b0:
        return None
    fig = make_subplots(1, 2, subplot_titles=("on the axis", "across, at the centre height"))
    fig.add_scatter(
        x=[(z - zc) * 1e3 for z in prof["axial_z_m"]],
        y=[(b - b0) / b0 * 1e6 for b in prof["axial_Bz_T"]],
        name="axial",
        row=1,
        col=1,
    )
    fig.add_scatter(
        x=[r * 1e3 for r in prof["radial_r_m"]],
        y=[(b - b0) / b0 * 1e6 for b in prof["radial_Bz_T"]],
        name="radial",
        row=1,
        col=2,
    )
    fig.update_xaxes(title_text="z - z<sub>c</sub> [mm]", row=1, col=1)
    fig.update_xaxes(title_text="r [mm]", row=1, col=2)
    fig.update_yaxes(title_text="Bz - B<sub>0</sub> [ppm of B<sub>0</sub>]", row=1, col=1)
    return _layout(
        fig,
        title=f"Bore: B<sub>0</sub> = {b0:.5g} T, {bore['homogeneity_ppm']:.4g} ppm "
        f"peak-to-peak over {bore['dsv_m'] * 1e3:g} mm DSV",
    )


def calibration_figures(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """From a calibrate.json: per series the measured trace (with its sigma), the model at the
    start values and at the fitted ones, and the residuals in units of sigma; ids ``trace-<i>``
    and ``residual-<i>``. Time since the origin on a log axis when every point is after it. At
    most ``MAX_PLOTTED`` points a series (``log_time_thinned``: calibrate.json keeps 5000, one
    stored before it did every point), the title saying how many of how many."""
    figures = {}
    for i, whole in enumerate(result.get("traces", [])):
        keep = log_time_thinned(np.asarray(whole["t_s"], float), MAX_PLOTTED)
        tr = {k: [v[j] for j in keep] if isinstance(v, list) else v for k, v in whole.items()}
        points = tr.get("points", len(whole["t_s"]))
        shown = f" ({keep.size} of {points} points shown)" if keep.size < points else ""
        t = tr["t_s"]
        axis = "log" if t and min(t) > 0 else "linear"
        fig = go.Figure()
        fig.add_scatter(x=t, y=tr["measured_T"], mode="markers", name="measured",
                        marker=dict(size=4, color="#333"),
                        error_y=dict(array=tr["sigma_T"], thickness=0.8, width=0))  # fmt: skip
        fig.add_scatter(x=t, y=tr["start_T"], name="model, start", line=dict(dash="dash"))
        fig.add_scatter(x=t, y=tr["fitted_T"], name="model, fitted", line=dict(color="#d62728"))
        since = "t since the field reached its final value [s]"
        figures[f"trace-{i}"] = _layout(fig, title=plain(tr["name"] + shown), xaxis_type=axis,
                                        xaxis_title=since, yaxis_title="Bz [T]")  # fmt: skip
        res = [(m - f) / s if m is not None and f is not None and s else None
               for m, f, s in zip(tr["measured_T"], tr["fitted_T"], tr["sigma_T"], strict=True)]  # fmt: skip
        fig = go.Figure()
        fig.add_scatter(x=t, y=res, mode="markers", name="residual / sigma", marker=dict(size=4))
        fig.add_hrect(y0=-2, y1=2, fillcolor="green", opacity=0.1, line_width=0)
        figures[f"residual-{i}"] = _layout(fig, title=plain(f"{tr['name']}: residuals{shown}"), xaxis_type=axis,
                                           xaxis_title=since, yaxis_title="(measured - fitted) / sigma",
                                           height=300)  # fmt: skip
    return figures


def map_figure(data: Mapping[str, Any]) -> dict[str, Any]:
    """J_phi (A/cm^2) in the conductors and |B| (T) of the r-z cross-section from the numbers of
    ``workflows.simulations.map_data``, the layers outlined and the probes marked."""
    from plotly.subplots import make_subplots

    j = np.array(data["J_A_cm2"], dtype=float)
    jmax = float(np.nanmax(np.abs(j))) if np.isfinite(j).any() else 1.0
    fig = make_subplots(
        1, 2, subplot_titles=("J<sub>φ</sub> [A/cm²]", "|B| [T]"), horizontal_spacing=0.16
    )
    fig.add_heatmap(
        x=data["r_mm"],
        y=data["z_mm"],
        z=data["J_A_cm2"],
        colorscale="RdBu_r",
        zmin=-jmax,
        zmax=jmax,
        colorbar=dict(x=0.42, len=0.9),
        row=1,
        col=1,
        name="J",
    )
    fig.add_heatmap(
        x=data["B_r_mm"],
        y=data["B_z_mm"],
        z=data["B_T"],
        colorscale="Viridis",
        colorbar=dict(x=1.0, len=0.9),
        row=1,
        col=2,
        name="|B|",
    )
    for r0, r1, z0, z1 in data["layers"]:
        for col, color in ((1, "#444"), (2, "white")):
            fig.add_shape(type="rect", x0=r0, x1=r1, y0=z0, y1=z1,
                          line=dict(color=color, width=1), row=1, col=col)  # fmt: skip
    for name, r, z in data["probes"]:
        fig.add_scatter(
            x=[r],
            y=[z],
            mode="markers+text",
            text=[plain(name)],
            textposition="top right",
            marker=dict(symbol="cross", color="red", size=9),
            textfont=dict(color="white"),
            showlegend=False,
            row=1,
            col=2,
        )
    fig.update_xaxes(title_text="r [mm]")
    fig.update_yaxes(title_text="z [mm]", scaleanchor="x", row=1, col=1)
    fig.update_yaxes(title_text="z [mm]", scaleanchor="x2", row=1, col=2)
    return _layout(
        fig,
        title=f"t = {data['time_s']:g} s, applied {data['applied_T']:.3g} T, "
        f"{data['temperature_K']:.3g} K",
        margin=dict(l=60, r=20, t=80, b=50),
    )


def maps_figures(
    maps: Mapping[str, Any], which: Iterable[int] | None = None
) -> dict[str, dict[str, Any]]:
    """The J/B map figures of ``workflows.simulations.stored_maps``' numbers, keyed ``map-<i>``:
    those ``which`` (indices into ``maps["shown"]``; all by default, about 0.06 s each), the
    first drawn's title saying how many of the run's times are stored when not all."""
    shown = maps["shown"]
    indices = range(len(shown)) if which is None else which
    figures = {f"map-{i}": map_figure(shown[i]) for i in indices}
    if figures and len(shown) < maps["of"]:
        title = next(iter(figures.values()))["layout"]["title"]
        title["text"] += f" (maps at {len(shown)} of the run's {maps['of']} times, evenly spread)"
    return figures


def creep_figure(probes: pd.DataFrame | str, creep: Mapping[str, Any]) -> dict[str, Any]:
    """A stored creep fit (``CreepFit.to_dict``, of a probe's hold) over its probe's trace from
    probes.csv: Bz (T) against time since the fit's origin (s, log axis), the fit B = a - b ln t
    from its first to its last point, the title with a, b (T) and the decay at the end of the
    hold (ppm/h), each ± 1 sigma; a note (``stored_table``) is an empty figure saying it."""
    if isinstance(probes, str):
        return note_figure("Creep", probes)
    a, b, origin = creep["a_T"], creep["b_T"], creep["origin_s"]
    sa, sb = np.sqrt(np.diag(np.asarray(creep["cov_T2"], float)))
    t = probes["time_s"].to_numpy() - origin
    after = t > 0
    kept = thinned(int(after.sum()), MAX_PLOTTED)
    fig = go.Figure()
    fig.add_scatter(x=t[after][kept].tolist(), y=probes[creep["column"]].to_numpy()[after][kept].tolist(),
                    mode="markers", marker=dict(size=3, color="#333"), name="simulated")  # fmt: skip
    tt = np.geomspace(creep["t_start_s"], creep["t_end_s"], 100)
    fig.add_scatter(x=tt.tolist(), y=(a - b * np.log(tt)).tolist(), name="a - b ln t",
                    line=dict(color="#1f77b4"))  # fmt: skip
    from fluxtrap.magnetometry.creep import CreepFit

    end = creep["t_end_s"]
    fit = CreepFit(a_T=a, b_T=b, cov=np.asarray(creep["cov_T2"], float), t_start_s=creep["t_start_s"],
                   t_end_s=end, origin_s=origin, n_points=creep["n_points"], rms_T=creep["rms_T"])  # fmt: skip
    decay = value_text(float(fit.decay_ppm_per_h(end)), float(fit.decay_sigma_ppm_per_h(end)))
    return _layout(
        fig,
        title=plain(
            f"Creep of {creep['column'].removesuffix('_Bz_T')}: B = a - b ln t, "
            f"a = {value_text(a, sa, '.6g')} T, b = {value_text(b, sb, '.4g')} T; "
            f"{decay} ppm/h at the end of the hold"
        ),
        xaxis_type="log",
        xaxis_title=f"t - t<sub>0</sub> [s] (t<sub>0</sub> = {origin:.6g} s, the fit's origin)",
        yaxis_title="Bz [T]",
        legend=dict(orientation="h", y=-0.2),
    )
