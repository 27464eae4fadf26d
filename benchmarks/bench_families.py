"""Speed of the topology families and the spectral functionals.

Run: ``pytest benchmarks/bench_families.py`` (not part of the default test run).
Targets: the Base-(k+1) sequence for n = 10^4 workers in well under 1 s (sparse matrices, no dense
products); all Base-(k+1) graphs with n < 100 and k = 1..4 (the defining test) in under 2 s;
S_1 by eigenvalues at n = 512 and by the dense Lyapunov route at n = 128 in well under 1 s; the
mixing time of a periodic scheme at n = 128 by doubling + bisection in under 1 s; a connected
Erdos-Renyi graph with 2000 workers in under 1 s; the metric study at n = 16 in under 10 s.
"""

import numpy as np

from topotheory import ring
from topotheory.graphs.families import base_graph, erdos_renyi, random_regular
from topotheory.figures.metric_study import metric_study
from topotheory.metrics.functionals import consensus_distance_heterogeneous, mixing_time, s1_functional


def test_base_graph_ten_thousand_workers(benchmark):
    s = benchmark(base_graph, 10_007, 3)  # prime: the simple construction with its full cascade
    assert s.period <= 2 * np.log(10_007) / np.log(4) + 2


def test_all_base_graphs_below_100(benchmark):
    def run():
        return sum(base_graph(n, k).period for n in range(1, 100) for k in range(1, 5))

    assert benchmark(run) > 0


def test_s1_eigen_n512(benchmark):
    s = ring(512, weights="lazy_metropolis")  # lazy: not circulant-declared, uses eigh
    s.eigh()  # the spectrum is cached on the scheme; time the functional itself
    assert benchmark(s1_functional, s, lr=0.01) > 0


def test_s1_lyapunov_base_graph_n128(benchmark):
    s = base_graph(127, 2)
    assert benchmark(s1_functional, s, lr=0.05) > 0


def test_mixing_time_periodic_n128(benchmark):
    s = base_graph(127, 1).lazy()
    assert np.isfinite(benchmark(mixing_time, s, 1e-6))


def test_heterogeneous_distance_n256(benchmark):
    s = random_regular(256, 4, seed=0)
    b = np.random.default_rng(0).standard_normal((256, 4))
    s.eigh()
    assert benchmark(consensus_distance_heterogeneous, s, 0.1, b) > 0


def test_erdos_renyi_2000(benchmark):
    s = benchmark(erdos_renyi, 2000, 0.01, seed=0)
    assert s.n == 2000


def test_metric_study_quick(benchmark):
    res = benchmark.pedantic(metric_study, kwargs={"quick": True}, rounds=1, iterations=1)
    assert len(res.data["table"]["metric"]) > 0
