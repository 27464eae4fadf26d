"""Push-sum (SGP) on column-stochastic gossip: de-biased read-out, exact theory, simulation, errors."""

import numpy as np
import pytest

import topotheory as tt
from topotheory.graphs.random import RandomScheme, push_sum
from topotheory.toy.quadratic import zeta as zeta_of

from oracles import directed_push as directed


def test_column_stochastic_not_row_stochastic():
    P = directed(6)
    assert np.allclose(P.sum(axis=0), 1) and not np.allclose(P.sum(axis=1), 1)


@pytest.mark.parametrize("mats", [directed(6), [directed(6), directed(6, extra=2)]],
                         ids=["static", "periodic"])
def test_read_out_equals_true_average_in_simulation(mats):
    ps = push_sum(mats)
    x0 = np.random.default_rng(0).standard_normal((6, 3))
    sim = tt.simulate_push_sum(ps, lr=0.0, d=3, steps=400, reps=2, x0=x0, seed=1)
    assert np.max(sim.weighted_gap) < 1e-12  # y-weighted read-out average = true average, every step
    assert sim.readout.consensus[-1] < 1e-24  # every z_i -> the true average of x(0)
    assert sim.model_spread[-1] > 1e-3  # the un-debiased models do not reach consensus
    # and they converge to y*_i times the average (the Perron weighting)
    ystar = ps.limit_weights[400 % ps.period]
    assert abs(sim.model_spread[-1] - np.mean((ystar - 1) ** 2) * np.sum(x0.mean(axis=0) ** 2)) < 1e-10
    np.testing.assert_allclose(sim.weights[-1], ystar, atol=1e-10)


def test_read_out_matrices_are_row_stochastic_and_reproduce_the_read_out():
    ps = push_sum(directed(6))
    Wt = ps.read_out_matrices(30)
    assert np.max(np.abs(Wt.sum(axis=-1) - 1)) < 1e-13 and np.min(Wt) >= 0
    x = np.random.default_rng(2).standard_normal(6)
    y = np.ones(6)
    z = x.copy()
    for t in range(30):  # pure push-sum in (x, y) against z <- W~_t z
        x, y = ps.matrices[0] @ x, ps.matrices[0] @ y
        z = Wt[t] @ z
        assert np.max(np.abs(z - x / y)) < 1e-12
    limit = ps.read_out_scheme().mean()
    assert np.max(np.abs(Wt[-1] - limit)) < 1e-8  # the transient tends to the limit law


def dense_rate(W, lr, zeta):
    n = W.shape[0]
    a, b = (1 - lr) ** 2, (zeta - 1) * lr**2
    K = np.kron(W, W) @ (a * np.eye(n * n) + b * np.diag(np.eye(n).ravel()))
    return 1 - np.max(np.abs(np.linalg.eigvals(K)))


def test_theory_equals_dense_route():
    ps = push_sum(directed(6))
    W = ps.read_out_scheme().mean()
    for lr in (0.05, 0.2):
        assert abs(tt.quadratic_rate(ps.read_out_scheme(), lr=lr, zeta=10) - dense_rate(W, lr, 10)) < 1e-10
    # the transient's exact loss curve: dense recursion with the time-varying W~_t
    T, lr, z = 25, 0.15, 10.0
    a, b = (1 - lr) ** 2, (z - 1) * lr**2
    C = np.ones((6, 6))
    ref = [np.trace(C) / 12]
    for Wt in ps.read_out_matrices(T):
        C = Wt @ (a * C + b * np.diag(np.diag(C))) @ Wt.T
        ref.append(np.trace(C) / 12)
    assert np.max(np.abs(tt.loss_curve(ps.read_out_scheme(T), lr=lr, zeta=z, steps=T) - ref)) < 1e-14


def test_simulation_agrees_with_theory_and_a_planted_fault_is_caught():
    ps = push_sum(directed(6))
    lr, d, T = 0.2, 8, 80
    z = zeta_of(d, 1)
    sim = tt.simulate_push_sum(ps, lr=lr, d=d, steps=T, reps=1500, seed=3)
    exact = tt.loss_curve(ps.read_out_scheme(T), lr=lr, zeta=z, steps=T)
    zs = np.abs(sim.readout.loss - exact)[1:] / sim.readout.loss_sem[1:]
    assert zs.max() < 4.5  # Bonferroni over 80 steps
    est = tt.estimate_rate(sim.readout)
    theory = tt.quadratic_rate(ps.read_out_scheme(), lr=lr, zeta=z)
    assert est.ci[0] <= theory <= est.ci[1], (est, theory)
    # planted fault: pull gossip with the row-normalized P instead of the de-biased read-out
    P = directed(6)
    wrong = RandomScheme.from_outcomes([P / P.sum(axis=1, keepdims=True)], [1.0], stochastic="row")
    w = tt.quadratic_rate(wrong, lr=lr, zeta=z)
    assert not est.ci[0] <= w <= est.ci[1], (est, w)


def test_doubly_stochastic_push_sum_is_plain_dsgd():
    ps = push_sum(tt.ring(6))
    assert np.array_equal(ps.weights(5), np.ones((6, 6)))
    assert abs(tt.quadratic_rate(ps.read_out_scheme(), lr=0.1, zeta=10) - tt.quadratic_rate(tt.ring(6), lr=0.1, zeta=10)) < 1e-12


def test_bad_input():
    with pytest.raises(ValueError, match="column-stochastic"):
        push_sum(np.array([[0.5, 0.5], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="tend to 0"):
        push_sum(np.array([[1.0, 0.5], [0.0, 0.5]]))  # worker 1 is never reached
    with pytest.raises(ValueError, match="do not converge"):
        # a bipartite (periodic) digraph: eigenvalue -1, y(t) oscillates
        push_sum(np.array([[0, 1, 0, 0.5], [0.5, 0, 1, 0], [0, 0, 0, 0.5], [0.5, 0, 0, 0]]))
    with pytest.raises(ValueError, match="random push-sum"):
        push_sum(tt.random_matching(4))
    with pytest.raises(ValueError, match="push_sum"):
        RandomScheme.from_outcomes([[[0.5, 1.0], [0.5, 0.0]]], [1.0])
    with pytest.raises(TypeError, match="PushSum"):
        tt.simulate_push_sum(tt.ring(4), lr=0.1, d=2, steps=3, reps=2)
    from topotheory.engine import resolve

    with pytest.raises(ValueError, match="row-stochastic"):  # S is undefined for the read-out's law
        resolve(push_sum(directed(6)).read_out_scheme()).disagreement_mean(0.5, 0)
