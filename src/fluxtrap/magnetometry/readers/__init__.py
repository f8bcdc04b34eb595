"""Readers: one small module per file format, chosen by ``guess_can_open`` (like xarray backends).

A reader module has ``name``, ``guess_can_open(filename, head: bytes) -> bool`` and
``read(content: bytes, filename, columns) -> MeasurementTable``. A new instrument is one new
module added to ``READERS``; the first that says it can open a file reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from fluxtrap.errors import InputFileError
from fluxtrap.magnetometry.readers import csv_table, qd_dat
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
    """
    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        content = bytes(path_or_bytes)
        filename = filename or "<bytes>"
    else:
        path = Path(path_or_bytes)
        filename = filename or path.name
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            raise InputFileError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise InputFileError(f"{path}: is a directory, expected a data file") from None
    if not content.strip():
        raise InputFileError(f"{filename}: the file is empty")
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
