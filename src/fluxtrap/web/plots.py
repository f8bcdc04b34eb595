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
    """Hall-probe traces Bz(t) with the applied field, against time in s."""
    t = probes["time_s"].tolist()
    fig = go.Figure()
    fig.add_scatter(x=t, y=probes["applied_T"].tolist(), name="applied", line=dict(color="#7f7f7f", dash="dot"))
    for col in probes.columns:
        if col.endswith("_Bz_T"):
            fig.add_scatter(x=t, y=probes[col].tolist(), name=col.removesuffix("_Bz_T"))
    return _layout(fig, xaxis_title="t [s]", yaxis_title="Bz [T]", title="Hall probes")


def maps_figure(result: Any, snapshot: Any) -> dict[str, Any]:
    """J_phi (A/cm^2) in the conductors and |B| (T) of the r-z cross-section at one snapshot.

    J is sampled on a grid from the mesh's conductor triangles (NaN outside them); B comes from
    ``Result.field_map`` (Biot-Savart of the currents plus the applied field)."""
    from matplotlib.tri import Triangulation
    from plotly.subplots import make_subplots

    m = result.field_map(snapshot.time_s, shape=(40, 40))
    r_mm, z_mm = m["r"][0] * 1e3, m["z"][:, 0] * 1e3
    tri = Triangulation(*(result.mesh.points.T * 1e3), result.mesh.triangles[result.conductor])
    inside = tri.get_trifinder()(m["r"] * 1e3, m["z"] * 1e3)
    j = np.where(inside >= 0, snapshot.J_A_m2[inside] * 1e-4, np.nan)
    jmax = float(np.nanmax(np.abs(j))) if np.isfinite(j).any() else 1.0
    fig = make_subplots(1, 2, subplot_titles=("J<sub>φ</sub> [A/cm²]", "|B| [T]"), horizontal_spacing=0.12)
    fig.add_heatmap(x=r_mm.tolist(), y=z_mm.tolist(), z=_nan_to_none(j), colorscale="RdBu_r", zmin=-jmax,
                    zmax=jmax, colorbar=dict(x=0.44, title="A/cm²"), row=1, col=1, name="J")
    fig.add_heatmap(x=r_mm.tolist(), y=z_mm.tolist(), z=np.hypot(m["Br"], m["Bz"]).tolist(),
                    colorscale="Viridis", colorbar=dict(x=1.0, title="T"), row=1, col=2, name="|B|")
    for layer in result.case.stack:
        for col in (1, 2):
            fig.add_shape(type="rect", x0=0, x1=layer.radius_m * 1e3, y0=layer.z_m * 1e3, y1=layer.top_m * 1e3,
                          line=dict(color="#444" if col == 1 else "white", width=1), row=1, col=col)
    for probe in result.case.probes:
        fig.add_scatter(x=[probe.r_m * 1e3], y=[probe.z_m * 1e3], mode="markers+text", text=[probe.name],
                        textposition="top right", marker=dict(symbol="cross", color="red", size=9),
                        textfont=dict(color="white"), showlegend=False, row=1, col=2)
    fig.update_xaxes(title_text="r [mm]")
    fig.update_yaxes(title_text="z [mm]", scaleanchor="x", row=1, col=1)
    fig.update_yaxes(title_text="z [mm]", scaleanchor="x2", row=1, col=2)
    return _layout(fig, title=f"t = {snapshot.time_s:g} s, applied {snapshot.applied_T:.3g} T, "
                   f"{snapshot.temperature_K:.3g} K")


def _nan_to_none(a: np.ndarray) -> list[list[float | None]]:
    return [[None if not math.isfinite(v) else float(v) for v in row] for row in a]


def simulation_figures(result: Any) -> dict[str, dict[str, Any]]:
    """The figures of a finished simulation, keyed by page element id: the probe traces and the
    J/B maps at the end of each protocol step (the initial state has no currents)."""
    snaps = result.snapshots[1:] or result.snapshots
    return {"probes": probes_figure(result.probes)} | {
        f"map-{i}": maps_figure(result, s) for i, s in enumerate(snaps)
    }
