"""The topology of the air around a stack with rings: which conductors leave holes, and the cuts.

In the H-phi formulation H = grad(phi) in air. A group of touching layers that does not reach
the axis (a ring, or rings stacked on each other) is a hole in the air region of the r-z half
plane: around it the circulation of H is the group's net current, so phi cannot be single
valued. Each such group gets a *cut*: a horizontal segment from the axis to the group's inner
face, across which phi jumps by one extra unknown per group (the thin-cut cohomology basis
function of ``cut_field``). The air minus the cuts is simply connected, so grad(phi) plus these
jumps spans exactly the curl-free fields in air, and the jump equals the group's net current.

Air pockets closed off from the outer boundary (a ring between two disks) carry an arbitrary
constant of phi; ``enclosed_nodes`` names one node per pocket, which the solver holds fixed.

Layers never share a height (``Case`` refuses overlaps in z), so a horizontal segment at a
height inside one layer meets no other conductor on its way to the axis.
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
    """The cut of a hole: the segment from (0, ``z_m``) to (``r_m``, ``z_m``) (m), ending on the
    inner face of layer ``layer`` (index into the stack); ``group`` the layers of the hole."""

    z_m: float
    r_m: float
    layer: int
    group: tuple[int, ...]


def _touch(a: Layer, b: Layer) -> float | None:
    """Length (m) of the face two layers share (stacked on each other), None if they do not meet;
    0.0 if they meet only at a corner."""
    if min(abs(a.top_m - b.z_m), abs(b.top_m - a.z_m)) > TOL:
        return None
    overlap = min(a.radius_m, b.radius_m) - max(a.inner_radius_m, b.inner_radius_m)
    if overlap < -TOL:
        return None
    return max(overlap, 0.0) if overlap > TOL else 0.0


def groups(stack: tuple[Layer, ...]) -> list[tuple[int, ...]]:
    """Indices of the layers of each group of touching layers (sharing a face), bottom first.

    Raises ``ValidationError`` for layers that meet only at a corner: the air would pinch to a
    point there, which the mesh cannot resolve."""
    n = len(stack)
    links = []
    for i in range(n):
        for j in range(i):
            t = _touch(stack[i], stack[j])
            if t == 0.0:
                raise ValidationError(
                    f"stack[{j}] and stack[{i}] meet only at a corner (their radii "
                    f"{stack[j].inner_radius_m * 1e3:g}..{stack[j].radius_m * 1e3:g} mm and "
                    f"{stack[i].inner_radius_m * 1e3:g}..{stack[i].radius_m * 1e3:g} mm end where "
                    "the other begins); let them overlap in r or leave a gap in z"
                )
            if t is not None:
                links.append((i, j))
    rows, cols = zip(*links, strict=True) if links else ((), ())
    graph = sp.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    return [
        tuple(np.where(label == g)[0].tolist()) for g in sorted(set(label), key=list(label).index)
    ]


def cuts(stack: tuple[Layer, ...]) -> list[Cut]:
    """One cut per group of layers that does not reach the axis, at mid height of its thickest
    layer (no other layer is at that height)."""
    out = []
    for group in groups(stack):
        if any(not stack[i].is_ring for i in group):
            continue
        k = max(group, key=lambda i: stack[i].thickness_m)
        layer = stack[k]
        out.append(Cut(layer.z_m + 0.5 * layer.thickness_m, layer.inner_radius_m, k, group))
    return out


def cut_field(points: np.ndarray, edges: np.ndarray, air_edge: np.ndarray, cut: Cut) -> np.ndarray:
    """Edge values (n_edges,) of the unit jump across ``cut``: the gradient of psi, psi = 1 on
    the cut's nodes seen from above and 0 at every other node, on the air edges from a cut node
    to a node above it; 0 elsewhere. Curl-free in every air element, circulation 1 around the
    hole. ``points`` (n_points, 2) (r, z) in m; ``edges`` (n_edges, 2) vertex indices (low,
    high, the direction of a positive edge value); ``air_edge`` (n_edges,) bool."""
    r, z = points[:, 0], points[:, 1]
    scale = max(cut.r_m, 1e-3)
    on_cut = (np.abs(z - cut.z_m) <= 1e-9 * scale) & (r <= cut.r_m * (1 + 1e-9))
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
