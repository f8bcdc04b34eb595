"""Plain CSV/TSV tables: a header row of column names, then one numeric row per point.

Columns are found by the unit in their names (``H (Oe)``, ``B_T``, ``m_emu``, ``Moment [emu]``,
``T (K)``, ``time_s``): a flux density or field column is the field, a moment column the moment
(one whose name says err/std is its error), then temperature and time. When that is ambiguous,
or a name carries no unit, ``columns`` says it: ``{"field": "H (Oe)", "moment": "m [emu]"}``; a
value that is not a column name is read as ``"column [unit]"``. Lines starting with ``#`` are
comments, and lines of nothing but delimiters (a spreadsheet's empty rows) blank ones.
Delimiter: comma, TAB or semicolon, whichever the header row uses most, or the one a first line
"sep=;" names (Excel's).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from pathlib import PurePath

import numpy as np

from fluxtrap.errors import InputFileError, UnitError
from fluxtrap.inputs import is_number
from fluxtrap.magnetometry.readers._columns import (
    GAUSS_T,
    QUANTITIES,
    check_cells,
    check_errors,
    check_field,
    check_names,
    decode,
    first_bad_cell,
    header_units,
    nan_as_empty,
    numeric_block,
    numeric_column,
    si_factor,
    skip_missing,
    split_rows,
    unit_of,
)
from fluxtrap.magnetometry.table import (
    MAX_FIELD_T,
    MU0,
    MeasurementTable,
    TableMetadata,
    TruncatedFileWarning,
    unterminated_note,
    unterminated_row,
)
from fluxtrap.units import Q_, unit

name = "csv_table"

_SUFFIXES = (".csv", ".tsv", ".txt")
# the first line of a CSV written for Excel, naming its delimiter ("sep=;"): it had been read as
# the column names, "no field column found among 'sep=', ''"
_SEP_LINE = re.compile(r"\s*sep=([,;\t])[,;\t]*\s*")


def guess_can_open(filename: str | None, head: bytes) -> bool:
    """True for .csv/.tsv/.txt names, or text whose first line is delimited column names."""
    if filename and PurePath(filename).suffix.lower() in _SUFFIXES:
        return True
    text = decode(head[:2048])
    first = next((ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")), "")
    return (
        bool(first)
        and not first.startswith("[")
        and any(d in first for d in ",\t;")
        and bool(re.search(r"[A-Za-z]", first))
    )


def read(
    content: bytes, filename: str, columns: Mapping[str, str] | None = None
) -> MeasurementTable:
    """Parse a delimited table into a ``MeasurementTable`` (SI); see the module docstring."""
    notes: list[str] = []  # what was done to the file that loses no data row
    text = decode(content, filename, notes)
    numbered = [  # a line of delimiters only (";;": a spreadsheet's empty row) holds nothing
        (i + 1, ln)
        for i, ln in enumerate(text.splitlines())
        if ln.strip().strip(",;\t ") and not ln.startswith("#")
    ]
    cut = unterminated_row(text)
    if cut is not None and len(numbered) > 1 and numbered[-1][0] == cut:  # a data row, not the
        numbered.pop()  # header or a comment
        warnings.warn(TruncatedFileWarning(f"{filename}: {unterminated_note(cut)}"), stacklevel=3)
    else:
        cut = None
    given = _SEP_LINE.fullmatch(numbered[0][1]) if numbered else None
    if given:  # Excel's "sep=;" line: the delimiter, above the column names
        numbered = numbered[1:]
    if len(numbered) < 2:
        raise InputFileError(f"{filename}: expected a header row of column names and data rows")
    head_no, head = numbered[0]
    delimiter = given.group(1) if given else max(",\t;", key=head.count)
    names = [c.strip() for c in split_rows([head], [head_no], delimiter, filename)[0]]
    where = f"{filename}, line {head_no}"
    if all(is_number(c) for c in names if c):  # 'column '0' appears twice' had said nothing of it
        raise InputFileError(
            f"{where}: the first row holds numbers ({head.strip()[:60]!r}), not column names: the "
            "row naming the columns (and any header above it) is missing, was the file cut at its "
            "top? Add one with units, e.g. 'B (T),m (emu),T (K)'"
        )
    check_names(names, where)
    units, header = header_units(numbered, names, delimiter, filename, notes)
    chosen = _choose(names, units, dict(columns or {}), where)
    line_no = [n for n, _ in numbered[1 + header :]]
    keep = {idx for idx, _ in chosen.values()}
    data = [ln for _, ln in numbered[1 + header :]]
    at = {idx: k for k, idx in enumerate(sorted(keep))}
    block = numeric_block(data, delimiter, len(names), sorted(keep))  # a plain file at once
    required = [chosen["field"][0], chosen["moment"][0]]
    if block is not None and not any(np.isnan(block[at[i]]).any() for i in required):
        values = {qty: factor * block[at[idx]] for qty, (idx, factor) in chosen.items()}
        return _table(values, chosen, names, filename, (), cut, line_no, notes)
    rows = split_rows(data, line_no, delimiter, filename, keep)
    if "moment_err" in chosen:
        nan_as_empty(rows, chosen["moment_err"][0])
    named = max(i for i, c in enumerate(names) if c) + 1  # a trailing delimiter names none
    for n, row in zip(line_no, rows, strict=True):
        check_cells(row, filename, n, len(names), named)
    try:
        kept, kept_lines, skipped = skip_missing(rows, line_no, required, names, filename)
        values = {
            qty: factor
            * numeric_column(
                kept, idx, kept_lines, names[idx], filename, qty in ("field", "moment")
            )
            for qty, (idx, factor) in chosen.items()
        }
    except InputFileError:  # name the file's first bad cell, not the first of one pass
        columns = {idx: qty in ("field", "moment") for qty, (idx, _) in chosen.items()}
        first_bad_cell(rows, line_no, columns, names, filename, required=required)
        raise
    return _table(values, chosen, names, filename, skipped, cut, kept_lines, notes)


def _table(
    values: dict[str, np.ndarray],
    chosen: dict[str, tuple[int, float]],
    names: list[str],
    filename: str,
    skipped: tuple[int, ...],
    cut: int | None,
    line_no: list[int],
    notes: list[str],
) -> MeasurementTable:
    """The ``MeasurementTable`` of the ``values`` read (SI) from the ``chosen`` columns."""
    check_errors(values, chosen, names, line_no, filename, notes)
    field = names[chosen["field"][0]]
    if unit_of(field) not in (None, "T"):  # T: the table's own check, units.field_unit_hint
        beyond = f"{MAX_FIELD_T:g} T, more than any laboratory magnet"
        check_field(values["field"] * MU0, line_no, field, filename, MAX_FIELD_T, beyond)
    source = {q: names[i] for q, (i, _) in chosen.items()}
    meta = TableMetadata(
        filename=filename,
        instrument="table",
        columns=source,
        skipped_lines=skipped,
        unterminated_line=cut,
        read_notes=tuple(notes),
    )
    return MeasurementTable.from_arrays(
        values["field"] * MU0,
        values["moment"],
        meta,
        temperature_K=values.get("temperature"),
        time_s=values.get("time"),
        moment_err_Am2=values.get("moment_err"),
        line=line_no,
    )


# a column of moment per volume or mass, "M (emu/cm^3)", "M (kA/m)", "M (emu/g)": no moment
MAGNETIZATION = re.compile(r"\s*(M\b|M_|magneti[sz]ation)", re.IGNORECASE)


def _dimension(name: str, unit_text: str) -> str | None:
    """What a column ``name`` in ``unit_text`` holds: a quantity of QUANTITIES, "magnetization"
    (per volume: A/m like a field, told apart by the name M or emu in the unit) or "mass
    magnetization", or None."""
    if unit_text.strip() in GAUSS_T:
        return "field"
    try:
        q = Q_(1.0, unit(unit_text))
    except UnitError:  # not a unit (the grammar or pint refused it)
        return None
    for qty in ("moment", "temperature", "time"):
        if q.check(QUANTITIES[qty][0]):
            return qty
    if q.check("[current] * [length] ** 2 / [mass]"):
        return "mass magnetization"
    if q.check("[current] / [length]") and ("emu" in unit_text or MAGNETIZATION.match(name)):
        return "magnetization"
    if q.check("[current] / [length]") or q.check("[mass] / [current] / [time] ** 2"):
        return "field"
    return None


def _choose(
    names: list[str], units: list[str | None], mapping: dict[str, str], where: str
) -> dict[str, tuple[int, float]]:
    """Column index and SI factor of each quantity read, by ``mapping`` or by ``units`` (each
    column's, from its name or the units row: ``header_units``)."""
    unknown = set(mapping) - set(QUANTITIES)
    if unknown:
        raise InputFileError(
            f"{where}: unknown column mapping key(s) {sorted(unknown)}; known: {list(QUANTITIES)}"
        )
    out: dict[str, tuple[int, float]] = {}
    for qty, spec in mapping.items():
        col, unit = spec, units[names.index(spec)] if spec in names else None
        if spec not in names:
            m = re.fullmatch(r"\s*(.+?)\s*\[([^\]]+)\]\s*", spec)
            if not m or m.group(1) not in names:
                raise InputFileError(
                    f"{where}: no column {spec!r} (asked for as {qty}); columns: {', '.join(names)}"
                )
            col, unit = m.group(1), m.group(2)
        if unit is None:
            raise InputFileError(
                f'{where}: column {col!r} has no unit in its name; map it as "{col} [unit]"'
            )
        out[qty] = (names.index(col), si_factor(qty, unit, f"{where}, column {col!r}"))
    taken = {i for i, _ in out.values()}
    found: dict[str, list[int]] = {}
    for i, col in enumerate(names):
        unit = units[i]
        qty = _dimension(col, unit) if unit and i not in taken else None
        if qty == "moment" and re.search(r"err|std|sigma", col, re.IGNORECASE):
            qty = "moment_err"
        if qty and qty not in out:
            found.setdefault(qty, []).append(i)
    for qty, idx in found.items():
        if qty not in QUANTITIES:  # a magnetization: said below if no moment is found
            continue
        if len(idx) > 1:
            raise InputFileError(
                f"{where}: several {qty} columns ({', '.join(repr(names[i]) for i in idx)}); "
                f"say which with a column mapping, e.g. {qty}={names[idx[0]]!r}"
            )
        col = names[idx[0]]
        out[qty] = (idx[0], si_factor(qty, units[idx[0]] or "", f"{where}, column {col!r}"))
    per = {"magnetization": "volume", "mass magnetization": "mass"}
    if "moment" not in out and (kind := next((k for k in per if k in found), None)):
        col = names[found[kind][0]]
        raise InputFileError(
            f"{where}: column {col!r} is a {kind} (moment per {per[kind]}), and the analysis "
            f"needs the moment: give it in emu or A m^2 (the {kind} times the sample's "
            f"{per[kind]}), or map a moment column"
        )
    if "temperature" not in out:  # of the columns not read: 't (s)' is the time, not a 'T'
        _check_no_temperature(names, units, {i for i, _ in out.values()}, where)
    for qty in ("field", "moment"):
        if qty not in out:
            raise InputFileError(
                f"{where}: no {qty} column found among {', '.join(map(repr, names))}; name it with "
                f"its unit (e.g. {'H (Oe) or B_T' if qty == 'field' else 'm (emu) or moment_Am2'}) "
                "or give a column mapping"
                + (  # an M(T) sweep saved as temperature and moment: no column to name or map
                    "; an M(T) sweep needs its applied field too (the sign of its shielding, the "
                    "field a Tc is at): add a column of it, the same value on every row, e.g. "
                    "'H (Oe)' of 100"
                    if qty == "field" and "temperature" in out and "moment" in out
                    else ""
                )
            )
    return out


# a column named as the temperature: "T", "Temp.", "Temperature", with a unit or without one
TEMPERATURE_NAME = re.compile(r"\s*(T|Temp\.?|Temperature)\s*([(\[][^()\[\]]*[)\]])?\s*$", re.I)


def _check_no_temperature(
    names: list[str], units: list[str | None], taken: set[int], where: str
) -> None:
    """InputFileError for a column named as the temperature (``TEMPERATURE_NAME``) whose unit
    is missing or no temperature's, where no column was read as one: it was left out without a
    word ("T (C)", C the coulomb: a loop at 5 K had read 'at an unknown temperature'). Columns
    ``taken`` (read as another quantity) are not judged: 't (s)', the time, had been refused as
    a temperature in s."""
    for i, col in enumerate(names):
        if i in taken or not TEMPERATURE_NAME.fullmatch(col):
            continue
        unit = units[i]
        if unit is None:
            fix = f"name it with its unit, e.g. 'T (K)', or map it: temperature=\"{col} [K]\""
        else:  # another unit: "C", the coulomb, is degC written short
            fix = "give it in K" + (
                " ('C' is the coulomb; degC values need +273.15)" * (unit == "C")
            )
        said = "no unit" if unit is None else f"the unit {unit!r}, not a temperature's"
        raise InputFileError(
            f"{where}, column {col!r}: named as the temperature but has {said}; {fix}"
        )
