"""Speed of the representations (issue targets in the comments).

Run: ``pytest benchmarks/bench_engine.py`` (not part of the default test run), or
``python benchmarks/bench_engine.py crossover [--sizes 128 256 ...]`` for the table behind
``topotheory.engine.resolve.LANCZOS_MIN_N``: CPU and wall time of the spectral gap's two ends by
every eigenvalue and by sparse Lanczos, and their difference, per family and size (run it with
``OPENBLAS_NUM_THREADS=1``).
"""

import numpy as np
import pytest

import topotheory as tt


def test_s1_functional_ring_4000(benchmark):
    """S_1 of ring(4000), including resolving the scheme: the Fourier route, target <= 10 ms
    (the eigen route it used to take needed ~25 s of eigendecomposition)."""
    out = benchmark.pedantic(lambda: tt.s1_functional(tt.ring(4000)), rounds=5, iterations=1)
    lam = (1 + 2 * np.cos(2 * np.pi * np.arange(1, 4000) / 4000)) / 3
    assert out == pytest.approx(np.sum(lam**2 / (1 - lam**2)) / 4000, rel=1e-9)


def test_nw_near_one_disconnected_periodic(benchmark):
    """n_W of a 64-worker scheme with parts that never mix (pairs, period 3) at 13 decays down to
    1 - gamma = 1e-15, all phases: the exact split of the dense route, target <= 0.5 s."""
    pairs = np.kron(np.eye(32), np.full((2, 2), 0.5))
    c = 10.0 ** -np.arange(3, 16)

    def run():
        s = tt.Scheme.from_matrices([pairs, np.eye(64), np.eye(64)])
        return [tt.effective_neighbors(s, one_minus_gamma=c, phase=ph) for ph in range(3)]

    out = benchmark.pedantic(run, rounds=3, iterations=1)
    np.testing.assert_allclose(out[1], 2.0, rtol=1e-12)


def test_gap_kinds_periodic_dense_256(benchmark):
    """All four spectral-gap conventions of a periodic 256-worker scheme: target <= 1 s."""
    import networkx as nx

    a = tt.Scheme.from_networkx(nx.random_regular_graph(4, 256, seed=1))
    b = tt.Scheme.from_networkx(nx.random_regular_graph(3, 256, seed=2))

    def run():
        s = tt.Scheme.from_matrices([a.matrix(0), b.matrix(0)])
        return [tt.spectral_gap(s, kind) for kind in ("abs", "eigenvalue", "koloskova", "lambda2")]

    benchmark.pedantic(run, rounds=3, iterations=1)


def crossover(sizes=(128, 256, 384, 512, 1024, 2048, 4096)):
    """The extreme eigenvalues by every eigenvalue (LAPACK) and by sparse Lanczos, one row per graph."""
    import json
    import time

    from bench_krylov import FAMILIES

    from topotheory.engine import resolve

    for n in sizes:
        for family, make in FAMILIES.items():
            s = make(n)
            c0, w0 = time.process_time(), time.perf_counter()
            lam = np.asarray(s.eigenvalues(0))
            dense = (time.process_time() - c0, time.perf_counter() - w0)
            s.clear_cache()
            c0, w0 = time.process_time(), time.perf_counter()
            rep = resolve(s, "krylov")
            lam2, lamn = rep.extreme_eigenvalues()
            lanczos = (time.process_time() - c0, time.perf_counter() - w0)
            print(json.dumps(dict(family=family, n=s.n, dense_cpu_s=dense[0], dense_wall_s=dense[1],
                                  lanczos_cpu_s=lanczos[0], lanczos_wall_s=lanczos[1],
                                  error=max(abs(lam2 - lam[1]), abs(lamn - lam[-1])), residual=rep.eigen_residual)),
                  flush=True)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["crossover"])
    parser.add_argument("--sizes", nargs="*", type=int, default=[128, 256, 384, 512, 1024, 2048, 4096])
    args = parser.parse_args()
    crossover(tuple(args.sizes))
