"""Calibrate a case's material parameters against measured probe series (least squares).

``calibrate(case, series, "bulk1.n,bulk1.jc_scale")`` minimises chi^2 = sum ((model - measured)
/ sigma)^2 over the series' points, the model being the simulator itself:

1. a global start: a coarse grid (``scan`` points per material parameter, log-spaced inside the
   bounds, run as one parallel batch), because the misfit over (n, Jc) can have several minima;
2. bounded trust-region least squares (``scipy.optimize.least_squares``, ``trf``) from the best
   grid point, on internal coordinates (ln n, ln k, ln E0, z in mm) with a forward-difference
   Jacobian whose p simulations run as one batch of the ``runner`` (parallel); a descent that
   stalled where a coarser Jacobian still sees chi^2 fall is retried from the next scan points,
   and if it still stalls the result says so (``optimizer["converged"]``, ``fits`` false);
3. the covariance (J^T W J)^-1 scaled by the reduced chi^2 at the optimum, correlations, a
   profile of n (n held at +-1, +-2 sigma, the other parameters refitted: the rise of chi^2
   should be 1 and 4 for a locally quadratic misfit), and per series its reduced chi^2 and a
   runs test of the residual signs: a series left > 2 sigma off on average (reduced chi^2 > 4)
   is reported as not fitted, and one whose residuals come in long runs as structured;
4. where the profile finds chi^2 more than 1 reduced-chi^2 unit below the fit, the descent is
   restarted from that profile point and 3 repeated, at most ``PROFILE_RESTARTS`` times
   (``optimizer["restarts"]``); a profile still lower after them, or a restart stopped by the
   simulation cap or a failed simulation, marks the result not converged (``fits`` false);
5. where the profile of n rises by less than ``PROFILE_FLAT`` x k^2 at k = 1 or 2 sigma on a side
   (the quadratic approximation behind the linearised sigma has failed there: a flat or rough
   misfit), the
   profile is extended on that side to 4, 8, 16, 32 sigma (``PROFILE_EXTEND`` points, within
   the bounds) until chi^2 rises by more than 1 reduced unit, plus one point where that bracket
   puts the crossing; the profile interval (where it last crosses +1 going outward, interpolated
   in sqrt(rise), exact for a quadratic profile) sets n's sigma to the
   larger of the linearised one and the interval's larger half, and the covariance is widened
   along the profile (the other parameters moved with n as their refitted values did), so Jc's
   sigma, the correlations and the predictions carry it (``sigma_source`` "profile" for n,
   "profile of <n>" for the others); a side that never rises by 1 leaves sigma a lower bound.

Probe offsets and drifts (``<probe>.offset``, ``<probe>.drift``) enter the residuals additively:
they are profiled out by linear least squares at each evaluation (no simulations), their values
and covariance with the others follow from the Jacobian (``_with_linear``), and where they are not
fitted a series whose residuals show one (|z| > ``OFFSET_Z``) is named in the warnings.

Simulations are memoised by their point, so the optimizer's revisits cost nothing; ``simulations``
counts the ones actually run.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import OptimizeResult, least_squares, lsq_linear

from fluxtrap.errors import SolverError, ValidationError
from fluxtrap.inputs import did_you_mean
from fluxtrap.probetable import log_time_thinned
from fluxtrap.simulate import Case, Superconductor
from fluxtrap.simulate.calibrate.parameters import FitParameter, apply, fenced, parse_fit
from fluxtrap.simulate.calibrate.runners import Outcome, Runner, coarse_run, serial
from fluxtrap.simulate.calibrate.series import (
    Alignment,
    Series,
    align,
    check_applied,
    check_magnitude,
    inside_span,
    simulated_at,
    simulated_span,
)
from fluxtrap.simulate.protocol import largest_field, states, step_durations

FIT_CHI2 = 4.0  # reduced chi^2 above which a series is "not fitted": rms residual > 2 sigma
UNIT_RATIO = 20.0  # measured / model field (rms) beyond which a misfit names the unit
NOISE_CHI2 = 0.1  # reduced chi^2 below which an estimated noise is too large to judge the fit
DEGENERATE = 0.99  # |correlation| from which two parameters are named as not told apart
RUNS_Z = -3.0  # runs-test z below which residuals are "structured" (one-sided p ~ 0.0013)
MAX_SIMULATIONS = 2000  # hard cap on one calibration's simulations (a typo must not run for days)
# A start-scan point may take at most this many times the start case's wall time (and at least
# SCAN_MIN_WALL_S): a corner such as n = 300 at a fifth of the Jc is stiff, and one such point of
# a 16-point scan took 23 min where the start case took 2 s (the scan only ranks the points).
SCAN_WALL_FACTOR = 20.0
SCAN_MIN_WALL_S = 60.0
# The end of a descent is checked with a Jacobian of this many times the finite-difference step: at
# large n the misfit is rough at the 1 % step (a ramp-only series, n 125: the forward and backward
# 1 % differences in ln n gave gradients +5.5 and -5.5, a 5 % one a chi^2 drop of 13.5), and the
# optimizer stalled there on its step size (chi^2 39.9 against 17.2 at the truth, n 20).
STALL_STEP_FACTOR = 5.0
RESTARTS = 2  # further descents from the next-best scan points when one stalls
# Further descents from a profile point more than 1 reduced-chi^2 unit below the fit (the
# ramp-only ring: the second start stopped at n 31.1 +- 4.0, chi^2 20.8, its profile 3.1 units
# lower at n 24.1; from there the descent reaches the truth's neighbourhood; after a solver
# change of 1.5e-13 T in its traces the first descent stopped at n 199 and two restarts reached
# only n 29.8, chi^2 19.7, not converged: the third and fourth reach n 18.4, chi^2 15.7)
PROFILE_RESTARTS = 4
# The rise of the profile at -1 or +1 linearised sigma (delta chi^2 / chi2_red; 1 for a quadratic
# misfit) below which the quadratic approximation has failed on that side: the chi^2 = +1 point
# lies beyond 1/sqrt(0.5) = 1.41 sigma, so the linearised sigma understates the uncertainty by more
# than 40 % (the profile check warns outside 0.5 .. 2 x k^2 too). The ramp-only ring: 0.03. Also
# a rise below PROFILE_FLAT x 4 at 2 sigma, the same failure: a rough misfit's rise at 1 sigma is
# no guide (the test disk's ramp alone, on its own mesh: 0.53 and 1.53 at -1 and +1 sigma, 0.65
# and 1.04 at -2 and +2: n 27.2 +- 0.72 for a truth of 25, 3.1 sigma off, Jc 4.2, unflagged).
PROFILE_FLAT = 0.5
# Further profile points on such a side, at 4, 8, 16, 32 x the linearised sigma (each one a refit
# of the others, a few simulations): bounded cost; a side still below +1 at the last one leaves
# the sigma a lower bound. The ring's n (sigma 0.6 at n 23.8) rises by 0.19 at -16 sigma (n 15.9)
# and 7.1 at -32 (n 10.6): 3 would have left its interval open.
PROFILE_EXTEND = 4
# The sigma of a parameter fitted in ln (n, jc_scale, e0) above which value +- sigma misstates its
# range, exp(u +- sigma): E0 fitted beside n, Jc and a probe height on the test disk came out
# 1.09e-5 +- 2.4e-5 V/m (ln sigma 2.24) for a truth of 3e-4, 12 sigma off in V/m, 1.5 in ln E0.
LOG_SIGMA = 0.25
# |z| of an unfitted probe offset or drift (its coefficient over its standard error were it added
# to the fit) above which a warning names it: a 5 mT offset (1.7 noise sigma) on the test disk
# moved the fitted Jc by 5 sigma, a 10 mT drift n by 4.9 sigma, both at a reduced chi^2 of 1.3
OFFSET_Z = 3.0
# Points of a series kept in calibrate.json's traces (and so in a stored calibration and the
# dashboard's figures): all 1e6 of a long series made calibrate.json 142 MB
TRACE_KEPT = 5000
# What a calibration typically costs, for the estimate checked against its wall-time budget
# before the scan: evaluations of a descent and of each profile refit (the test disk's fit with
# its profile, p = 2: 49 simulations; this estimate 58)
TYPICAL_EVALUATIONS = 10
TYPICAL_REFIT_EVALUATIONS = 3


@dataclass(frozen=True)
class SeriesFit:
    """How one series is fitted: ``n_points`` used (``n_outside`` outside the simulated span),
    ``noise_T`` (median sigma) and its ``noise_source``, ``rms_T`` of the residuals, ``chi2_red``
    (with the series' own noise), ``runs_z`` (runs test of the residual signs), ``fits``,
    ``structured``, ``offset_z`` and ``drift_z`` (an offset or drift in its residuals beyond
    those fitted, over its standard error; None where the fit cannot tell it: warned above
    ``OFFSET_Z``)."""

    name: str
    probe: str
    n_points: int
    n_outside: int
    noise_T: float
    noise_source: str
    rms_T: float
    chi2_red: float
    runs_z: float
    fits: bool
    structured: bool
    offset_z: float | None = None
    drift_z: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True, eq=False)
class Trace:
    """A series against the model for plots: ``t_s`` since the origin, ``measured_T``,
    ``sigma_T``, ``start_T`` (model at the start values), ``fitted_T``, each ``(m,)``."""

    name: str
    t_s: np.ndarray
    measured_T: np.ndarray
    sigma_T: np.ndarray
    start_T: np.ndarray
    fitted_T: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        """The arrays at most ``TRACE_KEPT`` of the points (``log_time_thinned``: the fit used
        them all), with ``points`` (all of them) and ``kept``."""
        keep = log_time_thinned(self.t_s, TRACE_KEPT)
        arrays = {
            k: v[keep].tolist() for k, v in self.__dict__.items() if isinstance(v, np.ndarray)
        }
        return {"name": self.name, "points": int(self.t_s.size), "kept": int(keep.size)} | arrays


@dataclass(frozen=True, eq=False)
class Calibration:
    """The fitted parameters with their uncertainty, the misfit and what it cost.

    ``values``/``sigmas`` ``(p,)`` in natural units (n, factor, V/m, m); ``covariance``
    ``(p, p)`` in the same units (scaled by ``chi2_red``), ``correlation`` ``(p, p)``;
    ``cov_u`` the covariance of the internal coordinates; ``profile``: rows of
    (parameter, k sigma, value, delta chi^2 / chi2_red, expected k^2); ``sigmas_linearised``
    from the Jacobian alone, ``sigma_sources`` per parameter ("linearised", "profile" where its
    profile widened it, "profile of <name>" where another's did, see the module doc) and
    ``profile_intervals`` {name: lower, upper (where the profile rises by 1), whether each side
    was reached} of the parameters whose profile was not quadratic.
    """

    cases: tuple[Case, ...] = field(repr=False)
    parameters: tuple[FitParameter, ...]
    values: np.ndarray
    sigmas: np.ndarray
    covariance: np.ndarray = field(repr=False)
    correlation: np.ndarray = field(repr=False)
    cov_u: np.ndarray = field(repr=False)
    chi2: float
    dof: int
    series: tuple[SeriesFit, ...]
    traces: tuple[Trace, ...] = field(repr=False)
    start: np.ndarray
    scan: list[dict[str, float]] = field(repr=False)
    profile: list[dict[str, float]] = field(repr=False)
    sigmas_linearised: np.ndarray = field(repr=False)
    sigma_sources: tuple[str, ...]
    profile_intervals: dict[str, dict[str, Any]] = field(repr=False)
    simulations: int
    wall_s: float
    optimizer: dict[str, Any] = field(repr=False)
    warnings: tuple[str, ...] = ()
    model_error: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def chi2_red(self) -> float:
        return self.chi2 / max(self.dof, 1)

    @property
    def fits(self) -> bool:
        """Every series fitted, the optimizer at a minimum (not stalled where chi^2 falls) and no
        parameter at a bound (the optimum may lie beyond it; its sigma means nothing there)."""
        return (
            all(s.fits for s in self.series)
            and self.optimizer.get("converged", True)
            and not self.at_bound
        )

    @property
    def at_bound(self) -> tuple[dict[str, Any], ...]:
        """The parameters that ended at a bound (``bound_reached``): ``{parameter, value, side
        ("lower" | "upper"), bound, bounds}`` in natural units, in calibrate.json misfit.at_bound."""
        out = []
        for p, v in zip(self.parameters, self.values, strict=True):
            side = bound_reached(p, float(v))
            if side is not None:
                out.append({"parameter": p.name, "value": float(v), "side": SIDES[side],
                            "bound": p.bounds[side], "bounds": list(p.bounds)})  # fmt: skip
        return tuple(out)

    @property
    def fitted_cases(self) -> tuple[Case, ...]:
        """The calibrated cases (the parameters written in)."""
        return tuple(apply(c, self.parameters, self.values, quiet=True) for c in self.cases)

    @property
    def ranges(self) -> tuple[tuple[float, float], ...]:
        """Each parameter's 1-sigma range (natural units) in the coordinate it was fitted in:
        value times or divided by exp(sigma of its ln) for n, jc_scale, e0 (asymmetric), value +-
        sigma for heights; within the bounds."""
        return tuple(_range(p, p.to_u(v), math.sqrt(self.cov_u[j, j]))
                     for j, (p, v) in enumerate(zip(self.parameters, self.values, strict=True)))  # fmt: skip

    def value(self, name: str) -> tuple[float, float]:
        """(value, sigma) of parameter ``name``."""
        i = [p.name for p in self.parameters].index(name)
        return float(self.values[i]), float(self.sigmas[i])

    def to_dict(self) -> dict[str, Any]:
        """``calibrate.json``: parameters (value, sigma, sigma_source, sigma_linearised,
        profile_interval, unit, start, bounds), covariance, correlation, misfit, series, traces
        (measured, start and fitted model per series, at most ``TRACE_KEPT`` points each), profile, scan, simulations, wall time,
        warnings."""
        names = [p.name for p in self.parameters]
        return {
            "parameters": {
                p.name: {
                    "value": float(v),
                    "sigma": float(s),
                    "sigma_source": src,
                    "sigma_linearised": float(s_lin),
                    "range_1sigma": [float(r) for r in rng],
                    "profile_interval": self.profile_intervals.get(p.name),
                    "unit": p.unit,
                    "start": float(s0),
                    "bounds": list(p.bounds),
                    "nuisance": p.nuisance,
                }
                for p, v, s, src, s_lin, s0, rng in zip(
                    self.parameters,
                    self.values,
                    self.sigmas,
                    self.sigma_sources,
                    self.sigmas_linearised,
                    self.start,
                    self.ranges,
                    strict=True,
                )
            },
            "covariance": {"names": names, "matrix": self.covariance.tolist()},
            "correlation": {"names": names, "matrix": self.correlation.tolist()},
            "misfit": {
                "chi2": self.chi2,
                "dof": self.dof,
                "chi2_red": self.chi2_red,
                "fits": self.fits,
                "converged": self.optimizer.get("converged", True),
                "at_bound": list(self.at_bound),
            },
            "series": [s.to_dict() for s in self.series],
            "traces": [t.to_dict() for t in self.traces],
            "profile": self.profile,
            "model_error": self.model_error,
            "scan": self.scan,
            "simulations": self.simulations,
            "wall_s": self.wall_s,
            "optimizer": self.optimizer,
            "warnings": list(self.warnings),
        }

    def __repr__(self) -> str:
        params = ", ".join(
            f"{p.name} = {v:.4g} ± {s:.2g}"
            for p, v, s in zip(self.parameters, self.values, self.sigmas, strict=True)
        )
        return (
            f"Calibration({params}; chi2_red {self.chi2_red:.3g}, {self.simulations} simulations "
            f"in {self.wall_s:.3g} s{', ' + str(len(self.warnings)) + ' warnings' if self.warnings else ''})"
        )


class SimulationCapError(ValidationError):
    """A batch would take a calibration past its cap on simulations (``max_simulations``) or its
    wall-time budget (``max_wall_s``)."""


class Model:
    """The simulator as a least-squares model of the series, memoised by parameter point.

    ``residuals(u)`` ``(N,)``: (model - measured) / sigma over all series' used points;
    ``jacobian(u)`` ``(N, p)`` by forward differences (backward at an upper bound).
    """

    def __init__(
        self,
        cases: Sequence[Case],
        series: Sequence[Series],
        params: Sequence[FitParameter],
        runner: Runner,
        max_simulations: int = MAX_SIMULATIONS,
        progress: Callable[[str], None] | None = None,
        deadline: float | None = None,
    ):
        self.cases, self.series = tuple(cases), tuple(series)
        self.deadline = deadline  # time.perf_counter() past which no stage starts (None: none)
        self.run_s = 0.0  # wall time (s) the runner's batches took
        self.started = time.perf_counter()
        self.planned: tuple[int, float] | None = None  # estimated simulations and wall time (s)
        self.all_params = tuple(params)
        self.params = tuple(p for p in params if not p.linear)  # simulated: the optimizer's u
        self.linear = tuple(p for p in params if p.linear)  # profiled out at each evaluation
        self._design: np.ndarray | None = None
        self.runner = runner
        self.progress = progress
        self.stage = "start"  # what the batches are for, in the progress lines
        self.capped = ""  # how a descent was cut short by the cap, for the warnings
        self.max_simulations = max_simulations
        self.memo: dict[tuple[int, tuple[float, ...]], Outcome] = {}
        self.simulations = 0
        self.alignments: list[Alignment | None] = [None] * len(self.series)
        self.lo = np.array([p.to_u(p.bounds[0]) for p in self.params])
        self.hi = np.array([p.to_u(p.bounds[1]) for p in self.params])
        self.step = np.array([p.step_u for p in self.params])
        noise = [s.noise() for s in self.series]
        self.noise_full = [n for n, _ in noise]
        self.noise_source = [src for _, src in noise]

    # simulations -------------------------------------------------------------------------------
    def _key(self, i: int, u: np.ndarray) -> tuple[int, tuple[float, ...]]:
        return i, tuple(float(f"{x:.12g}") for x in u)

    def run(self, points: Sequence[np.ndarray], timeout_s: float | None = None) -> None:
        """Simulate every (case, point) not yet known, as one batch of the runner (each run for at
        most ``timeout_s`` s if given)."""
        todo: dict[tuple[int, tuple[float, ...]], Case] = {}
        for u in points:
            values = [p.from_u(x) for p, x in zip(self.params, u, strict=True)]
            for i, case in enumerate(self.cases):
                key = self._key(i, u)
                if key not in self.memo and key not in todo:
                    todo[key] = apply(case, self.params, values, quiet=True)
        if not todo:
            return
        if self.simulations + len(todo) > self.max_simulations:
            raise SimulationCapError(
                f"calibration: {self.simulations + len(todo)} simulations would exceed the cap of "
                f"{self.max_simulations}; fewer scan points or a tighter budget"
            )
        cases = list(todo.values())
        t0 = time.perf_counter()
        outcomes = (
            self.runner(cases) if timeout_s is None else self.runner(cases, timeout_s=timeout_s)
        )
        self.memo.update(zip(todo, outcomes, strict=True))
        self.simulations += len(todo)
        self.run_s += time.perf_counter() - t0
        elapsed_s = time.perf_counter() - self.started
        of_sims = of_time = ""
        if self.planned is not None:  # a stall, a restart or a flat profile runs past it
            sims, estimate_s = self.planned
            of_sims = (
                f" of about {sims}" if self.simulations <= sims else f", past the {sims} estimated"
            )
            of_time = (
                f" of about {_duration(estimate_s)}"
                if elapsed_s <= estimate_s
                else f", past the {_duration(estimate_s)} estimated"
            )
        self.say(
            f"{self.stage}: {len(todo)} simulation{'s' * (len(todo) > 1)} in "
            f"{time.perf_counter() - t0:.3g} s ({self.simulations} so far{of_sims}, at most "
            f"{self.max_simulations}; {_duration(elapsed_s)}{of_time})"
        )

    def check_deadline(self) -> None:
        """``SimulationCapError`` when the wall-time budget is used: no further stage (a descent,
        a profile point, a restart) starts; the one under way ends within what it left."""
        if self.deadline is not None and time.perf_counter() > self.deadline:
            spent = _duration(time.perf_counter() - self.started)
            raise SimulationCapError(
                f"calibration: its wall-time budget is used ({self.simulations} simulations in "
                f"{spent}; a larger --max-wall gives it more)"
            )

    def say(self, text: str) -> None:
        """One progress line (when a ``progress`` callback was given)."""
        if self.progress is not None:
            self.progress(text)

    def wall_s(self, u: np.ndarray) -> float | None:
        """Wall time (s) of the simulations at ``u`` as the runner recorded them (a cached run's
        own time), None where a runner did not record it."""
        walls = [getattr(self.memo[self._key(i, u)], "attrs", {}).get("wall_s")
                 for i in range(len(self.cases))]  # fmt: skip
        return float(sum(walls)) if all(isinstance(w, int | float) for w in walls) else None

    def model(self, u: np.ndarray) -> list[np.ndarray] | Exception:
        """Simulated values at each series' used points (T), or the first simulation error."""
        self.run([u])
        out = []
        for k, s in enumerate(self.series):
            probes = self.memo[self._key(s.case, u)]
            if isinstance(probes, Exception):
                return probes
            if self.alignments[k] is None:
                self.alignments[k] = align(s, probes)
            out.append(simulated_at(probes, s.probe, self.alignments[k].sim_time_s))
        return out

    def measured(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(field, sigma) of series ``k`` at its used points."""
        used = self.alignments[k].used
        return self.series[k].field_T[used], self.noise_full[k][used]

    def design(self) -> np.ndarray:
        """The linear parameters' columns ``(N, q)`` of the weighted residuals (aligned points):
        1 / sigma on their probe's series for an offset, (t - origin) / sigma for a drift."""
        if self._design is None:
            cols = []
            for p in self.linear:
                parts = []
                for k, s in enumerate(self.series):
                    a, (_, sigma) = self.alignments[k], self.measured(k)
                    x = (
                        np.ones_like(sigma)
                        if p.attribute == "offset"
                        else a.sim_time_s - a.sim_origin_s
                    )
                    parts.append(x / sigma if s.probe == p.target else np.zeros_like(sigma))
                cols.append(np.concatenate(parts))
            self._design = np.column_stack(cols) if cols else np.zeros((0, 0))
        return self._design

    def nuisance(self, r0: np.ndarray) -> np.ndarray:
        """The linear parameters ``(q,)`` (T, T/s) minimising |r0 + A c|^2 within their bounds,
        ``r0`` the weighted residuals without them."""
        A = self.design()
        c = np.linalg.lstsq(A, -r0, rcond=None)[0]
        lo, hi = (np.array([p.bounds[i] for p in self.linear]) for i in (0, 1))
        if np.any(c < lo) or np.any(c > hi):
            c = lsq_linear(A, -r0, bounds=(lo, hi), method="bvls").x
        return c

    def residuals(self, u: np.ndarray, project: bool = True) -> np.ndarray:
        """Weighted residuals ``(N,)``, with the linear parameters profiled out (``project``)."""
        m = self.model(u)
        if isinstance(m, Exception):
            values = ", ".join(
                f"{p.name} = {p.from_u(x):.4g}" for p, x in zip(self.params, u, strict=True)
            )
            raise SolverError(f"calibration: the simulation at {values} failed: {m}") from m
        parts = []
        for k, model in enumerate(m):
            b, sigma = self.measured(k)
            parts.append((model - b) / sigma)
        r = np.concatenate(parts)
        if project and self.linear:
            r = r + self.design() @ self.nuisance(r)
        return r

    def chi2(self, u: np.ndarray) -> float:
        """chi^2 at ``u`` (inf where a simulation failed)."""
        if isinstance(self.model(u), Exception):
            return math.inf
        r = self.residuals(u)
        return float(r @ r)

    def _shifted(self, u: np.ndarray, factor: float, columns: Sequence[int]) -> list[np.ndarray]:
        points = []
        for j in columns:
            v = u.copy()
            step = factor * self.step[j]
            h = step if u[j] + step <= self.hi[j] else -step
            v[j] += h
            points.append(v)
        return points

    def jacobian(
        self,
        u: np.ndarray,
        factor: float = 1.0,
        columns: Sequence[int] | None = None,
        project: bool = True,
    ) -> np.ndarray:
        """Forward differences with ``factor`` x each parameter's step, ``(N, p)``; with
        ``columns`` only those parameters' columns ``(N, len(columns))`` (their simulations only:
        a profile point's refit needs p - 1); of the residuals with the linear parameters
        profiled out (``project``: exactly (I - P_A) times the raw Jacobian, A fixed)."""
        columns = range(len(u)) if columns is None else columns
        points = self._shifted(u, factor, columns)
        self.run([u, *points])  # one parallel batch
        r0 = self.residuals(u, project)
        return np.column_stack(
            [(self.residuals(v, project) - r0) / (v[j] - u[j])
             for j, v in zip(columns, points, strict=True)]
        )  # fmt: skip


def calibrate(
    case: Case | Sequence[Case],
    series: Series | Sequence[Series],
    fit: str | Sequence[str] | Sequence[FitParameter],
    *,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    scan: int = 4,
    profile: bool = True,
    runner: Runner = serial,
    max_iterations: int = 30,
    max_simulations: int = MAX_SIMULATIONS,
    progress: Callable[[str], None] | None = None,
    max_wall_s: float | None = None,
    started: float | None = None,
) -> Calibration:
    """Fit ``fit`` (names ``<material>.n|jc_scale|e0``, ``<probe>.z``, or ``FitParameter``s) of
    ``case`` (or several cases, one per ``Series.case`` index) to the measured ``series``.

    ``scan``: grid points per material parameter for the global start (0 or 1: start from the
    case's values); ``profile``: profile n (costs about 4 x (p-1) x iterations simulations, a flat
    side up to ``PROFILE_EXTEND`` + 1 refits more) and widen sigmas along a flat one;
    ``runner``: how batches of simulations run (``serial``, ``PoolRunner``, Dask in workflows);
    ``max_iterations``: least-squares evaluations; ``max_simulations``: hard cap; ``progress``:
    called with a line of text after each batch of simulations and each stage; ``max_wall_s``:
    wall-time budget (s): after the start case's run, a calibration whose typical cost
    (``estimated_wall_s``) exceeds it is refused (``ValidationError`` with the estimate), and one
    that reaches it ends as the simulation cap ends it (the lowest chi^2 so far, not converged);
    ``started``: the ``time.perf_counter()`` the budget counts from (default: this call;
    ``run_calibration`` gives the moment before its Dask cluster started, so that its start-up
    counts).
    """
    t0 = time.perf_counter() if started is None else started
    if not t0 <= time.perf_counter():  # NaN or later than now: a budget never or wrongly enforced
        raise ValidationError(
            f"calibrate: started must be a time.perf_counter() reading up to now, got {started!r}"
        )
    cases = (case,) if isinstance(case, Case) else tuple(case)
    series = (series,) if isinstance(series, Series) else tuple(series)
    params = check_request(cases, series, fit, bounds, scan, max_simulations)
    if max_wall_s is not None and not (  # NaN: never enforced; "10": a TypeError
        isinstance(max_wall_s, int | float) and not isinstance(max_wall_s, bool)
        and 0 < max_wall_s < math.inf
    ):  # fmt: skip
        raise ValidationError(f"calibrate: max_wall_s must be a time above 0 s, got {max_wall_s!r}")
    if not _whole(max_iterations) or max_iterations < 1:  # 2.5 never returned, 0 a scipy error
        raise ValidationError(
            f"calibrate: max_iterations must be a whole number >= 1, got {max_iterations!r}"
        )
    if not isinstance(profile, bool | np.bool_):  # "no" had run the profile (a true text)
        raise ValidationError(f"calibrate: profile must be True or False, got {profile!r}")
    deadline = None if max_wall_s is None else t0 + max_wall_s
    model = Model(cases, series, params, runner, max_simulations, progress, deadline)
    model.started = t0
    u_start = np.array([p.to_u(p.start) for p in model.params])
    t_start = time.perf_counter()
    chi2_start = model.chi2(u_start)
    if not math.isfinite(chi2_start) and scan < 2:
        model.residuals(u_start)  # raises the simulation's error
    warnings: list[str] = _replaced_n_tables(cases, params)
    start_wall_s = model.wall_s(u_start)  # every case's start run
    if start_wall_s is None:
        start_wall_s = time.perf_counter() - t_start
    workers = max(1, int(getattr(runner, "workers", 1)))
    run_s = start_wall_s / len(cases)  # one simulation (the cases' were summed, then x cases)
    # the runner's own time per batch beyond its runs (Dask: scheduling, transfer, its cache)
    batch_s = max(model.run_s - math.ceil(len(cases) / workers) * run_s, 0.0)
    sims, batches, runs_s = estimated_wall_s(model, scan, profile, run_s, workers)
    spent_s = time.perf_counter() - t0  # the start case, and a Dask cluster's start (``started``)
    estimate_s = spent_s + runs_s + batches * batch_s
    said = (
        f"about {sims} simulations of about {run_s:.3g} s each ("
        + ("the start case's run" if len(cases) == 1 else f"the mean of {len(cases)} cases' starts")
        + f") on {workers} worker{'s' * (workers > 1)}: about {_duration(estimate_s)}"
    )
    if spent_s + batches * batch_s > 0.01 * estimate_s:  # the part that is not the runs
        said += (
            f" ({_duration(spent_s)} spent before the scan: the runner's start-up and the start "
            f"case; {batches} batches of about {batch_s:.2g} s of the runner's own)"
        )
    if max_wall_s is not None and estimate_s > max_wall_s:
        raise ValidationError(
            f"calibrate: {said}, over its wall-time budget of {_duration(max_wall_s)} (--max-wall); "
            f"give a budget of at least {_duration(estimate_s)}, or fewer --scan points, fewer "
            "parameters, a coarser [mesh] size or a shorter protocol"
        )
    model.planned = sims, estimate_s
    model.say(f"estimate: {said}" + (f" (budget {_duration(max_wall_s)})" if max_wall_s else ""))
    scan_rows, u0 = _scan(model, u_start, scan, start_wall_s, warnings)
    n_points = sum(int(a.used.sum()) for a in model.alignments)
    if n_points <= len(params):  # some points lie outside the simulated span (before: all)
        raise ValidationError(
            f"calibrate: {n_points} measured points inside the simulated time span for "
            f"{len(params)} parameters; need more points (the others lie outside it: check the "
            "origin, or lengthen the protocol's hold)"
        )
    dof = n_points - len(params)
    model.stage = "descent 1"
    try:
        res, drop = _descend(model, u0, max_iterations, dof)
    except SimulationCapError as e:  # the scan used the budget: its best point, flagged
        res, drop = _not_descended(model, u0, e), math.nan
    starts = 1
    # A stalled descent is retried from the next-best scan points (the lowest chi^2 is kept)
    others = [np.array([p.to_u(row[p.name]) for p in model.params])
              for row in sorted(scan_rows, key=lambda row: row["chi2"]) if math.isfinite(row["chi2"])]  # fmt: skip
    for u_row in [v for v in others if not np.allclose(v, u0)][:RESTARTS]:
        if not drop > 1.0:  # at the minimum, or no descent could start (NaN)
            break
        model.stage = f"descent {starts + 1} (the last one stalled)"
        try:
            other, other_drop = _descend(model, u_row, max_iterations, dof)
        except SimulationCapError as e:  # keep the descents done
            model.capped = model.capped or f"a further descent was not started ({e})"
            break
        starts += 1
        if other.cost < res.cost:
            res, drop = other, other_drop
    try:
        at = _assess(model, res.x, dof, max_iterations, profile)
    except SimulationCapError as e:  # the profile passed the cap: the fit without it
        at = _assess(model, res.x, dof, max_iterations, False)
        limit = f"the cap of {model.max_simulations} simulations" + (
            " or the wall-time budget" if model.deadline is not None else ""
        )
        at.warnings.append(
            f"the profile reached {limit} and was left out ({e}): the sigmas are the linearised ones"
        )
    # A profile point more than 1 reduced-chi^2 unit below the fit: descend again from it (all
    # parameters free), at most PROFILE_RESTARTS times, each within max_iterations and the cap
    restarts: list[dict[str, Any]] = []
    stopped = ""
    while at.lower is not None and len(restarts) < PROFILE_RESTARTS:
        before = model.simulations
        try:
            model.stage = f"restart {len(restarts) + 1} from a lower profile point"
            other, other_drop = _descend(model, at.lower_u, max_iterations, dof)
            other_at = _assess(model, other.x, dof, max_iterations, profile)
        except (SimulationCapError, SolverError) as e:  # keep the last complete fit
            stopped = f"restart {len(restarts) + 1} from the profile point stopped: {e}"
            break
        restarts.append(
            {
                "from_chi2": at.chi2,
                "from": _named(model.params, at.u),
                "start_chi2": at.lower_chi2,
                "start": _named(model.params, at.lower_u),
                "to_chi2": other_at.chi2,
                "to": _named(model.params, other.x),
                "simulations": model.simulations - before,
            }
        )
        if other_at.chi2 >= at.chi2:  # trf does not go uphill from its start: no way lower
            stopped = "the restart from the profile point did not lower chi^2"
            break
        res, drop, at = other, other_drop, other_at
    if at.lower is not None and not stopped:
        stopped = f"still after {len(restarts)} restarts from the profile (the limit)"
    warnings.extend(at.warnings)
    if model.capped:
        limit = f"its cap of {model.max_simulations} simulations" + (
            f" or its wall-time budget of {_duration(max_wall_s)}" if max_wall_s else ""
        )
        warnings.append(
            f"the calibration reached {limit}: {model.capped}; the values are the lowest chi^2 "
            "reached, not a converged fit"
        )
    if drop > 1.0:
        warnings.append(
            f"the optimizer stopped ({res.message}) where chi^2 still falls: a Gauss-Newton step "
            f"on a {STALL_STEP_FACTOR:g} x coarser Jacobian lowers it by {drop:.3g} reduced-chi^2 "
            f"units{_step_said(model, at, res.get('step_to'))}; the fit is not at the minimum "
            "(the misfit is rough or a narrow curved valley at this finite-difference step): the "
            "values are not the best fit and the sigmas are not meaningful; rerun from that "
            "point (its values as the case's, --scan 0"
            + (", a larger --max-iterations" if res.status == 0 else "")
            + ") or with --bounds around the expected "
            "values, add a series that tells the parameters apart (a hold after the ramp, another "
            "probe), or a finer [mesh] (a smoother misfit)"
        )
    if at.lower is not None:
        warnings.append(
            f"profile of {at.lower['parameter']}: chi^2 is {-at.lower['delta_chi2']:.3g} "
            f"reduced-chi^2 units lower at {at.lower['parameter']} = {at.lower['value']:.4g} "
            f"({stopped}): the fit is not at the minimum (a rough misfit); its values and sigmas "
            "are not the best fit; try --bounds around that value"
        )
    traces = _traces(model, u_start, res.x)
    model_error = _model_error(model, res.x, at)
    return Calibration(
        cases=cases,
        parameters=params,
        values=at.values,
        sigmas=at.sigmas,
        covariance=at.cov,
        correlation=at.corr,
        cov_u=at.cov_u,
        chi2=at.chi2,
        dof=dof,
        series=tuple(at.fits),
        traces=traces,
        start=np.array([p.start for p in params]),
        scan=scan_rows,
        profile=at.rows,
        sigmas_linearised=at.sigmas_linearised,
        sigma_sources=at.sources,
        profile_intervals=at.intervals,
        simulations=model.simulations,
        wall_s=round(time.perf_counter() - t0, 3),
        optimizer={
            "method": "scipy least_squares trf, forward-difference Jacobian",
            "evaluations": int(res.nfev),
            "jacobians": int(res.njev or 0),
            "status": int(res.status),
            "message": str(res.message),
            "chi2_start": chi2_start,
            "starts": starts,
            "predicted_drop": drop,
            "restarts": restarts,
            "converged": drop <= 1.0 and at.lower is None and not model.capped,
            "estimate": {  # made before the scan, checked against max_wall_s (s)
                "simulations": sims,
                "wall_s": estimate_s,
                "before_scan_s": spent_s,
                "run_s": run_s,
                "batch_s": batch_s,
            },
        },
        warnings=tuple(warnings),
        model_error=model_error,
    )


@dataclass(frozen=True, eq=False)
class _Assessment:
    """A descent's end ``u`` judged: chi^2, covariance (internal ``cov_u`` and natural units;
    widened along a non-quadratic profile: ``sigmas_linearised``, ``sources``, ``intervals``),
    series fits, profile ``rows`` and their refitted points, the lowest profile row if it lies
    more than 1 reduced-chi^2 unit below (``lower``, at ``lower_u`` with ``lower_chi2``), and
    the warnings about this point."""

    u: np.ndarray
    chi2: float
    cov_u: np.ndarray
    values: np.ndarray
    cov: np.ndarray
    sigmas: np.ndarray
    sigmas_linearised: np.ndarray
    sources: tuple[str, ...]
    intervals: dict[str, dict[str, Any]]
    corr: np.ndarray
    fits: list[SeriesFit]
    rows: list[dict[str, float]]
    lower: dict[str, float] | None
    lower_u: np.ndarray | None
    lower_chi2: float
    warnings: list[str]


def _assess(
    model: Model, u: np.ndarray, dof: int, max_iterations: int, profile: bool
) -> _Assessment:
    params = model.params
    warnings: list[str] = []
    model.stage = "covariance"
    r = model.residuals(u)
    J = model.jacobian(u)
    chi2 = float(r @ r)
    cov_u = _covariance(J, chi2 / dof, params, warnings)
    fits = _series_fits(model, u, J, dof, warnings)
    for p, x in zip(params, u, strict=True):
        if (side := bound_reached(p, p.from_u(x))) is not None:
            warnings.append(bound_warning(p, p.from_u(x), side))
    rows, points, profile_ks = (
        _profile(model, u, cov_u, chi2, chi2 / dof, max_iterations, warnings)
        if profile
        else ([], [], {})
    )
    values = np.array([p.from_u(x) for p, x in zip(params, u, strict=True)])
    D = np.diag([p.dvalue_du(v) for p, v in zip(params, values, strict=True)])
    with np.errstate(invalid="ignore"):  # an infinite variance times 0 off the diagonal
        sig_lin = np.sqrt(np.diag(D @ cov_u @ D))
    cov_lin = cov_u
    cov_u, sources, intervals = _widen(
        params, u, cov_u, sig_lin, rows, points, profile_ks, warnings
    )
    # the probe offsets and drifts beside them, in the order they were named
    params = model.all_params
    u_all, (cov_lin, cov_u) = _with_linear(model, u, (cov_lin, cov_u), chi2 / dof, warnings)
    values = np.array([p.from_u(x) for p, x in zip(params, u_all, strict=True)])
    D = np.diag([p.dvalue_du(v) for p, v in zip(params, values, strict=True)])
    with np.errstate(invalid="ignore"):
        sig_lin = np.sqrt(np.diag(D @ cov_lin @ D))
    source = dict(zip((p.name for p in model.params), sources, strict=True))
    profiled = next((name for name, src in source.items() if src == "profile"), None)
    sources = tuple(
        source[p.name]
        if not p.linear
        else f"profile of {profiled}"
        if profiled and cov_u[j, j] > 1.0001 * cov_lin[j, j]
        else "linearised"
        for j, p in enumerate(params)
    )
    u = u_all
    cov = D @ cov_u @ D
    sig = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sig, sig)
    for j, (p, v) in enumerate(zip(params, values, strict=True)):
        sd = math.sqrt(cov_u[j, j])
        if p.is_log and LOG_SIGMA < sd < math.inf:
            lo, hi = _range(p, u[j], sd)
            warnings.append(
                f"{p.name} = {v:.4g} +- {sig[j]:.2g} {p.unit}".rstrip()
                + f": fitted in ln {p.attribute}, its sigma is {100 * sd:.3g} % there, so its "
                f"1-sigma range is {lo:.3g} .. {hi:.3g} (a factor {math.exp(min(sd, 700.0)):.3g} either way, "
                "within the bounds), not value +- sigma (calibrate.json range_1sigma)"
            )
    for i, j in itertools.combinations(range(len(params)), 2):
        if abs(corr[i, j]) >= DEGENERATE:
            warnings.append(
                f"{params[i].name} and {params[j].name} are correlated {corr[i, j]:+.3f}: these "
                f"series pin down a combination of the two, not each alone (sigmas {sig[i]:.3g} "
                f"and {sig[j]:.3g}); a series that tells them apart (ramp and hold, another probe "
                "or sample) separates them"
            )
    i = min(range(len(rows)), key=lambda i: rows[i]["delta_chi2"], default=None)
    below = i is not None and rows[i]["delta_chi2"] < -1.0
    return _Assessment(
        u=u[[j for j, p in enumerate(params) if not p.linear]],
        chi2=chi2,
        cov_u=cov_u,
        values=values,
        cov=cov,
        sigmas=sig,
        sigmas_linearised=sig_lin,
        sources=sources,
        intervals=intervals,
        corr=corr,
        fits=fits,
        rows=rows,
        lower=rows[i] if below else None,
        lower_u=points[i] if below else None,
        lower_chi2=chi2 + rows[i]["delta_chi2"] * chi2 / dof if below else math.nan,
        warnings=warnings,
    )


def _with_linear(
    model: Model,
    u: np.ndarray,
    covs: Sequence[np.ndarray],
    s2: float,
    warnings: list[str],
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The point and covariances over every parameter (``model.all_params`` order): the linear
    ones' values c = argmin |r0 + A c| at ``u``, and, with B = dc/du = -A^+ J_raw, cov_cc =
    s2 (A^T A)^-1 + B C B^T, cov_cu = B C for each covariance C of the simulated parameters
    (exactly the block inverse of the full Gauss-Newton matrix when C is the linearised one)."""
    if not model.linear:
        return u, list(covs)
    A = model.design()
    c = model.nuisance(model.residuals(u, project=False))
    B = -np.linalg.pinv(A) @ model.jacobian(u, project=False)
    inv_aa = s2 * np.linalg.pinv(A.T @ A)
    sim = [j for j, p in enumerate(model.all_params) if not p.linear]
    lin = [j for j, p in enumerate(model.all_params) if p.linear]
    full_u = np.empty(len(model.all_params))
    full_u[sim], full_u[lin] = u, c
    out = []
    for C in covs:
        with np.errstate(invalid="ignore"):  # an infinite variance
            BC = B @ C
            F = np.empty((full_u.size,) * 2)
            F[np.ix_(sim, sim)], F[np.ix_(lin, sim)] = C, BC
            F[np.ix_(sim, lin)], F[np.ix_(lin, lin)] = BC.T, inv_aa + BC @ B.T
        out.append(F)
    for p, x in zip(model.linear, c, strict=True):
        if (side := bound_reached(p, float(x))) is not None:
            warnings.append(bound_warning(p, float(x), side))
    return full_u, out


SIDES = ("lower", "upper")
BOUND_STEPS = 0.1  # a simulated parameter within this many finite-difference steps is at a bound
LINEAR_BOUND = 1e-6  # an offset or drift within this fraction of its bounds' width is at one


def bound_reached(p: FitParameter, value: float) -> int | None:
    """Which bound (0 lower, 1 upper) ``value`` (natural units) ended at, or None: within
    ``BOUND_STEPS`` finite-difference steps (internal coordinates) of a simulated parameter's,
    within ``LINEAR_BOUND`` of the width of an offset's or drift's (lsq_linear puts it on the
    bound exactly; np.isclose's absolute 1e-8 took a drift of 0 within +-1e-8 T/s as at both)."""
    lo, hi = p.bounds
    if p.linear:
        gaps, tol = (value - lo, hi - value), LINEAR_BOUND * (hi - lo)
    else:
        u = p.to_u(value)
        gaps, tol = (u - p.to_u(lo), p.to_u(hi) - u), BOUND_STEPS * p.step_u
    side = 0 if gaps[0] <= gaps[1] else 1
    return side if gaps[side] < tol else None


def bound_warning(p: FitParameter, value: float, side: int) -> str:
    """What a parameter ended at its bound means and what to do (the CLI exits 1)."""
    unit = f" {p.unit}" if p.unit else ""
    if p.walls[side]:  # a probe height at a superconductor's face: no wider bounds to give
        return (
            f"{p.name} = {value:.4g}{unit} sits at its {SIDES[side]} bound {p.bounds[side]:.4g}"
            f"{unit}, {p.walls[side]}: the series reads as if the probe sat inside it, where no "
            "Hall sensor sits, so this is not a fit and its sigma is not meaningful; check the "
            "probe's r and the layers' heights in the case, and the series' probe and field unit"
        )
    lo, hi = p.bounds
    return (
        f"{p.name} = {value:.4g}{unit} sits at its {SIDES[side]} bound {p.bounds[side]:.4g}"
        f"{unit} (bounds {lo:.4g}..{hi:.4g}): the optimum may lie beyond it, so this is not a "
        "fit and its sigma is not meaningful; widen the bounds (--bounds "
        f"{p.name}=LOW:HIGH, {'LOW below' if side == 0 else 'HIGH above'} {p.bounds[side]:.4g}) "
        "and rerun"
    )


def _fenced_in_all(p: FitParameter, case: Case, where: str) -> FitParameter:
    """``fenced`` in one more case: the walls found in any case kept."""
    q = fenced(p, case, where)
    return dataclasses.replace(
        q, walls=tuple(a or b for a, b in zip(p.walls, q.walls, strict=True))
    )


def _replaced_n_tables(cases: Sequence[Case], params: Sequence[FitParameter]) -> list[str]:
    """A warning for each fitted n that replaces a material's n(T) table by one n (``apply``)."""
    out = []
    for p in params:
        if p.attribute != "n":
            continue
        materials = [m for c in cases for m in c.materials if isinstance(m, Superconductor)]
        for m in {m.name: m for m in materials}.values():
            if m.n_table is not None and p.target in ("*", m.name):
                t, v = m.n_table.temperature_K, m.n_table.values
                out.append(
                    f"{p.name}: fits one n for every temperature in place of {m.name}'s n(T) table "
                    f"(n {v[0]:g} at {t[0]:g} K .. {v[-1]:g} at {t[-1]:g} K), from its first value; "
                    "the start and the fitted case have no n(T)"
                )
    return out


def _range(p: FitParameter, u: float, sd: float) -> tuple[float, float]:
    """The 1-sigma range (natural units) of ``p`` at internal coordinate ``u`` with sigma ``sd``
    there, within its bounds."""
    lo, hi = max(u - sd, p.to_u(p.bounds[0])), min(u + sd, p.to_u(p.bounds[1]))
    return p.from_u(lo), p.from_u(hi)


def _named(params: Sequence[FitParameter], u: np.ndarray) -> dict[str, float]:
    """Internal coordinates ``u`` as {parameter name: value in natural units}."""
    return {p.name: float(p.from_u(x)) for p, x in zip(params, u, strict=True)}


def _descend(model: Model, u0: np.ndarray, max_iterations: int, dof: int) -> tuple[Any, float]:
    """Bounded trust-region least squares from ``u0``, and the chi^2 drop (in units of the
    reduced chi^2) that a Gauss-Newton step on a ``STALL_STEP_FACTOR`` x coarser Jacobian still
    predicts at its end (parameters at a bound held): about 0 at a minimum, large where the
    optimizer stopped on its step size because the fine Jacobian was noise (a rough misfit).

    The evaluations are also limited to what the simulation cap leaves (each at most 1 + p
    simulations per case, and p per case kept for the check): cut short, ``model.capped`` says so;
    ``SimulationCapError`` when not even one is left."""
    p, per_case = len(u0), len(model.cases)
    left = (model.max_simulations - model.simulations - p * per_case) // ((p + 1) * per_case)
    model.check_deadline()
    if model.deadline is not None and model.simulations:  # what the wall-time budget leaves
        per_evaluation = model.run_s / model.simulations * (p + 1) * per_case
        left = min(left, int((model.deadline - time.perf_counter()) / per_evaluation) - 1)
    if left < 1:
        raise SimulationCapError(
            f"calibration: {model.simulations} simulations run, and a descent would exceed the "
            f"cap of {model.max_simulations}"
            + (" or the wall-time budget" if model.deadline is not None else "")
            + "; fewer scan points or a tighter budget"
        )
    res = least_squares(
        model.residuals,
        u0,
        jac=model.jacobian,
        bounds=(model.lo, model.hi),
        method="trf",
        x_scale="jac",
        xtol=1e-4,
        ftol=1e-6,
        max_nfev=min(max_iterations, left),
    )
    if left < max_iterations and res.status == 0:  # stopped by the evaluations the cap left
        model.capped = (
            f"{model.stage} stopped after {res.nfev} evaluations, the most that fit under the "
            "cap" + (" and the wall-time budget" if model.deadline is not None else "")
        )
    model.say(f"{model.stage}: chi^2 {2 * res.cost:.5g} after {res.nfev} evaluations")
    model.stage = "stall check"
    r = model.residuals(res.x)
    free = np.minimum(res.x - model.lo, model.hi - res.x) >= 0.1 * model.step
    if not free.any():
        return res, 0.0
    J = model.jacobian(res.x, STALL_STEP_FACTOR, columns=np.flatnonzero(free))
    delta = np.linalg.lstsq(J, -r, rcond=None)[0]
    drop = float(r @ r - np.sum((r + J @ delta) ** 2))
    res["step_to"] = res.x.copy()  # where that step goes (internal coordinates, in the bounds)
    res["step_to"][free] = np.clip(res.x[free] + delta, model.lo[free], model.hi[free])
    return res, drop / max(float(r @ r) / max(dof, 1), 1.0)


def _step_said(model: Model, at: _Assessment, to: np.ndarray | None) -> str:
    """Where a stalled descent's coarse Gauss-Newton step goes (``to``, internal coordinates of
    the simulated parameters), each parameter in natural units and in its reported sigmas: how
    far off the values may be ("" without a step)."""
    if to is None:
        return ""
    sim = [j for j, p in enumerate(model.all_params) if not p.linear]
    parts = []
    for p, j, u, v in zip(model.params, sim, at.u, to, strict=True):
        sd = math.sqrt(at.cov_u[j, j])
        k = f"{(v - u) / sd:+.2g} sigma" if 0 < sd < math.inf else "sigma unknown"
        parts.append(f"{p.name} = {p.from_u(v):.4g} ({k})")
    return ", towards " + ", ".join(parts)


def _not_descended(model: Model, u0: np.ndarray, why: SimulationCapError) -> OptimizeResult:
    """The result of a descent that could not start (``why``: the start scan used the wall-time
    budget or the simulation cap): ``u0``, the scan's best point, with ``model.capped`` saying so
    (it was the error, and the scan's simulations were lost)."""
    model.capped = f"no descent started after the start scan ({why})"
    model.say(f"{model.stage}: not started ({why})")
    return OptimizeResult(
        x=u0, cost=model.chi2(u0) / 2, nfev=0, njev=0, status=0, message=f"not started: {why}"
    )


def estimated_wall_s(
    model: Model, scan: int, profile: bool, run_s: float, workers: int
) -> tuple[int, int, float]:
    """The typical cost of a calibration after its start: (simulations, batches of the runner,
    wall time of the runs in s), each run taking ``run_s`` and ``workers`` running a batch's at
    once: the start scan (one batch), a descent of ``TYPICAL_EVALUATIONS`` evaluations of 1 + p
    runs, its stall check and covariance, and the profile of each fitted n (4 refits of
    ``TYPICAL_REFIT_EVALUATIONS`` evaluations of p runs), each for every case; a stalled descent,
    a restart or a flat profile cost more."""
    p, cases = len(model.params), len(model.cases)
    material = sum(not q.nuisance for q in model.params)
    size = scan**material if scan >= 2 else 0
    profiles = sum(q.attribute == "n" for q in model.params) if profile and p > 1 else 0
    batches = [
        (size, 1),
        (1 + p, TYPICAL_EVALUATIONS + 2),
        (p, 4 * TYPICAL_REFIT_EVALUATIONS * profiles),
    ]
    sims = sum(b * cases * k for b, k in batches)
    rounds = sum(math.ceil(b * cases / workers) * k for b, k in batches if b)
    return sims, sum(k for b, k in batches if b), rounds * run_s


def _whole(value: Any) -> bool:
    """Whether ``value`` is an integer (not a bool or a float)."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _duration(seconds: float) -> str:
    """A wall time as people read it: "45 s", "12 min", "3.2 h"."""
    if seconds < 120:
        return f"{seconds:.3g} s"
    return f"{seconds / 60:.3g} min" if seconds < 7200 else f"{seconds / 3600:.3g} h"


def check_request(
    cases: Sequence[Case],
    series: Sequence[Series],
    fit: str | Sequence[str] | Sequence[FitParameter],
    bounds: Mapping[str, tuple[float, float]] | None = None,
    scan: int = 0,
    max_simulations: int = MAX_SIMULATIONS,
) -> tuple[FitParameter, ...]:
    """The fit parameters, after checking that every series names a case and a probe it has
    and has its noise given or enough points to estimate it (``Series.noise``), every case has
    every target, and the least a fit costs (each case's start, its ``scan`` grid
    and the covariance's p shifted runs) is within ``max_simulations`` (before anything runs);
    ``ValidationError`` otherwise."""
    if not series:
        raise ValidationError("calibrate: no measured series given")
    if not _whole(scan) or scan < 0:  # -1 ran as 0, 2.5 failed in the grid
        raise ValidationError(f"calibrate: --scan must be a whole number >= 0, got {scan!r}")
    if not _whole(max_simulations) or max_simulations < 1:  # "10": a TypeError; 2.5 ran
        raise ValidationError(
            f"calibrate: max_simulations must be a whole number >= 1, got {max_simulations!r}"
        )
    for s in series:
        if not 0 <= s.case < len(cases):
            raise ValidationError(f"{s.name}: case index {s.case} but {len(cases)} case(s) given")
        names = [p.name for p in cases[s.case].probes]
        if s.probe in {p.name for p in cases[s.case].temperature_probes}:
            raise ValidationError(
                f"{s.name}: probe {s.probe!r} reads a temperature; a series is fitted to a field "
                f"(Bz) probe: {names}"
            )
        if s.probe not in names:
            raise ValidationError(
                f"{s.name}: the case has no probe {s.probe!r}{did_you_mean(s.probe, names)}; "
                f"probes: {', '.join(names)}"
            )
        check_magnitude(s, largest_field(cases[s.case].protocol))
    given = (
        isinstance(fit, Sequence) and bool(fit) and all(isinstance(p, FitParameter) for p in fit)
    )
    params = tuple(fit) if given else parse_fit(fit, cases[0], bounds)  # type: ignore[arg-type]
    for i, c in enumerate(cases):
        if i > 0:  # its targets, as the first case's were found by parse_fit
            apply(c, params, [p.start for p in params])
        if given or i > 0:  # parse_fit fenced the heights in the first case
            where = f" (case {i + 1}, {c.title!r})" if len(cases) > 1 else ""
            params = tuple(_fenced_in_all(p, c, where) for p in params)
    for p in params:
        if p.linear and not any(s.probe == p.target for s in series):
            raise ValidationError(
                f"--fit {p.name}: no series is fitted to probe {p.target!r} (series' probes: "
                f"{sorted({s.probe for s in series})})"
            )
    if all(p.linear for p in params):
        raise ValidationError(
            "--fit: only probe offsets/drifts given; fit at least one simulated parameter "
            "(<superconductor>.n|jc_scale|e0 or <probe>.z) beside them"
        )
    points = sum(_points_inside(s, cases[s.case]) for s in series)
    total = sum(s.time_s.size for s in series)
    if points <= len(params):  # found after the start case and the scan had run
        raise ValidationError(
            f"calibrate: {points} measured points"
            + (f" inside the simulated time span (of {total})" if points < total else "")
            + f" in {len(series)} series for {len(params)} "
            f"parameters ({', '.join(p.name for p in params)}); a fit needs more points than "
            "parameters: give a longer series, or fit fewer parameters"
        )
    for s in series:  # one too short to estimate its noise from: refused before anything runs
        s.noise()
    simulated = [p for p in params if not p.linear]
    material = sum(not p.nuisance for p in simulated)
    grid = scan**material if scan >= 2 else 0
    least = len(cases) * (1 + grid + len(simulated))
    if least > max_simulations:  # the scan's grid alone was checked, once, not per case
        raise ValidationError(
            f"calibrate: --scan {scan} needs at least {least} simulations ({len(cases)} case"
            f"{'s' * (len(cases) > 1)} x (the start, a grid of {grid} = {scan}^{material} and "
            f"{len(simulated)} for the covariance)), over the cap of {max_simulations}; fewer "
            "scan points per parameter, fewer parameters or cases"
        )
    return params


def _points_inside(s: Series, case: Case) -> int:
    """How many points of ``s`` lie inside the time span a simulation of ``case`` covers; fewer
    than 3 (a wrong origin, a time in the wrong unit) are refused before anything runs, naming
    the first point outside and both spans, as is an applied_T column without its origin
    (``check_applied``; ``align`` found both after the start case's run)."""
    ends = np.cumsum([0.0, *step_durations(case.protocol)])  # the protocol's step ends (s)
    fields = np.array([b for b, _ in states(case.protocol)])
    check_applied(s, ends, fields)  # align found these after the start case
    span = simulated_span(case.protocol)
    inside = inside_span(s, span)
    if inside.sum() >= 3:
        return int(inside.sum())
    k = int(np.argmin(inside))  # the first point outside
    t, origin = s.time_s, s.origin
    raise ValidationError(
        f"{s.name}: {inside.sum()} of its {t.size} points lie inside the simulated time span "
        f"{span[0]:.4g}..{span[1]:.4g} s around the origin of {case.title!r} (the end of its "
        f"last field change); point {k + 1} (1 = the first), at {t[k]:.6g} s on the series' "
        f"clock, is {t[k] - origin:.4g} s from its origin ({origin:.6g} s; the series spans "
        f"{t[0] - origin:.4g}..{t[-1] - origin:.4g} s); a fit needs at least 3: check the "
        "origin (applied_T column or --origin) and the time column's unit"
    )


def _scan(
    model: Model, u_start: np.ndarray, points: int, start_wall_s: float, warnings: list[str]
) -> tuple[list[dict[str, float]], np.ndarray]:
    """Coarse grid over the material parameters (nuisance ones at their start), one batch, each
    run for at most ``SCAN_WALL_FACTOR`` x the start's ``start_wall_s`` (s); the best point
    (lowest chi^2, the start included) and the table of every grid point. Points whose
    simulation failed or ran out of time are left out of the choice, named in ``warnings``."""
    if points < 2:
        return [], u_start
    axes = [
        np.linspace(lo, hi, points) if not p.nuisance else [u0]
        for p, lo, hi, u0 in zip(model.params, model.lo, model.hi, u_start, strict=True)
    ]
    grid = [np.array(g) for g in itertools.product(*axes)]
    timeout_s = max(SCAN_WALL_FACTOR * start_wall_s, SCAN_MIN_WALL_S)
    model.stage = "start scan"
    model.say(
        f"start scan: {len(grid)} simulations (the start case took {start_wall_s:.3g} s; each at "
        f"most {timeout_s:.3g} s)"
    )
    model.run(grid, timeout_s=timeout_s)
    rows, best, best_chi2, failed = [], u_start, model.chi2(u_start), []
    for g in grid:
        c = model.chi2(g)
        values = {p.name: p.from_u(x) for p, x in zip(model.params, g, strict=True)}
        rows.append(values | {"chi2": c})
        if c < best_chi2:
            best, best_chi2 = g, c
        if not math.isfinite(c):
            failed.append(", ".join(f"{k} = {v:.3g}" for k, v in values.items()))
    if failed:
        warnings.append(
            f"start scan: {len(failed)} of {len(grid)} points left out (their simulation failed "
            f"or passed the scan's limit of {timeout_s:.3g} s, {SCAN_WALL_FACTOR:g} x the start "
            f"case's {start_wall_s:.3g} s): " + "; ".join(failed)
        )
    if not math.isfinite(best_chi2):
        raise SolverError("calibration: every simulation of the start scan failed")
    return rows, best


def _covariance(
    J: np.ndarray, s2: float, params: Sequence[FitParameter], warnings: list[str]
) -> np.ndarray:
    """s2 (J^T J)^-1 by SVD; directions the data do not constrain get an infinite variance."""
    _, sv, Vt = np.linalg.svd(J, full_matrices=False)
    small = sv <= sv[0] * 1e-8
    inv = np.where(small, 0.0, 1.0 / np.where(small, 1.0, sv) ** 2)
    cov = (Vt.T * inv) @ Vt * s2
    if small.any():
        for v in Vt[small]:
            j = int(np.argmax(np.abs(v)))
            cov[j, j] = np.inf
            warnings.append(
                f"{params[j].name} is not determined by these series (the Jacobian is singular "
                "along it): its sigma is infinite; fix it or add a series that depends on it"
            )
    return cov


def _series_fits(
    model: Model, u: np.ndarray, J: np.ndarray, dof: int, warnings: list[str]
) -> list[SeriesFit]:
    """Each series' misfit at ``u`` (the fitted offsets and drifts included), and a warning where
    one left unfitted shows in its residuals (``_unfitted_offsets``; ``J`` the Jacobian there)."""
    fits, m = [], model.model(u)
    r = model.residuals(u)
    ends = np.cumsum([model.measured(k)[0].size for k in range(len(model.series))])
    drifts = _unfitted_offsets(model, r, J, dof)
    for k, s in enumerate(model.series):
        b, sigma = model.measured(k)
        res = r[ends[k] - b.size : ends[k]] * sigma  # model (+ offset, drift) - measured
        chi2_red = float(np.mean((res / sigma) ** 2))
        z = runs_test(res)
        fit = SeriesFit(
            name=s.name,
            probe=s.probe,
            n_points=int(b.size),
            n_outside=int((~model.alignments[k].used).sum()),
            noise_T=float(np.median(sigma)),
            noise_source=model.noise_source[k],
            rms_T=float(np.sqrt(np.mean(res**2))),
            chi2_red=chi2_red,
            runs_z=z,
            fits=chi2_red <= FIT_CHI2,
            structured=z < RUNS_Z,
            offset_z=drifts[k]["offset"][1] if "offset" in drifts[k] else None,
            drift_z=drifts[k]["drift"][1] if "drift" in drifts[k] else None,
        )
        if not fit.fits:
            scale = float(np.sqrt(np.mean(b**2) / np.mean(m[k] ** 2))) if np.any(m[k]) else math.inf
            warnings.append(
                f"{s.name}: the model does not fit this series: residual rms {fit.rms_T:.3g} T is "
                f"{math.sqrt(chi2_red):.3g} x its noise {fit.noise_T:.2g} T (reduced chi^2 "
                f"{chi2_red:.3g} > {FIT_CHI2:g}); its parameters are not to be trusted"
                + (
                    f"; it lies nearer minus the model ({np.sqrt(np.mean((b + m[k]) ** 2)):.3g} T "
                    "rms with its sign flipped): magnetised the other way, or a Hall probe "
                    "mounted upside down? Give the case's protocol fields the series' sign"
                    if b @ m[k] < 0
                    else ""
                )
                + (
                    f"; the measured field is {scale:.3g} x the model's (rms): a unit mix-up? "
                    "(the column name gives the unit: B_T is tesla, 'B (mT)' millitesla, "
                    "'B (G)' gauss)"
                    if not 1 / UNIT_RATIO < scale < UNIT_RATIO
                    else ""
                )
                + _clock_hint(model.alignments[k].clock_ratio)
                + (
                    "; its origin (when the applied field reached its final value) was taken as "
                    "t = 0 on its clock, as it has no applied_T column and none was given: if the "
                    "field reached it later, give it (--origin)"
                    if s.applied_T is None and s.origin_s is None
                    else ""
                )
                + (
                    f"; a sensor off its drawn height shifts the whole trace: fit {s.probe}.z "
                    "(within 1 mm of it by default)"
                    if not any(p.name == f"{s.probe}.z" for p in model.params)
                    else ""
                )
            )
        if fit.noise_source == "estimated" and chi2_red < NOISE_CHI2:
            warnings.append(
                f"{s.name}: its noise, estimated from the series' second differences "
                f"({fit.noise_T:.2g} T), is {1 / math.sqrt(chi2_red):.3g} x the residual rms "
                f"{fit.rms_T:.2g} T: the series is sampled too sparsely to tell noise from its "
                "curvature, so whether the model fits it cannot be judged (the sigmas, scaled by "
                "the reduced chi^2, stand); give its noise (--sigma-column)"
            )
        shared = {p.attribute for p in model.linear if p.target == s.probe}
        for attribute, (value, z_off) in drifts[k].items():
            if abs(z_off) <= OFFSET_Z:
                continue
            unit = "T" if attribute == "offset" else "T/s"
            what = f"{'a constant' if attribute == 'offset' else 'a linear'} {attribute}"
            said = f"{value:.3g} {unit} ({z_off:+.1f} x its standard error, |z| > {OFFSET_Z:g})"
            warnings.append(
                f"{s.name}: its residuals show {what} of {said} beyond the fitted "
                f"{s.probe}.{attribute}, which every series of probe {s.probe!r} shares: its "
                f"{attribute} differs from theirs (a probe's zero offset changes with its "
                "temperature), and the parameters absorb the difference"
                if attribute in shared
                else f"{s.name}: its residuals show {what} of {said} that the fit leaves to the "
                f"other parameters: a Hall-probe {'zero offset' if attribute == 'offset' else 'drift'}"
                ", or the model's own error (a coarse mesh shifts the whole trace)? fit it as "
                f"{s.probe}.{attribute} (the parameters absorb it otherwise)"
            )
        if fit.structured:
            warnings.append(
                f"{s.name}: the residuals show structure the model does not explain (runs test "
                f"z = {z:.2f} < {RUNS_Z:g}: long stretches on one side)"
            )
        if fit.n_outside:
            warnings.append(
                f"{s.name}: {fit.n_outside} points lie outside the simulated time span and are unused"
            )
        fits.append(fit)
    return fits


def _clock_hint(ratio: float) -> str:
    """A misfit's note when the series' clock runs ``ratio`` x the simulation's (``Alignment``'s
    ``clock_ratio``) by a time unit's factor: a series without applied_T spanning that much of
    the simulated time (with it, ``check_applied`` refused such a ramp before any run)."""
    if 1 / UNIT_RATIO < ratio < UNIT_RATIO:
        return ""
    return (
        f"; it spans, after its origin, {ratio:.3g} x the simulation's time: a time unit "
        "mix-up? (the column name gives the unit: time_s is seconds, 'time (min)' minutes, "
        "'time (h)' hours)"
    )


def _unfitted_offsets(
    model: Model, r: np.ndarray, J: np.ndarray, dof: int
) -> list[dict[str, tuple[float, float]]]:
    """Per series, the offset (T) and drift (T/s) its residuals ``r`` show beyond those fitted
    (a probe's fitted offset is shared by its series: one series' own is tested against it) and
    whether significant: {attribute: (value, z)} (where the fit can tell it), z the coefficient
    over its standard error when both are added to the fit (columns projected off the fitted
    offsets and drifts, beside the Jacobian ``J``; the variance from the residuals left)."""
    ends = np.cumsum([model.measured(k)[0].size for k in range(len(model.series))])
    A = model.design()
    out: list[dict[str, tuple[float, float]]] = []
    for k in range(len(model.series)):
        a, (_, sigma) = model.alignments[k], model.measured(k)
        want = ["offset", "drift"]  # a fitted one is tested against the probe's other series
        cols = []
        for x in want:
            col = np.zeros(r.size)
            t = np.ones_like(sigma) if x == "offset" else a.sim_time_s - a.sim_origin_s
            col[ends[k] - sigma.size : ends[k]] = t / sigma
            cols.append(col)
        if not cols or sigma.size <= len(cols) + 2:
            out.append({})
            continue
        # each candidate off the fitted offsets, drifts and parameters (Frisch-Waugh-Lovell: the
        # same coefficients and errors as the joint fit); one already in their span is untestable
        X = np.column_stack([A.reshape(r.size, -1), J[:, np.all(np.isfinite(J), axis=0)]])
        C = np.column_stack(cols)
        C_off = C - X @ np.linalg.lstsq(X, C, rcond=None)[0]
        keep = np.linalg.norm(C_off, axis=0) > 1e-6 * np.linalg.norm(C, axis=0)
        if not keep.any():
            out.append({})
            continue
        C_off, want = C_off[:, keep], [x for x, ok in zip(want, keep, strict=True) if ok]
        beta = np.linalg.lstsq(C_off, -r, rcond=None)[0]
        rest = r + C_off @ beta
        s2 = float(rest @ rest) / max(dof - len(want), 1)
        z = beta / np.sqrt(s2 * np.diag(np.linalg.pinv(C_off.T @ C_off)))
        out.append({x: (float(v), float(zz)) for x, v, zz in zip(want, beta, z, strict=True)})
    return out


def runs_test(residuals: np.ndarray) -> float:
    """Wald-Wolfowitz runs test of the signs: z = (runs - mean) / sd; about N(0,1) for
    independent residuals, strongly negative when they come in long one-sided stretches."""
    s = np.sign(residuals[residuals != 0])
    n1, n2 = int((s > 0).sum()), int((s < 0).sum())
    n = n1 + n2
    if n1 == 0 or n2 == 0:
        return -math.inf if n > 1 else 0.0
    runs = 1 + int(np.sum(s[1:] != s[:-1]))
    mu = 2 * n1 * n2 / n + 1
    var = (mu - 1) * (mu - 2) / (n - 1)
    return float((runs - mu) / math.sqrt(var)) if var > 0 else 0.0


def _profile(
    model: Model,
    u: np.ndarray,
    cov_u: np.ndarray,
    chi2_min: float,
    s2: float,
    max_iterations: int,
    warnings: list[str],
) -> tuple[list[dict[str, float]], list[np.ndarray], dict[str, tuple[float, float, bool, bool]]]:
    """Profile every fitted n at k = -2, -1, 1, 2 sigma: the rise of chi^2 / s2 should be k^2.
    On a side where it rises by less than ``PROFILE_FLAT`` x k^2 at k = 1 or 2 sigma (``_flat_at``),
    further points at 4, 8,
    16, 32 sigma (the last within the bounds, ``PROFILE_EXTEND`` at most) until one rises by more
    than 1 (a rise above 1 at 2 sigma with a flat 1 sigma may be the roughness: at least 4 sigma
    are looked at), then one where that bracket (a factor 2 wide) puts the crossing; not where a
    point lies more than 1 below (the fit is restarted from it). A point whose refit fails ends
    its side (a warning). The rows and, for each, its point (n held, the others refitted;
    internal coordinates), and each flat profile's ``profile_interval`` (in sigmas), computed
    once here from all its points."""
    rows: list[dict[str, float]] = []
    points: list[np.ndarray] = []
    intervals: dict[str, tuple[float, float, bool, bool]] = {}
    for j, p in enumerate(model.params):
        if p.attribute != "n" or not math.isfinite(cov_u[j, j]):
            continue
        sd = math.sqrt(cov_u[j, j])
        model.stage = f"profile of {p.name}"

        def rise_at(k: float, j: int = j, p: FitParameter = p, sd: float = sd) -> float:
            """Refit at k sigma (the bound where that lies beyond it)."""
            model.check_deadline()
            uj = float(np.clip(u[j] + k * sd, model.lo[j], model.hi[j]))
            k = k if uj == u[j] + k * sd else (uj - u[j]) / sd
            chi2, w = _refit_with_fixed(model, u, j, uj, max_iterations)
            points.append(w)
            rows.append(
                {
                    "parameter": p.name,
                    "k_sigma": k,
                    "value": p.from_u(uj),
                    "delta_chi2": (chi2 - chi2_min) / s2,
                    "expected": k * k,
                }
            )
            return rows[-1]["delta_chi2"]

        def tried(k: float, j: int = j, p: FitParameter = p, sd: float = sd) -> float | None:
            """rise_at(k), or None with a warning where the refit's simulation failed."""
            try:
                return rise_at(k)
            except (SimulationCapError, SolverError) as e:
                uj = float(np.clip(u[j] + k * sd, model.lo[j], model.hi[j]))
                warnings.append(
                    f"profile of {p.name}: the point {p.name} = {p.from_u(uj):.4g} could not be "
                    f"refitted ({e}); the profile ends before it on that side"
                )
                return None

        rise = {}
        for k in (-2.0, -1.0, 1.0, 2.0):
            uj = u[j] + k * sd
            if model.lo[j] <= uj <= model.hi[j]:
                rise[k] = rise_at(k)
        for side in (-1.0, 1.0):
            if _flat_at(rise, side) is None or min(rise.values()) < -1.0:
                continue  # quadratic there, or a lower point: the fit is restarted from it
            last = max((abs(k) for k in rise if k * side > 0), default=0.0)
            crossed = False
            for m in range(PROFILE_EXTEND):
                k = side * 4.0 * 2**m
                uj = float(np.clip(u[j] + k * sd, model.lo[j], model.hi[j]))
                if abs(uj - u[j]) <= last * sd:  # the bound is reached
                    break
                r = tried(k)
                if r is None or r > 1.0:
                    crossed = r is not None
                    break
                last = abs(uj - u[j]) / sd
            if crossed:  # one more point where the doubling's bracket puts the crossing
                ks, rises = zip(*[(r["k_sigma"], r["delta_chi2"]) for r in rows
                                  if r["parameter"] == p.name], strict=True)  # fmt: skip
                tried(_crossing(ks, rises, side)[0])
        mine = [r for r in rows if r["parameter"] == p.name]
        if _flat(mine):  # its interval, once, from all its points
            intervals[p.name] = profile_interval(
                [r["k_sigma"] for r in mine], [r["delta_chi2"] for r in mine]
            )
    for row in rows:
        if row["parameter"] in intervals or abs(row["k_sigma"]) > 2:
            continue  # a flat side: _widen reports the profile interval instead
        if not 0.5 * row["expected"] <= row["delta_chi2"] <= 2 * row["expected"]:
            warnings.append(
                f"profile of {row['parameter']}: at {row['k_sigma']:+g} sigma chi^2 rises by "
                f"{row['delta_chi2']:.3g} (a quadratic misfit gives {row['expected']:g}); the "
                "linearised sigma is only indicative there"
            )
            break
    return rows, points, intervals


def _flat_at(rise: Mapping[float, float], side: float) -> float | None:
    """The k (sigma) on ``side`` (-1 or +1) where a profile's ``rise`` {k: delta chi^2 / chi2_red}
    is below ``PROFILE_FLAT`` x k^2 (1 sigma first, then 2), None where neither is."""
    return next((k for k in (side, 2 * side) if k in rise and rise[k] < PROFILE_FLAT * k * k), None)


def _flat(rows: list[dict[str, float]]) -> tuple[float, float] | None:
    """Where one parameter's profile rows are flat on a side (``_flat_at``), as (k, rise), with
    no point more than 1 below the fit (then the fit is not at the minimum and is restarted,
    its sigmas not meaningful either way); None where they are not."""
    rise = {r["k_sigma"]: r["delta_chi2"] for r in rows if abs(r["k_sigma"]) in (1, 2)}
    if not rows or min(r["delta_chi2"] for r in rows) < -1.0:
        return None
    flat = [k for k in (_flat_at(rise, -1.0), _flat_at(rise, 1.0)) if k is not None]
    k = min(flat, key=lambda k: (abs(k), rise[k]), default=None)
    return None if k is None else (k, rise[k])


def profile_interval(k: Sequence[float], rise: Sequence[float]) -> tuple[float, float, bool, bool]:
    """Where a profile (rises of chi^2 / chi2_red at ``k`` linearised sigmas; the fit at k = 0,
    rise 0) crosses 1 on each side: (k_lower, k_upper, lower reached, upper reached), each side
    by ``_crossing``. A side whose outermost point is at or below 1 gives that point's k, not
    reached (the interval is then a lower bound)."""
    (lo, lo_ok), (hi, hi_ok) = _crossing(k, rise, -1.0), _crossing(k, rise, 1.0)
    return lo, hi, lo_ok, hi_ok


def _crossing(k: Sequence[float], rise: Sequence[float], side: float) -> tuple[float, bool]:
    """Where the profile crosses 1 on ``side`` (-1 or +1) and whether it does: the outermost
    point at or below 1 and the next one out interpolated linearly in sqrt(rise), exact for a
    quadratic profile (rise = k^2); the outermost crossing, so that a rough profile's spike
    above 1 nearer the fit does not end the interval."""
    pts = sorted([(0.0, 0.0)] + [(side * a, r) for a, r in zip(k, rise, strict=True)
                                 if side * a > 0])  # fmt: skip
    i = max(i for i, (_, r) in enumerate(pts) if r <= 1.0)
    if i == len(pts) - 1:
        return side * pts[i][0], False
    (a0, r0), (a1, r1) = pts[i], pts[i + 1]
    s0 = math.sqrt(max(r0, 0.0))
    return side * (a0 + (1.0 - s0) * (a1 - a0) / (math.sqrt(r1) - s0)), True


def _widen(
    params: Sequence[FitParameter],
    u: np.ndarray,
    cov_u: np.ndarray,
    sig_lin: np.ndarray,
    rows: list[dict[str, float]],
    points: list[np.ndarray],
    profile_ks: Mapping[str, tuple[float, float, bool, bool]],
    warnings: list[str],
) -> tuple[np.ndarray, tuple[str, ...], dict[str, dict[str, Any]]]:
    """The covariance widened where a profile was flat (``_flat``): the parameter's sigma becomes the larger half of its profile interval (if larger),
    by cov_u -> A cov_u A^T with A = I + (f - 1) c e_j^T, c the regression of the refitted
    profile points on u_j (c_j = 1): the others move with it as along the profile, and the
    result stays a covariance. ``profile_ks``: the flat profiles' intervals in sigmas (from
    ``_profile``). Also each parameter's sigma source and the profile intervals in natural
    units."""
    names = [p.name for p in params]
    sources = ["linearised"] * len(params)
    intervals: dict[str, dict[str, Any]] = {}
    sd_lin = np.sqrt(np.diag(cov_u))
    for name, (k_lo, k_hi, lo_ok, hi_ok) in profile_ks.items():
        idx = [i for i, r in enumerate(rows) if r["parameter"] == name]
        k_flat, rise = _flat([rows[i] for i in idx]) or (math.nan, math.nan)
        j = names.index(name)
        p, v = params[j], float(params[j].from_u(u[j]))
        lo, hi = p.from_u(u[j] + k_lo * sd_lin[j]), p.from_u(u[j] + k_hi * sd_lin[j])
        intervals[name] = {"lower": lo, "upper": hi, "lower_reached": lo_ok, "upper_reached": hi_ok}
        half = max(v - lo, hi - v)
        f = half / (p.dvalue_du(v) * math.sqrt(cov_u[j, j]))
        said = (
            f"profile of {name}: chi^2 rises by only {rise:.3g} at "
            + ("1 sigma" if abs(k_flat) == 1 else f"{k_flat:+g} sigma")
            + f" (a quadratic misfit gives {k_flat * k_flat:g}: it is flat or rough there); its "
            f"profile interval (chi^2 + 1 "
            f"reduced unit) is {name} = {lo:.4g} .. {hi:.4g}"
        )
        if f > 1.0 and np.all(np.isfinite(cov_u)):
            W = np.array([points[i] for i in idx]) - u
            c = W.T @ W[:, j] / (W[:, j] @ W[:, j])
            A = np.eye(len(u)) + (f - 1.0) * np.outer(c, np.eye(len(u))[j])
            before = np.diag(cov_u).copy()
            cov_u = A @ cov_u @ A.T
            sources[j] = "profile"
            for i in range(len(u)):
                # "profile of" where the sigma grew (> 0.005 %: not by rounding alone)
                if i != j and sources[i] == "linearised" and cov_u[i, i] > 1.0001 * before[i]:
                    sources[i] = f"profile of {name}"
            said += (
                f", so its sigma is {half:.3g} (the interval's larger half), not the linearised "
                f"{sig_lin[j]:.2g}; the covariance is widened along the profile"
            )
        else:
            said += f"; the linearised sigma {sig_lin[j]:.2g} is kept"
        for reached, end, bound, where in ((lo_ok, lo, p.bounds[0], "below"),
                                           (hi_ok, hi, p.bounds[1], "above")):  # fmt: skip
            if not reached:
                said += (
                    f"; it does not rise by 1 {where} {name} = {end:.4g} ("
                    + ("its bound" if math.isclose(end, bound) else "the profile's last point")
                    + "): the sigma is a lower bound"
                )
        warnings.append(said)
    return cov_u, tuple(sources), intervals


def _refit_with_fixed(
    model: Model, u: np.ndarray, j: int, uj: float, max_iterations: int
) -> tuple[float, np.ndarray]:
    """chi^2 with internal coordinate ``j`` held at ``uj`` and the others refitted from ``u``,
    and the refitted point."""
    others = [i for i in range(len(u)) if i != j]

    def point(v: np.ndarray) -> np.ndarray:
        w = u.copy()
        w[others], w[j] = v, uj
        return w

    if not others:
        w = point(np.array([]))
        return model.chi2(w), w
    sub = least_squares(
        lambda v: model.residuals(point(v)),
        u[others],
        jac=lambda v: model.jacobian(point(v), columns=others),
        bounds=(model.lo[others], model.hi[others]),
        method="trf",
        x_scale="jac",
        xtol=1e-4,
        ftol=1e-6,
        max_nfev=max_iterations,
    )
    return float(2 * sub.cost), point(sub.x)


def _model_error(model: Model, u: np.ndarray, at: _Assessment) -> dict[str, Any] | None:
    """The fitted model's discretization error, estimated once, at the fit ``u``: each case's
    coarse run beside its fitted (fine) run as ``Simulation.run`` pairs them (``coarse_run``;
    the fit's own runs are single, ``runners.single_run``), e = fine - coarse (first order in
    space and time) at each series' used points, and the shift of the fitted parameters were
    the model off by e: the Gauss-Newton step -pinv(J) e / sigma, in each parameter's reported
    sigmas. Not in the sigmas (as before: they carry the noise and the misfit, scaled by the
    reduced chi^2). None for accuracy-driven cases (no ``[mesh] size``: each run of the fit
    made its own estimate) and where a run failed or the fit is cut short."""
    if any(not c.mesh.size_m > 0 for c in model.cases) or isinstance(model.model(u), Exception):
        return None
    t0 = time.perf_counter()
    coarse = {}
    values = [p.from_u(x) for p, x in zip(model.params, u, strict=True)]
    for i, case in enumerate(model.cases):
        fine = model.memo[model._key(i, u)]
        try:
            coarse[i] = coarse_run(apply(case, model.params, values, quiet=True), fine)
        except (SolverError, ValidationError) as e:
            return {"note": f"the coarse run at the fit failed: {e}"}
    errors, rows = [], []
    for k, s in enumerate(model.series):
        a = model.alignments[k]
        fine_T = model.model(u)[k]
        e = fine_T - simulated_at(coarse[s.case], s.probe, a.sim_time_s)
        _, sigma = model.measured(k)
        errors.append(e / sigma)
        rows.append(
            {
                "series": s.name,
                "probe": s.probe,
                "largest_T": float(np.max(np.abs(e))),
                "rms_T": float(np.sqrt(np.mean(e**2))),
                "noise_T": float(np.median(sigma)),
            }
        )
    w = np.concatenate(errors)
    J = model.jacobian(u)  # memoised: no simulations
    shift = -np.linalg.lstsq(J, w, rcond=None)[0]
    simulated = [j for j, p in enumerate(model.all_params) if not p.linear]
    sd = np.sqrt(np.diag(at.cov_u))[simulated]
    return {
        "method": (
            "coarse run (elements 2 x [mesh] size, every other time of the fitted run) at the fit: "
            "error = fitted - coarse (first-order Richardson); shift = -pinv(J) error / sigma"
        ),
        "series": rows,
        "shift_sigmas": {
            p.name: float(d / s_) if s_ > 0 else None
            for p, d, s_ in zip(model.params, shift, sd, strict=True)
        },
        "wall_s": round(time.perf_counter() - t0, 3),
    }


def _traces(model: Model, u_start: np.ndarray, u: np.ndarray) -> tuple[Trace, ...]:
    """Each series against the model at the start and the fit (the fitted offsets and drifts
    added, so that measured - fitted is the fit's residual)."""
    start, r = model.model(u_start), model.residuals(u)
    out, end = [], 0
    for k, s in enumerate(model.series):
        a = model.alignments[k]
        b, sigma = model.measured(k)
        begin = start[k] if not isinstance(start, Exception) else np.full(b.shape, np.nan)
        fitted = b + sigma * r[end : end + b.size]
        end += b.size
        out.append(Trace(s.name, a.sim_time_s - a.sim_origin_s, b, sigma, begin, fitted))
    return tuple(out)


__all__ = [
    "Calibration",
    "Model",
    "SeriesFit",
    "Trace",
    "calibrate",
    "profile_interval",
    "runs_test",
]
