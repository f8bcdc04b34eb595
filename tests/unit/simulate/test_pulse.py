"""Pulse steps: the standard shape and tables, their case-file form and refusals, and the run."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from fluxtrap.errors import FluxtrapError
from fluxtrap.simulate import simulate
from fluxtrap.simulate.case import Case
from fluxtrap.simulate.protocol import Pulse, states, step_from_dict


def test_standard_pulse_shape():
    p = step_from_dict({"step": "pulse", "peak": "3 T", "rise": "10 ms", "decay": "40 ms"})
    assert p == Pulse(3.0, 0.01, 0.04)
    assert p.duration_s == pytest.approx(0.05)
    assert [p.offset_T(t) for t in (0.0, 0.005, 0.01, 0.03, 0.05, 0.06)] == pytest.approx(
        [0.0, 3 * math.sin(math.pi / 4), 3.0, 3 * math.cos(math.pi / 4), 0.0, 0.0], abs=1e-12
    )
    assert step_from_dict(p.to_dict()) == p
    assert repr(p) == "Pulse(peak_T=3, rise_s=0.01, decay_s=0.04)"


def test_table_pulse_and_where_it_ends():
    d = {
        "step": "pulse",
        "time": [0, 5, 20],
        "time_unit": "ms",
        "field": [0, 2, 0.5],
        "field_unit": "T",
    }
    p = step_from_dict(d)
    assert p.times_s == pytest.approx((0, 0.005, 0.02)) and p.knots_s == pytest.approx((0.005,))
    assert p.offset_T(0.0125) == pytest.approx(1.25)
    assert step_from_dict(p.to_dict()) == p
    from fluxtrap.simulate.protocol import Set

    assert states((Set(1.0, 5.0), p)) == [(1.0, 5.0), (1.5, 5.0)]


@pytest.mark.parametrize(
    "d, match",
    [
        (
            {"peak": "3 T", "rise": "1 ms", "decay": "1 ms", "time": [0, 1]},
            "either peak, rise and decay",
        ),
        ({"peak": "3 T", "rise": "0 ms", "decay": "1 ms"}, r"protocol\.rise: must be > 0"),
        ({"peak": "3 T", "rise": "1 ms"}, r"protocol\.decay: missing"),
        (
            {"time": [0, 1], "time_unit": "s", "field": [0, 1, 2], "field_unit": "T"},
            "same number of points",
        ),
        (
            {"time": [1, 2], "time_unit": "s", "field": [0, 1], "field_unit": "T"},
            r"^protocol\.time\[0\]: a pulse table starts at time 0 s .*got 1 s",
        ),
        (
            {"time": [0, 2], "time_unit": "s", "field": [5, 1], "field_unit": "mT"},
            r"^protocol\.field\[0\]: a pulse table starts at field 0 T .*got 0\.005 T",
        ),
        (
            {"time": [0, 2, 1], "time_unit": "s", "field": [0, 1, 0], "field_unit": "T"},
            r"^protocol\.time\[2\]: 1 s after 2 s; a pulse table's times increase",
        ),
        (  # a repeated time (a step in the field) was refused without saying where
            {
                "time": [0, 10, 10, 50],
                "time_unit": "ms",
                "field": [0, 1, 0.5, 0],
                "field_unit": "T",
            },
            r"^protocol\.time\[2\]: 0\.01 s after 0\.01 s; .* times increase, each once",
        ),
        ({"time": [0, 1], "field": [0, 1], "field_unit": "T"}, r"protocol\.time_unit: missing"),
        (
            {"time": [0, 1], "time_unit": "T", "field": [0, 1], "field_unit": "T"},
            r"^protocol\.time_unit = 'T': '0 T' is not a time",
        ),
        (
            {"time": [0, float("nan")], "time_unit": "s", "field": [0, 1], "field_unit": "T"},
            r"protocol\.time\[1\]",
        ),
        (
            {"time": [0, "1"], "time_unit": "s", "field": [0, 1], "field_unit": "T"},
            r"protocol\.time\[1\]: expected a number",
        ),
        (
            {"time": list(range(20001)), "time_unit": "s", "field": [0] * 20001, "field_unit": "T"},
            r"protocol\.time: a pulse table has 2 to 10000 points, got 20001",
        ),
        (
            {"peak": "3 T", "rise": "1 ps", "decay": "1 ms"},
            r"protocol\.rise: must be at least 1 ns",
        ),
        (
            {"time": [0, 1, 1.0000000001], "time_unit": "s", "field": [0, 1, 0], "field_unit": "T"},
            r"protocol\.time\[2\]: 1e-10 s after time\[1\]; .* at least 1 ns apart",
        ),
        (
            {"peak": "3 T", "rise": "1 ms", "decay": "1 ms", "shape": "sine"},
            r"protocol\.shape: unknown key",
        ),
    ],
)
def test_bad_pulses_are_refused_naming_the_key(d, match):
    with pytest.raises(FluxtrapError, match=match):
        step_from_dict({"step": "pulse", **d})


def metal_case(step: dict) -> dict:
    return {
        "materials": {"metal": {"resistivity": "1e-7 ohm*m"}},
        "stack": [{"material": "metal", "radius": "5 mm", "thickness": "2 mm"}],
        "probes": [{"name": "top", "r": "0 mm", "z": "3 mm"}],
        "protocol": [{"step": "set", "field": "0 T", "temperature": "5 K"}, step],
        "mesh": {"size": "2 mm"},
    }


def test_a_table_pulse_shaped_like_a_ramp_runs_like_the_ramp():
    """The pulse's field reaches the solver: a table 0 -> 1 T over 1 s gives the ramp's probe
    trace (same applied field at every step; eddy currents of a metal disk)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ramp = simulate(metal_case({"step": "ramp_field", "to": "1 T", "rate": "1 T/s"})).probes
        pulse = simulate(
            metal_case(
                {
                    "step": "pulse",
                    "time": [0, 1],
                    "time_unit": "s",
                    "field": [0, 1],
                    "field_unit": "T",
                }
            )
        ).probes
    assert np.array_equal(ramp.time_s, pulse.time_s)
    assert pulse.top_Bz_T.to_numpy() == pytest.approx(ramp.top_Bz_T.to_numpy(), rel=1e-12)
    assert pulse.top_Bz_T.iloc[-1] < 1.0  # the eddy currents shield the rising field


def test_case_with_pulses_round_trips():
    d = metal_case({"step": "pulse", "peak": "2 T", "rise": "5 ms", "decay": "20 ms"})
    d["protocol"] += [{"step": "hold", "duration": "1 s"}, dict(d["protocol"][1])]
    case = Case.from_dict(d)
    assert case.duration_s == pytest.approx(1.05)
    assert Case.from_dict(case.to_dict()) == case


QUENCH = """
title = "a pulse whose copper spacer's eddy heat takes the rings past Tc"
[materials.bulk]
n = 25
heat_capacity = "2e4 J/(m^3*K)"
thermal_conductivity = "2 W/(m*K)"
jc = { tc = "35 K", tables = [{ temperature = "5 K", field = [0, 2], field_unit = "T", jc = [2e8, 1e8], jc_unit = "A/m^2" }] }
[materials.cu]
resistivity = "2e-9 ohm*m"
heat_capacity = "1e4 J/(m^3*K)"
thermal_conductivity = "400 W/(m*K)"
[[stack]]
material = "bulk"
radius = "10 mm"
inner_radius = "4 mm"
thickness = "3 mm"
[[stack]]
material = "cu"
radius = "10 mm"
inner_radius = "4 mm"
thickness = "1 mm"
[[stack]]
material = "bulk"
radius = "10 mm"
inner_radius = "4 mm"
thickness = "3 mm"
[[probes]]
name = "centre"
r = "0 mm"
z = "3.5 mm"
[[protocol]]
step = "set"
field = "0 T"
temperature = "10 K"
[[protocol]]
step = "pulse"
peak = "3 T"
rise = "5 ms"
decay = "20 ms"
[thermal]
model = "conduction"
interlayer_resistance = "1e-4 K*m^2/W"
[[thermal.cooling]]
surface = "side"
heat_transfer_coefficient = "100 W/(m^2*K)"
[mesh]
size = "2 mm"
"""


def test_a_run_that_fails_past_tc_says_it_quenched():
    """The copper heats by 70 K in 1.4 ms and takes ring elements past Tc, where Newton fails
    at the smallest step: the error said only that; it names the quench and the temperatures.
    On the way no numpy overflow is printed: Newton's overflowing E past Tc is a failed step."""
    import tomllib

    from fluxtrap.errors import SolverError

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(SolverError, match="Newton did not converge") as err:
            simulate(Case.from_dict(tomllib.loads(QUENCH)))
    said = str(err.value)
    assert "superconducting elements past Tc" in said and "against Tc 35 K: a quench" in said
    hottest = float(said.split("the hottest at ")[1].split(" K")[0])
    assert hottest >= 35


def test_a_pulse_too_fast_for_the_smallest_step_stops_at_once_saying_so():
    """pfm_pulse.toml with 50 T rising in 1 us: at the smallest step (1 ns) the applied field
    moves 0.079 T and the time error stays 5.4x rtol; the same step was retried 40 times and the
    run stopped with "40 rejected steps in a row" and no reason."""
    from pathlib import Path

    from fluxtrap.errors import SolverError
    from fluxtrap.tomlfile import read_toml

    d = read_toml(Path(__file__).parents[3] / "examples" / "pfm_pulse.toml")
    d["protocol"][1].update(peak="50 T", rise="1 us", decay="10 us")
    d["mesh"]["size"] = "2 mm"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # probes inside the bulk
        with pytest.raises(SolverError, match=r"^the time error stays above \[solver\] rtol = "
                           r"0\.001 even at the smallest time step \([\d.]+x it; the applied "
                           r"field moves 0\.0785 T in it\): the protocol changes faster than the "
                           r"model can follow at t = 1e-09 s in protocol step 1") as err:  # fmt: skip
            simulate(Case.from_dict(d))
    assert "rejected steps in a row" not in str(err.value)


def test_a_pulse_late_in_a_run_steps_no_finer_than_its_time_resolves():
    """pfm_pulse.toml with 50 T rising in 10 us after a 2e7 s hold: a 1 ns step there is a
    quarter of a float's spacing (3.7e-9 s), so it left the time where it was and the run spun
    until its wall-time limit (20 s here) at 0.117 T; the same pulse at t = 0 stops in 1 s.
    Now the smallest step is also 1e-12 of the time reached (2e-5 s): the run stops at once,
    saying why its smallest step is that long."""
    from pathlib import Path

    from fluxtrap.errors import SolverError, WallTimeError
    from fluxtrap.tomlfile import read_toml

    d = read_toml(Path(__file__).parents[3] / "examples" / "pfm_pulse.toml")
    d["protocol"][1].update(peak="50 T", rise="10 us", decay="100 us")
    d["protocol"][1:1] = [{"step": "hold", "duration": "2e7 s"}]
    d["mesh"]["size"] = "2 mm"
    d["solver"] = {"max_wall": "20 s"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # probes inside the bulk
        with pytest.raises(SolverError) as err:
            simulate(Case.from_dict(d))
    assert not isinstance(err.value, WallTimeError), str(err.value)
    assert "the smallest time step, 2e-05 s (1e-12 of the time reached: a float" in str(err.value)
    times = err.value.result.probes.time_s.to_numpy()
    assert times[-1] == 2e7 and np.all(np.diff(times) > 0)


def test_the_probe_plot_zooms_on_a_short_pulse(monkeypatch):
    """A 30 ms pulse after a 10 s hold and before a 20 s one was one vertical line on the run's
    time axis of probes.png (0.1 % of it). A pulse shorter than PULSE_ZOOM_SHARE of the run gets
    a row of its own: the probe traces from its start, in ms, over it and as long again after;
    a longer pulse (the share set to 0 here) keeps the figure of a plain run."""
    from fluxtrap.simulate import simulation
    from fluxtrap.simulate.mesh import build_mesh
    from fluxtrap.simulate.simulation import Simulation

    case = Case.from_dict(
        {
            "materials": {"sc": {"n": 25, "jc": {"constant": "3e4 A/cm^2"}}},
            "stack": [{"material": "sc", "radius": "5 mm", "thickness": "2 mm"}],
            "probes": [{"name": "c", "r": "0 mm", "z": "3 mm"}],
            "protocol": [
                {"step": "set", "field": "0 T", "temperature": "5 K"},
                {"step": "hold", "duration": "10 s"},
                {"step": "pulse", "peak": "1 T", "rise": "10 ms", "decay": "20 ms"},
                {"step": "hold", "duration": "20 s"},
            ],
            "mesh": {"size": "2 mm"},
        }
    )
    result = Simulation(case).run_on_mesh(build_mesh(case), 1e-3, False, None)[0]
    fig = result.plot_probes()
    assert len(fig.axes) == 3  # traces, vs applied field, the pulse's traces
    zoom = fig.axes[2]
    assert zoom.get_xlim() == pytest.approx((-1.5, 60.0))
    assert zoom.get_xlabel() == "time since the pulse's start at 10 s (ms)"
    lines = {line.get_label(): line for line in zoom.get_lines()}
    assert list(lines) == ["applied", "c"]
    t_ms = lines["c"].get_xdata()
    assert t_ms.min() < -1.5 and t_ms.max() > 60.0 and len(t_ms) > 20  # its steps, to the edges
    t, bz = result.probes.time_s.to_numpy(), result.probes.c_Bz_T.to_numpy()
    shown = (t >= 10.0 + t_ms.min() / 1e3 - 1e-12) & (t <= 10.0 + t_ms.max() / 1e3 + 1e-12)
    assert lines["c"].get_ydata() == pytest.approx(bz[shown], abs=1e-12)
    assert max(lines["applied"].get_ydata()) == pytest.approx(1.0)
    monkeypatch.setattr(simulation, "PULSE_ZOOM_SHARE", 0.0)
    assert [ax.get_title() for ax in result.plot_probes().axes] == [
        "probe traces",
        "probe vs applied field",
    ]


@pytest.mark.parametrize(
    "pulse",
    [
        {"step": "pulse", "peak": "0 T", "rise": "10 ms", "decay": "40 ms"},
        {
            "step": "pulse",
            "time": [0, 1, 2],
            "time_unit": "s",
            "field": [0, 0, 0],
            "field_unit": "T",
        },
    ],
)
def test_a_pulse_that_adds_no_field_is_refused_naming_the_step(pulse):
    """A peak of 0 T (or a table of zeros) ran as a hold, unsaid: the run did nothing."""
    d = metal_case(pulse)
    d["protocol"].append({"step": "hold", "duration": "1 s"})
    with pytest.raises(FluxtrapError, match=r"protocol\[1\] \(Pulse\(.*adds 0 T at every time"):
        Case.from_dict(d)
    negative = {"step": "pulse", "peak": "-1 T", "rise": "10 ms", "decay": "40 ms"}
    assert Case.from_dict(metal_case(negative)).protocol[1].peak_T == -1.0  # a reversed pulse


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"peak_T": "3", "rise_s": 0.01, "decay_s": 0.04}, r"Pulse\.peak_T: .* got str '3'"),
        ({"peak_T": 3.0, "rise_s": math.nan, "decay_s": 0.04}, r"Pulse\.rise_s: .* got float nan"),
        ({"peak_T": 3.0, "rise_s": 0.0, "decay_s": 0.0}, r"Pulse\.rise_s: must be at least 1 ns"),
        ({"peak_T": 3.0, "rise_s": 0.01, "decay_s": -1.0}, r"Pulse\.decay_s: must be at least"),
        (
            {"times_s": (0, 1, 0.5), "fields_T": (0, 1, 2)},
            r"^Pulse\.times_s\[2\]: 0\.5 s after 1 s",
        ),
        ({"times_s": (0, 1, 1), "fields_T": (0, 1, 2)}, r"^Pulse\.times_s\[2\]: 1 s after 1 s"),
        ({"times_s": (0, 1), "fields_T": (2, 1)}, r"^Pulse\.fields_T\[0\]: .* starts at field 0 T"),
        ({"times_s": (0, 1, 2), "fields_T": (0, 1)}, "same number of points"),
        ({"times_s": (0, "1"), "fields_T": (0, 1)}, r"Pulse\.times_s\[1\]"),
    ],
)
def test_a_pulse_built_in_code_is_checked_as_a_case_files(kwargs, match):
    """A str peak had raised a bare TypeError, a rise and decay of 0 divided by zero, a NaN rise
    or a table out of order had been taken (the case file's reader refuses each, by key)."""
    with pytest.raises(FluxtrapError, match=match):
        Pulse(**kwargs)


def test_a_pulse_table_at_the_one_ns_spacing_it_allows_is_taken():
    """Times 0, 1, ..., 5 ns (time_unit "ns", or i x 1e-9 s in code) were refused as
    "protocol.time[4]: 1e-09 s after time[3]; ... must be at least 1 ns apart": 4 - 3 ns rounds
    to 0.9999999999999998 ns. The spacing the check allows is taken; half of it is not."""
    table = {"step": "pulse", "time": list(range(6)), "time_unit": "ns", "field_unit": "mT"}
    pulse = step_from_dict(table | {"field": [0, 1, 2, 2, 1, 0]})
    assert pulse.times_s == pytest.approx([i * 1e-9 for i in range(6)], rel=1e-12)
    Pulse(times_s=tuple(i * 1e-9 for i in range(6)), fields_T=(0, 1, 2, 2, 1, 0))
    with pytest.raises(FluxtrapError, match=r"^protocol\.time\[2\]: 5e-10 s after time\[1\]"):
        step_from_dict(table | {"time": [0, 1, 1.5, 3], "field": [0, 1, 2, 0]})
