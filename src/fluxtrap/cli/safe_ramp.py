"""``fluxtrap safe-ramp CASE.toml --from RATE --to RATE [--count N] [--max-rise K] [--mesh-size L]
[--workers N | --scheduler ADDR --tls-...] --out DIR``: scan the ramp rate of a case with a heat
model and report the fastest ramp without a flux jump (``simulate.stability.scan_ramp_rates``,
or ``workflows.safe_ramp.scan_on_dask`` with the rates on Dask)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fluxtrap.cli.common import (
    MAX_WORKERS,
    QuietOption,
    console,
    on_interrupt,
    out_dir,
    path_text,
)
from fluxtrap.cli.sweep import (
    MemoryOption,
    SchedulerOption,
    TlsCaOption,
    TlsCertOption,
    TlsKeyOption,
    dask_security,
    one_cluster,
)
from fluxtrap.outputs import claimed, staged_folder
from fluxtrap.workflows.isolated import DEFAULT_MEMORY_MB

DEFAULT_TO = "1000 T/h"  # the fastest rate scanned without --to


def safe_ramp_command(
    case: Annotated[
        Path, typer.Argument(help="Case file with [thermal] model adiabatic or conduction.")
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Directory for safe_ramp.csv/.json/.png.",
            parser=path_text,
            callback=out_dir,
        ),
    ],
    rate_from: Annotated[str, typer.Option("--from", help='Slowest rate, e.g. "1 T/h".')] = "1 T/h",
    rate_to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help=f'Fastest rate, e.g. "1000 T/h" (default {DEFAULT_TO}; not with --count 1, '
            "which scans --from alone).",
        ),
    ] = None,
    count: Annotated[int, typer.Option("--count", help="Rates, spaced evenly in log (1..12).")] = 7,
    max_rise: Annotated[
        str | None,
        typer.Option(
            "--max-rise",
            help='Temperature rise that counts as a jump, e.g. "5 K" (a difference: "5 degC" is 5 K; default: half the way to Tc).',
        ),
    ] = None,
    mesh_size: Annotated[
        str | None,
        typer.Option(
            "--mesh-size",
            help='Mesh size of every run, e.g. "2 mm" (default: the case\'s [mesh] size, else the '
            "size its mesh refinement starts from; the scan does not refine).",
        ),
    ] = None,
    scheduler: SchedulerOption = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Run the rates on a local Dask cluster of this many processes (1, the default: "
            "here, in turn; at most the CPU cores; not with --scheduler).",
            min=1,
            max=MAX_WORKERS,
        ),
    ] = None,
    memory_mb: MemoryOption = DEFAULT_MEMORY_MB,
    tls_ca_file: TlsCaOption = None,
    tls_cert: TlsCertOption = None,
    tls_key: TlsKeyOption = None,
    quiet: QuietOption = False,
) -> None:
    """Scan the ramp rate of every ramp_field step and report the fastest one without a flux jump
    (the hottest element rising by --max-rise), with a plot of the peak rise per rate. With
    --scheduler or --workers > 1 the rates run side by side on Dask (as fluxtrap sweep).
    The fastest safe rate and the next faster one run again at a 4x tighter [solver] rtol: a
    rate whose verdict flips is marginal (a time-step artefact), not safe, and the next slower
    rate is checked in turn. Exits 1 when a rate's run failed (the outputs are written all the
    same).

    \b
    Example:
      fluxtrap safe-ramp examples/magnet_heat.toml --from "1 T/h" --to "100 T/h" --out ramp/
    """
    import json

    import numpy as np

    from fluxtrap.errors import ValidationError
    from fluxtrap.simulate.case import Case
    from fluxtrap.simulate.stability import MAX_RATES, scan_ramp_rates
    from fluxtrap.units import parse

    lo = _rate(rate_from, "--from")
    if count == 1 and rate_to is not None:  # it scanned --from alone, --to unsaid ignored
        raise ValidationError(
            f"safe-ramp: --count 1 scans --from alone ({rate_from}), so --to {rate_to} would be "
            "ignored: give --count 2 or more to scan from one to the other, or leave --to out"
        )
    if rate_to is None:  # "" is refused, not the default
        rate_to = rate_from if count == 1 else DEFAULT_TO
    hi = _rate(rate_to, "--to")
    if count > 1 and lo == hi:  # the count rates were that one, scanned once
        raise ValidationError(
            f"safe-ramp: --from and --to are both {rate_from}, so the {count} rates would be one: "
            "give a faster --to, or --count 1 for that rate alone"
        )
    if not (0 < lo <= hi and 1 <= count <= MAX_RATES):
        raise ValidationError(
            f"safe-ramp: need 0 < --from <= --to and 1 <= --count <= {MAX_RATES}, got "
            f"{rate_from!r}, {rate_to!r}, {count}"
        )
    rates = list(np.geomspace(lo, hi, count)) if count > 1 else [lo]
    plan = {
        "max_rise_K": parse(max_rise, "temperature_difference", "--max-rise") if max_rise else None,
        "mesh_size_m": parse(mesh_size, "length", "--mesh-size") if mesh_size else None,
    }
    one_cluster(scheduler, workers)
    workers = workers or 1
    security = dask_security(tls_ca_file, tls_cert, tls_key)
    with (
        on_interrupt(f"nothing written to {out} (its files are as they were)"),
        claimed(out),  # one run at a time in a folder, refused before the scan
    ):
        if scheduler or workers > 1:
            from fluxtrap.workflows.safe_ramp import scan_on_dask

            scan = scan_on_dask(
                Case.load(case),
                rates,
                **plan,
                scheduler=scheduler,
                workers=workers,
                security=security,
                memory_mb=memory_mb or None,
            )
        else:
            scan = scan_ramp_rates(Case.load(case), rates, **plan, progress=not quiet)
        # all three or none: a Ctrl-C while plotting left the new table beside the old figure
        with staged_folder(out) as stage:
            scan.table().to_csv(stage / "safe_ramp.csv", index=False, float_format="%.6g")
            (stage / "safe_ramp.json").write_text(json.dumps(scan.to_dict(), indent=2))
            scan.plot(stage / "safe_ramp.png")
    again = f"rtol {scan.check_rtol:.3g}" if scan.check_rtol else "rtol/4"
    shown = Table(
        "rate (T/h)", "peak rise (K)", f"at {again} (K)", "jump", "stopped (s)", "wall (s)"
    )
    for r in scan.runs:
        check = scan.check(r.rate_T_s)
        verdict = scan.verdict(r)
        shown.add_row(
            f"{r.rate_T_s * 3600:.4g}",
            f"{r.peak_rise_K:.3g}",
            "" if check is None else ("failed" if check.error else f"{check.peak_rise_K:.3g}"),
            {"jump": "yes", "safe": "no"}.get(verdict, verdict),
            f"{r.stopped_s:.4g}",
            f"{r.wall_s:.3g}",
        )
    console.print(shown)
    safe, jump = scan.fastest_safe_T_s, scan.slowest_jump_T_s
    threshold = f"jump threshold {scan.max_rise_K:.3g} K"
    wrote = f"wrote safe_ramp.csv, safe_ramp.json, safe_ramp.png to {out}"
    after = next((r for r in scan.runs if r.rate_T_s > (safe or 0.0)), None)
    failed = [r for r in scan.runs if r.error]
    shown_safe = f"{safe * 3600:.4g} T/h" if safe else "none"
    checked = ""
    if safe and (held := scan.check(safe)) is not None:
        checked = f", peak rise {held.peak_rise_K:.3g} K at {again}"
    if after is not None and after.error:  # neither safe nor a jump: the limit is not bracketed
        console.print(
            f"fastest safe ramp: {shown_safe} ({threshold}{checked}); the next scanned rate, "
            f"{after.rate_T_s * 3600:.4g} T/h, failed, so the limit is not known above it; "
            f"{wrote}"
        )
    elif after is not None and scan.verdict(after) == "marginal":  # a time-step artefact
        check = scan.check(after.rate_T_s)
        at = f"{after.rate_T_s * 3600:.4g} T/h"
        said = "a jump" if check.jumped else "no jump"
        again_said = (
            f"failed at {again}"
            if check.error
            else (f"{check.peak_rise_K:.3g} K ({said}) at {again}")
        )
        console.print(
            f"fastest safe ramp: {shown_safe} ({threshold}{checked}); the next scanned rate, "
            f"{at}, is marginal: peak rise {after.peak_rise_K:.3g} K "
            f"({'a jump' if after.jumped else 'no jump'}) at rtol {scan.rtol:.3g} but "
            f"{again_said}, so its verdict is a time-step artefact and it is not safe"
            + (
                f' (narrow the limit with --from "{safe * 3600:.4g} T/h" --to "{at}")'
                if safe
                else ""
            )
            + f"; {wrote}"
        )
    elif safe and jump:
        console.print(
            f"fastest safe ramp: {safe * 3600:.4g} T/h ({threshold}{checked}); the next scanned "
            f"rate, {jump * 3600:.4g} T/h, jumped: the limit lies between them (narrow it with "
            f'--from "{safe * 3600:.4g} T/h" --to "{jump * 3600:.4g} T/h"); {wrote}'
        )
    elif safe:
        console.print(
            f"fastest safe ramp: {safe * 3600:.4g} T/h, the fastest scanned ({threshold}"
            f"{checked}): the limit lies above; {wrote}"
        )
    else:
        console.print(f"no scanned rate is safe ({threshold}); {wrote}")
    if failed:  # the outputs are written all the same, as sweep's when a variant fails
        typer.echo(
            f"error: {len(failed)} of {len(scan.runs)} rates failed; their errors are in the "
            f"error column of {out / 'safe_ramp.csv'}",
            err=True,
        )
        raise typer.Exit(code=1)


def _rate(text: str, option: str) -> float:
    """The field rate ``text`` of ``option`` in T/s, an H rate (Oe/s, kOe/min) as mu0 dH/dt, as
    the case's ramp_field rate reads it: "1 kOe/min" was refused as not a field rate."""
    from fluxtrap.simulate.casefile import quantity

    return quantity({option: text}, option, "field_rate", "", h_field=True)


def register(app: typer.Typer) -> None:
    """Add ``safe-ramp`` to the root ``fluxtrap`` app."""
    short = "The fastest ramp rate of a case without a flux jump."
    app.command("safe-ramp", short_help=short)(safe_ramp_command)
