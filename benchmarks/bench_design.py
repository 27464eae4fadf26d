"""Speed of the weight design: n_W-optimal weights on random geometric graphs."""

import networkx as nx
import pytest

import topotheory as tt


def _rgg(n, radius, seed):
    G = nx.random_geometric_graph(n, radius, seed=seed)
    assert nx.is_connected(G)
    return G


@pytest.mark.parametrize("method", ["first_order", "conic"])
def test_nw_optimal_64_nodes(benchmark, method):
    """Target: <= 10 s for a 64-node random geometric graph."""
    pytest.importorskip("cvxpy") if method == "conic" else None
    G = _rgg(64, 0.25, 1)
    res = benchmark.pedantic(
        tt.optimal_weights, args=(G,), kwargs=dict(objective="effective_neighbors", gamma=0.99, method=method, log=True),
        rounds=1, iterations=1,
    )
    assert res.converged


def test_nw_optimal_1000_nodes_first_order(benchmark):
    """Target: <= 120 s for a 1000-node random geometric graph by the first-order route."""
    G = _rgg(1000, 0.07, 2)
    res = benchmark.pedantic(
        tt.optimal_weights, args=(G,), kwargs=dict(objective="effective_neighbors", gamma=0.99, method="first_order", log=True),
        rounds=1, iterations=1,
    )
    assert res.relative_gap <= 1e-4
