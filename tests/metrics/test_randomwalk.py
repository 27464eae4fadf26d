import networkx as nx
import numpy as np
import pytest
import scipy.linalg as sla
from hypothesis import given, settings
from hypothesis import strategies as st

import topotheory as tt
from topotheory import Scheme, effective_neighbors, random_walk_covariance


def brute_force_covariance(scheme, gamma, phase=0, periods=4000):
    """Independent route: iterate Sigma <- W_t (gamma Sigma + I) W_t^T to stationarity."""
    n = scheme.n
    S = np.zeros((n, n))
    for _ in range(periods):
        for j in range(scheme.period):
            W = scheme.matrix((phase + j) % scheme.period)
            S = W @ (gamma * S + np.eye(n)) @ W.T
    return S


def lyapunov_covariance(W, gamma):
    """Independent route for static W: scipy's discrete Lyapunov solver on the raw equation."""
    return sla.solve_discrete_lyapunov(np.sqrt(gamma) * W, W @ W.T)


def birkhoff(n, k, seed):
    """A random non-symmetric doubly stochastic matrix: convex combination of permutations."""
    rng = np.random.default_rng(seed)
    w = rng.dirichlet(np.ones(k))
    return sum(wi * np.eye(n)[rng.permutation(n)] for wi in w)


SCHEMES = {
    "ring": lambda: tt.ring(9),
    "star": lambda: tt.star(7),
    "binary_tree": lambda: tt.binary_tree(11),
    "two_cliques": lambda: tt.two_cliques(8),
    "uni_ring": lambda: tt.uni_ring(7),
    "exponential_graph": lambda: tt.exponential_graph(6),
    "one_peer_exponential": lambda: tt.one_peer_exponential(8),
    "local_steps": lambda: tt.local_steps(6, 3),
    "birkhoff": lambda: Scheme.from_matrix(birkhoff(6, 3, 1)),
    "periodic_mixed": lambda: Scheme.from_matrices([tt.star(6).matrix(0), birkhoff(6, 2, 2)]),
}


@pytest.mark.parametrize("name", sorted(SCHEMES))
@pytest.mark.parametrize("gamma", [0.0, 0.6, 0.95])
def test_all_routes_match_brute_force(name, gamma):
    s = SCHEMES[name]()
    for phase in range(s.period):
        S = brute_force_covariance(s, gamma, phase=phase, periods=800 if gamma < 0.99 else 4000)
        # brute force is indexed by the phase it starts from; it ends at the same phase.
        np.testing.assert_allclose(random_walk_covariance(s, gamma, phase=phase), S, rtol=1e-9, atol=1e-10)
        d = np.diag(S) * (1 - gamma)
        assert effective_neighbors(s, gamma, phase=phase) == pytest.approx(1 / d.mean(), rel=1e-10)
        assert effective_neighbors(s, gamma, mode="worst", phase=phase) == pytest.approx(1 / d.max(), rel=1e-10)
        np.testing.assert_allclose(effective_neighbors(s, gamma, mode="all", phase=phase), 1 / d, rtol=1e-10)


@pytest.mark.parametrize("make", [lambda: tt.binary_tree(13), lambda: tt.uni_ring(5), lambda: tt.social_network()])
def test_static_matches_scipy_lyapunov(make):
    s = make()
    for gamma in [0.3, 0.9]:
        S = lyapunov_covariance(s.matrix(0), gamma)
        np.testing.assert_allclose(random_walk_covariance(s, gamma), S, rtol=1e-8, atol=1e-10)


def test_eigen_formula_proposition2():
    s = tt.social_network()
    lam = np.linalg.eigvalsh(s.matrix(0))
    for g in [0.0, 0.5, 0.99]:
        inv = (1 - g) * np.mean(lam**2 / (1 - g * lam**2))
        assert effective_neighbors(s, g) == pytest.approx(1 / inv, rel=1e-12)


@pytest.mark.parametrize("make", [lambda: tt.star(9), lambda: tt.binary_tree(17), lambda: tt.chain(6),
                                  lambda: tt.social_network(), lambda: tt.two_cliques(10)])
def test_gamma_zero_is_n_over_frobenius(make):
    s = make()
    assert effective_neighbors(s, 0.0) == pytest.approx(s.n / np.sum(s.matrix(0) ** 2), rel=1e-12)


@pytest.mark.parametrize("s, deg", [(tt.ring(32), 2), (tt.torus(4, 8), 4), (tt.hypercube(32), 5), (tt.ring(10**5), 2)])
def test_gamma_zero_regular_is_degree_plus_one(s, deg):
    assert effective_neighbors(s, 0.0) == pytest.approx(deg + 1, rel=1e-12)


def test_gamma_to_one_reaches_n_on_connected_graphs():
    for s in [tt.ring(16), tt.star(16), tt.binary_tree(16), tt.one_peer_exponential(16), tt.uni_ring(16)]:
        assert effective_neighbors(s, one_minus_gamma=1e-12) == pytest.approx(16, rel=1e-8)
        # and one_minus_gamma gives the same as gamma where both are exact
        assert effective_neighbors(s, one_minus_gamma=0.25) == pytest.approx(effective_neighbors(s, 0.75), rel=1e-13)


def test_no_cancellation_close_to_one():
    """Against 50-digit arithmetic on the exact eigenvalues (an independent route)."""
    import mpmath

    mpmath.mp.dps = 50
    for s, lam in [
        (tt.ring(8), [(1 + 2 * mpmath.cos(2 * mpmath.pi * k / 8)) / 3 for k in range(8)]),
        (tt.star(6), [mpmath.mpf(1)] + [mpmath.mpf(5) / 6] * 4 + [mpmath.mpf(0)]),  # W = I - L/6
    ]:
        for c in [1e-6, 1e-10, 1e-13]:
            cc = mpmath.mpf(c)
            exact = 1 / (cc * mpmath.fsum(l**2 / (1 - (1 - cc) * l**2) for l in lam) / len(lam))
            assert effective_neighbors(s, one_minus_gamma=c) == pytest.approx(float(exact), rel=1e-12)


def test_star_eigenvalues_used_above():
    np.testing.assert_allclose(tt.star(6).eigenvalues(), [1, 5 / 6, 5 / 6, 5 / 6, 5 / 6, 0], atol=1e-14)


def test_solo_and_fully_connected():
    g = np.linspace(0, 0.999, 7)
    np.testing.assert_allclose(effective_neighbors(tt.solo(5), g), 1.0, atol=1e-13)
    np.testing.assert_allclose(effective_neighbors(tt.fully_connected(5), g), 5.0, rtol=1e-13)
    np.testing.assert_allclose(effective_neighbors(tt.fully_connected(5), g, mode="all"), 5.0, rtol=1e-13)
    assert effective_neighbors(tt.ring(1), 0.3) == pytest.approx(1.0)
    assert effective_neighbors(tt.ring(2), 0.3) == pytest.approx(2.0)


def test_circulant_schemes_are_phase_independent_local_steps_are_not():
    s = tt.one_peer_exponential(16)
    vals = [effective_neighbors(s, 0.9, phase=p) for p in range(s.period)]
    np.testing.assert_allclose(vals, vals[0], rtol=1e-12)
    assert effective_neighbors(s, 0.0) == pytest.approx(2.0)
    ls = tt.local_steps(8, 4)
    vals = [effective_neighbors(ls, 0.9, phase=p) for p in range(4)]
    assert vals[0] == pytest.approx(8.0, rel=1e-12)  # right after the average
    # independent route: the stationary per-worker covariance of the walk, iterated on dense matrices
    # over many periods from zero (the error decays like 0.9**t), read at each phase
    S, n, g, covs = np.zeros((8, 8)), 8, 0.9, {}
    J = np.full((8, 8), 1 / 8)
    for t in range(4 * 400):
        B = ls.matrix(t % 4) - J
        S = B @ (g * S + np.eye(n)) @ B.T
        covs[(t + 1) % 4] = S
    brute = [1 / (1 / n + (1 - g) * np.trace(covs[p]) / n) for p in range(4)]
    np.testing.assert_allclose(vals, brute, rtol=1e-10)
    # local steps: n_W decays over the local phases and jumps back to n after the average
    assert vals[0] > vals[1] > vals[2] > vals[3] > 1
    assert len({round(v, 8) for v in vals}) == 4


def test_one_peer_exponential_closed_form():
    # The product over one period is J: in Fourier, |prod mu_k| = 0 for k != 0, so the per-mode
    # variance solves one period from zero; brute force over one period equals the stationary one.
    s = tt.one_peer_exponential(8)
    g = 0.7
    S = np.zeros((8, 8))
    J = np.full((8, 8), 1 / 8)
    for t in range(s.period):
        B = s.matrix(t) - J
        S = B @ (g * S + np.eye(8)) @ B.T
    expected = 1 / (1 / 8 + (1 - g) * S[0, 0])
    assert effective_neighbors(s, g) == pytest.approx(expected, rel=1e-12)


def test_finite_rings_converge_to_infinite_ring():
    inf = effective_neighbors(tt.infinite_ring(), [0.5, 0.9, 0.99])
    errs = [np.max(np.abs(effective_neighbors(tt.ring(n), [0.5, 0.9, 0.99]) - inf)) for n in (16, 64, 256, 4096)]
    assert errs[-1] < 1e-9 and all(a >= b for a, b in zip(errs, errs[1:]))
    assert effective_neighbors(tt.ring(10**5), 0.999) == pytest.approx(
        effective_neighbors(tt.infinite_ring(), 0.999), rel=1e-10)


def test_infinite_ring_asymptotics_and_closed_form():
    c = 1e-8
    nw = effective_neighbors(tt.infinite_ring(), one_minus_gamma=c)
    assert nw * np.sqrt(c) / np.sqrt(8 / 3) == pytest.approx(1.0, rel=1e-3)
    # the closed form is continuous across the small-gamma quadrature switch
    a, b = effective_neighbors(tt.infinite_ring(), [0.0499999, 0.0500001])
    assert a == pytest.approx(b, rel=1e-5)


def test_infinite_uni_ring_exact():
    g = np.array([0.0, 0.3, 0.99, 0.999999])
    np.testing.assert_allclose(effective_neighbors(tt.infinite_uni_ring(), g), 1 + 1 / np.sqrt(1 - g), rtol=1e-12)
    np.testing.assert_allclose(effective_neighbors(tt.uni_ring(20000), g[:3]), 1 + 1 / np.sqrt(1 - g[:3]), rtol=1e-8)


def test_infinite_grid_against_large_torus_and_asymptotics():
    for g in [0.0, 0.5, 0.9, 0.99]:
        assert effective_neighbors(tt.infinite_grid(), g) == pytest.approx(
            effective_neighbors(tt.torus(400, 400), g), rel=1e-9)
    c = 1e-10
    nw = effective_neighbors(tt.infinite_grid(), one_minus_gamma=c)
    assert nw / (8 * np.pi / (5 * c * np.log(1 / c))) == pytest.approx(1.0, abs=0.01)


def test_infinite_graphs_reject_mode_all():
    with pytest.raises(ValueError, match="mode='all'"):
        effective_neighbors(tt.infinite_ring(), 0.5, mode="all")
    assert effective_neighbors(tt.infinite_ring(), 0.5, mode="worst") == effective_neighbors(tt.infinite_ring(), 0.5)


def test_shapes():
    s = tt.star(5)
    assert isinstance(effective_neighbors(s, 0.5), float)
    assert effective_neighbors(s, [0.1, 0.5]).shape == (2,)
    assert effective_neighbors(s, [[0.1], [0.5]], mode="worst").shape == (2, 1)
    assert effective_neighbors(s, [0.1, 0.5, 0.9], mode="all").shape == (3, 5)
    assert effective_neighbors(tt.ring(6), [0.1, 0.5], mode="all").shape == (2, 6)
    assert effective_neighbors(tt.local_steps(4, 2), [0.1, 0.5], mode="all").shape == (2, 4)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"gamma": 1.0}, ValueError, r"gamma must lie in \[0, 1\)"),
        ({"gamma": -0.1}, ValueError, "gamma must lie"),
        ({"gamma": np.nan}, ValueError, "finite"),
        ({"gamma": "x"}, TypeError, "gamma"),
        ({"gamma": 0.5, "mode": "median"}, ValueError, "mode must be one of"),
        ({"gamma": 0.5, "one_minus_gamma": 0.5}, ValueError, "not both"),
        ({"one_minus_gamma": 0.0}, ValueError, "one_minus_gamma"),
        ({}, TypeError, "gamma is required"),
    ],
)
def test_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        effective_neighbors(tt.ring(5), **kwargs)


def test_bad_scheme_and_covariance_input():
    with pytest.raises(TypeError, match="Scheme"):
        effective_neighbors(object(), 0.5)
    assert effective_neighbors(np.full((3, 3), 1 / 3), 0.5) == pytest.approx(3.0, rel=1e-14)
    with pytest.raises(ValueError, match="scalar"):
        random_walk_covariance(tt.ring(4), [0.1, 0.2])


# ------------------------------------------------------------------------------- bounds
def test_spectral_gap_bound_tight_for_mix_and_upper_bound_elsewhere():
    g = np.array([0.0, 0.5, 0.9, 0.99, 0.999])
    for alpha in [0.05, 0.3, 0.9]:
        np.testing.assert_allclose(tt.spectral_gap_bound(16, g, alpha), effective_neighbors(tt.mix(16, alpha), g),
                                   rtol=1e-12)
    # Lazy graphs have eigenvalues in [0, 1]: the bound with alpha = their gap holds (n_W >= bound),
    # and is strict for graphs whose non-unit eigenvalues are not all equal.
    for s in [tt.ring(16).lazy(), tt.star(16).lazy(), tt.binary_tree(16).lazy(), tt.torus(4, 4).lazy()]:
        alpha = tt.spectral_gap(s)
        nw, bound = effective_neighbors(s, g), tt.spectral_gap_bound(16, g, alpha)
        assert np.all(nw >= bound * (1 - 1e-12))
        assert np.all(nw[2:] > bound[2:] * (1 + 1e-6))


def test_spectral_dimension_bound_holds_for_infinite_ring():
    # Infinite ring: sigma((lam, 1)) = arccos(1 - 3(1-lam)/2)/pi <= (sqrt(3)/2) (1 - lam)^(1/2),
    # so d_s = 1 with c_s = 2/sqrt(3).
    g = np.array([0.1, 0.5, 0.9, 0.99, 0.9999])
    lower = tt.spectral_dimension_bound(g, d_s=1, c_s=2 / np.sqrt(3))
    assert np.all(effective_neighbors(tt.infinite_ring(), g) >= lower)
    # the three regimes are continuous in d_s around 2 at fixed gamma (limits of the formulas)
    mid = tt.spectral_dimension_bound(0.9, d_s=2, c_s=1.0)
    assert tt.spectral_dimension_bound(0.9, d_s=2.0001, c_s=1.0, n=10**9) > 0
    assert mid > 0 and np.isfinite(mid)


def test_bound_bad_input():
    with pytest.raises(ValueError, match="spectral_gap"):
        tt.spectral_gap_bound(8, 0.5, 1.5)
    with pytest.raises(ValueError, match="n must be"):
        tt.spectral_gap_bound(0, 0.5, 0.5)
    with pytest.raises(ValueError, match="d_s"):
        tt.spectral_dimension_bound(0.5, d_s=0, c_s=1)


# -------------------------------------------------------------------------- properties
@st.composite
def connected_graphs(draw):
    n = draw(st.integers(min_value=2, max_value=10))
    seed = draw(st.integers(min_value=0, max_value=10**6))
    rng = np.random.default_rng(seed)
    G = nx.Graph()
    G.add_nodes_from(range(n))
    for i in range(1, n):  # random tree
        G.add_edge(i, int(rng.integers(0, i)))
    extra = draw(st.integers(min_value=0, max_value=n))
    for _ in range(extra):
        a, b = rng.integers(0, n, size=2)
        if a != b:
            G.add_edge(int(a), int(b))
    return G


@settings(max_examples=40, deadline=None)
@given(G=connected_graphs(), g1=st.floats(0, 0.999), g2=st.floats(0, 0.999),
       rule=st.sampled_from(["metropolis", "max_degree", "lazy_metropolis"]))
def test_properties_on_random_connected_graphs(G, g1, g2, rule):
    s = Scheme.from_networkx(G, rule)
    n = s.n
    lo, hi = sorted((g1, g2))
    mean = effective_neighbors(s, [lo, hi])
    worst = effective_neighbors(s, [lo, hi], mode="worst")
    assert np.all(mean >= 1 - 1e-12) and np.all(mean <= n * (1 + 1e-12))
    assert mean[0] <= mean[1] * (1 + 1e-12)  # non-decreasing in gamma (symmetric W)
    assert np.all(worst <= mean * (1 + 1e-12))
    # permutation invariance
    perm = np.random.default_rng(0).permutation(n)
    P = np.eye(n)[perm]
    sp = Scheme.from_matrix(P @ s.matrix(0) @ P.T)
    assert effective_neighbors(sp, hi) == pytest.approx(mean[1], rel=1e-10)
    np.testing.assert_allclose(effective_neighbors(sp, hi, mode="all"),
                               effective_neighbors(s, hi, mode="all")[perm], rtol=1e-10)
