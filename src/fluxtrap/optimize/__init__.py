"""Bayesian optimisation of campaigns: search spaces, the BoTorch optimiser, replay, model plots.

>>> from fluxtrap.optimize import SearchSpace, Optimizer
>>> space = SearchSpace.from_campaign("campaign.toml")
>>> opt = Optimizer(space, seed=0).tell(X, y)
>>> batch = opt.ask(2)
"""

import importlib

# Loaded on first use: importing torch/BoTorch takes seconds, and `fluxtrap --help` should not.
_EXPORTS = {
    "ConstantObjectiveWarning": "fluxtrap.optimize.optimizer",
    "Optimizer": "fluxtrap.optimize.optimizer",
    "OutlierWarning": "fluxtrap.optimize.optimizer",
    "Categorical": "fluxtrap.optimize.space",
    "Continuous": "fluxtrap.optimize.space",
    "Integer": "fluxtrap.optimize.space",
    "LinearConstraint": "fluxtrap.optimize.space",
    "SearchSpace": "fluxtrap.optimize.space",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'fluxtrap.optimize' has no attribute {name!r}")
