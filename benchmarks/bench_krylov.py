"""The matrix-free Krylov route on large sparse graphs (issue 14, items 2 and 3).

Targets on a 10^5-node random geometric graph and a 10^5-node random 6-regular graph: spectral gap
<= 10 s; n_W (mean) at three decays with relative half width <= 1e-3 (95 %) <= 30 s; optimal toy
rate and the rate at one learning rate within 1e-3 (bracket) <= 120 s; peak memory
<= 4 GB. Agreement with the dense route at n = 4096 and the calibration of the stated intervals
over seeded runs on a panel at n = 1024-4096.

Run through pytest-benchmark (``pytest benchmarks/bench_krylov.py``) or as a script:

* ``python benchmarks/bench_krylov.py calibration [--seeds 200]`` — coverage of the 95 % intervals
  on the panel at n = 1024, with Wilson intervals on the coverage;
* ``python benchmarks/bench_krylov.py temple [--seeds 200] [--n 4096]`` — coverage of the
  Kato–Temple bound's sampled variance, of the bound itself and of the whole rate bracket on
  random regular graphs, against dense routes;
* ``python benchmarks/bench_krylov.py variance [--n 4096]`` — the exact variance of a probing pass
  against plain Hutchinson's (dense remainder) per probing distance and decay;
* ``python benchmarks/bench_krylov.py scaling [--max-n 100000]`` — the scaling table: time and peak
  memory of each route for random regular, random geometric and Barabási–Albert graphs from
  n = 256, each size in a fresh process (memory is the process's peak RSS), with growth exponents.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
import warnings

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

import topotheory as tt
from topotheory.engine import resolve
from topotheory.engine.krylov import KrylovRepresentation

GAMMAS = (0.9, 0.99, 0.999)
ZETA = 11.0
#: The learning rate of the one-rate target (``test_rate_1e5``).
RATE_LR = 0.15


def rgg(n, degree=14, seed=1):
    """A random geometric graph in the unit square, its largest component, Metropolis weights.

    ``n`` uniform points (``numpy.random.default_rng(seed)``), an edge between two points closer than
    ``sqrt(degree / (pi n))`` (mean degree about ``degree``); the pairs by a KD-tree (10^5 points in
    about a second, where networkx takes ~40 s). Workers keep the points' (random) order.
    """
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    from topotheory.graphs.weights import weights_from_adjacency

    pts = np.random.default_rng(seed).random((n, 2))
    pairs = cKDTree(pts).query_pairs((degree / (math.pi * n)) ** 0.5, output_type="ndarray")
    i, j = np.concatenate([pairs[:, 0], pairs[:, 1]]), np.concatenate([pairs[:, 1], pairs[:, 0]])
    A = sp.csr_array((np.ones(i.size), (i, j)), shape=(n, n))
    _, labels = connected_components(A, directed=False)
    keep = np.flatnonzero(labels == np.argmax(np.bincount(labels)))
    A = sp.csr_array(A[keep][:, keep])
    return tt.Scheme([weights_from_adjacency(A, "metropolis")], name=f"rgg(n={keep.size})")


def ba(n, m=3, seed=1):
    return tt.Scheme.from_networkx(nx.barabasi_albert_graph(n, m, seed=seed), name=f"ba(n={n})")


def rr(n, degree=6, seed=1):
    return tt.random_regular(n, degree, seed=seed, method="pairing")


FAMILIES = {"random_regular": rr, "random_geometric": rgg, "barabasi_albert": ba}


def peak_rss_gb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


# ------------------------------------------------------------------------------- benchmarks
@pytest.fixture(scope="module", params=["random_geometric", "random_regular"])
def big(request):
    return FAMILIES[request.param](100_000)


def test_gap_1e5(benchmark, big):
    """Target: <= 10 s."""
    def run():
        big.clear_cache()
        return tt.spectral_gap(big)

    c0 = time.process_time()
    gap = benchmark.pedantic(run, rounds=3, iterations=1)
    benchmark.extra_info.update(cpu_s_per_round=(time.process_time() - c0) / 3, gap=gap)
    assert 0 < gap < 1 and resolve(big).eigen_residual < 1e-9


def _nw_target(benchmark, est, **info):
    """Record an n_W (mean) estimate of the 10^5 target; xfail when its budget ended before 1e-3."""
    benchmark.extra_info.update(route=est.route, estimate=est.estimate.tolist(), halfwidth=est.relative_halfwidth.tolist(),
                                probes=est.probes, steps=est.steps, deflated=est.deflated, converged=bool(est.converged),
                                peak_rss_gb=peak_rss_gb(), **info)
    assert peak_rss_gb() <= 4.0
    if not est.converged:
        pytest.xfail(f"relative half widths {np.round(est.relative_halfwidth, 5).tolist()} after {est.probes} probes "
                     "within the budget")
    assert np.all(est.relative_halfwidth <= 1e-3)


def test_nw_mean_1e5(benchmark, big):
    """Target: three decays, relative half width <= 1e-3, <= 30 s, by the automatic route (exact by sparse LU on
    the geometric graph, sampled on the random regular one; a 120 s budget ends a miss; xfail then)."""
    def run():
        big.clear_cache()
        return tt.effective_neighbors(big, GAMMAS, log=True, rtol=1e-3, time_budget=120.0, progress=False)

    c0 = time.process_time()
    est = benchmark.pedantic(run, rounds=3, iterations=1)
    _nw_target(benchmark, est, cpu_s_per_round=(time.process_time() - c0) / 3)


def test_nw_mean_sampled_1e5(benchmark, big):
    """The sampled route alone (``effective_neighbors_interval``): three decays to 1e-3 within a 120 s budget."""
    est = benchmark.pedantic(tt.effective_neighbors_interval, args=(big, GAMMAS),
                             kwargs=dict(rtol=1e-3, seed=0, time_budget=120.0, progress=False), rounds=1, iterations=1)
    _nw_target(benchmark, est)


def _cpu_and_wall(benchmark, f, *args, **kwargs):
    """One round of ``f`` through pytest-benchmark; the CPU seconds (``time.process_time``) in extra_info."""
    c0 = time.process_time()
    out = benchmark.pedantic(f, args=args, kwargs=kwargs, rounds=1, iterations=1)
    benchmark.extra_info.update(cpu_s=time.process_time() - c0, peak_rss_gb=peak_rss_gb())
    return out


@pytest.mark.parametrize("probing", [0, 2])
def test_nw_mean_30s_1e5(benchmark, big, probing):
    """What 30 s buy: the relative half widths at the three decays with a 30 s (wall) budget, Rademacher
    probes (``probing=0``, no deflation) or distance-2 probing passes (the target is 1e-3; xfail when wider)."""
    def run():
        big.clear_cache()
        return tt.effective_neighbors_interval(big, GAMMAS, rtol=1e-3, seed=0, time_budget=30.0, deflate=0,
                                               probing=probing, progress=False)

    c0 = time.process_time()
    est = benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info.update(cpu_s=time.process_time() - c0, halfwidth=est.relative_halfwidth.tolist(),
                                probes=est.probes, steps=est.steps, converged=bool(est.converged),
                                peak_rss_gb=peak_rss_gb())
    assert peak_rss_gb() <= 4.0 and np.all(est.lower < est.upper)
    if not est.converged:
        pytest.xfail(f"relative half widths {np.round(est.relative_halfwidth, 5).tolist()} after {est.probes} probes")


@pytest.mark.parametrize("probing", [0, 2])
def test_nw_mean_fixed_sample_1e5(benchmark, big, probing):
    """A fixed sample (64 Rademacher probes, or two passes of a distance-2 colouring), 90 Lanczos steps: the
    CPU time, the relative half widths and the CPU time 1e-3 would take (half width ~ 1/sqrt(probes))."""
    rep = resolve(big, "krylov")
    rep.ordered, rep.extreme_eigenvalues(), rep._powers()  # the setup, timed by test_gap_1e5
    c0 = time.process_time()
    if probing:
        rep.colouring(probing)  # cached on the scheme: its cost is added below
    colouring = time.process_time() - c0
    size = dict(min_probes=64, max_probes=64) if probing == 0 else dict(min_probes=2, max_probes=2)

    def run():
        return rep.nw_mean(GAMMAS, rtol=1e-3, seed=0, deflate=0, steps=90, probing=probing, progress=False, **size)

    c0 = time.process_time()
    est = benchmark.pedantic(run, rounds=1, iterations=1)
    cpu = time.process_time() - c0 + colouring
    hw = est.relative_halfwidth
    benchmark.extra_info.update(cpu_s=cpu, colouring_cpu_s=colouring, halfwidth=hw.tolist(), probes=est.probes,
                                cpu_s_for_1e3=(cpu * (hw / 1e-3) ** 2).tolist(), peak_rss_gb=peak_rss_gb())
    vectors = 64 if probing == 0 else 2 * (int(rep.colouring(probing).max()) + 1)
    assert est.probes == vectors and np.all(est.lower < est.upper) and peak_rss_gb() <= 4.0


def test_optimum_1e5(benchmark, big):
    """Target: the optimal toy rate within 1e-3 (relative width of its bracket) in <= 120 s, <= 4 GB.

    The bracket's ends hold at 95 % (the mean's probes; on random regular graphs the Kato-Temple end
    also samples workers), certified where the worst-worker root sets the lower end."""
    big.clear_cache()
    opt = _cpu_and_wall(benchmark, tt.optimal_learning_rate_interval, big, zeta=ZETA, rtol=1e-4, progress=False)
    width = (opt.rate_upper - opt.rate_lower) / opt.rate
    benchmark.extra_info.update(lr=opt.lr, rate=opt.rate, rate_lower=opt.rate_lower, rate_upper=opt.rate_upper,
                                rel_width=width)
    assert opt.rate_lower <= opt.rate <= opt.rate_upper and peak_rss_gb() <= 4.0
    if width > 1e-3:
        pytest.xfail(f"bracket of the optimal rate {width:.2g} wide (relative)")


def test_rate_1e5(benchmark, big):
    """Target: the exact toy rate at one learning rate within 1e-3 (relative width of its bracket) in <= 120 s."""
    big.clear_cache()
    est = _cpu_and_wall(benchmark, tt.quadratic_rate_interval, big, lr=RATE_LR, zeta=ZETA, rtol=1e-4, progress=False)
    width = float((est.upper - est.lower)[0] / est.estimate[0])
    benchmark.extra_info.update(lr=RATE_LR, rate=float(est.estimate[0]), lower=float(est.lower[0]),
                                upper=float(est.upper[0]), rel_width=width)
    assert est.lower[0] <= est.estimate[0] <= est.upper[0] and peak_rss_gb() <= 4.0
    if width > 1e-3:
        pytest.xfail(f"bracket of the rate {width:.2g} wide (relative)")


#: Rounds of the exact per-worker benchmarks (medians of CPU and wall seconds).
PER_WORKER_ROUNDS = 3


def _per_worker_exact(benchmark, s, mode):
    """``effective_neighbors(s, GAMMAS, mode=mode)`` from a cold cache, ``PER_WORKER_ROUNDS`` rounds: the CPU
    and wall medians and the peak memory in extra_info."""
    cpu, wall = [], []

    def run():
        s.clear_cache()
        c0, t0 = time.process_time(), time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # exact: no budget, no warning
            out = tt.effective_neighbors(s, GAMMAS, mode=mode)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - t0)
        return out

    out = benchmark.pedantic(run, rounds=PER_WORKER_ROUNDS, iterations=1)
    benchmark.extra_info.update(cpu_s_median=float(np.median(cpu)), wall_s_median=float(np.median(wall)),
                                cpu_s=cpu, wall_s=wall, peak_rss_gb=peak_rss_gb(), gammas=list(GAMMAS))
    return out


def test_nw_worst_exact_1e5_random_geometric(benchmark):
    """n_W of the worst worker at three decays on rgg(10^5), exact by selected inversion (route sparse-lu; two
    factorizations and selected inversions per decay). Before it: Lanczos brackets of the candidates, > 200 s at
    n = 16384."""
    s = rgg(100_000)
    worst = _per_worker_exact(benchmark, s, "worst")
    est = tt.effective_neighbors(s, GAMMAS, mode="worst", log=True)  # cached: the record of the route
    benchmark.extra_info.update(nw_worst=worst.tolist(), route=est.route)
    assert est.route == "sparse-lu" and np.array_equal(est.estimate, worst) and np.all((1 <= worst) & (worst <= s.n))
    assert peak_rss_gb() <= 4.0


def test_nw_all_exact_1e5_random_geometric(benchmark):
    """n_W of every worker at three decays on rgg(10^5), exact by selected inversion; the worst and the best worker
    checked against their certified Lanczos brackets (an independent route)."""
    s = rgg(100_000)
    every = _per_worker_exact(benchmark, s, "all")
    rep = resolve(s)
    workers = np.unique(np.r_[np.argmin(every, axis=1), np.argmax(every, axis=1)])
    lanczos = rep.nw_workers(GAMMAS, workers, method="lanczos")
    inside = (lanczos.lower * (1 - 1e-9) <= every[:, workers]) & (every[:, workers] <= lanczos.upper * (1 + 1e-9))
    benchmark.extra_info.update(nw_min=every.min(axis=1).tolist(), nw_max=every.max(axis=1).tolist(),
                                nw_mean_of_workers=every.mean(axis=1).tolist(),
                                lanczos_rel_offset=np.max(np.abs(every[:, workers] / lanczos.estimate - 1)).item())
    assert every.shape == (len(GAMMAS), s.n) and np.all(inside) and peak_rss_gb() <= 4.0


#: CPU-second targets of ``test_nw_worst_random_regular`` (one BLAS thread).
NW_WORST_TARGETS = {65536: 60.0, 100_000: 100.0}


@pytest.mark.parametrize("n", sorted(NW_WORST_TARGETS))
def test_nw_worst_random_regular(benchmark, n):
    """n_W (worst) at decay 0.99 on a random 6-regular graph, ``KrylovRepresentation.nw_worst`` without a
    time budget: a cheap certified bracket for each of the ``max_candidates = 4096`` candidates, only those
    that may still be the worst tightened. Targets: 65536 <= 60 s CPU, 10^5 <= 100 s CPU (the bracket's
    width, set there by the crude bounds of the workers beyond the 4096 candidates, in extra_info)."""
    s = rr(n)
    rep = KrylovRepresentation(s)
    est = _cpu_and_wall(benchmark, rep.nw_worst, [0.99], progress=False)
    width = float((est.upper - est.lower)[0] / est.estimate[0])
    benchmark.extra_info.update(lower=float(est.lower[0]), upper=float(est.upper[0]), rel_width=width,
                                probes=est.probes, converged=bool(est.converged))
    assert est.certified and 0 < est.lower[0] <= est.upper[0] and est.probes == 4096
    if benchmark.extra_info["cpu_s"] > NW_WORST_TARGETS[n]:
        pytest.xfail(f"{benchmark.extra_info['cpu_s']:.1f} s CPU > {NW_WORST_TARGETS[n]} s")


#: The automatic rate at n = 5000 (``test_automatic_rate_5000``): learning rate, CPU-second targets and rounds.
RATE_5000_LR = 0.1
RATE_5000_TARGETS = {"random_regular": 5.6, "random_geometric": 91.0}
RATE_5000_ROUNDS = {"random_regular": 5, "random_geometric": 1}


@pytest.mark.parametrize("family", ["random_regular", "random_geometric"])
def test_automatic_rate_5000(benchmark, family):
    """The automatic toy rate above the matrix-free threshold, ``quadratic_rate(s, lr=0.1, zeta=11)`` at
    n = 5000 (route ``krylov-bracket``, each round from a cold cache). Targets (CPU, one BLAS thread):
    random 6-regular <= 5.6 s (the local block skipped: it cannot narrow a walk-regular-like bracket),
    random geometric <= 91 s. Median CPU seconds per round in extra_info."""
    s = FAMILIES[family](5000)
    cpu = []

    def run():
        s.clear_cache()
        c0 = time.process_time()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = tt.quadratic_rate(s, lr=RATE_5000_LR, zeta=ZETA, log=True)
        cpu.append(time.process_time() - c0)
        return out, [str(w.message) for w in caught]

    rounds = RATE_5000_ROUNDS[family]
    log, caught = benchmark.pedantic(run, rounds=rounds, iterations=1)
    rate, residual = float(np.ravel(log.rate)[0]), float(np.ravel(log.residual)[0])
    benchmark.extra_info.update(cpu_s_median=float(np.median(cpu)), cpu_s=cpu, rate=rate, rel_halfwidth=residual,
                                converged=bool(np.ravel(log.converged)[0]), warnings=caught, n=s.n)
    assert log.route == "krylov-bracket" and 0 < rate < 1 and residual < 1e-2
    if float(np.median(cpu)) > RATE_5000_TARGETS[family]:
        pytest.xfail(f"median {np.median(cpu):.1f} s CPU > {RATE_5000_TARGETS[family]} s")


def test_rate_interval_5000_random_geometric_no_budget(benchmark):
    """The same rate as ``test_automatic_rate_5000[random_geometric]`` without a time budget
    (``quadratic_rate_interval(..., time_budget=None)``: the automatic route's options otherwise),
    whose worst-worker stage outlasts ``AUTO_BUDGET`` on this graph. Target: no slower than 91 s CPU
    (the local block is kept here: the pre-test must not cost time where the block narrows)."""
    s = rgg(5000)
    est = _cpu_and_wall(benchmark, tt.quadratic_rate_interval, s, lr=RATE_5000_LR, zeta=ZETA, time_budget=None,
                        progress=False)
    width = float((est.upper - est.lower)[0] / est.estimate[0])
    benchmark.extra_info.update(rate=float(est.estimate[0]), lower=float(est.lower[0]), upper=float(est.upper[0]),
                                rel_width=width, converged=bool(est.converged))
    assert est.converged and est.lower[0] <= est.estimate[0] <= est.upper[0]
    if benchmark.extra_info["cpu_s"] > 91.0:
        pytest.xfail(f"{benchmark.extra_info['cpu_s']:.1f} s CPU > 91 s")


@pytest.mark.parametrize("family", ["random_geometric", "barabasi_albert", "random_regular"])
def test_nw_mean_exact_vs_dense_4096(benchmark, family):
    """The sparse-LU route (forced on the expanders) against every eigenvalue (numpy ``eigvalsh``) at n = 4096."""
    s = FAMILIES[family](4096)
    rep = resolve(s, "krylov")
    gammas = np.array([0.0, 0.5, 0.9, 0.99, 0.999])

    def run():
        s.clear_cache()
        return rep.auto_nw_mean(gammas, method="factor", progress=False)

    est = benchmark.pedantic(run, rounds=3, iterations=1)
    lam = np.linalg.eigvalsh(s.sparse_matrix(0).toarray())
    dense = np.array([1 / ((1 - g) * np.mean(lam**2 / (1 - g * lam**2))) for g in gammas])
    err = np.abs(est.estimate / dense - 1)
    benchmark.extra_info.update(route=est.route, rel_err=err.tolist(), factorable=rep.factorable)
    assert est.route == "sparse-lu" and np.all(err <= 1e-11)


@pytest.fixture(scope="module")
def rr4096():
    return rr(4096)


def _gap_rounds(benchmark, scheme, gap, rounds):
    def run():
        scheme.clear_cache()
        return gap()

    c0 = time.process_time()
    value = benchmark.pedantic(run, rounds=rounds, iterations=1)
    benchmark.extra_info.update(cpu_s_per_round=(time.process_time() - c0) / rounds, gap=value)
    return value


def test_gap_4096_dense_eigenvalues(benchmark, rr4096):
    """Before: the spectral gap of a random 6-regular graph of 4096 nodes from every eigenvalue (the
    route the automatic choice took below the matrix-free threshold; ~9 s of CPU)."""
    gap = _gap_rounds(benchmark, rr4096, lambda: 1.0 - resolve(rr4096, "eigen").product_norm(), 3)
    assert 0 < gap < 1


def test_gap_4096_automatic_lanczos(benchmark, rr4096):
    """After: the same gap by the automatic route (sparse Lanczos, n >= LANCZOS_MIN_N), equal to the
    dense one to 1e-12."""
    gap = _gap_rounds(benchmark, rr4096, lambda: tt.spectral_gap(rr4096), 10)
    res = tt.spectral_gap(rr4096, log=True)
    assert res.gap == gap and res.route == "lanczos" and res.residual < 1e-11
    assert abs(gap - (1.0 - resolve(rr4096, "eigen").product_norm())) < 1e-12


def test_random_regular_pairing_1e5(benchmark):
    """The pairing generator at 10^5 workers (networkx's random_regular_graph: ~160 s on the same machine)."""
    s = benchmark.pedantic(tt.random_regular, args=(100_000, 6), kwargs=dict(seed=1, method="pairing"), rounds=3,
                           iterations=1)
    assert s.n == 100_000


def test_dense_agreement_4096(benchmark):
    """The matrix-free values against the dense eigendecomposition where both run."""
    s = rgg(4096)
    g = np.array(GAMMAS)
    est = benchmark.pedantic(tt.effective_neighbors_interval, args=(s, g), kwargs=dict(rtol=1e-4, seed=0),
                             rounds=1, iterations=1)
    lam2, lamn = resolve(s, "krylov").extreme_eigenvalues()
    lam = s.eigh()[0]
    assert abs(lam2 - lam[1]) < 1e-10 and abs(lamn - lam[-1]) < 1e-10
    dense = tt.effective_neighbors(s, g)
    assert np.all((est.lower <= dense) & (dense <= est.upper))


# ------------------------------------------------------------------------------ dense agreement
def agreement(n=4096, families=tuple(FAMILIES), optimum=True, lr=0.1):
    """Every matrix-free value against the dense eigendecomposition at size ``n`` (one row per family).

    Gap: both extreme eigenvalues. n_W mean (rtol 1e-4; and with distance-2 probing at rtol 1e-3):
    relative error and whether the 95 % interval covers. n_W worst at 0.99 (certified), toy rate at ``lr`` (bracket) and, with
    ``optimum``, the optimal rate and learning rate: whether the bracket holds the dense value.
    """
    g = np.array(GAMMAS)
    rows = []
    for family in families:
        s = FAMILIES[family](n)
        kry = resolve(s, "krylov")
        row = dict(family=family, n=s.n)
        t0 = time.process_time()
        lam = s.eigh()[0]
        row["dense_eigh_cpu_s"] = time.process_time() - t0
        lam2, lamn = kry.extreme_eigenvalues()
        row["gap_error"] = max(abs(lam2 - lam[1]), abs(lamn - lam[-1]))
        e = tt.effective_neighbors_interval(s, g, rtol=1e-4, seed=0, progress=False)
        dense = tt.effective_neighbors(s, g)
        row["nw_mean_rel_error"] = np.abs(e.estimate / dense - 1).tolist()
        row["nw_mean_rel_halfwidth"] = e.relative_halfwidth.tolist()
        row["nw_mean_covered"] = bool(np.all((e.lower <= dense) & (dense <= e.upper)))
        p = tt.effective_neighbors_interval(s, g, rtol=1e-3, seed=0, probing=2, progress=False)
        row["nw_mean_probing_rel_error"] = np.abs(p.estimate / dense - 1).tolist()
        row["nw_mean_probing_rel_halfwidth"] = p.relative_halfwidth.tolist()
        row["nw_mean_probing_covered"] = bool(np.all((p.lower <= dense) & (dense <= p.upper)))
        w = tt.effective_neighbors_interval(s, [0.99], mode="worst", progress=False)
        dw = float(tt.effective_neighbors(s, 0.99, mode="worst"))
        row["nw_worst_rel_error"] = abs(float(w.estimate[0]) / dw - 1)
        row["nw_worst_covered"] = bool(w.lower[0] * (1 - 1e-9) <= dw <= w.upper[0] * (1 + 1e-9))
        r = tt.quadratic_rate_interval(s, lr=lr, zeta=ZETA, rtol=1e-4, progress=False)
        dr = float(tt.quadratic_rate(s, lr=lr, zeta=ZETA))
        row["rate_dense"] = dr
        row["rate_bracket"] = [float(r.lower[0]), float(r.estimate[0]), float(r.upper[0])]
        if math.isnan(dr):  # the dense route says divergence: the bracket must admit it
            row["rate_covered"] = bool(r.lower[0] <= 0)
        else:
            row["rate_rel_error"] = abs(float(r.estimate[0]) / dr - 1)
            row["rate_lower_rel_error"] = abs(float(r.lower[0]) / dr - 1)
            row["rate_rel_width"] = float((r.upper - r.lower)[0] / dr)
            row["rate_covered"] = bool(r.lower[0] <= dr <= r.upper[0])
        if optimum:
            o = tt.optimal_learning_rate_interval(s, zeta=ZETA, rtol=1e-4, progress=False)
            t0 = time.process_time()
            do = tt.optimal_learning_rate(s, zeta=ZETA)
            row["dense_optimum_cpu_s"] = time.process_time() - t0
            row["optimum_rate_rel_error"] = abs(o.rate / float(do.rate) - 1)
            row["optimum_lr_error"] = abs(o.lr - float(do.lr))
            row["optimum_covered"] = bool(o.rate_lower <= float(do.rate) <= o.rate_upper)
            row["optimum_rel_width"] = (o.rate_upper - o.rate_lower) / float(do.rate)
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


# ------------------------------------------------------------------------------ calibration
def wilson(hits, trials, z=1.959963984540054):
    """Wilson score interval ``(lower, upper)`` of a binomial proportion (95 % by default)."""
    p = hits / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z / (1 + z * z / trials) * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return centre - half, centre + half


REGIMES = {
    # Stein's two-stage rule as users call it: pilot of 32 probes, deflation escalated when needed
    "rtol 1e-3": dict(rtol=1e-3),
    # the smallest sample: one block of 32 probes, a plain Student-t interval
    "32 probes": dict(rtol=1e-12, min_probes=32, max_probes=32, block=32, deflate=32),
    # probing: the two-stage rule on passes of a distance-2 colouring (Welch-Satterthwaite interval)
    "probing 2, rtol 1e-3": dict(rtol=1e-3, probing=2, deflate=0),
    # probing, the smallest sample: two passes of a distance-3 colouring
    "probing 3, 2 passes": dict(rtol=1e-12, probing=3, min_probes=2, max_probes=2, deflate=0),
}


def calibration(seeds=200, sizes=(1024,), regimes=tuple(REGIMES), families=tuple(FAMILIES)):
    """Coverage of the 95 % interval of n_W (mean) over ``seeds`` seeded runs per graph, regime and decay.

    Each row: the coverage per decay with its Wilson 95 % interval, the coverage of all three decays
    at once, the standard deviation of the standardized errors ``(estimate - dense) / stderr``
    (1 for honest standard errors) and the mean number of probes.
    """
    g = np.array(GAMMAS)
    rows = []
    for name in families:
        for n in sizes:
            s = FAMILIES[name](n)
            dense = tt.effective_neighbors(s, g)
            rep = resolve(s, "krylov")
            for regime in regimes:
                hits, width, z, probes = [], [], [], []
                t0 = time.perf_counter()
                for seed in range(seeds):
                    e = rep.nw_mean(g, seed=seed, progress=False, **REGIMES[regime])
                    hits.append((e.lower <= dense) & (dense <= e.upper))
                    width.append(e.relative_halfwidth)
                    z.append((e.estimate - dense) / np.where(e.stderr > 0, e.stderr, np.inf))
                    probes.append(e.probes)
                hits = np.array(hits)
                rows.append(dict(
                    graph=name, n=s.n, regime=regime, seeds=seeds, coverage=hits.mean(axis=0).round(4).tolist(),
                    wilson=[[round(x, 4) for x in wilson(int(k), seeds)] for k in hits.sum(axis=0)],
                    all_decays=round(float(hits.all(axis=1).mean()), 4),
                    halfwidth=np.mean(width, axis=0).tolist(), z_sd=np.std(z, axis=0).round(3).tolist(),
                    probes=float(np.mean(probes)), seconds=round(time.perf_counter() - t0, 1)))
                print(json.dumps(rows[-1]), flush=True)
    for regime in regimes:
        sub = [r for r in rows if r["regime"] == regime]
        k = sum(round(c * r["seeds"]) for r in sub for c in r["coverage"])
        trials = sum(r["seeds"] * len(r["coverage"]) for r in sub)
        lo, hi = wilson(k, trials)
        print(f"{regime}: pooled coverage {k / trials:.4f} (Wilson 95 % [{lo:.4f}, {hi:.4f}]; "
              f"decays of one run are correlated), {trials} intervals")
    return rows


# ----------------------------------------------------------------------- Kato-Temple calibration
def temple_calibration(seeds=200, n=4096, degrees=(6, 8), gammas=(0.93, 0.99), bracket_seeds=40, lr=0.4):
    r"""Coverage of the Kato-Temple bound's sampled parts on random regular graphs (module ``temple``).

    Per graph and decay, over ``seeds`` seeded worker samples (the defaults: ``TEMPLE_STRATUM``
    exact, ``TEMPLE_SAMPLE`` sampled): how often the stratified one-sided bound of the variances'
    population variance (confidence 0.975) holds the exact one (every worker bracketed), and how
    often the bound :math:`\theta + V_{hi}/(\theta - \alpha)` (exact mean) holds the dense
    :math:`\lambda_{\max}K`; then, over ``bracket_seeds`` seeds of the whole bracket (probes and
    workers, ``quadratic_rate_interval`` at ``lr``), how often it holds the dense rate.
    """
    import scipy.sparse.linalg as sla

    from topotheory.engine.temple import TEMPLE_SAMPLE, TEMPLE_STRATUM, TempleBound, strata, stratified_bound

    rows = []
    for degree in degrees:
        s = tt.random_regular(n, degree, seed=1, method="pairing")
        rep = KrylovRepresentation(s)
        ev, Q = np.linalg.eigh(np.asarray(s.matrix()))
        L = np.outer(ev, ev)
        for g in gammas:
            T = TempleBound(rep, g, level=0.95, seed=0, progress=False)
            if not T.available:
                rows.append(dict(degree=degree, n=n, gamma=g, available=False, reason=T.reason))
                print(json.dumps(rows[-1]), flush=True)
                continue
            F = L / (1 - g * L)
            op = sla.LinearOperator((n, n), dtype=float, matvec=lambda v, F=F, Q=Q: np.einsum(
                "ij,ji->i", Q @ ((Q.T @ (np.ravel(v)[:, None] * Q)) * F), Q.T))
            lam = float(sla.eigsh(op, k=1, which="LA", tol=1e-12)[0][0])
            rules = rep.worker_rules(np.arange(n), g, progress=False, rtol=1e-8)
            lo, hi = rules.bounds([g])
            sig = 0.5 * (lo[0] + hi[0]) / (1 - g)
            V, theta = float(sig.var()), float(sig.mean())
            f = np.maximum((lo[0] / (1 - g) - theta) ** 2, (hi[0] / (1 - g) - theta) ** 2)
            low, alpha = T._low(g), T.alpha(g)
            hv = hl = 0
            for seed in range(seeds):
                far, take, rest = strata(low, TEMPLE_STRATUM, TEMPLE_SAMPLE, seed)
                Vh = stratified_bound(f[far], f[take], rest, n, 0.95)
                hv += Vh >= V
                hl += lam <= theta + Vh / (theta - alpha)
            rows.append(dict(degree=degree, n=n, gamma=g, seeds=seeds, variance_coverage=hv / seeds,
                             variance_wilson=[round(x, 4) for x in wilson(hv, seeds)], lambda_coverage=hl / seeds,
                             needs_V_fraction=round((lam - theta) * (theta - alpha) / V, 4),
                             excess_rel=(theta + V / (theta - alpha) - lam) / lam))
            print(json.dumps(rows[-1]), flush=True)
        exact = tt.quadratic_rate(s, lr=lr, zeta=ZETA)
        hits, width = 0, []
        for seed in range(bracket_seeds):
            est = tt.quadratic_rate_interval(s, lr=lr, zeta=ZETA, seed=seed, rtol=1e-4, progress=False)
            hits += bool(est.lower[0] <= exact <= est.upper[0])
            width.append(float((est.upper - est.lower)[0] / exact))
        rows.append(dict(degree=degree, n=n, lr=lr, bracket_seeds=bracket_seeds, rate_coverage=hits / bracket_seeds,
                         rate_wilson=[round(x, 4) for x in wilson(hits, bracket_seeds)],
                         median_rel_width=float(np.median(width))))
        print(json.dumps(rows[-1]), flush=True)
    return rows


# ------------------------------------------------------------------------------ probing variance
def variance(n=4096, family="random_geometric", distances=(1, 2, 3, 4), gammas=(0.5,) + GAMMAS):
    """Exact variance of a probing pass against plain Hutchinson's, from the dense remainder (n <= 4096).

    For the remainder ``A = P g(W^2) P`` of the trace estimator: plain Hutchinson's variance per probe
    ``2 sum_{i != j} A_ij^2``; a pass of a distance-d colouring with C colours has variance
    ``2 sum over same-colour pairs of A_ij^2`` and costs C probes. Prints the ratio of a pass's
    variance to that of the mean of C plain probes (below 1: probing pays) per distance and decay.
    """
    s = FAMILIES[family](n)
    rep = resolve(s, "krylov")
    Wo = rep.ordered[0].toarray()
    lam, U = np.linalg.eigh(Wo)
    keep = np.abs(lam - 1) > 1e-9
    K = rep.space(0)[2]
    rows = []
    for g in gammas:
        mu = lam[keep] ** 2
        A = (U[:, keep] * (g**K * mu ** (K + 1) / (1 - g * mu))) @ U[:, keep].T
        off = A**2
        np.fill_diagonal(off, 0.0)
        plain = 2 * off.sum()
        for d in distances:
            c = rep.colouring(d)
            C = int(c.max()) + 1
            ratio = 2 * off[c[:, None] == c[None, :]].sum() / (plain / C)
            rows.append(dict(family=family, n=s.n, K=K, gamma=g, distance=d, colours=C, ratio=round(float(ratio), 4)))
            print(json.dumps(rows[-1]), flush=True)
    return rows


# ------------------------------------------------------------------------------ scaling table
SIZES = (256, 1024, 4096, 16384, 65536, 100_000)
#: The routes of the table: what a user calls at each size (dense below KRYLOV_MIN_N, matrix-free above).
ROUTES = ("gap", "nw_mean", "nw_mean_sampled", "nw_mean_lu", "nw_worst", "rate", "optimum", "simulate")
#: Time budget (s) handed to the trace estimator of the matrix-free n_W mean.
NW_BUDGET = 60.0


def _route(s, route):
    """Run one route on ``s``; returns a dict of what it found (value, accuracy, route taken)."""
    from topotheory.engine.krylov import KRYLOV_MIN_N

    big = s.n > KRYLOV_MIN_N
    lr = 0.2
    if route == "gap":
        return dict(value=tt.spectral_gap(s), route=resolve(s).route)
    if route in ("nw_mean", "nw_mean_sampled", "nw_mean_lu"):
        if route == "nw_mean":  # what a user gets: dense below KRYLOV_MIN_N, exact sparse LU or sampled above
            e = tt.effective_neighbors(s, GAMMAS, log=True, rtol=1e-3, time_budget=NW_BUDGET, progress=False)
        elif route == "nw_mean_sampled":
            e = tt.effective_neighbors_interval(s, GAMMAS, rtol=1e-3, seed=0, time_budget=NW_BUDGET, progress=False)
        else:  # the sparse-LU route where it fits (forced below KRYLOV_MIN_N)
            rep = resolve(s, "krylov")
            if not rep.factorable:
                return None
            e = rep.auto_nw_mean(GAMMAS, method="factor", progress=False)
        return dict(value=e.estimate.tolist(), halfwidth=e.relative_halfwidth.tolist(), converged=bool(e.converged),
                    probes=e.probes, deflated=e.deflated, route=e.route)
    if route == "nw_worst":
        if big:
            e = tt.effective_neighbors_interval(s, [0.99], mode="worst", progress=False)
            return dict(value=float(e.estimate[0]), width=float((e.upper - e.lower)[0] / e.estimate[0]), route=e.route)
        return dict(value=float(tt.effective_neighbors(s, 0.99, mode="worst")), route=resolve(s).route)
    if route == "rate":
        if big:
            e = tt.quadratic_rate_interval(s, lr=lr, zeta=ZETA, rtol=1e-4, progress=False)
            return dict(value=float(e.estimate[0]), width=float((e.upper - e.lower)[0] / e.estimate[0]), route=e.route)
        return dict(value=float(tt.quadratic_rate(s, lr=lr, zeta=ZETA)), route=resolve(s).route)
    if route == "optimum":
        if big:
            o = tt.optimal_learning_rate_interval(s, zeta=ZETA, rtol=1e-4, progress=False)
            return dict(value=o.rate, lr=o.lr, width=(o.rate_upper - o.rate_lower) / o.rate, route=o.route)
        o = tt.optimal_learning_rate(s, zeta=ZETA)
        return dict(value=float(o.rate), lr=float(o.lr), route=resolve(s).route)
    if route == "simulate":
        steps = 50
        t0 = time.perf_counter()
        tt.simulate_dsgd(s, lr=lr, batch_size=1, d=8, steps=steps, reps=4, seed=0, keep_replicas=False)
        return dict(steps_per_s=steps / (time.perf_counter() - t0), d=8, reps=4)
    raise ValueError(route)


def scaling_point(family, n, route):
    """One cell of the scaling table, meant for a fresh process (peak RSS is this cell's, build included)."""
    t0, c0 = time.perf_counter(), time.process_time()
    s = FAMILIES[family](n)
    row = dict(family=family, n=s.n, route_name=route, build_s=round(time.perf_counter() - t0, 2),
               build_cpu_s=round(time.process_time() - c0, 2))
    t0, c0 = time.perf_counter(), time.process_time()
    out = _route(s, route)
    if out is None:
        return None
    row.update(out, wall_s=time.perf_counter() - t0, cpu_s=time.process_time() - c0, peak_rss_gb=peak_rss_gb())
    return row


def scaling(max_n=100_000, families=tuple(FAMILIES), routes=ROUTES, timeout=300.0, out=None, min_n=0):
    """The scaling table: each (family, size, route) in a fresh process with a ``timeout`` (seconds).

    A route that times out (or fails) at one size is not run at larger sizes of that family on the
    same side of ``KRYLOV_MIN_N`` (the dense and the matrix-free routes stop separately): the table
    says where each stops. BLAS is pinned to one thread (set ``OPENBLAS_NUM_THREADS=1``), and both
    wall and CPU time are reported. ``out``: a JSON-lines file the rows are appended to.
    """
    import os

    from topotheory.engine.krylov import KRYLOV_MIN_N

    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    here = str(__file__.rsplit("/", 1)[0])
    rows = []
    for family in families:
        stopped = {}
        for n in [m for m in SIZES if min_n <= m <= max_n]:
            for route in routes:
                key = (route, n > KRYLOV_MIN_N)
                if key in stopped:
                    rows.append(dict(family=family, n=n, route_name=route, stopped=stopped[key]))
                    continue
                code = (f"import json, sys; sys.path.insert(0, {here!r}); import bench_krylov as b; "
                        f"print(json.dumps(b.scaling_point({family!r}, {n}, {route!r})))")
                try:
                    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                                         env=env)
                    if res.returncode:
                        stopped[key] = "failed at n=%d: %s" % (n, (res.stderr.strip().splitlines() or ["?"])[-1][:160])
                        row = dict(family=family, n=n, route_name=route, stopped=stopped[key])
                    else:
                        row = json.loads(res.stdout.strip().splitlines()[-1])
                except subprocess.TimeoutExpired:
                    stopped[key] = f"> {timeout:g} s at n={n}"
                    row = dict(family=family, n=n, route_name=route, stopped=stopped[key])
                if row is None:
                    continue
                rows.append(row)
                print(json.dumps(row), flush=True)
                if out:
                    with open(out, "a") as fh:
                        fh.write(json.dumps(row) + "\n")
    print(table(rows))
    return rows


def table(rows):
    """Markdown table (CPU s / wall s / peak RSS GB per cell, the route taken) and CPU-time growth exponents.

    A growth exponent is fitted per family, route and representation (the dense and the matrix-free
    routes separately) over the sizes where it ran; a ``stop`` cell timed out or failed.
    """
    routes = [r for r in ROUTES if any(x.get("route_name") == r for x in rows)]
    lines = ["| family | n | " + " | ".join(routes) + " |", "|" + "---|" * (len(routes) + 2)]
    cells = {(r["family"], r["n"], r["route_name"]): r for r in rows}
    for family, n in sorted({(r["family"], r["n"]) for r in rows if "cpu_s" in r}):
        out = []
        for route in routes:
            r = cells.get((family, n, route))
            if r is None:
                out.append("-")
            elif "stopped" in r:
                out.append("stop")
            elif route == "simulate":
                out.append(f"{50 / r['cpu_s']:.3g} steps/cpu-s ({r['steps_per_s']:.3g}/s wall), {r['peak_rss_gb']:.2f} GB")
            else:
                extra = ""
                if "halfwidth" in r:
                    extra = f", hw {max(r['halfwidth']):.1e}" + ("" if r["converged"] else " (budget)")
                elif "width" in r:
                    extra = f", width {r['width']:.1e}"
                out.append(f"{r['cpu_s']:.3g} cpu / {r['wall_s']:.3g} s, {r['peak_rss_gb']:.2f} GB [{r['route']}{extra}]")
        lines.append(f"| {family} | {n} | " + " | ".join(out) + " |")
    lines.append("")
    for family in sorted({r["family"] for r in rows}):
        for route in routes:
            sub = [r for r in rows if r["family"] == family and r.get("route_name") == route and r.get("cpu_s", 0) > 0.05]
            for kind in sorted({r.get("route", "sim") for r in sub}):
                pts = [(r["n"], r["cpu_s"]) for r in sub if r.get("route", "sim") == kind]
                if len(pts) >= 2:
                    x, y = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])
                    lines.append(f"- {family} {route} [{kind}]: CPU time ~ n^{np.polyfit(x, y, 1)[0]:.2f} "
                                 f"(n = {pts[0][0]}..{pts[-1][0]})")
        for r in rows:
            if r["family"] == family and "stopped" in r and not any(
                    q is not r and q.get("stopped") == r["stopped"] and q["n"] < r["n"] for q in rows
                    if q["family"] == family and q.get("route_name") == r["route_name"]):
                lines.append(f"- {family} {r['route_name']}: stops ({r['stopped']})")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["calibration", "scaling", "agreement", "variance", "temple"])
    parser.add_argument("--n", type=int, default=4096, help="size of the dense agreement")
    parser.add_argument("--no-optimum", action="store_true", help="agreement without the dense optimum")
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--regimes", nargs="*", default=list(REGIMES))
    parser.add_argument("--max-n", type=int, default=100_000)
    parser.add_argument("--min-n", type=int, default=0)
    parser.add_argument("--families", nargs="*", default=list(FAMILIES))
    parser.add_argument("--routes", nargs="*", default=list(ROUTES))
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--out", default=None, help="append the rows to this JSON-lines file")
    args = parser.parse_args()
    if args.what == "agreement":
        agreement(args.n, tuple(args.families), optimum=not args.no_optimum)
    elif args.what == "calibration":
        calibration(args.seeds, regimes=tuple(args.regimes), families=tuple(args.families))
    elif args.what == "temple":
        temple_calibration(args.seeds, args.n)
    elif args.what == "variance":
        for family in args.families:
            variance(args.n, family)
    else:
        scaling(args.max_n, tuple(args.families), tuple(args.routes), args.timeout, args.out, args.min_n)
