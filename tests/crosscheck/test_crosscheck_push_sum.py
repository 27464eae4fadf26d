"""crosscheck on push-sum (SGP): the read-out's exact theory against simulate_push_sum, planted faults caught."""

import numpy as np
import pytest

import topotheory as tt
import topotheory.engine.random as er
from topotheory.graphs.random import RandomScheme, push_sum
from topotheory.toy.quadratic import zeta as zeta_of

from oracles import directed_push as directed


def skewed(n=6):
    """Column-stochastic, strongly uneven weights: worker 0 pushes to everyone, the others to their successor."""
    P = np.zeros((n, n))
    for j in range(n):
        outs = [(j + 1) % n] if j else list(range(1, n))
        P[j, j] = 0.5
        P[outs, j] += 0.5 / len(outs)
    return P


def edge(ps, zeta):
    """The largest stable learning rate of the read-out (bisection on the exact rate)."""
    lo, hi = 0.0, 2.0
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if np.isnan(tt.push_sum_rate(ps, lr=mid, zeta=zeta)) else (mid, hi)
    return lo


def kron_route(ps, lr, zeta, steps=None):
    """Independent dense route: vec-space matrices of z -> W~ (I - lr D^-1 G) z with numpy's kron."""
    n = ps.n
    E = np.diag(np.eye(n).ravel())

    def step(W, y):
        eta = lr / y
        U = np.diag(1 - eta)
        return np.kron(W @ U, W @ U) + (zeta - 1) * np.kron(W, W) @ np.diag(np.kron(eta, eta)) @ E

    if steps is None:
        y = ps.limit_weights
        K = np.eye(n * n)
        for t in range(ps.period):
            W = np.diag(1 / y[(t + 1) % ps.period]) @ ps.matrices[t] @ np.diag(y[t])
            K = step(W, y[t]) @ K
        return 1 - np.max(np.abs(np.linalg.eigvals(K))) ** (1 / ps.period)
    y = ps.weights(steps)
    c = np.ones(n * n)
    out = [n / (2 * n)]
    for t in range(steps):
        W = np.diag(1 / y[t + 1]) @ ps.matrices[t % ps.period] @ np.diag(y[t])
        c = step(W, y[t]) @ c
        out.append(np.trace(c.reshape(n, n)) / (2 * n))
    return np.array(out)


@pytest.mark.parametrize("mats", [skewed(), directed(6), [directed(6), directed(6, extra=2)]],
                         ids=["skewed", "directed", "periodic"])
def test_exact_theory_equals_dense_kronecker_route(mats):
    ps = push_sum(mats)
    for lr in (0.03, 0.1):
        assert abs(tt.push_sum_rate(ps, lr=lr, zeta=10) - kron_route(ps, lr, 10)) < 1e-10
        ref = kron_route(ps, lr, 10, steps=25)
        assert np.max(np.abs(tt.push_sum_loss_curve(ps, lr=lr, zeta=10, steps=25) - ref)) < 1e-13


def test_matrix_free_route_equals_dense_route(monkeypatch):
    ps = push_sum(skewed(8))
    dense = tt.push_sum_rate(ps, lr=0.05, zeta=12)
    monkeypatch.setattr(er, "DENSE_MAX_N", 4)
    assert abs(tt.push_sum_rate(ps, lr=0.05, zeta=12) - dense) < 1e-10


def test_doubly_stochastic_push_sum_is_dsgd():
    ps = push_sum(tt.ring(7))
    for lr in (0.05, 0.3):
        assert abs(tt.push_sum_rate(ps, lr=lr, zeta=9) - tt.quadratic_rate(tt.ring(7), lr=lr, zeta=9)) < 1e-12
    np.testing.assert_allclose(tt.push_sum_loss_curve(ps, lr=0.2, zeta=9, steps=30),
                               tt.loss_curve(tt.ring(7), lr=0.2, zeta=9, steps=30), rtol=1e-13, atol=0)


def test_uneven_weights_change_the_rate():
    # with y != 1 the read-out is not D-SGD on its own gossip: the per-worker steps lr / y_i matter
    ps = push_sum(skewed())
    z = zeta_of(8, 1)
    naive = tt.quadratic_rate(ps.read_out_scheme(), lr=0.18, zeta=z)
    assert tt.push_sum_rate(ps, lr=0.18, zeta=z) < 0.6 * naive  # worker 1 (y* = 0.3) steps lr / 0.3
    assert np.isnan(tt.push_sum_rate(ps, lr=0.21, zeta=z)) and not np.isnan(naive)


PANEL = [("skewed", skewed(), 0.05), ("skewed", skewed(), 0.5), ("directed", directed(6), 0.1),
         ("directed", directed(6), 0.5), ("periodic", [directed(6), directed(6, extra=2)], 0.5)]


@pytest.mark.parametrize("name,mats,frac", PANEL, ids=[f"{p[0]}-{p[2]}" for p in PANEL])
def test_crosscheck_agrees_on_a_panel(name, mats, frac):
    ps = push_sum(mats)
    z = zeta_of(8, 1)
    lr = frac * edge(ps, z) if frac > 0.2 else frac
    r = tt.crosscheck(ps, lr=lr, d=8, reps=1000, steps=60, seed=3)
    assert r.verdict == "agrees", r
    assert r.scheme == ps.name and r.period == ps.period
    assert abs(r.theory_rate - tt.push_sum_rate(ps, lr=lr, zeta=z)) < 1e-15


def test_crosscheck_near_the_stability_edge_is_never_a_false_disagreement():
    ps = push_sum(directed(6))
    lr = 0.8 * edge(ps, zeta_of(8, 1))
    r = tt.crosscheck(ps, lr=lr, d=8, reps=1000, steps=60, seed=3, adaptive=True, budget=8000)
    assert r.verdict in ("agrees", "inconclusive"), r


@pytest.mark.parametrize("fault", ["row_normalised", "unscaled_steps", "raw_models"])
def test_planted_fault_is_caught(monkeypatch, fault):
    ps = push_sum(skewed())
    z = zeta_of(8, 1)
    lr = 0.5 * edge(ps, z)
    P = skewed()
    if fault == "row_normalised":  # pull gossip with P's rows normalised, no de-biasing
        law = RandomScheme.from_outcomes([P / P.sum(axis=1, keepdims=True)], [1.0], stochastic="row")
        rate = lambda push, lr, zeta: tt.quadratic_rate(law, lr=lr, zeta=zeta)  # noqa: E731
        curve = lambda push, lr, zeta, steps, initial=None: tt.loss_curve(law, lr=lr, zeta=zeta, steps=steps)  # noqa: E731
    elif fault == "unscaled_steps":  # the read-out's gossip with the same step lr at every worker
        rate = lambda push, lr, zeta: tt.quadratic_rate(push.read_out_scheme(), lr=lr, zeta=zeta)  # noqa: E731
        curve = lambda push, lr, zeta, steps, initial=None: tt.loss_curve(  # noqa: E731
            push.read_out_scheme(steps), lr=lr, zeta=zeta, steps=steps)
    else:  # the raw models x (no division by y) under the de-biased theory's map
        real_rate, real_curve = er.push_sum_rate, er.push_sum_loss_curve
        uniform = push_sum(np.full((6, 6), 1 / 6))
        rate = lambda push, lr, zeta: real_rate(uniform, lr=lr, zeta=zeta)  # noqa: E731
        curve = lambda push, lr, zeta, steps, initial=None: real_curve(uniform, lr=lr, zeta=zeta, steps=steps)  # noqa: E731
    monkeypatch.setattr(er, "push_sum_rate", lambda push, *, lr, zeta: rate(push, lr, zeta))
    monkeypatch.setattr(er, "push_sum_loss_curve",
                        lambda push, *, lr, zeta, steps, initial=None: curve(push, lr, zeta, steps, initial))
    r = tt.crosscheck(ps, lr=lr, d=8, reps=1000, steps=60, seed=3)
    assert r.verdict == "disagrees", r


def test_bad_input():
    ps = push_sum(directed(6))
    with pytest.raises(ValueError, match="method='fixed_point' does not apply to push-sum"):
        tt.crosscheck(ps, lr=0.1, d=4, reps=10, steps=10, method="fixed_point")
    with pytest.raises(ValueError, match="threads does not apply"):
        tt.crosscheck(ps, lr=0.1, d=4, reps=10, steps=10, threads=2)
    with pytest.raises(ValueError, match="chunk_size does not apply"):
        tt.crosscheck(ps, lr=0.1, d=4, reps=10, steps=10, chunk_size=5)
    with pytest.raises(ValueError, match="lr"):
        tt.crosscheck(ps, lr=0.0, d=4, reps=10, steps=10)
    with pytest.raises(ValueError, match="random push-sum laws are not supported"):
        push_sum(tt.random_matching(4))


def test_theory_bad_input():
    ps = push_sum(directed(6))
    with pytest.raises(ValueError, match="lr must lie"):
        tt.push_sum_rate(ps, lr=-0.1, zeta=10)
    with pytest.raises(ValueError, match="zeta must lie"):
        tt.push_sum_rate(ps, lr=0.1, zeta=0.5)
    with pytest.raises(TypeError, match="push must be a PushSum"):
        tt.push_sum_rate(tt.ring(6), lr=0.1, zeta=10)
    with pytest.raises(ValueError, match="steps must be"):
        tt.push_sum_loss_curve(ps, lr=0.1, zeta=10, steps=-1)
    with pytest.raises(ValueError, match="initial must be"):
        tt.push_sum_loss_curve(ps, lr=0.1, zeta=10, steps=3, initial=np.eye(5))
