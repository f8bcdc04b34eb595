"""``fluxtrap campaign``, ``fluxtrap sample``, ``fluxtrap export`` and ``fluxtrap import``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from fluxtrap.campaign import CampaignSpec
from fluxtrap.cli.common import CampaignOption, DbOption, console, key_values, store_from
from fluxtrap.errors import InputFileError
from fluxtrap.store import Store

campaign_app = typer.Typer(help="Create and inspect campaigns.", no_args_is_help=True)
sample_app = typer.Typer(help="Record and list samples.", no_args_is_help=True)


# -- campaigns --------------------------------------------------------------------------------
@campaign_app.command("create")
def campaign_create(
    file: Annotated[Path, typer.Argument(help="Campaign TOML file (parameters, objectives).")],
    by: Annotated[str | None, typer.Option("--by", help="Who created it.")] = None,
    db: DbOption = None,
) -> None:
    """Create a campaign from its TOML file."""
    spec = store_from(db).create_campaign(CampaignSpec.from_toml(file), created_by=by).spec
    console.print(
        f"created campaign [bold]{spec.name}[/] with parameters {', '.join(spec.parameter_names)}"
    )


@campaign_app.command("list")
def campaign_list(db: DbOption = None) -> None:
    """List the campaigns and how many samples each has."""
    store = store_from(db)
    table = Table("campaign", "parameters", "objectives", "samples")
    for spec in store.campaigns():
        table.add_row(
            spec.name,
            ", ".join(spec.parameter_names),
            ", ".join(spec.objective_names),
            str(len(store.samples(spec.name))),
        )
    console.print(table)


@campaign_app.command("show")
def campaign_show(
    name: Annotated[str, typer.Argument(help="Campaign name.")], db: DbOption = None
) -> None:
    """Show a campaign's samples with their origin, parameters and objective values."""
    store = store_from(db)
    console.print(_history_table(store, name))


def _history_table(store: Store, name: str) -> Table:
    spec = store.campaign(name)
    history = store.history(name)
    measured = {x.sample for x in store.measurements(name, with_content=False)}
    table = Table(
        "label",
        "origin",
        *(f"{p.name} [{p.unit}]" for p in spec.parameters),
        *(_objective_header(o) for o in spec.objectives),
        "files",
        title=spec.name,
    )
    for _, row in history.iterrows():
        table.add_row(
            row["label"],
            row["origin"],
            *(f"{row[p]:g}" for p in spec.parameter_names),
            *(_objective_cell(row[o.name], o) for o in spec.objectives),
            "yes" if row["label"] in measured else "",
        )
    return table


def _objective_header(o) -> str:
    return f"{o.name} [A/cm²]" if o.quantity == "jc" else o.name


def _objective_cell(value: float, o) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value * 1e-4:.4g}" if o.quantity == "jc" else f"{value:.4g}"


# -- samples ----------------------------------------------------------------------------------
@sample_app.command("add")
def sample_add(
    campaign: CampaignOption,
    label: Annotated[
        str, typer.Option("--label", "-l", help="Sample label, unique in the campaign.")
    ],
    param: Annotated[
        list[str], typer.Option("--param", "-p", help="name=value in the campaign's unit; repeat.")
    ],
    origin: Annotated[
        str, typer.Option(help="Who chose the conditions: researcher or optimizer.")
    ] = "researcher",
    objective: Annotated[
        list[str] | None,
        typer.Option("--objective", "-o", help="name=value in SI (Jc in A/m^2); repeat."),
    ] = None,
    from_suggestion: Annotated[
        int | None,
        typer.Option(
            "--from-suggestion", help="Id of the suggestion this sample realises (marked used)."
        ),
    ] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who recorded it.")] = None,
    notes: Annotated[str, typer.Option(help="Free text.")] = "",
    db: DbOption = None,
) -> None:
    """Record a sample's process parameters (and objective values if already known)."""
    store = store_from(db)
    if from_suggestion is not None and origin == "researcher":
        origin = "optimizer"
    rec = store.add_sample(
        campaign,
        label,
        key_values(param, "--param"),
        origin=origin,
        suggestion_id=from_suggestion,
        objectives=key_values(objective, "--objective"),
        recorded_by=by,
        notes=notes,
    )
    console.print(f"added sample [bold]{rec.label}[/] ({rec.origin}) to {campaign}")


@sample_app.command("list")
def sample_list(campaign: CampaignOption, db: DbOption = None) -> None:
    """List a campaign's samples."""
    console.print(_history_table(store_from(db), campaign))


# -- export / import --------------------------------------------------------------------------
HISTORY_COLUMNS = ("label", "origin"), ("recorded_by", "notes")  # around parameters and objectives


def export(
    campaign: CampaignOption,
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    db: DbOption = None,
) -> None:
    """Write a campaign's history as CSV (parameters in campaign units, objectives in SI).

    Links to suggestions are not exported: they only mean something inside one store."""
    store = store_from(db)
    spec = store.campaign(campaign)
    rows = [
        {
            "label": x.label,
            "origin": x.origin,
            **x.params,
            **{o: x.objectives.get(o) for o in spec.objective_names},
            "recorded_by": x.recorded_by,
            "notes": x.notes,
        }
        for x in store.samples(campaign)
    ]
    head, tail = HISTORY_COLUMNS
    columns = [*head, *spec.parameter_names, *spec.objective_names, *tail]
    table = pd.DataFrame(rows, columns=columns)
    for col in TEXT_COLUMNS:
        table[col] = table[col].map(spreadsheet_safe)
    # CRLF rows (RFC 4180): a CR or LF inside a cell is then quoted, so notes survive the trip
    table.to_csv(out, index=False, float_format="%.17g", lineterminator="\r\n")
    console.print(f"wrote {len(rows)} samples to {out}")


def import_(
    file: Annotated[Path, typer.Argument(help="CSV as written by `fluxtrap export`.")],
    campaign: CampaignOption,
    db: DbOption = None,
) -> None:
    """Add the samples of a CSV to a campaign: all rows or, if any row is bad, none."""
    store = store_from(db)
    spec = store.campaign(campaign)
    rows = read_history_csv(file, spec)
    store.add_samples(campaign, rows)
    console.print(f"imported {len(rows)} samples into {campaign}")


def read_history_csv(file: Path, spec: CampaignSpec) -> list[dict]:
    """Rows of an exported history CSV as ``Store.add_samples`` rows."""
    try:
        df = pd.read_csv(file, dtype={"label": str, "notes": str, "recorded_by": str})
    except FileNotFoundError:
        raise InputFileError(f"{file}: no such file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise InputFileError(f"{file}: not a readable CSV ({err})") from None
    missing = [c for c in ("label", *spec.parameter_names) if c not in df.columns]
    if missing:
        raise InputFileError(f"{file}: missing column(s) {', '.join(missing)}")
    for col in set(TEXT_COLUMNS) & set(df.columns):
        df[col] = df[col].map(from_spreadsheet_safe, na_action="ignore")
    df = df.astype(object).where(df.notna(), None)  # empty cells -> None
    return [
        {
            "label": str(r["label"]),
            "origin": r.get("origin") or "researcher",
            "params": {p: r[p] for p in spec.parameter_names},
            "objectives": {o: r[o] for o in spec.objective_names if r.get(o) is not None},
            "recorded_by": r.get("recorded_by"),
            "notes": r.get("notes") or "",
            "where": f"{file}, line {i + 2}",
        }
        for i, r in df.iterrows()
    ]


TEXT_COLUMNS = ("label", "origin", "recorded_by", "notes")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as the start of a formula


def spreadsheet_safe(text: str | None) -> str | None:
    """A text cell that no spreadsheet runs as a formula: one starting with = + - @ tab or CR gets
    a leading ``'`` (OWASP's CSV-injection advice); ``from_spreadsheet_safe`` takes it off."""
    return "'" + text if isinstance(text, str) and text.startswith(FORMULA_START) else text


def from_spreadsheet_safe(text: str | None) -> str | None:
    """The text ``spreadsheet_safe`` was given."""
    quoted = isinstance(text, str) and text.startswith("'") and text[1:].startswith(FORMULA_START)
    return text[1:] if quoted else text


def register_groups(app: typer.Typer) -> None:
    """Add the ``campaign`` and ``sample`` sub-commands to the root ``fluxtrap`` app."""
    app.add_typer(campaign_app, name="campaign")
    app.add_typer(sample_app, name="sample")


def register(app: typer.Typer) -> None:
    """Add ``export`` and ``import`` to the root ``fluxtrap`` app."""
    app.command("export")(export)
    app.command("import")(import_)
