"""Data and Plotly figures for the dashboard (figures as plain JSON-able dicts).

Values arrive in SI from the store; the figures show Jc in A/cm^2, as the field reports it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io

from fluxtrap.campaign import CampaignSpec, ObjectiveDef
from fluxtrap.magnetometry.pipeline import JC_CURVE
from fluxtrap.store import Store

ORIGIN_COLOR = {"researcher": "#1f77b4", "optimizer": "#d62728", "all": "#7f7f7f"}


def shown(o: ObjectiveDef, v: float) -> float:
    """An objective value as people read it: Jc in A/cm^2, anything else as stored."""
    return v * 1e-4 if o.quantity == "jc" else v


def unit_label(o: ObjectiveDef) -> str:
    return f"{o.name} [A/cm²]" if o.quantity == "jc" else o.name


def best_so_far(spec: CampaignSpec, history: pd.DataFrame) -> dict[str, dict[str, list[float | None]]]:
    """Best value of each objective after each sample, over all samples and per loop (origin).

    Returns ``{objective: {"all" | origin: [best after sample 1..n or None]}}`` in SI, so the two
    loops' progress can be laid over each other on one sample axis."""
    out: dict[str, dict[str, list[float | None]]] = {}
    for o in spec.objectives:
        values = history[o.name].to_numpy(dtype=float) if len(history) else np.array([])
        sign = 1.0 if o.maximize else -1.0
        groups = {"all": np.ones(len(values), bool)}
        groups |= {origin: (history["origin"] == origin).to_numpy() for origin in ("researcher", "optimizer")}
        out[o.name] = {}
        for group, mask in groups.items():
            best, series = -math.inf, []
            for v, m in zip(values, mask, strict=True):
                if m and math.isfinite(v):
                    best = max(best, sign * v)
                series.append(None if best == -math.inf else sign * best)
            out[o.name][group] = series
    return out


def jc_curves(store: Store, campaign: str, labels: Sequence[str] | None = None) -> dict[str, dict[str, list[float]]]:
    """Jc(B) columns (``B_T``, ``Jc_A_m2``) of the newest measurement of each sample that has one."""
    wanted = None if labels is None else set(labels)
    if wanted is not None:
        for label in wanted:
            store.sample(campaign, label)  # NotFoundError for an unknown label
    out: dict[str, dict[str, list[float]]] = {}
    for meas in store.measurements(campaign, with_content=False):
        if wanted is not None and meas.sample not in wanted:
            continue
        for curve in store.curves(meas.id):
            if curve.kind == JC_CURVE:
                out[meas.sample] = curve.columns
    return out


# -- figures -------------------------------------------------------------------------------------
def _layout(fig: go.Figure, **kw: Any) -> dict[str, Any]:
    fig.update_layout(template="plotly_white", margin=dict(l=60, r=20, t=40, b=50), **kw)
    return json.loads(fig.to_json())  # JSON-able dicts (traces are given lists, not numpy arrays)


def progress_figure(spec: CampaignSpec, history: pd.DataFrame, objective: ObjectiveDef) -> dict[str, Any]:
    """Each sample's objective (markers by origin) and the best so far per loop (lines)."""
    best = best_so_far(spec, history)[objective.name]
    x = list(range(1, len(history) + 1))
    fig = go.Figure()
    for origin in ("researcher", "optimizer"):
        rows = history[history["origin"] == origin]
        idx = [i + 1 for i in rows.index]
        fig.add_scatter(
            x=idx, y=[shown(objective, v) for v in rows[objective.name]], mode="markers",
            name=f"{origin} samples", marker=dict(color=ORIGIN_COLOR[origin], size=9),
            text=list(rows["label"]), hovertemplate="%{text}: %{y:.4g}<extra></extra>",
        )
    for group, series in best.items():
        fig.add_scatter(
            x=x, y=[None if v is None else shown(objective, v) for v in series], mode="lines",
            line=dict(color=ORIGIN_COLOR[group], shape="hv", dash="solid" if group == "all" else "dot"),
            name=f"best so far ({group})",
        )
    return _layout(fig, xaxis_title="sample (recording order)", yaxis_title=unit_label(objective),
                   title=f"{objective.name}: {objective.goal}", legend=dict(orientation="h", y=-0.2))


def jc_figure(curves: dict[str, dict[str, list[float]]]) -> dict[str, Any]:
    """Jc(B) of several samples, Jc in A/cm^2 on a log axis: a line through the fully penetrated
    points and faint markers where the extended Bean model does not hold (``unpenetrated``)."""
    fig = go.Figure()
    colors = go.layout.Template(plotly.io.templates["plotly_white"]).layout.colorway
    valid: list[float] = []
    for i, (label, cols) in enumerate(curves.items()):
        b = np.asarray(cols["B_T"])
        jc = np.asarray(cols["Jc_A_m2"]) * 1e-4
        flagged = np.asarray(cols.get("unpenetrated", np.zeros(b.size))) > 0.5
        color = colors[i % len(colors)]
        valid += jc[~flagged].tolist()
        fig.add_scatter(x=b[~flagged].tolist(), y=jc[~flagged].tolist(), mode="lines", name=label, legendgroup=label,
                        line=dict(color=color))
        fig.add_scatter(x=b[flagged].tolist(), y=jc[flagged].tolist(), mode="markers", name=f"{label} (not fully penetrated)",
                        legendgroup=label, showlegend=False, marker=dict(color=color, size=5, opacity=0.35))
    if valid:  # scale to the valid points: a closing loop's last flagged points fall by decades
        fig.update_yaxes(range=[math.log10(min(valid) / 2), math.log10(max(valid) * 2)])
    return _layout(fig, xaxis_title="B [T]", yaxis_title="Jc [A/cm²]", yaxis_type="log",
                   title="Jc(B) at the measurement temperature (faint points: not fully penetrated)")


def probes_figure(probes: pd.DataFrame) -> dict[str, Any]:
    """Hall-probe traces Bz(t) with the applied field, against time in hours."""
    t_h = (probes["time_s"] / 3600.0).tolist()
    fig = go.Figure()
    fig.add_scatter(x=t_h, y=probes["applied_T"].tolist(), name="applied", line=dict(color="#7f7f7f", dash="dot"))
    for col in probes.columns:
        if col.endswith("_Bz_T"):
            fig.add_scatter(x=t_h, y=probes[col].tolist(), name=col.removesuffix("_Bz_T"))
    return _layout(fig, xaxis_title="t [h]", yaxis_title="Bz [T]", title="Hall probes")


def simulation_figures(result: Any) -> dict[str, dict[str, Any]]:
    """The figures of a finished simulation, keyed by page element id."""
    return {"probes": probes_figure(result.probes)}
