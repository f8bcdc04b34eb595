"""Publication figures for the CLI (matplotlib, Agg): M(H) loop + Jc(B), M(T) with Tc, creep,
measured against simulated B(t)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from fluxtrap.magnetometry.creep import CreepFit  # noqa: E402
from fluxtrap.magnetometry.jc import JcCurve  # noqa: E402
from fluxtrap.magnetometry.loops import split_branches  # noqa: E402
from fluxtrap.magnetometry.table import MeasurementTable  # noqa: E402
from fluxtrap.magnetometry.tc import Sweep, TcResult  # noqa: E402
from fluxtrap.outputs import replacing  # noqa: E402
from fluxtrap.units import value_text  # noqa: E402

STYLE = {
    "font.size": 9,
    "axes.linewidth": 0.8,
    "xtick.direction": "in",
    "ytick.direction": "in",
    "xtick.top": True,
    "ytick.right": True,
    "savefig.dpi": 300,
}
FITTED_POINTS_ALPHA = 0.5  # the points of an M(T) sweep with a fit, under it
FIT_SHADE = 0.6  # the fit's colour: its sweep's scaled toward black by this factor
COLORS = {"virgin": "0.5", "decreasing": "tab:blue", "increasing": "tab:red"}


def _save(fig, path: str | Path | BinaryIO) -> None:
    """Write ``fig`` to the file ``path`` whole or not at all (``outputs.replacing``: Ctrl-C
    mid-write left a cut PNG), in the format its suffix names, or as PNG into a buffer (the
    demo report's inline figures); and close it."""
    try:
        if isinstance(path, str | os.PathLike):
            with replacing(path) as partial:
                fig.savefig(partial, format=Path(path).suffix[1:] or plt.rcParams["savefig.format"])
        else:
            fig.savefig(path, format="png")
    finally:
        plt.close(fig)


def loop_and_jc(table: MeasurementTable, jc: JcCurve, volume_m3: float, path: str | Path) -> None:
    """(a) M(H) branches of the analysed loop in emu/cm^3, (b) Jc(B) on a log scale."""
    with plt.rc_context(STYLE):
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(7.2, 3.0), constrained_layout=True)
        loop = jc.settings.get("loop", 0)
        for br in split_branches(table):
            if br.loop == loop:
                ax1.plot(
                    br.field_T,
                    br.moment_Am2 / volume_m3 * 1e-3,
                    ".-",
                    ms=2,
                    lw=0.8,
                    color=COLORS[br.kind],
                    label=br.kind,
                )
        ax1.axhline(0, color="0.7", lw=0.5)
        ax1.set_xlabel(r"$\mu_0 H$ (T)")
        ax1.set_ylabel(r"$M$ (emu cm$^{-3}$)")
        known = jc.temperature_K is not None and np.isfinite(jc.temperature_K)
        t = f"{jc.temperature_K:.3g} K" if known else ""  # NaN: a file without temperatures
        ax1.set_title(
            f"(a) {table.metadata.sample_name or table.metadata.filename} {t}", loc="left"
        )
        ax1.legend(frameon=False, fontsize="small")
        jc.plot(ax2, label=f"extended Bean, {t}")
        ax2.set_title("(b) critical current density", loc="left")
        _save(fig, path)


def mt_curves(
    sweeps: Sequence[Sweep], results: Sequence[TcResult], path: str | Path, title: str = ""
) -> None:
    """M(T) of each sweep in emu, with the fitted transition, its baseline and Tc (named) where found."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(4.5, 3.3), constrained_layout=True)
        for sw in sweeps:
            found = [r for r in results if r.sweep == sw.label]
            # a fitted sweep's points faint and its fit on top in a darker shade: drawn in one
            # colour under 2.5 pt points 0.25 K apart, the FC fit was hidden by its own data
            (line,) = ax.plot(
                sw.temperature_K,
                sw.moment_Am2 * 1e3,
                ".",
                ms=2.5,
                alpha=FITTED_POINTS_ALPHA if found else 1.0,
                label=sw.label,
            )
            dark = tuple(FIT_SHADE * c for c in mcolors.to_rgb(line.get_color()))
            for r in found:
                tt = np.linspace(*r.fit_range_K, 400)
                ax.plot(
                    tt,
                    r.model(tt) * 1e3,
                    "-",
                    lw=1.2,
                    color=dark,
                    zorder=3,
                    label=f"{sw.label} fit",
                )
                ax.plot(
                    tt,
                    r.baseline(tt) * 1e3,
                    "--",
                    lw=0.8,
                    color=dark,
                    zorder=3,
                )
                ax.axvline(r.tc_K, lw=0.8, color=dark, ls=":")
                # on the side of the line with room for it (right of a Tc high in the sweep
                # the text ran off the figure)
                left = r.tc_K > np.mean(sw.temperature_K[[0, -1]])
                ax.annotate(
                    f"$T_c$ ({r.convention}) = {value_text(r.tc_K, r.tc_err_K, '.2f')} K",
                    (r.tc_K, r.plateau_Am2 * 1e3),
                    xytext=(-4 if left else 4, 4),
                    textcoords="offset points",
                    ha="right" if left else "left",
                    fontsize="small",
                )
        ax.set_xlabel(r"$T$ (K)")
        ax.set_ylabel(r"$m$ (emu)")
        if title:
            ax.set_title(title, loc="left")
        ax.legend(frameon=False, fontsize="small")
        _save(fig, path)


def creep(
    time_s: np.ndarray,
    field_T: np.ndarray,
    fit: CreepFit,
    at_s: float | None,
    path: str | Path | BinaryIO,
    what: str = "measured",
) -> None:
    """Trapped field against time since the origin (log axis), the fit and its extrapolation (1
    sigma band), the residuals below (structure ln t does not explain shows there); ``what`` the
    points are ("measured", or "simulated" for a model's trace)."""
    with plt.rc_context(STYLE):
        fig, (ax, ax_r) = plt.subplots(
            2,
            1,
            figsize=(4.5, 4.4),
            sharex=True,
            gridspec_kw={"height_ratios": [3, 1]},
            constrained_layout=True,
        )
        t = time_s - fit.origin_s
        ok = t > 0
        ax.semilogx(t[ok], field_T[ok], ".", ms=2.5, color="0.3", label=what)
        ax_r.semilogx(t[ok], field_T[ok] - fit.field(t[ok]), ".", ms=2.5, color="tab:red")
        ax_r.axhline(0.0, color="0.5", lw=0.6)
        ax_r.axvline(fit.t_start_s, color="0.5", lw=0.6, ls=":")  # the fit's first point
        ax_r.set_ylabel(r"$B -$ fit (T)")
        end = max(fit.t_end_s, at_s or 0.0)
        tt = np.geomspace(fit.t_start_s, end, 200)
        b, s = fit.field(tt), fit.field_sigma(tt)
        sa, sb = np.sqrt(np.diag(fit.cov))
        ax.semilogx(
            tt,
            b,
            "-",
            color="tab:blue",
            lw=1,
            label=f"B = a - b ln t: a = {value_text(fit.a_T, sa, '.6g')} T, "
            f"b = {value_text(fit.b_T, sb, '.4g')} T",
        )
        ax.fill_between(tt, b - s, b + s, color="tab:blue", alpha=0.2, lw=0)
        if at_s is not None:
            ax.errorbar(
                [at_s],
                [fit.field(at_s)],
                yerr=[fit.field_sigma(at_s)],
                fmt="o",
                ms=4,
                color="tab:red",
                label=f"{value_text(fit.decay_ppm_per_h(at_s), fit.decay_sigma_ppm_per_h(at_s))}"
                f" ppm/h at {at_s / 86400:.3g} d",
            )
        ax_r.set_xlabel(
            r"$t$ since the applied field reached zero (s)" if fit.origin_s else r"$t$ (s)"
        )
        ax.set_ylabel(r"$B$ (T)")
        ax.legend(frameon=False, fontsize="small")
        _save(fig, path)


def compare(comparison, path: str | Path, *, measured_label: str = "measured") -> None:
    """Measured and simulated B against time since the origin (log axis), residual panel below.

    ``comparison``: a ``fluxtrap.magnetometry.compare.Comparison``.
    """
    c = comparison
    with plt.rc_context(STYLE):
        fig, (ax, ax_r) = plt.subplots(
            2,
            1,
            figsize=(4.5, 4.4),
            sharex=True,
            gridspec_kw={"height_ratios": [3, 1]},
            constrained_layout=True,
        )
        ax.semilogx(c.t_s, c.measured_T, ".", ms=2.5, color="0.3", label=measured_label)
        ax.semilogx(
            c.t_s, c.simulated_T, "-", lw=1.2, color="tab:blue", label=f"simulated {c.probe}"
        )
        ax.set_ylabel(r"$B$ (T)")
        ax.legend(frameon=False, fontsize="small")
        ax.set_title(
            f"rms {c.rms_T:.3g} T ({c.rms_pct:.3g} %), measured/simulated {c.ratio_end:.4g}",
            fontsize="small",
        )
        ax_r.semilogx(c.t_s, c.residual_T, ".", ms=2.5, color="tab:red")
        ax_r.axhline(0.0, color="0.5", lw=0.6)
        ax_r.set_ylabel(r"meas. $-$ sim. (T)")
        ax_r.set_xlabel(r"$t$ since the applied field reached its final value (s)")
        _save(fig, path)
