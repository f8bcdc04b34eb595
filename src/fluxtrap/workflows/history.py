"""A campaign's history: the best value so far of each objective, over all samples and per loop
(origin), as ``GET /api/campaigns/{name}/best`` and the dashboard show it; and the history as a
CSV file, written (``fluxtrap export``) and read back (``fluxtrap import``)."""

from __future__ import annotations

import csv
import io
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from fluxtrap import units
from fluxtrap.campaign import (
    CONSTRAINT_STATUSES,
    MAX_BUDGET,
    MAX_NOTES,
    CampaignSpec,
    ParameterDef,
    awaiting,
    constraint_status,
    history_frame,
    live_rows,
    running_best,
)
from fluxtrap.errors import FluxtrapError, InputFileError
from fluxtrap.inputs import near, read_bytes
from fluxtrap.outputs import replacing

if TYPE_CHECKING:
    from fluxtrap.store import SampleRecord, Store

ORIGINS = ("researcher", "optimizer")
HISTORY_COLUMNS = ("label", "origin"), ("recorded_by", "notes", "status", "status_note")
MAX_HISTORY_FILE = 64 * 2**20  # bytes of an imported history CSV: 10,000 samples with long notes
MAX_CELL = MAX_NOTES + 1  # characters of a cell: a note, with the ' export puts before a formula
MAX_LINE = 2**20  # characters of a line: a row of 100 parameters and 20 objectives is ~10 kB
FIELD_LIMIT = threading.Lock()  # held while csv's field limit (one for the process) is set


def best_so_far(spec: CampaignSpec, history: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Best value of each objective after each sample, over all samples and per loop (origin),
    among the samples the optimizer is told (``live_rows``: not failed, inside the campaign's
    box) known to meet the campaign's outcome constraints (``constraint_status`` "met"): the
    rows and the rule of ``Optimizer.best`` (a sample with Tc below the minimum, a failed one
    or one outside the bounds had shown as the best).

    ``history`` is ``Store.history``'s frame. Returns ``{objective: {"all" | origin: [best after
    sample 1..n or None], "constraints": {"met", "not met", "unknown": samples told measuring
    the objective}, "awaiting": {outcome: of those, samples awaiting its measurement}}}`` in SI, so
    the two loops' progress can be laid over each other on one sample axis."""
    bounds = spec.outcome_bounds
    status = constraint_status(history, bounds)
    live = live_rows(spec, history)  # the rows the optimizer is told: failed, outside left out
    out: dict[str, dict[str, Any]] = {}
    for o in spec.objectives:
        values = history[o.name].to_numpy(dtype=float) if len(history) else np.array([])
        values = np.where(live, values, np.nan)
        groups = {"all": status == "met"}
        groups |= {
            origin: (history["origin"] == origin).to_numpy() & (status == "met")
            for origin in ORIGINS
        }
        out[o.name] = {
            group: [
                None if np.isnan(v) else float(v)
                for v in running_best(np.where(mask, values, np.nan), o.maximize)
            ]
            for group, mask in groups.items()
        }
        told = ~np.isnan(values)  # the samples measuring the objective: candidates for its best
        out[o.name]["constraints"] = {
            k: int((told & (status == k)).sum()) for k in CONSTRAINT_STATUSES
        }
        out[o.name]["awaiting"] = awaiting(history, bounds, told)
    return out


def export_history(store: Store, campaign: str, out: Path) -> int:
    """Write ``campaign``'s samples to the CSV ``out``; returns how many. Each number column
    names its unit as people read it, as ``campaign show`` does (``max_temperature [degC]``,
    ``jc_3T [A/cm²]``), empty where not measured, each objective followed by its 1-sigma
    ``<objective>_err`` where known; ``import`` reads them back exactly. Links to suggestions are
    not exported: they only mean something inside one store."""
    head, tail = HISTORY_COLUMNS
    spec, samples = store.campaign(campaign), store.samples(campaign)
    table = history_frame(spec, samples, before=head, after=tail, missing=None)
    errors = error_columns(spec)
    for name, col in reversed(errors.items()):
        values = [x.objective_errors.get(name) for x in samples]
        table.insert(table.columns.get_loc(name) + 1, col, pd.Series(values, dtype=float))
    headers = {p.name: f"{p.name} [{p.unit}]" for p in spec.parameters if _numbered(p)}
    for o in spec.objectives:
        for col in (o.name, errors.get(o.name)):
            if col is not None and o.shown_unit:
                headers[col] = f"{col} [{o.shown_unit}]"
            if col is not None and o.quantity == "jc":  # A/m^2 -> A/cm^2, a decimal shift
                table[col] = [None if pd.isna(v) else shortest(v, -4) for v in table[col]]
    for col in TEXT_COLUMNS:
        table[col] = table[col].map(spreadsheet_safe)
    with replacing(out) as partial:
        # CRLF rows (RFC 4180): a CR or LF inside a cell is then quoted, so notes survive the trip
        table.rename(columns=headers).to_csv(
            partial, index=False, float_format=shortest, lineterminator="\r\n"
        )
    return len(table)


def _numbered(p: ParameterDef) -> bool:
    """A parameter exported as a number with its unit: numeric, or fixed at a number."""
    return bool(p.unit) and p.choices is None and not isinstance(p.fixed, str)


def shortest(value: float, shift: int = 0) -> str:
    """The shortest text that reads back as exactly ``value`` (Python's repr: 32.47, not
    32.469999999999999 as "%.17g" wrote), without a trailing ".0" (600, 290000000); with
    ``shift``, that decimal text times 10**shift, exactly (2.9e8 A/m^2 is 29000 A/cm^2, and
    ``_ten_to`` shifts it back on import to the same float)."""
    text = repr(float(value)).removesuffix(".0")
    if not shift:
        return text
    d = Decimal(text).scaleb(shift).normalize()
    return format(d, "f" if -5 <= d.adjusted() < 16 else "e").replace("e+", "e")


def import_history(
    store: Store, campaign: str, file: Path, outside_space: bool = False
) -> list[SampleRecord]:
    """Add the samples of an exported CSV to ``campaign``: all rows or, if any is bad, none;
    returns them. ``outside_space``: rows beyond the campaign's bounds, grid or linear
    constraints are recorded, as by ``Store.add_sample``'s."""
    rows = read_history_csv(file, store.campaign(campaign))
    return store.add_samples(campaign, [r | {"outside_space": outside_space} for r in rows])


def read_history_csv(file: Path, spec: CampaignSpec) -> list[dict]:
    """Rows of an exported history CSV as ``Store.add_samples`` rows; every cell is read as text
    (a label "NA" stays "NA"), an empty cell is None. The header must name each column once and
    only columns the campaign knows; each row must have as many cells as the header. A fixed
    parameter's column or cell may be left out (the store fills it in, as ``sample add`` does);
    an empty cell of another parameter is an error that names it."""
    header, rows = _csv_rows(file)
    errors = error_columns(spec)
    known = tuple(
        dict.fromkeys(
            (
                "label",
                "origin",
                *spec.parameter_names,
                *spec.objective_names,
                *errors.values(),
                *TEXT_COLUMNS,
            )
        )
    )
    header, unit_of, tens = _header_units(header, spec, errors, known, file)
    _check_header(header, known, file)
    free = [p.name for p in spec.parameters if p.kind != "fixed"]  # fixed ones: filled in
    missing = [c for c in ("label", *free) if c not in header]
    if missing:
        raise InputFileError(f"{file}: missing column(s) {', '.join(missing)}")
    out = []
    for line, cells in rows:
        r = {
            col: None if cell == "" and col != "label" else from_spreadsheet_safe(cell)
            for col, cell in zip(header, cells, strict=True)
        }
        for col, unit in unit_of.items():  # a bare number in the header's unit
            if r[col] is None or units.number(r[col]) is None:
                continue
            if col in tens:  # 10**k times the stored unit (A/cm^2): shifted exactly, as written
                r[col] = repr(float(Decimal(r[col].strip()).scaleb(tens[col])))
            else:
                r[col] = f"{r[col]} {unit}"
                if col in errors.values():  # the store takes a 1-sigma in its stored unit
                    o = next(o for o, c in errors.items() if c == col)
                    r[col] = spec.objective(o).convert_error(r[col], f"{file}, line {line}")
        _check_bare_jc(r, spec, unit_of, f"{file}, line {line}")
        empty = [p for p in free if r[p] is None]
        if empty:  # it said "ramp_rate=None is not a number"
            label = r["label"] if len(r["label"]) <= 40 else r["label"][:40] + "..."
            raise InputFileError(
                f"{file}, line {line} (sample {label!r}): no value for {', '.join(empty)}; "
                "every sample needs its parameters"
            )
        out.append(
            {
                "label": r["label"],
                "origin": r.get("origin") or "researcher",
                "params": {p: r[p] for p in spec.parameter_names if r.get(p) is not None},
                "objectives": {o: r[o] for o in spec.objective_names if r.get(o) is not None},
                "objective_errors": {
                    o: r[col] for o, col in errors.items() if r.get(col) is not None
                },
                "recorded_by": r.get("recorded_by"),
                "notes": r.get("notes") or "",
                "status": r.get("status") or "made",  # files exported before statuses: made
                "status_note": r.get("status_note"),
                "where": f"{file}, line {line}",
            }
        )
    return out


def _check_bare_jc(row: dict, spec: CampaignSpec, unit_of: dict[str, str], where: str) -> None:
    """Refuse a Jc objective in a column that names no unit (read as A/m^2, as export wrote it
    before it named units) below 100 A/cm^2 (``CampaignSpec.bare_jc``): typed in A/cm^2,
    21000 was stored as 2.1 A/cm^2 without a word. The column's unit in its name reads it
    either way."""
    found = spec.bare_jc({k: v for k, v in row.items() if k not in unit_of})
    if found:
        name, cell, value = found
        raise InputFileError(
            f"{where} (sample {row['label'][:40]!r}): {name} = {cell} read in A/m^2, as the "
            f"column names no unit, is {value / 1e4:.3g} A/cm^2, below any bulk's Jc: if the "
            f"values are in A/cm^2, name the column '{name} [A/cm²]' (or '{name} [A/m²]' to "
            "keep them in A/m^2)"
        )


def error_columns(spec: CampaignSpec) -> dict[str, str]:
    """Objective -> the CSV column of its 1-sigma, ``<objective>_err``; none for an objective
    whose ``_err`` name is a parameter's or another objective's."""
    taken = {*spec.parameter_names, *spec.objective_names}
    return {o: f"{o}_err" for o in spec.objective_names if f"{o}_err" not in taken}


def _check_separator(header: list[str], file: Path) -> None:
    """A header of one cell holding ';' or a tab (a spreadsheet's export in a comma-decimal
    locale, or a TSV) is refused as such; it was "line 2: 2 cells, the header has 1", or an
    unknown column 'label;origin;...'."""
    if len(header) != 1:
        return
    for sep, name in ((";", "semicolons"), ("\t", "tabs")):
        if sep in header[0]:
            raise InputFileError(
                f"{file}, line 1: its columns are separated by {name}, not commas: save it as "
                "comma-separated CSV (numbers with a decimal point), as fluxtrap export writes"
            )


def _csv_rows(file: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header of the CSV ``file`` and its rows (with the line each starts on); blank lines
    are skipped, a row with another number of cells than the header is an error. Decoded a
    line at a time, a line of over ``MAX_LINE`` characters or a cell of over ``MAX_CELL``
    refused as it is read: a 50 MB note took 724 MB to be refused by the store."""
    data = read_bytes(file, "history CSV", MAX_HISTORY_FILE)  # no directory, FIFO or device
    # strict: a file cut inside a quoted note, or "x"y, is refused rather than read as "x\n", "xy"
    reader = csv.reader(_lines(data, file), strict=True)
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    with field_limit(MAX_CELL):
        try:
            while True:
                line = reader.line_num + 1
                cells = next(reader, None)
                if cells is None:
                    break
                if not any(cells):  # a blank line, or a spreadsheet's row of empty cells ",,,"
                    continue
                if header is None:
                    header = cells
                    _check_separator(header, file)
                elif len(cells) != len(header):
                    raise InputFileError(
                        f"{file}, line {line}: {len(cells)} cells, the header has {len(header)}"
                    )
                elif len(rows) == MAX_BUDGET:
                    raise InputFileError(
                        f"{file}: more than {MAX_BUDGET} samples, the most a campaign may have"
                    )
                else:
                    rows.append((line, cells))
        except csv.Error as err:
            if "field limit" in str(err):  # csv's "field larger than field limit (10001)"
                raise InputFileError(
                    f"{file}, line {line}: a cell of over {MAX_CELL} characters, the "
                    f"most a cell may hold (notes: {MAX_NOTES})"
                ) from None
            raise InputFileError(
                f"{file}, line {reader.line_num}: not a readable CSV ({err})"
            ) from None
    if header is None:
        raise InputFileError(f"{file}: empty; expected a header line (label, parameters, ...)")
    return _without_unnamed(header, rows, file)


def _lines(data: bytes, file: Path) -> Iterator[str]:
    """The lines of ``data`` as UTF-8 text, their ends kept as csv wants them (\n, \r\n or
    \r), decoded one at a time; a spreadsheet's byte-order mark is no part of "label"."""
    stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    n = 0
    try:
        while line := stream.readline(MAX_LINE + 1):
            n += 1
            if len(line) > MAX_LINE:
                raise InputFileError(
                    f"{file}, line {n}: longer than {MAX_LINE} characters, the most a line of "
                    "a history CSV may hold"
                )
            yield line
    except UnicodeDecodeError:  # where, in the whole: "byte 57" sent people counting bytes
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            line = data[: err.start].count(b"\n") + 1
            raise InputFileError(
                f"{file}, line {line}: not UTF-8 text (byte {err.start}, 0x{data[err.start]:02x}); "
                "save it as CSV UTF-8 (a spreadsheet's plain CSV may be Windows-1252)"
            ) from None
        raise


def _without_unnamed(
    header: list[str], rows: list[tuple[int, list[str]]], file: Path
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The table without the columns a spreadsheet adds with no name and nothing in them (it
    saves cells once formatted: "label,...,status_note,,"); one with no name that holds a value
    is refused naming where."""
    unnamed = [i for i, col in enumerate(header) if not col.strip()]
    for i in unnamed:
        for line, cells in rows:
            if cells[i]:
                raise InputFileError(
                    f"{file}, line {line}: {cells[i][:40]!r} is in column {i + 1}, which has no "
                    "name in line 1"
                )
    if not unnamed:
        return header, rows
    keep = [i for i in range(len(header)) if i not in unnamed]
    return [header[i] for i in keep], [(line, [cells[i] for i in keep]) for line, cells in rows]


@contextmanager
def field_limit(size: int):
    """csv's field limit at ``size`` characters for the block, then as it was. The limit is one
    for the process: two imports in two threads (the web server's) take turns, so neither sets
    it back while the other reads."""
    with FIELD_LIMIT:
        limit = csv.field_size_limit(size)
        try:
            yield
        finally:
            csv.field_size_limit(limit)


def _header_units(
    header: list[str], spec: CampaignSpec, errors: dict[str, str], known: tuple, file: Path
) -> tuple[list[str], dict[str, str], dict[str, int]]:
    """The header's column names with the unit a number column's name may carry taken off
    (``ramp_rate [degC/min]``, ``dwell_time (h)``, ``jc_3T [A/cm²]``: export's, a spreadsheet's
    or the tables' header), those units by column, and the columns whose unit is 10**k times
    the stored one (k by column: 0 for the stored unit itself, 4 for A/cm^2), whose cells are
    read by a decimal shift, exactly as export wrote them. A unit of another kind than the
    column's (``max_temperature (K/min)``) is refused naming the column; it was an unknown
    column, and taking the unit off by hand read hours as minutes."""
    units_of = {p.name: p.unit for p in spec.parameters if p.unit}
    units_of |= {o.name: o.value_unit for o in spec.objectives}
    units_of |= {col: spec.objective(o).value_unit for o, col in errors.items()}
    names, unit_of, tens = [], {}, {}
    for col in header:
        name, text = units.header_unit(col)
        if col in known or text is None or name not in units_of:
            names.append(col)
            continue
        names.append(name)
        unit_of[name] = text  # units reads "A/cm²" and "A/cm2" as "A/cm^2"
        if text == units_of[name]:  # as the campaign spells it (pint may not know it)
            tens[name] = 0
            continue
        where = f"{file}, line 1: column {col!r}"
        try:
            given = units.unit(text, where)
            want = units.unit(units_of[name] or "", name)
        except FluxtrapError as err:
            raise InputFileError(str(err)) from None
        if given.dimensionality != want.dimensionality:
            raise InputFileError(
                f"{where}: {text!r} is not a unit of {name} (in {units_of[name] or 'a pure number'}"
                f"); give the column's unit, or its name alone for values in "
                f"{units_of[name] or 'pure numbers'}{units.misread_hint(units.Q_(1.0, given), want)}"
            )
        scale = units.Q_(1.0, given).to(want).magnitude
        k = round(math.log10(scale)) if scale > 0 else 0
        if scale == 10.0**k and units.Q_(0.0, given).to(want).magnitude == 0:  # no offset
            tens[name] = k
    return names, unit_of, tens


def _check_header(header: list[str], known: tuple[str, ...], file: Path) -> None:
    """Refuse a column named twice or one the campaign does not know (a misspelt objective would
    otherwise be dropped without a word), naming the near miss."""
    for i, col in enumerate(header):
        if col in header[:i]:
            raise InputFileError(f"{file}, line 1: column {col!r} appears twice")
        if col not in known:
            close = near(col, known)
            hint = f"; did you mean {close!r}?" if close else ""
            raise InputFileError(
                f"{file}, line 1: unknown column {col!r}{hint} (known: {', '.join(known)})"
            )


TEXT_COLUMNS = ("label", "origin", "recorded_by", "notes", "status", "status_note")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as the start of a formula


def spreadsheet_safe(text: str | None) -> str | None:
    """A text cell that no spreadsheet runs as a formula: one starting with = + - @ tab or CR gets
    a leading ``'`` (OWASP's CSV-injection advice), and so does one that starts with ``'`` s before
    those (``'=x``), which ``from_spreadsheet_safe`` would otherwise read as quoted; it takes the
    one ``'`` off."""
    return "'" + text if _quoted(text) else text


def from_spreadsheet_safe(text: str | None) -> str | None:
    """The text ``spreadsheet_safe`` was given."""
    return (
        text[1:] if isinstance(text, str) and text.startswith("'") and _quoted(text[1:]) else text
    )


def _quoted(text: str | None) -> bool:
    return isinstance(text, str) and text.lstrip("'").startswith(FORMULA_START)
