"""The surrogate: a BoTorch GP on the encoded space, and its diagnostics (LOO, length-scales).

``fit_model`` builds ``SingleTaskGP`` with a Matern-5/2 ARD kernel (BoTorch's dimension-scaled
length-scale prior, or with ``light_tailed`` a Gamma prior of the same mode:
``few_points_kernel``), ``Standardize`` on the outcomes and a fitted Gaussian noise; with
categorical parameters it builds ``MixedSingleTaskGP`` (Matern-5/2 ARD on the numeric columns
times a categorical kernel). Rows with a stated 1-sigma (``Yvar``) add it as known noise on top
of the fitted one (``FixedNoiseGaussianLikelihood`` with ``learn_additional_noise``). Inputs arrive already in the unit cube: the ``SearchSpace`` scales
them with the campaign bounds, which is what ``Normalize(bounds=...)`` would do.
Outcomes not measured in every row (NaN): ``fit_models`` fits one such GP per outcome on the
rows that hold it, a ``ModelListGP``; the diagnostics below take either.
"""

from __future__ import annotations

import math

# first: it loads linear_operator without torch's note on torch.jit.script (quiet.py)
from fluxtrap.optimize.quiet import SharedFilters

# isort: split
import torch
from botorch.fit import fit_gpytorch_mll
from botorch.models import MixedSingleTaskGP, ModelListGP, SingleTaskGP
from botorch.models.transforms.outcome import Standardize
from botorch.models.utils.gpytorch_modules import (
    MIN_INFERRED_NOISE_LEVEL,
    get_covar_module_with_dim_scaled_prior,
)
from gpytorch.constraints import GreaterThan
from gpytorch.kernels import Kernel, MaternKernel
from gpytorch.likelihoods import FixedNoiseGaussianLikelihood
from gpytorch.mlls import ExactMarginalLogLikelihood
from gpytorch.priors import GammaPrior, LogNormalPrior
from torch import Tensor

# Batches and pending points are planned on the light-tailed model while the observations are
# fewer than this many per input (Optimizer.acquisition_function; measured on the 11 replay
# tables: bench/bench_optimize.py "fluxtrap gamma2d [x2]", bench/results/README.md).
FEW_PER_DIM = 2
# rows without a stated error (0) get gpytorch's floor for known noise, 1e-6 of the outcome's
# variance (the fitted part's own floor is 1e-4): said once here, not warned
_small_noise = SharedFilters({"message": "Very small noise values detected"})


def fit_model(
    U: Tensor,
    Y: Tensor,
    cat_dims: list[int],
    light_tailed: bool = False,
    Yvar: Tensor | None = None,
) -> SingleTaskGP:
    """Fit a GP to ``U`` (``n x d``, encoded) and ``Y`` (``n x m``, to be maximised);
    ``light_tailed``: ``few_points_kernel``'s prior (numeric inputs only; ignored with
    categories). ``Yvar`` (``n x m``, units of ``Y`` squared, 0 where none is stated): each row's
    known noise variance, added to the fitted homoscedastic noise; None or all 0: the fitted
    noise alone, the model of a campaign without stated errors."""
    n, d = U.shape
    m = Y.shape[-1]
    batch_shape = torch.Size([m]) if m > 1 else None
    known = Yvar if Yvar is not None and bool((Yvar > 0).any()) else None
    with _small_noise():
        if cat_dims:
            model = MixedSingleTaskGP(
                U, Y, cat_dims=cat_dims, train_Yvar=known, outcome_transform=Standardize(m=m)
            )
        else:
            if light_tailed:
                covar = few_points_kernel(d, batch_shape)
            else:
                covar = get_covar_module_with_dim_scaled_prior(
                    ard_num_dims=d, batch_shape=batch_shape, use_rbf_kernel=False
                )
            model = SingleTaskGP(
                U, Y, known, covar_module=covar, outcome_transform=Standardize(m=m)
            )
        if known is not None:
            model.likelihood = known_plus_fitted_noise(
                model.likelihood.noise_covar.noise, batch_shape
            ).to(U)
    fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
    model.eval()
    return model


def fit_models(
    U: Tensor,
    Y: Tensor,
    cat_dims: list[int],
    light_tailed: bool = False,
    Yvar: Tensor | None = None,
) -> SingleTaskGP | ModelListGP:
    """``fit_model``, or where ``Y`` holds NaN (an outcome not measured in that row) a
    ``ModelListGP`` of one ``fit_model`` per outcome on the rows where it is measured (each
    needs 2): the multi-output GP needs every outcome in every row, and a sample with only
    some measured would inform none."""
    have = ~torch.isnan(Y)
    if bool(have.all()):
        return fit_model(U, Y, cat_dims, light_tailed, Yvar)
    parts = []
    for j in range(Y.shape[-1]):
        rows = have[:, j]
        var = None if Yvar is None else Yvar[rows, j : j + 1]
        parts.append(fit_model(U[rows], Y[rows, j : j + 1], cat_dims, light_tailed, var))
    return ModelListGP(*parts).eval()


def parts(model) -> list:
    """The single-output GPs of a ``ModelListGP``, or ``[model]``."""
    return list(model.models) if isinstance(model, ModelListGP) else [model]


def known_plus_fitted_noise(
    noise: Tensor, batch_shape: torch.Size | None
) -> FixedNoiseGaussianLikelihood:
    """The likelihood of rows with a stated error: the known variances ``noise`` (standardized,
    as ``SingleTaskGP(train_Yvar=...)`` turns them through ``Standardize``: divided by the
    outcome's variance) plus a fitted homoscedastic part with the prior, bound and start of
    BoTorch's default likelihood (``get_gaussian_likelihood_with_lognormal_prior``), which
    ``train_Yvar`` alone would leave out (BoTorch then trusts the stated errors as the whole
    noise, and rows without one as exact)."""
    prior = LogNormalPrior(loc=-4.0, scale=1.0)
    return FixedNoiseGaussianLikelihood(
        noise=noise,
        learn_additional_noise=True,
        batch_shape=batch_shape or torch.Size(),
        noise_prior=prior,
        noise_constraint=GreaterThan(
            MIN_INFERRED_NOISE_LEVEL, transform=None, initial_value=prior.mode
        ),
    )


def few_points_kernel(d: int, batch_shape: torch.Size | None = None) -> MaternKernel:
    """Matern-5/2 ARD over ``d`` unit-cube inputs with a Gamma(3) length-scale prior whose mode
    is that of BoTorch's dimension-scaled log-normal, ``exp(sqrt 2 - 3) sqrt d`` (0.41 at d = 4),
    but with a light tail (BayBE's preset has the same shape): with 2-4 points the log-normal
    (sigma = sqrt 3) lets the fit pick length-scales of tens, an almost linear model whose second
    batch point goes to a far corner of the space."""
    mode = math.exp(math.sqrt(2) - 3) * math.sqrt(d)
    prior = GammaPrior(3.0, 2.0 / mode)  # mode (alpha - 1) / rate
    return MaternKernel(
        nu=2.5,
        ard_num_dims=d,
        batch_shape=batch_shape,
        lengthscale_prior=prior,
        lengthscale_constraint=GreaterThan(2.5e-2, transform=None, initial_value=prior.mode),
    )


def loo_predictions(model: SingleTaskGP, groups: list | None = None) -> tuple[Tensor, Tensor]:
    """Leave-one-out mean and std ``(n x m)`` at the training points, in the outcome units of ``Y``.

    Closed form for fixed hyper-parameters (Rasmussen & Williams 2006, eq. 5.12):
    ``mu_i = y_i - [K^-1 y]_i / [K^-1]_ii``, ``var_i = 1 / [K^-1]_ii`` with ``K`` including the
    noise. Written out because BoTorch only offers refit-per-fold cross-validation.
    ``groups`` (one hashable per row, e.g. the point's key): rows sharing one are left out
    together, the block form ``mu_I = y_I - (K^-1_II)^-1 [K^-1 y]_I``, ``cov_I = (K^-1_II)^-1``:
    a replicate would otherwise predict its twin, and a doubled table scores R^2 = 1.
    """
    X = model.train_inputs[0]
    y = model.train_targets  # standardized; (n,) or (m, n)
    with torch.no_grad():
        K = model.covar_module(X).to_dense()
        noise = model.likelihood.noise  # (1,) or (m, 1); per row (n,) or (m, n) with stated errors
        K = K + noise.unsqueeze(-1) * torch.eye(K.shape[-1], dtype=K.dtype)  # diagonal either way
        r = y - model.mean_module(X)
        Kinv = torch.cholesky_inverse(torch.linalg.cholesky(K))
        diag = torch.diagonal(Kinv, dim1=-2, dim2=-1)
        alpha = (Kinv @ r.unsqueeze(-1)).squeeze(-1)
        mean = y - alpha / diag
        std = diag.rsqrt()
        rows: dict = {}
        for i, g in enumerate(groups or ()):
            rows.setdefault(g, []).append(i)
        for block in rows.values():
            if len(block) > 1:
                idx = torch.tensor(block)
                cov = torch.linalg.inv(Kinv[..., idx, :][..., :, idx])
                mean[..., idx] = y[..., idx] - (cov @ alpha[..., idx].unsqueeze(-1)).squeeze(-1)
                std[..., idx] = torch.diagonal(cov, dim1=-2, dim2=-1).sqrt()
    if mean.dim() == 1:
        mean, std = mean.unsqueeze(0), std.unsqueeze(0)
    tf = model.outcome_transform
    scale, shift = tf.stdvs.squeeze(0), tf.means.squeeze(0)  # (m,)
    return (mean * scale[:, None] + shift[:, None]).T, (std * scale[:, None]).T


def lengthscales(model: SingleTaskGP, d: int) -> Tensor:
    """Length-scale per input column ``(m x d)`` in encoded units (first kernel that covers a column)."""
    if isinstance(model, ModelListGP):
        return torch.cat([lengthscales(p, d) for p in model.models])
    m = model.num_outputs
    out = torch.full((m, d), float("nan"), dtype=torch.double)
    for module in model.covar_module.modules():
        if not isinstance(module, Kernel) or not module.has_lengthscale:
            continue
        ls = module.lengthscale.detach().reshape(-1, module.lengthscale.shape[-1])
        dims = module.active_dims.tolist() if module.active_dims is not None else list(range(d))
        if ls.shape[-1] != len(dims):
            continue
        for k, j in enumerate(dims):
            if torch.isnan(out[:, j]).all():
                out[:, j] = ls[:, k].expand(m) if ls.shape[0] == 1 else ls[:, k]
    return out


def noise_std(model: SingleTaskGP) -> Tensor:
    """Fitted (homoscedastic) observation noise standard deviation ``(m,)`` in outcome units:
    with stated errors, the part fitted on top of them."""
    if isinstance(model, ModelListGP):
        return torch.cat([noise_std(p) for p in model.models])
    lik = model.likelihood
    noise = lik.second_noise if isinstance(lik, FixedNoiseGaussianLikelihood) else lik.noise
    stdvs = model.outcome_transform.stdvs.reshape(-1)
    return noise.detach().reshape(-1).sqrt().expand_as(stdvs) * stdvs


def known_noise_var(model: SingleTaskGP) -> Tensor:
    """Stated (known) noise variance per row ``(n x m)`` in outcome units squared; all 0 without
    stated errors (with some, a row without one holds the floor, 1e-6 of the outcome's
    variance)."""
    n, m = model.train_inputs[0].shape[-2], model.num_outputs
    lik = model.likelihood
    if not isinstance(lik, FixedNoiseGaussianLikelihood):
        return torch.zeros(n, m, dtype=torch.double)
    var = lik.noise_covar.noise.detach().reshape(m, n).T
    return var * model.outcome_transform.stdvs.reshape(1, m) ** 2


def typical_noise_std(model: SingleTaskGP) -> Tensor:
    """The noise std ``(m,)`` of a typical measurement, in outcome units: the fitted part plus
    the median stated variance over all rows, those without one counting 0 (none: exactly
    ``noise_std``, the noise the stopping advisor's KAPPA was calibrated on). The median, so one
    row stated as very uncertain does not raise the bar for every other."""
    if isinstance(model, ModelListGP):  # each outcome over its own rows
        return torch.cat([typical_noise_std(p) for p in model.models])
    fitted = noise_std(model)
    known = known_noise_var(model)
    if not bool((known > 0).any()):
        return fitted
    return (fitted**2 + torch.quantile(known, 0.5, dim=0)).sqrt()
