"""Where a mesh needs refining for the probes, from the difference of a coarse/fine pair.

The probes are Biot-Savart sums over the conductor elements (``probes.py``), so the change of a
probe between the coarse mesh and the fine one splits exactly into one share per coarse element:
the fine elements inside it minus the element itself, B_f - B_c = sum_k share_k (at each sample
time). With first-order convergence (J piecewise constant) region k adds about share_k x
(its new element size / its present one) to the fine mesh's error, so ``design`` sizes each region
as (area / share)^(1/3) (the fewest elements for a given sum of shares) and scales the sizes to the
accuracy target. The refined pair is then run and estimated like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from fluxtrap.simulate.case import Case
from fluxtrap.simulate.mesh import AIR, Mesh, band_width, near_box, stack_extent
from fluxtrap.simulate.options import BOX_DEPTH, SAMPLES

# A graded pair halves the conductors and the air within PAIR_REACH stack extents of them: of
# that air, the elements within PAIR_DEPTH edges of their nearest conductor element and the
# AIR_PER_CONDUCTOR x (conductor elements) nearest ones (``halved``)
PAIR_REACH = 1.0
PAIR_DEPTH = 16.0
AIR_PER_CONDUCTOR = 4.0
MIN_RATIO = 0.1  # a region's element size shrinks at most 10x per design (the shares are rough)
# A pair's fine mesh has at most about this many times the elements of the pair before it
# (``Simulation.run`` designs again, capped, past it): a first pair whose elements are too large
# for first-order convergence (a cylinder r 2 x 10 mm at 1 / 0.5 mm, estimate 9.4 %) asked for
# 89 412 elements (400 s CPU) where 18 655 met the target (25 s). The designs of the benchmark
# cases grow 2-11x.
MAX_GROWTH = 16.0


@dataclass(frozen=True)
class Sampled:
    """A run seen by the probes: ``mesh`` with its ``conductor`` elements, the probe matrix
    ``G`` (n_probes, n_conductor; T per A/m^2) and J (A/m^2) at the sample times,
    ``J`` (n_samples, n_conductor)."""

    mesh: Mesh
    conductor: np.ndarray
    G: np.ndarray
    J: np.ndarray


def sample_times(case: Case) -> np.ndarray:
    """The protocol step ends and ``SAMPLES`` evenly spread times (s), sorted."""
    from fluxtrap.simulate.case import states, step_duration

    ends = np.cumsum(
        [0.0]
        + [
            step_duration(s, a)
            for s, a in zip(case.protocol[1:], states(case.protocol), strict=False)
        ]
    )
    return np.unique(np.concatenate([ends, np.linspace(0.0, ends[-1], SAMPLES + 1)]))


def locate(mesh: Mesh, elements: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Index into ``elements`` (triangles of ``mesh``) of the triangle holding each point ``xy``
    (n, 2); a point in none of the 12 nearest by centroid goes to the nearest."""
    p = mesh.points[mesh.triangles[elements]]
    k = min(12, len(elements))
    _, near = cKDTree(p.mean(axis=1)).query(xy, k=k)
    near = near.reshape(len(xy), k)
    a, b, c = (p[near, i] for i in range(3))
    v0, v1, v2 = b - a, c - a, xy[:, None, :] - a
    den = v0[..., 0] * v1[..., 1] - v1[..., 0] * v0[..., 1]
    s = (v2[..., 0] * v1[..., 1] - v1[..., 0] * v2[..., 1]) / den
    t = (v0[..., 0] * v2[..., 1] - v2[..., 0] * v0[..., 1]) / den
    inside = (s >= -1e-9) & (t >= -1e-9) & (s + t <= 1 + 1e-9)
    first = np.where(inside.any(axis=1), inside.argmax(axis=1), 0)
    return near[np.arange(len(xy)), first]


def shares(coarse: Sampled, fine: Sampled, scale: np.ndarray) -> np.ndarray:
    """Each coarse conductor element's share of B_fine - B_coarse, (n_probes, n_samples,
    n_coarse_conductor), relative to each probe's ``scale`` (T)."""
    parent = locate(coarse.mesh, coarse.conductor, fine.mesh.centroid[fine.conductor])
    out = coarse.G[:, None, :] * -coarse.J[None, :, :]
    for p in range(len(fine.G)):
        for s in range(len(fine.J)):
            out[p, s] += np.bincount(parent, fine.G[p] * fine.J[s], minlength=out.shape[2])
    return out / scale[:, None, None]


@dataclass(frozen=True)
class Design:
    """Refinement of a pair's coarse mesh: ``max_area`` per element (m^2, -1 = as is),
    ``needed``, the predicted element count of a fine mesh meeting the target, ``count``, that
    of this design, and ``at_limit``: ``needed`` is over the size limit, so ``max_area`` is
    coarser and no later design can be finer (under a growth ``cap`` the next pair designs
    again). ``first_order``: ``needed`` for the target whatever the pairs it takes, past the
    ``MIN_RATIO`` a design refines at most (elements x (predicted error / target)^2 there)."""

    max_area: np.ndarray
    needed: int
    count: int
    at_limit: bool
    first_order: int


def error_model(share: np.ndarray) -> Callable[[np.ndarray], float]:
    """The relative error a pair is predicted to show once each coarse conductor element's
    edge is scaled by ``ratio`` (n,) (first order: its share scales with the edge): the largest
    over probes and sample times of the summed |share| x ratio, times how much the signed shares
    cancel (their largest signed sum over their largest |sum|, as on the pair just run)."""
    magnitude = np.abs(share)
    cancel = np.abs(share.sum(axis=2)).max() / max(magnitude.sum(axis=2).max(), 1e-300)
    return lambda ratio: cancel * float((magnitude * ratio).sum(axis=2).max())


def design(
    case: Case,
    coarse: Sampled,
    fine: Sampled,
    share: np.ndarray,
    target: float,
    limit: int,
    cap: float | None = None,
) -> Design:
    """Element sizes for the next pair's coarse mesh (refining ``coarse.mesh``) whose fine mesh
    should meet ``target`` (relative error) with at most ``limit`` elements, and ``cap`` by the
    model's count if given (then coarser)."""
    mesh = coarse.mesh
    area = mesh.area[coarse.conductor]
    eta = np.abs(share).max(axis=(0, 1)) + 1e-300
    predicted = error_model(share)
    base = area ** (-1.0 / 6.0) * eta ** (-1.0 / 3.0)
    per_coarse = np.bincount(
        locate(mesh, coarse.conductor, fine.mesh.centroid[fine.conductor]),
        minlength=len(area),
    )
    air_factor = fine.mesh.n_elements / max(len(fine.conductor), 1)

    def ratio(alpha: float) -> np.ndarray:
        return np.clip(alpha * base, MIN_RATIO, 1.0)

    def error(alpha: float) -> float:
        return predicted(ratio(alpha))

    def count(alpha: float) -> int:
        return int(air_factor * np.sum(np.maximum(per_coarse, 1) / ratio(alpha) ** 2))

    lo, hi = 1e-12 / base.max(), 1.0 / base.min()  # ratio(lo) = MIN_RATIO, ratio(hi) = 1
    for _ in range(60):
        mid = np.sqrt(lo * hi)
        if error(mid) > target:
            hi = mid
        else:
            lo = mid
    alpha = lo
    needed = count(alpha)
    first_order = int(needed * max(error(alpha) / target, 1.0) ** 2)
    bound = limit if cap is None else min(limit, cap)
    while count(alpha) > bound and alpha < 1.0 / base.min():
        alpha *= 1.1
    f = ratio(alpha)
    max_area = np.full(mesh.n_elements, -1.0)
    max_area[coarse.conductor] = area * f**2
    # The air shrinks with its nearest conductor element: its target area there, growing as
    # (1 + d / w)^2 with the distance d, as ``build_mesh`` grades it: w the band (the conductors'
    # area in the band, 4x at its edge), or BOX_DEPTH of those elements where that is less (a
    # thin wide disk's design graded over its 2 mm band asked for 150 092 elements where its
    # first pair had 27 145). Air left at the first mesh's size kept the probes off by what the
    # conductors' refinement was meant to remove. Never coarser than it is.
    air = np.where(mesh.region == AIR)[0]
    distance, nearest = cKDTree(mesh.centroid[coarse.conductor]).query(mesh.centroid[air])
    target = max_area[coarse.conductor][nearest]
    edge = np.sqrt(4 / np.sqrt(3) * target)
    graded = target * (1 + distance / np.minimum(band_width(case), BOX_DEPTH * edge)) ** 2
    # A bound equal to an element's own area (the conductors at ratio 1, the air the grading
    # leaves) makes Triangle split about half of such elements (rounding: the paper case's
    # scout mesh goes 395 -> 601 elements with every bound at its own area). That splitting is
    # part of the design's margin: without it the final pairs had 7-17 % fewer elements (paper
    # case 2446 -> 2026, bench ZFC loop 2171 -> 2014), but three of the eight cases of
    # ``bench_accuracy.py`` missed and ran a third pair and the tall cylinder's design refined
    # nothing (58 s CPU instead of 40 s); a 1.3x margin on the target instead cost 48 s.
    max_area[air] = np.minimum(mesh.area[air], graded)
    return Design(max_area, needed, count(alpha), needed > bound == limit, first_order)


def near(case: Case, mesh: Mesh, reach: float = 0.0) -> np.ndarray:
    """Boolean (n_elements,): the conductor elements and the air ones in the band around them,
    widened by ``reach`` (m) on every open side."""
    _, z0, r1, z1 = near_box(case)
    c = mesh.centroid
    inside = (c[:, 0] < r1 + reach) & (c[:, 1] > z0 - reach) & (c[:, 1] < z1 + reach)
    return (mesh.region != AIR) | inside


def halved(case: Case, mesh: Mesh) -> np.ndarray:
    """Boolean (n_elements,): the elements a graded pair's fine mesh splits, the conductors and
    the air within ``PAIR_REACH`` stack extents of them (so the air's part of the error halves
    with the conductors' and shows in the estimate; beyond, the field is smooth: halving all of
    it doubled the cost of the bench's slowest case, made the estimate 1-4x pessimistic, and
    moved no probe by more than that); of that air only the elements within ``PAIR_DEPTH`` edges
    of their nearest conductor element and the ``AIR_PER_CONDUCTOR`` x (conductor elements)
    nearest to the conductors. The cases of ``bench/bench_accuracy.py`` and the paper case halve
    0.5-3.7 air elements per conductor element, all of their air within the reach; a very thin
    wide disk (r 20 x 0.4 mm), whose design grades its air at 1/``BOX_DEPTH`` from 0.09 mm
    elements over 40 mm of face, had 10 per conductor element (22 287 to 2196) and its fine
    mesh 3.7x its coarse one (100 369 elements, 559 s CPU); halving 9350 of them (62 323
    elements, 214 s) moved its estimates and true errors by under 0.05 % of the self-field.
    The depth keeps the near air of a coarse mesh whose few conductor elements leave it many
    air elements each (the ring FCM of ``tests/physics/test_simulate_accuracy.py``: 26 with 12.8
    each, all within 11 edges; capped by count alone its final estimate fell from 3.3x to 0.22x
    the true error)."""
    marked = near(case, mesh, PAIR_REACH * stack_extent(case))
    conductor = mesh.region != AIR
    air = np.where(marked & ~conductor)[0]
    most = int(AIR_PER_CONDUCTOR * conductor.sum())
    if len(air) > most:
        distance, nearest = cKDTree(mesh.centroid[conductor]).query(mesh.centroid[air])
        edge = np.sqrt(4 / np.sqrt(3) * mesh.area[conductor])[nearest]
        rank = np.empty(len(air), dtype=int)
        rank[np.argsort(distance, kind="stable")] = np.arange(len(air))
        marked[air[(distance >= PAIR_DEPTH * edge) & (rank >= most)]] = False
    return marked
