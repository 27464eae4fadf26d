"""The optimal learning rate and the stability edge from the Perron curve mu(gamma) (matrix-free route)."""

import numpy as np
import pytest

import topotheory as tt
from topotheory.engine import eigen, resolve
from topotheory.engine.eigen import EigenRepresentation, PerronCurve
from topotheory.toy import quadratic as q

ZETA = 50.0


def _lr_search(monkeypatch, make, zeta=ZETA):
    """The former search in the learning rate (Brent on r'(eta) = 0, Davidson at every lr): no curve."""
    with monkeypatch.context() as m:
        m.setattr(EigenRepresentation, "perron_curve", lambda self: None)
        return tt.optimal_learning_rate(make(), zeta=zeta)


# the matrix-free graphs of the existing optimum tests
@pytest.mark.parametrize("make", [lambda: tt.erdos_renyi(70, 0.08, seed=5), lambda: tt.erdos_renyi(100, 0.06, seed=2),
                                  lambda: tt.binary_tree(65), lambda: tt.erdos_renyi(80, 0.08, seed=3)],
                         ids=["erdos_renyi70", "erdos_renyi100", "binary_tree65", "erdos_renyi80"])
def test_optimum_in_the_decay_equals_the_search_in_the_learning_rate(monkeypatch, make):
    scheme = make()
    assert resolve(scheme).perron_curve() is not None
    fast = tt.optimal_learning_rate(scheme, zeta=ZETA)
    slow = _lr_search(monkeypatch, make)
    assert fast.lr == pytest.approx(slow.lr, rel=1e-9)
    assert fast.rate == pytest.approx(slow.rate, rel=1e-12)
    assert fast.max_lr == pytest.approx(slow.max_lr, rel=1e-11)
    assert fast.gamma == pytest.approx(slow.gamma, rel=1e-11)
    assert fast.effective_neighbors == pytest.approx(slow.effective_neighbors, rel=1e-9)
    assert (fast.route, fast.search) == (slow.route, slow.search) == ("eigen-reduction", "slopes")


@pytest.mark.parametrize("make", [lambda: tt.star(8), lambda: tt.binary_tree(15), lambda: tt.erdos_renyi(30, 0.2, seed=1),
                                  lambda: tt.random_regular(40, 4, seed=3)],
                         ids=["star8", "binary_tree15", "erdos_renyi30", "random_regular40"])
def test_curve_forced_on_small_graphs_equals_the_explicit_reduction(monkeypatch, make):
    """The explicit n^2-entry reduction (batched eigvalsh, n <= 64) is an independent route."""
    explicit = tt.optimal_learning_rate(make(), zeta=ZETA)
    monkeypatch.setattr(eigen, "EXPLICIT_K_MAX_N", 4)
    scheme = make()
    if resolve(scheme).perron_curve() is None:
        pytest.skip("walk-regular at the checked decays: the secular route is exact")
    curve = tt.optimal_learning_rate(scheme, zeta=ZETA)
    assert curve.lr == pytest.approx(explicit.lr, rel=1e-9)
    assert curve.rate == pytest.approx(explicit.rate, rel=1e-12)
    assert curve.max_lr == pytest.approx(explicit.max_lr, rel=1e-11)


def test_edge_from_the_curve_is_the_sign_change_of_the_exact_rate():
    scheme = tt.erdos_renyi(90, 0.07, seed=7)
    edge = tt.max_learning_rate(scheme, zeta=ZETA)
    r = tt.quadratic_rate(scheme, lr=[edge * (1 - 1e-9), edge * (1 + 1e-9)], zeta=ZETA)
    assert r[0] > 0 and np.isnan(r[1])


def test_a_planted_error_in_the_slope_moves_the_optimum_and_is_caught(monkeypatch):
    """A relative error of 1e-6 in mu' (a vector far from converged) moves eta* by far more than 1e-9."""
    make = lambda: tt.erdos_renyi(70, 0.08, seed=5)  # noqa: E731
    good = tt.optimal_learning_rate(make(), zeta=ZETA)
    orig = PerronCurve.__call__
    monkeypatch.setattr(PerronCurve, "__call__",
                        lambda self, g, tol=eigen.CURVE_RESIDUAL: (lambda r: (r[0], r[1] * (1 + 1e-6), r[2]))(
                            orig(self, g, tol)))
    bad = tt.optimal_learning_rate(make(), zeta=ZETA)
    assert abs(bad.lr / good.lr - 1) > 1e-8


def test_a_point_that_does_not_converge_hands_over_to_the_learning_rate_search(monkeypatch):
    make = lambda: tt.erdos_renyi(70, 0.08, seed=5)  # noqa: E731
    expected = _lr_search(monkeypatch, make)
    monkeypatch.setattr(PerronCurve, "__call__", lambda self, g, tol=1e-11: (np.nan, np.nan, False))
    got = tt.optimal_learning_rate(make(), zeta=ZETA)
    assert got.lr == pytest.approx(expected.lr, rel=1e-12) and got.max_lr == pytest.approx(expected.max_lr, rel=1e-12)


def test_the_curve_search_is_counted_by_the_progress_display():
    class Bar:
        def __init__(self):
            self.updates, self.postfix = 0, ""

        def update(self, k):
            self.updates += k

        def set_postfix(self, text):
            self.postfix = text

    bar = Bar()
    token = q._PROGRESS.set(bar)
    try:
        tt.optimal_learning_rate(tt.erdos_renyi(70, 0.1, seed=4), zeta=ZETA)
    finally:
        q._PROGRESS.reset(token)
    curve = resolve(tt.erdos_renyi(70, 0.1, seed=4)).perron_curve()
    assert curve is not None and bar.updates >= 4 and "perron-curve" in bar.postfix


def test_bound_refined_brackets_the_secular_edge_and_maximiser():
    scheme = tt.erdos_renyi(70, 0.08, seed=5)
    rep = resolve(scheme)
    edge = q._bound_refined(scheme, ZETA, 2 / ZETA, 0.5, "edge")
    spacing = (0.5 - 2 / ZETA) / 64**3  # three rounds of 65-point grids
    a, beta, s = q._coefficients(np.array([edge - spacing, edge]), ZETA)
    r = s - rep.excess_lower_bound(a, beta)
    assert r[0] > 0 >= r[1]  # the bound's sign change, to the last grid's spacing
    assert edge >= tt.max_learning_rate(scheme, zeta=ZETA)  # the bound's rate is an upper bound
    x = q._bound_refined(scheme, ZETA, 0.01, 0.9 * edge, "argmax")
    a, beta, s = q._coefficients(x * (1 + np.array([-1e-4, 0.0, 1e-4])), ZETA)
    r = s - rep.excess_lower_bound(a, beta)
    assert r[1] >= r[0] and r[1] >= r[2]
