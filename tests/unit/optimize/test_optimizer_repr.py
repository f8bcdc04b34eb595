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
