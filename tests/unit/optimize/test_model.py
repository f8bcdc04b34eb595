"""The light-tailed length-scale prior batches are planned on while the observations are fewer
than 2 per input (bench: ``fluxtrap gamma2d [x2]``), and BoTorch's log-normal otherwise."""

import math

import numpy as np
import pandas as pd
import pytest
import torch
from botorch.fit import fit_gpytorch_mll
from botorch.models import SingleTaskGP
from botorch.models.transforms.outcome import Standardize
from botorch.models.utils.gpytorch_modules import get_covar_module_with_dim_scaled_prior
from botorch.utils.sampling import manual_seed
from gpytorch.mlls import ExactMarginalLogLikelihood
from gpytorch.priors import GammaPrior, LogNormalPrior

from fluxtrap.optimize import Continuous, Optimizer, SearchSpace
from fluxtrap.optimize.model import FEW_PER_DIM, fit_model, lengthscales


def near_duplicates(d: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The 2 starts of the benzylation replay, seed 1 (unit cube): equal but for the last input,
    0.023 apart, yet 6.4 against 6.8 (2 x 2, d inputs)."""
    U = torch.zeros(2, d, dtype=torch.double)
    U[:, 0] = 1.0
    U[:, -1] = torch.tensor([0.592, 0.615], dtype=torch.double)
    return U, torch.tensor([[6.4], [6.8]], dtype=torch.double)


def lognormal_mode(d: int) -> float:
    """Mode of BoTorch's dimension-scaled log-normal length-scale prior, exp(mu - sigma^2)."""
    prior = get_covar_module_with_dim_scaled_prior(ard_num_dims=d).lengthscale_prior
    return math.exp(float(prior.loc) - float(prior.scale) ** 2)


def test_the_light_tailed_prior_is_gamma_with_the_lognormal_mode():
    d = 4
    g = torch.Generator().manual_seed(d)
    U = torch.rand(3, d, generator=g, dtype=torch.double)
    Y = torch.rand(3, 1, generator=g, dtype=torch.double)
    with manual_seed(0):
        light = fit_model(U, Y, [], light_tailed=True).covar_module.lengthscale_prior
        default = fit_model(U, Y, []).covar_module.lengthscale_prior
    assert isinstance(light, GammaPrior) and isinstance(default, LogNormalPrior)
    assert float(light.concentration) == 3.0
    mode = float((light.concentration - 1) / light.rate)
    assert mode == pytest.approx(lognormal_mode(d), rel=1e-6)  # priors hold float32


@pytest.mark.parametrize("d", [3, 6])
def test_near_duplicate_starts_do_not_collapse_a_lengthscale(d):
    """BoTorch's log-normal lets the two starts be explained as uncorrelated: the last input's
    length-scale goes to its 0.025 bound and the model knows nothing between the points. The
    Gamma prior keeps it near its mode (the difference goes to the noise)."""
    U, Y = near_duplicates(d)
    with manual_seed(0):
        ours = lengthscales(fit_model(U, Y, [], light_tailed=True), d)[0, -1]
        lognormal = SingleTaskGP(
            U,
            Y,
            covar_module=get_covar_module_with_dim_scaled_prior(
                ard_num_dims=d, use_rbf_kernel=False
            ),
            outcome_transform=Standardize(m=1),
        )
        fit_gpytorch_mll(ExactMarginalLogLikelihood(lognormal.likelihood, lognormal))
    assert float(lognormal.covar_module.lengthscale.detach()[0, -1]) < 0.03  # why the switch exists
    assert float(ours) > 0.8 * lognormal_mode(d)


def test_several_objectives_with_few_points_get_one_lengthscale_row_each():
    g = torch.Generator().manual_seed(1)
    U = torch.rand(3, 4, generator=g, dtype=torch.double)
    Y = torch.rand(3, 2, generator=g, dtype=torch.double)
    with manual_seed(0):
        model = fit_model(U, Y, [], light_tailed=True)
    assert isinstance(model.covar_module.lengthscale_prior, GammaPrior)
    ls = lengthscales(model, 4)
    assert ls.shape == (2, 4) and torch.isfinite(ls).all() and (ls > 0.025).all()


def optimizer_with(n: int, d: int = 4) -> Optimizer:
    """An optimizer told the near-duplicate starts and then ``n - 2`` scattered points."""
    space = SearchSpace([Continuous(f"x{j}", 0.0, 1.0) for j in range(d)])
    U, Y = near_duplicates(d)
    more = space.sample(n - 2, seed=3) if n > 2 else pd.DataFrame(columns=space.names)
    X = pd.concat([pd.DataFrame(U.numpy(), columns=space.names), more], ignore_index=True)
    y = np.r_[Y[:, 0].numpy(), 6.0 + X.iloc[2:].sum(axis=1).to_numpy()]
    return Optimizer(space, seed=0).tell(X, pd.Series(y, name="y"))


def test_batches_are_planned_on_the_light_tailed_model_while_points_are_few():
    opt = optimizer_with(2)
    batch = opt.acquisition_function(None, batch=True).model
    assert batch is opt.planning_model and batch is not opt.model
    assert float(lengthscales(batch, 4)[0, -1]) > 0.8 * lognormal_mode(4)
    assert opt.acquisition_function(None).model is opt.model  # a single point: unchanged
    pending = opt.acquisition_function(torch.full((1, 4), 0.5, dtype=torch.double)).model
    assert pending is opt.planning_model  # a point asked while another is pending
    assert len(opt.ask(2)) == 2


def test_from_2_observations_per_input_batches_use_the_model():
    assert optimizer_with(FEW_PER_DIM * 4 - 1).planning_model is not None
    opt = optimizer_with(FEW_PER_DIM * 4)
    assert opt.planning_model is opt.model
    assert opt.acquisition_function(None, batch=True).model is opt.model
