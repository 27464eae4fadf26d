"""The exact sparse-LU route of n_W (mean) and S_1 (engine/factor.py): against closed forms and dense
eigenvalues, its feasibility test, positive definiteness refused, and the time budget's fallback."""

import warnings

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

import topotheory as tt
import topotheory.engine.factor as factor
from topotheory.engine import resolve
from topotheory.engine.factor import ResolventTraces, envelope, factor_fits
from topotheory.engine.krylov import KrylovRepresentation

#: Decays from 0 through the series branch (< 1e-6) to the edge.
DECAYS = np.array([0.0, 1e-9, 3e-7, 0.5, 0.9, 0.99, 0.999, 0.999999])


@pytest.fixture(scope="module")
def grid():
    """A 64 x 66 grid (n = 4224 > KRYLOV_MIN_N, matrix-free) with W = I - L/5; its eigenvalues in closed form."""
    s = tt.Scheme.from_networkx(nx.grid_2d_graph(64, 66), weights="max_degree")
    a = 2 - 2 * np.cos(np.pi * np.arange(64) / 64)
    b = 2 - 2 * np.cos(np.pi * np.arange(66) / 66)
    return s, (1 - (a[:, None] + b[None, :]) / 5).ravel()


#: Rounding of the route grows like 1e-15 / (1 - gamma) (the conditioning of I - sqrt(gamma) W).
RTOL = 1e-11 + 1e-14 / (1 - DECAYS)


def closed_nw(lam, g):
    return np.array([1 / ((1 - x) * np.mean(lam**2 / (1 - x * lam**2))) for x in np.atleast_1d(g)])


def test_grid_is_exact_by_default(grid):
    s, lam = grid
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # exact: no budget warning, whatever rtol asks
        est = tt.effective_neighbors(s, DECAYS, log=True, rtol=1e-12, progress=False)
    assert resolve(s).route == "krylov" and est.route == "sparse-lu" and est.certified and est.converged
    assert np.all(np.abs(est.estimate / closed_nw(lam, DECAYS) - 1) <= RTOL), est.estimate / closed_nw(lam, DECAYS) - 1
    assert np.all(est.lower == est.upper) and np.all(est.stderr == 0)
    R = resolve(s).resolvent_traces
    done = R.factorizations
    np.testing.assert_array_equal(tt.effective_neighbors(s, DECAYS), 1.0 / (1.0 / est.estimate))
    assert R.factorizations == done  # each decay's sum is cached: no factorization again
    # S_1 (the disagreement functional) from the same sums, without the consensus eigenvalue
    g = (1 - 0.05) ** 2
    mu = lam[1:] ** 2
    assert tt.s1_functional(s, lr=0.05) == pytest.approx(np.sum(mu / (1 - g * mu)) / s.n, rel=1e-11)


@pytest.mark.parametrize("graph", [
    nx.random_geometric_graph(300, 0.1, seed=2),
    nx.barabasi_albert_graph(300, 3, seed=1),
    nx.star_graph(40),  # bipartite: eigenvalue -1
    nx.disjoint_union(nx.path_graph(50), nx.cycle_graph(31)),  # two components: eigenvalue 1 twice
], ids=["geometric", "barabasi-albert", "star", "disconnected"])
def test_against_dense_eigenvalues(graph):
    s = tt.Scheme.from_networkx(graph)
    lam = np.linalg.eigvalsh(s.matrix(0))
    rep = KrylovRepresentation(s)
    est, done = rep.nw_mean_exact(DECAYS)
    assert done.all() and est.route == "sparse-lu"
    assert np.all(np.abs(est.estimate / closed_nw(lam, DECAYS) - 1) <= RTOL), est.estimate / closed_nw(lam, DECAYS) - 1
    R = ResolventTraces(s.sparse_matrix(0))
    for a in (-0.97, -0.3, 0.4, 0.999):
        assert R.trace(a) == pytest.approx(np.sum(lam / (1 - a * lam)), rel=1e-11, abs=1e-11)
    assert R.factorizations == 4


def test_a_finite_step_would_be_caught(monkeypatch):
    """The comparison above detects an inexact derivative: a finite (not infinitesimal) complex step."""
    s = tt.Scheme.from_networkx(nx.random_geometric_graph(200, 0.12, seed=4))
    lam = np.linalg.eigvalsh(s.matrix(0))
    monkeypatch.setattr(factor, "_STEP", 0.05)
    est, _ = KrylovRepresentation(s).nw_mean_exact([0.99])
    assert abs(est.estimate[0] / closed_nw(lam, 0.99)[0] - 1) > 1e-6


def test_not_positive_definite_is_refused():
    W = sp.csr_array(np.array([[0.0, 1.6], [1.6, 0.0]]))  # eigenvalues +-1.6: I - 0.9 W is indefinite
    with pytest.raises(ValueError, match="not positive definite"):
        ResolventTraces(W).trace(0.9)
    with pytest.raises(ValueError, match="a must lie"):
        ResolventTraces(W).trace(1.0)
    with pytest.raises(ValueError, match="gamma"):
        ResolventTraces(W).decay_sums([1.0])


def test_feasibility_follows_the_envelope(grid, monkeypatch):
    s, _ = grid
    rep = resolve(s)
    profile, bandwidth = envelope(rep.ordered[0])
    assert 64 <= bandwidth <= 2 * 66 and profile <= bandwidth * s.n  # a grid's band in RCM order
    assert rep.factorable and not factor_fits(rep.ordered[0], max_bandwidth=bandwidth - 1)
    assert not factor_fits(rep.ordered[0], max_profile=profile - 1)
    monkeypatch.setattr(factor, "FACTOR_MAX_BANDWIDTH", bandwidth - 1)  # read at call time
    assert not rep.factorable
    with pytest.warns(RuntimeWarning, match="time_budget="):
        assert tt.effective_neighbors(s, 0.9, log=True, time_budget=1e-6, progress=False).route == "krylov"
    rr = KrylovRepresentation(tt.random_regular(3000, 6, seed=0, method="pairing"))
    assert envelope(rr.ordered[0])[1] > factor.FACTOR_MAX_BANDWIDTH  # an expander: sampled


def test_budget_ends_before_every_decay(grid):
    s, lam = grid
    s.clear_cache()  # no decay's sum cached from the tests above
    with pytest.warns(RuntimeWarning, match=r"1 of 3 decays.*time_budget=") as caught:
        est = tt.effective_neighbors(s, [0.5, 0.9, 0.99], log=True, time_budget=1e-6, progress=False)
    assert caught[0].filename == __file__
    exact = closed_nw(lam, [0.5, 0.9, 0.99])
    assert est.route == "sparse-lu+krylov" and not est.converged and not est.certified and est.probes == 16
    assert est.estimate[0] == pytest.approx(exact[0], rel=1e-11) and est.lower[0] == est.upper[0]
    assert np.all((est.lower[1:] <= exact[1:]) & (exact[1:] <= est.upper[1:]))
    with pytest.raises(ValueError, match="method"):
        resolve(s).auto_nw_mean([0.5], method="lu")
