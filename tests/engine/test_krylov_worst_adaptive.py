"""The worst-worker stage at adaptive precision: cheap certified brackets for every candidate, only the
candidates that may still be the worst tightened. The brackets hold the dense values on three kinds of
graph at any requested width, reach that width, and a planted fault in the drop rule is caught."""
import networkx as nx
import numpy as np
import pytest
from oracles import connected_rgg as rgg

import topotheory as tt
from topotheory.engine import krylov
from topotheory.engine.krylov import KrylovRepresentation

GAMMAS = np.array([0.5, 0.9, 0.99])
N = 300


def ba(n, m=3, seed=2):
    return tt.Scheme.from_networkx(nx.barabasi_albert_graph(n, m, seed=seed), name=f"ba(n={n})")


@pytest.fixture(scope="module", params=["random_regular", "random_geometric", "barabasi_albert"])
def graph(request):
    s = {"random_regular": lambda: tt.random_regular(N, 6, seed=5), "random_geometric": lambda: rgg(N),
         "barabasi_albert": lambda: ba(N)}[request.param]()
    return s, 1.0 / tt.effective_neighbors(s, GAMMAS, mode="all")  # dense (1 - gamma) Sigma_ii, (G, n)


@pytest.mark.parametrize("rtol", [1e-3, 1e-9])
def test_adaptive_worst_bracket_holds_the_dense_maximum(graph, rtol):
    s, dense = graph
    rep = KrylovRepresentation(s)
    lo, hi, worker, refined = rep.worst_variance(GAMMAS, rtol=rtol)
    top = dense.max(axis=1)
    assert np.all((lo <= top * (1 + 1e-12)) & (top <= hi * (1 + 1e-12)))
    assert np.all(hi - lo <= rtol * lo * (1 + 1e-9))  # the requested width (every worker refined here)
    assert np.all(dense[np.arange(GAMMAS.size), worker] >= lo * (1 - 1e-12))  # the worker named reaches it


def test_cheap_candidates_are_not_tightened_and_stay_certified():
    s = ba(N)
    rep = KrylovRepresentation(s)
    g = np.array([0.9])
    clo, chi = rep.crude_variance_bounds(g)
    order = np.argsort(-chi[0], kind="stable")
    rules, refined, tested, tight = rep._tighten_worst(order, g, 1e-9, 0, 64, False, None, clo.max(axis=1))
    assert refined == N and tested and tight and np.array_equal(np.sort(rules.workers), np.arange(N))
    steps = np.concatenate([np.full(q.gauss_nodes.shape[0], q.gauss_nodes.shape[1]) for q in rules.rules])
    assert steps.min() < steps.max() and np.sum(steps == steps.max()) < N // 10  # few tightened
    # every refined worker bounded at every decay, the cheap ones too
    dense = 1.0 / tt.effective_neighbors(s, GAMMAS, mode="all")[:, rules.workers]
    lo, hi = rules.bounds(GAMMAS)
    assert np.all((lo <= dense * (1 + 1e-12)) & (dense <= hi * (1 + 1e-12)))


def test_adaptive_rate_bracket_holds_the_dense_rate(graph):
    s, _ = graph
    rep = KrylovRepresentation(s)
    lr, zeta = 0.15, 11.0
    a, beta = (1 - lr) ** 2, (zeta - 1) * lr**2
    exact = tt.quadratic_rate(s, lr=lr, zeta=zeta)
    # the worst-worker stage itself (the Kato-Temple bound would make it unneeded on random regular graphs)
    R = rep.rate_bracketer(a / (a + beta / N), worst_rtol=1e-3, local=False, progress=False, temple=False)
    u_lo, _, u_hi = R.bracket(a, beta)
    assert 1 - a - u_hi <= exact * (1 + 1e-12) and exact <= (1 - a - u_lo) * (1 + 1e-12)
    assert R.worst_rtol == 1e-3 and R.candidates.size == R.worst.workers.size  # every candidate keeps its rules


def test_planted_drop_of_a_possible_worst_is_caught(monkeypatch):
    s = tt.random_regular(N, 6, seed=5)
    rep = KrylovRepresentation(s)
    lo, hi, _, _ = rep.worst_variance(GAMMAS, rtol=1e-9)
    assert np.all(hi - lo <= 1e-9 * lo * (1 + 1e-9))
    # the fault: a candidate within 5 % of the best lower bound is taken as unable to be the worst
    monkeypatch.setattr(krylov, "_may_be_worst", lambda up, best, floor: np.any(up > best[:, None] * 1.05, axis=0))
    bad_lo, bad_hi, _, _ = KrylovRepresentation(s).worst_variance(GAMMAS, rtol=1e-9)
    assert not np.all(bad_hi - bad_lo <= 1e-9 * bad_lo * (1 + 1e-9))  # the width check above catches it
