"""The optimal learning rate from analytic slopes, the stability edge, robust eigensolvers, huge lrs."""

import warnings

import numpy as np
import pytest

import topotheory as tt
from topotheory.engine import eigen, resolve
from topotheory.engine.eigen import top_eigenpair
from topotheory.toy import quadratic as q

ZETA = 50.0

# the graphs of the existing optimal-learning-rate tests, plus irregular ones on both eigen routes
GRAPHS = {
    "star8": lambda: tt.star(8),
    "ring32": lambda: tt.ring(32),
    "binary_tree15": lambda: tt.binary_tree(15),
    "torus4x4": lambda: tt.torus(4, 4),
    "random_regular40": lambda: tt.random_regular(40, 4, seed=3),
    "erdos_renyi30": lambda: tt.erdos_renyi(30, 0.2, seed=1),
    "fully_connected4": lambda: tt.fully_connected(4),
    "solo4": lambda: tt.solo(4),
}


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_fast_optimum_equals_the_grid_search(name):
    """Brent on r'(eta) = 0 with Perron-vector slopes == the former grid + Brent + stencil search."""
    scheme = GRAPHS[name]()
    edge = tt.max_learning_rate(scheme, zeta=ZETA)
    fast = q._argmax_newton(scheme, ZETA, edge)
    slow = q._argmax_search(scheme, ZETA, edge)
    assert fast is not None
    assert abs(fast - slow) <= 1e-9 * slow
    assert tt.optimal_learning_rate(scheme, zeta=ZETA).lr == pytest.approx(fast, rel=1e-15)


@pytest.mark.parametrize("name", ["star8", "random_regular40", "erdos_renyi30", "ring32"])
def test_edge_is_the_sign_change_of_the_exact_rate(name):
    scheme = GRAPHS[name]()
    edge = tt.max_learning_rate(scheme, zeta=ZETA)
    r = tt.quadratic_rate(scheme, lr=[edge * (1 - 1e-9), edge * (1 + 1e-9)], zeta=ZETA)
    assert r[0] > 0 and np.isnan(r[1])


@pytest.mark.parametrize("scheme", [tt.ring(16), tt.star(9), tt.random_regular(30, 4, seed=2),
                                    tt.erdos_renyi(70, 0.1, seed=4)], ids=["fourier", "explicit", "regular", "mf"])
def test_analytic_slope_matches_central_differences(scheme):
    """r'(eta) from the Perron vectors against a five-point stencil of exact rates (independent)."""
    x = 0.5 * tt.max_learning_rate(scheme, zeta=ZETA)
    r, dr = q._rate_slope(scheme, x, ZETA)
    h = 1e-4 * x
    f = tt.quadratic_rate(scheme, lr=x + h * np.array([-2.0, -1.0, 1.0, 2.0]), zeta=ZETA)
    fd = (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * h)
    assert r == pytest.approx(tt.quadratic_rate(scheme, lr=x, zeta=ZETA), rel=1e-12)
    assert dr == pytest.approx(fd, rel=1e-6, abs=1e-8)


def test_grid_of_exact_rates_confirms_the_optimum_on_an_irregular_graph():
    """n = 70 random geometric-like (Erdos-Renyi) graph, matrix-free route: no grid point beats eta*."""
    scheme = tt.erdos_renyi(70, 0.08, seed=5)
    assert resolve(scheme).route == "eigen" and scheme.n > eigen.EXPLICIT_K_MAX_N
    opt = tt.optimal_learning_rate(scheme, zeta=ZETA)
    grid = opt.lr * (1 + np.linspace(-0.002, 0.002, 9))
    r = tt.quadratic_rate(scheme, lr=grid, zeta=ZETA)
    assert np.all(r <= opt.rate + 1e-13)
    # parabola through the grid: its vertex is the optimum to the grid's resolution
    c = np.polyfit(grid - opt.lr, r, 2)
    assert abs(-c[1] / (2 * c[0])) <= 1e-4 * opt.lr


@pytest.mark.parametrize("n", [65])  # 100 and 250: benchmarks/bench_optimum.py
def test_binary_tree_above_the_explicit_limit_never_raises(n):
    """The ARPACK failure of the matrix-free reduction (a cluster at the top of K) is gone."""
    scheme = tt.binary_tree(n)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        edge = tt.max_learning_rate(scheme, zeta=ZETA)
        opt = tt.optimal_learning_rate(scheme, zeta=ZETA)
    assert 2 / ZETA < edge < 2 * n / (n + ZETA - 1)
    assert 0 < opt.lr < edge and opt.rate > 0
    res = tt.quadratic_rate(scheme, lr=[opt.lr, edge * (1 - 1e-8)], zeta=ZETA, log=True)
    assert np.all(res.converged) and res.rate[1] > 0


def test_matrix_free_reduction_equals_the_explicit_one(monkeypatch):
    """n = 65: the Lanczos route against the explicit reduced matrix (batched eigvalsh)."""
    scheme = tt.binary_tree(65)
    lrs = np.array([0.03, 0.07, 0.11])
    mf = tt.quadratic_rate(scheme, lr=lrs, zeta=ZETA)
    monkeypatch.setattr(eigen, "EXPLICIT_K_MAX_N", 65)
    explicit = tt.quadratic_rate(tt.binary_tree(65), lr=lrs, zeta=ZETA)
    np.testing.assert_allclose(mf, explicit, rtol=1e-10)


def test_top_eigenpair_on_a_cluster_and_with_the_dense_fallback():
    rng = np.random.default_rng(0)
    Q = np.linalg.qr(rng.normal(size=(60, 60)))[0]
    lam = np.concatenate([[1.0, 1.0 - 1e-9], np.linspace(0.0, 0.9, 58)])
    A = (Q * lam) @ Q.T
    top, v, ok = top_eigenpair(lambda x: A @ x, 60, np.ones(60), tol=1e-14, dense=lambda: A)
    assert ok and top == pytest.approx(1.0, abs=1e-13)
    assert np.linalg.norm(A @ v - top * v) < 1e-4  # the vector may mix within the cluster
    calls = []

    def failing(op, **kw):
        calls.append(kw["ncv"])
        raise eigen.spla.ArpackNoConvergence("planted", np.array([]), np.zeros((60, 0)))

    orig = eigen.spla.eigsh
    eigen.spla.eigsh = failing
    try:
        top2, _, ok2 = top_eigenpair(lambda x: A @ x, 60, np.ones(60), tol=1e-14, dense=lambda: A)
        top3, v3, ok3 = top_eigenpair(lambda x: A @ x, 60, np.ones(60), tol=1e-14)
    finally:
        eigen.spla.eigsh = orig
    assert calls == [24, 48, 24, 48]
    assert ok2 and top2 == pytest.approx(1.0, abs=1e-13)
    assert not ok3 and np.isnan(top3)  # no Ritz value, no fallback: NaN and a flag, not an error


@pytest.mark.parametrize("scheme", [tt.star(8), tt.ring(8), tt.one_peer_exponential(8), tt.binary_tree(9),
                                    tt.infinite_ring()], ids=["eigen", "fourier", "arnoldi", "tree", "infinite"])
def test_huge_learning_rates_are_nan_element_by_element(scheme):
    lrs = [0.01, 1e10, 1e150, 1e160, 1e300]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = tt.quadratic_rate(scheme, lr=lrs, zeta=ZETA, log=True)
    assert res.rate[0] > 0 and np.all(np.isnan(res.rate[1:]))
    assert res.diverged.tolist() == [False, True, True, True, True]
    rho = res.spectral_radius
    n = resolve(scheme).n
    a, beta, _ = q._coefficients(np.array(lrs[1:2]), ZETA)
    assert a + beta / n * (1 - 1e-12) <= rho[1] <= (a + beta) * (1 + 1e-12)  # rho(fully connected) <= rho <= rho(alone)
    assert np.isinf(rho[-1])


def test_rescaling_of_huge_learning_rates_is_continuous():
    """Just below the rescaling threshold (direct) and just above (rescaled): rho / lr^2 agrees."""
    lrs = np.array([0.5e20, 2e20])
    res = tt.quadratic_rate(tt.star(8), lr=lrs, zeta=ZETA, log=True)
    scaled = res.spectral_radius / lrs**2
    assert scaled[0] == pytest.approx(scaled[1], rel=1e-12)


@pytest.mark.parametrize("scheme", [tt.star(8), tt.ring(8), tt.one_peer_exponential(8)])
def test_loss_curve_and_time_to_target_with_huge_lrs(scheme):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        curves = tt.loss_curve(scheme, lr=[0.05, 1e160, 1e300], zeta=ZETA, steps=3)
        steps = tt.time_to_target(scheme, lr=[0.05, 1e160, 1e300], zeta=ZETA, target=0.4)
    assert np.all(np.isfinite(curves[0])) and np.all(np.isinf(curves[1:, 1:]))
    assert np.isfinite(steps[0]) and np.all(np.isinf(steps[1:]))


def test_optimum_is_cached_per_scheme_and_zeta():
    scheme = tt.random_regular(20, 4, seed=7)
    first = tt.optimal_learning_rate(scheme, zeta=ZETA)
    assert tt.optimal_learning_rate(scheme, zeta=ZETA) is first
    other = tt.optimal_learning_rate(scheme, zeta=10.0)
    assert other is not first and other.lr > first.lr


@pytest.mark.parametrize("make, route, search", [
    (lambda: tt.ring(32), "secular-fourier", "slopes"),
    (lambda: tt.star(8), "eigen-reduction", "slopes"),
    (lambda: tt.erdos_renyi(70, 0.08, seed=5), "eigen-reduction", "slopes"),
    (lambda: tt.one_peer_exponential(8), "secular-fourier-periodic", "grid"),
], ids=["fourier", "explicit", "matrix-free", "periodic"])
def test_optimum_records_its_route_and_search(make, route, search):
    opt = tt.optimal_learning_rate(make(), zeta=ZETA)
    assert (opt.route, opt.search) == (route, search)
    assert opt.route == tt.quadratic_rate(make(), lr=opt.lr, zeta=ZETA, log=True).route
    assert opt.to_dict()["route"] == route
    noiseless = tt.optimal_learning_rate(tt.star(8), zeta=1.0)
    assert (noiseless.route, noiseless.search) == ("closed-form", "closed-form")


def test_optimum_shows_progress_when_asked(monkeypatch, capsys):
    """progress=True counts the exact rates solved; None off a terminal and False print nothing."""
    from topotheory.common import progress as progress_module

    orig = progress_module.Progress.__init__

    def immediate(self, *args, **kwargs):
        kwargs["delay"] = 0.0
        orig(self, *args, **kwargs)

    monkeypatch.setattr(progress_module.Progress, "__init__", immediate)
    tt.optimal_learning_rate(tt.star(9), zeta=ZETA, progress=True)
    err = capsys.readouterr().err
    assert "optimal_learning_rate" in err and "rate" in err
    tt.optimal_learning_rate(tt.star(10), zeta=ZETA)  # stderr is not a terminal here
    tt.optimal_learning_rate(tt.star(11), zeta=ZETA, progress=False)
    assert capsys.readouterr().err == ""
    with pytest.raises(TypeError, match="progress"):
        tt.optimal_learning_rate(tt.star(8), zeta=ZETA, progress="yes")


def test_rate_shows_progress_when_asked(monkeypatch, capsys):
    """quadratic_rate(progress=True) counts the learning rates solved, once (not again inside the optimum's display);
    None off a terminal and False print nothing; the argument is checked on every algorithm."""
    from topotheory.common import progress as progress_module

    orig = progress_module.Progress.__init__
    made = []

    def immediate(self, *args, **kwargs):
        kwargs["delay"] = 0.0
        made.append(kwargs["desc"])
        orig(self, *args, **kwargs)

    monkeypatch.setattr(progress_module.Progress, "__init__", immediate)
    r = tt.quadratic_rate(tt.star(9), lr=[0.05, 0.1, 0.2], zeta=ZETA, progress=True)
    err = capsys.readouterr().err
    assert made == ["quadratic_rate"] and "quadratic_rate" in err and "3/3" in err
    np.testing.assert_array_equal(r, tt.quadratic_rate(tt.star(9), lr=[0.05, 0.1, 0.2], zeta=ZETA, progress=False))
    tt.quadratic_rate(tt.star(10), lr=0.1, zeta=ZETA)  # stderr is not a terminal here
    assert capsys.readouterr().err == "" and made == ["quadratic_rate"]
    tt.optimal_learning_rate(tt.star(12), zeta=ZETA, progress=True)  # its rates count on its own display
    assert made == ["quadratic_rate", "optimal_learning_rate"]
    for algorithm in ("dsgd", "dmsgd"):
        with pytest.raises(TypeError, match="progress"):
            tt.quadratic_rate(tt.star(8), lr=0.1, zeta=ZETA, algorithm=algorithm, progress="yes")


def test_compare_solves_the_optimum_once_for_all_rate_columns(monkeypatch):
    from topotheory.compare.registry import RATE_METRICS, evaluate_metrics

    calls = []
    orig = q._optimum
    monkeypatch.setattr(q, "_optimum", lambda s, z: calls.append(1) or orig(s, z))
    edges = []
    orig_edge = q._edge
    monkeypatch.setattr(q, "_edge", lambda s, z: edges.append(1) or orig_edge(s, z))
    row = evaluate_metrics(tt.erdos_renyi(30, 0.2, seed=1), list(RATE_METRICS), zeta=ZETA)
    assert len(row) == len(RATE_METRICS) and len(calls) == 1 and len(edges) == 1


def test_fine_grid_confirms_the_optimum_on_a_100_node_irregular_graph():
    scheme = tt.erdos_renyi(100, 0.06, seed=2)
    opt = tt.optimal_learning_rate(scheme, zeta=ZETA)
    grid = opt.lr * (1 + np.linspace(-0.001, 0.001, 11))
    r = tt.quadratic_rate(scheme, lr=grid, zeta=ZETA)
    assert np.all(r <= opt.rate + 1e-13)
    c = np.polyfit(grid - opt.lr, r, 2)
    assert c[0] < 0 and abs(-c[1] / (2 * c[0])) <= 1e-4 * opt.lr


def test_edge_when_the_rate_route_disagrees_at_rounding_with_the_slope_route(monkeypatch):
    """Newton (slope route) ends at a rounding-level r <= 0 where the rate route gives r = +5e-16:
    the edge is that end, not a Brent error about equal signs."""
    from topotheory.toy import quadratic as q

    edge = 0.127
    # slope route: r = edge - x, but at the edge a rounding-level r = -1e-17 with a useless slope
    monkeypatch.setattr(q, "_slope_pair", lambda s, x, z: (-1e-17, 1.0) if x >= edge else (edge - x, -1.0))
    monkeypatch.setattr(q, "_rate_raw", lambda s, xs, z: np.array([edge - xs[0] + 5e-16]))
    assert q._edge_newton(None, 50.0, 0.04, edge) == pytest.approx(edge, rel=1e-14)
