"""The probes table (``probes.csv``: ``time_s, applied_T, temperature_K, <probe>_Bz_T``, as
``Result.probes_csv`` writes it), read by both kernels that lay a measured series over a
simulation (``magnetometry.compare``, ``simulate.calibrate``): one probe's trace out of it, the
relaxation origin, the moment the applied field reached its final value, the rows of a
measured series without a value (``without_gaps``), which both leave out and name, and the
points of a long series kept for figures and JSON (``log_time_thinned``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fluxtrap.errors import InputFileError
from fluxtrap.inputs import did_you_mean

PROBE_SUFFIX = "_Bz_T"
# MAD of N(0,1) second differences x[i+1] - 2x[i] + x[i-1] is 0.6745 sqrt(6) sigma
_SECOND_DIFFERENCE_MAD = 0.6744897501960817 * np.sqrt(6.0)
# a measured applied field is at its final value within this many sigma of its noise
ORIGIN_NOISE_SIGMAS = 6.0
MAX_PROBES_FILE = 256 * 2**20  # bytes: 200,000 time steps (the most a case may force) x ~50 probes
DROPPED_SHOWN = 5  # rows without a value named in a note
# |time| (s) on a measured series' clock beyond any logger's (epoch seconds are 1.7e9; epoch ms
# labelled s 1.7e12): read_series and calibrate's Series refuse it, naming the row
MAX_CLOCK_S = 1e11


class MissingSamplesWarning(UserWarning):
    """Rows of a series without a finite time, field or applied field (a logger's gap, an empty
    cell): left out of a creep fit, a comparison or a calibration, counted and named."""


def probe_names(probes: pd.DataFrame) -> list[str]:
    """Probe names in a probes.csv table: the columns ``<name>_Bz_T``, in file order."""
    return [c[: -len(PROBE_SUFFIX)] for c in probes.columns if str(c).endswith(PROBE_SUFFIX)]


def simulated_trace(
    probes: pd.DataFrame, probe: str | None = None, *, source: str = "simulation"
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """``(time_s, Bz_T, applied_T, probe)`` of one probe of a probes.csv table, each ``(n,)``.

    ``probe`` defaults to the only probe; with several, or an unknown name, an ``InputFileError``
    (naming ``source``) lists the names.
    """
    missing = [c for c in ("time_s", "applied_T") if c not in probes.columns]
    names = probe_names(probes)
    if missing or not names:
        need = ", ".join(missing + ([] if names else ["<probe>_Bz_T"]))
        raise InputFileError(
            f"{source}: probes table lacks {need} "
            f"(expected time_s, applied_T, <probe>_Bz_T as fluxtrap simulate writes); "
            f"columns: {', '.join(map(str, probes.columns))}"
        )
    if probe is None:
        if len(names) > 1:
            raise InputFileError(
                f"{source}: several probes ({', '.join(names)}); choose one with --probe"
            )
        probe = names[0]
    elif probe not in names:
        raise InputFileError(
            f"{source}: no probe {probe!r}{did_you_mean(probe, names)}; probes: {', '.join(names)}"
        )
    df = probes[["time_s", "applied_T", probe + PROBE_SUFFIX]].apply(pd.to_numeric, errors="coerce")
    if df.empty:
        raise InputFileError(f"{source}: the probes table has a header but no rows")
    if df.isna().any().any():
        raise InputFileError(f"{source}: non-numeric or empty cells in time_s/applied_T/{probe}")
    return (
        df["time_s"].to_numpy(float),
        df[probe + PROBE_SUFFIX].to_numpy(float),
        df["applied_T"].to_numpy(float),
        probe,
    )


def relaxation_origin(
    time_s: np.ndarray,
    applied_T: np.ndarray,
    tolerance_T: float = 1e-6,
    final_T: float | None = None,
) -> float:
    """The first time (s) from which the applied field stays at its final value ``final_T``
    (default: the last sample's; within ``tolerance_T``); the earliest time if it never
    changes. ``(n,)`` arrays in any row order (rows are taken in time order: a log written
    newest first has the same origin)."""
    order = np.argsort(time_s, kind="stable")
    time_s, applied_T = np.asarray(time_s)[order], np.asarray(applied_T)[order]
    final = applied_T[-1] if final_T is None else final_T
    off = np.abs(applied_T - final) > tolerance_T
    return float(time_s[np.nonzero(off)[0][-1] + 1]) if off.any() else float(time_s[0])


def white_noise(values: np.ndarray) -> float:
    """White-noise sigma of a densely sampled smooth trace ``(n,)`` (its unit), from the median
    absolute second difference: robust to the trace's slow change, its ramps and outliers."""
    v = np.asarray(values, float)
    d2 = v[2:] - 2 * v[1:-1] + v[:-2]
    return float(np.median(np.abs(d2)) / _SECOND_DIFFERENCE_MAD) if d2.size else 0.0


def ramp_end(time_s: np.ndarray, applied_T: np.ndarray) -> float:
    """When a measured applied field ``(n,)`` (any row order) reached its final value (s): the
    last ramp step extrapolated linearly to the final value (``held_value``), so a file sampled
    every 20 s still gives its origin to well under a second (``relaxation_origin`` within
    ``readback_tolerance`` gives the first sample at the final value, within the noise of the
    readback; within 1e-6 T a 0.2 mT noisy readback had put the origin 565 s into a 600 s hold;
    a sample nearer the line of the two before it than the final value is still on the ramp: a
    sparse ramp's corner inflates that noise, and 6 samples of a 3 T ramp had 0.5 T taken as the
    final 0 T, their origin 100 s early). The first sample's time when the field is at its final
    value from the start. Samples sharing a time count as one, their mean (two readings a
    second logged at 1 s: the last ramp step's slope was 0 / 0 s, the origin laid at the first
    hold sample, 1-10 s off on a 20 s log)."""
    t, inverse = np.unique(np.asarray(time_s, float), return_inverse=True)
    a = np.bincount(inverse, np.asarray(applied_T, float)) / np.bincount(inverse)
    final = held_value(t, a)
    at = relaxation_origin(t, a, readback_tolerance(t, a), final)
    k = int(np.searchsorted(t, at))  # the first sample at the final value
    while 2 <= k < len(t) - 1:
        slope = (a[k - 1] - a[k - 2]) / (t[k - 1] - t[k - 2])
        line = a[k - 1] + slope * (t[k] - t[k - 1])
        if abs(a[k] - line) >= abs(a[k] - final):
            break
        k += 1
    at_final = float(t[min(k, len(t) - 1)])
    i = k - 1  # the last sample still on the ramp
    if i < 1 or a[i] == a[i - 1]:
        return at_final
    slope = (a[i] - a[i - 1]) / (t[i] - t[i - 1])
    end = t[i] + (final - a[i]) / slope
    if at_final - end <= 1e-6 * (at_final - t[i]):  # the line meets the sample at the final
        return at_final  # value (2e-9 s before it by rounding dropped a trace's last point)
    return float(np.clip(end, t[i], at_final))


def held_value(time_s: np.ndarray, applied_T: np.ndarray) -> float:
    """The final value (T) of a measured applied field ``(n,)``: the median of the closing
    samples within twice ``readback_tolerance`` of the last one (the difference of two samples
    has more noise than one, and the tolerance's noise is itself an estimate). Measured from
    the last sample alone, a last sample 3 sigma off put hold samples past the tolerance, and
    about 1 % of noisy readbacks (0.2 mT every 5 s, 1 mT every 20 s, 2 mT every 1 s) had their
    origin laid 60-575 s late."""
    order = np.argsort(time_s, kind="stable")
    a = np.asarray(applied_T, float)[order]
    off = np.abs(a - a[-1]) > 2 * readback_tolerance(time_s, applied_T)
    return float(np.median(a[np.nonzero(off)[0][-1] + 1 :] if off.any() else a))


def readback_tolerance(time_s: np.ndarray, applied_T: np.ndarray) -> float:
    """How far (T) a measured applied field ``(n,)`` may stray from a value it holds:
    ``ORIGIN_NOISE_SIGMAS`` x the noise of its readback, at least 1e-6 T."""
    order = np.argsort(time_s, kind="stable")
    noise = white_noise(np.asarray(applied_T, float)[order])
    return max(1e-6, ORIGIN_NOISE_SIGMAS * noise)


def without_gaps(
    time_s: np.ndarray,
    field_T: np.ndarray,
    applied_T: np.ndarray | None,
    name: str,
    lines: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray, str]:
    """The rows with a finite time, field and applied field (if given), the positions (0-based)
    of the others and a note saying how many and which ("" if none): they were dropped without a
    word, only the point count showed it. With ``lines`` (each row's line in its file, as
    ``read_series(..., with_lines=True)`` gives them) the note names file lines, as a refused
    cell's error does (it named a data row, 5 for line 7 of a file with a comment line)."""
    ok = np.isfinite(time_s) & np.isfinite(field_T)
    if applied_T is not None:
        applied_T = np.asarray(applied_T, float)
        ok &= np.isfinite(applied_T)
    dropped = np.flatnonzero(~ok)
    if not dropped.size:
        return time_s, field_T, applied_T, dropped, ""
    first = dropped[:DROPPED_SHOWN]
    more = ", ..." if dropped.size > DROPPED_SHOWN else ""
    at = ", ".join(f"{time_s[i]:.6g}" if np.isfinite(time_s[i]) else "none" for i in first)
    clock = f"; t = {at}{more} s on its clock" if np.isfinite(time_s[first]).any() else ""
    if lines is not None and np.shape(lines) == np.shape(time_s):
        where = (
            f"line{'s' * (dropped.size > 1)} {', '.join(str(int(lines[i])) for i in first)}"
            f"{more} of the file{clock.replace('; ', ' (', 1) + ')' if clock else ''}"
        )
    else:
        where = (
            f"row{'s' * (dropped.size > 1)} {', '.join(str(i + 1) for i in first)}"
            f"{more} (1 = the first data row{clock})"
        )
    note = (
        f"{name}: {dropped.size} of {time_s.size} rows {'has' if dropped.size == 1 else 'have'} "
        "no finite time"
        f"{' or field' if applied_T is None else ', field or applied field'} (a gap in the logger's record, an "
        f"empty cell?), left out: {where}"
    )
    applied = None if applied_T is None else applied_T[ok]
    return time_s[ok], field_T[ok], applied, dropped, note


def not_repeats(columns: list[np.ndarray]) -> np.ndarray:
    """Mask of the rows of equal-length ``columns`` (time first, field second) that repeat no
    earlier row in every column; a row with NaN time or field is never a repeat."""
    _, first = np.unique(np.column_stack(columns), axis=0, return_index=True)
    keep = np.zeros(columns[0].size, bool)
    keep[first] = True
    return keep | ~np.isfinite(columns[0]) | ~np.isfinite(columns[1])


def time_goes_back(
    time_s: np.ndarray, field_T: np.ndarray, applied_T: np.ndarray | None, name: str
) -> str:
    """A note where the times ``(n,)`` of a series, in the order given, run forward and then go
    back (a logger's clock reset, two series joined: sorted, their rows were interleaved and
    fitted as one), "" when they run forward, or backward throughout (newest first). Rows that
    repeat an earlier one (a series pasted after itself) and non-finite times are passed over."""
    columns = [np.asarray(c, float) for c in (time_s, field_T, applied_T) if c is not None]
    t = columns[0]
    known = np.flatnonzero(np.isfinite(t) & not_repeats(columns))
    steps = np.diff(t[known])
    back = np.flatnonzero(steps < 0)
    if not back.size or not (steps > 0).any():
        return ""
    i, j = known[back[0]], known[back[0] + 1]
    return (
        f"{name}: time goes back at row {j + 1}, from {t[i]:g} s (row {i + 1}) to {t[j]:g} s "
        f"({back.size} such step{'s' * (back.size > 1)} in {t.size} rows); a series runs forward "
        "in time (or backward throughout, newest first): was the logger's clock reset, or are "
        "two series joined? Split it or sort it"
    )


def ramp_rate(time_s: np.ndarray, applied_T: np.ndarray, origin_s: float) -> float | None:
    """How fast the applied field ``(n,)`` (time order) ramps to ``origin_s``, over its range
    (1/s, so a field unit does not enter): the median |dB/dt| of the steps that start before
    the origin and change it by more than 1 % of its range (a flat start and readback noise
    left out); None without such a step. A measured ramp 60 x the simulated one: a time in
    minutes read as seconds (calibrate's misfit and compare say so)."""
    t, a = np.asarray(time_s, float), np.asarray(applied_T, float)
    span = float(np.ptp(a)) if a.size else 0.0
    da, dt = np.diff(a), np.diff(t)
    steps = (t[:-1] < origin_s) & (np.abs(da) > 0.01 * span) & (dt > 0)
    if not steps.any():
        return None
    # over those steps alone: a time read twice (dt 0) had warned 'divide by zero' mid-fit
    return float(np.median(np.abs(da[steps] / dt[steps])) / span)


def log_time_thinned(t: np.ndarray, limit: int) -> np.ndarray:
    """Indices (ascending) of at most ``limit`` of the times ``(n,)`` (s since an origin), the first
    in each of ``limit`` equal bins of sign(t) log10(1 + |t|), the axis a relaxation is drawn
    on, so every decade keeps its points; all of them when there are no more than ``limit``."""
    t = np.asarray(t, float)
    if t.size <= limit:
        return np.arange(t.size)
    x = np.sign(t) * np.log10(1.0 + np.abs(t))
    span = float(np.ptp(x)) or 1.0
    bins = np.minimum(((x - x.min()) / span * limit).astype(int), limit - 1)
    return np.unique(bins, return_index=True)[1]
