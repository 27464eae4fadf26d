"""The Kato-Temple upper bound of the toy problem's Perron root against dense routes, and its sampled variance."""

import numpy as np
import pytest

import topotheory as tt
from topotheory.engine import resolve, temple
from topotheory.engine.krylov import KrylovRepresentation
from topotheory.engine.temple import TempleBound, strata, stratified_bound

GAMMAS = (0.8, 0.95)


def dense_K(W, gammas, tol=1e-17):
    r"""``K(gamma) = sum_k gamma^(k-1) W^k o W^k`` by its series (an independent route), one per decay."""
    n = W.shape[0]
    out = [np.zeros((n, n)) for _ in gammas]
    P = np.eye(n)
    for k in range(1, 20000):
        P = P @ W
        H = P * P
        for K, g in zip(out, gammas):
            K += g ** (k - 1) * H
        if max(gammas) ** (k - 1) * H.max() < tol:
            return out
    raise AssertionError("the series did not converge")


@pytest.fixture(scope="module")
def regular():
    s = tt.random_regular(240, 6, seed=4)
    return s, dense_K(s.matrix(), GAMMAS)


def bound_of(rep, g, rules):
    T = TempleBound(rep, g, level=0.95, seed=0, exact=rules)
    lo, hi = rules.bounds([g])
    return T, T.upper(g, float(lo.mean()) / (1 - g), float(hi.mean()) / (1 - g))


def test_bound_holds_the_dense_root_and_is_tight(regular, monkeypatch):
    s, Ks = regular
    rep = KrylovRepresentation(s)
    for g, K in zip(GAMMAS, Ks):
        ev = np.linalg.eigvalsh(K)
        rules = rep.worker_rules(np.arange(s.n), g, progress=False)
        T, up = bound_of(rep, g, rules)
        assert T.available and T.certified
        assert T.alpha(g) >= ev[-2]  # the second eigenvalue's bound
        assert ev[-1] <= up < ev[-1] * (1 + 1e-3)  # holds, and far tighter than the largest row sum:
        assert K.sum(axis=1).max() > ev[-1] * (1 + 2e-2)
        assert T.top_lower(g) <= K.sum(axis=1).max() * (1 + 1e-12)
    # planted faults, each caught by the checks above: the variance dropped (the Rayleigh quotient alone
    # is a lower bound), and the tail of the second eigenvalue's bound dropped
    g, K = GAMMAS[1], Ks[1]
    ev = np.linalg.eigvalsh(K)
    rules = rep.worker_rules(np.arange(s.n), g, progress=False)
    with monkeypatch.context() as m:
        m.setattr(TempleBound, "variance", lambda self, g, centre: 0.0)
        assert bound_of(rep, g, rules)[1] < ev[-1]
    with monkeypatch.context() as m:
        m.setattr(TempleBound, "_tail", lambda self, g: 0.0)
        assert bound_of(rep, g, rules)[0].alpha(g) < ev[-2]


def test_bound_is_refused_where_it_cannot_hold(monkeypatch):
    # a cycle: lambda_* close to 1 and a smooth spectrum, the tail bound exceeds the mean variance
    T = TempleBound(KrylovRepresentation(tt.ring(400)), 0.99, level=0.95, seed=0)
    assert not T.available and "tail" in T.reason and T.upper(0.99, 1.0, 1.0) == np.inf
    # a matrix that is not stochastic (schemes refuse one: planted in the representation)
    rep = KrylovRepresentation(tt.random_regular(200, 6, seed=1))
    W, perm, pos = rep.ordered
    assert TempleBound(rep, 0.9, level=0.95, seed=0).available
    monkeypatch.setattr(KrylovRepresentation, "ordered", property(lambda self: (0.5 * W, perm, pos)))
    T = TempleBound(rep, 0.9, level=0.95, seed=0)
    assert not T.available and "stochastic" in T.reason


def test_rate_bracket_with_the_bound_holds_the_dense_rate_and_skips_the_worst_stage():
    s = tt.random_regular(1024, 6, seed=1)
    rep = KrylovRepresentation(s)
    lr, zeta = 0.4, 11.0
    a, beta = (1 - lr) ** 2, (zeta - 1) * lr**2
    u = float(resolve(s).perron_excess(np.array([a]), np.array([beta]))[0][0])
    R = rep.rate_bracketer(a / (a + u), max_probes=64, progress=False)
    u_lo, _, u_hi = R.bracket(a, beta)
    assert R.worst_skipped and R.temple is not None
    assert u_lo <= u <= u_hi and u_hi - u_lo < 2e-3 * (1 - a - u)  # within 1e-3 of the rate either side
    no = rep.rate_bracketer(a / (a + u), max_probes=64, progress=False, temple=False).bracket(a, beta)
    assert no[0] <= u <= no[2] and no[2] - no[0] > 5 * (u_hi - u_lo)  # the largest row sum's bracket


def test_sampled_variance_bound_is_calibrated(monkeypatch):
    """Coverage of the stratified one-sided bound (confidence 0.975) over 400 seeded samples."""
    n, g = 2048, 0.93
    s = tt.random_regular(n, 6, seed=3)
    rep = KrylovRepresentation(s)
    T = TempleBound(rep, g, level=0.95, seed=0)
    assert T.available and not T.certified
    rules = rep.worker_rules(np.arange(n), g, progress=False, rtol=1e-8)  # every worker: the true variance
    lo, hi = rules.bounds([g])
    sig = 0.5 * (lo[0] + hi[0]) / (1 - g)
    V, centre = sig.var(), sig.mean()
    f = np.maximum((lo[0] / (1 - g) - centre) ** 2, (hi[0] / (1 - g) - centre) ** 2)
    low = T._low(g)

    def coverage():
        hits = 0
        for seed in range(400):
            far, take, rest = strata(low, temple.TEMPLE_STRATUM, temple.TEMPLE_SAMPLE, seed)
            hits += stratified_bound(f[far], f[take], rest, n, 0.95) >= V
        return hits / 400

    assert coverage() >= 0.95
    # the class bounds the variance of its own sample (seed 0) the same way
    far, take, rest = strata(low, temple.TEMPLE_STRATUM, temple.TEMPLE_SAMPLE, 0)
    assert T.variance(g, centre) == pytest.approx(stratified_bound(f[far], f[take], rest, n, 0.95), rel=1e-6)
    # planted fault: the sample mean without its Student-t allowance covers about half the time
    monkeypatch.setattr(temple, "student_quantile", lambda level, dof: np.zeros_like(np.asarray(dof, dtype=float)))
    assert coverage() < 0.8
