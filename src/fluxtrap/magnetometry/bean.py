"""Extended Bean model for a rectangular bar: Jc(B) from the width of its M(H) loop.

Bar with edges a <= b perpendicular to the field, c along it; dM the loop width at equal field:

    Jc = 20 dM / (a (1 - a / (3 b)))   [A/cm^2, dM in emu/cm^3, a and b in cm]
    Jc = 2 dM / (a (1 - a / (3 b)))    [SI: A/m^2, dM in A/m, a and b in m]

valid where the bar is fully penetrated. It is not at low field (the remanent peak: the
self-field mu0 Jc a / 2 is comparable with the applied field, so B inside is not mu0 H) and
just after the turning field (the reversed branch needs a field change of about twice the
full-penetration field). Those points are flagged in the ``JcCurve``, not removed or smoothed.
"""

from __future__ import annotations

import warnings

import numpy as np

from fluxtrap.errors import AnalysisError
from fluxtrap.magnetometry.jc import JcCurve
from fluxtrap.magnetometry.loops import LoopWidth, NotSuperconductingWarning, check_bar, loop_width
from fluxtrap.magnetometry.table import MU0, MeasurementTable


def bean_jc(dm_A_m: np.ndarray | float, a_m: float, b_m: float) -> np.ndarray | float:
    """Extended Bean Jc (A/m^2) from the loop width ``dm_A_m`` (A/m) of an a x b bar (m)."""
    check_bar(a_m, b_m, b_m)
    return 2.0 * np.asarray(dm_A_m, dtype=float) / (a_m * (1.0 - a_m / (3.0 * b_m)))


def jc_from_width(
    width: LoopWidth, a_m: float, b_m: float, c_m: float, *, source: str = ""
) -> JcCurve:
    """Jc(B) for B >= 0 from a loop width; the two field quadrants are averaged where both exist.

    Points where dm <= 0 are dropped (their number is in ``settings``). If the median width is
    not above five times its point-to-point noise, the loop has no irreversible magnetization
    and AnalysisError is raised. If the virgin branch does not shield (``width.not_superconducting``)
    a ``NotSuperconductingWarning`` is emitted and kept in ``settings["warnings"]``.
    """
    check_bar(a_m, b_m, c_m)
    volume = a_m * b_m * c_m
    b, dm = width.field_T, width.dm_Am2 / volume
    grid = np.unique(np.abs(b))
    total, count = np.zeros(grid.size), np.zeros(grid.size)
    for side in (b >= 0, b <= 0):  # the two field quadrants, averaged where both were measured
        bb, dd = np.abs(b[side]), dm[side]
        order = np.argsort(bb)
        bb, dd = bb[order], dd[order]
        if bb.size >= 2:
            inside = (grid >= bb[0]) & (grid <= bb[-1])
            total[inside] += np.interp(grid[inside], bb, dd)
            count[inside] += 1
    grid, dm_pos = grid[count > 0], total[count > 0] / count[count > 0]
    ok = dm_pos > 0
    # noise of the width from its point-to-point scatter (robust); the width must stand out of it
    noise = 1.4826 * np.median(np.abs(np.diff(dm_pos) - np.median(np.diff(dm_pos)))) / np.sqrt(2)
    median = float(np.median(dm_pos))
    if ok.sum() < 3 or median <= 5 * noise:
        raise AnalysisError(
            f"{source or 'loop'}: no irreversible magnetization: the median loop width "
            f"{median * volume * 1e3:.3g} emu is within 5 noise widths ({noise * volume * 1e3:.2g} emu); "
            "is this a superconductor's loop?"
        )
    notes = []
    if width.not_superconducting:
        notes.append(f"{source or 'loop'}: {width.not_superconducting}")
        warnings.warn(notes[-1], NotSuperconductingWarning, stacklevel=2)
    grid, dm_pos = grid[ok], dm_pos[ok]
    jc = bean_jc(dm_pos, a_m, b_m)
    # full-penetration (self) field of the bar, of order mu0 Jc a / 2
    b_sf = MU0 * jc * a_m / 2
    unpen = (grid < b_sf) | (grid > width.field_max_T - 2 * b_sf)
    return JcCurve(
        field_T=grid,
        jc_A_m2=jc,
        temperature_K=width.temperature_K,
        unpenetrated=unpen,
        source=source,
        method="extended_bean",
        settings={
            "a_m": a_m,
            "b_m": b_m,
            "c_m": c_m,
            "loop": width.loop,
            "background_Am2_per_T": width.background_Am2_per_T,
            "field_max_T": width.field_max_T,
            "dropped_nonpositive_dm": int((~ok).sum()),
            "virgin_slope_Am2_per_T": width.virgin_slope_Am2_per_T,
            "virgin_field_T": width.virgin_field_T,
            "warnings": notes,
        },
    )


def jc_from_loop(
    table: MeasurementTable,
    a_m: float,
    b_m: float,
    c_m: float,
    *,
    temperature_K: float | None = None,
    background: bool = True,
    grid_step_T: float | None = None,
) -> JcCurve:
    """Jc(B) of an a x b x c bar (m; a <= b perpendicular to the field) from its M(H) loop.

    ``temperature_K`` picks the loop in a file with several (default: the lowest temperature);
    see ``loops.loop_width`` for the branches, background and field grid.
    """
    check_bar(a_m, b_m, c_m)
    width = loop_width(
        table, temperature_K=temperature_K, background=background, grid_step_T=grid_step_T
    )
    return jc_from_width(width, a_m, b_m, c_m, source=table.metadata.filename)
