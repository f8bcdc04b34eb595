"""The solver's hand-written kernels against numpy and scipy: ``power`` (a whole exponent by
repeated squaring) and ``matvec`` (scipy's private CSR kernel called directly, so a scipy that
changes it fails here, not silently in a run)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from fluxtrap.simulate.solver import matvec, power


@pytest.mark.parametrize("k", [1, 2, 7, 19, 34, 1024, 19.5, 0.5])
def test_power_matches_numpy(k):
    x = np.random.default_rng(1).random(257) * 1.5
    assert np.allclose(power(x, k), x**k, rtol=1e-12, atol=0)


def test_power_takes_an_array_of_exponents():
    x = np.random.default_rng(2).random(5)
    k = np.array([1.0, 3.0, 10.0, 25.0, 40.0])
    assert np.allclose(power(x, k), x**k, rtol=1e-14, atol=0)


def test_matvec_matches_scipy_on_a_rectangular_matrix():
    rng = np.random.default_rng(3)
    A = sp.random(301, 173, density=0.05, random_state=rng, format="csr")
    x = rng.standard_normal(173)
    assert np.allclose(matvec(A, x), A @ x, rtol=1e-13, atol=1e-15)


def test_matvec_adds_into_a_given_vector():
    """``out``: A @ x added to it (Newton's residual and K's values are summed in place)."""
    rng = np.random.default_rng(4)
    A = sp.random(40, 25, density=0.2, random_state=rng, format="csr")
    x, y = rng.standard_normal(25), rng.standard_normal(40)
    out = y.copy()
    assert matvec(A, x, out=out) is out
    assert np.allclose(out, y + A @ x, rtol=1e-13, atol=1e-15)
