"""Speed of the random-scheme theory: exchangeable laws reduce to 2 x 2 systems."""

import pytest

import topotheory as tt


@pytest.mark.parametrize("make", [lambda: tt.random_matching(256), lambda: tt.epidemic(256, 1)],
                         ids=["random_matching", "epidemic_s1"])
def test_optimal_learning_rate_256_workers(benchmark, make):
    """Target: <= 1 s for the optimal learning rate of a 256-worker exchangeable law (fresh law each round)."""
    res = benchmark.pedantic(lambda: tt.optimal_learning_rate(make(), zeta=102), rounds=3, iterations=1)
    assert 0 < res.rate < 1


def test_effective_neighbors_1024_workers(benchmark):
    """Target: <= 1 s for n_W on a grid of 50 decays, 1024 workers (measured 6.5 s when each decay formed the
    dense (n, n) covariance; 0.6 s since the variances are read from the two coordinates, O(1) per decay)."""
    import numpy as np

    g = np.linspace(0.0, 0.999, 50)
    nw = benchmark.pedantic(lambda: tt.effective_neighbors(tt.random_matching(1024), g), rounds=3, iterations=1)
    assert np.all(np.diff(nw) > 0)


def test_epidemic_law_1024_workers(benchmark):
    """Target: <= 3 s to build EL-Local at n = 1024 and read n_W on 50 decays (measured 21 s when the pair
    coefficients convolved the senders' laws one by one, O(n^3); ~1 s by Gauss-Legendre, O(n^2))."""
    import numpy as np

    from topotheory.graphs.random import _epidemic_coefficients

    g = np.linspace(0.0, 0.99, 50)

    def run():
        _epidemic_coefficients.cache_clear()
        return tt.effective_neighbors(tt.epidemic(1024, 3), g)

    nw = benchmark.pedantic(run, rounds=3, iterations=1)
    assert np.all(np.diff(nw) > 0)
