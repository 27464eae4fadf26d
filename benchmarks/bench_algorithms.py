"""Speed of the exact theory of the registry's algorithms (issue 17 targets).

Run: ``pytest benchmarks/bench_algorithms.py`` (not part of the default test run).
Targets: DmSGD exact rates for the paper's 10 topologies x 50 learning rates x 10 momenta at
n = 32 <= 2 s (vectorized over the grid; Fourier mode classes for the circulant ones); one DmSGD
exact rate on binary_tree(256) <= 10 s. The circulant part of the grid is timed on its own
(Fourier route); the irregular topologies (two cliques, social network, binary tree, star) go
through the eigen route, batched over the whole (lr, momentum) grid. The stability edge of a small
irregular graph (dense route) is timed for gradient tracking on star(6).
"""

import numpy as np
import pytest

import topotheory as tt

LRS = np.geomspace(1e-3, 0.5, 50)
MOMENTA = np.linspace(0.0, 0.95, 10)


def _grid(scheme):
    return tt.quadratic_rate(scheme, lr=LRS[:, None], zeta=50.0, algorithm="dmsgd", momentum=MOMENTA[None, :])


def test_dmsgd_grid_circulant_paper_topologies_n32(benchmark):
    schemes = [s for s in tt.paper_topologies(32).values() if s.is_circulant]

    out = benchmark.pedantic(lambda: [_grid(s) for s in schemes], rounds=3, iterations=1)
    assert len(out) == 6 and all(r.shape == (50, 10) and np.isfinite(r).sum() > 100 for r in out)


@pytest.mark.parametrize("name", ["ring", "hypercube", "one_peer_exponential"])
def test_dmsgd_grid_one_topology_n32(benchmark, name):
    scheme = tt.paper_topologies(32)[name]
    r = benchmark.pedantic(lambda: _grid(scheme), rounds=3, iterations=1)
    assert np.isfinite(r).sum() > 100


def test_dmsgd_one_rate_star_n32(benchmark):
    # irregular topologies: the eigen route (the dense map would be (s n)^2 = 4096-dimensional)
    r = benchmark.pedantic(lambda: tt.quadratic_rate(tt.star(32), lr=0.02, zeta=50.0, algorithm="dmsgd",
                                                     momentum=0.5), rounds=1, iterations=1)
    assert 0 < r < 0.2


def test_dmsgd_one_rate_binary_tree_256(benchmark):
    r = benchmark.pedantic(lambda: tt.quadratic_rate(tt.binary_tree(256), lr=0.05, zeta=50.0, algorithm="dmsgd",
                                                     momentum=0.5), rounds=1, iterations=1)
    assert 0 < r < 0.2


def test_dmsgd_grid_star_n32(benchmark):
    # the eigen route, the 50 x 10 grid solved as one batch
    r = benchmark.pedantic(lambda: _grid(tt.star(32)), rounds=1, iterations=1)
    assert np.isfinite(r).sum() > 100


def test_dmsgd_grid_social_network_n32(benchmark):
    # the irregular topology without symmetry (32 distinct eigenvalues, 30 cells): the slowest of the ten
    scheme = tt.paper_topologies(32)["social_network"]
    r = benchmark.pedantic(lambda: _grid(scheme), rounds=3, iterations=1)
    assert np.isfinite(r).sum() > 100


def test_dmsgd_grid_all_paper_topologies_n32(benchmark):
    schemes = list(tt.paper_topologies(32).values())
    out = benchmark.pedantic(lambda: [_grid(s) for s in schemes], rounds=1, iterations=1)
    assert len(out) == 10 and all(np.isfinite(r).sum() > 100 for r in out)


def test_gradient_tracking_max_learning_rate_star6(benchmark):
    edge = benchmark.pedantic(lambda: tt.max_learning_rate(tt.star(6), zeta=10.0, algorithm="gradient_tracking"),
                              rounds=1, iterations=1)
    assert 0 < edge < 1
