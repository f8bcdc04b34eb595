"""Extended Bean model for a rectangular bar or a cylinder: Jc(B) from the width of its M(H) loop.

Bar with edges a <= b perpendicular to the field, c along it; dM the loop width at equal field:

    Jc = 20 dM / (a (1 - a / (3 b)))   [A/cm^2, dM in emu/cm^3, a and b in cm]
    Jc = 2 dM / (a (1 - a / (3 b)))    [SI: A/m^2, dM in A/m, a and b in m]

Cylinder (a disc) of diameter D (given as a = b) and thickness c along the field: fully penetrated
it carries m = pi Jc R^3 c / 3 (R = D / 2) in its volume pi R^2 c, M = +-Jc R / 3, so

    Jc = 30 dM / D   [A/cm^2, dM in emu/cm^3, D in cm];   Jc = 3 dM / D   [SI]

(Bean 1964; the bar's formula at a = b, with the cylinder's volume: a disc entered as a D x D x c
bar has 4/pi its volume, M and Jc 21 % low).

valid where the bar is fully penetrated. It is not at low field (the remanent peak: the
self-field mu0 Jc a / 2 is comparable with the applied field, so B inside is not mu0 H) and
just after the turning field (the reversed branch needs a field change of about twice the
full-penetration field). Those points are flagged in the ``JcCurve``, not removed or smoothed.
"""

from __future__ import annotations

import warnings

import numpy as np

from fluxtrap.errors import AnalysisError, ValidationError
from fluxtrap.jctable import JC_BULK_MIN
from fluxtrap.magnetometry.jc import JcCurve
from fluxtrap.magnetometry.loops import (
    TEMPERATURE_SPAN_FRACTION,
    TEMPERATURE_SPAN_K,
    HalfLoopWarning,
    LoopWidth,
    NotSuperconductingWarning,
    OutlierReadingWarning,
    RepeatedMeasurementWarning,
    check_sample,
    interp_sigma,
    loop_width,
    merge_close,
    sample_text,
    sample_volume,
)
from fluxtrap.magnetometry.table import MU0, MeasurementTable, check_table, robust_sigma


def bean_jc(
    dm_A_m: np.ndarray | float, a_m: float, b_m: float, shape: str = "bar"
) -> np.ndarray | float:
    """Extended Bean Jc (A/m^2) from the loop width ``dm_A_m`` (A/m) of an a x b bar (m, or with
    a unit: ``check_sample``), or 3 dM / D of a cylinder of diameter D = a = b (the bar's formula
    at a = b: the shapes differ in their volume, ``sample_volume``)."""
    a_m, b_m, _ = check_sample(a_m, b_m, b_m, shape)
    return 2.0 * np.asarray(dm_A_m, dtype=float) / (a_m * (1.0 - a_m / (3.0 * b_m)))


IRREVERSIBLE_SIGMA = 3.0  # a loop width counts as irreversible above this many standard errors
# a loop width point this many standard errors off its 5-point running median is a glitch
GLITCH_SIGMA = 8.0
MAX_GLITCHES = 10  # more such points are not glitches but noise the errors understate
# the loop's own scatter (its branches' readings about a smooth curve, at most the two field
# quadrants' difference) this many times the file's moment errors: the error column understates
# the noise and is scaled up by that factor (not the quadrants alone: a 2 mT field offset made
# them differ 50x a true column)
ERR_COLUMN_TRUST = 3.0
# Full shielding bounds the loop width: dM <= 2 H_max / (1 - N); allowed up to twice that (the
# estimate of 1 / (1 - N), noise). A moment in emu labelled A*m^2, or edges 10x too small, is 1000x.
SHIELDING_MARGIN = 2.0
# A Jc(B) whose largest value is below JC_REFUSED (A/m^2, 1e-4 A/cm^2; the simulator refuses it
# too) is a unit mistake (a moment in mu_B labelled as such but holding emu: 2e-12 A/m^2); below
# jctable.JC_BULK_MIN (100 A/cm^2) it is kept with a warning: edges in cm for mm lower Jc 1e4x, a
# moment in A*m^2 labelled emu 1000x.
JC_REFUSED = 1.0
# The header's sample mass over the bar's edges: bulk superconductors lie at 2-9 g/cm^3 (porous
# MgB2 ~1.3, YBCO 6.4, Nb3Sn 8.9, Pb 11.3); outside this range an edge is in the wrong unit
# (one edge in cm for mm: 10x, Jc 10x too low with no other sign) or the mass is not the bar's.
DENSITY_RANGE_G_CM3 = (1.0, 25.0)
# The loop's reversible slope at high field (loops.linear_background) over full shielding V/mu0:
# a background (holder, substrate, core diamagnetism) is |chi| < 1e-3 of it; above this the
# branches still shield there and the loop turned below the penetration field: a minor loop to
# 0.2 T of a bar penetrated at 0.63 T had read Jc 0.06-0.0015x the truth, 81 % of its points
# unflagged, |z| up to 6e4.
MINOR_LOOP_SHIELDING = 0.3
# The virgin branch's lowest moment over the field it is reached at, mu0 |dm| / (V dB)
# (loops.virgin_extreme): the critical state's shielding at penetration, about 1/2 of a slab's
# full shielding whatever Jc is (synthetic bars, plates and discs 0.36-1.9). Below this the
# moment is too small for the volume: a column in A*m^2 labelled emu reads 1000x small (5e-4),
# and so does Jc, which no other check sees (a 1e9 A/m^2 bar read 1e6 A/m^2, 100 A/cm^2).
SHIELDING_FRACTION_MIN = 0.02
# The same over a sample not thinner along the field than across it (c >= a: a bar, a cube, a
# rod; 0.51-0.62 over synthetic ones, Kim Jc0 3e8-1e10 A/m^2, B0 0.05-2 T; a plate's reaches 7):
# below this one of its edges is given 10x too large (cm for mm: c or b x10 read 0.05-0.07, Jc
# 10x low, a mass-less file with no word) or the moment is a tenth of the sample's.
SHIELDING_FRACTION_BAR = 0.15
# The strongest static magnets reach 45 T (hybrid; superconducting ones 16 T for magnetometry):
# a loop turning above it is a field column 10x off its label (kOe labelled T: a 7 T loop read
# to 70 T, under the readers' 100 T, and jc_3T was Jc at 0.3 T, 3.1x the truth, with no word),
# or a pulsed-field loop, whose fast sweep the extended Bean model does not describe.
STATIC_FIELD_MAX_T = 45.0


class ImplausibleJcWarning(UserWarning):
    """A Jc(B) so low that a unit mistake is likely (kept in the curve's settings warnings)."""


def drifted(range_K: tuple[float, float] | list[float]) -> bool:
    """A loop's temperatures (2nd..98th percentile, K) span more than ``TEMPERATURE_SPAN_K`` and
    ``TEMPERATURE_SPAN_FRACTION`` of their top."""
    lo, hi = range_K
    return hi - lo > max(TEMPERATURE_SPAN_K, TEMPERATURE_SPAN_FRACTION * abs(hi))


class TemperatureDriftWarning(UserWarning):
    """The temperature drifted during the loop's branches (kept in the curve's settings warnings)."""


def full_shielding_width(field_max_T: float, a_m: float, b_m: float, c_m: float) -> float:
    """Largest loop width dM (A/m) of an a x b x c bar (c along the field) up to ``field_max_T``.

    A perfectly shielding sample has M = -H / (1 - N) on the way up and +H / (1 - N) on the way
    down; 1 / (1 - N) is taken as 1 + sqrt(a b) / c (1 for a long bar, about 2 for a cube where
    the exact 1.5, and above the thin-plate value 0.6..0.8 sqrt(a b) / c: an upper bound).
    """
    return 2.0 * field_max_T / MU0 * (1.0 + np.sqrt(a_m * b_m) / c_m)


def check_full_shielding(
    dm_A_m: np.ndarray,
    field_max_T: float,
    a_m: float,
    b_m: float,
    c_m: float,
    where: str,
    shape: str = "bar",
) -> None:
    """ValidationError if the loop width (A/m, ``(n,)``) exceeds full shielding by ``SHIELDING_MARGIN``."""
    bound = full_shielding_width(field_max_T, a_m, b_m, c_m)
    factor = float(np.max(np.abs(_running_median(dm_A_m)))) / bound
    if factor > SHIELDING_MARGIN:
        raise ValidationError(
            f"{where}: the loop width is {factor:.3g} times the most a fully shielding "
            f"{sample_text(a_m, b_m, c_m, shape)} can show up to "
            f"{field_max_T:.3g} T ({bound:.3g} A/m): is the moment in emu but labelled A*m^2 "
            "(x1000), or are the sample edges too small (each 10x = 1000x in volume)?"
        )


def _running_median(x: np.ndarray, k: int = 5) -> np.ndarray:
    """Median over ``k`` neighbours (fewer at the ends), ``(n,)``: one glitch cannot pass a threshold."""
    from scipy.ndimage import median_filter

    return median_filter(x, size=k, mode="nearest") if x.size >= k else x


def jc_from_width(
    width: LoopWidth,
    a_m: float,
    b_m: float,
    c_m: float,
    *,
    source: str = "",
    force: bool = False,
    shape: str = "bar",
) -> JcCurve:
    """Jc(B) for B >= 0 from a loop width of an a x b x c bar (m, or with a unit, "0.5 mm":
    ``check_sample``), or of a cylinder (``shape``
    "cylinder": diameter a = b, thickness c; see ``bean_jc``, ``sample_volume``); the two field
    quadrants are averaged where both exist.

    Gaps (``width.gaps_T``, field ranges a branch has no points in) are filled from the other
    quadrant; where both quadrants miss a range, Jc is interpolated across it and the |B|
    intervals are kept in ``settings["gaps_T"]`` (``pipeline.objective_values`` reads nothing there).

    Uncertainty: the width's 1-sigma comes from the file's moment errors (``width.dm_err_Am2``,
    propagated through the interpolation and the quadrant average), else from the
    branches' own scatter (``width.dm_scatter_Am2``, propagated the same way; scaled down to the
    two quadrants' difference over ``QUADRANT_FIELDS`` fields where that is smaller, as on coarse
    field steps); ``settings["jc_err_from"]`` says which. File errors that this scatter exceeds
    ``ERR_COLUMN_TRUST`` times over are scaled up by that factor. That is the noise part
    (``settings["jc_err_noise_A_m2"]``); ``jc_err_A_m2`` adds the model's own error in quadrature
    (``self_field_bias``, ``settings["jc_err_self_field_A_m2"]``; in the turning zone the drop from
    Jc 2 B_sf lower). The self-field bias itself is subtracted from Jc where the sample is swept
    beyond 2 B_sf (``settings["jc_self_field_bias_A_m2"]``). Irreversibility: the loop is
    irreversible where the 5-point running median of the width exceeds ``IRREVERSIBLE_SIGMA``
    standard errors (the larger of the file's and the scatter's); Jc is given up to the highest
    such field, the irreversibility field (kept in ``settings``; ``irreversibility_reached`` is False
    when under 3 points lie above it: the turning field, where every loop closes), and cut above it. Points below it with dm <= 0 are dropped (counted). No
    irreversible field range at all: AnalysisError. The width's ``notes`` (rows repeated, the
    loop swept again) are warned (``RepeatedMeasurementWarning``) and kept in ``settings``.
    A virgin branch that does not shield (``width.not_superconducting``): AnalysisError, unless ``force``; then a
    ``NotSuperconductingWarning`` is emitted and the warning and ``forced`` kept in ``settings``.
    """
    a_m, b_m, c_m = check_sample(a_m, b_m, c_m, shape)
    where = source or "loop"
    notes = list(width.notes)
    for note in notes:
        warnings.warn(note, RepeatedMeasurementWarning, stacklevel=2)
    if width.half_loop:  # the stated assumption, with the curve
        notes.append(width.half_loop)
        warnings.warn(width.half_loop, HalfLoopWarning, stacklevel=2)
    if width.spikes:
        notes.append(width.spikes)
        warnings.warn(width.spikes, OutlierReadingWarning, stacklevel=2)
    flipped = _clockwise(width.dm_Am2)
    if width.not_superconducting:
        if not force:
            raise AnalysisError(
                f"{where}: not a superconductor's loop: {width.not_superconducting} "
                + (  # forced, a flipped loop's width is below zero: no Jc either
                    f"(refused){flipped}"
                    if flipped
                    else "(refused; force=True, --force on the command line or the dashboard "
                    "upload's 'store even if the loop does not shield' box derives a Jc anyway "
                    "and records that it was forced)"
                )
            )
        notes.append(f"{where}: {width.not_superconducting} (Jc derived anyway: forced)")
        warnings.warn(notes[-1], NotSuperconductingWarning, stacklevel=2)
    elif width.virgin_slope_Am2_per_T is None and width.reversible_rise is None:
        # neither check could judge (a loop cut to one field quadrant: a molecular magnet's
        # -7..-2.2 T read Jc 1413 A/cm^2 at 5 T with no word): said, not passed silently
        notes.append(
            f"{where}: not checked for a superconductor's loop: no virgin branch that shows "
            "shielding, and the branches do not both run through zero field (they share "
            f"{width.field_T.min():.3g}..{width.field_T.max():.3g} T), where a ferro- or "
            "paramagnet's magnetization would show; its hysteresis reads as a Jc as well "
            "(measure the loop through zero field to check)"
        )
        warnings.warn(notes[-1], NotSuperconductingWarning, stacklevel=2)
    volume = sample_volume(a_m, b_m, c_m, shape)
    shielding = -(width.high_field_slope_Am2_per_T or 0.0) * MU0 / volume
    most = full_shielding_width(MU0, a_m, b_m, c_m) / 2  # 1 / (1 - N) at most, V/mu0
    if shielding > SHIELDING_MARGIN * most:  # no sample shields more: a unit, not a minor loop
        raise ValidationError(
            f"{where}: at its high fields (0.7-1 x {width.field_max_T:.3g} T) the loop's slope "
            f"dm/dB is {shielding:.3g} V/mu0 for the {sample_text(a_m, b_m, c_m, shape)}, "
            f"{shielding / most:.3g} times the most any sample of that shape shields ({most:.3g} "
            "V/mu0): are the sample's dimensions too small (each 10x = 1000x in volume; um for "
            "mm), or is the moment in emu but labelled A*m^2 (x1000)?"
        )
    # a width no sample can show is a unit (emu labelled A*m^2) before a minor loop: a 1000x
    # moment's high-field slope had been told to 'sweep further'
    check_full_shielding(width.dm_Am2 / volume, width.field_max_T, a_m, b_m, c_m, where, shape)
    if shielding > MINOR_LOOP_SHIELDING:
        raise AnalysisError(
            f"{where}: the loop never fully penetrated the sample: at its high fields (0.7-1 x "
            f"{width.field_max_T:.3g} T) the branches still shield, dm/dB = {shielding:.2g} V/mu0 "
            "(full shielding is 1 V/mu0 or more, no background comes near it), a minor loop below "
            "the penetration field; its width is no Jc (the extended Bean model needs a fully "
            "penetrated sample): sweep further"
            + (
                f" (or, over 1 V/mu0, check the dimensions: the "
                f"{sample_text(a_m, b_m, c_m, shape)} given too small?)"
                if shielding > 1
                else ""
            )
        )
    depth = penetration_depth(a_m, c_m, shape)
    b, dm = width.field_T, width.dm_Am2 / volume
    dm_err = width.dm_err_Am2 / volume
    grid = np.unique(np.abs(b))
    grid = merge_close(grid, 1e-5 * float(np.ptp(b)))
    # the two field quadrants, averaged where both were measured; a quadrant's gaps (a branch
    # without points there) are filled from the other, and only where both miss interpolated
    holes = (
        [(max(g0, 0.0), g1) for g0, g1 in width.gaps_T if g1 > 0],
        [(max(-g1, 0.0), -g0) for g0, g1 in width.gaps_T if g0 < 0],
    )
    scatter_in = width.dm_scatter_Am2 / volume
    value, err, noise = np.zeros((3, 2, grid.size))
    inside, measured = np.zeros((2, 2, grid.size), bool)
    ranges = []
    for k, side in enumerate((b >= 0, b <= 0)):
        bb, dd, ee, ss = np.abs(b[side]), dm[side], dm_err[side], scatter_in[side]
        order = np.argsort(bb)
        bb, dd, ee, ss = bb[order], dd[order], ee[order], ss[order]
        if bb.size >= 2:
            inside[k] = (grid >= bb[0]) & (grid <= bb[-1])
            measured[k] = inside[k] & ~_within(grid, holes[k])
            value[k] = np.interp(grid, bb, dd)
            err[k] = interp_sigma(grid, bb, ee)
            noise[k] = interp_sigma(grid, bb, ss)
            ranges.append((bb[0], bb[-1], holes[k]))
            # near the quadrant's own turning field its reversed branch has not swept the bar:
            # the other quadrant, where measured, stands in (see the turning flag below)
            reach = 2 * MU0 * bean_jc(np.clip(value[k], 0, None), a_m, b_m) * depth
            measured[k] &= grid <= bb[-1] - reach
    use = np.where(measured.any(axis=0), measured, inside)
    count = use.sum(axis=0)
    has = count > 0
    grid, dm_pos = grid[has], (use * value).sum(axis=0)[has] / count[has]
    file_err = np.sqrt(np.where(use, err**2, 0.0).sum(axis=0)[has]) / count[has]
    scatter = np.sqrt(np.where(use, noise**2, 0.0).sum(axis=0)[has]) / count[has]
    gaps = _uncovered(ranges)
    if grid.size < 3:
        raise AnalysisError(f"{where}: the loop width has {grid.size} distinct fields (needs 3)")
    check_full_shielding(dm_pos, width.field_max_T, a_m, b_m, c_m, where, shape)
    # the two quadrants' difference is free of curvature (coarse steps: the branches' scatter
    # reads it as noise), not of a field offset (an exact 0 is one reading shared by both)
    both = measured.all(axis=0) & (value[0] != value[1])
    z = (value[0] - value[1])[both] / np.maximum(np.hypot(noise[0], noise[1])[both], 1e-300)
    if z.size >= QUADRANT_FIELDS:
        scatter = scatter * min(1.0, robust_sigma(z, about=0.0))  # 0 by symmetry
    from_file = bool(np.isfinite(file_err).all() and np.any(file_err > 0))
    err_from = "moment error column" if from_file else "loop-width scatter"
    pos = file_err > 0
    understated = float(np.median(scatter[pos] / file_err[pos])) if pos.any() else 0.0
    if from_file and understated > ERR_COLUMN_TRUST:
        file_err = file_err * understated
        err_from = (
            f"moment error column x {understated:.3g} (the loop scatters {understated:.3g}x "
            "more than it says: its branches' readings about a smooth curve, and the two field "
            "quadrants' widths where both were measured)"
        )
    if from_file and not (file_err > 0).all():  # a 0 in the column (one scan) is no error bar
        file_err = np.where(file_err > 0, file_err, scatter)
        err_from += " (the loop-width scatter where it says 0)"
    sigma = np.maximum(file_err, scatter) if from_file else scatter
    # points flagged below (not fully penetrated, the turning zone) are no glitches: where a
    # half loop's virgin branch joins the envelope the width bends sharply, and 4 such points
    # had been replaced and named 'a glitch'; flagged here from the width's running median,
    # which one glitch does not move
    b_pre = MU0 * bean_jc(np.clip(_running_median(dm_pos), 0, None), a_m, b_m) * depth
    flagged = (grid < b_pre) | (grid > width.field_max_T - 2 * b_pre)
    dm_pos, glitch = _despiked(grid, dm_pos, np.maximum(sigma, 1e-300), flagged)
    if glitch.any():
        fields = ", ".join(f"{f:.3g}" for f in grid[glitch][:5])
        notes.append(
            f"{where}: {int(glitch.sum())} point(s) of the loop width (|B| = {fields}"
            f"{' ...' if glitch.sum() > 5 else ''} T) lay over {GLITCH_SIGMA:g} standard errors "
            "off the running median of their neighbours (a glitch) and were replaced by the line "
            "between the points around them"
        )
    left = (
        _glitches_left(dm_pos, np.maximum(sigma, 1e-300), flagged)
        if glitch.sum() >= MAX_GLITCHES
        else 0
    )
    if left:  # past the glitch filter's limit: said, not hidden (it had been silent)
        notes.append(
            f"{where}: {left} more point(s) of the loop width lie over {GLITCH_SIGMA:g} standard "
            f"errors off the running median of their neighbours, past the {MAX_GLITCHES} glitches "
            "replaced: the loop scatters with heavier tails than its error bar says, so Jc there "
            "and its 1-sigma are not to be trusted (look at the loop)"
        )
        warnings.warn(notes[-1], OutlierReadingWarning, stacklevel=2)
    significant = _running_median(dm_pos) > IRREVERSIBLE_SIGMA * np.maximum(sigma, 1e-300)
    if 0 < significant.sum() < 3:  # a coarse loop, not a reversible one: say so
        raise AnalysisError(
            f"{where}: the loop width is irreversible at only {int(significant.sum())} of its "
            f"{grid.size} distinct fields (|B| = {', '.join(f'{f:.3g}' for f in grid)} T); a Jc(B) "
            "needs 3: the branches have too few points, measure the loop in finer field steps"
        )
    if significant.sum() < 3:
        raise AnalysisError(
            f"{where}: no irreversible magnetization: the loop width (median "
            f"{np.median(dm_pos) * volume * 1e3:.3g} emu) is nowhere {IRREVERSIBLE_SIGMA:g} standard errors "
            f"({np.median(sigma) * volume * 1e3:.2g} emu) above zero; is this a superconductor's loop?"
            f"{flipped}"
        )
    b_irr = float(grid[significant].max())
    below = grid <= b_irr
    ok = below & (dm_pos > 0)
    kept_grid, kept_dm = grid[ok], dm_pos[ok]
    jc = bean_jc(kept_dm, a_m, b_m)
    jc_noise = bean_jc(file_err[ok] if from_file else scatter[ok], a_m, b_m)
    # full-penetration (self) field of the sample: mu0 Jc a / 2 for a slab, less for a thin plate,
    # mu0 Jc h asinh(R / h) for a cylinder
    b_sf = MU0 * jc * depth
    turning = kept_grid > width.field_max_T - 2 * b_sf
    # near the turning field the width falls to 0 (the reversed branch has not swept the bar):
    # Jc there is low by up to its difference from Jc 2 B_sf below, which is stated as its error;
    # the other points' derivatives are taken without them (their drop had made the curvature
    # cancel the slope term: 0.01 % stated, 0.19 % off, 22 sigma, 1.4 T below a 3 mm cube's turn)
    below_turn = np.interp(kept_grid - 2 * b_sf, kept_grid, jc)
    jc_model = np.abs(below_turn - jc)
    swept = ~turning
    bias = np.zeros_like(jc)
    if swept.sum() >= 2:
        geometry = self_field_geometry(a_m, b_m, c_m, shape)
        bias[swept], jc_model[swept] = self_field_bias(
            kept_grid[swept], jc[swept], b_sf[swept], geometry, jc_noise[swept]
        )
    jc = jc - bias
    jc_err = np.hypot(jc_noise, jc_model)
    unpen = (kept_grid < b_sf) | turning
    if kept_grid.size < 2:
        raise AnalysisError(
            f"{where}: only {kept_grid.size} positive loop width below the irreversibility field "
            f"{b_irr:.3g} T"
        )
    _check_plausible(jc, sample_text(a_m, b_m, c_m, shape), where, notes)
    _check_density(width.mass_kg, volume, sample_text(a_m, b_m, c_m, shape), where, notes)
    if width.field_max_T > STATIC_FIELD_MAX_T:
        notes.append(
            f"{where}: the loop turns at {width.field_max_T:.3g} T, beyond the "
            f"{STATIC_FIELD_MAX_T:g} T of the strongest static magnet: is the field column in kOe "
            f"(or another unit 10x smaller) but labelled T? Then the loop turns at "
            f"{width.field_max_T / 10:.3g} T and every Jc here belongs to a field 10x lower: fix "
            "the column's label. (A pulsed-field loop: the extended Bean model assumes a slow "
            "sweep.)"
        )
        warnings.warn(notes[-1], ImplausibleJcWarning, stacklevel=2)
    if not width.not_superconducting:  # a forced non-superconductor has its own warning
        sample = sample_text(a_m, b_m, c_m, shape)
        if width.virgin_extreme is not None:
            _check_shielding(width.virgin_extreme, volume, sample, where, notes, plate=c_m < a_m)
        elif (~below).sum() < 3 and width.turning_extreme is not None:
            # irreversible up to its turning fields: a critical state there
            _check_shielding(width.turning_extreme, volume, sample, where, notes, by="turning")
        else:  # reversible at its turns (or the zone unresolved): the remanent peak's shift
            _check_shielding(width.central_peak, volume, sample, where, notes, by="peak")
    _check_virgin_offset(width, kept_grid, kept_dm, b_sf, turning, volume, where, notes)
    span = width.temperature_range_K
    if span is not None and drifted(span):
        notes.append(
            f"{where}: the temperature drifted from {span[0]:.4g} to {span[1]:.4g} K over the "
            f"loop's branches: Jc(B) is not that of one temperature (no objective at a "
            "temperature is read off it)"
        )
        warnings.warn(notes[-1], TemperatureDriftWarning, stacklevel=2)
    return JcCurve(
        field_T=kept_grid,
        jc_A_m2=jc,
        temperature_K=width.temperature_K,
        unpenetrated=unpen,
        jc_err_A_m2=jc_err,
        source=source,
        method="extended_bean",
        settings={
            "shape": shape,
            "a_m": a_m,
            "b_m": b_m,
            "c_m": c_m,
            "loop": width.loop,
            "other_loops_K": list(width.other_loops_K),
            "background_Am2_per_T": width.background_Am2_per_T,
            "field_max_T": width.field_max_T,
            "irreversibility_field_T": b_irr,
            # under 3 points above it: only the turning field, where the branches always meet
            # (a clean 7 T loop's top point): the sweep never reached a reversible range
            "irreversibility_reached": int((~below).sum()) >= 3,
            # fields above this lie within 2 full-penetration fields of the turning field: the
            # reversed branch has not swept the whole bar there (width and Jc far too low)
            "reversal_complete_below_T": _below_first(kept_grid, turning),
            "cut_above_irreversibility": int((~below).sum()),
            "dropped_nonpositive_dm": int((below & ~ok).sum()),
            "jc_err_from": err_from,
            # the 1-sigma's two parts (A/m^2, per point): jc_err_A_m2 = hypot(noise, self_field)
            "jc_err_noise_A_m2": jc_noise.tolist(),
            "jc_err_self_field_A_m2": jc_model.tolist(),
            # the self-field bias subtracted from the Bean width's Jc (A/m^2, per point)
            "jc_self_field_bias_A_m2": bias.tolist(),
            "width_scatter_Am2": float(np.median(scatter)) * volume,
            "virgin_slope_Am2_per_T": width.virgin_slope_Am2_per_T,
            "virgin_field_T": width.virgin_field_T,
            "reversible_rise": width.reversible_rise,
            "gaps_T": [[lo, hi] for lo, hi in gaps],
            "temperature_range_K": None if span is None else list(span),
            "forced": bool(force and width.not_superconducting),
            "warnings": notes,
        },
    )


# Of the self-field bias subtracted, this fraction stays in the 1-sigma: what the long prism's
# second order leaves out (higher orders, the derivatives off the measured curve: under 5 % of it
# on synthetic Kim, exponential and power-law loops; a sample's finite length along the field)
SELF_FIELD_RESIDUAL = 0.25


def self_field_geometry(a_m: float, b_m: float, c_m: float, shape: str = "bar") -> float:
    """The sample's share of the slab's self-field bias: <d^3> / <d> over the cross-section's
    depths d from its edge, over the slab's L^2 / 2 (L = ``penetration_depth``): (1 - 0.6 a/b) /
    (1 - a/(3b)) for a long a x b bar (0.87 for 0.5 x 1.2 mm, 0.6 for a square), 0.6 for a
    cylinder (area weight 2r/R^2), 1 for a thin plate (penetrated over its strip's depth)."""
    if shape == "cylinder":
        return 0.6
    if penetration_depth(a_m, c_m, shape) < a_m / 2:
        return 1.0
    return (1 - 0.6 * a_m / b_m) / (1 - a_m / (3 * b_m))


def self_field_bias(
    field_T: np.ndarray,
    jc_A_m2: np.ndarray,
    b_sf_T: np.ndarray,
    geometry: float = 1.0,
    noise_A_m2: np.ndarray | float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Bias and 1-sigma model error (A/m^2, each ``(n,)``) of extended-Bean Jc at ``field_T`` (T,
    increasing) from the sample's own field: inside it B spans mu0 H +- ``b_sf_T`` (the
    full-penetration field, ``(n,)``), so the loop width averages Jc over that span. To first
    order in B_sf the two branches cancel; the second order reads Jc high by ``geometry`` x Jc
    (B_sf^2 / 12) ((ln Jc)'' + 2 (ln Jc)'^2) (the critical state's profile G^-1(G(B) +- d) in
    the depth d from the edge, Taylor-expanded; ``self_field_geometry``), where B >= 2 B_sf; its
    sign is that of (Jc^2)'' (high for a convex Jc), its size the synthetic loops' within 1-5 %
    (0.039 % at 3 T for Kim 2e9 A/m^2, B0 = 1 T, a 0.5 x 1.2 mm bar). The derivatives are
    differences of ``jc_A_m2`` itself over +- max(B_sf, the field step), moved inward at the
    curve's ends. The 1-sigma there is ``SELF_FIELD_RESIDUAL`` of the bias and the noise the
    subtraction adds: it weighs Jc's readings at B by 1 + 2k and at B +- d by k (k = geometry
    B_sf^2 / (12 d^2)), so ``noise_A_m2`` (Jc's own 1-sigma) x sqrt(4k + 6k^2) beside the
    noise already counted (on 20 noisy Kim loops the corrected Jc scattered 1.19x its noise
    part about the truth, 1.13x by this). Structure in Jc(B)
    finer than B_sf is not resolved: a slope kink (a table interpolated log-linearly) is read
    high at the kink to first order in B_sf.
    """
    b = np.asarray(field_T, float)
    lnj = np.log(jc_A_m2)
    step = np.gradient(b) if b.size > 1 else np.ones_like(b)
    d = np.minimum(np.maximum(b_sf_T, step), 0.5 * (b[-1] - b[0]))
    mid = np.clip(b, b[0] + d, b[-1] - d)
    lo, at, hi = (np.interp(mid + s * d, b, lnj) for s in (-1, 0, 1))
    slope = (hi - lo) / (2 * d)
    curvature = (hi - 2 * at + lo) / d**2
    second = jc_A_m2 * b_sf_T**2 / 12 * (curvature + 2 * slope**2)
    # below 2 B_sf the span reaches B = 0 (or near it), where Jc(|B|) has its cusp and the
    # expansion fails: nothing is subtracted, and half the spread of Jc over B +- B_sf stands in
    # as the 1-sigma (first order); below B_sf, where the bar's field passes through 0, the whole
    # spread (Jc(0 T) of Kim / exponential curves read 15 / 12 % low for a 9 % 1-sigma, 0 of 30
    # loops within 1 sigma; now 30), from 0 T up to 2 B_sf: there the curve read is itself the
    # average over the cusp at 0 T, flatter than the truth (a power law (1 + B/0.3 T)^-0.7 read
    # 24 % low at 0 T for a 23 % 1-sigma over 0..B_sf: 0 of 30 loops within 1 sigma)
    near = b < 2 * b_sf_T
    top = np.where(b < b_sf_T, 2 * b_sf_T, b + b_sf_T)
    spread = np.where(b < b_sf_T, 1.0, 0.5) * np.abs(
        np.interp(np.maximum(b - b_sf_T, 0), b, jc_A_m2) - np.interp(top, b, jc_A_m2)
    )
    bias = np.where(near, 0.0, geometry * second)
    weight = geometry * b_sf_T**2 / (12 * d**2)
    error = np.hypot(SELF_FIELD_RESIDUAL * bias, noise_A_m2 * np.sqrt(4 * weight + 6 * weight**2))
    return bias, np.where(near, np.maximum(np.abs(second), spread), error)


QUADRANT_FIELDS = 4  # fields measured in both quadrants for their difference to give the noise


def penetration_depth(a_m: float, c_m: float, shape: str = "bar") -> float:
    """Length L (m) with mu0 Jc L the full-penetration (self) field of the sample, ``a_m`` across
    the field and ``c_m`` along it.

    A bar: a / 2 for a slab (c >> a); a thin plate is penetrated sooner, over the strip's field
    scale Jc c / pi (1 + ln(1 + a / c)) (Brandt & Indenbom 1993), the smaller of the two. A 200 nm
    film 5 mm wide: 0.71 um, not 2.5 mm (314 T for 1e11 A/m^2, which flagged every field of a
    7 T loop).

    A cylinder of diameter a = 2R and thickness c = 2h: h asinh(R / h), the field at the centre of
    the fully penetrated cylinder (uniform Jc, ``shared/reference/analytic.md``), which is its
    full-penetration field (Forkl 1993: Jc (d/2) ln(2R/d + sqrt(1 + 4R^2/d^2))); R for a long rod,
    h ln(2R / h) for a thin disc (Clem & Sanchez 1994). The slab's formula had put a 10 x 1 mm
    disc's at 1.08 mm, 28 % below its 1.50 mm.
    """
    if shape == "cylinder":
        half = c_m / 2
        return float(half * np.arcsinh(a_m / 2 / half))
    return min(a_m / 2, c_m / np.pi * (1 + np.log1p(a_m / c_m)))


def _clockwise(dm_Am2: np.ndarray) -> str:
    """A note when the loop width (decreasing minus increasing branch) is negative at over 80 %
    of its fields: a superconductor's loop with its moment's sign flipped runs clockwise, like
    this, and so does one whose rows run backwards (no time column refuses them); "" otherwise
    (a reversible loop's width is noise about 0)."""
    below = float(np.mean(dm_Am2 < 0)) if dm_Am2.size else 0.0
    if below <= 0.8:
        return ""
    return (
        f"; the loop runs clockwise (its width is negative at {below:.0%} of its fields), as a "
        "superconductor's does with the moment's sign flipped: negate the moment column and "
        "read the file again; or, where the file has no time column, its rows are in reverse "
        "order (written or sorted backwards), which flips it the same way: restore the order"
    )


def _despiked(
    grid: np.ndarray, dm: np.ndarray, sigma: np.ndarray, flagged: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``dm`` ``(n,)`` on ``grid`` with its glitches replaced, and which they were (bool).
    Points ``flagged`` (bool ``(n,)``: not fully penetrated, the turning zone, where the width
    changes fast by nature) are never taken for glitches.

    Worst first, at most ``MAX_GLITCHES``: a point over ``GLITCH_SIGMA`` ``sigma`` off the 5-point
    running median (which a monotone run of points equals, so a smooth Jc(B) is untouched) is
    taken out, and the median found again (a glitch shifts its neighbours' medians by a step);
    the points taken out get the line between the points kept around them."""
    out = dm.copy()
    glitch = np.zeros(dm.size, bool)
    for _ in range(MAX_GLITCHES):
        off = np.abs(out - _running_median(out)) / sigma
        if flagged is not None:
            off = np.where(flagged, 0.0, off)
        k = int(np.argmax(off))
        if off[k] <= GLITCH_SIGMA or glitch.sum() + 2 >= dm.size:
            break
        glitch[k] = True
        out[k] = np.interp(grid[k], grid[~glitch], out[~glitch])
    if glitch.any():
        out[glitch] = np.interp(grid[glitch], grid[~glitch], dm[~glitch])
    return out, glitch


def _glitches_left(dm: np.ndarray, sigma: np.ndarray, flagged: np.ndarray) -> int:
    """Points of ``dm`` (``(n,)``, despiked) still over ``GLITCH_SIGMA`` ``sigma`` off the 5-point
    running median, outside ``flagged``: what ``_despiked`` left once it had taken
    ``MAX_GLITCHES``."""
    return int(np.sum((np.abs(dm - _running_median(dm)) / sigma > GLITCH_SIGMA) & ~flagged))


def _check_plausible(jc_A_m2: np.ndarray, sample: str, where: str, notes: list[str]) -> None:
    """Refuse a Jc(B) (A/m^2, ``(n,)``) of the ``sample`` (``sample_text``) peaking below
    ``JC_REFUSED``; below ``JC_BULK_MIN`` add a note to ``notes`` and warn
    (``ImplausibleJcWarning``)."""
    peak = float(np.max(jc_A_m2))
    hint = (
        f"check the sample edges ({sample}: each given 10x too large lowers Jc 1e4x) and the "
        "unit of the moment column (A*m^2 written where it holds emu: 1000x)"
    )
    if peak < JC_REFUSED:
        raise ValidationError(
            f"{where}: Jc(B) is at most {peak:.3g} A/m^2 ({peak * 1e-4:.3g} A/cm^2), below "
            f"{JC_REFUSED:g} A/m^2: a unit mistake; {hint}"
        )
    if peak < JC_BULK_MIN:
        notes.append(
            f"{where}: Jc(B) is at most {peak * 1e-4:.3g} A/cm^2, implausibly low for a bulk "
            f"superconductor (below {JC_BULK_MIN * 1e-4:g} A/cm^2); {hint}"
        )
        warnings.warn(notes[-1], ImplausibleJcWarning, stacklevel=3)


def _check_density(
    mass_kg: float | None, volume_m3: float, sample: str, where: str, notes: list[str]
) -> None:
    """The file's sample mass over the ``sample``'s volume (m^3) outside ``DENSITY_RANGE_G_CM3``:
    a note in ``notes`` and an ``ImplausibleJcWarning`` (nothing without a mass)."""
    if mass_kg is None or not mass_kg > 0:
        return
    density = mass_kg / volume_m3 * 1e-3  # g/cm^3
    lo, hi = DENSITY_RANGE_G_CM3
    if lo <= density <= hi:
        return
    notes.append(
        f"{where}: the sample mass in the file's header, {mass_kg * 1e6:.4g} mg, in the "
        f"{sample} is {density:.3g} g/cm^3, "
        f"outside the {lo:g}-{hi:g} g/cm^3 of a bulk superconductor: is an edge given "
        + (
            "too large (cm for mm: Jc 10-100x too low)"
            if density < lo
            else "too small (mm for cm, um for mm: Jc 10-100x too high)"
        )
        + " or the mass not the sample's? Jc is derived from the edges as given"
    )
    warnings.warn(notes[-1], ImplausibleJcWarning, stacklevel=3)


def _check_shielding(
    extreme: tuple[float, float] | None,
    volume_m3: float,
    sample: str,
    where: str,
    notes: list[str],
    *,
    by: str = "virgin",
    plate: bool = True,
) -> None:
    """The virgin branch's shielding at its lowest moment (``loops.virgin_extreme``: field change
    T, moment change A*m^2), or for a loop without a virgin branch, ``by`` "turning", a return
    branch's just after its field reversal (``loops.turning_extreme``), or ``by`` "peak", the
    return branches' remanent peak (``loops.central_peak``: its shift past zero field T, its
    moment A*m^2), in the ``sample`` of ``volume_m3`` below ``SHIELDING_FRACTION_MIN``: a note
    in ``notes`` and an ``ImplausibleJcWarning`` (nothing without). A virgin branch of a sample
    given as no ``plate`` (c >= a) below ``SHIELDING_FRACTION_BAR`` is said to be an edge 10x off.

    No bound catches c given too large on a thin plate (c << a) without a mass: a thin plate's
    moment does not depend on its thickness at a given sheet current Jc c (Meissner: a thin
    disk's m = 8 R^3 H / 3, Clem & Sanchez 1994; critical state: its field scale is Jc c / 2),
    so a c 10x large gives a volume 10x large, a Jc 10x low and the same Jc c, and mu0 M / B
    equals what a plate of the given c shields (8 R / 3 pi c): the loop is self-consistent.
    Only the mass (density) can tell."""
    if extreme is None:
        return
    field_T, moment_Am2 = extreme
    fraction = MU0 * moment_Am2 / volume_m3 / field_T
    if by == "virgin" and not plate and SHIELDING_FRACTION_MIN <= fraction < SHIELDING_FRACTION_BAR:
        notes.append(
            f"{where}: the virgin branch shields up to {field_T:.3g} T, where the field "
            f"penetrates the sample, by {moment_Am2 * 1e3:.3g} emu: mu0 M / B = {fraction:.2g} in "
            f"the {sample}, where a bar as thick along the field as across it shields about 0.5 "
            f"at penetration, whatever its Jc: the volume is about {0.5 / fraction:.2g}x too "
            "large for the moment. Is an edge given 10x too large (cm for mm: Jc about 10x too "
            "low), or the moment a part of the sample's? Jc is derived from the edges as given"
        )
        warnings.warn(notes[-1], ImplausibleJcWarning, stacklevel=3)
        return
    if fraction >= SHIELDING_FRACTION_MIN:
        return
    said = {
        "turning": f"just after the field reversal a return branch shields the first "
        f"{field_T:.3g} T of the field's change by only {moment_Am2 * 1e3:.3g} emu: mu0 dM / dB "
        f"= {fraction:.2g} in the {sample}, where any superconductor's critical state shields "
        "about 0.5-1 (by its shape) until the reversed field has penetrated it",
        "peak": f"the return branches peak {field_T:.3g} T past zero field (the self field's "
        f"shift of the remanent peak) at only {moment_Am2 * 1e3:.3g} emu: mu0 M / shift = "
        f"{fraction:.2g} in the {sample}, where a critical state's self field shifts its peak by "
        "about its own mu0 M (mu0 M / shift 1-15 by its shape)",
        "virgin": f"the virgin branch shields up to {field_T:.3g} T, where the field penetrates "
        f"the sample, but by only {moment_Am2 * 1e3:.3g} emu: mu0 M / B = {fraction:.2g} in the "
        f"{sample}, where any superconductor shields about 0.5 (0.4-2 by its shape) at "
        "penetration",
    }[by]
    notes.append(
        f"{where}: {said}, whatever its Jc: the moment is about {0.5 / fraction:.2g}x too small for "
        "the volume. Is the moment column in A*m^2 (SI) but labelled emu (1000x: Jc 1000x too "
        "low; label it 'Moment (A m2)' or give it in emu), or the sample edges too large? Jc "
        "is derived from the moment and edges as given"
    )
    warnings.warn(notes[-1], ImplausibleJcWarning, stacklevel=3)


class MomentDriftWarning(ImplausibleJcWarning):
    """The virgin branch and the return branch sweeping the same way differ where both are fully
    penetrated: the moment drifted between them, and the loop width with it (an
    ``ImplausibleJcWarning``: the CLI and the upload print it from the curve's settings)."""


# the virgin branch off the return branch past full penetration by over this fraction of the loop
# width there (and 5 standard errors): said. A moment drifting 5 % of the 3 T width over the loop
# (a SQUID offset) read Jc(3 T) 2 % and Jc(5 T) 3 % low for a 0.01 % 1-sigma, with no word
VIRGIN_OFFSET_FRACTION = 0.02


def _check_virgin_offset(
    width: LoopWidth,
    grid: np.ndarray,
    dm_A_m: np.ndarray,
    b_sf: np.ndarray,
    turning: np.ndarray,
    volume_m3: float,
    where: str,
    notes: list[str],
) -> None:
    """A note and a ``MomentDriftWarning`` where the virgin branch (``width.virgin_offset``) lies
    off the return branch sweeping the same way, at its fields past twice the full-penetration
    field ``b_sf`` (T, on ``grid`` with the loop width ``dm_A_m``, A/m, in a sample of
    ``volume_m3``) and below the turning zone (``turning``), by over
    ``VIRGIN_OFFSET_FRACTION`` of the loop width there and 5 standard errors of the median."""
    if (
        width.virgin_offset is None
        or width.not_superconducting  # a forced non-superconductor: no critical state to compare
        or grid.size < 2
        or not (~turning).any()
    ):
        return
    fields, offset, sigma = width.virgin_offset
    b = np.abs(fields)
    top = float(grid[~turning].max())
    past = (b >= np.interp(b, grid, 2 * b_sf)) & (b <= top)
    if past.sum() < 5:
        return
    median = float(np.median(offset[past]))
    err = 1.2533 * float(np.median(sigma[past])) / np.sqrt(past.sum())
    dm = float(np.median(np.interp(b[past], grid, dm_A_m))) * volume_m3  # the width there, A*m^2
    if not (abs(median) > 5 * err and abs(median) > VIRGIN_OFFSET_FRACTION * dm):
        return
    notes.append(
        f"{where}: past full penetration ({b[past].min():.3g}-{b[past].max():.3g} T), where the "
        "virgin branch and the return branch sweeping the same way carry the same critical "
        f"state, they differ by {median * 1e3:.3g} ± {err * 1e3:.2g} emu, "
        f"{abs(median) / dm:.1%} of the loop width there: the moment drifted between them (the "
        "magnetometer's offset, the temperature, a change of sweep rate?), so the loop width and "
        "Jc may be off by as much; its ± does not include this"
    )
    warnings.warn(notes[-1], MomentDriftWarning, stacklevel=3)


def _below_first(grid: np.ndarray, flag: np.ndarray) -> float:
    """The last of the increasing ``grid`` (T) before its first ``flag``ged point (the top of
    ``grid`` if none is flagged, 0.0 if the first is)."""
    first = int(np.argmax(flag)) if flag.any() else grid.size
    return float(grid[first - 1]) if first else 0.0


def _within(x: np.ndarray, intervals: list[tuple[float, float]]) -> np.ndarray:
    """``x`` strictly inside any of ``intervals`` (lo, hi), ``(n,)`` bool."""
    out = np.zeros(x.shape, bool)
    for lo, hi in intervals:
        out |= (x > lo) & (x < hi)
    return out


def _uncovered(
    ranges: list[tuple[float, float, list[tuple[float, float]]]],
) -> list[tuple[float, float]]:
    """|B| intervals (T) inside some quadrant's range ``(lo, hi, holes)`` but measured in none."""
    edges = np.unique([x for lo, hi, holes in ranges for x in (lo, hi, *np.ravel(holes))])
    gaps: list[tuple[float, float]] = []
    for p, q in zip(edges[:-1], edges[1:], strict=True):
        mid = np.array([0.5 * (p + q)])
        seen = [lo <= mid[0] <= hi for lo, hi, _ in ranges]
        covered = [
            s and not _within(mid, holes)[0] for s, (_, _, holes) in zip(seen, ranges, strict=True)
        ]
        if any(seen) and not any(covered):
            if gaps and gaps[-1][1] == p:
                gaps[-1] = (gaps[-1][0], float(q))
            else:
                gaps.append((float(p), float(q)))
    return gaps


def jc_from_loop(
    table: MeasurementTable,
    a_m: float,
    b_m: float,
    c_m: float,
    *,
    temperature_K: float | None = None,
    background: bool = True,
    grid_step_T: float | None = None,
    force: bool = False,
    shape: str = "bar",
) -> JcCurve:
    """Jc(B) of an a x b x c bar (m, or text or pint quantities with a unit, "0.5 mm"; a <= b
    perpendicular to the field) from its M(H) loop, or of a cylinder (``shape="cylinder"``:
    diameter a = b, thickness c along the field).

    ``temperature_K`` picks the loop in a file with several (default: the lowest temperature);
    see ``loops.loop_width`` for the branches, background and field grid, ``jc_from_width`` for
    the irreversibility field, the uncertainty and ``force``.
    """
    check_table(table, "jc_from_loop")
    a_m, b_m, c_m = check_sample(a_m, b_m, c_m, shape)
    width = loop_width(
        table, temperature_K=temperature_K, background=background, grid_step_T=grid_step_T
    )
    return jc_from_width(
        width, a_m, b_m, c_m, source=table.metadata.filename, force=force, shape=shape
    )
