"""Predictions of another case with the calibrated parameters, with error bars.

The calibrated values are written into the target case (another temperature, a longer hold, a
larger stack; its materials must carry the calibrated names, and a fitted probe height applies
where the target has that probe); the probe values y at the requested times are linearised
around them, y(u + du) ~ y(u) + G du with G by forward differences (p + 1 simulations in one
batch), so var y = G cov_u G^T. The error bars carry the calibration's uncertainty only, not the
simulator's own discretization error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fluxtrap.errors import SolverError, ValidationError
from fluxtrap.probetable import relaxation_origin
from fluxtrap.simulate import Case
from fluxtrap.simulate.calibrate.fit import Calibration
from fluxtrap.simulate.calibrate.parameters import FitParameter, apply
from fluxtrap.simulate.calibrate.runners import Runner, serial
from fluxtrap.simulate.calibrate.series import simulated_at
from fluxtrap.simulate.case import states, step_duration
from fluxtrap.simulate.materials import N_MAX


@dataclass(frozen=True, eq=False)
class Prediction:
    """Predicted probe values: ``table`` with columns ``probe, time_s, t_since_origin_s,
    value_T, sigma_T`` (1-sigma from the calibration's covariance); ``probes`` the target
    case's simulated traces at the calibrated values; ``applied`` the parameters written in."""

    case: Case = field(repr=False)
    table: pd.DataFrame
    probes: pd.DataFrame = field(repr=False)
    applied: tuple[str, ...]
    simulations: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "case": self.case.title,
            "parameters": list(self.applied),
            "simulations": self.simulations,
            "values": self.table.to_dict(orient="records"),
        }


def step_end_times(case: Case) -> list[float]:
    """Time (s) at the end of every protocol step after the ``set`` step."""
    ends, t = [], 0.0
    for step, start in zip(case.protocol[1:], states(case.protocol)[:-1], strict=True):
        t += step_duration(step, start)
        ends.append(t)
    return ends


def predict(
    calibration: Calibration,
    case: Case,
    *,
    probes: Sequence[str] | None = None,
    times_s: Sequence[float] | None = None,
    since_origin_s: Sequence[float] | None = None,
    runner: Runner = serial,
) -> Prediction:
    """Probe values of ``case`` with the calibrated parameters and their 1-sigma error bars.

    ``probes``: names (default: all); times on the case's clock ``times_s`` (default: the end
    of every protocol step) or since the applied field reached its final value
    ``since_origin_s`` (e.g. ``[3 * 86400]`` for the field after three days).
    """
    params = [p for p in calibration.parameters  # a probe's offset and drift are not simulated
              if not p.linear and (not p.nuisance or p.target in _probes(case))]  # fmt: skip
    index = [calibration.parameters.index(p) for p in params]
    values = calibration.values[index]
    names = probes or _probes(case)
    missing = set(names) - set(_probes(case))
    if missing:
        raise ValidationError(f"predict: the case has no probe {', '.join(sorted(missing))}")
    u = np.array([p.to_u(v) for p, v in zip(params, values, strict=True)])
    points = [u] + [
        u + np.eye(len(u))[j] * _signed_step(p, x)
        for j, (p, x) in enumerate(zip(params, u, strict=True))
    ]
    cases = [  # a probe inside a superconductor warned of once, at the central values
        apply(case, params, [p.from_u(x) for p, x in zip(params, v, strict=True)], quiet=k > 0)
        for k, v in enumerate(points)
    ]
    outcomes = runner(cases)
    for v, out in zip(points, outcomes, strict=True):
        if isinstance(out, Exception):
            at = ", ".join(f"{p.name} = {p.from_u(x):.4g}" for p, x in zip(params, v, strict=True))
            raise SolverError(
                f"predict: the simulation of {case.title!r} at {at} failed: {out}"
            ) from out
    base = outcomes[0]
    origin = relaxation_origin(base["time_s"].to_numpy(), base["applied_T"].to_numpy())
    if since_origin_s is not None:
        t = origin + np.asarray(since_origin_s, float)
    else:
        t = np.asarray(times_s if times_s is not None else step_end_times(case), float)
    end = float(base["time_s"].iloc[-1])
    if np.any(t > end * (1 + 1e-9)) or np.any(t < 0):
        raise ValidationError(
            f"predict: times {t.min():.4g}..{t.max():.4g} s reach outside the protocol of "
            f"{case.title!r} "
            f"(0..{end:.4g} s); lengthen its hold to predict later"
        )
    cov_u = calibration.cov_u[np.ix_(index, index)]
    rows = []
    for name in names:
        y = [simulated_at(o, name, t) for o in outcomes]
        G = (
            np.column_stack(
                [
                    (yj - y[0]) / (pj - u)[j]
                    for j, (yj, pj) in enumerate(zip(y[1:], points[1:], strict=True))
                ]
            )
            if params
            else np.zeros((t.size, 0))
        )
        var = np.einsum("ij,jk,ik->i", G, cov_u, G)
        for ti, yi, vi in zip(t, y[0], var, strict=True):
            rows.append(
                {
                    "probe": name,
                    "time_s": float(ti),
                    "t_since_origin_s": float(ti - origin),
                    "value_T": float(yi),
                    "sigma_T": float(np.sqrt(max(vi, 0.0))),
                }
            )
    return Prediction(
        apply(case, params, values, quiet=True),
        pd.DataFrame(rows),
        base,
        tuple(p.name for p in params),
        len(cases),
    )


def _probes(case: Case) -> list[str]:
    return [p.name for p in case.probes]


def _signed_step(p: FitParameter, u: float) -> float:
    """The forward step, backward where it would leave the simulator's range of n."""
    return -p.step_u if p.attribute == "n" and p.from_u(u + p.step_u) > N_MAX else p.step_u
