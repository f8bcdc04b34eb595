"""A superconductor with a normal-state channel (``normal_resistivity``) against closed forms.

A thin disk (R 10 mm x 2 mm) in a field ramped at Bdot, once the diffusion transient (mu0 R^2 /
rho_n ~ 1e-4 s) has passed: its currents are steady, so their field does not change and
E = r Bdot / 2 exactly (Faraday). Both channels see that E: J(r) = Jc (r Bdot / (2 E0))^(1/n) +
r Bdot / (2 rho_n), and the magnetic moment m = pi t int_0^R J r^2 dr is

    m = pi t [Jc (Bdot / (2 E0))^(1/n) R^(3 + 1/n) / (3 + 1/n) + Bdot R^4 / (8 rho_n)].

Past Tc (Jc = 0) only the normal term is left: the superconductor is a metal of resistivity
rho_n. The currents are small (their field ~1e-5 T), so Jc(B) and n do not move with them.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from fluxtrap.errors import UnitError, ValidationError
from fluxtrap.simulate import simulate
from fluxtrap.simulate.case import Case, CaseWarning
from fluxtrap.simulate.fem import edge_space
from fluxtrap.simulate.mesh import build_mesh
from fluxtrap.simulate.simulation import AccuracyWarning
from fluxtrap.simulate.solver import Discretization, run_protocol

from .test_heat import moment_weights

R, TH, RHO, RATE, E0, N = 10e-3, 2e-3, 1e-6, 1.0, 1e-4, 5


def moment_at_end_of_ramp(jc: dict, temperature: str) -> float:
    """The disk's moment (A m^2) after 0 -> 1 T at RATE T/s, at ``temperature``."""
    case = Case.from_dict(
        {
            "materials": {"sc": {"n": N, "jc": jc, "normal_resistivity": f"{RHO} ohm*m"}},
            "stack": [{"material": "sc", "radius": f"{R} m", "thickness": f"{TH} m"}],
            "protocol": [
                {"step": "set", "field": "0 T", "temperature": temperature},
                {"step": "ramp_field", "to": "1 T", "rate": f"{RATE} T/s"},
            ],
            "mesh": {"size": "0.5 mm"},
        }
    )
    mesh = build_mesh(case)
    d = Discretization(case, edge_space(mesh))
    weights = moment_weights(mesh, d.conductor)
    moments = []
    run_protocol(d, lambda s, _cut: moments.append(weights @ (d.C @ s.u)))
    return -moments[-1]  # the induced currents oppose the rising field


def closed_moment(jc: float) -> float:
    p = 1 / N
    shared = jc * (RATE / (2 * E0)) ** p * R ** (3 + p) / (3 + p)
    return math.pi * TH * (shared + RATE * R**4 / (8 * RHO))


def test_past_tc_the_superconductor_is_a_metal_of_its_normal_resistivity():
    """At 40 K against Tc 35 K (Jc = 0): the moment within 0.5 % of pi t Bdot R^4 / (8 rho_n)
    (the normal metal's own test, ``test_heat``, holds its heating to the same)."""
    jc = {
        "tc": "35 K",
        "tables": [
            {"temperature": "5 K", "field": [0], "field_unit": "T", "jc": [1e8], "jc_unit": "A/m^2"}
        ],
    }
    assert moment_at_end_of_ramp(jc, "40 K") == pytest.approx(closed_moment(0.0), rel=0.005)


@pytest.mark.parametrize("jc", [2e3, 2e4])
def test_below_tc_the_two_channels_share_the_induced_E(jc):
    """Jc 2e3 / 2e4 A/m^2 (constant), n = 5: the superconducting channel carries about half /
    nine tenths of the current at the rim; the moment within 0.5 % of the closed form."""
    m = moment_at_end_of_ramp({"constant": f"{jc} A/m^2"}, "5 K")
    assert m == pytest.approx(closed_moment(jc), rel=0.005)
    assert abs(m - closed_moment(0.0)) > 0.3 * m  # the superconducting channel's part is seen


def pulsed(normal_resistivity: str | None) -> dict:
    """A cylinder R 5 mm x 4 mm (Jc 1e8 A/m^2 at 5 K, linear to 0 at Tc 35 K, n 25, C 5e3
    J/(m^3 K), adiabatic) under a 6 T pulse, 1 mm mesh."""
    mat = {
        "n": 25,
        "heat_capacity": "5e3 J/(m^3*K)",
        "jc": {
            "tc": "35 K",
            "tables": [
                {"temperature": "5 K", "field": [0], "field_unit": "T", "jc": [1e8]}
                | {"jc_unit": "A/m^2"}
            ],
        },
    }
    if normal_resistivity:
        mat["normal_resistivity"] = normal_resistivity
    return {
        "materials": {"b": mat},
        "stack": [{"material": "b", "radius": "5 mm", "thickness": "4 mm"}],
        "probes": [{"name": "top", "r": "0 mm", "z": "5 mm"}],
        "protocol": [
            {"step": "set", "field": "0 T", "temperature": "5 K"},
            {"step": "pulse", "peak": "6 T", "rise": "10 ms", "decay": "40 ms"},
            {"step": "hold", "duration": "0.2 s"},
        ],
        "thermal": {"model": "adiabatic"},
        "mesh": {"size": "1 mm"},
    }


def test_a_pulse_past_tc_runs_through_and_its_heat_is_the_integral_of_EJ():
    """With rho_n 1e-6 ohm*m the 6 T pulse heats the cylinder to about 40 K at its rim: the run
    goes through Tc and back, says nothing of Tc, and the heat gained equals the integral of E.J
    over the run (nothing leaves; 1e-6)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AccuracyWarning)  # a fixed mesh: not refined to a target
        warnings.simplefilter("error", CaseWarning)
        r = simulate(pulsed("1e-6 ohm*m"))
    heat = r.heat
    assert heat.max_T_K.max() > 37.0  # well past Tc
    assert r.probes.time_s.iloc[-1] == pytest.approx(0.25)
    assert heat.heat_J.iloc[-1] == pytest.approx(heat.dissipated_J.iloc[-1], rel=1e-6)
    assert np.all(np.isfinite(r.probes.top_Bz_T))


def test_without_a_normal_state_a_run_past_tc_says_its_result_there_is_not_the_physics():
    """The same pulse without rho_n: its elements past Tc keep a thousandth of Jc; the run warns,
    names the material and the hottest element, and summary.json's solver has them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AccuracyWarning)
        with pytest.warns(CaseWarning, match=r"of b went past Tc \(the hottest at 3[5-9]\.\d+ K"):
            r = simulate(pulsed(None))
    hot = r.solver["past_tc"]
    assert hot["material"] == "b" and hot["tc_K"] == 35.0 and hot["hottest_K"] > 35.0
    assert hot["elements"] > 0


def test_past_tc_in_the_protocol_needs_a_normal_state():
    jc = {"constant": "1e8 A/m^2", "temperature": {"at": "5 K", "tc": "35 K"}}
    case = {
        "materials": {"b": {"n": 20, "jc": jc}},
        "stack": [{"material": "b", "radius": "5 mm", "thickness": "2 mm"}],
        "protocol": [{"step": "set", "field": "0 T", "temperature": "40 K"}],
    }
    with pytest.raises(ValidationError, match="without materials.b.normal_resistivity"):
        Case.from_dict(case)
    case["materials"]["b"]["normal_resistivity"] = "1e-6 ohm*m"
    assert Case.from_dict(case).materials[0].normal_resistivity_ohm_m == 1e-6
    for wrong in ("-1e-6 ohm*m", "1e300 ohm*m", "1e-6 ohm*cm^2"):
        case["materials"]["b"]["normal_resistivity"] = wrong
        with pytest.raises(UnitError, match="materials.b.normal_resistivity"):
            Case.from_dict(case)


def test_the_normal_state_is_part_of_the_case_and_its_key(tmp_path):
    """Written back as TOML it reads back the same; a case with it is another case (its key:
    sweeps' caches and stored simulations) and without it keeps its key of before."""
    case = Case.from_dict(pulsed("1e-6 ohm*m"))
    (tmp_path / "case.toml").write_text(case.to_toml())
    back = Case.from_toml(tmp_path / "case.toml")
    assert back == case and back.to_si_dict() == case.to_si_dict()
    without = Case.from_dict(pulsed(None))
    assert case.key() != without.key()
    assert "normal_resistivity_ohm_m" not in without.to_si_dict()["materials"]["b"]
