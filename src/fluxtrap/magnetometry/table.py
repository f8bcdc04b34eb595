"""The value every reader returns: a measurement table in SI with the file's metadata."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from fluxtrap.errors import AnalysisError, InputFileError, ValidationError
from fluxtrap.units import MU0, array_in, field_unit_hint  # MU0: B = mu0 * H for the applied field

MAX_FIELD_T = 100.0  # |mu0 H| (T) beyond every laboratory magnet (45 T static, ~100 T pulsed)
MAX_TEMPERATURE_K = 1100.0  # above a magnetometer's oven (MPMS3 VSM oven: 1000 K)
# |moment| (A m^2, 1e6 emu) far beyond any magnetometer (an MPMS3 reads up to ~10 emu): another
# quantity or unit (1e300 emu overflowed the loop's arithmetic in numpy warnings)
MAX_MOMENT_AM2 = 1e3

# Field span (T) above which a table is an M(H) measurement, temperature span (K) for M(T).
_MH_SPAN_T = 0.05
_MT_SPAN_K = 1.0
SKIPPED_KEPT = 100  # skipped line numbers a stored table keeps (the first 99 and the last)
READ_NOTES_KEPT = 5  # reader notes a stored table keeps (the first), with their count


@dataclass(frozen=True)
class TableMetadata:
    """Where a table came from.

    ``instrument``: "MPMS3", "MPMS-XL", "PPMS" or "table" (plain CSV); ``mode``: "VSM", "DC" or
    "" (unknown); ``mass_kg`` from the header (None if not given); ``info``: the header's INFO
    entries, key -> value, as written; ``columns``: which source column gave each SI column;
    ``skipped_lines``: 1-based source lines of rows left out for an empty field or moment cell;
    ``unterminated_line``: the 1-based last line, a data row left out because the file does not
    end with a line end there (``unterminated_note``), or None; ``read_notes``: what the reader
    did to the file that loses no data row (NUL padding left out, a comments row under the units
    skipped: its ``ReadNoteWarning`` texts; a .dat read without its header), each naming the file.
    """

    filename: str
    instrument: str
    mode: str = ""
    sample_name: str = ""
    mass_kg: float | None = None
    title: str = ""
    synthetic: bool = False
    info: Mapping[str, str] = field(default_factory=dict)
    columns: Mapping[str, str] = field(default_factory=dict)
    skipped_lines: tuple[int, ...] = ()
    unterminated_line: int | None = None
    read_notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "info", MappingProxyType(dict(self.info)))
        object.__setattr__(self, "columns", MappingProxyType(dict(self.columns)))
        object.__setattr__(self, "skipped_lines", tuple(int(n) for n in self.skipped_lines))
        object.__setattr__(self, "read_notes", tuple(str(n) for n in self.read_notes))

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (for the store's measurement metadata; of the skipped lines the first
        ``SKIPPED_KEPT`` - 1 and the last, with their count ``skipped_rows``: the raw file is
        stored whole, and a page listing notes must not parse a million line numbers; of the
        reader's notes the first ``READ_NOTES_KEPT``, with their count ``read_notes_count``)."""
        return {
            "filename": self.filename,
            "instrument": self.instrument,
            "mode": self.mode,
            "sample_name": self.sample_name,
            "mass_kg": self.mass_kg,
            "title": self.title,
            "synthetic": self.synthetic,
            "info": dict(self.info),
            "columns": dict(self.columns),
            "skipped_lines": kept_lines(self.skipped_lines),
            "skipped_rows": len(self.skipped_lines),
            "unterminated_line": self.unterminated_line,
            "read_notes": list(self.read_notes[:READ_NOTES_KEPT]),
            "read_notes_count": len(self.read_notes),
        }

    @classmethod
    def from_dict(cls, meta: Mapping[str, Any]) -> TableMetadata:
        """The metadata ``to_dict`` wrote (its kept lines and notes; other keys, as the analyses
        add, ignored); one stored before a field existed (no ``read_notes``) reads its default."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in meta.items() if k in known})


def read_notes_text(meta: Mapping[str, Any]) -> list[str]:
    """A stored table's reader notes (``TableMetadata.to_dict``) for people: those kept, then
    how many more there were; [] for metadata stored before they were kept."""
    notes = [str(n) for n in meta.get("read_notes", [])]
    more = int(meta.get("read_notes_count", len(notes))) - len(notes)
    name = meta.get("filename", "the file")
    return notes + ([f"{name}: {more} more reader note(s) not kept"] if more > 0 else [])


class TruncatedFileWarning(UserWarning):
    """A file's last data row was left out: the file does not end with a line end, the mark of
    a file cut while it was written or copied (its last number may be cut: "1.2345" read as
    "1.2"). A warning, not an error: the other rows are read."""


def unterminated_note(line: int | None) -> str:
    """One line for people about a left-out last line (``TableMetadata.unterminated_line``);
    empty if there is none."""
    if line is None:
        return ""
    return (
        f"left out line {line}, the last: it has no line end, so the file may have been cut "
        "while written or copied and the row's last number cut short (end the file with a line "
        "end to keep the row)"
    )


def unterminated_row(text: str) -> int | None:
    """The 1-based number of ``text``'s last line if it holds something but no line end follows
    it (CR, LF or CRLF, or another end ``str.splitlines`` knows), else None. A line of nothing but
    delimiters (",,,,": a spreadsheet's empty row) holds nothing: no number can be cut there."""
    lines = text.splitlines(keepends=True)
    if not lines or not lines[-1].strip(" \t,;"):
        return None
    last = lines[-1]
    return len(lines) if last.splitlines()[0] == last else None


def kept_lines(lines: Sequence[int]) -> list[int]:
    """The skipped lines a stored table keeps: all up to ``SKIPPED_KEPT``, else the first
    ``SKIPPED_KEPT`` - 1 and the last."""
    lines = [int(n) for n in lines]
    return lines if len(lines) <= SKIPPED_KEPT else [*lines[: SKIPPED_KEPT - 1], lines[-1]]


def skipped_note(lines: Sequence[int], count: int | None = None, shown: int = 6) -> str:
    """One line for people: "skipped 3 rows without a moment or field value (lines 57, 58, 212)".

    Empty if ``lines`` is; more than ``shown`` lines are shortened to the first few and the last.
    ``count``: the rows skipped where ``lines`` holds only some of them (``kept_lines``).
    """
    lines = [int(n) for n in lines]
    if not lines:
        return ""
    count = max(len(lines), count or 0)
    listed = lines if count <= shown else [*lines[: shown - 1], "...", lines[-1]]
    rows = "row" if count == 1 else "rows"
    where = "line" if count == 1 else "lines"
    return (
        f"skipped {count} {rows} without a moment or field value "
        f"({where} {', '.join(map(str, listed))})"
    )


@dataclass(frozen=True, eq=False)
class MeasurementTable:
    """Magnetometer data in SI, one entry per measured point, all arrays of shape ``(n,)``.

    - ``field_T``: applied field as mu0*H in T (``H_A_m`` gives H in A/m)
    - ``moment_Am2``: magnetic moment in A*m^2 (1 emu = 1e-3 A*m^2)
    - ``temperature_K``, ``time_s`` (NaN where the file has none), ``moment_err_Am2`` (NaN if none)
    - ``line``: 1-based line of each point in the source file
    - ``comments``: ``(row, text)`` pairs: a comment-only row of the file, placed before point ``row``
    """

    field_T: np.ndarray
    moment_Am2: np.ndarray
    temperature_K: np.ndarray
    time_s: np.ndarray
    moment_err_Am2: np.ndarray
    line: np.ndarray
    metadata: TableMetadata
    comments: tuple[tuple[int, str], ...] = ()

    def __post_init__(self) -> None:
        n = len(self.field_T)
        for name in ("field_T", "moment_Am2", "temperature_K", "time_s", "moment_err_Am2", "line"):
            arr = np.asarray(getattr(self, name), dtype=int if name == "line" else float)
            if arr.shape != (n,):
                raise ValueError(f"MeasurementTable.{name} has shape {arr.shape}, expected ({n},)")
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        source = {
            "field": "field_T",
            "temperature": "temperature_K",
            "moment": "moment_Am2",
            "moment_err": "moment_err_Am2",
            **self.metadata.columns,
        }
        values = {
            "field": self.field_T / MU0,
            "temperature": self.temperature_K,
            "moment": self.moment_Am2,
            "moment_err": self.moment_err_Am2,  # NaN where the file has none
        }
        check_values(values, source, self.line, self.metadata.filename or "table")
        object.__setattr__(self, "comments", tuple((int(r), str(t)) for r, t in self.comments))

    @classmethod
    def from_arrays(
        cls,
        field_T: Any,
        moment_Am2: Any,
        metadata: TableMetadata,
        *,
        temperature_K: Any = None,
        time_s: Any = None,
        moment_err_Am2: Any = None,
        line: Any = None,
        comments: tuple[tuple[int, str], ...] = (),
    ) -> MeasurementTable:
        """Build a table (SI; pint quantities are converted); optional columns default to NaN and
        ``line`` to 1..n."""
        b = array_in(field_T, "T", "MeasurementTable field_T")
        n = len(b)
        nan = np.full(n, np.nan)

        def opt(x: Any, unit: str, name: str) -> np.ndarray:
            return (
                nan.copy()
                if x is None
                else np.broadcast_to(array_in(x, unit, f"MeasurementTable {name}"), (n,)).copy()
            )

        return cls(
            field_T=b,
            moment_Am2=array_in(moment_Am2, "A*m^2", "MeasurementTable moment_Am2"),
            temperature_K=opt(temperature_K, "K", "temperature_K"),
            time_s=opt(time_s, "s", "time_s"),
            moment_err_Am2=opt(moment_err_Am2, "A*m^2", "moment_err_Am2"),
            line=np.arange(1, n + 1) if line is None else np.asarray(line, dtype=int),
            metadata=metadata,
            comments=comments,
        )

    def __len__(self) -> int:
        return len(self.field_T)

    @property
    def H_A_m(self) -> np.ndarray:
        """Applied magnetic field H in A/m, ``(n,)``."""
        return self.field_T / MU0

    @property
    def kind(self) -> str:
        """ "mh_loop" if the field is swept, "mt_curve" if only the temperature is, else "unknown"."""
        if np.ptp(self.field_T) > _MH_SPAN_T:
            return "mh_loop"
        t = self.temperature_K[np.isfinite(self.temperature_K)]
        if t.size and np.ptp(t) > _MT_SPAN_K:
            return "mt_curve"
        return "unknown"

    def field_span_note(self) -> str:
        """The field span (T) for an error saying the file is not an M(H) loop, with a hint when the
        field column is labelled Oe and the temperature is not swept either, but the field span,
        read as kOe or tesla, would be a sweep (kOe or T labelled Oe)."""
        span = float(np.ptp(self.field_T)) if len(self) else 0.0
        name = self.metadata.columns.get("field", "")
        note = f"field span {span:.3g} T"
        oe = re.search(r"(?<![A-Za-z])Oe\b", name)  # Oe, not kOe
        if self.kind == "unknown" and oe and span * 1e3 > _MH_SPAN_T:  # 1 kOe is 0.1 T
            note += (
                f"; if {name!r} holds tesla, not Oe, the span is {span * 1e4:.3g} T (kOe: "
                f"{span * 1e3:.3g} T): fix its label"
            )
        return note

    def check_time_order(self) -> None:
        """AnalysisError naming the first line whose time (``time_s``, where read) is earlier than
        the row before it: the branches and sweeps follow the rows' order, so rows sorted by field
        (or shuffled) would be read as a different measurement."""
        known = np.flatnonzero(np.isfinite(self.time_s))
        back = np.flatnonzero(np.diff(self.time_s[known]) < 0)
        if back.size:
            i, j = known[back[0]], known[back[0] + 1]
            raise AnalysisError(
                f"{self.metadata.filename}, line {self.line[j]}: time {self.time_s[j]:.6g} s is "
                f"before the {self.time_s[i]:.6g} s of line {self.line[i]} ({back.size} such "
                "steps back): the rows are not in measurement order (sorted by another column?); "
                "the analysis follows the rows' order, so restore it (sort by the time column)"
            )

    def without_repeats(self) -> tuple[MeasurementTable, str]:
        """The table without the rows that repeat an earlier row in every column (field, moment,
        temperature, time, moment error; NaN alike), and a note naming them ("" if none). Rows
        copied twice, or a file pasted after itself, counted each point twice: a loop's Jc error
        bar from its moment error column came out 0.707x. Comment rows keep their place."""
        values = np.column_stack(
            [self.field_T, self.moment_Am2, self.temperature_K, self.time_s, self.moment_err_Am2]
        )
        missing = np.isnan(values)  # NaN compares unequal: compared as "missing" instead
        rows = np.column_stack([np.where(missing, 0.0, values), missing])
        _, first = np.unique(rows, axis=0, return_index=True)
        keep = np.zeros(len(self), bool)
        keep[first] = True
        if keep.all():
            return self, ""
        repeats = np.flatnonzero(~keep)
        lines = ", ".join(str(v) for v in self.line[repeats[:6]])
        one = repeats.size == 1
        note = (
            f"{self.metadata.filename}: {repeats.size} of {len(self)} rows "
            f"{'repeats' if one else 'repeat'} an earlier row in every column "
            f"({'line' if one else 'lines'} {lines}{', ...' if repeats.size > 6 else ''}): each point "
            "is counted once (rows copied twice, or the file pasted after itself?)"
        )
        return self.kept(keep), note

    def kept(self, keep: np.ndarray) -> MeasurementTable:
        """Rows where the boolean mask ``keep`` is True, comment rows in their place."""
        before = np.concatenate([[0], np.cumsum(keep)])  # kept rows before each row
        comments = tuple((int(before[min(r, len(self))]), text) for r, text in self.comments)
        return replace(self.subset(keep), comments=comments)

    def subset(self, index: Any) -> MeasurementTable:
        """Rows ``index`` (a slice, boolean mask or integer array) as a new table (no comments)."""
        return MeasurementTable(
            field_T=self.field_T[index],
            moment_Am2=self.moment_Am2[index],
            temperature_K=self.temperature_K[index],
            time_s=self.time_s[index],
            moment_err_Am2=self.moment_err_Am2[index],
            line=self.line[index],
            metadata=self.metadata,
        )

    def to_frame(self):  # -> pandas.DataFrame
        """The columns as a pandas DataFrame (SI, names with units)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "line": self.line,
                "time_s": self.time_s,
                "temperature_K": self.temperature_K,
                "field_T": self.field_T,
                "H_A_m": self.H_A_m,
                "moment_Am2": self.moment_Am2,
                "moment_err_Am2": self.moment_err_Am2,
            }
        )

    def __repr__(self) -> str:
        m = self.metadata
        t = self.temperature_K[np.isfinite(self.temperature_K)]
        trange = f"{t.min():.4g}..{t.max():.4g} K" if t.size else "no temperature"
        b = self.field_T
        brange = f"{b.min():.4g}..{b.max():.4g} T" if len(b) else "empty"
        mode = f" {m.mode}" if m.mode else ""
        return (
            f"<MeasurementTable {m.filename!r}: {m.instrument}{mode} {self.kind}, {len(self)} points, "
            f"sample {m.sample_name or '?'!r}, field {brange}, {trange}"
            f"{', synthetic' if m.synthetic else ''}>"
        )


def check_table(table: Any, where: str) -> None:
    """Refuse a ``table`` that is not a ``MeasurementTable`` (a file's path: "'str' object has no
    attribute 'without_repeats'"), naming ``where`` it was given and how to read a file."""
    if not isinstance(table, MeasurementTable):
        hint = f": read it first, read({table!r})" if isinstance(table, str | os.PathLike) else ""
        raise ValidationError(
            f"{where}: table is a {type(table).__name__}, not a MeasurementTable{hint} "
            "(fluxtrap.magnetometry.read)"
        )


def check_values(
    values: Mapping[str, np.ndarray], names: Mapping[str, str], lines: Sequence[int], filename: str
) -> None:
    """Refuse SI ``values`` (quantity -> array) no magnetometer gives, naming the first bad cell.

    ``names``: the source column of each quantity. |mu0 H| above ``MAX_FIELD_T`` is a field
    column in the wrong unit (Oe labelled T), a temperature below 0 K one in degC labelled K,
    one above ``MAX_TEMPERATURE_K`` one in mK labelled K, |m| or its error above
    ``MAX_MOMENT_AM2`` another quantity or unit, a negative error the moment's column.
    """

    def refuse(quantity: str, bad: np.ndarray, why: Callable[[int, int], str]) -> None:
        """Raise naming the first row of the mask ``bad``, and what ``why(row, count)`` says."""
        rows = np.flatnonzero(bad)
        if rows.size:
            k = int(rows[0])
            raise InputFileError(
                f"{filename}, line {lines[k]}, column {names[quantity]!r}: {why(k, rows.size)}"
            )

    if "temperature" in values:
        t = values["temperature"]
        refuse(
            "temperature",
            t < 0,
            lambda k, n: (
                f"{t[k]:.4g} K is below absolute zero ({n} of {t.size} rows, down to "
                f"{np.nanmin(t):.4g} K): is the column in degC but labelled K?"
            ),
        )
        refuse(
            "temperature",
            t > MAX_TEMPERATURE_K,
            lambda k, n: (
                f"{t[k]:.4g} K is above {MAX_TEMPERATURE_K:g} K, hotter than any "
                f"magnetometer's oven ({n} of {t.size} rows, up to {np.nanmax(t):.4g} K): is the "
                "column in mK but labelled K?"
            ),
        )
    if "moment" in values:
        m = np.abs(values["moment"])
        refuse(
            "moment",
            m > MAX_MOMENT_AM2,
            lambda k, n: (
                f"|m| = {m[k]:.4g} A m^2 ({m[k] * 1e3:.4g} emu) is beyond "
                f"{MAX_MOMENT_AM2:g} A m^2, far more than any magnetometer reads ({n} of {m.size} "
                "rows): another quantity or unit?"
            ),
        )
    if "moment_err" in values:  # 1e300 emu overflowed Jc's error to NaN and was dropped
        e = np.abs(values["moment_err"])
        refuse(
            "moment_err",
            e > MAX_MOMENT_AM2,
            lambda k, n: (
                f"a moment error of {e[k]:.4g} A m^2 ({e[k] * 1e3:.4g} emu) is beyond "
                f"{MAX_MOMENT_AM2:g} A m^2, far more than any magnetometer reads ({n} of {e.size} "
                "rows): another quantity or unit?"
            ),
        )
        # a standard error is >= 0: the moment's column and its error's swapped (or the error
        # mapped to the moment) had been refused as 'no irreversible magnetization', the loop's
        # moments taken as its error bars
        refuse(
            "moment_err",
            values["moment_err"] < 0,
            lambda k, n: (
                f"a moment error of {values['moment_err'][k] * 1e3:.4g} emu is negative ({n} of "
                f"{e.size} rows), as no standard error is: does this column hold the moment (the "
                f"moment's and its error's columns swapped, or mapped to the wrong ones)?"
            ),
        )
    if "field" in values:
        b = np.abs(values["field"]) * MU0
        refuse(
            "field",
            b > MAX_FIELD_T,
            lambda k, n: (
                f"|mu0 H| = {b[k]:.4g} T is beyond {MAX_FIELD_T:g} T, more than any "
                f"laboratory magnet ({n} of {b.size} rows, up to {b.max():.4g} T): "
                + field_unit_hint(float(b.max()), MAX_FIELD_T, names["field"])
            ),
        )


def robust_sigma(x: np.ndarray, about: float | None = None) -> float:
    """Robust 1-sigma of ``x`` (its unit): 1.4826 x its median absolute deviation from its median,
    or from ``about`` (0 for residuals and differences that scatter about 0 by construction), as
    ``scipy.stats.median_abs_deviation(x, center=..., scale="normal")`` (by hand: importing
    scipy.stats costs every command about 0.8 s). NaN for an empty ``x``."""
    if not np.size(x):
        return float("nan")
    centre = np.median(x) if about is None else about
    return float(1.482602218505602 * np.median(np.abs(x - centre)))
