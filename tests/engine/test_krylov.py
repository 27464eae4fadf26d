"""The matrix-free Krylov route against the dense eigendecomposition: gaps, n_W (mean, every worker,
worst), the toy rate's bracket, quadrature bounds, automatic choice, calibration and bad input."""

import networkx as nx
import numpy as np
import pytest
from oracles import connected_rgg as rgg
from oracles import dense_K
from scipy.optimize import brentq

import topotheory as tt
from topotheory.engine import krylov, resolve
from topotheory.engine.krylov import KRYLOV_MIN_N, KrylovRepresentation, LocalPerron, _lanczos, quadrature

GAMMAS = np.array([0.0, 0.5, 0.9, 0.99])


def ba(n, m=3, seed=1):
    return tt.Scheme.from_networkx(nx.barabasi_albert_graph(n, m, seed=seed), name=f"ba(n={n})")


#: The probe route runs for n > max_probes: the panel's graphs have N = 256 nodes and the probe tests
#: cap the probes at PROBES < N (the default 512 would sum the N certified diagonals instead).
N = 256
PROBES = 192


@pytest.fixture(scope="module")
def panel():
    """Three 256-node graphs with their dense eigendecompositions.

    The dense comparison at n = 1024-4096 and the big calibration are ``benchmarks/bench_krylov.py``.
    """
    schemes = [tt.random_regular(N, 6, seed=3), rgg(N), ba(N)]
    for s in schemes:
        s.eigh()
    return schemes


# ---------------------------------------------------------------------------------- spectral gap
def test_spectral_gaps_match_dense(panel):
    for s in panel:
        lam = s.eigh()[0]
        rep = resolve(s, "krylov")
        lam2, lamn = rep.extreme_eigenvalues()
        assert rep.eigen_residual < 1e-9
        assert lam2 == pytest.approx(lam[1], abs=1e-10) and lamn == pytest.approx(lam[-1], abs=1e-10)
        assert rep.product_norm() == pytest.approx(max(abs(lam[1]), abs(lam[-1])), abs=1e-10)


def test_spectral_gap_kinds_through_the_automatic_route():
    # a 64 x 65 grid (not circulant) with max-degree weights: W = I - L/5, eigenvalues in closed form
    s = tt.Scheme.from_networkx(nx.grid_2d_graph(64, 65), weights="max_degree")
    assert s.n > KRYLOV_MIN_N and resolve(s).route == "krylov"
    a = 2 - 2 * np.cos(np.pi * np.arange(64) / 64)
    b = 2 - 2 * np.cos(np.pi * np.arange(65) / 65)
    lam = np.sort((1 - (a[:, None] + b[None, :]) / 5).ravel())[::-1]
    lam2, lamn = resolve(s).extreme_eigenvalues()
    assert lam2 == pytest.approx(lam[1], abs=1e-10) and lamn == pytest.approx(lam[-1], abs=1e-10)
    assert tt.spectral_gap(s) == pytest.approx(1 - max(lam[1], -lam[-1]), abs=1e-10)
    assert tt.spectral_gap(s, "lambda2") == pytest.approx(1 - lam[1], abs=1e-10)
    assert tt.spectral_gap(s, "koloskova") == pytest.approx(1 - max(lam[1], -lam[-1]) ** 2, abs=1e-10)


def test_automatic_choice_and_threshold():
    grid = tt.Scheme.from_networkx(nx.grid_2d_graph(64, 64))
    assert grid.n == KRYLOV_MIN_N and resolve(grid).route == "eigen"  # n <= threshold
    assert resolve(tt.ring(KRYLOV_MIN_N + 8)).route == "fourier"  # circulant first
    assert resolve(tt.star(40), "krylov").route == "krylov"
    with pytest.raises(ValueError, match="static symmetric"):
        resolve(tt.uni_ring(8), "krylov")
    with pytest.raises(ValueError, match="static symmetric"):
        resolve(tt.one_peer_exponential(8), "krylov")


# ------------------------------------------------------------------------------------ n_W mean
def test_nw_mean_interval_covers_dense_and_meets_rtol(panel):
    for s in panel:
        dense = tt.effective_neighbors(s, GAMMAS)
        est = tt.effective_neighbors_interval(s, GAMMAS, rtol=2e-3, seed=0, deflate=32, max_probes=PROBES)
        assert est.route == "krylov" and not est.certified and est.converged and est.level == 0.95
        assert np.all(est.relative_halfwidth <= 2e-3)
        # one seeded run misses the 95 % interval with probability 5 % (the coverage over seeds is
        # test_calibration_small_panel and benchmarks/bench_krylov.py): two more standard errors each side
        assert np.all((est.lower - 2 * est.stderr <= dense) & (dense <= est.upper + 2 * est.stderr)), (s, est, dense)
        # gamma = 0 is exact: n / ||W||_F^2 from the exact trace (the control variate)
        assert est.estimate[0] == pytest.approx(s.n / np.sum(s.sparse_matrix(0).data ** 2), rel=1e-12)
        # the standard error is honest: the error is within 4 standard errors
        assert np.all(np.abs(est.estimate - dense) <= 4 * est.stderr + 1e-12 * dense)


def test_nw_mean_small_n_is_certified_and_exact():
    s = tt.star(40)
    est = tt.effective_neighbors_interval(s, GAMMAS)
    assert est.certified and est.level == 1.0
    np.testing.assert_allclose(est.estimate, tt.effective_neighbors(s, GAMMAS), rtol=1e-12)


def test_budget_stops_and_says_so():
    s = rgg(N)
    est = tt.effective_neighbors_interval(s, [0.9], rtol=1e-9, max_probes=32, deflate=0, seed=0)
    assert not est.converged and est.probes == 32 and est.deflated == 0
    assert est.relative_halfwidth[0] > 1e-9


def test_deflation_floor_bounds_the_variance_reduction():
    """Deflating D pairs removes at most 2 D g(b)^2 of Hutchinson's variance (exact, from the dense spectrum)."""
    s = tt.torus(32, 32)
    rep = KrylovRepresentation(s)
    lam, U = np.linalg.eigh(s.matrix(0))
    order = np.argsort(-np.abs(lam))
    assert lam[order[0]] == pytest.approx(1.0)
    K, b, g = rep.space(0)[2], rep.space(0)[5], 0.9
    assert b == pytest.approx(max(lam[order[1]] ** 2, lam[order[-1]] ** 2), rel=1e-9)

    def remainder(mu):
        return g**K * mu ** (K + 1) / (1 - g * mu)

    def variance(D):  # of z^T P g(W^2) P z for Rademacher z: 2 (||G||_F^2 - sum_i G_ii^2)
        keep = order[1 + D:]
        G = (U[:, keep] * remainder(lam[keep] ** 2)) @ U[:, keep].T
        return 2 * (np.sum(G**2) - np.sum(np.diag(G) ** 2))

    v0 = variance(0)
    for D in (4, 16, 64):
        assert variance(D) >= v0 - 2 * D * remainder(b) ** 2
        assert variance(D) < v0  # and it does help


def test_escalation_asks_whether_deflation_can_reach(monkeypatch):
    """No eigenpairs are computed when the floor says deflation cannot reach rtol; they are when it may."""
    import topotheory.engine.krylov as kr

    s = tt.torus(32, 32)
    seen = []

    def never(S, g, width, rtol, probes, deflate):
        seen.append((deflate, float(np.max(width))))
        return False

    monkeypatch.setattr(kr, "deflation_can_reach", never)
    est = resolve(s, "krylov").nw_mean([0.9], rtol=1e-5, max_probes=64, seed=0)
    assert est.deflated == 0 and not est.converged and seen and seen[0][0] == 1024 // 8 - 3
    assert seen[0][1] == pytest.approx(est.relative_halfwidth[0], rel=0.5)
    monkeypatch.setattr(kr, "deflation_can_reach", lambda *a: True)
    s.clear_cache()
    assert resolve(s, "krylov").nw_mean([0.9], rtol=1e-5, max_probes=64, seed=0).deflated > 0


def test_worker_numbering_does_not_matter():
    """The hot paths run on W renumbered for locality: per-worker values follow the workers, the rest is invariant."""
    s = ba(300)
    perm = np.random.default_rng(0).permutation(300)
    t = tt.Scheme.from_matrix(s.matrix(0)[perm][:, perm])  # worker j of t is worker perm[j] of s
    rs, rt = resolve(s, "krylov"), resolve(t, "krylov")
    Wo, order, pos = rs.ordered
    assert np.array_equal(np.sort(order), np.arange(300)) and np.array_equal(order[pos], np.arange(300))
    np.testing.assert_allclose(Wo.toarray(), s.matrix(0)[order][:, order])
    np.testing.assert_allclose(rt.extreme_eigenvalues(), rs.extreme_eigenvalues(), atol=1e-10)
    np.testing.assert_allclose(rt.crude_variance_bounds([0.9])[1], rs.crude_variance_bounds([0.9])[1][:, perm], rtol=1e-10)
    a = rt.nw_workers([0.9], np.arange(10))
    b = rs.nw_workers([0.9], perm[:10])
    np.testing.assert_allclose(a.estimate, b.estimate, rtol=1e-9)
    dense = tt.effective_neighbors(s, 0.9, mode="all")[perm[:10]]
    assert np.all((a.lower[0] <= dense * (1 + 1e-9)) & (dense <= a.upper[0] * (1 + 1e-9)))
    w_t, w_s = rt.worst_variance([0.9])[2], rs.worst_variance([0.9])[2]
    assert perm[w_t[0]] == w_s[0]


def test_budget_spent_before_any_probe_still_gives_an_interval(monkeypatch):
    """A budget spent before the first block (here by the deflation) still draws one block, flagged."""
    import topotheory.engine.krylov as kr

    s = rgg(N)
    rep = resolve(s, "krylov")
    clock = iter(np.arange(0.0, 1e6, 10.0))  # every reading of the clock is 10 s later
    monkeypatch.setattr(kr.time, "perf_counter", lambda: float(next(clock)))
    est = rep.nw_mean([0.9], rtol=1e-9, max_probes=64, time_budget=5.0, seed=0)
    assert not est.converged and est.probes == 16 and np.all(est.lower < est.upper)
    dense = tt.effective_neighbors(s, 0.9)
    assert est.lower[0] <= dense <= est.upper[0]


def test_calibration_small_panel(panel):
    """Coverage of the 95 % interval over seeded runs of the two-stage rule (pilot of 16 probes, then a
    pilot-independent second stage).

    The interval at level 0.5 (a planted fault: too narrow by a factor ~3) must be caught by the
    same check. The big calibration (panel at n = 1024, >= 200 seeds, Wilson interval) is
    ``benchmarks/bench_krylov.py calibration``.
    """
    s = panel[1]
    g = np.array([0.9, 0.99])
    dense = tt.effective_neighbors(s, g)
    rep = resolve(s, "krylov")
    n = s.n
    hits, narrow = [], []
    probes = []
    for seed in range(100):
        S, _ = rep.trace_sampler(g, seed=seed, rtol=4e-3, min_probes=16, block=16, max_probes=PROBES, deflate=16)
        probes.append(S.probes)
        for level, out in ((0.95, hits), (0.5, narrow)):
            _, _, lo, hi, _ = S.interval(g, level)
            nw_lo, nw_hi = 1 / (1 / n + (1 - g) * hi / n), 1 / (1 / n + (1 - g) * lo / n)
            out.append((nw_lo <= dense) & (dense <= nw_hi))
    assert np.ptp(probes) > 0 and np.mean(probes) < PROBES  # the second stage's size came from the pilot
    assert np.mean(hits) >= 0.9  # P(fewer than 90 of 100 | coverage 0.95) = 2.8 %
    assert np.mean(narrow) < 0.8


def test_planted_fault_is_caught(panel):
    """A wrong spectrum end (Radau node below the spectrum) or a missing deflated pair breaks coverage."""
    s = panel[1]
    dense = tt.effective_neighbors(s, [0.99])
    rep = resolve(s, "krylov")
    # at level 1 - 1e-4 a healthy run covers (the fault's bias is far larger than that interval)
    est = rep.nw_mean([0.99], seed=0, rtol=2e-4, level=0.9999, deflate=32, max_probes=PROBES)
    assert est.lower[0] <= dense[0] <= est.upper[0]
    broken = KrylovRepresentation(s)
    # drop the slowest pair from the exact part but keep it projected out: the trace misses h(lambda_2^2)
    original = rep.space

    def space(deflate):
        out = list(original(deflate))
        out[0] = out[0][1:]
        return tuple(out)

    broken.space = space
    bad = broken.nw_mean([0.99], seed=0, rtol=2e-4, level=0.9999, deflate=32, max_probes=PROBES)
    assert not (bad.lower[0] <= dense[0] <= bad.upper[0])


# ------------------------------------------------------------------------- quadrature bounds
def test_gauss_and_radau_bracket_and_fault():
    rng = np.random.default_rng(0)
    mu = rng.uniform(0, 0.95, 200)
    A = np.diag(mu)
    V = rng.choice([-1.0, 1.0], size=(200, 5))
    f = lambda m: m / (1 - 0.99 * m)  # noqa: E731
    exact = np.sum(V**2 * f(mu)[:, None], axis=0)
    for steps in (2, 5, 10):
        lo, hi = quadrature(*_lanczos(lambda X: A @ X, V, steps), mu.max()).bounds(f)
        assert np.all(lo <= exact) and np.all(exact <= hi)
    lo, hi = quadrature(*_lanczos(lambda X: A @ X, V, 40), mu.max()).bounds(f)
    np.testing.assert_allclose(lo, exact, rtol=1e-12)
    np.testing.assert_allclose(hi, exact, rtol=1e-12)
    # planted fault: the Radau node below the spectrum's end no longer bounds from above
    lo, hi = quadrature(*_lanczos(lambda X: A @ X, V, 3), 0.5).bounds(f)
    assert np.any(hi < exact)


# ------------------------------------------------------------------------ per worker and worst
def test_worker_brackets_are_certified(panel):
    for s in panel:
        allw = tt.effective_neighbors(s, GAMMAS[1:], mode="all")
        workers = np.array([0, 1, 17, s.n - 1])
        est = tt.effective_neighbors_interval(s, GAMMAS[1:], mode="all", workers=workers)
        assert est.certified and est.estimate.shape == (3, 4)
        ref = allw[:, workers]
        assert np.all((est.lower <= ref * (1 + 1e-12)) & (ref <= est.upper * (1 + 1e-12)))
        assert np.all(est.upper - est.lower <= 1e-8 * est.estimate)


def test_crude_bounds_hold_for_every_worker():
    s = ba(N)
    g = np.array([0.5, 0.9, 0.99])
    rep = resolve(s, "krylov")
    lo, hi = rep.crude_variance_bounds(g)
    ref = 1.0 / tt.effective_neighbors(s, g, mode="all")
    assert np.all(lo <= ref * (1 + 1e-12)) and np.all(ref <= hi * (1 + 1e-12))


def test_worst_worker_certified(panel):
    s = panel[2]  # Barabasi-Albert: the leaves are the worst
    g = np.array([0.5, 0.9])
    ref = tt.effective_neighbors(s, g, mode="worst")
    est = tt.effective_neighbors_interval(s, g, mode="worst")
    assert est.certified and np.all((est.lower <= ref * (1 + 1e-12)) & (ref <= est.upper * (1 + 1e-12)))
    assert np.all(est.upper - est.lower <= 1e-6 * est.estimate)


# --------------------------------------------------------------------------------- toy problem
def test_toy_rate_bracket_contains_the_exact_rate():
    s = ba(80, 2, seed=4)
    for lr in (0.05, 0.15):
        exact = tt.quadratic_rate(s, lr=lr, zeta=11.0)
        est = tt.quadratic_rate_interval(s, lr=lr, zeta=11.0)
        assert est.lower[0] <= exact <= est.upper[0]
        assert est.upper[0] - est.lower[0] < 1.0 * exact  # as wide as the spread of the variances
    # walk-regular (vertex transitive): the bracket closes on the exact rate
    s = tt.hypercube(64)
    est = tt.quadratic_rate_interval(s, lr=0.2, zeta=11.0)
    assert est.estimate[0] == pytest.approx(tt.quadratic_rate(s, lr=0.2, zeta=11.0), rel=1e-10)


def test_toy_rate_bracket_large_n_uses_probes():
    s = tt.random_regular(N, 6, seed=3)
    est = tt.quadratic_rate_interval(s, lr=0.2, zeta=11.0, max_probes=64, deflate=32)
    lam = s.eigh()[0]
    # the secular root (mean variance) from the dense spectrum is the bracket's upper end, to the trace's error
    a, beta = 0.8**2, 10 * 0.2**2
    rho = brentq(lambda r: 1 - beta / s.n * np.sum(lam**2 / (r - a * lam**2)), a * 1.0000001, a + beta)
    assert est.lower[0] <= 1 - rho <= est.upper[0] * (1 + 1e-9)
    assert est.upper[0] - est.lower[0] < 0.02 * (1 - rho)


def test_optimum_interval_contains_the_dense_optimum():
    s = tt.random_regular(60, 4, seed=0)
    opt = tt.optimal_learning_rate_interval(s, zeta=11.0)
    ref = tt.optimal_learning_rate(s, zeta=11.0)
    assert opt.route == "krylov" and opt.rate_lower <= ref.rate <= opt.rate_upper
    assert abs(opt.lr - ref.lr) < 0.02
    assert set(opt.to_dict()) >= {"lr", "rate", "rate_lower", "rate_upper", "route", "seconds"}


def test_local_perron_brackets_the_dense_perron_root(panel):
    # random geometric and Barabasi-Albert: variances spread, Perron vector localised
    for s, g in zip(panel[1:], (0.97, 0.9)):
        K = dense_K(s, g)
        sig, lam = K.sum(axis=1), np.linalg.eigvalsh(K)[-1]
        S = np.argsort(-sig)[:48]
        out = np.delete(sig, S).max() * (1 + 1e-12)
        L = LocalPerron(resolve(s, "krylov"), S, g)
        lo, hi = L.bounds(g, sig[S] * (1 + 1e-12), out)
        assert lo <= lam <= hi
        assert hi - lo < 0.01 * lam < 0.1 * (sig.max() - sig.mean())  # far inside [mean, max] of the row sums
        # confined to a small neighbourhood: the walks lose mass, the bracket widens but still holds
        small = LocalPerron(resolve(s, "krylov"), S, g, region=60)
        assert small.region < s.n
        lo2, hi2 = small.bounds(g, sig[S] * (1 + 1e-12), out)
        assert lo2 <= lo and lo2 <= lam <= hi2
        # planted fault: the escaped mass and the tail left out -> the upper bound falls below the root
        small.up, small.mx, small.M = small.lo.copy(), 0 * small.mx, 0 * small.M
        assert small.bounds(g, sig[S], out)[1] < lam


def test_local_bracket_narrows_the_toy_rate_on_irregular_graphs(monkeypatch):
    monkeypatch.setattr(krylov, "LOCAL_SIZE", 40)
    s = rgg(160)
    rep = resolve(s, "krylov")
    lr, zeta = 0.15, 11.0
    exact = tt.quadratic_rate(s, lr=lr, zeta=zeta)
    a, beta = (1 - lr) ** 2, (zeta - 1) * lr**2
    opts = dict(max_probes=64, seed=0, rtol=1e-5, progress=False)  # the probe route (n > max_probes)
    old = rep.rate_bracket(a, beta, local=False, **opts)
    new = rep.rate_bracket(a, beta, **opts)
    widths = []
    for u_lo, _, u_hi in (old, new):
        r_lo, r_hi = 1 - a - u_hi, 1 - a - u_lo
        assert r_lo <= exact <= r_hi
        widths.append((r_hi - r_lo) / exact)
    assert widths[0] > 0.05 and widths[1] < 0.1 * widths[0]  # the mean/worst bracket against the local one
    assert abs((1 - a - new[1]) / exact - 1) < 0.005


def test_local_perron_refuses_bad_input():
    rep = resolve(tt.star(40), "krylov")
    with pytest.raises(ValueError, match="workers"):
        LocalPerron(rep, [1, 1, 2], 0.9)
    with pytest.raises(ValueError, match="workers"):
        LocalPerron(rep, [40], 0.9)
    with pytest.raises(ValueError, match="gamma"):
        LocalPerron(rep, [1, 2], 1.0)


def test_heterogeneous_distance_matches_dense():
    s = ba(120)
    B = np.random.default_rng(1).standard_normal((s.n, 3))
    got = resolve(s, "krylov").heterogeneous_distance(0.8, 0.2, B, 0)
    ref = resolve(s, "eigen").heterogeneous_distance(0.8, 0.2, B, 0)
    assert got == pytest.approx(ref, rel=1e-9)


# ----------------------------------------------------------------------------------- bad input
def test_bad_input_is_refused():
    s = tt.star(40)
    with pytest.raises(ValueError, match="gamma"):
        tt.effective_neighbors_interval(s, 1.0)
    with pytest.raises(ValueError, match="gamma"):
        tt.effective_neighbors_interval(s, [-0.1])
    with pytest.raises(ValueError, match="workers"):
        tt.effective_neighbors_interval(s, 0.5, mode="all", workers=[40])
    with pytest.raises(ValueError, match="mode"):
        tt.effective_neighbors_interval(s, 0.5, mode="median")
    with pytest.raises(ValueError, match="rtol"):
        tt.effective_neighbors_interval(rgg(N), 0.5, rtol=0.0, max_probes=PROBES)
    with pytest.raises(ValueError, match="lr"):
        tt.quadratic_rate_interval(s, lr=0.0, zeta=3.0)
    rep = resolve(s, "krylov")
    with pytest.raises(ValueError, match="dense"):
        rep.scaled_covariance(0.5, 0.5, 0)
    with pytest.raises(ValueError, match="krylov"):
        rep.product_spectrum()


def test_result_type():
    est = tt.effective_neighbors_interval(tt.star(40), [0.5, 0.9])
    assert isinstance(est, tt.KrylovEstimate)
    d = est.to_dict()
    assert d["route"] == "krylov" and len(d["estimate"]) == 2 and d["certified"] is True


# ------------------------------------------------------------------------------------- probing
def _hops(s):
    from scipy.sparse.csgraph import shortest_path

    A = s.sparse_matrix(0).copy()
    A.setdiag(0)
    A.eliminate_zeros()
    A.indices, A.indptr = A.indices.astype(np.intc), A.indptr.astype(np.intc)  # scipy < 1.15: 32-bit only
    return shortest_path(A, unweighted=True, directed=False)


def test_distance_colouring_is_proper_and_greedy():
    from topotheory.engine.krylov import distance_colouring

    s = rgg(N)
    hops = _hops(s)
    for d in (1, 2, 3):
        c = distance_colouring(s.sparse_matrix(0), d)
        same = (c[:, None] == c[None, :]) & ~np.eye(N, dtype=bool)
        assert np.all(hops[same] > d)  # one colour: more than d hops apart
        near = (hops <= d) & ~np.eye(N, dtype=bool)
        for i in range(N):  # greedy: every smaller colour is taken by a worker within d hops
            assert set(range(c[i])) <= set(c[near[i]].tolist())
    # the representation's colouring follows the workers, whatever their numbering
    rep = resolve(s, "krylov")
    pos = rep.ordered[2]
    assert np.all(hops[(rep.colouring(2)[pos][:, None] == rep.colouring(2)[pos][None, :]) & ~np.eye(N, dtype=bool)] > 2)
    with pytest.raises(ValueError, match="distance"):
        distance_colouring(s.sparse_matrix(0), 0)
    with pytest.raises(ValueError, match="probing"):
        rep.nw_mean([0.9], probing=-1, max_probes=PROBES)


def test_probing_variance_is_that_of_distant_pairs_and_below_hutchinson():
    """A pass's variance is 2 sum over same-colour pairs of A_ij^2 (A the remainder, dense), far below plain
    Hutchinson's 2 sum_{i != j} A_ij^2 per probe on a geometric graph; ignoring the colouring is caught."""
    import topotheory.engine.krylov as kr

    s = rgg(N)
    g = 0.5
    rep = KrylovRepresentation(s)
    Wo = rep.ordered[0].toarray()
    lam, U = np.linalg.eigh(Wo)
    keep = np.abs(lam - 1) > 1e-9
    K = rep.space(0)[2]
    mu = lam[keep] ** 2
    A = (U[:, keep] * (g**K * mu ** (K + 1) / (1 - g * mu))) @ U[:, keep].T
    off = A**2
    np.fill_diagonal(off, 0.0)
    plain = 2 * off.sum()

    def measured(sampler):
        sampler.add(40, 24)
        lo, hi = sampler.samples(np.array([g]))
        assert np.max(hi - lo) < 1e-10 * np.abs(lo).max()  # quadrature exact: the spread is the probes'
        return float(np.var(0.5 * (lo + hi)[0], ddof=1))

    S = kr.TraceSampler(rep, 0, 0, probing=3)
    c, C = S.colours, S.unit
    exact = 2 * off[c[:, None] == c[None, :]].sum()
    assert exact < 0.3 * plain / C  # pairs within 3 hops carry most of the off-diagonal mass
    v = measured(S)
    assert 0.5 * exact < v < 2.0 * exact  # 40 passes: the chi-square spread is well inside
    # planted fault: the same number of colours drawn at random (the distance ignored)
    broken = KrylovRepresentation(s)
    broken.colouring = lambda d: np.random.default_rng(1).permutation(np.arange(N) % C)
    assert measured(kr.TraceSampler(broken, 0, 0, probing=3)) > 2.0 * exact


def test_probing_interval_covers_dense_and_is_calibrated(panel):
    s = panel[1]
    g = np.array([0.5, 0.9, 0.99])
    dense = tt.effective_neighbors(s, g)
    rep = resolve(s, "krylov")
    C = int(rep.colouring(2).max()) + 1
    est = tt.effective_neighbors_interval(s, g, rtol=4e-3, seed=0, probing=2, deflate=16, max_probes=PROBES)
    assert est.converged and np.all(est.relative_halfwidth <= 4e-3) and est.probes % C == 0
    assert np.all((est.lower - 2 * est.stderr <= dense) & (dense <= est.upper + 2 * est.stderr))
    # coverage over seeds of a fixed-size sample (three passes: the Welch-Satterthwaite interval)
    hits = []
    for seed in range(60):
        e = rep.nw_mean(g, seed=seed, rtol=1e-12, probing=2, deflate=16, min_probes=3 * C, max_probes=3 * C)
        assert e.probes == 3 * C
        hits.append((e.lower <= dense) & (dense <= e.upper))
    assert np.mean(hits) >= 0.88  # P(below 0.88 | coverage 0.95) < 1 % for 180 (correlated) intervals


def test_second_stage_runs_the_shortest_sufficient_prefix():
    import topotheory.engine.krylov as kr

    s = rgg(N)
    rep = resolve(s, "krylov")
    g = np.array([0.99])
    S = kr.TraceSampler(rep, 0, 0)
    S.add(16, 200)
    est, _, _, _, _ = S.interval(g, 0.95)
    scale = 1 / (1 - g) + est
    m = S.shortest_steps(g, scale, 1e-5)
    assert 8 <= m < 200

    def gap(steps):
        rules = [quadrature(al[:, :steps], be[:, :steps], nn, S.b) for al, be, nn in S.tridiagonals]
        lo, hi = S._forms(g, rules)
        return float(np.mean(hi - lo) / scale[0])

    assert gap(m) <= 1e-5 < gap(int(m * 0.8))
    e = rep.nw_mean(g, seed=0, rtol=1e-3, max_probes=PROBES, deflate=0)
    assert e.steps < kr._steps_for(0.99, S.b, 8)
    assert e.lower[0] <= tt.effective_neighbors(s, 0.99) <= e.upper[0]


def test_deflation_abandoned_at_its_deadline_caches_nothing():
    """An eigensolve past its deadline returns None and leaves no cache entry; without one it runs (the
    trace estimator's escalation within a time budget relies on this)."""
    import time

    rep = KrylovRepresentation(tt.random_regular(600, 4, seed=3))
    assert rep.deflation(8, deadline=time.perf_counter() - 1.0) is None
    assert not rep.scheme.has_cached(("engine:krylov:deflation", 8))
    lam, V, res = rep.deflation(8, deadline=time.perf_counter() + 600.0)
    dense = np.linalg.eigvalsh(rep.scheme.matrix(0) - 1.0 / 600)
    top = dense[np.argsort(-np.abs(dense))[:8]]
    assert np.allclose(np.sort(lam), np.sort(top), atol=1e-10) and np.max(res) < 1e-8
    assert rep.deflation(8, deadline=time.perf_counter() - 1.0)[0] is lam  # once cached, no deadline matters
