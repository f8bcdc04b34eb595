"""CLI of the optimizer: ``fluxtrap suggest``, ``fluxtrap suggestion list | mark``,
``fluxtrap plot model``, ``fluxtrap replay``."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from fluxtrap.cli.common import (
    FILES_WHOLE,
    ID_BOUND,
    MAX_SEED,
    MAX_WORKERS,
    CampaignOption,
    DbOption,
    OverwriteOption,
    QuietOption,
    StatusNoteOption,
    at_most,
    console,
    interruptible,
    no_bar,
    objective_header,
    out_dir,
    out_file,
    param_cell,
    path_text,
    print_table,
    refuse_existing,
    store_from,
    who,
)
from fluxtrap.errors import ValidationError
from fluxtrap.outputs import replacing, staged_folder

if TYPE_CHECKING:
    from fluxtrap.campaign import CampaignSpec


SUGGEST_WHOLE = (
    "nothing half-written (a batch of suggestions is stored in one transaction, whole or not at "
    "all; --out is replaced whole or left as it was)"
)


def register(app: typer.Typer) -> None:
    """Add the optimizer's commands to the root ``fluxtrap`` app."""
    short = "Fit the campaign's history; record the next N conditions."
    app.command("suggest", short_help=short)(interruptible("suggest", SUGGEST_WHOLE)(suggest_cmd))
    short = "Replay the optimizer on a table of past experiments."
    app.command("replay", short_help=short)(interruptible("replay", FILES_WHOLE)(replay_cmd))
    suggestion_app = typer.Typer(help="The optimizer's suggestions.", no_args_is_help=True)
    short = "List a campaign's suggestions and their status."
    suggestion_app.command("list", short_help=short)(
        interruptible("suggestion list")(suggestion_list_cmd)
    )
    short = "Mark a suggestion failed, abandoned, discarded, used or open."
    suggestion_app.command("mark", short_help=short)(
        interruptible("suggestion mark")(suggestion_mark_cmd)
    )
    app.add_typer(suggestion_app, name="suggestion")
    plot_app = typer.Typer(help="Figures of campaigns and models.", no_args_is_help=True)
    short = "Model slices, best-so-far per loop, parallel coordinates."
    plot_app.command("model", short_help=short)(
        interruptible("plot model", FILES_WHOLE)(plot_model_cmd)
    )
    app.add_typer(plot_app, name="plot")


def suggest_cmd(
    campaign: CampaignOption,
    n: Annotated[
        int,
        typer.Option(
            "-n",
            help="How many suggestions (a batch, at most 100).",
            min=1,
            callback=at_most("fluxtrap.campaign:MAX_BATCH"),
        ),
    ] = 1,
    seed: Annotated[
        int,
        typer.Option(help="Random seed (recorded with each suggestion).", min=0, max=MAX_SEED),
    ] = 0,
    by: Annotated[str | None, typer.Option("--by", help="Who asked.", callback=who)] = None,
    budget: Annotated[
        int | None,
        typer.Option(
            help="Experiments planned in all, measured and pending ones included (default: the "
            "campaign's budget); the last tenth are chosen by best predicted value.",
            min=1,
            callback=at_most("fluxtrap.campaign:MAX_BUDGET"),
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Also write them as CSV: suggestion_id, one column per parameter, the model's "
            "<objective>_predicted and _predicted_std (1 sd of one measurement there; an "
            "objective with log = true: the median and _predicted_low, _predicted_high, "
            "exp(mu -+ 1 sd)), each header with the unit its values are in, as the table's "
            "and `fluxtrap export`'s (jc_3T_predicted [A/cm²]).",
            parser=path_text,
            callback=out_file,
        ),
    ] = None,
    allow_long: Annotated[
        bool,
        typer.Option(
            "--allow-long",
            help="Run a batch estimated to take longer than 10 minutes (refused otherwise, "
            "naming the largest N within it).",
        ),
    ] = False,
    overwrite: OverwriteOption = False,
    db: DbOption = None,
    quiet: QuietOption = False,
) -> None:
    """Fit the campaign's history and record the next N conditions to try (status open).

    \b
    Example:
      fluxtrap suggest -c "K-Ba122 SPS" -n 2 --by alice --out next.csv
    """
    store = store_from(db, out)  # first: --out the store is refused as such
    refuse_existing({"--out": out}, overwrite)  # before torch loads (seconds)

    import pandas as pd
    from rich.progress import Progress

    from fluxtrap.campaign import shown_acquisition
    from fluxtrap.optimize.stopping import campaign_advice
    from fluxtrap.workflows.suggest import suggest

    earlier = store.suggestions(campaign, status="open")
    # on a terminal only: piped, the bar left a blank line above the table scripts read
    with Progress(console=console, disable=no_bar(quiet), transient=True) as bar:
        task = bar.add_task(f"choosing {n} suggestion(s)", total=n)
        records = suggest(
            store,
            campaign,
            n=n,
            seed=seed,
            created_by=by,
            budget=budget,
            progress=lambda k: bar.update(task, completed=k),
            allow_long=allow_long,
        )
    spec = store.campaign(campaign)
    predicted = [
        o for o in spec.objectives if o.name in records[0].model_summary.get("prediction", {})
    ]
    if out is not None:  # in the units the table shows, named in the header, as export does
        rows = [
            {"suggestion_id": r.id}
            | {_unit_header(p.name, p.unit): r.params[p.name] for p in spec.parameters}
            | {
                _unit_header(f"{o.name}_predicted{tail}", o.shown_unit): (
                    None if value is None else o.shown(value)
                )
                for o in predicted
                for tail, value in _prediction_columns(r.model_summary["prediction"][o.name], o)
            }
            for r in records
        ]
        with replacing(out) as partial:
            pd.DataFrame(rows).to_csv(partial, index=False, float_format="%.10g")
    shift, label = shown_acquisition(spec.optimised_objectives)  # as `fluxtrap plot model`
    headers = [
        "id",
        *(f"{p.name} [{p.unit}]" if p.unit else p.name for p in spec.parameters),
        *(f"predicted {objective_header(o)}" for o in predicted),
        f"acquisition [{label}]",
    ]
    rows = [
        [
            str(r.id),
            *(param_cell(r.params[p]) for p in spec.parameter_names),
            *(o.prediction_text(**r.model_summary["prediction"][o.name]) for o in predicted),
            "-" if r.acquisition_value is None else f"{r.acquisition_value + shift:.3g}",
        ]
        for r in records
    ]
    title = f"{campaign}: next {len(records)} suggestion(s)"
    print_table(headers, rows, title)
    if predicted:
        scale = records[0].model_summary.get("sd_scale", {})
        for o in predicted:
            # suggest's predictions: Optimizer.predict(measurement=True), sd_scale
            x = scale.get(o.name)
            spread = (
                f"modelled as ln {o.name}: the median exp(mu) (exp(mu - sd) to exp(mu + sd), "
                "1 sd of ln"
                if o.log
                else "the model's mean ± 1 sd (the model's sd"
            )
            console.print(
                f"predicted {o.label}: what one measurement at each suggestion will read, "
                f"{spread} with the measurement noise"
                + (f", x{x:.2g} from how well it predicted its last samples)" if x else ")"),
                highlight=False,
            )
    console.print(_summary_line(records[0].model_summary, spec), highlight=False)
    repeats = [str(records[i].id) for i in records[0].model_summary.get("repeats", [])]
    if repeats:  # Optimizer.ask: within the noise of a measured or pending point
        console.print(
            f"note: suggestion(s) {', '.join(repeats)} would read within the noise of a point "
            "already measured or pending (in effect a repeat): no other point is expected to "
            "improve by more than one measurement resolves (or the budget's last tenth asks for "
            "the best predicted value), so measuring there again is worth more",
            style="yellow",
            highlight=False,
        )
    if "search" in records[0].model_summary:  # cut by the search's safety stop
        console.print(
            f"note: {records[0].model_summary['search']}", style="yellow", highlight=False
        )
    goals = spec.optimised_objectives
    if advice := campaign_advice(store.suggestions(campaign), goals):
        console.print(str(advice), highlight=False)
    planned = spec.budget if budget is None else budget
    if planned is not None:  # the experiments this batch reaches, as the optimizer counts them
        summary = records[0].model_summary
        measured, waiting = summary["n"], summary["pending"] + len(records)
        if measured + waiting > planned:
            exploits = len(goals) == 1 and not spec.outcome_constraints
            console.print(
                f"budget {planned}: this batch takes the campaign to experiment "
                f"{measured + waiting} ({measured} measured, {waiting} made or suggested and "
                "not measured yet)"
                + ("; past the budget every suggestion is by best predicted value" * exploits),
                style="yellow",
                highlight=False,
            )
    if planned is not None and (len(goals) != 1 or spec.outcome_constraints):
        # Optimizer.exploits: the budget's last tenth by posterior mean needs one objective and
        # no outcome constraint; said, as the campaign file and --budget promise it
        console.print(
            f"budget {planned}: not used here (its last tenth by best predicted value needs one "
            "objective and no outcome constraints); every suggestion is by the acquisition",
            highlight=False,
        )
    held = spec.held_by(store.history(campaign), [s.params for s in earlier])
    for s, label in zip(earlier, held, strict=True):
        if label is not None:  # CampaignSpec.held_by: no longer pending, yet listed as open
            console.print(
                f"note: open suggestion {s.id} is at the point of sample {label!r}, recorded "
                "without --from-suggestion, so it was not counted as pending; close it with: "
                f"fluxtrap suggestion mark {s.id} discarded --note "
                f"{shlex.quote('made as sample ' + label)}",
                style="yellow",
                highlight=False,
            )
    if out is not None:
        console.print(f"wrote {out}", highlight=False)
    console.print(
        f"record a sample made from one: fluxtrap sample add -c {campaign!r} "
        "--from-suggestion ID --label ... (--param name=value for one made otherwise)"
    )


def suggestion_list_cmd(
    campaign: CampaignOption,
    status: Annotated[
        str | None,
        typer.Option(
            help="Only this status: open, used, discarded, abandoned or failed (default: all)."
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """List a campaign's suggestions with their status (and why, when marked with a note)."""
    store = store_from(db, reads_only=True)
    spec = store.campaign(campaign)
    free = spec.free_parameters  # the fixed ones are the same in every row
    headers = ["id", "status", *(f"{p.name} [{p.unit}]" if p.unit else p.name for p in free)]
    rows = [
        [
            str(r.id),
            r.status,
            *(param_cell(r.params[p.name]) for p in free),
            r.created_by or "",
            r.status_note or "",
            r.status_changed_by or "",
        ]
        for r in store.suggestions(campaign, status)
    ]
    # who asked for it, and who last marked it (a column "by" of the second read as the first)
    print_table([*headers, "asked by", "note", "marked by"], rows, title=campaign)


def suggestion_mark_cmd(
    suggestion_id: Annotated[int, typer.Argument(help="Suggestion id.", min=1, callback=ID_BOUND)],
    status: Annotated[
        str,
        typer.Argument(
            help="failed (made but unusable), abandoned (given up), discarded (not worth "
            "making), used (its sample failed by mistake: recording a sample with "
            "--from-suggestion marks it used), or open again."
        ),
    ],
    note: StatusNoteOption = None,
    by: Annotated[str | None, typer.Option("--by", help="Who marked it.", callback=who)] = None,
    db: DbOption = None,
) -> None:
    """Mark a suggestion: failed, abandoned and discarded free its point (it is no longer
    pending); failed also marks the sample made from it failed. Used needs a sample made from
    it: record one with `fluxtrap sample add --from-suggestion ID`."""
    rec = store_from(db).set_suggestion_status(suggestion_id, status, changed_by=by, note=note)
    console.print(f"suggestion {rec.id} is now {rec.status}", highlight=False)


def _scale_unit(spec: CampaignSpec, name: str) -> str:
    """The unit of parameter ``name``'s length-scale: " decades" on a log scale, else its own
    (" degC/min"); "" for a categorical (encoded) or one the campaign no longer has."""
    if name not in spec.parameter_names or spec.parameter(name).kind == "categorical":
        return ""
    p = spec.parameter(name)
    return " decades" if p.log else f" {p.unit}".rstrip()


def _unit_header(name: str, unit: str | None) -> str:
    """A CSV column's header: ``name [unit]`` (``jc_3T_predicted [A/cm²]``), ``name`` without."""
    return f"{name} [{unit}]" if unit else name


def _prediction_columns(guess: dict, o) -> list[tuple[str, float | None]]:
    """A suggestion's stored prediction of objective ``o`` (stored units, SI): the mean and its
    sd, or of a log objective the median exp(mu) and exp(mu -+ sd)."""
    mean, std = guess.get("mean"), guess.get("std")
    if not o.log:
        return [("", mean), ("_std", std)]
    low, high = (None, None) if mean is None or std is None else o.spread(mean, std)
    return [("", mean), ("_low", low), ("_high", high)]


def _summary_line(summary: dict, spec: CampaignSpec) -> str:
    """One line per objective: LOO error and length-scales (shortest = matters most); with
    stated errors, how many rows state one and the noise (typical and fitted); the Pareto front.
    Objectives' values as the tables show them (Jc in A/cm², as the stopping advisor's line);
    a log objective's LOO error and noise are of ln(value), as modelled."""

    def shown(name: str, value: float, digits: int = 3) -> str:
        d = spec.objective(name)
        return f"{d.shown(value):.{digits}g}" + (f" {d.shown_unit}" if d.shown_unit else "")

    def spread(name: str, value: float, o: dict) -> str:
        return f"{value:.3g} in ln {name}" if o.get("log") else shown(name, value)

    lines = [
        f"model: {summary.get('model', '?')} on n={summary.get('n', 0)}, "
        f"acquisition {summary.get('acquisition_function', '?')}"
    ]
    for name, o in summary.get("objectives", {}).items():
        ls = ", ".join(
            f"{k} {v:.3g}{_scale_unit(spec, k)}"
            for k, v in sorted(o["lengthscales"].items(), key=lambda kv: kv[1] or 0)
        )
        r2 = "" if o.get("loo_r2") is None else f", LOO R^2 {o['loo_r2']:.2f}"
        lines.append(
            f"  {name} ({o['goal']}): LOO RMSE {spread(name, o['loo_rmse'], o)}{r2}; "
            f"length-scales {ls}"
        )
        if o.get("known_errors"):  # summaries stored before stated errors have no count
            lines.append(
                f"    {o['known_errors']} row(s) with a stated error: noise std "
                f"{spread(name, o['noise_std'], o)} "
                f"(fitted {spread(name, o['fitted_noise_std'], o)} "
                "on top of the stated)"
            )
    if status := summary.get("constraints"):  # Optimizer.constraint_status, counted
        waiting = status.get("awaiting") or {}
        lines.append(
            f"  outcome constraints: {status['met']} sample(s) meet them, {status['not met']} "
            f"do not, {status['unknown']} not known yet"
            + (f" (awaiting {', '.join(f'{k} ({v})' for k, v in waiting.items())})" * bool(waiting))
        )
    left = {k: v for k, v in summary.get("pareto_left_out", {}).items() if v}
    if left:  # Optimizer.pareto_front: rows with an objective or a constraint not measured
        lines.append(
            "  Pareto front and the hypervolume's reference point: sample(s) left out: "
            + ", ".join(f"{v} ({k})" for k, v in left.items())
        )
    outcomes = set(spec.objective_names)
    for row in summary.get("pareto_front", []):
        lines.append(
            "  Pareto front: "
            + ", ".join(
                f"{k}={shown(k, v, 4)}"
                if k in outcomes
                else f"{k}={v:.4g}"
                if isinstance(v, float)
                else f"{k}={v}"
                for k, v in row.items()
            )
        )
    return "\n".join(lines)


# what plot model writes: those of an earlier run the new set lacks (--no-html) are removed
MODEL_FIGURES = (
    "model_1d*.png",
    "model_2d*.png",
    "best_so_far*.png",
    "parallel_coordinates*.png",
    "model_1d*.html",
    "parallel_coordinates*.html",
    "plotly.min.js",
)


def plot_model_cmd(
    campaign: CampaignOption,
    out: Annotated[
        Path,
        typer.Option("--out", help="Folder for the figures.", parser=path_text, callback=out_dir),
    ],
    seed: Annotated[
        int,
        typer.Option(
            help="Random seed of the model fit (as suggest's, recorded with each suggestion).",
            min=0,
            max=MAX_SEED,
        ),
    ] = 0,
    html: Annotated[bool, typer.Option("--html/--no-html", help="Also write plotly HTML.")] = True,
    db: DbOption = None,
) -> None:
    """Model slices (mean, std, acquisition), best-so-far per loop, parallel coordinates.

    \b
    Example:
      fluxtrap plot model -c "K-Ba122 SPS" --out figures/ --no-html
    """
    import pandas as pd

    from fluxtrap.optimize.plots import write_model_report
    from fluxtrap.workflows.suggest import campaign_optimizer, live_rows

    store = store_from(db, reads_only=True)
    spec = store.campaign(campaign)
    history = store.history(campaign)
    open_ = store.suggestions(campaign, status="open")
    opt, pending = campaign_optimizer(spec, history, [s.params for s in open_], seed=seed)
    # failed and outside rows left out; one awaiting another outcome (tc) still counts in its
    # objective's best so far (write_model_report)
    history = history[live_rows(spec, history)]
    if len(opt.X) < 2:
        raise ValidationError(
            f"campaign {campaign!r}: the model needs 2 measured samples, has {len(opt.X)}"
        )
    suggestions = (
        pd.DataFrame([s.params for s in open_], columns=spec.parameter_names) if open_ else None
    )
    from fluxtrap.optimize.stopping import campaign_advice

    advice = campaign_advice(store.suggestions(campaign), spec.optimised_objectives)
    advice = None if advice is None else str(advice)
    # the set whole or not at all (a full disk was an OSError traceback, a Ctrl-C a half PNG)
    with staged_folder(out, owned=MODEL_FIGURES) as stage:
        paths = write_model_report(
            opt,
            history,
            stage,
            suggestions=suggestions,
            pending=pending if len(pending) else None,
            html=html,
            advice=advice,
            objectives=spec.objectives,
        )
    if advice:
        console.print(advice, highlight=False)
    console.print(f"wrote {len(paths)} figures to {out}: {', '.join(p.name for p in paths)}")


def top_percent_value(x: float) -> float:
    """Typer callback of ``replay --top-percent``: over 0 up to 100, said as the bounded options
    say it (app._range_text), before the table is read (typer's ``min`` takes 0 itself, and
    replay's own "top percent must be > 0" came only after the table had been read)."""
    if not 0 < x <= 100:  # NaN too
        raise typer.BadParameter(f"'{x:g}': give a number over 0 up to 100")
    return x


def input_columns(inputs: str, objective: str) -> list[str]:
    """The column names of ``replay --inputs`` (comma-separated, blanks around them dropped):
    at least one, each once and none the ``--objective`` (each was a pandas traceback: "No group
    keys passed!", "arg must be a list, tuple, 1-d array, or Series")."""
    names = [c.strip() for c in inputs.split(",") if c.strip()]
    if not names:
        raise ValidationError(
            f"--inputs {inputs!r}: no column named; give the input columns comma-separated, "
            "e.g. --inputs ramp_rate,max_temperature"
        )
    if twice := sorted({c for c in names if names.count(c) > 1}):
        raise ValidationError(f"--inputs {inputs!r}: {', '.join(map(repr, twice))} given twice")
    if objective in names:
        raise ValidationError(
            f"--objective {objective!r} is also one of --inputs {inputs!r}: the objective is the "
            "column the inputs predict; leave it out of --inputs"
        )
    return names


def replay_cmd(
    data: Annotated[Path, typer.Argument(help="CSV table of past experiments.")],
    inputs: Annotated[str, typer.Option(help="Input columns, comma-separated.")],
    objective: Annotated[str, typer.Option(help="Objective column.")],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Folder for replay.json and replay.png.",
            parser=path_text,
            callback=out_dir,
        ),
    ],
    minimize: Annotated[bool, typer.Option("--minimize", help="Lower is better.")] = False,
    log: Annotated[
        bool,
        typer.Option(
            "--log",
            help="Model ln(objective), as an objective with log = true (values spanning "
            "decades; a 0 at a floor below the smallest, one below 0 refused, a 0 too with "
            "--minimize).",
        ),
    ] = False,
    # bounds here, before the table is read: --budget -1 said "replay: batch 1 must be between
    # 1 and the budget -1", naming no option; replay() checks them again, and those that join
    # options (initial < budget <= the pool's size, the work of all runs)
    budget: Annotated[
        int,
        typer.Option(
            help="Trials per run, the initial ones included.",
            min=2,
            callback=at_most("fluxtrap.optimize.optimizer:MAX_OBSERVATIONS"),
        ),
    ] = 50,
    initial: Annotated[int, typer.Option(help="Random starting rows per run.", min=1)] = 2,
    repeats: Annotated[
        int,
        typer.Option(
            help="Seeded runs (seeds seed .. seed+repeats-1).",
            min=1,
            callback=at_most("fluxtrap.optimize.replay:MAX_REPEATS"),
        ),
    ] = 10,
    seed: Annotated[
        int,
        typer.Option(
            help="First seed.", min=0, callback=at_most("fluxtrap.optimize.optimizer:MAX_RNG_SEED")
        ),
    ] = 0,
    top_percent: Annotated[
        float,
        typer.Option(
            help="Goal set: this top percentage of the pool (0 < x <= 100).",
            callback=top_percent_value,
        ),
    ] = 5.0,
    workers: Annotated[
        int,
        typer.Option(
            help="Processes for the runs (at most the CPU cores).", min=1, max=MAX_WORKERS
        ),
    ] = 1,
    quiet: QuietOption = False,
) -> None:
    """Replay a campaign on a table (pool-based: only its rows can be picked) vs random choice.

    \b
    Example:
      fluxtrap replay pool.csv --inputs ramp_rate,max_temperature --objective jc_3T --out replay/
    """
    from rich.progress import Progress

    from fluxtrap.optimize.replay import check_runs, read_table, replay

    # what needs no table first: reading a big one took long before a refusal that needed none
    check_runs(budget, initial, repeats, seed, top_percent, workers)
    X, y = read_table(data, input_columns(inputs, objective), objective)
    with Progress(console=console, disable=no_bar(quiet), transient=True) as bar:
        task = bar.add_task(f"replay {data.name}", total=repeats)
        result = replay(
            X,
            y,
            maximize=not minimize,
            budget=budget,
            n_initial=initial,
            repeats=repeats,
            seed=seed,
            top_percent=top_percent,
            workers=workers,
            log=log,
            progress=lambda k: bar.update(task, completed=k),
        )
    with staged_folder(out, owned=("replay.json", "replay.png")) as stage:  # as plot model
        paths = [out / p.name for p in result.write(stage)]
    ef = result.enhancement_factor
    if units := X.attrs.get("units"):  # a header's (export's) or --inputs/--objective's
        console.print(f"units: {', '.join(f'{c} [{u}]' for c, u in units.items())}")
    table = Table(
        "trial",
        "BO top fraction",
        "random",
        "enhancement factor",
        title=f"{data.name}: pool N={result.n_pool}, top {top_percent:g}% = {result.n_top}, "
        f"{repeats} runs",
    )
    for i in sorted({10, 25, 50, budget} & set(range(1, budget + 1))):
        table.add_row(
            str(i),
            f"{result.bo_top[:, i - 1].mean():.2f}",
            f"{result.random_top[i - 1]:.2f}",
            f"{ef[i - 1]:.2f}",
        )
    console.print(table)
    console.print(f"wrote {', '.join(str(p) for p in paths)}")
