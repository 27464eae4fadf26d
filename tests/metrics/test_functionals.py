"""Tests for topotheory.metrics.functionals, each formula against an independent route."""

import math

import numpy as np
import pytest
import sympy

from topotheory import (
    Scheme,
    chain,
    exponential_graph,
    fully_connected,
    hypercube,
    local_steps,
    one_peer_exponential,
    ring,
    solo,
    star,
    torus,
    uni_ring,
)
from topotheory.graphs.families import base_graph, erdos_renyi, one_peer_exponential_any
from topotheory.metrics.functionals import (
    consensus_distance_heterogeneous,
    consensus_distance_noise,
    koloskova_complexity,
    koloskova_mixing,
    mixing_time,
    s0_functional,
    s1_functional,
)
from topotheory.metrics.randomwalk import effective_neighbors


def _step_products(scheme, steps, phase=0):
    """Pi_k for k = 1..steps: the product W_{phase-1} ... W_{phase-k} of the k preceding matrices."""
    p = scheme.period
    P = np.eye(scheme.n)
    for k in range(1, steps + 1):
        P = P @ scheme.matrix((phase - k) % p)
        yield P


def _s1_truncated(scheme, gamma, phase=0, steps=400):
    """(1/n) sum_{k>=1} gamma^(k-1) ||Pi_k - J||_F^2 by brute-force products (independent route)."""
    n = scheme.n
    total = 0.0
    for k, P in enumerate(_step_products(scheme, steps, phase), start=1):
        total += gamma ** (k - 1) * np.sum((P - 1.0 / n) ** 2)
    return total / n


# ---------------------------------------------------------------------------- S_1 and S_0
def test_s1_closed_form_ring():
    for n in (3, 5, 8, 33):
        lam = (1 + 2 * np.cos(2 * np.pi * np.arange(1, n) / n)) / 3
        expected = np.sum(lam**2 / (1 - lam**2)) / n
        for method in ("auto", "eigen", "fourier", "lyapunov"):
            assert s1_functional(ring(n), method=method) == pytest.approx(expected, rel=1e-10)


def test_s1_grows_linearly_on_rings_while_inverse_gap_grows_quadratically():
    vals = np.array([s1_functional(ring(n)) for n in (64, 128, 256)])
    ratios = vals[1:] / vals[:-1]
    assert np.all(np.abs(ratios - 2) < 0.1)


@pytest.mark.parametrize(
    "scheme",
    [ring(6), torus(3, 4), uni_ring(7), exponential_graph(6), one_peer_exponential(8),
     one_peer_exponential_any(6), local_steps(5, 3), base_graph(6, 1), star(5)],
    ids=lambda s: s.name,
)
def test_s1_methods_agree_with_brute_force_products(scheme):
    for lr in (0.1, 0.5):
        gamma = (1 - lr) ** 2
        for phase in range(scheme.period):
            ref = _s1_truncated(scheme, gamma, phase)
            assert s1_functional(scheme, lr=lr, phase=phase) == pytest.approx(ref, rel=1e-9, abs=1e-12)
            assert s1_functional(scheme, lr=lr, phase=phase, method="lyapunov") == pytest.approx(
                ref, rel=1e-9, abs=1e-12
            )


@pytest.mark.parametrize("scheme", [ring(9), star(7), uni_ring(5), one_peer_exponential_any(5), base_graph(7, 2)],
                         ids=lambda s: s.name)
def test_s1_identity_with_effective_neighbors(scheme):
    for gamma in (0.3, 0.9, 0.99):
        lr = 1 - math.sqrt(gamma)
        nw = effective_neighbors(scheme, gamma)
        expected = (1 / nw - 1 / scheme.n) / (1 - gamma)
        assert s1_functional(scheme, lr=lr) == pytest.approx(expected, rel=1e-8)


def test_s0_against_eigenvalue_sum():
    s = erdos_renyi(12, 0.4, seed=2)
    lam = np.sort(np.linalg.eigvalsh(s.matrix(0)))[::-1][1:]
    for lr in (0.0, 0.2):
        c2 = (1 - lr) ** 2
        assert s0_functional(s, lr=lr) == pytest.approx(np.sum(1 / (1 - c2 * lam**2)) / 12, rel=1e-10)
        assert s0_functional(s, lr=lr, method="lyapunov") == pytest.approx(np.sum(1 / (1 - c2 * lam**2)) / 12, rel=1e-9)


def test_functionals_limits():
    assert s1_functional(fully_connected(9)) == pytest.approx(0.0, abs=1e-15)
    assert s0_functional(fully_connected(9)) == pytest.approx(8 / 9)
    assert s1_functional(solo(4)) == math.inf
    assert s1_functional(Scheme.from_matrix(np.array([[0.0, 1.0], [1.0, 0.0]]))) == math.inf  # bipartite
    assert s1_functional(hypercube(8), method="lyapunov") == pytest.approx(s1_functional(hypercube(8)))
    assert s1_functional(solo(4), lr=0.5) == pytest.approx(3 / 4 / (1 - 0.25))  # disconnected but corrected: finite
    assert s1_functional(solo(1)) == 0.0


# --------------------------------------------------------------- stationary consensus distance
def _iterate_noise_covariance(scheme, lr, sigma2, steps=3000):
    """Iterate the exact covariance recursion of the disagreement from zero (no Lyapunov solve)."""
    n = scheme.n
    P = np.eye(n) - 1.0 / n
    C = np.zeros((n, n))
    c = 1 - lr
    for t in range(steps * scheme.period):
        W = scheme.matrix(t % scheme.period)
        # Delta(t+1) = W(c Delta - lr P xi): covariance W (c^2 C + lr^2 sigma2 P) W^T
        C = W @ (c**2 * C + lr**2 * sigma2 * P) @ W.T
    return np.trace(C) / n


@pytest.mark.parametrize("scheme", [ring(8), star(6), one_peer_exponential_any(6), base_graph(5, 1)],
                         ids=lambda s: s.name)
def test_consensus_distance_noise_against_exact_recursion(scheme):
    lr, sigma2 = 0.3, 2.0
    assert consensus_distance_noise(scheme, lr, sigma2=sigma2) == pytest.approx(
        _iterate_noise_covariance(scheme, lr, sigma2), rel=1e-10
    )


def test_consensus_distance_noise_spectral_formula_with_L():
    n, lr, L, sigma2 = 10, 0.2, 3.0, 0.7
    lam = (1 + 2 * np.cos(2 * np.pi * np.arange(1, n) / n)) / 3
    expected = np.sum(lr**2 * sigma2 * lam**2 / (1 - lam**2 * (1 - lr * L) ** 2)) / n
    assert consensus_distance_noise(ring(n), lr, sigma2=sigma2, L=L) == pytest.approx(expected, rel=1e-12)


def test_consensus_distance_noise_monte_carlo():
    """Simulate noisy D-SGD on identical quadratics and compare the time-averaged consensus distance."""
    rng = np.random.default_rng(2024)
    s, lr, L, sigma2 = ring(8), 0.3, 1.0, 1.0
    W = s.matrix(0)
    R, burn, T = 4000, 100, 200
    b = 0.7
    x = np.zeros((8, R))
    acc = np.zeros(R)
    for t in range(burn + T):
        xi = rng.standard_normal((8, R)) * math.sqrt(sigma2)
        x = W @ (x - lr * (L * (x - b) + xi))
        if t >= burn:
            acc += np.mean((x - x.mean(axis=0)) ** 2, axis=0)
    per_replica = acc / T
    est, se = per_replica.mean(), per_replica.std(ddof=1) / math.sqrt(R)
    theory = consensus_distance_noise(s, lr, sigma2=sigma2, L=L)
    assert abs(est - theory) < 4 * se, (est, theory, se)


def test_consensus_distance_heterogeneous_routes_agree():
    rng = np.random.default_rng(0)
    s = erdos_renyi(9, 0.5, seed=4)
    B = rng.standard_normal((9, 2))
    lr, L = 0.25, 2.0
    eig = consensus_distance_heterogeneous(s, lr, B, L=L, method="eigen")
    solve = consensus_distance_heterogeneous(s, lr, B, L=L, method="lyapunov")
    # iterate the deterministic recursion to its fixed point
    X = np.zeros_like(B)
    for _ in range(3000):
        X = s.matrix(0) @ ((1 - lr * L) * X + lr * L * B)
    it = np.sum((X - X.mean(axis=0)) ** 2) / 9
    assert eig == pytest.approx(it, rel=1e-10)
    assert solve == pytest.approx(it, rel=1e-10)


def test_consensus_distance_heterogeneous_periodic_by_iteration():
    s = one_peer_exponential_any(6)
    b = np.arange(6.0)
    lr = 0.4
    for phase in range(s.period):
        X = np.zeros((6, 1))
        for t in range(phase, phase + 600 * s.period):  # ends right before step index phase
            X = s.matrix(t % s.period) @ ((1 - lr) * X + lr * b[:, None])
        it = np.sum((X - X.mean()) ** 2) / 6
        assert consensus_distance_heterogeneous(s, lr, b, phase=phase) == pytest.approx(it, rel=1e-10)


def test_heterogeneous_slowest_mode_dominates():
    # b along the slowest mode costs far more than b along the fastest mode (gap-like behaviour)
    n = 32
    lam, U = ring(n).eigh()
    slow = consensus_distance_heterogeneous(ring(n), 0.05, U[:, 1] * np.sqrt(n))
    fast = consensus_distance_heterogeneous(ring(n), 0.05, U[:, -1] * np.sqrt(n))
    assert slow > 50 * fast


def test_divergent_learning_rates_give_nan():
    assert math.isnan(consensus_distance_noise(ring(5), 2.5))
    assert math.isnan(consensus_distance_heterogeneous(ring(5), 2.0, np.ones(5)))


# -------------------------------------------------------------------------------- Koloskova
def test_koloskova_mixing_closed_forms():
    for n in (5, 16):
        lam2 = (1 + 2 * np.cos(2 * np.pi / n)) / 3
        lamn = (1 + 2 * np.cos(2 * np.pi * (n // 2) / n)) / 3
        p, tau = koloskova_mixing(ring(n))
        assert tau == 1 and p == pytest.approx(1 - max(lam2**2, lamn**2), rel=1e-12)
    assert koloskova_mixing(base_graph(11, 2)) == (pytest.approx(1.0, abs=1e-12), base_graph(11, 2).period)
    p, tau = koloskova_mixing(local_steps(6, 4))
    assert (p, tau) == (pytest.approx(1.0), 4)
    p, tau = koloskova_mixing(one_peer_exponential_any(6))
    assert tau == 3 and p == pytest.approx(1 - 3 / 64, rel=1e-12)  # ||Pi - J|| = sqrt(3)/8


def test_koloskova_complexity_against_sympy():
    sig2, z2, L, mu, eps, p, tau, n, R0, F0 = sympy.symbols("sigma2 zeta2 L mu eps p tau n R0 F0", positive=True)
    mixing = sympy.sqrt(z2) * tau + sympy.sqrt(sig2) * sympy.sqrt(p * tau)
    exprs = {
        "strongly_convex": (sig2 / (mu * n * eps), sympy.sqrt(L) * mixing / (mu * p * sympy.sqrt(eps)),
                            L * tau / (mu * p) * sympy.log(1 / eps)),
        "convex": (sig2 * R0**2 / (n * eps**2), sympy.sqrt(L) * mixing * R0**2 / (p * eps**sympy.Rational(3, 2)),
                   L * tau * R0**2 / (p * eps)),
        "nonconvex": (L * F0 * sig2 / (n * eps**2), L * F0 * mixing / (p * eps**sympy.Rational(3, 2)),
                      L * F0 * tau / (p * eps)),
    }
    s = one_peer_exponential_any(6)
    pv, tv = koloskova_mixing(s)
    vals = {sig2: 0.8, z2: 0.3, L: 2.0, mu: 0.1, eps: 1e-3, p: pv, tau: tv, n: 6, R0: 1.5, F0: 2.5}
    for setting, terms in exprs.items():
        got = koloskova_complexity(s, 1e-3, L=2.0, mu=0.1, sigma2=0.8, heterogeneity=0.3,
                                   setting=setting, R0=1.5, F0=2.5)
        for name, e in zip(("noise", "consensus", "optimization"), terms):
            assert getattr(got, name) == pytest.approx(float(e.subs(vals)), rel=1e-12), (setting, name)
        assert got.total == pytest.approx(got.noise + got.consensus + got.optimization)


def test_koloskova_complexity_topology_enters_through_tau_over_p():
    a = koloskova_complexity(ring(16), 1e-2)
    b = koloskova_complexity(fully_connected(16), 1e-2)
    assert a.noise == b.noise
    assert a.optimization / b.optimization == pytest.approx(1 / koloskova_mixing(ring(16)).p)
    zero = koloskova_complexity(solo(4), 1e-2)
    assert zero.optimization == math.inf and zero.total == math.inf


# ------------------------------------------------------------------------------ mixing time
def _mixing_time_brute(scheme, eps, limit=5000):
    n, P = scheme.n, np.eye(scheme.n)
    for t in range(1, limit + 1):
        P = scheme.matrix((t - 1) % scheme.period) @ P
        if np.linalg.norm(P - 1.0 / n, 2) <= eps:
            return t
    return math.inf


@pytest.mark.parametrize(
    "scheme",
    [ring(10), chain(7), uni_ring(6), exponential_graph(12), one_peer_exponential_any(6),
     local_steps(5, 3), base_graph(13, 2), star(6)],
    ids=lambda s: s.name,
)
def test_mixing_time_against_brute_force(scheme):
    for eps in (0.5, 1e-2, 1e-6):
        assert mixing_time(scheme, eps) == _mixing_time_brute(scheme, eps)


def test_mixing_time_non_normal_static():
    # a non-symmetric, non-circulant doubly stochastic matrix (convex combination of permutations)
    rng = np.random.default_rng(7)
    n = 6
    W = 0.4 * np.eye(n)
    for w in (0.35, 0.25):
        W += w * np.eye(n)[rng.permutation(n)]
    s = Scheme.from_matrix(W)
    for eps in (0.1, 1e-4):
        assert mixing_time(s, eps) == _mixing_time_brute(s, eps)


def test_mixing_time_edge_cases():
    assert mixing_time(solo(3)) == math.inf
    assert mixing_time(solo(1)) == 0.0
    assert mixing_time(fully_connected(5)) == 1.0
    assert mixing_time(base_graph(10, 1), 1e-9) == base_graph(10, 1).period
    assert mixing_time(ring(200), 1e-3, max_steps=10) == math.inf


# ------------------------------------------------------------------------------- bad input
def test_bad_lr_and_L():
    with pytest.raises(ValueError, match="lr must lie in"):
        s1_functional(ring(4), lr=-0.1)
    with pytest.raises(ValueError, match="lr \\* L must lie in"):
        s1_functional(ring(4), lr=1.5, L=2.0)
    with pytest.raises(ValueError, match="L must lie in"):
        s0_functional(ring(4), L=0.0)
    with pytest.raises(ValueError, match="sigma2 must lie in"):
        consensus_distance_noise(ring(4), 0.1, sigma2=-1.0)


def test_bad_method():
    with pytest.raises(ValueError, match="method must be one of"):
        s1_functional(ring(4), method="dense")
    with pytest.raises(ValueError, match="method='eigen' needs a static symmetric scheme"):
        s1_functional(uni_ring(4), method="eigen")
    with pytest.raises(ValueError, match="method='fourier' needs a circulant scheme"):
        s1_functional(star(4), method="fourier")
    with pytest.raises(ValueError, match="method='eigen' needs a static symmetric scheme"):
        consensus_distance_heterogeneous(uni_ring(4), 0.1, np.ones(4), method="eigen")


def test_bad_b_shape():
    with pytest.raises(ValueError, match="b must have shape"):
        consensus_distance_heterogeneous(ring(4), 0.1, np.ones(5))


def test_bad_scheme():
    with pytest.raises(TypeError, match="scheme must be a topotheory Scheme"):
        s1_functional({"W": np.eye(3)})
    # a gossip matrix is converted (the one rule of as_scheme): W = I is three isolated workers
    assert s1_functional(np.eye(3), lr=0.5) == s1_functional(solo(3), lr=0.5)


def test_bad_eps_and_setting():
    with pytest.raises(ValueError, match="eps must lie in"):
        mixing_time(ring(4), 1.0)
    with pytest.raises(ValueError, match="eps must lie in \\(0, 1\\) for the strongly convex"):
        koloskova_complexity(ring(4), 2.0)
    with pytest.raises(ValueError, match="setting must be one of"):
        koloskova_complexity(ring(4), 0.1, setting="concave")
    with pytest.raises(ValueError, match="p must lie in"):
        koloskova_complexity(ring(4), 0.1, p=1.5, tau=1)
