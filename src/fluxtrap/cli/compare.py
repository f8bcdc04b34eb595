"""``fluxtrap compare MEASURED.csv SIM``: a measured Hall-probe series against a simulated probe."""

from __future__ import annotations

import io
import json
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from fluxtrap.cli.common import (
    FILES_WHOLE,
    MAX_ID,
    DbOption,
    console,
    dropped_text,
    interruptible,
    out_dir,
    path_text,
    store_from,
    time_after_origin,
    visible,
)
from fluxtrap.errors import InputFileError, ValidationError
from fluxtrap.outputs import claimed, staged_folder
from fluxtrap.units import estimate_text, parse

if TYPE_CHECKING:
    import pandas as pd


def _simulation(sim: str, db: str | None) -> tuple[pd.DataFrame, str, dict[str, float]]:
    """probes.csv of a run folder, or of a stored simulation id (in ``--db``, or the default
    store when no such folder exists); its name; and each probe's estimated discretization
    error, the largest over the run (T; summary.json's ``probes.<name>.max_error_T``, {} without
    a summary)."""
    import pandas as pd

    from fluxtrap.inputs import read_bytes
    from fluxtrap.probetable import MAX_PROBES_FILE

    path = Path(sim)
    if db is not None or (sim.isascii() and sim.isdigit() and not path.exists()):
        try:
            sim_id = int(sim)
            if not 1 <= sim_id <= MAX_ID:
                raise ValueError
        except ValueError:
            raise ValidationError(f"SIM {sim!r}: with --db give a stored simulation id") from None
        x = store_from(db, reads_only=True).simulation(sim_id)
        if not x.probes_csv:
            raise InputFileError(f"simulation {sim_id}: no probes.csv stored ({x.status})")
        return x.probes, f"simulation {sim_id}", _max_errors(x.summary)
    csv = path / "probes.csv" if path.is_dir() else path
    if not csv.is_file():
        raise InputFileError(
            f"{sim}: no simulation output here (expected a folder with probes.csv, "
            "or a stored simulation id)"
        )
    data = read_bytes(csv, "probes table", MAX_PROBES_FILE)
    try:
        probes = pd.read_csv(io.BytesIO(data))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise InputFileError(f"{csv}: not a probes table ({err})") from None
    summary = csv.with_name("summary.json")
    if not summary.is_file():
        return probes, str(csv), {}
    try:
        errors = _max_errors(json.loads(read_bytes(summary, "summary", MAX_PROBES_FILE)))
    except ValueError:
        warnings.warn(f"{summary}: not JSON; no discretization error shown", stacklevel=2)
        errors = {}
    return probes, str(csv), errors


def _max_errors(summary: object) -> dict[str, float]:
    """{probe: max_error_T} of a summary.json document (entries without a number left out)."""
    probes = summary.get("probes") if isinstance(summary, dict) else None
    return {
        str(k): float(v["max_error_T"])
        for k, v in (probes.items() if isinstance(probes, dict) else ())
        if isinstance(v, dict) and isinstance(v.get("max_error_T"), int | float)
    }


def compare_command(
    measured_csv: Annotated[
        Path,
        typer.Argument(
            metavar="MEASURED.csv",
            help="Measured Hall-probe series CSV, as `fluxtrap creep` reads it.",
        ),
    ],
    sim: Annotated[
        str,
        typer.Argument(
            metavar="SIM", help="Simulation output folder (probes.csv), or with --db a stored id."
        ),
    ],
    probe: Annotated[
        str | None,
        typer.Option("--probe", help="Simulated probe (default: the only one)."),
    ] = None,
    column: Annotated[
        str | None,
        typer.Option(
            "--column",
            help="Measured field column when there are several (default: the only one; several without it are refused, naming them).",
        ),
    ] = None,
    shift: Annotated[
        str,
        typer.Option("--shift", help='Added to the measured times since the origin, e.g. "60 s".'),
    ] = "0 s",
    start: Annotated[
        str | None,
        typer.Option(
            "--start",
            help='Compare and fit from this time after the origin, e.g. "60 s" (the early '
            "relaxation is not ln t; default: every point after the origin).",
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at", help='Time since the origin for S and ppm/h, e.g. "3 d" (default: the end).'
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Directory for compare.png and compare.json.",
            parser=path_text,
            callback=out_dir,
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Lay a measured trapped-field series over a simulated probe: residuals, ratio, creep rates.

    \b
    Example:
      fluxtrap compare tutorial/hall_SYNTHETIC.csv paper/ --probe center --out cmp/
      (tutorial/: `examples/tutorial_files.py --out tutorial/`; paper/: `fluxtrap simulate
      examples/paper_bulk_pair.toml --out paper/`)
    """
    from fluxtrap.magnetometry.compare import compare
    from fluxtrap.magnetometry.creep import read_series
    from fluxtrap.probetable import simulated_trace

    shift_s = parse(shift, "time", "--shift")
    start_s = time_after_origin(start, "--start") if start else 0.0
    at_s = time_after_origin(at, "--at") if at else None
    time, field, applied, col, lines = read_series(
        measured_csv, column=column, gaps=True, with_lines=True
    )
    probes, sim_name, sim_errors = _simulation(sim, db)
    ts, bs, applied_s, name = simulated_trace(probes, probe, source=sim_name)
    c = compare(
        time,
        field,
        ts,
        bs,
        applied_s,
        measured_applied_T=applied,
        shift_s=shift_s,
        start_s=start_s,
        at_s=at_s,
        probe=name,
        source=measured_csv.name,
        measured_lines=lines,
    )
    # a rate read off the fits where nothing was measured is said, as creep says it
    if at_note := c.measured_fit.extrapolation(c.at_s, "--at"):
        print(f"warning: {visible(at_note)}", file=sys.stderr)
    console.print(
        f"{measured_csv.name} ({col}) against {sim_name} probe {name}: {c.t_s.size} points over "
        f"t = {c.t_start_s:.4g}..{c.t_end_s:.4g} s after the applied field reached its final value "
        f"(shift {c.shift_s:g} s){dropped_text(c.n_dropped)}"
        + (f"; simulated: {gap[2:]}" if (gap := dropped_text(c.simulated_n_dropped)) else "")
    )
    diff = Table("difference", "value")
    diff.add_row("rms |measured - simulated| (T)", f"{c.rms_T:.4g}")
    diff.add_row("max |measured - simulated| (T)", f"{c.max_abs_T:.4g}")
    diff.add_row("rms, % of mean measured B", f"{c.rms_pct:.3g} %")
    diff.add_row("max, % of mean measured B", f"{c.max_abs_pct:.3g} %")
    diff.add_row(
        f"measured / simulated at {c.t_end_s:.4g} s", estimate_text(c.ratio_end, c.ratio_end_sigma)
    )
    error = sim_errors.get(name)
    if error is not None:
        diff.add_row("simulation's discretization error, max over run (T)", f"{error:.2g}")
    console.print(diff)
    fits = Table("creep fit", "measured", "simulated")
    m, s = c.creep("measured"), c.creep("simulated")
    fits.add_row("a (T)", estimate_text(m["a_T"], m["a_sigma_T"]), f"{s['a_T']:.6g}")
    fits.add_row("b (T per ln s)", estimate_text(m["b_T"], m["b_sigma_T"]), f"{s['b_T']:.4g}")
    # S as creep prints it: b / B(t0) at the first point fitted, and at --at
    fits.add_row(
        f"S = b/B(t0), t0 = {c.t_start_s:.3g} s (1)",
        estimate_text(m["S_at_start"], m["S_at_start_sigma"]), f"{s['S_at_start']:.4g}",
    )  # fmt: skip
    fits.add_row(
        f"S = b/B(t) at {c.at_s:.4g} s (1)", estimate_text(m["S_at"], m["S_at_sigma"]),
        f"{s['S_at']:.4g}",
    )  # fmt: skip
    fits.add_row(
        f"decay at {c.at_s:.4g} s (ppm/h)",
        estimate_text(m["decay_at_ppm_per_h"], m["decay_at_sigma_ppm_per_h"]),
        f"{s['decay_at_ppm_per_h']:.4g}",
    )
    console.print(fits)
    if out is not None:
        from fluxtrap.magnetometry import plots

        summary = c.to_dict() | {"measured_file": str(measured_csv), "measured_column": col,
                                 "simulation": sim_name, "at_extrapolated": at_note,
                                 "simulation_max_error_T": error}  # fmt: skip
        # both or neither: a Ctrl-C while the figure was drawn left a new json by the old png
        with claimed(out), staged_folder(out, owned=("compare.json", "compare.png")) as stage:
            (stage / "compare.json").write_text(json.dumps(summary, indent=2))
            plots.compare(c, stage / "compare.png", measured_label=f"measured {col}")
        console.print(f"wrote compare.json, compare.png to {out}")


def register(app: typer.Typer) -> None:
    """Add ``compare`` to the root ``fluxtrap`` app."""
    short = "A measured trapped-field series against a simulated probe."
    app.command("compare", short_help=short)(interruptible("compare", FILES_WHOLE)(compare_command))
