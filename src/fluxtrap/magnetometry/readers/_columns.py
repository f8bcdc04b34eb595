"""Shared by the readers: size limits, decoding, splitting rows, units from column names, checked
numeric columns with line numbers."""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

import numpy as np
import pint

from fluxtrap.errors import InputFileError, UnitError
from fluxtrap.inputs import check_bytes, is_number, read_bytes
from fluxtrap.units import FIELD_UNITS_PER_T, MU0, Q_, unit


class ReadNoteWarning(UserWarning):
    """What a reader did to a file that loses no data row: NUL padding after the last line left
    out, a comments row under the column names skipped (said, as a warning, so that it is seen)."""


# What each SI column of a MeasurementTable needs from its source column: (pint dimension, SI unit).
QUANTITIES: dict[str, tuple[str, str]] = {
    "field": ("[current] / [length]", "A/m"),  # or a flux density, turned into H = B / mu0
    "moment": ("[current] * [length] ** 2", "A*m^2"),
    "moment_err": ("[current] * [length] ** 2", "A*m^2"),
    "temperature": ("[temperature]", "K"),
    "time": ("[time]", "s"),
}

# "B_T", "m_emu", "moment_A_m2": an SI-style underscore suffix and the unit it means.
_SUFFIX_UNITS = {
    "T": "T",
    "mT": "mT",
    "uT": "uT",  # a Hall probe's earth-field range; time_ms a logger's clock (both were no unit:
    "ms": "ms",  # "time_ms" was read as date-times and refused as "not ISO 8601")
    "Oe": "Oe",
    "kOe": "kOe",
    "G": "G",
    "kG": "kG",
    "A_m": "A/m",
    "emu": "emu",
    "Am2": "A*m^2",
    "A_m2": "A*m^2",
    "K": "K",
    "s": "s",
    "sec": "s",
    "min": "min",
    "h": "h",
}
_ALIASES = {"sec": "s", "secs": "s", "grams": "g", "Am^2": "A*m^2"}  # pint: attometre^2
# units as printed: superscript powers and a middle dot, and a power right after a unit's name
# ("A m2": pint reads "m2" as no unit)
_PRINTED = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻·⋅", "0123456789-**")
_PRINTED_POWER = re.compile(r"([^\W\d_])(-?\d+)\b")
# Gauss as the field's flux density mu0*H, in T (pint's gauss is the Gaussian-CGS unit, not 1e-4 T)
GAUSS_T = {"G": 1e-4, "gauss": 1e-4, "kG": 0.1, "kilogauss": 0.1}

# ~140 000 MPMS3 rows of 89 columns (~470 B), 1e6 of a 6-column file; real loops are 0.1-2 MB
# (at 256 MiB a 200 MB file was read whole: 18.6 s and 1.3 GB before its analysis)
MAX_BYTES = 64 * 2**20
MAX_LINES = 1_000_000  # data rows of a file (after its header): a point a second for 11 days
MAX_LINE_CHARS = (
    131_072  # characters of one line: an MPMS3 row is ~500, the csv module's cell limit
)


def read_limited(path: str | Path, what: str = "magnetometer file") -> bytes:
    """The bytes of the regular file ``path`` (``what`` names it in errors), refused beyond
    ``MAX_BYTES`` or ``MAX_LINES`` without reading more than ``MAX_BYTES`` + 1 bytes
    (:func:`fluxtrap.inputs.read_bytes`)."""
    content = read_bytes(path, what, MAX_BYTES)
    check_size(content, str(path), what)
    return content


# what else ``str.splitlines`` ends a line at (VT, FF, FS, GS, RS, NEL; U+2028/9 in UTF-8): bytes
# that binary garbage holds too, so a file of them was millions of lines under the limit
_OTHER_LINE_ENDS = b"\x0b\x0c\x1c\x1d\x1e\x85"
_UNICODE_LINE_ENDS = (b"\xe2\x80\xa8", b"\xe2\x80\xa9")


def check_size(content: bytes, filename: str, what: str = "magnetometer file") -> None:
    """Refuse more than ``MAX_BYTES`` bytes, a line over ``MAX_LINE_CHARS`` characters
    (``check_line_length``) or ``MAX_LINES`` data rows before parsing (lines as
    the readers split them: at CR, LF, CRLF and the other ends ``str.splitlines`` knows; the
    rows after a ``[Data]`` line and the column names, else after the first line: a .dat file of
    1 000 000 points had been refused for its 30 header lines)."""
    check_bytes(len(content), MAX_BYTES, filename, what)
    check_line_length(content, filename)
    start = content.find(b"[Data]")
    body = content[start:] if start >= 0 else content
    lines = max(body.count(b"\n"), body.count(b"\r") - body.count(b"\r\r\n"))
    lines += len(body) - len(body.translate(None, _OTHER_LINE_ENDS))
    if b"\xe2" in body:  # counting 3 bytes is slow: only where they may be
        lines += sum(body.count(end) for end in _UNICODE_LINE_ENDS)
    ends = (b"\n", b"\r", *(bytes([c]) for c in _OTHER_LINE_ENDS), *_UNICODE_LINE_ENDS)
    rows = lines + (not body.endswith(ends)) - (2 if start >= 0 else 1)
    if rows > MAX_LINES:
        raise InputFileError(
            f"{filename}: {rows} data rows, more than {MAX_LINES}; split the file (one "
            "measurement each)"
        )


_LINE_END_BYTES = b"\n\r" + _OTHER_LINE_ENDS
_AT_LINE_END = bytes(c in _LINE_END_BYTES for c in range(256))  # bytes.translate: 1 at an end
_CHUNK = 2**24  # bytes looked at at once: memory stays a few times this, not the file's


def check_line_length(content: bytes, filename: str) -> None:
    """Refuse a line over ``MAX_LINE_CHARS`` characters on the raw bytes, before decoding and
    splitting (a 200 MB single-line file had been refused by ``split_rows`` only after 5.8 s and
    1 GB; the line count of ``check_size`` then took 0.7 s and a copy of the file). A byte is
    a character, two in UTF-16 (a UTF-8 line of multibyte characters may be refused under the
    limit, which no instrument's ~500 reach); a line ends at CR, LF or the other single-byte ends
    ``str.splitlines`` knows; NUL padding after the last line is none (``decode``)."""
    codec = _utf16(content)
    width = 2 if codec else 1
    if content.endswith(b"\0"):
        content = content.rstrip(b"\0")
    previous = -1  # the last line end's offset
    for lo in range(0, len(content), _CHUNK):
        chunk = content[lo : lo + _CHUNK]
        marks = np.frombuffer(chunk.translate(_AT_LINE_END), bool)
        ends = np.concatenate([[previous], lo + np.flatnonzero(marks), [lo + len(chunk)]])
        # characters between line ends (UTF-16: the end's other byte is one more); the chunk's
        # tail is a line so far
        long = np.flatnonzero((np.diff(ends) - 1) // width > MAX_LINE_CHARS)
        if long.size:
            start = int(ends[long[0]]) + 1
            break
        previous = int(ends[-2])
    else:
        return
    found = (content.find(bytes([c]), start) for c in _LINE_END_BYTES)
    length = (min((i for i in found if i >= 0), default=len(content)) - start) // width
    big_endian = codec == "utf-16-be" or content.startswith(b"\xfe\xff")
    crlf = "\r\n".encode(f"utf-16-{'be' if big_endian else 'le'}") if codec else b"\r\n"
    stop = start + width - 1  # after the line end's NUL in UTF-16-LE
    lines = content.count(b"\n", 0, stop) + content.count(b"\r", 0, stop)
    lines -= content.count(crlf, 0, stop)  # CRLF: one line end
    lines += sum(content.count(bytes([c]), 0, stop) for c in _OTHER_LINE_ENDS)
    raise InputFileError(
        f"{filename}, line {lines + 1}: {length:,} {'characters' if codec else 'bytes'} with no "
        f"line end, over the {MAX_LINE_CHARS:,} characters of a magnetometer file's line (an "
        "MPMS3 row is ~500): not a measurement's text, or its line ends lost?"
    )


# control characters no instrument's text holds (NUL, tab, the line ends and DOS's end-of-file
# mark aside): compressed or binary bytes, which had been read as a header of garbage names
_BINARY = re.compile("[\x01-\x08\x0e-\x19\x1b\x1f\x7f]")
_BINARY_KINDS = {
    b"\x1f\x8b": " (gzip-compressed: unpack it)",
    b"PK\x03\x04": " (a ZIP archive or an .xlsx workbook: unpack or export it as CSV)",
    b"\xd0\xcf\x11\xe0": " (an .xls workbook: export it as CSV)",
}


def check_text(content: bytes, filename: str) -> None:
    """Refuse binary bytes (a control character in the first 4096 bytes' text), naming the
    character, where it is, and the format where its first bytes tell it."""
    found = _BINARY.search(decode(content[:4096]))
    if found:
        kind = next((k for magic, k in _BINARY_KINDS.items() if content.startswith(magic)), "")
        raise InputFileError(
            f"{filename}: binary data, not text: control character 0x{ord(found[0]):02x} at "
            f"character {found.start() + 1}{kind}; give the instrument's .dat file or a "
            "CSV/TSV table"
        )


def decode(content: bytes, filename: str | None = None, notes: list[str] | None = None) -> str:
    """Text of a file: UTF-16 with a BOM or without one (ASCII text in UTF-16 has a NUL in every
    other byte of its head), UTF-8 (with or without BOM), else Windows-1252 (instrument PCs run
    Windows: as Latin-1, the ellipsis of a comment "fine steps..." was a line end that cut the
    row in two), else Latin-1.
    Line ends CR CR LF (a Windows file's CRLF converted once more, by an FTP text transfer or a
    Windows editor) read as one line end: they had read as a blank line after every line. A
    DOS end-of-file mark (Ctrl-Z, 0x1A) at the end ends the last line: the writer finished the
    file (it was a row of its own, or glued to the last number, and read as a cut last row).
    NUL characters after the last line (a file its writer pre-allocated and did not fill: a
    crash) are left out, with a ``ReadNoteWarning`` naming ``filename`` when given (its text
    appended to ``notes`` too, for the table's metadata): they had read as a last row cut short;
    a NUL inside the text is kept (a cell holding one is refused)."""
    text = _decoded(content).replace("\r\r\n", "\r\n")
    if text.endswith("\x00"):
        unpadded = text.rstrip("\x00")
        padding, text = len(text) - len(unpadded), unpadded
        if filename:
            _note(
                f"{filename}: left out {padding} NUL characters after the last line: padding "
                "of a file its writer pre-allocated and did not fill (stopped by a crash?)",
                notes,
            )
    if text.endswith("\x1a"):
        text = text.rstrip("\x1a")
        text += "" if not text or text.endswith(("\n", "\r")) else "\n"
    return text


def _utf16(content: bytes) -> str | None:
    """The UTF-16 codec of ``content``: by its BOM, else by a NUL in every other byte of its head
    (ASCII text in UTF-16); None if it is not UTF-16."""
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    head = content[:4096].rstrip(b"\0")  # NUL padding is no UTF-16 text's other byte
    for codec, nuls in (("utf-16-le", head[1::2]), ("utf-16-be", head[::2])):
        if len(head) >= 8 and nuls.count(0) >= 0.9 * len(nuls):
            return codec
    return None


def _decoded(content: bytes) -> str:
    if codec := _utf16(content):  # a cut-off head may end mid-character
        return content.decode(codec, errors="replace")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # a UTF-8 BOM on text with a byte that is not UTF-8 (a note added in Latin-1): it was
    # "ï»¿" in the first column's name, which no mapping by that name then found
    content = content.removeprefix(b"\xef\xbb\xbf")
    try:  # a Windows instrument PC's text: its 0x85 ("...") is NEL in Latin-1, a line end
        return content.decode("cp1252")
    except UnicodeDecodeError:  # one of the five bytes cp1252 leaves undefined
        return content.decode("latin-1")


def unit_of(name: str) -> str | None:
    """The unit written in a column name: "Magnetic Field (Oe)", "H [Oe]", "B_T"; None if none.
    Written as in print, "A·m²", "A m2" and "kA m⁻¹" read as "A*m^2", "A m^2", "kA m^-1"."""
    m = re.search(r"[(\[]([^()\[\]]+)[)\]]\s*$", name)
    if m:
        return _as_printed(m.group(1))
    for suffix in sorted(_SUFFIX_UNITS, key=len, reverse=True):
        if name.endswith("_" + suffix) and len(name) > len(suffix) + 1:
            return _SUFFIX_UNITS[suffix]
    return None


def _as_printed(text: str) -> str:
    """A unit as written in a name or a units row, in the units grammar ("A·m²": "A*m^2")."""
    unit = _PRINTED_POWER.sub(r"\1^\2", text.strip().translate(_PRINTED))
    return _ALIASES.get(unit, unit)


def header_units(
    numbered: Sequence[tuple[int, str]],
    names: Sequence[str],
    delimiter: str,
    filename: str,
    notes: list[str] | None = None,
) -> tuple[list[str | None], int]:
    """Each column's unit (``unit_of`` its name, or None), and how many of the rows after the
    column names in ``numbered`` ((line, text), names first) are header rows, 0 to 2.

    A spreadsheet's or Origin's export has a row of units under the names ("Oe,emu", its "Units"
    row: each unit read as one in the name would be) and often one of comments under it ("sample
    S1,", skipped with a ``ReadNoteWarning``, its text appended to ``notes``). A row of no number is one of units when it gives
    a column without a unit in its name its unit; one mixing units with other text ("Oe,a.u."),
    or a unit other than its name's, is refused naming the line: the file cannot say what it
    is. A row of text that is not a unit stays a data row (refused or skipped as one)."""
    units = [unit_of(col) for col in names]
    if len(numbered) < 2 or not (cells := _words(numbered[1], delimiter, filename)):
        return units, 0
    line = numbered[1][0]
    given = [(i, _as_printed(c)) for i, c in enumerate(cells[: len(names)]) if c.strip()]
    if not any(units[i] is None and _is_unit(u) for i, u in given):
        return units, 0
    for i, u in given:
        where = f"{filename}, line {line}, column {names[i]!r}"
        if not _is_unit(u):
            raise InputFileError(
                f"{where}: {cells[i].strip()[:40]!r} is not a unit, where the row's other cells "
                "are units (a row of units under the column names, as Origin exports): write "
                "a unit or nothing in each cell of the row, or remove the row"
            )
        if units[i] not in (None, u):
            raise InputFileError(
                f"{where}: the row of units under the column names says {u!r}, the column's "
                f"name {units[i]!r}; give one unit"
            )
        units[i] = u
    comments = len(numbered) > 2 and _words(numbered[2], delimiter, filename)
    if len(numbered) <= 2 + bool(comments):
        raise InputFileError(
            f"{filename}: no data rows after the column names (line {numbered[0][0]}) and the "
            f"row of units under them (line {line})"
        )
    if comments:
        _note(
            f"{filename}: line {numbered[2][0]} read as a row of comments under the units "
            f"(no number in it, as Origin's 'Comments' row), not data: {numbered[2][1][:60]!r}",
            notes,
        )
    return units, 2 if comments else 1


def _note(text: str, notes: list[str] | None) -> None:
    """Warn ``text`` as a ``ReadNoteWarning`` (at the reader's caller) and append it to ``notes``
    (the reader's, for ``TableMetadata.read_notes``)."""
    warnings.warn(ReadNoteWarning(text), stacklevel=4)
    if notes is not None:
        notes.append(text)


def _words(numbered: tuple[int, str], delimiter: str, filename: str) -> list[str]:
    """The cells of a row holding text and no number (a header row's), else []."""
    cells = split_rows([numbered[1]], [numbered[0]], delimiter, filename)[0]
    texts = [c.strip() for c in cells if c.strip()]
    return cells if texts and not any(is_number(c) for c in texts) else []


def _is_unit(text: str) -> bool:
    """Whether ``text`` (as printed, ``_as_printed``) reads as a unit: one the readers convert."""
    if text in GAUSS_T:
        return True
    try:
        unit(text)
    except UnitError:
        return False
    return True


# a few of each quantity's units, named where a column has none (any pint unit of it is read):
# (the bracketed example, the suffixed one, the units listed)
COMMON_UNITS = {
    "field": ("mT", "T", "T, mT, G, Oe, kOe, A/m"),
    "moment": ("emu", "emu", "emu, A*m^2"),
    "moment_err": ("emu", "emu", "emu, A*m^2"),
    "temperature": ("K", "K", "K"),
    "time": ("s", "s", "s, min, h"),
}


def name_the_unit(col: str, quantity: str) -> str:
    """How to give ``col`` a unit of ``quantity`` in its name: the forms read, and a few units."""
    bracketed, suffix, units = COMMON_UNITS[quantity]
    return (
        f"name its unit in the header: '{col} ({bracketed})', '{col} [{bracketed}]' or "
        f"{col}_{suffix} (units such as {units})"
    )


def si_factor(quantity: str, unit_text: str, where: str) -> float:
    """Factor that turns values in ``unit`` into the SI unit of ``quantity`` (see ``QUANTITIES``).

    A field given as a flux density (T, mT, G, kG) is read as mu0*H and returned as H in A/m.
    """
    si = QUANTITIES[quantity][1]
    if quantity == "field" and unit_text.strip() in GAUSS_T:
        return GAUSS_T[unit_text.strip()] / MU0
    try:
        q = Q_(1.0, unit(unit_text, where))
        if quantity == "field" and q.check("[mass] / [current] / [time] ** 2"):
            q = q / Q_(MU0, "H/m")
        offset = float(Q_(0.0, q.units).to(si).magnitude)
        factor = float(q.to(si).magnitude)
    except (pint.errors.PintError, ValueError, TypeError, AttributeError, OverflowError):
        raise InputFileError(
            f"{where}: unit {unit_text!r} is not a {quantity} unit (expected something convertible to {si})"
        ) from None
    if offset != 0:  # degC, degF: a scale factor alone would turn -250 degC into -68 538 K
        raise InputFileError(
            f"{where}: unit {unit_text!r} has an offset from {si}; give the {quantity} in {si}"
        )
    return factor


_MIN_HINT_T = 1e-4  # a unit putting the column's largest field under 1 Oe is no answer


def check_field(
    field_T: np.ndarray,
    lines: Sequence[int],
    column: str,
    filename: str,
    limit_T: float,
    beyond: str,
    labels: Collection[str] | None = None,
) -> None:
    """Refuse |mu0 H| (T) beyond ``limit_T`` (``beyond`` says what that is: "the 16 T of any
    Quantum Design magnet") at its line: a field column in the wrong unit (an MPMS3 M(T) at 100
    Oe in a column labelled T read as 99.9 T), naming the value as written, the units
    (``units.FIELD_UNITS_PER_T``) that would bring the column's largest field within 1
    Oe..``limit_T`` (the likeliest 3) and the label to give (one of ``labels``, the units the
    reader knows, if given): sample4's 100 Oe sweep labelled T had been asked only 'in Oe?', as
    had 7 T in A/m labelled Oe (557 T) or 70 kOe in Oe labelled kOe (7000 T)."""
    over = np.flatnonzero(np.abs(field_T) > limit_T)
    if not over.size:
        return
    k = int(over[0])
    unit = unit_of(column) or "T"
    per_label = 1 / (si_factor("field", unit, column) * MU0)  # the label's values per T
    largest = float(np.nanmax(np.abs(field_T)))
    written = largest * per_label  # the largest value as the file writes it
    as_written = f"(written {field_T[k] * per_label:.6g} {unit}) " if unit != "T" else ""
    fits = [
        (u, per, said)
        for u, per, said in FIELD_UNITS_PER_T
        if u != unit and _MIN_HINT_T <= written / per <= limit_T
    ][:3]
    if not fits:
        hint = (
            f"no field unit ({', '.join(u for u, _, _ in FIELD_UNITS_PER_T)}) brings it "
            f"within 1 Oe..{limit_T:g} T: is it another quantity's column?"
        )
    else:
        said = " or ".join(f"in {u} ({per} per T: up to {written / f:.3g} T)" for u, f, per in fits)
        name = re.sub(r"\s*(\([^()]*\)|\[[^\[\]]*\]|_[^_]*)\s*$", "", column) or "Magnetic Field"
        hint = f"is the column {said} but labelled {unit}? " + (
            f"Label it '{name} ({fits[0][0]})' and read the file again"
            if labels is None or fits[0][0] in labels
            else "Convert it to Oe (1 A/m = 4 pi 1e-3 Oe, 1 mT = 10 Oe), the unit the "
            f"reader knows with {', '.join(u for u in labels if u != 'Oe')}, and read the file "
            "again"
        )
    raise InputFileError(
        f"{filename}, line {lines[k]}, column {column!r}: |mu0 H| = {abs(field_T[k]):.4g} T "
        f"{as_written}is beyond {beyond} ({over.size} of {field_T.size} rows, up to "
        f"{largest:.4g} T): {hint}"
    )


# one comma between digits, as a decimal point: "-8,02e-06", "0,5"
_DECIMAL_COMMA = re.compile(r"[-+]?\d*,\d+(?:[eE][-+]?\d+)?")
_THOUSANDS = re.compile(r"[-+]?[1-9]\d{0,2}(?:,\d{3})+")  # "1,500", "12,000,000"
_HELD = "<value>"  # a cell of a column not read: only that it holds something counts


def split_rows(
    lines: Sequence[str],
    numbers: Sequence[int],
    delimiter: str,
    filename: str,
    keep: Collection[int] | None = None,
) -> list[list[str]]:
    """Cells of each of ``lines`` (1-based source line ``numbers``), one row per line.

    With ``keep`` (column indices) a cell of another column is kept only as empty or not: ""
    or one shared placeholder, so rows keep their length and which cells hold values, and
    memory follows the columns read, not the file's width (an MPMS3 .dat has 89 columns; all
    of them as strings took 8-30x the file's size).

    A quote left open at a line's end (which the csv module would let swallow the lines after
    it) or a line over ``MAX_LINE_CHARS`` raises InputFileError naming the line. The length is
    checked here, not left to the csv module's field limit: that limit is one for the process,
    and another reader (the history import) may raise it for a while.
    """
    for n, line in zip(numbers, lines, strict=False):
        if len(line) > MAX_LINE_CHARS:
            raise InputFileError(
                f"{filename}, line {n}: cannot split the line into cells ({len(line):,} "
                f"characters, at most {MAX_LINE_CHARS:,} in a magnetometer file's line)"
            )
    reader = csv.reader(lines, delimiter=delimiter)
    rows: list[list[str]] = []
    try:
        for row in reader:
            if reader.line_num != len(rows) + 1:
                raise InputFileError(
                    f"{filename}, line {numbers[len(rows)]}: a quote opened on this line is not "
                    "closed on it"
                )
            if keep is not None:
                row = [cell if i in keep or not cell else _HELD for i, cell in enumerate(row)]
            rows.append(row)
    except csv.Error as err:
        # a quote left open takes the lines after it into one cell until the field limit: the
        # line it opened on, not the one the limit was hit on (line 320 of a file whose comment
        # on line 43 lost its closing quote had been named, 'field larger than field limit')
        if len(rows) < len(numbers) and '"' in lines[len(rows)]:
            raise InputFileError(
                f"{filename}, line {numbers[len(rows)]}: a quote opened on this line is not "
                "closed on it"
            ) from None
        n = numbers[min(reader.line_num, len(numbers)) - 1]
        raise InputFileError(
            f"{filename}, line {n}: cannot split the line into cells ({err})"
        ) from None
    return rows


def numeric_block(
    lines: Sequence[str], delimiter: str, n_names: int, indices: Sequence[int]
) -> np.ndarray | None:
    """Columns ``indices`` of the data ``lines`` as floats, ``(len(indices), len(lines))`` (NaN
    for an empty cell), read at once by pandas' C parser (a 1M-row file: seconds, not the
    minute of splitting and converting cell by cell in Python); or None when the block is not
    plain: a line without exactly ``n_names`` cells (a short, cut or shifted row, a blank line),
    over ``MAX_LINE_CHARS``, a quote, a cell pandas cannot read or an infinite one. Then the
    readers take the line-by-line path (``split_rows``, ``skip_missing``, ``numeric_column``),
    whose errors name the file's line and column and say what to fix (pandas' do neither), and
    which keeps rows without a field or moment apart. The values are those of ``float`` (pandas'
    default converter rounds correctly: 0 of 300 000 mantissas apart)."""
    if not lines or max(map(len, lines)) > MAX_LINE_CHARS:
        return None
    counts = np.fromiter((ln.count(delimiter) for ln in lines), int, len(lines))
    if np.any(counts != n_names - 1):
        return None
    raw = "\n".join(lines).encode()  # bytes: a StringIO holds 4 bytes a character
    if b'"' in raw or _booleans(raw):
        return None
    import pandas as pd

    try:
        frame = pd.read_csv(
            io.BytesIO(raw),
            sep=delimiter,
            header=None,
            usecols=list(indices),
            dtype=np.float64,
            keep_default_na=False,
            na_values=[""],
            engine="c",
            quoting=csv.QUOTE_NONE,
        )
    except (ValueError, pd.errors.ParserError):
        return None
    block = frame[list(indices)].to_numpy().T
    if block.shape != (len(indices), len(lines)) or np.isinf(block).any():
        return None
    return block


def _booleans(raw: bytes) -> bool:
    """Whether ``raw`` holds "true" or "false" in any case: pandas reads a float column of
    "True" (and empty cells) as 1.0."""
    lowered = raw.lower()
    return b"true" in lowered or b"false" in lowered


def check_names(names: Sequence[str], where: str) -> None:
    """Refuse a header that names a column twice (no mapping could tell the two apart)."""
    first: dict[str, int] = {}
    for i, col in enumerate(names):
        if col and col in first:
            raise InputFileError(
                f"{where}: column {col!r} appears twice (columns {first[col] + 1} and {i + 1}); "
                "rename one"
            )
        first.setdefault(col, i)


def check_cells(row: Sequence[str], filename: str, line: int, most: int, least: int = 0) -> None:
    """Refuse a row with values beyond its ``most`` named columns (a stray delimiter inside it
    shifts every value after it; empty cells past them, a trailing delimiter, shift nothing) or
    with fewer than ``least`` cells (its missing cells would read as empty, a temperature NaN,
    though nothing says which were left out)."""
    if any(c.strip() for c in row[most:]):
        raise InputFileError(
            f"{filename}, line {line}: {len(row)} cells for {most} named columns (a stray "
            "delimiter inside the row shifts every value after it); fix or remove the row"
        )
    if len(row) < least:
        raise InputFileError(
            f"{filename}, line {line}: only {len(row)} of {least} cells (file truncated, or "
            "cells left out?); fix or remove the row"
        )


def nan_as_empty(rows: Sequence[list[str]], index: int) -> None:
    """Blank, in place, the cells of column ``index`` (the moment error's) that read "nan" in any
    case: an error not given, as an empty cell is (the text had refused the whole file)."""
    for row in rows:
        if index < len(row) and row[index].strip().lower() == "nan":
            row[index] = ""


def check_errors(
    values: dict[str, np.ndarray],
    chosen: dict[str, tuple[int, float]],
    names: Sequence[str],
    lines: Sequence[int],
    filename: str,
    notes: list[str],
) -> None:
    """Leave out (of ``values`` and ``chosen``, SI) a moment error column with no value, as no
    error given; a ``ReadNoteWarning`` names the lines of one with some values missing. An
    InputFileError when the error and the moment are in different units and the errors' median
    exceeds the moments': the error column's unit label left unchanged ('Moment (µemu)' beside
    'M. Std. Err. (emu)' holding µemu had been refused as 'no irreversible magnetization')."""
    if "moment_err" not in values:
        return
    missing = np.flatnonzero(np.isnan(values["moment_err"]))
    if missing.size == len(values["moment_err"]):
        del values["moment_err"], chosen["moment_err"]
        return
    (m_col, m_factor), (e_col, e_factor) = chosen["moment"], chosen["moment_err"]
    with np.errstate(divide="ignore", invalid="ignore"):  # moments of 0: no ratio, inf
        ratio = np.nanmedian(values["moment_err"]) / np.median(np.abs(values["moment"]))
    if not np.isclose(m_factor, e_factor) and ratio > 1:
        m_name, e_name = names[m_col], names[e_col]
        raise InputFileError(
            f"{filename}: the moment errors of column {e_name!r} read {ratio:.3g} times the "
            f"moments of {m_name!r} (medians), and no standard error exceeds its reading; the "
            f"two columns' units differ {e_factor / m_factor:.3g}x: is {e_name!r} in the "
            "moment's unit, its label left unchanged? Give the two columns one unit"
        )
    if missing.size:
        listed = ", ".join(str(lines[k]) for k in missing[:6]) + ", ..." * (missing.size > 6)
        _note(
            f"{filename}, column {names[chosen['moment_err'][0]]!r}: no moment error on "
            f"{missing.size} of {len(lines)} rows (line{'s' * (missing.size > 1)} {listed}): "
            "those points are read without an error bar",
            notes,
        )


def skip_missing(
    rows: Sequence[Sequence[str]],
    lines: Sequence[int],
    required: Sequence[int],
    names: Sequence[str],
    filename: str,
    *,
    ignore: Sequence[int] = (),
) -> tuple[list[Sequence[str]], list[int], tuple[int, ...]]:
    """Drop rows with an empty cell in a ``required`` column (field, moment) but other values.

    Such a row is a point the instrument did not finish (a failed VSM lock or DC fit writes the
    field and temperature but no moment). Returns the kept rows, their line numbers and the
    skipped lines (1-based). Cells in ``ignore`` (the comment) do not count as values. A row
    with nothing else is kept (``numeric_column`` then names its empty cell); text that is not
    a number in a required cell of a skipped row raises InputFileError, as does skipping all.
    """
    kept, kept_lines, skipped = [], [], []
    for row, n in zip(rows, lines, strict=True):
        if not _unfinished(row, required, ignore):
            kept.append(row)
            kept_lines.append(n)
            continue
        for i in required:
            if i < len(row) and row[i].strip():
                _number(row[i].strip(), filename, n, names[i])
        skipped.append(n)
    if not kept and skipped:
        empty = [i for i in required if not any(i < len(r) and r[i].strip() for r in rows)]
        cols = " or ".join(repr(names[i]) for i in empty or required)
        raise InputFileError(
            f"{filename}: every data row ({len(skipped)}, lines {skipped[0]}..{skipped[-1]}) "
            f"has an empty {cols} cell; no points to read"
        )
    return kept, kept_lines, tuple(skipped)


def _unfinished(row: Sequence[str], required: Sequence[int], ignore: Sequence[int]) -> bool:
    """Whether ``row`` has an empty cell in a ``required`` column but other values (outside
    ``ignore``): a point ``skip_missing`` drops."""
    cells = [row[i].strip() if i < len(row) else "" for i in required]
    others = any(c.strip() for i, c in enumerate(row) if i not in required and i not in ignore)
    return not all(cells) and others


def first_bad_cell(
    rows: Sequence[Sequence[str]],
    lines: Sequence[int],
    columns: Mapping[int, bool],
    names: Sequence[str],
    filename: str,
    *,
    required: Sequence[int],
    ignore: Sequence[int] = (),
) -> None:
    """Raise the InputFileError of the first line (then column, left to right) of ``rows``
    holding a cell of ``columns`` (index -> required) that ``numeric_column`` refuses; of a row
    ``skip_missing`` drops only its ``required`` cells that hold text count. The readers call it
    when reading failed: ``skip_missing`` and ``numeric_column`` (one column after the other)
    named the first bad cell of their own pass (NaN moments from line 58 were named at line
    280, a row without a field). Returns if no cell is refused (the error was another)."""
    for row, n in zip(rows, lines, strict=True):
        unfinished = _unfinished(row, required, ignore)
        for i in sorted(columns):
            if not unfinished:
                numeric_column([row], i, [n], names[i], filename, columns[i])
            elif i in required:
                numeric_column([row], i, [n], names[i], filename, False)


def _number(text: str, filename: str, line: int, name: str) -> float:
    """A cell as a finite float ("nan" and "inf" are refused: an empty cell marks a missing value;
    so is "1_000", Python's digit grouping, which float() reads as 1000)."""
    try:
        if "_" in text:
            raise ValueError(text)
        value = float(text)
    except ValueError:
        hint = ""
        if _THOUSANDS.fullmatch(text):  # "1,500": 1.5 or 1500, the file cannot say
            hint = " (a thousands separator or a decimal comma? write the number with no separator and a point)"
        elif _DECIMAL_COMMA.fullmatch(text):  # a European spreadsheet's export: "-8,02e-06"
            hint = f" (a decimal comma? write {text.replace(',', '.')!r}, with a point)"
        raise InputFileError(
            f"{filename}, line {line}, column {name!r}: {text[:40]!r} is not a number{hint}"
        ) from None
    if not np.isfinite(value):
        raise InputFileError(
            f"{filename}, line {line}, column {name!r}: {text!r} is not a finite number"
        )
    return value


def numeric_column(
    rows: Sequence[Sequence[str]],
    index: int,
    lines: Sequence[int],
    name: str,
    filename: str,
    required: bool,
) -> np.ndarray:
    """Cells ``index`` of ``rows`` as floats; empty cells are NaN unless ``required``.

    A non-numeric, nan or inf cell (or an empty one in a required column) raises InputFileError
    naming the file, the line and the column.
    """
    out = np.empty(len(rows))
    for k, row in enumerate(rows):
        text = row[index].strip() if index < len(row) else ""
        if not text:
            if required:
                raise InputFileError(
                    f"{filename}, line {lines[k]}, column {name!r}: empty cell where a number is required"
                )
            out[k] = np.nan
            continue
        out[k] = _number(text, filename, lines[k], name)
    return out
