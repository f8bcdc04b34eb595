"""``DIR/cache`` of a sweep: one JSON record and one probes.csv per simulated variant, by case key."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from fluxtrap.outputs import replacing_text
from fluxtrap.workflows.sweep.grammar import Value


class Cache:
    """``DIR/cache``: ``<key>.json`` per simulated variant and ``<key>-probes.csv`` traces."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            return json.loads((self.folder / f"{key}.json").read_text())
        except FileNotFoundError:
            return None
        except json.JSONDecodeError:  # a write cut short: compute it again
            return None

    def put(self, key: str, record: dict[str, Any], params: Mapping[str, Value]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        record = dict(record)
        # each file whole or not at all (a rename), the traces before the entry that points to
        # them: a reader, or a second sweep into the same folder, never sees half of either
        if traces := record.pop("probes_csv", None):
            replacing_text(self.folder / f"{key}-probes.csv", traces)
        record["params"] = {k: str(v) for k, v in params.items()}
        replacing_text(self.folder / f"{key}.json", json.dumps(record, indent=1, default=_plain))


def _plain(x: Any) -> Any:
    """numpy scalars as Python numbers for JSON; anything else as its text."""
    return x.item() if isinstance(x, np.generic) else str(x)
