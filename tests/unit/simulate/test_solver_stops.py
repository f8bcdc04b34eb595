"""Newton either converges or the run stops, in bounded time, with a clear SolverError (issue 15).

The low-n fast-ramp case needs |J| > 2 Jc (the E-J law must continue as the law says); a run that
cannot advance stops at its wall-time limit, its minimum step or its rejected-steps limit and
keeps what it had.
"""

from __future__ import annotations

import re
import time
import warnings

import numpy as np
import pytest

import fluxtrap.simulate.simulation as simulation
import fluxtrap.simulate.solver as solver
from fluxtrap.errors import SolverError, ValidationError
from fluxtrap.simulate import Case, Simulation, simulate

JC0, B0 = 1e8, 0.5  # Kim Jc(B) = JC0 / (1 + |B| / B0), A/m^2 and T


def long_cylinder(size="2.5 mm", n=5, rate="1 T/s", **solver_opts):
    """n = 5, Kim Jc(B), a cylinder 20 mm across and 40 mm long, FCM 3 T -> 0 at ``rate``."""
    return {
        "title": "low n, fast ramp",
        "materials": {
            "sc": {
                "n": n,
                "e0": "1e-4 V/m",
                "jc": {"kim": {"jc0": f"{JC0} A/m^2", "b0": f"{B0} T"}},
            }
        },
        "stack": [{"material": "sc", "radius": "10 mm", "thickness": "40 mm"}],
        "probes": [{"name": "top", "r": "0 mm", "z": "41 mm"}],
        "protocol": [
            {"step": "set", "field": "3 T", "temperature": "5 K"},
            {"step": "ramp_field", "to": "0 T", "rate": rate},
        ],
        "mesh": {"size": size},
        "solver": {"max_wall": "60 s", **solver_opts},
    }


def test_low_n_fast_ramp_finishes_beyond_two_jc_and_agrees_with_a_finer_mesh():
    """E = rate r / 2 at the surface is ~50 E0, so |J| = 50^(1/5) Jc ~ 2.2 Jc there (the old cap
    at 2 Jc never converged). The run finishes, J/Jc passes 2, and the 2.5 mm result agrees with
    the 1.25 mm one within its own error estimate (and within 2 % of the peak self-field)."""
    coarse = simulate(long_cylinder("2.5 mm"))
    fine = simulate(long_cylinder("1.25 mm"))
    snap = fine.snapshot(3.0)
    b = np.hypot(*snap.B_T[fine.conductor].T)
    assert np.max(np.abs(snap.J_A_m2) / (JC0 / (1 + b / B0))) > 2.0
    diff = abs(
        coarse.summary()["probes"]["top"]["final_T"] - fine.summary()["probes"]["top"]["final_T"]
    )
    est = coarse.summary()["probes"]["top"]["final_error_T"]
    self_field = np.max(np.abs(fine.probes.top_Bz_T - fine.probes.applied_T))
    assert diff <= 2 * est + 1e-4 and diff < 0.02 * self_field


def test_impossible_wall_time_limit_stops_at_once_and_keeps_the_results():
    t = time.perf_counter()
    with pytest.raises(
        SolverError, match=r"max_wall = 0\.001 s reached at t = [\d.e+-]+ s in protocol step 1"
    ) as info:
        Simulation(long_cylinder("2.5 mm", max_wall="0.001 s")).run(progress=False)
    assert time.perf_counter() - t < 10
    partial = info.value.result
    assert partial.error and partial.probes.time_s.iloc[0] == 0.0
    assert partial.probes.time_s.iloc[-1] > 0  # the limit lets the first step finish


class Clock:
    """A stand-in for the ``time`` module whose ``perf_counter`` jumps ``tick`` s per reading."""

    def __init__(self, tick: float):
        self.tick, self.now = tick, 0.0

    def perf_counter(self) -> float:
        self.now += self.tick
        return self.now


def test_a_wall_time_limit_used_up_before_the_first_step_still_lets_it_finish(monkeypatch):
    """However loaded the machine, a run stopped by max_wall has advanced: a clock that jumps an
    hour per reading stops the march right after its first accepted step."""
    clock = Clock(3600.0)
    monkeypatch.setattr(solver, "time", clock)
    monkeypatch.setattr(simulation, "time", clock)
    with pytest.raises(SolverError, match="max_wall = 60 s reached") as info:
        Simulation(long_cylinder("5 mm", max_wall="60 s")).run(progress=False)
    partial = info.value.result
    assert partial.solver["time_steps"] == 1 and partial.probes.time_s.iloc[-1] > 0


def test_the_wall_time_limit_bounds_the_whole_run_not_each_run_in_it(monkeypatch):
    """max_wall counts from the start of ``Simulation.run`` over every run of its pair: with a
    clock of one second per reading, a limit half of what the whole run reads stops it in its
    coarse run (the fine run alone reads less), within a few readings of the limit. A limit
    0.9x of it stops the run that splits the pair's difference into its space and time parts,
    after both of the pair's runs: the pair is the result, its estimate the bare difference,
    and the note says so."""
    clock = Clock(1.0)
    monkeypatch.setattr(solver, "time", clock)
    monkeypatch.setattr(simulation, "time", clock)
    whole = Simulation(long_cylinder("5 mm", max_wall="7 d")).run(progress=False)
    readings = clock.now
    assert "not measured apart" not in whole.accuracy.get("note", "")
    limit = round(0.5 * readings)
    clock.now = 0.0
    with pytest.raises(SolverError, match=f"max_wall = {limit:g} s reached") as info:
        Simulation(long_cylinder("5 mm", max_wall=f"{limit} s")).run(progress=False)
    assert limit < clock.now < limit + 20
    # the coarse run steps to the fine run's times: its step is the next one's length, not "inf"
    dt = float(re.search(r"time step (\S+) s;", str(info.value))[1])
    assert 0 < dt < 3 / 1.0, str(info.value)  # within the 3 s ramp
    clock.now = 0.0
    res = Simulation(long_cylinder("5 mm", max_wall=f"{round(0.9 * readings)} s")).run(False)
    assert "were not measured apart" in res.accuracy["note"]
    assert res.probes.equals(whole.probes)


def test_newton_that_never_converges_stops_at_the_minimum_step(monkeypatch):
    monkeypatch.setattr(solver, "newton", lambda *a: None)
    t = time.perf_counter()
    with pytest.raises(SolverError, match="rejected steps in a row|smallest time step") as info:
        Simulation(long_cylinder("5 mm")).run(progress=False)
    assert time.perf_counter() - t < 10
    assert "t = 0 s in protocol step 1" in str(info.value)


def test_a_mesh_beyond_the_size_limit_is_refused_before_it_starts():
    t = time.perf_counter()
    with pytest.raises(
        ValidationError,
        match=r"mesh\.size: 0\.01 mm needs about [\d,]+ elements .*max_elements = 100000",
    ):
        Simulation(long_cylinder("0.01 mm")).run(progress=False)
    assert time.perf_counter() - t < 5  # a refusal before meshing (a loaded 2-core CI: room)


@pytest.mark.parametrize(
    "key, value, match",
    [
        ("accuracy", "0 %", "solver.accuracy"),
        ("accuracy", "2 T", "solver.accuracy"),
        ("max_wall", "0 s", "solver.max_wall"),
        ("max_wall", "inf s", "solver.max_wall"),
    ],
)
def test_solver_limits_are_checked(key, value, match):
    with pytest.raises(Exception, match=match):
        Case.from_dict(long_cylinder(**{key: value}))


def test_cli_prints_the_error_estimate_beside_the_value(tmp_path):
    import json

    from typer.testing import CliRunner

    from fluxtrap.cli import app
    from fluxtrap.units import estimate_text

    case = long_cylinder("5 mm", rate="0.1 T/s")
    text = "\n".join(
        [
            'title = "cli"',
            "[materials.sc]",
            "n = 5",
            'e0 = "1e-4 V/m"',
            f'jc.kim = {{ jc0 = "{JC0} A/m^2", b0 = "{B0} T" }}',
            "[[stack]]",
            'material = "sc"',
            'radius = "10 mm"',
            'thickness = "40 mm"',
            "[[probes]]",
            'name = "top"',
            'r = "0 mm"',
            'z = "41 mm"',
            "[[protocol]]",
            'step = "set"',
            'field = "3 T"',
            'temperature = "5 K"',
            "[[protocol]]",
            'step = "ramp_field"',
            'to = "0 T"',
            f'rate = "{case["protocol"][1]["rate"]}"',
            "[mesh]",
            'size = "5 mm"',
        ]
    )
    (tmp_path / "case.toml").write_text(text)
    res = CliRunner().invoke(
        app, ["simulate", str(tmp_path / "case.toml"), "-o", str(tmp_path / "o")]
    )
    assert res.exit_code == 0, res.output
    top = json.loads((tmp_path / "o" / "summary.json").read_text())["probes"]["top"]
    shown = estimate_text(top["final_T"], top["final_error_T"])  # rounded alike: 0.315 ± 0.012
    assert f"final {shown} T" in res.output


def test_a_long_step_while_warming_converges_to_the_backward_euler_solution():
    """A disk field-cooled at 1.5 T and 30 K, the field ramped to 0, then warmed to 50 K (Jc
    falls to 0.69x: flux leaves and the trapped field decays). Newton took the last step of a
    pair's coarse run (7.7 s, 42 -> 50 K) with J 12 % of Jc off J(E) where E was capped: the
    probe read -0.356 T where every other run reads +0.318 T (the pair's estimate 139 % of
    the self-field instead of 2 %). Stepped over the warming in 4 steps, the end must agree
    with the run converged in time on the same mesh to within 1 % of its self-field."""
    from fluxtrap.simulate.mesh import build_mesh

    jc = {"constant": "2e4 A/cm^2", "temperature": {"at": "30 K", "tc": "90 K", "exponent": 1.5}}
    case = Case.from_dict(
        {
            "title": "FC, then warming",
            "materials": {"sc": {"n": 50, "e0": "1e-4 V/m", "jc": jc}},
            "stack": [{"material": "sc", "radius": "8 mm", "thickness": "5 mm"}],
            "probes": [{"name": "above", "r": "0 mm", "z": "6 mm"}],
            "protocol": [
                {"step": "set", "field": "1.5 T", "temperature": "30 K"},
                {"step": "ramp_field", "to": "0 T", "rate": "0.1 T/s"},
                {"step": "ramp_temperature", "to": "50 K", "rate": "1 K/s"},
            ],
        }
    ).with_options(mesh_size_m=2.5e-3, rtol=1e-4)
    sim = Simulation(case)
    mesh = build_mesh(case, 2.5e-3)
    converged, _ = sim.run_on_mesh(mesh, 2.5e-3, False, None)
    schedule = np.r_[np.arange(1.0, 15.01, 1.0), 17, 21, 27.3, 35]
    long_steps, _ = sim.run_on_mesh(mesh, 2.5e-3, False, None, None, schedule)
    p = converged.probes
    scale = np.max(np.abs(p.above_Bz_T - p.applied_T))
    assert p.time_s.iloc[-1] == long_steps.probes.time_s.iloc[-1] == 35
    assert abs(long_steps.probes.above_Bz_T.iloc[-1] - p.above_Bz_T.iloc[-1]) < 0.01 * scale


@pytest.mark.parametrize("size_mm", [0.932, 1.865])
def test_long_steps_of_a_slow_warming_converge_to_the_backward_euler_solution(size_mm):
    """A disk field-cooled at 2 T and 20 K, the field ramped to 0, then warmed to 30 K at 1 K/min
    (Jc 0.5x). Newton took a 150 s step (25 -> 27.5 K) whose linear model stood on the E of the
    iteration before's dual update, J 23 % of Jc off J(E): its residual was 165x its flux
    change and the probe read 0.164 T where the run converged in time reads 0.137 T (the pair's
    time part 7.8 % of the self-field, "not reached" at 0.3 %). Stepped at 150 s, each step's
    end after the first must agree with the run stepped at 2 s to within 1 % of its self-field
    (the first, 150 s from the ramp's end, is 3 % off: backward Euler's own error there)."""
    from fluxtrap.simulate.mesh import build_mesh

    jc = {"constant": "1e4 A/cm^2", "temperature": {"at": "20 K", "tc": "38 K", "exponent": 1.5}}
    case = Case.from_dict(
        {
            "title": "FC, then a slow warming",
            "materials": {"sc": {"n": 20, "jc": jc}},
            "stack": [{"material": "sc", "radius": "10 mm", "thickness": "5 mm"}],
            "probes": [{"name": "above", "r": "0 mm", "z": "5.5 mm"}],
            "protocol": [
                {"step": "set", "field": "2 T", "temperature": "20 K"},
                {"step": "ramp_field", "to": "0 T", "rate": "0.05 T/s"},
                {"step": "ramp_temperature", "to": "30 K", "rate": "1 K/min"},
            ],
        }
    ).with_options(mesh_size_m=size_mm * 1e-3, rtol=6.25e-5)
    sim = Simulation(case)
    mesh = build_mesh(case, size_mm * 1e-3)
    ramp = np.arange(0.25, 40.0, 0.25)
    ends = np.arange(190.0, 641.0, 150.0)
    fine, _ = sim.run_on_mesh(mesh, size_mm * 1e-3, False, None, None, np.r_[ramp, 40:640:2.0, 640])
    long_steps, _ = sim.run_on_mesh(mesh, size_mm * 1e-3, False, None, None, np.r_[ramp, 40, ends])
    p, q = fine.probes, long_steps.probes
    scale = np.max(np.abs(p.above_Bz_T - p.applied_T))
    at = np.interp(ends[1:], p.time_s, p.above_Bz_T)
    assert np.max(np.abs(np.interp(ends[1:], q.time_s, q.above_Bz_T) - at)) < 0.01 * scale


# Jc(B, T) tables at 20 / 30 / 40 K (Tc 90 K)
JC_TABLES = [
    {"temperature": f"{t} K", "field": [0, 1, 3], "field_unit": "T", "jc": jc, "jc_unit": "A/cm^2"}
    for t, jc in ((20, [5e4, 2.5e4, 1e4]), (30, [3e4, 1.4e4, 5e3]), (40, [1.5e4, 6e3, 2e3]))
]


def test_a_long_warming_step_with_jc_b_t_tables_keeps_the_currents_sign():
    """A disk field-cooled at 1.5 T and 20 K with Jc(B, T) tables at 20 / 30 / 40 K, the field
    ramped to 0, then warmed at 0.5 K/s. A pair's coarse run stepped 14.6 s (29.7 -> 37 K): E
    started at the new Jc, 2e5 x E0 up, and Newton's first update landed on a reversed state,
    the probe -0.124 T where the run converged in time reads +0.267 T (with Jc(B) the step's
    equations have more than one solution; the scout's time part was 56 % of the self-field).
    Every long step's end must agree with the converged run to within 1 % of its self-field."""
    from fluxtrap.simulate.mesh import build_mesh

    case = Case.from_dict(
        {
            "title": "FC with Jc(B, T) tables, then warming",
            "materials": {"sc": {"n": 30, "jc": {"tc": "90 K", "tables": JC_TABLES}}},
            "stack": [{"material": "sc", "radius": "6 mm", "thickness": "3 mm"}],
            "probes": [{"name": "above", "r": "0 mm", "z": "3.5 mm"}],
            "protocol": [
                {"step": "set", "field": "1.5 T", "temperature": "20 K"},
                {"step": "ramp_field", "to": "0 T", "rate": "0.1 T/s"},
                {"step": "ramp_temperature", "to": "40 K", "rate": "0.5 K/s"},
            ],
        }
    ).with_options(mesh_size_m=1.5e-3, rtol=1e-4)
    sim = Simulation(case)
    mesh = build_mesh(case, 1.5e-3)
    converged, _ = sim.run_on_mesh(mesh, 1.5e-3, False, None)
    ends = np.array([21.57, 34.38, 48.99, 55.0])
    long_steps, _ = sim.run_on_mesh(mesh, 1.5e-3, False, None, None, np.r_[0.5:15.01:0.5, ends])
    p, q = converged.probes, long_steps.probes
    scale = np.max(np.abs(p.above_Bz_T - p.applied_T))
    at = np.interp(ends, p.time_s, p.above_Bz_T)
    assert np.max(np.abs(np.interp(ends, q.time_s, q.above_Bz_T) - at)) < 0.01 * scale


def test_a_heated_disk_warmed_past_its_jc_b_t_tables_in_long_steps_keeps_the_currents_sign():
    """The disk above, conducting heat (C 2e4 J/(m^3 K), k 5 W/(m K)) and cooled on every face
    (h 1e5 W/(m^2 K)), warmed to 60 K, past its tables. Newton starts E at the Jc of the
    temperatures the step starts from without the cap newton's from_K puts on a warming step
    without heat: the heat limit (a pair's coarse run: 2.5 x the larger of 0.5 K and 5 % per
    element and step) keeps Jc's change per step so small that the start stayed under 0.2 of
    that cap here, a 1.25 / 2.5 T pfm_pulse.toml and a cold head's set point raised to 25 K
    under 0.13. The long steps (measured 0.7 % of the self-field off) must not reverse the
    currents, as the steps without heat had (0.39 T off)."""
    from fluxtrap.simulate.mesh import build_mesh

    sc = {"n": 30, "jc": {"tc": "90 K", "tables": JC_TABLES}}
    sc |= {"heat_capacity": "2e4 J/(m^3*K)", "thermal_conductivity": "5 W/(m*K)"}
    cooled = [
        {"surface": s, "heat_transfer_coefficient": "1e5 W/(m^2*K)"}
        for s in ("bottom", "top", "side")
    ]
    case = Case.from_dict(
        {
            "title": "FC with Jc(B, T) tables, heated, warmed past them",
            "materials": {"sc": sc},
            "stack": [{"material": "sc", "radius": "6 mm", "thickness": "3 mm"}],
            "probes": [{"name": "above", "r": "0 mm", "z": "3.5 mm"}],
            "protocol": [
                {"step": "set", "field": "1.5 T", "temperature": "20 K"},
                {"step": "ramp_field", "to": "0 T", "rate": "0.1 T/s"},
                {"step": "ramp_temperature", "to": "60 K", "rate": "0.5 K/s"},
            ],
            "thermal": {"model": "conduction", "cooling": cooled},
        }
    ).with_options(mesh_size_m=1.5e-3, rtol=1e-4)
    sim = Simulation(case)
    mesh = build_mesh(case, 1.5e-3)
    converged, _ = sim.run_on_mesh(mesh, 1.5e-3, False, None)
    ends = np.array([35.0, 55.0, 75.0, 95.0])
    long_steps, _ = sim.run_on_mesh(mesh, 1.5e-3, False, None, None, np.r_[0.5:15.01:0.5, ends])
    p, q = converged.probes, long_steps.probes
    scale = np.max(np.abs(p.above_Bz_T - p.applied_T))
    at = np.interp(ends, p.time_s, p.above_Bz_T)
    assert np.max(np.abs(np.interp(ends, q.time_s, q.above_Bz_T) - at)) < 0.02 * scale


def test_a_failed_temperature_ramp_names_the_temperature_it_failed_at():
    """n = 300, a trapped field at 20 K warmed at 1e8 K/s to 37 K: Newton fails past ~35.7 K
    (to 35 K it now runs through: E starts capped where the state had it). The state
    kept is the failed step's start; the message must also give the temperature that step aimed
    at, start + rate x time step (it gave the start's alone, so the failure read as one at the
    last converged temperature). The stop message is all the user sees: a diverging Newton
    iterate (|u| ~ 1e305 A/m) overflowed J and printed numpy's 'invalid value encountered in
    subtract' (inf - inf) before it."""
    case = long_cylinder("2.5 mm", n=300)
    case["materials"]["sc"]["jc"]["temperature"] = {"at": "20 K", "tc": "38 K", "exponent": 1.5}
    case["stack"][0]["thickness"] = "10 mm"
    case["protocol"][0]["temperature"] = "20 K"
    case["protocol"].append({"step": "ramp_temperature", "to": "37 K", "rate": "1e8 K/s"})
    with warnings.catch_warnings(), pytest.raises(SolverError, match="smallest time step") as info:
        warnings.simplefilter("error", RuntimeWarning)
        Simulation(case).run(progress=False)
    said = re.search(
        r"applied field \S+ T, (\S+) K, time step (\S+) s \(from there to \S+ T, (\S+) K\)",
        str(info.value),
    )
    assert said, str(info.value)
    start, dt, aim = map(float, said.groups())
    assert 20 < start < aim < 37
    assert aim - start == pytest.approx(1e8 * dt, rel=0.01)


@pytest.mark.parametrize("n, rate", [(500, "1e8 K/s"), (300, "1e9 K/s")])
def test_a_jc_jump_that_overflows_e_stops_without_numpy_warnings(n, rate):
    """A temperature step so large that E0 (J/Jc)^n overflows at the step's start (J > 4 Jc at
    n = 500): the inverse law took inf / inf and numpy printed 'invalid value encountered in
    divide' before the stop message; the step now fails at once and is retried shorter."""
    case = long_cylinder("2.5 mm", n=n)
    case["materials"]["sc"]["jc"]["temperature"] = {"at": "20 K", "tc": "38 K", "exponent": 1.5}
    case["stack"][0]["thickness"] = "10 mm"
    case["protocol"][0]["temperature"] = "20 K"
    case["protocol"].append({"step": "ramp_temperature", "to": "37 K", "rate": rate})
    with warnings.catch_warnings(), pytest.raises(SolverError, match="smallest time step"):
        warnings.simplefilter("error", RuntimeWarning)
        Simulation(case).run(progress=False)
