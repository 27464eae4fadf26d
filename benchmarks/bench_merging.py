"""Speed of the exact merged/local propagation, the stationary law and the merging Monte Carlo.

Run: ``pytest benchmarks/bench_merging.py`` (not part of the default test run).
Targets: the ``topotheory schedules`` default run (6 placements x 2000 steps, n = 16, d = 20) well
under 2 s; dense Hessians at n * d = 2000 feasible (a few tenths of a second per step).
"""

import numpy as np

import topotheory as tt


def test_schedules_command_workload(benchmark):
    """All six placements, n = 16, d = 20, 2000 steps, diagonal Hessians (the CLI example)."""
    p = tt.random_quadratic(16, 20, hessian_spread=1.0, seed=0)
    W = tt.fully_connected(16)
    scheds = [tt.placement_schedule(W, 2000, pl, budget=200) for pl in tt.hetero.PLACEMENTS]

    def run():
        return [tt.propagate(p, s, lr=0.2, steps=2000, record_every=2000).merged_loss[-1] for s in scheds]

    out = benchmark(run)
    assert np.all(np.isfinite(out))


def test_commuting_gossip_every_step_n64_d100(benchmark):
    """Commuting Hessians, ring of 64, d = 100, 200 gossip steps (d problems of size 64)."""
    p = tt.random_quadratic(64, 100, hessian_spread=0.5, structure="commuting", seed=0)
    W = tt.ring(64)
    c = benchmark(lambda: tt.propagate(p, W, lr=0.2, steps=200, record_every=50))
    assert np.isfinite(c.local_loss[-1])


def test_dense_hessians_nd_2000_per_step(benchmark):
    """Dense Hessians, n = 20, d = 100 (n * d = 2000): 3 steps with gossip on a ring."""
    p = tt.random_quadratic(20, 100, hessian_spread=0.5, structure="dense", seed=0)
    W = tt.ring(20)
    c = benchmark.pedantic(lambda: tt.propagate(p, W, lr=0.2, steps=3), rounds=2, iterations=1)
    assert np.isfinite(c.merged_loss[-1])


def test_stationary_paper_topologies(benchmark):
    """Stationary law (Lyapunov per eigen-direction) for the paper's 10 topologies, n = 32, d = 10."""
    p = tt.random_quadratic(32, 10, hessian_spread=1.0, noise=0.1, seed=0)
    schemes = list(tt.paper_topologies(32).values())
    out = benchmark(lambda: [tt.stationary(p, s, lr=0.2)["merged_loss"] for s in schemes])
    assert np.all(np.isfinite(out))


def test_monte_carlo_n16_d20_1000_reps_500_steps(benchmark):
    """Merging Monte Carlo: 1000 replicas x 16 workers x d = 20, 500 steps, uniform gossip."""
    p = tt.random_quadratic(16, 20, hessian_spread=1.0, seed=0)
    s = tt.placement_schedule(tt.ring(16), 500, "uniform", budget=50)
    sim = benchmark.pedantic(lambda: tt.simulate_merging(p, s, lr=0.2, steps=500, reps=1000, seed=0),
                             rounds=2, iterations=1)
    assert not sim.diverged.any()
