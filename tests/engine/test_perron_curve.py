"""The Perron curve mu(gamma) = lambda_max(F(gamma)) of the reduction, matrix-free (static symmetric W)."""

import math

import numpy as np
import pytest

import topotheory as tt
from topotheory.engine import eigen, resolve
from topotheory.engine.eigen import PerronCurve


def _power_series(W, gamma, terms):
    """F(gamma) = sum_k gamma^k (W^k o W^k) and its derivative, summed in the node basis (independent)."""
    n = W.shape[0]
    F, dF, P = np.zeros((n, n)), np.zeros((n, n)), np.eye(n)
    for k in range(1, terms + 1):
        P = P @ W
        F += gamma**k * P * P
        dF += k * gamma ** (k - 1) * P * P
    return F, dF


@pytest.mark.parametrize("make", [lambda: tt.star(9), lambda: tt.erdos_renyi(13, 0.3, seed=1),
                                  lambda: tt.binary_tree(15)], ids=["star9", "erdos_renyi13", "binary_tree15"])
@pytest.mark.parametrize("gamma", [0.3, 0.9])
def test_curve_against_the_power_series_in_the_node_basis(make, gamma):
    scheme = make()
    curve = PerronCurve(resolve(scheme)._data())
    mu, dmu, ok = curve(gamma)
    F, dF = _power_series(scheme.matrix(0), gamma, int(math.log(1e-19) / math.log(gamma)))
    w, V = np.linalg.eigh(F)
    v = np.abs(V[:, -1])
    assert ok
    assert mu == pytest.approx(w[-1], rel=1e-12)
    assert dmu == pytest.approx(v @ dF @ v, rel=1e-9)


def test_curve_is_the_perron_root_of_the_toy_rate():
    """(beta / a) mu(a / rho) = 1 at the Perron root rho of the exact rate (the factorisation K = (beta/a) F)."""
    scheme = tt.erdos_renyi(80, 0.08, seed=3)
    curve = resolve(scheme).perron_curve()
    zeta = 30.0
    for lr in (0.02, 0.08):
        res = tt.quadratic_rate(scheme, lr=lr, zeta=zeta, log=True)
        a, beta = (1 - lr) ** 2, (zeta - 1) * lr**2
        mu, _, ok = curve(a / float(res.spectral_radius))
        assert ok and beta / a * mu == pytest.approx(1.0, rel=1e-11)


def test_warm_start_history_does_not_change_the_point():
    make = lambda: tt.erdos_renyi(90, 0.07, seed=7)  # noqa: E731
    warm = resolve(make()).perron_curve()
    for g in (0.2, 0.95, 0.5, 0.97, 0.9701):
        warm(g)
    cold = resolve(make()).perron_curve()
    for g in (0.97005, 0.6):
        assert warm(g)[0] == pytest.approx(cold(g)[0], rel=1e-13)
        assert warm(g)[1] == pytest.approx(cold(g)[1], rel=1e-8)
    assert len(warm._history) <= warm._keep
    V = np.array([v for v, _ in warm._history])
    np.testing.assert_allclose(V[1:] @ V[1:].T, np.eye(len(V) - 1), atol=1e-12)  # the kept directions


def test_repeated_points_come_from_memory_and_tighter_ones_are_solved_again():
    curve = resolve(tt.erdos_renyi(70, 0.1, seed=4)).perron_curve()
    first = curve(0.8, 1e-6)
    used = curve.applications
    assert curve(0.8, 1e-5) == first and curve.applications == used
    tight = curve(0.8, 1e-11)
    assert curve.applications > used and tight[0] == pytest.approx(first[0], rel=1e-11)


def test_arpack_takes_over_when_the_lanczos_cycles_are_spent(monkeypatch):
    make = lambda: tt.erdos_renyi(70, 0.1, seed=4)  # noqa: E731
    fast = resolve(make()).perron_curve()(0.9)
    monkeypatch.setattr(eigen, "_CURVE_CYCLES", 0)
    calls = []
    orig = eigen.top_eigenpair
    monkeypatch.setattr(eigen, "top_eigenpair", lambda *a, **k: calls.append(1) or orig(*a, **k))
    slow = resolve(make()).perron_curve()(0.9)
    assert calls and slow[2]
    assert slow[0] == pytest.approx(fast[0], rel=1e-12) and slow[1] == pytest.approx(fast[1], rel=1e-7)


def test_where_the_curve_is_offered_and_bad_arguments():
    assert resolve(tt.binary_tree(15)).perron_curve() is None  # explicit reduction (n <= 64)
    two = tt.Scheme.from_matrix(np.kron(np.eye(2), tt.erdos_renyi(40, 0.15, seed=1).matrix(0)))
    assert resolve(two).route == "eigen" and resolve(two).perron_curve() is None  # two components
    curve = resolve(tt.binary_tree(80)).perron_curve()
    assert resolve(tt.binary_tree(80)).perron_curve() is not curve  # one per scheme (a new scheme here)
    for bad in (0.0, 1.0, -0.5, 1.5):
        with pytest.raises(ValueError, match="gamma"):
            curve(bad)
    with pytest.raises(ValueError, match="tol"):
        curve(0.5, 0.5)


def test_single_precision_first_steps_do_not_change_the_point(monkeypatch):
    """Far from the pair the Lanczos steps run in single precision; the double-precision cycles decide."""
    make = lambda: tt.erdos_renyi(90, 0.07, seed=7)  # noqa: E731
    calls = []
    orig = PerronCurve._apply_single
    monkeypatch.setattr(PerronCurve, "_apply_single", lambda self, G: calls.append(1) or orig(self, G))
    mixed = resolve(make()).perron_curve()(0.97)
    assert calls
    monkeypatch.setattr(eigen, "_CURVE_SINGLE_ABOVE", np.inf)
    double = resolve(make()).perron_curve()(0.97)
    assert mixed[2] and double[2]
    assert mixed[0] == pytest.approx(double[0], rel=1e-13) and mixed[1] == pytest.approx(double[1], rel=1e-9)


def test_a_localised_perron_vector_is_accepted_and_a_mixed_one_is_not():
    """Rounding (or the pair's own error) leaves tiny negative entries in a localised Perron vector."""
    v = np.array([1.0, 1e-3, 1e-17, -3e-17, -2e-7])
    assert not eigen._perron_signs(v) and eigen._perron_signs(v, residual=1e-7)
    assert eigen._perron_signs(v[:4])
    assert not eigen._perron_signs(np.array([1.0, 0.5, -0.1]), residual=1e-4)  # another eigenvector's signs
