"""suggest() on a real SQLite store: history -> optimizer -> open suggestions, pending rules."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fluxtrap.campaign import CampaignSpec
from fluxtrap.errors import ValidationError
from fluxtrap.optimize import SearchSpace
from fluxtrap.store import Store
from fluxtrap.workflows.suggest import campaign_optimizer, suggest

EXAMPLES = Path(__file__).parents[3] / "examples"
NAME = "K-Ba122 SPS"
FAST = {"num_restarts": 2, "raw_samples": 64}


def jc(p: dict) -> float:
    """Stand-in Jc(3 T) landscape in A/m^2, peak 3.5e8 at 620 degC."""
    return 3.5e8 * np.exp(
        -(((p["max_temperature"] - 620) / 80) ** 2) - ((p["ramp_rate"] - 40) / 40) ** 2
    )


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "lab.db")
    s.create_campaign(CampaignSpec.from_toml(EXAMPLES / "campaign.toml"))
    return s


def test_suggest_records_open_suggestions_and_avoids_pending(store):
    space = SearchSpace.from_campaign(store.campaign(NAME))
    first = suggest(store, NAME, n=2, seed=5)  # empty history: Sobol design
    assert [s.status for s in first] == ["open", "open"] and all(s.seed == 5 for s in first)
    assert first[0].acquisition_value is None
    assert first[0].model_summary["model"].startswith("Sobol")
    # measure one suggestion (linked), make the other but do not measure it; add researcher samples
    store.add_sample(
        NAME,
        "S1",
        first[0].params,
        suggestion_id=first[0].id,
        origin="optimizer",
        objectives={"jc_3T": jc(first[0].params)},
    )
    store.add_sample(NAME, "S2", first[1].params, suggestion_id=first[1].id, origin="optimizer")
    for i, p in enumerate(space.sample(4, seed=1).to_dict("records")):
        store.add_sample(NAME, f"R{i}", p, objectives={"jc_3T": jc(p)})
    second = suggest(store, NAME, n=2, seed=5, created_by="ana", **FAST)
    summary = second[0].model_summary
    assert summary["n"] == 5 and summary["acquisition_function"] == "qLogNoisyExpectedImprovement"
    assert set(summary["objectives"]["jc_3T"]["lengthscales"]) == set(space.names)
    assert all(s.created_by == "ana" and np.isfinite(s.acquisition_value) for s in second)
    third = suggest(store, NAME, n=1, seed=5, **FAST)
    taken = pd.DataFrame(
        [*(s.params for s in first + second)] + store.history(NAME)[space.names].to_dict("records")
    )
    new = pd.DataFrame([third[0].params])
    assert not set(space.keys(new)) & set(space.keys(taken))
    assert [s.id for s in store.suggestions(NAME, status="open")] == [s.id for s in second + third]


def test_unmeasured_history_rows_are_pending():
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")
    history = pd.DataFrame(
        {
            "ramp_rate": [50.0, 30.0, 20.0],
            "max_temperature": [600.0, 650.0, 700.0],
            "dwell_time": [5.0, 10.0, 15.0],
            "jc_3T": [2.9e8, np.nan, 1.0e8],
        }
    )
    opt, pending = campaign_optimizer(
        spec, history, [{"ramp_rate": 11.0, "max_temperature": 451.0, "dwell_time": 0.5}]
    )
    assert len(opt.X) == 2 and opt.maximize == [True]
    assert pending.to_dict("records") == [
        {"ramp_rate": 30.0, "max_temperature": 650.0, "dwell_time": 10.0},
        {"ramp_rate": 11.0, "max_temperature": 451.0, "dwell_time": 0.5},
    ]
    with pytest.raises(ValidationError, match="has no objectives"):
        campaign_optimizer(CampaignSpec("x", spec.parameters), history)
