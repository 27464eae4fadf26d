"""User-defined infinite lattices: n_W exact as 1 - gamma -> 0 (the split quadrature of
``graphs/lattices.py``), against closed forms and large finite circulants."""

import numpy as np
import pytest

import topotheory as tt


def _finite_circulant_nw_inverse(kernel, n, c):
    """1/n_W of the n-node circulant with the same kernel: (1/n) sum_k c m_k / (c + g (1 - m_k))."""
    g = 1.0 - c
    k = np.arange(n)
    mu = sum(w * np.exp(2j * np.pi * off[0] * k / n) for off, w in kernel.items())
    m = np.abs(mu) ** 2
    return float(np.mean(c * m / (c + g * (1.0 - m))))


@pytest.mark.parametrize("kernel", [
    {(0,): 0.5, (1,): 0.25, (-1,): 0.25},  # lazy ring
    {(0,): 0.5, (1,): 0.3, (3,): 0.2},  # directed, offsets 1 and 3
    {(1,): 0.5, (-1,): 0.5},  # bipartite: |mu| = 1 at theta = 0 and pi
    {(0,): 0.2, (2,): 0.4, (-4,): 0.4},  # offsets with gcd 2
], ids=["lazy", "directed", "bipartite", "gcd2"])
@pytest.mark.parametrize("c", [0.5, 1e-3, 1e-6])
def test_user_lattice_matches_a_large_finite_circulant(kernel, c):
    # The circulant's mode average is the trapezoid rule of the lattice integral: with 2^20 modes
    # (spacing 6e-6, far below the peak width sqrt(c) >= 1e-3) it agrees to rounding.
    g = tt.InfiniteGraph("user", kernel)
    got = float(tt.effective_neighbors(g, one_minus_gamma=c))
    want = 1.0 / _finite_circulant_nw_inverse(kernel, 2**20, c)
    assert got == pytest.approx(want, rel=1e-8)


@pytest.mark.parametrize("c", [1e-4, 1e-8, 1e-12, 1e-16, 1e-300])
def test_lazy_ring_closed_form_as_gamma_to_one(c):
    # lam = (1 + cos t)/2: E[1/(1 - g lam^2)] = (1/sqrt(1 - s) + 1/sqrt(1 + s))/2, s = sqrt(g),
    # and n_W = 1/(c R) with R = (E - 1)/g; 1 - s = c/(1 + s) avoids the cancellation.
    s = np.sqrt(1.0 - c)
    E = 0.5 * (1.0 / np.sqrt(c / (1 + s)) + 1.0 / np.sqrt(1 + s))
    want = 1.0 / (c * (E - 1.0) / (1.0 - c))
    got = float(tt.effective_neighbors(tt.InfiniteGraph("lazy", {(0,): 0.5, (1,): 0.25, (-1,): 0.25}),
                                       one_minus_gamma=c))
    assert got == pytest.approx(want, rel=1e-9)
    assert got > 0


def test_issue_case_one_minus_gamma_1e_12():
    # The case of the issue: quadrature of m/(1 - gamma m) gave n_W = -1.55e12; exact 1.41e6.
    g = tt.InfiniteGraph("lazy", {(0,): 0.5, (1,): 0.25, (-1,): 0.25})
    assert float(tt.effective_neighbors(g, one_minus_gamma=1e-12)) == pytest.approx(1414214.8553, rel=1e-9)


def test_user_kernel_equals_the_builtin_ring_closed_form():
    user = tt.InfiniteGraph("r", {(0,): 1 / 3, (1,): 1 / 3, (-1,): 1 / 3})
    c = np.array([0.9, 1e-3, 1e-7, 1e-12])
    got = tt.effective_neighbors(user, one_minus_gamma=c)
    want = tt.effective_neighbors(tt.infinite_ring(), one_minus_gamma=c)
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_single_offset_lattice_is_a_shift():
    # m = |mu|^2 = 1 everywhere: no averaging at all, n_W = 1 for every gamma.
    g = tt.InfiniteGraph("shift", {(1,): 1.0})
    np.testing.assert_allclose(tt.effective_neighbors(g, one_minus_gamma=[0.5, 1e-12]), 1.0, rtol=1e-12)
