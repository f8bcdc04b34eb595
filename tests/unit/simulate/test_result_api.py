"""``Result`` used from Python as a notebook user would: a misspelt probe, a time with its unit,
a time outside the run, a map too large to build."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fluxtrap.errors import UnitError, ValidationError
from fluxtrap.simulate import simulate
from fluxtrap.units import Q_

CASE = {
    "title": "small",
    "materials": {"sc": {"n": 25, "jc": {"kim": {"jc0": "2e4 A/cm^2", "b0": "0.5 T"}}}},
    "stack": [{"material": "sc", "radius": "5 mm", "thickness": "3 mm"}],
    "probes": [
        {"name": "center", "r": "0 mm", "z": "3.5 mm"},
        {"name": "side", "r": "3 mm", "z": "4 mm"},
    ],
    "protocol": [
        {"step": "set", "field": "1 T", "temperature": "5 K"},
        {"step": "ramp_field", "to": "0 T", "rate": "0.01 T/s"},
        {"step": "hold", "duration": "1000 s"},
    ],
    "output": {"snapshots": ["50 s"]},
    "mesh": {"size": "1.5 mm"},
}


@pytest.fixture(scope="module")
def result():
    return simulate(CASE)


def test_a_misspelt_probe_names_the_near_miss_and_the_probes(result):
    """``result.creep("centre")`` was a bare KeyError 'centre_Bz_T'."""
    for call in (lambda: result.probe("centre"), lambda: result.creep("centre")):
        with pytest.raises(ValidationError, match=r"no probe named 'centre' in case 'small'; "
                           r"did you mean 'center'\? \(its probes: center, side\)"):  # fmt: skip
            call()
    assert result.probe("center").iloc[-1] == result.probes["center_Bz_T"].iloc[-1]


def test_a_time_takes_its_unit_and_must_lie_in_the_run(result):
    """``snapshot("50 s")`` was a TypeError; ``field_map(nan)`` and a time past the end gave the
    last snapshot's map without a word."""
    t_end = result.probes["time_s"].iloc[-1]
    assert result.snapshot("50 s").time_s == pytest.approx(50)
    assert result.snapshot(Q_(50 / 60, "min")) is result.snapshot(50.0)
    assert result.snapshot().time_s == pytest.approx(t_end)
    with pytest.raises(UnitError, match="m is the metre"):
        result.snapshot("50 m")
    for t in (math.nan, math.inf, -1.0, 2 * t_end, f"{2 * t_end} s"):
        with pytest.raises(ValidationError, match=rf"t = \S+ s is outside the run, 0\.\.{t_end:g}"):
            result.field_map(t)
    with pytest.raises(ValidationError, match=r"\['late'\] is not a time"):
        result.snapshot(["late"])


def test_a_time_between_snapshots_says_which_snapshot_it_gets(result):
    """``field_map(500)`` gave the fields of the snapshot nearest 500 s, the end of the ramp
    at 100 s, without a word (snapshots: 50 s, each step's end); it warns with the time used.
    A snapshot's own time, and the plots' maps, stay silent."""
    import warnings

    from fluxtrap.simulate.simulation import SnapshotWarning

    with pytest.warns(SnapshotWarning, match=r"^no snapshot at t = 500 s: the nearest, t = 100 s, "
                      r"is used \(kept: 0, 50, 100, 1100 s: .*\[output\] snapshots"):  # fmt: skip
        assert result.field_map(500.0, shape=(3, 2))["r"].shape == (2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SnapshotWarning)
        assert result.snapshot("100 s").time_s == pytest.approx(100.0)
        result.snapshot(100.0 + 1e-7)  # rounding of a step's end
        result.plot_maps()


def test_creep_takes_its_times_with_their_unit_and_refuses_nan_or_negative(result):
    """``creep(start_s="100 s")`` was a TypeError; ``skip_s=nan`` a fit of no points ("fewer
    than 3 points after t = nan s") and ``skip_s=-50`` took points before the start."""
    plain = result.creep("center", start_s=100.0, skip_s=120.0)
    assert result.creep("center", start_s="100 s", skip_s="2 min") == plain
    assert result.creep("center", start_s=Q_(100, "s"), skip_s=Q_(2, "min")) == plain
    assert result.creep("center", skip_s="1 min") == result.creep("center")
    for skip in (math.nan, math.inf, -50.0, "-1 s"):
        with pytest.raises(ValidationError, match=r"creep skip_s: \S+ s; it must be a finite time"):
            result.creep("center", skip_s=skip)
    with pytest.raises(ValidationError, match=r"creep start_s: t = nan s is outside the run"):
        result.creep("center", start_s=math.nan)
    with pytest.raises(UnitError, match="m is the metre"):
        result.creep("center", skip_s="2 m")
    with pytest.raises(UnitError, match=r"creep skip_s: cannot read 'soon' as a quantity"):
        result.creep("center", skip_s="soon")
    with pytest.raises(ValidationError, match=r"creep skip_s: \[60\] is not a time"):
        result.creep("center", skip_s=[60])


def test_a_map_too_large_is_refused_before_it_is_built_with_its_size(result):
    """``field_maps(shape=(1e5, 1e5))`` died with a MemoryError; a fractional count with
    linspace's TypeError."""
    with pytest.raises(ValidationError, match=r"100000 x 100000 grid is 1e\+10 points, ~640 GB"):
        result.field_map(shape=(100_000, 100_000))
    for shape in ((48.5, 40), (0, 3), (True, 3), 48):
        with pytest.raises(ValidationError, match="is not two counts of points"):
            result.field_map(shape=shape)
    m = result.field_map("50 s", shape=(np.int64(3), 2))
    assert m["Bz"].shape == (2, 3) and np.isfinite(m["Bz"]).all()


@pytest.mark.parametrize(
    "extent",
    [(0, math.nan, 0, 0.01), (0.01, 0, 0, 0.01), (-0.01, 0.01, 0, 0.01), (0, 1, 2), "5 mm"],
)
def test_a_map_extent_that_is_no_cross_section_is_refused(result, extent):
    """A NaN gave a map of NaN, r < 0 or r1 < r0 a map without a word, three values a ValueError."""
    with pytest.raises(ValidationError, match=r"extent .* is not \(r0, r1, z0, z1\) in m"):
        result.field_map(extent=extent)


def test_no_times_is_refused(result):
    """``field_maps([])`` was numpy's "need at least one array to concatenate"."""
    with pytest.raises(ValidationError, match="no times given"):
        result.field_maps([])


@pytest.mark.filterwarnings("ignore:accuracy target")
def test_a_temperature_sweep_plots_the_probes_against_the_temperature(result):
    """Warming a field-cooled disk: probes.png drew Bz against time and against the applied
    field only, which stands still while the trapped field falls with Jc(T); a third panel
    draws each probe against the temperature. A run at one temperature keeps two panels."""
    import copy

    case = copy.deepcopy(CASE)
    case["materials"]["sc"]["jc"]["temperature"] = {"at": "5 K", "tc": "30 K"}
    case["protocol"][2] = {"step": "ramp_temperature", "to": "20 K", "rate": "0.1 K/s"}
    warmed = simulate(case)
    axes = warmed.plot_probes().axes
    assert [ax.get_title() for ax in axes[1:]] == ["probe vs applied field", "probe vs temperature"]
    lines = {line.get_label(): line for line in axes[2].get_lines()}
    assert list(lines) == ["center", "side"]
    # from the end of the field ramp (at 5 K) on: the ramp was a vertical line over the axis
    moved = warmed.probes[warmed.probes.time_s >= 100.0]
    assert np.array_equal(lines["center"].get_xdata(), moved.temperature_K)
    assert np.array_equal(lines["center"].get_ydata(), moved.center_Bz_T)
    assert moved.temperature_K.iloc[0] == 5.0 and moved.temperature_K.iloc[1] > 5.0
    assert axes[2].get_xlabel() == "temperature (K)"
    assert len(result.plot_probes().axes) == 2
    # the maps say at which temperature each was taken (they differed by time alone)
    fig = warmed.plot_maps()
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()][::2]
    assert titles == ["t = 50 s\napplied 0.5 T, 5 K", "t = 100 s\napplied 0 T, 5 K",
                      "t = 250 s\napplied 0 T, 20 K"]  # fmt: skip
    assert not result.plot_maps().axes[0].get_title().endswith("K")
    # and the last colour bar's label, |B| (T), lies inside the figure with 1 % to spare: at
    # right = 0.93 it ended 5 px short of the edge here and 9 px past it on a disk 5 x 10 mm
    fig.canvas.draw()
    label = fig.axes[-1].yaxis.label
    assert label.get_text() == "|B| (T)"
    assert label.get_window_extent().x1 <= 0.99 * fig.bbox.x1


def test_maps_at_too_many_times_are_refused_before_j_is_gathered(result, monkeypatch):
    """``field_maps`` gathers J of every time asked for and B at each grid point per time: a
    million times of the last snapshot (a loop's list, a repeated None) were never bounded
    (8 GB of J on 1000 elements). Past MAX_MATRIX_BYTES they are refused with the estimate;
    here the limit is set to what 10 times of the 3 x 2 grid take."""
    from fluxtrap.simulate import options

    per_time = 8 * (len(result.conductor) + 2 * 6)
    monkeypatch.setattr(options, "MAX_MATRIX_BYTES", 10 * per_time)
    with pytest.raises(ValidationError, match=r"^field maps: 11 times of a 3 x 2 grid on \d+ "
                       r"conductor elements hold J and B at each, about [\d.e+-]+ GiB, over the "
                       r"limit of"):  # fmt: skip
        result.field_maps([None] * 11, shape=(3, 2))
    assert len(result.field_maps([None] * 10, shape=(3, 2))) == 10


@pytest.mark.filterwarnings("ignore:accuracy target")
def test_a_map_whose_currents_the_shared_scale_hides_says_their_peak():
    """maps.png draws every J panel on one colour scale, the largest |J| of its times: warmed
    to 29.9 K of Tc 30 K, Jc and the currents fall to s(29.9) / s(5) = 4e-4 of their 5 K value
    (s = (1 - (T/Tc)^2)^1.5) and the last panel was blank. It now says its peak |J| (A/cm^2),
    the snapshot's own; the panels at 5 K, on the scale, say nothing."""
    import copy

    case = copy.deepcopy(CASE)
    case["materials"]["sc"]["jc"]["temperature"] = {"at": "5 K", "tc": "30 K", "exponent": 1.5}
    case["protocol"][2] = {"step": "ramp_temperature", "to": "29.9 K", "rate": "1 K/s"}
    warmed = simulate(case)
    fig = warmed.plot_maps()
    j_axes = [ax for ax in fig.axes if ax.get_title()][::2]
    said = [[t.get_text() for t in ax.texts] for ax in j_axes]
    peak = np.abs(warmed.snapshots[-1].J_A_m2).max() / 1e4
    s = lambda t: (1 - (t / 30) ** 2) ** 1.5  # noqa: E731
    assert peak < 3 * s(29.9) / s(5) * 2e4  # J follows Jc(T) down (within creep's margin)
    assert said == [[], [], [f"|J| up to {peak:.3g} A/cm$^2$"]]


def test_the_current_colour_bar_label_clears_the_field_maps_axis_label(result):
    """maps.png without a heat model: at wspace 0.25 the J colour bar's label, J_phi (A/cm^2),
    was drawn over the |B| column's "z (mm)" (the three-column figure had been given room)."""
    fig = result.plot_maps()
    fig.canvas.draw()
    j_label = fig.axes[-2].yaxis.label
    assert j_label.get_text() == "$J_\\varphi$ (A/cm$^2$)"
    z_label = fig.axes[1].yaxis.label  # the first row's |B| map
    assert z_label.get_text() == "z (mm)"
    assert j_label.get_window_extent().x1 < z_label.get_window_extent().x0
