import numpy as np
import pytest

import topotheory as tt
from topotheory import spectral_gap


def dense_gap(W, kind):
    """Independent route: dense eigen/singular values of W (static)."""
    n = len(W)
    if kind == "koloskova":
        return 1 - np.linalg.norm(W - 1 / n, 2) ** 2
    if np.allclose(W, W.T):
        lam = np.sort(np.linalg.eigvalsh(W))[::-1]
        return 1 - lam[1] if kind == "lambda2" else 1 - max(abs(lam[1]), abs(lam[-1]))
    if kind == "abs":
        return 1 - np.linalg.norm(W - 1 / n, 2)
    ev = np.linalg.eigvals(W)
    return 1 - np.sort(ev.real)[::-1][1]


def test_sanity_values():
    assert spectral_gap(tt.ring(4)) == pytest.approx(2 / 3, abs=1e-14)
    assert spectral_gap(tt.ring(2)) == 1.0
    assert spectral_gap(tt.ring(1)) == 1.0
    assert spectral_gap(tt.solo(5)) == 0.0
    assert spectral_gap(tt.fully_connected(7)) == pytest.approx(1.0)
    assert spectral_gap(tt.infinite_ring()) == 0.0


@pytest.mark.parametrize("kind", ["abs", "lambda2", "koloskova"])
@pytest.mark.parametrize(
    "make",
    [lambda: tt.ring(9), lambda: tt.torus(3, 5), lambda: tt.star(7), lambda: tt.binary_tree(10),
     lambda: tt.two_cliques(8), lambda: tt.uni_ring(6), lambda: tt.exponential_graph(8), lambda: tt.hypercube(8),
     lambda: tt.social_network()],
)
def test_gap_matches_dense_linear_algebra(make, kind):
    s = make()
    assert spectral_gap(s, kind) == pytest.approx(dense_gap(s.matrix(0), kind), abs=1e-10)


def test_koloskova_equals_one_minus_max_lambda_squared_for_symmetric():
    s = tt.chain(9)
    lam = np.linalg.eigvalsh(s.matrix(0))
    lam = np.sort(lam)[::-1]
    assert spectral_gap(s, "koloskova") == pytest.approx(1 - max(lam[1:] ** 2), abs=1e-12)


def test_periodic_schemes_use_period_product():
    s = tt.Scheme.from_matrices([tt.ring(6).matrix(0), tt.star(6).matrix(0)])
    P = s.period_product(0)
    sigma = np.linalg.norm(P - 1 / 6, 2)
    assert spectral_gap(s, "abs") == pytest.approx(1 - sigma, abs=1e-12)
    assert spectral_gap(s, "abs", per_step=True) == pytest.approx(1 - sigma**0.5, abs=1e-12)
    assert spectral_gap(s, "koloskova") == pytest.approx(1 - sigma**2, abs=1e-12)
    assert spectral_gap(s, "koloskova", per_step=True) == pytest.approx(1 - sigma, abs=1e-12)
    assert spectral_gap(tt.one_peer_exponential(16)) == pytest.approx(1.0)
    assert spectral_gap(tt.local_steps(8, 4), per_step=True) == pytest.approx(1.0)
    # circulant periodic route (Fourier) == dense route (a scheme not declared circulant) == numpy
    kernels = np.zeros((2, 8))
    kernels[0, [0, 1]] = 0.5
    kernels[1, [0, 2]] = 0.5
    circ = tt.Scheme.from_circulant((8,), kernels)
    dense_scheme = tt.Scheme.from_matrices([np.array(circ.matrix(0)), np.array(circ.matrix(1))])
    assert circ.is_circulant and not dense_scheme.is_circulant
    P = np.array(circ.matrix(1)) @ np.array(circ.matrix(0))
    dense = 1 - np.linalg.norm(P - 1 / 8, 2)
    assert spectral_gap(circ) == pytest.approx(dense, abs=1e-12)
    assert spectral_gap(dense_scheme) == pytest.approx(dense, abs=1e-12)


def test_large_circulant_gap_without_dense_matrix():
    n = 10**5
    lam2 = (1 + 2 * np.cos(2 * np.pi / n)) / 3
    assert spectral_gap(tt.ring(n)) == pytest.approx(1 - lam2, rel=1e-6)


def test_bad_kind():
    with pytest.raises(ValueError, match="kind must be one of"):
        spectral_gap(tt.ring(4), "spectral")
    with pytest.raises(TypeError, match="Scheme"):
        spectral_gap(object())
    # exact up to the eigensolver's rounding (LAPACK builds return 0 or ~2e-16 for the zero eigenvalue)
    assert spectral_gap(np.full((2, 2), 0.5)) == pytest.approx(1.0, abs=1e-15)


def test_infinite_graph_spectral_mean_and_symbol():
    g = tt.infinite_grid()
    assert g.spectral_mean(lambda lam: lam) == pytest.approx(0.2, abs=1e-12)
    assert g.spectral_mean(lambda lam: lam**2) == pytest.approx(5 / 25, abs=1e-12)  # (1 + 4*2/4)/25
    u = tt.infinite_uni_ring()
    assert not u.is_symmetric and tt.infinite_ring().is_symmetric
    assert u.spectral_mean(lambda m: np.abs(m) ** 2) == pytest.approx(0.5, abs=1e-12)
    # resolvent_mean agrees with direct quadrature of the definition
    for graph in (tt.infinite_ring(), u):
        for gam in (0.02, 0.3, 0.9):
            direct = graph.spectral_mean(lambda m: np.abs(m) ** 2 / (1 - gam * np.abs(m) ** 2))
            assert graph.resolvent_mean(gam) == pytest.approx(direct, rel=1e-10)
    direct = g.spectral_mean(lambda m: m**2 / (1 - 0.7 * m**2))
    assert g.resolvent_mean(0.7) == pytest.approx(direct, rel=1e-9)


def test_user_defined_lattice_by_quadrature_matches_large_circulant():
    from topotheory.graphs.lattices import InfiniteGraph

    lazy_ring = InfiniteGraph("lazy ring", {(0,): 0.5 + 1 / 6, (1,): 1 / 6, (-1,): 1 / 6})
    g = np.array([0.0, 0.9, 0.99])
    np.testing.assert_allclose(tt.effective_neighbors(lazy_ring, g),
                               tt.effective_neighbors(tt.ring(10**5).lazy(), g), rtol=1e-9)


@pytest.mark.parametrize("kernel, match", [({}, "at least one"), ({(0,): 0.5}, "sum to 1"),
                                           ({(0, 0, 0): 1.0}, "1-D or all 2-D"),
                                           ({(0,): 1.5, (1,): -0.5}, "non-negative")])
def test_lattice_bad_kernel(kernel, match):
    from topotheory.graphs.lattices import InfiniteGraph

    with pytest.raises(ValueError, match=match):
        InfiniteGraph("bad", kernel)
