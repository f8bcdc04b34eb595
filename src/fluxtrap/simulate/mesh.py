"""Graded triangular mesh of the r-z half plane around a coaxial stack.

Built with ``triangle`` (Shewchuk's Triangle, a pip wheel): a constrained quality Delaunay mesh
takes the layer outlines as segments (so interfaces are mesh lines), a fine area bound in the
conductors, a medium one in a near-field box and none further out, where the quality bound
alone grades the elements up to the far boundary. gmsh would do the same with more setup.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import triangle

from fluxtrap.simulate.case import Case

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


def build_mesh(case: Case) -> Mesh:
    """Mesh for ``case``: element edge ~``case.mesh.size_m`` in the layers, graded air outside."""
    h = case.mesh.size_m
    r_st = max(x.radius_m for x in case.stack)
    z0, z1 = min(x.z_m for x in case.stack), max(x.top_m for x in case.stack)
    zc, extent = 0.5 * (z0 + z1), max(r_st, z1 - z0)
    outer = case.mesh.outer_m or 10.0 * extent
    outer = max(outer, 1.5 * max(r_st, 0.5 * (z1 - z0)))
    box = (outer, zc - outer, zc + outer)
    near = 0.25 * extent + 2 * h
    rects = [(0.0, x.z_m, x.radius_m, x.top_m) for x in case.stack]
    rects.append((0.0, z0 - near, r_st + near, z1 + near))
    rects.append((0.0, box[1], box[0], box[2]))

    # Unique vertices, and every rectangle side split at the vertices lying on it.
    corners = np.array([c for (a, b, c_, d) in rects for c in ((a, b), (c_, b), (c_, d), (a, d))])
    pts = np.unique(np.round(corners, 12), axis=0)
    segs = set()
    for a, b, c, d in rects:
        for p, q in (((a, b), (c, b)), ((c, b), (c, d)), ((a, d), (c, d)), ((a, b), (a, d))):
            p, q = np.array(p), np.array(q)
            d = pts - p
            t = d @ (q - p) / ((q - p) @ (q - p))
            on = np.abs((q - p)[0] * d[:, 1] - (q - p)[1] * d[:, 0]) < 1e-9 * ((q - p) @ (q - p))
            idx = np.where(on & (t > -1e-12) & (t < 1 + 1e-12))[0]
            idx = idx[np.argsort(t[idx])]
            segs.update(
                tuple(sorted((int(i), int(j)))) for i, j in zip(idx[:-1], idx[1:], strict=True)
            )
    fine_area = np.sqrt(3) / 4 * h**2
    regions = [
        [0.5 * (a + c), 0.5 * (b + d), k, fine_area] for k, (a, b, c, d) in enumerate(rects[:-2])
    ]
    a, b, c, d = rects[-2]
    gap = (0.5 * (r_st + c), 0.5 * (z1 + d))
    regions.append([gap[0], gap[1], len(rects) - 2, fine_area * 9])
    a, b, c, d = rects[-1]
    regions.append([0.5 * (rects[-2][2] + c), zc, len(rects) - 1, -1])
    out = triangle.triangulate(
        {"vertices": pts, "segments": np.array(sorted(segs)), "regions": np.array(regions)},
        "pq30Aa",
    )
    tri = out["triangles"].astype(np.int64)
    att = out["triangle_attributes"][:, 0].round().astype(int)
    region = np.where(att < len(case.stack), att, AIR)
    # orient counter-clockwise
    mesh = Mesh(out["vertices"], tri, region, box)
    flip = mesh.area < 0
    tri[flip] = tri[flip][:, [0, 2, 1]]
    return Mesh(out["vertices"], tri, region, box)
