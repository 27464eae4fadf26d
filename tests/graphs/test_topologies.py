import math

import networkx as nx
import numpy as np
import pytest
import sympy

import topotheory as tt

ALL_N32 = {
    "ring": lambda: tt.ring(32),
    "uni_ring": lambda: tt.uni_ring(32),
    "chain": lambda: tt.chain(32),
    "torus": lambda: tt.torus(4, 8),
    "hypercube": lambda: tt.hypercube(32),
    "star": lambda: tt.star(32),
    "binary_tree": lambda: tt.binary_tree(32),
    "two_cliques": lambda: tt.two_cliques(32),
    "fully_connected": lambda: tt.fully_connected(32),
    "solo": lambda: tt.solo(32),
    "social_network": tt.social_network,
    "one_peer_exponential": lambda: tt.one_peer_exponential(32),
    "exponential_graph": lambda: tt.exponential_graph(32),
    "local_steps": lambda: tt.local_steps(32, 4),
    "mix": lambda: tt.mix(32, 0.3),
}


@pytest.mark.parametrize("name", sorted(ALL_N32))
def test_every_topology_is_doubly_stochastic_nonnegative(name):
    s = ALL_N32[name]()
    assert s.n == 32
    for W in s.matrices:
        assert tt.is_doubly_stochastic(W, atol=1e-12)
        assert W.min() >= 0
        assert tt.is_symmetric(W) == s.is_symmetric or s.period > 1


def test_ring_eigenvalues_match_sympy_closed_form():
    k, n = sympy.symbols("k n", integer=True)
    expr = (1 + 2 * sympy.cos(2 * sympy.pi * k / n)) / 3
    for size in [3, 4, 7, 12]:
        exact = sorted((float(expr.subs({k: j, n: size})) for j in range(size)), reverse=True)
        np.testing.assert_allclose(tt.ring(size).eigenvalues(), exact, atol=1e-14)
        np.testing.assert_allclose(np.linalg.eigvalsh(tt.ring(size).matrix(0))[::-1], exact, atol=1e-14)


def test_small_rings():
    np.testing.assert_array_equal(tt.ring(1).matrix(0), [[1.0]])
    np.testing.assert_array_equal(tt.ring(2).matrix(0), [[0.5, 0.5], [0.5, 0.5]])
    W = tt.ring(3).matrix(0)
    np.testing.assert_allclose(W, np.full((3, 3), 1 / 3))


def test_torus_is_a_true_torus():
    s = tt.torus(4, 8)
    G = s.to_networkx()
    H = nx.convert_node_labels_to_integers(nx.grid_2d_graph(4, 8, periodic=True), ordering="sorted")
    assert nx.utils.graphs_equal(nx.Graph(G.edges()), nx.Graph(H.edges())) or set(map(frozenset, G.edges())) == set(
        map(frozenset, H.edges())
    )
    # node (i, j) = i*8 + j; the column wrap of row 0 stays in row 0 (not a circulant with offset 1).
    assert G.has_edge(0, 7) and not G.has_edge(7, 8)


def test_small_tori_merge_coinciding_neighbours():
    W = tt.torus(2, 3).matrix(0)
    # (0,0) has neighbours (1,0) [merged: +1 and -1 coincide], (0,1), (0,2): degree 3, weight 1/4.
    np.testing.assert_allclose(W[0], [0.25, 0.25, 0.25, 0.25, 0, 0])
    np.testing.assert_allclose(tt.torus(1, 1).matrix(0), [[1.0]])
    assert tt.torus(2, 2).to_networkx().number_of_edges() == 4


def test_hypercube_matches_networkx():
    s = tt.hypercube(16)
    assert nx.is_isomorphic(s.to_networkx(), nx.hypercube_graph(4))
    G = s.to_networkx()
    assert all(G.has_edge(i, i ^ (1 << b)) for i in range(16) for b in range(4))
    np.testing.assert_allclose(s.matrix(0)[0, 1], 1 / 5)


def test_binary_tree_paper_convention():
    G = tt.binary_tree(32).to_networkx()
    assert nx.is_tree(G)
    assert set(G[0]) == {1}
    assert set(G[1]) == {0, 2, 3}
    assert all(G.has_edge(i // 2, i) for i in range(2, 32))


def test_two_cliques_and_star_structure():
    G = tt.two_cliques(8).to_networkx()
    assert G.number_of_edges() == 6 + 6 + 1 and G.has_edge(0, 4)
    W = tt.star(5).matrix(0)
    np.testing.assert_allclose(W[0], [0.2] * 5)
    np.testing.assert_allclose(W[1], [0.2, 0.8, 0, 0, 0])


def test_social_network_is_davis():
    s = tt.social_network()
    G = nx.convert_node_labels_to_integers(nx.davis_southern_women_graph())
    assert s.n == 32 and set(map(frozenset, s.to_networkx().edges())) == set(map(frozenset, G.edges()))


def test_one_peer_exponential_product_is_J_and_period():
    for n in [2, 4, 8, 64]:
        s = tt.one_peer_exponential(n)
        assert s.period == int(math.log2(n))
        np.testing.assert_allclose(s.period_product(0), np.full((n, n), 1 / n), atol=1e-15)
        for phase in range(s.period):
            np.testing.assert_allclose(s.period_product(phase), np.full((n, n), 1 / n), atol=1e-15)


def test_exponential_graph_norm_ying():
    for n in [4, 8, 16, 32]:
        W = tt.exponential_graph(n).matrix(0)
        norm = np.linalg.norm(W - 1 / n, 2)
        assert norm == pytest.approx(1 - 2 / (1 + math.log2(n)), abs=1e-12)


def test_local_steps_and_mix():
    s = tt.local_steps(6, 3)
    assert s.period == 3
    np.testing.assert_array_equal(s.matrix(0), np.eye(6))
    np.testing.assert_allclose(s.matrix(2), np.full((6, 6), 1 / 6))
    ev = tt.mix(10, 0.25).eigenvalues()
    np.testing.assert_allclose(ev, [1.0] + [0.75] * 9)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: tt.ring(0), ValueError, "n must be >= 1"),
        (lambda: tt.ring(2.5), TypeError, "n must be an integer"),
        (lambda: tt.ring("8"), TypeError, "n must be an integer"),
        (lambda: tt.hypercube(12), ValueError, "power of two"),
        (lambda: tt.one_peer_exponential(6), ValueError, "power of two"),
        (lambda: tt.torus(0, 4), ValueError, "rows must be >= 1"),
        (lambda: tt.torus(4, 0), ValueError, "cols must be >= 1"),
        (lambda: tt.local_steps(4, 0), ValueError, "period must be >= 1"),
        (lambda: tt.mix(4, 1.5), ValueError, "spectral_gap"),
        (lambda: tt.two_cliques(1), ValueError, "n must be >= 2"),
        (lambda: tt.ring(5, weights="nope"), ValueError, "weights must be one of"),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_topology_from_spec():
    assert tt.topology_from_spec("torus:4x8").name == "torus 4x8"
    assert tt.topology_from_spec("ring:16").n == 16
    assert tt.topology_from_spec("local_steps:period=3", n=8).period == 3
    assert tt.topology_from_spec("mix:spectral_gap=0.1", n=4).params["spectral_gap"] == 0.1
    assert tt.topology_from_spec("torus", n=32).name == "torus 4x8"
    with pytest.raises(ValueError, match="valid names"):
        tt.topology_from_spec("rign")
    with pytest.raises(ValueError, match="bad parameters"):
        tt.topology_from_spec("ring:foo=1")


def test_paper_topologies():
    d = tt.paper_topologies(32)
    assert list(d) == list(tt.PAPER_TOPOLOGIES)
    assert "social_network" not in tt.paper_topologies(16)
    assert "hypercube" not in tt.paper_topologies(24)


def test_spec_parameters_are_all_used_or_rejected():
    s = tt.topology_from_spec("torus:4x8,weights=lazy_metropolis")
    np.testing.assert_allclose(s.matrix(0)[0, :2], [0.6, 0.1])
    assert tt.topology_from_spec("torus:rows=2,cols=3").n == 6
    with pytest.raises(ValueError, match="both rows and cols"):
        tt.topology_from_spec("torus:cols=4")
    with pytest.raises(ValueError, match="bad parameters"):
        tt.topology_from_spec("torus:4x8,foo=1")


def test_cli_splits_lists_of_specs_with_parameters():
    from topotheory.cli.common import parse_name_list

    assert parse_name_list("ring:n=16,weights=max_degree,torus:4x8,star") == [
        "ring:n=16,weights=max_degree", "torus:4x8", "star"]
    assert parse_name_list("random_regular:degree=4,seed=3") == ["random_regular:degree=4,seed=3"]
    assert parse_name_list("graph.edgelist,ring") == ["graph.edgelist", "ring"]
