"""The Kronecker-pair resolvent as a rational function (engine.rational) against independent routes:
the s² × s² solve, closed forms (diagonal and Jordan blocks, the s = 2 coefficients), and, inside the
algorithms' eigen and Fourier routes, the dense second-moment map."""

import numpy as np
import pytest

import topotheory as tt
from topotheory.engine.rational import inverse_or_nan, kron_rational, kron_solve, power_data, rational_value
from topotheory.engine.stateful import _equitable, _eigen_structure, stateful_rho


def _pairs(rng, B, s, complex_=False):
    def draw(*shape):
        z = rng.normal(size=shape)
        return z + 1j * rng.normal(size=shape) if complex_ else z

    P1, P2 = 0.45 * draw(B, s, s), 0.45 * draw(B, s, s)
    return P1, draw(B, s), draw(B, s), P2, draw(B, s), draw(B, s)


def _rational(P1, w1, y1, P2, w2, y2, x):
    N = P1.shape[-1] * P2.shape[-1]
    t1, a1 = power_data(P1, w1, y1, N)
    t2, a2 = power_data(P2, w2, y2, N)
    num, den = kron_rational(t1, a1, t2, a2)
    return rational_value(num, den, x)


@pytest.mark.parametrize("s", [1, 2, 3])
@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
def test_rational_equals_the_kronecker_solve(s, complex_):
    rng = np.random.default_rng(10 + s)
    P1, w1, y1, P2, w2, y2 = _pairs(rng, 300, s, complex_)
    x = rng.uniform(0.0, 1.0, 300)
    f, df, cond = _rational(P1, w1, y1, P2, w2, y2, x)
    fs, dfs = kron_solve(P1, w1, y1, P2, w2, y2, x)
    ok = cond < 1e3
    assert ok.mean() > 0.9
    np.testing.assert_allclose(f[ok], fs[ok], rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(df[ok], dfs[ok], rtol=1e-10, atol=1e-12)


def test_denominator_is_the_determinant_and_the_s2_closed_forms():
    rng = np.random.default_rng(5)
    P1, w1, y1, P2, w2, y2 = _pairs(rng, 50, 2)
    t1, a1 = power_data(P1, w1, y1, 4)
    t2, a2 = power_data(P2, w2, y2, 4)
    num, den = kron_rational(t1, a1, t2, a2)
    tk, tl = np.trace(P1, axis1=1, axis2=2), np.trace(P2, axis1=1, axis2=2)
    dk, dl = np.linalg.det(P1), np.linalg.det(P2)
    e = np.stack([np.ones(50), tk * tl, dl * tk**2 + dk * tl**2 - 2 * dk * dl, dk * dl * tk * tl, dk**2 * dl**2], axis=1)
    np.testing.assert_allclose(den, e * [1, -1, 1, -1, 1], rtol=1e-12, atol=1e-14)
    A = np.einsum("bpq,brs->bprqs", P1, P2).reshape(50, 4, 4)
    for x in (0.3, 1.7):
        D = np.polynomial.polynomial.polyval(x, den.T, tensor=False)
        np.testing.assert_allclose(D, np.linalg.det(np.eye(4) - x * A), rtol=1e-12, atol=1e-14)


def test_defective_pair_equals_the_series():
    # Jordan blocks (no eigenvector basis): f = sum_r x^r a1(r) a2(r), a(r) = w^T J^r y in closed form
    lam1, lam2 = 0.7, -0.55
    J1, J2 = np.array([[lam1, 1.0], [0.0, lam1]]), np.array([[lam2, 1.0], [0.0, lam2]])
    w1, y1, w2, y2 = np.array([1.0, 0.3]), np.array([0.2, 1.0]), np.array([0.5, -1.0]), np.array([1.0, 2.0])

    def a(lam, w, y, r):  # J^r = [[lam^r, r lam^(r-1)], [0, lam^r]]
        return lam**r * (w @ y) + r * lam ** max(r - 1, 0) * w[0] * y[1]

    x = 1.3
    r = np.arange(400)
    series = np.sum(x**r * np.array([a(lam1, w1, y1, k) * a(lam2, w2, y2, k) for k in r]))
    dseries = np.sum(r[1:] * x ** (r[1:] - 1) * np.array([a(lam1, w1, y1, k) * a(lam2, w2, y2, k) for k in r[1:]]))
    f, df, _ = _rational(J1[None], w1[None], y1[None], J2[None], w2[None], y2[None], np.array([x]))
    assert abs(f[0] - series) < 1e-13 * abs(series) and abs(df[0] - dseries) < 1e-12 * abs(dseries)


def test_the_condition_bounds_the_error_near_a_double_pole():
    # an under-damped 2 x 2 block paired with its own copy: det(I - x P (x) P) has a double root at
    # 1 / |mu|^2 where f has a simple pole; exact by partial fractions over the eigenvalues
    mu = 0.8 * np.exp(0.6j)
    V = np.array([[1.0, 1.0], [mu, np.conj(mu)]])
    P = (V @ np.diag([mu, np.conj(mu)]) @ np.linalg.inv(V)).real  # companion-like, real
    w, y = np.array([1.0, 0.4]), np.array([0.3, 1.0])
    lam, R = np.linalg.eig(P)
    cw, cy = w @ R, np.linalg.solve(R, y)  # a(r) = sum_i cw_i cy_i lam_i^r
    c = cw * cy
    pole = 1 / abs(mu) ** 2
    for dist in (1e-1, 1e-3, 1e-5, 1e-7):
        x = pole * (1 - dist)
        exact = np.sum(np.outer(c, c) / (1 - x * np.outer(lam, lam))).real
        f, _, cond = _rational(P[None], w[None], y[None], P[None], w[None], y[None], np.array([x]))
        assert abs(f[0] - exact) <= 1e-14 * cond[0] * abs(exact) + 1e-14 * abs(exact), (dist, f[0], exact, cond[0])
        fs, _ = kron_solve(P[None], w[None], y[None], P[None], w[None], y[None], np.array([x]))
        assert abs(fs[0] - exact) < 1e-6 * abs(exact)  # the fallback stays accurate there
    assert cond[0] > 1e12  # ~ 1 / dist^2: the caller must (and does) use the solve


def test_a_singular_system_is_nan():
    P, v = np.array([[[0.5]]]), np.array([[1.0]])
    f, df = kron_solve(P, v, v, P, v, v, np.array([4.0]))
    assert np.isnan(f).all() and np.isnan(df).all()
    assert np.isnan(inverse_or_nan(np.zeros((1, 2, 2)))).all()


# --------------------------------------------------------------------- inside the stateful routes
def _asymmetric_graph():
    edges = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (1, 5), (2, 6), (0, 3)]
    A = np.zeros((7, 7))
    for i, j in edges:
        A[i, j] = A[j, i] = 1.0
    d = A.sum(1)
    W = np.where(A > 0, 1.0 / (1.0 + np.maximum(d[:, None], d[None, :])), 0.0)
    W[np.diag_indices(7)] = 1.0 - W.sum(1)
    return tt.Scheme.from_matrix(W, name="irregular7")


def test_equitable_partition_commutes_and_reduces():
    for scheme, q in ((tt.star(7), 2), (tt.two_cliques(8), None), (tt.binary_tree(7), None), (_asymmetric_graph(), None)):
        lam_c, cls, pairs, table = _eigen_structure(scheme)
        lam, Q = scheme.eigh()
        np.testing.assert_allclose(lam_c[cls], lam, atol=1e-12)
        Pi = np.stack([Q[:, cls == a] @ Q[:, cls == a].T for a in range(lam_c.size)])
        V = Pi[pairs[0]] * Pi[pairs[1]]
        E = _equitable(V)
        assert np.allclose(E.T @ E, np.eye(E.shape[1]), atol=1e-12)
        Pr = E @ E.T
        assert np.max(np.abs(np.matmul(Pr, V) - np.matmul(V, Pr))) < 1e-10
        if q is not None:
            assert E.shape[1] == q  # the centre and the leaves
    # a planted fault: matrices no nontrivial partition is equitable for keep every vertex apart
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 6, 6))
    assert _equitable(X + np.swapaxes(X, 1, 2)).shape == (6, 6)


def _edge_by_bisection(scheme, name, hp, zeta=8.0):
    """The first learning rate with rho = 1 on the eigen route, by a grid and bisection (test points only)."""
    def rho(lr):
        return stateful_rho(scheme, tt.ALGORITHMS[name].recursion(lr=np.asarray(lr), zeta=zeta, **hp), route="eigen")[0]

    grid = np.geomspace(1e-3, 4.0, 40)
    k = int(np.flatnonzero(~(rho(grid) < 1.0))[0])
    lo, hi = grid[k - 1], grid[k]
    for _ in range(20):  # 1e-6 relative: enough for 0.999 edge
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if rho([mid])[0] < 1.0 else (lo, mid)
    return lo


CASES = [("dmsgd", {"momentum": 0.5}), ("dmsgd", {"momentum": 0.9}), ("dmsgd", {"momentum": 0.95, "gossip_momentum": True}),
         ("dmsgd_nesterov", {"momentum": 0.8}), ("qgm", {"momentum": 0.7}), ("delayed", {"delay": 1})]


@pytest.mark.parametrize("case", CASES, ids=[f"{a}-{b}" for a, b in CASES])
def test_eigen_route_equals_dense_near_the_edge_and_the_pole(case):
    name, hp = case
    for scheme in (tt.star(7), tt.binary_tree(7), _asymmetric_graph()):
        edge = _edge_by_bisection(scheme, name, hp)
        # small lr (the root next to the consensus pole), a critically damped consensus mode
        # (lr = (1 - sqrt(beta))^2 for heavy ball) and the stability edge
        beta = hp.get("momentum", 0.0)
        lr = np.array([1e-3, 2e-2, (1 - np.sqrt(beta)) ** 2 * (1 + 1e-9), 0.5 * edge, 0.999 * edge])
        rec = tt.ALGORITHMS[name].recursion(lr=lr, zeta=8.0, **hp)
        eig, route, _, conv = stateful_rho(scheme, rec, route="eigen")
        dense, _, _, _ = stateful_rho(scheme, rec, route="dense")
        assert route == "stateful-eigen" and conv.all()
        np.testing.assert_allclose(eig, dense, rtol=0, atol=1e-10)


def test_fourier_route_equals_dense_with_a_near_defective_mode():
    # ring(8), heavy ball at momentum 0.429: a mode with eigenvalues 0.65499 +- 0.00155i, whose
    # four-fold cluster of poles makes every evaluation at the pole probe inaccurate; the rate is
    # far from rho_0 (root well inside), which the probe must not rule out
    lr = np.array([0.136036 * (0.5 + 15 / 40), 0.05, 0.2])
    rec = tt.ALGORITHMS["dmsgd"].recursion(lr=lr, zeta=20.0, momentum=0.42901964771893527)
    four, route, _, conv = stateful_rho(tt.ring(8), rec, route="fourier")
    dense, _, _, _ = stateful_rho(tt.ring(8), rec, route="dense")
    assert route == "stateful-fourier" and conv.all()
    np.testing.assert_allclose(four, dense, rtol=0, atol=1e-10)
    assert four[0] > 0.79  # not rho_0 = 0.429


def test_nilpotent_modes_are_not_a_pole():
    # Nesterov with the buffer gossiped at lr = 1, momentum 0.97 on star(5): every mode's P is
    # nilpotent, so rho_0 = 0 is known only to sqrt(eps) (~1e-16) and the "pole" at 1 / rho_0 is
    # spurious; the evaluation there is round-off (negative) and must not hide the root (rho = 12.8)
    lr = np.array([0.3, 1.0])
    rec = tt.ALGORITHMS["dmsgd_nesterov"].recursion(lr=lr, zeta=6.0, momentum=0.97, gossip_momentum=True)
    eig, _, _, conv = stateful_rho(tt.star(5), rec, route="eigen")
    dense = stateful_rho(tt.star(5), rec, route="dense")[0]
    assert conv.all() and dense[1] > 12
    np.testing.assert_allclose(eig, dense, rtol=1e-12)


def test_eigen_route_without_the_tables_equals_the_tabled_route(monkeypatch):
    # above the size limits: K from the eigenvectors (no equitable cells), the pairs' coefficients
    # recomputed per chunk; the same rates
    import topotheory.engine.stateful as stateful

    rec = tt.ALGORITHMS["dmsgd"].recursion(lr=np.array([0.005, 0.05, 0.3])[:, None], zeta=6.0,
                                           momentum=np.array([0.0, 0.6, 0.95])[None, :])
    scheme = tt.binary_tree(9)
    tabled = stateful_rho(scheme, rec, route="eigen")[0]
    assert _eigen_structure(scheme)[3] is not None
    scheme.clear_cache()
    monkeypatch.setattr(stateful, "EIGEN_TABLE_ENTRIES", 0)
    monkeypatch.setattr(stateful, "EIGEN_COEFF_ENTRIES", 0)
    monkeypatch.setattr(stateful, "EIGEN_CHUNK_ENTRIES", 1)
    plain, _, _, conv = stateful_rho(scheme, rec, route="eigen")
    assert _eigen_structure(scheme)[3] is None and conv.all()
    np.testing.assert_allclose(plain, tabled, rtol=0, atol=1e-13)
    np.testing.assert_allclose(plain, stateful_rho(scheme, rec, route="dense")[0], rtol=0, atol=1e-12)
    scheme.clear_cache()

