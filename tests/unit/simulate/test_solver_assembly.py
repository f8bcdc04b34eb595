"""The Newton matrix K = c M_ff + C_f^T diag(coeff) C_f that the solver assembles onto a fixed
pattern (``Discretization.factorize``) against scipy's product, beyond 46 341 Newton dofs: there
the pattern keys col * n_free + row pass 2^31, and int32 index arrays wrapped around (K's values
landed on the wrong entries, QDLDL found it not quasi-definite and every run with such a mesh
stopped at t = 0). The air away from the conductors eliminated from Newton's unknowns (its
Schur complement) against dense linear algebra and against the run that keeps it."""

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
    assert len(d.newton_dofs) ** 2 > 2**31  # the size where the keys overflowed
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


def kim_disk(size: str = "1 mm") -> Case:
    """A Kim disk r 5 x 4 mm, ZFC to 0.5 T and back to 0.2 T: Jc(B) needs H in the conductors."""
    return Case.from_dict(
        {
            "materials": {
                "sc": {"n": 20, "jc": {"kim": {"jc0": "3e4 A/cm^2", "b0": "0.5 T"}}},
            },
            "stack": [{"material": "sc", "radius": "5 mm", "thickness": "4 mm"}],
            "probes": [{"name": "above", "r": "0 mm", "z": "4.5 mm"}],
            "protocol": [
                {"step": "set", "field": "0 T", "temperature": "5 K"},
                {"step": "ramp_field", "to": "0.5 T", "rate": "0.2 T/s"},
                {"step": "ramp_field", "to": "0.2 T", "rate": "0.2 T/s"},
            ],
            "mesh": {"size": size},
        }
    )


def test_the_far_air_is_eliminated_exactly_by_its_schur_complement():
    """Newton's unknowns are the dofs the conductors' J and H depend on (H too: a corner
    element's J is curl-free in its outline's potentials, its H is not; left out, a Kim
    cylinder's probe moved 2 %); the rest of the free air enters K as M_nn - M_na M_aa^-1 M_an
    and its own potentials follow each step from M_a. (u - u_old) = 0."""
    d = Discretization(kim_disk(), edge_space(build_mesh(kim_disk())))
    n, a, b = d.newton_dofs, d.air_dofs, d.bnd
    assert len(a) > 0.25 * len(d.free)  # the mesh's far air: a quarter of the free dofs at least
    assert np.isin(d.C.indices, np.r_[n, b]).all() and np.isin(d.H.indices, np.r_[n, b]).all()
    M = d.M.toarray()
    schur = M[np.ix_(n, n)] - M[np.ix_(n, a)] @ np.linalg.solve(M[np.ix_(a, a)], M[np.ix_(a, n)])
    assert abs(d.Mff.toarray() - schur).max() < 1e-10 * abs(schur).max()
    u_old = d.initial(0.1)
    u = u_old.copy()
    u[n] += np.random.default_rng(0).standard_normal(len(n))
    u[b] = d.initial(0.3)[b]
    before = abs(M[a] @ (u - u_old)).max()  # the air's rows with its potentials left behind
    d.follow(u, u_old)
    assert abs(M[a] @ (u - u_old)).max() < 1e-12 * before


def test_eliminating_the_far_air_leaves_the_run_as_it_was(monkeypatch):
    """The same steps, Newton iterations and probe trace (to 1e-9 of its self-field) as with
    every free dof an unknown (``MAX_OUTLINE`` = 0 keeps them all), on a Kim disk where Jc(B)
    reads H in every conductor element."""
    import fluxtrap.simulate.solver as solver
    from fluxtrap.simulate.simulation import Simulation

    case = kim_disk()
    mesh = build_mesh(case)
    reduced, _ = Simulation(case).run_on_mesh(mesh, 1e-3, False, None)
    monkeypatch.setattr(solver, "MAX_OUTLINE", 0)
    full, _ = Simulation(case).run_on_mesh(mesh, 1e-3, False, None)
    for key in ("time_steps", "newton_iterations", "factorizations"):
        assert reduced.solver[key] == full.solver[key], key
    a, b = reduced.probes.above_Bz_T, full.probes.above_Bz_T
    assert abs(a - b).max() < 1e-9 * abs(b - full.probes.applied_T).max()


def test_runs_on_one_mesh_share_its_discretization_and_give_what_a_fresh_one_gives(monkeypatch):
    """A pair's coarse mesh runs two or three times (its own steps, the fine run's, halved):
    the discretization is built once per mesh and each run sets what it changes, so the run
    at the fine run's times gives the probe trace of a fresh Simulation to the last digit."""
    import fluxtrap.simulate.solver as solver
    from fluxtrap.simulate.simulation import Simulation

    built = []

    class Counted(solver.Discretization):
        def __init__(self, *args):
            built.append(1)
            super().__init__(*args)

    monkeypatch.setattr(solver, "Discretization", Counted)
    case = kim_disk("1.5 mm")
    mesh = build_mesh(case)
    sim = Simulation(case)
    own, _ = sim.run_on_mesh(mesh, 1.5e-3, False, None)
    times = own.probes.time_s.to_numpy()
    halved = np.sort([*times[1:], *(times[1:] + times[:-1]) / 2])
    again, _ = sim.run_on_mesh(mesh, 1.5e-3, False, None, None, halved)
    fresh, _ = Simulation(case).run_on_mesh(mesh, 1.5e-3, False, None, None, halved)
    assert len(built) == 2  # sim's mesh once, the fresh Simulation's once
    assert np.array_equal(again.probes.to_numpy(), fresh.probes.to_numpy())
    assert again.solver["newton_iterations"] == fresh.solver["newton_iterations"]


def test_a_finished_run_holds_no_discretization():
    """The shared discretization serves one ``run``'s pairs; the Simulation keeps none after."""
    from fluxtrap.simulate.simulation import Simulation

    sim = Simulation(kim_disk("2 mm"))
    sim.run(progress=False)
    assert getattr(sim, "_discretized", None) is None


def test_jc_of_b_at_the_superconductors_matches_the_whole_field_and_the_table():
    """Newton's Jc(B) reads |B| at the superconducting elements only (H_sc, sqrt of squares in
    place) and the table's log-interpolation with its log taken once: the same |B| as mu0
    hypot(H) of the full product (to 1e-15 relative; a spacer's elements left out) and the same
    Jc as ``jctable.log_interp`` (exactly)."""
    from fluxtrap.jctable import log_interp

    table = {"field": [0, 0.5, 2, 7], "field_unit": "T", "jc": [9e4, 5e4, 3e4, 1e4]}
    case = Case.from_dict(
        {
            "materials": {
                "sc": {"n": 25, "e0": "1e-4 V/m", "jc": {"table": {**table, "jc_unit": "A/cm^2"}}},
                "cu": {"resistivity": "2e-10 ohm*m"},
            },
            "stack": [
                {"material": "sc", "radius": "5 mm", "thickness": "2 mm"},
                {"material": "cu", "radius": "5 mm", "thickness": "1 mm"},
                {"material": "sc", "radius": "5 mm", "thickness": "2 mm"},
            ],
            "probes": [{"name": "above", "r": "0 mm", "z": "6 mm"}],
            "protocol": [
                {"step": "set", "field": "0 T", "temperature": "5 K"},
                {"step": "ramp_field", "to": "1 T", "rate": "0.1 T/s"},
            ],
            "mesh": {"size": "1 mm"},
        }
    )
    d = Discretization(case, edge_space(build_mesh(case)))
    assert 0 < len(d.sc) < len(d.conductor)  # the spacer is left out
    u = np.random.default_rng(5).normal(size=d.n_dofs) * 2e3
    h = d.H @ u
    n = len(d.conductor)
    b = (MU0 * np.hypot(h[:n], h[n:]))[d.sc]
    assert b.max() > 7 and b.min() < 0.5  # every stretch of the table and past its end
    assert np.allclose(d.field_T(u), b, rtol=1e-15, atol=0)
    model = case.material("sc").jc
    jc = log_interp(b, model.field_T, model.jc_A_m2)
    assert np.array_equal(model.at(b), jc) and np.array_equal(model.at(-b), jc)
    assert np.allclose(d.jc(u, 5.0), jc, rtol=1e-14, atol=0)
