"""``fluxtrap calibrate``: fit a case's n, Jc scale, E0 (and probe heights) to measured series."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fluxtrap.cli.common import (
    DEFAULT_WORKERS,
    MAX_WORKERS,
    DbOption,
    QuietOption,
    console,
    on_interrupt,
    out_dir,
    path_text,
    print_table,
    store_from,
    who,
)
from fluxtrap.cli.sweep import (
    SchedulerOption,
    TlsCaOption,
    TlsCertOption,
    TlsKeyOption,
    dask_security,
)
from fluxtrap.errors import ValidationError
from fluxtrap.units import parse, value_text

DEFAULT_MAX_WALL = (
    "2 h"  # --max-wall: a longer calibration is refused before its scan, with its estimate
)


def register(app: typer.Typer) -> None:
    short = "Fit material parameters to measured probe series, ± 1σ."
    app.command("calibrate", short_help=short)(calibrate_command)


def calibrate_command(
    case: Annotated[Path, typer.Argument(metavar="CASE.toml", help="Simulation case TOML file.")],
    measured: Annotated[
        list[Path],
        typer.Argument(
            metavar="MEASURED.csv...",
            help="Measured Hall-probe series (time and field columns named with their units, "
            "applied_T if recorded), as `fluxtrap creep` reads them.",
        ),
    ],
    probe: Annotated[
        list[str],
        typer.Option("--probe", help="Case probe of the series: once for all files or per file."),
    ],
    fit: Annotated[
        str,
        typer.Option(
            "--fit",
            help='Parameters: "<material>.n|jc_scale|e0" ("*." for every superconductor) or '
            '"<probe>.z|offset|drift" (height in m; a Hall-probe zero offset in T, a drift in '
            'T/s, profiled out without simulations), comma-separated, e.g. "sc.n,sc.jc_scale".',
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Folder for calibrate.json, figures.",
            parser=path_text,
            callback=out_dir,
        ),
    ],
    column: Annotated[
        str | None,
        typer.Option(
            "--column",
            help="Measured field column when there are several (default: the only one; several without it are refused, naming them).",
        ),
    ] = None,
    sigma_column: Annotated[
        str | None,
        typer.Option("--sigma-column", help="Noise column (e.g. sigma_T); default: estimated."),
    ] = None,
    origin: Annotated[
        str | None,
        typer.Option(
            "--origin",
            help='When the applied field reached its final value, on the files\' clock ("5250 s"); '
            "for files without applied_T (default: t = 0).",
        ),
    ] = None,
    bounds: Annotated[
        list[str] | None,
        typer.Option(
            "--bounds",
            help="NAME=LOW:HIGH in SI units, e.g. sc.n=10:200; repeatable (default: n 5:300, "
            "jc_scale 0.2:5, e0 1e-8:1 V/m, z within 1 mm of the probe's, offset -1:1 T, drift "
            "-1e-3:1e-3 T/s).",
        ),
    ] = None,
    scan: Annotated[
        int,
        typer.Option("--scan", help="Start-scan points per material parameter (0: none).", min=0),
    ] = 4,
    profile: Annotated[
        bool,
        typer.Option(
            "--profile/--no-profile",
            help="Profile n at ±1, ±2 sigma; a flat side is followed out to where chi^2 rises by 1, "
            "and that interval sets the sigma.",
        ),
    ] = True,
    max_iterations: Annotated[
        int, typer.Option("--max-iterations", help="Least-squares evaluations at most.", min=1)
    ] = 30,
    max_wall: Annotated[
        str,
        typer.Option(
            "--max-wall",
            help="Wall-time budget of the fit, the Dask cluster's start included: after the "
            "start case's run, a calibration whose estimate (the time spent, simulations x that "
            "run's time / workers, the cluster's own time per batch) exceeds it is refused with "
            "the estimate; one that reaches it keeps its lowest chi^2 (not converged), exit 1.",
        ),
    ] = DEFAULT_MAX_WALL,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            help="Local Dask processes (at most the CPU cores).",
            min=1,
            max=MAX_WORKERS,
        ),
    ] = DEFAULT_WORKERS,
    scheduler: SchedulerOption = None,
    tls_ca_file: TlsCaOption = None,
    tls_cert: TlsCertOption = None,
    tls_key: TlsKeyOption = None,
    predict: Annotated[
        list[Path] | None,
        typer.Option("--predict", help="Another case to predict with error bars; repeatable."),
    ] = None,
    at: Annotated[
        list[str] | None,
        typer.Option(
            "--at",
            help='Prediction times since the field reached its final value ("3 d"); repeatable. '
            "Default: the end of every protocol step.",
        ),
    ] = None,
    db: DbOption = None,
    campaign: Annotated[
        str | None,
        typer.Option("--campaign", "-c", help="Record the calibration under this campaign."),
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Who ran it (recorded).", callback=who)
    ] = None,
    quiet: QuietOption = False,
) -> None:
    """Fit material parameters to measured probe series (the simulator as the model), with
    uncertainties; exits 1 when a series is not fitted, a parameter ends at its bound or a
    prediction failed (the outputs are written all the same; calibrate.json misfit.fits false).
    With --db or --campaign the calibration is also recorded in the store, with its measured
    files and the simulation of the fitted case."""
    from fluxtrap.inputs import read_text, refuse_reordering
    from fluxtrap.simulate.calibrate import parse_bounds
    from fluxtrap.simulate.case import Case
    from fluxtrap.store.store import check_calibration_series
    from fluxtrap.workflows.calibrate import run_calibration, store_calibration

    # the options, the case, then (run_calibration) the measured files and the fit request
    # before a store is made: a refused one had left a new, empty store at --db
    origin_s = parse(origin, "time", "--origin") if origin else None
    max_wall_s = parse(max_wall, "time", "--max-wall")
    if not 0 < max_wall_s < float("inf"):
        raise ValidationError(f"--max-wall: a time above 0 is needed, got {max_wall!r}")
    at_s = [parse(t, "time", "--at") for t in at] if at else None
    fit_bounds = parse_bounds(bounds or [])
    security = dask_security(tls_ca_file, tls_cert, tls_key)
    recorded = db is not None or campaign is not None
    if recorded:  # the text stored: refused before the long run
        text = read_text(case, "case file")
        refuse_reordering(text, str(case), "the case")
        Case.from_toml(case, text)
        for path in measured:  # the names stored with them
            for name in probe:
                check_calibration_series(path.name, name)
    store = None

    def open_store() -> None:
        """The store, opened once the inputs are checked (a refused measured file, probe or
        bound had left a new, empty store at --db); with --campaign it must exist and hold the
        campaign (a new, empty one had been made for an unknown campaign)."""
        nonlocal store
        store = store_from(db, create=campaign is None)
        if campaign is not None:
            store.campaign(campaign)

    unrecorded = "; nothing recorded in the store" if recorded else ""
    with on_interrupt(
        f"the simulations done so far are kept in {out / 'cache'} (the same command reuses "
        f"them); calibrate.json and the figures in {out} are as they were{unrecorded}"
    ):
        run = run_calibration(
            case,
            measured,
            probe,
            fit,
            out,
            column=column,
            sigma_column=sigma_column,
            origin_s=origin_s,
            bounds=fit_bounds,
            scan=scan,
            profile=profile,
            max_iterations=max_iterations,
            workers=workers,
            scheduler=scheduler,
            security=security,
            predict_cases=predict or [],
            predict_at_s=at_s,
            progress=None if quiet else _progress,
            max_wall_s=max_wall_s,
            checked=open_store if recorded else None,
        )
    cal = run.calibration
    # every cell whole (text_table): at 80 columns rich's tables cut series and probe names
    rows = [  # value and sigma rounded alike (they had 5 and 2 significant digits each)
        [p.name, value_text(v, s, ".5g") + (f" {p.unit}" if p.unit else ""), src, f"{s0:.4g}"]
        for p, v, s, src, s0 in zip(
            cal.parameters, cal.values, cal.sigmas, cal.sigma_sources, cal.start, strict=True
        )
    ]
    headers = ["parameter", "value ± 1 sigma", "sigma from", "start"]
    print_table(headers, rows)
    for name, iv in cal.profile_intervals.items():
        console.print(
            f"profile interval of {name} (chi^2 + 1 reduced unit): {iv['lower']:.4g} .. "
            f"{iv['upper']:.4g}"
            + ("" if iv["lower_reached"] and iv["upper_reached"] else " (not reached: wider)")
        )
    headers = ["series", "probe", "points", "noise [T]", "rms [T]", "reduced chi^2", "fitted"]
    rows = [
        [
            s.name,
            s.probe,
            str(s.n_points),
            f"{s.noise_T:.2g} ({s.noise_source})",
            f"{s.rms_T:.3g}",
            f"{s.chi2_red:.3g}",
            "yes" if s.fits else "NO",
        ]
        for s in cal.series
    ]
    print_table(headers, rows)
    if len(cal.parameters) > 1:
        names = [p.name for p in cal.parameters]
        pairs = [f"{names[i]}/{names[j]} {cal.correlation[i, j]:+.3f}"
                 for i in range(len(names)) for j in range(i + 1, len(names))]  # fmt: skip
        console.print("correlations: " + ", ".join(pairs))
    console.print(
        f"{cal.simulations} simulations ({run.cached} from the cache) in "
        f"{run.summary['wall_s']:.3g} s; reduced chi^2 {cal.chi2_red:.3g}"
    )
    if restarts := cal.optimizer.get("restarts"):
        chain = " -> ".join(
            f"{c:.4g}" for c in [restarts[0]["from_chi2"]] + [r["to_chi2"] for r in restarts]
        )
        moved = ", ".join(
            f"{k} {v:.4g} -> {restarts[-1]['to'][k]:.4g}" for k, v in restarts[0]["from"].items()
        )
        console.print(
            f"restarted {len(restarts)} x from a lower profile point: chi^2 {chain} ({moved})"
        )
    for p in run.predictions:
        headers = ["probe", "t since origin [s]", "predicted ± 1 sigma [T]"]
        rows = [
            [row.probe, f"{row.t_since_origin_s:.6g}", value_text(row.value_T, row.sigma_T, ".5g")]
            for row in p.table.itertuples()
        ]
        print_table(headers, rows, title=f"prediction: {p.case.title}")
    for e in run.prediction_errors:
        console.print(f"error: the prediction of {e['file']} failed: {e['error']}", style="red",
                      highlight=False)  # fmt: skip
    for w in cal.warnings:
        console.print(f"warning: {w}", style="yellow", highlight=False)
    below = run.summary["simulations_below_accuracy"]
    if below["count"]:
        console.print(
            f"warning: {below['count']} simulations (of the fit and its predictions) did not reach "
            "their accuracy target "
            f"(estimates up to {100 * below['largest_estimate']:.3g} % of the peak self-field; the "
            "case's [mesh] size or [solver] accuracy sets it)",
            style="yellow",
            highlight=False,
        )
    unchecked = run.summary.get("simulations_accuracy_unchecked") or {"count": 0}
    if unchecked["count"]:  # a small estimate there is no claim of accuracy
        console.print(
            f"warning: {unchecked['count']} simulations (of the fit and its predictions) could "
            f"not check their accuracy target: {unchecked['note']}",
            style="yellow",
            highlight=False,
        )
    console.print(f"wrote {', '.join(f.name for f in run.files)} to {out}")
    if store is not None:
        with on_interrupt(f"wrote {out}{unrecorded}"):
            rec = store_calibration(store, run, case, measured, probe, out / "cache",
                                    campaign=campaign, created_by=by)  # fmt: skip
        console.print(  # without the simulation: the warning (stderr) says why
            f"recorded calibration {rec.id} "
            + (
                f"(simulation {rec.simulation_id} of the fitted case)"
                if rec.simulation_id is not None
                else "without the fitted case's simulation (see the warning)"
            )
        )
    for b in cal.at_bound:  # the last word: a script sees exit 1, calibrate.json misfit.at_bound
        console.print(
            f"not a fit: {b['parameter']} ended at its {b['side']} bound {b['bound']:.4g}; widen "
            f"--bounds {b['parameter']}=LOW:HIGH past it and rerun (exit 1)",
            style="red",
            highlight=False,
        )
    if not cal.fits or run.prediction_errors:
        raise typer.Exit(code=1)


def _progress(text: str) -> None:
    """A progress line of the calibration (each batch of simulations, each stage)."""
    console.print(f"calibrate: {text}", style="dim", highlight=False, soft_wrap=True)
