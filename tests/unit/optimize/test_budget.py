"""A campaign's budget: the last tenth of the planned experiments by posterior mean, nothing else
changed; its checks in the Optimizer, the campaign file and the store loop."""

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fluxtrap.campaign import MAX_BUDGET, CampaignSpec
from fluxtrap.errors import ValidationError
from fluxtrap.optimize import Continuous, Optimizer, SearchSpace

SPACE = SearchSpace(
    [
        Continuous("ramp_rate", 10, 100, 0.1, "degC/min"),
        Continuous("max_temperature", 450, 750, 1, "degC"),
    ]
)
FAST = {"num_restarts": 2, "raw_samples": 64}
EXAMPLE = Path(__file__).parents[3] / "examples" / "campaign.toml"


def jc(X: pd.DataFrame) -> pd.Series:
    """Smooth stand-in landscape, peak at 620 degC and 35 degC/min."""
    z = ((X.max_temperature - 620) / 60) ** 2 + ((X.ramp_rate - 35) / 30) ** 2
    return pd.Series(np.exp(-z), name="jc_3T")


@pytest.fixture(scope="module")
def fitted() -> Optimizer:
    """Told 8 points, model fitted once (each test takes a copy sharing the fit)."""
    X = SPACE.sample(8, seed=3)
    opt = Optimizer(SPACE, seed=0, **FAST).tell(X, jc(X))
    opt.model  # noqa: B018 (fit now)
    return opt


def with_budget(opt: Optimizer, budget: int | None) -> Optimizer:
    out = copy.copy(opt)
    out.budget = budget
    return out


@pytest.fixture(scope="module")
def pool() -> pd.DataFrame:
    return SPACE.sample(400, seed=11, exclude=SPACE.sample(8, seed=3))


def best_mean(opt: Optimizer, rows: pd.DataFrame) -> int:
    return int(opt.predict(rows)["jc_3T_mean"].idxmax())


def test_without_budget_or_before_its_last_tenth_nothing_changes(fitted, pool):
    plain = fitted.ask(2, candidates=pool)
    # 8 observed, trials 9 and 10 of 20: the last tenth is trials 19 and 20
    late = with_budget(fitted, 20).ask(2, candidates=pool)
    pd.testing.assert_frame_equal(late, plain)
    assert late.attrs["exploit"] == [False, False]
    assert [with_budget(fitted, 20).exploits(t) for t in (18, 19, 20, 21)] == [0, 1, 1, 1]
    assert not any(fitted.exploits(t) for t in (9, 10, 100))


def test_last_trial_of_the_budget_is_the_free_row_of_best_posterior_mean(fitted, pool):
    opt = with_budget(fitted, 9)  # trial 9 of 9
    out = opt.ask(1, candidates=pool)
    assert out.attrs["exploit"] == [True] and out.attrs["acquisition_function"] == "PosteriorMean"
    assert out.index[0] == best_mean(opt, pool)
    ei = fitted.ask(1, candidates=pool)
    assert ei.index[0] != out.index[0]  # the schedule changed the choice here
    # the acquisition column stays log EI (the stopping advisor reads it)
    assert out.acquisition.iloc[0] < ei.acquisition.iloc[0]


def test_in_a_batch_only_the_points_in_the_last_tenth_exploit(fitted, pool):
    plain = fitted.ask(2, candidates=pool)
    opt = with_budget(fitted, 10)  # trials 9 (by qLogNEI) and 10 (by posterior mean)
    out = opt.ask(2, candidates=pool)
    assert out.attrs["exploit"] == [False, True]
    assert out.attrs["acquisition_function"] == "qLogNoisyExpectedImprovement + PosteriorMean"
    assert out.index[0] == plain.index[0]
    assert out.index[1] == best_mean(opt, pool.drop(index=out.index[0]))


def test_pending_points_count_toward_the_budget(fitted, pool):
    pending = pool.iloc[[0]]
    opt = with_budget(fitted, 10)  # 8 observed + 1 pending: the next is trial 10
    out = opt.ask(1, candidates=pool, pending=pending)
    assert out.attrs["exploit"] == [True]
    assert out.index[0] == best_mean(opt, pool.drop(index=pool.index[0]))
    assert opt.ask(1, candidates=pool).attrs["exploit"] == [False]


def test_continuous_endgame_is_new_settable_and_near_the_best_mean(fitted):
    opt = with_budget(fitted, 5)  # beyond the budget: keeps exploiting
    out = opt.ask(1)
    assert out.attrs["exploit"] == [True]
    row = out[SPACE.names]
    assert SPACE.feasible(row).all() and SPACE.keys(row)[0] not in SPACE.keys(opt.X)
    grid = SPACE.sample(1024, seed=1, strict=False)
    mean = opt.predict(grid)["jc_3T_mean"]
    assert opt.predict(row)["jc_3T_mean"].iloc[0] >= mean.max() - 0.01


def test_outcome_constraints_keep_the_acquisition(pool):
    X = SPACE.sample(8, seed=3)
    y = pd.DataFrame({"jc_3T": jc(X), "tc": 30 + X.ramp_rate / 10})
    opt = Optimizer(SPACE, seed=0, outcome_constraints={"tc": (35, None)}, budget=9, **FAST)
    b = opt.tell(X, y).ask(1, candidates=pool)
    pd.testing.assert_frame_equal(with_budget(opt, None).ask(1, candidates=pool), b)
    assert b.attrs["exploit"] == [False]


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "10", MAX_BUDGET + 1])
def test_bad_budget_is_named(bad):
    with pytest.raises(ValidationError, match="budget.*experiments planned"):
        Optimizer(SPACE, budget=bad)
    spec = CampaignSpec.from_toml(EXAMPLE).to_dict()
    with pytest.raises(ValidationError, match="budget.*experiments planned"):
        CampaignSpec.from_dict({**spec, "budget": bad})


def test_campaign_file_budget_round_trips_and_reaches_suggest(tmp_path):
    from fluxtrap.store import Store
    from fluxtrap.workflows.suggest import campaign_optimizer, suggest

    text = EXAMPLE.read_text().replace(
        'name = "K-Ba122 SPS"', 'name = "K-Ba122 SPS"\nbudget = 6', 1
    )
    (tmp_path / "c.toml").write_text(text)
    spec = CampaignSpec.from_toml(tmp_path / "c.toml")
    assert spec.budget == 6 and CampaignSpec.from_dict(spec.to_dict()) == spec
    assert "budget" not in CampaignSpec.from_toml(EXAMPLE).to_dict()  # unchanged without one
    store = Store(tmp_path / "lab.db")
    store.create_campaign(spec)
    X = SearchSpace.from_campaign(spec).sample(5, seed=2)
    for i, p in enumerate(X.to_dict("records")):
        store.add_sample(spec.name, f"S{i}", p, objectives={"jc_3T": 1e8 * (1 + i % 3)})
    opt, _ = campaign_optimizer(spec, store.history(spec.name))
    assert opt.budget == 6
    assert campaign_optimizer(spec, store.history(spec.name), budget=40)[0].budget == 40
    (last,) = suggest(store, spec.name, n=1, **FAST)  # trial 6 of 6
    assert last.model_summary["acquisition_function"] == "PosteriorMean"
    (more,) = suggest(store, spec.name, n=1, budget=40, **FAST)  # 7 of 40
    assert more.model_summary["acquisition_function"] == "qLogNoisyExpectedImprovement"
