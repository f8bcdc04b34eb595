"""Quantum Design ``.dat`` files: MPMS3 (VSM and DC scan), MPMS-XL, PPMS (VSM, ACMS).

Layout: a ``[Header]`` block (``TITLE``, ``BYAPP``, ``INFO`` lines, ...) then ``[Data]``, a line of
column names with units (``Magnetic Field (Oe)``, ``Moment (emu)``) and one row per point.
Quirks handled (see ``shared/data/mpms/README.md``): comma- or TAB-delimited (header too; or
';' as a spreadsheet with decimal commas saves it, whose decimal commas are then named),
CRLF, 88 or 89 columns mostly empty, comment-only rows (``"ZFC, 100"``, quoted), INFO lines as
``INFO,value,KEY`` (MPMS3/PPMS) or ``INFO, KEY, value`` (MPMS-XL), blank header lines, MPMS-XL
column names (``Field (Oe)``, ``Long Moment (emu)``, ``Time``), a file cut above its column names
(no header: read with a ``TruncatedFileWarning``). The moment column is chosen by
the first of ``MOMENT_COLUMNS`` that holds any number, which also gives the mode (VSM or DC).
A column is known by its name before the unit, the unit read from the name: "Magnetic Field
(mT)" and "Moment (A m2)" are the field and the moment (``_base``).
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from fluxtrap.errors import InputFileError
from fluxtrap.inputs import is_number, near
from fluxtrap.magnetometry.readers._columns import (
    check_cells,
    check_errors,
    check_field,
    check_names,
    decode,
    first_bad_cell,
    name_the_unit,
    nan_as_empty,
    numeric_block,
    numeric_column,
    si_factor,
    skip_missing,
    split_rows,
    unit_of,
)
from fluxtrap.magnetometry.table import (
    MU0,
    MeasurementTable,
    TableMetadata,
    TruncatedFileWarning,
    unterminated_note,
    unterminated_row,
)
from fluxtrap.units import number

name = "qd_dat"

# Source columns in order of preference, with the mode each implies and its error column.
MOMENT_COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    ("Moment (emu)", "VSM", "M. Std. Err. (emu)"),
    ("DC Moment Free Ctr (emu)", "DC", "DC Moment Err Free Ctr (emu)"),
    ("DC Moment Fixed Ctr (emu)", "DC", "DC Moment Err Fixed Ctr (emu)"),
    ("DC Moment (emu)", "DC", "DC Std. Err. (emu)"),
    ("Long Moment (emu)", "DC", None),
    ("Long Moment [w/o ABS] (emu)", "DC", None),
    ("M-DC (emu)", "DC", "M-Std.Dev. (emu)"),  # PPMS ACMS (its AC rows leave it empty)
)
FIELD_COLUMNS = ("Magnetic Field (Oe)", "Field (Oe)")  # or in kOe (MultiVu's unit setting), T, mT
TEMPERATURE_COLUMNS = ("Temperature (K)", "Sample Temp (Kelvin)", "Temperature (Kelvin)")
TIME_COLUMNS = ("Time Stamp (sec)", "Time Stamp (s)", "Time")
DELIMITERS = ",\t;"  # a .dat is comma- or TAB-delimited; ';' where a spreadsheet saved it
QD_MAX_FIELD_T = 16.0  # |mu0 H| (T): the strongest Quantum Design magnet (PPMS 16 T; MPMS3 7 T)

_KEY = re.compile(r"^[A-Z][A-Z0-9_]*$")


def guess_can_open(filename: str | None, head: bytes) -> bool:
    """True if the file starts with a ``[Header]`` line (any delimiter, optional BOM), or with
    a Quantum Design column-name line (``_headless``: the header cut off)."""
    first = next(iter(decode(head).lstrip().splitlines()), "")  # CR, LF or CRLF
    return first.strip().strip(DELIMITERS).strip() == "[Header]" or _headless(first)


def _headless(line: str) -> bool:
    """Whether ``line`` is a Quantum Design ``.dat`` file's column-name line: its "Comment"
    column and a time, a field, a temperature and a moment column by their instrument names (a
    file whose header and ``[Data]`` line were cut off, which the CSV reader refused for its 4
    time, 4 field and 5 temperature columns, one mapping asked for at a time; a CSV of a few
    such columns, without "Comment", stays the CSV reader's)."""
    names = {_base(c) for c in re.split(r"[,\t;]", line)}
    return "Comment" in names and all(
        names & {_base(c) for c in group}
        for group in (
            TIME_COLUMNS,
            FIELD_COLUMNS,
            TEMPERATURE_COLUMNS,
            [c for c, _, _ in MOMENT_COLUMNS],
        )
    )


def read(
    content: bytes, filename: str, columns: Mapping[str, str] | None = None
) -> MeasurementTable:
    """Parse a Quantum Design ``.dat`` file into a ``MeasurementTable`` (SI).

    ``columns`` overrides which source column gives a quantity, e.g.
    ``{"moment": "DC Moment Fixed Ctr (emu)"}``; keys: field, moment, moment_err, temperature, time.
    """
    notes: list[str] = []  # what was done to the file that loses no data row
    text = decode(content, filename, notes)
    lines = text.splitlines()
    if not lines or not guess_can_open(filename, content):
        raise InputFileError(
            f"{filename}: not a Quantum Design .dat file (expected '[Header]' on line 1)"
        )
    try:
        data_at = (
            -1  # the column names on line 1: no header, no '[Data]'
            if _headless(lines[0])
            else next(
                i for i, ln in enumerate(lines) if ln.strip().strip(DELIMITERS).strip() == "[Data]"
            )
        )
    except StopIteration:
        raise InputFileError(
            f"{filename}: no '[Data]' line after the header ({len(lines)} lines; file truncated?)"
        ) from None
    if data_at + 1 >= len(lines) or not lines[data_at + 1].strip():
        raise InputFileError(
            f"{filename}, line {data_at + 2}: expected the column names after '[Data]'"
        )
    head_line = lines[data_at + 1]
    data = lines[data_at + 2 :]
    markers = any("[Data]" in ln or "[Header]" in ln for ln in data)  # the loop below: only then
    for n, ln in enumerate(data if markers else (), start=data_at + 3):
        marker = ln.strip().strip(DELIMITERS).strip()
        if marker in ("[Data]", "[Header]"):  # as a comment row it cut a loop there, silently
            raise InputFileError(
                f"{filename}, line {n}: a second {marker!r} section (the first '[Data]' is on "
                f"line {data_at + 1}): files joined, or a measurement appended? Split the file"
            )
    cut = unterminated_row(text)
    if cut == data_at + 2:  # its names had been read as cut: 'no field column; expected ...'
        raise InputFileError(
            f"{filename}, line {cut}: the file ends inside the column names after '[Data]' "
            "(no line end after them, no data rows): cut while it was written or copied?"
        )
    if cut is not None and cut >= data_at + 3:  # a data row (line data_at + 2 names the columns)
        lines = lines[:-1]
        warnings.warn(TruncatedFileWarning(f"{filename}: {unterminated_note(cut)}"), stacklevel=3)
    else:
        cut = None
    # the column names' most frequent delimiter: ';' too, as a spreadsheet saves a .dat where
    # the decimal mark is a comma (its rows were 'a stray delimiter', its column names one
    # column: 'no field column; expected one of 'Magnetic Field (Oe)' ...' beside that name)
    delimiter = max(("\t", ";"), key=head_line.count)
    if head_line.count(delimiter) <= head_line.count(","):
        delimiter = ","

    if data_at < 0:  # said with the stored table too (its notes): the sample's name and mass lost
        notes.append(
            f"{filename}: no '[Header]' section: the file starts at its column names (line "
            "1), cut above them? Read as a Quantum Design data block, without the header's "
            "sample name and mass"
        )
        warnings.warn(TruncatedFileWarning(notes[-1]), stacklevel=3)
    header = [
        _cells(r)
        for r in split_rows(lines[1:data_at], range(2, data_at + 1), delimiter, filename)
        if data_at > 0
    ]
    header = [r for r in header if r]
    info = _info(header)
    byapp = next((", ".join(r[1:]) for r in header if r[0].upper() == "BYAPP"), "")
    title = next((", ".join(r[1:]) for r in header if r[0].upper() == "TITLE"), "")

    names = [c.strip() for c in split_rows([head_line], [data_at + 2], delimiter, filename)[0]]
    readable = {*FIELD_COLUMNS, *TEMPERATURE_COLUMNS, *TIME_COLUMNS, "Comment"}
    readable = {_base(c) for c in readable | {c for m in MOMENT_COLUMNS for c in m if c}}
    mapped = set((columns or {}).values())
    keep = {i for i, name in enumerate(names) if _base(name) in readable or name in mapped}
    numeric = sorted(i for i in keep if names[i] != "Comment")
    # the header is split by hand (INFO rows of any width, quoted values with commas, the
    # "[Data]" marker padded with delimiters); the data block of a plain file at once
    block = numeric_block(lines[data_at + 2 :], delimiter, len(names), numeric)
    if block is not None:
        fast = _fast(block, numeric, names, columns, filename, data_at)
        if fast is not None:
            values, line_no, chosen = fast
            return _table(
                values, line_no, chosen, names, info, byapp, title, filename, (), cut, [], notes
            )
    body = split_rows(
        lines[data_at + 2 :], range(data_at + 3, len(lines) + 1), delimiter, filename, keep
    )
    raw = [
        (data_at + 3 + k, row)  # 1-based line number
        for k, row in enumerate(body)
        if any(c.strip() for c in row)
    ]
    if not raw:  # it had been "no moment column holds a number ... empty in every row" of none
        raise InputFileError(
            f"{filename}: no data rows after the column names (line {data_at + 2}): the file "
            "ends with its header (cut, or saved before the measurement wrote a point?)"
        )
    check_names(names, f"{filename}, line {data_at + 2}")
    rows_read = [r for _, r in raw]
    chosen = _choose(
        names,
        columns or {},
        lambda i: any(_cell(r, i) for r in rows_read),
        f"{filename}, line {data_at + 2}",
    )
    comment_idx = names.index("Comment") if "Comment" in names else None
    required = [chosen["field"][0], chosen["moment"][0]]
    rows, line_no, comments = [], [], []
    for n, row in raw:
        filled = [i < len(row) and row[i].strip() != "" for i in required]
        comment = (
            row[comment_idx].strip() if comment_idx is not None and comment_idx < len(row) else ""
        )
        only_comment = not any(filled) and bool(comment)
        check_cells(row, filename, n, len(names), 0 if only_comment else len(names))
        if only_comment:
            _check_comment(comment, delimiter, filename, n)
            comments.append((len(rows), comment))
            continue
        rows.append(row)
        line_no.append(n)
    if not rows:
        raise InputFileError(f"{filename}: no data rows after '[Data]' (line {data_at + 1})")
    if "moment_err" in chosen:
        nan_as_empty(rows, chosen["moment_err"][0])
    ignore = () if comment_idx is None else (comment_idx,)
    all_rows, all_lines = rows, line_no
    needed = ("field", "moment", "temperature")
    try:
        rows, line_no, skipped = skip_missing(
            rows, line_no, required, names, filename, ignore=ignore
        )
        values = {
            qty: factor * numeric_column(rows, idx, line_no, names[idx], filename, qty in needed)
            for qty, (idx, factor) in chosen.items()
        }
    except InputFileError:  # name the file's first bad cell, not the first of one pass
        columns = {idx: qty in needed for qty, (idx, _) in chosen.items()}
        first_bad_cell(
            all_rows, all_lines, columns, names, filename, required=required, ignore=ignore
        )
        raise
    if skipped:  # a comment sits before point ``row``: count only the rows kept before it
        gone = set(skipped)
        before = np.cumsum([0] + [n not in gone for n in all_lines])
        comments = [(int(before[r]), text) for r, text in comments]
    return _table(
        values, line_no, chosen, names, info, byapp, title, filename, skipped, cut, comments, notes
    )


def _fast(
    block: np.ndarray,
    numeric: list[int],
    names: list[str],
    columns: Mapping[str, str] | None,
    filename: str,
    data_at: int,
) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, tuple[int, float]]] | None:
    """The SI values, line numbers and chosen columns of a data ``block`` (``numeric_block``:
    the ``numeric`` columns, every line a row), or None where the line-by-line path must
    judge: a required cell (field, moment, temperature) empty, a comment row among them."""
    check_names(names, f"{filename}, line {data_at + 2}")
    at = {i: k for k, i in enumerate(numeric)}
    chosen = _choose(
        names,
        columns or {},
        lambda i: i in at and not np.isnan(block[at[i]]).all(),
        f"{filename}, line {data_at + 2}",
    )
    if any(i not in at for i, _ in chosen.values()):
        return None
    needed = ("field", "moment", "temperature")
    if any(np.isnan(block[at[chosen[q][0]]]).any() for q in needed if q in chosen):
        return None
    values = {q: factor * block[at[i]] for q, (i, factor) in chosen.items()}
    return values, np.arange(data_at + 3, data_at + 3 + block.shape[1]), chosen


def _table(
    values: dict[str, np.ndarray],
    line_no: Any,
    chosen: dict[str, tuple[int, float]],
    names: list[str],
    info: dict[str, str],
    byapp: str,
    title: str,
    filename: str,
    skipped: tuple[int, ...],
    cut: int | None,
    comments: list[tuple[int, str]],
    notes: list[str],
) -> MeasurementTable:
    """The ``MeasurementTable`` of the values read (SI), after the field's range check."""
    check_errors(values, chosen, names, list(line_no), filename, notes)
    beyond = f"the {QD_MAX_FIELD_T:g} T of any Quantum Design magnet"
    field = names[chosen["field"][0]]
    check_field(values["field"] * MU0, line_no, field, filename, QD_MAX_FIELD_T, beyond, _LABELS)
    source = {q: names[i] for q, (i, _) in chosen.items()}
    moment_name = names[chosen["moment"][0]]
    mode = next((m for col, m, _ in MOMENT_COLUMNS if _base(col) == _base(moment_name)), "")
    mass_mg = _float(info.get("SAMPLE_MASS") or info.get("WEIGHT"))
    meta = TableMetadata(
        filename=filename,
        instrument=_instrument(byapp, info),
        mode=mode,
        sample_name=info.get("SAMPLE_MATERIAL") or info.get("NAME") or "",
        mass_kg=None if mass_mg is None or mass_mg <= 0 else mass_mg * 1e-6,
        title=title,
        synthetic="SYNTHETIC" in title.upper(),
        info=info,
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
        comments=tuple(comments),
    )


_LABELS = ("Oe", "kOe", "T")  # the units a QD field column's name may carry (FIELD_COLUMNS)


def _check_comment(text: str, delimiter: str, filename: str, line: int) -> None:
    """Refuse a comment row that holds a data row in another delimiter (3+ numbers between ',',
    TAB or ';'): rows of a comma file pasted into a TAB file had been skipped as comments."""
    for other in DELIMITERS.replace(delimiter, ""):
        numbers = sum(is_number(c) for c in text.split(other))
        if numbers >= 3:
            raise InputFileError(
                f"{filename}, line {line}: a row whose cells are separated by {other!r}, not the "
                f"file's {delimiter!r} ({numbers} numbers read as one 'Comment' cell): a row "
                "of another file pasted in? Separate its cells as the file's or remove it"
            )


def _cells(row: list[str]) -> list[str]:
    """Cells without the trailing empty ones (MPMS3 pads header lines to the column count)."""
    while row and not row[-1].strip():
        row = row[:-1]
    return [c.strip() for c in row]


def _info(header: list[list[str]]) -> dict[str, str]:
    """INFO lines as key -> value; the order (value,KEY or KEY,value) is decided per file."""
    rows = [r for r in header if r[0].upper() == "INFO" and len(r) >= 2]
    key_last = sum(bool(_KEY.match(r[-1])) for r in rows if len(r) >= 3)
    key_first = sum(bool(_KEY.match(r[1])) for r in rows)
    joiner = ", "  # the value's own commas (TAB files turn them into TABs)
    info: dict[str, str] = {}
    for r in rows:
        if key_last > key_first and len(r) >= 3:
            info[r[-1]] = joiner.join(r[1:-1])
        elif len(r) >= 3:
            info[r[1].rstrip(":")] = joiner.join(r[2:])
        elif ":" in r[1]:  # MPMS-XL "INFO, SEQUENCE FILE: x.seq"
            key, _, value = r[1].partition(":")
            info[key.strip()] = value.strip()
        else:
            info[r[1]] = ""
    return info


def _choose(
    names: list[str], override: Mapping[str, str], filled: Callable[[int], bool], where: str
) -> dict[str, tuple[int, float]]:
    """Source column index and SI factor for each quantity present (``filled(i)``: whether
    column ``i`` holds any number)."""
    unknown = set(override) - {"field", "moment", "moment_err", "temperature", "time"}
    if unknown:
        raise InputFileError(f"{where}: unknown column mapping key(s) {sorted(unknown)}")
    for qty, col in override.items():
        if col not in names:
            raise InputFileError(f"{where}: no column {col!r} (asked for as {qty})")
    out: dict[str, tuple[int, float]] = {}

    def pick(qty: str, candidates: tuple[str, ...], required: bool) -> None:
        col = override.get(qty) or _named(names, candidates)
        if col is None:
            if required:
                raise InputFileError(
                    f"{where}: no {qty} column; expected one of {', '.join(map(repr, candidates))}"
                    f" (or in another unit of it){_nearest(names, candidates, qty)}"
                )
            return
        unit = unit_of(col) or ("s" if qty == "time" else None)
        if unit is None:
            raise InputFileError(
                f"{where}: column {col!r} has no unit in its name; " + name_the_unit(col, qty)
            )
        out[qty] = (names.index(col), si_factor(qty, unit, f"{where}, column {col!r}"))

    pick("field", FIELD_COLUMNS, True)
    pick("temperature", TEMPERATURE_COLUMNS, True)
    pick("time", TIME_COLUMNS, False)
    if "moment" not in override:
        present = [n for c, _, _ in MOMENT_COLUMNS if (n := _named(names, (c,)))]
        # the first one that holds numbers (VSM files leave the DC columns empty and vice versa)
        holding = next((c for c in present if filled(names.index(c))), None)
        if holding is None:
            _no_moment(names, present, where)
        override = {**override, "moment": holding}
    pick("moment", (), True)
    err = override.get("moment_err") or next(
        (
            _named(names, (e,))
            for c, _, e in MOMENT_COLUMNS
            if e and _base(c) == _base(override["moment"])
        ),
        None,
    )
    if err:
        pick("moment_err", (err,), False)
    return out


def _no_moment(names: list[str], present: list[str], where: str) -> None:
    """Refuse a file none of whose ``MOMENT_COLUMNS`` holds a number, naming those looked for,
    those ``present`` but empty, and the file's other moment-like columns (a VSM file's renamed
    'Moment (emu)' had been named as its empty 'DC Moment Free Ctr (emu)')."""
    looked = ", ".join(repr(c) for c, _, _ in MOMENT_COLUMNS)
    empty = f"; {', '.join(map(repr, present))} empty in every row" if present else ""
    known = {_base(c) for c, _, _ in MOMENT_COLUMNS}
    other = [
        n
        for n in names
        if _base(n) not in known
        and (unit_of(n) == "emu" or "moment" in n.lower())
        and not re.search(r"err|std", n, re.IGNORECASE)
    ]
    has = f"; the file's other moment-like columns: {', '.join(map(repr, other))}" if other else ""
    raise InputFileError(
        f"{where}: no moment column holds a number: looked for {looked} (or in another unit of "
        f"it){empty}{has}; map the moment's column (--column moment=NAME on the command line, "
        "columns={'moment': NAME} in Python) or is this not a magnetometry file?"
    )


def _nearest(names: list[str], candidates: tuple[str, ...], qty: str) -> str:
    """The hint "; is 'Magnetic Feild (Oe)' it? ..." for the file's column nearest by name to one of
    ``candidates`` (a misspelt or renamed one, which had gone unnamed among 89 columns), how to
    map it; "" if none is near."""
    bases = {_base(n): n for n in names if n}
    close = next((m for c in candidates if (m := near(_base(c), bases))), None)
    if close is None:
        return ""
    col = bases[close]
    return (
        f"; is {col!r} it? Name it {candidates[0]!r}, or map it: --column {qty}={col!r} on "
        f"the command line, columns={{{qty!r}: {col!r}}} in Python"
    )


def _base(name: str) -> str:
    """A column's name without its unit: "Magnetic Field" of "Magnetic Field (mT)"."""
    return re.sub(r"\s*\([^()]*\)\s*$", "", name.strip())


def _named(names: list[str], candidates: tuple[str, ...]) -> str | None:
    """The first of ``names`` that is a ``candidates``' column (in their order) in any unit."""
    bases = [_base(n) for n in names]
    return next((names[bases.index(_base(c))] for c in candidates if _base(c) in bases), None)


def _cell(row: list[str], i: int) -> str:
    return row[i].strip() if i < len(row) else ""


def _instrument(byapp: str, info: Mapping[str, str]) -> str:
    text = f"{byapp} {info.get('APPNAME', '')}".upper()
    if "MPMS3" in text or "MPMS 3" in text:
        return "MPMS3"
    if "MPMS" in text:
        return "MPMS-XL"
    if any(k in text for k in ("PPMS", "DYNACOOL", "VERSALAB", "VSM", "ACMS")):
        return "PPMS"
    return "Quantum Design"


def _float(text: str | None) -> float | None:
    """A header value as a finite float in plain decimal text, else None ("NaN" or "inf" is no
    mass: stored as NaN it was not JSON, which PostgreSQL refuses; "1_000", which float() reads
    as 1000, is no mass either)."""
    value = number(text)
    return value if value is not None and math.isfinite(value) else None
