"""Figures of a calibration: traces before and after, normalised residuals, parameter correlation."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.ticker import FixedLocator

from fluxtrap.probetable import log_time_thinned
from fluxtrap.simulate.calibrate.fit import Calibration

DRAWN = 5000  # points of a series drawn in traces.png (a 1e6-row series took 75 s and 1.1 GB)


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _time_axis(ax, t: np.ndarray) -> None:
    """Symmetric-log time axis (s) when the series reaches before the origin, log when it does
    not. The linear part is +-10^k s (the power of ten at or below a thousandth of the longest
    time, at least 1 s), labelled at 0 and at the decades outside it: the ticks symlog put
    inside it (-10^0, 0, 10^0 within +-1.4 s of 0 for a linear part of +-14 s) overlapped."""
    if t.min() > 0:
        ax.set_xscale("log")
        return
    linthresh = 10.0 ** math.floor(math.log10(max(1.0, float(np.abs(t).max()) * 1e-3)))
    ax.set_xscale("symlog", linthresh=linthresh)

    def decades(longest: float) -> list[float]:  # from the linear part's edge past ``longest``
        top = math.ceil(math.log10(max(longest, linthresh))) + 1
        return [10.0**k for k in range(round(math.log10(linthresh)), top + 1)]

    before, after = decades(-float(t.min())), decades(float(t.max()))
    ax.xaxis.set_major_locator(FixedLocator([*(-d for d in before[::-1]), 0.0, *after]))


def plot_traces(cal: Calibration, path: str | Path | None = None):
    """Measured series with the model at the start values and at the fitted values, one panel
    per series, against time since the applied field reached its final value."""
    plt = _plt()
    fig, axes = plt.subplots(len(cal.traces), 1, figsize=(8, 3.6 * len(cal.traces)), squeeze=False)
    for ax, tr, sf in zip(axes[:, 0], cal.traces, cal.series, strict=True):
        k = log_time_thinned(tr.t_s, DRAWN)
        ax.errorbar(tr.t_s[k], tr.measured_T[k], tr.sigma_T[k], fmt=".", ms=3, color="k",
                    alpha=0.6, label="measured")  # fmt: skip
        ax.plot(tr.t_s[k], tr.start_T[k], "--", color="tab:gray", label="model, start values")
        ax.plot(tr.t_s[k], tr.fitted_T[k], "-", color="tab:red", label="model, fitted", zorder=3)
        _time_axis(ax, tr.t_s)
        flag = "" if sf.fits else "  (NOT FITTED)"
        if k.size < tr.t_s.size:
            flag += f"  ({k.size} of {tr.t_s.size} points drawn)"
        ax.set(xlabel="time since the applied field reached its final value (s)",
               ylabel=f"{sf.probe} $B_z$ (T)", title=f"{tr.name}{flag}")  # fmt: skip
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path, plt)


def plot_residuals(cal: Calibration, path: str | Path | None = None):
    """(measured - fitted) / sigma per series with the +-2 band; title gives chi2_red, runs z and
    the z of an offset and a drift beyond those fitted."""
    plt = _plt()
    fig, axes = plt.subplots(len(cal.traces), 1, figsize=(8, 2.8 * len(cal.traces)), squeeze=False)
    for ax, tr, sf in zip(axes[:, 0], cal.traces, cal.series, strict=True):
        ax.plot(tr.t_s, (tr.measured_T - tr.fitted_T) / tr.sigma_T, ".", ms=4)
        ax.axhspan(-2, 2, color="tab:green", alpha=0.12)
        ax.axhline(0, color="k", lw=0.8)
        _time_axis(ax, tr.t_s)
        ax.set(xlabel="time since origin (s)", ylabel="residual / sigma",
               title=f"{tr.name}: reduced chi^2 {sf.chi2_red:.3g}, runs z {sf.runs_z:.2f}"
               + "".join(f", {k} z {v:+.1f}" for k, v in (("offset", sf.offset_z),
                                                         ("drift", sf.drift_z)) if v is not None))  # fmt: skip
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path, plt)


def plot_correlation(cal: Calibration, path: str | Path | None = None):
    """1- and 2-sigma ellipses of every parameter pair (the covariance, widened along a flat
    profile of n), and the correlation matrix."""
    plt = _plt()
    p = len(cal.parameters)
    pairs = [(i, j) for i in range(p) for j in range(i + 1, p)]
    fig, axes = plt.subplots(
        1, len(pairs) + 1, figsize=(4.2 * (len(pairs) + 1), 3.8), squeeze=False
    )
    for ax, (i, j) in zip(axes[0], pairs, strict=False):
        cov = cal.covariance[np.ix_([i, j], [i, j])]
        if np.all(np.isfinite(cov)):
            w, v = np.linalg.eigh(cov)
            a = np.linspace(0, 2 * np.pi, 200)
            circle = np.stack([np.cos(a), np.sin(a)])
            for k in (1, 2):
                e = v @ (k * np.sqrt(np.maximum(w, 0))[:, None] * circle)
                ax.plot(cal.values[i] + e[0], cal.values[j] + e[1], lw=1, label=f"{k} sigma")
        ax.plot(cal.values[i], cal.values[j], "k+", ms=10, label="fitted")
        ax.set(xlabel=cal.parameters[i].name, ylabel=cal.parameters[j].name,
               title=f"correlation {cal.correlation[i, j]:+.3f}")  # fmt: skip
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    ax = axes[0, -1]
    im = ax.imshow(cal.correlation, vmin=-1, vmax=1, cmap="RdBu_r")
    names = [q.name for q in cal.parameters]
    ax.set_xticks(range(p), names, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(p), names, fontsize=8)
    for (r, c), x in np.ndenumerate(cal.correlation):
        ax.text(c, r, f"{x:+.2f}", ha="center", va="center", fontsize=8)
    fig.colorbar(im, ax=ax)
    fig.tight_layout()
    return _save(fig, path, plt)


def plot_profile(cal: Calibration, path: str | Path | None = None):
    """The profile of n: chi^2 rise (in units of the reduced chi^2) against n, with k^2 of the
    linearised sigma and the +1 line that bounds the profile interval."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 3.8))
    for name in sorted({r["parameter"] for r in cal.profile}):
        rows = [r for r in cal.profile if r["parameter"] == name]
        i = [q.name for q in cal.parameters].index(name)
        x = [cal.values[i]] + [r["value"] for r in rows]
        y = [0.0] + [r["delta_chi2"] for r in rows]
        o = np.argsort(x)
        ax.plot(np.array(x)[o], np.array(y)[o], "o-", label=f"{name}: profile")
        p, k = cal.parameters[i], np.linspace(-2.2, 2.2, 50)
        sd_u = cal.sigmas_linearised[i] / p.dvalue_du(cal.values[i])
        ax.plot([p.from_u(p.to_u(cal.values[i]) + x * sd_u) for x in k], k**2, "--",
                label="quadratic (linearised sigma)")  # fmt: skip
        ax.set(xlabel=name, ylabel="delta chi^2 / reduced chi^2")
    ax.axhline(1.0, color="grey", lw=0.8)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path, plt)


def write_figures(cal: Calibration, out: str | Path) -> list[Path]:
    """traces.png, residuals.png, correlation.png (two or more parameters), profile.png (if any)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = [out / "traces.png", out / "residuals.png"]
    plot_traces(cal, files[0])
    plot_residuals(cal, files[1])
    if len(cal.parameters) > 1:
        files.append(out / "correlation.png")
        plot_correlation(cal, files[-1])
    if cal.profile:
        files.append(out / "profile.png")
        plot_profile(cal, files[-1])
    return files


def _save(fig, path, plt):
    if path:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig
