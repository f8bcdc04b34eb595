"""Bayesian optimisation of campaigns: search spaces, the BoTorch optimiser, replay, model plots.

>>> from fluxtrap.optimize import SearchSpace, Optimizer
>>> space = SearchSpace.from_campaign("campaign.toml")
>>> opt = Optimizer(space, seed=0).tell(X, y)
>>> batch = opt.ask(2)
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
