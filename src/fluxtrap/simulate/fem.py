"""Lowest-order Nedelec (edge) elements on triangles, weighted by r for axisymmetry.

Unknowns: ``u[k] = ∫_edge H·t ds`` along each edge, oriented from its lower to its higher
vertex index; H = (H_r, H_z). With phi_ij = lambda_i grad lambda_j - lambda_j grad lambda_i the
curl is constant per element, so the azimuthal current density is ``J = C @ u`` with a fixed
sparse matrix C (n_elements x n_edges; J_phi = dH_r/dz - dH_z/dr = -circulation/area).

Faraday's law mu0 dH/dt + curl E = 0, tested with the basis and weighted by r, reads
``mu0 M du/dt + C^T (w * E(J)) = 0`` with the r-weighted mass matrix M (n_edges x n_edges)
and ``w[e] = ∫_e r dA``. Assembled by hand with numpy (vectorised over elements): the element
matrices are three lines each, and the solver needs C and w as explicit arrays anyway, which
a general assembler (scikit-fem) would hand back only as assembled bilinear forms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from fluxtrap.simulate.mesh import Mesh

# Strang-Fix 6-point rule, exact to degree 4 (the r-weighted mass integrand has degree 3).
_QB = np.array(
    [
        [0.816847572980459, 0.091576213509771, 0.091576213509771],
        [0.091576213509771, 0.816847572980459, 0.091576213509771],
        [0.091576213509771, 0.091576213509771, 0.816847572980459],
        [0.108103018168070, 0.445948490915965, 0.445948490915965],
        [0.445948490915965, 0.108103018168070, 0.445948490915965],
        [0.445948490915965, 0.445948490915965, 0.108103018168070],
    ]
)
_QW = np.array([0.109951743655322] * 3 + [0.223381589678011] * 3)
_LOCAL = ((0, 1), (1, 2), (2, 0))  # local edges (i, j), counter-clockwise


@dataclass(frozen=True, eq=False)
class EdgeSpace:
    """Edge-element space on ``mesh``.

    ``edges`` (n_edges, 2) vertex indices (low, high); ``elem_edges`` (n_elements, 3) and
    ``elem_signs`` (n_elements, 3) = +1 where the global orientation is counter-clockwise;
    ``C`` (n_elements x n_edges) J = C u in A/m^2 for u in A; ``M`` r-weighted mass matrix
    (m^2·m); ``w`` (n_elements,) ∫ r dA in m^3; ``Hr``, ``Hz`` (n_elements x n_edges) give H at
    element centroids in A/m; ``boundary`` indices of the edges on the outer boundary (Dirichlet);
    ``unit_field`` (n_edges,) the dofs of a uniform H_z = 1 A/m.
    """

    mesh: Mesh
    edges: np.ndarray
    elem_edges: np.ndarray
    elem_signs: np.ndarray
    C: sp.csr_matrix
    M: sp.csr_matrix
    w: np.ndarray
    Hr: sp.csr_matrix
    Hz: sp.csr_matrix
    boundary: np.ndarray
    unit_field: np.ndarray

    @property
    def n_dofs(self) -> int:
        return len(self.edges)

    def __repr__(self) -> str:
        return f"EdgeSpace({self.n_dofs} edges, {len(self.boundary)} on the outer boundary, {self.mesh!r})"


def edge_space(mesh: Mesh) -> EdgeSpace:
    """Assemble the edge space of ``mesh`` (triangles must be counter-clockwise)."""
    tri, pts = mesh.triangles, mesh.points
    ne = len(tri)
    loc = np.array(_LOCAL)
    a, b = tri[:, loc[:, 0]], tri[:, loc[:, 1]]  # (ne, 3)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    # each edge as one int64 key lo * n_points + hi: the order of (lo, hi) rows, and a 1-D
    # unique (np.unique with axis=0 sorts a structured view, 5x slower: half of this function)
    keys, inv = np.unique(lo.ravel().astype(np.int64) * len(pts) + hi.ravel(), return_inverse=True)
    edges = np.stack(np.divmod(keys, len(pts)), 1).astype(tri.dtype)
    elem_edges = inv.reshape(ne, 3)
    signs = np.where(a < b, 1.0, -1.0)

    p = pts[tri]  # (ne, 3, 2)
    area = mesh.area
    # gradients of barycentrics: grad lambda_i = perp(p_k - p_j) / (2 area), (i, j, k) cyclic
    grad = np.empty((ne, 3, 2))
    for i in range(3):
        j, k = (i + 1) % 3, (i + 2) % 3
        d = p[:, k] - p[:, j]
        grad[:, i, 0] = -d[:, 1] / (2 * area)
        grad[:, i, 1] = d[:, 0] / (2 * area)
    # local basis at quadrature points, signed to the global orientation: (ne, 3 edges, nq, 2)
    lam = _QB  # (nq, 3)
    phi = (
        lam[None, :, loc[:, 0], None] * grad[:, None, loc[:, 1], :]
        - lam[None, :, loc[:, 1], None] * grad[:, None, loc[:, 0], :]
    )  # (ne, nq, 3, 2)
    phi = np.transpose(phi, (0, 2, 1, 3)) * signs[:, :, None, None]
    r_q = lam @ p[:, :, 0].T  # (nq, ne)
    wq = _QW[:, None] * r_q * area[None, :]  # (nq, ne)
    m_loc = np.einsum("qe,eiqd,ejqd->eij", wq, phi, phi)
    rows = np.repeat(elem_edges, 3, axis=1).ravel()
    cols = np.tile(elem_edges, (1, 3)).ravel()
    n = len(edges)
    M = sp.csr_matrix((m_loc.ravel(), (rows, cols)), shape=(n, n))
    M.sum_duplicates()

    C = sp.csr_matrix(
        (-(signs / area[:, None]).ravel(), (np.repeat(np.arange(ne), 3), elem_edges.ravel())),
        shape=(ne, n),
    )
    w = area * p[:, :, 0].mean(axis=1)
    # centroid values: phi_ij(centroid) = (grad lambda_j - grad lambda_i) / 3
    phic = (grad[:, loc[:, 1], :] - grad[:, loc[:, 0], :]) / 3.0 * signs[:, :, None]  # (ne, 3, 2)
    er = np.repeat(np.arange(ne), 3)
    Hr = sp.csr_matrix((phic[:, :, 0].ravel(), (er, elem_edges.ravel())), shape=(ne, n))
    Hz = sp.csr_matrix((phic[:, :, 1].ravel(), (er, elem_edges.ravel())), shape=(ne, n))

    # outer boundary: edges used by one triangle and not on the axis
    count = np.bincount(elem_edges.ravel(), minlength=n)
    ep = pts[edges]
    on_axis = (np.abs(ep[:, 0, 0]) < 1e-12) & (np.abs(ep[:, 1, 0]) < 1e-12)
    boundary = np.where((count == 1) & ~on_axis)[0]
    unit_field = ep[:, 1, 1] - ep[:, 0, 1]
    return EdgeSpace(mesh, edges, elem_edges, signs, C, M, w, Hr, Hz, boundary, unit_field)
