"""The automatic route of the spectral gap and the contraction: which route at which size, agreement
of the sparse Lanczos route with dense linear algebra, determinism, structural eigenvalues."""

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

import topotheory as tt
from topotheory.engine import LANCZOS_MIN_N, extremes_route, resolve
from topotheory.engine.krylov import KRYLOV_MIN_N
from topotheory.engine.resolve import LANCZOS_MAX_DENSITY


def rgg(n, degree=10, seed=1):
    """The largest component of a random geometric graph in the unit square (mean degree ~ ``degree``)."""
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    pts = np.random.default_rng(seed).random((n, 2))
    pairs = cKDTree(pts).query_pairs((degree / (np.pi * n)) ** 0.5, output_type="ndarray")
    A = sp.coo_array((np.ones(2 * len(pairs)), (np.r_[pairs[:, 0], pairs[:, 1]], np.r_[pairs[:, 1], pairs[:, 0]])),
                     shape=(n, n)).tocsr()
    _, labels = connected_components(A, directed=False)
    keep = np.flatnonzero(labels == np.argmax(np.bincount(labels)))
    return tt.Scheme.from_networkx(nx.from_scipy_sparse_array(A[keep][:, keep]), name="rgg")


def dense_extremes(s):
    """``(lambda_2, lambda_n)`` of ``W`` by numpy's dense symmetric eigensolver (the consensus value removed)."""
    lam = np.sort(np.linalg.eigvalsh(s.sparse_matrix(0).toarray()))[::-1]
    return lam[1], lam[-1]


@pytest.fixture(scope="module")
def panel():
    """Sparse graphs of 600-2000 workers on the Lanczos route (below the matrix-free threshold)."""
    return [tt.random_regular(600, 6, seed=3), rgg(1000),
            tt.Scheme.from_networkx(nx.barabasi_albert_graph(2000, 3, seed=1), name="ba")]


def test_which_route_at_which_size():
    below = tt.random_regular(LANCZOS_MIN_N - 1, 4, seed=0, method="pairing")
    at = tt.random_regular(LANCZOS_MIN_N, 4, seed=0, method="pairing")
    assert below.is_sparse(0) and at.is_sparse(0)
    assert extremes_route(below) == "eigen" and extremes_route(at) == "lanczos"
    assert tt.spectral_gap(below, log=True).route == "eigen" and tt.spectral_gap(at, log=True).route == "lanczos"
    # the representation stays the eigenbasis: only the extreme eigenvalues change route
    assert resolve(at).route == "eigen" and resolve(at).extremes_route == "lanczos"
    assert resolve(at, "eigen").extremes_route == "eigen"  # the named route is dense throughout
    # held as a dense array, or too dense, or circulant, or not symmetric: no Lanczos
    assert extremes_route(tt.Scheme.from_matrix(at.matrix(0))) == "eigen"
    degree = int(LANCZOS_MAX_DENSITY * 600) + 2  # (degree + 1) / 600 non-zeros per row > 5 %
    assert extremes_route(tt.random_regular(600, degree, seed=0, method="pairing")) == "eigen"
    assert extremes_route(tt.random_regular(600, degree - 4, seed=0, method="pairing")) == "lanczos"
    assert extremes_route(tt.ring(2 * LANCZOS_MIN_N)) == "fourier"
    assert extremes_route(tt.Scheme.from_matrix(sp.csr_array(tt.uni_ring(LANCZOS_MIN_N).matrix(0)))) == "dense"
    assert extremes_route(tt.infinite_ring()) == "spectral-measure"
    # above the matrix-free threshold the same Lanczos route serves the whole representation
    big = tt.random_regular(KRYLOV_MIN_N + 4, 4, seed=0, method="pairing")
    assert resolve(big).route == "krylov" and extremes_route(big) == "lanczos"


def test_lanczos_gap_equals_dense_linear_algebra(panel):
    for s in panel:
        lam2, lamn = dense_extremes(s)
        res = tt.spectral_gap(s, log=True)
        assert res.route == "lanczos" and 0 < res.residual < 1e-11
        assert res.gap == pytest.approx(1 - max(lam2, -lamn), abs=1e-12)
        assert tt.spectral_gap(s, "lambda2") == pytest.approx(1 - lam2, abs=1e-12)
        assert tt.spectral_gap(s, "eigenvalue") == pytest.approx(1 - max(lam2, -lamn), abs=1e-12)
        assert tt.spectral_gap(s, "koloskova") == pytest.approx(1 - max(lam2, -lamn) ** 2, abs=1e-12)
        # the contraction (mixing time) takes the same route
        assert resolve(s).static_contraction() == pytest.approx(max(lam2, -lamn), abs=1e-12)
        assert tt.mixing_time(s, 1e-6) == np.ceil(np.log(1e-6) / np.log(max(lam2, -lamn)))


def test_value_does_not_depend_on_what_was_computed_before():
    def fresh():
        return tt.random_regular(700, 5 + 1, seed=11)

    reference = tt.spectral_gap(fresh())
    s = fresh()
    assert tt.spectral_gap(s) == reference and tt.spectral_gap(s) == reference  # cached, and twice
    s.clear_cache()
    assert tt.spectral_gap(s) == reference  # recomputed: the start vector is fixed
    s = fresh()
    s.eigh()  # the full decomposition cached first
    dense = resolve(s, "eigen").product_norm()
    assert tt.spectral_gap(s) == reference
    s = fresh()
    resolve(s, "krylov").deflation(4)  # the matrix-free representation used first
    assert tt.spectral_gap(s) == reference
    # and the named dense route is not changed by the automatic one having run
    assert resolve(s, "eigen").product_norm() == dense
    lam2, lamn = dense_extremes(s)
    assert dense == pytest.approx(max(lam2, -lamn), abs=1e-13)


def test_structural_eigenvalues_are_exact_on_the_lanczos_route():
    # two components: the eigenvalue 1 on the complement of the consensus vector, exactly
    G = nx.disjoint_union(nx.random_regular_graph(4, 300, seed=1), nx.random_regular_graph(4, 300, seed=2))
    s = tt.Scheme.from_networkx(G)
    assert extremes_route(s) == "lanczos"
    assert tt.spectral_gap(s) == 0.0 and tt.spectral_gap(s, "lambda2") == 0.0 and tt.mixing_time(s, 0.5) == np.inf
    # a bipartite cycle held sparse (not declared circulant): the eigenvalue -1, exactly
    n = 600
    i = np.arange(n)
    A = sp.csr_array((np.full(2 * n, 0.5), (np.r_[i, i], np.r_[(i + 1) % n, (i - 1) % n])), shape=(n, n))
    c = tt.Scheme.from_matrix(A)
    assert extremes_route(c) == "lanczos"
    assert tt.spectral_gap(c) == 0.0 and tt.spectral_gap(c, "eigenvalue") == 0.0
    assert tt.spectral_gap(c, "lambda2") == pytest.approx(1 - np.cos(2 * np.pi / n), abs=1e-12)
    # and above the matrix-free threshold (the same Lanczos ends)
    A = sp.block_diag([tt.random_regular(2100, 4, seed=k, method="pairing").sparse_matrix(0) for k in (1, 2)])
    big = tt.Scheme.from_matrix(sp.csr_array(A))
    assert resolve(big).route == "krylov" and tt.spectral_gap(big) == 0.0 and tt.spectral_gap(big, "lambda2") == 0.0


def test_log_result():
    res = tt.spectral_gap(tt.ring(8), "koloskova", log=True)
    assert res.route == "fourier" and res.residual == 0.0 and res.kind == "koloskova"
    assert res.gap == tt.spectral_gap(tt.ring(8), "koloskova")
    assert res.to_dict()["route"] == "fourier"
    assert tt.spectral_gap(tt.star(8), log=True).route == "eigen"
    with pytest.raises(TypeError, match="log"):
        tt.spectral_gap(tt.ring(8), log="yes")


def test_lanczos_extremes_change_nothing_else():
    from topotheory.engine import EigenRepresentation

    triangles = tt.Scheme.from_matrix(np.kron(np.eye(2), np.full((3, 3), 1 / 3)))  # two components
    for s in (tt.star(5), triangles, tt.random_regular(40, 3, seed=1), tt.random_regular(600, 4, seed=2)):
        dense = EigenRepresentation(s, static_symmetric=True)
        lanczos = EigenRepresentation(s, static_symmetric=True, extremes=lambda s=s: resolve(s, "krylov"))
        assert dense.extremes_route == "eigen" and lanczos.extremes_route == "lanczos"
        lam = np.sort(np.linalg.eigvalsh(s.matrix(0)))[::-1]
        for rep in (dense, lanczos):
            lam2, lamn = rep.extreme_eigenvalues()
            assert lam2 == pytest.approx(lam[1], abs=1e-12) and lamn == pytest.approx(lam[-1], abs=1e-12)
            assert rep.product_norm() == pytest.approx(max(abs(lam[1]), abs(lam[-1])), abs=1e-12)
        g, c = np.array([0.5, 0.99]), np.array([0.5, 0.01])
        np.testing.assert_array_equal(lanczos.scaled_mean_variance(g, c, 0), dense.scaled_mean_variance(g, c, 0))
        np.testing.assert_array_equal(lanczos.product_spectrum(), dense.product_spectrum())
    assert lanczos.extremes_residual < 1e-11 and dense.extremes_residual == 0.0
    two = EigenRepresentation(triangles, static_symmetric=True, extremes=lambda: resolve(triangles, "krylov"))
    assert two.extreme_eigenvalues()[0] == 1.0  # the second component's eigenvalue 1, exactly
