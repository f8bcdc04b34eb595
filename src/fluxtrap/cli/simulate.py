"""``fluxtrap simulate CASE.toml --out DIR [--quiet] [--vtu] [--no-plots] [--db URL] [--campaign NAME]``
(design section 3) and ``fluxtrap simulation list | show`` (simulations kept in the store)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from fluxtrap.cli.common import (
    ID_BOUND,
    DbOption,
    OverwriteOption,
    console,
    interruptible,
    on_interrupt,
    out_dir,
    path_text,
    print_table,
    store_from,
    who,
)
from fluxtrap.errors import SolverError, ValidationError
from fluxtrap.outputs import claimed, staged_folder

simulation_app = typer.Typer(help="Simulations kept in the store.", no_args_is_help=True)
OptionalCampaign = Annotated[
    str | None, typer.Option("--campaign", "-c", help="Campaign name (optional).")
]


def final_text(probe: dict) -> str:
    """A probe's final Bz (T) for a listing, ± its estimated discretization error where the
    summary has one (a simulation stored by another client may not)."""
    from fluxtrap.units import estimate_text

    if probe.get("final_error_T"):
        return estimate_text(probe["final_T"], probe["final_error_T"])
    return f"{probe['final_T']:.4g}"


def tesla(value_T: float) -> str:
    """A field for people: 4 decimals from 10 mT up, 4 significant digits below (a far probe's
    5e-5 T printed as 0.0000 beside its 2e-8 T error)."""
    return f"{value_T:.4f}" if abs(value_T) >= 0.01 else f"{value_T:.4g}"


def kelvin(value_K: float, error_K: float | None) -> str:
    """A temperature for people, ± its estimated discretization error where the summary has
    one (a stored summary written before the estimate may not)."""
    from fluxtrap.units import estimate_text

    return f"{value_K:.4g}" if error_K is None else estimate_text(value_K, error_K)


def heat_line(thermal: dict) -> str:
    """The summary's ``thermal`` block in one line: hottest temperature, heat dissipated and
    removed through cooled surfaces, the cold head's temperature and heat moved (with one),
    probes (K, J), each temperature ± its estimate."""
    removed = thermal.get("removed_J")  # absent from a summary stored before it was written
    if removed is None:
        removed = ""
    elif removed < 0:  # a coolant warmer than the bulk heats it
        removed = f" (and {-removed:.3g} J taken in from a warmer coolant through cooled surfaces)"
    else:
        removed = f" ({removed:.3g} J of it removed through cooled surfaces)"
    head = (
        f"; cold head {thermal['cold_head_T_K']:.4g} K at the end, the cooler took "
        f"{thermal['cooler_J']:.3g} J, its heater gave {thermal['heater_J']:.3g} J"
        if "cold_head_T_K" in thermal
        else ""
    )
    probes = "".join(
        f"; {name} {kelvin(p['final_K'], p.get('final_error_K'))} K at the end "
        f"(up to {kelvin(p['max_K'], p.get('max_error_K'))} K)"
        for name, p in thermal.get("probes", {}).items()
    )
    return (
        f"heat ({thermal['model']}): hottest "
        f"{kelvin(thermal['max_T_K'], thermal.get('max_T_error_K'))} K over the run, "
        f"{kelvin(thermal['final_max_T_K'], thermal.get('final_max_T_error_K'))} K at the end; "
        f"{thermal['dissipated_J']:.3g} J dissipated{removed}{head}{probes}"
    )


def temperature_line(summary: dict) -> str | None:
    """The summary's ``temperature`` block in one line (K), naming the superconductors whose Jc
    is taken as given at every temperature (no jc.temperature or jc.tables); None for a summary
    stored before the block."""
    t = summary.get("temperature")
    if not t:
        return None
    if t["min_K"] == t["max_K"]:
        span = f"{t['start_K']:.4g} K throughout"
    else:
        span = (
            f"{t['start_K']:.4g} K at the start, {t['final_K']:.4g} K at the end "
            f"({t['min_K']:.4g} to {t['max_K']:.4g} K)"
        )
    materials = summary.get("case", {}).get("materials", {})
    held = [
        name
        for name, m in materials.items()
        if m.get("kind") == "superconductor"
        and "temperature" not in m
        and m.get("jc", {}).get("model") != "TemperatureTablesJc"
    ]
    jc = (
        f"; Jc of {', '.join(held)} as given at every temperature (no jc.temperature or jc.tables)"
        if held
        else ""
    )
    return f"temperature of {t['of']}: {span}{jc}"


def simulate_command(
    case: Annotated[
        Path,
        typer.Argument(
            help="Simulation case file (TOML; its format: docs/tutorials/simulation.md, "
            "examples/*.toml)."
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Directory for probes.csv, summary.json, plots.",
            parser=path_text,
            callback=out_dir,
        ),
    ],
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="No progress display and no summary of the results (summary.json has them); "
            "warnings still show.",
        ),
    ] = False,
    vtu: Annotated[
        bool, typer.Option("--vtu", help="Also write VTU snapshots for ParaView.")
    ] = False,
    plots: Annotated[
        bool,
        typer.Option(
            "--plots/--no-plots", help="Write probes.png and maps.png (about 1-3 s on 2 cores)."
        ),
    ] = True,
    mesh_size: Annotated[
        str | None,
        typer.Option(
            "--mesh-size",
            help='Override the case\'s mesh size, e.g. "2 mm" (default: its [mesh] size, or '
            "without one refined until [solver] accuracy is met).",
        ),
    ] = None,
    db: DbOption = None,
    campaign: Annotated[
        str | None,
        typer.Option(
            "--campaign", "-c", help="Record the result in the store under this campaign."
        ),
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Who ran it (recorded).", callback=who)
    ] = None,
) -> None:
    """Simulate a stack of bulk superconductors through a field/temperature protocol.

    The files in --out are always written; with --db or --campaign the result (or the failure)
    is also recorded in the store (--campaign alone: $FLUXTRAP_DB or ./fluxtrap.db)."""
    from fluxtrap.inputs import read_text, refuse_reordering
    from fluxtrap.simulate.case import Case
    from fluxtrap.simulate.casefile import parse_quantity
    from fluxtrap.simulate.simulation import RESULT_FILES, Simulation, check_run, plan_text

    text = read_text(case, "case file")
    if db is not None or campaign is not None:  # the text stored, as the web's parse_case: the
        # simulation's page shows it, comments too, and a U+202E reordered the lines shown
        refuse_reordering(text, str(case), "the case")
    # --mesh-size in place of [mesh] size before the case's checks, which judge the size that
    # runs (the file's own size was checked, and could refuse the case, before the flag's)
    size = None
    if mesh_size is not None:
        size_m = parse_quantity(mesh_size, "length", "--mesh-size")
        if not size_m > 0:  # in the user's words, not the case's (nor in metres)
            raise ValidationError(f"--mesh-size: must be > 0, got {mesh_size!r}")
        size = (size_m, "--mesh-size")
    c = Case.from_toml(case, text, mesh_size=size)  # read once: the text stored is what ran
    if size is not None:  # the file's text has its own [mesh] size: store the case that runs
        text = c.to_toml()
    try:  # the run's own refusals, before the store is opened (it was created first)
        check_run(c)
    except ValidationError as err:
        raise ValidationError(f"{case}: {err}") from None
    store = None
    if db is not None or campaign is not None:
        # the store (SQLAlchemy, Alembic) loads only when the run is recorded
        from fluxtrap.workflows.simulations import failure, record_simulation

        store = store_from(db, create=True)
        if campaign is not None:
            store.campaign(campaign)  # an unknown campaign fails before the run, not after it
    if not quiet:  # what it will cost, before it starts
        console.print(plan_text(c), highlight=False, soft_wrap=True)
    unrecorded = "; nothing recorded in the store" if store is not None else ""
    with (
        on_interrupt(f"nothing written to {out} (its files are as they were){unrecorded}"),
        claimed(out),  # one run at a time in a folder
    ):
        try:
            result = Simulation(c).run(progress=not quiet)
        except ValidationError as err:  # refused before solving (the mesh's estimate): name it
            raise ValidationError(f"{case}: {err}") from None
        except SolverError as err:
            partial = getattr(err, "result", None)
            if partial is not None:
                partial.save(out, vtu=vtu, plots=plots)
                console.print(f"results up to the failure written to {out}", style="yellow")
            if store is not None:
                rec = record_simulation(
                    store, c, text, partial, error=failure(err), campaign=campaign, created_by=by
                )
                console.print(
                    f"recorded as failed simulation {rec.id} in {store!r}", style="yellow"
                )
            raise
        result.save(out, vtu=vtu, plots=plots)
    rec = None
    if store is not None:
        with on_interrupt(f"wrote {out}{unrecorded}"):
            rec = record_simulation(store, c, text, result, campaign=campaign, created_by=by)
    if not quiet:
        s = result.summary()
        applied = tesla(float(result.probes.applied_T.abs().max()))  # a pulse's peak, say
        for name, p in s["probes"].items():
            console.print(
                f"{name}: final {final_text(p)} T; the sample's "
                f"own field up to {tesla(p['max_abs_self_T'])} T (|Bz| up to "
                f"{tesla(p['max_abs_T'])} T with the applied field included, the applied field "
                f"up to {applied} T; discretization error up to "
                f"{p['max_error_T']:.2g} T over the run)"
            )
        console.print(temperature_line(s), highlight=False)
        acc = s["accuracy"]
        if "bore" in s:
            from fluxtrap.simulate.bore import summary_lines

            for line in summary_lines(s["bore"], acc.get("bore")):
                console.print(line)
        if "thermal" in s:
            console.print(heat_line(s["thermal"]))
        sv = s["solver"]
        written = ", ".join(p.name for pattern in RESULT_FILES for p in sorted(out.glob(pattern)))
        console.print(
            f"{sv['elements']} elements, {sv['dofs']} dofs, {sv['time_steps']} steps, "
            f"{sv['newton_iterations']} Newton iterations, {sv['wall_s']:.2f} s; "
            f"wrote {written} to {out}"
        )
    if rec is not None:
        where = f" (campaign {campaign})" if campaign else ""
        console.print(f"recorded as simulation {rec.id}{where} in {store!r}")


@simulation_app.command("list", short_help="List stored simulations and their final probe fields.")
@interruptible("simulation list")
def simulation_list(campaign: OptionalCampaign = None, db: DbOption = None) -> None:
    """List stored simulations (all, or one campaign's) with their final probe fields."""
    shown = Table(
        "id", "name", "campaign", "status", "final Bz (T)", "by", "recorded", title=campaign
    )
    for x in store_from(db, reads_only=True).simulations(campaign):
        finals = ", ".join(
            f"{name} {final_text(p)}" for name, p in x.summary.get("probes", {}).items()
        )
        shown.add_row(
            str(x.id),
            x.name,
            x.campaign or "-",
            x.status if x.status == "done" else Text(x.status, style="red"),
            finals if x.status == "done" else (x.error or ""),
            x.created_by or "-",
            f"{x.created_at:%Y-%m-%d %H:%M}",
        )
    console.print(shown)


# what simulation show --out writes (and removes, an earlier show's, where this one has none)
SHOWN_FILES = ("case.toml", "summary.json", "probes.csv", "heat.csv")


@simulation_app.command("show", short_help="Show a stored simulation; --out writes its files back.")
@interruptible(
    "simulation show",
    "nothing half-written (--out's files are replaced as a set or left as they were)",
)
def simulation_show(
    simulation_id: Annotated[
        int,
        typer.Argument(metavar="ID", help="Simulation id (see list).", min=1, callback=ID_BOUND),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write probes.csv, summary.json, case.toml and heat.csv (a heat run's) here.",
            parser=path_text,
            callback=out_dir,
        ),
    ] = None,
    overwrite: OverwriteOption = False,
    db: DbOption = None,
) -> None:
    """Show a stored simulation; with --out write its case.toml, probes.csv, summary.json and
    heat.csv (a heat run's) back out (a folder holding any of them is refused without
    --overwrite: the case file a user ran from was replaced).

    \b
    Example:
      fluxtrap simulation show 1 --out again/
    """
    there = [n for n in SHOWN_FILES if out is not None and (out / n).exists()]
    if there and not overwrite:
        raise ValidationError(
            f"--out {out}: holds {', '.join(there)}; give --overwrite to replace them"
        )
    x = store_from(db, reads_only=True).simulation(simulation_id)
    console.print(
        f"simulation {x.id}: {x.name} ({x.status}); campaign {x.campaign or '-'}; "
        f"by {x.created_by or '-'} at {x.created_at:%Y-%m-%d %H:%M:%S}; case {x.case_hash}"
    )
    if x.error:
        console.print(x.error, style="red")
    probes = x.summary.get("probes", {})
    if probes:  # cells whole (text_table): at 80 columns a long probe name was cut to "hall_…"
        headers = ["probe", "final Bz ± error [T]", "max |Bz| [T]", "own field, max [T]"]
        rows = [
            [
                name,
                final_text(p),  # rounded alike (they were 4 decimals beside 2 digits of error)
                tesla(p["max_abs_T"]),
                tesla(p["max_abs_self_T"]) if "max_abs_self_T" in p else "-",  # stored before it
            ]
            for name, p in probes.items()
        ]
        print_table(headers, rows)
    if line := temperature_line(x.summary):
        console.print(line, highlight=False)
    if "bore" in x.summary:
        from fluxtrap.simulate.bore import summary_lines

        for line in summary_lines(x.summary["bore"], x.summary.get("accuracy", {}).get("bore")):
            console.print(line)
    if "thermal" in x.summary:
        console.print(heat_line(x.summary["thermal"]))
    sv = x.summary.get("solver")
    if sv:
        console.print(
            f"{sv['elements']} elements, {sv['dofs']} dofs, {sv['time_steps']} steps, "
            f"{sv['newton_iterations']} Newton iterations, {sv['wall_s']:.2f} s"
        )
    if out is not None:  # all or none, and no other simulation's probes.csv left beside them
        with claimed(out), staged_folder(out, owned=SHOWN_FILES) as stage:
            written = [stage / "case.toml"]
            written[0].write_text(x.case_toml, encoding="utf-8")
            if x.summary:
                written.append(stage / "summary.json")
                written[-1].write_text(json.dumps(x.summary, indent=2), encoding="utf-8")
            if x.probes_csv:
                written.append(stage / "probes.csv")
                written[-1].write_bytes(x.probes_csv)
            if x.heat_csv:
                written.append(stage / "heat.csv")
                written[-1].write_bytes(x.heat_csv)
        console.print(f"wrote {', '.join(p.name for p in written)} to {out}")


def register(app: typer.Typer) -> None:
    """Add ``simulate`` and the ``simulation`` sub-commands to the root ``fluxtrap`` app."""
    short = "Simulate a stack of bulk superconductors through a protocol."
    app.command("simulate", short_help=short)(simulate_command)
    app.add_typer(simulation_app, name="simulation")
