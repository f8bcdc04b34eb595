"""Heat in the conductors, coupled to the electromagnetic solve step by step.

    C(T) dT/dt = div(k(T) grad T) + E.J          (2D axisymmetric, r-weighted)

``AdiabaticHeat``: no conduction, no exchange; each conductor element keeps its own temperature
(the source E.J is constant per element, so this is exact for the element's mean).
``ConductionHeat``: P1 (nodal) elements on the conductor triangles, lumped r-weighted capacity,
backward Euler in the enthalpy H(T) = integral of C dT (so heat is conserved exactly whatever
C(T) does: Newton on H(T_new) with the secant-free Jacobian C(T)), conductivity lagged one
step; surfaces insulated, held at the protocol (coolant) temperature, or cooled through a heat
transfer coefficient; an optional contact resistance between layers doubles the interface
nodes and couples them through 1/R. Assembled by hand with numpy like ``fem.py`` (the P1
r-weighted forms are three lines; scikit-fem would add a dependency for them).

Coupling (``solver.run_protocol``): a step's EM solve uses the temperatures at its start
(Jc(B, T) per element); its converged E.J then heats the conductors over the same dt. A step
in which an element rises by more than ``MAX_RISE_K`` or ``RISE_FRACTION`` of its temperature
(whichever is larger) is rejected and retried shorter, so the lag of one step stays small
through a flux jump.

All integrals here are per radian (r dA, no 2 pi); ``heat_J`` multiplies by 2 pi.
"""

from __future__ import annotations

import math

import numpy as np
import qdldl
import scipy.sparse as sp

from fluxtrap.simulate.thermal_spec import TemperatureTable

MAX_RISE_K = 0.5  # an element may rise by this (K) or RISE_FRACTION of its temperature per step
RISE_FRACTION = 0.05
TWO_PI = 2 * math.pi


def rise_ratio(before_K: np.ndarray, after_K: np.ndarray) -> float:
    """Largest rise of an element in a step over what it may rise (> 1: the step is too long)."""
    allowed = np.maximum(MAX_RISE_K, RISE_FRACTION * before_K)
    return float(np.max((after_K - before_K) / allowed, initial=0.0))


class _Geometry:
    """Conductor triangles of a mesh: points (n_c, 3, 2), area (n_c,), w = int r dA (n_c,),
    the material index of each (into ``materials``)."""

    def __init__(self, case, mesh, conductor: np.ndarray):
        self.case = case
        self.tri = mesh.triangles[conductor]
        self.p = mesh.points[self.tri]
        self.area = np.abs(mesh.area[conductor])
        self.w = self.area * self.p[:, :, 0].mean(axis=1)
        self.layer = mesh.region[conductor]
        names = [m.name for m in case.materials]
        self.materials = case.materials
        self.mat = np.array([names.index(case.stack[g].material) for g in self.layer])

    def capacity(self, k: int) -> TemperatureTable:
        return self.materials[k].thermal.heat_capacity

    def conductivity(self, k: int) -> TemperatureTable:
        return self.materials[k].thermal.thermal_conductivity

    def locate(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Element index (n,) and barycentric coordinates (n, 3) of each point (r, z) in the
        conductor triangle that holds it (the nearest one on an interface)."""
        a, b, c = self.p[:, 0], self.p[:, 1], self.p[:, 2]
        det = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1])
        elems, bary = [], []
        for x in np.atleast_2d(points):
            l1 = (
                (x[0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (x[1] - a[:, 1])
            ) / det
            l2 = (
                (b[:, 0] - a[:, 0]) * (x[1] - a[:, 1]) - (x[0] - a[:, 0]) * (b[:, 1] - a[:, 1])
            ) / det
            lam = np.column_stack([1 - l1 - l2, l1, l2])
            e = int(np.argmax(lam.min(axis=1)))
            elems.append(e)
            bary.append(np.clip(lam[e], 0.0, 1.0) / np.clip(lam[e], 0.0, 1.0).sum())
        return np.array(elems, int), np.array(bary).reshape(-1, 3)


class AdiabaticHeat:
    """One temperature per conductor element (K), heated by its own E.J, nothing exchanged."""

    def __init__(self, case, mesh, conductor: np.ndarray):
        self.g = _Geometry(case, mesh, conductor)
        self.groups = [(k, np.where(self.g.mat == k)[0]) for k in np.unique(self.g.mat)]

    def initial(self, temperature_K: float) -> np.ndarray:
        return np.full(len(self.g.w), float(temperature_K))

    def element_temperature(self, T: np.ndarray) -> np.ndarray:
        """Temperature per conductor element (K), shape (n_conductor,)."""
        return T

    def _enthalpy(self, T: np.ndarray) -> np.ndarray:
        h = np.empty_like(T)
        for k, idx in self.groups:
            h[idx] = self.g.capacity(k).integral(T[idx])
        return h

    def step(self, T: np.ndarray, source_W_m3: np.ndarray, dt: float, bath_K: float) -> np.ndarray:
        """Temperatures after ``dt`` (s) of heating by ``source_W_m3`` (n_conductor,)."""
        h = self._enthalpy(T) + source_W_m3 * dt
        out = np.empty_like(T)
        for k, idx in self.groups:
            out[idx] = self.g.capacity(k).inverse_integral(h[idx])
        return out

    def heat_J(self, T: np.ndarray) -> float:
        """Enthalpy of the conductors (J, relative to each table's first temperature)."""
        return TWO_PI * float(self.g.w @ self._enthalpy(T))

    def probe_matrix(self, points: np.ndarray) -> sp.csr_matrix:
        """T at ``points`` (n, 2) = P @ state: the value of the element holding each point."""
        e, _ = self.g.locate(points)
        return sp.csr_matrix(
            (np.ones(len(e)), (np.arange(len(e)), e)), shape=(len(e), len(self.g.w))
        )


class ConductionHeat:
    """P1 temperatures at the conductor nodes (K); see the module docstring."""

    def __init__(self, case, mesh, conductor: np.ndarray):
        g = self.g = _Geometry(case, mesh, conductor)
        settings = case.thermal
        resistance = settings.interlayer_resistance_K_m2_W
        # thermal nodes: one per mesh node, or per (layer, mesh node) with a contact resistance
        keys = g.tri if not resistance else g.tri + (g.layer[:, None] + 1) * len(mesh.points)
        self.mesh_node, inverse = np.unique(keys.ravel(), return_inverse=True)
        self.mesh_node = self.mesh_node % len(mesh.points)
        self.node = inverse.reshape(-1, 3)
        n = self.n = len(self.mesh_node)
        r = g.p[:, :, 0]
        # lumped capacity: int lambda_i r dA = area (2 r_i + r_j + r_k) / 12, per node and material
        self.load = g.area[:, None] * (r + r.sum(axis=1, keepdims=True)) / 12  # (n_c, 3)
        self.n_mats = len(g.materials)
        self.mass = np.zeros((n, self.n_mats))
        np.add.at(self.mass, (self.node, np.repeat(g.mat[:, None], 3, axis=1)), self.load)
        self.mats = [k for k in range(self.n_mats) if self.mass[:, k].any()]
        self.B = sp.csr_matrix(
            (self.load.ravel(), (self.node.ravel(), np.repeat(np.arange(len(g.w)), 3))),
            shape=(n, len(g.w)),
        )  # heat load: F = B q (W per radian) from q (W/m^3) per element
        # stiffness per element: w_e grad(lambda_i) . grad(lambda_j)
        grad = np.empty((len(g.w), 3, 2))
        for i in range(3):
            j, k = (i + 1) % 3, (i + 2) % 3
            d = g.p[:, k] - g.p[:, j]
            signed = 2 * g.area * np.sign(mesh.area[conductor])
            grad[:, i, 0], grad[:, i, 1] = -d[:, 1] / signed, d[:, 0] / signed
        self.G = np.einsum("e,eid,ejd->eij", g.w, grad, grad)
        self.rows = np.repeat(self.node, 3, axis=1).ravel()
        self.cols = np.tile(self.node, (1, 3)).ravel()
        self._boundaries(mesh, settings, resistance)
        self._pattern()

    def _boundaries(self, mesh, settings, resistance: float) -> None:
        """Cooled surfaces (Robin weights or held nodes) and interface couplings from the edges
        of the conductor triangles."""
        g = self.g
        edges = np.concatenate([g.tri[:, [0, 1]], g.tri[:, [1, 2]], g.tri[:, [2, 0]]])
        tnodes = np.concatenate([self.node[:, [0, 1]], self.node[:, [1, 2]], self.node[:, [2, 0]]])
        layer = np.tile(g.layer, 3)
        key = np.sort(edges, axis=1)
        _, inv, count = np.unique(key, axis=0, return_inverse=True, return_counts=True)
        inv = inv.ravel()
        pts = mesh.points
        ra, rb = pts[edges[:, 0], 0], pts[edges[:, 1], 0]
        za, zb = pts[edges[:, 0], 1], pts[edges[:, 1], 1]
        length = np.hypot(rb - ra, zb - za)
        weight = np.column_stack([length * (2 * ra + rb) / 6, length * (ra + 2 * rb) / 6])
        z_lo = min(x.z_m for x in g.case.stack)
        z_hi = max(x.top_m for x in g.case.stack)
        tol = 1e-9 * max(z_hi - z_lo, 1e-3)
        outer = (count[inv] == 1) & ~((ra < tol) & (rb < tol))
        flat = np.abs(za - zb) < tol
        surface = np.where(
            flat & (np.abs(za - z_lo) < tol),
            "bottom",
            np.where(flat & (np.abs(za - z_hi) < tol), "top", "side"),
        )
        self.robin = np.zeros(self.n)  # h * int lambda_i r ds, per node
        held = np.zeros(self.n, bool)
        for c in settings.cooling:
            on = outer & (surface == c.surface)
            if c.heat_transfer_W_m2K is None:
                held[tnodes[on].ravel()] = True
            else:
                np.add.at(
                    self.robin, tnodes[on].ravel(), c.heat_transfer_W_m2K * weight[on].ravel()
                )
        self.held = np.where(held)[0]
        self.free = np.where(~held)[0]
        # contact resistance: each interface edge appears once per layer with its own nodes
        self.contact = sp.csr_matrix((self.n, self.n))
        if resistance:
            pair = count[inv] == 2
            idx = np.where(pair)[0]
            order = idx[np.argsort(inv[idx], kind="stable")]
            first, second = order[0::2], order[1::2]
            across = layer[first] != layer[second]
            first, second = first[across], second[across]
            # match the second copy's nodes to the first's by mesh node
            same = edges[first, 0] == edges[second, 0]
            n1 = tnodes[first]
            n2 = np.where(same[:, None], tnodes[second], tnodes[second][:, ::-1])
            gw = weight[first] / resistance
            a, b, v = n1.ravel(), n2.ravel(), gw.ravel()
            self.contact = sp.csr_matrix(
                (np.concatenate([v, v, -v, -v]), (np.r_[a, b, a, b], np.r_[a, b, b, a])),
                shape=(self.n, self.n),
            )

    def initial(self, temperature_K: float) -> np.ndarray:
        return np.full(self.n, float(temperature_K))

    def element_temperature(self, T: np.ndarray) -> np.ndarray:
        """Mean of each conductor element's three node temperatures (K), shape (n_conductor,)."""
        return T[self.node].mean(axis=1)

    def _enthalpy(self, T: np.ndarray) -> np.ndarray:
        """Heat content per node (J per radian): sum over materials of mass x H(T)."""
        return sum(self.mass[:, k] * self.g.capacity(k).integral(T) for k in self.mats)

    def _capacity(self, T: np.ndarray) -> np.ndarray:
        return sum(self.mass[:, k] * self.g.capacity(k).at(T) for k in self.mats)

    def _pattern(self) -> None:
        """The conduction matrix on a fixed pattern: its values are ``P @ k + base`` (k per
        element, base = contact + cooling); the free-free block's upper triangle is factorized
        by QDLDL with the ordering and symbolic analysis of the first step reused (as in
        ``solver.Discretization.factorize``)."""
        n = self.n
        base = (self.contact + sp.diags(self.robin) + sp.eye(n) * 0.0).tocoo()
        pattern = sp.csc_matrix(
            (
                np.ones(len(self.rows) + base.nnz + n),
                (
                    np.r_[self.rows, base.row, np.arange(n)],
                    np.r_[self.cols, base.col, np.arange(n)],
                ),
            ),
            shape=(n, n),
        )
        pattern.sum_duplicates()
        pattern.sort_indices()
        keys = np.repeat(np.arange(n), np.diff(pattern.indptr)) * n + pattern.indices
        position = lambda r, c: np.searchsorted(keys, c * n + r)  # noqa: E731
        n_el = len(self.g.w)
        self.P = sp.csr_matrix(
            (self.G.ravel(), (position(self.rows, self.cols), np.repeat(np.arange(n_el), 9))),
            shape=(len(keys), n_el),
        )
        self.base = np.zeros(len(keys))
        np.add.at(self.base, position(base.row, base.col), base.data)
        self.A = sp.csc_matrix((np.zeros(len(keys)), pattern.indices, pattern.indptr), shape=(n, n))
        # the free-free block: entries of A it takes, its upper triangle and diagonal
        index = sp.csc_matrix((np.arange(len(keys)) + 1.0, pattern.indices, pattern.indptr))
        ff = index[self.free][:, self.free].tocsc()
        ff.sort_indices()
        rows = ff.indices
        cols = np.repeat(np.arange(len(self.free)), np.diff(ff.indptr))
        upper = rows <= cols
        self._take = ff.data[upper].astype(int) - 1
        self._diag = np.where(rows[upper] == cols[upper])[0]
        counts = np.bincount(cols[upper], minlength=len(self.free))
        self._upper = sp.csc_matrix(
            (np.zeros(upper.sum()), rows[upper], np.r_[0, np.cumsum(counts)]),
            shape=(len(self.free),) * 2,
        )
        self._ldl = None

    def conductivity(self, T: np.ndarray) -> np.ndarray:
        """k (W/(m*K)) per conductor element at the mean of its nodes' temperatures."""
        Te = self.element_temperature(T)
        k = np.empty(len(Te))
        for m in self.mats:
            idx = self.g.mat == m
            k[idx] = self.g.conductivity(m).at(Te[idx])
        return k

    def step(self, T: np.ndarray, source_W_m3: np.ndarray, dt: float, bath_K: float) -> np.ndarray:
        """Node temperatures after ``dt`` (s) with heat ``source_W_m3`` per conductor element,
        the coolant at ``bath_K``: backward Euler in the enthalpy, Newton until the residual over
        the Jacobian's diagonal is below 1e-10 (1 + T) K (one solve when C is constant)."""
        A = self.A
        A.data[:] = self.P @ self.conductivity(T) + self.base
        f = self.B @ source_W_m3 + self.robin * bath_K
        h_old = self._enthalpy(T)
        x = T.copy()
        x[self.held] = bath_K
        fr = self.free
        diagonal = A.diagonal()[fr]
        for _ in range(30):
            cap = self._capacity(x)[fr] / dt
            res = ((self._enthalpy(x) - h_old) / dt + A @ x - f)[fr]
            # the residual over the Jacobian's diagonal: a temperature error (K), above rounding
            if np.max(np.abs(res) / (cap + diagonal), initial=0.0) <= 1e-10 * (1.0 + np.max(x)):
                break
            self._upper.data[:] = A.data[self._take]
            self._upper.data[self._diag] += cap
            if self._ldl is None:
                self._ldl = qdldl.Solver(self._upper, upper=True)
            else:
                self._ldl.update(self._upper, upper=True)
            x[fr] -= self._ldl.solve(res)
        return x

    def heat_J(self, T: np.ndarray) -> float:
        """Enthalpy of the conductors (J, relative to each table's first temperature)."""
        return TWO_PI * float(self._enthalpy(T).sum())

    def probe_matrix(self, points: np.ndarray) -> sp.csr_matrix:
        """T at ``points`` (n, 2) = P @ state, by the P1 interpolation in the holding element."""
        e, lam = self.g.locate(points)
        rows = np.repeat(np.arange(len(e)), 3)
        return sp.csr_matrix((lam.ravel(), (rows, self.node[e].ravel())), shape=(len(e), self.n))


def heat_model(case, mesh, conductor: np.ndarray) -> AdiabaticHeat | ConductionHeat | None:
    """The heat model of ``case.thermal.model`` on ``mesh``'s ``conductor`` elements (None when
    isothermal)."""
    return {"adiabatic": AdiabaticHeat, "conduction": ConductionHeat}.get(
        case.thermal.model, lambda *a: None
    )(case, mesh, conductor)
