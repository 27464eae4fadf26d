"""Speed of the effective number of neighbours (issue targets in the comments).

Run: ``pytest benchmarks/bench_randomwalk.py`` (not part of the default test run).
"""

import networkx as nx
import numpy as np
import pytest

import topotheory as tt

GAMMAS = 1 - np.logspace(-4, -0.3, 50)


def test_nw_curve_ring_1024(benchmark):
    """50 decays on a ring of 1024 after the first call: target <= 20 ms."""
    s = tt.ring(1024)
    tt.effective_neighbors(s, GAMMAS)
    out = benchmark(tt.effective_neighbors, s, GAMMAS)
    assert out.shape == (50,)


def test_nw_curve_ring_1024_worst(benchmark):
    s = tt.ring(1024)
    tt.effective_neighbors(s, GAMMAS, mode="worst")
    benchmark(tt.effective_neighbors, s, GAMMAS, mode="worst")


def test_ring_million_one_value(benchmark):
    """Build a ring of 10^6 and one n_W value: target <= 1 s (never a dense matrix)."""
    out = benchmark.pedantic(lambda: tt.effective_neighbors(tt.ring(10**6), 0.999), rounds=3, iterations=1)
    assert out == pytest.approx(tt.effective_neighbors(tt.infinite_ring(), 0.999), rel=1e-9)


def test_torus_1000x1000_one_value(benchmark):
    """Build a 1000x1000 torus and one n_W value: target <= 1 s."""
    out = benchmark.pedantic(lambda: tt.effective_neighbors(tt.torus(1000, 1000), 0.99), rounds=3, iterations=1)
    assert out == pytest.approx(tt.effective_neighbors(tt.infinite_grid(), 0.99), rel=1e-6)


@pytest.fixture(scope="module")
def regular2000():
    G = nx.random_regular_graph(6, 2000, seed=0)
    return G


def test_random_regular_2000_first_value(benchmark, regular2000):
    """First value on a general symmetric graph of 2000 nodes (eigendecomposition): target <= 10 s."""
    def first():
        s = tt.Scheme.from_networkx(regular2000)
        return tt.effective_neighbors(s, 0.99)

    benchmark.pedantic(first, rounds=2, iterations=1)


def test_random_regular_2000_further_mean(benchmark, regular2000):
    """Each further decay, 'mean' mode: target <= 50 ms."""
    s = tt.Scheme.from_networkx(regular2000)
    tt.effective_neighbors(s, 0.9)
    benchmark(tt.effective_neighbors, s, 0.995)


def test_random_regular_2000_further_worst(benchmark, regular2000):
    """Each further decay, 'worst' mode: target <= 200 ms."""
    s = tt.Scheme.from_networkx(regular2000)
    tt.effective_neighbors(s, 0.9, mode="worst")
    benchmark(tt.effective_neighbors, s, 0.995, mode="worst")
