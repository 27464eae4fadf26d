"""Tests for topotheory.graphs.families: Base-(k+1) graphs, hyper-hypercubes, exponential graphs, random graphs."""

import math

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from topotheory import consensus_rate, exponential_graph, finite_time_consensus, one_peer_exponential
from topotheory.graphs.families import (
    _min_factorization,
    base_graph,
    erdos_renyi,
    hyper_hypercube,
    max_degree_per_step,
    one_peer_exponential_any,
    random_regular,
)
from topotheory.graphs.scheme import is_doubly_stochastic, is_symmetric


def _dense_product(scheme):
    """Product W_{p-1} ... W_0 by plain dense multiplication (independent of period_product)."""
    P = np.eye(scheme.n)
    for t in range(scheme.period):
        P = scheme.sparse_matrix(t).toarray() @ P
    return P


def _degree_by_networkx(scheme, t):
    """Max number of distinct neighbours of a worker in W_t, counted on the networkx graph."""
    G = scheme.to_networkx(t)
    return max((d for _, d in G.degree()), default=0)


# ------------------------------------------------------------------------- Base-(k+1) graphs
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_base_graph_defining_properties_all_n_below_100(k):
    for n in range(1, 100):
        s = base_graph(n, k)
        P = _dense_product(s)
        assert np.max(np.abs(P - 1.0 / n)) <= 1e-10, (n, k)
        assert s.period <= 2 * math.log(n, k + 1) + 2 + 1e-12, (n, k, s.period)
        assert max(max_degree_per_step(s)) <= k, (n, k)
        assert s.is_symmetric
        assert all(is_doubly_stochastic(W) for W in s.matrices)


def test_degree_count_agrees_with_networkx():
    for n, k in [(7, 1), (23, 2), (50, 3), (99, 4)]:
        s = base_graph(n, k)
        assert max_degree_per_step(s) == [_degree_by_networkx(s, t) for t in range(s.period)]


def test_base_graph_is_exact_on_random_vectors_and_not_before_the_end():
    rng = np.random.default_rng(0)
    n, k = 37, 2
    s = base_graph(n, k)
    x = rng.standard_normal((n, 3))
    y = x.copy()
    for t in range(s.period):
        y = s.sparse_matrix(t) @ y
    np.testing.assert_allclose(y, np.broadcast_to(x.mean(axis=0), y.shape), atol=1e-12)
    # a strict prefix is not exact (every step is needed)
    z = x.copy()
    for t in range(s.period - 1):
        z = s.sparse_matrix(t) @ z
    assert np.max(np.abs(z - x.mean(axis=0))) > 1e-3


def test_base_graph_small_cases():
    # n = 3, k = 1: three matchings (the derivation's hand example), weights 1/3 and 2/3
    s = base_graph(3, 1)
    assert s.period == 3
    assert finite_time_consensus(s)
    W = s.matrix(1)
    np.testing.assert_allclose(sorted(np.unique(np.round(W, 12))), [0.0, 1 / 3, 2 / 3, 1.0])
    assert base_graph(1, 3).period == 1 and base_graph(1, 3).n == 1
    # k >= n - 1: one exact averaging step
    assert base_graph(5, 4).period == 1
    np.testing.assert_allclose(base_graph(5, 4).matrix(0), np.full((5, 5), 0.2))


def test_base_graph_uses_the_shorter_product_construction():
    # 96 = 32 * 3 with k = 1: simple(3) then a 5-step hypercube over the 32 groups = 8 < 13
    s = base_graph(96, 1)
    assert s.period == 8
    assert finite_time_consensus(s)


def test_base_graph_large_n_is_sparse_and_exact():
    s = base_graph(1000, 3)
    assert all(s.is_sparse(t) for t in range(s.period))
    x = np.random.default_rng(1).standard_normal(1000)
    y = x
    for t in range(s.period):
        y = s.sparse_matrix(t) @ y
    np.testing.assert_allclose(y, x.mean(), atol=1e-12)


# ---------------------------------------------------------------------------- hyper-hypercube
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_hyper_hypercube_where_defined(k):
    for n in range(1, 100):
        if _min_factorization(n, k + 1) is None:
            with pytest.raises(ValueError, match="prime factor larger than k"):
                hyper_hypercube(n, k)
            continue
        s = hyper_hypercube(n, k)
        assert np.max(np.abs(_dense_product(s) - 1.0 / n)) <= 1e-12
        assert s.period <= 2 * math.log(n, k + 1) + 1 + 1e-12
        assert max(max_degree_per_step(s)) <= k


def test_hyper_hypercube_k1_is_the_hypercube_sequence():
    # k = 1, n = 2^m: each step pairs i with i XOR 2^(m-1-l): the one-peer hypercube
    s = hyper_hypercube(16, 1)
    assert s.period == 4
    for t in range(4):
        W = s.matrix(t)
        bit = 1 << (3 - t)
        i = np.arange(16)
        np.testing.assert_allclose(W[i, i ^ bit], 0.5)
        np.testing.assert_allclose(W[i, i], 0.5)


def test_min_factorization_is_minimal_by_brute_force():
    def brute(n, m):
        if n == 1:
            return 0
        options = [1 + brute(n // d, m) for d in range(2, m + 1) if n % d == 0]
        options = [o for o in options if o < math.inf]
        return min(options) if options else math.inf

    for m in (2, 3, 5):
        for n in range(1, 200):
            f = _min_factorization(n, m)
            b = brute(n, m)
            assert (f is None) == (b == math.inf)
            if f is not None:
                assert len(f) == b and math.prod(f) == n and max(f, default=2) <= m


# ----------------------------------------------------------------------- exponential graphs
@pytest.mark.parametrize("n", [2, 4, 8, 16, 32, 64, 128])
def test_static_exponential_graph_norm_for_powers_of_two(n):
    W = exponential_graph(n).matrix(0)
    norm = np.linalg.norm(W - 1.0 / n, 2)  # dense SVD, independent of the circulant code
    assert norm == pytest.approx(1 - 2 / (1 + math.ceil(math.log2(n))), abs=1e-12)


def test_one_peer_exponential_any_matches_power_of_two_and_is_exact_only_there():
    for n in range(1, 70):
        s = one_peer_exponential_any(n)
        assert s.period == max(math.ceil(math.log2(n)), 1)
        exact = np.max(np.abs(_dense_product(s) - 1.0 / n)) <= 1e-10
        power = n & (n - 1) == 0
        assert exact == power, n
        assert finite_time_consensus(s) == power
        if power:
            ref = one_peer_exponential(n)
            assert all(np.array_equal(a, b) for a, b in zip(s.matrices, ref.matrices))
        elif n > 2:
            assert 0 < consensus_rate(s) < 1  # contracts, but does not average exactly
            assert max(max_degree_per_step(s)) == 1


# ----------------------------------------------------------------------------- random graphs
def test_random_regular_is_regular_connected_and_reproducible():
    s = random_regular(20, 3, seed=5)
    G = s.to_networkx()
    assert nx.is_connected(G) and all(d == 3 for _, d in G.degree())
    np.testing.assert_allclose(s.matrix(0)[s.matrix(0) > 0].min(), 0.25)
    assert np.array_equal(random_regular(20, 3, seed=5).matrix(0), s.matrix(0))
    assert not np.array_equal(random_regular(20, 3, seed=6).matrix(0), s.matrix(0))
    assert is_symmetric(s.matrix(0)) and is_doubly_stochastic(s.matrix(0))


def test_random_regular_accepts_generator_and_weight_rules():
    rng = np.random.default_rng(3)
    s = random_regular(12, 4, seed=rng, weights="lazy_metropolis")
    np.testing.assert_allclose(np.diag(s.matrix(0)), 0.6)  # (1 + 1/5)/2
    assert random_regular(1, 0).n == 1 and random_regular(2, 1).n == 2


def _triangles(s):
    A = sp.csr_array(s.sparse_matrix(0))
    A.setdiag(0)
    A.eliminate_zeros()
    A.data[:] = 1.0
    return float((A @ A).multiply(A).sum() / 6)


def test_random_regular_pairing_is_simple_regular_connected_and_reproducible():
    s = random_regular(500, 5, seed=3, method="pairing")
    G = s.to_networkx()
    assert nx.is_connected(G) and all(d == 5 for _, d in G.degree()) and G.number_of_edges() == 1250
    assert is_symmetric(s.matrix(0)) and is_doubly_stochastic(s.matrix(0))
    np.testing.assert_allclose(np.diag(s.matrix(0)), 1 / 6)  # Metropolis: no loop hides in the diagonal
    assert np.array_equal(random_regular(500, 5, seed=3, method="pairing").matrix(0), s.matrix(0))
    assert not np.array_equal(random_regular(500, 5, seed=3).matrix(0), s.matrix(0))  # its own generator
    assert random_regular(2, 1, method="pairing").n == 2 and random_regular(1, 0, method="pairing").n == 1


def test_random_regular_pairing_is_close_to_uniform():
    # the 70 labelled cubic graphs on 6 vertices: 10 are K_{3,3} (no triangle), 60 the prism (2 triangles)
    share = np.mean([_triangles(random_regular(6, 3, seed=i, method="pairing")) == 0 for i in range(1000)])
    assert abs(share - 1 / 7) < 4 * np.sqrt(1 / 7 * 6 / 7 / 1000)
    # triangles of a random d-regular graph: Poisson with mean (d - 1)^3 / 6 as n grows (Bollobás)
    tri = [_triangles(random_regular(2000, 6, seed=i, method="pairing")) for i in range(60)]
    assert abs(np.mean(tri) - 125 / 6) < 4 * np.sqrt(125 / 6 / 60)


def test_random_regular_bad_method():
    with pytest.raises(ValueError, match="method must be one of 'networkx', 'pairing'"):
        random_regular(10, 3, seed=0, method="fast")


def test_erdos_renyi_is_connected_reproducible_and_has_the_right_density():
    s = erdos_renyi(40, 0.3, seed=11)
    G = s.to_networkx()
    assert nx.is_connected(G)
    assert np.array_equal(erdos_renyi(40, 0.3, seed=11).matrix(0), s.matrix(0))
    # edge density over many draws ~ p (conditioning on connectivity barely matters at p = 0.3)
    dens = [nx.density(erdos_renyi(40, 0.3, seed=i).to_networkx()) for i in range(30)]
    assert abs(np.mean(dens) - 0.3) < 0.02
    full = erdos_renyi(6, 1.0, seed=0)
    np.testing.assert_allclose(full.matrix(0), np.full((6, 6), 1 / 6))  # metropolis on K6


# ------------------------------------------------------------------------------- bad input
def test_bad_n():
    with pytest.raises(ValueError, match="n must be >= 1"):
        base_graph(0, 1)
    with pytest.raises(ValueError, match="n must be >= 1"):
        hyper_hypercube(-3, 2)
    with pytest.raises(ValueError, match="n must be >= 1"):
        erdos_renyi(0, 0.5)
    with pytest.raises(TypeError, match="n must be an integer"):
        base_graph(2.5, 1)


def test_bad_k():
    with pytest.raises(ValueError, match="k must be >= 1"):
        base_graph(10, 0)
    with pytest.raises(ValueError, match="k must be >= 1"):
        hyper_hypercube(8, -1)


@pytest.mark.parametrize("p", [0.0, -0.1, 1.5])
def test_bad_p(p):
    with pytest.raises(ValueError, match=r"p must lie in \(0, 1\]"):
        erdos_renyi(10, p, seed=0)


def test_odd_degree_times_n():
    with pytest.raises(ValueError, match="n \\* degree must be even"):
        random_regular(7, 3, seed=0)


def test_degree_not_below_n():
    with pytest.raises(ValueError, match="degree must be < n"):
        random_regular(6, 6, seed=0)


def test_never_connected_regular_degree():
    with pytest.raises(ValueError, match="never connected"):
        random_regular(10, 1, seed=0)


def test_disconnected_draws_exhaust_retries():
    with pytest.raises(ValueError, match="no connected G\\(n = 60, p = 0.01\\) graph in max_tries = 5"):
        erdos_renyi(60, 0.01, seed=0, max_tries=5)
    # degree 2 regular graphs on many nodes are unions of cycles: connected draws are rare
    with pytest.raises(ValueError, match="no connected 2-regular graph on n = 200 workers in max_tries = 3"):
        random_regular(200, 2, seed=0, max_tries=3)


def test_bad_weights_and_seed():
    with pytest.raises(ValueError, match="weights must be one of"):
        erdos_renyi(5, 0.5, weights="uniform")
    with pytest.raises(TypeError, match="seed must be"):
        random_regular(6, 3, seed="abc")
