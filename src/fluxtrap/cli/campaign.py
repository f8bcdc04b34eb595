"""``fluxtrap campaign``, ``fluxtrap sample``, ``fluxtrap export`` and ``fluxtrap import``."""

from __future__ import annotations

import math
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fluxtrap import units
from fluxtrap.cli.common import (
    ID_BOUND,
    CampaignOption,
    DbOption,
    OverwriteOption,
    StatusNoteOption,
    console,
    interruptible,
    key_values,
    notes_text,
    objective_cell,
    objective_header,
    out_file,
    param_cell,
    path_text,
    print_table,
    refuse_existing,
    store_from,
    text_table,
    visible,
    who,
)
from fluxtrap.errors import ConflictError

if TYPE_CHECKING:
    from fluxtrap.campaign import CampaignSpec
    from fluxtrap.store import SampleRecord, Store

OutsideSpaceOption = Annotated[
    bool,
    typer.Option(
        "--outside-space",
        help="Record parameters beyond the campaign's bounds, off its step grid or breaking a "
        "constraint (a sample made there already): a warning names what each breaks, and "
        "suggest leaves such samples out of the model.",
    ),
]
campaign_app = typer.Typer(help="Create and inspect campaigns.", no_args_is_help=True)
sample_app = typer.Typer(help="Record and list samples.", no_args_is_help=True)


# -- campaigns --------------------------------------------------------------------------------
@campaign_app.command("create")
@interruptible("campaign create")
def campaign_create(
    file: Annotated[Path, typer.Argument(help="Campaign TOML file (parameters, objectives).")],
    by: Annotated[str | None, typer.Option("--by", help="Who created it.", callback=who)] = None,
    db: DbOption = None,
) -> None:
    """Create a campaign from its TOML file."""
    from fluxtrap.campaign import CampaignSpec

    parsed = CampaignSpec.from_toml(file)  # first: a refused file left a new, empty store
    store = store_from(db, create=True)
    try:
        spec = store.create_campaign(parsed, created_by=by).spec
    except ConflictError as err:  # the README's store, then a tutorial's create in one folder
        again = f" --db {shlex.quote(db)}" if db else ""
        raise ConflictError(
            f"{err} in {store!r} (`fluxtrap campaign show {shlex.quote(parsed.name)}{again}` "
            "lists its samples); to start afresh, give another store: --db new.db"
        ) from None
    console.print(
        f"created campaign {spec.name} with parameters {', '.join(spec.parameter_names)}",
        highlight=False,
    )
    for expression in spec.constraints:
        console.print(f"  constraint: {expression}", highlight=False)
    for o in spec.objectives:
        if o.log:
            console.print(
                f"  objective {o.name}: log = true (modelled as ln {o.name})", highlight=False
            )
    for note in spec.notes:  # why suggest will refuse it, highs off their step grid
        print(f"note: {note}", file=sys.stderr)


@campaign_app.command("list")
@interruptible("campaign list")
def campaign_list(db: DbOption = None) -> None:
    """List the campaigns and how many samples each has."""
    store = store_from(db, reads_only=True)
    counts = store.sample_counts()  # one query, not every campaign's samples
    rows = [
        [
            spec.name,
            ", ".join(spec.parameter_names),
            ", ".join(f"{o.name}{' (log)' if o.log else ''}" for o in spec.objectives),
            str(counts[spec.name]),
        ]
        for spec in store.campaigns()
    ]
    # every cell whole (text_table): rich's Table cut the names to fit, "campai…", "ramp_r…" at
    # 40 columns, and the name is what every other command is given
    print_table(["campaign", "parameters", "objectives", "samples"], rows)


@campaign_app.command("show", short_help="Show a campaign's samples, parameters and objectives.")
@interruptible("campaign show")
def campaign_show(
    name: Annotated[str, typer.Argument(help="Campaign name.")], db: DbOption = None
) -> None:
    """Show a campaign's samples with their origin, parameters and objective values, then its
    definition: each parameter's settable values, the objectives and the constraints."""
    store = store_from(db, reads_only=True)
    console.print(_history_table(store, name), soft_wrap=True, highlight=False)
    console.print(_definition(store.campaign(name)), soft_wrap=True, highlight=False)


def _definition(spec: CampaignSpec) -> str:
    """The campaign's definition as people set it: a parameter's bounds and step in its unit
    (``873 to 1173 by 5, 61 values``), choices or fixed value; what each objective reads
    off a sample and its goal; the constraints. `campaign show` listed the samples only, so the
    bounds and steps a sample must meet were nowhere in the CLI."""
    rows = []
    for p in spec.parameters:
        if p.fixed is not None:
            values = f"fixed at {param_cell(p.fixed)}"
        elif p.choices is not None:
            values = ", ".join(param_cell(c) for c in p.choices)
        else:
            values = f"{p.low:g} to {p.high:g}"
            if p.step:
                count = math.floor((p.high - p.low) / p.step + 1e-9) + 1
                values += f" by {p.step:g}, {count:,} values"
            values += ", log scale" if p.log else ""
        rows.append([p.name, p.unit or "-", values])
    lines = [text_table(["parameter", "unit", "settable values"], rows)]
    for o in spec.objectives:
        what = {"jc": "Jc", "tc": "Tc"}.get(o.quantity, o.quantity)
        at = [f"{o.field_T:g} T" if o.field_T is not None else "", ""]
        at[1] = f"{o.temperature_K:g} K" if o.temperature_K is not None else ""
        where = f" at {', '.join(x for x in at if x)}" if any(at) else ""
        unit = f" [{o.shown_unit}]" if o.shown_unit else ""
        log = ", log = true" if o.log else ""
        lines.append(f"objective {o.name}: {what}{where}{unit}, {o.goal}{log}")
    lines += [f"constraint: {c}" for c in spec.constraints]
    return "\n".join(lines)


def _history_table(store: Store, name: str) -> str:
    """The campaign's samples as a text table: label, origin, status, parameters, objectives
    (Jc in A/cm^2; ± 1-sigma where a measurement gave one), whether a file was measured ("yes,
    SYNTHETIC" if one says it was generated, not measured: the reader's ``synthetic``); three
    queries whatever the number of samples."""
    spec = store.campaign(name)
    files = store.measurements(name, with_content=False)
    measured = {x.sample for x in files}
    synthetic = {x.sample for x in files if x.metadata.get("synthetic") is True}
    rows = (
        [
            x.label,
            x.origin,
            x.status + (f" ({x.status_changed})" if x.status_changed else ""),
            *(param_cell(x.params.get(p)) for p in spec.parameter_names),
            *(
                objective_cell(x.objectives.get(o.name), o, x.objective_errors.get(o.name))
                for o in spec.objectives
            ),
            ("yes, SYNTHETIC" if x.label in synthetic else "yes") if x.label in measured else "",
        ]
        for x in store.samples(name)
    )
    headers = [
        "label",
        "origin",
        "status",
        *(f"{p.name} [{p.unit}]" if p.unit else p.name for p in spec.parameters),
        *(objective_header(o) for o in spec.objectives),
        "files",
    ]
    return text_table(headers, rows, title=spec.name)


# -- samples ----------------------------------------------------------------------------------
@sample_app.command("add", short_help="Record a sample's process parameters (and objectives).")
@interruptible("sample add")
def sample_add(
    campaign: CampaignOption,
    label: Annotated[
        str, typer.Option("--label", "-l", help="Sample label, unique in the campaign.")
    ],
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            help='name=value in the campaign\'s unit or with a unit ("dwell_time=1 h"; a choice '
            "for a categorical parameter; fixed ones may be left out, and with "
            "--from-suggestion those made as suggested); repeat.",
        ),
    ] = None,
    origin: Annotated[
        str | None,
        typer.Option(
            help="Who chose the conditions: researcher or optimizer (default: optimizer with "
            "--from-suggestion, else researcher)."
        ),
    ] = None,
    objective: Annotated[
        list[str] | None,
        typer.Option(
            "--objective",
            "-o",
            help='name=value with a unit (jc_3T="2.1e4 A/cm^2", tc="37 K"; a 1-sigma after ±: '
            '"37.2 ± 0.3 K"), or a bare number in the objective\'s unit (Jc A/m^2, Tc K); repeat.',
        ),
    ] = None,
    from_suggestion: Annotated[
        int | None,
        typer.Option(
            "--from-suggestion",
            help="Id of the suggestion this sample realises (marked used).",
            min=1,
            callback=ID_BOUND,
        ),
    ] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who recorded it.", callback=who)] = None,
    notes: Annotated[
        str, typer.Option(help="Free text (at most 10 000 characters).", callback=notes_text)
    ] = "",
    outside_space: OutsideSpaceOption = False,
    db: DbOption = None,
) -> None:
    """Record a sample's process parameters (and objective values if already known). A sample
    made from a suggestion is recorded as made: a parameter not given is the suggested value;
    where those given depart from the suggested ones, a warning says which, by how much."""
    store = store_from(db)
    objectives = key_values(objective, "--objective")
    params = key_values(param, "--param")
    if from_suggestion is not None:  # each had to be typed again, digit for digit
        params = {**store.suggestion(from_suggestion).params, **params}
    rec = store.add_sample(
        campaign,
        label,
        params,
        origin=origin,
        suggestion_id=from_suggestion,
        objectives=objectives,
        recorded_by=by,
        notes=notes,
        outside_space=outside_space,
    )
    console.print(f"added sample {rec.label} ({rec.origin}) to {campaign}")
    _say_outside(store.campaign(campaign), [rec])
    departures = store.departures(rec)
    if departures:
        print(
            f"warning: sample {visible(rec.label)} departs from suggestion "
            f"{rec.suggestion_id}: {visible('; '.join(departures))}",
            file=sys.stderr,
        )
    spec = store.campaign(campaign)
    if rec.suggestion_id is None:
        _say_held_suggestions(store, spec, [{**rec.params, "label": rec.label}])
    _say_bare_jc(spec, objectives)


def _say_held_suggestions(store: Store, spec: CampaignSpec, samples: list[dict]) -> None:
    """A ``warning:`` line on stderr for each open suggestion at the point of one of
    ``samples`` (parameter dicts with their label; ``CampaignSpec.held_by``): made without
    ``--from-suggestion``, it stays open in the list though it is no longer pending."""
    import pandas as pd

    open_ = store.suggestions(spec.name, status="open")
    held = spec.held_by(pd.DataFrame(samples), [s.params for s in open_])
    for s, label in zip(open_, held, strict=True):
        if label is not None:
            print(
                f"warning: sample {visible(label)} is at the point of open suggestion {s.id}, "
                "recorded without --from-suggestion: the optimizer counts the point as the "
                f"sample's; close the suggestion with: fluxtrap suggestion mark {s.id} "
                f"discarded --note {shlex.quote('made as sample ' + label)}",
                file=sys.stderr,
            )


def _say_outside(spec: CampaignSpec, samples: list[SampleRecord]) -> None:
    """A ``warning:`` line on stderr for each sample (the first five) whose parameters lie
    outside the campaign's space, naming what it breaks: suggest leaves it out of the model
    when it lies beyond a bound, and learns from it when it is only off a step grid or breaks
    only a linear constraint (``workflows.suggest``)."""
    outside = [(x.label, b, x.params) for x in samples if (b := spec.outside(x.params))]
    for label, breaks, params in outside[:5]:
        use = (
            "suggest leaves it out of the model"
            if spec.outside(params, linear=False, grid=False)
            else "the model learns from it; suggestions stay settable, inside the constraints"
        )
        print(
            f"warning: sample {visible(label)} lies outside the campaign's space: "
            f"{visible('; '.join(breaks))} (recorded; {use})",
            file=sys.stderr,
        )
    if len(outside) > 5:
        print(f"warning: and {len(outside) - 5} more samples outside it", file=sys.stderr)


def _say_bare_jc(spec: CampaignSpec, objectives: dict[str, str]) -> None:
    """A ``note:`` line on stderr for each Jc given as a bare number: it is read in A/m² while
    every table shows A/cm², so "2e4" copied from a table would be stored 10⁴ times too small
    (a 0, nothing measurable, is 0 in any unit: no note)."""
    for name, text in spec.split_errors(objectives)[0].items():  # "2e4 ± 300": the value's
        v = units.number(text)
        jc = name in spec.objective_names and spec.objective(name).quantity == "jc"
        if v and jc:
            print(
                f"note: {name}={text} has no unit: read as {v:.4g} A/m², {units.to_A_cm2(v):.4g} A/cm² "
                f'(write "{text} A/cm^2" for A/cm²)',
                file=sys.stderr,
            )


@sample_app.command("measured", short_help="Record objective values measured by hand.")
@interruptible("sample measured")
def sample_measured(
    campaign: CampaignOption,
    label: Annotated[str, typer.Argument(help="Sample label.")],
    objective: Annotated[
        list[str],
        typer.Option(
            "--objective",
            "-o",
            help='name=value with a unit (tc="37.2 K", jc_3T="2.1e4 A/cm^2"; a 1-sigma after ±: '
            '"37.2 ± 0.3 K"), or a bare number in the objective\'s unit (Jc A/m^2, Tc K); repeat.',
        ),
    ],
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite values already stored (said which).")
    ] = False,
    by: Annotated[str | None, typer.Option("--by", help="Who measured them.", callback=who)] = None,
    db: DbOption = None,
) -> None:
    """Record objective values measured by hand (a Tc from another instrument, a density) for a
    sample already added; files go through `fluxtrap measure add`."""
    store = store_from(db)
    values = key_values(objective, "--objective")
    before = store.sample(campaign, label)
    rec = store.set_objectives(campaign, label, values, replace=replace, changed_by=by)
    spec = store.campaign(campaign)
    _say_bare_jc(spec, values)
    for o in map(spec.objective, values):
        shown = [
            f"{objective_cell(v, o, err.get(o.name))} {o.shown_unit}".rstrip()
            for v, err in (
                (rec.objectives[o.name], rec.objective_errors),
                (before.objectives.get(o.name), before.objective_errors),
            )
        ]
        was = f" (was {shown[1]})" if before.objectives.get(o.name) is not None else ""
        console.print(f"{rec.label}: {o.name} = {shown[0]}{was}", highlight=False)


def _sample_status_seen(text: str | None) -> str | None:
    """Typer callback of ``--if-status``: made or failed, as typed (the store's words)."""
    if text is not None and text not in ("made", "failed"):
        raise typer.BadParameter(f"{text!r} is not a sample status: made or failed")
    return text


@sample_app.command("status", short_help="Mark a sample failed (it frees its point).")
@interruptible("sample status")
def sample_status(
    campaign: CampaignOption,
    label: Annotated[str, typer.Argument(help="Sample label.")],
    status: Annotated[
        str, typer.Argument(help="failed (unusable: cracked, unmeasurable) or made (undo).")
    ],
    note: StatusNoteOption = None,
    by: Annotated[str | None, typer.Option("--by", help="Who marked it.", callback=who)] = None,
    if_status: Annotated[
        str | None,
        typer.Option(
            "--if-status",
            help="The status you saw (`sample list`), made or failed: if another has set it "
            "since, nothing changes and the error says its status now (and who set it, when "
            "stored).",
            callback=_sample_status_seen,
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Mark a sample failed: it will never be measured, so it no longer blocks its point (the
    suggestion it realises, if any, is marked failed too). With --if-status, only if it still
    has the status you saw: two lab members' changes do not overwrite each other silently."""
    store = store_from(db)
    try:
        rec = store.set_sample_status(
            campaign, label, status, note=note, changed_by=by, expected=if_status
        )
    except ConflictError as err:  # the store says "reload": a page's word
        show = f"fluxtrap sample list -c {shlex.quote(campaign)}" + (
            f" --db {shlex.quote(db)}" if db else ""
        )
        raise ConflictError(str(err).replace("reload to see it", f"`{show}` lists it")) from None
    console.print(f"sample {rec.label} is now {rec.status}", highlight=False)


@sample_app.command("list")
@interruptible("sample list")
def sample_list(campaign: CampaignOption, db: DbOption = None) -> None:
    """List a campaign's samples."""
    console.print(
        _history_table(store_from(db, reads_only=True), campaign), soft_wrap=True, highlight=False
    )


# -- export / import --------------------------------------------------------------------------
CSV_WHOLE = "nothing half-written (--out is replaced whole or left as it was)"


def export(
    campaign: CampaignOption,
    out: Annotated[
        Path,
        typer.Option("--out", help="CSV file to write.", parser=path_text, callback=out_file),
    ],
    overwrite: OverwriteOption = False,
    db: DbOption = None,
) -> None:
    """Write a campaign's history as CSV, each number column naming its unit as campaign show
    does ("max_temperature [degC]", "jc_3T [A/cm²]"), each objective followed by its 1-sigma,
    <objective>_err, where a measurement gave one; import reads it back exactly.

    Links to suggestions are not exported: they only mean something inside one store.

    \b
    Example:
      fluxtrap export -c "K-Ba122 SPS" --out history.csv
    """
    from fluxtrap.workflows.history import export_history

    store = store_from(db, out, reads_only=True)  # first: --out the store is refused as such
    refuse_existing({"--out": out}, overwrite)
    n = export_history(store, campaign, out)
    console.print(f"wrote {n} sample{'s' * (n != 1)} to {out}")


def import_(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV as written by `fluxtrap export` (a number column's name may carry its "
            'unit: "dwell_time (h)", "jc_3T [A/cm²]").'
        ),
    ],
    campaign: CampaignOption,
    outside_space: OutsideSpaceOption = False,
    db: DbOption = None,
) -> None:
    """Add the samples of a CSV to a campaign: all rows or, if any row is bad, none."""
    from fluxtrap.workflows.history import import_history

    store = store_from(db)
    samples = import_history(store, campaign, file, outside_space)
    n = len(samples)
    console.print(f"imported {n} sample{'s' * (n != 1)} into {campaign}")
    _say_outside(store.campaign(campaign), samples)


def register_groups(app: typer.Typer) -> None:
    """Add the ``campaign`` and ``sample`` sub-commands to the root ``fluxtrap`` app."""
    app.add_typer(campaign_app, name="campaign")
    app.add_typer(sample_app, name="sample")


def register(app: typer.Typer) -> None:
    """Add ``export`` and ``import`` to the root ``fluxtrap`` app."""
    short = "Write a campaign's history as CSV."
    app.command("export", short_help=short)(interruptible("export", CSV_WHOLE)(export))
    short = "Add the samples of a CSV to a campaign (all or none)."
    app.command("import", short_help=short)(interruptible("import")(import_))
