"""Closed forms of ``shared/reference/analytic.md`` that the physics tests compare with (SI)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from fluxtrap.units import MU0


def bean_axis_field(J: float, a: float, z1: float, z2: float, z0: float | np.ndarray) -> np.ndarray:
    """Bz (T) on the axis at ``z0`` of a cylinder radius ``a``, z1..z2 (m), uniform J_phi (A/m^2).

    (mu0 J / 2) [F(z0 - z1) - F(z0 - z2)], F(u) = u asinh(a/|u|), by integrating the loop field
    mu0 I rho^2 / (2 (rho^2 + u^2)^(3/2)) over the cross-section.
    """

    def F(u):
        u = np.asarray(u, float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(u == 0, 0.0, u * np.arcsinh(a / np.abs(u)))

    z0 = np.asarray(z0, float)
    return 0.5 * MU0 * J * (F(z0 - z1) - F(z0 - z2))


def bean_stack_axis_field(
    disks: Iterable[tuple[float, float, float, float]], z0: float | np.ndarray
) -> np.ndarray:
    """Superposed on-axis Bz (T) of disks given as (J A/m^2, radius m, z1 m, z2 m)."""
    return sum(bean_axis_field(J, a, z1, z2, z0) for J, a, z1, z2 in disks)


def full_penetration_field(jc: float, radius: float) -> float:
    """Applied field (T) at which the flux front reaches the axis of a long cylinder: mu0 Jc R."""
    return MU0 * jc * radius


def saturated_magnetization(jc: float, radius: float) -> float:
    """|M| (A/m) of a fully penetrated cylinder (any height): Jc R / 3; the loop height is twice it."""
    return jc * radius / 3.0


def creep_rate(n: float) -> float:
    """Long-time normalised creep rate S = -d ln B / d ln t of a power law E ~ J^n: 1/(n - 1)."""
    return 1.0 / (n - 1.0)


def decay_ppm_per_hour(b: float, B: float, t: float) -> float:
    """Decay rate (ppm/h) at time ``t`` (s) of a fit B(t) = a - b ln t with B = B(t) (T)."""
    return b / (B * t) * 3600.0 * 1e6


def finite_cylinder_centre_field(r: np.ndarray, b: np.ndarray, length_m: float) -> float:
    """Bz (T) at the centre of a cylinder (or tube) of ``length_m`` carrying the current of a 1D
    profile ``b`` (T) over the radii ``r`` (m) of ``long_cylinder_1d``, J = -(dB/dr)/mu0 per
    cell, in the applied field b[-1]: each cell a thin solenoid, its on-axis centre field
    mu0 J dr (L/2) / sqrt((L/2)^2 + r^2)."""
    j = -np.diff(b) / (MU0 * np.diff(r))
    rm = 0.5 * (r[1:] + r[:-1])
    half = length_m / 2
    return float(b[-1] + np.sum(MU0 * j * np.diff(r) * half / np.hypot(half, rm)))


def long_cylinder_1d(
    radius_m: float,
    applied_T,
    t_end_s: float,
    jc_at,
    n: float,
    e0_V_m: float = 1e-4,
    initial_T: float = 0.0,
    cells: int = 100,
    times_s: Iterable[float] = (),
    breaks_s: Iterable[float] = (),
    inner_radius_m: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An independent reference: an infinitely long cylinder (or tube, ``inner_radius_m`` > 0)
    in an axial field, by finite volumes.

    Bz(r, t) obeys d/dt (B r) = -d(r E)/dr with E = e0 (|J|/Jc(|B|))^n sign(J), J = -(dB/dr)/mu0
    (Faraday and Ampere in 1D), B(R, t) = ``applied_T(t)`` (T, a function of t in s), B = initial
    everywhere at t = 0; ``jc_at(B_T)`` gives Jc (A/m^2) at the local field. The method of lines
    on ``cells`` equal cells (nodes at r_i = i R/cells, J and E at mid-cells, conservative
    volumes) is integrated by scipy's BDF with a tridiagonal Jacobian, split at
    ``breaks_s`` (kinks of the applied field). It shares no code with the FEM. A tube's bore
    carries no current, so its field is uniform and equal to the wall's at the inner radius: the
    first node's control volume is then the whole disc inside the first mid-cell (the same
    integral of r dr from 0), and the bore's flux changes only through E at the inner face.

    Returns ``r`` (cells + 1,) in m from the inner radius, ``times`` (k,) in s and ``B``
    (k, cells + 1) in T at ``times_s`` (default: ``t_end_s`` only).
    """
    r, times, b, _ = _cylinder_1d(
        radius_m,
        applied_T,
        t_end_s,
        lambda b, _t: jc_at(b),
        n,
        e0_V_m,
        initial_T,
        cells,
        times_s,
        breaks_s,
        inner_radius_m,
        heat_capacity=None,
        start_K=0.0,
        rtol=1e-6,
    )
    return r, times, b


def heated_long_cylinder_1d(
    radius_m: float,
    applied_T,
    t_end_s: float,
    jc_at,
    n: float,
    heat_capacity,
    start_K: float,
    e0_V_m: float = 1e-4,
    cells: int = 100,
    times_s: Iterable[float] = (),
    breaks_s: Iterable[float] = (),
    rtol: float = 1e-6,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``long_cylinder_1d`` (zero-field start) heated by its own E.J at one uniform temperature:
    the thermally thin limit (conduction far faster than the field), insulated.

    C(T) dT/dt = (2 / R^2) integral of E J r dr (the dissipation per unit length over pi R^2);
    ``jc_at(B_T, T_K)`` gives Jc (A/m^2), ``heat_capacity`` C (J/(m^3 K)) as a number or a
    function of T (K); the temperature starts at ``start_K``. The temperature is one more
    unknown of the same BDF integration (its Jacobian column by a finite difference), to the
    relative tolerance ``rtol`` (absolute 1e-3 rtol). Returns ``r``, ``times``, ``B`` as
    ``long_cylinder_1d`` and ``T`` (k,) in K at ``times``.
    """
    return _cylinder_1d(
        radius_m,
        applied_T,
        t_end_s,
        jc_at,
        n,
        e0_V_m,
        0.0,
        cells,
        times_s,
        breaks_s,
        0.0,
        heat_capacity=heat_capacity,
        start_K=start_K,
        rtol=rtol,
    )


def _cylinder_1d(
    radius_m,
    applied_T,
    t_end_s,
    jc_at,
    n,
    e0_V_m,
    initial_T,
    cells,
    times_s,
    breaks_s,
    inner_radius_m,
    heat_capacity,
    start_K,
    rtol,
):
    """The finite volumes of both references; isothermal at ``start_K`` when ``heat_capacity``
    is None (the tridiagonal Jacobian), else with the uniform temperature as the last unknown."""
    from scipy.integrate import solve_ivp
    from scipy.sparse import diags

    r = np.linspace(inner_radius_m, radius_m, cells + 1)
    h = r[1] - r[0]
    rm = 0.5 * (r[1:] + r[:-1])  # mid-cells
    volume = np.empty(cells)  # control volume of node i < cells: integral of r dr
    volume[0] = rm[0] ** 2 / 2
    volume[1:] = (rm[1:] ** 2 - rm[:-1] ** 2) / 2
    heated = heat_capacity is not None

    def parts(t, b_inner, temperature):
        b = np.append(b_inner, applied_T(t))
        J = -(b[1:] - b[:-1]) / (MU0 * h)
        jc = jc_at(np.abs(0.5 * (b[1:] + b[:-1])), temperature)
        x = np.abs(J / jc)
        flux = rm * e0_V_m * x**n * np.sign(J)  # r E at mid-cells
        g = rm * n * e0_V_m * x ** (n - 1) / jc / (MU0 * h)  # d(r E)/dB across a cell
        return flux, g, J

    def field_rate(flux):
        return -(flux - np.append(0.0, flux[:-1])) / volume

    def rhs(t, y):
        if not heated:
            return field_rate(parts(t, y, start_K)[0])
        flux, _, J = parts(t, y[:-1], y[-1])
        c = heat_capacity(y[-1]) if callable(heat_capacity) else heat_capacity
        heating = 2 * np.sum(flux * J) * h / (radius_m**2 * c)  # E J r summed: per pi R^2
        return np.append(field_rate(flux), heating)

    def field_jacobian(g):  # Jc lagged (its dependence on B left out): exact enough for Newton
        g_left = np.append(0.0, g[:-1])
        return diags(
            [g_left[1:] / volume[1:], -(g + g_left) / volume, g[:-1] / volume[:-1]],
            [-1, 0, 1],
            format="csc",
        )

    def jacobian(t, y):
        if not heated:
            return field_jacobian(parts(t, y, start_K)[1])
        flux, g, _ = parts(t, y[:-1], y[-1])
        c = heat_capacity(y[-1]) if callable(heat_capacity) else heat_capacity
        jac = np.zeros((cells + 1, cells + 1))
        jac[:-1, :-1] = field_jacobian(g).toarray()
        # d(flux J)/dJ = (n + 1) flux, J = -(b[i+1] - b[i]) / (mu0 h): the heating's row
        d_sum = (n + 1) * (flux - np.append(0.0, flux[:-1])) / (MU0 * h)
        jac[-1, :-1] = 2 * h / (radius_m**2 * c) * d_sum
        dT = 1e-6 * max(abs(y[-1]), 1.0)  # the temperature's column by a finite difference
        jac[:, -1] = (rhs(t, y + np.append(np.zeros(cells), dT)) - rhs(t, y)) / dT
        return jac

    times = sorted(set(times_s) or {t_end_s})
    edges = sorted({0.0, t_end_s, *(b for b in breaks_s if 0 < b < t_end_s)})
    y = np.full(cells, float(initial_T))
    if heated:
        y = np.append(y, float(start_K))
    out = []
    for t0, t1 in zip(edges[:-1], edges[1:], strict=True):
        inside = [t for t in times if t0 < t <= t1]
        sol = solve_ivp(
            rhs,
            (t0, t1),
            y,
            method="BDF",
            t_eval=inside or None,
            rtol=rtol,
            atol=1e-3 * rtol,
            jac=jacobian,
        )
        if not sol.success:
            raise RuntimeError(f"long_cylinder_1d: {sol.message}")
        if inside:
            out += [np.append(col, applied_T(t)) for t, col in zip(sol.t, sol.y.T, strict=True)]
        y = sol.y[:, -1]
    out = np.array(out)
    if heated:  # the temperature rides in the column before the appended surface field
        return r, np.array(times), np.delete(out, -2, axis=1), out[:, -2]
    return r, np.array(times), out, np.full(len(times), float(start_K))
