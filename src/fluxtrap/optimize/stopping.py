"""When to stop a campaign: the expected improvement has stayed below the measurement noise.

The rule (calibrated on the pool replays, ``bench/calibrate_stopping.py``; numbers in
ARCHITECTURE.md): advise stopping once the expected improvement of the best suggestion has been
below ``kappa`` times the noise standard deviation for the last ``k`` rounds (model fits): a
typical measurement's (``model.typical_noise_std``), the fitted noise where no error is stated.
Both are in the objective's units: an improvement smaller than what one measurement can resolve
is not worth a sample. A round also counts when the model has next to no predictive skill
(leave-one-out R^2 below ``FLAT_R2``: the inputs explain under a tenth of a left-out sample's
variance) and its expected improvement is below ``FLAT_KAPPA`` noise std: no dependence on the
inputs is seen above the noise. A flat campaign (the objective pure noise) otherwise never heard
"stop": its model keeps a signal as large as the data's spread, and EI stayed at 0.1-0.3 x the
noise std for 35 rounds. It is advice, not a verdict: the replays say how often it came too
early.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace

from fluxtrap.campaign import ObjectiveDef

# Chosen on the replays (bench/calibrate_stopping.py on bench/results/optimize_runs.jsonl.gz: 19
# fluxtrap runs of budget 50 on the 11 tables, 2026-12-02): the earlier rule k=5, kappa=0.3 said
# stop in every run, 95% of those stops came before top-5% rows the run still found, losing
# 0.37 +- 0.05 of the top set; of the 20 rules tried (k 3-12, kappa 0.01-1) k=12, kappa=0.01 loses
# least: stop in 47% of runs, 44% of those too early, 7.2 +- 2.1 experiments saved and
# 0.032 +- 0.018 of the top set lost per run. Re-checked on 146 runs (seeds 0-12, 2026-12-02):
# still the rule that loses least: stop in 45% of runs, 39% of those too early, 7.9 +- 0.8
# experiments saved and 0.032 +- 0.007 of the top set lost per run; worst on suzuki (stop in every
# run, every one too early, 0.195 +- 0.033 lost). Re-checked on the 143 runs of today's optimizer
# (rounds without expected improvement chosen by posterior mean, 2026-12-02): still the rule that
# loses least: stop in 36% of runs, 35% of those too early, 6.1 +- 0.8 experiments saved and
# 0.023 +- 0.005 of the top set lost per run; suzuki stops in every run, 69% too early, 0.136 +-
# 0.030 lost. Early too often: advice, not a verdict.
K_ROUNDS = 12
KAPPA = 0.01
# a round without predictive skill (LOO R^2 < FLAT_R2) counts below once EI < FLAT_KAPPA x noise
# std. Flat + noise (2 parameters, 30 rounds): EI 0.1-0.3 x the noise std throughout; R^2 -0.4 to
# -0.2 from 10 samples on with the fitted noise, -0.02 to 0.08 with the noise stated (the model
# then shrinks to the mean, R^2 ~ 0 either side). A peak 5 x the noise: R^2 0.28-0.9 from 7
# samples on; at 5-6 samples R^2 ~ 0 but EI over 1.3 x noise.
FLAT_R2 = 0.1
FLAT_KAPPA = 1.0
# a round whose noise std fitted under COLLAPSED x the median of the rounds' (a collapsed fit: its
# EI / noise ratio blows up) is passed over, at most MISSES of them inside the streak and never the
# latest round: one such round reset a streak of 11. On the 330 replay runs (2026-12-06) the table
# is unchanged (stop in 37% of runs, 36% too early, 6.14 +- 0.50 saved, 0.025 +- 0.004 lost);
# passing over any one round above the bar instead stopped more and too early more often (39%,
# 42%, 6.95 +- 0.54 saved, 0.030 +- 0.004 lost).
MISSES = 1
COLLAPSED = 0.1
# Where it rarely says stop (2026-12-06, 330 runs, 30 per table), the silence is honest: on
# Crossed barrel, Perovskite, AutoAM, fullerenes, hplc and photo_pce10 (stop in 0-20 % of runs)
# the runs still found 6-21 % of the top set in their last 10 trials, and the looser k=12,
# kappa=0.1 that stops them (7-87 %) came too early in 35-100 % of its stops (AutoAM 35 %, hplc
# and photo_pce10 100 %). AgNP alone (no stop; 0.4 % of the top set found in the last 10) would
# have borne one, but that rule stopped it too early in 53 % of runs (0.13 of the top set lost).


@dataclass(frozen=True)
class StoppingAdvice:
    """The advisor's reading of the last rounds: ``stop`` once ``rounds_below >= k``."""

    stop: bool
    rounds_below: int  # latest consecutive rounds with EI < kappa * noise std
    rounds: int  # rounds with a model (EI known)
    k: int
    kappa: float
    ei: float | None  # expected improvement of the latest round's best suggestion (in unit)
    noise_std: float | None  # a typical measurement's noise std that round (in unit)
    unit: str = ""  # the unit of ei and noise_std, named in the message
    without_skill: int = 0  # of rounds_below, those counted for LOO R^2 < FLAT_R2
    missed: int = 0  # collapsed-fit rounds passed over inside the streak (at most MISSES)

    def __str__(self) -> str:
        if self.ei is None or self.noise_std is None:
            return (
                "stopping advisor: no model-based round on varying values yet (a round is a fit "
                "on 2 or more measured samples whose values differ; it advises stopping once the "
                f"expected improvement has stayed below {self.kappa:g} x the noise std for "
                f"{self.k} rounds in a row)"
            )
        ratio = self.ei / self.noise_std if self.noise_std > 0 else math.inf
        head = (
            "stopping advisor: consider stopping" if self.stop else "stopping advisor: keep going"
        )
        u = f" {self.unit}" if self.unit else ""
        skill = (
            f" (or below {FLAT_KAPPA:g} x noise with LOO R^2 under {FLAT_R2:g}, no dependence "
            f"on the inputs seen above the noise: {self.without_skill} of them)"
            if self.without_skill
            else ""
        )
        passed = (
            f" ({self.missed} more with the noise fitted under {COLLAPSED:g} x the rounds' "
            "median passed over)"
            if self.missed
            else ""
        )
        return (
            f"{head} (expected improvement {self.ei:.3g}{u} = {ratio:.2g} x the noise std "
            f"{self.noise_std:.3g}{u}; below {self.kappa:g} x noise{skill} for the last "
            f"{self.rounds_below}{passed} of {self.rounds} rounds, {self.k} needed)"
        )

    def to_dict(self) -> dict:
        return {**self.__dict__, "message": str(self)}


def advise(
    log_ei: Sequence[float | None],
    noise_std: Sequence[float | None],
    k: int = K_ROUNDS,
    kappa: float = KAPPA,
    unit: str = "",
    loo_r2: Sequence[float | None] | None = None,
    misses: int = MISSES,
) -> StoppingAdvice:
    """Advice from per-round ``log_ei`` (natural log of the best suggestion's expected improvement,
    as LogEI / qLogNEI give it) and the ``noise_std`` (both ``(rounds,)``, oldest first;
    rounds without a model, None or NaN, are skipped; a log EI of -inf is an EI of 0);
    ``loo_r2`` (the model's leave-one-out R^2 per round, None where unknown): a round with
    R^2 < ``FLAT_R2`` counts below already at EI < ``FLAT_KAPPA`` x noise std; up to ``misses``
    rounds (not the latest) whose noise std is under ``COLLAPSED`` x the rounds' median are passed
    over, neither counted nor ending the streak."""
    r2s = [None] * len(log_ei) if loo_r2 is None else loo_r2
    rounds = [
        (math.exp(min(a, 700.0)) if a < math.inf else math.inf, s, r2)  # exp(-inf): EI 0
        for a, s, r2 in zip(log_ei, noise_std, r2s, strict=True)
        if a is not None and s is not None and not math.isnan(a) and math.isfinite(s)
    ]
    typical = statistics.median(s for _, s, _ in rounds) if rounds else 0.0
    below = flat = missed = 0
    for i, (ei, s, r2) in enumerate(reversed(rounds)):
        if ei < kappa * s:
            below += 1
        elif r2 is not None and r2 < FLAT_R2 and ei < FLAT_KAPPA * s:
            below, flat = below + 1, flat + 1
        elif i > 0 and missed < misses and s < COLLAPSED * typical:  # never the latest round
            missed += 1
        else:
            break
    if below == 0:
        missed = 0
    ei, s, _ = rounds[-1] if rounds else (None, None, None)
    return StoppingAdvice(below >= k, below, len(rounds), k, kappa, ei, s, unit, flat, missed)


def advise_from_suggestions(
    records: Sequence, objective: ObjectiveDef, k: int = K_ROUNDS, kappa: float = KAPPA
) -> StoppingAdvice:
    """Advice from a campaign's stored suggestions (oldest first): one round per set of
    observations the model was fitted on (its count ``n`` in the model summary; the suggestions
    asked on it share it, in one batch or in several asks with more pending points each), its
    best acquisition value and the noise std of ``objective`` kept in the model summary (stored
    units), rounds in order of ``n``; its EI and noise std as tables show the objective
    (``ObjectiveDef.shown``: Jc in A/cm^2), in its ``shown_unit`` (a log objective's of
    ln(value), as modelled). Twelve asks on 3 samples were
    twelve rounds, and a campaign of 3 observations could hear 'consider stopping'; now it has 2
    rounds at most. Rounds up to the last fitted on a constant objective are not counted: equal
    values say nothing about returns (a campaign of all-equal values was heading for "consider
    stopping"). The summary's ``loo_r2`` is the round's predictive skill (``advise``)."""
    rounds: dict[int, list] = {}  # n: [best log EI, noise std, LOO R^2]
    for r in records:
        summary = r.model_summary or {}
        o = summary.get("objectives", {}).get(objective.name)
        if r.acquisition_value is None or not o or o.get("noise_std") is None:
            continue
        if o.get("constant"):
            rounds.clear()
            continue
        n = int(summary.get("n", 0))
        best = rounds[n][0] if n in rounds else -math.inf
        rounds[n] = [max(best, r.acquisition_value), o["noise_std"], o.get("loo_r2")]
    rounds = [rounds[n] for n in sorted(rounds)]
    advice = advise(
        [a for a, _, _ in rounds],
        [s for _, s, _ in rounds],
        k,
        kappa,
        loo_r2=[q for *_, q in rounds],
    )
    if advice.ei is None:
        return advice
    if objective.log:  # EI and noise of ln(value): no unit
        return replace(advice, unit=f"of ln {objective.name}")
    shown = objective.shown  # linear: the EI / noise ratio, and so the advice, are unchanged
    return replace(
        advice,
        ei=shown(advice.ei),
        noise_std=shown(advice.noise_std),
        unit=objective.shown_unit,
    )


def campaign_advice(
    records: Sequence, goals: Sequence[ObjectiveDef]
) -> StoppingAdvice | str | None:
    """The advice for a campaign's optimised objectives ``goals`` from its stored suggestions
    ``records``: ``advise_from_suggestions`` on the one; for several, the line saying why none
    is given (two-objective campaigns heard nothing, as if the advisor had been forgotten);
    None without an objective."""
    if len(goals) == 1:
        return advise_from_suggestions(records, goals[0])
    if not goals:
        return None
    return (
        f"stopping advisor: none for {len(goals)} objectives "
        f"({', '.join(o.name for o in goals)}): it weighs one objective's expected improvement "
        "against that objective's noise; judge the Pareto front's progress instead"
    )
