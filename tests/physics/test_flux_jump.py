"""Flux jumps in the adiabatic model against the adiabatic stability criterion.

A slab (or a shell thin against the radius) in the critical state, Jc falling linearly with
temperature, Jc(T) = Jc0 (Tc - T) / (Tc - T0), heated adiabatically, is unstable once its
penetrated depth l reaches mu0 Jc0^2 l^2 / (C theta0) = pi^2 / 4, theta0 = Tc - T0: a flux jump at
the applied field B_fj = (pi / 2) sqrt(mu0 C theta0) (Swartz & Bean, J. Appl. Phys. 39, 4991
(1968); Mints & Rakhmanov, Rev. Mod. Phys. 53, 551 (1981); Wilson, Superconducting Magnets
(1983), ch. 7, has the energy-balance estimate with 3 for pi^2 / 4). It does not depend on the
ramp rate, and scales as sqrt(C).

Here a cylinder R 8 mm x 24 mm (full penetration mu0 Jc0 R = 1.0 T, five times B_fj) is ramped
from zero field (ZFC); the flux jump shows as flux reaching the centre (Bz > 10% of the applied
field), which without heat happens only near 1 T. Measured (2 mm mesh; 1 mm gives 0.227 T, a
ramp 4x faster 0.228 T): 0.228 T for C = 430 J/(m^3 K) (B_fj 0.200 T) and 0.441 T for
4 x C (B_fj 0.400 T): 10-14% above the criterion, which leaves out the background heating of the
whole ramp (it lowers Jc before the jump) and the curvature; tolerance 20%, and the sqrt(C)
scaling within 5%.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import tomllib

import numpy as np
import pytest

from fluxtrap.errors import SolverError, ValidationError
from fluxtrap.simulate.case import Case
from fluxtrap.simulate.fem import edge_space
from fluxtrap.simulate.mesh import build_mesh
from fluxtrap.simulate.probes import probe_matrix
from fluxtrap.simulate.solver import Discretization, run_protocol
from fluxtrap.simulate.stability import (
    CooledCylinder,
    adiabatic_jump_field_T,
    cooled_jump_field_T,
    cooled_margin,
    cylinder_stable,
)
from fluxtrap.units import MU0

R, L, JC0, T0, TC = 8e-3, 24e-3, 1e8, 5.0, 35.0


def superconductor(t0: float = T0, tc: float = TC, jc0: float = JC0, **heat: str) -> dict:
    """n 25, Jc ``jc0`` (A/m^2) at ``t0`` falling linearly to 0 at ``tc`` (K), and the thermal
    keys ``heat``."""
    table = {"temperature": f"{t0} K", "field": [0], "field_unit": "T", "jc": [jc0]}
    return {"n": 25, "jc": {"tc": f"{tc} K", "tables": [table | {"jc_unit": "A/m^2"}]}, **heat}


def centre_flux_field(
    heat_capacity: float | None,
    rate_T_s: float = 0.05,
    t0: float = T0,
    tc: float = TC,
    jc0: float = JC0,
    radius: float = R,
) -> float:
    """Applied field (T) at which Bz at the centre first exceeds 10% of it (inf if never,
    ramping to 0.6 of full penetration mu0 jc0 radius); adiabatic with ``heat_capacity``
    (J/(m^3 K)), isothermal if None; a cylinder ``radius`` (m) x 3 ``radius`` from ``t0``."""
    heat = {"heat_capacity": f"{heat_capacity} J/(m^3*K)"} if heat_capacity else {}
    material = superconductor(t0, tc, jc0, **heat)
    height = 3 * radius
    case = Case.from_dict(
        {
            "materials": {"sc": material},
            "stack": [{"material": "sc", "radius": f"{radius} m", "thickness": f"{height} m"}],
            "protocol": [
                {"step": "set", "field": "0 T", "temperature": f"{t0} K"},
                {
                    "step": "ramp_field",
                    "to": f"{0.6 * MU0 * jc0 * radius} T",
                    "rate": f"{rate_T_s} T/s",
                },
            ],
            "mesh": {"size": "2 mm"},
            "thermal": {"model": "adiabatic" if heat_capacity else "isothermal"},
        }
    )
    mesh = build_mesh(case)
    d = Discretization(case, edge_space(mesh))
    G = probe_matrix(mesh.points, mesh.triangles[d.conductor], np.array([[0.0, height / 2]]))
    hits = []

    def record(s, _cut):
        if not hits and s.applied_T > 0 and (G @ (d.C @ s.u))[0] + s.applied_T > 0.1 * s.applied_T:
            hits.append(s.applied_T)

    run_protocol(d, record)
    return hits[0] if hits else math.inf


def jump_field(heat_capacity: float, theta0: float = TC - T0) -> float:
    """B_fj = (pi / 2) sqrt(mu0 C theta0), T."""
    return math.pi / 2 * math.sqrt(MU0 * heat_capacity * theta0)


def test_adiabatic_flux_jump_at_the_stability_criterion_and_not_without_heat():
    low, high = centre_flux_field(430.0), centre_flux_field(4 * 430.0)
    assert low == pytest.approx(jump_field(430.0), rel=0.2)
    assert high == pytest.approx(jump_field(4 * 430.0), rel=0.2)
    assert high / low == pytest.approx(2.0, rel=0.05)
    assert centre_flux_field(None) > 0.6  # isothermal: the centre stays shielded to 0.6 T


def test_the_adiabatic_jump_field_depends_on_c_theta0_alone():
    """B_fj = (pi / 2) sqrt(mu0 C theta0) holds neither Jc nor the size nor T0: cases unlike the
    one above, each 10-14 % above it as there (2 mm mesh): theta0 15 K (5 -> 20 K), C 1000:
    0.244 T (B_fj 0.216); theta0 60 K (20 -> 80 K), C 500: 0.343 T (B_fj 0.305 T); the same
    C theta0 with Jc 2e8 A/m^2, R 6 mm, theta0 10 K (10 -> 20 K), C 3000: 0.341 T. Tolerance
    20 % against B_fj; the last two within 3 % of each other (measured 0.8 %; Jc(T) falling
    over a fixed 30 K instead of from the table's temperature to Tc puts them 11 % apart)."""
    cases = [
        (1000.0, dict(t0=5.0, tc=20.0)),
        (500.0, dict(t0=20.0, tc=80.0)),
        (3000.0, dict(t0=10.0, tc=20.0, jc0=2e8, radius=6e-3)),
    ]
    jumps = []
    for C, kw in cases:
        jumps.append(centre_flux_field(C, **kw))
        assert jumps[-1] == pytest.approx(jump_field(C, kw["tc"] - kw["t0"]), rel=0.2)
    assert jumps[1] == pytest.approx(jumps[2], rel=0.03)


def first_jump_field(
    C: float, h: float, rate_T_s: float, to_T: float, rtol: float = 1e-3
) -> tuple[float, float]:
    """(Applied field, T) at the first flux jump of a side-cooled cylinder R 8 mm x 72 mm in a
    ZFC ramp (conduction, k 100 W/(m K), h to the coolant at T0, 2 mm mesh, [solver] ``rtol``):
    the first maximum of the hottest temperature past T0 + 5 K (a jump lets the flux in, its
    heating stops and the magnet cools: the first fall by 0.05 K), or where a runaway ends the
    run (the solver cannot follow it). Small precursors below T0 + 5 K are passed over (h 10,
    0.1 T/s: one tops at 8.8 K, 0.335 T, before the jump at 0.392 T)."""
    length = 9 * R
    case = Case.from_dict(
        {
            "materials": {
                "sc": superconductor(
                    heat_capacity=f"{C} J/(m^3*K)", thermal_conductivity="100 W/(m*K)"
                )
            },
            "stack": [{"material": "sc", "radius": f"{R} m", "thickness": f"{length} m"}],
            "protocol": [
                {"step": "set", "field": "0 T", "temperature": f"{T0} K"},
                {"step": "ramp_field", "to": f"{to_T} T", "rate": f"{rate_T_s} T/s"},
            ],
            "mesh": {"size": "2 mm"},
            "solver": {"rtol": rtol},
            "thermal": {
                "model": "conduction",
                "cooling": [{"surface": "side", "heat_transfer_coefficient": f"{h} W/(m^2*K)"}],
            },
        }
    )
    d = Discretization(case, edge_space(build_mesh(case)))
    trace = []

    def record(s, _cut):
        hottest = float(d.heat.element_temperature(s.heat).max())
        top = max((t for _, t in trace), default=-math.inf)
        if top > T0 + 5 and hottest < top - 0.05:
            raise StopIteration
        trace.append((s.applied_T, hottest))

    with contextlib.suppress(StopIteration, SolverError):
        run_protocol(d, record)
    return max(trace, key=lambda bt: bt[1])


@pytest.mark.parametrize(
    "C, h, rate, to_T",
    [(430.0, 10.0, 0.5, 0.5), (430.0, 100.0, 0.5, 0.8), (430.0, 10.0, 0.1, 0.6)],
)
def test_cooled_flux_jump_against_the_dynamic_criterion(C, h, rate, to_T):
    """The first jump of a side-cooled cylinder, converged in time, against
    ``stability.cooled_jump_field_T`` (the linear stability of the ramped critical state with a
    uniform temperature, surface cooling and the quasi-steady background heating).

    The jump field at the default rtol 1e-3 / at rtol 2.5e-4 / with 0.25 ms (h 10, 0.1 T/s:
    0.5 ms) steps: 0.2606 / 0.2604 / 0.2606 T (h 10 W/(m^2 K), 0.5 T/s), 0.4816 / 0.4764 /
    0.4746 T (h 100), 0.3924 / 0.3907 / 0.3897 T (h 10, 0.1 T/s): within 1.5 %, tolerance 3 %.
    Before the coupling's time error was held (``thermal.lag_error``) the steps under the ramp
    were limited only by a 0.5 K rise and the h 100 jump came at 0.712 / 0.583 / 0.551 T at rtol
    1e-3 / 2.5e-4 / 1e-4 (4 ms steps: 0.561 T, 1 ms 0.485 T).

    Against the criterion, 0.272 / 0.591 / 0.461 T: 0.96 / 0.81 / 0.85x (the model's heating is
    not uniform: it concentrates at the flux front, which jumps before the uniform temperature
    of the criterion does; most at h 100, where the cooling holds the bulk cold). Tolerance
    0.75-1.25x. The adiabatic criterion gives 0.200 T for all of them: it misses the cooling and
    the rate."""
    jump, hottest = first_jump_field(C, h, rate, to_T)
    reference, _ = first_jump_field(C, h, rate, to_T, rtol=2.5e-4)
    assert jump == pytest.approx(reference, rel=0.03)
    criterion = cooled_jump_field_T(
        CooledCylinder(R, JC0, T0, TC, 25, 1e-4, C, h, rate), points=200
    )
    assert 0.75 < jump / criterion < 1.25, (jump, criterion)
    assert hottest > T0 + 5  # a jump, not the background heating (<= 5 K below the jump)


@pytest.mark.parametrize(
    "change, match",
    [
        ({"heat_transfer_W_m2K": 0.0}, "heat_transfer_W_m2K: must be finite and > 0"),
        ({"t0_K": 40.0}, "tc_K = 35 must be above t0_K = 40"),
        ({"radius_m": math.nan}, "radius_m: must be finite and > 0"),
        (  # it said inf ("no jump") where h 10 jumps at 0.27 T: less cooling, more stable
            {"heat_transfer_W_m2K": 1.0},
            r"thermal time C R / 2h = 1\.72 s is not short against the .* s of the ramp",
        ),
    ],
)
def test_criteria_refuse_what_they_cannot_answer(change, match):
    """A cylinder without cooling raised ZeroDivisionError, a coolant above Tc a math domain
    error from the criterion; now each names its parameter. With too little cooling for the
    rate (C R / 2h longer than the ramp) the quasi-steady background fails: refused."""
    good = CooledCylinder(R, JC0, T0, TC, 25, 1e-4, 430.0, 10.0, 0.5)
    with pytest.raises(ValidationError, match=match):
        cooled_jump_field_T(dataclasses.replace(good, **change), points=50)
    with pytest.raises(ValidationError, match="theta0_K: must be finite and > 0"):
        adiabatic_jump_field_T(430.0, -5.0)


@pytest.mark.parametrize("tc", ["38", "38 K", math.inf, None])
def test_a_cooled_cylinder_refuses_a_tc_not_one_number_naming_it(tc):
    """A str Tc ("38", as a case file writes it) raised a bare TypeError from the comparison with
    t0_K; an infinite one passed it and made Jc NaN. Both name tc_K now, with its unit."""
    named = r"tc_K: must be (one real number \(finite and > 0, in K\), got (str|NoneType)|finite and > 0, got inf)"
    with pytest.raises(ValidationError, match=named):
        CooledCylinder(R, JC0, T0, tc, 25, 1e-4, 430.0, 10.0, 0.5)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda c: cooled_margin(c, math.nan, 50), r"applied_T: must be finite and > 0, got nan"),
        (lambda c: cooled_margin(c, "0.1", 50), r"applied_T: .* in T\), got str '0\.1'"),
        (lambda c: cooled_margin(c, 0.1, 0), r"points: must be a whole number from 10 to 20000"),
        (lambda c: cooled_jump_field_T(c, 10**9), r"points: .* got int 1000000000"),
        (lambda c: cooled_jump_field_T(c, 1.5), r"points: .* got float 1\.5"),
        (
            lambda c: dataclasses.replace(c, e0_V_m="1e-4"),
            r"e0_V_m: must be one real number \(finite and > 0, in V/m\)",
        ),
    ],
)
def test_the_dynamic_criterion_refuses_a_field_or_resolution_it_cannot_use(call, match):
    """A NaN, negative or str field failed inside brentq or numpy ("f(a) and f(b) must have
    different signs"), 0 points with an IndexError, 1.5 with a TypeError; 1e9 points would have
    allocated ~100 GB. Each names its parameter (and its unit) before any work."""
    good = CooledCylinder(R, JC0, T0, TC, 25, 1e-4, 430.0, 10.0, 0.5)
    with pytest.raises(ValidationError, match=match):
        call(good)


def test_a_scan_plan_refuses_a_rate_or_rise_not_a_number_naming_it():
    """scan_ramp_rates(case, ["1 T/h"]) or max_rise_K="5 K" raised a bare TypeError from a
    comparison; each is named now (the CLI parses its units before)."""
    from fluxtrap.simulate.stability import scan_plan
    from tests.conftest import EXAMPLES

    case = Case.load(EXAMPLES / "magnet_heat.toml")
    for args, match in (
        ((["1 T/h"],), r"rates_T_s\[0\] \(T/s\): expected one number, got str '1 T/h'"),
        ((None,), r"rates_T_s: expected a list of numbers"),
        (([1e-3], "5 K"), r"max_rise_K: expected one number, got str '5 K'"),
        (([1e-3], None, "1 mm"), r"mesh_size_m: expected one number, got str '1 mm'"),
    ):
        with pytest.raises(ValidationError, match=match):
            scan_plan(case, *args)


def test_a_scan_plan_takes_a_zero_length_ramp_beside_one_that_changes_the_field():
    """magnet_heat's ramp to 0 T after a ramp to the 3 T it is set at: the first takes no time,
    the second is what the scan tests; the plan refused the whole scan for the first."""
    from fluxtrap.simulate.case import CaseWarning
    from fluxtrap.simulate.stability import scan_plan
    from tests.conftest import EXAMPLES

    d = tomllib.loads((EXAMPLES / "magnet_heat.toml").read_text())
    d["protocol"].insert(1, {**d["protocol"][1], "to": "3 T"})
    with pytest.warns(CaseWarning, match="the value it starts at"):
        case = Case.from_dict(d)
    rates, _, _ = scan_plan(case, [1e-2, 1e-3])
    assert rates == [1e-3, 1e-2]
    d["protocol"][2]["to"] = "3 T"  # both ramps stay at 3 T: nothing to test, still refused
    with pytest.warns(CaseWarning, match="the value it starts at"):
        case = Case.from_dict(d)
    with pytest.raises(ValidationError, match=r"no ramp_field changes the field"):
        scan_plan(case, [1e-3])


def test_the_cylinder_criterion_against_its_closed_form_and_refusals():
    """mu0 Jc^2 R^2 / (C theta0) < j01^2 = 5.78: stable just below the Jc where it equals j01^2
    (C 2e4 J/(m^3 K), theta0 30 K, R 8 mm: 2.08e8 A/m^2), unstable just above. A Jc of NaN was
    called unstable and a radius of -8 mm stable, unsaid (only C and theta0 were checked)."""
    from scipy.special import jn_zeros

    edge = jn_zeros(0, 1)[0] * np.sqrt(2e4 * 30.0 / MU0) / R
    assert edge == pytest.approx(2.0771e8, rel=1e-4)
    assert cylinder_stable(edge * (1 - 1e-9), R, 2e4, 30.0)
    assert not cylinder_stable(edge * (1 + 1e-9), R, 2e4, 30.0)
    with pytest.raises(ValidationError, match="jc_A_m2: must be finite and > 0, got nan"):
        cylinder_stable(float("nan"), R, 2e4, 30.0)
    with pytest.raises(ValidationError, match="radius_m: must be finite and > 0, got -0.008"):
        cylinder_stable(JC0, -R, 2e4, 30.0)
    # not one number: TypeError / numpy's "truth value ... is ambiguous", naming nothing; True
    # had been taken for 1 J/(m^3 K)
    for bad in ("2e4", None, np.array([1e4, 2e4]), True):
        with pytest.raises(ValidationError, match="heat_capacity_J_m3K: must be one real number"):
            cylinder_stable(JC0, R, bad, 30.0)
        with pytest.raises(ValidationError, match="heat_capacity_J_m3K: must be one real number"):
            adiabatic_jump_field_T(bad, 30.0)
    assert adiabatic_jump_field_T(np.float64(2e4), np.int64(30)) == pytest.approx(
        math.pi / 2 * math.sqrt(MU0 * 2e4 * 30), rel=1e-15
    )


@pytest.mark.parametrize("to", ["3 T", "3000 mT"])
def test_a_scan_plan_refuses_a_ramp_that_starts_at_its_target_naming_the_step_and_field(to):
    """magnet_heat's ramp_field to the 3 T it is set at: the case only warns (CaseWarning),
    and every rate of the scan read as safe, since the ramp takes no time at any rate."""
    from fluxtrap.simulate.case import CaseWarning
    from fluxtrap.simulate.stability import scan_plan
    from tests.conftest import EXAMPLES

    d = tomllib.loads((EXAMPLES / "magnet_heat.toml").read_text())
    d["protocol"][1]["to"] = to
    with pytest.warns(CaseWarning, match="the value it starts at"):
        case = Case.from_dict(d)
    with pytest.raises(
        ValidationError, match=r"^safe ramp: protocol\[1\] \(.*\) ramps to 3 T, the field it starts"
    ):
        scan_plan(case, [1e-3, 1e-2])
    d["protocol"][1]["to"] = "0 T"  # the example itself is planned
    assert scan_plan(Case.from_dict(d), [1e-2, 1e-3])[0] == [1e-3, 1e-2]


def test_a_cold_head_warming_under_its_own_load_is_no_jump_of_the_superconductor():
    """A cold head whose cooler meets its 0.1 W load only at 11.2 K warms from the 5 K set point
    (6 K in 11 s) while the disk on it, reached through 10 W/(m^2 K), lags. ramp_run took the
    largest value of the heat state, the head's node included: a rise the head alone passed was
    a jump (peak 5.99 K for the disk's 4.24 K). Now only the superconducting elements count:
    the peak is the disk's hottest element (heat.csv max_T_K), and a rise between the two is
    safe. A stack without a superconductor has nothing to watch and is refused."""
    from fluxtrap.simulate.case import CaseWarning
    from fluxtrap.simulate.simulation import Simulation
    from fluxtrap.simulate.stability import ramp_run, scan_plan

    table = {"temperature": "5 K", "field": [0, 1, 3], "field_unit": "T",
             "jc": [3e4, 1.5e4, 8e3], "jc_unit": "A/cm^2"}  # fmt: skip
    d = {
        "materials": {
            "sc": {
                "n": 25,
                "jc": {"tc": "35 K", "tables": [table]},
                "heat_capacity": "2e5 J/(m^3*K)",
                "thermal_conductivity": "2 W/(m*K)",
            }
        },
        "stack": [{"material": "sc", "radius": "6 mm", "thickness": "4 mm"}],
        "probes": [{"name": "top", "r": "0 mm", "z": "4.5 mm"}],
        "protocol": [
            {"step": "set", "field": "3 T", "temperature": "5 K"},
            {"step": "ramp_field", "to": "0 T", "rate": "1000 T/h"},
        ],
        "thermal": {
            "model": "conduction",
            "cooling": [{"surface": "bottom", "heat_transfer_coefficient": "10 W/(m^2*K)"}],
            "cold_head": {
                "heat_capacity": "0.02 J/K",
                "cooling_power": {
                    "temperature": [4, 40],
                    "temperature_unit": "K",
                    "value": [0, 0.5],
                    "value_unit": "W",
                },  # fmt: skip
                "heat_load": "0.1 W",
            },
        },
    }
    with pytest.warns(CaseWarning, match="cannot reach the set point"):
        case = Case.from_dict(d)
    result, _ = Simulation(case).run_on_mesh(build_mesh(case, 2e-3), 2e-3, False, None)
    disk = result.heat.max_T_K.max() - 5.0
    head = result.heat.cold_head_T_K.max() - 5.0
    assert head > disk + 1.0  # the head passes a rise the disk does not reach
    with pytest.warns(CaseWarning, match="cannot reach the set point"):  # its case, again
        run = ramp_run(case, 1000 / 3600, (disk + head) / 2, 2e-3)
    assert run.error is None and not run.jumped
    assert run.peak_rise_K == pytest.approx(disk, rel=1e-9)
    d["materials"] = {"cu": {"resistivity": "1e-8 ohm*m", "heat_capacity": "2e5 J/(m^3*K)",
                             "thermal_conductivity": "2 W/(m*K)"}}  # fmt: skip
    d["stack"][0]["material"] = "cu"
    with pytest.warns(CaseWarning):
        copper = Case.from_dict(d)
    with pytest.raises(ValidationError, match="no superconducting layer"):
        scan_plan(copper, [1e-3], max_rise_K=1.0)


def test_a_flux_jump_on_a_slow_ramp_is_followed_like_one_on_a_fast_ramp():
    """An MgB2-like cylinder R 10 x 10 mm from 4.2 K (Jc 5e9 A/m^2 at 4 K, n 30, C 300 J/(m^3 K)
    at 4 K rising to 3e5 at 40 K, normal_resistivity 1e-7 ohm m), ramped adiabatically from
    zero field: it jumps near 0.7 T at any rate, the adiabatic criterion holding no rate. The
    smallest time step had been 1e-9 of the protocol step, so a slow ramp's jump met a floor a
    fast ramp's did not: at 1e-4 T/s (15 000 s, floor 15 us) the run failed as "heat faster than
    any step can follow" at 13.6 K of rise, where 1e-2 T/s jumped at 0.704 T. A heated run's
    floor is now 1 ns: 1e-4 T/s jumps at 0.636 T; within 10 % of the 100x faster ramp's (the
    critical state's J grows as the rate^(1/n): 0.704, 0.665, 0.636 T at 1e-2, 1e-3, 1e-4 T/s)."""
    from fluxtrap.simulate.stability import ramp_run

    tesla, per_m2 = {"field": [0, 1, 3], "field_unit": "T"}, {"jc_unit": "A/m^2"}
    jc = [
        {"temperature": f"{t} K", **tesla, "jc": j, **per_m2}
        for t, j in ((4, [5e9, 2e9, 5e8]), (20, [2e9, 8e8, 1e8]))
    ]
    capacity = {"temperature": [4, 10, 20, 40], "temperature_unit": "K"}
    material = {
        "n": 30,
        "normal_resistivity": "1e-7 ohm*m",
        "jc": {"tc": "38 K", "tables": jc},
        "heat_capacity": capacity | {"value": [300, 5e3, 4e4, 3e5], "value_unit": "J/(m^3*K)"},
    }
    case = Case.from_dict(
        {
            "materials": {"sc": material},
            "stack": [{"material": "sc", "radius": "10 mm", "thickness": "10 mm"}],
            "protocol": [
                {"step": "set", "field": "0 T", "temperature": "4.2 K"},
                {"step": "ramp_field", "to": "1.5 T", "rate": "1 T/s"},
            ],
            "thermal": {"model": "adiabatic"},
        }
    )
    half_way = (38.0 - 4.2) / 2
    fast, slow = (ramp_run(case, rate, half_way, 2e-3) for rate in (1e-2, 1e-4))
    assert fast.error is None and slow.error is None
    assert fast.jumped and slow.jumped
    jump_T = [run.stopped_s * run.rate_T_s for run in (fast, slow)]
    assert jump_T[1] == pytest.approx(jump_T[0], rel=0.1)
