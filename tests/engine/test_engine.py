"""The engine: one representation per scheme, its interface contract against brute-force dense
routes, exactness as gamma -> 1 on parts that never mix, spectral-gap conventions, result types."""

import json
import pathlib
import pickle
import re

import numpy as np
import pytest

import topotheory as tt
from topotheory import engine
from topotheory.engine import resolve
from topotheory.metrics.functionals import s1_functional
from oracles import kronecker_rho

PACKAGE = pathlib.Path(tt.__file__).parent
_INTERLEAVE = np.array([0, 3, 1, 4, 2, 5])
#: Two disjoint triangles {0, 2, 4}, {1, 3, 5} (interleaved: the computed second unit eigenvalue is 1 - O(eps))
TRIANGLES = np.kron(np.eye(2), np.full((3, 3), 1.0 / 3.0))[np.ix_(_INTERLEAVE, _INTERLEAVE)]
CYCLES = np.kron(np.eye(2), np.roll(np.eye(3), 1, axis=1))  # two directed 3-cycles
PAIRS = np.kron(np.eye(2), np.full((2, 2), 0.5))


def cosets():
    """Circulant on Z_12 averaging over each coset of 4Z_12: four disjoint triangles, Fourier route.

    (Its FFT gives the unit modulus of mode 6 as 1 - 2.2e-16: the structural snap keeps n_W = 3.)
    """
    k = np.zeros(12)
    k[::4] = 1.0 / 3.0
    return tt.Scheme.from_circulant((12,), [k], name="cosets")


def periodic_circulant():
    k0 = np.array([0.5, 0.3, 0.0, 0.0, 0.2])
    k1 = np.array([0.6, 0.0, 0.4, 0.0, 0.0])
    return tt.Scheme.from_circulant((5,), [k0, k1], name="periodic circulant")


def random_doubly_stochastic(n, seed, terms=3):
    rng = np.random.default_rng(seed)
    w = rng.dirichlet(np.ones(terms))
    return sum(wk * np.eye(n)[rng.permutation(n)] for wk in w)


#: (scheme factory, route) pairs: every representation on schemes it applies to (small n).
REPRESENTATIONS = [
    (lambda: tt.ring(6), "fourier"),
    (lambda: tt.ring(6), "eigen"),
    (lambda: tt.ring(6), "dense"),
    (lambda: tt.uni_ring(5), "fourier"),
    (lambda: tt.uni_ring(5), "dense"),
    (periodic_circulant, "fourier"),
    (periodic_circulant, "dense"),
    (cosets, "fourier"),
    (cosets, "eigen"),
    (lambda: tt.star(5), "eigen"),
    (lambda: tt.star(5), "dense"),
    (lambda: tt.Scheme.from_matrix(TRIANGLES), "eigen"),
    (lambda: tt.Scheme.from_matrix(TRIANGLES), "dense"),
    (lambda: tt.Scheme.from_matrices([tt.ring(5).matrix(0), tt.star(5).matrix(0)]), "dense"),
    (lambda: tt.Scheme.from_matrix(random_doubly_stochastic(5, 1)), "dense"),
    (lambda: tt.Scheme.from_matrices([random_doubly_stochastic(4, 2), random_doubly_stochastic(4, 3)]), "dense"),
    (lambda: tt.Scheme.from_matrix(CYCLES), "dense"),
    (lambda: tt.Scheme.from_matrices([PAIRS, np.eye(4), np.eye(4)]), "dense"),
    (lambda: tt.ring(6), "krylov"),
    (lambda: tt.Scheme.from_matrix(TRIANGLES), "krylov"),
]
#: Matrix-free routes: no dense covariance matrix and no full spectrum (their contract checks what they offer).
MATRIX_FREE = {"krylov"}
IDS = [f"{make().name}-{route}-{i}" for i, (make, route) in enumerate(REPRESENTATIONS)]


def brute_covariance(s, gamma, phase, terms=400):
    """Sigma = sum_k gamma^(k-1) Pi_k Pi_k^T, Pi_k the product of the k steps before the phase."""
    n, p = s.n, s.period
    Pi = np.eye(n)
    out = np.zeros((n, n))
    for k in range(1, terms + 1):
        Pi = Pi @ s.matrix((phase - k) % p)
        out += gamma ** (k - 1) * Pi @ Pi.T
    return out


# ------------------------------------------------------------------------------------ resolution
def test_automatic_route_order():
    assert resolve(tt.ring(8)).route == "fourier"  # circulant first, even when symmetric
    assert resolve(tt.star(8)).route == "eigen"
    assert resolve(tt.Scheme.from_matrix(CYCLES)).route == "dense"
    assert resolve(tt.Scheme.from_matrices([np.eye(3)] * 2)).route == "dense"
    assert resolve(tt.infinite_ring()).route == "spectral-measure"
    s = tt.ring(8)
    assert resolve(s) is resolve(s)  # resolved once, cached on the scheme


def test_named_routes_are_checked():
    with pytest.raises(ValueError, match="static symmetric"):
        resolve(tt.uni_ring(5), "eigen")
    with pytest.raises(ValueError, match="circulant"):
        resolve(tt.star(5), "fourier")
    with pytest.raises(ValueError, match="route"):
        resolve(tt.ring(5), "magic")
    with pytest.raises(ValueError, match="finite"):
        resolve(tt.infinite_ring(), "dense")
    with pytest.raises(TypeError, match="Scheme"):
        resolve("ring")
    assert resolve(np.eye(3)).route == "eigen"  # a gossip matrix is converted (as_scheme)


def test_only_the_engine_dispatches_and_nobody_writes_foreign_caches():
    theory = [p for d in ("metrics", "toy", "bounds") for p in (PACKAGE / d).glob("*.py")]
    kind = re.compile(r"\.is_circulant|\.is_symmetric|\.is_static|isinstance\([^)]*InfiniteGraph|import InfiniteGraph")
    for path in theory:
        text = path.read_text()
        assert "_cache" not in text.replace("lru_cache", ""), path
        assert not kind.search(text), (path, kind.search(text))


def test_functional_on_a_large_ring_takes_the_fourier_route():
    s = tt.ring(4000)
    value = s1_functional(s)
    assert resolve(s).route == "fourier"
    assert s.cached("engine:eigen", lambda: "absent") == "absent"  # no n^3 eigendecomposition was needed
    # S_1 of a ring in closed form: (1/n) sum_k lam_k^2 / (1 - lam_k^2), lam_k = (1 + 2 cos(2 pi k / n)) / 3
    lam = (1 + 2 * np.cos(2 * np.pi * np.arange(1, 4000) / 4000)) / 3
    assert value == pytest.approx(np.sum(lam**2 / (1 - lam**2)) / 4000, rel=1e-9)


# ----------------------------------------------------------------------------------- the caches
def test_cache_methods_and_pickling_drop_caches():
    s = tt.star(6)
    calls = []
    assert s.cached("k", lambda: calls.append(1) or 7) == 7
    assert s.cached("k", lambda: calls.append(1) or 8) == 7 and calls == [1]
    nw = tt.effective_neighbors(s, 0.9, mode="worst")
    s.clear_cache()
    assert s.cached("k", lambda: 9) == 9
    tt.quadratic_rate(s, lr=0.1, zeta=10)  # fills eigenbasis, reduced-matrix and representation caches
    assert len(pickle.dumps(s)) == len(pickle.dumps(tt.star(6)))  # the pickle carries no cache
    t = pickle.loads(pickle.dumps(s))
    assert t.cached("k", lambda: 10) == 10  # the copy arrived without caches
    assert tt.effective_neighbors(t, 0.9, mode="worst") == nw


# ------------------------------------------------------------------------ the interface contract
@pytest.mark.parametrize("make, route", REPRESENTATIONS, ids=IDS)
def test_random_walk_contract(make, route):
    s = make()
    rep = resolve(s, route)
    assert rep.route == route
    g = 0.6
    for phase in range(s.period):
        Sigma = brute_covariance(s, g, phase)
        diag = np.diag(Sigma) * (1 - g)
        got = np.broadcast_to(rep.scaled_variances(np.array(g), np.array(1 - g), phase), diag.shape)
        np.testing.assert_allclose(got, diag, rtol=1e-11)
        assert float(rep.scaled_mean_variance(np.array(g), np.array(1 - g), phase)) == pytest.approx(
            diag.mean(), rel=1e-11)
        if route in MATRIX_FREE:
            with pytest.raises(ValueError, match="dense"):
                rep.scaled_covariance(g, 1 - g, phase)
        else:
            np.testing.assert_allclose(rep.scaled_covariance(g, 1 - g, phase), (1 - g) * Sigma, atol=1e-12)
        S = Sigma - 1.0 / (s.n * (1 - g))
        assert rep.disagreement_mean(g, phase) == pytest.approx(np.trace(S) / s.n, rel=1e-10, abs=1e-13)


@pytest.mark.parametrize("make, route", REPRESENTATIONS, ids=IDS)
def test_spectrum_contract(make, route):
    s = make()
    rep = resolve(s, route)
    P = s.period_product(0)
    J = np.full((s.n, s.n), 1.0 / s.n)
    assert rep.product_norm() == pytest.approx(np.linalg.norm(P - J, 2), abs=1e-12)
    if route in MATRIX_FREE:  # the extreme eigenvalues on the complement of 1
        lam = np.linalg.eigvalsh(P - J + 3 * J)  # the consensus eigenvalue moved to 3 (above the spectrum)
        assert rep.extreme_eigenvalues() == pytest.approx((lam[-2], lam[0]), abs=1e-12)
        return
    # eigenvalues of P - J are those of P on the complement of 1, plus 0 for the consensus direction
    ev = np.sort_complex(np.round(np.append(np.asarray(rep.product_spectrum(), dtype=complex), 0.0), 9))
    ref = np.sort_complex(np.round(np.linalg.eigvals(P - J).astype(complex), 9))
    np.testing.assert_allclose(ev, ref, atol=1e-8)


@pytest.mark.parametrize("make, route", REPRESENTATIONS, ids=IDS)
def test_toy_contract(make, route):
    s = make()
    rep = resolve(s, route)
    lrs = np.array([0.05, 0.3])
    z = 6.0
    a, beta = (1 - lrs) ** 2, (z - 1) * lrs**2
    u, its, res, conv, name = rep.perron_excess(a, beta)
    assert conv.all() and isinstance(name, str)
    for j in range(lrs.size):
        assert a[j] + u[j] == pytest.approx(kronecker_rho(s, lrs[j], z), rel=1e-10)  # dense n^2 x n^2 map
    # exact loss curves: the propagator against the dense recursion
    moments = rep.second_moments(a, beta, None)
    C = np.ones((s.n, s.n))
    for t in range(5):
        moments.step(t)
        W = s.matrix(t)
        C = W @ ((a[1]) * C + beta[1] * np.diag(np.diag(C))) @ W.T
    assert moments.loss()[1] == pytest.approx(np.trace(C) / (2 * s.n), rel=1e-12)


@pytest.mark.parametrize("make, route", REPRESENTATIONS, ids=IDS)
def test_heterogeneous_contract(make, route):
    s = make()
    rep = resolve(s, route)
    B = np.random.default_rng(0).standard_normal((s.n, 2))
    c, h = 0.7, 0.3
    X = np.zeros_like(B)
    for t in range(400):  # iterate X <- W_t (c X + h B) from phase 0 to the fixed point
        X = s.matrix(t) @ (c * X + h * B)
    D = X - X.mean(axis=0)
    assert rep.heterogeneous_distance(c, h, B, 400 % s.period) == pytest.approx(np.sum(D**2) / s.n, rel=1e-10)


def test_every_representation_is_in_the_contract():
    covered = {route for _, route in REPRESENTATIONS} | {"spectral-measure"}
    assert covered == {cls.route for cls in (engine.FourierRepresentation, engine.EigenRepresentation,
                                             engine.DensePeriodicRepresentation,
                                             engine.SpectralMeasureRepresentation,
                                             engine.KrylovRepresentation)}


def test_spectral_measure_matches_large_ring():
    rep = resolve(tt.infinite_ring())
    c = np.array([0.1, 0.01])
    big = resolve(tt.ring(4096))
    np.testing.assert_allclose(rep.scaled_mean_variance(1 - c, c, 0), big.scaled_mean_variance(1 - c, c, 0),
                               rtol=1e-9)
    with pytest.raises(ValueError, match="finite"):
        tt.effective_neighbors(tt.infinite_ring(), 0.5, mode="all")


# ------------------------------------------------------------------------------ gamma -> 1 exact
def _exact_pairs(phase, c):
    """Isolated pairs, period 3 ([pairs, I, I]): n_W = 2 / (1 + c var_v), var_v the difference variance."""
    var_v = {1: 0.0, 2: 1.0, 0: 1.0 + (1.0 - c)}[phase]
    return 2.0 / (1.0 + c * var_v)


#: case -> (scheme factory, exact n_W(phase, 1 - gamma), route: None = the public function's own)
GAMMA_TO_ONE = {
    "two triangles": (lambda: tt.Scheme.from_matrix(TRIANGLES), lambda ph, c: 3.0, None),
    "two triangles (dense route)": (lambda: tt.Scheme.from_matrix(TRIANGLES), lambda ph, c: 3.0, "dense"),
    "four triangles (Fourier route)": (cosets, lambda ph, c: 3.0, None),
    "[I, I]": (lambda: tt.Scheme.from_matrices([np.eye(4)] * 2), lambda ph, c: 1.0, None),
    "isolated pairs, period 3": (lambda: tt.Scheme.from_matrices([PAIRS, np.eye(4), np.eye(4)]), _exact_pairs, None),
    "two directed 3-cycles": (lambda: tt.Scheme.from_matrix(CYCLES), lambda ph, c: 1.0, None),
}
C_GRID = 10.0 ** -np.arange(3, 16)


def _nw_all_modes(s, route, phase):
    """n_W over C_GRID in the modes mean, worst and all (one array per mode)."""
    if route is None:
        return [tt.effective_neighbors(s, mode=m, phase=phase, one_minus_gamma=C_GRID) for m in ("mean", "worst", "all")]
    rep = resolve(s, route)
    scaled = rep.scaled_variances(1.0 - C_GRID, C_GRID, phase)
    return [1.0 / rep.scaled_mean_variance(1.0 - C_GRID, C_GRID, phase), 1.0 / np.max(scaled, axis=-1), 1.0 / scaled]


def gamma_to_one_errors():
    """Max relative error of n_W per case over 1 - gamma in C_GRID, every mode and phase."""
    table = {}
    for name, (make, exact, route) in GAMMA_TO_ONE.items():
        s = make()
        worst = 0.0
        for phase in range(s.period):
            ref = np.array([exact(phase, c) for c in C_GRID])
            for value in _nw_all_modes(s, route, phase):
                value = np.asarray(value).reshape(C_GRID.size, -1)
                worst = max(worst, float(np.max(np.abs(value - ref[:, None]) / ref[:, None])))
        table[name] = worst
    return table


def test_effective_neighbors_exact_as_gamma_goes_to_one():
    table = gamma_to_one_errors()
    for name, err in table.items():
        assert err <= 1e-12, (name, err)


@pytest.mark.parametrize("name", list(GAMMA_TO_ONE))
def test_covariance_defined_up_to_gamma_one(name):
    make, exact, _ = GAMMA_TO_ONE[name]
    s = make()
    for phase in range(s.period):
        Sigma = tt.random_walk_covariance(s, phase=phase, one_minus_gamma=1e-14)
        assert np.all(np.isfinite(Sigma))
        assert np.mean(np.diag(Sigma)) * 1e-14 == pytest.approx(1.0 / exact(phase, 1e-14), rel=1e-12)


def test_functionals_of_parts_that_never_mix():
    # lr = 0 is gamma = 1: the disagreement between components never decays
    assert s1_functional(tt.Scheme.from_matrix(CYCLES)) == np.inf
    assert s1_functional(tt.Scheme.from_matrices([np.eye(4)] * 2)) == np.inf
    # at gamma < 1 two triangles have S_1 = (1/n) lambda^2/(1 - gamma lambda^2) for the single lambda = 1 mode
    g = (1 - 0.1) ** 2
    assert s1_functional(tt.Scheme.from_matrix(TRIANGLES), lr=0.1) == pytest.approx(1 / 6 / (1 - g), rel=1e-13)
    assert tt.spectral_gap(tt.Scheme.from_matrix(TRIANGLES)) == 0.0


# ---------------------------------------------------------------------------------- spectral gaps
def test_de_bruijn_norm_and_eigenvalue_gaps_differ():
    # worker i averages 2i mod 4 and 2i + 1 mod 4: W^2 = J (nilpotent disagreement) but ||W - J||_2 = 1
    W = np.zeros((4, 4))
    for i in range(4):
        W[i, (2 * i) % 4] += 0.5
        W[i, (2 * i + 1) % 4] += 0.5
    s = tt.Scheme.from_matrix(W)
    np.testing.assert_allclose(W @ W, np.full((4, 4), 0.25), atol=1e-15)
    assert tt.spectral_gap(s, "abs") == pytest.approx(0.0, abs=1e-12)
    assert tt.spectral_gap(s, "koloskova") == pytest.approx(0.0, abs=1e-12)
    assert tt.spectral_gap(s, "eigenvalue") == pytest.approx(1.0, abs=1e-7)  # a defective zero eigenvalue
    assert tt.mixing_time(s, 1e-3) == 2.0


def test_lambda2_of_a_periodic_scheme_against_exact_characteristic_polynomial():
    sympy = pytest.importorskip("sympy")
    s = tt.Scheme.from_matrices([tt.ring(6).matrix(0), tt.star(6).matrix(0)])
    exact = [sympy.Matrix(6, 6, [sympy.Rational(x).limit_denominator(100) for x in W.ravel()]) for W in s.matrices]
    P = exact[1] * exact[0]  # the product applied over one period from phase 0: W_1 W_0
    lam = sympy.symbols("lam")
    factors = sympy.factor_list(P.charpoly(lam).as_expr())[1]  # (lam - 1)(9 lam - 5) lam^2 (81 lam^2 - 9 lam - 5)
    roots = sorted((complex(r) for f, m in factors for r in sympy.Poly(f, lam).nroots(n=30) for _ in range(m)),
                   key=lambda z: -z.real)
    assert abs(roots[0] - 1) < 1e-20 and max(abs(r.imag) for r in roots) < 1e-20
    assert roots[1].real == pytest.approx(5 / 9, abs=1e-15)
    assert tt.spectral_gap(s, "lambda2") == pytest.approx(4 / 9, abs=1e-12)  # not 1 - lambda_min = 1.199
    assert tt.spectral_gap(s, "eigenvalue") == pytest.approx(1 - max(abs(r) for r in roots[1:]), abs=1e-12)
    p_step = tt.spectral_gap(s, "eigenvalue", per_step=True)
    assert p_step == pytest.approx(1 - max(abs(r) for r in roots[1:]) ** 0.5, abs=1e-12)


def test_lambda2_on_complex_spectra_warns():
    with pytest.warns(RuntimeWarning, match="complex eigenvalues"):
        value = tt.spectral_gap(tt.uni_ring(6), "lambda2")
    mu = np.exp(2j * np.pi / 6)
    assert value == pytest.approx(1 - (0.5 + 0.5 * mu).real, abs=1e-12)  # uni_ring weights 1/2, 1/2
    assert tt.spectral_gap(tt.uni_ring(6), "eigenvalue") == pytest.approx(1 - abs(0.5 + 0.5 * mu), abs=1e-12)


# ---------------------------------------------------------------------------------- result types
def test_rate_log_is_a_result_and_unpacks():
    res = tt.quadratic_rate(tt.star(8), lr=[0.02, 0.5], zeta=50, log=True)
    assert isinstance(res, tt.RateLog) and res.route == "eigen-reduction"
    np.testing.assert_allclose(res.spectral_radius, 1 - np.where(np.isnan(res.rate), 1 - res.spectral_radius, res.rate))
    r, info = res
    assert r is res.rate and info["method"] == "eigen-reduction" and res[1]["rho"] is res.spectral_radius
    assert res.diverged.tolist() == [False, True]
    d = json.loads(json.dumps(res.to_dict()))
    assert d["route"] == "eigen-reduction" and d["rate"][1] is None
    single = tt.quadratic_rate(tt.ring(8), lr=0.1, zeta=12.0, log=True)
    assert single.rate == tt.quadratic_rate(tt.ring(8), lr=0.1, zeta=12.0) and single.converged is True


def test_result_types_on_the_result_base():
    from topotheory.common.results import Result

    mix = tt.koloskova_mixing(tt.ring(8))
    p, tau = mix
    assert (p, tau) == (mix.p, mix.tau) and mix == (mix.p, 1) and mix[1] == 1
    comp = tt.koloskova_complexity(tt.ring(8), 0.01)
    assert comp.total == pytest.approx(comp[0] + comp[1] + comp[2]) and comp[4] == "strongly_convex"
    opt = tt.optimal_learning_rate(tt.ring(8), zeta=20)
    terms = tt.koloskova_rate(T=100, sigma2=1.0, mu=0.1, L=1.0, zeta=10.0, n=8, spectral_gap=0.1)
    c7 = tt.corollary7(tt.ring(8).lazy(), 0.9, zeta=100)
    c8 = tt.corollary8(d_s=3, c_s=1.0, zeta=100)
    for res in (mix, comp, opt, terms, c7, c8):
        assert isinstance(res, Result)
        json.dumps(res.to_dict())
    assert terms.to_dict()["total"] == pytest.approx(terms.total)
    assert np.isnan(tt.optimal_learning_rate(tt.ring(5), zeta=1.0).n_equivalent)  # 0/0


def test_section4_refuses_non_symmetric_schemes_through_the_engine():
    with pytest.raises(ValueError, match="static symmetric"):
        tt.beta(tt.uni_ring(6), 0.9)
    with pytest.raises(ValueError, match="static symmetric"):
        tt.m_matrix(tt.Scheme.from_matrices([np.eye(3)] * 2), 0.5)
    # the Fourier route gives the same beta as the eigenbasis on a symmetric circulant
    assert tt.beta(tt.ring(9).lazy(), 0.9, kind="eq33") == pytest.approx(
        tt.beta(tt.Scheme.from_matrix(tt.ring(9).lazy().matrix(0)), 0.9, kind="eq33"), rel=1e-12)


# -------------------------------------------------------------------------- support structure
@pytest.mark.parametrize("seed", range(6))
def test_cyclic_classes_count_the_unimodular_eigenvalues(seed):
    """Blocks: permutation cycles (periodic), bipartite averaging, random doubly stochastic (looped)."""
    from scipy.linalg import block_diag

    rng = np.random.default_rng(seed)
    blocks = []
    for _ in range(3):
        kind = rng.integers(3)
        m = int(rng.integers(2, 5))
        if kind == 0:
            blocks.append(np.roll(np.eye(m), 1, axis=1))  # a directed m-cycle: period m
        elif kind == 1:
            blocks.append(np.kron(np.array([[0.0, 1.0], [1.0, 0.0]]), np.full((m, m), 1.0 / m)))  # bipartite
        else:
            blocks.append(random_doubly_stochastic(m, seed + 10))
    M = block_diag(*blocks)
    perm = rng.permutation(M.shape[0])
    M = M[np.ix_(perm, perm)]
    classes = engine.cyclic_classes(M)
    ev = np.linalg.eigvals(M)
    assert classes.count == int(np.sum(np.abs(ev) > 1 - 1e-8))
    assert classes.components == int(np.sum(np.abs(ev - 1) < 1e-8))
    E = classes.basis()
    np.testing.assert_allclose(E.T @ E, np.eye(classes.count), atol=1e-14)
    PE = E.T @ M @ E  # the matrix permutes the class indicators exactly
    np.testing.assert_allclose(PE @ PE.T, np.eye(classes.count), atol=1e-12)
    np.testing.assert_allclose(M @ E, E @ PE, atol=1e-12)


def test_eigenvalue_only_quantities_do_not_compute_eigenvectors():
    # the spectral gap, n_W (mean) and the contraction need the eigenvalues alone (LAPACK's
    # eigenvalue-only driver); they equal an independent dense eigvalsh and the full decomposition's
    scheme = tt.erdos_renyi(60, 0.15, seed=3)
    assert resolve(scheme).route == "eigen"
    gap = tt.spectral_gap(scheme)
    nw = tt.effective_neighbors(scheme, 0.9)
    assert not scheme.has_cached("eigh")
    lam = np.sort(np.linalg.eigvalsh(scheme.matrix(0)))[::-1]
    assert gap == pytest.approx(1 - max(abs(lam[1]), abs(lam[-1])), abs=1e-13)
    full = tt.Scheme.from_matrix(scheme.matrix(0))
    full.eigh()  # eigenvectors first: the eigenvalue-only quantities do not depend on that history
    assert tt.spectral_gap(full) == gap and tt.effective_neighbors(full, 0.9) == nw
    # a later eigenvector-based call on the first scheme (the worst worker) agrees too
    assert tt.effective_neighbors(scheme, 0.9, mode="worst") == pytest.approx(
        tt.effective_neighbors(full, 0.9, mode="worst"), rel=1e-12)
    assert scheme.has_cached("eigh")
