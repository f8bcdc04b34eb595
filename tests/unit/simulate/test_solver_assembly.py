"""The Newton matrix K = c M_ff + C_f^T diag(coeff) C_f that the solver assembles onto a fixed
pattern (``Discretization.factorize``) against scipy's product, beyond 46 341 free dofs: there
the pattern keys col * n_free + row pass 2^31, and int32 index arrays wrapped around (K's values
landed on the wrong entries, QDLDL found it not quasi-definite and every run with such a mesh
stopped at t = 0)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from fluxtrap.simulate import Case
from fluxtrap.simulate.fem import edge_space
from fluxtrap.simulate.mesh import build_mesh
from fluxtrap.simulate.solver import Discretization
from fluxtrap.units import MU0


def test_the_newton_matrix_is_assembled_exactly_past_int32_keys():
    case = Case.from_dict(
        {
            "materials": {"sc": {"n": 30, "e0": "1e-4 V/m", "jc": {"constant": "1e8 A/m^2"}}},
            "stack": [{"material": "sc", "radius": "6 mm", "thickness": "2 mm"}],
            "probes": [{"name": "above", "r": "0 mm", "z": "3 mm"}],
            "protocol": [
                {"step": "set", "field": "0 T", "temperature": "77 K"},
                {"step": "ramp_field", "to": "0.1 T", "rate": "1 mT/s"},
            ],
            "mesh": {"size": "0.04 mm", "max_elements": 400000},
        }
    )
    d = Discretization(case, edge_space(build_mesh(case)))
    assert len(d.free) ** 2 > 2**31  # the size where the keys overflowed
    # dE/dJ of the power law near Jc (n E0 / Jc), scattered, times the elements' weights
    coeff = d.w * 3e-11 * np.random.default_rng(0).random(len(d.conductor))
    d.factorize(MU0, coeff)  # raised "not quasi-definite" before
    expected = (MU0 * d.Mff + d.Cf.T @ sp.diags(coeff) @ d.Cf).tocsc()
    assert abs(d.K - expected).max() < 1e-12 * abs(expected).max()


def test_a_step_starts_from_the_last_steps_factorization_without_moving_the_result(monkeypatch):
    """The first Newton iteration of a step reuses the factorization that ended the previous
    step when mu0/dt is within ``keep_within`` of it: 278 instead of 325 factorizations here,
    and the probe trace of a ZFC loop moves by 1e-5 of its self-field (what the Newton
    tolerance allows; limit 1e-4, 100x below a 1 % target) from the run that refactors at
    every first iteration."""
    import functools

    import fluxtrap.simulate.solver as solver
    from fluxtrap.simulate.simulation import Simulation

    case = Case.from_dict(
        {
            "materials": {"sc": {"n": 20, "e0": "1e-4 V/m", "jc": {"constant": "3e4 A/cm^2"}}},
            "stack": [{"material": "sc", "radius": "5 mm", "thickness": "4 mm"}],
            "probes": [{"name": "above", "r": "0 mm", "z": "4.5 mm"}],
            "protocol": [
                {"step": "set", "field": "0 T", "temperature": "5 K"},
                {"step": "ramp_field", "to": "0.5 T", "rate": "0.2 T/s"},
                {"step": "ramp_field", "to": "-0.5 T", "rate": "0.2 T/s"},
            ],
            "mesh": {"size": "1 mm"},
        }
    )
    mesh = build_mesh(case)
    kept, _ = Simulation(case).run_on_mesh(mesh, 1e-3, False, None)
    monkeypatch.setattr(
        solver, "StepControl", functools.partial(solver.StepControl, keep_within=-1.0)
    )
    fresh, _ = Simulation(case).run_on_mesh(mesh, 1e-3, False, None)
    assert kept.solver["factorizations"] < 0.95 * fresh.solver["factorizations"]
    a, b = kept.probes, fresh.probes
    scale = np.max(np.abs(b.above_Bz_T - b.applied_T))
    moved = np.abs(a.above_Bz_T - np.interp(a.time_s, b.time_s, b.above_Bz_T)).max()
    assert moved < 1e-4 * scale, moved / scale
