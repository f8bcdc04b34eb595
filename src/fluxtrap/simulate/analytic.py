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
