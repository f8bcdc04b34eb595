"""A campaign's history: the best value so far of each objective, over all samples and per loop
(origin), as ``GET /api/campaigns/{name}/best`` and the dashboard show it; and the history as a
CSV file, written (``fluxtrap export``) and read back (``fluxtrap import``)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fluxtrap.campaign import CampaignSpec, history_frame, running_best
from fluxtrap.errors import InputFileError
from fluxtrap.inputs import read_bytes

if TYPE_CHECKING:
    from fluxtrap.store import Store

ORIGINS = ("researcher", "optimizer")
HISTORY_COLUMNS = ("label", "origin"), ("recorded_by", "notes", "status", "status_note")
MAX_HISTORY_FILE = 64 * 2**20  # bytes of an imported history CSV: 10,000 samples with long notes


def best_so_far(
    spec: CampaignSpec, history: pd.DataFrame
) -> dict[str, dict[str, list[float | None]]]:
    """Best value of each objective after each sample, over all samples and per loop (origin).

    ``history`` is ``Store.history``'s frame. Returns ``{objective: {"all" | origin: [best after
    sample 1..n or None]}}`` in SI, so the two loops' progress can be laid over each other on one
    sample axis."""
    out: dict[str, dict[str, list[float | None]]] = {}
    for o in spec.objectives:
        values = history[o.name].to_numpy(dtype=float) if len(history) else np.array([])
        groups = {"all": np.ones(len(values), bool)}
        groups |= {origin: (history["origin"] == origin).to_numpy() for origin in ORIGINS}
        out[o.name] = {
            group: [
                None if np.isnan(v) else float(v)
                for v in running_best(np.where(mask, values, np.nan), o.maximize)
            ]
            for group, mask in groups.items()
        }
    return out


def export_history(store: Store, campaign: str, out: Path) -> int:
    """Write ``campaign``'s samples to the CSV ``out`` (parameters in campaign units, objectives
    in SI, empty where not measured); returns how many. Links to suggestions are not exported:
    they only mean something inside one store."""
    head, tail = HISTORY_COLUMNS
    table = history_frame(
        store.campaign(campaign), store.samples(campaign), before=head, after=tail, missing=None
    )
    for col in TEXT_COLUMNS:
        table[col] = table[col].map(spreadsheet_safe)
    # CRLF rows (RFC 4180): a CR or LF inside a cell is then quoted, so notes survive the trip
    table.to_csv(out, index=False, float_format="%.17g", lineterminator="\r\n")
    return len(table)


def import_history(store: Store, campaign: str, file: Path) -> int:
    """Add the samples of an exported CSV to ``campaign``: all rows or, if any is bad, none;
    returns how many."""
    rows = read_history_csv(file, store.campaign(campaign))
    store.add_samples(campaign, rows)
    return len(rows)


def read_history_csv(file: Path, spec: CampaignSpec) -> list[dict]:
    """Rows of an exported history CSV as ``Store.add_samples`` rows."""
    data = read_bytes(file, "history CSV", MAX_HISTORY_FILE)  # no directory, FIFO or device
    try:
        df = pd.read_csv(io.BytesIO(data), dtype=dict.fromkeys(TEXT_COLUMNS, str))
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
            "status": r.get("status") or "made",  # files exported before statuses: made
            "status_note": r.get("status_note"),
            "where": f"{file}, line {i + 2}",
        }
        for i, r in df.iterrows()
    ]


TEXT_COLUMNS = ("label", "origin", "recorded_by", "notes", "status", "status_note")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as the start of a formula


def spreadsheet_safe(text: str | None) -> str | None:
    """A text cell that no spreadsheet runs as a formula: one starting with = + - @ tab or CR gets
    a leading ``'`` (OWASP's CSV-injection advice); ``from_spreadsheet_safe`` takes it off."""
    return "'" + text if isinstance(text, str) and text.startswith(FORMULA_START) else text


def from_spreadsheet_safe(text: str | None) -> str | None:
    """The text ``spreadsheet_safe`` was given."""
    quoted = isinstance(text, str) and text.startswith("'") and text[1:].startswith(FORMULA_START)
    return text[1:] if quoted else text
