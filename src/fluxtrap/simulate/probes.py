"""Fields of the computed currents by Biot-Savart (exact for the piecewise-constant J_phi).

Edge elements give poor point values of H, worst on material interfaces where Hall probes sit;
the currents themselves converge well. So probe values and field maps are the free-space field
of the element currents (coaxial loops) plus the applied field:

- on the axis, the loop field integrates in closed form over z (u / sqrt(rho^2 + u^2)), leaving a
  smooth integral over rho done by Gauss-Legendre on the pieces where the triangle's z-extent is
  linear: exact to rounding for axis probes at element vertices, ~1e-5 relative elsewhere;
- off the axis, the loop field with complete elliptic integrals (scipy.special.ellipk/ellipe) is
  integrated with a 6-point rule, on 64 sub-triangles for elements near the point.

Each function returns a matrix G such that B = G @ J (+ applied), J in A/m^2 per element, B in T.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import ellipe, ellipk

from fluxtrap.simulate.fem import _QB, _QW
from fluxtrap.units import MU0

_GL_X, _GL_W = np.polynomial.legendre.leggauss(16)


def loop_field(
    a: np.ndarray, zs: np.ndarray, r: np.ndarray, z: np.ndarray, core2: np.ndarray | float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """(B_r, B_z) in T per A of a coaxial loop of radius ``a`` (m) at height ``zs`` (m), at (r, z).

    Arguments broadcast. On the axis (r = 0) B_r = 0. ``core2`` (m^2) > 0 spreads the loop's
    current over a core of about that squared radius: the 1/d near field becomes d/(d^2 + core2),
    changing the far field by O(core2/d^2) (a regularised Biot-Savart kernel).
    """
    u = z - zs
    alpha2 = (a - r) ** 2 + u**2 + core2
    beta2 = (a + r) ** 2 + u**2
    beta = np.sqrt(beta2)
    m = np.clip(4 * a * r / np.where(beta2 > 0, beta2, 1.0), 0.0, 1.0 - 1e-16)
    K, E = ellipk(m), ellipe(m)
    alpha2 = np.maximum(alpha2, 1e-300)
    c = MU0 / (2 * np.pi)
    bz = c / beta * (K + (a**2 - r**2 - u**2) / alpha2 * E)
    with np.errstate(divide="ignore", invalid="ignore"):
        br = np.where(
            r > 0,
            c * u / (np.where(r > 0, r, 1.0) * beta) * (-K + (a**2 + r**2 + u**2) / alpha2 * E),
            0.0,
        )
    return br, bz


def axis_matrix(points: np.ndarray, triangles: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Bz on the axis at heights ``z`` (n_z,) from unit J in each triangle: (n_z, n_triangles), T/(A/m^2).
    ``z`` may be complex (the field continued off the real axis, closer to it than any current:
    ``bore.axis_coefficients`` takes Taylor coefficients from it); the matrix is then complex."""
    p = points[triangles]  # (ne, 3, 2)
    order = np.argsort(p[:, :, 0], axis=1)
    p = np.take_along_axis(p, order[:, :, None], axis=1)
    (r0, z0), (r1, z1), (r2, z2) = (p[:, i].T for i in range(3))
    z = np.asarray(z)
    z = z.astype(complex if np.iscomplexobj(z) else float)[:, None, None]

    def piece(ra, rb, za_long, zb_long, za_short, zb_short):
        # rho in [ra, rb]; lines from (ra, za_*) to (rb, zb_*)
        half = 0.5 * (rb - ra)
        rho = 0.5 * (ra + rb)[:, None] + half[:, None] * _GL_X[None, :]  # (ne, q)
        t = (_GL_X[None, :] + 1) * 0.5
        zl = za_long[:, None] + t * (zb_long - za_long)[:, None]
        zs = za_short[:, None] + t * (zb_short - za_short)[:, None]
        hi, lo = np.maximum(zl, zs), np.minimum(zl, zs)

        def F(uu):
            d = np.sqrt(rho**2 + uu**2)
            if np.iscomplexobj(uu):  # off the real axis: d != 0
                return uu / d
            return np.divide(uu, d, out=np.sign(uu), where=d > 0)

        g = F(hi[None] - z) - F(lo[None] - z)
        return (g * _GL_W[None, None, :]).sum(-1) * half[None, :]

    zmid = z0 + (z2 - z0) * np.divide(r1 - r0, r2 - r0, out=np.zeros_like(r0), where=r2 > r0)
    total = piece(r0, r1, z0, zmid, z0, z1) + piece(r1, r2, zmid, z2, z1, z2)
    return 0.5 * MU0 * total


def _subdivide(p: np.ndarray, levels: int) -> np.ndarray:
    """Split triangles (n, 3, 2) into 4**levels each (midpoint refinement)."""
    for _ in range(levels):
        m01, m12, m20 = (p[:, 0] + p[:, 1]) / 2, (p[:, 1] + p[:, 2]) / 2, (p[:, 2] + p[:, 0]) / 2
        p = np.concatenate(
            [
                np.stack(x, 1)
                for x in (
                    (p[:, 0], m01, m20),
                    (m01, p[:, 1], m12),
                    (m20, m12, p[:, 2]),
                    (m01, m12, m20),
                )
            ]
        )
    return p


def _quad(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quadrature points (r, z) and weights of the 6-point rule on triangles (n, 3, 2): (n, 6) each."""
    area = 0.5 * np.abs(
        (p[:, 1, 0] - p[:, 0, 0]) * (p[:, 2, 1] - p[:, 0, 1])
        - (p[:, 2, 0] - p[:, 0, 0]) * (p[:, 1, 1] - p[:, 0, 1])
    )
    q = np.einsum("qi,nid->nqd", _QB, p)
    return q[..., 0], q[..., 1], _QW[None, :] * area[:, None]


def field_matrix(
    points: np.ndarray,
    triangles: np.ndarray,
    where: np.ndarray,
    near_factor: float = 2.0,
    levels: int = 3,
    far_factor: float = np.inf,
    smooth: bool = False,
    chunk: int = 2**19,
) -> tuple[np.ndarray, np.ndarray]:
    """(G_r, G_z), each (n_points, n_triangles): B at ``where`` (n_points, 2) as (r, z) from unit J.

    Elements within ``near_factor`` diameters of a point use the 6-point rule on 4**``levels``
    sub-triangles, those beyond ``far_factor`` diameters one point at the centroid, the rest the
    6-point rule. ``smooth`` spreads the current of each near (sub-triangle) quadrature point over
    a disc of its weight's area (``loop_field``'s ``core2``), so a point next to a quadrature node
    gets no spike. The defaults (every element at least 6 points, 64 sub-triangles near) serve
    probes; ``MAP_QUALITY`` serves pictures (``bench/bench_outputs.py``: its error and speed).
    ``chunk``: quadrature-point pairs evaluated at once (the points go in batches of that many
    over the elements' points), which bounds the temporaries' memory.
    """
    where = np.atleast_2d(np.asarray(where, float))
    p = points[triangles]
    qr, qz, qw = _quad(p)  # (ne, 6)
    centre = p.mean(axis=1)
    diam = np.max(np.linalg.norm(p - centre[:, None], axis=-1), axis=1)
    area = qw.sum(axis=1)
    Gr = np.empty((len(where), len(triangles)))
    Gz = np.empty_like(Gr)
    one_point = np.isfinite(far_factor)
    # points per batch: about ``chunk`` quadrature-point pairs at once (256 points per batch on
    # 26 000 elements held 40 M pairs and their temporaries: 1000 probes peaked at 7.4 GB)
    chunk = max(1, chunk // (qw.size if not one_point else len(triangles)))
    for s in range(0, len(where), chunk):
        w = where[s : s + chunk, :, None, None]
        if one_point:
            br, bz = loop_field(centre[None, :, 0], centre[None, :, 1], w[:, 0, 0], w[:, 1, 0])
            Gr[s : s + chunk], Gz[s : s + chunk] = br * area, bz * area
        else:
            br, bz = loop_field(qr[None], qz[None], w[:, 0], w[:, 1])
            Gr[s : s + chunk] = (br * qw[None]).sum(-1)
            Gz[s : s + chunk] = (bz * qw[None]).sum(-1)
    dist = np.hypot(where[:, 0, None] - centre[:, 0], where[:, 1, None] - centre[:, 1]) / diam
    if one_point:
        ip, ie = np.nonzero((dist >= near_factor) & (dist < far_factor))
        br, bz = loop_field(qr[ie], qz[ie], where[ip, 0, None], where[ip, 1, None])
        Gr[ip, ie], Gz[ip, ie] = (br * qw[ie]).sum(-1), (bz * qw[ie]).sum(-1)
    ip, ie = np.nonzero(dist < near_factor + 1e-12)
    k = 4**levels
    step = max(1, 2**16 // k)  # pairs per batch: bounded memory, ~2**16 sub-triangles
    for s in range(0, len(ip), step):
        jp, je = ip[s : s + step], ie[s : s + step]
        sub = _subdivide(p[je], levels).reshape(k, len(je), 3, 2).transpose(1, 0, 2, 3)
        sr, sz, sw = (x.reshape(len(je), -1) for x in _quad(sub.reshape(-1, 3, 2)))
        br, bz = loop_field(
            sr, sz, where[jp, 0, None], where[jp, 1, None], sw / np.pi if smooth else 0.0
        )
        Gr[jp, je], Gz[jp, je] = (br * sw).sum(-1), (bz * sw).sum(-1)
    return Gr, Gz


MAP_QUALITY = {"near_factor": 1.0, "levels": 2, "far_factor": 4.0, "smooth": True}


# probe-element entries of one batch of ``probe_matrix``: its temporaries are a few arrays of
# this many (16 per entry on the axis: its quadrature), about 16-128 MB each. Built whole, 1000
# probes on 32 425 conductor elements (G itself 259 MB) peaked at 1.5 GB RSS off the axis and
# 17 GB on it.
PROBE_BATCH = 2**21


def probe_matrix(
    points: np.ndarray,
    triangles: np.ndarray,
    probes: np.ndarray,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Bz at probes (n_probes, 2) as (r, z) from unit J per triangle: (n_probes, n_triangles),
    built ``PROBE_BATCH`` probe-element entries at a time (each row is computed on its own);
    ``progress(rows done)`` after each batch (1000 probes took 31-82 s on 32 425 elements)."""
    probes = np.atleast_2d(np.asarray(probes, float))
    G = np.empty((len(probes), len(triangles)))
    on_axis = np.nonzero(probes[:, 0] == 0.0)[0]
    off_axis = np.nonzero(probes[:, 0] != 0.0)[0]
    rows = max(1, PROBE_BATCH // max(1, len(triangles)))
    done = 0
    for s in range(0, len(on_axis), max(1, rows // len(_GL_X))):
        i = on_axis[s : s + max(1, rows // len(_GL_X))]
        G[i] = axis_matrix(points, triangles, probes[i, 1])
        done += len(i)
        if progress:
            progress(done)
    for s in range(0, len(off_axis), rows):
        i = off_axis[s : s + rows]
        G[i] = field_matrix(points, triangles, probes[i])[1]
        done += len(i)
        if progress:
            progress(done)
    return G
