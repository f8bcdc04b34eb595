"""Bayesian optimisation of campaigns: search spaces, the BoTorch optimiser, replay, model plots.

From the repository's root (``examples/campaign.toml``: ramp rate, peak temperature and dwell of
the K-Ba122 sintering), told a temperature scan's Jc(3 T, 5 K) (illustrative values, A/m^2):

```python
import pandas as pd

from fluxtrap.optimize import Optimizer, SearchSpace

space = SearchSpace.from_campaign("examples/campaign.toml")
X = pd.DataFrame({"ramp_rate": 50.0, "max_temperature": [500.0, 550, 600, 650], "dwell_time": 5.0})
y = pd.Series([1.2e8, 1.9e8, 2.3e8, 1.6e8], name="jc_3T")
batch = Optimizer(space, seed=0).tell(X, y).ask(2)  # DataFrame: 2 syntheses to make next
```
"""

from typing import TYPE_CHECKING

from fluxtrap.lazy import attach

# Loaded on first use: importing torch/BoTorch takes seconds, and `fluxtrap --help` should not.
_EXPORTS = {
    "ConstantObjectiveWarning": "optimizer",
    "FloorWarning": "optimizer",
    "LongAskWarning": "optimizer",
    "Optimizer": "optimizer",
    "OutlierWarning": "optimizer",
    "SpanWarning": "optimizer",
    "Categorical": "space",
    "Continuous": "space",
    "Integer": "space",
    "LinearConstraint": "space",
    "SearchSpace": "space",
}
__all__ = [  # the names of _EXPORTS, spelt out for the API reference (a test keeps them equal)
    "Categorical",
    "ConstantObjectiveWarning",
    "Continuous",
    "FloorWarning",
    "Integer",
    "LinearConstraint",
    "LongAskWarning",
    "Optimizer",
    "OutlierWarning",
    "SearchSpace",
    "SpanWarning",
]
__getattr__, __dir__ = attach(__name__, _EXPORTS)  # dir() lists them before


if TYPE_CHECKING:  # seen by type checkers and the API reference (mkdocstrings), never run
    from fluxtrap.optimize.optimizer import (
        ConstantObjectiveWarning,
        FloorWarning,
        LongAskWarning,
        Optimizer,
        OutlierWarning,
        SpanWarning,
    )
    from fluxtrap.optimize.space import (
        Categorical,
        Continuous,
        Integer,
        LinearConstraint,
        SearchSpace,
    )
