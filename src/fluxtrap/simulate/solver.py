"""Implicit time stepping of the H-phi formulation: backward Euler, primal-dual Newton.

One step from u_old to u at t + dt solves R(u) = 0 on the free (non-boundary) dofs:

    R = mu0/dt M (u - u_old) + C^T (w * E(C u)).

With Jc(B) lagged by one Newton iteration the Jacobian K = mu0/dt M_ff + C_f^T diag(w dE/dJ) C_f
is symmetric positive definite. Newton's unknowns (f) are the free dofs the conductors' J and H
depend on; the free air beyond them, whose equations are linear, is eliminated (M_ff its Schur
complement) and follows each converged step. Its sparsity never changes: its values are
``mu0/dt * M_data + P @ (w dE/dJ)`` with a fixed sparse P (no per-element loop). Newton is
primal-dual in the superconductors (see ``newton``), which halves the iterations of plain
Newton for n = 35.

Linear solves use QDLDL (a small LDL^T with AMD ordering, pip wheel) so the symbolic analysis is
done once per run; CHOLMOD via scikit-sparse would do the same but has no wheel on PyPI and
needs the system SuiteSparse, which a fresh CI machine lacks.

Time steps adapt to a local error estimate (RMS difference of H in the conductors between the
converged step and a linear extrapolation of the last two, relative to mean Jc x stack radius)
and to the Newton iteration count; growth is at most 2x per step, so a hold of 100 min is
covered in a few dozen log-spaced steps.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import qdldl
import scipy.sparse as sp
from scipy.sparse import _sparsetools

from fluxtrap.errors import SolverError, WallTimeError
from fluxtrap.simulate.case import (
    MU0,
    Case,
    Cool,
    Pulse,
    RampField,
    RampTemperature,
    Set,
    Step,
    states,
    step_duration,
)
from fluxtrap.simulate.fem import EdgeSpace
from fluxtrap.simulate.materials import ConstantJc, Superconductor
from fluxtrap.simulate.mesh import AIR
from fluxtrap.simulate.thermal import HeatNotConverged, heat_model
from fluxtrap.simulate.topology import cut_field, cuts, enclosed_nodes

# the smallest time step is at least this fraction of the time reached: float times resolve
# 2.2e-16 of themselves, so a 1 ns step at t = 2e7 s (4 ulps) did not advance the time at all
TIME_RESOLUTION = 1e-12
MAX_REJECTED_IN_ROW = 40  # a run that rejects this many attempts in a row cannot advance
# heated past Tc, an element keeps this fraction of its Jc(B) (the power law needs Jc > 0)
JC_FLOOR = 1e-3
# The step control's self-field scale (``field_error``: the superconductors' mean Jc x the stack's
# radius) is at least this fraction of it at B = 0: a Jc(B) table falling to the 1e-4 A/cm^2 that
# stands for no pinning above the irreversibility field put the scale 1e8x down while the
# sample was above it, and a field-cooled disk took 2652 steps for 134
SELF_FIELD_FLOOR = 1e-2
# Newton iterations of E(J) with a normal-state channel: from the start, within ln n of the root
# in ln E, quadratic near it (about 10 where the channels share the current)
SHARED_ITERATIONS = 60
TINY = np.finfo(float).tiny
# the most dofs next to the eliminated air (``Discretization._eliminate_air``): a dense block of
# them enters K; the bench's fine mesh has 59, a 0.04 mm disk r 6 x 2 mm 452 (16 % more flops)
MAX_OUTLINE = 300


@dataclass
class Stats:
    """Solver counters: accepted ``time_steps``, ``rejected`` steps, ``newton_iterations``."""

    time_steps: int = 0
    rejected: int = 0
    newton_iterations: int = 0
    factorizations: int = 0
    dissipated_J: float = 0.0  # integral of E.J over the conductors and time (heat models only)
    removed_J: float = 0.0  # heat that left the conductors through cooled surfaces (heat models)


class Discretization:
    """The fixed parts of a case's discrete problem (H-phi: no air resistivity, no air edges).

    In air, H = grad phi: the edge dofs of edges touching air are differences of nodal
    potentials, ``u = T x`` with x = (edge dofs inside conductors, phi at air nodes, the jump
    of phi across each ring's cut). Air then carries no current by construction (C grad = 0)
    and the stiff air-resistivity term of a pure H-formulation, with its 1e12 condition numbers,
    disappears. Around a ring the air is not simply connected: ``topology`` gives each hole a
    cut and its jump (the ring group's net current, A) is one more unknown. The applied field
    fixes phi = H_a z on the outer boundary, and at one node of each closed air pocket.

    Element arrays below are over the conductor elements ``conductor`` (indices into the mesh).
    """

    def __init__(self, case: Case, space: EdgeSpace):
        self.case, self.space = case, space
        mesh = space.mesh
        region = mesh.region
        self.conductor = np.where(region != AIR)[0]
        air = region == AIR
        mats = [case.material(layer.material) for layer in case.stack]
        creg = region[self.conductor]
        sc = np.array([isinstance(mats[g], Superconductor) for g in creg], dtype=bool)
        self.sc, self.ohm = np.where(sc)[0], np.where(~sc)[0]
        self.rho = np.array([mats[g].resistivity_ohm_m for g in creg[self.ohm]])
        self.sc_groups = [
            (mats[g], np.where(creg[self.sc] == g)[0])
            for g in range(len(mats))
            if isinstance(mats[g], Superconductor)
        ]
        self.n, self.e0 = np.empty(len(self.sc)), np.empty(len(self.sc))
        for m, idx in self.sc_groups:
            self.n[idx], self.e0[idx] = m.n, m.e0_V_m
        self.n_of_T = [(m, idx) for m, idx in self.sc_groups if m.n_table]
        self._uniform_law()
        # 1/rho_n of the superconducting elements with a normal-state channel (0 without one),
        # None when no material has one; their Jc falls to 0 at Tc, ``jc_floor`` scales Newton
        g_n = np.zeros(len(self.sc))
        for m, idx in self.sc_groups:
            if m.normal_resistivity_ohm_m:
                g_n[idx] = 1.0 / m.normal_resistivity_ohm_m
        self.g_n = g_n if g_n.any() else None
        self.jc_floor = np.zeros(len(self.sc))
        # the superconductors among the conductor elements: a slice (a view, no copy) when all are
        self.sc_of = slice(None) if len(self.ohm) == 0 else self.sc

        # u = T x
        n_edges, n_pts = space.n_dofs, len(mesh.points)
        air_edge = np.zeros(n_edges, bool)
        air_edge[space.elem_edges[air].ravel()] = True
        air_node = np.zeros(n_pts, bool)
        air_node[mesh.triangles[air].ravel()] = True
        inner = np.where(~air_edge)[0]
        nodes = np.where(air_node)[0]
        col_node = np.full(n_pts, -1)
        col_node[nodes] = len(inner) + np.arange(len(nodes))
        ae = np.where(air_edge)[0]
        i, j = space.edges[ae, 0], space.edges[ae, 1]
        rows = np.concatenate([inner, ae, ae])
        cols = np.concatenate([np.arange(len(inner)), col_node[j], col_node[i]])
        vals = np.concatenate([np.ones(len(inner)), np.ones(len(ae)), -np.ones(len(ae))])
        n_grad = len(inner) + len(nodes)
        self.T = sp.csr_matrix((vals, (rows, cols)), shape=(n_edges, n_grad))
        jumps = [cut_field(mesh.points, space.edges, air_edge, c) for c in cuts(case.stack)]
        if jumps:
            self.T = sp.hstack([self.T, *(sp.csc_matrix(j[:, None]) for j in jumps)]).tocsr()
        n_x = self.T.shape[1]
        self.n_cuts = len(jumps)
        self.unit_x = np.concatenate(
            [space.unit_field[inner], mesh.points[nodes, 1], np.zeros(len(jumps))]
        )
        pr, pz = mesh.points[:, 0], mesh.points[:, 1]
        r_max, z_min, z_max = mesh.box
        tol = 1e-9 * r_max
        on_box = (pr > r_max - tol) | (pz < z_min + tol) | (pz > z_max - tol)
        fixed = on_box.copy()
        fixed[enclosed_nodes(mesh.triangles, air, n_pts, on_box)] = True
        bnd = np.zeros(n_x, bool)
        bnd[len(inner) + np.where(fixed[nodes])[0]] = True
        self.free, self.bnd = np.where(~bnd)[0], np.where(bnd)[0]

        T = self.T.tocsc()
        self.C = (space.C[self.conductor] @ T).tocsr()
        self.M = (T.T @ space.M @ T).tocsr()
        # H at the conductor centroids, (H_r; H_z) stacked: one product per Newton iteration
        self.H = (sp.vstack([space.Hr[self.conductor], space.Hz[self.conductor]]) @ T).tocsr()
        # its rows at the superconductors, for Jc(B) at each Newton iteration
        self.H_sc = self.H[np.concatenate([self.sc, len(self.conductor) + self.sc])]
        self.CT = self.C.T.tocsr()  # transposed once, not at every Newton iteration
        # Jc without a field dependence (constant Jc): Newton needs no B
        self.field_free = all(isinstance(m.jc, ConstantJc) for m, _ in self.sc_groups)
        self.w = space.w[self.conductor]
        self.radius = max(x.radius_m for x in case.stack)
        # Newton's tolerance (a J change relative to Jc) times min(1, 2 x the superconductors'
        # total thickness / radius): at 1e-3 Jc a thin ring (20 x 1 mm, n = 100, 0 -> 3 -> 0 T
        # at 1e-3 T/s) stepped at rtol 4e-3 was 3.5 % of its self-field off the same mesh at
        # rtol 1e-5 and a 20 x 1 mm disk 1.45 %, at 1e-4 Jc 0.18 / 0.08 %; thick disks and the
        # bench cases gain nothing from it (their probes within 1e-5, 8-14 % more iterations)
        height = sum(x.thickness_m for x in case.superconducting)
        self.thinness = min(1.0, 2 * height / self.radius) if height else 1.0
        # the floor of the time-error scale without superconductors (``field_error``): from the
        # largest applied field at the ends of the steps plus the largest pulse
        pulses = [s for s in case.protocol if isinstance(s, Pulse)]
        largest = max((abs(b) for b, _ in states(case.protocol)), default=0.0) + max(
            (max([abs(p.peak_T), *map(abs, p.fields_T)]) for p in pulses), default=0.0
        )
        self.field_scale = largest / MU0
        self.heat = heat_model(case, mesh, self.conductor)  # None when isothermal
        self.n_dofs = n_x
        # Newton's unknowns: every free dof, or those a conductor element's J or H depends on
        # with the rest of the air eliminated (``_eliminate_air``), whichever factorizes in
        # fewer flops (QDLDL's symbolic counts, sum of squared column counts of L)
        free = self.free
        M_f = self.M[free]
        plans = [(free, M_f[:, free], M_f[:, self.bnd], None)]
        plans += self._eliminate_air(bnd)
        best = None
        for dofs, Mff, Mnb, air in plans:
            Cf = self.C[:, dofs].tocsr()
            upper, m_data, keys = self._pattern(Mff, Cf)
            upper.data[:] = m_data  # K = M_ff (SPD) for the symbolic counts
            ldl = qdldl.Solver(upper, upper=True)
            flops = float(np.sum(np.diff(ldl.factors()[0].tocsc().indptr) ** 2.0))
            if best is None or flops < best[0]:
                best = flops, dofs, Mff, Mnb, air, Cf, upper, m_data, keys, ldl
        _, self.newton_dofs, Mff, Mnb, air, self.Cf, self._upper, self.m_data, keys, ldl = best
        self.P = self._contributions(self.Cf, keys)
        self.Mff, self.Mnb = Mff.tocsr(), Mnb.tocsr()
        self.CTf = self.CT[self.newton_dofs].tocsr()
        # the eliminated air: its dofs, its rows of M and the factorization of its block
        self.air_dofs, self.Ma, self._air = air or (np.zeros(0, int), None, None)
        self._ldl = ldl  # its symbolic analysis stands for every ``factorize``

    @staticmethod
    def _pattern(
        Mff: sp.spmatrix, Cf: sp.csr_matrix
    ) -> tuple[sp.csc_matrix, np.ndarray, np.ndarray]:
        """K's upper triangle on its fixed pattern, pattern(M_ff) ∪ pattern(C_f^T C_f), with
        M_ff's values mapped onto it once: K_upper.data = c * m_data + P @ (w dE/dJ) (QDLDL reads
        the upper triangle only; P: ``_contributions``). Entry (row, col) has the key col * nf +
        row, in int64 (scipy's int32 indices would overflow past 46 341 dofs and scramble K).
        Returns (K_upper with zero values, m_data, the entries' keys)."""
        pattern = sp.triu(abs(Mff) + abs(Cf.T @ Cf)).tocsc()
        pattern.sort_indices()
        nf = Mff.shape[0]
        keys = (
            np.repeat(np.arange(nf, dtype=np.int64), np.diff(pattern.indptr)) * nf + pattern.indices
        )
        upper = sp.csc_matrix(
            (np.zeros_like(pattern.data), pattern.indices, pattern.indptr), shape=(nf, nf)
        )
        mco = sp.triu(Mff).tocoo()
        m_data = np.zeros(len(keys))
        np.add.at(m_data, np.searchsorted(keys, mco.col.astype(np.int64) * nf + mco.row), mco.data)
        return upper, m_data, keys

    @staticmethod
    def _contributions(Cf: sp.csr_matrix, keys: np.ndarray) -> sp.csr_matrix:
        """P: each element's contributions C_ek C_el to K's upper-triangle entries (``keys``)."""
        nf = Cf.shape[1]
        cnt = np.diff(Cf.indptr)
        pe, pk, pl, pv = [], [], [], []
        for a in range(cnt.max(initial=0)):
            for b in range(cnt.max(initial=0)):
                e = np.where(cnt > max(a, b))[0]
                ia, ib = Cf.indptr[e] + a, Cf.indptr[e] + b
                pe.append(e)
                pk.append(Cf.indices[ia])
                pl.append(Cf.indices[ib])
                pv.append(Cf.data[ia] * Cf.data[ib])
        pe, pk, pl, pv = map(np.concatenate, (pe, pk, pl, pv))
        keep = (pv != 0) & (pk <= pl)  # the upper triangle: row <= col
        pos = np.searchsorted(keys, pl[keep].astype(np.int64) * nf + pk[keep])
        return sp.csr_matrix((pv[keep], (pos, pe[keep])), shape=(len(keys), Cf.shape[0]))

    def _eliminate_air(self, held: np.ndarray) -> list[tuple]:
        """The free dofs that a conductor element's J or H depends on (its inner edges, the
        potentials on its outline), as Newton's unknowns (n) with the other free dofs, the air's
        potentials away from the conductors (a), eliminated: they carry no current and no E,
        their rows of the step's equations are linear, M_a. (u - u_old) = 0, so they follow each
        step (``follow``) and K is the Schur complement, M_ff = M_nn - M_na M_aa^-1 M_an
        (``held``: a mask of the held dofs, b; M_nb the same for their columns). M_na is
        nonzero on the nodes next to that air only (59 of 2009 free dofs on the bench's fine
        mesh, a dense block of them in K): 37 % fewer flops per factorization there. A plan
        (n, M_ff, M_nb, (a, M_a., M_aa's factorization)) in a list, empty when no air is left
        or more than ``MAX_OUTLINE`` dofs neighbour it (their dense block in K would cost more
        than the air did: a 0.04 mm mesh of a disk r 6 x 2 mm, 452 of them, took 16 % more)."""
        touched = np.zeros(len(held), bool)
        touched[self.C.indices] = True
        touched[self.H.indices] = True  # Jc(B): a corner element's J is curl-free, not its H
        n, air, b = np.where(~held & touched)[0], np.where(~held & ~touched)[0], np.where(held)[0]
        if not len(air):
            return []
        Ma = self.M[air].tocsr()
        cols = np.setdiff1d(Ma.indices, air)  # the air's neighbours: in n, maybe in b
        if len(cols) > MAX_OUTLINE:
            return []
        Maa = qdldl.Solver(sp.triu(Ma[:, air]).tocsc(), upper=True)
        rhs = Ma[:, cols].toarray()
        X = np.column_stack([Maa.solve(rhs[:, j]) for j in range(len(cols))])
        Mn = self.M[n]
        Mna = Mn[:, air].tocsr()
        rows = np.unique(Mna.nonzero()[0])
        S = np.zeros((len(n), len(cols)))
        S[rows] = Mna[rows] @ X  # M_na M_aa^-1 M_a,cols: nonzero on the rows next to the air
        S = sp.csr_matrix(S)
        where = np.full(len(held), -1)
        where[n], where[b] = np.arange(len(n)), np.arange(len(b))
        on_n = ~held[cols]
        Mff = Mn[:, n] - self._scatter(S[:, on_n], where[cols[on_n]], len(n))
        Mnb = Mn[:, b] - self._scatter(S[:, ~on_n], where[cols[~on_n]], len(b))
        return [(n, (Mff + Mff.T) / 2, Mnb, (air, Ma, Maa))]  # symmetric: exactly

    @staticmethod
    def _scatter(A: sp.spmatrix, cols: np.ndarray, width: int) -> sp.csr_matrix:
        """``A`` with its columns placed at ``cols`` of a matrix ``width`` columns wide."""
        A = sp.coo_matrix(A)
        return sp.csr_matrix((A.data, (A.row, cols[A.col])), shape=(A.shape[0], width))

    def follow(self, u: np.ndarray, u_old: np.ndarray) -> None:
        """Set the eliminated air's potentials of ``u`` (Newton's and the held ones set) from
        M_a. (u - u_old) = 0, in place; ``u`` still holds ``u_old``'s there."""
        if self._air is not None:
            u[self.air_dofs] -= self._air.solve(matvec(self.Ma, u - u_old))

    @property
    def K(self) -> sp.csc_matrix:
        """K of the last ``factorize`` (both triangles; for checks, the solver needs none)."""
        upper = self._upper
        return (upper + sp.triu(upper, k=1).T).tocsc()

    def factorize(self, c: float, coeff: np.ndarray):
        """LDL^T of K = c M_ff + C_f^T diag(coeff) C_f (coeff per conductor element), K SPD.

        The values go into K's fixed upper-triangle pattern; QDLDL keeps its AMD ordering and
        symbolic analysis from ``__init__`` and only refactors numerically (8x faster than
        scipy's SuperLU, which redoes both, at 1300 dofs). Returns an object with ``solve(b)``.
        """
        np.multiply(self.m_data, c, out=self._upper.data)
        matvec(self.P, coeff, out=self._upper.data)  # += P coeff
        self._ldl.update(self._upper, upper=True)
        return self._ldl

    def initial(self, applied_T: float) -> np.ndarray:
        """The state x of a uniform applied field ``applied_T`` (T) and no currents."""
        return applied_T / MU0 * self.unit_x

    def edge_dofs(self, x: np.ndarray) -> np.ndarray:
        """Edge dofs u (A) of the whole mesh from the state x."""
        return self.T @ x

    def rms_field(self, du: np.ndarray) -> float:
        """r-weighted RMS over the conductors of the H of ``du`` (A/m)."""
        dh2 = np.reshape(self.H @ du, (2, -1)) ** 2
        return math.sqrt((self.w @ (dh2[0] + dh2[1])) / self.w.sum())

    def field_error(
        self, du: np.ndarray, u: np.ndarray, temperature_K: float, self_field: float
    ) -> float:
        """``rms_field(du)`` relative to the self-field scale: (mean Jc of the superconductors)
        x (largest radius of the stack); without superconductors ``self_field`` (A/m, the run's
        largest ``rms_field`` of its currents so far: the eddy currents' field, the scale of the
        probes' error too), at least 1e-6 of the largest applied field (or of 1 A/m without
        one). Relative to the applied field (1000x the eddy field of a copper disk ramped at
        10 T/s) the steps missed the eddy transients: its probe trace was 7.1 % of its
        self-field off the trace converged in time at rtol 1e-3, 2.5 % at 1e-5; now 1.3 % /
        0.13 % at 1e-3 / 1e-4. Past Tc a normal-state channel's scale stays its Jc floor's (1e-3
        Jc x radius): the run's largest self-field there (the quench of ``test_pfm``, 3799 -> 1772
        steps) left its centre probe 4.1 mT (2.1 % of its 0.194 T self-field) off the trace at
        rtol 1e-5 as the flux rushed in; with the floor 0.07 mT."""
        rms = self.rms_field(du)
        w_sc = self.w[self.sc]
        if not len(w_sc):
            return rms / max(self_field, 1e-6 * max(self.field_scale, 1.0))
        jc = self.jc(u, temperature_K)
        if self.g_n is not None:  # past Tc a normal-state channel's Jc is 0: its floor
            jc = np.maximum(jc, self.jc_floor)
        mean = (w_sc @ jc) / w_sc.sum()
        return rms / (max(mean, SELF_FIELD_FLOOR * self.zero_field_jc(temperature_K)) * self.radius)

    def zero_field_jc(self, temperature_K: float | np.ndarray) -> float:
        """The superconductors' r-weighted mean Jc (A/m^2) at B = 0 and ``temperature_K`` (one
        temperature, or per conductor element as in ``jc``): the largest self-field scale the
        state can take at that temperature."""
        per_element = np.ndim(temperature_K) > 0
        t = temperature_K[self.sc] if per_element else temperature_K
        jc0 = np.empty(len(self.sc))
        for m, idx in self.sc_groups:
            jc0[idx] = m.jc_at(np.zeros(len(idx)), t[idx] if per_element else t)
        w_sc = self.w[self.sc]
        return float((w_sc @ jc0) / w_sc.sum())

    # constitutive law ------------------------------------------------------------------------
    def field_T(self, u: np.ndarray) -> np.ndarray:
        """|B| = mu0 |H| at the superconducting elements' centroids, T, shape (n_sc,): one
        product over their rows; np.hypot (bit-identical to the full product's |B|: sqrt of
        the squares differs in the last bit, which took a heated pulse's coarse run past Tc)."""
        h = matvec(self.H_sc, u)
        n = len(self.sc)
        return MU0 * np.hypot(h[:n], h[n:])

    def jc(self, u: np.ndarray, temperature_K: float | np.ndarray) -> np.ndarray:
        """Jc (A/m^2) of the superconducting elements at the state ``u``, shape (n_sc,), at one
        temperature or per conductor element (array (n_conductor,), K; then at least
        ``JC_FLOOR`` x Jc(B) of the material's reference temperature). A material with a
        normal-state channel keeps its Jc, 0 past Tc, and that floor goes to ``jc_floor``."""
        b = np.zeros(len(self.sc)) if self.field_free else self.field_T(u)
        out = np.empty(len(self.sc))
        per_element = np.ndim(temperature_K) > 0
        t = temperature_K[self.sc] if per_element else temperature_K
        for m, idx in self.sc_groups:
            out[idx] = m.jc_at(b[idx], t[idx] if per_element else t)
            if m.normal_resistivity_ohm_m:
                self.jc_floor[idx] = JC_FLOOR * m.jc.at(b[idx])
            elif per_element:
                out[idx] = np.maximum(out[idx], JC_FLOOR * m.jc.at(b[idx]))
        return out

    def set_temperature(self, temperature_K: float | np.ndarray) -> None:
        """Set the power-law exponents n(T) of the materials that give one, at one temperature
        or per conductor element (array (n_conductor,), K)."""
        if not self.n_of_T:
            return
        t = temperature_K if np.ndim(temperature_K) == 0 else temperature_K[self.sc]
        for m, idx in self.n_of_T:
            self.n[idx] = m.exponent(t if np.ndim(t) == 0 else t[idx])
        self._uniform_law()

    def _uniform_law(self) -> None:
        """``n_one``, ``e0_one``: the exponent and E0 (V/m) shared by every superconducting
        element, else the arrays ``n``, ``e0`` (a scalar power is the faster one, ``power``)."""
        n, e0 = self.n, self.e0
        one = len(n) > 0 and np.all(n == n[0]) and np.all(e0 == e0[0])
        self.n_one = float(n[0]) if one else n
        self.e0_one = float(e0[0]) if one else e0

    def dissipation(self, u: np.ndarray, temperature_K: float | np.ndarray) -> np.ndarray:
        """E.J (W/m^3) per conductor element at the state ``u``, shape (n_conductor,)."""
        J = self.C @ u
        return self.law(J, self.jc(u, temperature_K))[0] * J

    @np.errstate(over="ignore", invalid="ignore")
    def law(self, J: np.ndarray, jc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """E (V/m) and dE/dJ (ohm*m) per conductor element for J (A/m^2), Jc (A/m^2) of the
        superconducting ones: E = E0 (|J|/Jc)^n at every |J| (no cap; an overflow to inf makes
        Newton fail and the step shrink)."""
        E = np.empty_like(J)
        dE = np.empty_like(J)
        E[self.ohm] = self.rho * J[self.ohm]
        dE[self.ohm] = self.rho
        if self.g_n is None:
            pw, E[self.sc] = self._power(J[self.sc], jc)
            dE[self.sc] = self.n * pw / jc
        else:
            E[self.sc] = self._shared_field(J[self.sc], jc)
            dE[self.sc] = self._shared_inverse(E[self.sc], jc)[1]
        return E, dE

    def sc_field(self, Js: np.ndarray, jc: np.ndarray) -> np.ndarray:
        """E (V/m) of the superconducting elements at their J (A/m^2): ``law`` without dE/dJ;
        past the float range inf (with numpy's overflow warning, which ``newton`` silences)."""
        if self.g_n is not None:
            return self._shared_field(Js, jc)
        return self._power(Js, jc)[1]

    def _power(self, Js: np.ndarray, jc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """E0 (|J|/Jc)^(n-1) and E = that x J/Jc for the superconducting elements (an
        overflow gives inf; no errstate here: entering one per Newton iteration cost 3 us)."""
        x = Js / jc
        pw = self.e0_one * power(np.abs(x), self.n_one - 1)
        return pw, pw * x

    def inverse_law(self, Es: np.ndarray, jc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """J(E) (A/m^2) and dE/dJ there (ohm*m) for the superconducting elements: the inverse of
        ``law``."""
        if self.g_n is not None:
            return self._shared_inverse(Es, jc)
        n, e0 = self.n_one, self.e0_one
        mag = np.abs(Es)
        jx = (mag / e0) ** (1.0 / n)
        jx *= jc  # |J(E)| = Jc x
        # n E0 x^(n-1) / Jc = n |E| / (Jc x): one power, not two; E = 0 gives 0 (a perfect
        # conductor; the floor instead of a masked divide, which took as long as the power)
        g = n * mag
        g /= np.maximum(jx, TINY)
        return np.copysign(jx, Es), g

    def _shared_inverse(self, Es: np.ndarray, jc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``inverse_law`` with the normal-state channel: J = Jc (|E|/E0)^(1/n) sign(E) + E/rho_n
        and dE/dJ = 1 / (Jc x / (n |E|) + 1/rho_n), x = (|E|/E0)^(1/n); at E = 0 that is 0
        (a perfect conductor) where Jc > 0, rho_n where Jc = 0 (past Tc)."""
        n, e0, g_n = self.n_one, self.e0_one, self.g_n
        mag = np.abs(Es)
        carried = jc * (mag / e0) ** (1.0 / n)  # by the superconducting channel
        slope = carried + n * mag * g_n  # n |E| dJ/dE
        g = np.divide(n * mag, slope, out=np.zeros_like(mag), where=slope > 0)
        normal = (slope == 0) & (jc == 0)
        g[normal] = 1.0 / g_n[normal]
        return np.sign(Es) * carried + Es * g_n, g

    def _shared_field(self, Js: np.ndarray, jc: np.ndarray) -> np.ndarray:
        """E (V/m) at J (A/m^2) with the normal-state channel: the root of Jc (E/E0)^(1/n) +
        E/rho_n = |J|, by Newton in s = ln E (convex and increasing in s: from above the root
        every iterate stays above it and falls onto it; numpy has no vectorised root finder)
        from the smaller of the two channels' fields each alone carrying J (above the root)."""
        n, e0, g_n = self.n_one, self.e0_one, self.g_n
        mag = np.abs(Js)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            E = np.fmin(e0 * (mag / jc) ** n, mag / g_n)  # 0/0 where J = Jc = 0: not NaN
        # below 1e-250 V/m the normal channel carries nothing J can tell (and exp underflows)
        both = np.where((jc > 0) & (g_n > 0) & (E > 1e-250) & np.isfinite(E))[0]
        if len(both):
            nb, eb = (x[both] if np.ndim(x) else x for x in (n, e0))
            c, gb, jb = jc[both], g_n[both], mag[both]
            s = np.log(E[both])
            for _ in range(SHARED_ITERATIONS):
                es = np.exp(s)
                carried = c * (es / eb) ** (1.0 / nb)
                ds = (carried + es * gb - jb) / (carried / nb + es * gb)
                s -= ds
                if np.max(np.abs(ds)) < 1e-12:
                    break
            E[both] = np.exp(s)
        return np.sign(Js) * E


def power(x: np.ndarray, k: float | np.ndarray) -> np.ndarray:
    """x ** k elementwise; a whole number k (a scalar, 1 <= k <= 1024) by repeated squaring:
    about 6x faster than a scalar pow at k ~ 20-40, and the power law runs twice per Newton
    iteration (hand-written: numpy has no fast integer power of a float array; numpy 2.4's pow
    vectorised for AVX-512 takes half this time at 900 elements but 10-25x it where the
    results go subnormal, and asking numpy which pow it has costs 0.33 s)."""
    if np.ndim(k) or k != int(k) or not 1 <= k <= 1024:
        return x**k
    k, out, sq = int(k), None, x
    while True:
        if k & 1:
            out = sq.copy() if out is None else np.multiply(out, sq, out=out)
        k >>= 1
        if not k:
            return out
        sq = sq * sq


def matvec(A: sp.csr_matrix, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """A @ x (CSR A, float vector x) by scipy's own kernel without its per-call dispatch: 3.6
    instead of 10 us at the scout meshes' size, and Newton takes four or five per iteration.
    Given ``out`` (float, A's row count), A @ x is added to it and it is returned."""
    if out is None:
        out = np.zeros(A.shape[0])
    _sparsetools.csr_matvec(A.shape[0], A.shape[1], A.indptr, A.indices, A.data, x, out)
    return out


@dataclass
class State:
    """Time ``t`` (s), state ``u`` = x of ``Discretization`` (conductor edge dofs and air node
    potentials, A), applied field ``applied_T`` (T), ``temperature_K`` (K: the protocol's, the
    coolant's when a heat model runs), ``heat`` (the heat model's state, K)."""

    t: float
    u: np.ndarray
    applied_T: float
    temperature_K: float
    heat: np.ndarray | None = None  # the heat model's temperatures (K); None when isothermal


@dataclass
class StepControl:
    """Time-step and Newton settings. ``newton_tol``: J change / Jc that ends Newton (1e-3
    moves the probes by < 1e-5 relative against 1e-4, with 8-14 % fewer iterations, bench;
    ``run_protocol`` takes the case's rtol where that is tighter, and a thin stack takes it
    times ``Discretization.thinness``);
    ``reuse``: keep the last factorization while the J change shrinks by at least this factor
    per iteration (7-13 % fewer factorizations)."""

    rtol: float
    newton_tol: float = 1e-3
    max_newton: int = 25
    growth: float = 2.0
    reuse: float = 0.1
    stats: Stats = field(default_factory=Stats)
    # (c = mu0/dt, factorization) that ended the last converged step: the next step's first
    # iteration reuses it when its c is within ``keep_within`` of that one (10 % fewer
    # factorizations, +-1 % iterations on the bench's fine mesh; the second refactors)
    kept: tuple[float, object] | None = None
    keep_within: float = 0.3


# Past Tc, at the Jc floor, E and its dual update can overflow: an infinite residual makes the
# step non-finite (the time step fails and is retried smaller), an infinite E is clipped
@np.errstate(over="ignore")
def newton(
    d: Discretization,
    u_old: np.ndarray,
    dt: float,
    applied_T: float,
    temperature_K: float,
    ctl: StepControl,
    from_K: float | None = None,
) -> tuple[np.ndarray, int] | None:
    """Solve one backward-Euler step from the converged state ``u_old`` over ``dt`` to the
    applied field ``applied_T`` (T) at ``temperature_K``; ``u_old`` also starts the iteration.
    ``from_K``: the temperature ``u_old`` was solved at (K), where the step warms or cools it.

    Primal-dual Newton: each superconducting element also carries its E. The linear system is
    the primal one, K = mu0/dt M + C^T diag(w g) C, with g = dE/dJ at the current E and the
    residual corrected by the mismatch between J = C u and J(E) = Jc (E/E0)^(1/n). After the
    solve each element keeps the primal E(J_new) when E grows (primal Newton converges fast from
    below) and the dual update E + g (J_new - J(E)) when E falls (primal Newton only shrinks an
    overshoot by (1 - 1/n) per iteration; the inverse law is flat there). Jc(B) is lagged one
    iteration, so K stays symmetric positive definite.

    Returns (u, iterations) or None if Newton does not converge in ``ctl.max_newton``.
    """
    u = u_old.copy()
    jc = d.jc(u, temperature_K)  # a constant Jc: fixed for the step, else lagged per iteration
    scale = jc if d.g_n is None else np.maximum(jc, d.jc_floor)  # J changes relative to it
    sc, ohm, free = d.sc_of, d.ohm, d.newton_dofs
    Es = d.sc_field(matvec(d.C, u)[sc], jc)
    if not np.isfinite(Es).all():  # Jc fell so far that E0 (J/Jc)^n overflowed (J > 10 Jc at
        return None  # n = 300): inf / inf in the inverse law; the step is retried shorter
    n, e0 = d.n_one, d.e0_one
    # the growth cap E0 x_cap^n, x_cap = max(1, (|J(E)| / Jc) (1 + 5/n)), is max(E0, |E| k)
    k = (1.0 + 5.0 / n) ** n
    if from_K is not None:
        # a warming step starts E where the state had it, capped as each iteration's growth:
        # at the new Jc a 14.6 s step (30 -> 37 K, Jc(B, T) tables) started E 2e5 x E0 up and
        # Newton's first update landed on a reversed state (-0.124 T for +0.268 T), also a
        # backward-Euler solution: with Jc(B) the step's equations have more than one
        before = np.abs(d.sc_field(matvec(d.C, u_old)[sc], d.jc(u_old, from_K)))
        Es = np.copysign(np.minimum(np.abs(Es), np.maximum(e0, before) * k), Es)
    u[d.bnd] = applied_T / MU0 * d.unit_x[d.bnd]
    J = matvec(d.C, u)  # then carried: J + C_f step after each update
    # the held potentials' change, through the eliminated air, on Newton's rows (``Mnb``)
    held = matvec(d.Mnb, u[d.bnd] - u_old[d.bnd])
    du = np.zeros(len(free))  # Newton's unknowns' change over the step
    c = MU0 / dt
    w = d.w
    E, dE = np.empty_like(J), np.empty_like(J)
    dE[ohm] = d.rho
    lu = ctl.kept[1] if ctl.kept and abs(ctl.kept[0] / c - 1) <= ctl.keep_within else None
    ctl.kept, last_change, refactor = None, None, lu is None
    # the linear model stands on E = E(J): at the start, or after a primal update
    primal_model = True
    for it in range(1, ctl.max_newton + 1):
        if not d.field_free:
            jc = d.jc(u, temperature_K)
            scale = jc if d.g_n is None else np.maximum(jc, d.jc_floor)
        JE, g = d.inverse_law(Es, jc)
        if len(ohm):
            E[ohm] = d.rho * J[ohm]
        # superconductors: E plus the mismatch between J and J(E), and dE/dJ at E
        E[sc] = Es + g * (J[sc] - JE)
        dE[sc] = g
        R = matvec(d.Mff, du, out=held.copy())
        R *= c
        matvec(d.CTf, w * E, out=R)  # R += C_f^T (w E)
        if refactor or lu is None:
            try:
                lu = d.factorize(c, w * dE)
            except (RuntimeError, ValueError):
                return None
            ctl.stats.factorizations += 1
        ctl.stats.newton_iterations += 1
        step = lu.solve(R)
        np.negative(step, out=step)
        if not np.isfinite(step).all():
            return None
        Cd = matvec(d.Cf, step)
        change = np.maximum.reduce(np.abs(Cd[sc]) / scale, initial=0.0)
        if not math.isfinite(change):  # a diverging iterate: J overflowed (inf - inf next)
            return None
        u[free] += step
        du += step
        J_next = J + Cd
        Jn = J_next[sc]
        E_primal = d.sc_field(Jn, jc)
        E_dual = Es + g * (Jn - JE)
        sgn = np.sign(Es)
        size, primal_size = np.abs(Es), np.abs(E_primal)
        # E falls where the primal update keeps its sign and shrinks (never where E = 0)
        falls = (np.sign(E_primal) == sgn) & (primal_size < size)
        # the dual update, kept on E's side of zero and at least 1e-3 of E, at most the primal
        dual = sgn * np.minimum(primal_size, np.maximum(E_dual * sgn, 1e-3 * size))
        # growth per iteration is damped to E(max(1, x (1 + 5/n)) Jc): a primal step from
        # below overshoots; there is no upper bound, E follows the power law at any |J|/Jc
        cap = np.maximum(e0, size * k)
        capped = ~falls & (primal_size > cap)
        Es = np.where(falls, dual, np.copysign(np.minimum(primal_size, cap), E_primal))
        refactor = last_change is None or change > ctl.reuse * last_change
        last_change = change
        if change < ctl.newton_tol:
            # J(E) must match J where E matters; below 1e-8 E0 an element is a perfect conductor
            live = np.maximum(primal_size, np.abs(E_dual)) > 1e-8 * e0
            consistent = (
                it > 1 and np.max(np.abs(Jn - JE)[live] / scale[live], initial=0.0) < ctl.newton_tol
            )
            # Or primal Newton from below, fast: E only grew, by the power law, in this
            # iteration and in the one its linear model stands on. A capped E lags its J (a
            # 7.7 s step of a warming disk was taken with J 12 % of Jc off J(E)), and so does an
            # E from the dual update before (a 150 s step warming a disk at 1 K/min: J 23 % of
            # Jc off, the step's residual 165x its flux change, the probe 0.03 T off)
            if consistent or (primal_model and not np.any((falls | capped) & live)):
                ctl.kept = (c, lu)
                d.follow(u, u_old)
                return u, it
        primal_model = not np.any(falls | capped)
        J = J_next
    return None


def applied_at(step: Step, start: tuple[float, float], t_rel: float) -> tuple[float, float]:
    """(applied field T, temperature K) at time ``t_rel`` (s) into ``step`` starting from ``start``."""
    b, temp = start
    if isinstance(step, RampField):
        return b + math.copysign(
            min(step.rate_T_s * t_rel, abs(step.to_T - b)), step.to_T - b
        ), temp
    if isinstance(step, Pulse):
        return b + step.offset_T(t_rel), temp
    if isinstance(step, Cool):
        return b, step.to_K
    if isinstance(step, RampTemperature):
        return b, temp + math.copysign(
            min(step.rate_K_s * t_rel, abs(step.to_K - temp)), step.to_K - temp
        )
    return b, temp


def _stop(
    failed: str,
    state: State,
    k: int,
    step: Step,
    dt: float,
    kind: type = SolverError,
    to: tuple[float, float] | None = None,
) -> SolverError:
    """The error (a ``kind``) that ends a run: what ``failed``, when, in which protocol step, at
    what step; ``to``: (applied field T, temperature K) the failed step aimed at, where it
    failed (the state is where it started: a ramp_temperature at 1e8 K/s that failed stepping
    33.73 -> 34.06 K was said to fail at 33.7268 K)."""
    aim = f" (from there to {to[0]:.6g} T, {to[1]:.6g} K)" if to is not None else ""
    return kind(
        f"{failed} at t = {state.t:.6g} s in protocol step {k} ({step!r}), applied field "
        f"{state.applied_T:.6g} T, {state.temperature_K:.6g} K, time step {dt:.3g} s{aim}; "
        f"results up to t = {state.t:.6g} s are kept"
    )


def past_tc(d: Discretization, temperature_K: float | np.ndarray) -> tuple[int, float, float, str]:
    """Superconducting elements at or past their Tc (``temperature_K`` per conductor element,
    K) whose material has no normal-state channel, where the model keeps ``JC_FLOOR`` of their
    Jc: (how many, the temperature of the one furthest past its Tc, that Tc, its material),
    (0, nan, nan, "") when none is."""
    none = 0, np.nan, np.nan, ""
    if np.ndim(temperature_K) == 0:
        return none
    t_sc = np.asarray(temperature_K)[d.sc]
    past = [
        (t_sc[idx], m.tc_K, m.name)
        for m, idx in d.sc_groups
        if m.tc_K and len(idx) and not m.normal_resistivity_ohm_m  # whose state the model follows
    ]
    hot = [(t[t >= tc], tc, name) for t, tc, name in past if (t >= tc).any()]
    if not hot:
        return none
    hottest, tc, name = max(((t.max(), tc, name) for t, tc, name in hot), key=lambda x: x[0] - x[1])
    return sum(len(t) for t, _, _ in hot), float(hottest), float(tc), name


def _past_tc(d: Discretization, temperature_K: float | np.ndarray) -> str:
    """What a failed step says of ``past_tc``: a quench, which the model (the superconducting
    state, Jc floored at ``JC_FLOOR``) does not follow; "" when none is."""
    count, hottest, tc, name = past_tc(d, temperature_K)
    if not count:
        return ""
    return (
        f" ({count} superconducting element{'s' * (count > 1)} past Tc, the hottest at "
        f"{hottest:.4g} K against Tc {tc:.4g} K: a quench, which the model of the "
        f"superconducting state does not follow; materials.{name}.normal_resistivity gives it "
        "the normal state)"
    )


def _runaway(d: Discretization, temperature_K: float | np.ndarray, coolant_K: float) -> str:
    """What a failed step says when a heat model has warmed the conductors (``temperature_K``
    per conductor element) over 1 K above the coolant (``coolant_K``): a runaway, and the normal state that
    lets the model follow one; "" otherwise (a C 100x too small under a 3 T pulse said only
    that Newton failed, at 31 K)."""
    if np.ndim(temperature_K) == 0 or np.max(temperature_K) < coolant_K + 1.0:
        return ""
    hottest = float(np.max(temperature_K))
    return (
        f" (the hottest element at {hottest:.4g} K, {hottest - coolant_K:.3g} K above the "
        f"protocol's {coolant_K:.4g} K: a thermal runaway or a flux jump{_normal_state(d)})"
    )


def _normal_state(d: Discretization) -> str:
    """The advice a runaway's message ends with: the normal-state channel, which lets the model
    follow one (the run goes through), of the first superconductor without one; "" if none."""
    names = [m.name for m, idx in d.sc_groups if len(idx) and not m.normal_resistivity_ohm_m]
    return f"; materials.{names[0]}.normal_resistivity lets the model follow it" if names else ""


def _heats_out(d: Discretization, state: State, even: str = "") -> str:
    """What a run stopped by the heat's step limit says (``even``: at which step): a runaway,
    its hottest element (K) at ``state`` and the normal state that lets the model follow it."""
    hottest = d.heat.element_temperature(state.heat).max()
    return (
        f"the conductors heat faster than any step can follow{even} (a thermal runaway, a flux "
        f"jump; hottest element {hottest:.4g} K{_normal_state(d)})"
    )


def _smallest(floor: float, dt_min: float) -> str:
    """Names the smallest time step (``floor``, s), and why when the time reached rather than
    the protocol step (``dt_min``, s) sets it."""
    if floor <= dt_min:
        return "the smallest time step"
    return (
        f"the smallest time step, {floor:.3g} s ({TIME_RESOLUTION:g} of the time reached: a "
        "float time resolves no finer; a protocol step run earlier steps finer)"
    )


def run_protocol(
    d: Discretization,
    on_step: Callable[[State, bool], None],
    stats: Stats | None = None,
    breakpoints: tuple[float, ...] = (),
    schedule: np.ndarray | None = None,
    deadline: float | None = None,
) -> State:
    """March through the case's protocol; ``on_step(state, is_step_end)`` after each accepted step.

    Time steps adapt to the error estimate, or, given a ``schedule`` (times, s), go from one
    scheduled time to the next (substeps only where Newton fails): the coarse run of a
    coarse/fine pair steps over every other time of the fine run.

    Stops with ``SolverError`` (time reached, protocol step, what failed) when a step (its EM
    solve or its heat solve, ``HeatNotConverged``) cannot be
    solved even with a time step of 1e-9 of the protocol step (of a pulse's shortest stretch
    between kinks) or the heat limit rejects it there, after ``MAX_REJECTED_IN_ROW`` rejected
    attempts in a row, or at ``deadline`` (a ``time.perf_counter()`` reading; by
    default the case's ``[solver] max_wall`` from now), checked once a first step is accepted,
    so a stopped run always has advanced; what ``on_step`` received so far stays valid.
    """
    case = d.case
    ctl = StepControl(case.solver.rtol, stats=stats or Stats())
    # never looser than the steps: a Newton error of 1e-3 Jc per step piles up over thousands
    # of steps (a Kim disk, n = 50, ZFC 2 T and back at 10 T/s, its 2 mm mesh at rtol 1.5e-5
    # stepped at a 1 mm run's 6393 times: 0.2038 T where its own steps gave 0.2068)
    ctl.newton_tol = min(ctl.newton_tol, case.solver.rtol) * d.thinness
    if deadline is None:
        deadline = time.perf_counter() + case.solver.max_wall_s
    steps_before = ctl.stats.time_steps
    first = case.protocol[0]
    assert isinstance(first, Set)
    heat = d.heat
    state = State(0.0, d.initial(first.field_T), first.field_T, first.temperature_K)
    if heat:
        state.heat = heat.initial(first.temperature_K)
    on_step(state, True)
    ends = states(case.protocol)
    peak = 0.0  # without superconductors the step control's scale: see ``field_error``
    carried = math.inf  # the last accepted time step (s) of the protocol step before
    eddy = not len(d.sc)
    for k, step in enumerate(case.protocol[1:], start=1):
        start = ends[k - 1]
        duration = step_duration(step, start)
        t0 = state.t
        knots = (t0 + x for x in step.knots_s) if isinstance(step, Pulse) else ()
        inside = (b for b in (*breakpoints, *knots) if t0 < b < t0 + duration)
        cuts = sorted({t0 + duration, *inside})
        targets = cuts
        if schedule is not None:
            scheduled = schedule[(schedule > t0) & (schedule < t0 + duration)]
            targets = sorted({*cuts, *scheduled.tolist()})
        dt = max(duration * 1e-4, 1e-6, TIME_RESOLUTION * t0) if schedule is None else math.inf
        # the smallest step and the snap onto a cut: 1e-9 of the shortest stretch between kinks
        # (a pulse's rise of 10 ms with a decay of 1e6 s: 1 ms, too long for its heat, it failed
        # at t = 0 as a "thermal runaway"; and a snap from 9.0 to 10 ms without a solve)
        span = min(np.diff([0.0, *step.knots_s, duration])) if isinstance(step, Pulse) else duration
        # nor above 1e-3 of the last step before it: a transient it leaves runs on into this
        # one (a pulse's heat leaving a disk through a cold head within ms: a 1e6 s hold after
        # it failed at its 1 ms smallest step)
        dt_min = max(1e-9 * min(span, 1e6 * carried), 1e-9)
        if heat:  # a flux jump runs on its own clock, not the step's: 1e-9 of a 3000 s ramp
            dt_min = 1e-9  # (3 us) failed an MgB2 cylinder's jump where a 3 s ramp's ran through
        u_prev, dt_prev, heat_prev = None, None, None
        in_row, heated_out = 0, False  # heated_out: the last rejection was the heat's

        while state.t < t0 + duration * (1 - 1e-12):
            floor = max(dt_min, TIME_RESOLUTION * state.t)  # see TIME_RESOLUTION
            t_next_cut = next(c for c in targets if c > state.t * (1 + 1e-14) + 1e-12)
            if ctl.stats.time_steps > steps_before and time.perf_counter() > deadline:
                raise _stop(  # a scheduled run's dt is inf between its times: say the next step
                    f"wall-time limit [solver] max_wall = {case.solver.max_wall_s:g} s reached",
                    state,
                    k,
                    step,
                    min(dt, t_next_cut - state.t),
                    WallTimeError,
                )
            if in_row >= MAX_REJECTED_IN_ROW:
                why = ""
                if heated_out:
                    why = f": {_heats_out(d, state)}"
                    if floor > dt_min:  # the time reached, not the heat, holds the steps up
                        why += f", {_smallest(floor, dt_min)}"
                to = applied_at(step, start, state.t + dt - t0)
                raise _stop(f"{in_row} rejected steps in a row{why}", state, k, step, dt, to=to)
            dt = min(dt, t_next_cut - state.t)
            if case.solver.max_step_s:
                dt = min(dt, case.solver.max_step_s)
            b_new, temp_new = applied_at(step, start, state.t + dt - t0)
            u_pred = state.u if u_prev is None else state.u + (dt / dt_prev) * (state.u - u_prev)
            # coupled: Jc(B, T) at the temperatures the step starts from
            temp_em = heat.element_temperature(state.heat) if heat else temp_new
            d.set_temperature(temp_em)
            warmed = None if heat or temp_new == state.temperature_K else state.temperature_K
            sol = newton(d, state.u, dt, b_new, temp_em, ctl, warmed)
            heated_out = False
            if sol is None:
                ctl.stats.rejected += 1
                in_row += 1
                if dt * 0.25 < floor:
                    raise _stop(
                        f"Newton did not converge even at {_smallest(floor, dt_min)}"
                        + (_past_tc(d, temp_em) or _runaway(d, temp_em, state.temperature_K)),
                        state,
                        k,
                        step,
                        dt,
                        to=(b_new, temp_new),
                    )
                dt *= 0.25
                continue
            u_new, its = sol
            if u_prev is not None and schedule is None:
                err = dt / (dt + dt_prev) * d.field_error(u_new - u_pred, u_new, temp_em, peak)
            else:
                err = 0.0
            if err > ctl.rtol:
                ctl.stats.rejected += 1
                in_row += 1
                if dt <= floor:  # the same step again errs alike (a 50 T pulse rising in 1 us
                    # was retried 40 times at 1 ns and said only "40 rejected steps in a row")
                    # heated past Tc or running away, that is why (a quench near a pulse's end,
                    # the field moving 4e-8 T in the step, was blamed on the protocol's pace)
                    why = _past_tc(d, temp_em) or _runaway(d, temp_em, state.temperature_K)
                    raise _stop(
                        f"the time error stays above [solver] rtol = {ctl.rtol:g} even at "
                        f"{_smallest(floor, dt_min)} ({err / ctl.rtol:.3g}x it; the "
                        f"applied field moves "
                        f"{abs(b_new - state.applied_T):.3g} T in it)"
                        + (why or ": the protocol changes faster than the model can follow"),
                        state,
                        k,
                        step,
                        dt,
                    )
                dt = max(dt * max(0.2, 0.9 * math.sqrt(ctl.rtol / err)), floor)
                continue
            heat_new, rise, heat_err = None, 0.0, 0.0
            if heat:  # the converged step's E.J heats the conductors over the same dt
                q = d.dissipation(u_new, temp_em)
                try:
                    heat_new = heat.step(state.heat, q, dt, temp_new)
                except HeatNotConverged as err:  # retried shorter (it had been taken, unsaid)
                    ctl.stats.rejected += 1
                    in_row += 1
                    if dt * 0.25 < floor:
                        why = _past_tc(d, temp_em) or _runaway(d, temp_em, state.temperature_K)
                        raise _stop(
                            f"{err} even at {_smallest(floor, dt_min)}{why}",
                            state,
                            k,
                            step,
                            dt,
                            to=(b_new, temp_new),
                        ) from err
                    dt *= 0.25
                    continue
                rise = heat.change_ratio(state.heat, heat_new, temp_new, dt <= floor)
                # a pair's coarse run steps over every other fine time, so its steps rise up to
                # twice the fine run's: held to one rise, it had cut them back to about the fine
                # run's and the pair missed their time error (a heated pulse: 368 steps for 279)
                if rise > (1.0 if schedule is None else 2.5):
                    ctl.stats.rejected += 1
                    in_row, heated_out = in_row + 1, True
                    if dt <= floor:  # the same step again rises alike (a pulse's runaway was
                        # retried 39 more times at 1 ns, each 1.0001x what a step may)
                        raise _stop(
                            _heats_out(d, state, f" even at {_smallest(floor, dt_min)}")
                            + f": an element changes {rise:.5g}x what a step may, {in_row} "
                            f"rejected step{'s' * (in_row > 1)} in a row",
                            state,
                            k,
                            step,
                            dt,
                            to=(b_new, temp_new),
                        )
                    dt = max(dt * max(0.2, 0.9 / rise), floor)
                    continue
                # the coupling's: the step heated by E.J at the temperatures it started from;
                # under a field ramp only, where a flux jump's field is asked (in a pulse's
                # quench it took test_pfm's full quench ~5x the CPU: not measured further)
                if schedule is None and dt > floor and isinstance(step, RampField):
                    q_after = d.dissipation(u_new, heat.element_temperature(heat_new))
                    lag = heat.lag_error(q, q_after, dt, heat_new)
                    if lag > 1.0:
                        ctl.stats.rejected += 1
                        in_row += 1
                        dt = max(dt * max(0.2, 0.9 / math.sqrt(lag)), floor)
                        continue
                    heat_err = lag
                # the conduction's own time error where the applied field holds still (a
                # hold, a cool step, a temperature ramp), which the field's error cannot see;
                # under a changing field the field's and the coupling's errors alone (held to
                # the conduction's there too, a cooled cylinder's jump field moved < 0.01 %)
                if heat_prev is not None and schedule is None and b_new == state.applied_T:
                    heat_err = max(
                        heat_err, heat.time_error(heat_prev, state.heat, heat_new, dt, dt_prev)
                    )
                    if heat_err > 1.0 and dt > floor:
                        ctl.stats.rejected += 1
                        in_row += 1
                        dt = max(dt * max(0.2, 0.9 / math.sqrt(heat_err)), floor)
                        continue
            in_row = 0
            ctl.stats.time_steps += 1
            if heat:
                ctl.stats.dissipated_J += 2 * math.pi * dt * float(d.w @ q)
                ctl.stats.removed_J += dt * heat.outflow_W
            factor = (
                ctl.growth
                if err == 0
                else min(ctl.growth, max(0.5, 0.9 * math.sqrt(ctl.rtol / err)))
            )
            if rise > 0:
                factor = min(factor, max(0.5, 0.9 / rise))
            if heat_err > 0:
                factor = min(factor, max(0.5, 0.9 / math.sqrt(heat_err)))
            if its > 12:
                factor = min(factor, 0.7)
            elif its > 8:
                factor = min(factor, 1.0)
            u_prev, dt_prev, carried, heat_prev = state.u, dt, dt, state.heat
            if eddy:
                peak = max(peak, d.rms_field(u_new - d.initial(b_new)))
            state = State(state.t + dt, u_new, b_new, temp_new, heat_new)
            at_target = abs(state.t - t_next_cut) <= 1e-9 * max(1.0, span)
            if at_target:
                state.t = t_next_cut
            on_step(state, at_target and t_next_cut in cuts)
            dt = math.inf if schedule is not None and at_target else dt * factor
    return state
