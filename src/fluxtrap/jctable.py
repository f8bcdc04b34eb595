"""Jc(B) tables, shared by the magnetometry (``JcCurve``) and the simulator (``TableJc``): the one
table type (``JcTable``: its checks and its interpolation rule) and the one reader and writer of
``B_T,Jc_A_cm2`` files (design section 3)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fluxtrap.errors import InputFileError, ValidationError
from fluxtrap.inputs import read_text
from fluxtrap.units import A_CM2, array_in

HEADER = ("B_T", "Jc_A_cm2")  # contract: these two columns, first
OPTIONAL = ("Jc_err_A_cm2", "unpenetrated")  # written by ``fluxtrap jc --out`` after them
# The lowest largest Jc (A/m^2) of a bulk superconductor: 100 A/cm^2. Below it a unit mistake is
# likely (A/cm^2 and A/m^2 swapped: 1e4; sample edges in cm for mm: 1e4; a moment in A*m^2
# labelled emu: 1e3). The one bound of the magnetometry's warning (``bean``), the simulator's
# (``simulate.materials.JC_PLAUSIBLE``) and the campaign's Jc error floor (``campaign.ERROR_FLOOR``).
JC_BULK_MIN = 1e6


def log_interp(field_T: Any, table_field_T: Any, table_jc_A_m2: Any) -> np.ndarray:
    """Jc in A/m^2 at ``|field_T|`` (any shape): linear in B, linear in log Jc (measured curves
    fall over decades), the end values held outside the table (increasing ``table_field_T``)."""
    b = np.abs(np.asarray(field_T, dtype=float))
    return np.exp(np.interp(b, table_field_T, np.log(table_jc_A_m2)))


@dataclass(frozen=True, eq=False)
class JcTable:
    """Jc(B) at tabulated fields, checked once: ``field_T`` (k,) in T, >= 0 and strictly
    increasing; ``jc_A_m2`` (k,) in A/m^2, > 0; both finite, k >= 1, kept as read-only copies.
    Pint quantities are converted (``units.array_in``); a field column in Oe, kOe or A/m, the H
    a magnetometer reports, is read as mu0 H (1 Oe -> 1e-4 T, 1 A/m -> 4 pi 1e-7 T).
    ``at`` is ``log_interp``. ``JcCurve`` and the simulator's ``TableJc`` both wrap one; the
    ValidationError messages name no owner (the wrapper adds where)."""

    field_T: np.ndarray
    jc_A_m2: np.ndarray

    def __post_init__(self) -> None:
        b = np.array(array_in(self.field_T, "T", "field_T", h_field=True)).ravel()
        j = np.array(array_in(self.jc_A_m2, "A/m^2", "jc_A_m2")).ravel()
        if b.shape != j.shape or b.size < 1:
            raise ValidationError(
                f"fields and Jc values need the same number (>= 1), got {b.size} and {j.size}"
            )
        if not (np.isfinite(b).all() and np.isfinite(j).all()):
            raise ValidationError("fields and Jc values must be finite")
        if np.any(b < 0):
            k = int(np.argmax(b < 0))
            raise ValidationError(
                f"fields must be >= 0 and strictly increasing: field[{k}] = {b[k]:g} T (|B| is "
                "used: give each field once, from 0 up)"
            )
        if np.any(np.diff(b) <= 0):  # name the row: a 50-row table said only this
            k = int(np.argmax(np.diff(b) <= 0)) + 1
            why = "a repeated row?" if b[k] == b[k - 1] else "out of order?"
            raise ValidationError(
                f"fields must be >= 0 and strictly increasing: field[{k}] = {b[k]:g} T after "
                f"field[{k - 1}] = {b[k - 1]:g} T ({why})"
            )
        if np.any(j <= 0):
            raise ValidationError(
                f"every Jc must be > 0 (min {j.min():.3g} at {b[np.argmin(j)]:.3g} T)"
            )
        for values in (b, j):
            values.setflags(write=False)
        object.__setattr__(self, "field_T", b)
        object.__setattr__(self, "jc_A_m2", j)

    def at(self, field_T: Any) -> np.ndarray:
        """Jc in A/m^2 at ``|field_T|`` (any shape), by ``log_interp``: ends held."""
        return log_interp(field_T, self.field_T, self.jc_A_m2)


def read_jc_columns(path: str | Path) -> dict[str, np.ndarray]:
    """The columns of a ``B_T,Jc_A_cm2[,Jc_err_A_cm2][,unpenetrated]`` file, in SI: ``B_T``,
    ``Jc_A_m2``, and when present ``Jc_err_A_m2`` (NaN for an empty cell) and ``unpenetrated``
    (bool), each ``(n,)``; ``line``: each row's line in the file.

    The header names the columns (others are ignored); ``#`` lines and blank lines are skipped.
    InputFileError names the file and line: missing file, not a regular file of at most 4 MiB
    (``inputs.read_text``), no such header, a cell that is not a number."""
    path = Path(path)
    text = read_text(path, "Jc table").removeprefix("\ufeff")  # a spreadsheet's "UTF-8 with BOM"
    rows = [
        (n, r)
        for n, r in enumerate(csv.reader(io.StringIO(text)), start=1)
        if r and any(c.strip() for c in r) and not r[0].lstrip().startswith("#")
    ]
    header = [c.strip() for c in rows[0][1]] if rows else []
    if not set(HEADER) <= set(header):
        got = ",".join(header)
        raise InputFileError(
            f"{path}, line {rows[0][0] if rows else 1}: expected the header 'B_T,Jc_A_cm2' (fields in "
            f"T, Jc in A/cm^2), got {got[:80]!r}"
        )
    names = [c for c in (*HEADER, *OPTIONAL) if c in header]
    where = {c: header.index(c) for c in names}
    values: dict[str, list[float]] = {c: [] for c in names}
    for n, row in rows[1:]:
        try:
            for c in names:
                cell = row[where[c]].strip() if where[c] < len(row) else ""
                if not cell and c in OPTIONAL:
                    values[c].append(np.nan)  # unknown stays unknown
                else:
                    values[c].append(float(cell))
        except (ValueError, IndexError):
            raise InputFileError(
                f"{path}, line {n}: expected numbers for {','.join(names)}, got {row}"
            ) from None
    out = {"B_T": np.array(values["B_T"]), "Jc_A_m2": np.array(values["Jc_A_cm2"]) * A_CM2}
    out["line"] = np.array([n for n, _ in rows[1:]], dtype=int)
    if "Jc_err_A_cm2" in values:
        out["Jc_err_A_m2"] = np.array(values["Jc_err_A_cm2"]) * A_CM2
    if "unpenetrated" in values:
        out["unpenetrated"] = np.nan_to_num(np.array(values["unpenetrated"])) > 0.5
    return out


def read_jc_csv(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """The rows of a ``B_T,Jc_A_cm2`` file as they stand: fields (T) and Jc (A/m^2), ``(n,)``
    (see ``read_jc_columns`` for the optional columns)."""
    columns = read_jc_columns(path)
    return columns["B_T"], columns["Jc_A_m2"]


def jc_csv_text(
    field_T: Any, jc_A_m2: Any, jc_err_A_m2: Any = None, unpenetrated: Any = None
) -> str:
    """A ``B_T,Jc_A_cm2`` file's text (6 significant digits); with ``jc_err_A_m2`` (NaN: an empty
    cell) and ``unpenetrated`` also the columns ``Jc_err_A_cm2`` and ``unpenetrated`` (0/1) after
    them."""
    b = np.asarray(field_T, float)
    columns = [b, np.asarray(jc_A_m2, dtype=float) / A_CM2]
    names = list(HEADER)
    if jc_err_A_m2 is not None and unpenetrated is not None:
        columns += [np.asarray(jc_err_A_m2, float) / A_CM2, np.asarray(unpenetrated, float)]
        names += list(OPTIONAL)

    def cell(v: float, name: str) -> str:
        if name == "unpenetrated":
            return str(int(v))
        return f"{v:.6g}" if np.isfinite(v) else ""

    lines = [",".join(names)] + [
        ",".join(cell(v, name) for v, name in zip(row, names, strict=True))
        for row in zip(*columns, strict=True)
    ]
    return "\n".join(lines) + "\n"
