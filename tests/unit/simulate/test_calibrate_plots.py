"""Figures of a calibration: the time axis of traces.png and residuals.png reads."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from fluxtrap.simulate.calibrate.plots import plot_residuals, plot_traces


def calibration(t: np.ndarray) -> SimpleNamespace:
    """What the figures read of a ``Calibration``: one series at times ``t`` (s)."""
    b = 0.5 - 0.01 * np.log1p(np.abs(t))
    trace = SimpleNamespace(t_s=t, measured_T=b, sigma_T=np.full_like(t, 5e-3), start_T=1.1 * b,
                            fitted_T=b, name="hall.csv")  # fmt: skip
    fit = SimpleNamespace(fits=True, probe="top", chi2_red=1.0, runs_z=0.1, offset_z=None,
                          drift_z=None)  # fmt: skip
    return SimpleNamespace(traces=[trace], series=[fit])


@pytest.mark.parametrize("span", [(-290, 599), (-2000, 5000), (-3000, 36000), (-1e5, 1e6)])
@pytest.mark.parametrize("plot", [plot_traces, plot_residuals])
def test_the_time_axis_labels_do_not_overlap(span, plot):
    """A series from 2000 s before the origin to 5000 s after: symlog's linear part was +-5 s,
    its ticks -10^0, 0, 10^0 inside it 5 px overlapped (-13 px from 1e5 s before to 1e6 s
    after); now the linear part is a power of ten, labelled at 0 and at the decades outside it,
    each label apart from the next (33 px or more at 100 dpi)."""
    lo, hi = span
    t = np.concatenate([-np.geomspace(-lo, 0.5, 15), [0.0], np.geomspace(0.5, hi, 30)])
    fig = plot(calibration(t))
    fig.canvas.draw()
    ax = fig.axes[0]
    box = ax.get_window_extent()
    shown = sorted(
        (e for e in (x.get_window_extent() for x in ax.get_xticklabels() if x.get_text())
         if box.x0 <= (e.x0 + e.x1) / 2 <= box.x1),
        key=lambda e: e.x0,
    )  # fmt: skip
    assert len(shown) >= 6  # 0 and decades either side
    gaps = [b.x0 - a.x1 for a, b in zip(shown, shown[1:], strict=False)]
    assert min(gaps) > 10, gaps
    labels = {x.get_text() for x in ax.get_xticklabels()}
    assert "$\\mathdefault{0}$" in labels


def test_a_long_series_is_drawn_thinned_on_the_plotted_axis():
    """A 1e6-row series (1 s sampling over 1e6 s) took 75 s of CPU and 1.1 GB in traces.png
    (an error bar per point); now at most DRAWN points, the first in each bin of the log axis,
    so its first decade keeps its samples, and the title says how many of how many."""
    from fluxtrap.probetable import log_time_thinned
    from fluxtrap.simulate.calibrate.plots import DRAWN

    t = np.arange(1.0, 1e6 + 1)
    fig = plot_traces(calibration(t))
    measured = fig.axes[0].lines[0].get_xdata()
    assert measured.size <= DRAWN and np.isin(np.arange(1.0, 11.0), measured).all()
    assert f"({measured.size} of 1000000 points drawn)" in fig.axes[0].get_title()
    assert log_time_thinned(t[:DRAWN], DRAWN).size == DRAWN  # a short series is drawn whole
    assert "points drawn" not in plot_traces(calibration(t[:100])).axes[0].get_title()
