"""Tests of topotheory.bounds (paper §4) against direct linear algebra and between the statements."""

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.optimize as so

import topotheory as tt
from topotheory import bounds
from topotheory import effective_neighbors

LAZY = {
    "ring": lambda: tt.ring(8).lazy(),
    "star": lambda: tt.star(7).lazy(),
    "binary_tree": lambda: tt.binary_tree(9).lazy(),
    "two_cliques": lambda: tt.two_cliques(8).lazy(),
}


@pytest.mark.parametrize("make", [lambda: tt.ring(8), lambda: tt.star(6), lambda: tt.binary_tree(9).lazy()])
def test_m_matrix_matches_direct_formula_and_n_w(make):
    s = make()
    W = s.matrix(0)
    for g in (0.0, 0.5, 0.99):
        W2 = W @ W
        direct = (1 - g) * np.linalg.solve((np.eye(s.n) - g * W2).T, W2.T).T
        M = bounds.m_matrix(s, g)
        np.testing.assert_allclose(M, direct, atol=1e-12)
        np.testing.assert_allclose(1 / np.diag(M), effective_neighbors(s, g, mode="all"), rtol=1e-10)


def generalized_beta(s, g):
    """Largest beta with beta (I - M) <= L_W W on the complement of the consensus vector."""
    n = s.n
    W = s.matrix(0)
    P = sla.null_space(np.ones((1, n)))
    A = P.T @ ((np.eye(n) - W) @ W) @ P
    B = P.T @ (np.eye(n) - bounds.m_matrix(s, g)) @ P
    return sla.eigh(A, B, eigvals_only=True)[0]


@pytest.mark.parametrize("name", sorted(LAZY))
def test_beta_eq33_is_the_largest_admissible_constant(name):
    s = LAZY[name]()
    g = np.array([0.0, 0.6, 0.95])
    b33 = bounds.beta(s, g, kind="eq33")
    np.testing.assert_allclose(b33, [generalized_beta(s, x) for x in g], rtol=1e-9)
    # eq. 34 is a valid (smaller) choice when lambda_min >= 1/2
    assert np.all(bounds.beta(s, g) <= b33 + 1e-15)
    lam2 = s.eigenvalues()[1]
    np.testing.assert_allclose(bounds.beta(s, g), (1 - g * lam2) / 4, rtol=1e-14)


def test_beta_eq33_not_positive_with_non_positive_eigenvalues():
    assert bounds.beta(tt.ring(8), 0.5, kind="eq33") < 0
    assert bounds.beta(tt.ring(4).lazy(), 0.5, kind="eq33") > 0
    swap = tt.Scheme.from_matrix(np.array([[0.0, 1.0], [1.0, 0.0]]))
    assert bounds.beta(swap, 0.5, kind="eq33") == -np.inf  # eigenvalue -1
    assert bounds.beta(tt.ring(2), 0.5, kind="eq33") == 0.0  # eigenvalue 0
    assert bounds.beta(tt.ring(8), [0.1, 0.2], kind=0.3).tolist() == [0.3, 0.3]
    assert bounds.beta(tt.solo(1), 0.5) == np.inf
    # non-positive beta: no admissible learning rate
    assert np.isnan(bounds.theorem6_learning_rate(tt.ring(8), 0.5, zeta=10, beta_kind="eq33"))


def test_theorem6_terms_and_figure3_shape():
    g = 1 - np.geomspace(1e-4, 0.5, 300)
    peaks = []
    for s in (tt.ring(32).lazy(), tt.torus(4, 8).lazy(), tt.hypercube(32).lazy()):
        out = bounds.theorem6_learning_rate(s, g, zeta=2000, terms=True)
        np.testing.assert_allclose(out["lr"], np.minimum(out["consensus_term"], out["noise_term"]), rtol=0)
        np.testing.assert_allclose(out["omega"], 1 / out["effective_neighbors"], rtol=1e-14)
        # the extended paper's constants cap the rate at 1/(4(2 zeta/n + L)) (THEORY §4, figure 3)
        assert np.all(out["lr"] <= 1 / (4 * (2 * 2000 / 32 + 1)) + 1e-15)
        k = int(np.argmax(out["lr"]))
        assert 0 < k < g.size - 1  # rises where noise limits, falls where consensus limits
        peaks.append((out["lr"][k], out["effective_neighbors"][k]))
    # better-connected graphs peak later (at larger n_W) and higher
    assert peaks[0][0] < peaks[1][0] < peaks[2][0]
    assert peaks[0][1] < peaks[1][1] < peaks[2][1]
    # an explicit omega and the mean mode
    v = bounds.theorem6_learning_rate(tt.star(8).lazy(), 0.9, zeta=100, omega=0.5, mode="mean")
    nw = effective_neighbors(tt.star(8).lazy(), 0.9)
    b = bounds.beta(tt.star(8).lazy(), 0.9)
    assert v == pytest.approx(min(b * 0.5, 1 / (4 * ((1 / nw + 0.5) * 100 + 1))), rel=1e-14)


@pytest.mark.parametrize("name", sorted(LAZY))
def test_corollary7_equals_theorem6_where_it_holds(name):
    s = LAZY[name]()
    g = 1 - np.geomspace(1e-4, 0.9, 60)
    c = bounds.corollary7(s, g, zeta=500, L=2.0)
    t6 = bounds.theorem6_learning_rate(s, g, zeta=500, L=2.0)
    assert c.holds.any() and (~c.holds).any()
    np.testing.assert_allclose(c.lr[c.holds], t6[c.holds], rtol=1e-13)
    assert np.all(t6[~c.holds] < c.lr[~c.holds])


def test_corollary8_constant_from_corollary7_and_spectral_dimension():
    """Maximise Corollary 7's rate under n_W^{-1} = (1-g)/(g (d_s - 2) c_s) (eq. 14, n = inf):
    as zeta/L grows the optimum approaches the re-derived constants (2^{1/3} above the printed ones)."""
    d_s, c_s, L = 3.0, 2.0, 1.0
    ratios = []
    for z in (1e4, 1e7, 1e10):
        nw = lambda c: (1 - c) * (d_s - 2) * c_s / c  # noqa: E731  (c = 1 - gamma)
        cond = lambda c: 4 / nw(c) * c / 4 * (2 * z / nw(c) + L) - L  # noqa: E731
        # cond increases with c = 1 - gamma; the smallest admissible c gives the largest learning rate
        x = so.brentq(lambda x: cond(10.0**x), -30, -1e-9, xtol=1e-14)
        g_star = 10.0**x
        lr = 1 / (8 * z / nw(g_star) + 4 * L)
        c8 = bounds.corollary8(d_s=d_s, c_s=c_s, zeta=z, L=L)
        ratios.append((lr / c8.lr_derived, nw(g_star) / c8.effective_neighbors_derived))
        assert c8.lr_derived / c8.lr == pytest.approx(2 ** (1 / 3))
    assert abs(ratios[-1][0] - 1) < 1e-3 and abs(ratios[-1][1] - 1) < 1e-3
    assert abs(ratios[-1][0] - 1) < abs(ratios[0][0] - 1)


def test_corollary10_and_koloskova_are_consistent():
    common = dict(sigma2=2.0, mu=0.1, L=1.0, zeta=100.0)
    # eq35 variant of the large-decay n_W is Corollary 8's (printed) n_W
    t = bounds.corollary10_rate(T=1e4, n=10**6, d_s=3.5, c_s=2.0, large_constant="eq35", **common)
    c8 = bounds.corollary8(d_s=3.5, c_s=2.0, zeta=100.0, L=1.0)
    assert t.details["effective_neighbors_large"] == pytest.approx(c8.effective_neighbors, rel=1e-14)
    # eq47 as printed uses c_s d_s instead of c_s (d_s - 2)
    t47 = bounds.corollary10_rate(T=1e4, n=10**6, d_s=3.5, c_s=2.0, **common)
    assert t47.details["effective_neighbors_large"] == pytest.approx((2.0 * 3.5 * 100.0) ** (1 / 3), rel=1e-14)
    # for long horizons both noise terms reach the centralized sigma^2/(mu^2 T n)
    T, n = 1e9, 16
    k = bounds.koloskova_rate(T=T, n=n, spectral_gap=0.05, **common)
    c = bounds.corollary10_rate(T=T, n=n, d_s=2.0, c_s=1.0, **common)
    central = 2.0 / (0.01 * T * n)
    assert c.noise == pytest.approx(central, rel=1e-14)
    assert k.noise == pytest.approx(central, rel=1e-4) and k.noise > central
    # heterogeneity and transient terms, and the total
    k2 = bounds.koloskova_rate(T=100.0, n=n, spectral_gap=0.5, delta2=3.0, **common)
    assert k2.heterogeneity == pytest.approx(1.0 * 3.0 / (0.1**3 * 0.25 * 100.0**2))
    assert k2.transient == pytest.approx(np.exp(-0.1 * 0.5 * 100.0 / 100.0))
    assert k2.total == pytest.approx(k2.noise + k2.heterogeneity + k2.transient)
    assert set(k2.as_dict()) >= {"noise", "heterogeneity", "transient", "total"}
    # a spectral gap of 0 (infinite graphs) makes Koloskova's bound vacuous, not Corollary 10's
    k0 = bounds.koloskova_rate(T=1e4, n=np.inf, spectral_gap=0.0, **common)
    assert np.isinf(k0.noise) and k0.transient == 1.0
    assert np.isfinite(bounds.corollary10_rate(T=1e4, n=np.inf, d_s=1.0, c_s=1.0, **common).total)


def test_bad_input():
    with pytest.raises(ValueError, match="static symmetric"):
        bounds.m_matrix(tt.uni_ring(5), 0.5)
    with pytest.raises(ValueError, match="static symmetric"):
        bounds.beta(tt.local_steps(4, 2), 0.5)
    with pytest.raises(ValueError, match="gamma must lie in"):
        bounds.beta(tt.ring(5), 1.0)
    with pytest.raises(ValueError, match="kind must be one of"):
        bounds.beta(tt.ring(5), 0.5, kind="eq35")
    with pytest.raises(ValueError, match="kind must lie in"):
        bounds.beta(tt.ring(5), 0.5, kind=-1.0)
    with pytest.raises(ValueError, match="scalar"):
        bounds.m_matrix(tt.ring(5), [0.1, 0.2])
    with pytest.raises(ValueError, match="zeta must lie in"):
        bounds.theorem6_learning_rate(tt.ring(5), 0.5, zeta=0.0)
    with pytest.raises(ValueError, match="omega must lie in"):
        bounds.theorem6_learning_rate(tt.ring(5), 0.5, zeta=10.0, omega=2.0)
    with pytest.raises(ValueError, match="L must lie in"):
        bounds.corollary7(tt.ring(5), 0.5, zeta=10.0, L=0.0)
    with pytest.raises(ValueError, match="d_s must lie in"):
        bounds.corollary8(d_s=2.0, c_s=1.0, zeta=10.0)
    with pytest.raises(ValueError, match="needs d_s > 2"):
        bounds.corollary10_rate(T=10, sigma2=1, mu=1, L=1, zeta=1, n=4, d_s=1.0, c_s=1.0, large_constant="eq35")
    with pytest.raises(ValueError, match="T must lie in"):
        bounds.koloskova_rate(T=0, sigma2=1, mu=1, L=1, zeta=1, n=4, spectral_gap=0.5)
    with pytest.raises(ValueError, match="spectral_gap must lie in"):
        bounds.koloskova_rate(T=10, sigma2=1, mu=1, L=1, zeta=1, n=4, spectral_gap=-0.1)
    with pytest.raises(ValueError, match="n must lie in"):
        bounds.koloskova_rate(T=10, sigma2=1, mu=1, L=1, zeta=1, n=0, spectral_gap=0.5)
