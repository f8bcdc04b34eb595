"""``Optimizer``: ask/tell Bayesian optimisation over a :class:`SearchSpace` (design section 6).

One objective: analytic ``LogExpectedImprovement`` for a single suggestion, improving on the
best posterior mean at the observed points rather than on the best observed value ("plug-in" EI
for noisy measurements, Picheny et al. 2013, Struct. Multidisc. Optim. 48, 607: a lucky
measurement does not set the bar; on the Perovskite replay it lifts the 25-trial enhancement
factor from 1.0 to 1.4), ``qLogNoisyExpectedImprovement`` when pending points exist or a batch is
asked for (greedy sequential batch: each
chosen point becomes pending for the next). Several objectives (at most ``MAX_HV_OBJECTIVES``):
``qLogNoisyExpectedHypervolumeImprovement`` with a reference point inferred from the data, and
:meth:`Optimizer.pareto_front`.
Outcome constraints (``lower <= outcome <= upper`` on a measured outcome, e.g. Tc >= 36 K) are
modelled by their own GP output and enter every acquisition the BoTorch way: probability of
feasibility in ``LogConstrainedExpectedImprovement`` (the single-point case; the incumbent is the
best posterior mean among observations that met the constraints), ``constraints=`` callables in
qLogNEI / qLogNEHVI.

Every suggestion is a settable point: on the step grid, inside bounds and constraints, at the
fixed values, and never equal to a measured, pending or already chosen point. The continuous
optimum of the acquisition is snapped to the grid; when the nearest grid point is taken, the
best free grid point near it (or among space-filling points) is chosen by acquisition value.

Behaviour on awkward data (documented, tested):
- a NaN/inf objective or a parameter beyond its bounds or choices: ``ValidationError`` naming
  the row; with several outcomes a row may leave some unmeasured (NaN, not all): each outcome's
  GP is fitted to the rows that hold it (``ModelListGP``, ``model.fit_models``); a row off its
  step grid inside the bounds (measured where the furnace ran) is told: the model's inputs are
  the continuous box, only suggestions must be settable;
- duplicated rows: kept as replicates (they inform the fitted noise); never suggested again;
- ``y`` holding ``X``'s row labels in another order: paired by label (else by position); a
  parameter column given twice: ``ValidationError``;
- a constant objective: ``ConstantObjectiveWarning``; the GP then explores by its variance;
- a stated 1-sigma per row (``tell(..., errors=)``): known noise on top of the fitted one; NaN
  or 0 is none (the row keeps the fitted noise alone), a negative, infinite or non-numeric one
  or one for an outcome not modelled is a ``ValidationError`` naming the row;
- fewer than 2 observations: a scrambled Sobol design (acquisition value NaN);
- an objective with ``log`` (``ObjectiveDef.log``, given through ``shown``) is modelled as
  ln(value): its EI, noise, leave-one-out and the no-improvement switch are on that scale, its
  predictions back-transformed (``predict``); a value below 0 is a ``ValidationError`` naming
  the row, a 0 (nothing measurable: Jc below the magnetometer's resolution) is modelled at
  ``ZERO_FLOOR`` x its smallest value above 0 (``FloorWarning``, naming the rows), ranked the
  worst; a 0 of a minimised one would rank the best, so it is a ``ValidationError`` naming the
  row too.
"""

from __future__ import annotations

import functools
import itertools
import math
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

# first: it loads linear_operator without torch's note on torch.jit.script (quiet.py)
from fluxtrap.optimize.quiet import Shared, SharedFilters

# isort: split
import numpy as np
import pandas as pd
import torch
from botorch.acquisition import (
    LogExpectedImprovement,
    PosteriorMean,
    qLogNoisyExpectedImprovement,
)
from botorch.acquisition.analytic import LogConstrainedExpectedImprovement
from botorch.acquisition.multi_objective.logei import qLogNoisyExpectedHypervolumeImprovement
from botorch.acquisition.multi_objective.objective import IdentityMCMultiOutputObjective
from botorch.acquisition.objective import GenericMCObjective
from botorch.exceptions.warnings import BadInitialCandidatesWarning, OptimizationWarning
from botorch.models import ModelListGP
from botorch.optim import optimize_acqf
from botorch.optim.initializers import sample_q_batches_from_polytope
from botorch.sampling import SobolQMCNormalSampler
from botorch.utils.multi_objective.hypervolume import infer_reference_point
from botorch.utils.multi_objective.pareto import is_non_dominated
from botorch.utils.sampling import manual_seed
from gpytorch.likelihoods import FixedNoiseGaussianLikelihood
from linear_operator.utils.warnings import NumericalWarning
from threadpoolctl import threadpool_limits

from fluxtrap.campaign import (
    CONSTRAINT_STATUSES,
    MAX_BATCH,
    MAX_HV_OBJECTIVES,
    ObjectiveDef,
    awaiting,
    best_position,
    check_budget,
    constraint_status,
)
from fluxtrap.errors import ValidationError
from fluxtrap.inputs import near
from fluxtrap.optimize.model import (
    FEW_PER_DIM,
    fit_models,
    known_noise_var,
    lengthscales,
    loo_predictions,
    noise_std,
    parts,
    typical_noise_std,
)
from fluxtrap.optimize.space import DTYPE, Categorical, SearchSpace, campaign_spec, unit_keys
from fluxtrap.optimize.stopping import KAPPA

# ``quiet_numerics()``: silence the remedies BoTorch and linear_operator apply to a
# near-singular posterior covariance (jitter added to its diagonal, a fallback from low-rank
# Cholesky updates): replicated points make it singular to float precision, which is not news
# for a lab. Shared by threads (``SharedFilters``: catch_warnings is not thread-safe)
quiet_numerics = SharedFilters(
    {"category": NumericalWarning},
    {"message": "Low-rank cholesky updates failed"},
    # torch's note on the sparse summing matrix linear_operator builds for a multi-output
    # posterior (qLogNEHVI over a model's slices): about torch's own checks, not the data
    {"message": "Sparse invariant checks are implicitly"},
    # said once by Optimizer.ask in the campaign's terms (NoFeasibleWarning), not once per
    # acquisition built (three times for suggest -n 2)
    {"message": "When all training points are infeasible"},
)
# a restart of the acquisition search stopping early (L-BFGS "ABNORMAL") is harmless: the best
# of all restarts and their grid neighbours is chosen (Optimizer.ask); so is a search started
# from random points where the acquisition is flat ("Unable to find non-zero acquisition
# function values"): said beside ConstantObjectiveWarning, which tells the lab why, in its terms
quiet_search = SharedFilters(
    {"category": OptimizationWarning},
    {"message": "Optimization failed", "category": RuntimeWarning},
    {"message": "Unable to find non-zero acquisition", "category": BadInitialCandidatesWarning},
)


class _OneThread(Shared):
    """Run torch, and the BLAS libraries loaded (scipy's OpenBLAS under L-BFGS-B), on one thread
    (the caller's), restored after. An ask evaluates small tensors (a batch of restarts x MC
    samples x a few cells); on two cores shared with other work, the default two-thread team
    waited on its descheduled thread at every operation and a two-objective ``suggest -n 3``
    took 9-37 s instead of 3 s (bench/bench_mo_suggest.py). L-BFGS-B's step (the GP fit's, the
    acquisition search's) calls LAPACK on matrices of a few dozen rows: on OpenBLAS's two
    threads 3.9 ms, on one 0.14 ms, and a mixed-categorical fit to 5 rows took 20-25 s, 5 s on
    one (the same hyper-parameters, bit for bit).

    The thread counts are the process's: overlapping blocks (the server's two model fits at
    once) are counted, the first sets 1 and the last restores the counts it found."""

    def _apply(self) -> None:
        self._found = torch.get_num_threads()
        torch.set_num_threads(1)
        self._blas = threadpool_limits(1, user_api="blas")

    def _undo(self) -> None:
        self._blas.restore_original_limits()
        torch.set_num_threads(self._found)


one_thread = _OneThread()


# Share of a budget spent on pure exploitation at its end (bench/bench_optimize.py --budgeted:
# measured on the 11 replay tables, numbers in bench/results/README.md).
EXPLOIT_SHARE = 0.1

# an observation's outcome constraints (Optimizer.constraint_status): "unknown" while one is
# not measured yet (neither the feasible best nor infeasible)
STATUSES = CONSTRAINT_STATUSES


class ConstantObjectiveWarning(UserWarning):
    """All observed values of an objective are equal: the model can only explore."""


class OutlierWarning(UserWarning):
    """Values of an objective lie more than ``OUTLIER_IQR`` interquartile ranges from its median."""


class SpanWarning(UserWarning):
    """An optimised objective without ``log``, all values > 0, spans more than ``SPAN_DECADES``."""


class FloorWarning(UserWarning):
    """Values 0 of a ``log`` outcome are modelled at a floor below its smallest value above 0."""


class NoFeasibleWarning(UserWarning):
    """No observation meets the outcome constraints yet: the acquisition weighs each point's
    improvement (over a bound below the modelled values) by its probability of meeting them."""


class LongAskWarning(UserWarning):
    """An ask is estimated to take more than ``ASK_NOTE_S`` (``Optimizer.ask_seconds``)."""


class LongAskError(ValidationError):
    """An ask estimated past ``MAX_ASK_S`` and not allowed: ``sizes`` (text), ``seconds`` (the
    estimate, s) and ``largest`` (the largest batch within the limit; 0: none), so a front end
    without ``allow_long`` (the web API) can say what to do in its own terms."""

    def __init__(self, message: str, sizes: str, seconds: float, largest: int) -> None:
        super().__init__(message)
        self.sizes, self.seconds, self.largest = sizes, seconds, largest


# the stated sd of a measurement (predict(measurement=True)) is scaled by the leave-future-out
# z scores of the last LFO_ROWS rows told, each predicted by a model refitted to the rows told
# before it (a refit each: about 0.3 s at 20 rows in 3 parameters, 1 s at 100), while at most
# LFO_MAX_OBSERVATIONS are told and the refits are estimated (ASK_FIT_S x ASK_SAFETY) within
# LFO_MAX_S, the time past which an ask says its estimate (ASK_NOTE_S): a categorical space's
# fit takes 10-30 s, and its refits had been outside every cost check. The sd of the mean alone
# had held the measured value within 1 sd at 29 % of the suggestions on the held-out objectives
# of bench/bench_suggest_coverage.py (540, 30 seeds), this 53 % (bench/results/suggest_coverage.md)
LFO_ROWS = 4
LFO_MAX_OBSERVATIONS = 100
LFO_MAX_S = 60.0


# a value this many interquartile ranges from the median is named (a mistyped unit: 1e6 x the
# rest is ~1e6 IQRs away; Jc spread log-uniformly over 4 decades, its largest ~10 IQRs)
OUTLIER_IQR = 1000.0
# the same for a log outcome, on ln(value) (0s left out): Tukey's far-out fence (3 IQRs past a
# quartile). Jc tables spanning 4-5 decades (tests' jc_table, 10-80 rows) lie within 3.0 of their
# median, one of them whose largest value was typed 1e6 x lies 3.7-6 away
OUTLIER_LN_IQR = 3.5
# and one whose ln(value) lies more than this many sd from its leave-one-out prediction by the
# GP of the other rows (sd of one measurement). bench/bench_outlier_loo.py, synthetic Jc over 3
# parameters, 10-60 rows, 2.6-5.6 decades: 1 % of clean campaigns pass 3.56 (half of them, the
# other half held out); with the fence, 6 % of the held-out ones are named, as by the fence alone,
# and 0.68 of their values typed 1e3 x or 1e6 x (at the median and the extremes), by the fence
# alone 0.50 (at 20-60 rows 0.75 against 0.52; at 10 rows the other rows predict little: 0.45)
OUTLIER_LN_LOO = 3.6
# an optimised objective without log whose values are all > 0 and span more than this many
# decades is named (SpanWarning): on a Jc spanning 1e3-2.5e8 A/m^2 the raw model's leave-one-out
# R^2 was -0.07 (bench/results/README.md, "log objectives")
SPAN_DECADES = 2.0
# a 0 of a log outcome (below the instrument's resolution: ln 0 is undefined) is modelled at this
# fraction of its smallest value above 0: a decade below every measured value, ranked the worst,
# not so far below that one such row dominates the GP of ln(value)
ZERO_FLOOR = 0.1


def zero_floor(values: Any) -> float:
    """Where a 0 of a log outcome with these ``values`` (any unit; NaN: not measured) is modelled
    and drawn: ``ZERO_FLOOR`` x the smallest value above 0; 1 while none is (every value 0:
    constant, any floor)."""
    y = np.asarray(values, dtype=float)
    above = y[y > 0]
    return ZERO_FLOOR * float(above.min()) if len(above) else 1.0


# what a figure on a log axis says of a 0 it draws at that floor
ZERO_LABEL = "0: nothing measurable, drawn at the floor"


# points whose posterior predict takes at once: it holds their joint covariance, 8 MB here
# (90 000 points at once, a 300 x 300 slice map, had asked for 65 GB)
PREDICT_CHUNK = 1024
# candidate values (rows x parameters) one ask scores, refused past before any row is read: a
# pool is scored PREDICT_CHUNK rows at a time (its bound on memory), 1.3-2.3 s per 1e6 values
# with 2-10 parameters and 35 observations, 12 s with 100 parameters and 305 observations (2
# cores shared, load 2-4): 1e7 take 15 s to 2 min; a million rows of 100 parameters would have
# taken 20 min and more without a word
MAX_CANDIDATE_VALUES = 10_000_000
# pending points conditioned on jointly (each a fantasy in qLogNEI, and in every MC sample's box
# decomposition in qLogNEHVI), the one limit for ask, model_slices and the campaign workflow
# (CLI, API, dashboard): the model page with 200 open suggestions took 62 s, with 1000 over 300 s
# and 3 GB; one point with 1000 pending took 89 s (two objectives: 53 s with 500, 260 s with 1000)
MAX_PENDING = 100
MAX_OBSERVATIONS = 2000  # told in all: the GP fit is O(n^3) in time, O(n^2) in memory
# with a categorical parameter (MixedSingleTaskGP, a search per combination): tell + ask(1) in 4
# parameters, one of 3 choices, took 3.9 / 18.5 / 48 / 215 s at 200 / 400 / 800 / 1200 samples
# (continuous: 1.6 / 1.7 / 12.5 s to 800; load 2-5 on 2 cores); 2000 did not end in 20 min
MAX_MIXED_OBSERVATIONS = 800
# replicate rows (degrees of freedom: rows - distinct points) from which their pooled scatter is
# a floor of the noise (Optimizer.measurement_noise): with 1 or 2 the estimated std is off by 2x
# or more 43 % / 24 % of the time (chi-square), with 3 15 % (its 90 % range 0.34-1.6x)
REPLICATE_DOF = 3
MAX_ABS_OUTCOME = 1e100  # |value| told: squares of larger ones overflow in the standardisation
MAX_COMBINATIONS = 16  # categorical combinations whose continuous optimum one round searches
# continuous searches (one optimize_acqf per categorical combination) an ask's rounds share, for
# a space of up to SEARCH_DIMS parameters; fixed up front from the problem's size so the picks
# depend only on the seed and the data (a 20 s wall-clock budget searched 3 of 6 combinations in
# one run of a batch and 4 of 6 in another on a loaded machine). A search took 2.3 s with 4
# parameters (8 restarts, qLogNEI, one linear constraint), 3.3 s with 10 (5 categorical of 100
# choices, 3 objectives, 10 constraints), 19 s with 50 (25 / 25 / 3 / 50): its cost grows about
# as the parameter count past 10, so larger spaces get proportionally fewer searches
SEARCHES = 16
SEARCH_DIMS = 10
# safety stop (s): past it no round starts a further combination (its first always runs); far
# above a normal ask (0.1-60 s), and when hit the answer says its picks are not reproducible
SEARCH_SAFETY_S = 300.0


# an ask's wall time (s): ASK_SAFETY x (the fit, ASK_FIT_S[objectives] x (parameters / 3) **
# ASK_DIM_POWER x sqrt(observations / 50), + per chosen point ASK_SECONDS[objectives] x
# (parameters / 3) ** ASK_DIM_POWER x (b / 25) ** 0.63, b = observations + pending + points chosen
# before it + 5, x continuous searches the round runs x effort: restarts / 8 or raw samples / 256,
# the larger, x MC samples / 128).
# Fitted (least squares on log time) to 43 asks timed on this machine with the default effort,
# 2 cores shared with other sessions (load 2-6): 2-15 parameters, batches 1-100, 0-10 pending,
# 10-300 observations, 1-3 objectives, 0.26-810 s; the central fit's residual is a factor 1.6
# (log sd 0.46) and ASK_SAFETY = 1.9 is about the 90th percentile of measured / central (1.85), so
# the estimate is low for about 1 ask in 10 (at most 2.3x low in these; up to 2.5x high for
# 3 objectives' large batches: 100 points, 34 min estimated, 12-15 min measured). The earlier
# model (x max(1, parameters / 10), no fit term) was 3-9x low from 6 parameters on (10
# parameters, 1 point: 1.1 s estimated, 10.2 s measured; 20 points with 10 pending: 24.6 s,
# 17.7-58.5 s) and 2-3.5x high for 2. The fit and search grew as parameters / 3 and its 0.73th
# power: 3-17x high at 200 parameters (bench/bench_ask_seconds.py, bench/results/ask_seconds.md:
# 27 asks of 3, 20 and 200 parameters, 30-200 observations), now ASK_DIM_POWER, fitted there.
# From a pool (ask(candidates=)) a round does no search but scores each free row: ASK_POOL_ROW_S
# x rows x (parameters / 3) ** 0.7 x (b / 25) ** 0.6 x MC samples / 128, fitted to the pool
# asks of those 27 (2000 and 20 000 rows); the search's term had made a pool ask of 200 inputs
# 17x too long (67 s said, 3.7 s taken). Several objectives' pool rounds keep the search's term
# too (their acquisition's build, qLogNEHVI's box decomposition, untimed from a pool).
# Past ASK_NOTE_S an ask says its estimate
# (LongAskWarning); past MAX_ASK_S it is refused unless allowed (``ask(allow_long=True)``,
# ``fluxtrap suggest --allow-long``)
ASK_SECONDS = {1: 0.34, 2: 0.89, 3: 5.4}
ASK_FIT_S = {1: 0.51, 2: 6.0, 3: 22.0}
ASK_DIM_POWER = 0.5
ASK_POOL_ROW_S = 2e-5
# added to the fit with a categorical parameter (x parameters / 3 x sqrt(observations / 50)):
# MixedSingleTaskGP's fit, torch and BLAS on one thread (one_thread), re-timed after BLAS went to
# one thread: 30 fits (3-6 parameters, 3-10 choices, 10-80 observations, 3 seeds each; 2 cores
# shared, load 6-8) took per unit of that scale 11.0 s wall, median (1.1-28: its optimizer's
# retries), 3.1 s CPU (2.3-5.3, 9 of them): the wall time is 2.7-5.2x the CPU time at this load,
# and the term (with ASK_FIT_S[1]) is the wall median, the time a lab waits here. One from CPU
# time (3x lower) would let 4 leave-future-out refits of a 5-parameter space run to 100 rows
# (LFO_MAX_S), each 10-30 s at this load
ASK_MIXED_FIT_S = 10.0
ASK_SAFETY = 1.9
ASK_NOTE_S = 60.0
MAX_ASK_S = 600.0


# the largest seed of an optimizer, a replay or the demo's virtual lab: numpy's and torch's range
# (check_seed; fluxtrap demo --seed and replay --seed)
MAX_RNG_SEED = 2**32 - 1

# acquisition optimiser effort: each raw sample and restart is evaluated with every MC sample
# (raw_samples=1e9 allocated until memory ran out; 0 of any failed inside BoTorch)
MAX_EFFORT = {"num_restarts": 256, "raw_samples": 65536, "mc_samples": 4096}


def check_pending(count: int, where: str) -> None:
    """A ValidationError naming ``where`` if ``count`` pending points exceed ``MAX_PENDING``;
    called before any fit."""
    if count > MAX_PENDING:
        raise ValidationError(
            f"{where}: {count} pending points, at most {MAX_PENDING} (the acquisition conditions "
            "on them jointly; discard old open suggestions)"
        )


def _whole(value: object, what: str, low: int, high: int) -> int:
    """``value`` as an int if it is a whole number (not a bool) in ``[low, high]``, else a
    ValidationError naming ``what``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or not low <= value <= high
    ):
        raise ValidationError(f"{what} must be a whole number from {low} to {high}, got {value!r}")
    return int(value)


def check_seed(seed: object, where: str = "seed") -> int:
    """``seed`` as an int if it is a whole number from 0 to ``MAX_RNG_SEED``."""
    if (
        isinstance(seed, bool)
        or not isinstance(seed, int | np.integer)
        or not 0 <= seed <= MAX_RNG_SEED
    ):
        raise ValidationError(
            f"{where}: give a whole number from 0 to {MAX_RNG_SEED}, got {seed!r}"
        )
    return int(seed)


class Optimizer:
    """Bayesian optimiser over ``space``; maximises every objective unless told otherwise.

    Args:
        space: the search space, or a campaign path, dict or ``CampaignSpec``: its space
            (``from_campaign``) and, unless ``shown`` is given, its objectives with ``log`` as
            ``shown`` (modelled as ln; a ``SearchSpace`` holds no objectives).
        seed: base seed; suggestions depend only on it and on the data told so far.
        objectives: objective names (default: taken from the first ``tell``).
        maximize: one flag for all objectives or one per objective.
        outcome_constraints: ``{outcome: (lower, upper)}`` (either may be None), in the outcome's
            units; an outcome that is not an objective is modelled for the constraint only, and
            ``tell`` then needs its column too.
        num_restarts: acquisition optimiser effort: starts of BoTorch's ``optimize_acqf``
            (1 <= num_restarts <= raw_samples, limits in ``MAX_EFFORT``).
        raw_samples: acquisition optimiser effort: the points it starts from are chosen among.
        mc_samples: quasi-MC samples for the batch / multi-objective acquisitions.
        shown: the campaign's objective definitions by outcome name: a message names values as
            the tables show them (``ObjectiveDef.shown``, Jc in A/cm^2) in its ``shown_unit``;
            an outcome without one is named in the units it was told in. An outcome whose
            definition has ``log`` is modelled as ln(value) (``log_outcomes``).
        budget: experiments planned in all (observations told, pending points and suggestions
            count); with one objective and no outcome constraints, the last
            ``ceil(EXPLOIT_SHARE * budget)`` of them (and any beyond the budget) are the free
            points of best posterior mean: no later experiment can use what exploring would teach.
            None (default): every suggestion by expected improvement.
    """

    def __init__(
        self,
        space: SearchSpace,
        seed: int = 0,
        objectives: Sequence[str] | None = None,
        maximize: bool | Sequence[bool] = True,
        outcome_constraints: Mapping[str, tuple[float | None, float | None]] | None = None,
        num_restarts: int = 8,
        raw_samples: int = 256,
        mc_samples: int = 128,
        budget: int | None = None,
        shown: Mapping[str, ObjectiveDef] | None = None,
    ) -> None:
        if not isinstance(space, SearchSpace):  # a campaign: its log objectives modelled so
            spec = campaign_spec(space)
            space = SearchSpace.from_campaign(spec)
            shown = {o.name: o for o in spec.objectives if o.log} if shown is None else shown
        self.space = space
        self.seed = check_seed(seed)
        self._objectives = _names(objectives) if objectives is not None else None
        self._maximize_arg = _flags(maximize)
        self.outcome_constraints = {
            str(k): _bounds(k, v) for k, v in dict(outcome_constraints or {}).items()
        }
        self.num_restarts = _whole(
            num_restarts, "Optimizer: num_restarts", 1, MAX_EFFORT["num_restarts"]
        )
        self.raw_samples = _whole(
            raw_samples, "Optimizer: raw_samples", self.num_restarts, MAX_EFFORT["raw_samples"]
        )
        self.mc_samples = _whole(mc_samples, "Optimizer: mc_samples", 1, MAX_EFFORT["mc_samples"])
        self.budget = check_budget(budget)
        self.shown = dict(shown or {})
        for name, (_, hi) in self.outcome_constraints.items():
            if hi is not None and hi <= 0 and name in self.log_outcomes:
                raise ValidationError(
                    f"outcome constraint {name} <= {hi:g}: {name} has log = true, its values are "
                    "above 0, so no value can meet it"
                )
        self._X = pd.DataFrame(columns=space.names)
        self._Y: pd.DataFrame | None = None
        self._E: pd.DataFrame | None = None  # stated 1-sigma per outcome, NaN where none
        self._labels: list = []  # each row's label in the y it was told in (notes name rows)
        self._model = self._planning_model = None
        self._sd_scale: np.ndarray | None = None
        self._constant_warned = False
        self._repeat_rows: list[int] = []  # the last ask's rows that repeat a point (_choose)

    def __repr__(self) -> str:
        """One line a notebook shows: the parameters, what was told and the best of each
        objective as the tables show it (Jc in A/cm^2) among the rows known to meet the outcome
        constraints, as ``best()`` (a row breaking one had been shown as the best), with how many
        were left out; there was only the object's address."""
        told = f"{len(self._X)} observation{'s' * (len(self._X) != 1)}"
        best, names, flags = [], self._objectives or [], self._maximize_arg
        flags = [flags] * len(names) if isinstance(flags, bool) else flags
        status = self.constraint_status().to_numpy() if self._Y is not None else None
        for name, up in zip(names, flags, strict=False):
            col = self._Y[name].dropna() if self._Y is not None and name in self._Y else ()
            if len(col):
                col = col[status[self._Y.index.get_indexer(col.index)] == "met"]
            if not len(col) and self.outcome_constraints and status is not None:
                best.append(f"{name} none meeting the outcome constraints")
            elif len(col):
                v = float(col.max() if up else col.min())
                o = self.shown.get(name)
                shown = f"{o.shown(v):.5g} {o.shown_unit}".rstrip() if o else f"{v:.5g}"
                best.append(f"{'max' if up else 'min'} {name} {shown}")
        left = ""
        if self.outcome_constraints and status is not None:  # rows not weighed, and why
            broken, unknown = int((status == "not met").sum()), int((status == "unknown").sum())
            counts = [f"{broken} not meeting the outcome constraints"] * bool(broken)
            counts += [f"{unknown} awaiting {', '.join(self.awaiting())}"] * bool(unknown)
            left = f" (left out: {', '.join(counts)})" if counts else ""
        budget = f", budget {self.budget}" if self.budget is not None else ""
        return (
            f"<Optimizer over {', '.join(self.space.names)}: {told}"
            f"{'; best ' + ', '.join(best) if best else ''}{left}{budget}, seed {self.seed}>"
        )

    # ---------------------------------------------------------------- data
    @property
    def objectives(self) -> list[str]:
        if self._objectives is None:
            raise ValidationError("optimizer has no objectives yet: tell it some data first")
        return self._objectives

    @property
    def outcomes(self) -> list[str]:
        """Modelled outputs: the objectives, then constraint-only outcomes."""
        extra = [c for c in self.outcome_constraints if c not in self.objectives]
        return [*self.objectives, *extra]

    @property
    def log_outcomes(self) -> list[str]:
        """The outcomes modelled as ln(value): those whose ``shown`` definition has ``log``."""
        return [name for name, d in self.shown.items() if getattr(d, "log", False)]

    def _on_model_scale(self, name: str, values):
        """Values of outcome ``name`` (a number or an array, own units) on the model's scale:
        ln for a ``log_outcomes`` one (a 0 at its ``floor``), else as they are."""
        if name not in self.log_outcomes:
            return values
        return np.log(np.where(np.asarray(values) == 0, self.floor(name), values))

    def floor(self, name: str) -> float:
        """The value a 0 of log outcome ``name`` is modelled at (own units): ``zero_floor`` of its
        observed values."""
        return zero_floor(self._Y[name] if self._Y is not None else [])

    def _floor_note(self, name: str) -> str | None:
        """The ``FloorWarning`` text of log outcome ``name``: its rows measured 0 (by the labels
        they were told with, the first five) and the floor they are modelled at; None without."""
        if name not in self.log_outcomes or not (zero := (self._Y[name] == 0).to_numpy()).any():
            return None
        rows = [str(self._labels[i]) for i in np.flatnonzero(zero)]
        more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
        d = self.shown.get(name)
        show, unit = (d.shown, f" {d.shown_unit}".rstrip()) if d else (float, "")
        above = self._Y[name][self._Y[name] > 0]
        rule = (
            f"{ZERO_FLOOR:g} x its smallest value above 0 ({show(above.min()):.3g}{unit})"
            if len(above)
            else "no value above 0 yet, every value constant"
        )
        return (
            f"objective {name}: {len(rows)} value(s) of 0 ({', '.join(rows[:5])}{more}) are "
            f"modelled at a floor of {show(self.floor(name)):.3g}{unit}, {rule}: ln 0 is "
            f"undefined ({name} has log = true), and below every measured value they tell the "
            "model the region is poor"
        )

    def _maximized(self, name: str) -> bool:
        """Whether outcome ``name`` is maximised (a constraint-only outcome: True)."""
        flags = dict(zip(self.objectives, self.maximize, strict=True))
        return flags.get(name, True)

    @property
    def maximize(self) -> list[bool]:
        flags = self._maximize_arg
        if isinstance(flags, bool):
            return [flags] * len(self.objectives)
        if len(flags) != len(self.objectives):
            raise ValidationError(
                f"maximize has {len(flags)} flag(s) for {len(self.objectives)} objective(s)"
            )
        return [bool(f) for f in flags]

    @property
    def X(self) -> pd.DataFrame:
        """Observed parameters ``n x d`` (campaign units)."""
        return self._X.copy()

    @property
    def Y(self) -> pd.DataFrame:
        """Observed outcomes ``n x m`` (objectives, then constraint-only outcomes; own units)."""
        return (self._Y if self._Y is not None else pd.DataFrame(columns=self._objectives)).copy()

    @property
    def errors(self) -> pd.DataFrame:
        """Stated 1-sigma of the observed outcomes ``n x m`` (own units; NaN where none)."""
        return (self._E if self._E is not None else pd.DataFrame(columns=self._objectives)).copy()

    def tell(
        self,
        X: pd.DataFrame | Mapping[str, Sequence] | Sequence[Mapping],
        y: pd.Series | pd.DataFrame,
        errors: pd.Series | pd.DataFrame | None = None,
    ) -> Optimizer:
        """Add observations: ``X`` (``n x d`` DataFrame in campaign units, a mapping of column
        name -> ``n`` values, or a list of ``n`` rows, each a mapping parameter name -> value,
        matched by name as ``ask``'s ``candidates``; a number written as text, "650", is kept as
        the number) and ``y``
        (Series or ``n x m`` DataFrame);
        ``errors``: the stated 1-sigma of some values (the columns of some outcomes, rows as
        ``y``, in the outcomes' units; NaN or 0 where none), known noise for the model. Rows pair
        by position, or by label when ``y`` holds ``X``'s row labels in another order (a ``y``
        sorted by value was paired with the wrong rows)."""
        X = _rows_frame(X, self.space.names, "X", others=True)
        if isinstance(y, pd.Series):
            name = y.name if y.name is not None else (self._objectives or ["objective"])[0]
            y = y.to_frame(str(name))
        if not isinstance(y, pd.DataFrame):
            raise ValidationError(
                f"y: expected a pandas Series or DataFrame, got {type(y).__name__}"
            )
        if twice := sorted({str(c) for c in y.columns[y.columns.duplicated()]}):
            raise ValidationError(f"y: outcome column(s) {', '.join(twice)} given twice")
        if self._objectives is None:
            self._objectives = [str(c) for c in y.columns if c not in self.outcome_constraints]
        missing = [o for o in self.outcomes if o not in y.columns]
        if missing:
            raise ValidationError(f"y: missing outcome column(s) {', '.join(missing)}")
        if len(X) != len(y):
            raise ValidationError(f"X has {len(X)} rows but y has {len(y)}")
        if _same_labels_reordered(X.index, y.index):  # a sorted y: pair rows by label
            y = y.loc[X.index]
        if isinstance(errors, pd.Series | pd.DataFrame) and _same_labels_reordered(
            X.index, errors.index
        ):
            errors = errors.loc[X.index]
        limit, took = (
            (MAX_MIXED_OBSERVATIONS, "with a categorical parameter, about 50 s")
            if self.space.cat_dims
            else (MAX_OBSERVATIONS, "about 20-40 s")
        )
        if len(self._X) + len(X) > limit:
            raise ValidationError(
                f"{len(self._X) + len(X)} observations: the exact Gaussian process is fitted to "
                f"at most {limit} (its time grows as n^3: {limit} take {took} on 2 cores): "
                "start a new campaign from a subset of the samples"
            )
        self.space.to_unit(X, "X")  # validates bounds and categories; off the grid is data too
        Y = y[self.outcomes].apply(pd.to_numeric, errors="coerce")
        values = Y.to_numpy(dtype=float)
        # unmeasured (NaN or None as given): allowed in a row that holds another outcome
        unmeasured = y[self.outcomes].isna().to_numpy() & (len(self.outcomes) > 1)
        unmeasured &= ~unmeasured.all(axis=1, keepdims=True)
        bad = ~np.isfinite(values) & ~unmeasured
        if bad.any():
            r, c = np.argwhere(bad)[0]
            shown = y[self.outcomes].iloc[r, c]
            raise ValidationError(
                f"y row {y.index[r]!r}: outcome {self.outcomes[c]}="
                f"{repr(shown) if isinstance(shown, str) else Y.iloc[r, c]} is not a "
                "finite number (drop unmeasured rows, or pass them to ask() as pending)"
            )
        big = np.abs(np.nan_to_num(values)) > MAX_ABS_OUTCOME
        if big.any():
            r, c = np.argwhere(big)[0]
            raise ValidationError(
                f"y row {y.index[r]!r}: outcome {self.outcomes[c]}={Y.iloc[r, c]:g} is beyond "
                f"+-{MAX_ABS_OUTCOME:g}, where the model's standardisation overflows (a unit "
                "mistake?)"
            )
        for c, name in enumerate(self.outcomes):
            if name in self.log_outcomes and (values[:, c] < 0).any():
                r = int(np.flatnonzero(values[:, c] < 0)[0])
                raise ValidationError(
                    f"y row {y.index[r]!r}: outcome {name}={values[r, c]:g} is below 0, and "
                    f"{name} has log = true (modelled as ln {name}): give its measured value, "
                    "0 when nothing was measurable, or drop the row"
                )
            if (
                name in self.log_outcomes
                and (values[:, c] == 0).any()
                and not self._maximized(name)  # only then: a repr of a bad maximize list works
            ):
                r = int(np.flatnonzero(values[:, c] == 0)[0])
                raise ValidationError(
                    f"y row {y.index[r]!r}: outcome {name}=0, and {name} is minimised with log = "
                    f"true (modelled as ln {name}): ln 0 is undefined, and a 0 modelled at a "
                    "floor below every measured value would be taken as the best value yet: give "
                    "the smallest value the instrument resolves (the most it can be), or drop "
                    "the row"
                )
        E = _error_frame(errors, y, self.outcomes)
        X = X[self.space.names].reset_index(drop=True)
        X = self.space.as_numbers(X)  # in bounds (to_unit): "650" is a number, kept as one
        Y = pd.DataFrame(values, columns=self.outcomes)  # float64: a nullable Float64's NA
        # had stayed pd.NA, and the leave-future-out scale's isnan met it (TypeError)
        self._X = X if self._X.empty else pd.concat([self._X, X], ignore_index=True)
        self._Y = Y if self._Y is None else pd.concat([self._Y, Y], ignore_index=True)
        self._E = E if self._E is None else pd.concat([self._E, E], ignore_index=True)
        self._labels += list(y.index)
        self._model = self._planning_model = self._sd_scale = None
        self._constant_warned = False
        return self

    # ---------------------------------------------------------------- model
    @property
    def model(self):
        """The fitted BoTorch model (fitted on first use after ``tell``); needs >= 2 observations."""
        if self._model is None:
            self._model = self._fit()
        return self._model

    @property
    def planning_model(self):
        """The model batches and pending points are planned on: ``model``, but while there are
        fewer than ``FEW_PER_DIM`` observations per input (numeric spaces) one fitted with the
        light-tailed length-scale prior (``few_points_kernel``). BoTorch's log-normal lets two
        nearby points with different values collapse a length-scale to its bound, and the batch's
        second point is then chosen almost at random (replays: pairs +0.046 +- 0.015 of the goal
        set at 10 trials; single suggestions gained nothing, so they keep ``model``)."""
        if len(self._X) >= FEW_PER_DIM * self.space.dim or self.space.cat_dims:
            return self.model
        if self._planning_model is None:
            self._planning_model = self._fit(light_tailed=True)
        return self._planning_model

    def _fit(self, light_tailed: bool = False):
        n = len(self._X)
        if n < 2:
            raise ValidationError(f"the model needs at least 2 observations, has {n}")
        if few := [f"{o} ({c})" for o, c in self.measured_counts().items() if c < 2]:
            raise ValidationError(
                f"the model needs at least 2 measured values of each outcome: {', '.join(few)}"
            )
        # on one thread wherever it is asked for (predict, loo, model_summary, not only ask):
        # a fit outside ask ran on torch's two-thread team, 35 s for four 1-D fits on 4 rows
        with manual_seed(self._derived_seed(0)), one_thread():
            model = fit_models(
                self._U(), self._signed_Y(), self.space.cat_dims, light_tailed, self._Yvar()
            )
        if not self._constant_warned:
            for category, text in self._notes(model):
                warnings.warn(text, category, stacklevel=4)
        self._constant_warned = True  # once per data: the planning model refits the same rows
        return model

    def _notes(self, model=None) -> list[tuple[type[UserWarning], str]]:
        """What the data warn of, per outcome, as ``(category, text)``: every value equal
        (``ConstantObjectiveWarning``), or else values farther than ``OUTLIER_IQR`` interquartile
        ranges from the median (``OUTLIER_LN_IQR`` on ln(value), 0s left out, for a log outcome;
        5 observations or more, ``OutlierWarning``; a log outcome's also ln(value) more than
        ``OUTLIER_LN_LOO`` sd from the fitted ``model``'s leave-one-out prediction): a value typed in
        the wrong unit (1e6 x the others) steers every later suggestion with no word otherwise.
        A warning, not a refusal: a real breakthrough may lie that far. Without such values, an
        optimised objective spanning decades without ``log`` (``SpanWarning``, ``_span_note``)."""
        notes = []
        for name in self.outcomes:
            if self.constant(name):
                col = self._Y[name].dropna()
                text = (
                    f"objective {name} is constant ({float(col.iloc[0]):g}) over "
                    f"{len(col)} observations: the model can only explore"
                )
                notes.append((ConstantObjectiveWarning, text))
                continue
            y = self._Y[name].dropna().to_numpy(float)
            log = name in self.log_outcomes
            judged = y[y > 0] if log else y  # a log outcome's on ln(value), 0s left out (floored)
            z, limit = (np.log(judged), OUTLIER_LN_IQR) if log else (y, OUTLIER_IQR)
            q1, median, q3 = np.percentile(z, [25, 50, 75]) if len(z) >= 5 else (0.0, 0.0, 0.0)
            out = np.abs(z - median) > limit * (q3 - q1) if q3 > q1 else np.zeros(len(z), bool)
            if log and model is not None and len(z) >= 5:
                out |= self._loo_z(model, name) > OUTLIER_LN_LOO
            far = judged[out]
            median = math.exp(median) if log else median
            if not len(far) and (span := self._span_note(name, y)):  # not a typo's span
                notes.append((SpanWarning, span))
            if floored := self._floor_note(name):
                notes.append((FloorWarning, floored))
            if len(far):
                d = self.shown.get(name)
                show, unit = (d.shown, f" {d.shown_unit}".rstrip()) if d else (float, "")
                listed = ", ".join(f"{show(v):g}" for v in far[:5]) + ", ..." * (len(far) > 5)
                loo = (
                    f", or ln(value) more than {OUTLIER_LN_LOO:g} sd from its prediction by the "
                    "model of the other rows"
                    if log and model is not None
                    else ""
                )
                text = (
                    f"objective {name}: {len(far)} of {len(y)} values ({listed}{unit}) lie more "
                    f"than {limit:g} interquartile ranges{' of ln(value)' * log} from the median "
                    f"{show(median):g}{unit}{loo}: check their "
                    "value and unit; the model takes them as measured"
                )
                notes.append((OutlierWarning, text))
        return notes

    def _loo_z(self, model, name: str) -> np.ndarray:
        """Per value above 0 of log outcome ``name`` (in the order told): |ln(value) - mu| / sd
        of ``model``'s leave-one-out prediction (``_loo``, sd of one measurement)."""
        loo = self._loo(model)
        loo = loo[loo[name] > 0]
        return (
            np.abs(np.log(loo[name] / loo[f"{name}_loo_mean"])) / loo[f"{name}_loo_std"]
        ).to_numpy()

    def _span_note(self, name: str, y: np.ndarray) -> str | None:
        """The ``SpanWarning`` text for objective ``name``'s values ``y``, or None: an optimised
        objective without log, every value > 0, the largest over ``10 ** SPAN_DECADES`` x the
        smallest."""
        if name not in self.objectives or name in self.log_outcomes or not len(y) or (y <= 0).any():
            return None
        decades = math.log10(y.max() / y.min())
        if decades <= SPAN_DECADES:
            return None
        d = self.shown.get(name)
        show, unit = (d.shown, f" {d.shown_unit}".rstrip()) if d else (float, "")
        return (
            f"objective {name}: its values, all above 0, span {decades:.1f} decades "
            f"({show(y.min()):.3g} to {show(y.max()):.3g}{unit}); the model fits them on a "
            f"linear scale, where the largest dominate: give {name} log = true in [[objectives]] "
            f"(ObjectiveDef(log=True)) to model ln {name}"
        )

    def notes(self) -> list[str]:
        """What the observed data warn of, as text: the fit's warnings (``_notes``) and the
        ask's ``NoFeasibleWarning``; what ``model_summary`` stores, for who sees no warning (the
        web API, the dashboard's model page)."""
        fitted = len(self._X) >= 2 and min(self.measured_counts().values()) >= 2
        notes = [text for _, text in self._notes(self.model if fitted else None)]
        if infeasible := self._infeasible_note():  # says the awaiting rows too
            return [*notes, infeasible]
        if waiting := self._awaiting_text():  # neither counted met nor failed: said
            notes.append(f"{waiting} (outside the best so far and the Pareto front until measured)")
        return notes

    def _warn_infeasible(self) -> None:
        """A ``NoFeasibleWarning`` naming the outcome constraints when no observation meets
        them (BoTorch's own note, in its terms, came once per acquisition built)."""
        if note := self._infeasible_note():
            warnings.warn(note, NoFeasibleWarning, stacklevel=3)

    def _infeasible_note(self) -> str | None:
        if not self.outcome_constraints or not len(self._X) or self.feasible().any():
            return None
        bounds = []
        for name, (lo, hi) in self.outcome_constraints.items():
            d = self.shown.get(name)
            show, unit = (d.shown, f" {d.shown_unit}".rstrip()) if d else (float, "")
            for sign, bound in ((">=", lo), ("<=", hi)):
                if bound is not None:
                    bounds.append(f"{name} {sign} {show(bound):g}{unit}")
        waiting = self._awaiting_text()
        return (
            f"none of the {len(self._X)} observations meets the outcome constraints "
            f"({', '.join(bounds)}) yet{f' ({waiting})' if waiting else ''}: each suggestion's "
            "expected improvement is weighed by its modelled probability of meeting them"
        )

    def _U(self) -> torch.Tensor:
        return self.space.to_unit(self._X)

    def _signs(self) -> list[float]:
        """+1 / -1 per outcome: model output = sign * value (objectives maximised)."""
        extra = len(self.outcomes) - len(self.objectives)
        return [1.0 if m else -1.0 for m in self.maximize] + [1.0] * extra

    def _model_Y(self) -> pd.DataFrame:
        """The observed outcomes ``n x m`` on the model's scale (``_on_model_scale``)."""
        return pd.DataFrame(
            {o: self._on_model_scale(o, self._Y[o].to_numpy(dtype=float)) for o in self.outcomes}
        )

    def _signed_Y(self) -> torch.Tensor:
        sign = torch.tensor(self._signs(), dtype=DTYPE)
        return torch.tensor(self._model_Y().to_numpy(dtype=float), dtype=DTYPE) * sign

    def _Yvar(self) -> torch.Tensor:
        """Stated variances ``n x m`` (0 where none): the model's known noise; of a log outcome
        that of ln(value), (sigma / value)^2, none at a 0 (modelled at its floor)."""
        E = self._E[self.outcomes].fillna(0.0)
        for o in self.log_outcomes:
            if o in E:
                E[o] = (E[o] / self._Y[o]).where(self._Y[o] != 0, 0.0)
        return torch.tensor(E.fillna(0.0).to_numpy(dtype=float), dtype=DTYPE) ** 2

    def measured_counts(self) -> dict[str, int]:
        """Per outcome, the observations that hold a value of it (several outcomes: a row may
        leave some unmeasured)."""
        return {o: int(self._Y[o].notna().sum()) for o in self.outcomes}

    def modelled(self) -> bool:
        """Whether a model can be fitted: every outcome measured at 2 distinct points or more
        (else ``ask`` draws a Sobol design)."""
        keys = pd.Series(self.space.keys(self._X), index=self._X.index, dtype=object)
        if self._Y is None or not len(keys):
            return False
        return all(keys[self._Y[o].notna()].nunique() >= 2 for o in self.outcomes)

    def constant(self, outcome: str) -> bool:
        """Whether every observed value of ``outcome`` is the same (the model can only explore)."""
        return bool(self._Y[outcome].nunique() == 1)

    def replicate_noise(self) -> tuple[np.ndarray, int]:
        """The pooled scatter of rows measured at one point: per outcome the std
        ``sqrt(sum (y - mean of its point)^2 / dof)`` (``(m,)``, outcome units) and its degrees of
        freedom ``dof = rows - points`` (0: no replicates; the std then NaN). A log outcome's on
        the model's scale, ln(value)."""
        keys = pd.Series(self.space.keys(self._X), index=self._Y.index)
        Y = self._model_Y().set_axis(self._Y.index)
        have = Y.notna()  # an outcome's degrees of freedom count its measured rows
        dofs = np.array([have[o].sum() - keys[have[o]].nunique() for o in self.outcomes])
        dof = int(dofs.min())
        if dof == 0:
            return np.full(len(self.outcomes), np.nan), 0
        resid = Y - Y.groupby(keys).transform("mean")
        return np.sqrt((resid**2).sum().to_numpy(dtype=float) / dofs), dof

    def measurement_noise(self) -> torch.Tensor:
        """A typical measurement's noise std ``(m,)`` in outcome units: the model's
        (``typical_noise_std``: fitted part and median stated variance), raised to the replicates'
        pooled scatter (``replicate_noise``) when it has ``REPLICATE_DOF`` degrees of freedom or
        more. The fitted noise runs low (BoTorch's noise prior, median 0.018 of the outcome's
        variance): measured in duplicate with noise sd 1, fitted 0.56-0.69 (a peak, a flat
        objective); 20 pairs' pooled scatter 0.80 (90 % range for 20 degrees of freedom
        0.74-1.25). The stopping advisor's, ``repeats``' and ``expects_no_improvement``'s bar."""
        typical = typical_noise_std(self.model)
        pooled, dof = self.replicate_noise()
        if dof < REPLICATE_DOF:
            return typical
        return torch.maximum(typical, torch.as_tensor(pooled, dtype=typical.dtype))

    def known_errors(self) -> dict[str, int]:
        """Per outcome, how many observations carry a stated error (> 0) the model uses."""
        if self._E is None:
            return dict.fromkeys(self.outcomes, 0)
        return {
            name: int(((self._E[name] > 0) & self._Y[name].notna()).sum())  # of measured values
            for name in self.outcomes
        }

    def feasible(self) -> np.ndarray:
        """Boolean ``(n,)``: observations known to meet every outcome constraint (each measured
        and within its bounds; ``constraint_status`` "met"). A writable copy: pandas' read-only
        view made ``torch.from_numpy`` warn of a non-writable array at every constrained ask."""
        return (self.constraint_status() == "met").to_numpy(copy=True)

    def constraint_status(self) -> pd.Series:
        """Per observation (``X``'s index): "met" (every outcome constraint measured and met),
        "not met" (a measured one broken) or "unknown" (none broken, one not measured yet: neither
        the feasible best nor infeasible until it is). Without outcome constraints every row is
        "met"."""
        Y = self._Y if self._Y is not None else pd.DataFrame(index=self._X.index)
        status = constraint_status(Y, self.outcome_constraints)  # campaign's: one rule
        return pd.Series(status, index=self._X.index, dtype=object)

    def awaiting(self) -> dict[str, int]:
        """Per outcome constraint, the observations whose status is "unknown" for want of its
        measurement (a row may await several); only those with some awaiting."""
        if self._Y is None:
            return {}
        return awaiting(self._Y, self.outcome_constraints)

    def _awaiting_text(self) -> str:
        """ "3 of 9 observations await a measurement of tc" (or "" when none does)."""
        if not (waiting := self.awaiting()):
            return ""
        unknown = int((self.constraint_status() == "unknown").sum())
        names = ", ".join(
            f"{name} ({c})" if len(waiting) > 1 else name for name, c in waiting.items()
        )
        return (
            f"{unknown} of {len(self._X)} observation{'s' * (len(self._X) != 1)} "
            f"await{'s' * (unknown == 1)} a measurement of {names}: not known to meet or break "
            "the outcome constraints yet"
        )

    def _derived_seed(self, n_pending: int) -> int:
        return int(
            np.random.SeedSequence([self.seed, len(self._X), n_pending]).generate_state(1)[0]
        )

    def predict(
        self,
        X: pd.DataFrame | Mapping[str, Sequence] | Sequence[Mapping],
        measurement: bool = False,
    ) -> pd.DataFrame:
        """Posterior mean and std at ``X``: columns ``<outcome>_mean``, ``<outcome>_std`` (outcome
        units). ``std`` is the sd of the mean (the model's uncertainty of the noise-free value);
        with ``measurement`` it is the sd of what one measurement there will read:
        ``sd_scale() x sqrt(sd_mean^2 + measurement_noise^2)``, what ``fluxtrap suggest`` shows.
        ``X``: ``n x d`` DataFrame, a mapping of column name -> values or a list of rows (as
        ``tell``). A ``log_outcomes`` one is modelled as ln(value): its ``_mean`` is the median
        exp(mu) in its units and its ``_std`` the sd of ln(value), so ``k`` sd span
        exp(mu -+ k sd), ``mean`` divided and multiplied by exp(k sd)."""
        X = _rows_frame(X, self.space.names, "X", others=True)
        U = self.space.to_unit(X, "X")
        model = self.model  # fit (needs gradients) before no_grad
        with torch.no_grad():  # by chunks: a posterior holds its points' joint covariance
            posts = [model.posterior(u) for u in U.split(PREDICT_CHUNK)]  # one for no row
            mean = torch.cat([p.mean for p in posts])
            std = torch.cat([p.variance for p in posts]).clamp_min(0).sqrt()
        if measurement:
            noise = self.measurement_noise().to(std)
            std = torch.as_tensor(self.sd_scale()).to(std) * (std**2 + noise**2).sqrt()
        out = {}
        for j, (name, sign) in enumerate(zip(self.outcomes, self._signs(), strict=True)):
            out[f"{name}_mean"] = self._from_model_scale(name, (sign * mean[:, j]).numpy())
            out[f"{name}_std"] = std[:, j].numpy()
        return pd.DataFrame(out, index=X.index)

    def _from_model_scale(self, name: str, values: np.ndarray) -> np.ndarray:
        """Model-scale values of outcome ``name`` in its units (a log outcome's exp: the
        median)."""
        return np.exp(values) if name in self.log_outcomes else values

    def sd_scale(self) -> np.ndarray:
        """Per outcome ``(m,)``, the factor on the sd of a measurement (``predict(measurement=
        True)``) from this campaign's own record of predicting its next measurement: each of the
        last ``LFO_ROWS`` rows told is predicted by the model refitted to the rows told before
        it (leave-future-out, Buerkner et al. 2020, J. Stat. Comput. Simul. 90, 2499; with the
        same seed, the model that stood when that row was suggested), ``z = (y - mean) /
        sqrt(sd_mean^2 + noise^2)``, and ``s^2 = (1 + sum z^2) / (1 + k)`` over the ``k`` rows
        whose earlier rows hold 2 distinct points (one pseudo-row at z^2 = 1: no record, s = 1).
        The sd of a fit to few rows is too small where the acquisition looks, near the best point
        (a peak narrower than the length-scale): within 1 sd of the mean's sd lay 29 +- 2 % of
        the measured values at suggestions on held-out objectives, 53 +- 2 % with this (2 sd: 45
        -> 68 %; random points 64 -> 78 %; bench/results/suggest_coverage.md).
        Past ``LFO_MAX_OBSERVATIONS`` rows, or refits estimated past ``LFO_MAX_S``, 1 (no
        refits)."""
        if self._sd_scale is None:
            self._sd_scale = self._leave_future_out()
        return self._sd_scale.copy()

    def _leave_future_out(self) -> np.ndarray:
        m, n = len(self.outcomes), len(self._X)
        total, rows = np.ones(m), np.ones(m)
        if n > LFO_MAX_OBSERVATIONS or ASK_SAFETY * LFO_ROWS * self._fit_seconds(n) > LFO_MAX_S:
            return total
        keys = self.space.keys(self._X)
        for i in range(max(0, n - LFO_ROWS), n):
            before = self._Y.iloc[:i][self.outcomes]
            if before.nunique().min() < 2 or any(
                len({k for k, v in zip(keys, before[o], strict=False) if v == v}) < 2
                for o in self.outcomes
            ):
                continue  # no model, or a constant one, stood before row i
            sub = Optimizer(
                self.space,
                seed=self.seed,
                objectives=self.objectives,
                maximize=self.maximize,
                outcome_constraints=self.outcome_constraints,
                shown=self.shown,
            )
            sub.tell(self._X.iloc[:i], self._Y.iloc[:i], self._E.iloc[:i])
            sub._constant_warned = True  # the prefix's notes were said when it was told
            # not catch_warnings: the server's threads share the filters (optimize/quiet.py)
            with quiet_numerics(), one_thread():
                pred = sub.predict(self._X.iloc[[i]])
                fitted, typical = noise_std(sub.model).numpy(), sub.measurement_noise().numpy()
            for j, name in enumerate(self.outcomes):
                if np.isnan(self._Y[name].iloc[i]):
                    continue  # not measured in row i
                y, mean = float(self._Y[name].iloc[i]), float(pred[f"{name}_mean"].iloc[0])
                stated = self._E[name].iloc[i] / (y if name in self.log_outcomes else 1.0)
                stated = stated if np.isfinite(stated) else 0.0  # a log outcome's 0: none
                noise2 = fitted[j] ** 2 + stated**2 if stated > 0 else typical[j] ** 2
                sd2 = float(pred[f"{name}_std"].iloc[0]) ** 2 + noise2
                y, mean = (self._on_model_scale(name, v) for v in (y, mean))
                total[j] += (y - mean) ** 2 / sd2
                rows[j] += 1
        return np.sqrt(total / rows)

    def loo(self) -> pd.DataFrame:
        """Leave-one-out predictions: per outcome ``<o>``, ``<o>`` (observed), ``<o>_loo_mean``, ``<o>_loo_std``.

        Replicates (rows at one point) are left out together: each is predicted from the others.
        A log outcome's as ``predict``'s: the median exp(mu) and the sd of ln(value)."""
        return self._loo(self.model)

    def _loo(self, model) -> pd.DataFrame:
        """``loo`` of a fitted ``model`` of the rows told (``model`` or ``planning_model``)."""
        keys = self.space.keys(self._X)
        if len(fits := parts(model)) == 1:
            mean, std = loo_predictions(fits[0], keys)  # replicates together
        else:  # one GP per outcome on its measured rows; NaN in the others
            mean = torch.full((len(keys), len(fits)), math.nan, dtype=DTYPE)
            std = mean.clone()
            for j, (fit, name) in enumerate(zip(fits, self.outcomes, strict=True)):
                rows = torch.tensor(self._Y[name].notna().to_numpy(dtype=bool))
                mu, sd = loo_predictions(fit, [k for k, r in zip(keys, rows, strict=True) if r])
                mean[rows, j], std[rows, j] = mu[:, 0], sd[:, 0]
        out = self._X.copy()
        for j, (name, sign) in enumerate(zip(self.outcomes, self._signs(), strict=True)):
            out[name] = self._Y[name].to_numpy(dtype=np.float64)
            out[f"{name}_loo_mean"] = self._from_model_scale(name, (sign * mean[:, j]).numpy())
            out[f"{name}_loo_std"] = std[:, j].numpy()
        return out

    def lengthscales(self) -> pd.DataFrame:
        """Fitted length-scale per parameter (rows: objectives) in parameter units (log
        parameters: decades; categorical: encoded).

        A short length-scale means the objective changes fast along that parameter: it matters most.
        """
        ls = lengthscales(self.model, self.space.dim).numpy().copy()
        for j, p in enumerate(self.space.parameters):
            if not isinstance(p, Categorical):
                ls[:, j] *= p.span
        return pd.DataFrame(ls, index=self.outcomes, columns=self.space.names)

    def model_summary(self) -> dict[str, Any]:
        """JSON-able summary for the store: n, per objective goal, length-scales, noise, LOO error;
        with several objectives also the observed Pareto front (parameters and objectives).
        Noise per outcome: ``noise_std`` a typical measurement's (``measurement_noise``: the
        fitted part and the median stated variance, at least the replicates' scatter; the
        stopping advisor's), ``fitted_noise_std``
        the part fitted on top of the stated errors, ``known_errors`` the rows stating one;
        ``constant``: every observed value equal (the stopping advisor does not count the round).
        A log outcome's entry has ``log`` true and its noise, LOO RMSE and R^2 on ln(value)."""
        summary: dict[str, Any] = {"n": len(self._X), "model": self._model_name()}
        if len(self._X) < 2 or min(self.measured_counts().values()) < 2:
            return summary
        loo, ls = self.loo(), self.lengthscales()
        noise, fitted = self.measurement_noise().numpy(), noise_std(self.model).numpy()
        known = self.known_errors()
        summary["objectives"] = {}
        goals = ["maximize" if mx else "minimize" for mx in self.maximize]
        goals += ["constraint"] * (len(self.outcomes) - len(goals))
        for j, (name, goal) in enumerate(zip(self.outcomes, goals, strict=True)):
            observed = self._on_model_scale(name, loo[name])
            err = self._on_model_scale(name, loo[f"{name}_loo_mean"]) - observed
            var = float(observed.var(ddof=0))
            summary["objectives"][name] = {
                "goal": goal,
                "lengthscales": {k: _finite(v) for k, v in ls.loc[name].items()},
                "noise_std": _finite(noise[j]),
                "fitted_noise_std": _finite(fitted[j]),
                "known_errors": known[name],
                "loo_rmse": _finite(math.sqrt(float((err**2).mean()))),
                "loo_r2": _finite(1 - float((err**2).mean()) / var) if var > 0 else None,
                "constant": self.constant(name),
            }
            if name in self.log_outcomes:
                summary["objectives"][name]["log"] = True
            if name in self.outcome_constraints:
                lo, hi = self.outcome_constraints[name]
                summary["objectives"][name]["bounds"] = [lo, hi]
        if self.outcome_constraints:  # each observation's: met, not met, or not measured yet
            status = self.constraint_status()
            summary["constraints"] = {k: int((status == k).sum()) for k in STATUSES}
            summary["constraints"]["awaiting"] = self.awaiting()
        if notes := self.notes():  # the data's warnings, for who sees no warning (the web API)
            summary["notes"] = notes
        if len(self.objectives) > 1:
            front = self.pareto_front()
            summary["pareto_front"] = [
                {k: v if isinstance(v, str) else float(v) for k, v in row.items()}
                for row in front.to_dict("records")
            ]
            summary["pareto_left_out"] = front.attrs["left_out"]  # rows not weighed, and why
        return summary

    def _model_name(self) -> str:
        kind = "MixedSingleTaskGP" if self.space.cat_dims else "SingleTaskGP"
        noise = (
            "stated errors + fitted noise" if any(self.known_errors().values()) else "fitted noise"
        )
        name = f"{kind}(Matern-5/2 ARD, Standardize, {noise})"
        if self._Y is not None and bool(self._Y[self.outcomes].isna().any(axis=None)):
            return f"ModelListGP(one {name} per outcome, on the rows that measured it)"
        return name

    # ---------------------------------------------------------------- results
    def best(self) -> pd.Series:
        """The best observed row known to meet the outcome constraints (parameters and
        outcomes); single objective only. A row whose constrained outcome is not measured yet is
        neither (``constraint_status`` "unknown"): left out, and counted in the answer's
        ``attrs``: "constraints" {"met", "not met", "unknown"} (rows with the objective measured)
        and "awaiting" {outcome: rows awaiting its measurement} (``awaiting``)."""
        if len(self.objectives) != 1:
            raise ValidationError("best() is for one objective; use pareto_front()")
        y = self._signed_Y()[:, 0].numpy()
        status = self.constraint_status().to_numpy()
        i = best_position(y, status=status)  # signed: the largest is the best
        if i is None:
            waiting = self._awaiting_text()
            raise ValidationError(
                "no observation meets the outcome constraints yet"
                + (f" ({waiting})" * bool(waiting))
            )
        row = pd.concat([self._X.iloc[i], self._Y.iloc[i]])
        told = np.isfinite(y)
        row.attrs["constraints"] = {k: int((told & (status == k)).sum()) for k in STATUSES}
        row.attrs["awaiting"] = self.awaiting()
        return row

    def pareto_front(self) -> pd.DataFrame:
        """Observed rows with every objective measured, known to meet the outcome constraints and
        not dominated in any objective. ``attrs["left_out"]`` counts the rows not weighed:
        {"objective not measured": .., "constraint not measured": ..} (a row lacking both
        counted under the first)."""
        Y = self._signed_Y()[:, : len(self.objectives)]
        complete = ~torch.isnan(Y).any(-1).numpy()  # every objective measured
        unknown = (self.constraint_status() == "unknown").to_numpy()
        ok = self.feasible() & complete
        mask = np.zeros(len(ok), dtype=bool)
        if ok.any():
            mask[np.flatnonzero(ok)] = is_non_dominated(Y[torch.from_numpy(ok)]).numpy()
        front = pd.concat([self._X, self._Y], axis=1)[mask]
        front.attrs["left_out"] = {
            "objective not measured": int((~complete).sum()),
            "constraint not measured": int((complete & unknown).sum()),
        }
        return front

    def reference_point(self) -> torch.Tensor:
        """The hypervolume's reference point ``(k,)`` (signed objectives, all maximised):
        BoTorch's ``infer_reference_point`` on the observed front of the rows with every
        objective measured (those known to meet the outcome constraints when any does). A
        partly measured row moves neither the front nor the point (its unmeasured objective had
        been filled with the model's mean there, and one far ahead in its measured objective
        moved the point by a tenth of the stretch it added). No row complete: per objective, its
        own measured values' worst less a tenth of their range."""
        k = len(self.objectives)
        Y = self._signed_Y()[:, :k]
        complete = ~torch.isnan(Y).any(-1)
        ok = complete & torch.from_numpy(self.feasible())
        rows = Y[ok] if ok.any() else Y[complete]
        if len(rows):
            return infer_reference_point(rows[is_non_dominated(rows)])
        measured = [Y[:, j][~torch.isnan(Y[:, j])] for j in range(k)]
        worst = torch.stack([v.min() for v in measured])
        return infer_reference_point(torch.stack([worst, torch.stack([v.max() for v in measured])]))

    def _model_bounds(self, name: str) -> tuple[float | None, float | None]:
        """Outcome constraint ``name``'s bounds on the model's scale: a log outcome's ln (a lower
        bound <= 0 none: every value is above it)."""
        lo, hi = self.outcome_constraints[name]
        if name not in self.log_outcomes:
            return lo, hi
        return (math.log(lo) if lo is not None and lo > 0 else None), _log_or_none(hi)

    def _constraint_callables(self) -> list:
        """Outcome constraints as BoTorch callables on samples ``... x m`` (<= 0 means met)."""
        out, signs = [], self._signs()
        for name in self.outcome_constraints:
            lo, hi = self._model_bounds(name)
            j = self.outcomes.index(name)
            s = signs[j]
            if lo is not None:
                out.append(lambda Z, j=j, s=s, lo=lo: lo - s * Z[..., j])
            if hi is not None:
                out.append(lambda Z, j=j, s=s, hi=hi: s * Z[..., j] - hi)
        return out

    def _constraint_bounds(self) -> dict[int, tuple[float | None, float | None]]:
        """Outcome constraints as ``{output: (lower, upper)}`` on the model outputs (signed)."""
        out, signs = {}, self._signs()
        for name in self.outcome_constraints:
            lo, hi = self._model_bounds(name)
            if lo is None and hi is None:  # a log outcome's lower bound <= 0: always met
                continue
            j = self.outcomes.index(name)
            out[j] = (lo, hi) if signs[j] > 0 else (_neg(hi), _neg(lo))
        return out

    # ---------------------------------------------------------------- ask
    def acquisition_function(self, pending: torch.Tensor | None = None, batch: bool = False):
        """The BoTorch acquisition used by ``ask`` (q=1 form); ``pending`` encoded ``k x d``.
        With a batch or pending points it works on ``planning_model``."""
        has_pending = pending is not None and len(pending) > 0
        model = self.planning_model if batch or has_pending else self.model
        U = self._U()
        sampler = SobolQMCNormalSampler(torch.Size([self.mc_samples]), seed=self._derived_seed(0))
        k, extra = len(self.objectives), len(self.outcomes) > len(self.objectives)
        constraints = self._constraint_callables() or None
        if k > 1:
            return qLogNoisyExpectedHypervolumeImprovement(
                model,
                ref_point=self.reference_point(),
                X_baseline=U,
                sampler=sampler,
                objective=IdentityMCMultiOutputObjective(outcomes=list(range(k)))
                if extra
                else None,
                constraints=constraints,
                prune_baseline=True,
                X_pending=pending if has_pending else None,
            )
        if not (batch or has_pending):
            return self._single_point(model, U, self.feasible())
        return qLogNoisyExpectedImprovement(
            model,
            X_baseline=U,
            sampler=sampler,
            objective=GenericMCObjective(lambda Z, X=None: Z[..., 0]) if extra else None,
            constraints=constraints,
            prune_baseline=True,
            X_pending=pending if has_pending else None,
        )

    def _single_point(self, model, U: torch.Tensor, ok: np.ndarray):
        """Analytic LogEI over the best posterior mean at the encoded points ``U`` (``n x d``);
        with outcome constraints LogConstrainedEI over the best among the rows ``ok`` (``(n,)``,
        those meeting them; none: the lowest mean)."""
        with torch.no_grad():
            mean = model.posterior(U).mean[:, 0]
        if not self.outcome_constraints:
            return LogExpectedImprovement(model, best_f=mean.max())
        met = torch.from_numpy(ok)
        best_f = mean[met].max() if met.any() else mean.min()
        return LogConstrainedExpectedImprovement(
            model, best_f=best_f, objective_index=0, constraints=self._constraint_bounds()
        )

    def believer_acquisition(self, pending: torch.Tensor | None = None):
        """The single-point acquisition the model slices draw given ``pending`` points (encoded
        ``k x d``): ask's analytic one (LogEI; LogConstrainedEI with outcome constraints) on the
        planning model conditioned on them at its posterior mean (kriging believer), over the
        best mean among observed and pending points (those believed to meet the outcome
        constraints). Without pending points, or with several objectives,
        :meth:`acquisition_function`. qLogNEI's 128 quasi-MC samples resolve no chance of
        improving below about 1 in 128: a slice away from the optimum read log EI -85 to -91
        where 16384 samples give -2.0 to 1.4 (this: -2.6 to 1.6)."""
        if pending is None or not len(pending) or len(self.objectives) > 1:
            return self.acquisition_function(pending)
        model = self.planning_model
        with torch.no_grad():
            believed = model.posterior(pending).mean  # k x m, the model's (signed) outputs
            fantasies = []
            for j, fit in enumerate(fits := parts(model)):
                mine = believed if len(fits) == 1 else believed[:, j : j + 1]
                stated = {}
                if isinstance(fit.likelihood, FixedNoiseGaussianLikelihood):  # a typical row's
                    stated["noise"] = known_noise_var(fit).median(dim=0).values.expand_as(mine)
                fantasies.append(fit.condition_on_observations(pending, mine, **stated))
            fantasy = fantasies[0] if len(fits) == 1 else ModelListGP(*fantasies)
        met = np.ones(len(pending), dtype=bool)
        for j, (lo, hi) in self._constraint_bounds().items():
            b = believed[:, j].numpy()
            met &= (b >= lo if lo is not None else True) & (b <= hi if hi is not None else True)
        return self._single_point(
            fantasy, torch.cat([self._U(), pending]), np.r_[self.feasible(), met]
        )

    def ask(
        self,
        n: int = 1,
        candidates: pd.DataFrame | Mapping[str, Sequence] | Sequence[Mapping] | None = None,
        pending: pd.DataFrame | Mapping[str, Sequence] | Sequence[Mapping] | None = None,
        progress: Callable[[int], None] | None = None,
        allow_long: bool = False,
    ) -> pd.DataFrame:
        """Suggest ``n`` new points: a DataFrame of parameters plus an ``acquisition`` column.

        ``candidates``: a finite pool to choose from: a DataFrame (the rows keep their index), a
        mapping of parameter name -> values, or a list of rows, each a mapping parameter name ->
        value (index 0..n-1); matched by name, a name that is no parameter or a parameter not
        given is a ValidationError naming it, as is a row label given twice or a row outside the
        bounds or choices or off a step grid, and more than ``MAX_CANDIDATE_VALUES`` values (rows
        x parameters x n: the pool is scored once per suggestion) before any row is read.
        ``pending``: points being made/measured (in any form ``candidates`` takes), treated as
        taken (never suggested again and, with a model, conditioned on as in qLogNEI). The ``acquisition`` value of a row is its log
        expected improvement given the external pending points (NaN for the initial Sobol design,
        used until two distinct points are measured),
        also for rows chosen by posterior mean (near the end of a ``budget``, or in a round whose
        expected improvement is below the noise: ``expects_no_improvement``). ``result.attrs``
        holds ``acquisition_function``, ``seed`` and ``exploit`` (per row: by posterior mean).
        ``progress``: called with the number of points chosen so far after each (a batch of a
        hundred takes minutes: 3 objectives, 30 points, 227 s on 2 busy cores). An ask estimated
        (:meth:`ask_seconds`) past ``ASK_NOTE_S`` says so (``LongAskWarning``), past
        ``MAX_ASK_S`` it is a ValidationError saying the estimate and the largest batch within
        the limit, before any fit or search (with ``candidates`` too, each round's search then
        the scoring of the pool), unless ``allow_long``.
        """
        n = _whole(n, "ask: n", 1, MAX_BATCH)
        k = 1 if self._objectives is None else len(self._objectives)
        if k > MAX_HV_OBJECTIVES:
            raise ValidationError(
                f"ask: {k} objectives to optimise, at most {MAX_HV_OBJECTIVES} (the hypervolume "
                "improvement's work grows exponentially with them); give the others goal = "
                '"constraint" (measured, not optimised)'
            )
        if pending is not None:
            pending = _rows_frame(pending, self.space.names, "pending")
        check_pending(0 if pending is None else len(pending), "ask")
        space = self.space
        space.check_feasible()
        P = space.to_unit(pending, "pending") if pending is not None and len(pending) else None
        seen = set(space.keys(self._X)) | (set(space.keys(pending)) if P is not None else set())
        seed = self._derived_seed(0 if P is None else len(P))
        pool = encoded = None
        if candidates is not None:  # every row settable: in bounds and choices, on the grid
            candidates = _rows_frame(
                candidates, space.names, "candidates", MAX_CANDIDATE_VALUES, passes=n
            )
            if twice := sorted({str(r) for r in candidates.index[candidates.index.duplicated()]}):
                raise ValidationError(  # pandas' "Length of values (2) does not match ..."
                    f"candidates: row label(s) {', '.join(twice[:10])} given twice: each "
                    "suggestion is returned under its row's label"
                )
            encoded = space.to_unit(candidates, "candidates")  # once per ask: 400 000 rows, s
            space.check_grid(candidates, "candidates")
            candidates = space.as_numbers(candidates)  # "0.4" had been suggested as text
            rows = np.flatnonzero(space.feasible(candidates))
            firsts = set(seen)  # the feasible rows neither seen nor a repeat of an earlier row
            new = np.zeros(len(candidates), dtype=bool)
            for i, k in zip(rows, unit_keys(encoded[rows]), strict=True):
                new[i] = k not in firsts
                firsts.add(k)
            # a mask, not a list: an empty list (no feasible row left) selected no columns, and
            # the answer was "X: missing parameter column(s) ..." for an empty or infeasible pool
            pool, encoded = candidates[new], encoded[torch.from_numpy(new)]
            if len(pool) < n:
                raise ValidationError(
                    f"ask: only {len(pool)} candidate row(s) are new and feasible, {n} asked for"
                )
        table = space.grid() if pool is None else None
        grid = None if table is None else space.to_unit(table)  # encoded once for every round
        if grid is not None and not len(grid):
            raise ValidationError(
                "ask: no point of the step grid meets the constraints "
                f"{'; '.join(c.text() for c in space.constraints)}: nothing can be suggested"
            )
        if grid is not None:
            keys = unit_keys(grid)
            free = sum(k not in seen for k in keys)
            if free < n:
                measured = set(space.keys(self._X))
                held = sum(k in measured for k in keys)
                pending_only = len(grid) - free - held
                if pending_only:
                    advice = (
                        "discard open suggestions no sample will be made from to free their points"
                    )
                elif free:
                    advice = f"ask for {free} at most"
                else:
                    advice = "every settable point is measured: widen a bound or refine a step"
                raise ValidationError(
                    f"ask: only {free} of the {len(grid)} settable feasible points are neither "
                    f"measured nor pending, {n} asked for ({held} measured, "
                    f"{pending_only} pending only: {advice})"
                )
        if not self.modelled():  # replicates of one point tell no trend
            if pool is not None:
                rows = np.random.default_rng(seed).choice(len(pool), size=n, replace=False)
                out = pool.iloc[rows].copy()
            else:
                exclude = pd.concat([self._X, pending]) if P is not None else self._X
                out = space.sample(n, seed=seed, exclude=exclude)
            out["acquisition"] = np.nan
            out.attrs.update(acquisition_function="Sobol", seed=self.seed)
            return out

        self._check_cost(
            n, 0 if P is None else len(P), 0 if pool is None else len(pool), allow_long
        )
        self._warn_infeasible()
        batch = n > 1
        done = len(self._X) + (0 if P is None else len(P))
        plan = self._search_plan(n, seed)
        exploits = [self.exploits(done + j + 1) for j in range(n)]
        with manual_seed(seed), quiet_numerics(), quiet_search(), one_thread():
            chosen, picked = self._choose(
                exploits, P, pool, encoded, seen, seed, grid, plan, progress
            )
            # each row's own value given the external pending points (not the rest of the
            # batch), by the acquisition that chose the first row: built from the same seed, as
            # qLogNEI prunes its baseline with posterior samples drawn from the global RNG
            with manual_seed(seed):
                first = self.acquisition_function(P, batch)
            with torch.no_grad():
                values = first(torch.stack(chosen).unsqueeze(1)).tolist()
            searched = max(values)  # the acquisition search's best log EI
            settled = not all(exploits) and self.expects_no_improvement(searched)
            if settled:
                exploits = [True] * n
                chosen, picked = self._choose(
                    exploits, P, pool, encoded, seen, seed, grid, plan, progress
                )
                with torch.no_grad():
                    values = first(torch.stack(chosen).unsqueeze(1)).tolist()
        if pool is not None:
            out = pool.loc[picked].copy()
        else:
            out = space.from_unit(torch.stack(chosen))
            for name, value in space.fixed.items():
                out[name] = value
        out["acquisition"] = values
        name = type(first).__name__
        if settled:
            name = _settled_name(searched, max(values), float(self.measurement_noise()[0]))
        elif any(exploits):
            name = "PosteriorMean" if all(exploits) else f"{name} + PosteriorMean"
        out.attrs.update(acquisition_function=name, seed=self.seed, exploit=exploits)
        out.attrs["repeats"] = list(self._repeat_rows)
        if plan["skipped"]:
            out.attrs["search"] = (
                f"the acquisition search ran past its {SEARCH_SAFETY_S:g} s safety stop: "
                f"{plan['of'] - plan['skipped']} of {plan['of']} planned categorical combination "
                "searches ran (the suggestion is the best among them and 128 space-filling "
                "points), so it depends on this machine's speed and is not reproducible from "
                "the seed and data"
            )
        return out

    def ask_seconds(self, n: int, pending: int = 0, candidates: int = 0) -> float:
        """Estimated wall time (s) of ``ask(n)`` with ``pending`` points, its fit included, from
        the sizes alone: each round's continuous search (``ASK_SECONDS``) or, from a pool of
        ``candidates`` rows, its scoring of the pool (``ASK_POOL_ROW_S``); scaled by
        ``ASK_SAFETY`` so it is low for about 1 ask in 10."""
        k = len(self._objectives or [None])
        d, obs = self.space.dim, len(self._X)
        taken = obs + pending + 5 + np.arange(n)  # what each round conditions on
        effort = max(self.num_restarts / 8, self.raw_samples / 256) * self.mc_samples / 128
        search = ASK_SECONDS[k] * effort * (d / 3) ** ASK_DIM_POWER * self._searches_per_round(n)
        rounds = search * (taken / 25) ** 0.63
        if candidates:  # no search: each round scores the pool (and builds its acquisition)
            scored = ASK_POOL_ROW_S * candidates * (d / 3) ** 0.7 * self.mc_samples / 128
            rounds = scored * (taken / 25) ** 0.6 + (rounds if k > 1 else 0.0)
        return ASK_SAFETY * (self._fit_seconds(obs) + float(np.sum(rounds)))

    def _fit_seconds(self, observations: int) -> float:
        """Central estimate (s) of one model fit to ``observations`` rows (``ASK_FIT_S``)."""
        k, d = len(self._objectives or [None]), self.space.dim
        mixed = ASK_MIXED_FIT_S * d / 3 if self.space.cat_dims else 0.0
        return (ASK_FIT_S[k] * (d / 3) ** ASK_DIM_POWER + mixed) * math.sqrt(observations / 50)

    def _check_cost(self, n: int, pending: int, candidates: int, allow_long: bool) -> None:
        """Say (``LongAskWarning``) an ask estimated past ``ASK_NOTE_S``; refuse one past
        ``MAX_ASK_S`` (unless ``allow_long``), naming the largest batch within it."""
        took = self.ask_seconds(n, pending, candidates)
        if took <= ASK_NOTE_S:
            return
        sizes = (
            f"{n} points, {len(self._objectives or [None])} objective(s), {len(self._X)} "
            f"observations, {pending} pending, {self.space.dim} parameters"
        )
        if took > MAX_ASK_S and not allow_long:
            fits = [m for m in range(1, n) if self.ask_seconds(m, pending, candidates) <= MAX_ASK_S]
            fewer = (
                f"ask for at most {fits[-1]} at a time (suggest -n {fits[-1]}), or " if fits else ""
            )
            raise LongAskError(
                f"ask: {sizes}: estimated about {took / 60:.0f} min on this machine, past the "
                f"{MAX_ASK_S / 60:g} min limit: {fewer}allow the long ask (suggest --allow-long, "
                "ask(allow_long=True))",
                sizes,
                took,
                fits[-1] if fits else 0,
            )
        warnings.warn(
            f"ask: {sizes}: estimated about {took / 60:.0f} min", LongAskWarning, stacklevel=3
        )

    def _searches_per_round(self, n: int) -> int:
        """Continuous searches (categorical combinations) each of ``n`` rounds runs."""
        fixed = self.space.fixed_features()
        sizes = [
            len(self.space.parameters[j].choices) for j in self.space.cat_dims if j not in fixed
        ]
        total = max(1, SEARCHES * SEARCH_DIMS // max(SEARCH_DIMS, self.space.dim))
        return max(1, min(math.prod(sizes), MAX_COMBINATIONS, total // n))

    def _search_plan(self, n: int, seed: int) -> dict[str, Any]:
        """The categorical combinations each of ``n`` rounds searches, fixed before any search
        from the problem's size (never from the clock): ``SEARCHES`` (fewer past ``SEARCH_DIMS``
        parameters) shared by the rounds, at least one and at most ``MAX_COMBINATIONS`` a round;
        round ``j`` takes the next ones of a list drawn once from ``seed`` (so rounds of one
        combination each cycle through them). Also holds the safety deadline and the counts of
        searches planned (``of``) and skipped past it."""
        space = self.space
        fixed = space.fixed_features()
        cats = [j for j in space.cat_dims if j not in fixed]
        sizes = [len(space.parameters[j].choices) for j in cats]
        per_round = self._searches_per_round(n)
        combos = [
            dict(zip(cats, map(float, c), strict=True))
            for c in _some_combinations(sizes, per_round * n, seed)
        ]
        return {
            "combos": combos,
            "starts": _polytope_starts(space, seed),
            "per_round": per_round,
            "deadline": time.monotonic() + SEARCH_SAFETY_S,
            "skipped": 0,
            "of": 0,
        }

    def _choose(
        self,
        exploits: list[bool],
        P: torch.Tensor | None,
        pool: pd.DataFrame | None,
        encoded: torch.Tensor | None,
        seen: set,
        seed: int,
        grid: torch.Tensor | None,
        plan: dict[str, Any],
        progress: Callable[[int], None] | None = None,
    ) -> tuple[list[torch.Tensor], list[Any]]:
        """One round's points, greedy (each chosen point pending for the next): by posterior
        mean where ``exploits``, else by the acquisition; each the best of the free ``pool`` rows,
        (``encoded``: its rows as ``to_unit`` gives them), or of the grid points near the
        acquisition's optima (the combinations ``plan`` gives the round) and the whole small
        ``grid`` (encoded; never one of ``seen``). Returns the encoded points and their pool index
        (empty without a pool)."""
        seen = set(seen)
        chosen: list[torch.Tensor] = []
        picked: list[Any] = []
        self._repeat_rows = []
        guard = pool is None and len(self.outcomes) == 1 and not self.outcome_constraints
        for exploit in exploits:
            taken = [t for t in (P, *[c.unsqueeze(0) for c in chosen]) if t is not None]
            if exploit:
                acqf = PosteriorMean(self.model)
            else:
                acqf = self.acquisition_function(
                    torch.cat(taken) if taken else None, len(exploits) > 1
                )
            if pool is not None:
                free = ~pool.index.isin(picked)
                avail, C = pool.index[free], encoded[torch.from_numpy(free)]
            else:
                C = self._grid_candidates(acqf, seen, seed, grid, plan, len(chosen))
            with torch.no_grad():
                vals = torch.cat([acqf(c.unsqueeze(1)) for c in C.split(PREDICT_CHUNK)])
            i = int(torch.argmax(vals))
            if guard:
                taken.insert(0, self._U())
                i = self._unless_repeat(acqf, C, vals, i, torch.cat(taken), exploit, len(chosen))
            chosen.append(C[i])
            if pool is not None:
                picked.append(avail[i])
            else:
                seen.add(unit_keys(C[i : i + 1])[0])
            if progress is not None:
                progress(len(chosen))
        return chosen, picked

    def _unless_repeat(
        self,
        acqf,
        C: torch.Tensor,
        vals: torch.Tensor,
        i: int,
        taken: torch.Tensor,
        exploit: bool,
        row: int,
    ) -> int:
        """The candidate to take in place of ``C[i]``, the acquisition's best, when ``C[i]``
        repeats a ``taken`` point (measured, pending or chosen; ``repeats``): the best
        candidate that does not, if its expected improvement is worth a measurement (log EI at
        least log(``KAPPA`` x noise std), the stopping advisor's bar); else ``i``, the row
        recorded in ``_repeat_rows`` (the noise model says repeating is what is left to do)."""
        model = acqf.model
        rep = self.repeats(C, taken, model)
        if not rep[i]:
            return i
        if not exploit and not bool(rep.all()):
            j = int(torch.argmax(vals.masked_fill(rep, -math.inf)))
            bar = math.log(KAPPA * float(self.measurement_noise()[0]))
            if float(vals[j]) >= bar:
                return j
        self._repeat_rows.append(row)
        return i

    def repeats(self, C: torch.Tensor, taken: torch.Tensor, model=None) -> torch.Tensor:
        """Boolean ``(len(C),)``: encoded candidates a measurement could not tell from their
        nearest ``taken`` point (same choices; nearest in the numeric unit cube): the posterior
        root-mean-square of f(c) - f(nearest) (mean and std) below a typical measurement's noise
        std (``measurement_noise``), so measuring c is in effect a repeat of that point. One
        outcome."""
        model = self.model if model is None else model
        num = [j for j in range(self.space.dim) if j not in self.space.cat_dims]
        cat = self.space.cat_dims
        nearest = []
        for c in C.split(1024):  # candidates x taken distances, a block at a time
            # exact differences: cdist's matrix-product form (taken past 25 rows) rounds
            # otherwise, so a grid point halfway between two taken ones had its nearest, and its
            # verdict, depend on how many candidates were asked about at once
            dist = (
                torch.cdist(c[:, num], taken[:, num], compute_mode="donot_use_mm_for_euclid_dist")
                if num
                else torch.zeros(len(c), len(taken))
            )
            if cat:
                dist = dist + 1e6 * (c[:, None, cat] != taken[None, :, cat]).any(-1)
            nearest.append(dist.argmin(1))
        near = taken[torch.cat(nearest)]
        with torch.no_grad():
            post = model.posterior(torch.stack([C, near], dim=1)).distribution
        mean, cov = post.mean, post.covariance_matrix
        gap2 = (mean[:, 0] - mean[:, 1]) ** 2 + cov[:, 0, 0] + cov[:, 1, 1] - 2 * cov[:, 0, 1]
        return gap2.clamp_min(0).sqrt() < float(self.measurement_noise()[0])

    def expects_no_improvement(self, log_ei: float) -> bool:
        """Whether a round whose best row's log expected improvement (its ``acquisition``
        value) is ``log_ei`` is chosen again by posterior mean: one objective, no outcome
        constraints, and an expected improvement below ``KAPPA`` times a typical measurement's
        noise std (``measurement_noise``: the fitted one without stated errors or replicates; the
        stopping advisor's threshold: no improvement one measurement could resolve is expected,
        and the free points of best mean are the likeliest near-best ones; exploring far corners
        for an improvement the model rules out found fewer of the top rows on the replays,
        bench/results/README.md). Never for a constant objective: its data rule nothing out (all
        equal, in one gas of three, its suggestions had stayed by posterior mean in that gas)."""
        if len(self.outcomes) != 1 or self.outcome_constraints:
            return False
        if self.constant(self.outcomes[0]):
            return False
        return log_ei < math.log(KAPPA * float(self.measurement_noise()[0]))

    def exploits(self, trial: int) -> bool:
        """Whether experiment number ``trial`` (1-based; observations and pending points first)
        is chosen by posterior mean: one of the last ``ceil(EXPLOIT_SHARE * budget)`` of the
        budget or beyond it, with one objective and no outcome constraints."""
        if self.budget is None or len(self.outcomes) != 1 or self.outcome_constraints:
            return False
        return trial > self.budget - math.ceil(EXPLOIT_SHARE * self.budget)

    def _grid_candidates(
        self,
        acqf,
        seen: set,
        seed: int,
        grid: torch.Tensor | None,
        plan: dict[str, Any],
        round_: int,
    ) -> torch.Tensor:
        """Free settable points near the continuous optima of ``acqf`` (one per categorical
        combination ``plan`` gives round ``round_``), plus space-filling ones and every point of
        a small ``grid`` (``SearchSpace.grid``, encoded)."""
        space = self.space
        fixed = space.fixed_features()
        listed, per_round = plan["combos"], plan["per_round"]
        combos = [
            listed[(round_ * per_round + i) % len(listed)]
            for i in range(min(per_round, len(listed)))
        ]
        starts = []
        plan["of"] += len(combos)
        for k, combo in enumerate(combos):
            if k and time.monotonic() > plan["deadline"]:  # safety stop: the searched stand
                plan["skipped"] += len(combos) - k
                break
            X, _ = optimize_acqf(
                acqf,
                bounds=space.bounds,
                q=1,
                num_restarts=self.num_restarts,
                raw_samples=self.raw_samples,
                inequality_constraints=space.inequality_constraints() or None,
                fixed_features={**fixed, **combo} or None,
                return_best_only=False,
                options={"maxiter": 200},
                retry_on_optimization_warning=False,
                generator=plan["starts"],
            )
            starts.append(X.reshape(-1, space.dim))
        starts = torch.cat(starts)
        C = [space.snap_unit(starts), space.snap_unit(_grid_neighbours(space, starts))]
        C.append(space.to_unit(space.sample(128, seed=seed, strict=False)))
        if grid is not None:
            C.append(grid)
        C = torch.cat(C)
        df = space.from_unit(C)
        for name, value in space.fixed.items():
            df[name] = value
        ok = space.feasible(df)
        keys = unit_keys(C)
        keep, fresh = [], set()
        for i, k in enumerate(keys):
            if ok[i] and k not in seen and k not in fresh:
                fresh.add(k)
                keep.append(i)
        if not keep:
            raise ValidationError(
                f"ask: no new settable point meets the constraints ({len(seen)} measured, pending "
                "or already chosen; none free near the acquisition's optimum nor among 128 "
                "space-filling points): the space may be used up, ask for fewer"
            )
        return C[keep]


def _some_combinations(sizes: list[int], limit: int, seed: int) -> list[tuple[int, ...]]:
    """Every combination of one index per entry of ``sizes`` when there are at most ``limit``,
    else ``limit`` distinct ones drawn at random: never builds the whole product, which for a
    few categorical parameters of a hundred choices each would not fit in memory."""
    if math.prod(sizes) <= limit:
        return list(itertools.product(*map(range, sizes)))
    rng = np.random.default_rng(seed)
    drawn: dict[tuple[int, ...], None] = {}
    while len(drawn) < limit:
        drawn[tuple(int(rng.integers(n)) for n in sizes)] = None
    return list(drawn)


def _polytope_starts(space: SearchSpace, seed: int) -> Callable | None:
    """The raw points (encoded) ``optimize_acqf`` starts its search from under the linear
    constraints, drawn once per ask from ``seed`` (BoTorch's hit-and-run sampler, its burn-in
    and thinning) and shared by every categorical combination and round: the constraints hold
    numeric parameters only, each combination's values are set over the draw. BoTorch drew
    them afresh per search, 1.5-4 s each. None without constraints (BoTorch's Sobol points)."""
    constraints = space.inequality_constraints()
    if not constraints:
        return None

    @functools.cache
    def draw(n: int, q: int, _seed: int | None = None) -> torch.Tensor:
        return sample_q_batches_from_polytope(
            n, q, space.bounds, 10_000, 32, seed, inequality_constraints=constraints
        )

    return draw


def _grid_neighbours(space: SearchSpace, U: torch.Tensor, reach: int = 2) -> torch.Tensor:
    """Points 1..``reach`` grid steps away from each row of ``U`` along each stepped parameter."""
    out = []
    for j, p in enumerate(space.parameters):
        if isinstance(p, Categorical) or p.step == 0 or p.name in space.fixed:
            continue
        du = p.step / p.width
        for k in range(1, reach + 1):
            for s in (-1, 1):
                V = U.clone()
                V[:, j] = (V[:, j] + s * k * du).clamp(0, 1)
                out.append(V)
    return torch.cat(out) if out else U[:0]


def _settled_name(searched: float, chosen: float, noise: float) -> str:
    """The label of a round switched to posterior mean: the expected improvement (log EI
    ``searched`` of the acquisition search's best, ``chosen`` the best of the rows taken) as
    multiples of the ``noise`` std. The EI search can miss the best-mean point: the label said
    "expected improvement < 0.01 x noise std" beside a stored row whose EI was 0.23 x."""
    ratio = [math.exp(v) / noise if noise > 0 else math.inf for v in (searched, chosen)]
    return (
        f"PosteriorMean (expected improvement of the search's best {ratio[0]:.2g} x noise std, "
        f"under {KAPPA:g} x; of the point(s) chosen by mean {ratio[1]:.2g} x)"
    )


def _frame(X: object, where: str) -> pd.DataFrame:
    """``X`` as a DataFrame: a DataFrame as it is, a mapping of column name -> values as pandas
    builds it; anything else refused (a dict had been counted by its keys: "X has 2 rows")."""
    if isinstance(X, pd.DataFrame):
        return X
    if isinstance(X, Mapping):
        try:
            return pd.DataFrame(X)
        except (ValueError, TypeError) as e:
            raise ValidationError(
                f"{where}: a mapping must give each column name a list of values, "
                f"all of one length ({e})"
            ) from None
    raise ValidationError(
        f"{where}: expected a pandas DataFrame or a mapping of column name -> values, "
        f"got {type(X).__name__}"
    )


def _rows_frame(
    given: object,
    names: list[str],
    where: str,
    limit: int | None = None,
    others: bool = False,
    passes: int = 1,
) -> pd.DataFrame:
    """``given`` (``where``: ask's ``candidates`` or ``pending``, tell's or predict's ``X``) as a
    DataFrame: a DataFrame or a mapping as ``_frame`` takes them, or a list of rows, each a
    mapping (or Series) parameter name -> value (a list had been refused whole: "expected a
    pandas DataFrame, got list"). A name that is no parameter of ``names`` is a ValidationError
    naming it with its near miss (a table's other columns pass with ``others``: tell and predict
    take a campaign's table as it is), as is a parameter a row lacks (a table's missing column:
    ``SearchSpace.to_unit``). More than ``limit`` values (rows x parameters) are refused before
    any row is read, each of ``passes`` times (ask scores its pool once per suggestion)."""
    table = not isinstance(given, Sequence) or isinstance(given, str | bytes)
    if table:
        given = _frame(given, where)
    if limit is not None and len(given) * len(names) * passes > limit:
        each = f", scored for each of {passes} suggestions," if passes > 1 else ""
        raise ValidationError(
            f"{where}: {len(given):,} rows x {len(names)} parameters{each} is over the {limit:,} "
            "values an ask scores; give fewer rows" + (" or ask fewer at once" if each else "")
        )
    if table:
        if not others:
            _known_names(given.columns, names, where)
        return given
    for i, row in enumerate(given):
        if not isinstance(row, Mapping | pd.Series):  # a table's row (df.iloc[i]) is one too
            raise ValidationError(
                f"{where} row {i}: expected a mapping of parameter name -> value, got "
                f"{type(row).__name__}"
            )
        _known_names(row.keys(), names, f"{where} row {i}")
        if missing := [n for n in names if n not in row]:  # a Series' labels
            raise ValidationError(f"{where} row {i}: missing parameter(s) {', '.join(missing)}")
    return pd.DataFrame(list(given), columns=names)


def _known_names(given: Iterable, names: list[str], where: str) -> None:
    """A ValidationError naming the first ten of ``given`` that are not in ``names``, each with
    its near miss ("did you mean ...?")."""
    unknown = [str(g) for g in given if g not in names]
    if not unknown:
        return
    shown = [
        f"{u!r} (did you mean {close!r}?)" if (close := near(u, names)) else repr(u)
        for u in unknown[:10]
    ]
    more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
    raise ValidationError(
        f"{where}: no parameter(s) {', '.join(shown)}{more}; the parameters are {', '.join(names)}"
    )


def _same_labels_reordered(a: pd.Index, b: pd.Index) -> bool:
    """Whether ``b`` holds the unique labels of ``a`` in another order."""
    return not a.equals(b) and a.is_unique and b.is_unique and len(a) == len(b) and set(a) == set(b)


def _error_frame(
    errors: pd.Series | pd.DataFrame | None, y: pd.DataFrame, outcomes: list[str]
) -> pd.DataFrame:
    """``errors`` as ``tell`` keeps them: one column per outcome, rows as ``y``, NaN where none.
    A column of no outcome, a row count other than ``y``'s, or an error that is not a number,
    negative, infinite or beyond ``MAX_ABS_OUTCOME`` is a ``ValidationError`` naming it."""
    out = pd.DataFrame(np.nan, index=range(len(y)), columns=outcomes)
    if errors is None:
        return out
    if isinstance(errors, pd.Series):
        errors = errors.to_frame(str(errors.name if errors.name is not None else outcomes[0]))
    if not isinstance(errors, pd.DataFrame):
        raise ValidationError(
            f"errors: expected a pandas Series or DataFrame, got {type(errors).__name__}"
        )
    unknown = [str(c) for c in errors.columns if c not in outcomes]
    if unknown:
        raise ValidationError(
            f"errors: column(s) {', '.join(unknown)} are not outcomes of this optimizer "
            f"({', '.join(outcomes)})"
        )
    if len(errors) != len(y):
        raise ValidationError(f"errors has {len(errors)} rows but y has {len(y)}")
    for name in errors.columns:
        given = errors[name]
        v = pd.to_numeric(given, errors="coerce").to_numpy(dtype=float)
        bad = given.notna().to_numpy() & ~((v >= 0) & (v <= MAX_ABS_OUTCOME))  # text: v NaN
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            value = given.iloc[r]
            raise ValidationError(
                f"errors row {y.index[r]!r}: the 1-sigma of {name}, "
                f"{repr(value) if isinstance(value, str) else value}, must be a finite number "
                f"from 0 to {MAX_ABS_OUTCOME:g} (NaN or 0: none stated)"
            )
        out[name] = v
    return out


def _flags(maximize: object) -> bool | list[bool]:
    """``maximize`` as one bool or a list of them; anything else a ValidationError naming it
    ("no" was read as two flags, and the answer said "2 flag(s) for 1 objective(s)")."""
    if isinstance(maximize, bool | np.bool_):
        return bool(maximize)
    try:
        flags = None if isinstance(maximize, str | bytes | Mapping) else list(maximize)
    except TypeError:
        flags = None
    if flags is None or not all(isinstance(f, bool | np.bool_) for f in flags):
        raise ValidationError(
            f"Optimizer: maximize must be True / False, or one of them per objective, got "
            f"{maximize!r}"
        )
    return [bool(f) for f in flags]


def _names(objectives: object) -> list[str]:
    """``objectives`` as a list of distinct names; else a ValidationError naming it ("jc" had
    been the two objectives "j" and "c")."""
    names = None if isinstance(objectives, str | bytes) else objectives
    try:
        names = list(names)  # type: ignore[call-overload]
    except TypeError:
        names = None
    if not names or not all(isinstance(n, str) and n for n in names):
        raise ValidationError(
            f"Optimizer: objectives must be a list of outcome names, got {objectives!r}"
        )
    if twice := sorted({n for n in names if names.count(n) > 1}):
        raise ValidationError(f"Optimizer: objective(s) {', '.join(twice)} given twice")
    return names


def _bounds(name: str, value) -> tuple[float | None, float | None]:
    try:
        lo, hi = value
    except (TypeError, ValueError):
        raise ValidationError(
            f"outcome constraint {name}: expected (lower, upper), got {value!r}"
        ) from None
    for b in (lo, hi):  # "a" was a bare ValueError; NaN a constraint that nothing broke
        if b is not None and (
            isinstance(b, str | bytes | bool)
            or not isinstance(b, int | float | np.number)
            or not math.isfinite(b)
        ):
            raise ValidationError(
                f"outcome constraint {name}: a bound must be a finite number or None, got {b!r}"
            )
    lo, hi = (None if b is None else float(b) for b in (lo, hi))
    if (lo is None and hi is None) or (lo is not None and hi is not None and lo > hi):
        raise ValidationError(f"outcome constraint {name}: bounds ({lo}, {hi}) are empty")
    return lo, hi


def _log_or_none(x: float | None) -> float | None:
    return None if x is None else math.log(x)


def _neg(x: float | None) -> float | None:
    return None if x is None else -x


def _finite(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None
