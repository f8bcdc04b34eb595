"""Graded triangular mesh of the r-z half plane around a coaxial stack.

Built with ``triangle`` (Shewchuk's Triangle, a pip wheel): a constrained quality Delaunay mesh
takes the layer outlines as segments (so interfaces are mesh lines), a fine area bound in the
conductors and an air band around them, coarser ones in near-field boxes around that and none
further out, where the quality bound alone grades the elements up to the far boundary. gmsh would
do the same with more setup.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import triangle

from fluxtrap.simulate.case import Case
from fluxtrap.simulate.options import NEAR_BAND, mesh_elements, near_boxes, stack_bounds
from fluxtrap.simulate.topology import Cut, bore_points, cuts

AIR = -1  # region id of air; layers are 0..len(stack)-1


@dataclass(frozen=True, eq=False)
class Mesh:
    """Triangles of the half plane r >= 0.

    ``points`` (n_points, 2) as (r, z) in m; ``triangles`` (n_elements, 3) vertex indices,
    counter-clockwise; ``region`` (n_elements,) layer index or ``AIR``; ``box`` the outer
    boundary (r_max, z_min, z_max) in m.
    """

    points: np.ndarray
    triangles: np.ndarray
    region: np.ndarray
    box: tuple[float, float, float]

    @property
    def n_elements(self) -> int:
        return len(self.triangles)

    @property
    def area(self) -> np.ndarray:
        p = self.points[self.triangles]
        return 0.5 * (
            (p[:, 1, 0] - p[:, 0, 0]) * (p[:, 2, 1] - p[:, 0, 1])
            - (p[:, 2, 0] - p[:, 0, 0]) * (p[:, 1, 1] - p[:, 0, 1])
        )

    @property
    def centroid(self) -> np.ndarray:
        return self.points[self.triangles].mean(axis=1)

    def __repr__(self) -> str:
        n_cond = int(np.sum(self.region != AIR))
        return (
            f"Mesh({self.n_elements} triangles, {n_cond} in conductors, {len(self.points)} points, "
            f"outer boundary r <= {self.box[0] * 1e3:g} mm, {self.box[1] * 1e3:g} <= z <= {self.box[2] * 1e3:g} mm)"
        )


def stack_extent(case: Case) -> float:
    """The stack's larger dimension, max(radius, height), m."""
    return case.extent_m


def band_width(case: Case) -> float:
    """Width of the air band around the stack meshed like the conductors, m."""
    return NEAR_BAND * stack_extent(case)


def near_box(case: Case) -> tuple[float, float, float, float]:
    """(r0, z0, r1, z1), m: the air band around the stack, NEAR_BAND times its extent wide."""
    r_st, z0, z1, _ = stack_bounds(case.stack)
    band = band_width(case)
    return 0.0, z0 - band, r_st + band, z1 + band


def estimate_elements(case: Case, h: float) -> int:
    """Upper estimate of the element count of ``build_mesh(case, h)`` (``options.mesh_elements``:
    the count the case's check holds within ``[mesh] max_elements``)."""
    return mesh_elements(case.stack, h)


def build_mesh(case: Case, size_m: float | None = None) -> Mesh:
    """Mesh for ``case``: element edge ~``size_m`` (default ``case.mesh.size_m``) in the layers
    and the air band around them, coarser in a near-field box, graded air outside."""
    h = size_m or case.mesh.size_m
    r_st, z0, z1, extent = stack_bounds(case.stack)
    zc = 0.5 * (z0 + z1)
    outer = case.mesh.outer_m or 10.0 * extent
    outer = max(outer, 1.5 * max(r_st, 0.5 * (z1 - z0)))
    box = (outer, zc - outer, zc + outer)
    near = near_boxes(case.stack, h)
    rects = [(x.inner_radius_m, x.z_m, x.radius_m, x.top_m) for x in case.stack]
    rects += [b for b, _ in near]
    rects.append((0.0, box[1], box[0], box[2]))
    sides = [
        side
        for a, b, c, d in rects
        for side in (((a, b), (c, b)), ((c, b), (c, d)), ((a, d), (c, d)), ((a, b), (a, d)))
    ]
    sides += [((cut.r0_m, cut.z_m), (cut.r_m, cut.z_m)) for cut in cuts(case.stack)]

    # Unique vertices, and every side split at the vertices lying on it.
    pts = np.unique(np.round(np.array(sides).reshape(-1, 2), 12), axis=0)
    segs = set()
    for side in sides:
        p, q = np.array(side[0]), np.array(side[1])
        d = pts - p
        t = d @ (q - p) / ((q - p) @ (q - p))
        on = np.abs((q - p)[0] * d[:, 1] - (q - p)[1] * d[:, 0]) < 1e-9 * ((q - p) @ (q - p))
        idx = np.where(on & (t > -1e-12) & (t < 1 + 1e-12))[0]
        idx = idx[np.argsort(t[idx])]
        segs.update(tuple(sorted((int(i), int(j)))) for i, j in zip(idx[:-1], idx[1:], strict=True))
    fine_area = np.sqrt(3) / 4 * h**2
    n_layers = len(case.stack)
    regions = [
        [0.5 * (a + c), 0.5 * (b + d), k, fine_area]
        for k, (a, b, c, d) in enumerate(rects[:n_layers])
    ]
    # a seed point in each ring between consecutive boxes: beside the stack, at mid height
    inner_r = r_st
    for k, (ring, size) in enumerate(near):
        regions.append([0.5 * (inner_r + ring[2]), zc, n_layers + k, np.sqrt(3) / 4 * size**2])
        inner_r = ring[2]
    regions.append([0.5 * (inner_r + box[0]), zc, n_layers + len(near), -1])
    # the bore of each ring (open or closed off by disks, empty or around a disk) is meshed like
    # the band; the seed sits in its air a quarter up the ring
    regions += [[r, z, n_layers, fine_area] for r, z in bore_points(case.stack)]
    out = triangle.triangulate(
        {"vertices": pts, "segments": np.array(sorted(segs)), "regions": np.array(regions)},
        "pq30Aa",
    )
    tri = out["triangles"].astype(np.int64)
    region = _regions(out["vertices"][tri].mean(axis=1), case)
    # orient counter-clockwise
    flip = Mesh(out["vertices"], tri, region, box).area < 0
    tri[flip] = tri[flip][:, [0, 2, 1]]
    return Mesh(out["vertices"], tri, region, box)


def refine(mesh: Mesh, max_area: np.ndarray, ring_cuts: list[Cut] = ()) -> Mesh:
    """``mesh`` refined (never coarsened) so that element k's region gets elements of at most
    ``max_area[k]`` m^2 (<= 0: no bound); the layer outlines, the outer boundary and the
    ``ring_cuts`` stay mesh lines, every vertex stays (Triangle's ``-r``)."""
    tri = mesh.triangles
    edges = np.sort(np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]]), axis=1)
    owner = np.tile(mesh.region, 3)
    key = edges[:, 0] * len(mesh.points) + edges[:, 1]
    order = np.argsort(key, kind="stable")
    key, edges, owner = key[order], edges[order], owner[order]
    first = np.r_[True, key[1:] != key[:-1]]
    count = np.diff(np.r_[np.nonzero(first)[0], len(key)])
    # an edge is kept as a segment on the boundary (one triangle) or between two regions
    start = np.nonzero(first)[0]
    differs = np.zeros(len(start), bool)
    two = count == 2
    differs[two] = owner[start[two]] != owner[start[two] + 1]
    ends = mesh.points[edges[start]]  # (n_edges, 2, 2)
    on_cut = np.zeros(len(start), bool)
    for cut in ring_cuts:
        tol = 1e-9 * max(cut.r_m, 1e-3)
        r = ends[..., 0]
        on_cut |= np.all(
            (np.abs(ends[..., 1] - cut.z_m) < tol) & (r <= cut.r_m + tol) & (r >= cut.r0_m - tol),
            axis=1,
        )
    segs = edges[start[(count == 1) | differs | on_cut]]
    out = triangle.triangulate(
        {
            "vertices": mesh.points,
            "triangles": tri,
            "segments": segs,
            "triangle_attributes": mesh.region[:, None].astype(float),
            "triangle_max_area": np.where(max_area > 0, max_area, -1.0),
        },
        "rpq30aA",
    )
    new = out["triangles"].astype(np.int64)
    region = out["triangle_attributes"][:, 0].round().astype(int)
    flip = Mesh(out["vertices"], new, region, mesh.box).area < 0
    new[flip] = new[flip][:, [0, 2, 1]]
    return Mesh(out["vertices"], new, region, mesh.box)


def split(mesh: Mesh, marked: np.ndarray) -> Mesh:
    """``mesh`` with the ``marked`` triangles (boolean, n_elements) split into four at their edge
    midpoints (same shapes, half the size), closed conformingly: a triangle with two or three
    split edges is split too, one with a single split edge is halved through it (red-green
    refinement; by hand because Triangle's refinement does not nest its meshes)."""
    tri = mesh.triangles
    n = len(tri)
    local = np.sort(np.stack([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]], axis=1), axis=2)
    edges, index = np.unique(local.reshape(-1, 2), axis=0, return_inverse=True)
    index = index.reshape(n, 3)  # element edges 01, 12, 20
    red = marked.copy()
    while True:
        cut = np.zeros(len(edges), bool)
        cut[index[red].ravel()] = True
        more = ~red & (cut[index].sum(axis=1) >= 2)
        if not more.any():
            break
        red |= more
    mid = np.full(len(edges), -1)
    mid[cut] = len(mesh.points) + np.arange(cut.sum())
    points = np.concatenate([mesh.points, mesh.points[edges[cut]].mean(axis=1)])
    v0, v1, v2 = tri[red].T
    m01, m12, m20 = mid[index[red]].T
    parts = [
        np.stack([v0, m01, m20], 1),
        np.stack([m01, v1, m12], 1),
        np.stack([m20, m12, v2], 1),
        np.stack([m01, m12, m20], 1),
    ]
    regions = [mesh.region[red]] * 4
    green = ~red & cut[index].any(axis=1)
    for k in range(3):  # the split edge is local edge k: (k, k+1); the opposite vertex k+2
        g = green & cut[index[:, k]]
        a, b, c = (tri[g, (k + i) % 3] for i in range(3))
        m = mid[index[g, k]]
        parts += [np.stack([a, m, c], 1), np.stack([m, b, c], 1)]
        regions += [mesh.region[g]] * 2
    keep = ~red & ~green
    parts.append(tri[keep])
    regions.append(mesh.region[keep])
    return Mesh(points, np.concatenate(parts), np.concatenate(regions), mesh.box)


def _regions(centroid: np.ndarray, case: Case) -> np.ndarray:
    """Layer index of each triangle (its centroid (n, 2) inside the layer), else ``AIR``."""
    region = np.full(len(centroid), AIR)
    r, z = centroid[:, 0], centroid[:, 1]
    for k, x in enumerate(case.stack):
        region[(r > x.inner_radius_m) & (r < x.radius_m) & (z > x.z_m) & (z < x.top_m)] = k
    return region
