"""Speed of the algorithms' simulators next to D-SGD's (issue 17: within 2x of D-SGD per state coordinate).

Run: ``pytest benchmarks/bench_algorithms.py`` (not part of the default test run). Every run is
the D-SGD benchmark's setting (ring of 32, d = 48, 300 steps x 400 replicas); divide an
algorithm's median by D-SGD's and by the number of its per-worker state components (``x, m`` is
2; ``x, y, g`` is 3; a delay ``tau`` keeps ``tau`` more gradients) for the per-coordinate ratio.
"""

import pytest

import topotheory as tt

RUN = dict(lr=0.02, d=48, steps=300, reps=400, seed=0)

CASES = [
    ("dsgd", {}),
    ("dsgd_gossip_first", {}),
    ("dmsgd", {}),
    ("dmsgd", {"gossip_momentum": True}),
    ("dmsgd_nesterov", {}),
    ("qgm", {}),
    ("gradient_tracking", {}),
    ("exact_diffusion", {}),
    ("choco", {"ratio": 0.5}),
    ("choco", {"compression": "quantize"}),
    ("delayed", {"delay": 2}),
]


def test_dsgd_reference(benchmark):
    """simulate_dsgd itself, the reference of the ratios."""
    sim = benchmark.pedantic(tt.simulate_dsgd, args=(tt.ring(32),), kwargs=RUN, rounds=3, iterations=1)
    assert not sim.diverged


@pytest.mark.parametrize("algorithm, hp", CASES, ids=[f"{a}-{'-'.join(map(str, h.values())) or 'default'}"
                                                      for a, h in CASES])
def test_algorithm(benchmark, algorithm, hp):
    sim = benchmark.pedantic(tt.simulate_algorithm, args=(tt.ring(32),), kwargs=dict(RUN, algorithm=algorithm, **hp),
                             rounds=3, iterations=1)
    assert sim.algorithm == algorithm and sim.loss[0] == pytest.approx(0.5, rel=1e-12)
