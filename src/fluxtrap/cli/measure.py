"""``fluxtrap jc``, ``fluxtrap tc``, ``fluxtrap creep`` (design section 5) and ``fluxtrap measure``."""

from __future__ import annotations

import json
import math
import re
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Column, Table

from fluxtrap.cli.common import (
    FILES_WHOLE,
    ID_BOUND,
    CampaignOption,
    DbOption,
    OverwriteOption,
    QuietOption,
    clock_time,
    console,
    distinct_files,
    dropped_text,
    figure_file,
    interruptible,
    key_values,
    no_bar,
    not_the_store,
    objective_cell,
    out_file,
    path_text,
    print_table,
    refuse_existing,
    store_from,
    time_after_origin,
    visible,
    who,
)
from fluxtrap.errors import AnalysisError, ValidationError
from fluxtrap.outputs import NAME_MAX, replacing, replacing_all
from fluxtrap.units import estimate_text, parse, to_A_cm2

if TYPE_CHECKING:
    import numpy as np

    from fluxtrap.magnetometry.jc import JcCurve

A_HELP = 'Edge a (<= b) perpendicular to the field, with its unit, e.g. "0.5 mm".'
B_HELP = 'Edge b (>= a) perpendicular to the field, e.g. "1.2 mm".'
C_HELP = 'Edge c along the field, e.g. "2.8 mm".'
ShapeOption = Annotated[
    str,
    typer.Option(
        "--shape",
        help="The sample's shape: bar (edges --a --b --c) or cylinder (a disc or rod: "
        "--diameter, and --thickness along the field).",
    ),
]
DiameterOption = Annotated[
    str | None,
    typer.Option("--diameter", help='Diameter of a cylinder (--shape cylinder), e.g. "3 mm".'),
]
ThicknessOption = Annotated[
    str | None,
    typer.Option(
        "--thickness",
        help='Thickness of a cylinder along the field (--shape cylinder), e.g. "1 mm".',
    ),
]
ForceOption = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Derive a Jc even from a loop that is not a superconductor's (recorded in the curve).",
    ),
]
ColumnsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--column",
        help="quantity=column, the quantity one of field, moment, moment_err, temperature, "
        'time, e.g. field="H (Oe)" or moment="m [emu]"; repeat.',
    ),
]


def _columns(items: list[str] | None) -> dict[str, str] | None:
    """The ``--column quantity=column`` pairs (None without any), each quantity one the readers
    map, else a ValidationError naming the nearest: "feild" was 'unknown column mapping key(s)
    ['feild']' from the reader, after the file was read, without a hint."""
    from fluxtrap.inputs import near
    from fluxtrap.magnetometry.readers._columns import QUANTITIES

    mapping = key_values(items, "--column")
    for key in mapping:
        if key not in QUANTITIES:
            close = near(key, QUANTITIES)
            hint = f" (did you mean {close!r}?)" if close else ""
            raise ValidationError(f"--column {key!r}: one of {', '.join(QUANTITIES)}{hint}")
    return mapping or None


TemperatureOption = Annotated[
    str | None,
    typer.Option(
        "--temperature",
        help='Loop to analyse in a multi-temperature file, e.g. "5 K" (default: the lowest '
        "temperature's).",
    ),
]


def _loop_temperature(text: str | None) -> float | None:
    """``--temperature`` in K (None: not given); at or below absolute zero a ValidationError
    quoting it as typed: "-5 K" and "0 K" had been read and answered "no loop at -5 K"."""
    if not text:
        return None
    t = parse(text, "temperature", "--temperature")
    if t <= 0:
        raise ValidationError(
            f"--temperature {text!r} is {t:g} K: a loop's temperature is above absolute zero, "
            'e.g. "5 K"'
        )
    return t


REPORT_FIELDS_T = (0.5, 1.0, 2.0, 3.0, 5.0, 7.0)
ORIGIN_FROM = {
    "given": "given with --origin",
    "applied": "where the applied field reached its final value",
    "data": "the end of the field removal found in the data",
    "clock": "the clock's zero: no field removal in the data",
}


def _sample(
    shape: str,
    a: str | None,
    b: str | None,
    c: str | None,
    diameter: str | None,
    thickness: str | None,
) -> tuple[tuple[float, float, float], str]:
    """The sample's (a, b, c) in m and its shape from the options: a bar's --a --b --c, or a
    cylinder's --diameter and --thickness (as a = b = diameter, c = thickness); the other
    shape's options, or one missing, are refused (ValidationError)."""
    from fluxtrap.magnetometry.loops import check_sample, shape_name

    name = shape_name(shape, "--shape")
    given = {"a": a, "b": b, "c": c, "diameter": diameter, "thickness": thickness}
    own = ("diameter", "thickness") if name == "cylinder" else ("a", "b", "c")
    other = [f"--{k}" for k, v in given.items() if v is not None and k not in own]
    if other:
        raise ValidationError(
            f"{', '.join(other)}: a {name} is given by {' '.join(f'--{k}' for k in own)} "
            "(--shape bar: --a --b --c; --shape cylinder: --diameter --thickness)"
        )
    missing = [f"--{k}" for k in own if given[k] is None]
    if missing:
        what = "a cylinder's dimensions" if name == "cylinder" else "the sample's edges"
        raise ValidationError(f"an M(H) loop needs {what}: {', '.join(missing)}")
    keys = ("diameter", "diameter", "thickness") if name == "cylinder" else own
    typed = [(f"--{k}", given[k]) for k in keys]  # refusals name the options as typed
    edges = check_sample(*(parse(text, "length", opt) for opt, text in typed), name, typed)
    return edges, name


@contextmanager
def _printed_warnings() -> Iterator[None]:
    """Silence the analyses' warnings (``NotSuperconductingWarning``, ``ImplausibleJcWarning``,
    ``TemperatureDriftWarning``, ``RepeatedMeasurementWarning``, ``TcStructureWarning``,
    ``MixedMeasurementWarning``, ``HalfLoopWarning``, ``OutlierReadingWarning``): the CLI
    prints them once each from the curve's settings or the Tc results (``_warn``)."""
    from fluxtrap.magnetometry.bean import ImplausibleJcWarning, TemperatureDriftWarning
    from fluxtrap.magnetometry.loops import (
        HalfLoopWarning,
        NotSuperconductingWarning,
        OutlierReadingWarning,
        RepeatedMeasurementWarning,
    )
    from fluxtrap.magnetometry.tc import MixedMeasurementWarning, TcStructureWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TcStructureWarning)
        warnings.simplefilter("ignore", MixedMeasurementWarning)
        warnings.simplefilter("ignore", NotSuperconductingWarning)
        warnings.simplefilter("ignore", RepeatedMeasurementWarning)
        warnings.simplefilter("ignore", ImplausibleJcWarning)
        warnings.simplefilter("ignore", TemperatureDriftWarning)
        warnings.simplefilter("ignore", HalfLoopWarning)  # printed twice, with its note
        warnings.simplefilter("ignore", OutlierReadingWarning)
        yield


def _temperature(t: float | None) -> str:
    """A loop's temperature for people: "5 K", or what a file without temperatures has (NaN)."""
    if t is None or not math.isfinite(t):
        return "an unknown temperature"
    return f"{t:.3g} K"


def _warn_skipped(
    filename: str, skipped_lines: Sequence[int], skipped_rows: int | None = None
) -> None:
    """One ``warning:`` line on stderr naming the rows the reader skipped (no moment or field)."""
    from fluxtrap.magnetometry.table import skipped_note

    if skipped_lines:
        note = skipped_note(skipped_lines, skipped_rows)
        print(f"warning: {visible(filename)}: {note}", file=sys.stderr)


def _warn(
    filename: str, skipped_lines: Sequence[int], jc: JcCurve, skipped_rows: int | None = None
) -> None:
    """One ``warning:`` line on stderr per skipped-rows note and per recorded analysis warning."""
    _warn_skipped(filename, skipped_lines, skipped_rows)
    for text in jc.settings.get("warnings", ()):
        print(f"warning: {visible(text)}", file=sys.stderr)


def jc_command(
    loop_file: Annotated[Path, typer.Argument(help="M(H) loop: Quantum Design .dat or CSV.")],
    a: Annotated[str | None, typer.Option("--a", help=A_HELP)] = None,
    b: Annotated[str | None, typer.Option("--b", help=B_HELP)] = None,
    c: Annotated[str | None, typer.Option("--c", help=C_HELP)] = None,
    shape: ShapeOption = "bar",
    diameter: DiameterOption = None,
    thickness: ThicknessOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="CSV to write (columns B_T,Jc_A_cm2,Jc_err_A_cm2,unpenetrated).",
            parser=path_text,
            callback=out_file,
        ),
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            help="Figure to write (PNG/PDF): loop and Jc(B).",
            parser=path_text,
            callback=figure_file,
        ),
    ] = None,
    temperature: TemperatureOption = None,
    column: ColumnsOption = None,
    force: ForceOption = False,
    overwrite: OverwriteOption = False,
) -> None:
    """Jc(B) of a bar or a cylinder from its M(H) loop (extended Bean: Jc = 20 dM / (a (1 -
    a/3b)) in A/cm^2 for a bar, 30 dM / diameter for a cylinder; dM in emu/cm^3, lengths in cm).

    \b
    Example:
      fluxtrap jc loop/B2_MH_5K_SYNTHETIC.dat --a "0.5 mm" --b "1.2 mm" --c "2.8 mm" --out jc.csv
      (loop/: the SYNTHETIC loop `examples/jc_from_loop.py --out loop/` writes)
    """
    import numpy as np

    from fluxtrap.magnetometry.bean import jc_from_width
    from fluxtrap.magnetometry.loops import loop_width, sample_volume
    from fluxtrap.magnetometry.readers import read

    distinct_files({"the loop file": loop_file}, {"--out": out, "--plot": plot})
    refuse_existing({"--out": out, "--plot": plot}, overwrite)
    table = read(loop_file, columns=_columns(column))  # before the edges
    (a_m, b_m, c_m), shape = _sample(shape, a, b, c, diameter, thickness)
    t = _loop_temperature(temperature)
    width = loop_width(table, temperature_K=t)
    with _printed_warnings():
        jc = jc_from_width(
            width, a_m, b_m, c_m, source=table.metadata.filename, force=force, shape=shape
        )
    _warn(table.metadata.filename, table.metadata.skipped_lines, jc)
    shown = Table(
        "B (T)",
        "Jc ± 1σ (A/cm²)",
        "note",
        title=f"{loop_file.name}: Jc(B) at {_temperature(jc.temperature_K)}",
    )
    gaps = jc.settings.get("gaps_T", [])
    fields = [f for f in REPORT_FIELDS_T if jc.field_T[0] <= f <= jc.field_T[-1]]
    if not fields:  # a loop to 0.3 T, or cut after its turn: the table had been empty, exit 0
        fields = [float(f"{f:.3g}") for f in np.linspace(jc.field_T[0], jc.field_T[-1], 5)]
    for f in dict.fromkeys(fields):  # once each (a curve narrower than its rounding)
        if jc.field_T[0] <= f <= jc.field_T[-1]:
            k = int(np.argmin(np.abs(jc.field_T - f)))
            in_gap = any(lo < f < hi for lo, hi in gaps)
            shown.add_row(
                f"{f:g}",
                # at f, as measure add prints it: the nearest point's 1-sigma had left out the
                # interpolation's error (2.4x small at 3 T on 0.16 T steps)
                estimate_text(to_A_cm2(jc.at(f)), to_A_cm2(jc.err_at(f))),
                "interpolated across a gap"
                if in_gap
                else ("not fully penetrated" if jc.unpenetrated[k] else ""),
            )
    console.print(shown)
    if width.other_loops_K:
        console.print(
            f"the file also holds loops at {', '.join(f'{t:.4g} K' for t in width.other_loops_K)}"
            " (not analysed): --temperature picks one"
        )
    for lo, hi in gaps:
        console.print(f"no data at {lo:.3g}..{hi:.3g} T in either field quadrant: Jc interpolated")
    b_irr, cut = jc.settings["irreversibility_field_T"], jc.settings["cut_above_irreversibility"]
    if not jc.settings["irreversibility_reached"]:
        console.print(
            f"irreversible over the whole sweep (up to {jc.settings['field_max_T']:.3g} T; the "
            f"irreversibility field was not reached): {cut} point(s) at the turning field, where "
            "the branches meet, left out"
        )
    elif cut:
        console.print(
            f"irreversible up to {b_irr:.3g} T: {cut} points above it (reversible loop) left out"
        )
    flagged = jc.field_T[jc.unpenetrated]
    if flagged.size:
        console.print(
            f"{flagged.size} of {jc.field_T.size} points flagged not fully penetrated "
            f"({_flagged_text(jc.field_T, jc.unpenetrated)}); kept, not smoothed"
        )
    with replacing_all([out, plot]) as (out_to, plot_to):  # both or neither
        if out_to:
            jc.to_csv(out_to)
        if plot_to:
            from fluxtrap.magnetometry import plots

            plots.loop_and_jc(table, jc, sample_volume(a_m, b_m, c_m, shape), plot_to)
    if out:
        console.print(
            f"wrote {out} ({jc.field_T.size} rows, B_T,Jc_A_cm2,Jc_err_A_cm2,unpenetrated; "
            f"uncertainty from the {jc.settings['jc_err_from']} with the extended Bean model's "
            "self-field error)"
        )
        if jc.temperature_K is not None and math.isfinite(jc.temperature_K):  # not in the CSV
            console.print(
                f"measured at {jc.temperature_K:.4g} K: in a case file's jc.tables, "
                f'{{ temperature = "{jc.temperature_K:.4g} K", csv = "{out.name}" }}'
            )
    _say_wrote(None, plot)


def _say_wrote(*files: Path | None) -> None:
    """A ``wrote FILE`` line for each file given (None: not asked for)."""
    for f in files:
        if f is not None:
            console.print(f"wrote {f}")


def _flagged_text(field_T: np.ndarray, flags: np.ndarray) -> str:
    """Where a Jc curve's flagged points lie: the remanent peak (those below its first unflagged
    field, T) and near the turning field (above its last); a split at 1 T had named a strong bar's
    peak flagged to 1.6 T 'B <= 0.95 T remanent peak, and near the turning field'."""
    kept = field_T[~flags]
    if not kept.size:
        return "every point"
    low, high = flags & (field_T < kept[0]), flags & (field_T > kept[-1])
    parts = [f"B <= {field_T[low].max():.3g} T remanent peak"] if low.any() else []
    parts += [f"B >= {field_T[high].min():.3g} T near the turning field"] if high.any() else []
    return ", ".join(parts) or "between fully penetrated points"


def tc_criterion(criterion: str, level: float | None) -> tuple[str, float]:
    """``--criterion shielded|normal`` (or a bare fraction: the default convention at that level)."""
    from fluxtrap.magnetometry.tc import CRITERIA, DEFAULT_CRITERION

    name = criterion.strip().lower()
    if name in CRITERIA:
        return name, 0.9 if level is None else level
    try:
        fraction = float(name.rstrip("%")) / (100 if name.endswith("%") else 1)
    except ValueError:  # "shieldd" was refused without the near miss
        from fluxtrap.campaign import MAX_NAME  # loads pandas: only for this message
        from fluxtrap.inputs import near

        close = near(name[:MAX_NAME], CRITERIA)
        hint = f" (did you mean {close!r}?)" if close else ""
        raise ValidationError(
            f"--criterion {criterion[:MAX_NAME]!r}: expected shielded, normal or a fraction such "
            f"as 0.9{hint}"
        ) from None
    if not 0.5 <= fraction <= 0.99:  # "1.5", "nan", "-0.9": 'Tc level must lie in [0.5, 1),
        # got 1.5' after the file was read, without the option; the range --level has
        raise ValidationError(
            f"--criterion {criterion[:40]!r}: a fraction from 0.5 to 0.99 (or 50% to 99%), "
            f"got {fraction:g}"
        )
    if level is not None and level != fraction:  # which one? (0.95 was used for 0.8)
        raise ValidationError(
            f"--criterion {criterion!r} and --level {level:g} give two fractions: give one"
        )
    return DEFAULT_CRITERION, fraction


def tc_command(
    mt_file: Annotated[
        Path, typer.Argument(help="M(T) curve: Quantum Design .dat or CSV (ZFC and/or FC).")
    ],
    criterion: Annotated[
        str,
        typer.Option(
            "--criterion",
            help="shielded: Tc where the transition is --level (90%) shielded (the published "
            "work's 'the transition reached 90%', the default); normal: where the moment is back "
            "--level of the way to the normal state. A bare fraction (0.9) is the level of the default.",
        ),
    ] = "shielded",
    level: Annotated[
        float | None,
        typer.Option(
            "--level", min=0.5, max=0.99, help="Fraction for the criterion (default 0.9)."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="JSON to write (Tc, uncertainty, fit per sweep).",
            parser=path_text,
            callback=out_file,
        ),
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            help="Figure to write: M(T) with the fit and Tc.",
            parser=path_text,
            callback=figure_file,
        ),
    ] = None,
    column: ColumnsOption = None,
    overwrite: OverwriteOption = False,
) -> None:
    """Tc from M(T): a robust fit of a smooth step on a normal-state baseline; Tc off the fit, ± 1 sigma.

    \b
    Example:
      fluxtrap tc tutorial/mt_100Oe_SYNTHETIC.dat --criterion normal --out tc.json --plot tc.png
      (tutorial/: the SYNTHETIC files `examples/tutorial_files.py --out tutorial/` writes)
    """
    from fluxtrap.magnetometry.readers import read
    from fluxtrap.magnetometry.tc import criterion_text, find_tc, split_sweeps

    distinct_files({"the M(T) file": mt_file}, {"--out": out, "--plot": plot})
    refuse_existing({"--out": out, "--plot": plot}, overwrite)
    name, fraction = tc_criterion(criterion, level)
    convention = criterion_text(name, fraction)
    table = read(mt_file, columns=_columns(column))
    _warn_skipped(table.metadata.filename, table.metadata.skipped_lines)
    sweeps = split_sweeps(table)
    results, reasons = [], []
    for sw in sweeps:
        try:
            results.append(
                find_tc(sw, criterion=name, level=fraction, source=table.metadata.filename)
            )
        except AnalysisError as err:
            reasons.append(str(err))
    title = table.metadata.sample_name or mt_file.name
    if not results:
        if plot:  # the data, to see why
            from fluxtrap.magnetometry import plots

            plots.mt_curves(sweeps, results, plot, title=title)
            console.print(f"wrote {plot}")
        raise AnalysisError("; ".join(reasons))
    shown = Table(
        "sweep",
        Column("Tc (K)", no_wrap=True),
        "onset, 1% (K)",
        "width (K)",
        "step (emu)",
        "outliers",
        title=mt_file.name,
    )
    for r in results:
        shown.add_row(
            r.sweep,
            estimate_text(r.tc_K, r.tc_err_K),
            f"{r.onset_K:.2f}",
            f"{r.width_K:.2g}",
            f"{r.step_Am2 * 1e3:.3g}",
            str(r.n_outliers),
        )
    console.print(f"Tc criterion: {convention}")
    console.print(shown)
    for why in reasons:
        console.print(why, style="yellow")
    with replacing_all([out, plot]) as (out_to, plot_to):  # both or neither
        if out_to:
            written = {
                "file": mt_file.name,
                "criterion": name,
                "level": fraction,
                "convention": convention,
                "sweeps": [r.to_dict() for r in results],
                "not_found": reasons,
            }
            out_to.write_text(json.dumps(written, indent=2), encoding="utf-8")
        if plot_to:
            from fluxtrap.magnetometry import plots

            plots.mt_curves(sweeps, results, plot_to, title=title)
    _say_wrote(out, plot)


def creep_command(
    series_csv: Annotated[
        Path,
        typer.Argument(
            help="Trapped-field series CSV: a time column (time_s) and a field column (B_T)."
        ),
    ],
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help='Time (since the field reached zero) for the decay rate, e.g. "3 d" (default: '
            "the last point).",
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--start",
            help='Fit from this time after the origin, e.g. "60 s" (default: 50 tau after it, '
            "tau = b / the ramp's slope where the ramp is in the series, else from the "
            "relaxation's bend, a - b ln(t + tau); every point after it where it does not bend; "
            "the early relaxation is not ln t, and a warning says when that shows).",
        ),
    ] = None,
    origin: Annotated[
        str | None,
        typer.Option(
            "--origin",
            help='When the field removal ended, on the file\'s clock, e.g. "5250 s" (default: '
            "from an applied_T column, else found in the data, else the clock's zero).",
        ),
    ] = None,
    column: Annotated[
        str | None,
        typer.Option(
            "--column",
            help="Field column when there are several (default: the only one; several without it are refused, naming them).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="JSON to write (fit, covariance, rates).",
            parser=path_text,
            callback=out_file,
        ),
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            help="Figure to write: B(t), fit and extrapolation.",
            parser=path_text,
            callback=figure_file,
        ),
    ] = None,
    overwrite: OverwriteOption = False,
) -> None:
    """Flux creep: fit B(t) = a - b ln t, S = b / B (dimensionless) at t0 and --at, decay in ppm/h
    at --at, extrapolated B.

    \b
    Example:
      fluxtrap creep tutorial/hall_SYNTHETIC.csv --start "60 s" --at "3 d" --out creep.json
      (tutorial/: the SYNTHETIC files `examples/tutorial_files.py --out tutorial/` writes)
    """
    import numpy as np

    from fluxtrap.magnetometry.creep import (
        CreepResidualWarning,
        MissingSamplesWarning,
        fit_creep,
        read_series,
    )
    from fluxtrap.magnetometry.loops import RepeatedMeasurementWarning

    # the options first: a mistyped one is said before the file is read and fitted
    distinct_files({"the series file": series_csv}, {"--out": out, "--plot": plot})
    refuse_existing({"--out": out, "--plot": plot}, overwrite)
    origin_s = clock_time(origin, "--origin") if origin else None
    start_s = time_after_origin(start, "--start", zero=True) if start else None
    at_given = time_after_origin(at, "--at") if at else None
    time, field, applied, col, lines = read_series(
        series_csv, column=column, gaps=True, with_lines=True
    )
    with warnings.catch_warnings():
        # printed below from fit.warnings
        warnings.simplefilter("ignore", CreepResidualWarning)
        warnings.simplefilter("ignore", RepeatedMeasurementWarning)
        warnings.simplefilter("ignore", MissingSamplesWarning)
        fit = fit_creep(
            time,
            field,
            applied_T=applied,
            origin_s=origin_s,
            start_s=start_s,
            source=series_csv.name,
            column=col,
            lines=lines,
        )
    for text in fit.warnings:
        print(f"warning: {visible(text)}", file=sys.stderr)
    at_s = at_given if at_given is not None else fit.t_end_s
    if at_note := fit.extrapolation(at_s, "--at"):
        print(f"warning: {visible(at_note)}", file=sys.stderr)
    sa, sb = np.sqrt(np.diag(fit.cov))
    before = fit.n_before_origin
    console.print(
        f"{series_csv.name} [{col}]: {fit.n_points} points from t = {fit.t_start_s:.4g} s to "
        f"{fit.t_end_s:.4g} s after the origin ({fit.origin_s:.4g} s on the file's clock, "
        f"{ORIGIN_FROM[fit.origin_from]})"
        + (f"; {before} row{'s' * (before != 1)} at t <= 0 left out" if before else "")
        + dropped_text(fit.n_dropped),
    )
    shown = Table("quantity", "value")
    shown.add_row("a (T)", estimate_text(fit.a_T, sa))
    shown.add_row("b (T per ln s)", estimate_text(fit.b_T, sb))
    if fit.noise_white < 1:
        shown.add_row(
            "residual noise",
            f"correlated over {fit.noise_tau_s:.3g} s ({1 - fit.noise_white:.0%} of its variance): "
            f"1-sigma {fit.sigma_factor:.3g}x that of independent noise",
        )
    if fit.origin_shift_s > 0:
        shown.add_row(
            "origin found: its uncertainty",
            f"b {fit.origin_moves_ab_T[1]:+.2g} T fitted from {fit.origin_shift_s:.3g} s earlier "
            "(the relaxation's own start): in the ± above",
        )
    # S as compare prints it: b / B(t0) at the first point fitted, and at --at
    shown.add_row(
        f"S = b/B(t0), t0 = {fit.t_start_s:.3g} s (1)",
        f"{fit.rate(fit.t_start_s):.4g}",
    )
    shown.add_row(f"S = b/B(t) at {at_s:.4g} s (1)", f"{fit.rate(at_s):.4g}")
    shown.add_row(f"B at {at_s:.4g} s (T)", estimate_text(fit.field(at_s), fit.field_sigma(at_s)))
    shown.add_row(
        f"decay at {at_s:.4g} s (ppm/h)",
        estimate_text(fit.decay_ppm_per_h(at_s), fit.decay_sigma_ppm_per_h(at_s)),
    )
    if np.isfinite(fit.end_decay_ppm_per_h()):  # not b's average over the window: S there
        shown.add_row(
            "decay at the end, local (ppm/h)",
            f"{estimate_text(fit.end_decay_ppm_per_h(), fit.end_decay_sigma_ppm_per_h())} at "
            f"{fit.t_end_s:.4g} s (local S = {fit.end_fit[1]:.4g})",
        )
    curved_at, curved_sigma = fit.end_decay_at(at_s)
    if at_s != fit.t_end_s and np.isfinite(curved_at):  # the local S carried on to --at
        shown.add_row(
            f"decay at {at_s:.4g} s, curved fit (ppm/h)", estimate_text(curved_at, curved_sigma)
        )
    mri: dict = {}
    try:
        t01 = fit.time_to_reach_ppm_per_h(0.1)
        lo, hi = fit.time_to_reach_range(0.1)
        mri = {"mri_0p1_ppm_h_after_s": t01, "mri_0p1_ppm_h_after_1sigma_s": [lo, hi]}
        shown.add_row(
            "|decay| < 0.1 ppm/h (MRI) after",
            f"{t01:.4g} s = {t01 / 86400:.4g} d (1-sigma {lo / 86400:.4g}..{hi / 86400:.4g} d)",
        )
    except AnalysisError as err:
        shown.add_row("|decay| < 0.1 ppm/h (MRI)", str(err))
    t01, lo, hi = fit.end_time_to_reach_ppm_per_h(0.1)
    if np.isfinite(t01):  # the curvature fitted: ln t and the power law of E ~ J^n both held
        mri |= {"mri_0p1_ppm_h_curved_after_s": t01, "mri_0p1_ppm_h_curved_1sigma_s": [lo, hi]}
        shown.add_row(
            "|decay| < 0.1 ppm/h, curved fit",
            f"{t01 / 86400:.4g} d (1-sigma {lo / 86400:.4g}..{hi / 86400:.4g} d)",
        )
    elif t01 == np.inf:  # as ln t's row says it: the row had gone without a word
        shown.add_row("|decay| < 0.1 ppm/h, curved fit", "never (before 1e30 s)")
    console.print(shown)
    summary = (
        fit.to_dict()
        | {
            "at_s": at_s,
            "field_at_T": float(fit.field(at_s)),
            "field_at_sigma_T": float(fit.field_sigma(at_s)),
            "decay_at_ppm_per_h": float(fit.decay_ppm_per_h(at_s)),
            "decay_at_sigma_ppm_per_h": float(fit.decay_sigma_ppm_per_h(at_s)),
            "S_at": float(fit.rate(at_s)),
            "decay_at_curved_ppm_per_h": curved_at if np.isfinite(curved_at) else None,
            "decay_at_curved_sigma_ppm_per_h": curved_sigma if np.isfinite(curved_sigma) else None,
            "at_extrapolated": at_note,
        }
        | mri
    )
    with replacing_all([out, plot]) as (out_to, plot_to):  # both or neither
        if out_to:
            out_to.write_text(json.dumps(summary, indent=2), encoding="utf-8")
        if plot_to:
            from fluxtrap.magnetometry import plots

            plots.creep(time, field, fit, at_s, plot_to)
    _say_wrote(out, plot)


measure_app = typer.Typer(
    help="Store measurement files and what is derived from them.", no_args_is_help=True
)


@measure_app.command("add", short_help="Store a raw file, its Jc(B) or Tc, and the objectives.")
@interruptible("measure add")
def measure_add(
    file: Annotated[Path, typer.Argument(help="Instrument file (Quantum Design .dat or CSV).")],
    campaign: CampaignOption,
    sample: Annotated[str, typer.Option("--sample", "-s", help="Sample label.")],
    a: Annotated[str | None, typer.Option("--a", help=f"{A_HELP} (M(H) loops)")] = None,
    b: Annotated[str | None, typer.Option("--b", help=B_HELP)] = None,
    c: Annotated[str | None, typer.Option("--c", help=C_HELP)] = None,
    shape: ShapeOption = "bar",
    diameter: DiameterOption = None,
    thickness: ThicknessOption = None,
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="What the file measures: mh_loop (Jc(B) and the jc objectives; needs --a --b "
            "--c, or --shape cylinder --diameter --thickness) or mt_curve (Tc of each sweep, 90 % shielded, and the tc objectives).",
        ),
    ] = "mh_loop",
    temperature: TemperatureOption = None,
    column: ColumnsOption = None,
    force: ForceOption = False,
    by: Annotated[str | None, typer.Option("--by", help="Who recorded it.", callback=who)] = None,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="Overwrite objective values already stored (said which)."),
    ] = False,
    db: DbOption = None,
) -> None:
    """Store the raw file, what is derived from it (Jc(B) of an M(H) loop, Tc of an M(T) curve)
    and the sample's objective values (all or nothing; a value already stored is refused unless
    --replace)."""
    from fluxtrap.magnetometry.pipeline import kind_name, tc_source_note
    from fluxtrap.magnetometry.readers._columns import read_limited
    from fluxtrap.workflows.measurements import measurement_target, record_measurement

    kind = kind_name(kind, "--kind")  # "MH_LOOP" was refused; "mt_curv", "MH": the near miss
    # the file next, then the options: "needs the sample's edges" came before "no such file"
    content = read_limited(file)
    t = _loop_temperature(temperature)
    columns = _columns(column)
    edges = None
    if kind == "mh_loop":
        try:
            edges, shape = _sample(shape, a, b, c, diameter, thickness)
        except ValidationError:
            from fluxtrap.magnetometry.pipeline import _read

            _read(content, file.name, columns, kind)  # a file no loop is read from: said first
            raise
    elif shape != "bar" or diameter or thickness:
        raise ValidationError("--shape, --diameter and --thickness apply to M(H) loops (mh_loop)")
    store = store_from(db)
    spec = measurement_target(store, campaign, sample)  # a missing sample fails before the analysis
    with _printed_warnings():
        done = record_measurement(
            store,
            campaign,
            sample,
            file.name,
            content,
            edges,
            kind=kind,
            temperature_K=t,
            columns=columns,
            recorded_by=by,
            spec=spec,
            force=force,
            replace=replace,
            shape=shape,
        )
    stored = f"stored {file.name} as measurement {done.record.id} of {sample} ({kind}"
    if done.metadata.get("synthetic") is True:  # as the dashboard flags it: it looks measured
        print(
            f"warning: {file.name} says it is SYNTHETIC (its header: generated, not measured); "
            f"{sample}'s values from it are flagged so in sample list and on the dashboard",
            file=sys.stderr,
        )
    if done.jc is None:
        meta = done.metadata
        _warn_skipped(file.name, meta.get("skipped_lines", ()), meta.get("skipped_rows"))
        console.print(f"{stored}, {meta['field_T'] * 1e4:.4g} Oe):")
        for text in dict.fromkeys(w for r in done.tc for w in r.warnings):  # a file's note once
            print(f"warning: {visible(text)}", file=sys.stderr)
        for r in done.tc:
            console.print(
                f"  {r.sweep}: Tc ({r.convention}) = {estimate_text(r.tc_K, r.tc_err_K)} K"
            )
        for why in done.metadata["tc_not_found"]:
            console.print(f"  {why}", style="yellow")
        fitted = [r.sweep for r in done.tc]
        if done.objectives and (note := tc_source_note(fitted, done.metadata["tc_not_found"])):
            console.print(f"  {note}", style="yellow")
    else:
        jc = done.jc
        meta = done.metadata
        _warn(file.name, meta.get("skipped_lines", ()), jc, meta.get("skipped_rows"))
        console.print(f"{stored}, {_temperature(jc.temperature_K)}): {jc!r}")
    for name, value in done.objectives.items():
        o, err = spec.objective(name), done.errors.get(name, math.nan)
        known = math.isfinite(err) and err > 0
        if o.quantity == "jc":
            shown = (
                f"{estimate_text(to_A_cm2(value), to_A_cm2(err))} A/cm² (± 1σ of the moment "
                "noise and the Bean model's self-field error; the edges' uncertainty adds to it)"
                if known
                else f"{to_A_cm2(value):.4g} A/cm²"
            )
            console.print(f"  {name} = {shown}, {value:.4g} A/m²")
        else:
            console.print(f"  {name} = {estimate_text(value, err) if known else f'{value:.4g}'} K")
        if name in done.replaced:
            old, old_err = done.replaced[name]
            console.print(
                f"  {name} replaced: was {objective_cell(old, o, old_err)} {o.shown_unit}".rstrip()
            )
    for name, why in done.skipped.items():
        console.print(f"  {name} not set: {why}", style="yellow")


@measure_app.command("derive", short_help="Derive stored files again with this analysis.")
@interruptible("measure derive")
def measure_derive(
    campaign: CampaignOption,
    sample: Annotated[str | None, typer.Option("--sample", "-s", help="Only this sample.")] = None,
    ids: Annotated[
        list[int] | None,
        typer.Option("--id", help="Only this measurement id; repeat.", min=1, callback=ID_BOUND),
    ] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who derived them.", callback=who)] = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Set objective values that the new analysis reads differently."
        ),
    ] = False,
    quiet: QuietOption = False,
    db: DbOption = None,
) -> None:
    """Derive stored measurements again from their stored files with this version's analysis
    (the edges, loop and columns they were stored with): their curves and error bars are
    replaced, the samples' objective errors refreshed; a value read differently is kept unless
    --replace. All or nothing."""
    from rich.progress import Progress

    from fluxtrap.workflows.measurements import rederive_measurements

    store = store_from(db)
    with (
        _printed_warnings(),
        Progress(console=console, disable=no_bar(quiet), transient=True) as bar,
    ):
        task = bar.add_task("deriving again", total=None)
        done = rederive_measurements(
            store,
            campaign,
            sample,
            ids or (),
            replace=replace,
            changed_by=by,
            progress=lambda n, total: bar.update(task, completed=n, total=total),
        )
    if not done:
        console.print(f"no stored measurements in {campaign}" + (f" of {sample}" if sample else ""))
        return
    spec = store.campaign(campaign)
    for r in done:
        rec = r.record
        said = (
            repr(r.jc)
            if r.jc is not None
            else ", ".join(
                f"{t.sweep}: Tc ({t.convention}) = {estimate_text(t.tc_K, t.tc_err_K)} K"
                for t in r.tc
            )
        )
        console.print(f"measurement {rec.id} ({rec.filename}, {rec.sample}) derived again: {said}")
        for name, value in r.objectives.items():
            o = spec.objective(name)
            console.print(
                f"  {name} = {objective_cell(value, o, r.errors.get(name))} {o.shown_unit}"
            )
            if name in r.replaced:
                old, old_err = r.replaced[name]
                console.print(
                    f"  {name} replaced: was {objective_cell(old, o, old_err)} {o.shown_unit}"
                )
        for name, (old, new) in r.kept.items():
            o = spec.objective(name)
            console.print(
                f"  {name} kept at {objective_cell(old, o)} {o.shown_unit}: derived again it reads "
                f"{objective_cell(new, o)} (--replace to set it)",
                style="yellow",
            )
    console.print(f"derived {len(done)} measurement(s) again; their raw files are unchanged")


@measure_app.command("list")
@interruptible("measure list")
def measure_list(
    campaign: CampaignOption,
    sample: Annotated[str | None, typer.Option("--sample", "-s", help="Only this sample.")] = None,
    db: DbOption = None,
) -> None:
    """List stored measurements and their derived curves."""
    store = store_from(db, reads_only=True)
    measurements = store.measurements(campaign, sample, with_content=False)
    curves = store.curves_of([m.id for m in measurements])
    rows = [
        [
            str(m.id),
            m.sample,
            m.kind,
            f"{m.temperature_K:.3g}" if m.temperature_K is not None else "-",
            m.filename + (" (SYNTHETIC)" if m.metadata.get("synthetic") is True else ""),
            ", ".join(  # a tc_fit per sweep: its label (ZFC warming, FC cooling) tells them apart
                " ".join([cv.kind, str(cv.settings.get("sweep") or "")]).strip()
                + f" ({len(next(iter(cv.columns.values()), []))} pts)"
                for cv in curves.get(m.id, [])
            ),
        ]
        for m in measurements
    ]
    headers = ["id", "sample", "kind", "T [K]", "file", "curves"]  # cells whole: file names too
    print_table(headers, rows, title=campaign)


@measure_app.command("get", short_help="Write a stored raw file back out, its SHA-256 checked.")
@interruptible("measure get", FILES_WHOLE)
def measure_get(
    measurement_id: Annotated[
        int,
        typer.Argument(
            metavar="ID", help="Measurement id (see measure list).", min=1, callback=ID_BOUND
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="File to write the stored file to, byte for byte [default: the name it was "
            "stored under, in the current folder].",
            parser=path_text,
            callback=out_file,
        ),
    ] = None,
    overwrite: OverwriteOption = False,
    db: DbOption = None,
) -> None:
    """Write a stored measurement's raw file back out as it was stored, its SHA-256 checked
    against the one recorded with it: to --out, or under its stored name in the current folder
    (an existing file is never replaced without --overwrite)."""
    store = store_from(db, out, reads_only=True)  # first: --out the store is refused as such
    refuse_existing({"--out": out}, overwrite)
    rec = store.measurement(measurement_id)  # its SHA-256 checked: a damaged file is refused
    if out is None:
        out = _stored_name(rec.filename, rec.id)
        if out.exists() and not (overwrite and out.is_file()):
            why = "give --overwrite to replace it" if out.is_file() else "not a regular file"
            raise ValidationError(
                f"{out}: exists (measurement {rec.id} was stored under that name); {why}, or "
                "give --out another file"
            )
        not_the_store(store, out)
    with replacing(out) as partial:
        partial.write_bytes(rec.content)
    console.print(
        f"wrote {out}: measurement {rec.id} of {rec.sample} in {rec.campaign}, stored as "
        f"{rec.filename} ({rec.size} bytes, SHA-256 {rec.sha256} as recorded)"
    )


def _stored_name(filename: str, measurement_id: int) -> Path:
    """The file ``measurement_id`` was stored under, in the current folder: its last path part
    (an upload's name may carry a client's folders, ``C:\\data\\x.dat``, or ``../x.dat``);
    none that can be a file name there is a ``ValidationError`` asking for --out."""
    name = re.split(r"[/\\]", filename)[-1]
    if name in ("", ".", "..") or len(name.encode()) > NAME_MAX:
        raise ValidationError(
            f"measurement {measurement_id} was stored as {filename[:80]!r}, which is no file "
            f"name here (empty, a folder, or over {NAME_MAX} bytes): give --out"
        )
    return Path(name)


def register(app: typer.Typer) -> None:
    """Add jc, tc, creep and the measure sub-commands to the root ``fluxtrap`` app."""
    for name, command, short in (
        ("jc", jc_command, "Jc(B) from an M(H) loop by the extended Bean model."),
        ("tc", tc_command, "Tc ± 1σ from M(T) (90% shielded, or --criterion)."),
        ("creep", creep_command, "Creep of a Hall-probe series: B = a - b ln t, S, ppm/h."),
    ):
        app.command(name, short_help=short)(interruptible(name, FILES_WHOLE)(command))
    app.add_typer(measure_app, name="measure")
