"""The stopping advisor: EI below kappa x noise std for k rounds (pure functions, no model)."""

import math
from types import SimpleNamespace

import pytest

from fluxtrap.campaign import ObjectiveDef
from fluxtrap.optimize.stopping import FLAT_R2, advise, advise_from_suggestions

JC = ObjectiveDef("jc", quantity="jc", field_T=3.0)


def test_stops_only_after_k_consecutive_rounds_below_the_noise():
    noise = [0.1] * 6
    ei = [1.0, 0.05, 0.2, 0.05, 0.05, 0.05]  # one round back above the noise resets the count
    log_ei = [math.log(e) for e in ei]
    assert [advise(log_ei[:i], noise[:i], k=3, kappa=1).stop for i in range(1, 7)] == [
        False, False, False, False, False, True,
    ]  # fmt: skip
    a = advise(log_ei, noise, k=3, kappa=1)
    assert (a.rounds_below, a.rounds, a.ei, a.noise_std) == (3, 6, pytest.approx(0.05), 0.1)
    assert "consider stopping" in str(a) and "0.5 x the noise std" in str(a)
    assert not advise(log_ei, noise, k=3, kappa=0.3).stop  # a stricter threshold: keep going


def test_rounds_without_a_model_are_skipped_and_nothing_yet_is_said_plainly():
    """Before any round it had said only "no model-based round on varying values yet": not what
    a round needs nor when it would advise stopping; now both, with the rule's numbers."""
    said = str(advise([], [], k=7, kappa=0.02))
    assert said.startswith("stopping advisor: no model-based round on varying values yet")
    assert "2 or more measured samples whose values differ" in said
    assert "below 0.02 x the noise std for 7 rounds in a row" in said
    a = advise([None, math.log(0.01), float("nan"), math.log(0.01)], [None, 1, 1, 1], k=2, kappa=1)
    assert a.stop and a.rounds == 2


def test_from_stored_suggestions_one_round_per_fit():
    def rec(n, acq, noise=0.5):
        summary = {"n": n, "objectives": {"jc": {"noise_std": noise}}}
        return SimpleNamespace(acquisition_value=acq, model_summary=summary)

    sobol = SimpleNamespace(acquisition_value=None, model_summary={"n": 0})
    # a batch of two asked on n=5 (one fit: its best value counts), then n=7 and n=8
    records = [sobol, rec(5, math.log(2.0)), rec(5, math.log(0.1)), rec(7, -3.0), rec(8, -4.0)]
    a = advise_from_suggestions(records, JC, k=3, kappa=1)
    assert (a.rounds, a.rounds_below, a.stop) == (3, 2, False)
    assert advise_from_suggestions([*records, rec(9, -5.0)], JC, k=3, kappa=1).stop
    assert advise_from_suggestions(records, ObjectiveDef("other")).rounds == 0
    # Jc's EI and noise as the tables show Jc: A/cm^2 (stored A/m^2); the advice is unchanged
    assert (a.ei, a.noise_std, a.unit) == pytest.approx((math.exp(-4.0) * 1e-4, 0.5e-4, "A/cm²"))
    plain = advise_from_suggestions(records, ObjectiveDef("jc"), k=3, kappa=1)
    assert (plain.ei, plain.noise_std, plain.unit) == pytest.approx((math.exp(-4.0), 0.5, ""))
    assert (plain.rounds_below, plain.stop) == (a.rounds_below, a.stop)


def test_an_expected_improvement_that_underflowed_to_zero_counts_as_below():
    """log EI = -inf is EI = 0 (below any noise), not a round without a model: skipping it
    kept such a campaign from ever hearing 'consider stopping'. A log EI past exp's range
    (1e300-sized outcomes) is a huge EI, not an OverflowError."""
    a = advise([float("-inf")] * 3, [0.1] * 3, k=3, kappa=1)
    assert a.stop and a.rounds == 3 and a.ei == 0.0
    assert not advise([800.0], [0.1], k=1, kappa=1).stop


def test_rounds_fitted_on_a_constant_objective_are_not_counted():
    """Twelve rounds fitted on equal values (EI far below the fitted noise each time) had the
    advisor say 'consider stopping' for a campaign that had seen nothing vary. Such rounds, and
    those before them, are not counted; the rounds after the values first differ are."""

    def rec(n, acq, constant):
        summary = {"n": n, "objectives": {"y": {"noise_std": 0.5, "constant": constant}}}
        return SimpleNamespace(acquisition_value=acq, model_summary=summary)

    y = ObjectiveDef("y")
    flat = [rec(n, -20.0, True) for n in range(2, 14)]
    a = advise_from_suggestions(flat, y, k=12, kappa=0.01)
    assert not a.stop and a.rounds == 0 and "on varying values yet" in str(a)
    varied = [*flat, *[rec(n, -20.0, False) for n in range(14, 16)]]
    assert advise_from_suggestions(varied, y, k=2, kappa=0.01).stop
    assert advise_from_suggestions(varied, y, k=3, kappa=0.01).rounds == 2


def test_a_log_objectives_advice_is_of_ln_value_not_its_shown_unit():
    """A log objective's EI and noise std are of ln(jc) (unitless): read in A/cm² they had been
    scaled by 1e-4 and named in a unit they are not in."""

    def rec(n, acq):
        summary = {"n": n, "objectives": {"jc": {"noise_std": 0.2, "log": True}}}
        return SimpleNamespace(acquisition_value=acq, model_summary=summary)

    jc = ObjectiveDef("jc", quantity="jc", field_T=3.0, log=True)
    a = advise_from_suggestions([rec(n, math.log(0.1)) for n in range(3, 6)], jc, k=3, kappa=1)
    assert a.stop and a.ei == pytest.approx(0.1) and a.noise_std == 0.2
    assert "expected improvement 0.1 of ln jc = 0.5 x the noise std 0.2 of ln jc" in str(a)


def test_a_batch_is_one_round_though_each_row_keeps_its_own_prediction():
    """Store.add_suggestions puts each row's prediction in its model summary, so the rows of one
    batch never compared equal: a batch of ten was ten rounds, the last row's value the round's
    (`suggest -n 10` on 500 samples: best log EI 23.4, the advisor 'expected improvement
    1.52e-42 A/cm²' from the tenth row's -87; twelve rows below the noise said 'stop' at once)."""

    def row(acq, mean):
        summary = {"n": 500, "pending": 0, "objectives": {"jc": {"noise_std": 0.5}}}
        return SimpleNamespace(
            acquisition_value=acq,
            model_summary=summary | {"prediction": {"jc": {"mean": mean, "std": 0.1}}},
        )

    batch = [row(math.log(2.0), 9.0), *[row(-87.0 - i, 7.0 - i) for i in range(11)]]
    a = advise_from_suggestions(batch, ObjectiveDef("jc"), k=12, kappa=0.01)
    assert (a.rounds, a.rounds_below, a.stop) == (1, 0, False)
    assert a.ei == pytest.approx(2.0)


def test_the_message_counts_rounds_below_past_k_plainly():
    """A converged 1-D loop said 'below 0.01 x noise for 13 of the last 12 rounds needed'."""
    a = advise([-30.0] * 14, [0.4] * 14, k=12, kappa=0.01)
    assert a.stop and "for the last 14 of 14 rounds, 12 needed" in str(a)
    b = advise([0.0, -30.0], [0.4] * 2, k=12, kappa=0.01)
    assert "for the last 1 of 2 rounds, 12 needed" in str(b)


def test_asks_on_the_same_observations_are_one_round():
    """Each ``fluxtrap suggest`` on 3 measured samples stored a summary with one more pending
    point, so twelve asks before any new measurement were twelve rounds (measured: 14 asks on a
    3-sample campaign gave 14 rounds) and EI below the noise in each said 'consider stopping' on
    3 observations. A round is one set of observations (its count ``n``): the asks on it share it,
    its best value counting; a campaign of 1-3 observations has at most 2 rounds."""

    def ask(n, pending, acq=-30.0):
        summary = {"n": n, "pending": pending, "objectives": {"y": {"noise_std": 0.5}}}
        return SimpleNamespace(acquisition_value=acq, model_summary=summary)

    y = ObjectiveDef("y")
    for n in (2, 3):
        a = advise_from_suggestions([ask(n, p) for p in range(20)], y)
        assert (a.rounds, a.stop) == (1, False)
    a = advise_from_suggestions([ask(2, p) for p in range(20)] + [ask(3, p) for p in range(20)], y)
    assert (a.rounds, a.rounds_below, a.stop) == (2, 2, False)
    growing = [ask(n, p) for n in range(2, 14) for p in range(3)]  # 12 sets of observations
    assert advise_from_suggestions(growing, y).stop
    # a failed sample takes n back to a count seen before: that round again, not a new one
    back = [ask(4, 0, 1.0), ask(5, 0), ask(4, 1), ask(5, 1)]
    a = advise_from_suggestions(back, y, k=2, kappa=0.01)
    assert (a.rounds, a.rounds_below, a.stop) == (2, 1, False)


def test_a_round_without_predictive_skill_counts_below_at_one_noise_std():
    """A flat campaign (the objective pure noise, sd 1; 2 parameters, 30 rounds) had EI 0.1-0.3 x
    the noise std every round and never heard 'consider stopping' (kappa = 0.01). Its model
    predicts a left-out sample no better than the mean (LOO R^2 -0.4 to 0.08): such a round counts
    below once EI < FLAT_KAPPA x noise; one with skill, or with EI above the noise, does not."""
    noise = [1.0] * 12
    log_ei = [math.log(0.2)] * 12
    assert not advise(log_ei, noise).stop  # EI 0.2 x noise: above kappa = 0.01
    a = advise(log_ei, noise, loo_r2=[-0.3] * 6 + [0.05] * 6)
    assert (a.stop, a.rounds_below, a.without_skill) == (True, 12, 12)
    assert (
        "below 0.01 x noise (or below 1 x noise with LOO R^2 under 0.1, no dependence on the "
        "inputs seen above the noise: 12 of them) for the last 12 of 12 rounds, 12 needed)"
    ) in str(a)
    assert not advise(log_ei, noise, loo_r2=[-0.3] * 11 + [FLAT_R2]).stop  # skill: keep going
    assert not advise([math.log(1.5)] * 12, noise, loo_r2=[-0.3] * 12).stop  # EI over the noise
    mixed = advise([math.log(0.005)] * 6 + log_ei[:6], noise, loo_r2=[0.9] * 6 + [None] * 6)
    assert (mixed.rounds_below, mixed.without_skill) == (0, 0)  # R^2 unknown: EI alone judges
    b = advise([math.log(0.005)] * 6 + log_ei[:6], noise, loo_r2=[0.9] * 6 + [-0.1] * 6)
    assert (b.stop, b.without_skill) == (True, 6)


def test_stored_rounds_carry_their_loo_r2():
    def rec(n, r2):
        objective = {"noise_std": 1.0, "loo_r2": r2}
        return SimpleNamespace(
            acquisition_value=math.log(0.2), model_summary={"n": n, "objectives": {"y": objective}}
        )

    y = ObjectiveDef("y")
    assert advise_from_suggestions([rec(n, -0.2) for n in range(5, 17)], y).stop
    assert not advise_from_suggestions([rec(n, 0.8) for n in range(5, 17)], y).stop
    old = [rec(n, None) for n in range(5, 17)]  # summaries stored without loo_r2: as before
    assert not advise_from_suggestions(old, y).stop


def test_one_collapsed_noise_fit_does_not_reset_the_streak():
    """A round whose noise was fitted near zero (1e-4 against 0.1: EI / noise 50) ended a streak
    of 11 rounds at 0.001 x noise, and the count began again. One such round (not the latest) is
    passed over; a second, a collapsed latest round, or a round above the bar at the usual noise
    still ends it."""
    ei, noise = [math.log(1e-4)] * 13, [0.1] * 13
    noise[6] = 1e-4  # collapsed: EI 50 x its noise
    a = advise(ei, noise, k=12, kappa=0.01)
    assert (a.stop, a.rounds_below, a.missed) == (True, 12, 1)
    assert "for the last 12 (1 more with the noise fitted under 0.1 x" in str(a)
    assert not advise(ei, [*noise[:3], 1e-4, *noise[4:]], k=12, kappa=0.01, misses=1).stop
    assert not advise(ei, [0.1] * 12 + [1e-4], k=12, kappa=0.01).stop  # the latest collapsed
    risen = [*ei[:6], math.log(0.05), *ei[7:]]  # EI 0.5 x the usual noise: a real rise
    assert not advise(risen, [0.1] * 13, k=12, kappa=0.01).stop


def test_a_campaign_of_several_objectives_hears_why_there_is_no_advice():
    """Two optimised objectives: suggest, the report and the model page said nothing of the
    advisor; now why it gives none. One objective: its advice; none: nothing."""
    from fluxtrap.campaign import ObjectiveDef
    from fluxtrap.optimize.stopping import StoppingAdvice, campaign_advice

    jc, tc = ObjectiveDef("jc_3T", "jc", field_T=3.0, temperature_K=5.0), ObjectiveDef("tc", "tc")
    said = campaign_advice([], [jc, tc])
    assert said.startswith("stopping advisor: none for 2 objectives (jc_3T, tc)")
    assert isinstance(campaign_advice([], [jc]), StoppingAdvice)
    assert campaign_advice([], []) is None
