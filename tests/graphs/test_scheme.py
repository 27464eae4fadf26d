import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

import topotheory as tt
from topotheory import Scheme
from topotheory.graphs.weights import weights_from_adjacency


def test_from_matrix_roundtrip_and_attributes():
    W = np.array([[0.5, 0.5, 0.0], [0.5, 0.25, 0.25], [0.0, 0.25, 0.75]])
    s = Scheme.from_matrix(W, name="mine")
    assert (s.n, s.period, s.is_static, s.is_symmetric) == (3, 1, True, True)
    np.testing.assert_array_equal(s.matrix(0), W)
    np.testing.assert_array_equal(s.matrix(7), W)  # periodic indexing
    assert repr(s) == "Scheme('mine', n=3, period=1, symmetric)"
    with pytest.raises(ValueError):
        s.matrix(0)[0, 0] = 1.0  # read-only


def test_from_matrices_periodic_product_order():
    A = tt.uni_ring(4).matrix(0)
    B = tt.star(4).matrix(0)
    C = tt.chain(4).matrix(0)
    s = Scheme.from_matrices([A, B, C])
    assert s.period == 3
    # Product at phase 0 applies W_0 first: W_2 W_1 W_0.
    np.testing.assert_allclose(s.period_product(0), C @ B @ A)
    # At phase 1 (right after W_0), one period applies W_1, W_2, W_0.
    np.testing.assert_allclose(s.period_product(1), A @ C @ B)
    assert not np.allclose(s.period_product(0), s.period_product(1))


@pytest.mark.parametrize(
    "W, match",
    [
        (np.ones((2, 3)) / 3, "square"),
        (np.array([[np.nan, 1.0], [1.0, 0.0]]), "finite"),
        (np.array([[1.5, -0.5], [-0.5, 1.5]]), "negative"),
        (np.array([[0.5, 0.4], [0.5, 0.6]]), "row stochastic"),
        (np.array([[0.5, 0.5], [0.0, 1.0]]), "doubly stochastic"),
        (np.zeros((0, 0)), "at least one row"),
        (np.ones(3), "square"),
    ],
)
def test_invalid_matrices(W, match):
    with pytest.raises(ValueError, match=match):
        Scheme.from_matrix(W)


def test_invalid_containers():
    with pytest.raises(ValueError, match="period >= 1"):
        Scheme([])
    with pytest.raises(TypeError):
        Scheme.from_matrix("abc")
    with pytest.raises(ValueError, match="shape"):
        Scheme.from_matrices([np.eye(2), np.eye(3)])


def test_non_symmetric_is_recorded_not_rejected():
    s = tt.uni_ring(5)
    assert not s.is_symmetric
    with pytest.raises(ValueError, match="not symmetric"):
        s.eigh()


def test_eigh_cached_and_correct():
    s = tt.binary_tree(12)
    lam, Q = s.eigh()
    assert s.eigh()[0] is lam  # cached
    np.testing.assert_allclose(Q @ np.diag(lam) @ Q.T, s.matrix(0), atol=1e-13)
    assert np.all(np.diff(lam) <= 1e-15)


def test_fourier_eigenvalues_match_dense():
    for s in [tt.ring(7), tt.torus(3, 4), tt.hypercube(8), tt.exponential_graph(6), tt.uni_ring(5)]:
        mu = s.fourier_eigenvalues()[0]
        dense = np.linalg.eigvals(s.matrix(0))
        np.testing.assert_allclose(np.sort_complex(mu.round(12)), np.sort_complex(dense.round(12)), atol=1e-10)
    # Joint diagonalisation: mode k of the product is the product of modes k.
    s = tt.one_peer_exponential(8)
    prod = np.prod(s.fourier_eigenvalues(), axis=0)
    dense = np.linalg.eigvals(s.period_product())
    np.testing.assert_allclose(np.sort(np.abs(prod)), np.sort(np.abs(dense)), atol=1e-12)


def test_circulant_declaration_checked():
    W = tt.ring(5).matrix(0)
    with pytest.raises(ValueError, match="kernel"):
        Scheme([W], circulant=((5,), np.roll(tt.ring(5)._circulant[1][0], 2)))


def test_networkx_roundtrip():
    G = nx.petersen_graph()
    s = Scheme.from_networkx(G)
    H = s.to_networkx()
    assert nx.is_isomorphic(G, H)
    assert all(abs(d["weight"] - 0.25) < 1e-15 for _, _, d in H.edges(data=True))
    # Directed for non-symmetric schemes: an edge j -> i when i receives from j.
    D = tt.uni_ring(4).to_networkx()
    assert D.is_directed() and D.has_edge(1, 0)


def test_from_networkx_weight_rules_and_attribute():
    G = nx.path_graph(3)
    np.testing.assert_allclose(Scheme.from_networkx(G, "max_degree").matrix(0)[0], [2 / 3, 1 / 3, 0])
    lazy = Scheme.from_networkx(G, "lazy_metropolis").matrix(0)
    np.testing.assert_allclose(lazy, 0.5 * (np.eye(3) + Scheme.from_networkx(G).matrix(0)))
    nx.set_edge_attributes(G, 0.1, "w")
    np.testing.assert_allclose(Scheme.from_networkx(G, "weight:w").matrix(0)[1], [0.1, 0.8, 0.1])


def test_from_networkx_bad_input():
    with pytest.raises(ValueError, match="empty"):
        Scheme.from_networkx(nx.Graph())
    with pytest.raises(TypeError, match="networkx"):
        Scheme.from_networkx(np.eye(3))
    with pytest.raises(ValueError, match="weights must be one of"):
        Scheme.from_networkx(nx.path_graph(3), weights="bogus")


def test_sparse_input_and_dense_limit():
    s = Scheme.from_matrix(sp.csr_array(tt.ring(6).matrix(0)))
    assert s.is_sparse() and s.is_symmetric
    big = tt.ring(30_000)
    with pytest.raises(ValueError, match="sparse_matrix"):
        big.matrix(0)
    assert big.sparse_matrix(0).nnz == 90_000


def test_lazy():
    s = tt.ring(6).lazy()
    np.testing.assert_allclose(s.eigenvalues(), np.sort((1 + tt.ring(6).eigenvalues()) / 2)[::-1])
    assert s.is_circulant and s.is_symmetric


def test_validators():
    assert tt.is_doubly_stochastic(tt.ring(5).matrix(0))
    assert not tt.is_doubly_stochastic(np.array([[0.9, 0.1], [0.0, 1.0]]))
    assert not tt.is_doubly_stochastic("nope")
    assert tt.finite_time_consensus(tt.one_peer_exponential(16))
    assert tt.finite_time_consensus(tt.local_steps(5, 3))
    assert not tt.finite_time_consensus(tt.ring(16))
    np.testing.assert_allclose(tt.consensus_rate(tt.ring(8)), tt.ring(8).eigenvalues()[1])
    assert tt.consensus_rate(tt.fully_connected(5)) < 1e-15


def test_booleans_are_not_integers():
    with pytest.raises(TypeError, match="n must be an integer, got True"):
        tt.ring(True)
    with pytest.raises(TypeError, match="steps must be an integer"):
        tt.simulate_dsgd(tt.ring(4), lr=0.1, d=2, steps=True, reps=2, seed=0)


def test_circulant_declaration_checked_on_every_row():
    # Row 0 matches the ring kernel, the other rows do not (a disconnected graph).
    W = np.array([[1 / 3, 1 / 3, 0, 1 / 3], [1 / 3, 2 / 3, 0, 0], [0, 0, 1, 0], [1 / 3, 0, 0, 2 / 3]])
    with pytest.raises(ValueError, match="circulant kernel"):
        Scheme([W], circulant=((4,), [[1 / 3, 1 / 3, 0, 1 / 3]]))
    ok = Scheme([tt.torus(3, 4).matrix(0)], circulant=((3, 4), tt.torus(3, 4)._circulant[1]))
    assert ok.is_circulant


def test_from_circulant_builds_the_declared_matrices():
    k = np.zeros((3, 4))
    k[0, 0], k[1, 0], k[0, 3] = 0.5, 0.25, 0.25
    s = Scheme.from_circulant((3, 4), k)
    W = s.matrix(0)
    for i in range(12):
        for j in range(12):
            (a, b), (c, d) = divmod(i, 4), divmod(j, 4)
            assert W[i, j] == k[(c - a) % 3, (d - b) % 4]
    np.testing.assert_allclose(np.sort_complex(s.fourier_eigenvalues()[0].round(12)),
                               np.sort_complex(np.linalg.eigvals(W).round(12)), atol=1e-12)
    with pytest.raises(ValueError, match="kernels must have shape"):
        Scheme.from_circulant((3, 4), np.ones(5) / 5)


# ------------------------------------------------------------- networkx adjacency conventions
def test_from_networkx_counts_multiedges_and_self_loops_like_the_adjacency_matrix():
    G = nx.MultiGraph([(0, 1), (0, 1), (1, 2), (2, 2)])
    A = nx.to_numpy_array(G)  # networkx: multiplicity 2 on (0, 1), the loop once on (2, 2)
    assert A[0, 1] == 2 and A[2, 2] == 1 and dict(G.degree())[2] == 3
    deg = A.sum(axis=1)  # [2, 3, 2]: the loop counts once
    W = Scheme.from_networkx(G).matrix(0)
    expected = np.zeros((3, 3))
    for i, j in [(0, 1), (1, 0), (1, 2), (2, 1)]:
        expected[i, j] = A[i, j] / (max(deg[i], deg[j]) + 1)
    expected += np.diag(1 - expected.sum(axis=1))
    np.testing.assert_allclose(W, expected, atol=1e-15)
    # self_loops="double" is G.degree's convention: node 2 has degree 3.
    Wd = Scheme.from_networkx(G, self_loops="double").matrix(0)
    assert abs(Wd[1, 2] - 1 / 4) < 1e-15
    # Today's behaviour on request: one edge per pair, loops ignored (a path 0-1-2).
    old = Scheme.from_networkx(G, multiedges="collapse", self_loops="ignore").matrix(0)
    np.testing.assert_allclose(old, Scheme.from_networkx(nx.path_graph(3)).matrix(0), atol=1e-15)
    assert Scheme.from_networkx(G).params == {"weights": "metropolis", "multiedges": "count", "self_loops": "count"}


@pytest.mark.parametrize("rule", ["metropolis", "max_degree", "one_over_max_degree", "lazy_metropolis"])
def test_from_networkx_simple_graphs_unchanged(rule):
    G = nx.petersen_graph()
    new = Scheme.from_networkx(G, rule).matrix(0)
    old = Scheme.from_networkx(G, rule, multiedges="collapse", self_loops="ignore").matrix(0)
    np.testing.assert_array_equal(new, old)


@pytest.mark.parametrize("n", [3, 4, 5, 7])
def test_margulis_gabber_galil_gap_from_networkx_adjacency(n):
    G = nx.margulis_gabber_galil_graph(n)  # a MultiGraph with self-loops, 8-regular by G.degree
    assert isinstance(G, nx.MultiGraph) and nx.number_of_selfloops(G) > 0
    A = nx.to_numpy_array(G, nodelist=list(G))
    L = nx.laplacian_matrix(G, nodelist=list(G)).toarray()  # networkx's Laplacian: loops cancel
    # Xiao-Boyd 1/d_max with loops counted once (adjacency row sums): W = I - L / max(A.sum(1)).
    s = Scheme.from_networkx(G, "one_over_max_degree")
    W_ref = np.eye(n * n) - L / A.sum(axis=1).max()
    np.testing.assert_allclose(s.matrix(0), W_ref, atol=1e-14)
    lam_ref = np.sort(np.linalg.eigvalsh(W_ref))[::-1]
    assert abs(tt.spectral_gap(s, "lambda2") - (1 - lam_ref[1])) < 1e-12
    assert abs(tt.spectral_gap(s) - (1 - np.abs(lam_ref[1:]).max())) < 1e-12
    # With G.degree's convention the graph is 8-regular and W = (A + diag(A)) / 8, the normalised
    # 8-regular adjacency of the expander literature: lambda_2 <= 5 sqrt(2) / 8 (Gabber-Galil bound).
    sd = Scheme.from_networkx(G, "one_over_max_degree", self_loops="double")
    np.testing.assert_allclose(sd.matrix(0), (A + np.diag(np.diag(A))) / 8, atol=1e-15)
    assert sd.eigenvalues()[1] <= 5 * np.sqrt(2) / 8
    # The old reading (multi-edges collapsed, loops dropped) is a different graph with another gap.
    old = Scheme.from_networkx(G, "one_over_max_degree", multiedges="collapse", self_loops="ignore")
    assert abs(tt.spectral_gap(old, "lambda2") - tt.spectral_gap(s, "lambda2")) > 1e-3


def test_from_networkx_warns_when_symmetrising_a_directed_graph():
    D = nx.DiGraph([(0, 1), (1, 2), (2, 1)])
    with pytest.warns(UserWarning, match="directed; symmetrised"):
        s = Scheme.from_networkx(D)
    np.testing.assert_allclose(s.matrix(0), Scheme.from_networkx(nx.path_graph(3)).matrix(0), atol=1e-15)
    # MultiDiGraph: networkx's to_undirected merges u -> v and v -> u of the same key, keeps the rest.
    M = nx.MultiDiGraph([(0, 1), (1, 0), (0, 1)])
    assert nx.to_numpy_array(M.to_undirected())[0, 1] == 2
    with pytest.warns(UserWarning):
        assert abs(Scheme.from_networkx(M).matrix(0)[0, 1] - 2 / 3) < 1e-15


def test_one_over_max_degree_rule():
    A = np.array([[0, 1, 1, 1], [1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0]])  # star, d_max = 3
    W = tt.one_over_max_degree_weights(A).toarray()
    np.testing.assert_allclose(W[0], [0, 1 / 3, 1 / 3, 1 / 3])
    np.testing.assert_allclose(W[1], [1 / 3, 2 / 3, 0, 0])
    np.testing.assert_allclose(tt.max_degree_weights(A).toarray()[0], [1 / 4] * 4)  # meaning kept
    # On vertex-transitive constructors: ring(6) gets 1/2 per edge and the eigenvalue -1.
    r = tt.ring(6, weights="one_over_max_degree")
    np.testing.assert_allclose(r.matrix(0)[0], [0, 0.5, 0, 0, 0, 0.5])
    np.testing.assert_allclose(
        r.matrix(0), Scheme.from_networkx(nx.cycle_graph(6), "one_over_max_degree").matrix(0), atol=1e-15
    )
    assert abs(r.eigenvalues()[-1] + 1) < 1e-12
    assert np.array_equal(tt.one_over_max_degree_weights(np.zeros((2, 2))).toarray(), np.eye(2))


def test_weight_rules_reject_bad_adjacency():
    for rule in ("metropolis", "max_degree", "one_over_max_degree"):
        with pytest.raises(ValueError, match="finite"):
            weights_from_adjacency(np.array([[0, np.nan], [np.nan, 0]]), rule)
        with pytest.raises(ValueError, match="non-negative"):
            weights_from_adjacency(np.array([[0, -1.0], [-1.0, 0]]), rule)
    with pytest.raises(ValueError, match="symmetric"):
        weights_from_adjacency(np.array([[0, 2.0], [1.0, 0]]), multiedges="count")
    with pytest.raises(ValueError, match="self_loops"):
        Scheme.from_networkx(nx.path_graph(3), self_loops="twice")
    with pytest.raises(ValueError, match="multiedges"):
        Scheme.from_networkx(nx.path_graph(3), multiedges="sum")
