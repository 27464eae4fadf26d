"""Speed of gradient tracking and exact diffusion on heterogeneous quadratics (exact and Monte Carlo).

Run: ``pytest benchmarks/bench_hetero_algorithms.py`` (not part of the default test run).
Targets: the exact propagation of gradient tracking (three state components per worker, so maps
of size 3n per eigen-direction) within 10x the D-SGD engine on the same workload; its stationary
law for the paper's 10 topologies at n = 32, d = 10 under 5 s; the Monte Carlo of gradient
tracking within 2x of D-SGD's (it draws one gradient per step, like D-SGD, and gossips two
vectors).
"""

import numpy as np

import topotheory as tt

P32 = tt.random_quadratic(32, 10, hessian_spread=0.5, noise=0.1, seed=0)
P16 = tt.random_quadratic(16, 20, hessian_spread=1.0, seed=0)


def test_gradient_tracking_propagation_ring32_d10_500_steps(benchmark):
    c = benchmark.pedantic(lambda: tt.propagate(P32, tt.ring(32), lr=0.1, steps=500, record_every=50,
                                                algorithm="gradient_tracking"), rounds=3, iterations=1)
    assert np.isfinite(c.local_loss[-1])


def test_dsgd_propagation_ring32_d10_500_steps(benchmark):
    """The same workload on the D-SGD engine (the reference of the 10x target)."""
    c = benchmark.pedantic(lambda: tt.propagate(P32, tt.ring(32), lr=0.1, steps=500, record_every=50),
                           rounds=3, iterations=1)
    assert np.isfinite(c.local_loss[-1])


def test_exact_diffusion_dense_hessians_n8_d5_500_steps(benchmark):
    """Dense Hessians: one block of size 2 n d = 80."""
    p = tt.random_quadratic(8, 5, hessian_spread=0.5, structure="dense", noise=0.1, seed=0)
    c = benchmark.pedantic(lambda: tt.propagate(p, tt.ring(8), lr=0.1, steps=500, algorithm="exact_diffusion"),
                           rounds=3, iterations=1)
    assert np.isfinite(c.local_loss[-1])


def test_gradient_tracking_stationary_paper_topologies_n32(benchmark):
    schemes = list(tt.paper_topologies(32).values())
    # lr = 0.05: gradient tracking's stability region shrinks with the spectral gap (0.1 diverges on the ring)
    out = benchmark.pedantic(lambda: [tt.stationary(P32, s, lr=0.05, algorithm="gradient_tracking")["local_loss"]
                                      for s in schemes], rounds=3, iterations=1)
    assert np.all(np.isfinite(out))


def test_gradient_tracking_monte_carlo_n16_d20_1000_reps_500_steps(benchmark):
    sim = benchmark.pedantic(lambda: tt.simulate_merging(P16, tt.ring(16), lr=0.2, steps=500, reps=1000, seed=0,
                                                         algorithm="gradient_tracking"), rounds=2, iterations=1)
    assert not sim.diverged.any()


def test_dsgd_monte_carlo_n16_d20_1000_reps_500_steps(benchmark):
    """The same Monte Carlo workload with D-SGD (the reference of the 2x target)."""
    sim = benchmark.pedantic(lambda: tt.simulate_merging(P16, tt.ring(16), lr=0.2, steps=500, reps=1000, seed=0),
                             rounds=2, iterations=1)
    assert not sim.diverged.any()
