"""Bayesian optimisation of campaigns: search spaces, the BoTorch optimiser, replay, model plots.

>>> from fluxtrap.optimize import SearchSpace, Optimizer
>>> space = SearchSpace.from_campaign("campaign.toml")
>>> opt = Optimizer(space, seed=0).tell(X, y)
>>> batch = opt.ask(2)
"""

from fluxtrap.optimize.optimizer import ConstantObjectiveWarning, Optimizer
from fluxtrap.optimize.space import (
    Categorical,
    Continuous,
    Integer,
    LinearConstraint,
    SearchSpace,
)

__all__ = [
    "Categorical",
    "ConstantObjectiveWarning",
    "Continuous",
    "Integer",
    "LinearConstraint",
    "Optimizer",
    "SearchSpace",
]
