"""The data-driven loop on a store: history -> optimizer -> suggestions recorded as ``open``.

The CLI (``fluxtrap suggest``), the web API and the demo call :func:`suggest`; the dashboard,
``fluxtrap plot model``, the demo and its report fit :func:`campaign_optimizer`. What counts as data and
what as pending:
- a sample with every objective measured is an observation;
- a sample not (fully) measured yet, and every ``open`` suggestion, is a pending point: it is never
  suggested again and the batch acquisition conditions on it.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict

import numpy as np
import pandas as pd

from fluxtrap.campaign import CampaignSpec
from fluxtrap.errors import ValidationError
from fluxtrap.optimize.optimizer import Optimizer
from fluxtrap.optimize.space import SearchSpace
from fluxtrap.store import Store, SuggestionRecord


def campaign_optimizer(
    spec: CampaignSpec,
    history: pd.DataFrame,
    open_suggestions: list[dict] | None = None,
    seed: int = 0,
    **options,
) -> tuple[Optimizer, pd.DataFrame]:
    """An optimizer told a campaign's measured history, and the pending points (``k x d``).

    ``history`` has the columns of ``Store.history`` (parameters, objectives with NaN where not
    measured); ``open_suggestions`` are parameter dicts. ``options`` go to :class:`Optimizer`.
    """
    if not spec.objectives:
        raise ValidationError(f"campaign {spec.name!r} has no objectives: nothing to optimise")
    names, objectives = spec.parameter_names, spec.objective_names
    opt = Optimizer(
        SearchSpace.from_campaign(spec),
        seed=seed,
        objectives=objectives,
        maximize=[o.maximize for o in spec.objectives],
        **options,
    )
    measured = (
        history[objectives].notna().all(axis=1).to_numpy() if len(history) else np.array([], bool)
    )
    if measured.any():
        opt.tell(
            history.loc[measured, names].astype(float),
            history.loc[measured, objectives].astype(float),
        )
    pending = pd.concat(
        [
            history.loc[~measured, names].astype(float),
            pd.DataFrame(list(open_suggestions or []), columns=names, dtype=float),
        ],
        ignore_index=True,
    )
    return opt, pending


def suggest(
    store: Store, campaign: str, n: int = 1, seed: int = 0, created_by: str | None = None, **options
) -> list[SuggestionRecord]:
    """Fit the campaign's history, ask for ``n`` suggestions and record them as ``open``.

    Runs under the campaign's lock so two concurrent asks see each other's suggestions as
    pending. The model summary (or ``{"n": ..., "model": "Sobol design"}`` before 2 measured
    samples) and ``seed`` are stored with each suggestion.
    """
    with store.locked_campaign(campaign):
        spec = store.campaign(campaign)
        history = store.history(campaign)
        open_ = [s.params for s in store.suggestions(campaign, status="open")]
        opt, pending = campaign_optimizer(spec, history, open_, seed=seed, **options)
        batch = opt.ask(n, pending=pending if len(pending) else None)
        summary = opt.model_summary()
        if len(opt.X) < 2:
            summary["model"] = "Sobol design (fewer than 2 measured samples)"
        summary["acquisition_function"] = batch.attrs["acquisition_function"]
        params = [
            {k: float(v) for k, v in row.items()}
            for row in batch[spec.parameter_names].to_dict("records")
        ]
        values = [None if not np.isfinite(a) else float(a) for a in batch["acquisition"]]
        return store.add_suggestions(campaign, params, values, summary, seed, created_by=created_by)


# the last few fitted optimizers, by campaign and data (a fit takes seconds; page views repeat)
_FITTED: OrderedDict[str, Optimizer] = OrderedDict()
FITTED_KEPT = 8
MODEL_LOCK = threading.Lock()  # hold it to fit, predict or evaluate a kept optimizer: one at a time


def fitted_optimizer(
    spec: CampaignSpec, history: pd.DataFrame, open_params: list[dict[str, float]]
) -> tuple[Optimizer, pd.DataFrame]:
    """:func:`campaign_optimizer` of the history and its pending points (unmeasured samples and
    open suggestions, ``k x d``), the optimizer kept for the same campaign and data (the last
    ``FITTED_KEPT``), so the dashboard's page views do not refit. Call under ``MODEL_LOCK``."""
    fresh, pending = campaign_optimizer(spec, history, open_params)  # cheap: fits on first use
    key = (
        json.dumps(spec.to_dict(), sort_keys=True)
        + history[spec.parameter_names + spec.objective_names].to_json()
    )
    opt = _FITTED.pop(key, fresh)
    _FITTED[key] = opt
    while len(_FITTED) > FITTED_KEPT:
        _FITTED.popitem(last=False)
    return opt, pending
