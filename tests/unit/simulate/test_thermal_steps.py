"""The heat's step limit follows [solver] rtol (``thermal.rise_scale``).

An element may rise by 0.5 K or 5 % of its temperature per step at the default rtol 1e-3; a
tighter rtol shortens the field's steps as sqrt(rtol) and now the heat's likewise. Held at the
default limit, a quench's time error was first order in it and no rtol cut it: the full quench of
tests/physics/test_pfm.py (2 mm, rho_n 1e-6 ohm*m) ended at a mean 47.647 / 47.652 / 47.667 K at
rtol 1e-3 / 2.5e-4 / 6.25e-5 (converged ~47.70 K); with the scaled limit 47.647 / 47.671 /
47.688 K, its probes 25 / 13.4 / 4.9 mT off rtol 1.6e-5 over the trace.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from fluxtrap.simulate import Simulation
from fluxtrap.simulate.case import Case
from fluxtrap.simulate.mesh import build_mesh
from fluxtrap.simulate.thermal import MAX_RISE_K, RISE_FRACTION, rise_scale


def pulsed_disk(rtol: float) -> Case:
    """An adiabatic disk R 4 x 3 mm (Jc 1e8 A/m^2 at 5 K, linear to 0 at 35 K, C 2e3 J/(m^3 K))
    through a 1 T pulse of 2 + 8 ms."""
    jc = {"temperature": "5 K", "field": [0], "field_unit": "T", "jc": [1e8], "jc_unit": "A/m^2"}
    return Case.from_dict(
        {
            "materials": {
                "sc": {
                    "n": 25,
                    "heat_capacity": "2e3 J/(m^3*K)",
                    "jc": {"tc": "35 K", "tables": [jc]},
                }
            },
            "stack": [{"material": "sc", "radius": "4 mm", "thickness": "3 mm"}],
            "probes": [{"name": "top", "r": "0 mm", "z": "4 mm"}],
            "protocol": [
                {"step": "set", "field": "0 T", "temperature": "5 K"},
                {"step": "pulse", "peak": "1 T", "rise": "2 ms", "decay": "8 ms"},
            ],
            "mesh": {"size": "1.5 mm"},
            "thermal": {"model": "adiabatic"},
            "solver": {"rtol": rtol},
        }
    )


def largest_rise(rtol: float) -> tuple[float, int]:
    """The largest rise of an element in one accepted step over the default limit there, and
    the number of steps."""
    case = pulsed_disk(rtol)
    mesh = build_mesh(case, 1.5e-3)
    temps = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fixed mesh misses the accuracy target
        Simulation(case).run_on_mesh(mesh, 1.5e-3, False, lambda s: temps.append(s.heat.copy()))
    t = np.array(temps)
    allowed = np.maximum(MAX_RISE_K, RISE_FRACTION * t[:-1])
    return float(((t[1:] - t[:-1]) / allowed).max()), len(t) - 1


def test_rise_scale_is_sqrt_rtol_below_the_default_and_one_above():
    assert rise_scale(1e-3) == 1.0 and rise_scale(4e-3) == 1.0
    assert rise_scale(1e-5) == pytest.approx(0.1, rel=1e-12)
    assert rise_scale(2.5e-4) == pytest.approx(0.5, rel=1e-12)


def test_a_tighter_rtol_shortens_the_heat_steps():
    """At the default rtol a step takes 0.97 of the limit (410 steps); at rtol 2.5e-4 none takes
    more than half of it (sqrt(2.5e-4 / 1e-3); measured 0.47, 908 steps): held at the default
    limit, one took 0.91 of it (961 steps)."""
    default, steps = largest_rise(1e-3)
    tight, tight_steps = largest_rise(2.5e-4)
    assert default > 0.9  # the limit binds this run's steps
    assert tight <= 0.5 * (1 + 1e-9), (tight, tight_steps, steps)


def test_a_run_past_the_output_limit_stops_keeping_its_rows(monkeypatch):
    """The probes.csv and heat.csv rows, one per accepted step, had been bounded by max_wall only
    (up to 7 d): a run stops once they pass ``MAX_OUTPUT_VALUES`` values, saying so, with the
    rows so far kept (the limit set low here: the pulse takes about 410 steps)."""
    import fluxtrap.simulate.options as options
    from fluxtrap.errors import SolverError

    case = pulsed_disk(1e-3)
    width = 3 + 1 + 6  # time, applied, temperature, top; heat.csv's 6 columns
    monkeypatch.setattr(options, "MAX_OUTPUT_VALUES", 100 * width)
    with warnings.catch_warnings(), pytest.raises(SolverError, match=r"^output limit: 100 rows "
                                                  r"of 10 values \(probes.csv and heat.csv\)") as err:  # fmt: skip
        warnings.simplefilter("ignore")
        Simulation(case).run_on_mesh(build_mesh(case, 1.5e-3), 1.5e-3, False, None)
    result = err.value.result
    assert len(result.probes) == len(result.heat) == 100
    assert 0 < result.probes.time_s.iloc[-1] < case.duration_s


def test_a_case_whose_forced_steps_pass_the_output_limit_is_refused():
    """100 probes at each of the 100 000 steps a 10 ns max_step forces through a 1 ms pulse:
    over 1e7 values, refused before the run with the numbers (it had been taken); 50 fit."""
    from fluxtrap.errors import ValidationError

    d = pulsed_disk(1e-3).to_dict()
    d["protocol"][1] |= {"rise": "0.2 ms", "decay": "0.8 ms"}
    d["solver"] |= {"max_step": "10 ns"}
    probe = {"name": "top", "r": "0 mm", "z": "4 mm"}
    d["probes"] = [probe | {"name": f"p{i}", "z": f"{4 + i / 100} mm"} for i in range(100)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValidationError, match=r"^\[\[probes\]\]: 103 values a probes.csv row "
                           r".* at least 1e\+05 time steps .* 1\.03e\+07 values, over the 1e\+07"):  # fmt: skip
            Case.from_dict(d)
        d["probes"] = d["probes"][:50]
        assert len(Case.from_dict(d).probes) == 50


def cold_headed_pulse(hold: str) -> Case:
    """A disk R 6 x 4 mm (C 2000 J/(m^3 K), k 2 W/(m K), Jc to 0 at 35 K) on a cold head at
    5 K through its bottom (h 2000 W/(m^2 K)), pulsed to 0.5 T in 1 + 4 ms, then held."""
    jc = {"temperature": "5 K", "field": [0, 1, 3], "field_unit": "T", "jc": [3e4, 1.5e4, 8e3]}
    curve = {"base_temperature": "3 K", "rated_temperature": "4.2 K", "rated_power": "1 W"}
    return Case.from_dict(
        {
            "materials": {
                "sc": {
                    "n": 25,
                    "heat_capacity": "2000 J/(m^3*K)",
                    "thermal_conductivity": "2 W/(m*K)",
                    "jc": {"tc": "35 K", "tables": [jc | {"jc_unit": "A/cm^2"}]},
                }
            },
            "stack": [{"material": "sc", "radius": "6 mm", "thickness": "4 mm"}],
            "probes": [{"name": "top", "r": "0 mm", "z": "4.5 mm"}],
            "protocol": [
                {"step": "set", "field": "0 T", "temperature": "5 K"},
                {"step": "pulse", "peak": "0.5 T", "rise": "1 ms", "decay": "4 ms"},
                {"step": "hold", "duration": hold},
            ],
            "thermal": {
                "model": "conduction",
                "cooling": [{"surface": "bottom", "heat_transfer_coefficient": "2000 W/(m^2*K)"}],
                "cold_head": {
                    "heat_capacity": "1 J/K",
                    "heat_load": "0.1 W",
                    "cooling_power": curve | {"max_power": "12 W"},
                },
            },
        }
    )


def test_a_long_hold_after_a_pulse_follows_the_cooldown_it_starts_with():
    """The disk leaves the pulse at up to 30 K and cools through the cold head within ms. A
    hold of 1e6 s may step down to 1e-9 of itself, 1 ms, only: it stopped at t = 6 ms ("the
    time error stays above rtol even at the smallest time step", 8.1x rtol) where a 10 s hold
    ran. Now its smallest step is also at most 1e-3 of the pulse's last: it runs through, at
    5 K at the end, its trace at 10 s within 0.1 % of the 10 s hold's (measured 4.4e-4)."""
    results = {}
    for hold in ("10 s", "1e6 s"):
        case = cold_headed_pulse(hold)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the fixed mesh misses the accuracy target
            results[hold], _ = Simulation(case).run_on_mesh(
                build_mesh(case, 2e-3), 2e-3, False, None
            )
    short, long = results["10 s"].probes, results["1e6 s"].probes
    assert long.time_s.iloc[-1] == pytest.approx(1e6 + 5e-3, rel=1e-12)
    assert results["1e6 s"].heat.max_T_K.iloc[-1] == pytest.approx(5.0, abs=1e-6)
    at_10_s = np.interp(short.time_s.iloc[-1], long.time_s, long.top_Bz_T)
    assert at_10_s == pytest.approx(short.top_Bz_T.iloc[-1], rel=1e-3)


def test_a_quench_the_time_steps_cannot_follow_is_named_so():
    """The same disk pulsed to 1 T in 10 + 40 ms heats to 34.8 K (Tc 35 K) near the pulse's end,
    and no step (down to 1 ns) meets rtol: that had been said as "the protocol changes faster
    than the model can follow" with the field moving 4e-8 T in the step. Now the runaway and the
    normal_resistivity that lets the model follow it (with it the run goes through)."""
    from fluxtrap.errors import SolverError

    d = cold_headed_pulse("1 s").to_dict()
    d["protocol"][1] |= {"peak": "1 T", "rise": "10 ms", "decay": "40 ms"}
    case = Case.from_dict(d)
    with warnings.catch_warnings(), pytest.raises(SolverError) as err:
        warnings.simplefilter("ignore")  # the fixed mesh misses the accuracy target
        Simulation(case).run_on_mesh(build_mesh(case, 2e-3), 2e-3, False, None)
    said = str(err.value)
    assert said.startswith("the time error stays above [solver] rtol = 0.001 even at the smallest")
    assert "a thermal runaway or a flux jump; materials.sc.normal_resistivity lets" in said
    assert "the protocol changes faster" not in said


def test_a_runaway_at_the_extremes_a_case_takes_stops_at_once_saying_so():
    """A disk R 8 x 4 mm at the smallest heat capacity a case takes (0.01 J/(m^3 K)) and the
    largest conductivity (1e6 W/(m K)), cooled at its bottom, under a 1 T pulse: one step's heat
    runs away. It stops at the first attempt the heat limit rejects at the smallest time step
    (the first, here: the step up to a cut was already shorter), said once with the count in the
    singular ("1 rejected steps in a row" had read as a slip)."""
    import re

    from fluxtrap.errors import SolverError

    jc = {"temperature": "5 K", "field": [0], "field_unit": "T", "jc": [1e8], "jc_unit": "A/m^2"}
    sc = {"n": 25, "jc": {"tc": "35 K", "tables": [jc]}}
    sc |= {"heat_capacity": "0.01 J/(m^3*K)", "thermal_conductivity": "1e6 W/(m*K)"}
    cooled = {"surface": "bottom", "heat_transfer_coefficient": "1000 W/(m^2*K)"}
    case = Case.from_dict(
        {
            "materials": {"sc": sc},
            "stack": [{"material": "sc", "radius": "8 mm", "thickness": "4 mm"}],
            "protocol": [
                {"step": "set", "field": "0 T", "temperature": "5 K"},
                {"step": "pulse", "peak": "1 T", "rise": "10 ms", "decay": "40 ms"},
                {"step": "hold", "duration": "1 s"},
            ],
            "thermal": {"model": "conduction", "cooling": [cooled]},
        }
    )
    with warnings.catch_warnings(), pytest.raises(SolverError) as err:
        warnings.simplefilter("ignore")  # the fixed mesh misses the accuracy target
        Simulation(case).run_on_mesh(build_mesh(case, 2e-3), 2e-3, False, None)
    said = str(err.value)
    count = re.search(
        r"heat faster than any step can follow even at the smallest time step \(.*\): an element "
        r"changes [\d.]+x what a step may, (\d+) rejected step(s?) in a row at t = ",
        said,
    )
    assert count, said
    assert count[1] == "1" and count[2] == "", said
