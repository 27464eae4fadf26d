"""The warm-started Perron pair of the n-dimensional reduction (static symmetric W, matrix-free)."""

import numpy as np
import pytest

from oracles import kronecker_rho
import topotheory as tt
from topotheory.engine import eigen, resolve

ZETA = 30.0


def _coefficients(lr):
    return (1 - lr) ** 2, (ZETA - 1) * lr**2


def test_gram_and_operator_against_the_dense_stein_solution():
    """(K x)_i = (beta/rho) diag X, X = gamma W X W + W Diag(x) W, solved densely (Kronecker)."""
    scheme = tt.erdos_renyi(9, 0.4, seed=2)
    W = scheme.matrix(0)
    n = W.shape[0]
    E = resolve(scheme)._data()
    Q = E["Q"]
    x = np.random.default_rng(0).normal(size=n)  # both signs: the two rank-k updates
    np.testing.assert_allclose(eigen._gram(Q, x), Q.T @ np.diag(x) @ Q, atol=1e-14)
    a, beta = _coefficients(0.1)
    u = 0.05
    rho = a + u
    H = beta * E["LL"] / (u + a * E["oneLL"])
    Kx = eigen._reduced_apply(np.asfortranarray(Q), H, eigen._gram(Q, x))
    gamma = a / rho
    X = np.linalg.solve(np.eye(n * n) - gamma * np.kron(W, W), (W @ np.diag(x) @ W.T).ravel()).reshape(n, n)
    np.testing.assert_allclose(Kx, beta / rho * np.diag(X), rtol=1e-12, atol=1e-15)


def test_rayleigh_functional_is_a_lower_bound_exact_at_the_perron_vector():
    scheme = tt.star(7)
    E = resolve(scheme)._data()
    Q, LL, oneLL = E["Q"], E["LL"], E["oneLL"]
    a, beta = _coefficients(0.08)
    u_star = kronecker_rho(scheme, 0.08, ZETA) - a

    def functional(v):
        v = v / np.linalg.norm(v)
        Y = eigen._gram(Q, v)
        return eigen._rayleigh_functional(beta * LL * Y * Y, oneLL, a, beta, 0.0, beta, u_star / 2)

    H = beta * LL / (u_star + a * oneLL)
    K = np.column_stack([eigen._reduced_apply(np.asfortranarray(Q), H, eigen._gram(Q, e)) for e in np.eye(7)])
    w, V = np.linalg.eigh(K)
    assert w[-1] == pytest.approx(1.0, rel=1e-12)  # the dense K at the root has Perron root 1
    assert functional(np.abs(V[:, -1])) == pytest.approx(u_star, rel=1e-12)
    for v in (np.ones(7), np.arange(1.0, 8.0), np.abs(V[:, -1]) + 0.1):
        assert functional(v) < u_star * (1 - 1e-6)


@pytest.mark.parametrize("make", [lambda: tt.erdos_renyi(13, 0.3, seed=1), lambda: tt.star(11),
                                  lambda: tt.binary_tree(15)], ids=["erdos_renyi13", "star11", "binary_tree15"])
def test_warm_route_against_the_kronecker_matrix(monkeypatch, make):
    """Matrix-free warm route forced on small irregular graphs: rho to 1e-12 of the n^2 x n^2 matrix."""
    monkeypatch.setattr(eigen, "EXPLICIT_K_MAX_N", 4)

    def no_fallback(*args, **kwargs):
        raise AssertionError("the warm-started route should not need ARPACK here")

    monkeypatch.setattr(eigen, "_newton_matrix_free", no_fallback)
    scheme = make()
    lrs = np.array([0.01, 0.05, 0.12])
    res = tt.quadratic_rate(scheme, lr=lrs, zeta=ZETA, log=True)
    assert res.route == "eigen-reduction" and np.all(res.converged)
    np.testing.assert_allclose(res.spectral_radius, [kronecker_rho(scheme, lr, ZETA) for lr in lrs], rtol=1e-12)


def test_warm_start_history_does_not_change_the_rate():
    """Cold (fresh scheme) and after other learning rates (warm start from their Perron vectors)."""
    make = lambda: tt.erdos_renyi(80, 0.08, seed=3)  # noqa: E731
    scheme = make()
    assert scheme.n > eigen.EXPLICIT_K_MAX_N
    tt.quadratic_rate(scheme, lr=[0.02, 0.2, 0.07], zeta=ZETA)
    warm = tt.quadratic_rate(scheme, lr=0.1, zeta=ZETA)
    cold = tt.quadratic_rate(make(), lr=0.1, zeta=ZETA)
    assert warm == pytest.approx(cold, rel=1e-12)


def test_arpack_takes_over_when_the_budget_is_spent(monkeypatch):
    """A planted failure of the warm route (no budget): the restarted-Lanczos route gives the same rates."""
    scheme = tt.erdos_renyi(70, 0.1, seed=4)
    lrs = np.array([0.03, 0.09])
    fast = tt.quadratic_rate(scheme, lr=lrs, zeta=ZETA)
    calls = []
    orig = eigen._newton_matrix_free
    monkeypatch.setattr(eigen, "_WARM_BUDGET", -1)
    monkeypatch.setattr(eigen, "_newton_matrix_free", lambda *a: calls.append(1) or orig(*a))
    slow = tt.quadratic_rate(tt.erdos_renyi(70, 0.1, seed=4), lr=lrs, zeta=ZETA)
    assert len(calls) == 2
    np.testing.assert_allclose(fast, slow, rtol=1e-11)


def test_optimum_of_the_warm_route_equals_the_restarted_lanczos_one(monkeypatch):
    """n = 70 irregular graph: the warm search in the learning rate against the former route (ARPACK
    at every lr) to 1e-9. Both searches in the learning rate: the Perron curve (the optimum in the
    decay, tests/toy/test_optimum_in_the_decay.py) is switched off here, or the monkeypatch below
    would not reach either call."""
    monkeypatch.setattr(eigen.EigenRepresentation, "perron_curve", lambda self: None)
    fast = tt.optimal_learning_rate(tt.erdos_renyi(70, 0.08, seed=5), zeta=50.0)
    monkeypatch.setattr(eigen, "_WARM_BUDGET", -1)
    slow = tt.optimal_learning_rate(tt.erdos_renyi(70, 0.08, seed=5), zeta=50.0)
    assert fast.lr == pytest.approx(slow.lr, rel=1e-9)
    assert fast.rate == pytest.approx(slow.rate, rel=1e-12)


def test_blas_threads_limited_inside_and_restored_after():
    """The matrix-free route runs single-threaded BLAS and leaves the caller's setting as it was."""
    from threadpoolctl import threadpool_info

    before = [(p["internal_api"], p["num_threads"]) for p in threadpool_info() if p["user_api"] == "blas"]
    seen = []
    orig = eigen._reduced_apply

    def spy(*args):
        seen.append([p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"])
        return orig(*args)

    import unittest.mock

    with unittest.mock.patch.object(eigen, "_reduced_apply", spy):
        tt.quadratic_rate(tt.erdos_renyi(70, 0.1, seed=6), lr=0.05, zeta=ZETA)
    assert seen and all(all(k == 1 for k in threads) for threads in seen)
    after = [(p["internal_api"], p["num_threads"]) for p in threadpool_info() if p["user_api"] == "blas"]
    assert after == before


def test_kept_subspace_is_bounded_and_orthonormal():
    """Across many learning rates the kept basis stays within its size and orthonormal to rounding."""
    scheme = tt.erdos_renyi(90, 0.07, seed=7)
    tt.quadratic_rate(scheme, lr=np.linspace(0.01, 0.2, 12), zeta=ZETA)
    B = resolve(scheme)._data()["perron_basis"]
    V = B["V"][: B["k"]]
    assert 1 <= B["k"] <= eigen._subspace_size(scheme.n)
    np.testing.assert_allclose(V @ V.T, np.eye(B["k"]), atol=1e-12)
    Q = resolve(scheme)._data()["Q"]
    Y = eigen._combined_gram(B, np.eye(B["k"])[-1])  # the kept Gram triangle of the last vector
    np.testing.assert_allclose(Y, Q.T @ np.diag(V[-1]) @ Q, atol=1e-13)
