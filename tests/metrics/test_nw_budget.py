"""The automatic matrix-free n_W (mean) above the Krylov threshold: its time budget, the warning when
the budget ends first, an interval that stays valid, the route reported, progress."""

import warnings

import networkx as nx
import numpy as np
import pytest

import topotheory as tt
from topotheory.engine import resolve
from topotheory.engine.krylov import AUTO_BUDGET, AUTO_RTOL, KRYLOV_MIN_N, KrylovRepresentation

GAMMAS = np.array([0.5, 0.9, 0.99])


@pytest.fixture(scope="module")
def grid():
    """A 64 x 66 grid (not circulant, n = 4224 > KRYLOV_MIN_N) with max-degree weights, W = I - L/5,
    and its n_W (mean) in closed form from the eigenvalues of the two path Laplacians (paper eq. 6)."""
    s = tt.Scheme.from_networkx(nx.grid_2d_graph(64, 66), weights="max_degree")
    a = 2 - 2 * np.cos(np.pi * np.arange(64) / 64)
    b = 2 - 2 * np.cos(np.pi * np.arange(66) / 66)
    lam2 = ((1 - (a[:, None] + b[None, :]) / 5) ** 2).ravel()
    exact = np.array([1 / ((1 - g) * np.mean(lam2 / (1 - g * lam2))) for g in GAMMAS])
    return s, exact


@pytest.fixture
def sampling(monkeypatch):
    """The sampled route: the grid fits the exact sparse-LU route, whose bandwidth limit is set below it here."""
    import topotheory.engine.factor as factor

    monkeypatch.setattr(factor, "FACTOR_MAX_BANDWIDTH", -1)


def test_grid_takes_the_matrix_free_route(grid):
    s, _ = grid
    assert s.n > KRYLOV_MIN_N and resolve(s).route == "krylov"


def test_budget_ends_first_warns_and_keeps_a_valid_interval(grid, sampling):
    s, exact = grid
    with pytest.warns(RuntimeWarning, match=r"time_budget=.*rtol=|rtol=.*time_budget=") as caught:
        value = tt.effective_neighbors(s, GAMMAS, time_budget=1e-6, progress=False)
    message = str(caught[0].message)
    assert "time budget of 1e-06 s ended" in message and "time_budget=" in message and "rtol=" in message
    with pytest.warns(RuntimeWarning, match="time_budget="):
        est = tt.effective_neighbors(s, GAMMAS, time_budget=1e-6, log=True, progress=False)
    assert est.route == "krylov" and not est.converged and not est.certified and est.level == 0.95
    assert est.probes == 16  # one block of probes, then the budget stops it: deterministic
    np.testing.assert_array_equal(value, 1.0 / (1.0 / est.estimate))
    assert np.all(est.relative_halfwidth > AUTO_RTOL)
    # the interval of the probes drawn is still a valid 95 % interval: it holds the closed form
    assert np.all((est.lower <= exact) & (exact <= est.upper)), (est.lower, exact, est.upper)
    assert np.all(np.abs(est.estimate - exact) <= 4 * est.stderr)


def test_loose_rtol_converges_without_warning(grid, sampling):
    s, exact = grid
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = tt.effective_neighbors(s, 0.9, rtol=2e-2, log=True, progress=False)
    assert est.converged and np.all(est.relative_halfwidth <= 2e-2)
    assert est.lower[0] <= exact[1] <= est.upper[0]


def test_default_budget_and_rtol_reach_the_estimator(grid, sampling, monkeypatch):
    s, _ = grid
    seen = {}
    original = KrylovRepresentation.nw_mean

    def spy(self, gamma, **options):
        seen.update(options)
        return original(self, gamma, **dict(options, rtol=0.5))

    monkeypatch.setattr(KrylovRepresentation, "nw_mean", spy)
    tt.effective_neighbors(s, 0.5, progress=False)
    assert seen["time_budget"] == AUTO_BUDGET == 60.0 and seen["rtol"] == AUTO_RTOL and seen["seed"] == 0
    tt.effective_neighbors(s, 0.5, time_budget=None, rtol=1e-3, progress=False)
    assert seen["time_budget"] is None and seen["rtol"] == 1e-3
    # the Representation interface (used by compare, the fixed-point rate, ...) has the same default
    s.clear_cache()
    resolve(s).scaled_mean_variance(np.array([0.5]), np.array([0.5]), 0)
    assert seen["time_budget"] == AUTO_BUDGET


def test_progress_is_shown_on_request(grid, sampling, capsys):
    s, _ = grid
    with pytest.warns(RuntimeWarning, match="time_budget="):
        tt.effective_neighbors(s, 0.9, time_budget=1e-6, progress=True)
    assert "krylov trace" in capsys.readouterr().err


def test_exact_routes_report_their_route():
    est = tt.effective_neighbors(tt.star(8), [0.5, 0.9], mode="worst", log=True)
    assert est.route == "eigen" and est.certified and est.converged and est.quantity == "n_W worst"
    np.testing.assert_array_equal(est.estimate, tt.effective_neighbors(tt.star(8), [0.5, 0.9], mode="worst"))
    assert np.all(est.lower == est.upper)
    every = tt.effective_neighbors(tt.ring(6), 0.5, mode="all", log=True)
    assert every.route == "fourier" and every.estimate.shape == (1, 6)


def test_bad_budget_and_rtol_are_refused():
    with pytest.raises(ValueError, match="time_budget"):
        tt.effective_neighbors(tt.ring(8), 0.5, time_budget=0)
    with pytest.raises(ValueError, match="rtol"):
        tt.effective_neighbors(tt.ring(8), 0.5, rtol=-1e-3)
    with pytest.raises(TypeError, match="log"):
        tt.effective_neighbors(tt.ring(8), 0.5, log=1)
    with pytest.raises(ValueError, match="labelled"):
        tt.effective_neighbors(tt.ring(8), 0.5, mode="all", labelled=True, log=True)


def test_s1_functional_has_the_same_budget(grid, sampling, monkeypatch):
    import topotheory.engine.krylov as krylov

    s, _ = grid
    a = 2 - 2 * np.cos(np.pi * np.arange(64) / 64)
    b = 2 - 2 * np.cos(np.pi * np.arange(66) / 66)
    lam2 = ((1 - (a[:, None] + b[None, :]) / 5) ** 2).ravel()[1:]  # without the consensus eigenvalue
    gamma = (1 - 0.05) ** 2
    exact = np.sum(lam2 / (1 - gamma * lam2)) / s.n
    monkeypatch.setattr(krylov, "AUTO_BUDGET", 1e-6)
    with pytest.warns(RuntimeWarning, match=r"S_1 .*time budget of 1e-06 s ended.*time_budget=") as caught:
        value = tt.s1_functional(s, lr=0.05)
    assert caught[0].filename == __file__
    assert value == pytest.approx(exact, rel=0.1)  # 16 probes: a rough estimate, flagged as such


def test_the_warning_points_at_the_caller(grid, sampling):
    s, _ = grid
    with pytest.warns(RuntimeWarning, match="time_budget=") as caught:
        tt.effective_neighbors(s, 0.9, time_budget=1e-6, progress=False)
    assert caught[0].filename == __file__
