"""The random representation's interface contract against the dense Kronecker route (enumerated laws).

Every method the engine's callers use is checked against an independent route: the finite law's
outcomes, numpy's ``kron`` and dense linear algebra on the full ``n^2`` space. The exchangeable
families take the 2 x 2 reduction, general finite laws the dense / GMRES / Arnoldi routes.
"""

import functools

import numpy as np
import pytest

import topotheory as tt
from topotheory.engine import random as er
from topotheory.engine import resolve
from topotheory.graphs.random import RandomScheme


def mixed(n, seed):
    """A non-exchangeable finite law: ring, star and a random doubly stochastic matrix."""
    rng = np.random.default_rng(seed)
    P = [np.eye(n)[rng.permutation(n)] for _ in range(3)]
    R = sum(w * p for w, p in zip(rng.dirichlet(np.ones(3)), P))
    return RandomScheme.from_outcomes([tt.ring(n).matrix(0), tt.star(n).matrix(0), R], [0.5, 0.3, 0.2], name="mixed")


def row_law(n, seed):
    """A non-exchangeable row-stochastic law."""
    rng = np.random.default_rng(seed)
    Ws = rng.random((3, n, n)) * (rng.random((3, n, n)) < 0.5) + np.eye(n)
    return RandomScheme.from_outcomes(Ws / Ws.sum(-1, keepdims=True), [0.2, 0.3, 0.5], name="row", stochastic="row")


LAWS = [
    ("pairwise_gossip", lambda: tt.pairwise_gossip(5)),
    ("random_matching_even", lambda: tt.random_matching(6)),
    ("random_matching_odd", lambda: tt.random_matching(5)),
    ("epidemic", lambda: tt.epidemic(5, 2)),
    ("mixed_dense", lambda: mixed(5, 0)),
    ("mixed_arnoldi", lambda: mixed(7, 1)),
    ("row_dense", lambda: row_law(5, 2)),
    ("wrapped_static", lambda: RandomScheme.from_scheme(tt.uni_ring(5))),
]
IDS = [k for k, _ in LAWS]


def kron(S):
    Ws, p = S.outcomes()
    return sum(q * np.kron(W, W) for q, W in zip(p, Ws)), Ws, p


@functools.lru_cache(maxsize=None)
def reference(make):
    """``kron`` of the law ``make()`` of LAWS, enumerated once for the three contracts that use it (the laws are
    deterministic: every ``make()`` is the same law)."""
    return kron(make())


def dense_sigma(S, g, K=None):
    if K is None:
        K, _, _ = kron(S)
    n = S.n
    return np.linalg.solve(np.eye(n * n) - g * K, K @ np.eye(n).ravel()).reshape(n, n)


@pytest.mark.parametrize("make", [m for _, m in LAWS], ids=IDS)
def test_random_walk_contract(make):
    S = make()
    rep = resolve(S)
    assert rep.route == "random"
    n = S.n
    K, _, _ = reference(make)
    for g in (0.0, 0.6, 0.95):
        Sigma = dense_sigma(S, g, K)
        np.testing.assert_allclose(rep.scaled_covariance(g, 1 - g, 0), (1 - g) * Sigma, atol=1e-11)
        diag = (1 - g) * np.diag(Sigma)
        got = np.broadcast_to(rep.scaled_variances(np.array(g), np.array(1 - g), 0), diag.shape)
        np.testing.assert_allclose(got, diag, rtol=1e-10)
        assert float(rep.scaled_mean_variance(np.array(g), np.array(1 - g), 0)) == pytest.approx(diag.mean(), rel=1e-10)
        if S.stochastic == "doubly":
            assert rep.disagreement_mean(g, 0) == pytest.approx(np.trace(Sigma) / n - 1 / (n * (1 - g)), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("make", [m for _, m in LAWS], ids=IDS)
def test_spectrum_contract(make):
    S = make()
    rep = resolve(S)
    _, Ws, p = reference(make)
    J = np.full((S.n, S.n), 1.0 / S.n)
    G = sum(q * (W - J).T @ (W - J) for q, W in zip(p, Ws))  # 1 is in its kernel (W is row-stochastic)
    assert rep.product_norm() == pytest.approx(np.sqrt(np.linalg.eigvalsh(G).max()), abs=1e-12)
    with pytest.raises(ValueError, match="undefined for the random scheme"):
        rep.product_spectrum()


@pytest.mark.parametrize("make", [m for _, m in LAWS], ids=IDS)
def test_toy_contract(make):
    S = make()
    rep = resolve(S)
    K, Ws, p = reference(make)
    n = S.n
    lrs = np.array([0.05, 0.3, 0.6])
    z = 6.0
    a, beta = (1 - lrs) ** 2, (z - 1) * lrs**2
    u, its, res, conv, name = rep.perron_excess(a, beta)
    assert conv.all() and np.all(res < 1e-9)
    assert name == ("exchangeable-2x2" if S.exchangeable else "arnoldi")
    D = np.diag(np.eye(n).ravel())
    for j in range(lrs.size):
        rho = np.max(np.abs(np.linalg.eigvals(K @ (a[j] * np.eye(n * n) + beta[j] * D))))
        assert a[j] + u[j] == pytest.approx(rho, rel=1e-10)
    moments = rep.second_moments(a, beta, None)
    c = np.ones(n * n)
    for t in range(6):
        moments.step(t)
        c = K @ ((a[1] * np.eye(n * n) + beta[1] * D) @ c)
    assert moments.loss()[1] == pytest.approx(np.trace(c.reshape(n, n)) / (2 * n), rel=1e-12)


def test_gmres_route_on_a_general_law():
    S = mixed(6, 3)
    ref = [dense_sigma(S, g) for g in (0.5, 0.9)]
    old = er.DENSE_MAX_N
    try:
        er.DENSE_MAX_N = 3
        T = mixed(6, 3)
        for g, Sigma in zip((0.5, 0.9), ref):
            np.testing.assert_allclose(resolve(T).scaled_covariance(g, 1 - g, 0), (1 - g) * Sigma, atol=1e-9)
    finally:
        er.DENSE_MAX_N = old


def test_exchangeable_reduction_matches_the_general_route_at_larger_n():
    """n = 24: the 2 x 2 reduction against the same law's dense (n-1)^2 route (flag off)."""
    S = tt.epidemic(12, 3)
    general = RandomScheme(S.n, name="epidemic-general", sampler=S.sample, mean=S.mean(),
                           second_moment=S.second_moment, stochastic=S.stochastic)
    assert not general.exchangeable
    for g in (0.3, 0.99):
        assert tt.effective_neighbors(S, g) == pytest.approx(tt.effective_neighbors(general, g), rel=1e-11)
    for lr in (0.05, 0.2):
        assert tt.quadratic_rate(S, lr=lr, zeta=20) == pytest.approx(tt.quadratic_rate(general, lr=lr, zeta=20),
                                                                    rel=1e-9)
    M = tt.random_matching(12)
    gen = RandomScheme(M.n, name="rm-general", sampler=M.sample, mean=M.mean(), second_moment=M.second_moment)
    assert tt.effective_neighbors(M, 0.999) == pytest.approx(tt.effective_neighbors(gen, 0.999), rel=1e-10)
