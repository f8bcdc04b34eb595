"""Readers: one small module per file format, chosen by ``guess_can_open`` (like xarray backends).

A reader module has ``name``, ``guess_can_open(filename, head: bytes) -> bool`` and
``read(content: bytes, filename, columns) -> MeasurementTable``. A new instrument is one new
module added to ``READERS``; the first that says it can open a file reads it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from fluxtrap.errors import InputFileError, ValidationError
from fluxtrap.magnetometry.readers import csv_table, qd_dat
from fluxtrap.magnetometry.readers._columns import check_size, check_text, read_limited
from fluxtrap.magnetometry.table import MeasurementTable

READERS = (qd_dat, csv_table)


def read(
    path_or_bytes: str | Path | bytes,
    *,
    filename: str | None = None,
    columns: Mapping[str, str] | None = None,
    engine: str | None = None,
) -> MeasurementTable:
    """Read a magnetometer file (a path, or its raw bytes as the store keeps them) into SI.

    ``filename`` names the file in errors and metadata (defaults to the path's name);
    ``columns`` maps quantities (field, moment, moment_err, temperature, time) to source column
    names; ``engine`` forces a reader by name ("qd_dat", "csv_table") instead of guessing.
    More than 64 MiB, a line over 131 072 characters (on the raw bytes) or 1e6 data rows is
    refused before parsing (``_columns.check_size``), and so is binary data
    (``_columns.check_text``: a gzip file renamed .dat).
    """
    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        content = bytes(path_or_bytes)
        filename = filename or "<bytes>"
        check_size(content, filename)
    elif isinstance(path_or_bytes, str | os.PathLike):
        path = Path(path_or_bytes)
        filename = filename or path.name
        content = read_limited(path)
    else:  # a table or a number: "expected str, bytes or os.PathLike object, not int"
        raise ValidationError(
            "read: path_or_bytes must be a file's path (str or Path) or its bytes, got "
            f"{type(path_or_bytes).__name__}"
        )
    if not content.strip():
        raise InputFileError(f"{filename}: the file is empty")
    check_text(content, filename)
    if engine is not None:
        for reader in READERS:
            if reader.name == engine:
                return reader.read(content, filename, columns)
        raise InputFileError(
            f"unknown reader {engine!r}; known: {', '.join(r.name for r in READERS)}"
        )
    head = content[:4096]
    for reader in READERS:
        if reader.guess_can_open(filename, head):
            return reader.read(content, filename, columns)
    raise InputFileError(
        f"{filename}: not a format fluxtrap reads (a Quantum Design .dat file starting with "
        "'[Header]', or a CSV/TSV table with a header row of column names)"
    )


__all__ = ["READERS", "read"]
