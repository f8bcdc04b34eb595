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

import numpy as np
from scipy.special import ellipe, ellipk

from fluxtrap.simulate.fem import _QB, _QW
from fluxtrap.units import MU0

_GL_X, _GL_W = np.polynomial.legendre.leggauss(16)


def loop_field(
    a: np.ndarray, zs: np.ndarray, r: np.ndarray, z: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(B_r, B_z) in T per A of a coaxial loop of radius ``a`` (m) at height ``zs`` (m), at (r, z).

    Arguments broadcast. On the axis (r = 0) B_r = 0.
    """
    u = z - zs
    alpha2 = (a - r) ** 2 + u**2
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
    """Bz on the axis at heights ``z`` (n_z,) from unit J in each triangle: (n_z, n_triangles), T/(A/m^2)."""
    p = points[triangles]  # (ne, 3, 2)
    order = np.argsort(p[:, :, 0], axis=1)
    p = np.take_along_axis(p, order[:, :, None], axis=1)
    (r0, z0), (r1, z1), (r2, z2) = (p[:, i].T for i in range(3))
    z = np.asarray(z, float)[:, None, None]

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
    chunk: int = 256,
) -> tuple[np.ndarray, np.ndarray]:
    """(G_r, G_z), each (n_points, n_triangles): B at ``where`` (n_points, 2) as (r, z) from unit J."""
    where = np.atleast_2d(np.asarray(where, float))
    p = points[triangles]
    qr, qz, qw = _quad(p)  # (ne, 6)
    centre = p.mean(axis=1)
    diam = np.max(np.linalg.norm(p - centre[:, None], axis=-1), axis=1)
    Gr = np.empty((len(where), len(triangles)))
    Gz = np.empty_like(Gr)
    for s in range(0, len(where), chunk):
        w = where[s : s + chunk]
        br, bz = loop_field(qr[None], qz[None], w[:, 0, None, None], w[:, 1, None, None])
        Gr[s : s + chunk] = (br * qw[None]).sum(-1)
        Gz[s : s + chunk] = (bz * qw[None]).sum(-1)
    # near elements: refine
    dist = np.linalg.norm(where[:, None, :] - centre[None], axis=-1)
    ip, ie = np.nonzero(dist < near_factor * diam[None, :] + 1e-12)
    if len(ip):
        sub = (
            _subdivide(p[ie], 3).reshape(64, len(ie), 3, 2).transpose(1, 0, 2, 3).reshape(-1, 3, 2)
        )
        sr, sz, sw = (x.reshape(len(ie), -1) for x in _quad(sub))
        br, bz = loop_field(sr, sz, where[ip, 0, None], where[ip, 1, None])
        Gr[ip, ie] = (br * sw).sum(-1)
        Gz[ip, ie] = (bz * sw).sum(-1)
    return Gr, Gz


def probe_matrix(points: np.ndarray, triangles: np.ndarray, probes: np.ndarray) -> np.ndarray:
    """Bz at probes (n_probes, 2) as (r, z) from unit J per triangle: (n_probes, n_triangles)."""
    probes = np.atleast_2d(np.asarray(probes, float))
    G = np.empty((len(probes), len(triangles)))
    on_axis = probes[:, 0] == 0.0
    if on_axis.any():
        G[on_axis] = axis_matrix(points, triangles, probes[on_axis, 1])
    if (~on_axis).any():
        G[~on_axis] = field_matrix(points, triangles, probes[~on_axis])[1]
    return G
