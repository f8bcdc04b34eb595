"""M(H) loops: split a field sweep into branches, subtract a linear background, loop width dM(H).

A file may hold several loops (one per temperature, as the KMK282 file: 5 K then 300 K); rows
are grouped into loops at comment-only rows and at temperature steps (``loop_groups``), and each
loop is split into monotonic branches at the field's turning points. The first branch is the virgin curve
when it starts near zero field and goes out to the maximum field (either sign).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace as _replace
from typing import Any

import numpy as np

from fluxtrap.errors import AnalysisError, ValidationError
from fluxtrap.magnetometry.table import MeasurementTable, check_table, robust_sigma
from fluxtrap.units import in_si

BRANCH_KINDS = ("virgin", "decreasing", "increasing")
SHIELDING_WINDOW = 0.02  # virgin-branch check from B = 0 out to this fraction of the loop's max |B|
# Without a virgin branch: the reversible moment may rise through |B| <= REVERSIBLE_WINDOW * max|B|
# by at most REVERSIBLE_RISE of the loop's largest width (Kim bars with backgrounds and noise:
# |rise| <= 0.03; a hard ferromagnet 0.23; the real non-superconducting loops of tests/data 1.2-3.2)
REVERSIBLE_WINDOW = 0.3
REVERSIBLE_RISE = 0.1
# A hole in a branch: a field step over GAP_STEPS times both neighbouring steps and over GAP_SPAN
# of the loop's field span (VSM sweeps jitter up to 7x between neighbours, but in 0.03 T of 14 T).
GAP_STEPS = 3.0
GAP_SPAN = 0.02
# a loop whose branches span more than this (K, or this fraction of its temperature) was not
# measured at one temperature: the objectives' own tolerance (pipeline: 0.5 K or 2%); a step
# this large between neighbouring rows, held over STEP_ROWS rows, starts another loop
TEMPERATURE_SPAN_K, TEMPERATURE_SPAN_FRACTION = 0.5, 0.02
ZERO_CELSIUS_K = 273.15
STEP_ROWS = 3
MAX_GRID_POINTS = 1_000_000  # a uniform field grid of at most this many points (8 MB per array)
SPIKE_SIGMA = 8.0  # a reading this many standard errors off the lines through its neighbours
SPIKE_STEPS = 3.0  # ... and this many times the change between neighbouring readings
SPIKE_SIDE = 5  # readings on each side whose pairs' lines predict a reading (isolated_spikes)


class NotSuperconductingWarning(UserWarning):
    """An M(H) loop that does not look like a superconductor's: its virgin branch does not shield.

    A warning, not an error: the Jc is still derived, and the curve's settings record the warning.
    """


class OutlierReadingWarning(UserWarning):
    """Single moment readings far off both neighbours (spikes), or a field off the sweep, were
    left out of the loop width; the note names their lines and is kept in the curve's settings
    warnings."""


class RepeatedMeasurementWarning(UserWarning):
    """Rows that repeat earlier ones (each counted once) or a loop swept again at its temperature
    (one sweep used): the Jc is derived, and the note is kept in the curve's settings warnings."""


class HalfLoopWarning(UserWarning):
    """A half loop: its virgin branch stood in for the missing return branch (kept in the
    curve's settings warnings)."""


@dataclass(frozen=True, eq=False)
class Branch:
    """A monotonic part of a field sweep: rows ``start..stop-1`` of the table, ``loop`` its group.

    ``field_T`` (mu0*H, T) and ``moment_Am2`` are the branch's points in measurement order, ``(n,)``.
    """

    kind: str
    loop: int
    start: int
    stop: int
    temperature_K: float
    field_T: np.ndarray
    moment_Am2: np.ndarray
    moment_err_Am2: np.ndarray | None = None

    def __len__(self) -> int:
        return self.stop - self.start

    def sorted(self) -> tuple[np.ndarray, np.ndarray]:
        """Field (increasing) and moment, duplicates of a field averaged: what ``np.interp`` needs."""
        b, inv = np.unique(self.field_T, return_inverse=True)
        m = np.bincount(inv, weights=self.moment_Am2) / np.bincount(inv)
        return b, m

    def sorted_err(self) -> np.ndarray:
        """1-sigma error of ``sorted()``'s moments (A*m^2; NaN where the file has none), ``(k,)``."""
        _, inv = np.unique(self.field_T, return_inverse=True)
        err = np.full(len(self), np.nan) if self.moment_err_Am2 is None else self.moment_err_Am2
        return np.sqrt(np.bincount(inv, weights=err**2)) / np.bincount(inv)

    def __repr__(self) -> str:
        return (
            f"<Branch {self.kind} (loop {self.loop}, {self.temperature_K:.4g} K): {len(self)} points, "
            f"{self.field_T[0]:.4g} -> {self.field_T[-1]:.4g} T>"
        )


def monotone_segments(x: np.ndarray, tolerance: float) -> list[tuple[int, int]]:
    """``(start, stop)`` index ranges over which ``x`` rises or falls, split at turning points.

    A reversal counts once ``x`` has moved back by more than ``tolerance`` from its running
    extreme (so repeated or jittering points do not split a branch); the turning point ends
    one segment and starts the next. NaN values (an empty optional cell) are passed over, staying
    in the segment around them. Hand-written because it is ten lines and must keep noise
    tolerance explicit; scipy's peak finders ask for prominences in data units anyway.
    """
    n = len(x)
    if n < 2:
        return [(0, n)]
    bounds = [0]
    direction = 0
    first = None  # index of the first value that is not NaN
    ext = 0  # index of the running extreme of the current segment
    for i in range(n):
        if not np.isfinite(x[i]):
            continue
        if first is None:
            first = i
            continue
        if direction == 0:
            if abs(x[i] - x[first]) > tolerance:
                direction = 1 if x[i] > x[first] else -1
                ext = i
            continue
        if (x[i] - x[ext]) * direction >= 0:
            ext = i
        elif abs(x[i] - x[ext]) > tolerance:
            bounds.append(ext)
            direction = -direction
            ext = i
    return [(s, e + 1) for s, e in zip(bounds, bounds[1:] + [n - 1], strict=True) if e > s]


def loop_groups(table: MeasurementTable) -> list[tuple[int, int]]:
    """Row ranges of separate loops: split at comment-only rows and at temperature steps.

    A step is a change between neighbouring known temperatures over ``TEMPERATURE_SPAN_K`` and
    ``TEMPERATURE_SPAN_FRACTION`` of the temperature (the objectives' tolerance: loops further
    apart are not one temperature's) that the medians of the ``STEP_ROWS`` rows on either side
    confirm, so one stray reading does not cut a loop in three and a slow drift (a few 0.1 K per
    row) is left to the drift warning. Loops at 5 K and 6 K were averaged as one.
    """
    n = len(table)
    cuts = {r for r, _ in table.comments if 0 < r < n}
    known = np.nonzero(np.isfinite(table.temperature_K))[0]  # rows with an empty cell: no jump
    t = table.temperature_K[known]
    k = STEP_ROWS
    for i in np.nonzero(np.abs(np.diff(t)) > _step_K(t[:-1]))[0] + 1:
        before, after = np.median(t[max(i - k, 0) : i]), np.median(t[i : i + k])
        if abs(after - before) > _step_K(before):
            cuts.add(int(known[i]))
    edges = [0, *sorted(cuts), n]
    return [(s, e) for s, e in zip(edges[:-1], edges[1:], strict=True) if e - s >= 3]


def _step_K(t_K: np.ndarray | float) -> np.ndarray | float:
    """Temperature change (K) that separates two loops at ``t_K``: the larger of
    ``TEMPERATURE_SPAN_K`` and ``TEMPERATURE_SPAN_FRACTION`` of it."""
    return np.maximum(TEMPERATURE_SPAN_K, TEMPERATURE_SPAN_FRACTION * np.abs(t_K))


def split_branches(
    table: MeasurementTable, *, tolerance_T: float | None = None
) -> tuple[Branch, ...]:
    """All branches of all loops in ``table``, in measurement order.

    ``tolerance_T``: field reversal below which no turning point is declared (default 0.2% of
    the field span, at least 1 mT). Branches of fewer than 3 points are dropped.
    """
    if table.kind != "mh_loop":
        raise AnalysisError(
            f"{table.metadata.filename}: not an M(H) measurement ({table.field_span_note()}); "
            "expected a field sweep"
        )
    table.check_time_order()
    branches: list[Branch] = []
    for loop, (g0, g1) in enumerate(loop_groups(table)):
        b = table.field_T[g0:g1]
        span = np.ptp(b)
        tol = tolerance_T if tolerance_T is not None else max(2e-3 * span, 1e-3)
        bmax = np.max(np.abs(b))
        for k, (s, e) in enumerate(monotone_segments(b, tol)):
            if e - s < 3:
                continue
            rising = b[e - 1] > b[s]
            virgin = k == 0 and abs(b[s]) < 0.05 * bmax and abs(b[e - 1]) > 0.5 * bmax
            kind = "virgin" if virgin else ("increasing" if rising else "decreasing")
            temps = table.temperature_K[g0 + s : g0 + e]
            branches.append(
                Branch(
                    kind=kind,
                    loop=loop,
                    start=g0 + s,
                    stop=g0 + e,
                    temperature_K=float(np.nanmedian(temps))
                    if np.isfinite(temps).any()
                    else np.nan,
                    field_T=b[s:e].copy(),
                    moment_Am2=table.moment_Am2[g0 + s : g0 + e].copy(),
                    moment_err_Am2=table.moment_err_Am2[g0 + s : g0 + e].copy(),
                )
            )
    return tuple(branches)


@dataclass(frozen=True, eq=False)
class LoopWidth:
    """Width of one loop at equal field: ``dm_Am2 = m_decreasing - m_increasing`` on ``field_T``.

    ``field_T`` is a common grid ``(n,)`` (mu0*H, T) over the field range both branches cover;
    ``background_Am2_per_T`` the linear background slope that was subtracted (0 if none);
    ``field_max_T`` the largest |field| of the loop (the turning field); ``virgin_slope_Am2_per_T``
    and ``virgin_field_T``: see ``virgin_slope`` (None without a virgin branch);
    ``not_superconducting``: why the loop does not look like a superconductor's ("" if it does);
    ``dm_err_Am2`` ``(n,)``: 1-sigma of ``dm_Am2`` from the file's moment error column, propagated
    through the interpolation (NaN where the file gives none); ``reversible_rise``: see
    ``reversible_check`` (None with a virgin branch, which ``shielding_check`` checks instead);
    ``gaps_T``: field intervals (T, signed) where a branch has no points (``branch_gaps``), so
    ``dm_Am2`` inside them is interpolated across the hole. ``dm_scatter_Am2`` ``(n,)``: 1-sigma
    of ``dm_Am2`` from the branches' own point-to-point scatter (``branch_noise``), propagated as
    the error column is. ``temperature_K`` is the median (K)
    of the temperatures read on the two branches (a virgin branch measured colder does not set
    it), ``temperature_range_K`` their 2nd and 98th percentile (None without any). ``notes``:
    what the width left out of the file (rows repeated, the loop swept again), for the user;
    ``spikes``: the readings left out as spikes (``isolated_spikes``), named by line ("" if none);
    ``mass_kg``: the sample mass the file's header gives (None if none), to check the edges by;
    ``high_field_slope_Am2_per_T``: ``linear_background``'s fit whether subtracted or not (None
    where too few points lie at high field): full shielding there is a minor loop;
    ``other_loops_K``: the temperatures (K) of the file's other complete loops, not analysed;
    ``virgin_extreme``: see ``virgin_extreme`` (None where it tells nothing);
    ``turning_extreme``: see ``turning_extreme`` (the return branches, None for a half loop);
    ``central_peak``: see ``central_peak`` (likewise); ``virgin_offset``: the virgin branch's
    fields (T), its moment less the return branch sweeping the same way's there (A*m^2) and
    that difference's 1-sigma, ``virgin_offset_at`` (None without both); ``half_loop``:
    which branch the virgin branch stood in for and why that holds ("" for a full loop; see
    ``half_loop_stand_ins``).
    """

    field_T: np.ndarray
    dm_Am2: np.ndarray
    dm_err_Am2: np.ndarray
    temperature_K: float
    loop: int
    background_Am2_per_T: float
    field_max_T: float
    virgin_slope_Am2_per_T: float | None = None
    virgin_field_T: float | None = None
    not_superconducting: str = ""
    reversible_rise: float | None = None
    gaps_T: tuple[tuple[float, float], ...] = ()
    temperature_range_K: tuple[float, float] | None = None
    dm_scatter_Am2: np.ndarray | None = None
    notes: tuple[str, ...] = ()
    spikes: str = ""
    mass_kg: float | None = None
    high_field_slope_Am2_per_T: float | None = None
    other_loops_K: tuple[float, ...] = ()
    virgin_extreme: tuple[float, float] | None = None
    half_loop: str = ""
    turning_extreme: tuple[float, float] | None = None
    central_peak: tuple[float, float] | None = None
    virgin_offset: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def __post_init__(self) -> None:
        if self.dm_scatter_Am2 is None:
            object.__setattr__(self, "dm_scatter_Am2", np.zeros(self.field_T.shape))

    def __repr__(self) -> str:
        """One line: loop, temperature (K), points, field range (T), largest width and the
        background slope in emu (the dataclass's printed every array, ~1 KB)."""
        return (
            f"<LoopWidth loop {self.loop} at {self.temperature_K:.4g} K: {self.field_T.size} "
            f"points, {self.field_T[0]:.4g}..{self.field_T[-1]:.4g} T, dm up to "
            f"{np.nanmax(np.abs(self.dm_Am2)) * 1e3:.3g} emu, background "
            f"{self.background_Am2_per_T * 1e3:.3g} emu/T"
            f"{', not a superconductor' if self.not_superconducting else ''}>"
        )


def branch_gaps(field_T: np.ndarray, span_T: float) -> list[tuple[float, float]]:
    """Field intervals (T) without a point on a branch, from its fields ``field_T`` (increasing).

    A step is a hole when it exceeds ``GAP_STEPS`` times both neighbouring steps and ``GAP_SPAN``
    of ``span_T``; the interval runs between the two measured fields around it.
    """
    step = np.diff(field_T)
    if step.size < 2:
        return []
    neighbours = np.maximum(np.r_[0.0, step[:-1]], np.r_[step[1:], 0.0])
    hole = (step > GAP_STEPS * neighbours) & (step > GAP_SPAN * span_T)
    return [(float(field_T[k]), float(field_T[k + 1])) for k in np.flatnonzero(hole)]


def linear_background(branches: tuple[Branch, ...] | list[Branch], fraction: float = 0.7) -> float:
    """Slope (A*m^2/T) of the reversible moment at high field, |B| >= ``fraction`` * max|B|.

    The mean of the decreasing and increasing branch is the reversible part; at high field it
    is the paramagnetic or normal-state background, fitted as a straight line.
    """
    decs = [b for b in branches if b.kind == "decreasing"]
    incs = [b for b in branches if b.kind == "increasing"]
    if not decs or not incs:
        raise AnalysisError("a linear background needs a decreasing and an increasing branch")
    dec = max(decs, key=lambda b: np.ptp(b.field_T))
    inc = max(incs, key=lambda b: np.ptp(b.field_T))
    bd, md = dec.sorted()
    bi, mi = inc.sorted()
    lo, hi = max(bd[0], bi[0]), min(bd[-1], bi[-1])
    bmax = max(abs(lo), abs(hi))
    grid = np.union1d(bd, bi)
    grid = grid[(grid >= lo) & (grid <= hi) & (np.abs(grid) >= fraction * bmax)]
    if grid.size < 3:
        raise AnalysisError(
            f"too few high-field points (|B| >= {fraction * bmax:.3g} T) to fit a background"
        )
    rev = 0.5 * (np.interp(grid, bd, md) + np.interp(grid, bi, mi))
    return float(np.polyfit(grid, rev, 1)[0])


def virgin_slope(
    branch: Branch, field_max_T: float, fraction: float = SHIELDING_WINDOW
) -> tuple[float, float]:
    """Mean slope dm/dB (A*m^2/T) of a virgin branch near zero field, and the field (T) it reaches.

    Least squares through the branch's first point, sum(dB dm) / sum(dB^2), over the points with
    |B - B0| <= ``fraction`` * ``field_max_T`` (at least the first 3): negative when the moment
    opposes the field (shielding), positive when it follows it.
    """
    db = branch.field_T - branch.field_T[0]
    dm = branch.moment_Am2 - branch.moment_Am2[0]
    n = max(int(np.sum(np.abs(db) <= fraction * field_max_T)), min(3, db.size))
    db, dm = db[:n], dm[:n]
    return float(db @ dm / (db @ db)), float(branch.field_T[n - 1])


def half_loop_stand_ins(branches: tuple[Branch, ...] | list[Branch]) -> dict[int, Branch]:
    """For each loop with a virgin branch and a return branch but not the other one (a half
    loop: 0 -> +Bmax -> 0 or on to -Bmax, as many measure to save time), the virgin branch as
    that missing branch (``kind`` "increasing" for a virgin swept up), by loop number. The
    other branch counts as missing where it spans less field than the virgin branch (a file cut
    a few points past -Bmax: its 3 to 20 points had been the loop, refused or read over
    -7..-6.5 T only).

    Bean: once the field has penetrated the sample the virgin branch carries the critical
    state the increasing branch of a full loop carries at that field (Jc across the whole
    sample, the same sign), so m_decreasing - m_virgin is the loop width there; below the
    penetration field it is too small, where ``bean`` flags every loop's points as not fully
    penetrated. A single branch (no virgin, no return) gives no width: refused."""
    out = {}
    for virgin in (b for b in branches if b.kind == "virgin"):
        up = virgin.field_T[-1] > virgin.field_T[0]
        need, have = ("increasing", "decreasing") if up else ("decreasing", "increasing")
        back = [b for b in branches if b.loop == virgin.loop and b.kind == have]
        span = np.ptp(virgin.field_T)
        short = all(
            np.ptp(b.field_T) < span for b in branches if b.loop == virgin.loop and b.kind == need
        )
        if short and back and virgin.loop not in out and _returned(virgin, back):
            out[virgin.loop] = _replace(virgin, kind=need)
    return out


HALF_LOOP_RETURN = 0.05  # a half loop's return branch ends within this fraction of its span of 0


def _returned(virgin: Branch, back: list[Branch]) -> bool:
    """Whether a return branch in ``back`` sweeps back over the whole virgin branch, to within
    ``HALF_LOOP_RETURN`` of its span of its start: a file cut inside its return branch (a third
    of a loop: 7 -> 3 T) is no half loop, and had been read as one over 3-7 T."""
    start, span = float(virgin.field_T[0]), float(np.ptp(virgin.field_T))
    sign = 1.0 if virgin.field_T[-1] > start else -1.0
    reach = min(float(np.min(sign * b.field_T)) for b in back)
    return reach <= sign * start + HALF_LOOP_RETURN * span


def _what_to_measure(branches: list[Branch]) -> str:
    """What a file without a complete loop lacks and how to measure it ("" without branches)."""
    if not branches:
        return ""
    lo = min(float(np.min(b.field_T)) for b in branches)
    hi = max(float(np.max(b.field_T)) for b in branches)
    kinds = {b.kind for b in branches}
    virgin = next((b for b in branches if b.kind == "virgin"), None)
    back = [b for b in branches if b.kind in ("decreasing", "increasing")]
    if virgin is not None and len(kinds) == 2 and back and not _returned(virgin, back):
        end = min((b.field_T[-1] for b in back), key=abs) + 0.0
        return (
            f"; the {back[0].kind} branch stops at {end:.3g} T: continue it to "
            f"{virgin.field_T[0] + 0.0:.3g} T for a half loop (read with the virgin branch "
            "standing in for the missing one) or on to the other field and back for a full loop"
            " (a file cut short?)"
        )
    if "decreasing" in kinds:
        missing = f"the increasing branch is missing: sweep the field back up from {lo:.3g} T"
    elif "increasing" in kinds:
        missing = f"the decreasing branch is missing: sweep the field back down from {hi:.3g} T"
    else:
        missing = "only a virgin branch: sweep the field back from its end"
    return (
        f"; {missing} at the same temperature (a full loop +Bmax -> -Bmax -> +Bmax; a half "
        "loop from zero-field cooling, 0 -> +Bmax -> 0, is read with its virgin branch standing "
        "in for the increasing one; one branch alone has no width: the reversible moment it "
        "holds besides Jc's is not known)"
    )


def virgin_extreme(
    branches: tuple[Branch, ...] | list[Branch], loop: int, background_Am2_per_T: float
) -> tuple[float, float] | None:
    """Where the virgin branch of ``loop`` shields most: ``(field change T, moment change A*m^2)``
    from its first point to its most negative moment (the linear background taken out).

    In the critical state a bar shields the field until it penetrates, B_p = mu0 Jc L, and the
    virgin moment is lowest there, at mu0 |M| about B_p / 2 (a slab; 1 / (1 - N) more for a plate):
    so mu0 |dm| / (V dB) there is set by the shape, whatever Jc is. None where the lowest point is
    among the branch's first 4 (the penetration not resolved by the field steps, where the
    ratio is any value below that) or is its last (still falling: the whole branch shields)."""
    virgin = next((b for b in branches if b.loop == loop and b.kind == "virgin"), None)
    if virgin is None or virgin.field_T.size < 6:
        return None
    db = np.abs(virgin.field_T - virgin.field_T[0])
    dm = (
        virgin.moment_Am2
        - virgin.moment_Am2[0]
        - background_Am2_per_T * (virgin.field_T - virgin.field_T[0])
    )
    dm = dm * np.sign(virgin.field_T[-1] - virgin.field_T[0])  # a virgin sweep to -B shields up
    k = int(np.argmin(dm))
    if k < 4 or k == dm.size - 1 or not dm[k] < 0:
        return None
    return float(db[k]), float(-dm[k])


def virgin_offset_at(
    branches: tuple[Branch, ...] | list[Branch], loop: int, dec: Branch, inc: Branch
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The virgin branch of ``loop`` against the return branch sweeping the same way (``inc``
    for a virgin sweep to +B, ``dec`` to -B) at the virgin's fields inside that branch's span:
    (fields T, virgin minus that branch's moment A*m^2, its 1-sigma: the error columns', else
    each branch's scatter, ``branch_noise``). Past full penetration both carry the same critical
    state, so a difference there is a drift of the moment between them; None without 3 fields."""
    virgin = next((b for b in branches if b.loop == loop and b.kind == "virgin"), None)
    if virgin is None or virgin.field_T.size < 6:
        return None
    bv, mv = virgin.sorted()
    same = inc if virgin.field_T[-1] > virgin.field_T[0] else dec
    bs, ms = same.sorted()
    sel = (bv >= bs[0]) & (bv <= bs[-1])
    if sel.sum() < 3:
        return None
    err_v, err_s = virgin.sorted_err(), same.sorted_err()
    if np.isfinite(err_v).all() and np.isfinite(err_s).all():
        sigma = np.hypot(err_v[sel], interp_sigma(bv[sel], bs, err_s))
    else:
        sigma = np.full(int(sel.sum()), float(np.hypot(branch_noise(bv, mv), branch_noise(bs, ms))))
    return bv[sel], mv[sel] - np.interp(bv[sel], bs, ms), sigma


# a return branch's field step lies inside its turning zone while it changes the moment by over
# this fraction of the first step's change per field: past the zone the branch follows the
# other envelope, far flatter (a Kim bar at 7 T: 0.01 of it on 0.2 T steps). A zone narrower
# than one step tells only the step (0.175 T steps of a weak bar read 0.01 of full shielding)
TURNING_SLOPE_KEPT = 0.2


def turning_extreme(
    branches: tuple[Branch, ...] | list[Branch], background_Am2_per_T: float
) -> tuple[float, float] | None:
    """How a loop's return branches (``branches``: its decreasing and increasing one, each from
    its turning field) shield just after the reversal: ``(field change T, moment change
    A*m^2)`` over the turning zone, from the branch's first point through its steps that change
    the moment (the linear background taken out) against the field by over
    ``TURNING_SLOPE_KEPT`` of the first step's rate; of the two branches the one shielding more.

    In the critical state the reversed branch shields the field change until the profile has
    turned over: the moment changes by about 2x its full-penetration value (the loop's width)
    over about twice the penetration field (a slab: mu0 dM / dB = 0.5 over it), whatever Jc
    is, as at the virgin branch's penetration (``virgin_extreme``). None without two branches,
    or where the zone is not resolved (under 2 steps inside it: field steps coarser than it)."""
    if len(branches) != 2:
        return None
    best: tuple[float, float, float] | None = None
    for branch in branches:
        b = branch.field_T
        m = branch.moment_Am2 - background_Am2_per_T * b
        step_b, step_m = np.diff(b), np.diff(m)
        if step_b.size < 3 or not np.all(step_b != 0):
            continue
        rate = -step_m / step_b  # shielding: the moment changes against the field
        if not rate[0] > 0:
            continue
        inside = np.logical_and.accumulate(rate > TURNING_SLOPE_KEPT * rate[0])
        n = int(inside.sum())
        if n < 2 or n == rate.size:
            continue
        db, dm = abs(b[n] - b[0]), abs(m[n] - m[0])
        if best is None or dm / db > best[0]:
            best = (dm / db, float(db), float(dm))
    return None if best is None else best[1:]


# the remanent peak's noise band: readings within this many standard errors of a branch's peak
# could be it (the shift read from the one nearest zero field)
PEAK_SIGMA = 3.0


def central_peak(
    branches: tuple[Branch, ...] | list[Branch], background_Am2_per_T: float
) -> tuple[float, float] | None:
    """How far the return branches' remanent peaks lie beyond zero field: ``(shift T, peak
    moment A*m^2)``, the shift half the distance between the decreasing branch's peak (at
    B < 0) and the increasing one's (B > 0), so a field offset cancels, less one field step.

    In the critical state the self field moves each return branch's peak past zero field by
    about its own mu0 M (the internal field straddles zero there), whatever Jc is: mu0 M / shift
    is 1.3-15 over synthetic bars, plates and discs (Kim 1e7-1e10 A/m^2, B0 0.05-5 T, with and
    without an irreversibility field below the turn). Each branch (linear background out,
    the increasing one mirrored) is climbed from zero field away from it until it falls over
    ``PEAK_SIGMA`` standard errors (``branch_noise``) below its running peak; the shift is the
    reading nearest zero within that band of the peak. None without two branches through zero,
    a fall, or a shift over one field step, or where a branch rises as much towards the other
    sign (a peak in |B|, a fishtail, not the self field's shift)."""
    if len(branches) != 2:
        return None
    shifts, peaks, steps = [], [], []
    for branch in branches:
        b, m = branch.sorted()
        m = m - background_Am2_per_T * b
        sigma = PEAK_SIGMA * branch_noise(b, m)
        # falling field, the peak at b < 0: the decreasing branch reversed, the increasing mirrored
        b, m = (b[::-1], m[::-1]) if branch.kind == "decreasing" else (-b, -m)
        if b.size < 5 or not b[-1] < 0 < b[0]:
            return None
        k0 = int(np.argmin(np.abs(b)))  # b falls: from zero field away from it
        run_b, run_m = b[k0:], m[k0:]
        fell = run_m < np.maximum.accumulate(run_m) - sigma
        if not fell.any():
            return None
        n = int(np.argmax(fell))
        top = int(np.argmax(run_m[:n]))
        other = m[(b > 0) & (b <= -run_b[top])]
        if other.size and other.max() > run_m[0] + sigma:
            return None
        shifts.append(-float(run_b[:n][run_m[:n] >= run_m[top] - sigma].max()))
        peaks.append(float(run_m[top]))
        steps.append(float(np.median(np.abs(np.diff(run_b[: n + 1])))))
    shift = float(np.mean(shifts)) - max(steps)
    return (shift, float(np.mean(peaks))) if shift > 0 else None


def shielding_check(
    branches: tuple[Branch, ...] | list[Branch], loop: int
) -> tuple[float | None, float | None, str]:
    """Does the virgin branch of ``loop`` shield? ``(slope A*m^2/T, field T, "" or why not)``.

    A superconductor cooled in zero field shields: on the virgin branch its moment first falls
    against the field (dm/dB < 0, about -V/mu0 for a bar along the field: chi = -1). The slope
    (``virgin_slope``, 0 to 2% of the loop's max |B|) must be negative for the raw moment *and*
    below the linear background that ``loop_width`` removes. The background alone is not the
    reference: it is fitted at high field, where a magnet can rise faster than near zero (the
    CoCp2 molecular magnet: +0.014 emu/T raw, +0.067 emu/T at 5-7 T), so removing it would fake
    shielding. The raw moment alone misses a ferromagnetic film whose diamagnetic substrate
    (chi ~ -1e-5) pulls the sum below zero. Shielding (chi ~ -1) passes both; a very weak
    superconductor in a strong paramagnetic background could still warn. Where the first 3
    points reach past the window (coarse steps) the raw-moment test is left out, and where no
    background can be fitted either the branch is no check. No virgin branch (or that): no
    check (None, None, "").
    """
    mine = [b for b in branches if b.loop == loop]
    virgin = next((b for b in mine if b.kind == "virgin"), None)
    if virgin is None:
        return None, None, ""
    bmax = max(float(np.max(np.abs(b.field_T))) for b in mine)
    slope, reach = virgin_slope(virgin, bmax)
    background = _background_or_zero(mine)
    emu = 1e3  # emu per A*m^2
    span = f"from {round(virgin.field_T[0], 2) + 0.0:g} to {reach:.2g} T"
    ask = "a superconductor shields; is this a ferro- or paramagnet"
    # on steps coarser than the window (the first 3 points reach past it) the slope is the
    # penetrated state's, where a paramagnetic background can rise faster than the moment falls:
    # 1.75 T steps and +0.01 emu/T under a 0.05 emu loop were 'not a superconductor'; the slope
    # against the background still tells
    # (where too few high-field points fit no background either, the reversible part is checked)
    resolved = np.sum(np.abs(virgin.field_T - virgin.field_T[0]) <= SHIELDING_WINDOW * bmax) >= 3
    try:
        linear_background(mine)
    except AnalysisError:
        if not resolved:
            return None, None, ""
    if slope > 0 and resolved:
        return (
            slope,
            reach,
            (
                f"moment rises with field on the virgin branch ({slope * emu:+.3g} emu/T {span}): {ask}?"
            ),
        )
    if slope - background > 0:
        return (
            slope,
            reach,
            (
                f"moment rises with field on the virgin branch once the linear background "
                f"({background * emu:+.3g} emu/T) is removed ({(slope - background) * emu:+.3g} emu/T "
                f"{span}): {ask} on a diamagnetic substrate or holder?"
            ),
        )
    return slope, reach, ""


def reversible_check(
    grid_T: np.ndarray, m_dec: np.ndarray, m_inc: np.ndarray, background_Am2_per_T: float
) -> tuple[float | None, str]:
    """Is a loop without a virgin branch a superconductor's? ``(rise, "" or why not)``.

    ``m_dec``, ``m_inc``: both branches' moments (A*m^2) on ``grid_T`` ``(n,)``. A superconductor's
    reversible moment (the mean of the branches) is the linear background plus an equilibrium
    magnetization small against the irreversible width, and it does not rise through zero field
    (the shifted central peaks make it fall); a ferro- or paramagnet's magnetization curve rises
    steeply there. ``rise``: mean over 0 < B <= 0.3 max|B| minus mean over -0.3 max|B| <= B < 0
    of (mean - background), over the loop's largest width; above ``REVERSIBLE_RISE`` the loop is
    not a superconductor's. None (no check) without 2 points on each side of zero field.
    """
    reach = REVERSIBLE_WINDOW * float(np.max(np.abs(grid_T)))
    rest = 0.5 * (m_dec + m_inc) - background_Am2_per_T * grid_T
    up = (grid_T > 0) & (grid_T <= reach)
    down = (grid_T < 0) & (grid_T >= -reach)
    width = float(np.max(m_dec - m_inc))
    if up.sum() < 2 or down.sum() < 2 or width <= 0:
        return None, ""
    rise = (float(np.mean(rest[up])) - float(np.mean(rest[down]))) / width
    if rise <= REVERSIBLE_RISE:
        return rise, ""
    return rise, (
        f"no virgin branch, and the reversible moment (mean of the two branches, linear "
        f"background removed) rises through zero field by {rise:.2g} of the loop's largest width "
        f"({width * 1e3:.3g} emu) within +-{reach:.2g} T; a superconductor's does not: is this a "
        "ferro- or paramagnet?"
    )


def loop_width(
    table: MeasurementTable,
    *,
    temperature_K: float | None = None,
    background: bool = True,
    grid_step_T: float | None = None,
) -> LoopWidth:
    """dm(B) between the decreasing and increasing branch of one loop, on a common field grid.

    Rows that repeat an earlier row exactly are dropped first (``without_repeats``). The loop is
    the one measured nearest ``temperature_K`` (default: the lowest temperature); its widest
    decreasing and increasing branches are used (others over half their span are named in
    ``notes``); its virgin branch, if any, is
    checked for shielding (``shielding_check``), a loop without one by its reversible part
    (``reversible_check``).
    The field grid is every field either branch was measured at inside their overlap (fields
    closer than 1e-5 of the span merged), so dense low-field steps are kept; each branch is
    interpolated linearly onto it (at its own fields this is its measured value). ``grid_step_T``
    asks for a uniform grid through B = 0 instead. The moment errors of the file (if any) are
    propagated through the interpolation into ``dm_err_Am2``. With ``background`` a linear
    background (see ``linear_background``) is subtracted from both branches first; it cancels in
    dm, so it changes the stored branches and plots, not Jc.
    """
    check_table(table, "loop_width")
    if temperature_K is not None and not (
        isinstance(temperature_K, numbers.Real) and np.isfinite(temperature_K)
    ):  # NaN or inf is as far from every loop: the first loop had been taken with no word
        raise ValidationError(
            f"{table.metadata.filename}: temperature_K = {temperature_K!r}: give the loop's "
            "temperature in K as a finite number (or None for the lowest)"
        )
    if temperature_K is not None and temperature_K <= 0:  # "-5 K" had been "no loop at -5 K"
        raise ValidationError(
            f"{table.metadata.filename}: temperature_K = {temperature_K:g}: a loop's temperature "
            "is above absolute zero (K), e.g. 5"
        )
    table, repeated = table.without_repeats()
    held = held_field_rows(table)
    mt_rows = ""
    if held.any():  # an M(T) sweep in the file too: it had been left out without a word
        lines = table.line[held]
        mt_rows = (
            f"{table.metadata.filename}: the file also holds an M(T) measurement, left out of "
            f"the loop: {int(held.sum())} rows held at one field while the temperature swept "
            f"(lines {lines[0]}-{lines[-1]})"
        )
        table = table.kept(~held)
    tolerance = max(2e-3 * float(np.ptp(table.field_T)), 1e-3)  # split_branches' default
    table, off_field = without_off_sweep(table, "field_T", tolerance)
    branches = split_branches(table)
    stand_ins = half_loop_stand_ins(branches)
    used = [*branches, *stand_ins.values()]  # the virgin branch as a half loop's return branch
    loops = sorted({b.loop for b in used if b.kind in ("decreasing", "increasing")})
    complete = [
        lp
        for lp in loops
        if any(b.loop == lp and b.kind == "decreasing" for b in used)
        and any(b.loop == lp and b.kind == "increasing" for b in used)
    ]
    if not complete:
        kinds = ", ".join(
            f"{b.kind} {b.field_T[0]:.3g}->{b.field_T[-1]:.3g} T at {b.temperature_K:.4g} K"
            for b in branches
        )
        split = len({b.loop for b in branches}) > 1 and {"decreasing", "increasing"} <= {
            b.kind for b in branches
        }
        raise AnalysisError(
            f"{table.metadata.filename}: no complete loop (needs a decreasing and an increasing "
            f"branch at one temperature; found {kinds or 'none'})"
            + (
                f"; the temperature stepped by over {TEMPERATURE_SPAN_K:g} K (or "
                f"{TEMPERATURE_SPAN_FRACTION:.0%} of it, if more) between the branches: they are "
                "not one loop"
                if split
                else _what_to_measure(branches)
            )
        )
    temps = {lp: next(b.temperature_K for b in branches if b.loop == lp) for lp in complete}
    if temperature_K is None:
        loop = min(complete, key=lambda lp: np.nan_to_num(temps[lp], nan=np.inf))
    else:
        loop = min(
            complete, key=lambda lp: np.nan_to_num(abs(temps[lp] - temperature_K), nan=np.inf)
        )
        if not np.isfinite(temps[loop]):  # NaN compares False: any loop passed for any T
            raise AnalysisError(
                f"{table.metadata.filename}: no temperatures were read (no temperature column), "
                f"so no loop can be chosen at {temperature_K:g} K"
            )
        if abs(temps[loop] - temperature_K) > max(1.0, 0.05 * temperature_K):
            near_k = [
                t for t in temps.values() if abs(t - (temperature_K - ZERO_CELSIUS_K)) <= 1.0
            ]  # "5 degC" typed for 5 K: 278.15 K, said only as "no loop at 278.15 K"
            raise AnalysisError(
                f"{table.metadata.filename}: no loop at {temperature_K:g} K; loops at "
                f"{', '.join(f'{temps[lp]:.4g} K' for lp in complete)}"
                + (
                    f" ({temperature_K:g} K is {temperature_K - ZERO_CELSIUS_K:.4g} degC: "
                    f'give the temperature in K, e.g. "{near_k[0]:.4g} K")'
                    if near_k
                    else ""
                )
            )
    mine = [b for b in used if b.loop == loop]
    dec = max((b for b in mine if b.kind == "decreasing"), key=lambda b: np.ptp(b.field_T))
    inc = max((b for b in mine if b.kind == "increasing"), key=lambda b: np.ptp(b.field_T))
    half, cut = "", []
    if loop in stand_ins:
        virgin = stand_ins[loop]
        cut = [b for b in branches if b.loop == loop and b.kind == virgin.kind]
        stops = ", ".join(
            f"{b.field_T[0] + 0.0:.3g}->{b.field_T[-1] + 0.0:.3g} T on lines "
            f"{table.line[b.start]}-{table.line[b.stop - 1]}"
            for b in cut
        )
        half = (
            f"{table.metadata.filename}: a half loop, no {virgin.kind} branch"
            + (f" but {stops} (the file cut short?)" if cut else "")
            + ": the virgin branch "
            f"({virgin.field_T[0] + 0.0:.3g}->{virgin.field_T[-1] + 0.0:.3g} T) stands in for it (above the "
            "penetration field both carry the same critical state, Jc across the whole sample; "
            "below it the virgin width is too small, and those points are flagged not fully "
            "penetrated); one field quadrant only, and the sample assumed cooled in zero field "
            "(measure the full loop to check)"
        )
    kept = [b for b in mine if not any(b is c for c in cut)]
    notes = tuple(n for n in (repeated, mt_rows, _sweeps_left_out(table, kept, dec, inc)) if n)
    # the background cancels in dm: a loop too coarse to fit it (5 points a branch: 'too few
    # high-field points', refused) is analysed without it (background_Am2_per_T = 0)
    try:
        fitted_slope = linear_background(mine)
    except AnalysisError:
        fitted_slope = None
    slope = (fitted_slope or 0.0) if background else 0.0
    dec, inc, spikes = _without_spikes(table, dec, inc)
    spikes = "; ".join(n for n in (off_field, spikes) if n)
    turn = turning_extreme(
        [] if loop in stand_ins else [dec, inc], fitted_slope or 0.0
    )  # a half loop's stand-in starts at zero field, where no reversal was
    peak = central_peak([] if loop in stand_ins else [dec, inc], fitted_slope or 0.0)
    bd, md = dec.sorted()
    bi, mi = inc.sorted()
    lo, hi = max(bd[0], bi[0]), min(bd[-1], bi[-1])
    if hi - lo <= 0:
        raise AnalysisError(
            f"{table.metadata.filename}: the branches of loop {loop} do not overlap in field"
        )
    if grid_step_T is not None:
        n_grid = (hi - lo) / grid_step_T if np.isfinite(grid_step_T) and grid_step_T > 0 else -1
        if not 0 <= n_grid <= MAX_GRID_POINTS:
            raise ValidationError(
                f"grid_step_T = {grid_step_T!r} T: expected a finite step > 0 giving at most "
                f"{MAX_GRID_POINTS:.0e} points over the loop's {lo:.3g}..{hi:.3g} T "
                f"(a step >= {(hi - lo) / MAX_GRID_POINTS:.2g} T)"
            )
        k0, k1 = int(np.ceil(lo / grid_step_T - 1e-9)), int(np.floor(hi / grid_step_T + 1e-9))
        grid = np.arange(k0, k1 + 1) * grid_step_T
    else:
        grid = np.union1d(bd, bi)
        grid = grid[(grid >= lo) & (grid <= hi)]
        grid = merge_close(grid, 1e-5 * (hi - lo))
    dm = np.interp(grid, bd, md - slope * bd) - np.interp(grid, bi, mi - slope * bi)
    dm_err = np.hypot(
        interp_sigma(grid, bd, dec.sorted_err()), interp_sigma(grid, bi, inc.sorted_err())
    )
    sd, si = branch_noise(bd, md), branch_noise(bi, mi)
    dm_scatter = np.hypot(
        interp_sigma(grid, bd, np.full(bd.size, sd)), interp_sigma(grid, bi, np.full(bi.size, si))
    )
    gaps = [
        (max(g0, lo), min(g1, hi))
        for g0, g1 in branch_gaps(bd, hi - lo) + branch_gaps(bi, hi - lo)
        if g1 > lo and g0 < hi
    ]
    v_slope, v_field, why = shielding_check(branches, loop)
    offset = None if loop in stand_ins else virgin_offset_at(branches, loop, dec, inc)
    extreme = virgin_extreme(branches, loop, fitted_slope or 0.0)
    t_range = _temperatures(table, dec, inc)
    rise = None
    if v_slope is None:  # no virgin branch: the reversible part instead
        fitted = fitted_slope or 0.0
        rise, why = reversible_check(grid, np.interp(grid, bd, md), np.interp(grid, bi, mi), fitted)
    return LoopWidth(
        other_loops_K=tuple(float(temps[lp]) for lp in complete if lp != loop),
        high_field_slope_Am2_per_T=fitted_slope,
        field_T=grid,
        dm_Am2=dm,
        dm_err_Am2=dm_err,
        dm_scatter_Am2=dm_scatter,
        temperature_K=temps[loop] if t_range is None else t_range[0],
        temperature_range_K=None if t_range is None else t_range[1:],
        loop=loop,
        background_Am2_per_T=slope,
        field_max_T=float(max(abs(lo), abs(hi))),
        virgin_slope_Am2_per_T=v_slope,
        virgin_field_T=v_field,
        virgin_extreme=extreme,
        virgin_offset=offset,
        half_loop=half,
        turning_extreme=turn,
        central_peak=peak,
        not_superconducting=why,
        reversible_rise=rise,
        gaps_T=tuple(sorted(gaps)),
        notes=notes,
        spikes=spikes,
        mass_kg=table.metadata.mass_kg,
    )


def isolated_spikes(
    field_T: np.ndarray, moment_Am2: np.ndarray, sigma: np.ndarray | float
) -> np.ndarray:
    """Readings of one branch (measurement order, ``(n,)``) that are spikes, ``(n,)`` bool.

    ``sigma``: each reading's 1-sigma (scalar or ``(n,)``). From each side, the lines through
    two of the ``SPIKE_SIDE`` readings on that side predict the reading (10 lines, each residual
    in its own standard errors; their median: another spike is in 4 of them, so it does not hide
    this one, as it did with 3 readings, in 2 of 3 lines); a spike
    lies over ``SPIKE_SIGMA`` off on both sides, the same way, and that way also over
    ``SPIKE_SIGMA`` off the line between its two neighbours (a curve known to 1e-5 of its
    moment bends the one-sided lines 30 sigma off over 5 readings, the chord only ~1 sigma,
    whose sign is then the noise's: without this 3 readings in 34 000 were called spikes); and
    over ``SPIKE_STEPS`` times the median change between readings on both sides (a cusp, the
    zero-field peak of a sharp Jc(B), steepens into its tip like a spike, by about one step). A step (a flux jump) agrees with one side; curvature (the
    remanent peak, the turn of the branch) puts a reading off the one-sided lines one way and
    off its neighbours' chord the other: neither is a spike. ``SPIKE_SIDE`` readings at each end
    are not judged. Two spikes side by side are not found (the width's glitch filter is left for them)."""
    f, m = np.asarray(field_T, float), np.asarray(moment_Am2, float)
    s = np.broadcast_to(np.asarray(sigma, float), m.shape)
    n = m.size
    out = np.zeros(n, bool)
    if n < 2 * SPIKE_SIDE + 1:
        return out
    k = np.arange(SPIKE_SIDE, n - SPIKE_SIDE)
    with np.errstate(divide="ignore", invalid="ignore"):  # equal fields: NaN, never a spike

        def z(i: np.ndarray, j: np.ndarray) -> np.ndarray:
            """Residual of reading k from the line through readings i and j, in standard errors."""
            w = (f[k] - f[i]) / (f[j] - f[i])  # pred = (1 - w) m_i + w m_j
            sd = np.sqrt(s[k] ** 2 + ((1 - w) * s[i]) ** 2 + (w * s[j]) ** 2)
            return (m[k] - (1 - w) * m[i] - w * m[j]) / sd

        pairs = [(i, j) for i in range(1, SPIKE_SIDE + 1) for j in range(i + 1, SPIKE_SIDE + 1)]
        left = np.median([z(k - i, k - j) for i, j in pairs], axis=0)
        right = np.median([z(k + i, k + j) for i, j in pairs], axis=0)
        chord = z(k - 1, k + 1)
        w = (f[k] - f[k - 1]) / (f[k + 1] - f[k - 1])
        off = np.abs(m[k] - (1 - w) * m[k - 1] - w * m[k + 1])
        d = np.abs(np.diff(m))  # d[i] = |m[i + 1] - m[i]|
        steps = [np.median([d[k - i - 1] for i in range(1, SPIKE_SIDE)], axis=0)]
        steps.append(np.median([d[k + i] for i in range(1, SPIKE_SIDE)], axis=0))
        step = np.minimum(*steps)  # a cusp is steep on both sides, a spike next to a spike on one
        out[k] = (
            (off > SPIKE_STEPS * step)
            & (np.abs(left) > SPIKE_SIGMA)
            & (np.abs(right) > SPIKE_SIGMA)
            & (np.abs(chord) > SPIKE_SIGMA)
            & (left * right > 0)
            & (left * chord > 0)
        )
    return out


def off_sweep(x: np.ndarray, moment_Am2: np.ndarray, tolerance: float) -> np.ndarray:
    """Readings whose swept quantity ``x`` (field in T or temperature in K, measurement order,
    ``(n,)``) leaves the sweep, ``(n,)`` bool: the two readings before and the two after run one
    way, and it lies over ``tolerance`` beyond its neighbours (a turning point has both
    neighbours on one side). Of two such side by side (a reading off the sweep puts its
    neighbour out of order too) the one whose moment lies farther off the chord of the readings
    around the pair: its moment was read elsewhere. The first and last two are not judged."""
    f, m = np.asarray(x, float), np.asarray(moment_Am2, float)
    out = np.zeros(f.size, bool)
    k = np.arange(2, f.size - 2)
    a, b, c, d = f[k - 2], f[k - 1], f[k + 1], f[k + 2]
    one_way = ((a < b) & (b < c) & (c < d)) | ((a > b) & (b > c) & (c > d))
    beyond = np.maximum(np.minimum(b, c) - f[k], f[k] - np.maximum(b, c))
    out[k] = one_way & (beyond > tolerance)
    for i in np.flatnonzero(out[:-1] & out[1:]):
        if 0 < i < f.size - 2 and f[i + 2] != f[i - 1]:
            w = (f[[i, i + 1]] - f[i - 1]) / (f[i + 2] - f[i - 1])
            off = np.abs(m[[i, i + 1]] - (1 - w) * m[i - 1] - w * m[i + 2])
            out[i + int(off[0] > off[1])] = False
    return out


HELD_FIELD_T, HELD_FIELD_FRACTION = 1e-4, 1e-3  # a field held within 1 Oe (or 0.1 % of it)


def held_field_rows(table: MeasurementTable) -> np.ndarray:
    """Boolean mask of the M(T) rows of a file that also sweeps the field (an M(T) and an M(H) in
    one .dat): runs of 5+ rows whose field stays within ``HELD_FIELD_T`` (or
    ``HELD_FIELD_FRACTION`` of it: a readback jittering by 2 Oe at 1 T) of the run's first while
    the temperature spans over 1 K; none when it is no M(H) file or has no temperatures."""
    keep = np.zeros(len(table), bool)
    if table.kind != "mh_loop" or not np.isfinite(table.temperature_K).any():
        return keep
    b, t = table.field_T, table.temperature_K
    start = 0
    for i in range(1, len(table) + 1):
        if i < len(table) and abs(b[i] - b[start]) <= max(
            HELD_FIELD_T, HELD_FIELD_FRACTION * abs(b[start])
        ):
            continue
        run = t[start:i][np.isfinite(t[start:i])]
        if i - start >= 5 and run.size and np.ptp(run) > 1.0:
            keep[start:i] = True
        start = i
    return keep


def without_off_sweep(
    table: MeasurementTable, swept: str, tolerance: float
) -> tuple[MeasurementTable, str]:
    """``table`` without its rows whose ``swept`` column ("field_T" or "temperature_K") leaves
    the sweep (``off_sweep``, by over ``tolerance`` in its unit), and a note naming their lines
    ("" if none). One reading off the sweep had cut it in two: a field's sign flipped at 3.6 T,
    the shorter part used, Jc(1 T) 0.68x ('swept more than once'); a temperature 3 K off at 34 K,
    a ZFC sweep's Tc lost."""
    glitch = off_sweep(getattr(table, swept), table.moment_Am2, tolerance)
    if not glitch.any():
        return table, ""
    lines = ", ".join(str(n) for n in table.line[glitch][:6]) + (
        ", ..." if glitch.sum() > 6 else ""
    )
    return table.kept(~glitch), (
        f"{table.metadata.filename}: {glitch.sum()} reading(s) whose "
        f"{'field' if swept == 'field_T' else 'temperature'} leaves the sweep of the readings on "
        f"both sides of them (lines {lines}) were left out"
    )


def _without_spikes(
    table: MeasurementTable, dec: Branch, inc: Branch
) -> tuple[Branch, Branch, str]:
    """``dec`` and ``inc`` without their spikes (``isolated_spikes``; each reading's noise: the
    larger of the branch's own scatter, ``branch_noise``, and its error in the file, so a reading
    the file itself gives a large error is not one: the real CoCp2 loop's 0.0048 emu off, +- 0.0041),
    and a note naming the spikes' lines ("" if none). One reading off by the loop's width, left in, set the
    width over the three grid fields around it; 30 such in 3407 readings moved Jc by up to 70 %
    at 100 fields, past what the glitch filter on the width (at most ``MAX_GLITCHES``) takes."""
    spikes = []
    for b in (dec, inc):
        sigma = np.full(len(b.field_T), branch_noise(*b.sorted()))
        if b.moment_err_Am2 is not None:
            sigma = np.fmax(sigma, b.moment_err_Am2)  # NaN (no error given): the scatter
        spikes.append(isolated_spikes(b.field_T, b.moment_Am2, sigma))
    spikes = _mirrored_kept(dec, inc, *spikes)
    kept, lines = [], []
    for b, spike in zip((dec, inc), spikes, strict=True):
        if spike.any():
            lines += [int(table.line[b.start + k]) for k in np.flatnonzero(spike)]
            b = _replace(
                b,
                field_T=b.field_T[~spike],
                moment_Am2=b.moment_Am2[~spike],
                moment_err_Am2=None if b.moment_err_Am2 is None else b.moment_err_Am2[~spike],
            )
        kept.append(b)
    if not lines:
        return kept[0], kept[1], ""
    lines.sort()
    shown = ", ".join(map(str, lines[:6])) + (", ..." if len(lines) > 6 else "")
    note = (
        f"{table.metadata.filename}: {len(lines)} moment reading(s) lay over {SPIKE_SIGMA:g} "
        f"standard errors off the readings on both sides of them (spikes; lines {shown}) and "
        "were left out of the loop width"
    )
    return kept[0], kept[1], note


def _mirrored_kept(
    dec: Branch, inc: Branch, dec_spikes: np.ndarray, inc_spikes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The spike masks without the readings mirrored on the other branch: a reading at B off
    its neighbours' chord one way whose counterpart at -B (within half the larger step beside
    either) is off the other way is the loop's shape (m_dec(B) = -m_inc(-B)), not a spike. On
    0.5 T steps the remanent peak of a power-law Jc(B) is one reading on each branch: left out
    as 'spikes', the width at 0.5 T read 0.68x the truth for a 8 % 1-sigma."""

    def offsets(b: Branch, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        k = np.flatnonzero(mask)
        f, m = b.field_T, b.moment_Am2
        w = (f[k] - f[k - 1]) / (f[k + 1] - f[k - 1])
        half = 0.5 * np.maximum(np.abs(f[k + 1] - f[k]), np.abs(f[k] - f[k - 1]))
        return k, np.sign(m[k] - (1 - w) * m[k - 1] - w * m[k + 1]), half

    kd, sd, hd = offsets(dec, dec_spikes)
    ki, si, hi = offsets(inc, inc_spikes)
    near = np.abs(dec.field_T[kd][:, None] + inc.field_T[ki][None, :]) <= np.maximum.outer(hd, hi)
    pair = near & (sd[:, None] * si[None, :] < 0)
    dec_out, inc_out = dec_spikes.copy(), inc_spikes.copy()
    dec_out[kd[pair.any(axis=1)]] = False
    inc_out[ki[pair.any(axis=0)]] = False
    return dec_out, inc_out


def _sweeps_left_out(table: MeasurementTable, mine: list[Branch], dec: Branch, inc: Branch) -> str:
    """A note naming the loop's other decreasing or increasing branches over at least half the
    used one's field span ("" if none): the loop was swept again at its temperature, and only
    the widest branch of each direction is used (a short return to 0 T is not named)."""
    used = {"decreasing": dec, "increasing": inc}
    others = [
        b
        for b in mine
        if b.kind in used and b is not used[b.kind]
        and np.ptp(b.field_T) >= 0.5 * np.ptp(used[b.kind].field_T)
    ]  # fmt: skip
    if not others:
        return ""

    def lines(b: Branch) -> str:
        return f"{b.kind} lines {table.line[b.start]}-{table.line[b.stop - 1]}"

    return (
        f"{table.metadata.filename}: the loop at {dec.temperature_K:.4g} K was swept more than "
        f"once; used: {lines(dec)}, {lines(inc)} (the widest); not used: "
        f"{', '.join(map(lines, others))} (measure each repeat in its own file to compare them)"
    )


def _temperatures(
    table: MeasurementTable, dec: Branch, inc: Branch
) -> tuple[float, float, float] | None:
    """Median, 2nd and 98th percentile (K) of the temperatures on the rows of ``dec`` and ``inc``
    (one stray reading does not widen the range); None if none was read."""
    t = np.concatenate(
        [table.temperature_K[dec.start : dec.stop], table.temperature_K[inc.start : inc.stop]]
    )
    t = t[np.isfinite(t)]
    if not t.size:
        return None
    mid, lo, hi = np.percentile(t, [50, 2, 98])
    return float(mid), float(lo), float(hi)


def cubic_residuals(field_T: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Over each 5 neighbouring points of ``y`` at the increasing ``field_T``, the one combination
    a cubic cannot fit (weights 1 / prod(x_i - x_j), unit norm: iid noise sigma gives sigma),
    ``(n - 4,)`` in ``y``'s unit (empty below 5 points). On uniform steps the fourth difference
    / sqrt(70); uneven ones (fine low-field steps) keep a smooth curve out."""
    if y.size < 5:
        return np.zeros(0)
    x = np.lib.stride_tricks.sliding_window_view(field_T, 5)
    diff = x[:, :, None] - x[:, None, :]
    diff[:, np.arange(5), np.arange(5)] = 1.0
    w = 1.0 / diff.prod(axis=2)
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    return (w * np.lib.stride_tricks.sliding_window_view(y, 5)).sum(axis=1)


def branch_noise(field_T: np.ndarray, moment_Am2: np.ndarray) -> float:
    """Robust 1-sigma (A m^2) of one branch's readings (sorted by field, ``(n,)``) about a smooth
    curve: ``robust_sigma`` of ``cubic_residuals`` (0 below 5 points). Taken on the readings
    themselves: the loop width on the union of two branches' fields mixes read and interpolated
    values (a 2 mT field offset interleaved them 4 and 46 mT apart: 35x the noise), and second
    differences read a Kim curve on 0.2 T steps as 12x the noise."""
    r = cubic_residuals(field_T, moment_Am2)
    return robust_sigma(r) if r.size else 0.0


def merge_close(x: np.ndarray, tolerance: float) -> np.ndarray:
    """Sorted ``x`` thinned so that each kept value lies more than ``tolerance`` above the last
    kept one: near-duplicate fields merge, and a sweep finer than ``tolerance`` keeps every few
    points (dropping each point within ``tolerance`` of its neighbour would drop the whole sweep).
    One search per kept value (hand-written: numpy has no greedy thinning)."""
    keep, i = [], 0
    while i < x.size:
        keep.append(i)
        i = int(np.searchsorted(x, x[i] + tolerance, side="right"))
    return x[keep]


def _background_or_zero(branches: list[Branch]) -> float:
    """``linear_background``, or 0 where it cannot be fitted."""
    try:
        return linear_background(branches)
    except AnalysisError:
        return 0.0


def interp_sigma(x: np.ndarray, xp: np.ndarray, sigma_p: np.ndarray) -> np.ndarray:
    """1-sigma of ``np.interp(x, xp, fp)`` when the ``fp`` have independent errors ``sigma_p``.

    Linear interpolation between points j and j+1 with weight w has variance
    (1 - w)^2 s_j^2 + w^2 s_j+1^2; outside ``xp`` the end value's error. ``(len(x),)``.
    """
    x, xp, sp = np.asarray(x, float), np.asarray(xp, float), np.asarray(sigma_p, float)
    if xp.size == 1:
        return np.full(x.shape, sp[0])
    j = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, xp.size - 2)
    w = np.clip((x - xp[j]) / (xp[j + 1] - xp[j]), 0.0, 1.0)
    return np.sqrt((1 - w) ** 2 * sp[j] ** 2 + w**2 * sp[j + 1] ** 2)


def sample_volume(a_m: float, b_m: float, c_m: float, shape: str = "bar") -> float:
    """Volume (m^3) of an a x b x c bar, or of a cylinder of diameter a = b and thickness c
    (``shape``), after checking them (see ``check_sample``: in m or with a unit)."""
    a_m, b_m, c_m = check_sample(a_m, b_m, c_m, shape)
    return a_m * b_m * c_m * (np.pi / 4 if shape == "cylinder" else 1.0)


SHAPES = ("bar", "cylinder")  # a rectangular bar a x b x c; a cylinder (disc) of diameter a = b


def shape_name(text: str, where: str) -> str:
    """The one of ``SHAPES`` a user typed, in any case and padding ("Cylinder", " BAR "), as the
    CLI's --shape and the upload's form field shape both read it (the CLI took "Cylinder", the
    upload answered 422); else a ValidationError naming ``where`` ("--shape", "form field
    shape"), the allowed values and the nearest one."""
    name = str(text).strip().lower()
    if name in SHAPES:
        return name
    from fluxtrap.inputs import near

    close = near(name[:40], SHAPES)
    hint = f" (did you mean {close!r}?)" if close else ""
    raise ValidationError(f"{where} {str(text)[:40]!r}: one of {', '.join(SHAPES)}{hint}")


def _edges_in_m(*edges: Any) -> tuple[Any, ...]:
    """Sample edges given with a unit (text, "0.5 mm", or a pint quantity) in m; others as given,
    for ``check_bar`` to judge."""
    return tuple(
        in_si(e, "length", f"sample edge {'abc'[i]}_m")
        if isinstance(e, str) or hasattr(e, "m_as")
        else e
        for i, e in enumerate(edges)
    )


def check_sample(
    a_m: Any, b_m: Any, c_m: Any, shape: str = "bar", given: Sequence[tuple[str, str]] = ()
) -> tuple[float, float, float]:
    """The edges a, b, c in m (numbers in m, or text or pint quantities with a unit, "0.5 mm";
    text without one or of another dimension is a UnitError naming the edge), checked by
    ``check_bar`` (``given``: how each edge was given, see there), and ``shape`` one of
    ``SHAPES``; a cylinder's a and b are both its diameter across the field, c its thickness
    along it: a != b is refused (ValidationError)."""
    if shape not in SHAPES:
        raise ValidationError(
            f"sample shape {str(shape)[:40]!r}: one of {', '.join(SHAPES)} (a rectangular bar "
            "a x b x c, or a cylinder or disc of a diameter and a thickness along the field)"
        )
    a_m, b_m, c_m = _edges_in_m(a_m, b_m, c_m)
    check_bar(a_m, b_m, c_m, given)
    if shape == "cylinder" and a_m != b_m:
        raise ValidationError(
            f"a cylinder has one diameter across the field: a = {a_m * 1e3:g} mm and b = "
            f"{b_m * 1e3:g} mm differ (give the diameter as both, the thickness as c; a sample "
            "with two different edges across the field is a bar)"
        )
    return a_m, b_m, c_m


def sample_text(a_m: float, b_m: float, c_m: float, shape: str = "bar") -> str:
    """The sample for messages: "0.5 x 1.2 x 2.8 mm bar", "3 mm diameter x 1 mm cylinder"."""
    if shape == "cylinder":
        return f"{a_m * 1e3:.3g} mm diameter x {c_m * 1e3:.3g} mm cylinder"
    return f"{a_m * 1e3:.3g} x {b_m * 1e3:.3g} x {c_m * 1e3:.3g} mm bar"


EDGE_RANGE_M = (1e-9, 1.0)  # a sample edge from 1 nm (a thin film) to 1 m (beyond any bulk)


def check_bar(a_m: float, b_m: float, c_m: float, given: Sequence[tuple[str, str]] = ()) -> None:
    """a <= b perpendicular to the field, c along it, each in ``EDGE_RANGE_M`` (m); else a
    ValidationError naming the edge as ``given`` for a, b and c, (name, text) as the user gave
    them (("--a", "-0 mm"): "sample edge a = -0.0 m" named no option the user typed), by
    default "sample edge a" and the value in m."""
    lo, hi = EDGE_RANGE_M
    for i, v in enumerate((a_m, b_m, c_m)):
        name = "abc"[i]
        if isinstance(v, bool) or not isinstance(v, numbers.Real):  # "0.5 mm": numpy's TypeError
            raise ValidationError(
                f"sample edge {name} = {v!r}: give it in m as a number ({name}_m=0.5e-3 for "
                f"0.5 mm) or with its unit as text or a pint quantity ('0.5 mm')"
            )
        label, text = given[i] if given else (f"sample edge {name}", "")
        if not np.isfinite(v) or v <= 0:
            raise ValidationError(
                f"{label} = {repr(text) if text else f'{v!r} m'}: every edge must be a finite "
                "length > 0 (zero-size sample?)"
            )
        if not lo <= v <= hi:
            raise ValidationError(
                f"{label} = {repr(text) if text else f'{v:.3g} m'} is outside 1 nm..1 m: wrong "
                "unit (e.g. um for mm, or mm for m)?"
            )
    if a_m > b_m:
        (a, a_text), (b, b_text) = [(n, repr(t)) for n, t in given[:2]] or [
            ("a", f"{a_m * 1e3:g} mm"),
            ("b", f"{b_m * 1e3:g} mm"),
        ]
        raise ValidationError(
            f"{'' if given else 'sample edges '}{a} = {a_text} > {b} = {b_text}: {a} must be "
            f"the shorter edge perpendicular to the field (swap {a} and {b})"
        )


def magnetization(
    moment_Am2: np.ndarray, a_m: float, b_m: float, c_m: float, shape: str = "bar"
) -> np.ndarray:
    """Magnetization M = m / V in A/m (1 A/m = 1e-3 emu/cm^3) of an a x b x c bar (or cylinder:
    ``sample_volume``)."""
    return np.asarray(moment_Am2, dtype=float) / sample_volume(a_m, b_m, c_m, shape)
