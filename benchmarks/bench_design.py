"""Speed of the weight design: n_W-optimal weights on random geometric graphs.

The dense eigendecompositions run with one BLAS thread (``threadpool_limits``): on a shared or
small machine, threaded LAPACK on 1000 x 1000 matrices costs about ten times the CPU of one thread.
"""

import networkx as nx
import pytest
from threadpoolctl import threadpool_limits

import topotheory as tt


def _rgg(n, radius, seed):
    G = nx.random_geometric_graph(n, radius, seed=seed)
    assert nx.is_connected(G)
    return G


def _design(G, **kwargs):
    with threadpool_limits(limits=1, user_api="blas"):
        return tt.optimal_weights(G, log=True, **kwargs)


@pytest.mark.parametrize("method", ["first_order", "conic"])
def test_nw_optimal_64_nodes(benchmark, method):
    """Target: <= 10 s for a 64-node random geometric graph."""
    pytest.importorskip("cvxpy") if method == "conic" else None
    G = _rgg(64, 0.25, 1)
    res = benchmark.pedantic(_design, args=(G,), kwargs=dict(objective="effective_neighbors", gamma=0.99,
                                                             method=method), rounds=1, iterations=1)
    assert res.converged


def test_fmmc_64_nodes_first_order(benchmark):
    """The smoothed first-order route of the spectral gap (FMMC) on the 64-node graph."""
    G = _rgg(64, 0.25, 1)
    res = benchmark.pedantic(_design, args=(G,), kwargs=dict(objective="spectral_gap", method="first_order"),
                             rounds=1, iterations=1)
    assert res.dual_bound <= res.value


def test_nw_optimal_1000_nodes_first_order(benchmark):
    """Target: <= 120 s for a 1000-node random geometric graph by the first-order route."""
    G = _rgg(1000, 0.07, 2)
    res = benchmark.pedantic(_design, args=(G,), kwargs=dict(objective="effective_neighbors", gamma=0.99,
                                                             method="first_order"), rounds=1, iterations=1)
    assert res.relative_gap <= 1e-4
