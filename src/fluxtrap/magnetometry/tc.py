"""Tc from M(T): split ZFC/FC sweeps, fit a transition, read Tc off the fitted curve.

One temperature sweep, sorted by T, is fitted with a smooth step on a straight normal-state
baseline (robust least squares, soft-L1 loss, so a single glitch does not move it):

    M(T) = c0 + c1 T - step * s(T),   s(T) = 1 / (1 + exp((T - Tm) / w))     (logistic)

s is the shielding fraction (1 fully shielded, 0 normal). The transition is first located by a
grid over (Tm, w) with the linear parameters solved exactly (variable projection); the normal-state
baseline is then taken from the data above the transition only (up to Tm + 4 w plus as many
kelvin as the superconducting side spans, at least 10 K), so a curved high-temperature
background far from Tc does not tilt it, and the fit is refined there. Single readings far off
the readings on both sides (``loops.isolated_spikes``) are outliers before any fit (one 1e6x its
neighbours had moved the grid search: 'no transition found'); points more than 5 noise
widths off the robust fit are outliers too; the final covariance (parameters' 1-sigma) comes from a
plain least-squares fit without them and gives Tc's uncertainty (it agrees with the scatter over
repeated noisy sweeps within 15%). The logistic shape is an assumption: on an erf-shaped transition
of the same 10-90% width its Tc is 0.026 w low, so where the fit stands Tc is averaged with an erf
step's fit by the two shapes' Akaike weights, the distance between them in its 1-sigma
(``_shape_average``; the erf is told apart at low noise: read 0.013 K low +- 0.0008 K at noise
1e-4 of the step, 5 of 30 within 1 sigma; now 30, scatter 0.0002 K). A
background curved under the transition moves Tc too (the real sweeps' backgrounds under a step
5-20x their own range: 0.05-0.38 K low, 3-9 of the fit's 1-sigma); the uncertainty includes the
background model's spread (``_background_spread``: the largest change of Tc when the baseline is
quadratic or cubic, or linear over half or twice the reach above the step), and then holds Tc
within 2 sigma in 29 of 30 such sweeps (mean offset -1.2 sigma: it is still on the small side).

Where the logistic's shape misses the data at the crossing (its Tc more than 3 combined sigma
and a tenth of the point spacing from the data's, or its sigma far above the data's: a linear,
broad transition, whose points the fit left out as outliers; or its residuals over the
transition beyond those beside it by an F test, ``_shape_misfit``: an 8 K ramp at noise 1/200 of
the step, where the fit had stood in 16 of 40 sweeps, 0.42 K low), Tc is read off the data instead:
the shielded fraction (baseline - M) / step, its monotone least-squares fit, linear between the
two points around the crossing; named in a ``TcStructureWarning``. The baseline is then the
data's own (``_normal_line_read``: a line through the points above the data's onset, the step
the median below 99 % shielding; the logistic's are tilted by its misfit), and Tc's 1-sigma
holds that line's 1-sigma and its change over half or twice the reach. On linear ramps 1-8 K
wide with a step 1000-10 000 noise widths, this reads 38 - 0.9 W within 0.006 K; at a step of
200 noise widths (8 K wide) 0.004 K low, 20 of 24 within their 1-sigma (on the logistic's line:
0.1 K low, 6 of 24); two phases' steps on the real sweeps' backgrounds within 1.7 sigma (had
been 4.3). Where the fit and the read agree within 3 sigma the fit stands, and its 1-sigma
holds its difference from the read on the data's own line beyond their 1-sigma (the shape's
misfit, as excess variance, where over 2 combined sigma; none on a logistic within the noise, nor
on a line too short to refit over half its reach, which holds the step's tail in its tilt: a
sweep ending 4 K above a 38 K step had a 0.28 K 1-sigma for a scatter of 0.002 K): on a 3 K ramp at noise 1/200
of the step 15 and 20 of 20 sweeps within 1 and 2 sigma (had been 9 and 12), on a step sharper
than the point spacing 13 and 20 (had been 3 and 11).
A step between two points (none but them off the plateaus, 3 sigma) lies anywhere between them:
the read is their middle, +- spacing / sqrt 12, and the fit, whose width the data do not fix,
stands only inside that and no less sure (a line through the two points read a 0.02 K-wide
step 0.10 K low, 19 of 30 within 1 sigma; now 0.006 K, 22 of 30, 30 within 2).
The data read leaves out glitches (points 5 noise widths off the running median of 9) and its
1-sigma holds the interpolation's error (half the change of the crossing read one point further
out on each side): on 30 points over 58 K (1-2 inside a 0.5 K-wide step) it reads 28.34 +- 0.87 K
for 28.90. Where the one step cannot follow the transition at all (two phases' steps: its residuals tens of
times the point-to-point noise, its step then 'not significant'), the whole sweep is read off the
data (``_read_alone``: the normal-state line above the onset, full shielding from the lowest tenth
of the sweep): 90% of two linear steps' whole shielding within 0.05 K of the hand value.
A run of the logistic's outliers is named a second transition where the fit stands, and where
the read replaces it only if the data's shielding pauses part-way in it (within ``_PAUSE`` over
``_RUN`` points): otherwise it is the shape's misfit (a 3 K ramp's had been so named).
Neither read replaces the fit on a step under ``READ_STEP_SIGMA`` point noise widths (the read's
+- holds no noise: 34.58 +- 0.12 K for 36.80 at noise 20 % of the step), nor where the fit's
residuals are within ``FOLLOWS_NOISE`` of the point-to-point noise (it follows the data: a step
that small is refused as not significant).

The point noise is floored at the data's resolution (``_noise_floor``: the last printed digit
/ sqrt 12, at least ``FIT_PRECISION`` of the largest |M|), and where the robust fit stopped short
of the plain one the outliers are judged again on the plain fit: a noiseless logistic had its
step's points named 'a second transition' and a 1-sigma of 1e-14 K; one printed to 6 digits, a
sharp step 1e5 sigma off.

Two conventions, both at a ``level`` (default 0.9), always named in the output:

- ``"shielded"`` (default): the transition has reached ``level`` of full shielding, s = 0.9:
  Tc = Tm - w ln 9. This is our reading of the published work ("Tc ... was defined as the point at
  which the transition reached 90%": the diamagnetic transition 90% complete).
- ``"normal"``: the moment is back ``level`` of the way to the normal state, s = 0.1:
  Tc = Tm + w ln 9 (the magnetic analogue of the resistive "90% of the normal state").

They differ by 2 w ln 9 = 4.4 transition widths. A transition is only reported when the fitted
step is diamagnetic (the moment drops below the normal-state baseline, the shielded moment is
negative), significant (>= 10 standard errors and >= 5 noise widths), narrower than a quarter
of the sweep, and both sides of it were measured (>= 3 points beyond 3 w on each side);
otherwise ``AnalysisError`` says that no transition was found and why.
"""

from __future__ import annotations

import dataclasses
import math
import re
import warnings
from dataclasses import dataclass

import numpy as np

from fluxtrap.errors import AnalysisError, ValidationError
from fluxtrap.magnetometry.loops import (
    OutlierReadingWarning,
    RepeatedMeasurementWarning,
    held_field_rows,
    isolated_spikes,
    loop_groups,
    monotone_segments,
    without_off_sweep,
)
from fluxtrap.magnetometry.table import MeasurementTable, check_table, robust_sigma
from fluxtrap.units import estimate_text


@dataclass(frozen=True, eq=False)
class Sweep:
    """One monotonic temperature sweep of an M(T) file: rows ``start..stop-1``; ``label`` ZFC/FC/..."""

    label: str
    start: int
    stop: int
    temperature_K: np.ndarray
    moment_Am2: np.ndarray
    field_T: float
    notes: tuple[str, ...] = ()  # about the file, for each result (rows repeated)

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


MAX_SWEEPS = 100  # temperature sweeps analysed in one file (a ZFC/FC file has 2-3)


def split_sweeps(table: MeasurementTable, *, tolerance_K: float = 1.0) -> tuple[Sweep, ...]:
    """Monotonic temperature sweeps of ``table`` (at least 5 points each), in measurement order.

    Labels: a comment row naming ZFC or FC labels the sweep after it; otherwise a cooling sweep
    is "FC cooling" and a warming sweep right after it in the same (non-zero) field "FC" (its
    history); a file whose name, title or sample comment says ZFC and FC (``zfcfc``, ``zfc_fc``) has its two
    warming sweeps labelled ZFC then FC, one saying only ZFC (or FC) its one warming sweep so;
    two diamagnetic warming sweeps in one field, one shielding at least twice the other at their
    coldest, are ZFC (the more) and FC; else a single sweep is "sweep" and several "warming sweep 1", "warming sweep 2", ... (a ZFC
    and an FC sweep look alike to the reader: two identical ZFC sweeps had read "ZFC", "FC"). Rows that repeat an earlier row
    exactly are dropped first (``without_repeats``; a ``RepeatedMeasurementWarning``, and the note
    in each sweep's ``notes``, which ``find_tc`` keeps in its result's ``warnings``), then a
    reading whose temperature leaves the sweep by over ``tolerance_K`` (``loops.off_sweep``; an
    ``OutlierReadingWarning`` and a note the same way).
    """
    check_table(table, "split_sweeps")
    if table.kind != "mt_curve" and not np.isfinite(table.temperature_K).any():
        used = ", ".join(f"{q} from {c!r}" for q, c in table.metadata.columns.items())
        raise AnalysisError(
            f"{table.metadata.filename}: no temperatures: no column was read as the temperature"
            f"{f' ({used})' if used else ''}; name it with its unit in K, e.g. 'Temperature (K)'"
        )
    table, part = held_field_part(table)
    if part:
        warnings.warn(part, MixedMeasurementWarning, stacklevel=2)
    if table.kind != "mt_curve":
        loops = ""
        if table.kind == "mh_loop":  # what it holds instead: the real KMK282 loops at 5 and
            # 300 K had been 'not an M(T) measurement (temperature span 295 K, ...)' alone
            temps = [np.nanmedian(table.temperature_K[a:b]) for a, b in loop_groups(table)]
            temps = [f"{x:.4g} K" for x in temps if np.isfinite(x)][:10]
            loops = (
                f": it holds {'M(H) loops' if len(temps) > 1 else 'an M(H) loop'} (the field "
                f"swept over {np.ptp(table.field_T):.3g} T"
                f"{' at ' + ', '.join(temps) if temps else ''}), read for Jc; Tc needs the "
                "temperature swept in a held field"
            )
        raise AnalysisError(
            f"{table.metadata.filename}: not an M(T) measurement (temperature span "
            f"{np.nanmax(table.temperature_K) - np.nanmin(table.temperature_K):.3g} K, field span "
            f"{np.ptp(table.field_T):.3g} T){loops}"
        )
    table, repeated = table.without_repeats()
    if repeated:
        warnings.warn(repeated, RepeatedMeasurementWarning, stacklevel=2)
    table, off = without_off_sweep(table, "temperature_K", tolerance_K)
    if off:
        warnings.warn(off, OutlierReadingWarning, stacklevel=2)
    table.check_time_order()
    t = table.temperature_K
    segs = [(s, e) for s, e in monotone_segments(t, tolerance_K) if e - s >= 5]
    if len(segs) > MAX_SWEEPS:  # each is fitted (~10 ms): an oscillating temperature is no M(T)
        raise AnalysisError(
            f"{table.metadata.filename}: {len(segs)} temperature sweeps (the temperature turns "
            f"back by more than {tolerance_K:g} K that often; the first turns at lines "
            f"{', '.join(str(table.line[e - 1]) for _, e in segs[:3])}): an M(T) file holds a "
            f"few (ZFC, FC), at most {MAX_SWEEPS}; is the temperature oscillating?"
        )
    noted = {}
    for row, text in table.comments:
        for word in ("ZFC", "FC"):
            if word in text.upper().replace("-", "").split(",")[0].split():
                noted[row] = word
                break
    sweeps = []
    known = [t[s:e][np.isfinite(t[s:e])] for s, e in segs]  # first and last known temperature
    warm = [k for k, tk in enumerate(known) if tk.size and tk[-1] > tk[0]]
    cool = [k for k, tk in enumerate(known) if tk.size and tk[-1] < tk[0]]
    field = [float(np.median(table.field_T[s:e])) for s, e in segs]
    meta = table.metadata  # what the file says of itself: name, title, sample comment
    said = (
        meta.filename,
        meta.title,
        meta.info.get("SAMPLE_COMMENT", ""),
        meta.info.get("COMMENT", ""),
    )
    words = set(re.findall(r"[a-z]+", " ".join(said).lower()))
    zfc = any(w.startswith("zfc") for w in words)
    fc = any(w.startswith(("fc", "zfcfc")) for w in words)
    previous = -1
    for k, (s, e) in enumerate(segs):
        named = [w for r, w in sorted(noted.items()) if previous < r <= s + 1]
        previous = s + 1
        label = named[-1] if named else None
        if label is None:
            if k in cool:
                label = "FC cooling"
            elif k - 1 in cool and _same_field(field[k - 1], field[k]):
                label = "FC"  # cooled in this field, as the file shows
            elif zfc and fc and len(warm) == 2:  # the file's name says both: in that order
                label = "ZFC" if k == warm[0] else "FC"
            elif len(warm) == 2 and (shielding := _shielding_order(table, [segs[w] for w in warm])):
                label = shielding[warm.index(k)]
            elif zfc != fc and len(warm) == 1:
                label = "ZFC" if zfc else "FC"
            elif len(warm) == 1 and k in warm and _zfc_before_fcc(table, segs, k, cool, zfc and fc):
                label = "ZFC"  # ZFC warming, then FC cooling (ZFC-FCC): had been 'warming sweep 1'
            elif len(segs) == 1:
                label = "sweep"
            elif k in warm:  # no word, no history: ZFC and FC sweeps look alike (no label by order)
                label = f"warming sweep {warm.index(k) + 1}"
            else:
                label = f"sweep {k + 1}"
        sweeps.append(
            Sweep(
                label,
                s,
                e,
                t[s:e].copy(),
                table.moment_Am2[s:e].copy(),
                float(np.median(table.field_T[s:e])),
                tuple(n for n in (part, repeated, off) if n),
            )
        )
    if not sweeps:
        raise AnalysisError(f"{table.metadata.filename}: no temperature sweep of 5 or more points")
    return tuple(sweeps)


class MixedMeasurementWarning(UserWarning):
    """An M(T) file that also sweeps the field: Tc is read off its rows held at one field (the
    note is in each sweep's notes and each result's warnings)."""


def held_field_part(table: MeasurementTable) -> tuple[MeasurementTable, str]:
    """The M(T) rows of a file that also sweeps the field (an M(T) then an M(H) in one .dat,
    ``loops.held_field_rows``), and a note naming them; ``table`` itself and "" when it is no
    M(H) file or has none. The file had been refused as 'an M(H) loop (field span 14 T), not an
    M(T) curve', its ZFC sweep unread."""
    keep = held_field_rows(table)
    if not keep.any():
        return table, ""
    lines = table.line[keep]
    note = (
        f"{table.metadata.filename}: the file also sweeps the field (an M(H) measurement, "
        f"{int((~keep).sum())} rows, left out); Tc is read off its {int(keep.sum())} rows held at "
        f"one field while the temperature swept (lines {lines[0]}-{lines[-1]})"
    )
    return table.subset(keep), note


def _shielding_order(table: MeasurementTable, pair: list[tuple[int, int]]) -> tuple[str, ...]:
    """("ZFC", "FC") or ("FC", "ZFC") for two warming sweeps of one field (rows ``pair``) where one
    is diamagnetic at its coldest at least ``SHIELDING_RATIO`` times the other: shielding after
    zero-field cooling always exceeds the Meissner expulsion of field cooling; () if not so."""
    ends = []
    for s, e in pair:
        t, m = table.temperature_K[s:e], table.moment_Am2[s:e]
        known = np.isfinite(t) & np.isfinite(m)
        coldest = np.argsort(t[known])[:5]
        ends.append((float(np.min(t[known])), float(np.median(m[known][coldest]))))
    fields = [float(np.median(table.field_T[s:e])) for s, e in pair]
    (t1, m1), (t2, m2) = ends
    if not (_same_field(*fields) and abs(t1 - t2) <= 1.0 and m1 < 0 and m2 < 0):
        return ()
    if m1 <= SHIELDING_RATIO * m2:
        return ("ZFC", "FC")
    if m2 <= SHIELDING_RATIO * m1:
        return ("FC", "ZFC")
    return ()


def _zfc_before_fcc(
    table: MeasurementTable, segs: list[tuple[int, int]], k: int, cool: list[int], named: bool
) -> bool:
    """Whether the file's one warming sweep (``segs[k]``) is a ZFC one: a cooling sweep follows
    it in its field (field-cooled, FCC) and the file's name says ZFC and FC (``named``) or the
    warming sweep shields at its coldest ``SHIELDING_RATIO`` times the cooling sweep."""
    after = [c for c in cool if c > k]
    if not after:
        return False
    later = after[0]
    return named or _shielding_order(table, [segs[k], segs[later]]) == ("ZFC", "FC")


SHIELDING_RATIO = 2.0  # ZFC over FC moment at the coldest point; bulk Ba122 expels ~5-20 %


def _same_field(a_T: float, b_T: float) -> bool:
    """Both fields (T) over 0.1 mT (1 Oe) and within 5% of each other."""
    return abs(b_T) > 1e-4 and abs(a_T - b_T) <= 0.05 * abs(b_T)


CRITERIA = {
    "shielded": "{level:.0%} shielded",
    "normal": "{level:.0%} back to the normal state",
}
DEFAULT_CRITERION = "shielded"  # the published work's "the transition reached 90%"
_SIDE = 3.0  # points beyond Tm +- _SIDE w count as measured normal state / full shielding
_OUTLIER = 5.0  # residuals beyond this many noise widths are outliers
# shielding growing below the step (5 standard errors, over TAIL_FRACTION of the step) is named
# when it moves Tc by more than twice Tc's own 1-sigma and TAIL_SHIFT_K: a bias beyond the stated
# +- (a 5% tail: 0.18 K, 25x). Under TAIL_FRACTION a normal-state background curved under the step
# reads the same (the real KMK232 sweep under a step 20x its range: 1.4%, Tc 0.05 K low, not high)
TAIL_SHIFT_K = 0.05
TAIL_FRACTION = 0.03
# full shielding still growing at the sweep's cold end (5 standard errors, over PLATEAU_FRACTION
# of the step across the coldest half of the points below Tm - 3 w, at over PLATEAU_RATE of it
# per K) is no plateau: Tc an upper bound. The real sample4 background curved under a step reads
# 1.2 % over 15 K, 0.08 %/K; a 30 % tail below a step at 36 K, swept from 30 K, 2.9 % at 0.66 %/K
PLATEAU_FRACTION = 0.01
PLATEAU_RATE = 0.002  # per K
FIT_PRECISION = (
    1e-9  # relative to the largest |M|: the fits' resolution (least squares' 1e-8 tolerances)
)
READ_STEP_SIGMA = 50.0  # Tc is read off the data only for a step this many point noise widths
FOLLOWS_NOISE = 1.5  # fit residuals up to this x the point-to-point noise: the fit follows the data
_LOCAL = 10.0  # the shape test's reach, in transition widths w
MISFIT_P = 1e-3  # the logistic's residuals over the transition this unlikely: its shape misfits
_SHARP = (  # the read of a step with no point inside it but the two around the crossing
    "the step is sharper than the point spacing (it lies anywhere between the two points "
    "around the crossing: read as the interval's middle, ± spacing / sqrt 12)"
)
_PAUSE = 0.1  # a shielded fraction within this over _RUN points, this far off 0 and 1, pauses
_RUN = 5  # this many neighbouring outliers on one side are a feature (a second step), not glitches


class TcStructureWarning(UserWarning):
    """A run of neighbouring points lies off the single-step fit, all on one side: a second step."""


def criterion_text(criterion: str, level: float = 0.9) -> str:
    """``"90% shielded"`` or ``"90% back to the normal state"``."""
    return CRITERIA[criterion].format(level=level)


def shielding(t_K: np.ndarray | float, midpoint_K: float, width_K: float) -> np.ndarray | float:
    """Logistic shielding fraction s(T) = 1 / (1 + exp((T - Tm) / w)), from 1 (shielded) to 0."""
    return 0.5 * (1.0 - np.tanh((np.asarray(t_K, float) - midpoint_K) / (2.0 * width_K)))


ERF_SCALE = float(
    np.log(9.0) / 1.2815515655446004
)  # erf_shielding's 10-90 % width = the logistic's


def erf_shielding(t_K: np.ndarray | float, midpoint_K: float, width_K: float) -> np.ndarray | float:
    """An erf-shaped shielding fraction (a Gaussian spread of local Tc), from 1 to 0, of the
    same 10-90 % width as ``shielding`` at the same ``width_K``: s = level at
    Tm - w ``ERF_SCALE`` Phi^-1(level)."""
    from scipy.special import erfc

    z = (np.asarray(t_K, float) - midpoint_K) / (np.sqrt(2.0) * ERF_SCALE * width_K)
    return 0.5 * erfc(z)


@dataclass(frozen=True)
class TcResult:
    """Tc (K) by ``criterion`` at ``level`` with its 1-sigma ``tc_err_K``, and the fit behind it.

    The fitted curve is ``model(T)`` = baseline - step * s(T) (moments in A*m^2, T in K; the
    step is negative in a negative field, where the shielded moment is positive):
    ``midpoint_K`` and ``width_K`` are Tm and w of s(T); ``onset_K`` is where s = 1%.
    ``fit_range_K`` the temperatures fitted, ``n_outliers`` the points left out of the final fit;
    ``warnings`` what the fit cannot explain (a second step), also issued as ``TcStructureWarning``.
    """

    tc_K: float
    tc_err_K: float
    criterion: str
    level: float
    onset_K: float
    midpoint_K: float
    width_K: float
    sweep: str
    baseline_slope_Am2_per_K: float
    baseline_intercept_Am2: float
    step_Am2: float
    step_err_Am2: float
    noise_Am2: float
    fit_range_K: tuple[float, float]
    n_points: int
    n_outliers: int
    source: str = ""
    warnings: tuple[str, ...] = ()
    curie_Am2_K: float = 0.0  # C of a Curie term C / T in the baseline (0: a straight one)

    @property
    def convention(self) -> str:
        """The criterion in words, e.g. ``"90% shielded"``."""
        return criterion_text(self.criterion, self.level)

    @property
    def plateau_Am2(self) -> float:
        """Fitted fully shielded moment at the low end of the fit range (A*m^2)."""
        return float(self.model(self.fit_range_K[0]))

    def model(self, t_K: np.ndarray | float) -> np.ndarray | float:
        """The fitted M(T) (A*m^2) at ``t_K``."""
        return self.baseline(t_K) - self.step_Am2 * shielding(t_K, self.midpoint_K, self.width_K)

    def baseline(self, t_K: np.ndarray | float) -> np.ndarray | float:
        """The fitted normal-state moment (A*m^2) at ``t_K``: c0 + c1 T (+ C / T)."""
        t = np.asarray(t_K, float)
        base = self.baseline_intercept_Am2 + self.baseline_slope_Am2_per_K * t
        return base + self.curie_Am2_K / t if self.curie_Am2_K else base

    def to_dict(self) -> dict:
        return dict(self.__dict__) | {"convention": self.convention}

    def __repr__(self) -> str:
        """One line: Tc ± 1-sigma rounded at the sigma (K), onset, width (K) and step (emu)."""
        known = math.isfinite(self.tc_err_K) and self.tc_err_K > 0
        tc = estimate_text(self.tc_K, self.tc_err_K) if known else f"{self.tc_K:.2f}"
        return (
            f"<TcResult {self.source} {self.sweep}: Tc ({self.convention}) = {tc} K, onset {self.onset_K:.2f} K, width {self.width_K:.2g} K, "
            f"step {self.step_Am2 * 1e3:.3g} emu>"
        )


def _logistic(t_K: np.ndarray, params: np.ndarray) -> np.ndarray:
    """The one-step model c0 + c1 T - step s(T) (A*m^2) of ``params`` (c0, c1, step, Tm, ln w)."""
    c0, c1, step, tm, lnw = params
    return c0 + c1 * t_K - step * shielding(t_K, tm, np.exp(lnw))


def _robust_noise(m: np.ndarray) -> float:
    """Noise (A*m^2) from the median absolute second difference (a smooth trend cancels)."""
    d2 = np.diff(m, 2)
    sigma = robust_sigma(d2) / np.sqrt(6.0)
    return float(sigma) if sigma > 0 else float(np.std(d2) / np.sqrt(6.0)) or 1e-30


def _noise_floor(m: np.ndarray) -> float:
    """The least noise (A*m^2) per point that ``m`` (A*m^2) can show: its resolution, the last
    significant digit kept (a rounding error, uniform: /sqrt 12, per value; the median), and no
    less than ``FIT_PRECISION`` of its largest |M| (what the least-squares fits resolve). Noiseless
    (synthetic) or coarsely printed data had been judged against ~0 noise: a false second step,
    a 1-sigma of 1e-14 K."""
    m = m[np.isfinite(m) & (m != 0)]
    if not m.size:
        return 1e-30
    exp = np.floor(np.log10(np.abs(m)))
    mant = m / 10.0**exp
    for digits in range(1, 16):  # the fewest digits that give back (nearly) every value
        if np.mean(np.abs(np.round(mant, digits - 1) - mant) <= 1e-12) >= 0.95:
            break
    quantum = float(np.median(10.0 ** (exp - digits + 1))) / np.sqrt(12.0)
    return max(quantum, FIT_PRECISION * float(np.max(np.abs(m))))


def _block_medians(t: np.ndarray, m: np.ndarray, n_max: int) -> tuple[np.ndarray, np.ndarray]:
    """Medians of consecutive blocks of points so that at most ``n_max`` remain (robust thinning)."""
    k = int(np.ceil(t.size / n_max))
    if k <= 1:
        return t, m
    n = t.size // k * k
    return np.median(t[:n].reshape(-1, k), axis=1), np.median(m[:n].reshape(-1, k), axis=1)


def _soft_l1(z: np.ndarray) -> np.ndarray:
    return 2.0 * (np.sqrt(1.0 + z * z) - 1.0)


def _grid_search(
    t: np.ndarray, m: np.ndarray, noise: float, widths: np.ndarray, mids: np.ndarray
) -> tuple[float, float] | None:
    """(Tm, w) on the grid with the smallest robust cost and a diamagnetic step, or None.

    For each candidate the baseline (c0, c1) and the step are solved by linear least squares
    (variable projection); the cost is the soft-L1 sum of the residuals in noise widths.
    """
    x = (t - t.mean()) / max(np.ptp(t), 1e-12)
    base = np.stack([np.ones_like(x), x], axis=1)  # n x 2
    btb, btm = base.T @ base, base.T @ m
    best, best_cost = None, np.inf
    for w in widths:
        s = shielding(t[None, :], mids[:, None], w)  # k x n
        bts = s @ base  # k x 2
        # normal equations of [base, -s]: [[BtB, -Bts], [-Bts^T, sts]] (c0, c1, step) = [Btm, -stm]
        a = np.zeros((mids.size, 3, 3))
        a[:, :2, :2] = btb
        a[:, :2, 2] = a[:, 2, :2] = -bts
        a[:, 2, 2] = np.einsum("kn,kn->k", s, s)
        rhs = np.concatenate([np.broadcast_to(btm, (mids.size, 2)), -(s @ m)[:, None]], axis=1)
        ok = np.abs(np.linalg.det(a)) > 1e-300
        coef = np.full((mids.size, 3), np.nan)
        coef[ok] = np.linalg.solve(a[ok], rhs[ok][..., None])[..., 0]
        resid = m[None, :] - coef[:, :2] @ base.T + coef[:, 2:3] * s
        cost = np.sum(_soft_l1(resid / noise), axis=1)
        cost[~ok | ~(coef[:, 2] > 0)] = np.inf
        k = int(np.argmin(cost))
        if cost[k] < best_cost:
            best, best_cost = (float(mids[k]), float(w)), float(cost[k])
    return best


def _curie_term(
    t: np.ndarray, m: np.ndarray, noise: float, widths: np.ndarray, mids: np.ndarray
) -> tuple[float, float] | None:
    """A Curie term C / T (A*m^2*K) fitted with the step: over the grid of (Tm, w) the baseline
    c0 + c1 T + C / T and the step solved by linear least squares (``t`` K > 0, ``m`` sign(H)
    A*m^2, ``noise`` per point), the soft-L1 cost's best with a diamagnetic step. Returns (C,
    its 1-sigma from the point noise), or None where no (Tm, w) gives a diamagnetic step."""
    x = (t - t.mean()) / max(np.ptp(t), 1e-12)
    base = np.stack([np.ones_like(x), x, t[0] / t], axis=1)  # n x 3, the 1/T column O(1)
    best, best_cost = None, np.inf
    ratio = float(widths[1] / widths[0]) if widths.size > 1 else 2.0
    for refine in range(3):  # the grid, then twice finer around its best (C 0.23 % off: 14 sigma)
        if refine:
            (tm0, w0), dt = best[2], float(np.max(np.diff(mids))) if mids.size > 1 else 1.0
            mids = np.linspace(tm0 - dt, tm0 + dt, 21)
            widths, ratio = np.geomspace(w0 / ratio, w0 * ratio, 11), ratio ** (1 / 5)
        for w in widths:
            for tm in mids:
                design = np.column_stack([base, -shielding(t, tm, w)])
                coef, *_ = np.linalg.lstsq(design, m, rcond=None)
                if not coef[3] > 0:
                    continue
                cost = float(np.sum(_soft_l1((m - design @ coef) / noise)))
                if cost < best_cost:
                    best, best_cost = (coef, design, (float(tm), float(w))), cost
        if best is None:
            return None
    coef, design, _ = best
    try:
        cov = np.linalg.inv(design.T @ design) * noise**2
    except np.linalg.LinAlgError:
        return None
    return float(coef[2] * t[0]), float(np.sqrt(max(cov[2, 2], 0.0)) * t[0])


def _fit(t: np.ndarray, m: np.ndarray, start: np.ndarray, loss: str, noise: float, shape=None):
    """Least squares of (c0, c1, step, Tm, ln w) on M(T); returns (params, residuals, jacobian).
    ``shape`` s(T, Tm, w): the logistic ``shielding`` unless given (``erf_shielding``).

    Solved in scaled units (T relative to the window, M relative to its largest |M|) so every
    parameter is of order one; the jacobian is returned for the unscaled parameters.
    """
    from scipy.optimize import least_squares

    t0, tspan = float(t[0]), max(float(np.ptp(t)), 1e-12)
    mscale = max(float(np.max(np.abs(m))), 1e-300)
    u, y = (t - t0) / tspan, m / mscale
    c0, c1, step, tm, lnw = start
    p0 = [(c0 + c1 * t0) / mscale, c1 * tspan / mscale, step / mscale, (tm - t0) / tspan]
    p0.append(lnw - np.log(tspan))

    shape = shape or shielding

    def resid(p):
        return p[0] + p[1] * u - p[2] * shape(u, p[3], np.exp(p[4])) - y

    # bounds: a diamagnetic step, the midpoint near the window, a width from 1e-4 to 1/2 of it
    lower = [-np.inf, -np.inf, 0.0, -0.5, np.log(1e-4)]
    upper = [np.inf, np.inf, np.inf, 1.5, np.log(0.5)]
    p0 = np.clip(p0, np.add(lower, 1e-9), np.subtract(upper, 1e-9))
    res = least_squares(
        resid, p0, bounds=(lower, upper), loss=loss, f_scale=noise / mscale, max_nfev=200
    )
    a0, a1, st, um, lnwu = res.x
    params = np.array(
        [
            (a0 - a1 * t0 / tspan) * mscale,
            a1 * mscale / tspan,
            st * mscale,
            t0 + um * tspan,
            lnwu + np.log(tspan),
        ]
    )
    # chain rule back to (c0, c1, step, Tm, ln w): d(scaled)/d(unscaled) is diagonal but for c0
    jac = res.jac * mscale  # residuals in A*m^2
    conv = np.zeros((5, 5))
    conv[0, 0] = 1 / mscale
    conv[0, 1] = t0 / mscale
    conv[1, 1] = tspan / mscale
    conv[2, 2] = 1 / mscale
    conv[3, 3] = 1 / tspan
    conv[4, 4] = 1.0
    return params, res.fun * mscale, jac @ conv


def _baseline_tc(
    t: np.ndarray, m: np.ndarray, params: np.ndarray, shielded: float, noise: float, degree: int
) -> float:
    """Tc (K, where s = ``shielded``) of the one-step fit to ``m`` (A*m^2) at ``t`` (K) on a
    polynomial baseline of ``degree`` (soft-L1 at ``noise``), started from ``params`` (c0, c1,
    step, Tm, ln w: the linear fit); NaN if the fit fails."""
    from scipy.optimize import least_squares

    t0, tspan = float(t[0]), max(float(np.ptp(t)), 1e-12)
    mscale = max(float(np.max(np.abs(m))), 1e-300)
    u, y = (t - t0) / tspan, m / mscale
    c0, c1, step, tm, lnw = params
    line = [(c0 + c1 * t0) / mscale, c1 * tspan / mscale, *[0.0] * (degree - 1)]
    p0 = [*line, step / mscale, (tm - t0) / tspan, lnw - np.log(tspan)]

    def resid(p):
        base = np.polynomial.polynomial.polyval(u, p[: degree + 1])
        return base - p[-3] * shielding(u, p[-2], np.exp(p[-1])) - y

    res = least_squares(resid, p0, loss="soft_l1", f_scale=noise / mscale, max_nfev=200)
    w = float(np.exp(res.x[-1])) * tspan
    tc = t0 + res.x[-2] * tspan - w * np.log(shielded / (1 - shielded))
    return float(tc) if res.success and np.isfinite(tc) else np.nan


def _background_spread(
    t: np.ndarray,
    m: np.ndarray,
    top: float,
    params: np.ndarray,
    shielded: float,
    noise: float,
    tc: float,
) -> float:
    """Tc's uncertainty (K) from the background model: the largest change of ``tc``, the
    linear baseline's fitted up to ``top`` K, when the baseline is quadratic or cubic, or
    linear up to half or twice as far above the step (``t`` K sorted, ``m`` A*m^2, the whole
    sweep; ``params`` the linear fit's (c0, c1, step, Tm, ln w)). A line's bias from a curved
    background grows with its reach, so the doubled reach's change is about that bias."""
    tm, w = params[3], np.exp(params[4])
    start = tm + 4 * w
    tcs = []
    for degree, reach in ((2, 1.0), (3, 1.0), (1, 0.5), (1, 2.0)):
        sel = t <= start + reach * (top - start)
        if np.sum(sel & (t > tm + _SIDE * w)) >= 5 and (reach <= 1 or t[-1] > top):
            tcs.append(_baseline_tc(t[sel], m[sel], params, shielded, noise, degree))
    spread = np.abs(np.array(tcs) - tc)
    return float(np.max(spread[np.isfinite(spread)], initial=0.0))


def _start_values(t: np.ndarray, m: np.ndarray, tm: float, w: float) -> np.ndarray:
    """(c0, c1, step, Tm, ln w) to start the fit: a line through the points above Tm + 4 w (a
    constant if under 3), the step down to the median below Tm - 2 w (the full range if none)."""
    normal, shielded = t > tm + 4 * w, t < tm - 2 * w
    if normal.sum() >= 3:
        c1, c0 = np.polyfit(t[normal], m[normal], 1)
    else:
        c1, c0 = 0.0, float(np.median(m[t > tm]))
    step = c0 + c1 * t[0] - float(np.median(m[shielded])) if shielded.any() else np.ptp(m)
    return np.array([c0, c1, step, tm, np.log(w)])


def find_tc(
    sweep: Sweep,
    *,
    criterion: str = DEFAULT_CRITERION,
    level: float = 0.9,
    min_step_sigma: float = 5.0,
    min_step_fraction: float = 0.1,
    source: str = "",
) -> TcResult:
    """Tc of one sweep by ``criterion`` ("shielded" or "normal") at ``level`` (see the module docstring).

    Where the step on a linear baseline is refused, a Curie term C / T fitted with the step
    (``_curie_term``, 5 sigma, paramagnetic) is taken out and the sweep fitted again (a step of
    1e-5 A m^2 at 38 K on 3e-4 / T A m^2 K had been refused as 'the sweep ends before the normal
    state'): the result's ``curie_Am2_K`` holds C, its ``model`` the term, its +- the change of
    Tc over C's 1-sigma, and a note says so. AnalysisError if the sweep shows no complete transition;
    ValidationError for a bad criterion or temperatures below 0 K (degC taken for kelvin).
    """
    kw = dict(
        criterion=criterion,
        level=level,
        min_step_sigma=min_step_sigma,
        min_step_fraction=min_step_fraction,
        source=source,
    )
    refused = None
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        try:
            plain = _find_tc(sweep, **kw)
        except AnalysisError as err:
            plain, refused = None, err
    # only a refused sweep: where the straight baseline's fit stands but is unsure (+- 12 K on
    # 1e-4 / T), a 1/T term takes up a linear shielding tail as well (a 30 % tail: Tc 90.07 K
    # for 83.33, the tail's note lost), which the data above Tc alone cannot tell apart
    curie = _without_curie(sweep, **kw) if plain is None else None
    if curie is None:
        for w in said:  # the plain fit's warnings, as it stands
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if refused is not None:
            raise refused
        return plain
    result, c, c_err = curie
    where = f"{source + ': ' if source else ''}{sweep.label}"
    before = f"it had been refused ({str(refused).split(': ', 2)[-1][:200]})"
    note = (
        f"{where}: a Curie term C/T (C = {estimate_text(c * 1e3, c_err * 1e3)} emu K, "
        f"{c / result.tc_K * 1e3:.3g} emu at Tc; paramagnetic impurities?) was fitted with the "
        "step and taken out of the normal-state baseline: on a straight baseline alone "
        f"{before}; Tc's ± holds C's 1-sigma"
    )
    warnings.warn(note, TcStructureWarning, stacklevel=2)
    return dataclasses.replace(result, warnings=(*result.warnings, note))


def _without_curie(sweep: Sweep, **kw) -> tuple[TcResult, float, float] | None:
    """Tc of ``sweep`` with a Curie term C / T (``_curie_term``) taken out, where C is
    paramagnetic and over 5 sigma: (the result with ``curie_Am2_K`` = C in the sweep's sign
    and C's 1-sigma in its ``tc_err_K``, C, its 1-sigma), both A*m^2*K in sign(H); None where
    no such term is found or the sweep with it taken out is still refused."""
    order = np.argsort(sweep.temperature_K, kind="stable")
    t, m = sweep.temperature_K[order], sweep.moment_Am2[order]
    keep = np.isfinite(t) & np.isfinite(m)
    flip = -1.0 if sweep.field_T < 0 else 1.0
    t, m = t[keep], flip * m[keep]
    if t.size < 10 or t[0] <= 0:
        return None
    spikes = isolated_spikes(t, m, _robust_noise(m))
    t, m = t[~spikes], m[~spikes]
    span = float(t[-1] - t[0])
    spacing = float(np.median(np.diff(t))) or span / t.size
    widths = np.geomspace(max(spacing / 2, span * 1e-4), span / 4, 14)
    tg, mg = _block_medians(t, m, 400)
    mids = np.unique(np.quantile(t, np.linspace(0, 1, min(t.size, 100))))
    found = _curie_term(tg, mg, max(_robust_noise(mg), _noise_floor(mg)), widths, mids)
    if found is None or not found[0] > 5 * found[1]:
        return None
    c, c_err = found

    def fit(curie: float) -> TcResult:
        moved = sweep.moment_Am2 - flip * curie / sweep.temperature_K
        return _find_tc(dataclasses.replace(sweep, moment_Am2=moved), **kw)

    try:
        result = fit(c)
        with warnings.catch_warnings():  # C +- its 1-sigma: how far Tc moves with it
            warnings.simplefilter("ignore")
            moved = [fit(c + d).tc_K for d in (-c_err, c_err)]
    except AnalysisError:
        return None
    err = float(np.hypot(result.tc_err_K, abs(moved[1] - moved[0]) / 2))
    return dataclasses.replace(result, curie_Am2_K=flip * c, tc_err_K=err), c, c_err


def _find_tc(
    sweep: Sweep,
    *,
    criterion: str = DEFAULT_CRITERION,
    level: float = 0.9,
    min_step_sigma: float = 5.0,
    min_step_fraction: float = 0.1,
    source: str = "",
) -> TcResult:
    """find_tc on a straight normal-state baseline."""
    if criterion not in CRITERIA:
        raise ValidationError(
            f"Tc criterion {criterion!r}: expected one of {', '.join(CRITERIA)} "
            "(90% shielded, or 90% of the way back to the normal state)"
        )
    if not 0.5 <= level < 1:
        raise ValidationError(f"Tc level must lie in [0.5, 1), got {level}")
    where = f"{source + ': ' if source else ''}{sweep.label}"
    order = np.argsort(sweep.temperature_K, kind="stable")
    t, m = sweep.temperature_K[order], sweep.moment_Am2[order]
    keep = np.isfinite(t) & np.isfinite(m)
    # diamagnetic is opposite to the field: in a negative field the shielded moment is positive;
    # the fit runs on m * sign(H) and its baseline and step are turned back at the end
    flip = -1.0 if sweep.field_T < 0 else 1.0
    t, m = t[keep], flip * m[keep]
    if t.size and t[0] < 0:
        raise ValidationError(
            f"{where}: temperatures down to {t[0]:.4g} K, below absolute zero: given in degC? "
            "(Tc needs kelvin)"
        )
    tmin, tmax = (float(t[0]), float(t[-1])) if t.size else (np.nan, np.nan)
    no = f"{where}: no superconducting transition found between {tmin:.3g} and {tmax:.3g} K"
    if t.size < 10:
        raise AnalysisError(f"{where}: {t.size} points; a Tc fit needs at least 10")
    # single readings far off both sides are outliers before any fit: one 1e6x its neighbours
    # had moved the grid search's linear solve and the noise floor ('no transition found')
    spikes = isolated_spikes(t, m, _robust_noise(m))
    t, m = t[~spikes], m[~spikes]
    span = tmax - tmin
    floor = _noise_floor(m)  # noiseless or coarsely printed data: their resolution
    noise = max(_robust_noise(m), floor)
    spacing = float(np.median(np.diff(t))) or span / t.size
    widths = np.geomspace(max(spacing / 2, span * 1e-4), span / 4, 14)
    tg, mg = _block_medians(t, m, 400)  # the grid search on at most 400 block medians
    mids = np.unique(np.quantile(t, np.linspace(0, 1, min(t.size, 200))))
    found = _grid_search(tg, mg, max(_robust_noise(mg), floor), widths, mids)
    if found is None:
        raise AnalysisError(
            f"{no}: the moment never drops below a normal-state baseline (no diamagnetic step)"
        )
    tm, w = found
    for n_side, side in ((int(np.sum(t > tm)), "ends"), (int(np.sum(t < tm)), "starts")):
        if n_side < 3:  # the best step sits at the sweep's end: the transition is cut off there
            state = "normal state (no plateau above Tc)" if side == "ends" else "full shielding"
            raise AnalysisError(
                f"{no}: the sweep {side} inside the transition (best midpoint {tm:.4g} K, "
                f"{n_side} points beyond it): it never reaches the {state}; extend the sweep"
            )
    # the normal-state baseline from the data just above the transition, not the whole sweep
    top = tm + 4 * w + max(tm - tmin, 10.0)
    window = t <= top
    tw, mw = t[window], m[window]
    start = _start_values(tw, mw, tm, w)
    params, resid, _ = _fit(tw, mw, start, "soft_l1", noise)
    point_noise = noise  # from the data alone; the fit's residuals also hold its misfit
    noise = max(robust_sigma(resid, about=0.0), floor)
    inliers = np.abs(resid) <= _OUTLIER * noise
    params, r, jac = _fit(tw[inliers], mw[inliers], params, "linear", noise)
    for turn in range(5):  # the robust fit stopped short (a noiseless sweep: its scale ~0, soft-L1
        # as L1) and left the step's points out: judged again on the plain fit until none change
        plain = _logistic(tw, params) - mw
        scale = max(robust_sigma(plain, about=0.0), floor)
        again = np.abs(plain) <= _OUTLIER * scale
        if not (scale < 0.5 * noise or turn and (again != inliers).any() and scale <= noise):
            break  # (a noisy sweep's fits agree: judged once, as before)
        resid, noise, inliers = plain, scale, again
        params, r, jac = _fit(tw[inliers], mw[inliers], params, "linear", noise)
    c0, c1, step, tm, lnw = params
    w = float(np.exp(lnw))
    end = resid[-3:]  # the sweep's last points must lie on the normal-state baseline
    if tw[-1] == tmax and not inliers[-3:].any() and abs(np.sign(end).sum()) == end.size:
        raise AnalysisError(
            f"{no}: the last points (up to {tmax:.4g} K) lie {np.min(np.abs(end)) / noise:.3g}+ "
            "noise widths off the fitted normal-state baseline, all on one side: the sweep ends "
            "inside the transition (no normal-state plateau); extend it"
        )
    dof = max(int(inliers.sum()) - 5, 1)
    try:
        cov = np.linalg.inv(jac.T @ jac) * max(float(r @ r) / dof, floor**2)
    except np.linalg.LinAlgError:
        cov = np.full((5, 5), np.inf)
    step_err = float(np.sqrt(max(cov[2, 2], 0.0)))
    if not np.isfinite(step_err):  # a fit whose shape left it degenerate: the plateaus' scatter
        ends = min(np.sum(tw < tm - _SIDE * w), np.sum(tw > tm + _SIDE * w))
        step_err = noise * float(np.sqrt(2.0 / max(int(ends), 1)))
    lnk = np.log(level / (1 - level))
    sign = -1.0 if criterion == "shielded" else 1.0
    tc = tm + sign * w * lnk
    grad = np.array([0.0, 0.0, 0.0, 1.0, sign * w * lnk])  # d Tc / d(c0, c1, step, Tm, ln w)
    tc_err = float(np.sqrt(max(grad @ cov @ grad, 0.0))) if np.isfinite(cov).all() else np.inf
    shielded = level if criterion == "shielded" else 1 - level
    glitch = _glitches(mw, point_noise)  # never the crossing
    # the background's curvature under the step (not in a read's +-: there the logistic's
    # misfit moves the refits' Tc, on a linear ramp by 0.13 K for a scatter of 0.006 K)
    spread = _background_spread(t, m, top, params, shielded, noise, tc)
    read = _read_off_data(tw[~glitch], mw[~glitch], (c0, c1, step, step_err), noise, shielded)
    spacing = float(np.median(np.diff(tw)))  # a tenth of it: the linear read's own error
    # the data's read holds no noise in its +-: on a step under READ_STEP_SIGMA noise widths
    # (20 % noise: 5) it read 34.58 +- 0.12 K for 36.80, where the fit said 36.24 +- 0.51
    line = None
    if read is not None and step >= READ_STEP_SIGMA * point_noise:
        fit = (c0, c1, step, step_err)
        line = _normal_line_read(
            (t, m), (tw[~glitch], mw[~glitch]), fit, point_noise, shielded, top
        )
    # the fit's Tc stands where it is as sure as the data's read (a fit left degenerate by its
    # shape has a far larger +-) and agrees with it
    misfit = _shape_misfit(tw[~glitch], mw[~glitch], params, point_noise, floor)
    agree = (
        read is None
        or step < READ_STEP_SIGMA * point_noise
        or (
            not misfit
            and tc_err <= min(w, 3 * read[1] + spacing / 10)
            and abs(tc - read[0]) <= 3 * np.hypot(tc_err, read[1]) + spacing / 10
        )
    )
    if agree:  # the fit stands: an erf's shape weighed against the logistic's
        tc, tc_err, erf = _shape_average(
            tw, mw, (params, inliers, tc, tc_err), (noise, floor), sign, level
        )
        if erf is not None:  # the erf's residuals tell of a second step, not the logistic's
            resid, inliers, noise = erf
    model = 0.0
    if agree and line is not None:
        # the logistic's shape error: the fit's difference from the read on the data's own
        # normal-state line (on the logistic's, tilted by its misfit, an 8 K ramp read 0.1 K
        # low) beyond their 1-sigma (excess variance) where over 2 of it: within it the read's own
        # scatter (a 0.5 K 1-sigma beside the fit's 0.003 K) had become the fit's
        check = line[1]
        if abs(tc - check[0]) > 2 * np.hypot(tc_err, check[1]):
            model = float(np.sqrt((tc - check[0]) ** 2 - tc_err**2 - check[1] ** 2))
    tc_err = float(np.hypot(tc_err, np.hypot(spread, model)))
    between = (c0 + c1 * tw - mw) / step  # the shielded fraction, off its plateaus by 3 sigma
    between = np.abs(between - 0.5) < 0.5 - 3 * np.hypot(point_noise, step_err) / step
    sharp = read is not None and step >= READ_STEP_SIGMA * point_noise and between.sum() <= 2
    if agree and sharp:
        # a step between two points (none else off the plateaus): the fit, whose width the data
        # do not fix, stands only inside the read's bracket and no less sure (the fits had said
        # 37.79 +- 149 K for 37.92, 37.56 +- 0.31 K for 37.83 at noise 1e-4 of the step)
        agree = abs(tc - read[0]) <= np.sqrt(3.0) * read[1] and tc_err <= read[1]
    # where the read replaces the fit, a run of its outliers is the logistic's shape misfit
    # unless the data's shielding pauses part-way in it (a 3 K ramp's had been 'a second step')
    fraction = None
    if not agree:  # on the data's own normal-state line where there is one
        base, slope, height = line[0][:3] if line else params[:3]
        fraction = (base + slope * tw - mw) / height
    notes = [*sweep.notes, *_second_step(tw, resid, inliers, noise, where, fraction)]
    read_note, onset = "", tm + w * np.log(99.0)
    if not agree:
        # the logistic's shape misses the data where Tc is read (a linear or otherwise broad
        # transition): a fit that dropped the transition's points as outliers said 33.2 +- 1400
        # K for 30.8 K; read Tc off the data between its own baselines instead, and the
        # midpoint, width and onset with it (the collapsed fit's said 0.015 K wide)
        if line is not None:
            (c0, c1, step, step_err), read = line
        read_note = (
            f"{where}: the one-step logistic misses the data where it is "
            f"{criterion_text(criterion, level)} (it reads {tc:.4g} ± {tc_err:.2g} K, the data "
            f"{read[0]:.4g} ± {read[1]:.2g} K"
            f"{f'; its residuals over the transition {misfit:.3g}x those beside it' if misfit else ''}"
            f"): {_SHARP if sharp else 'the transition is not logistic-shaped'}, so Tc, "
            "the midpoint, width and onset are read off the data between "
            f"{'its own' if line else 'the fitted'} normal-state line and full shielding"
        )
        notes.append(read_note)
        tc, tc_err = read
        kept = (tw[~glitch], mw[~glitch], (c0, c1, step, step_err), noise)
        marks = [_read_off_data(*kept, x) for x in (0.5, 0.9, 0.1, 0.01)]
        if all(marks):
            (tm, _), (t90, _), (t10, _), (onset, _) = marks
            w = max((t10 - t90) / (2 * np.log(9.0)), 1e-9)
    notes += _shielding_tail(
        tw[inliers], mw[inliers], (tm, w, step), noise, shielded, tc_err, where
    )
    plateau = c0 + c1 * tmin - step
    if step <= 0:
        raise AnalysisError(
            f"{no}: the low-temperature moment lies above the normal-state baseline, not below it "
            "(no diamagnetic shielding)"
        )
    if not (step >= 10 * step_err and step >= min_step_sigma * noise):
        # only a fit whose residuals exceed the point-to-point noise cannot follow the data (two
        # steps); one as close to it as the noise allows just found a small step: at 20 % noise
        # (residuals 1.03x) the data read said 37.01 +- 0.08 K for 36.80, scatter 0.8 K
        alone = (
            _read_alone(t, m, point_noise, shielded, min_step_sigma)
            if noise > FOLLOWS_NOISE * point_noise
            else None
        )
        if alone is None:
            # a sweep cut inside the transition leaves the step's size unfixed (its 1-sigma 0.8
            # emu for a 0.094 emu step on a noiseless sweep from 35.5 K, midpoint 37 K): that it
            # is cut is the reason, as a noisier sweep's refusal says, not the step's significance
            cut = (
                _paramagnetic(t, m, point_noise, no)
                or _cut_off(t, tm, w, no)
                or _no_plateau(t, m, point_noise, step, step_err, no)
            )
            if cut:
                raise AnalysisError(cut)
            # which rule: a step 14 times its 1-sigma refused as 'not significant' with no reason
            # given read as a contradiction
            why = (
                f"under {min_step_sigma:g} times the noise of one point ({noise * 1e3:.2g} emu): "
                "too noisy a sweep to place Tc in (average more readings per point)"
                if step < min_step_sigma * noise
                else f"under 10 times its 1-sigma (noise {noise * 1e3:.2g} emu per point)"
            )
            raise AnalysisError(
                f"{no}: the drop below the normal-state baseline ({step * 1e3:.3g} ± "
                f"{step_err * 1e3:.2g} emu) is not significant: {why}"
            )
        # a transition the one step cannot follow (two phases' steps): the whole sweep read
        c0, c1, step, step_err, tc, tc_err, tm, w, onset, used = alone
        agree = False  # read off the data: its w is no logistic's
        notes.append(
            f"{where}: the one-step fit cannot follow this transition (its residuals "
            f"{noise / point_noise:.3g}x the point-to-point noise: two steps, or a broad "
            "one?); Tc, the midpoint, width and onset are read off the data between the "
            f"normal-state line above {used[1]:.4g} K and full shielding below {used[0]:.4g} K"
        )
        warnings.warn(notes[-1], TcStructureWarning, stacklevel=2)
        tw, inliers, noise = t, np.ones(t.size, bool), point_noise
    else:
        if step < min_step_fraction * float(np.max(np.abs(mw))):
            raise AnalysisError(
                f"{no}: the drop below the normal-state baseline ({step * 1e3:.3g} emu) is under "
                f"{min_step_fraction:.0%} of the signal ({np.max(np.abs(mw)) * 1e3:.3g} emu)"
            )
        if plateau >= 0:
            raise AnalysisError(
                f"{no}: the low-temperature moment is not diamagnetic ({plateau * 1e3:.3g} emu)"
            )
        if w > span / 4 * 0.95:
            raise AnalysisError(
                f"{no}: the fitted transition ({w:.3g} K wide) is as broad as the sweep: a drifting "
                "background, not a transition"
            )
        cut = _cut_off(t, tm, w, no)
        if cut:
            raise AnalysisError(cut)
        if read_note:  # said once the sweep passed every check (a refusal said it before)
            warnings.warn(read_note, TcStructureWarning, stacklevel=2)
    # the low-temperature plateau, measured and flat (said once the sweep passed every check),
    # judged where the logistic stands: read off the data, w is no logistic's (a two-step
    # sweep's read w of 4.7 K had 'no plateau' over its flat 10 K)
    if agree:
        notes += _no_low_plateau(t, m, (c1, step, tm, w), point_noise, where)
    return TcResult(
        tc_K=float(tc),
        tc_err_K=tc_err,
        criterion=criterion,
        level=float(level),
        onset_K=float(onset),
        midpoint_K=float(tm),
        width_K=w,
        sweep=sweep.label,
        baseline_slope_Am2_per_K=float(flip * c1),
        baseline_intercept_Am2=float(flip * c0),
        step_Am2=float(flip * step),
        step_err_Am2=step_err,
        noise_Am2=noise,
        fit_range_K=(float(tw[0]), float(tw[-1])),
        n_points=int(inliers.sum()),
        n_outliers=int((~inliers).sum() + spikes.sum()),
        source=source,
        warnings=tuple(notes),
    )


def _cut_off(t: np.ndarray, tm: float, w: float, no: str) -> str:
    """Why a sweep ``t`` (K, sorted) cannot place a step at ``tm``, width ``w`` (K): under 3 points
    beyond Tm +- _SIDE w on a side (it ends before the normal state or starts before full
    shielding); "" where both sides are measured."""
    above, below = int(np.sum(t > tm + _SIDE * w)), int(np.sum(t < tm - _SIDE * w))
    if above < 3:
        return (
            f"{no}: the sweep ends at {t[-1]:.4g} K, before the normal state is reached (fitted "
            f"midpoint {tm:.4g} K, width {w:.2g} K; {above} points above {tm + _SIDE * w:.4g} K, "
            "need 3)"
        )
    if below < 3:
        return (
            f"{no}: the sweep starts at {t[0]:.4g} K, before full shielding is reached (fitted "
            f"midpoint {tm:.4g} K, width {w:.2g} K; {below} points below {tm - _SIDE * w:.4g} K, "
            "need 3)"
        )
    return ""


def _paramagnetic(t: np.ndarray, m: np.ndarray, noise: float, no: str) -> str:
    """Why a sweep ``t`` (K, sorted), ``m`` (sign(H) A*m^2, ``noise`` per point) whose moment is
    positive throughout, higher at its coldest points than at its warmest (by 5 noise widths)
    and nowhere falling on cooling (by 5) has no transition: it rises on cooling, as a paramagnet's, where shielding lowers it; ""
    otherwise. A Curie-like 1/T sweep (pb6051 at 1000 Oe, above lead's critical field: 0.054 emu
    at 2 K, 0.0074 at 15 K) had been told 'the sweep ends at 15 K, before the normal state'."""
    from scipy.optimize import isotonic_regression

    k = min(3, t.size)
    cold, warm = float(np.median(m[:k])), float(np.median(m[-k:]))
    if not (np.min(m) > 0 and cold > warm + 5 * noise):
        return ""
    rising = isotonic_regression(m, increasing=False).x  # never falling on cooling
    if np.max(np.abs(m - rising)) > 5 * noise:  # a drop somewhere: a step on a Curie tail
        return ""
    return (
        f"{no}: the moment is positive throughout and rises on cooling ({warm * 1e3:.3g} emu "
        f"at {t[-1]:.4g} K, {cold * 1e3:.3g} emu at {t[0]:.4g} K), as a paramagnet's: no "
        "diamagnetic shielding (a superconductor's moment falls below its normal-state line "
        "on cooling; is the field above the critical field, or the sample not superconducting?)"
    )


def _no_plateau(
    t: np.ndarray, m: np.ndarray, noise: float, step: float, step_err: float, no: str
) -> str:
    """Why a drop of ``step`` +- ``step_err`` (A*m^2), many ``noise`` widths of one point, has
    no size the sweep ``t`` (K, sorted), ``m`` (sign(H) A*m^2) fixes: its moment still falls
    across the lowest tenth of the sweep by over 5 sigma of that change (no full-shielding
    plateau: a transition as broad as the sweep, 1 - (T/Tc)^2 from 5 to 45 K of Tc 38 K); ""
    where it is flat there, or the drop is not above the noise anyway. A 0.13 emu drop, 50
    point noises, had been refused as 'not significant' (0.080 +- 0.0095 emu)."""
    low = t <= t[0] + (t[-1] - t[0]) / 10
    if step < 10 * noise or low.sum() < 5:
        return ""
    x = t[low] - t[low].mean()
    slope = float(np.sum(x * m[low]) / np.sum(x**2))
    change = slope * float(np.ptp(t[low]))  # the moment's rise over the window (shielding lost)
    sigma = noise * float(np.ptp(t[low])) / np.sqrt(np.sum(x**2))
    if change <= 5 * sigma:
        return ""
    return (
        f"{no}: the drop below the normal-state baseline ({step * 1e3:.3g} ± "
        f"{step_err * 1e3:.2g} emu, {step / noise:.3g} times the noise of one point) has no "
        f"size the sweep fixes: the moment still rises by {change * 1e3:.2g} ± "
        f"{sigma * 1e3:.2g} emu from {t[low][0]:.4g} to {t[low][-1]:.4g} K, so full shielding "
        "is not reached (no low-temperature plateau: a transition as broad as the sweep?); "
        "start the sweep lower"
    )


def _read_alone(
    t: np.ndarray, m: np.ndarray, noise: float, shielded: float, min_step_sigma: float
) -> tuple | None:
    """Tc read off a whole sweep (``t`` K sorted, ``m`` sign(H) A*m^2, ``noise`` per point)
    without a fitted shape, for a diamagnetic, monotone step of half the signal at least, flat
    within 3 ``noise`` widths above and below it (glitches left out): the normal-state line
    through the points above the transition's onset (the highest of 3 neighbouring points 5
    noise widths under a line through the top quarter of the sweep), full shielding the median
    of the lowest tenth of the sweep under it; the shielded fraction read by
    ``_read_off_data``. Returns (c0, c1, step, step_err, Tc, its 1-sigma, midpoint, width (the
    10-90% span / 2 ln 9, as a logistic's), onset (1% shielded), (top of the shielded plateau,
    bottom of the normal line) K), or None."""
    from scipy.optimize import isotonic_regression

    keep = ~_glitches(m, noise)
    t, m = t[keep], m[keep]
    span = float(t[-1] - t[0])
    top = t >= t[-1] - span / 4
    if top.sum() < 5:
        return None
    c1, c0 = np.polyfit(t[top], m[top], 1)
    if robust_sigma(m[top] - c0 - c1 * t[top]) > 3 * noise:  # no straight normal state: a drift
        return None
    under = m < c0 + c1 * t - 5 * noise
    runs = np.flatnonzero(under[:-2] & under[1:-1] & under[2:])
    if runs.size == 0:
        return None
    normal = t > t[runs[-1] + 2]
    if normal.sum() >= 5:
        c1, c0 = np.polyfit(t[normal], m[normal], 1)
    low = t <= t[0] + span / 10
    if low.sum() < 3 or robust_sigma(m[low] - np.median(m[low])) > 3 * noise:
        return None  # full shielding is flat
    step = float(np.median(c0 + c1 * t[low] - m[low]))
    step_err = noise * float(np.sqrt(np.pi / 2 / low.sum() + 1 / max(int(normal.sum()), 1)))
    significant = step >= 10 * step_err and step >= min_step_sigma * noise
    # without a fitted shape to vouch for it, the step must be most of the signal (a drift of
    # a diamagnetic background, a random walk of 1e-8 A m^2 a point, read 1 time in 30)
    if not (significant and step >= 0.5 * np.max(np.abs(m)) and np.median(m[low]) < 0):
        return None
    falling = isotonic_regression(c0 + c1 * t - m, increasing=False).x
    if robust_sigma(c0 + c1 * t - m - falling) > 3 * noise:  # not a monotone step: a drift
        return None
    fit = (float(c0), float(c1), step, step_err)
    reads = [_read_off_data(t, m, fit, noise, x) for x in (shielded, 0.5, 0.9, 0.1, 0.01)]
    if any(r is None for r in reads):
        return None
    (tc, tc_err), (mid, _), (t90, _), (t10, _), (onset, _) = reads
    width = (t10 - t90) / (2 * np.log(9.0))
    return (*fit, tc, tc_err, mid, width, onset, (float(t[low][-1]), float(t[runs[-1] + 2])))


def _normal_line_read(
    sweep: tuple[np.ndarray, np.ndarray],
    window: tuple[np.ndarray, np.ndarray],
    fit: tuple[float, float, float, float],
    noise: float,
    shielded: float,
    top: float,
) -> tuple[tuple[float, float, float, float], tuple[float, float]] | None:
    """Tc read off the data (``_read_off_data``) between the data's own normal-state line and
    full shielding, with the background's spread in its 1-sigma; None where it cannot be read
    or its line not refitted over half its reach.

    ``sweep`` and ``window`` = (T in K sorted, M sign(H) in A*m^2): the whole sweep and the
    fitted window up to ``top`` K (glitches out); ``fit`` = the logistic's (c0, c1, step, step's
    1-sigma), whose line and plateau are tilted by its misfit on a transition it cannot follow
    (an 8 K linear ramp: Tc 0.014 K low, 2 of its 1-sigma; its onset read at 53.6 K for 39 K
    on a Curie background). The line is refitted to the points above the data's onset (1 %
    shielded) up to ``top``, the step is the median of the line minus the points below 99 %
    shielding (its 1-sigma: the median's and the plateau's tilt, half the change between its
    halves), and both ends are read again on them. The 1-sigma adds the line's own at Tc and
    the largest change of Tc when the line reaches half or twice as far, or is quadratic where
    the data show a curvature (3 sigma). Returns ((c0, c1, step, its 1-sigma), (Tc, 1-sigma))."""
    t, m = window
    end = min(top, float(sweep[0][-1]))

    def line(onset: float, reach: float, degree: int = 1) -> tuple | None:
        sel = (sweep[0] > onset) & (sweep[0] <= onset + reach * (end - onset))
        if sel.sum() < 5 + degree or (reach > 1 and sweep[0][-1] <= end):
            return None
        coef, cov = np.polyfit(sweep[0][sel], sweep[1][sel], degree, cov="unscaled")
        scatter = float(np.std(sweep[1][sel] - np.polyval(coef, sweep[0][sel]), ddof=degree + 1))
        return coef, cov * scatter**2

    def read(coef: np.ndarray, low: np.ndarray, at: float, shift: float = 0.0) -> tuple:
        normal = np.polyval(coef, t) + shift
        drop = normal[low] - m[low]
        step = float(np.median(drop))
        # a median's 1-sigma, and the plateau's own tilt: half the change between its halves
        halves = np.array_split(drop, 2)
        tilt = abs(float(np.median(halves[0]) - np.median(halves[1]))) / 2
        new = (0.0, 0.0, step, float(np.hypot(1.2533 * noise / np.sqrt(drop.size), tilt)))
        return new, (_read_off_data(t, m - normal, new, noise, at) if step > 0 else None)

    # the onset and full shielding read on the logistic's line, then once more on the data's;
    # the onset where the shielding stands 3 point noises clear of the line, at least 1 %: at 1 %
    # within the noise (1 % of a two-phase step) it was read anywhere up the normal state (47 K
    # for 39 K), and the line fitted over its last 3 K tilted the read 5 K low, +- 7 K
    first_level = max(0.01, min(3 * noise / abs(fit[2]), 0.1)) if fit[2] else 0.01
    ends = [_read_off_data(t, m, fit, noise, x) for x in (first_level, 0.99)]
    for _ in range(2):
        if ends[0] is None or ends[1] is None or np.sum(t < ends[1][0]) < 3:
            return None
        onset, low = ends[0][0], t < ends[1][0]
        central = line(onset, 1.0)
        if central is None:
            return None
        coef, cov = central
        (_, _, step, step_err), first = read(coef, low, shielded)
        level = max(0.01, min(3 * noise / step, 0.1)) if step > 0 else 0.01
        ends = [read(coef, low, x)[1] for x in (level, 0.99)]
    if first is None:
        return None
    tc, tc_err = first
    sigma_line = float(np.sqrt(max(np.array([tc, 1.0]) @ cov @ [tc, 1.0], 0.0)))
    changes = [read(coef, low, shielded, sigma_line)[1]]
    others = [line(onset, 0.5), line(onset, 2.0)]
    if others[0] is None:  # too short to refit over half its reach: the step's tail in its tilt,
        return None  # unassessed (a sweep to 42 K read 37.25 +- 0.18 K for a 36.90 K logistic)
    curved = line(onset, 1.0, 2)  # a curvature the data show (3 sigma) bends the line too
    if curved is not None and abs(curved[0][0]) > 3 * np.sqrt(max(curved[1][0, 0], 0.0)):
        others.append(curved)
    changes += [read(o[0], low, shielded)[1] for o in others if o is not None]
    spread = max((abs(c[0] - tc) for c in changes if c is not None), default=0.0)
    new_fit = (float(coef[1]), float(coef[0]), step, step_err)  # polyfit: slope first
    return new_fit, (tc, float(np.hypot(tc_err, spread)))


def _shape_average(
    t: np.ndarray,
    m: np.ndarray,
    logistic: tuple[np.ndarray, np.ndarray, float, float],
    noise: tuple[float, float],
    sign: float,
    level: float,
) -> tuple[float, float, tuple | None]:
    """Tc (K) and its 1-sigma averaged over two step shapes, the logistic and an erf of the
    same 10-90 % width, by their Akaike weights (``t`` K, ``m`` sign(H) A*m^2, the fitted
    window; ``logistic`` = its (params, inliers, Tc, 1-sigma); ``noise`` per point, the robust
    fit's scale). The erf is fitted as the logistic was (soft-L1, outliers out, least squares);
    both are judged on the points either kept, their sums of squares over the smaller one's
    variance per degree of freedom (quasi-likelihood: a real sweep's wiggles are not white
    noise); the 1-sigma holds each shape's own and its Tc's distance from the average. The two
    shapes' Tc differ by 0.026 w at 90 %: the logistic alone read an erf 0.013 K low (w 0.5 K)
    with a 1-sigma of 0.0008 K at noise 1e-4 of the step. The fitted curve stays the logistic.
    Returns (Tc, 1-sigma, the erf's robust fit (residuals, points kept, their noise) where it
    weighs more, else None)."""
    from scipy.special import ndtri

    params, inliers, tc, tc_err = logistic
    noise, floor = noise
    first, resid, _ = _fit(t, m, params, "soft_l1", noise, erf_shielding)
    scatter = max(robust_sigma(resid, about=0.0), floor)
    kept = np.abs(resid) <= _OUTLIER * scatter
    if kept.sum() < 10:
        return tc, tc_err, None
    fit, r, jac = _fit(t[kept], m[kept], first, "linear", noise, erf_shielding)
    try:
        cov = np.linalg.inv(jac.T @ jac) * max(float(r @ r) / max(int(kept.sum()) - 5, 1), floor**2)
    except np.linalg.LinAlgError:
        return tc, tc_err, None
    q = ERF_SCALE * float(ndtri(level))
    w = float(np.exp(fit[4]))
    grad = np.array([0.0, 0.0, 0.0, 1.0, sign * w * q])
    if not np.isfinite(cov).all() or not np.isfinite(tc_err):
        return tc, tc_err, None
    tcs = np.array([tc, fit[3] + sign * w * q])
    errs = np.array([tc_err, float(np.sqrt(max(grad @ cov @ grad, 0.0)))])
    if not errs[1] < np.ptp(t):  # an erf whose Tc the data leave anywhere (a step between two
        return tc, tc_err, None  # points: +- 2.8e5 K had been averaged in): no shape to weigh
    both = inliers | kept

    def ssr(p: np.ndarray, shape) -> float:
        c0, c1, step, tm, lnw = p
        d = c0 + c1 * t[both] - step * shape(t[both], tm, np.exp(lnw)) - m[both]
        return float(d @ d)

    sums = np.array([ssr(params, shielding), ssr(fit, erf_shielding)])
    scale = max(float(sums.min()) / max(int(both.sum()) - 5, 1), floor**2)
    weights = np.exp(-(sums - sums.min()) / (2 * scale))
    weights /= weights.sum()
    mean = float(weights @ tcs)
    err = float(np.sqrt(weights @ (errs**2 + (tcs - mean) ** 2)))
    return mean, err, (resid, kept, scatter) if weights[1] > 0.5 else None


def _shape_misfit(
    t: np.ndarray, m: np.ndarray, params: np.ndarray, noise: float, floor: float = 0.0
) -> float:
    """How many times the logistic's residuals' variance over the transition (the points
    between 1 % and 99 % shielded, at least 5) exceeds that beside it, where that is beyond
    chance (F test, p < ``MISFIT_P``); else 0. ``t`` K, ``m`` sign(H) A*m^2 (glitches out),
    ``params`` the fit's (c0, c1, step, Tm, ln w); ``noise`` (A*m^2) only scales the fit;
    ``floor`` (A*m^2, the data's resolution) is added to both variances. The
    step is refitted within Tm -+ ``_LOCAL`` w on a quadratic baseline of its own, and judged
    against its own scatter beside the step, so that neither a background curved under the step
    nor one wigglier than white noise (a real sweep's residuals: 46x the variance its
    point-to-point noise implies) counts:
    only a shape the logistic cannot follow (an 8 K linear ramp at noise 1/200 of the step)."""
    from scipy.optimize import least_squares
    from scipy.special import fdtrc  # F's survival function (scipy.stats: 0.8 s of import)

    tm, w = params[3], float(np.exp(params[4]))
    near = np.abs(t - tm) <= _LOCAL * w
    t, m = t[near], m[near]
    core = np.abs(t - tm) <= w * np.log(99.0)
    if core.sum() < 5 or t.size < core.sum() + 11:
        return 0.0
    x = (t - tm) / (_LOCAL * w)

    def resid(p: np.ndarray) -> np.ndarray:  # the baseline and step solved exactly for (Tm, w)
        a = np.column_stack([np.ones_like(x), x, x * x, shielding(x, p[0], np.exp(p[1]))])
        return a @ np.linalg.lstsq(a, m / noise, rcond=None)[0] - m / noise

    res = least_squares(resid, [0.0, -np.log(_LOCAL)], max_nfev=200)
    inside, outside = res.fun[core], res.fun[~core]
    least = (floor / noise) ** 2
    ratio = (float(inside @ inside / inside.size) + least) / (
        float(outside @ outside / (outside.size - 6)) + least
    )
    return ratio if fdtrc(inside.size, outside.size - 6, ratio) < MISFIT_P else 0.0


def _read_off_data(
    t: np.ndarray,
    m: np.ndarray,
    fit: tuple[float, float, float, float],
    noise: float,
    shielded: float,
) -> tuple[float, float] | None:
    """Tc (K) and its 1-sigma where the data's shielded fraction f = (c0 + c1 T - M) / step
    (``fit`` = (c0, c1, step, step's 1-sigma), ``m`` sign(H) in A*m^2 at ``t`` K sorted) falls
    through ``shielded``: f's monotone (non-increasing) least-squares fit, linear between the
    two points around its crossing. The 1-sigma holds ``noise`` per point (over the points each
    of the two values pools), the step's error and the interpolation's: half the change of the
    crossing read between the points one further out (the point spacing / sqrt 12 without them:
    a sharp step between sparse points may lie anywhere between them). Points measured at one
    temperature (closer than a tenth of the mean spacing: an MPMS-XL's three per temperature)
    are one point, their mean: an 0.75 K grid's triplets had made the neighbours one further out
    the same temperature, and the read 36.82 +- 0.006 K for 36.90. None if it never crosses."""
    from scipy.optimize import isotonic_regression

    c0, c1, step, step_err = fit
    f = (c0 + c1 * t - m) / step
    same = np.concatenate([[0], np.cumsum(np.diff(t) > 0.1 * np.ptp(t) / max(t.size - 1, 1))])
    counts = np.bincount(same).astype(float)
    t, f = np.bincount(same, t) / counts, np.bincount(same, f) / counts
    fitted = isotonic_regression(f, weights=counts, increasing=False)
    below = np.flatnonzero(fitted.x < shielded)
    if below.size == 0 or below[0] == 0:
        return None
    k = int(below[0])

    def crossing(a: int, b: int) -> tuple[float, float]:
        fa, fb = fitted.x[a], fitted.x[b]
        slope = (fb - fa) / (t[b] - t[a]) if t[b] > t[a] and fb < fa else -np.inf
        return t[a] + (shielded - fa) / slope, slope

    tc, slope = crossing(k - 1, k)
    pooled = np.add.reduceat(counts, fitted.blocks[:-1])[
        np.searchsorted(fitted.blocks, [k - 1, k], side="right") - 1
    ]
    sigma_f = noise / step * float(np.sqrt(np.mean(1.0 / pooled)))
    spread = np.hypot(sigma_f, shielded * step_err / step) / abs(slope)
    plateau = 3 * np.hypot(noise / step, step_err / step)  # f this close to 1 or 0: a plateau
    if k >= 2 and k + 1 < t.size:
        if fitted.x[k - 2] >= 1 - plateau and fitted.x[k + 1] <= plateau:
            # no point inside the step but the two around the crossing: it lies anywhere
            # between them (uniform), not where a line through them says (0.1 of the way)
            tc, interp = (t[k - 1] + t[k]) / 2, (t[k] - t[k - 1]) / np.sqrt(12.0)
        else:
            interp = abs(crossing(k - 2, k + 1)[0] - tc) / 2
    else:
        interp = (t[k] - t[k - 1]) / np.sqrt(12.0)
    return float(tc), float(np.hypot(spread, interp))


def _glitches(m: np.ndarray, noise: float) -> np.ndarray:
    """Boolean: the points more than 5 ``noise`` widths off the running median of ``2 _RUN - 1``
    neighbours (a glitch of up to ``_RUN - 1`` points; a monotone step, however sharp, is its
    own median)."""
    from scipy.ndimage import median_filter

    return np.abs(m - median_filter(m, size=2 * _RUN - 1, mode="nearest")) > 5 * noise


def _second_step(
    t: np.ndarray,
    resid: np.ndarray,
    inliers: np.ndarray,
    noise: float,
    where: str,
    fraction: np.ndarray | None = None,
) -> tuple[str, ...]:
    """A note (and a ``TcStructureWarning``) when ``_RUN`` or more neighbouring points (``t``
    sorted, K) inside the fitted range are outliers on the same side of the fit: a second
    transition the one step cannot follow (a minority phase), left out of the fit and of
    ``tc_err_K`` (or, where the data read replaces the fit, ``fraction`` given, kept in the
    read); else (). A run at either end of the range (a low-temperature paramagnetic upturn, a
    curving background far from the step) is the baseline's, not a step's."""
    side = np.where(inliers, 0, np.sign(resid)).astype(int)
    edges = np.flatnonzero(np.diff(side, prepend=0, append=0))  # where a run of one value starts
    runs = [
        (i, j)
        for i, j in zip(edges[:-1], edges[1:], strict=True)
        if side[i] != 0 and i > 0 and j < t.size
    ]
    if not runs:
        return ()
    i, j = max(runs, key=lambda r: r[1] - r[0])
    if j - i < _RUN:
        return ()
    if fraction is not None:  # the data's shielded fraction: a second step pauses it part-way
        f = np.lib.stride_tricks.sliding_window_view(fraction[i:j], _RUN)
        paused = (
            (np.ptp(f, axis=1) < _PAUSE) & (f.min(axis=1) > _PAUSE) & (f.max(axis=1) < 1 - _PAUSE)
        )
        if not paused.any():
            return ()
    fate = (
        ", and are left out of it: a second transition (another phase)? Tc's ± does not include this"
        if fraction is None
        else ": a second transition (another phase)? Tc is read off the data, these points included"
    )
    note = (
        f"{where}: {j - i} neighbouring points from {t[i]:.4g} to {t[j - 1]:.4g} K lie "
        f"{np.min(np.abs(resid[i:j])) / noise:.3g}+ noise widths off the single-step fit, all on "
        f"one side{fate}"
    )
    warnings.warn(note, TcStructureWarning, stacklevel=3)
    return (note,)


def _shielding_tail(
    t: np.ndarray,
    m: np.ndarray,
    fit: tuple[float, float, float],
    noise: float,
    shielded: float,
    tc_err_K: float,
    where: str,
) -> tuple[str, ...]:
    """A note (and a ``TcStructureWarning``) when the moment (``m`` sign(H), A*m^2, at ``t`` K)
    keeps falling with falling temperature below the fitted step ``fit`` = (Tm, w, step; taken
    out of ``m`` first), 5 standard errors (``noise`` per point) and ``TAIL_FRACTION`` of the
    step more than the normal state above it falls (two straight lines, beyond Tm -+ 3 w, 5+
    points each): shielding that grows below the step (weak links, a field that
    penetrates as Jc falls), which the one step's shared baseline slope takes up, so Tc at the
    step's level is not the same fraction of the whole shielding (a 30% linear tail below a sharp
    step: 89.98 K for 83.3 K, no other sign). Named when that moves Tc (the logistic read at
    ``shielded`` x (1 + tail / step) instead of ``shielded``) by over 2 ``tc_err_K`` and
    ``TAIL_SHIFT_K``. A Curie upturn rises instead: no note; else ()."""
    tm, w, step = fit
    m = m + step * shielding(t, tm, w)  # the fitted step taken out: its foot tilts no line
    fits = []
    for side in (t < tm - _SIDE * w, t > tm + _SIDE * w):
        if side.sum() < 5:
            return ()
        coef, cov = np.polyfit(t[side], m[side], 1, cov="unscaled")
        fits.append((float(coef[0]), noise * float(np.sqrt(max(cov[0, 0], 0.0)))))
    (low, low_err), (high, high_err) = fits
    reach = tm - _SIDE * w - float(t[0])
    extra, extra_err = (low - high) * reach, float(np.hypot(low_err, high_err)) * reach
    if not (extra > 5.0 * extra_err and extra > TAIL_FRACTION * abs(step)):
        return ()
    whole = shielded * (1 + extra / abs(step))
    logit = np.log(shielded / (1 - shielded))
    shift = w * (np.log(whole / (1 - whole)) - logit) if whole < 1 else np.inf
    if not shift > max(2 * tc_err_K, TAIL_SHIFT_K):
        return ()
    moved = (
        f"about {shift:.2g} K lower"
        if np.isfinite(shift)
        else f"over {w * (_SIDE - logit):.2g} K lower"
    )
    note = (
        f"{where}: below the step the shielding keeps growing as the temperature falls, by "
        f"{extra / abs(step):.0%} of the fitted step down to {t[0]:.4g} K beyond the normal "
        "state's slope (a broad tail below the main step: weak links, or penetration as Jc "
        "falls? or a background curved under the step): the one-step fit takes it into its "
        f"baseline, so Tc at the same fraction of the whole shielding lies {moved}; its ± "
        f"({tc_err_K:.2g} K) does not include this"
    )
    warnings.warn(note, TcStructureWarning, stacklevel=3)
    return (note,)


def _no_low_plateau(
    t: np.ndarray, m: np.ndarray, fit: tuple[float, float, float, float], noise: float, where: str
) -> tuple[str, ...]:
    """A note (and a ``TcStructureWarning``) when the sweep ``t`` (K, sorted), ``m`` (sign(H)
    A*m^2, ``noise`` per point) shows no full-shielding plateau below the step ``fit`` = (c1
    the normal-state slope, step, Tm, w): under 5 points or under one width w measured below
    Tm - _SIDE w, or the coldest half of those points (5+) still falling with falling
    temperature, with the fitted step taken out, beyond the normal-state slope (fitted above Tm
    + _SIDE w) by 5 standard errors, ``PLATEAU_FRACTION`` of the step and ``PLATEAU_RATE`` of
    it per K (or all of them so, and the coldest half at least half as steeply). The sweep then starts inside the transition:
    the full step, and Tc at a fraction of it, rest on the logistic's extrapolation, and any
    shielding that grows further below the sweep puts Tc lower (a tail of 30% of the shielding
    below a sharp step at 36 K, swept from 30 K: Tc 34.8 +- 0.07 K for 12 K, no note); ()
    where the plateau is measured and flat."""
    c1, step, tm, w = fit
    below = np.flatnonzero(t < tm - _SIDE * w)
    start = (
        f"{where}: the sweep starts at {t[0]:.4g} K, inside the transition (fitted midpoint "
        f"{tm:.4g} K, width {w:.2g} K): "
    )
    after = (
        "so the full step and Tc at a fraction of it rest on the logistic's extrapolation "
        "below the sweep; shielding that grows further down puts Tc lower (read it as an upper "
        "bound; start the sweep lower)"
    )
    if below.size < 5 or t[below[-1]] - t[below[0]] < w:
        note = (
            f"{start}full shielding is measured at {below.size} point(s) below "
            f"{tm - _SIDE * w:.4g} K, over {np.ptp(t[below]) if below.size else 0:.2g} K (no "
            f"low-temperature plateau: 5 points over one width, {w:.2g} K, needed), {after}"
        )
    else:
        above = t > tm + _SIDE * w  # the normal state's own slope: the shared baseline's
        if above.sum() >= 5:  # takes up part of a tail (4.4e-8 for 2e-10 A m^2/K)
            c1 = float(np.polyfit(t[above], m[above], 1)[0])
        rest = m + step * shielding(t, tm, w) - c1 * t  # flat where fully shielded

        def rise(points: np.ndarray) -> tuple[float, float, float]:
            """The slope (A*m^2/K) of ``rest`` over ``points``, its 1-sigma and their span (K)."""
            coef, cov = np.polyfit(t[points], rest[points], 1, cov="unscaled")
            return (
                float(coef[0]),
                noise * float(np.sqrt(max(cov[0, 0], 0.0))),
                float(np.ptp(t[points])),
            )

        # the coldest half of the points below the step still rising (5 sigma), or all of them
        # rising (5 sigma) and the coldest half at least half as steeply: a noisy sweep's
        # coldest half alone could not tell a 1%/K tail (5% point noise, 2.4 sigma)
        cold = below[: max(5, below.size // 2)]
        (slope, err, reach), (whole, whole_err, whole_reach) = rise(cold), rise(below)
        if slope * reach > 5 * err * reach:
            growth, sigma, tc_ = slope * reach, err * reach, t[cold]
        elif whole > 5 * whole_err and slope >= 0.5 * whole:
            growth, sigma, tc_ = whole * whole_reach, whole_err * whole_reach, t[below]
        else:
            return ()
        if growth <= abs(step) * max(PLATEAU_FRACTION, PLATEAU_RATE * float(np.ptp(tc_))):
            return ()
        note = (
            f"{start}below the step the shielding still grows as the temperature falls, by "
            f"{growth / abs(step):.1%} ± {sigma / abs(step):.1%} of the fitted step from "
            f"{tc_[-1]:.4g} down to {tc_[0]:.4g} K beyond the normal state's slope (no "
            f"low-temperature plateau), {after}"
        )
    warnings.warn(note, TcStructureWarning, stacklevel=3)
    return (note,)


def tc_from_table(
    table: MeasurementTable, *, criterion: str = DEFAULT_CRITERION, level: float = 0.9, **kwargs
) -> list[TcResult]:
    """Tc of every sweep of an M(T) file; AnalysisError if none shows a transition."""
    check_table(table, "tc_from_table")
    results, reasons = [], []
    for sweep in split_sweeps(table):
        try:
            results.append(
                find_tc(
                    sweep,
                    criterion=criterion,
                    level=level,
                    source=table.metadata.filename,
                    **kwargs,
                )
            )
        except AnalysisError as err:
            reasons.append(str(err))
    if not results:
        raise AnalysisError("; ".join(reasons))
    return results
