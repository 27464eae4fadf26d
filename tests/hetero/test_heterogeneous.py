import numpy as np
import pytest
import scipy.optimize as sopt

import topotheory as tt
from topotheory.hetero.problems import HESSIAN_STRUCTURES, PARTITIONS


# ------------------------------------------------------------------------------ quadratics
@pytest.mark.parametrize("structure", HESSIAN_STRUCTURES)
def test_random_quadratic_structure_range_and_spread_zero(structure):
    p = tt.random_quadratic(5, 4, hessian_spread=0.6, structure=structure, seed=3)
    assert p.structure == structure
    eig = np.linalg.eigvalsh(p.hessians)
    assert eig.min() >= 0.05 - 1e-12 and eig.max() <= 2.0 + 1e-12
    if structure != "dense":  # the stored eigen-representation reproduces the Hessians
        U = np.eye(4) if p.basis is None else p.basis
        np.testing.assert_allclose(np.einsum("ak,ik,bk->iab", U, p.eigenvalues, U), p.hessians, atol=1e-12)
    same = tt.random_quadratic(5, 4, hessian_spread=0.0, structure=structure, seed=3)
    np.testing.assert_allclose(same.hessians, same.hessians[:1].repeat(5, axis=0), atol=1e-12)
    again = tt.random_quadratic(5, 4, hessian_spread=0.6, structure=structure, seed=3)
    np.testing.assert_array_equal(again.hessians, p.hessians)
    np.testing.assert_array_equal(again.optima, p.optima)


def test_optima_spread_knob_is_separate():
    a = tt.random_quadratic(6, 3, optima_spread=0.0, hessian_spread=0.5, seed=1)
    np.testing.assert_allclose(a.optima, a.optima[:1].repeat(6, axis=0))
    np.testing.assert_allclose(a.x_star, a.optima[0])  # common optimum: x* is it, whatever the Hessians
    b = tt.random_quadratic(6, 3, optima_spread=2.0, hessian_spread=0.5, seed=1)
    np.testing.assert_array_equal(a.hessians, b.hessians)
    assert np.std(b.optima, axis=0).mean() > 0.5


@pytest.mark.parametrize("structure", HESSIAN_STRUCTURES)
def test_x_star_and_excess_loss_against_numerical_minimisation(structure):
    p = tt.random_quadratic(4, 3, hessian_spread=0.8, structure=structure, seed=2)
    f = lambda x: p.local_losses(x).mean()  # noqa: E731
    res = sopt.minimize(f, np.zeros(3), method="BFGS", options={"gtol": 1e-12})
    np.testing.assert_allclose(res.x, p.x_star, atol=1e-6)
    assert abs(p.f_star - res.fun) < 1e-10
    x = np.array([0.3, -1.0, 2.0])
    assert abs(p.excess_loss(x) - (f(x) - p.f_star)) < 1e-12
    # gradients: finite differences of the local losses
    X = np.random.default_rng(0).standard_normal((4, 3))
    h = 1e-6
    fd = np.stack([[(p.local_losses(X[i] + h * e)[i] - p.local_losses(X[i] - h * e)[i]) / (2 * h)
                    for e in np.eye(3)] for i in range(4)])
    np.testing.assert_allclose(p.gradients(X), fd, atol=1e-6)


def test_commuting_detection_of_user_matrices():
    rng = np.random.default_rng(0)
    U, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    lam = rng.uniform(0.5, 2.0, (2, 3))
    p = tt.HeterogeneousQuadratic(np.einsum("ak,ik,bk->iab", U, lam, U), np.zeros((2, 3)))
    assert p.structure == "commuting"
    q = tt.HeterogeneousQuadratic(np.stack([np.diag(l) for l in lam]), np.zeros((2, 3)))
    assert q.structure == "diagonal"
    H = np.stack([np.diag(lam[0]), (U * lam[1]) @ U.T])
    assert tt.HeterogeneousQuadratic(H, np.zeros((2, 3))).structure == "dense"


def test_stochastic_gradient_mean_and_variance():
    p = tt.random_quadratic(3, 2, noise=0.7, seed=0)
    X = np.broadcast_to(np.array([1.0, -1.0]), (20000, 3, 2))
    G = p.stochastic_gradients(X, np.random.default_rng(1), batch_size=4)
    np.testing.assert_allclose(G.mean(0), p.gradients(X[0]), atol=5 * 0.35 / np.sqrt(20000))
    np.testing.assert_allclose(G.var(0), 0.7**2 / 4, rtol=0.05)


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        ({"hessians": np.ones((2, 3)), "optima": np.zeros((2, 2))}, ValueError, "optima must have shape"),
        ({"hessians": np.ones((2, 3, 2)), "optima": np.zeros((2, 3))}, ValueError, "hessians must have shape"),
        ({"hessians": np.array([[[1.0, 0.5], [0.0, 1.0]]] * 2), "optima": np.zeros((2, 2))}, ValueError,
         "not symmetric"),
        ({"hessians": np.array([[[1.0, 0.0], [0.0, -1.0]]] * 2), "optima": np.zeros((2, 2))}, ValueError,
         "positive semi-definite"),
        ({"hessians": np.array([[1.0, -1.0], [1.0, 1.0]]), "optima": np.zeros((2, 2))}, ValueError,
         "positive semi-definite"),
        ({"hessians": np.array([[1.0, 0.0], [1.0, 0.0]]), "optima": np.zeros((2, 2))}, ValueError,
         "strongly convex"),
        ({"hessians": np.ones((2, 2)), "optima": np.zeros((2, 2)), "noise": [1.0, 2.0, 3.0]}, ValueError,
         "noise must be"),
        ({"hessians": np.ones((2, 2)), "optima": np.zeros((2, 2)), "noise": -1.0}, ValueError, "noise"),
        ({"hessians": np.ones((2, 2)), "optima": [[np.nan, 0.0], [0.0, 0.0]]}, ValueError, "optima must be finite"),
    ],
)
def test_quadratic_bad_input(kwargs, err, match):
    with pytest.raises(err, match=match):
        tt.HeterogeneousQuadratic(**kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"hessian_spread": 1.5}, "hessian_spread"),
        ({"optima_spread": -1.0}, "optima_spread"),
        ({"structure": "sparse"}, "structure"),
        ({"eigenvalue_range": (0.0, 1.0)}, "eigenvalue_range"),
        ({"eigenvalue_range": (2.0, 1.0)}, "eigenvalue_range"),
        ({"smoothness_spread": -0.1}, "smoothness_spread"),
    ],
)
def test_random_quadratic_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        tt.random_quadratic(3, 2, **kwargs)


# -------------------------------------------------------------------------------- logistic
def test_logistic_gradient_optimum_and_smoothness():
    p = tt.logistic_problem(4, 3, samples_per_worker=30, partition="iid", seed=0)
    X = np.random.default_rng(1).standard_normal((4, 3))
    h = 1e-6
    fd = np.stack([[(p.local_losses(X[i] + h * e)[i] - p.local_losses(X[i] - h * e)[i]) / (2 * h)
                    for e in np.eye(3)] for i in range(4)])
    np.testing.assert_allclose(p.gradients(X), fd, atol=1e-7)
    # x*: global gradient vanishes and it beats a numerical minimiser
    assert np.linalg.norm(p.gradients(np.broadcast_to(p.x_star, (4, 3))).mean(0)) < 1e-12
    res = sopt.minimize(p.global_loss, np.zeros(3), method="BFGS")
    assert p.f_star <= res.fun + 1e-12
    # L_i bounds the local Hessian's largest eigenvalue everywhere (check at a few points)
    for x in np.random.default_rng(2).standard_normal((5, 3)):
        for i in range(4):
            H = np.array([(p.gradients(np.broadcast_to(x + h * e, (4, 3)))[i]
                           - p.gradients(np.broadcast_to(x - h * e, (4, 3)))[i]) / (2 * h) for e in np.eye(3)])
            assert np.linalg.eigvalsh(0.5 * (H + H.T))[-1] <= p.local_smoothness[i] + 1e-6


def test_logistic_stochastic_gradients_are_unbiased():
    p = tt.logistic_problem(3, 2, samples_per_worker=8, seed=0)
    X = np.broadcast_to(np.array([0.5, -0.5]), (40000, 3, 2))
    G = p.stochastic_gradients(X, np.random.default_rng(0), batch_size=2)
    se = G.std(0) / np.sqrt(40000)
    assert np.all(np.abs(G.mean(0) - p.gradients(X[0])) <= 5 * se)


def test_logistic_partitions():
    iid = tt.logistic_problem(4, 3, samples_per_worker=40, partition="iid", seed=5)
    skew = tt.logistic_problem(4, 3, samples_per_worker=40, partition="label_skew", seed=5)
    norm = tt.logistic_problem(4, 3, samples_per_worker=40, partition="feature_norm", seed=5)
    # the same pool of samples, split differently
    key = lambda p: np.sort(p.features.reshape(-1, 3)[:, 0])  # noqa: E731
    np.testing.assert_array_equal(key(iid), key(skew))
    np.testing.assert_array_equal(key(iid), key(norm))
    frac = (skew.labels > 0).mean(axis=1)
    assert frac[0] == 0.0 and frac[-1] == 1.0  # the first worker sees only -1, the last only +1
    assert 0.1 < (iid.labels > 0).mean(axis=1).min()
    norms = np.linalg.norm(norm.features, axis=2)
    assert np.all(norms.max(axis=1)[:-1] <= norms.min(axis=1)[1:])
    assert set(PARTITIONS) == {"iid", "label_skew", "feature_norm"}


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: tt.logistic_problem(2, 2, partition="sorted"), "partition"),
        (lambda: tt.logistic_problem(2, 2, l2=0.0), "l2"),
        (lambda: tt.LogisticProblem(np.ones((2, 3, 2)), np.ones((2, 2))), "labels must have shape"),
        (lambda: tt.LogisticProblem(np.ones((2, 3, 2)), np.zeros((2, 3))), "-1 or \\+1"),
        (lambda: tt.LogisticProblem(np.ones((2, 3)), np.ones((2, 3))), "features must have shape"),
    ],
)
def test_logistic_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
