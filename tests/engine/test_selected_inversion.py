"""Selected inversion (engine/factor.py SelectedInverse) and the exact per-worker n_W it gives the matrix-free
route: against dense inverses and eigendecompositions, a grid's closed form, and refusals of what it cannot do."""

import warnings

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

import topotheory as tt
from topotheory.engine import resolve
from topotheory.engine.factor import ResolventTraces, SelectedInverse
from topotheory.engine.krylov import KrylovRepresentation

GRAPHS = {
    "geometric": nx.random_geometric_graph(300, 0.1, seed=2),
    "barabasi-albert": nx.barabasi_albert_graph(200, 3, seed=1),
    "star": nx.star_graph(40),  # bipartite: eigenvalue -1
    "disconnected": nx.disjoint_union(nx.path_graph(50), nx.cycle_graph(31)),  # eigenvalue 1 twice
}
#: Decays through the series branch (< 1e-4), its edge, and up to 0.999.
DECAYS = np.array([0.0, 1e-9, 9.9e-5, 1e-4, 0.5, 0.9, 0.99, 0.999])
#: The rounding of the route grows like the conditioning of I - sqrt(gamma) W, ~2 / (1 - gamma).
RTOL = 1e-12 + 3e-15 / (1 - DECAYS)


def random_spd(n, density, seed):
    B = sp.random(n, n, density=density, random_state=seed)
    B = (B + B.T).toarray()
    return B + np.eye(n) * (np.abs(B).sum(axis=1).max() + 0.1)  # diagonally dominant


@pytest.mark.parametrize("seed", range(4))
def test_random_spd_against_the_dense_inverse(seed):
    A = random_spd(90, 0.04, seed)
    Z, dense = SelectedInverse(sp.csr_array(A)), np.linalg.inv(A)
    np.testing.assert_allclose(Z.diagonal(), dense.diagonal(), rtol=1e-12)
    i, j = np.nonzero(A)  # every non-zero of A is on the pattern of the factor, both triangles
    np.testing.assert_allclose(Z.entries(i, j), dense[i, j], rtol=1e-11, atol=1e-14 * np.abs(dense).max())
    assert 1 < Z.supernodes < A.shape[0]  # some columns are taken together (dense trailing block)


@pytest.mark.parametrize("name", list(GRAPHS))
@pytest.mark.parametrize("a", [0.5, -0.99, 0.999])
def test_graphs_against_the_dense_inverse(name, a):
    W = tt.Scheme.from_networkx(GRAPHS[name]).sparse_matrix(0)
    A = sp.identity(W.shape[0]) - a * W
    np.testing.assert_allclose(SelectedInverse(A).diagonal(), np.linalg.inv(A.toarray()).diagonal(),
                               rtol=1e-13 / (1 - abs(a)))


def test_refusals():
    A = random_spd(40, 0.1, 0)
    with pytest.raises(ValueError, match="not positive definite"):
        SelectedInverse(A - 2 * np.abs(A).sum(axis=1).max() * np.eye(40))
    skew = A.copy()
    i, j = np.argwhere(np.triu(A, 1) != 0)[0]
    skew[i, j] += 0.5  # a planted asymmetry (same pattern): the factors are not U = D L^T
    with pytest.raises(ValueError, match="not symmetric"):
        SelectedInverse(skew)
    Z = SelectedInverse(sp.diags([1.0, 2.0, 3.0]))  # diagonal: no entry off it was computed
    np.testing.assert_allclose(Z.diagonal(), [1.0, 0.5, 1 / 3], rtol=1e-15)
    with pytest.raises(ValueError, match="not on the pattern"):
        Z.entries([0], [2])
    with pytest.raises(ValueError, match="square"):
        SelectedInverse(np.ones((2, 3)))
    with pytest.raises(ValueError, match="i and j"):
        Z.entries([0], [3])


@pytest.mark.parametrize("name", list(GRAPHS))
def test_worker_sums_against_eigenvectors(name):
    W = tt.Scheme.from_networkx(GRAPHS[name]).sparse_matrix(0)
    lam, V = np.linalg.eigh(W.toarray())
    R = ResolventTraces(W)
    for g, rtol in zip(DECAYS, RTOL):
        exact = (V**2 * (lam**2 / (1 - g * lam**2))).sum(axis=1)
        np.testing.assert_allclose(R.worker_sums(g), exact, rtol=rtol, err_msg=f"gamma={g}")
    with pytest.raises(ValueError, match="gamma"):
        R.worker_sums(1.0)
    with pytest.raises(ValueError, match="eigenvalues in"):
        ResolventTraces(1.5 * W).worker_sums(0.9)  # spectrum outside [-1, 1]: I - a W not positive definite


@pytest.mark.parametrize("name", list(GRAPHS))
def test_krylov_route_against_the_eigen_route(name):
    s = tt.Scheme.from_networkx(GRAPHS[name])
    rep, eig = KrylovRepresentation(s), resolve(s, "eigen")
    assert rep.factorable
    g = DECAYS[1:]
    dense = eig.scaled_variances(g, 1 - g, 0)
    rtol = RTOL[1:, None]
    assert np.all(np.abs(rep.scaled_variances(g, 1 - g, 0) / dense - 1) <= rtol)
    assert np.all(np.abs(rep.scaled_worst_variance(g, 1 - g, 0) / dense.max(axis=1) - 1) <= RTOL[1:])
    workers = np.array([0, 7, s.n - 1])
    est = rep.nw_workers(g, workers)
    assert est.route == "sparse-lu" and est.certified and est.converged and np.all(est.lower == est.upper)
    assert np.all(np.abs(est.estimate * dense[:, workers] - 1) <= rtol)
    worst = rep.nw_worst(g)
    assert worst.route == "sparse-lu" and worst.probes == s.n and np.all(worst.lower == worst.upper)
    assert np.all(np.abs(worst.estimate * dense.max(axis=1) - 1) <= RTOL[1:])
    lo, hi = rep.auto_worst_variance(g)
    assert np.all(lo == hi) and np.all(np.abs(lo / dense.max(axis=1) - 1) <= RTOL[1:])
    # the Lanczos route on demand: a certified bracket around the exact value
    lanczos = rep.nw_workers(g[-2:], workers, method="lanczos")
    assert lanczos.route == "krylov" and np.all((lanczos.lower <= est.estimate[-2:] * (1 + 1e-12))
                                                & (est.estimate[-2:] <= lanczos.upper * (1 + 1e-12)))
    with pytest.raises(ValueError, match="method"):
        rep.nw_worst(g, method="dense")
    with pytest.raises(ValueError, match="workers"):
        rep.nw_workers(g, [s.n])


def test_grid_closed_form():
    """A 64 x 66 grid (n = 4224 > KRYLOV_MIN_N: the matrix-free route) with W = I - L/5: its eigenvectors are
    products of cosines, so every worker's variance is a double sum in closed form."""
    X, Y = 64, 66
    s = tt.Scheme.from_networkx(nx.grid_2d_graph(X, Y), weights="max_degree")

    def path(N):
        j, x = np.arange(N)[:, None], np.arange(N)[None, :]
        phi = np.cos(np.pi * j * (x + 0.5) / N) * np.where(j == 0, np.sqrt(1 / N), np.sqrt(2 / N))
        return 2 - 2 * np.cos(np.pi * np.arange(N) / N), phi**2  # Laplacian eigenvalues, squared eigenvectors

    (a, Px), (b, Py) = path(X), path(Y)
    mu = (1 - (a[:, None] + b[None, :]) / 5) ** 2
    g = np.array([0.5, 0.99, 0.999])
    closed = np.array([(1 - x) * (Px.T @ (mu / (1 - x * mu)) @ Py).ravel() for x in g])  # worker (x, y) at x * Y + y
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        every = tt.effective_neighbors(s, g, mode="all", log=True)
        worst = tt.effective_neighbors(s, g, mode="worst", log=True)
        plain = tt.effective_neighbors(s, g, mode="worst")
    assert resolve(s).route == "krylov" and every.route == worst.route == "sparse-lu"
    rtol = (1e-12 + 3e-15 / (1 - g))[:, None]
    assert np.all(np.abs(every.estimate * closed - 1) <= rtol)
    assert np.all(np.abs(worst.estimate * closed.max(axis=1) - 1) <= rtol[:, 0])
    np.testing.assert_array_equal(plain, worst.estimate)
    np.testing.assert_array_equal(tt.effective_neighbors(s, g, mode="all"), every.estimate)
