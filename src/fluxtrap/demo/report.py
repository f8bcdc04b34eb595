"""The demo's report: one self-contained ``index.html`` (figures embedded as base64 PNG).

Figures: campaign progress per loop (best so far vs trial), Jc(B) of the best samples, a slice
of the optimizer's model, the magnet's trapped-field traces, J and B maps, and the creep fit.
Next to it: ``simulation/probes.csv`` and ``summary.json`` (the simulator's output contract).
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from fluxtrap.demo.results import DemoResult, best_so_far  # noqa: E402
from fluxtrap.magnetometry import plots as mplots  # noqa: E402
from fluxtrap.optimize.plots import model_slices, plot_slice_2d, shown_slices  # noqa: E402
from fluxtrap.outputs import replacing_text  # noqa: E402
from fluxtrap.units import estimate_text, to_A_cm2, value_text  # noqa: E402
from fluxtrap.workflows.suggest import campaign_optimizer  # noqa: E402

if TYPE_CHECKING:
    from fluxtrap.store import Store

LOOP_COLORS = {"researcher-driven": "C0", "data-driven": "C1"}


def _png(fig: Figure, dpi: int = 90) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def progress_figure(res: DemoResult) -> Figure:
    """Best-so-far Jc(3 T) vs trial for each loop, every measured value as a point."""
    fig, ax = plt.subplots(figsize=(7, 4), constrained_layout=True)
    for loop, trials in (("researcher-driven", res.researcher), ("data-driven", res.data_driven)):
        k = np.arange(1, len(trials) + 1)
        color = LOOP_COLORS[loop]
        ax.scatter(k, [to_A_cm2(t.value) for t in trials], s=16, color=color, alpha=0.5)
        ax.step(
            k,
            to_A_cm2(np.array(best_so_far(trials))),
            where="post",
            color=color,
            label=f"{loop}: best so far",
        )
    ax.axvspan(0.5, _shared(res) + 0.5, color="0.9", zorder=0, label="shared first samples")
    ax.set(
        xlabel="trial (samples made in the loop)",
        ylabel="Jc(3 T, 5 K) (A/cm²)",
        title="Campaign progress per loop (SYNTHETIC samples)",
    )
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def jc_figure(res: DemoResult) -> Figure:
    """Jc(B) at 5 K of the best sample of each loop, as derived from their loop files."""
    fig, ax = plt.subplots(figsize=(6.5, 4.2), constrained_layout=True)
    for loop, jc in res.jc.items():
        jc.plot(ax, label=f"{loop} best ({res.best[loop].label})", color=LOOP_COLORS[loop])
    low = min(jc.jc_A_cm2[jc.valid].min() for jc in res.jc.values())
    ax.set_ylim(bottom=low / 2)
    ax.set(
        xlabel="B (T)",
        ylabel="Jc (A/cm²)",
        title="Jc(B, 5 K) of the best samples",  # the legend names the band and hollow points
    )
    ax.legend(fontsize=8)
    return fig


def model_figure(res: DemoResult, store: Store) -> Figure:
    """The optimizer's model on the whole campaign history: mean, std and acquisition maps
    over maximum temperature x dwell time, through the best sample."""
    spec = store.campaign(res.campaign)
    history = store.history(res.campaign)
    opt, _ = campaign_optimizer(spec, history, seed=res.settings.seed)
    slices = model_slices(opt, n_grid=40)
    slices = shown_slices(slices, spec.objective(slices["objective"]), spec.optimised_objectives)
    pair = ("max_temperature", "dwell_time")
    if pair not in slices["two_d"]:
        pair = pair[::-1] if pair[::-1] in slices["two_d"] else next(iter(slices["two_d"]))
    fig = plot_slice_2d(slices, pair, origin=history["origin"].tolist())
    held = ", ".join(  # the other parameters, at the best point's values with their units
        f"{p} = {v:g} {spec.parameter(p).unit}".rstrip()
        for p, v in slices["through"].items()
        if p not in pair
    )
    fig.suptitle(
        "Gaussian-process model of Jc(3 T) on all samples, slice through the best point"
        + (f" ({held})" if held else "")
    )
    return fig


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_report(res: DemoResult, store: Store) -> Path:
    """Write ``res.report`` (index.html) and the simulation's ``probes.csv`` / ``summary.json``."""
    out = res.report.parent
    out.mkdir(parents=True, exist_ok=True)
    sim = res.simulation
    sim.save(out / "simulation", plots=False)
    df = sim.probes
    end_ramp = float(df.loc[df["applied_T"].abs() < 1e-9, "time_s"].min())
    creep_png = io.BytesIO()
    mplots.creep(
        df["time_s"].to_numpy(),
        df["center_Bz_T"].to_numpy(),
        res.creep,
        86400.0,
        creep_png,
        what="simulated",
    )
    figures = [
        (
            "progress",
            "Campaign progress: best Jc(3 T) so far per loop, same number of samples",
            _png(progress_figure(res)),
        ),
        (
            "jc",
            "Jc(B) at 5 K of each loop's best sample (derived from the stored M(H) files)",
            _png(jc_figure(res)),
        ),
        (
            "model",
            "A slice of the optimizer's model (all samples; researcher: circles, optimizer: triangles)",
            _png(model_figure(res, store), dpi=70),
        ),
        (
            "traces",
            "Trapped field of the two-disk magnet: Hall-probe traces (FCM 7 T -> 0 at 4.8 T/h, 5 K, hold)",
            _png(sim.plot_probes()),
        ),
        (
            "maps",
            "Current density and |B| in the cross-section: end of the field ramp and end of the hold",
            _png(sim.plot_maps(times=[end_ramp, float(df["time_s"].iloc[-1])]), dpi=70),
        ),
        (
            "creep",
            "Creep of the simulated centre field: B = a - b ln t fitted over the last decade of the hold, "
            "extrapolated to 1 day",
            base64.b64encode(creep_png.getvalue()).decode("ascii"),
        ),
    ]
    p_names = ("ramp_rate", "max_temperature", "dwell_time")
    best_rows = []
    for loop, t in res.best.items():
        jc = res.jc[loop]
        best_rows.append(
            [
                loop,
                t.label,
                *(f"{t.params[p]:g}" for p in p_names),
                *(_with_sigma(jc.at(b), jc.err_at(b)) for b in (0.5, 1.0, 3.0)),
            ]
        )
    at_zero = df.loc[df["applied_T"].abs() < 1e-9].iloc[0]
    err = {p.name: sim.errors.get(p.name, {}) for p in sim.case.probes}  # discretization, T
    sim_rows = [
        [
            p.name,
            value_text(at_zero[f"{p.name}_Bz_T"], err[p.name].get("max_error_T"), ",.6g"),
            value_text(df[f"{p.name}_Bz_T"].iloc[-1], err[p.name].get("final_error_T"), ",.6g"),
        ]
        for p in sim.case.probes
    ]
    c = res.creep
    sa, sb = np.sqrt(np.diag(c.cov))
    history = store.history(res.campaign)
    objective = store.campaign(res.campaign).objective_names[0]
    loops = {t.label: [] for t in [*res.researcher, *res.data_driven]}
    for loop, trials in (("researcher", res.researcher), ("data-driven", res.data_driven)):
        for t in trials:
            loops[t.label].append(loop)
    sample_rows = [
        [
            r["label"],
            r["origin"],
            " + ".join(loops.get(r["label"], [])),
            *(f"{r[p]:g}" for p in p_names),
            _with_sigma(r[objective], r["objective_errors"].get(objective, np.nan)),
        ]
        for r in history.to_dict("records")
    ]
    s = res.settings
    figs = "\n".join(
        f'<figure id="fig-{key}"><img alt="{html.escape(cap)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(cap)}</figcaption></figure>"
        for key, cap, data in figures
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fluxtrap demo report</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }}
.synthetic {{ background: #fff3cd; border: 1px solid #e0c36a; padding: .6em 1em; border-radius: 4px; }}
table {{ border-collapse: collapse; margin: .5em 0 1.5em; font-size: 14px; }}
th, td {{ border: 1px solid #ccc; padding: 3px 8px; text-align: right; }}
th {{ background: #f3f3f3; }}
figure {{ margin: 1.5em 0; }} figure img {{ max-width: 100%; border: 1px solid #eee; }}
#fig-creep img {{ max-width: 560px; }}
figcaption {{ color: #555; font-size: 14px; }}
</style></head><body>
<h1>fluxtrap demo: from a sintering campaign to a trapped-field magnet</h1>
<p class="synthetic"><b>SYNTHETIC.</b> Every sample, M(H) file and Jc(B) curve here comes from fluxtrap's virtual lab
(<code>fluxtrap.demo.lab</code>, seed {
        s.seed
    }), a process emulator tuned to the published K-Ba122 study, not from a real lab.</p>
<p>Campaign <b>{html.escape(res.campaign)}</b> in <code>{html.escape(res.db_url)}</code>: {
        s.samples
    } samples per loop,
the first {
        _shared(res)
    } shared. Every sample went M(H) file -> store -> Jc(B) (extended Bean) -> objective
Jc(3 T, 5 K); the files are in the store and <code>fluxtrap campaign show</code> lists them.
Times: campaign {res.wall_s.get("campaign_s", 0):.0f} s, simulation {
        res.wall_s.get("simulation_s", 0):.0f} s.</p>
<h2>Best sample of each loop</h2>
<p>Jc ± 1 sigma of the Bean analysis (the M(H) points' scatter), here and below.</p>
{
        _table(
            [
                "loop",
                "sample",
                "ramp (°C/min)",
                "T max (°C)",
                "dwell (min)",
                "Jc(0.5 T) A/cm²",
                "Jc(1 T) A/cm²",
                "Jc(3 T) A/cm²",
            ],
            best_rows,
        )
    }
<h2>The magnet</h2>
<p>Two disks 30 mm x 6 mm (data-driven best on top, researcher-driven best below), 1.2 mm copper spacer;
field-cooled in 7 T to 5 K, field removed at 4.8 T/h, then held {s.hold_s:g} s; n = 35;
mesh {s.mesh_size_m * 1e3:g} mm ({sim.solver["elements"]} elements, {
        sim.solver["time_steps"]
    } time steps).</p>
{
        _table(
            [
                "probe",
                f"Bz when the field reached zero, t = {at_zero['time_s']:.0f} s (T, ± the "
                "estimated discretization error over the run)",
                "Bz after the hold (T)",
            ],
            sim_rows,
        )
    }
<p>Creep of the simulated centre field (last decade of the hold): B(t) = a - b ln t with a = {
        estimate_text(c.a_T, sa)
    } T, b = {
        estimate_text(c.b_T, sb)
    } T (t in s since the field reached zero, ± 1 sigma of the fit); S = {
        c.rate(c.t_start_s):.3g}; decay <b>{
        estimate_text(c.decay_ppm_per_h(c.t_end_s), c.decay_sigma_ppm_per_h(c.t_end_s))
    } ppm/h</b> at the end of the hold,
{
        estimate_text(c.decay_ppm_per_h(86400.0), c.decay_sigma_ppm_per_h(86400.0))
    } ppm/h extrapolated to 1 day.</p>
{figs}
<h2>All samples</h2>
{
        _table(
            [
                "sample",
                "origin",
                "loop",
                "ramp (°C/min)",
                "T max (°C)",
                "dwell (min)",
                "Jc(3 T) A/cm²",
            ],
            sample_rows,
        )
    }
<p>Simulation output: <code>simulation/probes.csv</code>, <code>simulation/summary.json</code>.</p>
</body></html>
"""
    replacing_text(res.report, page)  # whole or not at all, even when interrupted
    return res.report


def _with_sigma(jc_A_m2: float, sigma_A_m2: float) -> str:
    """Jc (A/m^2) in A/cm^2 with its 1-sigma ("20,853.2 ± 6.4"), "-" where not measured."""
    if not np.isfinite(jc_A_m2):
        return "-"
    return value_text(to_A_cm2(jc_A_m2), to_A_cm2(sigma_A_m2), ",.6g")


def _shared(res: DemoResult) -> int:
    """How many first samples the two loops share."""
    return sum(a.label == b.label for a, b in zip(res.researcher, res.data_driven, strict=False))
