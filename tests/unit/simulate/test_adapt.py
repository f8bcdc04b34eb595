"""Graded refinement: the red-green split, Triangle's refinement, and the probe shares."""

from __future__ import annotations

import numpy as np

from fluxtrap.simulate import Case
from fluxtrap.simulate.adapt import near, sample_times, shares
from fluxtrap.simulate.mesh import AIR, build_mesh, refine, split
from fluxtrap.simulate.simulation import Simulation

CASE = {
    "materials": {"sc": {"n": 20, "jc": {"constant": "2e4 A/cm^2"}}},
    "stack": [{"material": "sc", "radius": "6 mm", "thickness": "3 mm"}],
    "probes": [
        {"name": "axis", "r": "0 mm", "z": "3.5 mm"},
        {"name": "side", "r": "7 mm", "z": "1.5 mm"},
    ],
    "protocol": [
        {"step": "set", "field": "0 T", "temperature": "5 K"},
        {"step": "ramp_field", "to": "0.5 T", "rate": "0.1 T/s"},
        {"step": "ramp_field", "to": "0 T", "rate": "0.1 T/s"},
    ],
}


def edges(mesh):
    """The unique edges (n, 2) of ``mesh`` and how many triangles share each."""
    t = mesh.triangles
    e = np.sort(np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]]), axis=1)
    return np.unique(e, axis=0, return_counts=True)


def test_split_halves_the_marked_elements_and_stays_conforming():
    case = Case.from_dict(CASE)
    mesh = build_mesh(case, 2e-3)
    marked = near(case, mesh)
    fine = split(mesh, marked)
    cond, fcond = mesh.region != AIR, fine.region != AIR
    assert np.all(fine.area > 0)
    assert np.isclose(fine.area.sum(), mesh.area.sum(), rtol=1e-12)
    assert np.isclose(fine.area[fcond].sum(), mesh.area[cond].sum(), rtol=1e-12)
    assert fcond.sum() == 4 * cond.sum()  # red: every conductor element in four
    # conforming: an edge is shared by two triangles, or lies on the outer boundary
    u, c = edges(fine)
    assert set(np.unique(c)) <= {1, 2}
    p, (r_max, z_min, z_max) = fine.points, fine.box
    on_box = np.isclose(p[:, 0], r_max) | np.isclose(p[:, 1], z_min) | np.isclose(p[:, 1], z_max)
    on_box |= p[:, 0] == 0  # the axis
    assert np.all(on_box[u[c == 1]].all(axis=1))
    assert fine.n_elements < 4 * mesh.n_elements  # the far air is not split


def test_refine_meets_the_area_bounds_and_keeps_the_layers():
    case = Case.from_dict(CASE)
    mesh = build_mesh(case, 2e-3)
    cond = mesh.region != AIR
    bound = np.where(cond, mesh.area / 9, -1.0)
    fine = refine(mesh, bound)
    assert np.isclose(fine.area[fine.region != AIR].sum(), mesh.area[cond].sum(), rtol=1e-12)
    assert fine.area[fine.region != AIR].max() <= mesh.area[cond].max() / 9 * (1 + 1e-9)
    c = fine.centroid[fine.region != AIR]
    assert np.all((c[:, 0] < 6e-3) & (c[:, 1] > 0) & (c[:, 1] < 3e-3))


def test_shares_add_up_to_the_probe_change_between_the_pair():
    """The shares split B_fine - B_coarse exactly (Biot-Savart is linear in J), at every
    sample time and for a probe on and one off the axis."""
    case = Case.from_dict(CASE)
    sim = Simulation(case)
    times = sample_times(case)
    coarse_mesh = build_mesh(case, 2e-3)
    fine_mesh = split(coarse_mesh, near(case, coarse_mesh))
    fine, fs = sim._solve(fine_mesh, 1e-3, False, None, times)
    coarse, cs = sim._solve(
        coarse_mesh, 2e-3, False, None, times, fine.probes.time_s.to_numpy()[2::2]
    )
    scale = np.array([0.1, 0.05])
    share = shares(cs, fs, scale)
    assert share.shape == (2, len(times), len(cs.conductor))
    for i, p in enumerate(("axis", "side")):
        col = f"{p}_Bz_T"
        bf = np.interp(times, fine.probes.time_s, fine.probes[col])
        bc = np.interp(times, coarse.probes.time_s, coarse.probes[col])
        assert np.allclose(share[i].sum(axis=1) * scale[i], bf - bc, rtol=1e-9, atol=1e-12)
        assert np.abs(bf - bc).max() > 1e-4  # the pair differs: the identity is not 0 = 0
