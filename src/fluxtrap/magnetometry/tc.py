"""Tc from M(T): split ZFC/FC sweeps, normal-state baseline, low-temperature plateau, criterion.

For one temperature sweep sorted by T: the normal-state baseline is a straight line fitted to
the top ``normal_fraction`` of the temperature range, the plateau the median moment over the
bottom ``plateau_fraction``; the shielding fraction is s(T) = (baseline(T) - M(T)) / step with
step = baseline(Tmin) - plateau. ``Tc`` is where the moment has come back to ``criterion`` of
the way from the plateau to the normal state (s = 1 - criterion; 0.9 is the magnetic analogue
of the resistive "90% of the normal state"), found from the high-temperature side; ``onset``
is the highest temperature where s exceeds five baseline noise widths on two points in a row.

A superconducting transition is only reported when the low-temperature moment lies well below
the normal-state baseline (a diamagnetic step of at least ``min_step_sigma`` noise widths and
``min_step_fraction`` of the moment scale) and the plateau is diamagnetic (M < 0); otherwise
AnalysisError says that no transition was found and why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fluxtrap.errors import AnalysisError
from fluxtrap.magnetometry.loops import monotone_segments
from fluxtrap.magnetometry.table import MeasurementTable


@dataclass(frozen=True, eq=False)
class Sweep:
    """One monotonic temperature sweep of an M(T) file: rows ``start..stop-1``; ``label`` ZFC/FC/..."""

    label: str
    start: int
    stop: int
    temperature_K: np.ndarray
    moment_Am2: np.ndarray
    field_T: float

    @property
    def warming(self) -> bool:
        return bool(self.temperature_K[-1] > self.temperature_K[0])

    def __len__(self) -> int:
        return self.stop - self.start

    def __repr__(self) -> str:
        return (
            f"<Sweep {self.label}: {len(self)} points, {self.temperature_K[0]:.4g} -> "
            f"{self.temperature_K[-1]:.4g} K at {self.field_T * 1e4:.4g} Oe>"
        )


def split_sweeps(table: MeasurementTable, *, tolerance_K: float = 1.0) -> tuple[Sweep, ...]:
    """Monotonic temperature sweeps of ``table`` (at least 5 points each), in measurement order.

    Labels: a comment row naming ZFC or FC labels the sweep after it; otherwise two warming
    sweeps in one file are ZFC then FC (the usual protocol: the FC sweep needs the field first),
    a single one "sweep", and a cooling sweep "FC cooling".
    """
    if table.kind != "mt_curve":
        raise AnalysisError(
            f"{table.metadata.filename}: not an M(T) measurement (temperature span "
            f"{np.nanmax(table.temperature_K) - np.nanmin(table.temperature_K):.3g} K, field span "
            f"{np.ptp(table.field_T):.3g} T)"
        )
    t = table.temperature_K
    segs = [(s, e) for s, e in monotone_segments(t, tolerance_K) if e - s >= 5]
    noted = {}
    for row, text in table.comments:
        for word in ("ZFC", "FC"):
            if word in text.upper().replace("-", "").split(",")[0].split():
                noted[row] = word
                break
    sweeps = []
    warm = [k for k, (s, e) in enumerate(segs) if t[e - 1] > t[s]]
    previous = -1
    for k, (s, e) in enumerate(segs):
        named = [w for r, w in sorted(noted.items()) if previous < r <= s + 1]
        previous = s + 1
        label = named[-1] if named else None
        if label is None:
            if t[e - 1] < t[s]:
                label = "FC cooling"
            elif len(warm) == 2:
                label = "ZFC" if k == warm[0] else "FC"
            else:
                label = "sweep" if len(segs) == 1 else f"sweep {k + 1}"
        sweeps.append(
            Sweep(
                label,
                s,
                e,
                t[s:e].copy(),
                table.moment_Am2[s:e].copy(),
                float(np.median(table.field_T[s:e])),
            )
        )
    if not sweeps:
        raise AnalysisError(f"{table.metadata.filename}: no temperature sweep of 5 or more points")
    return tuple(sweeps)


@dataclass(frozen=True)
class TcResult:
    """Tc (K) at ``criterion``, the onset (K), and the fit that gave them (moments in A*m^2)."""

    tc_K: float
    onset_K: float
    criterion: float
    sweep: str
    baseline_slope_Am2_per_K: float
    baseline_intercept_Am2: float
    plateau_Am2: float
    step_Am2: float
    noise_Am2: float
    source: str = ""

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    def __repr__(self) -> str:
        return (
            f"<TcResult {self.source} {self.sweep}: Tc({self.criterion:.0%}) = {self.tc_K:.2f} K, "
            f"onset {self.onset_K:.2f} K, step {self.step_Am2 * 1e3:.3g} emu>"
        )


def find_tc(
    sweep: Sweep,
    *,
    criterion: float = 0.9,
    normal_fraction: float = 0.25,
    plateau_fraction: float = 0.1,
    min_step_sigma: float = 20.0,
    min_step_fraction: float = 0.1,
    source: str = "",
) -> TcResult:
    """Tc of one sweep (see the module docstring); AnalysisError if it shows no transition."""
    if not 0 < criterion < 1:
        raise ValueError(f"criterion must lie in (0, 1), got {criterion}")
    where = f"{source + ': ' if source else ''}{sweep.label}"
    order = np.argsort(sweep.temperature_K)
    t, m = sweep.temperature_K[order], sweep.moment_Am2[order]
    tmin, tmax = t[0], t[-1]
    top = t >= tmax - normal_fraction * (tmax - tmin)
    low = t <= tmin + plateau_fraction * (tmax - tmin)
    if top.sum() < 3 or low.sum() < 3:
        raise AnalysisError(
            f"{where}: too few points for a baseline and a plateau ({len(t)} in all)"
        )
    slope, intercept = np.polyfit(t[top], m[top], 1)
    resid = m[top] - (slope * t[top] + intercept)
    noise = float(1.4826 * np.median(np.abs(resid - np.median(resid)))) or float(np.std(resid))
    plateau = float(np.median(m[low]))
    step = float(slope * tmin + intercept - plateau)
    scale = float(np.max(np.abs(m)))
    no = f"{where}: no superconducting transition found between {tmin:.3g} and {tmax:.3g} K"
    if step <= 0:
        raise AnalysisError(
            f"{no}: the low-temperature moment lies above the normal-state baseline (paramagnetic), "
            "not below it (diamagnetic shielding)"
        )
    if step < min_step_sigma * noise or step < min_step_fraction * scale:
        raise AnalysisError(
            f"{no}: the drop below the normal-state baseline ({step * 1e3:.3g} emu) is within the noise "
            f"({noise * 1e3:.2g} emu) or under {min_step_fraction:.0%} of the signal"
        )
    if plateau >= 0:
        raise AnalysisError(
            f"{no}: the low-temperature moment is not diamagnetic ({plateau * 1e3:.3g} emu)"
        )
    s = (slope * t + intercept - m) / step
    target = 1 - criterion
    above = np.nonzero(s >= target)[0]
    k = above[-1]  # highest temperature still below the target moment
    if k == len(t) - 1:
        raise AnalysisError(
            f"{no}: the moment is still below the criterion at the highest temperature"
        )
    tc = float(np.interp(target, [s[k + 1], s[k]], [t[k + 1], t[k]]))
    thresh = max(5 * noise / step, 0.01)
    over = (s[:-1] > thresh) & (s[1:] > thresh)
    onset = float(t[np.nonzero(over)[0][-1] + 1]) if over.any() else tc
    return TcResult(
        tc_K=tc,
        onset_K=max(onset, tc),
        criterion=criterion,
        sweep=sweep.label,
        baseline_slope_Am2_per_K=float(slope),
        baseline_intercept_Am2=float(intercept),
        plateau_Am2=plateau,
        step_Am2=step,
        noise_Am2=noise,
        source=source,
    )


def tc_from_table(table: MeasurementTable, *, criterion: float = 0.9, **kwargs) -> list[TcResult]:
    """Tc of every sweep of an M(T) file; AnalysisError if none shows a transition."""
    results, reasons = [], []
    for sweep in split_sweeps(table):
        try:
            results.append(
                find_tc(sweep, criterion=criterion, source=table.metadata.filename, **kwargs)
            )
        except AnalysisError as err:
            reasons.append(str(err))
    if not results:
        raise AnalysisError("; ".join(reasons))
    return results
