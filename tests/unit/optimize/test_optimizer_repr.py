"""What a notebook shows for an ``Optimizer``: one line with what it was told and the best."""

from __future__ import annotations

import pandas as pd

from fluxtrap.campaign import CampaignSpec
from fluxtrap.optimize import Optimizer

from ...conftest import EXAMPLES


def test_the_repr_says_what_was_told_and_the_best_as_the_tables_show_it():
    """It was ``<fluxtrap.optimize.optimizer.Optimizer object at 0x...>``."""
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")
    opt = Optimizer(spec, seed=3, budget=20, shown={o.name: o for o in spec.objectives})
    head = "<Optimizer over ramp_rate, max_temperature, dwell_time: "
    assert repr(opt) == head + "0 observations, budget 20, seed 3>"
    X = pd.DataFrame(
        {"ramp_rate": [50.0, 60.0], "max_temperature": [600.0, 650], "dwell_time": [5.0, 6]}
    )
    opt.tell(X, pd.Series([2.1e8, 2.5e8], name="jc_3T"))
    assert repr(opt) == head + "2 observations; best max jc_3T 25000 A/cm², budget 20, seed 3>"
    low = Optimizer(spec, maximize=[False, True])  # one flag too many: repr does not raise
    low.tell(X, pd.Series([2.1e8, 2.5e8], name="jc_3T"))
    assert repr(low) == head + "2 observations; best min jc_3T 2.1e+08, seed 0>"


def test_the_repr_shows_the_best_known_to_meet_the_outcome_constraints_as_best_does():
    """A row breaking a constraint (Tc below the minimum) was shown as the best; a row awaiting
    its Tc too. Now the best is ``best()``'s row and the left-out rows are counted."""
    spec = CampaignSpec.from_toml(EXAMPLES / "campaign.toml")
    opt = Optimizer(spec, seed=3, outcome_constraints={"tc": (30.0, None)})
    X = pd.DataFrame(
        {
            "ramp_rate": [50.0, 60.0, 70.0, 80.0],
            "max_temperature": [600.0, 650, 700, 720],
            "dwell_time": [5.0, 6, 7, 8],
        }
    )
    y = pd.DataFrame({"jc_3T": [2.1e8, 9.9e8, 2.5e8, 7.7e8], "tc": [35.0, 20.0, 36.0, None]})
    opt.tell(X, y)
    best = opt.best()["jc_3T"]
    assert f"best max jc_3T {best:.5g}" in repr(opt)
    assert "9.9e+08" not in repr(opt) and "7.7e+08" not in repr(opt)
    assert "(left out: 1 not meeting the outcome constraints, 1 awaiting tc)" in repr(opt)
    none = Optimizer(spec, outcome_constraints={"tc": (40.0, None)})
    none.tell(X, y)
    assert "jc_3T none meeting the outcome constraints" in repr(none)
