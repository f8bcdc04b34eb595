"""``fluxtrap sweep``: run variants of a simulation case on Dask (see :mod:`fluxtrap.workflows.sweep`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fluxtrap.cli.common import QuietOption, console
from fluxtrap.errors import ValidationError


def register(app: typer.Typer) -> None:
    app.command("sweep")(sweep)


def sweep(
    case: Annotated[
        Path, typer.Argument(help="Simulation case TOML file (the base of every variant).")
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Folder for results.csv/json, plots and the cache.")
    ],
    vary: Annotated[
        list[str] | None,
        typer.Option(
            "--vary",
            help="NAME=START:STOP:NUM or NAME=V1,V2,...; repeat for a cartesian product. "
            "NAME: radius, inner_radius, thickness, spacer_thickness, temperature, field, n, "
            "jc_scale or a dotted path "
            "(materials.bulk1.n, stack.0.radius, mesh.size).",
        ),
    ] = None,
    list_: Annotated[
        Path | None,
        typer.Option(
            "--list", help="CSV of variants: a column per swept name, cells like '12 mm' or 35."
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler", help="Address of a running Dask scheduler, e.g. tcp://head:8786."
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option(help="Worker processes of the local Dask cluster (without --scheduler).")
    ] = 2,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Run variants that failed before again.")
    ] = False,
    quiet: QuietOption = False,
) -> None:
    """Run the variants of a case on Dask; done variants are cached in OUT/cache and skipped."""
    from fluxtrap.workflows.sweep import Axis, read_list, run_sweep

    axes = [Axis.parse(v) for v in vary or []]
    rows = read_list(list_) if list_ is not None else []
    if not axes and not rows:
        raise ValidationError("sweep: give at least one --vary NAME=... or a --list CSV")
    result = run_sweep(
        case,
        axes,
        rows,
        out,
        scheduler=scheduler,
        workers=workers,
        retry_failed=retry_failed,
        progress=not quiet,
    )
    if not quiet:
        console.print(_table(result.table))
    for i, row in result.table[result.table["status"] != "done"].iterrows():
        console.print(f"[red]variant {i}[/] failed: {row['error']}", markup=True, highlight=False)
    console.print(
        f"{len(result.table)} variants: {result.computed} computed, {result.cached} from cache, "
        f"{result.failed} failed; wrote {', '.join(str(p) for p in result.files)}"
    )


def _table(df) -> Table:
    """Parameters, probe values, wall time and status of each variant (errors are listed below)."""
    shown = [
        c for c in df.columns if c not in ("key", "cached", "error") and not c.startswith("solver_")
    ]
    table = Table("#", *shown)
    for i, row in df.iterrows():
        table.add_row(str(i), *(_cell(row[c]) for c in shown))
    return table


def _cell(v) -> str:
    if isinstance(v, float):
        return "-" if v != v else f"{v:.4g}"
    return str(v)
