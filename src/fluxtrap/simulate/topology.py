"""The topology of the air around a stack with rings: which conductors leave holes, and the cuts.

In the H-phi formulation H = grad(phi) in air. A group of touching layers that does not reach
the axis (a ring, or rings stacked on each other) is a hole in the air region of the r-z half
plane: around it the circulation of H is the group's net current, so phi cannot be single
valued. Each such group gets a *cut*: a horizontal segment through air from the group's inner
face inwards, to the axis or to the outer face of a conductor that is itself tied to the axis
(a disk inside the ring at the same height, or an inner ring with its own cut), across which
phi jumps by one extra unknown per group (the thin-cut cohomology basis function of
``cut_field``). The cuts tie every hole to the axis, where phi is free, so the air minus the cuts
is simply connected and grad(phi) plus these jumps spans exactly the curl-free fields in air.
The jump across a cut is the net current of its group plus those of the groups whose cuts end
on it (a loop around one ring crosses its own cut and the cuts that end on it).

Air pockets closed off from the outer boundary (a ring between two disks) carry an arbitrary
constant of phi; ``enclosed_nodes`` names one node per pocket, which the solver holds fixed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from fluxtrap.errors import ValidationError
from fluxtrap.simulate.geometry import Layer

TOL = 1e-12  # m: faces closer than this touch


@dataclass(frozen=True)
class Cut:
    """The cut of a hole: the segment from (``r0_m``, ``z_m``) to (``r_m``, ``z_m``) (m), ending
    on the inner face of layer ``layer`` (index into the stack); ``group`` the layers of the
    hole. It starts on the axis (``r0_m`` = 0) or on the outer face of layer ``inside`` (a
    conductor at the same height, inside the hole)."""

    z_m: float
    r_m: float
    layer: int
    group: tuple[int, ...]
    r0_m: float = 0.0
    inside: int | None = None


def _overlaps(stack: tuple[Layer, ...]) -> np.ndarray:
    """(n, n) length (m) of the face each two layers share (stacked on each other, or one around
    the other at the same height); -inf where they do not meet, about 0 (within ``TOL``) where
    they meet only at a corner. Every pair at once (the pairwise Python loop took 0.6-2 s for
    the ``MAX_LAYERS`` = 1000 a stack may hold)."""
    z = np.array([x.z_m for x in stack], float)
    top = np.array([x.top_m for x in stack], float)
    r = np.array([x.radius_m for x in stack], float)
    r_in = np.array([x.inner_radius_m for x in stack], float)
    a, b = np.s_[:, None], np.s_[None, :]
    horizontal = np.minimum(np.abs(top[a] - z[b]), np.abs(top[b] - z[a])) <= TOL
    vertical = np.minimum(np.abs(r[a] - r_in[b]), np.abs(r[b] - r_in[a])) <= TOL
    across = np.minimum(r[a], r[b]) - np.maximum(r_in[a], r_in[b])
    along = np.minimum(top[a], top[b]) - np.maximum(z[a], z[b])
    overlap = np.where(horizontal, across, np.where(vertical, along, -np.inf))
    return np.where(overlap < -TOL, -np.inf, overlap)


def groups(stack: tuple[Layer, ...]) -> list[tuple[int, ...]]:
    """Indices of the layers of each group of touching layers (sharing a face), bottom first.

    Raises ``ValidationError`` for layers that meet only at a corner: the air would pinch to a
    point there, which the mesh cannot resolve."""
    n = len(stack)
    if n == 0:
        return []
    overlap = np.tril(_overlaps(stack), k=-1)  # pairs j < i, each once
    corner = np.argwhere(np.isfinite(overlap) & (overlap <= TOL) & np.tri(n, k=-1, dtype=bool))
    if len(corner):
        i, j = (int(k) for k in corner[0])  # the first pair (i, then j) the loop had named
        raise ValidationError(
            f"stack[{j}] and stack[{i}] meet only at a corner (their radii "
            f"{stack[j].inner_radius_m * 1e3:g}..{stack[j].radius_m * 1e3:g} mm and "
            f"{stack[i].inner_radius_m * 1e3:g}..{stack[i].radius_m * 1e3:g} mm end where "
            "the other begins); let them overlap in r or leave a gap in z"
        )
    graph = sp.coo_matrix(overlap > TOL, shape=(n, n))
    _, label = connected_components(graph, directed=False)
    _, first = np.unique(label, return_index=True)  # each group's lowest index
    order = np.argsort(label, kind="stable")
    parts = np.split(order, np.cumsum(np.bincount(label))[:-1])
    return [tuple(parts[label[k]].tolist()) for k in np.sort(first)]


def _spans(layer: Layer, z: float) -> bool:
    """Whether height ``z`` (m) is strictly inside ``layer``."""
    return layer.z_m + TOL < z < layer.top_m - TOL


def _cut_at(stack: tuple[Layer, ...], group: tuple[int, ...], k: int) -> Cut:
    """The cut of ``group`` in its layer ``k``: at mid height of the longest stretch of the layer
    that no other layer's face crosses (the layer's mid height when none does), from the group's
    innermost face at that height inwards to the axis or to the next conductor's outer face."""
    x = stack[k]
    faces = sorted({f for y in stack for f in (y.z_m, y.top_m) if x.z_m + TOL < f < x.top_m - TOL})
    ends = [x.z_m, *faces, x.top_m]
    lo, hi = max(zip(ends[:-1], ends[1:], strict=True), key=lambda s: s[1] - s[0])
    z = 0.5 * (lo + hi)
    start = min((i for i in group if _spans(stack[i], z)), key=lambda i: stack[i].inner_radius_m)
    r = stack[start].inner_radius_m
    below = [
        i for i, y in enumerate(stack) if _spans(y, z) and y.radius_m <= r + TOL and i not in group
    ]
    inside = max(below, key=lambda i: stack[i].radius_m, default=None)
    return Cut(z, r, start, group, stack[inside].radius_m if inside is not None else 0.0, inside)


def cuts(stack: tuple[Layer, ...]) -> list[Cut]:
    """One cut per group of layers that does not reach the axis, bottom group first: in its
    thickest layer whose cut ends on the axis, else in its thickest layer whose cut ends on a
    conductor already tied to the axis (a disk's group, or a ring group with its cut).

    Groups are tied in the order of their smallest inner radius, so every group has such a
    layer: in the layer with that radius, whatever lies inside at the same height has a smaller
    inner radius, so it is a disk or belongs to a group tied before."""
    all_groups = groups(stack)
    group_of = {i: g for g in all_groups for i in g}
    tied = {g for g in all_groups if any(not stack[i].is_ring for i in g)}  # reach the axis
    chosen = {}
    holes = sorted(
        (g for g in all_groups if g not in tied),
        key=lambda g: min(stack[i].inner_radius_m for i in g),
    )
    for g in holes:
        options = [_cut_at(stack, g, k) for k in sorted(g, key=lambda i: -stack[i].thickness_m)]
        ok = [c for c in options if c.inside is None or group_of[c.inside] in tied]
        chosen[g] = min(ok, key=lambda c: c.inside is not None)  # the first to the axis if any
        tied.add(g)
    return [chosen[g] for g in all_groups if g in chosen]


def bore_points(stack: tuple[Layer, ...]) -> list[tuple[float, float]]:
    """A point (r, z) in m in the air of each ring's bore, a quarter up the ring, between its
    inner face and the axis or the conductor inside it (a mesh seeds the bore's air there)."""
    out = []
    for x in stack:
        if x.is_ring:
            z = x.z_m + 0.25 * x.thickness_m
            inside = [y.radius_m for y in stack if _spans(y, z) and y.radius_m <= x.inner_radius_m]
            out.append((0.5 * (max(inside, default=0.0) + x.inner_radius_m), z))
    return out


def cut_field(points: np.ndarray, edges: np.ndarray, air_edge: np.ndarray, cut: Cut) -> np.ndarray:
    """Edge values (n_edges,) of the unit jump across ``cut``: the gradient of psi, psi = 1 on
    the cut's nodes seen from above and 0 at every other node, on the air edges from a cut node
    to a node above it; 0 elsewhere. Curl-free in every air element, circulation 1 around the
    hole. ``points`` (n_points, 2) (r, z) in m; ``edges`` (n_edges, 2) vertex indices (low,
    high, the direction of a positive edge value); ``air_edge`` (n_edges,) bool."""
    r, z = points[:, 0], points[:, 1]
    scale = max(cut.r_m, 1e-3)
    on_cut = (
        (np.abs(z - cut.z_m) <= 1e-9 * scale)
        & (r <= cut.r_m + 1e-9 * scale)
        & (r >= cut.r0_m - 1e-9 * scale)
    )
    above = z > cut.z_m + 1e-9 * scale
    i, j = edges[:, 0], edges[:, 1]
    value = np.zeros(len(edges))
    value[on_cut[i] & above[j]] = -1.0  # psi(j) - psi(i) = 0 - 1
    value[on_cut[j] & above[i]] = 1.0
    value[~air_edge] = 0.0
    if not np.any(on_cut[i] | on_cut[j]):
        raise ValueError(f"the mesh has no nodes on the cut at z = {cut.z_m} m")
    return value


def enclosed_nodes(
    triangles: np.ndarray, air: np.ndarray, n_points: int, on_box: np.ndarray
) -> np.ndarray:
    """One air node (index) per connected air region that does not reach the outer boundary.

    ``triangles`` (n_elements, 3); ``air`` (n_elements,) bool; ``on_box`` (n_points,) bool."""
    t = triangles[air]
    a = np.concatenate([t[:, 0], t[:, 1], t[:, 2]])
    b = np.concatenate([t[:, 1], t[:, 2], t[:, 0]])
    graph = sp.coo_matrix((np.ones(len(a)), (a, b)), shape=(n_points, n_points))
    _, label = connected_components(graph, directed=False)
    is_air = np.zeros(n_points, bool)
    is_air[t.ravel()] = True
    open_labels = set(label[on_box & is_air].tolist())
    out = []
    for g in sorted(set(label[is_air].tolist()) - open_labels):
        out.append(int(np.where(is_air & (label == g))[0][0]))
    return np.array(out, dtype=np.int64)
