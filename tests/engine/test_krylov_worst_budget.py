"""Time budgets on the matrix-free worst-worker stages: n_W (worst) and the toy-rate bracket's.

A budget that ends first gives the certified bracket reached so far (wider, still holding the dense
value) with ``converged=False`` and, on the automatic routes, a warning naming ``time_budget=``; a
budget that is never reached changes nothing."""

import warnings

import numpy as np
import pytest

import topotheory as tt
from topotheory.engine import factor, krylov, resolve

GAMMAS = np.array([0.9, 0.99])


@pytest.fixture(scope="module")
def rr():
    """A random 4-regular graph of 600 workers: its crude bounds cannot tell the workers apart."""
    return tt.random_regular(600, 4, seed=1)


def test_worst_budget_widens_a_valid_bracket(rr):
    exact = tt.effective_neighbors(rr, GAMMAS, mode="worst")  # dense
    full = tt.effective_neighbors_interval(rr, GAMMAS, mode="worst")
    huge = tt.effective_neighbors_interval(rr, GAMMAS, mode="worst", time_budget=1e9)
    cut = tt.effective_neighbors_interval(rr, GAMMAS, mode="worst", time_budget=1e-6)
    assert full.converged and not cut.converged
    assert full.probes == rr.n and cut.probes == 256  # one chunk, then the budget ends the refinement
    for est in (full, cut):
        assert est.certified and np.all((est.lower <= exact * (1 + 1e-12)) & (exact <= est.upper * (1 + 1e-12)))
    # wider where one chunk cannot decide (at 0.9 the crude bounds already can: the same bracket)
    assert np.all(cut.upper - cut.lower >= full.upper - full.lower)
    assert cut.upper[-1] - cut.lower[-1] > 100 * (full.upper[-1] - full.lower[-1])
    # a budget never reached: the same numbers as without one
    np.testing.assert_array_equal(huge.lower, full.lower)
    np.testing.assert_array_equal(huge.upper, full.upper)
    rep = resolve(rr, "krylov")
    np.testing.assert_array_equal(rep.worst_variance(GAMMAS)[1], rep.worst_variance(GAMMAS, time_budget=1e9)[1])
    with pytest.raises(ValueError, match="time_budget"):
        rep.nw_worst(GAMMAS, time_budget=0.0)


@pytest.fixture
def lanczos_only(monkeypatch):
    """The automatic routes without the exact per-worker values (selected inversion): every graph this
    small is factorable, and these tests are about the Lanczos refinement's budget."""
    monkeypatch.setattr(factor, "FACTOR_MAX_BANDWIDTH", 0)


def test_automatic_worst_warns_when_its_budget_ends(rr, lanczos_only):
    rep = resolve(rr, "krylov")
    assert not rep.factorable
    with pytest.warns(RuntimeWarning, match=r"time budget of 1e-06 s ended.*time_budget="):
        lo, hi = rep.auto_worst_variance(GAMMAS, time_budget=1e-6, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # converged within the default budget: no warning
        lo_full, hi_full = rep.auto_worst_variance(GAMMAS, progress=False)
    assert np.all((lo <= lo_full) & (hi_full <= hi)) and hi[-1] - lo[-1] > 100 * (hi_full[-1] - lo_full[-1])
    # the default budget reaches the stage on the automatic route
    seen = []
    worst = krylov.KrylovRepresentation._worst

    def spy(self, *args):
        seen.append(args[-1])
        return worst(self, *args)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(krylov.KrylovRepresentation, "_worst", spy)
        rep.scaled_worst_variance(GAMMAS, 1 - GAMMAS, 0)
    assert seen == [krylov.AUTO_BUDGET]


def test_rate_bracket_budget(monkeypatch):
    s = tt.random_regular(400, 4, seed=1)
    lr, zeta = 0.1, 11.0
    exact = tt.quadratic_rate(s, lr=lr, zeta=zeta)  # dense (n = 400 < KRYLOV_MIN_N)
    opts = dict(lr=lr, zeta=zeta, max_probes=64, progress=False)  # the probe route (n > max_probes)
    full = tt.quadratic_rate_interval(s, **opts)
    cut = tt.quadratic_rate_interval(s, time_budget=1e-6, **opts)
    assert full.converged and not cut.converged
    assert cut.lower[0] <= full.lower[0] <= exact <= full.upper[0] <= cut.upper[0]
    assert cut.upper[0] - cut.lower[0] > 10 * (full.upper[0] - full.lower[0])
    # the automatic route (perron_excess; n <= 512: the certified diagonals): the budget ends first ->
    # the midpoint of the wider bracket, converged False and a warning naming time_budget=
    rep = resolve(s, "krylov")
    a, beta = np.array([(1 - lr) ** 2]), np.array([(zeta - 1) * lr**2])
    monkeypatch.setattr(krylov, "AUTO_BUDGET", 1e-6)
    with pytest.warns(RuntimeWarning, match="time_budget="):
        u, _, res, conv, route = rep.perron_excess(a, beta)
    assert not conv[0] and route == "krylov-bracket"
    rate, half = 1 - a[0] - u[0], res[0] * (a[0] + u[0])
    assert rate - half <= exact <= rate + half and half > 10 * 0.5 * (full.upper[0] - full.lower[0])


def test_exact_worst_budget_leaves_decays_to_lanczos():
    """The exact per-worker route (selected inversion) within a budget: no decay is started after it (one
    always is), the decays left get the certified Lanczos bracket, flagged; cached decays cost nothing."""
    import networkx as nx

    s = tt.Scheme.from_networkx(nx.random_geometric_graph(500, 0.09, seed=2))
    g = np.array([0.9, 0.99, 0.999])
    exact = np.array([tt.effective_neighbors(s, x, mode="worst") for x in g])  # the dense eigen route
    rep = krylov.KrylovRepresentation(s)
    assert rep.factorable
    cut = rep.nw_worst(g, time_budget=1e-6, progress=False)
    assert cut.route == "sparse-lu+krylov" and not cut.converged and cut.certified
    assert cut.lower[0] == cut.upper[0] and np.all(cut.lower[1:] < cut.upper[1:])  # only the first decay exact
    assert np.all((cut.lower <= exact * (1 + 1e-10)) & (exact <= cut.upper * (1 + 1e-10)))
    rows = rep.exact_variances(g, time_budget=1e-6)  # the first decay is cached: it alone is returned
    assert np.all(np.isfinite(rows[0])) and np.all(np.isnan(rows[1:]))
    s.clear_cache()
    rep = krylov.KrylovRepresentation(s)
    with pytest.warns(RuntimeWarning, match=r"ended after 1 of 3 decays.*time_budget="):
        lo, hi = rep.auto_worst_variance(g, time_budget=1e-6, progress=False)
    assert np.all((1 / hi <= exact * (1 + 1e-10)) & (exact <= 1 / lo * (1 + 1e-10)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # within the default budget: every decay exact, no warning
        full = rep.nw_worst(g, progress=False)
        lo_f, hi_f = rep.auto_worst_variance(g, progress=False)
        cached = rep.nw_worst(g, time_budget=1e-6, progress=False)  # every decay cached: exact, nothing late
    assert full.route == cached.route == "sparse-lu" and full.converged and cached.converged
    np.testing.assert_array_equal(cached.estimate, full.estimate)
    np.testing.assert_array_equal(lo_f, hi_f)
    np.testing.assert_allclose(full.estimate, exact, rtol=1e-10)
    np.testing.assert_array_equal(rep.scaled_worst_variance(g, 1 - g, 0), lo_f)
