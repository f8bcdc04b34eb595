"""``DIR/cache`` of a sweep: one JSON record and one probes.csv (and a heat run's heat.csv) per
simulated variant, by case key."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any

import numpy as np

from fluxtrap.errors import FluxtrapError
from fluxtrap.outputs import replacing_text
from fluxtrap.workflows.sweep.grammar import Value

# the hidden name outputs.replacing writes a file to before renaming it over the file
PARTIAL = re.compile(r"\.(.+\.|fluxtrap-)[0-9a-f]{8}\.partial")
BORE_COLUMNS = ("centre_T", "homogeneity_ppm", "drift_ppm_per_h")  # of summary.json's bore
# their estimated errors, of summary.json's accuracy.bore (T, ppm, ppm/h; None: not finite)
BORE_ERRORS = ("centre_error_T", "homogeneity_error_ppm", "drift_error_ppm_per_h")


class Cache:
    """``DIR/cache``: ``<key>.json`` per simulated variant, ``<key>-probes.csv`` traces and a
    heat run's ``<key>-heat.csv``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def check_writable(self) -> None:
        """Make the folder and write (then remove) a file in it, or raise a ``FluxtrapError``
        naming it: before any run, as a sweep keeps each result only here (a file where the
        folder should be was a NotADirectoryError traceback; an unwritable one failed at the first
        finished variant, losing it)."""
        probe = self.folder / ".fluxtrap-write-test"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            replacing_text(probe, "")
            probe.unlink()
        except (OSError, FluxtrapError) as err:
            why = err.strerror or err if isinstance(err, OSError) else err
            if self.folder.exists() and not self.folder.is_dir():
                why = "it is a file, not a folder"
            raise FluxtrapError(
                f"{self.folder}: the sweep's cache cannot be written there ({why}); each "
                "variant's result is kept in it: free the folder or give another --out"
            ) from None

    def remove_partials(self) -> None:
        """Remove the hidden ``.NAME.<8 hex>.partial`` files (``outputs.replacing``) that a run
        killed mid-write (``kill -9``, a power cut) left in the folder: they were never removed,
        one per entry being written. Only while the sweep's folder is claimed
        (``outputs.claimed``): no live run then writes here."""
        for path in self.folder.glob(".*.partial"):
            if PARTIAL.fullmatch(path.name) and path.is_file() and not path.is_symlink():
                with suppress(OSError):
                    path.unlink()

    def get(self, key: str) -> dict[str, Any] | None:
        """The record of ``key``, or None to compute it (again): none, or one that is not whole
        (a damaged or hand-edited file: ``[]`` was an AttributeError, a probe value "x" a
        ValueError in the plot, ``{"status": "done"}`` a done row without values, and a done
        record without its traces a FileNotFoundError in calibrate; one whose heat.csv is gone);
        or one that names another key (an entry copied or renamed to this key was trusted as
        this variant's result; one written before entries named their key is computed again)."""
        try:
            record = json.loads((self.folder / f"{key}.json").read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):  # none, or unreadable
            return None
        if (
            not _whole(record)
            or record.get("key") != key
            or (
                record["status"] == "done"
                and not all(_traces(self.folder / f"{key}-{f}.csv") for f in _files(record))
            )
        ):
            return None
        return record

    def put(self, key: str, record: dict[str, Any], params: Mapping[str, Value]) -> None:
        """Keep ``record`` as ``key``'s entry; a ``FluxtrapError`` naming the file if it cannot
        be written (a file is left as it was)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise FluxtrapError(
                f"{self.folder}: cannot write in it ({err.strerror or err})"
            ) from None
        record = dict(record)
        # each file whole or not at all (a rename), the traces before the entry that points to
        # them: a reader, or a second sweep into the same folder, never sees half of either
        if traces := record.pop("probes_csv", None):
            replacing_text(self.folder / f"{key}-probes.csv", traces)
        if heat := record.pop("heat_csv", None):
            replacing_text(self.folder / f"{key}-heat.csv", heat)
            record["heat"] = True
        record["key"] = key  # get trusts the entry only under its own key
        record["params"] = {k: str(v) for k, v in params.items()}
        replacing_text(self.folder / f"{key}.json", json.dumps(record, indent=1, default=_plain))

    def heat_csv(self, key: str) -> bytes:
        """heat.csv of the heat run ``key`` (b"" without a heat model, or none kept)."""
        path = self.folder / f"{key}-heat.csv"
        return path.read_bytes() if path.is_file() else b""


def _traces(path: Path) -> bool:
    """Whether ``path`` is a CSV of traces: a header and a row at least (an empty one, as a
    crash after the rename can leave without the data, was trusted: calibrate then read no
    trace at all)."""
    try:
        with path.open("rb") as f:
            return len(f.read(1 << 16).splitlines()) >= 2
    except OSError:
        return False


def _files(record: dict[str, Any]) -> tuple[str, ...]:
    """The files beside a done record: its traces, and heat.csv if it says it has one."""
    return ("probes", "heat") if record.get("heat") is True else ("probes",)


def _plain(x: Any) -> Any:
    """numpy scalars as Python numbers for JSON; anything else as its text."""
    return x.item() if isinstance(x, np.generic) else str(x)


def _whole(record: Any) -> bool:
    """A record as ``run_case`` returns it: failed with its error text, or done with numbers
    (or null) where the results table and its plots read them: each probe's values, the
    accuracy's target and estimate, the bore's columns, z2, z4, z6 terms and their errors."""
    if not isinstance(record, dict) or not isinstance(record.get("error", ""), str):
        return False
    if record.get("status") == "failed":
        return True
    summary = record.get("summary")
    if record.get("status") != "done" or not isinstance(summary, dict):
        return False
    probes = summary.get("probes")
    accuracy = summary.get("accuracy") or {}
    bore = summary.get("bore")
    if not isinstance(probes, dict) or not isinstance(accuracy, dict):
        return False
    numbers = [v for p in probes.values() for v in (p.values() if isinstance(p, dict) else [p])]
    numbers += [accuracy.get("target"), accuracy.get("estimate")]
    errors = accuracy.get("bore") or {}  # none in a record of a sweep before they were kept
    if not isinstance(errors, dict):
        return False
    numbers += [errors.get(k) for k in BORE_ERRORS]
    if bore is not None:
        try:
            numbers += [bore[k] for k in BORE_COLUMNS]
            numbers += [bore["axial_coefficients"][z]["ppm_at_dsv"] for z in ("z2", "z4", "z6")]
        except (KeyError, TypeError):
            return False
    return all(
        x is None or (isinstance(x, int | float) and not isinstance(x, bool)) for x in numbers
    )
