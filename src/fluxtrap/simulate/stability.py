"""Flux jumps and the fastest safe ramp.

``adiabatic_jump_field_T``: the adiabatic stability criterion of the critical state. A slab (or a
penetrated shell thin against the radius) with Jc falling with temperature on the scale
theta0 = -Jc / (dJc/dT) (= Tc - T0 for a linear fall) jumps once its penetrated depth l reaches
mu0 Jc^2 l^2 / (C theta0) = pi^2 / 4, at the applied field B_fj = (pi / 2) sqrt(mu0 C theta0)
(Swartz & Bean, J. Appl. Phys. 39, 4991 (1968); Mints & Rakhmanov, Rev. Mod. Phys. 53, 551 (1981)).
A fully penetrated long cylinder of radius R is stable while mu0 Jc^2 R^2 / (C theta0) < j01^2 =
5.78 (the same analysis with the Bessel function J1: rE vanishes at the axis, d(rE)/dr at the
surface). ``tests/physics/test_flux_jump.py`` checks the coupled model against B_fj.

``scan_ramp_rates``: runs a case (adiabatic or conduction model) at a bounded list of ramp rates
(every ``ramp_field`` step at the scanned rate), each on one mesh, stopping a run as soon as the
hottest superconducting element has risen by ``max_rise_K`` above the starting temperature (a flux
jump or a thermal runaway: the superconductor has lost much of its Jc there). The fastest safe
ramp is the largest rate below which no run jumped. ``RampScan.plot`` draws the peak rise per rate.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.linalg import solve_banded
from scipy.optimize import brentq, minimize_scalar

from fluxtrap.errors import SolverError, ValidationError
from fluxtrap.simulate.case import Case, RampField, Set
from fluxtrap.simulate.materials import Superconductor
from fluxtrap.simulate.protocol import Cool, RampTemperature, states
from fluxtrap.units import MU0

MAX_RATES = 12  # runs of one scan
# the verdicts at the edge of the safe range are run again at the case's rtol / CHECK_RTOL: the
# 1.5 mm test disk at 1e4 T/h rose 5.39 K (safe) at rtol 1e-3 and past 15 K (a jump) at 2.5e-4,
# 6e-5 and 1.5e-5, so a verdict that flips at rtol / 4 is a time-step artefact ("marginal")
CHECK_RTOL = 4
J01 = 2.404825557695773  # first zero of the Bessel function J0


def adiabatic_jump_field_T(heat_capacity_J_m3K: float, theta0_K: float) -> float:
    """B_fj = (pi / 2) sqrt(mu0 C theta0) in T: the field of the first adiabatic flux jump of a
    slab-like penetrated layer (C in J/(m^3 K), theta0 = -Jc / (dJc/dT) in K)."""
    _positive(heat_capacity_J_m3K=heat_capacity_J_m3K, theta0_K=theta0_K)
    return math.pi / 2 * math.sqrt(MU0 * heat_capacity_J_m3K * theta0_K)


def cylinder_stable(
    jc_A_m2: float, radius_m: float, heat_capacity_J_m3K: float, theta0_K: float
) -> bool:
    """True if a fully penetrated long cylinder passes the adiabatic criterion
    mu0 Jc^2 R^2 / (C theta0) < j01^2 (Jc in A/m^2, R in m)."""
    _positive(
        jc_A_m2=jc_A_m2,
        radius_m=radius_m,
        heat_capacity_J_m3K=heat_capacity_J_m3K,
        theta0_K=theta0_K,
    )
    return MU0 * jc_A_m2**2 * radius_m**2 / (heat_capacity_J_m3K * theta0_K) < J01**2


def _positive(**values: float) -> None:
    """Refuse any of ``values`` (name = number) that is not a real number, finite and > 0 (a
    string, None or an array had raised TypeError or numpy's "truth value ... is ambiguous",
    naming nothing; True was taken for 1)."""
    for name, x in values.items():
        unit = next((u for suffix, u in _UNITS.items() if name.endswith(suffix)), "")
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise ValidationError(
                f"{name}: must be one real number (finite and > 0{unit and ', in ' + unit}), got "
                f"{type(x).__name__} {x!r}"
            )
        if not 0 < x < math.inf:
            raise ValidationError(f"{name}: must be finite and > 0, got {x!r}")


# the units the criteria's parameters carry in their names (a str "38" named no unit), the
# longest suffix first (e0_V_m ends in _m too)
_UNITS = {
    "_J_m3K": "J/(m^3*K)",
    "_W_m2K": "W/(m^2*K)",
    "_A_m2": "A/m^2",
    "_T_s": "T/s",
    "_V_m": "V/m",
    "_K": "K",
    "_T": "T",
    "_m": "m",
}
# finite-difference intervals of the dynamic criterion: 400 (the default) is within 1e-3 of
# 4000's jump field (0.2719 against 0.2722 T, 0.9 and 1.7 s); 1e9 would have allocated ~100 GB
POINTS = (10, 20_000)


def _points(points: Any) -> None:
    lo, hi = POINTS
    if (
        isinstance(points, bool)
        or not isinstance(points, numbers.Integral)
        or not lo <= points <= hi
    ):
        raise ValidationError(
            f"points: must be a whole number from {lo} to {hi}, got {type(points).__name__} "
            f"{points!r}"
        )


def _number(where: str, x: Any) -> None:
    """Refuse ``x`` unless it is one real number (the range is checked where it is used)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise ValidationError(f"{where}: expected one number, got {type(x).__name__} {x!r}")


@dataclass(frozen=True)
class CooledCylinder:
    """A long superconducting cylinder cooled on its side, in a rising axial field (ZFC ramp):
    ``radius_m``; Jc falling linearly in T, ``jc0_A_m2`` at ``t0_K`` (the coolant's) to 0 at
    ``tc_K``; ``n``, ``e0_V_m`` of the power law; ``heat_capacity_J_m3K``;
    ``heat_transfer_W_m2K`` (h, side) to the coolant at ``t0_K``; ``rate_T_s`` (dB/dt); the
    thermal conductivity taken as large (one temperature over the cross-section: h R / k << 1
    and R^2 C / k << the growth time 1/lambda)."""

    radius_m: float
    jc0_A_m2: float
    t0_K: float
    tc_K: float
    n: float
    e0_V_m: float
    heat_capacity_J_m3K: float
    heat_transfer_W_m2K: float
    rate_T_s: float

    def __post_init__(self) -> None:
        # every field, tc_K too: a str Tc ("38") had raised a bare TypeError, an infinite one
        # passed "above t0_K" and made Jc NaN
        _positive(**dataclasses.asdict(self))
        if not self.tc_K > self.t0_K:
            raise ValidationError(
                f"CooledCylinder: tc_K = {self.tc_K:g} must be above t0_K = {self.t0_K:g}"
            )
        if not self.n > 1:
            raise ValidationError(f"CooledCylinder: n must be > 1, got {self.n:g}")

    def jc(self, temperature_K: float) -> float:
        return self.jc0_A_m2 * (self.tc_K - temperature_K) / (self.tc_K - self.t0_K)


def _shell(c: CooledCylinder, front_m: float, jc: float, points: int):
    """Radii r (points + 1,) from the flux front to the surface, the background E (V/m) and J
    (A/m^2) there: E = rate (r^2 - front^2) / (2 r) (Faraday), J = Jc (E / E0)^(1/n)."""
    r = np.linspace(front_m, c.radius_m, points + 1)
    e = c.rate_T_s * (r**2 - front_m**2) / (2 * r)
    return r, e, jc * (np.maximum(e, 1e-300) / c.e0_V_m) ** (1 / c.n)


def _front(c: CooledCylinder, applied_T: float, jc: float, points: int) -> float | None:
    """The flux front's radius (m) at ``applied_T``: mu0 times the integral of J over the
    shell equals the applied field (None: fully penetrated)."""

    def field(front):
        r, _, j = _shell(c, front, jc, points)
        return MU0 * float(np.sum(0.5 * (j[1:] + j[:-1]) * np.diff(r)))

    axis = 1e-9 * c.radius_m  # E ~ 1/r at the axis: start just off it
    if field(axis) < applied_T:
        return None
    return brentq(lambda f: field(f) - applied_T, axis, c.radius_m * (1 - 1e-12), xtol=1e-12)


def _response(c: CooledCylinder, front_m, jc, theta_K, growth, points):
    """(Heat released per length per K of a uniform temperature perturbation growing as
    exp(growth t), W/(m K); the background heat per length, W/m). The perturbed E solves
    d/dr((1/r) d(r dE)/dr) = mu0 growth (sigma dE - J / theta) (sigma = J / (n E), the power
    law's differential conductivity; J falls by J / theta per K at fixed E), dE = 0 at the front,
    d(r dE)/dr = 0 at the surface (the applied field is fixed); finite differences."""
    r, e, j = _shell(c, front_m, jc, points)
    h, ri = r[1] - r[0], r[1:]
    sigma = j[1:] / (c.n * np.maximum(e[1:], 1e-300))
    main = -2 / h**2 - 1 / ri**2 - MU0 * growth * sigma
    up, down = 1 / h**2 + 1 / (2 * h * ri), 1 / h**2 - 1 / (2 * h * ri)
    bands = np.zeros((3, points))
    bands[0, 1:], bands[1], bands[2, :-1] = up[:-1], main, down[1:]
    bands[1, -1] -= up[-1] * 2 * h / c.radius_m  # the ghost node of the surface condition
    bands[2, -2] += up[-1]
    de = np.r_[0.0, solve_banded((1, 1), bands, -MU0 * growth * j[1:] / theta_K)]
    dj = np.r_[0.0, sigma * de[1:]] - j / theta_K
    integral = lambda f: 2 * math.pi * float(np.sum(0.5 * (f[1:] + f[:-1]) * np.diff(r)))  # noqa: E731
    return integral((j * de + e * dj) * r), integral(j * e * r)


def cooled_margin(
    c: CooledCylinder, applied_T: float, points: int = 400
) -> tuple[float, float] | None:
    """(The stability margin at ``applied_T``, W/(m K): the largest over growth rates of the
    heat released minus the heat stored and removed, > 0 unstable; the background
    temperature, K) or None once fully penetrated (or past Tc). The background temperature
    solves h 2 pi R (T - T0) = the heat of the ramp at Jc(T) (quasi-steady: the thermal time
    C R / 2h is short against the ramp)."""
    _positive(applied_T=applied_T)  # NaN, -1 T or "0.1" had failed inside brentq or numpy
    _points(points)
    cooling = c.heat_transfer_W_m2K * 2 * math.pi * c.radius_m
    storing = c.heat_capacity_J_m3K * math.pi * c.radius_m**2

    def excess(temperature):  # decreasing in the temperature
        front = _front(c, applied_T, c.jc(temperature), points) or 1e-9 * c.radius_m
        heat = _response(c, front, c.jc(temperature), c.tc_K - temperature, 0.0, points)[1]
        return c.t0_K + heat / cooling - temperature

    hottest = c.tc_K - 1e-6 * (c.tc_K - c.t0_K)
    if excess(hottest) > 0:
        return None
    temperature = brentq(excess, c.t0_K, hottest, xtol=1e-9)
    jc, theta = c.jc(temperature), c.tc_K - temperature
    front = _front(c, applied_T, jc, points)
    if front is None:
        return None

    def net(log_growth):  # heat released - stored per length and K, W/(m K)
        g = 10.0**log_growth
        return _response(c, front, jc, theta, g, points)[0] - storing * g

    grid = np.linspace(-3, 8, 45)  # growth rates 1e-3 .. 1e8 /s, then refined around the best
    best = int(np.argmax([net(x) for x in grid]))
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    top = minimize_scalar(lambda x: -net(x), bounds=(lo, hi), method="bounded")
    return max(-top.fun, net(grid[best])) - cooling, temperature


def cooled_jump_field_T(c: CooledCylinder, points: int = 400) -> float:
    """The applied field (T) of the first flux jump of ``c`` by the dynamic criterion (the
    smallest field with a positive ``cooled_margin``; inf if none before full penetration).

    The linear stability of the critical state under a ramp with surface cooling (Mints &
    Rakhmanov, Rev. Mod. Phys. 53, 551 (1981); Wilson, Superconducting Magnets (1983), ch. 7):
    a uniform temperature rise dT growing as exp(lambda t) lowers J by J dT / theta at fixed E;
    the flux that moves in against the power law's differential conductivity releases heat, the
    body stores C lambda dT and the surface removes h dT. Without cooling and with a thin
    heated layer this tends to the adiabatic criterion; here the whole cross-section shares the
    heat, and a slow ramp (small E, large sigma) is stabilised by the cooling."""
    _points(points)
    full = MU0 * c.jc0_A_m2 * c.radius_m * 2.0
    stable = lambda b: (m := cooled_margin(c, b, points)) is not None and m[0] < 0  # noqa: E731
    lo, hi = 1e-3 * full, None
    for b in np.linspace(0.02, 1.0, 25) * full:  # the first unstable field on a grid, refined
        if not stable(b):
            hi = b
            break
        lo = b
    if hi is None or cooled_margin(c, hi, points) is None:
        field = math.inf
    else:
        field = brentq(lambda b: cooled_margin(c, b, points)[0], lo, hi, xtol=1e-4 * full)
    # the quasi-steady background needs the thermal time short against the ramp to the answer:
    # h 1 W/(m^2 K) (C 430, R 8 mm, 0.5 T/s) warmed it to full penetration at 0.1 T and said
    # "no jump" (inf) where h 10 jumps at 0.27 T
    tau = c.heat_capacity_J_m3K * c.radius_m / (2 * c.heat_transfer_W_m2K)
    ramp = min(field, hi or full) / c.rate_T_s
    if tau > ramp:
        raise ValidationError(
            f"cooled_jump_field_T: the thermal time C R / 2h = {tau:.3g} s is not short against "
            f"the {ramp:.3g} s of the ramp to {min(field, hi or full):.3g} T, so the quasi-steady "
            "background heating it assumes does not hold (too little cooling for the rate); run "
            "the coupled model, or take adiabatic_jump_field_T"
        )
    return field


@dataclass(frozen=True)
class RampRun:
    """One run of a scan: ``rate_T_s`` (T/s), ``peak_rise_K`` (hottest element above the start),
    ``jumped``, ``stopped_s`` (time the run ended, s), ``finals`` (probe Bz at the end, T),
    ``wall_s``, ``error`` (a solver failure, else None)."""

    rate_T_s: float
    peak_rise_K: float
    jumped: bool
    stopped_s: float
    finals: dict[str, float]
    wall_s: float
    error: str | None = None


@dataclass(frozen=True)
class RampScan:
    """The runs of ``scan_ramp_rates`` (by rate), the rise that counts as a jump (K), the
    fastest safe rate (T/s; None if the slowest already jumped), and ``checks``: the runs at
    the edge of the safe range again at ``check_rtol`` (the case's rtol / ``CHECK_RTOL``). A
    rate whose verdict a check does not hold is marginal, not safe."""

    runs: tuple[RampRun, ...]
    max_rise_K: float
    fastest_safe_T_s: float | None
    checks: tuple[RampRun, ...] = ()
    check_rtol: float | None = None

    @property
    def rtol(self) -> float | None:
        """The [solver] rtol of ``runs`` (None if no run was checked)."""
        return self.check_rtol * CHECK_RTOL if self.check_rtol else None

    def check(self, rate_T_s: float) -> RampRun | None:
        """The run at ``rate_T_s`` (T/s) at ``check_rtol``, None if it was not run again."""
        return next((c for c in self.checks if c.rate_T_s == rate_T_s), None)

    def verdict(self, run: RampRun) -> str:
        """ "failed", "marginal" (its check jumped where it did not, or the other way, or
        failed), "jump" or "safe"."""
        c = self.check(run.rate_T_s)
        if run.error:
            return "failed"
        if c is not None and (c.error or c.jumped != run.jumped):
            return "marginal"
        return "jump" if run.jumped else "safe"

    @property
    def marginal_T_s(self) -> list[float]:
        """The rates (T/s) whose verdict flips at ``check_rtol``."""
        return [r.rate_T_s for r in self.runs if self.verdict(r) == "marginal"]

    @property
    def slowest_jump_T_s(self) -> float | None:
        """The slowest scanned rate above the fastest safe one (T/s) that jumped at the case's
        rtol or at ``check_rtol``: the safe limit lies below it; None if none did."""
        floor = self.fastest_safe_T_s or 0.0
        checked = {c.rate_T_s for c in self.checks if c.jumped}
        jumped = [
            r.rate_T_s
            for r in self.runs
            if r.rate_T_s > floor and (r.jumped or r.rate_T_s in checked)
        ]
        return min(jumped, default=None)

    def unchecked_T_s(self) -> list[float]:
        """The rates (T/s) to run at ``check_rtol`` next: the fastest safe one and the next
        faster one (unless it failed), where not run again yet."""
        floor = self.fastest_safe_T_s
        above = next((r for r in self.runs if r.rate_T_s > (floor or 0.0)), None)
        todo = [floor] if floor else []
        if above is not None and not above.error:
            todo.append(above.rate_T_s)
        return [r for r in todo if self.check(r) is None]

    def table(self) -> pd.DataFrame:
        """One row per run: rate_T_h, peak_rise_K, jumped, verdict, check_peak_rise_K and
        check_jumped (at ``check_rtol``; empty where not run again), stopped_s, <probe>_Bz_T,
        wall_s, error."""
        return pd.DataFrame(
            [
                {
                    "rate_T_h": r.rate_T_s * 3600,
                    "peak_rise_K": r.peak_rise_K,
                    "jumped": r.jumped,
                    "verdict": self.verdict(r),
                    "check_peak_rise_K": getattr(self.check(r.rate_T_s), "peak_rise_K", None),
                    "check_jumped": getattr(self.check(r.rate_T_s), "jumped", None),
                    "stopped_s": r.stopped_s,
                    **{f"{k}_Bz_T": v for k, v in r.finals.items()},
                    "wall_s": r.wall_s,
                    "error": r.error or "",
                }
                for r in self.runs
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        safe = self.fastest_safe_T_s
        return {
            "max_rise_K": self.max_rise_K,
            "fastest_safe_T_h": safe * 3600 if safe else None,
            "slowest_jump_T_h": self.slowest_jump_T_s * 3600 if self.slowest_jump_T_s else None,
            "marginal_T_h": [r * 3600 for r in self.marginal_T_s],
            "check_rtol": self.check_rtol,
            "runs": self.table().to_dict(orient="records"),
        }

    def plot(self, path: str | Path | None = None):
        """Peak temperature rise against the ramp rate (log), the jump threshold and the
        fastest safe rate; saved to ``path`` if given."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        fig.subplots_adjust(left=0.12, right=0.97, bottom=0.13, top=0.9)
        t = self.table()
        for verdict, colour, label in (
            ("safe", "tab:green", "no jump"),
            ("jump", "tab:red", "jump"),
            ("marginal", "tab:orange", f"marginal (flips at rtol/{CHECK_RTOL})"),
        ):
            sel = t[t.verdict == verdict]
            if len(sel):
                ax.plot(sel.rate_T_h, sel.peak_rise_K, "o", color=colour, label=label)
        ax.plot(t.rate_T_h, t.peak_rise_K, "k-", lw=0.6)
        checked = t[t.check_peak_rise_K.notna()]
        if len(checked):
            ax.plot(
                checked.rate_T_h,
                checked.check_peak_rise_K.astype(float),
                "s",
                mfc="none",
                color="k",
                label=f"again at rtol {self.check_rtol:.3g}",
            )
        ax.axhline(self.max_rise_K, color="tab:red", ls="--", lw=1, label="jump threshold")
        if self.fastest_safe_T_s:
            ax.axvline(self.fastest_safe_T_s * 3600, color="tab:green", ls=":", lw=1)
        ax.set(
            xscale="log",
            yscale="log",
            xlabel="ramp rate (T/h)",
            ylabel="peak temperature rise (K)",
            title=(
                f"fastest safe ramp: {self.fastest_safe_T_s * 3600:.3g} T/h"
                if self.fastest_safe_T_s
                else "no scanned rate is safe"
            )
            + "".join(f"; {r * 3600:.3g} T/h marginal" for r in self.marginal_T_s[:2]),
        )
        ax.grid(alpha=0.3, which="both")
        ax.legend()
        if path:
            fig.savefig(path, dpi=120)
            plt.close(fig)
        return fig


class _Jumped(Exception):
    """Raised from the step callback to end a run at its jump."""


def _margin_K(case: Case) -> float | None:
    """The lowest Tc of the stack's superconductors less the start temperature (K); None when
    none gives Tc."""
    start = case.protocol[0]
    assert isinstance(start, Set)
    tcs = [
        m.tc_K
        for m in (case.material(x.material) for x in case.stack)
        if isinstance(m, Superconductor) and m.tc_K
    ]
    return min(tcs) - start.temperature_K if tcs else None


def default_max_rise_K(case: Case) -> float:
    """Half the margin between the start temperature and the lowest Tc of the stack (K)."""
    margin = _margin_K(case)
    if margin is None:
        raise ValidationError(
            "safe ramp: no superconductor of the stack gives Tc (jc.temperature or jc.tables); "
            "give the temperature rise that counts as a jump (max_rise)"
        )
    return 0.5 * margin


def scan_plan(
    case: Case,
    rates_T_s: list[float],
    max_rise_K: float | None = None,
    mesh_size_m: float | None = None,
) -> tuple[list[float], float, float]:
    """Check a scan and fill its defaults: (the rates sorted, T/s; the rise that counts as a
    jump, K; the mesh size, m)."""
    if not case.thermal.coupled:
        raise ValidationError(
            'safe ramp: thermal.model is "isothermal", which cannot jump; use "adiabatic" or '
            '"conduction" with the cooling of the magnet'
        )
    if not any(isinstance(s, RampField) for s in case.protocol):
        raise ValidationError("safe ramp: the protocol has no ramp_field step to scan")
    if not case.superconducting:  # a jump is a superconductor's: its elements are watched
        raise ValidationError("safe ramp: the stack has no superconducting layer, which could jump")
    # the field each step starts from: a ramp_field to it takes no time at any rate, so a
    # protocol whose every ramp is such read as safe at every rate (it only warned, "ramps to
    # 3 T, the value it starts at"); one such ramp beside a ramp that changes the field is
    # harmless (it had refused the whole scan)
    starts = states(case.protocol)[:-1]
    ramps = [
        (k, step, field_T)
        for k, (step, (field_T, _)) in enumerate(zip(case.protocol[1:], starts, strict=True), 1)
        if isinstance(step, RampField)
    ]
    if all(step.to_T == field_T for _, step, field_T in ramps):
        k, step, field_T = ramps[0]
        raise ValidationError(
            f"safe ramp: protocol[{k}] ({step!r}) ramps to {field_T:g} T, the field it "
            "starts from, and no ramp_field changes the field: they take no time at any rate, "
            "so no rate is tested; give a ramp's 'to' another field"
        )
    start_K = case.protocol[0].temperature_K
    for k, step in enumerate(case.protocol[1:], start=1):
        if isinstance(step, Cool | RampTemperature) and step.to_K != start_K:
            raise ValidationError(
                f"safe ramp: protocol[{k}] ({step!r}) takes the coolant from {start_K:g} K: the "
                "rise that counts as a jump is measured from the start temperature, so a cooldown "
                "would hide a jump and a warm-up make one; scan a protocol that starts at the "
                "ramp's temperature and keeps it"
            )
    if not isinstance(rates_T_s, list | tuple | np.ndarray):
        raise ValidationError(
            f"safe ramp: rates_T_s: expected a list of numbers (T/s), got {rates_T_s!r}"
        )
    for i, rate in enumerate(rates_T_s):  # a str rate or max_rise had raised a bare TypeError
        _number(f"safe ramp: rates_T_s[{i}] (T/s)", rate)
    for key, x in (("max_rise_K", max_rise_K), ("mesh_size_m", mesh_size_m)):
        if x is not None:
            _number(f"safe ramp: {key}", x)
    rates = sorted(set(rates_T_s))
    if not rates or len(rates) > MAX_RATES or not all(0 < r < math.inf for r in rates):
        raise ValidationError(
            f"safe ramp: give 1 to {MAX_RATES} finite ramp rates > 0, got {len(rates)}"
        )
    rise = max_rise_K if max_rise_K is not None else default_max_rise_K(case)
    if not rise > 0:
        raise ValidationError(f"safe ramp: max_rise must be > 0 K, got {rise}")
    margin = _margin_K(case)
    if margin is not None and rise >= margin:  # the run would pass Tc (a quench) and be "safe"
        raise ValidationError(
            f"safe ramp: max_rise {rise:g} K reaches Tc from the start temperature (a margin of "
            f"{margin:g} K), so a run that quenches would be called safe; give less than {margin:g} K"
        )
    if mesh_size_m is not None:  # the case's own checks: > 0 (0 fell back to the default),
        # within twice the smallest dimension, a mesh of bounded size (1e-9 mm meshed on)
        case.with_options(mesh_size_m=mesh_size_m)
    return rates, rise, mesh_size_m or case.mesh.size_m or case.start_size_m


def ramp_run(
    case: Case, rate_T_s: float, max_rise_K: float, mesh_size_m: float, progress: bool = False
) -> RampRun:
    """``case`` with every ``ramp_field`` step at ``rate_T_s`` (T/s) on one mesh of
    ``mesh_size_m`` (m), ended as soon as the hottest superconducting element rises
    ``max_rise_K`` above the start (not a normal metal's, nor the cold head's node: a head
    warming under its own load was counted as a jump); a solver failure is the run's ``error``
    (so it can run on a Dask worker)."""
    from fluxtrap.simulate.mesh import AIR, build_mesh
    from fluxtrap.simulate.simulation import Simulation
    from fluxtrap.simulate.thermal import heat_model

    start_K = case.protocol[0].temperature_K
    protocol = tuple(
        dataclasses.replace(s, rate_T_s=rate_T_s) if isinstance(s, RampField) else s
        for s in case.protocol
    )
    # the scan draws no maps: the case's snapshots, placed on its own rates' timeline, would
    # lie outside a faster protocol (the bulk pair's 5250 s: refused at every rate)
    c = dataclasses.replace(case, protocol=protocol, snapshots_s=())
    sim = Simulation(c)
    mesh = build_mesh(c, mesh_size_m)
    conductor = np.flatnonzero(mesh.region != AIR)
    heat = heat_model(c, mesh, conductor)  # the run's own: its states' layout (nodes, cold head)
    layer_sc = [isinstance(c.material(x.material), Superconductor) for x in c.stack]
    sc = np.array(layer_sc)[mesh.region[conductor]]  # per conductor element
    peak = [0.0, 0.0]  # rise (K), time (s)

    def watch(s):
        hottest = float(np.max(heat.element_temperature(s.heat)[sc]))
        peak[0], peak[1] = max(peak[0], hottest - start_K), s.t
        if peak[0] > max_rise_K:
            raise _Jumped

    t0 = time.perf_counter()
    error, finals = None, {}
    try:
        result, _ = sim.run_on_mesh(mesh, mesh_size_m, progress, watch)
        finals = {p.name: float(result.probe(p.name).iloc[-1]) for p in c.probes}
    except _Jumped:
        pass
    except SolverError as err:
        error = str(err)
    return RampRun(
        rate_T_s,
        peak[0],
        peak[0] > max_rise_K,
        peak[1],
        finals,
        round(time.perf_counter() - t0, 3),
        error,
    )


def ramp_scan(
    runs: list[RampRun],
    max_rise_K: float,
    checks: list[RampRun] | tuple[RampRun, ...] = (),
    check_rtol: float | None = None,
) -> RampScan:
    """The scan of ``runs`` (any order): the fastest safe rate is the largest below which no
    run jumped or failed, nor was marginal (its run again in ``checks``, at ``check_rtol``,
    jumped or failed)."""
    runs = sorted(runs, key=lambda r: r.rate_T_s)
    checked = {c.rate_T_s: c for c in checks}
    safe = None
    for r in runs:
        c = checked.get(r.rate_T_s)
        if r.jumped or r.error or (c is not None and (c.jumped or c.error)):
            break
        safe = r.rate_T_s
    return RampScan(tuple(runs), max_rise_K, safe, tuple(checks), check_rtol)


def checked_scan(
    runs: list[RampRun],
    max_rise_K: float,
    check_rtol: float,
    run_again: Callable[[list[float]], list[RampRun]],
) -> RampScan:
    """The scan of ``runs`` with the fastest safe rate and the next faster one run again at
    ``check_rtol`` by ``run_again(rates)``; where the fastest safe rate's verdict flips, the
    next slower one is checked in turn (at most every rate once; two runs when it holds)."""
    checks: list[RampRun] = []
    while True:
        scan = ramp_scan(runs, max_rise_K, checks, check_rtol)
        todo = scan.unchecked_T_s()
        if not todo:
            return scan
        checks += run_again(todo)


def scan_ramp_rates(
    case: Case,
    rates_T_s: list[float],
    max_rise_K: float | None = None,
    mesh_size_m: float | None = None,
    progress: bool = False,
) -> RampScan:
    """Run ``case`` with every ``ramp_field`` step at each of ``rates_T_s`` (T/s, at most
    ``MAX_RATES``) here, one after the other, on one mesh (``mesh_size_m``, else the case's,
    else the coarsest start size); a run ends when the hottest element rises ``max_rise_K``
    (default ``default_max_rise_K``); the fastest safe rate and the next faster one are run
    again at the case's rtol / ``CHECK_RTOL`` (``checked_scan``). ``workflows.safe_ramp`` runs
    the rates on Dask."""
    rates, rise, h = scan_plan(case, rates_T_s, max_rise_K, mesh_size_m)
    runs = [ramp_run(case, rate, rise, h, progress) for rate in rates]
    tight = case.with_options(rtol=case.solver.rtol / CHECK_RTOL)
    return checked_scan(
        runs,
        rise,
        tight.solver.rtol,
        lambda todo: [ramp_run(tight, rate, rise, h, progress) for rate in todo],
    )
