"""Speed of the Monte Carlo simulators, next to the Gaussian-sampling floor (issue 4 targets).

Run: ``pytest benchmarks/bench_montecarlo.py`` (not part of the default test run). The "floor"
benchmarks draw exactly as many normals as the simulation, into a preallocated buffer, on the same
number of threads: the ratio simulation / floor is the overhead of everything but sampling.
"""

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import topotheory as tt
from topotheory.simulate.montecarlo import simulate_dsgd, simulate_random_walk

THREADS = min(2, os.cpu_count() or 1)


def _floor(shape, count):
    """Draw ``count`` blocks of ``shape`` normals, split over THREADS generators."""

    def work(k):
        rng = np.random.default_rng(k)
        buf = np.empty(shape)
        for _ in range(count // THREADS):
            rng.standard_normal(out=buf)

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(work, range(THREADS)))


def test_random_walk_ring32(benchmark):
    """Ring of 32, 1000 recorded steps (plus a 100-step burn-in) x 20000 replicas: target <= 6 s."""
    s = tt.ring(32)
    rw = benchmark.pedantic(
        simulate_random_walk, args=(s,), kwargs=dict(gamma=0.9, steps=1000, reps=20000, seed=0),
        rounds=3, iterations=1,
    )
    assert abs(rw.effective_neighbors / tt.effective_neighbors(s, 0.9) - 1) < 0.005


def test_random_walk_sampling_floor(benchmark):
    """The same 1100 x 20000 x 32 normals, in the simulator's chunks of 2048 replicas."""
    benchmark.pedantic(_floor, args=((32, 2048), 1100 * 10), rounds=3, iterations=1)


def test_dsgd_ring32(benchmark):
    """32 workers, d = 48, 300 steps x 400 replicas: target <= 5 s."""
    sim = benchmark.pedantic(
        simulate_dsgd, args=(tt.ring(32),), kwargs=dict(lr=0.05, d=48, steps=300, reps=400, seed=0),
        rounds=3, iterations=1,
    )
    assert not sim.diverged


def test_dsgd_sampling_floor(benchmark):
    """The same 300 x 400 x 32 x 48 normals, in the simulator's chunks of 42 replicas."""
    benchmark.pedantic(_floor, args=((32, 42, 48), 300 * 10), rounds=3, iterations=1)


def test_crosscheck_cli_example(benchmark):
    """``topotheory crosscheck --topology ring --n 32 --lr 0.05 --d 48 --reps 400 --steps 300``."""
    rep = benchmark.pedantic(
        tt.crosscheck, args=(tt.ring(32),), kwargs=dict(lr=0.05, d=48, reps=400, steps=300, seed=0),
        rounds=3, iterations=1,
    )
    assert rep.agrees
