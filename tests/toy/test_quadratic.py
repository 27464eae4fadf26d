"""Tests of topotheory.toy.quadratic against independent routes: dense Kronecker eigenvalues, sympy closed
forms, exact Gaussian enumeration of the stochastic process, and each other's routes."""

import itertools

import networkx as nx
import numpy as np
import pytest

from oracles import kronecker_rho
import topotheory as tt
from topotheory import Scheme
from topotheory.toy import quadratic as q
from topotheory import symbolic
from topotheory.graphs.lattices import infinite_grid, infinite_ring, infinite_uni_ring


# --------------------------------------------------------------------------------- oracles
def birkhoff(n, k, seed):
    """A non-symmetric doubly stochastic matrix: k cyclic shifts and reversals, random weights."""
    w = np.random.default_rng(seed).dirichlet(np.ones(k))
    perms = [np.roll(np.arange(n), j + 1) if j % 2 == 0 else np.arange(n)[::-1] for j in range(k)]
    return sum(wi * np.eye(n)[p] for wi, p in zip(w, perms))


SMALL = {
    "ring": lambda: tt.ring(9),
    "star": lambda: tt.star(7),
    "binary_tree": lambda: tt.binary_tree(11),
    "two_cliques": lambda: tt.two_cliques(8),
    "random_graph": lambda: Scheme.from_networkx(nx.gnp_random_graph(12, 0.3, seed=3)),
    "social_like": lambda: Scheme.from_networkx(nx.convert_node_labels_to_integers(nx.florentine_families_graph())),
    "uni_ring": lambda: tt.uni_ring(7),
    "one_peer_exponential": lambda: tt.one_peer_exponential(8),
    "local_steps": lambda: tt.local_steps(6, 3),
    "exponential_graph": lambda: tt.exponential_graph(6),
    "uni_ring_as_matrix": lambda: Scheme.from_matrix(tt.uni_ring(7).matrix(0)),  # Arnoldi route
    "birkhoff": lambda: Scheme.from_matrix(birkhoff(6, 3, 1)),
    "periodic_mixed": lambda: Scheme.from_matrices([tt.star(6).matrix(0), birkhoff(6, 2, 2)]),
    "bipartite_pair": lambda: Scheme.from_matrix(np.array([[0.0, 1.0], [1.0, 0.0]])),
    "single": lambda: tt.solo(1),
}


@pytest.mark.parametrize("name", sorted(SMALL))
def test_exact_matches_dense_kronecker(name):
    s = SMALL[name]()
    lrs = np.array([0.003, 0.03, 0.1, 0.4, 1.0, 1.5])
    for z in (3.0, 50.0):
        r, info = q.quadratic_rate(s, lr=lrs, zeta=z, log=True)
        oracle = np.array([kronecker_rho(s, lr, z) for lr in lrs])
        np.testing.assert_allclose(info["rho"], oracle, rtol=0, atol=1e-10)
        clear = np.abs(oracle - 1) > 1e-9  # rho == 1 up to rounding is a borderline case
        np.testing.assert_allclose(r[clear], np.where(oracle < 1, 1 - oracle, np.nan)[clear], rtol=0, atol=1e-10)
        assert np.array_equal(info["diverged"][clear], oracle[clear] >= 1)
        assert info["converged"].all()


def test_routes_are_the_expected_ones():
    method = lambda s: q.quadratic_rate(s, lr=0.05, zeta=10, log=True)[1]["method"]  # noqa: E731
    assert method(tt.ring(8)) == "secular-fourier"
    assert method(tt.one_peer_exponential(8)) == "secular-fourier-periodic"
    assert method(tt.star(8)) == "eigen-reduction"
    assert method(Scheme.from_matrix(tt.ring(8).matrix(0))) == "secular-eigen"  # walk-regular short cut
    assert method(Scheme.from_matrix(tt.uni_ring(8).matrix(0))) == "arnoldi"
    assert method(infinite_ring()) == "secular-spectral-measure"


def test_matrix_free_eigen_route_matches_explicit(monkeypatch):
    lrs = np.array([0.002, 0.02, 0.08, 0.3])
    explicit = q.quadratic_rate(tt.binary_tree(14), lr=lrs, zeta=40)
    import topotheory.engine.eigen as eigen_route

    monkeypatch.setattr(eigen_route, "EXPLICIT_K_MAX_N", 4)
    s = tt.binary_tree(14)
    r, info = q.quadratic_rate(s, lr=lrs, zeta=40, log=True)
    np.testing.assert_allclose(r, explicit, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(info["rho"], [kronecker_rho(s, lr, 40) for lr in lrs], atol=1e-10)


def test_arnoldi_matches_fourier_beyond_kronecker_sizes():
    lrs = np.array([0.01, 0.05, 0.2])
    fourier = q.quadratic_rate(tt.uni_ring(24), lr=lrs, zeta=20)
    generic = Scheme.from_matrix(tt.uni_ring(24).matrix(0))
    r, info = q.quadratic_rate(generic, lr=lrs, zeta=20, log=True)
    assert info["method"] == "arnoldi" and np.all(info["residual"] < 1e-10)
    np.testing.assert_allclose(r, fourier, rtol=1e-10)
    # a periodic non-circulant version of the one-peer exponential graph (same matrices)
    s = tt.one_peer_exponential(16)
    generic = Scheme.from_matrices([s.matrix(t) for t in range(s.period)])
    np.testing.assert_allclose(q.quadratic_rate(generic, lr=lrs, zeta=20), q.quadratic_rate(s, lr=lrs, zeta=20),
                               rtol=1e-10)


# ------------------------------------------------------------ secular / fixed point / bounds
def petersen():
    return Scheme.from_networkx(nx.petersen_graph())  # vertex transitive, not circulant


VERTEX_TRANSITIVE = {
    "ring": lambda: tt.ring(9),
    "torus": lambda: tt.torus(3, 4),
    "hypercube": lambda: tt.hypercube(8),
    "uni_ring": lambda: tt.uni_ring(7),
    "exponential_graph": lambda: tt.exponential_graph(6),
    "one_peer_exponential": lambda: tt.one_peer_exponential(8),
    "fully_connected": lambda: tt.fully_connected(5),
    "petersen": petersen,
}


@pytest.mark.parametrize("name", sorted(VERTEX_TRANSITIVE))
def test_secular_exact_fixed_point_agree_on_vertex_transitive(name):
    s = VERTEX_TRANSITIVE[name]()
    lrs = np.array([0.004, 0.04, 0.15, 0.5])
    z = 30.0
    exact = q.quadratic_rate(s, lr=lrs, zeta=z)
    secular = q.quadratic_rate(s, lr=lrs, zeta=z, method="secular")
    worst = q.quadratic_rate(s, lr=lrs, zeta=z, method="fixed_point", mode="worst")
    mean = q.quadratic_rate(s, lr=lrs, zeta=z, method="fixed_point", mode="mean")
    oracle = np.array([kronecker_rho(s, lr, z) for lr in lrs])
    np.testing.assert_allclose(exact, np.where(oracle < 1, 1 - oracle, np.nan), atol=1e-10)
    for other in (secular, worst, mean):
        np.testing.assert_allclose(other, exact, rtol=1e-9, atol=1e-14)


IRREGULAR = {
    "star": lambda: tt.star(8),
    "binary_tree": lambda: tt.binary_tree(15),
    "two_cliques": lambda: tt.two_cliques(10),
    "chain": lambda: tt.chain(7),
    "social_network": tt.social_network,
    "random_graph": lambda: Scheme.from_networkx(nx.gnp_random_graph(12, 0.3, seed=3)),
}


@pytest.mark.parametrize("name", sorted(IRREGULAR))
def test_fixed_point_worst_is_lower_and_mean_upper_bound_on_irregular_graphs(name):
    s = IRREGULAR[name]()
    lrs = np.geomspace(1e-3, 0.3, 12)
    exact = q.quadratic_rate(s, lr=lrs, zeta=20)
    worst = q.quadratic_rate(s, lr=lrs, zeta=20, method="fixed_point", mode="worst")
    mean = q.quadratic_rate(s, lr=lrs, zeta=20, method="fixed_point", mode="mean")
    ok = np.isfinite(exact)
    assert ok.sum() >= 8
    assert np.all(worst[ok] <= exact[ok] * (1 + 1e-12))
    assert np.all(mean[ok] >= exact[ok] * (1 - 1e-12))
    # strict somewhere: the approximation is not exact on irregular graphs
    assert np.max(mean[ok] - worst[ok]) > 1e-6
    with pytest.raises(ValueError, match="method='exact'"):
        q.quadratic_rate(s, lr=0.01, zeta=20, method="secular")


@pytest.mark.parametrize("make", [lambda: tt.local_steps(6, 3), lambda: SMALL["periodic_mixed"](),
                                  lambda: SMALL["birkhoff"](), lambda: SMALL["uni_ring_as_matrix"]()])
def test_fixed_point_worst_is_a_lower_bound_for_periodic_and_non_symmetric(make):
    s = make()
    lrs = np.geomspace(1e-3, 0.3, 8)
    exact = q.quadratic_rate(s, lr=lrs, zeta=20)
    worst = q.quadratic_rate(s, lr=lrs, zeta=20, method="fixed_point", mode="worst")
    ok = np.isfinite(exact)
    assert np.all(worst[ok] <= exact[ok] * (1 + 1e-12))


def test_fixed_point_mean_is_not_an_upper_bound_for_periodic_schemes():
    """The Rayleigh-quotient argument needs a symmetric reduced matrix: local steps break it."""
    s = tt.local_steps(8, 4)
    lrs = np.array([0.05, 0.1])
    exact = q.quadratic_rate(s, lr=lrs, zeta=30)
    mean = q.quadratic_rate(s, lr=lrs, zeta=30, method="fixed_point", mode="mean")
    assert np.all(mean < exact - 1e-5)


def test_phase_zero_fixed_point_would_be_wrong_for_local_steps():
    """The pitfall of THEORY §8: at phase 0 local steps look fully connected; the exact rate is lower."""
    s = tt.local_steps(8, 4)
    exact = q.quadratic_rate(s, lr=0.05, zeta=30)
    full = q.quadratic_rate(tt.fully_connected(8), lr=0.05, zeta=30)
    worst = q.quadratic_rate(s, lr=0.05, zeta=30, method="fixed_point", mode="worst")
    assert worst < exact < full - 5e-4


# ---------------------------------------------------------------------- closed forms (sympy)
@pytest.mark.parametrize("n", [1, 2, 5, 32])
@pytest.mark.parametrize("z", [1.5, 10.0, 50.0, 2000.0])
def test_optima_alone_and_fully_connected_match_sympy(n, z):
    alone = q.optimal_learning_rate(tt.solo(n), zeta=z)
    assert alone.lr == pytest.approx(symbolic.oracle("alone", "optimal_lr")(z), rel=1e-11)
    assert alone.rate == pytest.approx(symbolic.oracle("alone", "optimal_rate")(z), rel=1e-12)
    assert alone.max_lr == pytest.approx(symbolic.oracle("alone", "max_lr")(z), rel=1e-12)
    assert alone.n_equivalent == pytest.approx(1.0, rel=1e-7)
    assert alone.effective_neighbors == pytest.approx(1.0, rel=1e-12)
    full = q.optimal_learning_rate(tt.fully_connected(n), zeta=z)
    assert full.lr == pytest.approx(symbolic.oracle("fully_connected", "optimal_lr")(z, n), rel=1e-11)
    assert full.rate == pytest.approx(symbolic.oracle("fully_connected", "optimal_rate")(z, n), rel=1e-12)
    assert full.max_lr == pytest.approx(symbolic.oracle("fully_connected", "max_lr")(z, n), rel=1e-12)
    assert full.n_equivalent == pytest.approx(n, rel=1e-7)
    assert full.effective_neighbors == pytest.approx(n, rel=1e-10)
    assert full.gamma == pytest.approx((1 - full.lr) ** 2 / (1 - full.rate), rel=1e-12)


def test_rates_alone_and_fully_connected_match_sympy():
    lrs = np.linspace(0.001, 0.09, 30)
    np.testing.assert_allclose(q.quadratic_rate(tt.solo(3), lr=lrs, zeta=20),
                               symbolic.oracle("alone", "rate")(lrs, 20.0), rtol=1e-12)
    np.testing.assert_allclose(q.quadratic_rate(tt.fully_connected(6), lr=lrs, zeta=20),
                               symbolic.oracle("fully_connected", "rate")(lrs, 20.0, 6), rtol=1e-12)


def test_ring4_secular_rate_matches_sympy_root():
    eta, zeta, _, _ = symbolic.symbols()
    expr = symbolic.secular_rate([1, "1/3", "1/3", "-1/3"])
    for lr, z in [(0.01, 10), (0.1, 10), (0.2, 3)]:
        assert q.quadratic_rate(tt.ring(4), lr=lr, zeta=z) == pytest.approx(float(expr.subs({eta: lr, zeta: z})), rel=1e-12)


def test_optimum_is_a_maximum_and_edge_is_zero_crossing():
    for s in (tt.star(8), tt.one_peer_exponential(8), tt.ring(16)):
        res = q.optimal_learning_rate(s, zeta=50)
        near = q.quadratic_rate(s, lr=res.lr * np.array([0.999, 1.001]), zeta=50)
        assert np.all(near < res.rate)
        assert res.rate == pytest.approx(q.quadratic_rate(s, lr=res.lr, zeta=50), rel=1e-14)
        assert 1 / 50 <= res.lr <= 8 / 57 * (16 / 8) and res.max_lr > res.lr
        assert q.quadratic_rate(s, lr=res.max_lr * (1 - 1e-9), zeta=50) > 0
        assert np.isnan(q.quadratic_rate(s, lr=res.max_lr * (1 + 1e-9), zeta=50))
        from topotheory import effective_neighbors

        assert res.effective_neighbors == pytest.approx(effective_neighbors(s, res.gamma), rel=1e-8)


def test_rings_of_growing_size_converge_to_the_infinite_ring():
    z = 50.0
    inf = q.optimal_learning_rate(infinite_ring(), zeta=z)
    res = [q.optimal_learning_rate(tt.ring(n), zeta=z) for n in (1, 2, 4, 8, 16, 32, 64)]
    rates = [r.rate for r in res]
    # the optimal rate improves with the ring size and saturates at the infinite ring's (gap 0)
    assert all(b > a for a, b in zip(rates, rates[1:]))
    assert rates[-1] < inf.rate and inf.rate - rates[-1] < 1e-7
    # the optimal learning rate grows from 1/zeta, overshoots around n ~ 8-16, then converges
    lrs = [r.lr for r in res]
    assert lrs[0] == pytest.approx(1 / z) and lrs[1] > lrs[0] and lrs[2] > lrs[1]
    errs = [abs(x - inf.lr) for x in lrs[3:]]
    assert all(b < a for a, b in zip(errs, errs[1:])) and errs[-1] < 1e-6
    assert inf.max_lr == pytest.approx(q.max_learning_rate(tt.ring(64), zeta=z), rel=1e-6)


@pytest.mark.parametrize("graph, finite", [(infinite_ring, lambda: tt.ring(2**20)),
                                           (infinite_uni_ring, lambda: tt.uni_ring(2**20))])
def test_infinite_rings_match_huge_rings(graph, finite):
    """A ring of 2^20 workers is the infinite ring to machine precision at these learning rates."""
    lrs = np.array([0.01, 0.05, 0.12])
    r_inf = q.quadratic_rate(graph(), lr=lrs, zeta=30)
    np.testing.assert_allclose(r_inf, q.quadratic_rate(finite(), lr=lrs, zeta=30), rtol=1e-12)
    np.testing.assert_allclose(q.quadratic_rate(graph(), lr=lrs, zeta=30, method="fixed_point"), r_inf, rtol=1e-9)
    np.testing.assert_allclose(q.quadratic_rate(graph(), lr=lrs, zeta=30, method="secular"), r_inf, rtol=0)


def test_infinite_grid_is_the_limit_of_growing_tori():
    """Recurrent but barely (d_s = 2): tori approach the infinite grid like 1/N^2 from below."""
    lrs = np.array([0.003, 0.01])
    r_inf = q.quadratic_rate(infinite_grid(), lr=lrs, zeta=2000)
    errs = [r_inf - q.quadratic_rate(tt.torus(N, N), lr=lrs, zeta=2000) for N in (64, 256)]
    assert np.all(errs[0] > 0) and np.all(errs[1] > 0)
    assert np.all(errs[1] < errs[0] / 8) and np.all(errs[1] < 3e-4 * r_inf)
    np.testing.assert_allclose(q.quadratic_rate(infinite_grid(), lr=lrs, zeta=2000, method="fixed_point"), r_inf,
                               rtol=1e-9)
    # at moderate noise the infinite grid is as fast as an infinite fully connected network:
    # the secular root u = rho - a is below 1e-20 (n_W ~ 1/((1-gamma) log(1/(1-gamma))))
    np.testing.assert_allclose(q.quadratic_rate(infinite_grid(), lr=0.05, zeta=30), 2 * 0.05 - 0.05**2, rtol=1e-14)


def test_noiseless_and_special_learning_rates():
    # zeta = 1: no gradient noise, rho = (1 - lr)^2 for every doubly stochastic scheme
    for s in (tt.star(6), tt.ring(6), tt.local_steps(4, 2)):
        np.testing.assert_allclose(q.quadratic_rate(s, lr=[0.1, 1.0, 1.5], zeta=1.0), [0.19, 1.0, 0.75], rtol=1e-12)
    assert q.max_learning_rate(tt.star(6), zeta=1.0) == 2.0
    res = q.optimal_learning_rate(tt.ring(5), zeta=1.0)
    assert (res.lr, res.rate) == (1.0, 1.0) and np.isnan(res.gamma) and np.isnan(res.n_equivalent)  # 0/0: NaN
    # lr = 1 (a = 0): the map is C -> beta W Diag(C) W^T, not zero (THEORY §8 pitfall)
    s = tt.star(5)
    assert q.quadratic_rate(s, lr=1.0, zeta=1.2, log=True)[1]["rho"] == pytest.approx(kronecker_rho(s, 1.0, 1.2), abs=1e-12)


def test_diagnostics_log():
    r, info = q.quadratic_rate(tt.star(8), lr=0.03, zeta=50, log=True)
    assert set(info) == {"method", "rho", "iterations", "residual", "converged", "diverged"}
    assert isinstance(r, float) and isinstance(info["rho"], float) and isinstance(info["converged"], bool)
    assert info["residual"] < 1e-12 and info["iterations"] >= 1 and not info["diverged"]
    r, info = q.quadratic_rate(tt.star(8), lr=[[0.03, 2.5]], zeta=50, log=True)
    assert r.shape == (1, 2) and info["diverged"].tolist() == [[False, True]] and np.isnan(r[0, 1])
    assert info["rho"][0, 1] > 1


# ----------------------------------------------------------------------------- loss curves
def enumerate_gram(Ws, lr, steps, x0, d):
    """Exact E<x_i(t), x_j(t)> by Gauss-Hermite enumeration of every Gaussian sample (n = 2).

    Each sample a (dimension d) enters the second moment with degree 4, so the 3-node rule per
    coordinate is exact. All 2 * d coordinates per step are enumerated: 9^(d t) paths.
    """
    nodes, weights = np.polynomial.hermite_e.hermegauss(3)
    weights = weights / weights.sum()
    n = 2
    X = np.array(x0, dtype=float)[None]  # (paths, n, d)
    P = np.ones(1)
    grams = [np.einsum("pid,pjd,p->ij", X, X, P)]
    combos = np.array(list(itertools.product(range(3), repeat=n * d)))
    A = nodes[combos].reshape(-1, n, d)  # (c, n, d)
    Pw = np.prod(weights[combos], axis=1)
    for t in range(steps):
        W = Ws[t % len(Ws)]
        # gradient step x - lr a (a.x) for every worker, then gossip
        proj = np.einsum("cid,pid->pci", A, X)
        Y = X[:, None] - lr * A[None] * proj[..., None]  # (p, c, n, d)
        Y = np.einsum("ij,pcjd->pcid", W, Y).reshape(-1, n, d)
        P = (P[:, None] * Pw[None]).ravel()
        X = Y
        grams.append(np.einsum("pid,pjd,p->ij", X, X, P))
    return np.array(grams)


@pytest.mark.parametrize("case", ["static", "periodic", "start"])
def test_loss_curve_matches_exact_enumeration_n2_d1(case):
    W1 = np.array([[0.7, 0.3], [0.3, 0.7]])
    W2 = np.array([[0.5, 0.5], [0.5, 0.5]])
    Ws = [W1] if case != "periodic" else [W1, np.eye(2), W2]
    x0 = [[1.0], [1.0]] if case != "start" else [[1.0], [-0.5]]
    lr, steps = 0.3, 5
    grams = enumerate_gram(Ws, lr, steps, x0, d=1)
    s = Scheme.from_matrices(Ws)
    init = None if case != "start" else np.array(x0) @ np.array(x0).T
    curve = q.loss_curve(s, lr=lr, zeta=tt.zeta(1), steps=steps, initial=init)
    np.testing.assert_allclose(curve, np.trace(grams, axis1=1, axis2=2) / 4, rtol=1e-12)


def test_loss_curve_matches_exact_enumeration_n2_d2():
    W = np.array([[0.6, 0.4], [0.4, 0.6]])
    x0 = np.array([[0.6, 0.8], [0.6, 0.8]])
    grams = enumerate_gram([W], 0.2, 3, x0, d=2)
    curve = q.loss_curve(Scheme.from_matrix(W), lr=0.2, zeta=tt.zeta(2), steps=3)
    np.testing.assert_allclose(curve, np.trace(grams, axis1=1, axis2=2) / 4, rtol=1e-12)


@pytest.mark.parametrize("make", [lambda: tt.star(8), lambda: tt.ring(8), lambda: tt.one_peer_exponential(8),
                                  lambda: SMALL["periodic_mixed"](), lambda: tt.local_steps(6, 3)])
def test_loss_decays_at_the_asymptotic_rate(make):
    s = make()
    lr, z = 0.05, 20.0
    r = q.quadratic_rate(s, lr=lr, zeta=z)
    curve = q.loss_curve(s, lr=lr, zeta=z, steps=1200)
    p = s.period
    ratio = curve[-1] / curve[-1 - p]
    assert ratio ** (1 / p) == pytest.approx(1 - r, rel=1e-9)


def test_loss_curve_routes_agree():
    lrs = np.array([0.02, 0.2])
    # Fourier path (default start) vs dense Gram matrices (explicit all-ones start)
    s = tt.one_peer_exponential(8)
    np.testing.assert_allclose(q.loss_curve(s, lr=lrs, zeta=10, steps=30),
                               q.loss_curve(s, lr=lrs, zeta=10, steps=30, initial=np.ones((8, 8))), rtol=1e-12)
    # sparse products vs dense products
    sparse = tt.binary_tree(20)
    assert sparse.is_sparse(0)
    dense = Scheme.from_matrix(sparse.matrix(0))
    np.testing.assert_allclose(q.loss_curve(sparse, lr=lrs, zeta=10, steps=30),
                               q.loss_curve(dense, lr=lrs, zeta=10, steps=30), rtol=1e-12)
    # alone: closed form 0.5 (1 - 2 lr + zeta lr^2)^t
    c = q.loss_curve(tt.solo(3), lr=0.1, zeta=10, steps=7)
    np.testing.assert_allclose(c, 0.5 * 0.9 ** np.arange(8), rtol=1e-13)
    assert q.loss_curve(tt.ring(4), lr=0.1, zeta=10, steps=0).tolist() == [0.5]


@pytest.mark.parametrize("make", [lambda: tt.ring(16), lambda: tt.star(8), lambda: tt.one_peer_exponential(8),
                                  lambda: tt.local_steps(6, 4), lambda: SMALL["uni_ring_as_matrix"]()])
def test_time_to_target_matches_loss_curve(make):
    s = make()
    lrs = np.array([0.001, 0.004, 0.02, 0.08, 0.4])
    z, target, horizon = 20.0, 0.01, 3000
    steps = q.time_to_target(s, lr=lrs, zeta=z, target=target)
    curves = q.loss_curve(s, lr=lrs, zeta=z, steps=horizon)
    for k in range(lrs.size):
        below = np.flatnonzero(curves[k] < target)
        if below.size:
            assert steps[k] == below[0]
        else:
            assert steps[k] > horizon
    assert np.isinf(steps[-1])  # divergent
    assert q.time_to_target(s, lr=0.02, zeta=z, target=0.6) == 0.0
    assert np.isinf(q.time_to_target(s, lr=0.001, zeta=z, target=target, max_steps=100))


def test_time_to_target_jumps_ahead_exactly():
    """Long horizons: the jump-ahead count equals the iterated one."""
    s = tt.ring(8)
    lr, z = 2e-4, 10.0
    fast = q.time_to_target(s, lr=lr, zeta=z, target=0.01)
    curve = q.loss_curve(s, lr=lr, zeta=z, steps=int(fast) + 5)
    assert fast == np.flatnonzero(curve < 0.01)[0]
    assert fast > 9000


# ------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs, match", [
    (dict(lr=0.0, zeta=10), "lr must be > 0"),
    (dict(lr=-0.1, zeta=10), "lr must be > 0"),
    (dict(lr=np.nan, zeta=10), "lr must be finite"),
    (dict(lr=[0.1, np.inf], zeta=10), "lr must be finite"),
    (dict(lr=0.1, zeta=0.5), "zeta must lie in"),
    (dict(lr=0.1, zeta=np.nan), "zeta must be finite"),
    (dict(lr=0.1, zeta=10, method="kronecker"), "method must be one of"),
    (dict(lr=0.1, zeta=10, method="fixed_point", mode="median"), "mode must be one of"),
])
def test_quadratic_rate_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        q.quadratic_rate(tt.ring(4), **kwargs)


def test_bad_input_types_and_methods():
    with pytest.raises(TypeError, match="scheme"):
        q.quadratic_rate("not a graph", lr=0.1, zeta=10)
    assert q.quadratic_rate(np.eye(3), lr=0.1, zeta=10) == q.quadratic_rate(tt.solo(3), lr=0.1, zeta=10)
    with pytest.raises(TypeError, match="lr"):
        q.quadratic_rate(tt.ring(4), lr="fast", zeta=10)
    with pytest.raises(ValueError, match="does not apply.*method='exact'"):
        q.quadratic_rate(SMALL["periodic_mixed"](), lr=0.1, zeta=10, method="secular")
    with pytest.raises(ValueError, match="does not apply.*method='exact'"):
        q.quadratic_rate(SMALL["uni_ring_as_matrix"](), lr=0.1, zeta=10, method="secular")
    with pytest.raises(ValueError, match="steps must be >= 0"):
        q.loss_curve(tt.ring(4), lr=0.1, zeta=10, steps=-1)
    with pytest.raises(TypeError, match="steps must be an integer"):
        q.loss_curve(tt.ring(4), lr=0.1, zeta=10, steps=2.5)
    with pytest.raises(ValueError, match="target must lie in"):
        q.time_to_target(tt.ring(4), lr=0.1, zeta=10, target=0.0)
    with pytest.raises(ValueError, match="target must lie in"):
        q.time_to_target(tt.ring(4), lr=0.1, zeta=10, target=-1.0)
    with pytest.raises(ValueError, match="max_steps must be >= 0"):
        q.time_to_target(tt.ring(4), lr=0.1, zeta=10, target=0.1, max_steps=-5)
    with pytest.raises(ValueError, match=r"initial must be the \(4, 4\)"):
        q.loss_curve(tt.ring(4), lr=0.1, zeta=10, steps=3, initial=np.ones((3, 3)))
    with pytest.raises(ValueError, match="symmetric"):
        q.loss_curve(tt.ring(2), lr=0.1, zeta=10, steps=3, initial=np.array([[1.0, 0.5], [0.0, 1.0]]))
    with pytest.raises(TypeError, match="scheme"):
        q.loss_curve(infinite_ring(), lr=0.1, zeta=10, steps=3)
    with pytest.raises(ValueError, match="zeta must lie in"):
        q.optimal_learning_rate(tt.ring(4), zeta=0.9)
    with pytest.raises(ValueError, match="zeta must lie in"):
        q.max_learning_rate(tt.ring(4), zeta=-1)
    with pytest.raises(ValueError, match="d must be >= 1"):
        tt.zeta(0)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        tt.zeta(5, batch_size=0)


def test_initial_must_be_a_gram_matrix():
    with pytest.raises(ValueError, match="positive semidefinite"):
        q.loss_curve(tt.ring(4), lr=0.1, zeta=5, steps=2, initial=-np.eye(4))


def test_optimum_reports_phase_averaged_effective_neighbors_for_periodic_schemes():
    s = tt.local_steps(16, 4)
    opt = q.optimal_learning_rate(s, zeta=50)
    per_phase = [tt.effective_neighbors(s, opt.gamma, phase=p) for p in range(4)]
    assert opt.effective_neighbors == pytest.approx(1 / np.mean(1 / np.array(per_phase)), rel=1e-6)
    assert opt.effective_neighbors < max(per_phase) == pytest.approx(16)
