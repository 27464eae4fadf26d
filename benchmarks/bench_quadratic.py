"""Speed of the toy-problem theory (issue targets).

Run: ``pytest benchmarks/bench_quadratic.py`` (not part of the default test run).
Targets: exact rate-vs-learning-rate curves for the paper's 10 topologies at n = 32, 100 learning
rates each, <= 1 s in total (fresh schemes: eigendecompositions included); the exact rate of an
irregular graph, binary_tree(128) <= 1 s and binary_tree(1024) <= 30 s with <= 2 GB peak memory
(a Kronecker matrix would need ~8 TB). Also timed: figure 1's time-to-target curves and the
optimal learning rates of the 10 topologies.
"""

import tracemalloc

import numpy as np

import topotheory as tt

LRS = np.geomspace(1e-3, 1.0, 100)


def test_rate_curves_ten_paper_topologies_n32(benchmark):
    def run():
        return [tt.quadratic_rate(s, lr=LRS, zeta=50.0) for s in tt.paper_topologies(32).values()]

    out = benchmark(run)
    assert len(out) == 10 and all(np.isfinite(r).sum() > 10 for r in out)


def test_exact_rate_binary_tree_128(benchmark):
    r = benchmark(lambda: tt.quadratic_rate(tt.binary_tree(128), lr=0.05, zeta=50.0))
    assert 0 < r < 0.1


def test_exact_rate_binary_tree_1024(benchmark):
    def run():
        tracemalloc.start()
        r = tt.quadratic_rate(tt.binary_tree(1024), lr=0.05, zeta=50.0)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return r, peak

    r, peak = benchmark.pedantic(run, rounds=1, iterations=1)
    assert 0 < r < 0.1
    assert peak < 2e9


def test_time_to_target_figure1(benchmark):
    schemes = [tt.fully_connected(32), tt.ring(32), tt.solo(32), tt.ring(4), tt.ring(8)]

    def run():
        return [tt.time_to_target(s, lr=LRS, zeta=50.0, target=0.01) for s in schemes]

    out = benchmark(run)
    assert all(np.isfinite(t).sum() > 10 for t in out)


def test_optimal_learning_rates_ten_topologies(benchmark):
    def run():
        return [tt.optimal_learning_rate(s, zeta=50.0).lr for s in tt.paper_topologies(32).values()]

    out = benchmark.pedantic(run, rounds=3, iterations=1)
    assert all(0.02 - 1e-9 <= x <= 32 / 81 + 1e-9 for x in out)
