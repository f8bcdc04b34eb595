"""Bayesian optimisation of campaigns: search spaces, the BoTorch optimiser, replay, model plots.

>>> from fluxtrap.optimize import SearchSpace, Optimizer
>>> space = SearchSpace.from_campaign("campaign.toml")
>>> opt = Optimizer(space, seed=0).tell(X, y)
>>> batch = opt.ask(2)
"""

import importlib
from typing import TYPE_CHECKING

# Loaded on first use: importing torch/BoTorch takes seconds, and `fluxtrap --help` should not.
_EXPORTS = {
    "ConstantObjectiveWarning": "fluxtrap.optimize.optimizer",
    "LongAskWarning": "fluxtrap.optimize.optimizer",
    "Optimizer": "fluxtrap.optimize.optimizer",
    "OutlierWarning": "fluxtrap.optimize.optimizer",
    "Categorical": "fluxtrap.optimize.space",
    "Continuous": "fluxtrap.optimize.space",
    "Integer": "fluxtrap.optimize.space",
    "LinearConstraint": "fluxtrap.optimize.space",
    "SearchSpace": "fluxtrap.optimize.space",
}
__all__ = [  # the names of _EXPORTS, spelt out for the API reference (a test keeps them equal)
    "Categorical",
    "ConstantObjectiveWarning",
    "Continuous",
    "Integer",
    "LinearConstraint",
    "LongAskWarning",
    "Optimizer",
    "OutlierWarning",
    "SearchSpace",
]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'fluxtrap.optimize' has no attribute {name!r}")


if TYPE_CHECKING:  # seen by type checkers and the API reference (mkdocstrings), never run
    from fluxtrap.optimize.optimizer import (
        ConstantObjectiveWarning,
        LongAskWarning,
        Optimizer,
        OutlierWarning,
    )
    from fluxtrap.optimize.space import (
        Categorical,
        Continuous,
        Integer,
        LinearConstraint,
        SearchSpace,
    )
