"""Graded refinement: the red-green split, Triangle's refinement, and the probe shares."""

from __future__ import annotations

import numpy as np
import pytest

from fluxtrap.simulate import Case
from fluxtrap.simulate.adapt import halved, near, sample_times, shares
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
    fine, fs = sim.run_on_mesh(fine_mesh, 1e-3, False, None, times)
    coarse, cs = sim.run_on_mesh(
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


def probeless_pair(case):
    """A 2 mm mesh of ``case`` and its split (the conductors and their band halved), as the
    Sampled pair ``design`` takes, without probes or currents: (coarse mesh, fine mesh, pair)."""
    from fluxtrap.simulate.adapt import Sampled

    mesh = build_mesh(case, 2e-3)
    fine = split(mesh, near(case, mesh))
    empty = np.zeros((1, 0))
    pair = tuple(Sampled(m, np.where(m.region != AIR)[0], empty, empty) for m in (mesh, fine))
    return mesh, fine, pair


def test_design_grades_the_air_from_the_conductors_it_refines():
    """The air shrinks with the conductor elements next to it, beyond the band too: at most
    the nearest conductor element's new area x (1 + d / band)^2 at a distance d (the air left
    at the first mesh's size kept the probe of a fast ZFC loop 3 % off while the conductors'
    refinement was meant to reach 1 %), and never coarser than it was."""
    from scipy.spatial import cKDTree

    from fluxtrap.simulate.adapt import design
    from fluxtrap.simulate.mesh import band_width

    case = Case.from_dict(CASE)
    mesh, fine, pair = probeless_pair(case)
    cond = pair[0].conductor
    share = np.full((1, 1, len(cond)), 0.01)  # every element 1 % of the probe: refine them all
    plan = design(case, *pair, share, 0.01, 10**6)
    new_cond = plan.max_area[cond]
    assert np.all((new_cond > 0) & (new_cond < mesh.area[cond]))
    air = np.where(mesh.region == AIR)[0]
    d, k = cKDTree(mesh.centroid[cond]).query(mesh.centroid[air])
    bound = new_cond[k] * (1 + d / band_width(case)) ** 2
    got = plan.max_area[air]  # <= 0 would be no bound
    assert np.all((got > 0) & (got <= np.minimum(bound, mesh.area[air]) * (1 + 1e-12)))
    beyond = ~near(case, mesh)[air]
    assert np.any(got[beyond] < mesh.area[air[beyond]])  # not only the band


def test_a_capped_design_refines_less_and_does_not_end_the_run():
    """A pair whose estimate asks for 100x smaller errors (a first pair too coarse to be
    first order) is designed at the model's full count without a cap; capped (as
    ``Simulation.run`` caps a design growing more than ``MAX_GROWTH`` times), its mesh grows
    about the cap's share as much, and its design does not end the run as if at the size limit;
    one bound by the limit says so (``at_limit``)."""
    from fluxtrap.simulate.adapt import MAX_GROWTH, design

    case = Case.from_dict(CASE)
    mesh, fine, pair = probeless_pair(case)
    share = np.full((1, 1, len(pair[0].conductor)), 1.0)  # every element 100 % of the probe

    def growth(plan) -> float:
        coarse_next = refine(mesh, plan.max_area)
        return split(coarse_next, halved(case, coarse_next)).n_elements / fine.n_elements

    free = design(case, *pair, share, 0.01, 10**6)
    assert free.needed == free.count > 4 * MAX_GROWTH * fine.n_elements  # 100x by the model
    assert not free.at_limit
    assert growth(free) > 2 * MAX_GROWTH
    capped = design(case, *pair, share, 0.01, 10**6, cap=free.count / 8)
    assert capped.count <= free.count / 8 and not capped.at_limit
    assert growth(free) / 16 < growth(capped) < growth(free) / 4
    limited = design(case, *pair, share, 0.01, 2 * fine.n_elements)
    assert limited.at_limit and limited.count <= 2 * fine.n_elements


def test_the_time_error_run_gives_the_space_part_of_the_pair():
    """``time_error``'s run (the coarse mesh at every time of the fine run) takes the time
    part out of the pair's difference: its shares against the fine run add up to B_fine -
    B_steady at each sample time (the space part, which refining can cut), and B_steady -
    B_coarse is the time part it reports."""
    from fluxtrap.simulate.simulation import probe_errors, time_error

    case = Case.from_dict(CASE).with_options(rtol=4e-3)
    sim = Simulation(case)
    times = sample_times(case)
    coarse_mesh = build_mesh(case, 2e-3)
    fine_mesh = split(coarse_mesh, np.ones(coarse_mesh.n_elements, bool))
    fine, fs = sim.run_on_mesh(fine_mesh, 1e-3, False, None, times)
    ft = fine.probes.time_s.to_numpy()
    coarse, _ = sim.run_on_mesh(coarse_mesh, 2e-3, False, None, times, ft[2::2])
    part, space, _ = time_error(sim, coarse_mesh, 2e-3, coarse, ft, times)
    steady, _ = sim.run_on_mesh(coarse_mesh, 2e-3, False, None, times, ft[1:])
    scale = np.array([0.1, 0.05])
    share = shares(space, fs, scale)
    assert np.allclose(
        share.sum(axis=2), ((fs.G @ fs.J.T) - (space.G @ space.J.T)) / scale[:, None]
    )
    assert np.allclose(steady.probes.time_s, ft)
    relative = max(e["relative"] for e in probe_errors(steady, coarse).values())
    assert part == pytest.approx(relative) and part > 0


def test_a_graded_pair_halves_the_conductors_and_the_air_around_them():
    """``halved``: every conductor element and the air within PAIR_REACH stack extents of the
    stack (its part of the error must halve with the pair to show in the estimate), not the
    far air."""
    from fluxtrap.simulate.adapt import PAIR_REACH, halved

    case = Case.from_dict(CASE)
    mesh = build_mesh(case, 2e-3)
    marked = halved(case, mesh)
    c = mesh.centroid
    reach = PAIR_REACH * 6e-3  # the stack's extent: its 6 mm radius
    close = (c[:, 0] < 6e-3 + 0.6e-3 + reach) & (np.abs(c[:, 1] - 1.5e-3) < 1.5e-3 + 0.6e-3 + reach)
    assert np.all(marked[mesh.region != AIR]) and np.all(marked[near(case, mesh)])
    assert np.array_equal(marked[mesh.region == AIR], close[mesh.region == AIR])
    assert not marked.all()
    fine = split(mesh, marked)
    assert np.isclose(fine.area.sum(), mesh.area.sum(), rtol=1e-12)


def test_a_thin_wide_disk_halves_its_near_air_not_all_of_it():
    """A disk r 20 x 0.4 mm at 0.1 mm: 8.2 air elements within the reach per conductor element
    (its air graded over 40 mm of face; halving all of it made the bench's very thin disk's fine
    mesh 3.7x its coarse one, 100 369 elements, 559 s CPU). ``halved`` keeps every conductor
    element, the air within PAIR_DEPTH edges of its nearest conductor element and the
    AIR_PER_CONDUCTOR x (conductor elements) air elements nearest to them, and no more."""
    from scipy.spatial import cKDTree

    from fluxtrap.simulate.adapt import AIR_PER_CONDUCTOR, PAIR_DEPTH, PAIR_REACH, stack_extent

    disk = {**CASE["stack"][0], "radius": "20 mm", "thickness": "0.4 mm"}
    case = Case.from_dict({**CASE, "stack": [disk]})
    mesh = build_mesh(case, 0.1e-3)
    marked = halved(case, mesh)
    cond = mesh.region != AIR
    air = near(case, mesh, PAIR_REACH * stack_extent(case)) & ~cond
    assert marked[cond].all() and not marked[~air & ~cond].any()
    distance, nearest = cKDTree(mesh.centroid[cond]).query(mesh.centroid)
    deep = distance < PAIR_DEPTH * np.sqrt(4 / np.sqrt(3) * mesh.area[cond])[nearest]
    closest = np.sort(distance[air])[int(AIR_PER_CONDUCTOR * cond.sum()) - 1]
    assert np.array_equal(marked[air], (deep | (distance <= closest))[air])
    assert marked[air].sum() < 0.65 * air.sum()  # 14 480 of 24 097
    assert np.isclose(split(mesh, marked).area.sum(), mesh.area.sum(), rtol=1e-12)
