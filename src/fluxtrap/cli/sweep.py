"""``fluxtrap sweep``: run variants of a simulation case on Dask (see :mod:`fluxtrap.workflows.sweep`)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer

from fluxtrap.cli.common import (
    DEFAULT_WORKERS,
    MAX_WORKERS,
    QuietOption,
    console,
    distinct_files,
    on_interrupt,
    out_dir,
    path_text,
    text_table,
)
from fluxtrap.errors import ValidationError
from fluxtrap.workflows.isolated import DEFAULT_MEMORY_MB


def _address(value: str | None) -> str | None:
    """A --scheduler given must name one: an empty one started a local cluster unsaid."""
    if value is not None and not value.strip():
        raise typer.BadParameter(
            "give the scheduler's address, e.g. tls://head:8786 (without --scheduler a local "
            "cluster starts)"
        )
    return value


# the Dask options of the commands that run on a cluster (sweep, safe-ramp, calibrate)
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Address of a running Dask scheduler, e.g. tls://head:8786 (with the --tls-* "
        "files; tcp:// only on a trusted network).",
        callback=_address,
    ),
]
TlsCaOption = Annotated[
    Path | None, typer.Option(help="CA certificate (PEM) of the cluster's TLS (tls://).")
]
TlsCertOption = Annotated[
    Path | None, typer.Option(help="This client's certificate (PEM), signed by that CA.")
]
TlsKeyOption = Annotated[Path | None, typer.Option(help="The certificate's private key.")]
MemoryOption = Annotated[
    int,
    typer.Option(
        "--memory-mb",
        help="Memory (address space, MiB) each run may use, in a child process of its "
        "worker; 0: no limit (the run is in the worker itself).",
    ),
]


SHOWN_FAILURES = 20  # failed variants printed one a line; the rest are counted


def register(app: typer.Typer) -> None:
    app.command("sweep", short_help="Run the variants of a case on Dask (done ones cached).")(sweep)


def sweep(
    case: Annotated[
        Path, typer.Argument(help="Simulation case TOML file (the base of every variant).")
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Folder for results.csv/json, plots and the cache.",
            parser=path_text,
            callback=out_dir,
        ),
    ],
    vary: Annotated[
        list[str] | None,
        typer.Option(
            "--vary",
            help="NAME=START:STOP:NUM, NAME=START:STOP:NUM:log (evenly spaced in log) or "
            "NAME=V1,V2,...; repeat for a cartesian product. "
            "NAME: radius, inner_radius, thickness, spacer_thickness, temperature, field, n, "
            "jc_scale or a dotted path "
            "(materials.bulk1.n, stack.0.radius, mesh.size; one value sets it for every "
            'variant: solver.accuracy="0.5 %", as simulate\'s --mesh-size does mesh.size).',
        ),
    ] = None,
    list_: Annotated[
        Path | None,
        typer.Option(
            "--list", help="CSV of variants: a column per swept name, cells like '12 mm' or 35."
        ),
    ] = None,
    scheduler: SchedulerOption = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Worker processes of the local Dask cluster (without --scheduler; at most the "
            f"CPU cores, {MAX_WORKERS} here: more would take turns; on a shared machine, fewer; "
            f"default {DEFAULT_WORKERS}).",
            min=1,
            max=MAX_WORKERS,
        ),
    ] = None,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Run variants that failed before again.")
    ] = False,
    timeout: Annotated[
        str | None,
        typer.Option(
            help='Longest a variant may run, e.g. "30 min" (a timed-out one is failed; default: '
            "the case's [solver] max_wall).",
        ),
    ] = None,
    memory_mb: MemoryOption = DEFAULT_MEMORY_MB,
    tls_ca_file: TlsCaOption = None,
    tls_cert: TlsCertOption = None,
    tls_key: TlsKeyOption = None,
    quiet: QuietOption = False,
) -> None:
    """Run the variants of a case on Dask; done variants are cached in OUT/cache and skipped.
    Exits 1 when a variant failed (the outputs are written all the same).

    A shared cluster must use TLS with client certificates (see the README's recipe): give
    --tls-ca-file/--tls-cert/--tls-key, or set them in dask's configuration.

    \b
    Example:
      fluxtrap sweep examples/paper_bulk_pair.toml --vary "field=5 T:7 T:3" --out sweep/
    """
    from fluxtrap.units import parse
    from fluxtrap.workflows.sweep import Axis, read_list, run_sweep, swept_units

    if list_ is not None:  # a results.csv edited into the next sweep's list was replaced by it
        distinct_files({"the --list file": list_}, {"--out": out / "results.csv"})
    axes = [Axis.parse(v) for v in vary or []]
    rows = read_list(list_) if list_ is not None else []
    if not axes and not rows:
        raise ValidationError("sweep: give at least one --vary NAME=... or a --list CSV")
    one_cluster(scheduler, workers)
    security = dask_security(tls_ca_file, tls_cert, tls_key)
    timeout_s = None if timeout is None else parse(timeout, "time", "--timeout")
    with on_interrupt(
        f"the variants done so far are kept in {out / 'cache'} (the same command skips them); "
        f"results.csv, results.json and the plots in {out} are as they were"
    ):
        result = run_sweep(
            case,
            axes,
            rows,
            out,
            scheduler=scheduler,
            workers=workers or DEFAULT_WORKERS,
            retry_failed=retry_failed,
            progress=not quiet,
            timeout_s=timeout_s,
            memory_mb=memory_mb or None,
            security=security,
        )
    if not quiet:  # the table's first columns are the swept values
        swept = len(swept_units(axes, rows))
        console.print(_table(result.table, swept), soft_wrap=True, highlight=False)
    units = swept_units(axes, rows)
    failed = result.table[result.table["status"] != "done"]
    for i, row in failed.head(SHOWN_FAILURES).iterrows():
        # with its swept values: under --quiet "variant 3 failed" was all that named it
        name = f"variant {i} ({', '.join(_value(row, k, u) for k, u in units.items())})"
        said = str(row["error"]).startswith(f"{name}: ")  # a run stopped by a limit says so
        text = row["error"] if said else f"{name} failed: {row['error']}"
        console.print(text, style="red", highlight=False, markup=False)
    if len(failed) > SHOWN_FAILURES:  # 10 000 failed variants were 10 000 lines
        console.print(
            f"... and {len(failed) - SHOWN_FAILURES} more failed variants (the error column of "
            f"{out / 'results.csv'})",
            style="red",
            highlight=False,
            markup=False,
        )
    table = result.table
    if "accuracy_reached" in table:
        missed = table[(table["status"] == "done") & (table["accuracy_reached"] == False)]  # noqa: E712
        if len(missed):
            console.print(
                f"warning: {len(missed)} of {len(table)} variants did not reach their accuracy "
                f"target (estimates up to {100 * missed['accuracy_estimate'].max():.3g} % of the peak "
                "self-field; columns accuracy_* of results.csv)",
                style="yellow",
                highlight=False,
            )
    console.print(
        f"{len(result.table)} variants: {result.computed} computed, {result.cached} from cache, "
        f"{result.failed} failed; wrote {', '.join(str(p) for p in result.files)}"
    )
    if result.failed:  # the outputs are written all the same, as calibrate's when a series fails
        typer.echo(
            f"error: {result.failed} of {len(result.table)} variants failed; their errors are in "
            f"the error column of {out / 'results.csv'}",
            err=True,
        )
        raise typer.Exit(code=1)


def one_cluster(scheduler: str | None, workers: int | None) -> None:
    """Refuse --workers with --scheduler: the scheduler's own workers run, and the number given
    was ignored without a word."""
    if scheduler is not None and workers is not None:
        raise ValidationError(
            f"--workers {workers} sizes a local cluster, but --scheduler {scheduler} runs on that "
            "scheduler's workers: give one of them"
        )


def dask_security(ca_file: Path | None, cert: Path | None, key: Path | None) -> Any:
    """The ``distributed.Security`` of --tls-ca-file/--tls-cert/--tls-key (None without them)."""
    tls = (ca_file, cert, key)
    if any(tls) and not all(tls):
        raise ValidationError("--tls-ca-file, --tls-cert and --tls-key go together")
    if not all(tls):
        return None
    from distributed import Security

    for f in tls:
        if not f.is_file():
            raise ValidationError(f"{f}: no such file")
    return Security(
        tls_ca_file=str(ca_file),
        tls_client_cert=str(cert),
        tls_client_key=str(key),
        require_encryption=True,
    )


def _table(df, n_params: int) -> str:
    """The ``n_params`` swept values, each probe's final Bz ± its estimated error, the accuracy
    estimate, wall time and status of each variant, every cell whole (``text_table``; the rest
    is in results.csv): rich's table of all 16 columns was cut to "fi…", "0.…" at 80 columns."""
    from fluxtrap.units import estimate_text

    params = list(df.columns[:n_params])
    probes = [c.removesuffix("_final_T") for c in df.columns if c.endswith("_final_T")]
    probes = [p for p in probes if f"{p}_final_error_T" in df]  # not the bore's centre

    def final(row, p: str) -> str:
        value, error = row[f"{p}_final_T"], row[f"{p}_final_error_T"]
        if value != value:  # NaN: the variant failed
            return "-"
        return estimate_text(value, error) if error == error and error > 0 else f"{value:.4g}"

    def estimate(row) -> str:
        value = row.get("accuracy_estimate", math.nan)
        if value != value:
            return "-"
        return f"{value:.2%}" + ("" if row["accuracy_reached"] is True else " (not reached)")

    headers = ["#", *params, *(f"{p} final [T]" for p in probes), "estimate", "wall [s]", "status"]
    rows = [
        [
            str(i),
            *(_cell(row[c]) for c in params),
            *(final(row, p) for p in probes),
            estimate(row),
            _cell(row["wall_s"]),
            row["status"],
        ]
        for i, row in df.iterrows()
    ]
    return text_table(headers, rows)


def _value(row, name: str, unit: str) -> str:
    """``radius=6 mm``: the swept ``name``'s value in ``row`` (its column, with ``unit``)."""
    from fluxtrap.workflows.sweep import column_name

    return f"{name}={row[column_name(name, unit)]:g} {unit}".rstrip()


def _cell(v) -> str:
    if isinstance(v, float):
        return "-" if v != v else f"{v:.4g}"
    return str(v)
