"""The Perron curve's precision follows need: loose points in single precision, tight ones mixed, runs resumed."""

import math

import numpy as np
import pytest

import topotheory as tt
from topotheory.engine import eigen, resolve
from topotheory.engine.eigen import PerronCurve, _gram_lower
from topotheory.toy import quadratic as q

ZETA = 50.0


def _make():
    return tt.erdos_renyi(90, 0.07, seed=7)


def _true_residual(curve, gamma, v):
    """The residual of ``v`` by one double-precision application (independent of the run's kept images)."""
    G = curve._weights(gamma)
    w, _ = curve._apply(v, G)
    theta = float(v @ w)
    return float(np.linalg.norm(w - theta * v)) / theta


def test_a_loose_point_is_solved_in_single_precision_and_agrees_with_a_tight_one():
    loose = resolve(_make()).perron_curve()
    mu, dmu, ok = loose(0.9, 1e-4)
    assert ok and loose.single_applications == loose.applications > 0
    tight = resolve(_make()).perron_curve()
    mu_t, dmu_t, _ = tight(0.9)
    # mu exact to ~tol^2 / gap (and single rounding), the slope to ~tol / gap
    assert mu == pytest.approx(mu_t, rel=1e-6) and dmu == pytest.approx(dmu_t, rel=1e-3)


def test_mixed_precision_steps_do_not_change_a_tight_point(monkeypatch):
    """A tight run goes on in single precision once its later vectors' coefficients are small."""
    mixed = resolve(_make()).perron_curve()
    mixed(0.95, 1e-4)  # a loose start nearby, then a tight point from it
    used = mixed.single_applications
    mu, dmu, ok = mixed(0.9501)
    assert ok and mixed.single_applications > used  # some of the tight run's steps in single precision
    monkeypatch.setattr(eigen, "_CURVE_MIXED", 0.0)  # every step of a tight run in double
    double = resolve(_make()).perron_curve()
    double(0.95, 1e-4)
    used = double.single_applications
    mu_d, dmu_d, ok_d = double(0.9501)
    assert ok_d and double.single_applications == used
    assert mu == pytest.approx(mu_d, rel=1e-13) and dmu == pytest.approx(dmu_d, rel=1e-9)


@pytest.mark.parametrize("error", [eigen._CURVE_SINGLE_ERROR, 0.0])
def test_the_reported_residual_bounds_the_true_one_and_a_missing_bound_is_caught(monkeypatch, error):
    """Single-precision images carry errors: the residual a run reports must still bound the true one.

    Planted: the single-precision applications perturbed by 3e-6 of the Perron root (more than
    single rounding) with the error bound switched off (``_CURVE_SINGLE_ERROR = 0``) reports a
    residual below the true one; with the bound it does not.
    """
    orig = PerronCurve._apply_single
    rng = np.random.default_rng(0)

    def noisy(self, G):
        apply = orig(self, G)

        def f(x):
            w, y = apply(x)
            return w + 3e-6 * 0.33 * rng.standard_normal(w.size) / math.sqrt(w.size), y
        return f

    monkeypatch.setattr(PerronCurve, "_apply_single", noisy)
    monkeypatch.setattr(eigen, "_CURVE_SINGLE_ERROR", error)
    curve = resolve(_make()).perron_curve()
    curve(0.95, 1e-4)
    curve(0.9501, 1e-9)
    run = curve._last
    theta, v, reported, s = run.ritz()
    assert run.inexact_weight(s) > 0  # the run has single-precision vectors in its Ritz vector
    if error:
        assert reported >= _true_residual(curve, 0.9501, v)
    else:
        assert reported < _true_residual(curve, 0.9501, v)


def test_a_point_asked_more_tightly_goes_on_from_its_run():
    curve = resolve(_make()).perron_curve()
    curve(0.97, 1e-6)
    used = curve.applications
    mu, dmu, ok = curve(0.97, 1e-11)
    resumed = curve.applications - used
    fresh = resolve(_make()).perron_curve()
    mu_f, dmu_f, _ = fresh(0.97, 1e-11)
    assert ok and resumed < fresh.applications
    assert mu == pytest.approx(mu_f, rel=1e-13) and dmu == pytest.approx(dmu_f, rel=1e-9)


def test_kept_directions_are_orthonormal_with_their_gram_matrices_exact_to_their_precision():
    """Loose (single-precision) and tight points mixed: each kept Gram matrix against a direct one.

    A combined Gram matrix divides its inputs' errors by the new direction's length: from
    single-precision inputs that had reached 3e-3 relative and spoiled the starts.
    """
    curve = resolve(_make()).perron_curve()
    for g, tol in ((0.5, 1e-4), (0.9, 1e-4), (0.95, 1e-4), (0.96, 1e-9), (0.9601, 1e-4), (0.97, 1e-9),
                   (0.9701, 1e-9), (0.3, 1e-4)):
        assert curve(g, tol)[2]
    V = np.array([v for v, _ in curve._history])
    np.testing.assert_allclose(V @ V.T, np.eye(len(V)), atol=1e-12)
    for (v, y), exact in zip(curve._history, curve._exact):
        direct = curve._pack(_gram_lower(curve._E["Q"], v))
        error = np.max(np.abs(y - direct)) / np.max(np.abs(direct))
        assert error <= (1e-12 if exact else 1e-5)


def test_loose_signs_next_to_the_root_do_not_bracket_the_optimum(monkeypatch):
    """Planted: loose points' slopes off by 2e-3 (their signs next to the root wrong); the optimum must not move.

    The search brackets the root only with points solved as tightly as the current one; trusting the
    loose points' signs had made it converge to a bracket's end 2.4e-6 (relative) from the optimum.
    """
    make = lambda: tt.erdos_renyi(100, 0.06, seed=2)  # noqa: E731
    good = tt.optimal_learning_rate(make(), zeta=ZETA)
    orig = PerronCurve.__call__

    def noisy(self, gamma, tol=eigen.CURVE_RESIDUAL):
        mu, dmu, ok = orig(self, gamma, tol)
        return mu, dmu * (1 + 2e-3 if tol >= 1e-5 else 1.0), ok

    monkeypatch.setattr(PerronCurve, "__call__", noisy)
    bad = tt.optimal_learning_rate(make(), zeta=ZETA)
    assert bad.lr == pytest.approx(good.lr, rel=1e-9) and bad.search == "slopes"


def test_the_search_ends_on_a_secant_step_between_tight_points():
    """The last point is not solved again: the search's points equal the curve's solves, and the
    result is a stationary point of the exact rate (a fine grid of exact rates around it)."""
    scheme = tt.erdos_renyi(80, 0.08, seed=3)
    calls = []
    orig = q._curve_point

    def record(curve, gamma, tol=None):
        calls.append((gamma, tol))
        return orig(curve, gamma, tol)

    q._curve_point, saved = record, q._curve_point
    try:
        opt = tt.optimal_learning_rate(scheme, zeta=ZETA)
    finally:
        q._curve_point = saved
    assert calls and all(0 < g < 1 for g, _ in calls)
    assert abs(1 - calls[-1][0] - (1 - opt.gamma)) <= 1e-7 * (1 - opt.gamma)  # the step from the last point is short
    grid = opt.lr * (1 + np.linspace(-1e-3, 1e-3, 5))
    r = tt.quadratic_rate(scheme, lr=grid, zeta=ZETA)
    assert np.all(r <= opt.rate + 1e-13)
    c = np.polyfit(grid - opt.lr, r, 2)
    assert abs(-c[1] / (2 * c[0])) <= 1e-4 * opt.lr


def _from_networkx(G):
    import networkx as nx

    G = G.subgraph(max(nx.connected_components(G), key=len)).copy()
    return tt.Scheme.from_networkx(nx.convert_node_labels_to_integers(G))


@pytest.mark.parametrize("make", [
    lambda: _from_networkx(__import__("networkx").random_geometric_graph(110, 0.2, seed=3)),
    lambda: _from_networkx(__import__("networkx").barabasi_albert_graph(90, 2, seed=1)),
], ids=["random_geometric110", "barabasi_albert90"])
def test_optimum_and_edge_equal_the_search_in_the_learning_rate_on_more_families(monkeypatch, make):
    """Localised Perron vectors (random geometric) and hubs (Barabasi-Albert): the precision rules keep 1e-9."""
    scheme = make()
    assert resolve(scheme).perron_curve() is not None
    fast = tt.optimal_learning_rate(scheme, zeta=ZETA)
    with monkeypatch.context() as m:
        m.setattr(eigen.EigenRepresentation, "perron_curve", lambda self: None)
        slow = tt.optimal_learning_rate(make(), zeta=ZETA)
    assert fast.lr == pytest.approx(slow.lr, rel=1e-9)
    assert fast.rate == pytest.approx(slow.rate, rel=1e-12)
    assert fast.max_lr == pytest.approx(slow.max_lr, rel=1e-11)


def test_without_kept_gram_matrices_the_point_is_the_same(monkeypatch):
    """Above the memory budget a run keeps no Gram matrices (large n): the pair's is computed, same point."""
    kept = resolve(_make()).perron_curve()
    points = [kept(g, tol) for g, tol in ((0.9, 1e-4), (0.95, 1e-9), (0.9501, 1e-9))]
    monkeypatch.setattr(eigen, "_CURVE_RUN_BYTES", 0)
    lean = resolve(_make()).perron_curve()
    for (g, tol), (mu, dmu, ok) in zip(((0.9, 1e-4), (0.95, 1e-9), (0.9501, 1e-9)), points):
        mu_l, dmu_l, ok_l = lean(g, tol)
        assert ok and ok_l and not lean._last.keeps_grams
        assert mu_l == pytest.approx(mu, rel=1e-6 if tol > 1e-5 else 1e-13)
        assert dmu_l == pytest.approx(dmu, rel=1e-3 if tol > 1e-5 else 1e-9)


def test_a_curve_keeps_no_lanczos_gram_matrices_between_points():
    """Memory: between points only the kept directions (at most ``_keep``) hold n^2-sized arrays."""
    curve = resolve(_make()).perron_curve()
    for g, tol in ((0.9, 1e-4), (0.95, 1e-9)):
        curve(g, tol)
        assert curve._last is not None and curve._last.grams == []
    assert len(curve._history) <= curve._keep


@pytest.mark.parametrize("make", [_make, lambda: tt.binary_tree(200), lambda: tt.random_regular(300, 4, seed=2)],
                         ids=["erdos_renyi90", "binary_tree200", "random_regular300"])
def test_single_precision_applications_stay_well_inside_their_error_bound(make):
    """The bound the mixed runs add to their residual, against the single-precision application's real error."""
    curve = resolve(make()).perron_curve()
    rng = np.random.default_rng(1)
    for gamma in (0.3, 0.99):
        mu = curve(gamma)[0]
        G = curve._weights(gamma)
        single = curve._apply_single(G)
        for x in (rng.random(curve._E["Q"].shape[0]), rng.standard_normal(curve._E["Q"].shape[0])):
            x /= np.linalg.norm(x)
            error = np.linalg.norm(single(x)[0] - curve._apply(x, G)[0]) / mu
            assert error <= 0.1 * eigen._single_error(x.size)
