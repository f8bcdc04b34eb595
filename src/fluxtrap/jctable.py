"""Jc(B) tables, shared by the magnetometry (``JcCurve``) and the simulator (``TableJc``): the one
interpolation rule and the one reader and writer of ``B_T,Jc_A_cm2`` files (design section 3)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np

from fluxtrap.errors import InputFileError
from fluxtrap.units import A_CM2

HEADER = ("B_T", "Jc_A_cm2")


def log_interp(field_T: Any, table_field_T: Any, table_jc_A_m2: Any) -> np.ndarray:
    """Jc in A/m^2 at ``|field_T|`` (any shape): linear in B, linear in log Jc (measured curves
    fall over decades), the end values held outside the table (increasing ``table_field_T``)."""
    b = np.abs(np.asarray(field_T, dtype=float))
    return np.exp(np.interp(b, table_field_T, np.log(table_jc_A_m2)))


def read_jc_csv(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """The rows of a ``B_T,Jc_A_cm2`` file as they stand: fields (T) and Jc (A/m^2), ``(n,)``.

    The header names the columns (others are ignored); ``#`` lines and blank lines are skipped.
    InputFileError names the file and line: missing file, no such header, a cell that is not a
    number."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such Jc table") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputFileError(f"{path}: cannot read the Jc table ({err})") from None
    rows = [
        (n, r)
        for n, r in enumerate(csv.reader(io.StringIO(text)), start=1)
        if r and any(c.strip() for c in r) and not r[0].lstrip().startswith("#")
    ]
    header = [c.strip() for c in rows[0][1]] if rows else []
    if not set(HEADER) <= set(header):
        raise InputFileError(f"{path}, line 1: expected the header 'B_T,Jc_A_cm2'")
    ib, ij = header.index("B_T"), header.index("Jc_A_cm2")
    b, j = [], []
    for n, row in rows[1:]:
        try:
            b.append(float(row[ib]))
            j.append(float(row[ij]))
        except (ValueError, IndexError):
            raise InputFileError(
                f"{path}, line {n}: expected two numbers B_T,Jc_A_cm2, got {row}"
            ) from None
    return np.array(b), np.array(j) * A_CM2


def jc_csv_text(field_T: Any, jc_A_m2: Any) -> str:
    """A ``B_T,Jc_A_cm2`` file's text (6 significant digits)."""
    jc_A_cm2 = np.asarray(jc_A_m2, dtype=float) / A_CM2
    lines = [",".join(HEADER)] + [
        f"{b:.6g},{j:.6g}" for b, j in zip(np.asarray(field_T, float), jc_A_cm2, strict=True)
    ]
    return "\n".join(lines) + "\n"
