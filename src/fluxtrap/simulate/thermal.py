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

With a cold head (``[thermal.cold_head]``) the cooled surfaces couple through their heat transfer
coefficient to one more unknown, the cold head's temperature, with its own enthalpy and the
cooler's load curve P(T) as an implicit sink (dP/dT >= 0 keeps the Jacobian symmetric positive
definite); the protocol temperature is a heater's set point: when the free cold head would end a
step below it, the step is solved again with the cold head held at the set point, and the heater
power is that node's residual (``cold_head_flows``).

Coupling (``solver.run_protocol``): a step's EM solve uses the temperatures at its start
(Jc(B, T) per element); its converged E.J then heats the conductors over the same dt. A step
in which an element rises by more than ``MAX_RISE_K`` or ``RISE_FRACTION`` of its temperature
(whichever is larger) is rejected and retried shorter, so the lag of one step stays small
through a flux jump (``change_ratio``; falls count too, and the cold head's own change while
free: a cooldown is stepped like a heating).

All integrals here are per radian (r dA, no 2 pi); ``heat_J`` multiplies by 2 pi.
"""

from __future__ import annotations

import math

import numpy as np
import qdldl
import scipy.sparse as sp

from fluxtrap.simulate.options import SolverOptions
from fluxtrap.simulate.thermal_spec import MATERIAL_KEYS, TemperatureTable

MAX_RISE_K = 0.5  # an element may rise by this (K) or RISE_FRACTION of its temperature per step
RISE_FRACTION = 0.05
# ... at the default [solver] rtol; a tighter rtol tightens both as sqrt(rtol / 1e-3), as it does
# the field's steps (dt ~ sqrt(rtol)), so that the pairs' tighter rtols cut a heated run's time
# error too: held at these, through a quench they set a time error first order in them that no
# rtol cut (test_pfm's full quench: ~38 mT, 0.06 K final mean; bench/results/simulator_accuracy.md)
REFERENCE_RTOL = SolverOptions.rtol
# the conduction model's local time error per step (K): at most this share of MAX_RISE_K (or of
# RISE_FRACTION of the temperature) at the reference rtol, in proportion to rtol. Held to the
# rises alone, a rod cooled 10 -> 5 K through its held bottom took steps of ~1 element time
# constant next to it (0.26 ms at 0.5 mm, 52 mK off a dt-converged run) and up to 1.4 of its
# slowest mode's (40 ms) later, its top 150 mK off (3 % of the drop); with this share: 9 and
# 64 mK, 108 steps for 44 (0.01: 6 and 46 mK, 143 steps)
HEAT_ERROR_SHARE = 0.02
# what ``lag_error`` lets a step miss: this share of MAX_RISE_K (or of RISE_FRACTION of the
# temperature) at the reference rtol, in proportion to rtol. A side-cooled cylinder's first jump
# (h 100 W/(m^2 K), 0.5 T/s; 0.4726 T off 0.25 ms steps): 0.549 T at 0.02 (366 steps), 0.479 T
# at 0.005 (494), 0.474 T at 0.001 (1066); without it 0.695 T (46 steps)
LAG_ERROR_SHARE = 0.005
NEWTON_ITERATIONS = 30  # of the conduction solve per step (and per cold head value); then refused
HEAD_ITERATIONS = 100  # of the cold head's safeguarded Newton per step; then refused
TWO_PI = 2 * math.pi


class HeatNotConverged(ArithmeticError):
    """A step's heat solve did not converge: ``solver.run_protocol`` retries the step shorter and
    stops with its ``SolverError`` when it cannot shrink further."""


def rise_scale(rtol: float) -> float:
    """The share of ``MAX_RISE_K`` and ``RISE_FRACTION`` a step may take at ``rtol``:
    sqrt(rtol / REFERENCE_RTOL), at most 1."""
    return min(1.0, math.sqrt(rtol / REFERENCE_RTOL))


def change_ratio(
    before_K: np.ndarray, after_K: np.ndarray, falls: bool = False, scale: float = 1.0
) -> float:
    """Largest rise (or change, with ``falls``) of a temperature in a step over what it may
    change, ``scale`` (``rise_scale``) times the larger of MAX_RISE_K and RISE_FRACTION of it
    (> 1: the step is too long)."""
    allowed = scale * np.maximum(MAX_RISE_K, RISE_FRACTION * before_K)
    change = after_K - before_K
    return float(np.max((np.abs(change) if falls else change) / allowed, initial=0.0))


def lag_error(
    g: _Geometry,
    q_W_m3: np.ndarray,
    q_after_W_m3: np.ndarray,
    dt: float,
    after_K: np.ndarray,
    rtol: float,
) -> float:
    """The coupling's time error of a step over what a step may err (> 1: too long): the step
    heats by E.J at the temperatures it starts from (``q_W_m3``, per conductor element), where
    E.J at those it ends at (``q_after_W_m3``) differs; half the difference over ``dt`` (s) and
    the heat capacity at ``after_K`` is the temperature it misses, and a step may miss
    LAG_ERROR_SHARE x rtol / REFERENCE_RTOL of max(MAX_RISE_K, RISE_FRACTION T). Near a flux
    jump E.J grows as (J / Jc(T))^n: a 0.5 K rise of Jc falling over 30 K heats 1.5x more at
    n = 25, which neither the field's nor the conduction's own error sees (a ramp's jump field
    was 3-47 % high at the default rtol, off 0.25-0.5 ms-step references)."""
    capacity = np.empty_like(after_K)
    for k in np.unique(g.mat):
        idx = g.mat == k
        capacity[idx] = g.capacity(k).at(after_K[idx])
    missed = 0.5 * np.abs(q_after_W_m3 - q_W_m3) * dt / capacity
    allowed = np.maximum(MAX_RISE_K, RISE_FRACTION * after_K)
    return float(np.max(missed / allowed, initial=0.0)) / (LAG_ERROR_SHARE * rtol / REFERENCE_RTOL)


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

    def outside_tables(
        self, low_K: np.ndarray, high_K: np.ndarray, keys: tuple[str, ...]
    ) -> list[str]:
        """What left a material's table over temperature: each of ``keys`` ("heat_capacity",
        "thermal_conductivity") and a superconductor's n(T) of each conductor material whose
        elements' lowest ``low_K`` or highest ``high_K`` (n_conductor,) lie outside it, where
        its end value is held."""
        notes = []
        for k in np.unique(self.mat):
            m, on = self.materials[k], self.mat == k
            lo, hi = float(low_K[on].min()), float(high_K[on].max())
            for key in keys:
                table, where = getattr(m.thermal, key), f"materials.{m.name}.{key}"
                notes += _beyond(table, where, _UNIT[key], lo, hi)
            if getattr(m, "n_table", None):  # a superconductor's n(T)
                notes += _beyond(m.n_table, f"materials.{m.name}.n", "", lo, hi)
        return notes

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


class _Span:
    """The lowest and highest temperature (K) each of ``n`` places reached over the states
    given to ``add``."""

    def __init__(self, n: int):
        self.low, self.high = np.full(n, np.inf), np.full(n, -np.inf)

    def add(self, low_K: np.ndarray, high_K: np.ndarray) -> None:
        np.minimum(self.low, low_K, out=self.low)
        np.maximum(self.high, high_K, out=self.high)


class AdiabaticHeat:
    """One temperature per conductor element (K), heated by its own E.J, nothing exchanged."""

    outflow_W = 0.0  # heat leaving through cooled surfaces over the last step: none

    def __init__(self, case, mesh, conductor: np.ndarray):
        self.g = _Geometry(case, mesh, conductor)
        self.groups = [(k, np.where(self.g.mat == k)[0]) for k in np.unique(self.g.mat)]
        self.span = _Span(len(self.g.w))
        self.scale = rise_scale(case.solver.rtol)
        self.rtol = case.solver.rtol

    def track(self, T: np.ndarray) -> None:
        """Count the state ``T`` of an accepted step in ``outside_tables``."""
        self.span.add(T, T)

    def outside_tables(self) -> list[str]:
        """Each heat capacity table the tracked temperatures left (its end value was held)."""
        return self.g.outside_tables(self.span.low, self.span.high, ("heat_capacity",))

    def initial(self, temperature_K: float) -> np.ndarray:
        return np.full(len(self.g.w), float(temperature_K))

    def element_temperature(self, T: np.ndarray) -> np.ndarray:
        """Temperature per conductor element (K), shape (n_conductor,)."""
        return T

    def mean_temperature(self, T: np.ndarray) -> float:
        """Volume mean of the conductors' temperature (K)."""
        return float(self.g.w @ T / self.g.w.sum())

    def change_ratio(
        self, T: np.ndarray, T_new: np.ndarray, bath_K: float, shortest: bool = False
    ) -> float:
        """The largest rise of an element over what one step may take (> 1: too long)."""
        return change_ratio(T, T_new, scale=self.scale)

    def lag_error(
        self, q_W_m3: np.ndarray, q_after_W_m3: np.ndarray, dt: float, T_new: np.ndarray
    ) -> float:
        """``lag_error`` of a step ending at the state ``T_new`` (> 1: too long)."""
        after = self.element_temperature(T_new)
        return lag_error(self.g, q_W_m3, q_after_W_m3, dt, after, self.rtol)

    def time_error(self, *_: object) -> float:
        """No time-error control of its own: an element's heating follows E.J, whose time error
        the field's control holds."""
        return 0.0

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
        capacities = [g.capacity(k).values for k in self.mats]
        if settings.cold_head:
            capacities.append(settings.cold_head.heat_capacity.values)
        self._constant_c = all(len(set(c)) == 1 for c in capacities)  # Newton's first solve: exact
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
        # unknowns: the nodes, then the cold head's temperature (index n) if there is one
        self.cold_head = settings.cold_head
        self.size = n + 1 if self.cold_head else n
        self._boundaries(mesh, settings, resistance)
        self._pattern()
        self.span = _Span(len(g.w) + (self.size - n))  # the elements' nodes, the cold head
        self.scale = rise_scale(case.solver.rtol)
        self.rtol = case.solver.rtol
        self.rtol_share = case.solver.rtol / REFERENCE_RTOL

    def track(self, T: np.ndarray) -> None:
        """Count the state ``T`` of an accepted step in ``outside_tables``."""
        nodes, head = T[self.node], T[self.n :]
        self.span.add(np.r_[nodes.min(axis=1), head], np.r_[nodes.max(axis=1), head])

    def outside_tables(self) -> list[str]:
        """Each heat capacity or conductivity table (of the cold head's heat capacity too) the
        tracked temperatures left (its end value was held)."""
        low, high, n = self.span.low, self.span.high, len(self.g.w)
        notes = self.g.outside_tables(low[:n], high[:n], MATERIAL_KEYS)
        if self.cold_head:
            where = "thermal.cold_head.heat_capacity"
            notes += _beyond(self.cold_head.heat_capacity, where, "J/K", low[-1], high[-1])
        return notes

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
        self.free = np.setdiff1d(np.arange(self.size), self.held)
        # contact resistance: each interface edge appears once per layer with its own nodes
        self.contact = sp.csr_matrix((self.size, self.size))
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
            self.contact = _coupling(a, b, v, self.size)

    def initial(self, temperature_K: float) -> np.ndarray:
        """The state at ``temperature_K``: the nodes, then the cold head if any (K)."""
        return np.full(self.size, float(temperature_K))

    def element_temperature(self, T: np.ndarray) -> np.ndarray:
        """Mean of each conductor element's three node temperatures (K), shape (n_conductor,)."""
        return T[self.node].mean(axis=1)

    def mean_temperature(self, T: np.ndarray) -> float:
        """Volume mean of the conductors' P1 temperature (K): the integral of T r dA exactly
        (the lumped loads), so that with a constant C it is the heat's own mean; the elements'
        node means weighted by r dA were 0.17 % of the rise off it (a pulsed disk at 1 mm)."""
        return float((self.load * T[self.node]).sum() / self.load.sum())

    def change_ratio(
        self, T: np.ndarray, T_new: np.ndarray, bath_K: float, shortest: bool = False
    ) -> float:
        """The largest change over what one step may take (> 1: too long): the elements' rises
        and falls, and the cold head's change unless the set point (``bath_K``) holds it. A step
        already the ``shortest`` counts rises only: a fall no step can shorten is taken (h 1e9
        W/(m^2 K) under one face of a 0.3 mm disk cooled its nodes there within 1e-9 s, and the
        run failed at t = 0 as a "thermal runaway"; a held surface follows a cool step at once).
        Falls counted with held surfaces too: a rod cooled 10 -> 5 K through its held bottom was
        stepped by its rises alone, 14 steps, and its top 9.4 % of the drop off the 1D series."""
        falls = not shortest
        before, after = self.element_temperature(T), self.element_temperature(T_new)
        if falls and self.cold_head is None:  # a fall that ends within one allowed change of the
            # coolant has reached it (a cooling faster than any step, h 1e12 W/(m^2 K), does)
            near = after <= bath_K + self.scale * np.maximum(MAX_RISE_K, RISE_FRACTION * before)
            after = np.where(near & (after < before), before, after)
        ratio = change_ratio(before, after, falls, self.scale)
        if self.cold_head and T_new[self.n] != bath_K:
            ratio = max(ratio, change_ratio(T[self.n :], T_new[self.n :], not shortest, self.scale))
        return ratio

    def lag_error(
        self, q_W_m3: np.ndarray, q_after_W_m3: np.ndarray, dt: float, T_new: np.ndarray
    ) -> float:
        """``lag_error`` of a step ending at the state ``T_new`` (> 1: too long)."""
        after = self.element_temperature(T_new)
        return lag_error(self.g, q_W_m3, q_after_W_m3, dt, after, self.rtol)

    def time_error(
        self, T_prev: np.ndarray, T: np.ndarray, T_new: np.ndarray, dt: float, dt_prev: float
    ) -> float:
        """The step's local time error over what a step may err (> 1: too long): backward
        Euler's, dt / (dt + dt_prev) x the distance of ``T_new`` from the line through
        ``T_prev`` and ``T`` (as the field's), at the free unknowns (not the held nodes); a step
        may err HEAT_ERROR_SHARE x rtol / REFERENCE_RTOL of max(MAX_RISE_K, RISE_FRACTION T)."""
        free = self.free
        pred = T[free] + (dt / dt_prev) * (T[free] - T_prev[free])
        err = dt / (dt + dt_prev) * np.abs(T_new[free] - pred)
        allowed = np.maximum(MAX_RISE_K, RISE_FRACTION * T_new[free])
        return float(np.max(err / allowed, initial=0.0)) / (HEAT_ERROR_SHARE * self.rtol_share)

    def cold_head_flows(
        self, T: np.ndarray, T_new: np.ndarray, dt: float, set_point_K: float
    ) -> tuple[float, float]:
        """(cooler, heater) power in W over the step ``T`` -> ``T_new`` of ``dt`` (s): the
        cooler's P(T_new) and what the set-point heater added (0 when the cold head ran free)."""
        ch, head = self.n, self.cold_head
        cooler = float(head.power_W(T_new[ch]))
        if T_new[ch] != set_point_K:
            return cooler, 0.0
        capacity = head.heat_capacity
        stored = float(capacity.integral(T_new[ch]) - capacity.integral(T[ch])) / dt
        into = TWO_PI * float(self.robin @ (T_new[ch] - T_new[:ch]))
        return cooler, stored + into + cooler - head.heat_load_W

    def _enthalpy(self, T: np.ndarray) -> np.ndarray:
        """Heat content per unknown (J per radian): sum over materials of mass x H(T) per node,
        the cold head's H(T) / 2 pi."""
        h = sum(self.mass[:, k] * self.g.capacity(k).integral(T[: self.n]) for k in self.mats)
        if self.cold_head:
            h = np.r_[h, self.cold_head.heat_capacity.integral(T[self.n]) / TWO_PI]
        return h

    def _capacity(self, T: np.ndarray) -> np.ndarray:
        c = sum(self.mass[:, k] * self.g.capacity(k).at(T[: self.n]) for k in self.mats)
        if self.cold_head:
            c = np.r_[c, self.cold_head.heat_capacity.at(T[self.n]) / TWO_PI]
        return c

    def _pattern(self) -> None:
        """The conduction matrix on a fixed pattern: its values are ``P @ k + base`` (k per
        element, base = contact + cooling: to the bath on the diagonal, or coupling each cooled
        node to the cold head); the free-free block is factorized by ``_Factor``: all unknowns
        but the held surfaces, and with a cold head a second block without it (held at the set
        point)."""
        n = self.size
        if self.cold_head:
            cooled = np.nonzero(self.robin)[0]
            head = np.full(len(cooled), self.n)
            cooling = _coupling(cooled, head, self.robin[cooled], n)
        else:
            cooling = sp.diags(np.r_[self.robin, np.zeros(n - self.n)])
        base = (self.contact + cooling + sp.eye(n) * 0.0).tocoo()
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
        contact = self.contact.tocoo()  # the base without the cooling (``_outflow``)
        self.base_contact = np.zeros(len(keys))
        np.add.at(self.base_contact, position(contact.row, contact.col), contact.data)
        self.cooled = np.union1d(np.nonzero(self.robin)[0], self.held)
        self.A = sp.csc_matrix((np.zeros(len(keys)), pattern.indices, pattern.indptr), shape=(n, n))
        self._inward = self.A.copy()  # ``_outflow``'s conduction matrix, on A's pattern
        index = sp.csc_matrix((np.arange(len(keys)) + 1.0, pattern.indices, pattern.indptr))
        # the unknowns Newton solves for: with a cold head all nodes, the head found around them
        self._block = _Factor(index, self.free[:-1] if self.cold_head else self.free)

    def conductivity(self, T: np.ndarray) -> np.ndarray:
        """k (W/(m*K)) per conductor element at the mean of its nodes' temperatures."""
        Te = self.element_temperature(T)
        k = np.empty(len(Te))
        for m in self.mats:
            idx = self.g.mat == m
            k[idx] = self.g.conductivity(m).at(Te[idx])
        return k

    def step(self, T: np.ndarray, source_W_m3: np.ndarray, dt: float, bath_K: float) -> np.ndarray:
        """The state (nodes, cold head) after ``dt`` (s) with heat ``source_W_m3`` per conductor
        element, the coolant (or the cold head's set point) at ``bath_K``: backward Euler in the
        enthalpy. A cold head is held at the set point if its heat balance there asks for heat
        (the heater), else its temperature is the root of that balance."""
        conduction = self.P @ self.conductivity(T)
        self.A.data[:] = conduction + self.base
        self.outflow_W = math.nan  # set by a step that converged
        f = np.zeros(self.size)
        f[: self.n] = self.B @ source_W_m3
        heating = f[: self.n].copy()
        if self.cold_head:
            f[self.n] = self.cold_head.heat_load_W / TWO_PI
        else:
            f += self.robin * bath_K
        h_old = self._enthalpy(T)
        x = T.copy()
        x[self.held] = bath_K
        if not self.cold_head:
            self._newton(x, h_old, f, dt)
            self.outflow_W = self._outflow(x, h_old, heating, dt, conduction)
            return x
        head = self.cold_head
        ch = self.n

        def balance(head_K: float) -> tuple[float, float]:
            """The cold head's heat balance (W per radian; increasing in ``head_K``) with the
            nodes solved for it (left in x), and its derivative (W/K per radian)."""
            x[ch] = head_K
            jac = self._newton(x, h_old, f, dt)
            r = float(((self._enthalpy(x) - h_old) / dt + self.A @ x - f)[ch])
            r += float(head.power_W(head_K)) / TWO_PI
            column = self.A[:, [ch]].toarray().ravel()  # coupling of the head to the nodes
            nodes = -self._block.solve(self.A.data, jac, column[:ch])  # d x_nodes / d head_K
            slope = float(head.heat_capacity.at(head_K) / dt + head.power_slope(head_K))
            return r, slope / TWO_PI + column[ch] + column[:ch] @ nodes

        r, slope = balance(bath_K)
        if r >= 0:  # free, it would end below the set point: the heater holds it there
            self.outflow_W = self._outflow(x, h_old, heating, dt, conduction)
            return x
        # safeguarded Newton on the head's temperature: a bracket [lo, hi] around the root,
        # bisection (or doubling) where a Newton step leaves it (the load curve has kinks)
        lo, hi, t = bath_K, math.inf, bath_K
        if T[ch] > bath_K:
            t = float(T[ch])
            r, slope = balance(t)
        for _ in range(HEAD_ITERATIONS):
            if r < 0:
                lo = t
            else:
                hi = t
            if abs(r) <= 1e-10 * (1.0 + t) * slope:
                break
            t_new = t - r / slope
            if not lo < t_new < hi:
                t_new = 0.5 * (lo + hi) if hi < math.inf else lo + 2 * (t - bath_K) + 1.0
            t = t_new
            r, slope = balance(t)
        else:
            raise HeatNotConverged(
                f"the cold head's temperature did not converge in {HEAD_ITERATIONS} iterations "
                f"(last {t:.6g} K, heat balance {TWO_PI * r:.3g} W)"
            )
        self.outflow_W = self._outflow(x, h_old, heating, dt, conduction)
        return x

    def _outflow(
        self, x: np.ndarray, h_old: np.ndarray, heating: np.ndarray, dt: float, conduction
    ) -> float:
        """The heat (W) leaving the cooled nodes (held, or through a heat transfer coefficient
        to the coolant or the cold head) over the step to ``x``: each node's heating less its
        enthalpy's rise and what it conducts to the rest (its row's consistent flux, the
        reaction of a FEM boundary). Taken as h (T - coolant) it was lost to rounding with a
        large h (1e30 W/(m^2 K): T equals the coolant's to the last digit, 0 J removed of
        0.126 J)."""
        K, c = self._inward, self.cooled
        K.data[:] = conduction + self.base_contact  # no cooling terms
        now = sum(self.mass[c, k] * self.g.capacity(k).integral(x[c]) for k in self.mats)
        gained = (now - h_old[c]) / dt
        return TWO_PI * float((heating[c] - gained - (K @ x)[c]).sum())

    def _newton(self, x: np.ndarray, h_old: np.ndarray, f: np.ndarray, dt: float) -> np.ndarray:
        """Newton on the free nodes from ``x`` (in place; a cold head held at x's value) until
        its update is below 1e-10 (1 + T) K (one solve when C is constant: exact), each step
        halved until the residual's norm falls (at most 20 times); returns the capacity term
        C/dt of the free nodes (the Jacobian's diagonal part). Unconverged after
        ``NEWTON_ITERATIONS`` raises ``HeatNotConverged`` (it had returned, unsaid). The residual
        over the Jacobian's diagonal was no measure: with k 1e9 W/(m K) the conduction terms
        swamp the diagonal, the uniform mode's residual (the surface's loss) fell below it
        before any solve, and a disk cooled through h never cooled."""
        A, block = self.A, self._block
        fr = block.free

        def residual() -> np.ndarray:
            return ((self._enthalpy(x) - h_old) / dt + A @ x - f)[fr]

        res = residual()
        for _ in range(NEWTON_ITERATIONS):
            jac = self._capacity(x)[fr] / dt
            update = block.solve(A.data, jac, res)
            start = x[fr].copy()
            x[fr] = start - update
            if self._constant_c or np.max(np.abs(update), initial=0.0) <= 1e-10 * (1.0 + np.max(x)):
                break
            # backtracking on |residual| (the Newton step descends it): across a sharp peak of
            # C(T) full steps cycled, 30 iterations ended unconverged and the heat of an
            # insulated disk was 5.5 % off the integral of E.J
            norm, step = np.linalg.norm(res), 1.0
            while np.linalg.norm(new := residual()) > (1 - 1e-4 * step) * norm and step > 1e-6:
                step *= 0.5
                x[fr] = start - step * update
            res = new
        else:
            size = np.max(np.abs(update), initial=0.0)
            raise HeatNotConverged(
                f"the heat solve's Newton did not converge in {NEWTON_ITERATIONS} iterations "
                f"(last update {size:.3g} K)"
            )
        return jac

    def heat_J(self, T: np.ndarray) -> float:
        """Enthalpy of the conductors (J, relative to each table's first temperature)."""
        return TWO_PI * float(self._enthalpy(T)[: self.n].sum())

    def probe_matrix(self, points: np.ndarray) -> sp.csr_matrix:
        """T at ``points`` (n, 2) = P @ state, by the P1 interpolation in the holding element."""
        e, lam = self.g.locate(points)
        rows = np.repeat(np.arange(len(e)), 3)
        return sp.csr_matrix((lam.ravel(), (rows, self.node[e].ravel())), shape=(len(e), self.size))


_UNIT = {"heat_capacity": "J/(m^3*K)", "thermal_conductivity": "W/(m*K)"}


def _beyond(table: TemperatureTable, where: str, unit: str, lo_K: float, hi_K: float) -> list[str]:
    """The note for temperatures ``lo_K``..``hi_K`` reached outside ``table`` (values in
    ``unit``, "" for a number; none for a constant): its end value was held there."""
    t, v = table.temperature_K, table.values
    return [
        f"{where}: {side} {x:.4g} K, {word} the table's {end:g} K, where its {value:.3g}"
        f"{' ' * bool(unit)}{unit} was held"
        for side, x, word, end, value, past in (
            ("down to", lo_K, "below", t[0], v[0], lo_K < t[0]),
            ("up to", hi_K, "beyond", t[-1], v[-1], hi_K > t[-1]),
        )
        if past and len(t) > 1
    ]


def _coupling(a: np.ndarray, b: np.ndarray, g: np.ndarray, size: int) -> sp.csr_matrix:
    """The symmetric matrix coupling unknowns ``a`` and ``b`` (k,) through conductances ``g``
    (k,): g on both diagonals, -g off them."""
    return sp.csr_matrix(
        (np.concatenate([g, g, -g, -g]), (np.r_[a, b, a, b], np.r_[a, b, b, a])),
        shape=(size, size),
    )


class _Factor:
    """The free-free block of the conduction matrix (``free``: its unknowns, increasing): which
    entries of the pattern it takes, its upper triangle, factorized by QDLDL with the ordering
    and symbolic analysis of the first factorization reused (as in
    ``solver.Discretization.factorize``)."""

    def __init__(self, index: sp.csc_matrix, free: np.ndarray):
        self.free = free
        ff = index[free][:, free].tocsc()  # values: 1 + the entry's position in the pattern
        ff.sort_indices()
        rows = ff.indices
        cols = np.repeat(np.arange(len(free)), np.diff(ff.indptr))
        upper = rows <= cols
        self._take = ff.data[upper].astype(int) - 1
        self._diag = np.where(rows[upper] == cols[upper])[0]
        counts = np.bincount(cols[upper], minlength=len(free))
        self._upper = sp.csc_matrix(
            (np.zeros(upper.sum()), rows[upper], np.r_[0, np.cumsum(counts)]),
            shape=(len(free),) * 2,
        )
        self._ldl = None

    def solve(self, values: np.ndarray, diagonal: np.ndarray, rhs: np.ndarray) -> np.ndarray:
        """x with (A_ff + diag(``diagonal``)) x = ``rhs``, A's values on the pattern ``values``
        (factorized again only when they changed)."""
        data = values[self._take]
        data[self._diag] += diagonal
        if self._ldl is None:
            self._upper.data[:] = data
            self._ldl = qdldl.Solver(self._upper, upper=True)
        elif not np.array_equal(data, self._upper.data):
            self._upper.data[:] = data
            self._ldl.update(self._upper, upper=True)
        return self._ldl.solve(rhs)


def heat_model(case, mesh, conductor: np.ndarray) -> AdiabaticHeat | ConductionHeat | None:
    """The heat model of ``case.thermal.model`` on ``mesh``'s ``conductor`` elements (None when
    isothermal)."""
    return {"adiabatic": AdiabaticHeat, "conduction": ConductionHeat}.get(
        case.thermal.model, lambda *a: None
    )(case, mesh, conductor)
