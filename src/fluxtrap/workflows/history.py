"""A campaign's progress: the best value so far of each objective, over all samples and per loop
(origin), as ``GET /api/campaigns/{name}/best`` and the dashboard show it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fluxtrap.campaign import CampaignSpec, running_best

ORIGINS = ("researcher", "optimizer")


def best_so_far(
    spec: CampaignSpec, history: pd.DataFrame
) -> dict[str, dict[str, list[float | None]]]:
    """Best value of each objective after each sample, over all samples and per loop (origin).

    ``history`` is ``Store.history``'s frame. Returns ``{objective: {"all" | origin: [best after
    sample 1..n or None]}}`` in SI, so the two loops' progress can be laid over each other on one
    sample axis."""
    out: dict[str, dict[str, list[float | None]]] = {}
    for o in spec.objectives:
        values = history[o.name].to_numpy(dtype=float) if len(history) else np.array([])
        groups = {"all": np.ones(len(values), bool)}
        groups |= {origin: (history["origin"] == origin).to_numpy() for origin in ORIGINS}
        out[o.name] = {
            group: [
                None if np.isnan(v) else float(v)
                for v in running_best(np.where(mask, values, np.nan), o.maximize)
            ]
            for group, mask in groups.items()
        }
    return out
