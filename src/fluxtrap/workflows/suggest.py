"""The data-driven loop on a store: history -> optimizer -> suggestions recorded as ``open``.

The CLI (``fluxtrap suggest``), the web API and the demo call :func:`suggest`; the dashboard,
``fluxtrap plot model``, the demo and its report fit :func:`campaign_optimizer`. What counts as data and
what as pending:
- a sample with an objective measured is an observation: with some of several measured, each
  objective's GP is told the samples that hold it (``Optimizer``'s ``ModelListGP``), and a note
  names the sample and what it still lacks;
- a sample not measured yet, and every ``open`` suggestion, is a pending point: it is never
  suggested again and the batch acquisition conditions on it;
- a failed sample, and a discarded, abandoned or failed suggestion, is neither: its point is free;
- an objective's stated 1-sigma (``samples.objective_errors``) is told with its value: known noise;
- a 0 of a maximised ``log = true`` objective (nothing measurable) is modelled at a floor below
  its smallest value above 0 (``Optimizer.floor``), a note naming the samples; of a minimised one
  it is a ValidationError naming the samples and how to record a value instead (at the floor it
  would rank the best);
- a sample recorded beyond a bound (``sample add --outside-space``) is neither, with a warning:
  the model's inputs are the space's box; one off a step grid inside the bounds (the furnace ran
  at 601 degC on a 5 degC grid) or breaking only a linear constraint is data like any other
  (measured there, it informs the model; only suggestions must be settable and keep to the
  constraints).
"""

from __future__ import annotations

import json
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import pandas as pd

from fluxtrap.campaign import CampaignSpec, live_rows, outside_rows
from fluxtrap.errors import ValidationError
from fluxtrap.optimize.optimizer import MAX_PENDING, Optimizer
from fluxtrap.optimize.space import Categorical, SearchSpace
from fluxtrap.outputs import jsonable
from fluxtrap.store import Store, SuggestionRecord


def campaign_optimizer(
    spec: CampaignSpec,
    history: pd.DataFrame,
    open_suggestions: list[dict] | None = None,
    seed: int = 0,
    **options,
) -> tuple[Optimizer, pd.DataFrame]:
    """An optimizer told a campaign's measured history, and the pending points (``k x d``).

    ``history`` has the columns of ``Store.history`` (status, parameters, objectives with NaN
    where not measured, and optionally ``objective_errors``: a dict per row of stated 1-sigma,
    in the objectives' units, told with the values); ``open_suggestions`` are parameter dicts. The space holds the free
    parameters (fixed ones left out) and the linear constraints; objectives with goal
    ``constraint`` and the bounds of ``[[constraints]]`` on outcomes become outcome constraints.
    ``options`` go to :class:`Optimizer`; its ``budget`` defaults to the campaign's. More than
    the optimizer's ``MAX_PENDING`` pending points is a ValidationError naming both counts,
    before any fit (the limit ``ask`` and ``model_slices`` apply)."""
    goals = spec.optimised_objectives
    if not goals:
        raise ValidationError(
            f"campaign {spec.name!r} has no objective to maximize or minimize: nothing to optimise"
        )
    space = SearchSpace.from_campaign(spec)
    if options.get("budget") is None:
        options["budget"] = spec.budget
    opt = Optimizer(
        space,
        seed=seed,
        objectives=[o.name for o in goals],
        maximize=[o.maximize for o in goals],
        outcome_constraints=spec.outcome_bounds,
        shown={o.name: o for o in spec.objectives},
        **options,
    )
    outcomes = opt.outcomes
    outside = outside_rows(spec, history)
    for note in campaign_notes(spec, history, outside):  # suggest stores them too
        warnings.warn(note, stacklevel=2)
    live = live_rows(spec, history, outside)
    measured = history[outcomes].notna().any(axis=1).to_numpy() & live  # some: ModelListGP
    _check_minimised_zeros(spec, history, measured)
    if measured.any():
        y = history.loc[measured, outcomes].astype(float)
        opt.tell(
            _typed(history.loc[measured, space.names], space),
            y.set_axis(history.loc[measured, "label"]) if "label" in history else y,
            _errors(history.loc[measured], spec, outcomes),
        )  # labelled: the optimizer's notes name samples (a log objective's 0s)
    open_suggestions = list(open_suggestions or [])
    held = spec.held_by(history, open_suggestions)  # by a sample made without its id
    pending = pd.concat(
        [
            history.loc[~measured & live, space.names],
            pd.DataFrame(
                [p for p, h in zip(open_suggestions, held, strict=True) if h is None],
                columns=space.names,
            ),
        ],
        ignore_index=True,
    )
    if len(pending) > MAX_PENDING:
        n_open = held.count(None)
        raise ValidationError(
            f"campaign {spec.name!r} has {len(pending)} pending points ({n_open} open "
            f"suggestions, {len(pending) - n_open} samples not measured), more than the "
            f"{MAX_PENDING} the optimizer conditions on: record the samples' values or mark "
            "them failed, or discard or abandon open suggestions"
        )
    return opt, _typed(pending, space)


def _check_minimised_zeros(spec: CampaignSpec, history: pd.DataFrame, told: np.ndarray) -> None:
    """Refuse, in the campaign's terms, the ``told`` samples holding a 0 of a minimised
    ``log = true`` objective (``Optimizer.tell`` refuses it too, as "y row"): naming the samples
    (the first five) and how to record the value instead."""
    for o in spec.optimised_objectives:
        zero = told & (history[o.name] == 0).to_numpy() if o.log and not o.maximize else None
        if zero is None or not zero.any():
            continue
        labels = [str(x) for x in history["label"][zero]] if "label" in history else []
        more = f" and {len(labels) - 5} more" if len(labels) > 5 else ""
        first = labels[0] if labels else "LABEL"
        raise ValidationError(
            f"campaign {spec.name!r}: {o.name} = 0 in sample(s) {', '.join(labels[:5])}{more}, "
            f"and {o.name} is minimised with log = true (modelled as ln {o.name}): ln 0 is "
            "undefined, and at a floor below every measured value a 0 would be taken as the best "
            "yet: record the smallest value the instrument resolves, the most it can be (fluxtrap "
            f"sample measured -c {spec.name!r} {first} -o {o.name}=VALUE --replace)"
        )


def _outcomes(spec: CampaignSpec) -> list[str]:
    """The objectives the model is told: the optimised ones, then those only constrained."""
    outcomes = [o.name for o in spec.optimised_objectives]
    return outcomes + [c.objective for c in spec.outcome_constraints if c.objective not in outcomes]


def told_rows(spec: CampaignSpec, history: pd.DataFrame) -> np.ndarray:
    """Boolean ``(len(history),)``: the rows :func:`campaign_optimizer` tells its model, in
    order (not failed, inside the box, an outcome measured); the rows whose points a model
    figure draws. No warning (``campaign_optimizer`` names the rows outside)."""
    measured = history[_outcomes(spec)].notna().any(axis=1).to_numpy()
    return measured & live_rows(spec, history)


def campaign_notes(
    spec: CampaignSpec, history: pd.DataFrame, outside: dict[int, str] | None = None
) -> list[str]:
    """What the history holds that the model leaves aside, as text (the first five samples of
    each): samples outside the campaign's space (not told), and samples not failed with some of
    several objectives measured (told to the GPs of those they hold). :func:`campaign_optimizer` warns them,
    :func:`suggest` stores them with its suggestions: said, not silently dropped."""
    notes, found = [], outside_rows(spec, history) if outside is None else outside
    if outside := list(found.values()):
        more = f" and {len(outside) - 5} more" if len(outside) > 5 else ""
        notes.append(
            f"{len(outside)} sample(s) outside the campaign's space left out of the model: "
            f"{'; '.join(outside[:5])}{more}"
        )
    outcomes = _outcomes(spec)
    measured = history[outcomes].notna()
    partly = (measured.any(axis=1) & ~measured.all(axis=1)).to_numpy(copy=True)
    partly &= ~np.isin(np.arange(len(history)), list(found))
    if "status" in history:
        partly &= (history["status"] != "failed").to_numpy()
    if partly.any():
        rows = [
            f"{history['label'][i] if 'label' in history else i} "
            f"({', '.join(o for o in outcomes if not measured.at[i, o])} not yet)"
            for i in history.index[partly]
        ]
        more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
        notes.append(
            f"{len(rows)} sample(s) with only some objectives measured: {'; '.join(rows[:5])}"
            f"{more}; each is told to the model of the objectives it has (one GP per objective, "
            "each on the samples that measured it)"
        )
    return notes


def _errors(history: pd.DataFrame, spec: CampaignSpec, outcomes: list[str]) -> pd.DataFrame | None:
    """The ``objective_errors`` column of ``history`` as one column per outcome (NaN where none);
    None without the column. An error of an objective the campaign does not have is a
    ValidationError naming the sample (the store never holds one)."""
    if "objective_errors" not in history:
        return None
    rows = []
    for i, errors in zip(history.index, history["objective_errors"], strict=True):
        errors = errors or {}
        unknown = [k for k in errors if k not in spec.objective_names]
        if unknown:
            who = history["label"][i] if "label" in history else i
            raise ValidationError(
                f"sample {who!r}: an error for {', '.join(map(repr, unknown))}, not an objective "
                f"of campaign {spec.name!r}"
            )
        rows.append([errors.get(o, np.nan) for o in outcomes])
    return pd.DataFrame(rows, columns=outcomes)


def _typed(X: pd.DataFrame, space: SearchSpace) -> pd.DataFrame:
    """Numeric parameter columns as floats (categorical ones keep their choices)."""
    X = X.copy()
    for p in space.parameters:
        if not isinstance(p, Categorical):
            X[p.name] = X[p.name].astype(float)
    return X


def suggest(
    store: Store,
    campaign: str,
    n: int = 1,
    seed: int = 0,
    created_by: str | None = None,
    progress: Callable[[int], None] | None = None,
    allow_long: bool = False,
    **options,
) -> list[SuggestionRecord]:
    """Fit the campaign's history, ask for ``n`` suggestions and record them as ``open``;
    ``progress`` is called with the number chosen so far, ``allow_long`` lets an ask estimated
    past ``MAX_ASK_S`` run (``Optimizer.ask``).

    Runs under the campaign's lock so two concurrent asks see each other's suggestions as
    pending. The model summary (or ``{"n": ..., "model": "Sobol design"}`` before 2 measured
    samples) and ``seed`` are stored with each suggestion.
    """
    with store.locked_campaign(campaign):
        spec = store.campaign(campaign)
        history = store.history(campaign)
        open_ = [s.params for s in store.suggestions(campaign, status="open")]
        opt, pending = campaign_optimizer(spec, history, open_, seed=seed, **options)
        batch = opt.ask(
            n, pending=pending if len(pending) else None, progress=progress, allow_long=allow_long
        )
        summary = opt.model_summary()
        if notes := summary.get("notes", []) + campaign_notes(spec, history):
            summary["notes"] = notes  # each ask's own, not through the process's warnings
        if len(opt.X) < 2:
            summary["model"] = "Sobol design (fewer than 2 measured samples)"
        elif batch.attrs["acquisition_function"] == "Sobol":  # Optimizer.ask: modelled() False
            summary["model"] = (
                "Sobol design (every measured sample at one point)"
                if len(set(opt.space.keys(opt.X))) < 2
                else "Sobol design (an objective measured at fewer than 2 points)"
            )
        summary["acquisition_function"] = batch.attrs["acquisition_function"]
        summary["pending"] = len(pending)  # made or suggested, not measured, before this batch
        if batch.attrs.get("repeats"):  # rows within the noise of a taken point (Optimizer.ask)
            summary["repeats"] = batch.attrs["repeats"]
        if "search" in batch.attrs:  # the acquisition search was cut by its time budget
            summary["search"] = batch.attrs["search"]
        params = [
            {k: v if isinstance(v, str) else float(v) for k, v in row.items()}
            for row in batch[opt.space.names].to_dict("records")
        ]  # the campaign's fixed values are filled in by the store
        values = [None if not np.isfinite(a) else float(a) for a in batch["acquisition"]]
        guesses = None
        if len(opt.X) >= 2 and min(opt.measured_counts().values()) >= 2:
            guesses = predictions(opt, batch)
            # the factor on the model's sd in the predictions (Optimizer.sd_scale), per outcome
            summary["sd_scale"] = jsonable(dict(zip(opt.outcomes, opt.sd_scale(), strict=True)))
        return store.add_suggestions(
            campaign, params, values, summary, seed, created_by=created_by, predictions=guesses
        )


def predictions(opt: Optimizer, X: pd.DataFrame) -> list[dict[str, dict[str, float]]]:
    """The model at each row of ``X``: {outcome: {"mean", "std"}} in the outcome's stored unit
    (a log objective's: the median exp(mu) and the sd of ln(value), ``Optimizer.predict``);
    std: 1 sd of what one measurement there will read (``Optimizer.predict(measurement=True)``:
    the mean's sd and the measurement noise, scaled by the campaign's own record of predicting
    its next samples, ``Optimizer.sd_scale``). The mean's sd alone had held the measured value
    within 1 sd at 29 % of the suggestions on held-out objectives, this 53 %
    (bench/results/suggest_coverage.md)."""
    pred = opt.predict(X[opt.space.names], measurement=True)
    return [
        jsonable(
            {
                name: {"mean": row[f"{name}_mean"], "std": row[f"{name}_std"]}
                for name in opt.outcomes
            }
        )
        for _, row in pred.iterrows()
    ]


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
    # the status too: a sample marked failed leaves the model (the kept fit still held it)
    status = ["status"] if "status" in history else []
    key = (
        json.dumps(spec.to_dict(), sort_keys=True)
        + history[spec.parameter_names + spec.objective_names + status].to_json()
    )
    if "objective_errors" in history:  # a stated error changes the model
        key += json.dumps(list(history["objective_errors"]), sort_keys=True)
    opt = _FITTED.pop(key, fresh)
    _FITTED[key] = opt
    while len(_FITTED) > FITTED_KEPT:
        _FITTED.popitem(last=False)
    return opt, pending
