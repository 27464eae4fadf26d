"""Tests for the published topologies: EquiStatic, k-peer exponential, de Bruijn, one-peer exact averaging."""

import numpy as np
import pytest

import topotheory as tt
from topotheory import (
    base_graph,
    de_bruijn,
    equistatic,
    equistatic_degree,
    finite_time_consensus,
    is_doubly_stochastic,
    is_symmetric,
    k_peer_exponential,
    max_degree_per_step,
    topology_from_spec,
)


def _dense_product(scheme):
    """W_{p-1} ... W_0 by a dense multi_dot (independent of Scheme.period_product)."""
    mats = [scheme.sparse_matrix(t).toarray() for t in reversed(range(scheme.period))]
    return mats[0] if len(mats) == 1 else np.linalg.multi_dot(mats)


# ------------------------------------------------------------------------------------ EquiStatic
def _block(n, a):
    """The paper's basis block: worker i gives (n-1)/n to worker i + a (mod n), 1/n to itself."""
    B = np.eye(n) / n
    B[np.arange(n), (np.arange(n) + a) % n] += (n - 1) / n
    return B


@pytest.mark.parametrize("kind", ["U", "D"])
def test_equistatic_equals_the_average_of_its_blocks(kind):
    n, M = 12, 7
    s = equistatic(n, M, kind=kind, seed=3)
    blocks = [_block(n, a) for a in s.params["offsets"]]
    D = sum(blocks) / M
    expected = D if kind == "D" else (D + D.T) / 2
    np.testing.assert_allclose(s.matrix(0), expected, rtol=0, atol=1e-15)
    assert is_doubly_stochastic(s.matrix(0)) and s.is_circulant
    assert is_symmetric(s.matrix(0)) == (kind == "U")
    distinct = len(set(s.params["offsets"]))
    assert max_degree_per_step(s) == [distinct if kind == "D" else len({a % n for a in s.params["offsets"]} | {(-a) % n for a in s.params["offsets"]})]
    assert all(1 <= a < n for a in s.params["offsets"])


def test_equistatic_block_expectation_is_exactly_J():
    # The paper's key identity E_a[B_a] = J over a uniform in {1..n-1} (exact enumeration) ...
    n = 9
    np.testing.assert_allclose(sum(_block(n, a) for a in range(1, n)) / (n - 1), np.full((n, n), 1 / n), atol=1e-15)
    # ... and the sampler draws offsets from that distribution: W of M blocks has E[W] = J, with
    # entry (0, a) = ((n-1)/n) * Binomial(M, 1/(n-1)) / M; every entry is within 5 standard errors.
    M = 4000
    row = equistatic(n, M, kind="D", seed=11).matrix(0)[0]
    q = 1 / (n - 1)
    se = (n - 1) / n * np.sqrt(q * (1 - q) / M)
    assert np.all(np.abs(row[1:] - 1 / n) < 5 * se)
    assert row[0] == 1 / n


@pytest.mark.parametrize("kind", ["U", "D"])
def test_equistatic_spectral_gap_bound(kind):
    # Song et al.: with M >= 8 ln(2n/p) / (3 eps^2), ||W - J||_2 <= eps with probability >= 1 - p.
    n, eps, p = 32, 0.6, 0.2
    M = equistatic_degree(n, eps, p)
    assert M == int(np.ceil(8 * np.log(2 * n / p) / (3 * eps**2)))
    norms = np.array([np.linalg.norm(equistatic(n, M, kind=kind, seed=s).matrix(0) - 1 / n, 2) for s in range(40)])
    assert np.mean(norms > eps) <= p
    # The FFT spectrum agrees with the dense one, and for U the gap is 1 - ||W - J||_2.
    s = equistatic(n, M, kind=kind, seed=0)
    dense = np.sort(np.abs(np.linalg.eigvals(s.matrix(0))))[::-1]
    np.testing.assert_allclose(np.sort(np.abs(s.eigenvalues()))[::-1], dense, atol=1e-12)
    if kind == "U":
        assert abs(tt.spectral_gap(s) - (1 - norms[0])) < 1e-12


def test_equistatic_bound_fails_with_too_few_blocks():
    # Planted fault: one block (M = 1) is a one-peer graph, far from J: ||B_a - J||_2 is about 1.
    norms = [np.linalg.norm(equistatic(32, 1, kind="D", seed=s).matrix(0) - 1 / 32, 2) for s in range(20)]
    assert min(norms) > 0.9


def test_equistatic_seeds_and_bad_input():
    a = equistatic(10, 4, seed=7)
    assert np.array_equal(a.matrix(0), equistatic(10, 4, seed=7).matrix(0))
    assert equistatic(10, 4, kind="d", seed=7).params["kind"] == "D"
    g = np.random.default_rng(7)
    assert equistatic(10, 4, seed=g).params["seed"] is None
    with pytest.raises(ValueError, match="kind"):
        equistatic(10, 3, kind="X")
    with pytest.raises(ValueError, match="degree"):
        equistatic(10, 0)
    with pytest.raises(ValueError, match="n must be >= 2"):
        equistatic(1, 1)
    with pytest.raises(TypeError, match="seed"):
        equistatic(10, 2, seed=1.5)
    with pytest.raises(ValueError, match="eps"):
        equistatic_degree(10, 0.0, 0.1)
    with pytest.raises(ValueError, match="p must"):
        equistatic_degree(10, 0.5, 1.0)


# --------------------------------------------------------------------------- k-peer exponential
@pytest.mark.parametrize("k,tau", [(1, 4), (2, 3), (3, 2), (4, 2), (6, 2)])
def test_k_peer_exponential_exact_for_powers(k, tau):
    n = (k + 1) ** tau
    s = k_peer_exponential(n, k)
    assert s.period == tau and s.is_circulant
    assert max_degree_per_step(s) == [k] * tau
    assert all(is_doubly_stochastic(W) for W in s.matrices)
    np.testing.assert_allclose(_dense_product(s), np.full((n, n), 1 / n), atol=1e-13)
    assert finite_time_consensus(s)
    # Dropping the last step (planted fault) leaves some disagreement.
    partial = tt.Scheme(s.matrices[:-1]) if tau > 1 else None
    if partial is not None:
        assert not finite_time_consensus(partial)


def test_k_peer_exponential_definition_and_one_peer_case():
    s = k_peer_exponential(9, 2)
    for t in range(2):
        W = s.matrix(t)
        for i in range(9):
            expected = np.zeros(9)
            for j in range(3):
                expected[(i + j * 3**t) % 9] += 1 / 3
            np.testing.assert_allclose(W[i], expected, atol=1e-15)
    for W, V in zip(k_peer_exponential(16, 1).matrices, tt.one_peer_exponential(16).matrices):
        np.testing.assert_allclose(W, V, atol=1e-15)


@pytest.mark.parametrize("n,k", [(10, 2), (12, 1), (20, 3)])
def test_k_peer_exponential_not_exact_otherwise(n, k):
    s = k_peer_exponential(n, k)
    assert not finite_time_consensus(s)
    # Fourier closed form of the one-period contraction: max over modes m != 0 of
    # prod_t |(1/(k+1)) sum_j w^(j (k+1)^t)| (circulant steps commute and are normal).
    tau = s.period
    w = np.exp(2j * np.pi * np.arange(1, n) / n)
    factors = [np.abs(sum(w ** ((j * (k + 1) ** t) % n) for j in range(k + 1))) / (k + 1) for t in range(tau)]
    assert abs(tt.consensus_rate(s) - np.max(np.prod(factors, axis=0))) < 1e-12


def test_k_peer_exponential_bad_input():
    assert k_peer_exponential(1, 3).period == 1
    with pytest.raises(ValueError, match="k must be >= 1"):
        k_peer_exponential(8, 0)
    with pytest.raises(ValueError, match="n must be >= 1"):
        k_peer_exponential(0, 2)


# ---------------------------------------------------------------------------------- de Bruijn
@pytest.mark.parametrize("base,D", [(2, 1), (2, 3), (2, 5), (3, 3), (4, 2), (5, 2)])
def test_de_bruijn_finite_time_consensus(base, D):
    n = base**D
    s = de_bruijn(n, base=base)
    W = s.matrix(0)
    J = np.full((n, n), 1 / n)
    assert s.is_static and is_doubly_stochastic(W)
    assert is_symmetric(W) == (n <= 2)
    np.testing.assert_allclose(np.linalg.matrix_power(W, D), J, atol=1e-14)
    if D > 1:  # not one step earlier
        assert np.abs(np.linalg.matrix_power(W, D - 1) - J).max() > 1e-3
        # Nilpotent on the disagreement: (W - J)^D = 0, yet ||W - J||_2 = 1 (non-normal).
        assert abs(np.linalg.norm(W - J, 2) - 1) < 1e-12
    np.testing.assert_allclose(np.linalg.matrix_power(W - J, D), 0, atol=1e-14)
    assert np.count_nonzero(np.diag(W)) == base  # the constant words are self-loops
    assert max_degree_per_step(s) == [base if D > 1 else base - 1]


def test_de_bruijn_definition():
    W = de_bruijn(27, base=3).matrix(0)
    for v in range(27):
        cols = {(3 * v) % 27 + a for a in range(3)}
        assert set(np.flatnonzero(W[v])) == cols
        np.testing.assert_allclose(W[v, sorted(cols)], 1 / 3)


def test_de_bruijn_bad_input():
    assert de_bruijn(1).n == 1
    with pytest.raises(ValueError, match="n must be a power of base = 2"):
        de_bruijn(12)
    with pytest.raises(ValueError, match="n must be a power of base = 3"):
        de_bruijn(8, base=3)
    with pytest.raises(ValueError, match="base must be >= 2"):
        de_bruijn(8, base=1)


# ------------------------------------------------------------------ one-peer exact averaging
@pytest.mark.parametrize("n", range(2, 64))
def test_one_peer_exact_averaging_for_every_n(n):
    # The Base-2 graph is the one-peer exact-averaging Scheme for any n: the period product is J,
    # each worker talks to at most one peer per step, and every step is doubly stochastic.
    s = base_graph(n, 1)
    np.testing.assert_allclose(_dense_product(s), np.full((n, n), 1 / n), atol=1e-12)
    assert max_degree_per_step(s, atol=0.0) == [1] * s.period
    assert all(is_doubly_stochastic(W) for W in s.matrices)
    assert s.period <= 2 * int(np.ceil(np.log2(n))) + 2


# ------------------------------------------------------------------------------------- specs
def test_published_specs():
    assert topology_from_spec("equistatic:n=16,degree=3,kind=d,seed=2").params["kind"] == "D"
    s = topology_from_spec("equistatic", n=32)
    assert s.params["degree"] == 5 and s.params["seed"] == 0 and s.is_symmetric
    assert topology_from_spec("k_peer_exponential:k=3", n=16).period == 2
    assert topology_from_spec("de_bruijn:base=3", n=9).params["D"] == 2
    for name in ("equistatic", "k_peer_exponential", "de_bruijn"):
        assert name in tt.TOPOLOGIES and name in tt.__all__
