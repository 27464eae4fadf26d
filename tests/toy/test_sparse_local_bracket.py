"""The matrix-free toy rate and optimum on irregular graphs: the local bracket against the dense route."""

import networkx as nx
import numpy as np
import pytest
from oracles import connected_rgg as rgg

import topotheory as tt
from topotheory.engine import krylov, resolve


@pytest.fixture(autouse=True)
def small_local_block(monkeypatch):
    monkeypatch.setattr(krylov, "LOCAL_SIZE", 32)  # seconds, not minutes, for the search over learning rates


@pytest.mark.parametrize("make", [lambda: rgg(160), lambda: tt.Scheme.from_networkx(nx.barabasi_albert_graph(160, 2, seed=2))])
def test_rate_bracket_holds_the_dense_rate_and_is_narrow(make):
    s = make()
    for lr in (0.1, 0.25):
        exact = tt.quadratic_rate(s, lr=lr, zeta=11.0)
        est = tt.quadratic_rate_interval(s, lr=lr, zeta=11.0, progress=False)
        if np.isnan(exact):  # the dense route says divergence: the bracket must admit it
            assert est.lower[0] <= 0
            continue
        assert est.lower[0] <= exact <= est.upper[0]
        assert est.upper[0] - est.lower[0] < 5e-3 * exact
        assert abs(est.estimate[0] / exact - 1) < 2.5e-3


def test_optimum_bracket_holds_the_dense_optimum():
    s = rgg(80)
    opt = tt.optimal_learning_rate_interval(s, zeta=11.0, progress=False)
    ref = tt.optimal_learning_rate(s, zeta=11.0)
    assert opt.rate_lower <= ref.rate <= opt.rate_upper
    assert opt.rate_upper - opt.rate_lower < 0.05 * ref.rate
    assert abs(opt.lr - ref.lr) < 0.01
    assert abs(opt.rate / ref.rate - 1) < 0.02



def test_pre_test_skips_the_local_block_only_where_it_cannot_narrow(monkeypatch):
    built = []

    class Counted(krylov.LocalPerron):
        def __init__(self, *args, **kwargs):
            built.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(krylov, "LocalPerron", Counted)
    # random regular (every worker alike), the worst-worker stage run (no Kato-Temple bound): the
    # walks are not built, and the bracket is the one a block built and then dropped as useless
    # gives (the pre-test changes no bound)
    s = tt.random_regular(600, 6, seed=1)
    lr = 0.05
    a, beta = (1 - lr) ** 2, 10 * lr**2
    exact = 1 - a - float(resolve(s).perron_excess(np.array([a]), np.array([beta]))[0][0])
    opts = dict(max_probes=64, progress=False, temple=False)
    est = resolve(s, "krylov").rate_bracket(a, beta, **opts)
    assert not built and 1 - a - est[2] <= exact <= 1 - a - est[0]
    with monkeypatch.context() as m:
        m.setattr(krylov.RateBracket, "local_can_narrow", lambda self, *args: True)
        forced = resolve(s, "krylov").rate_bracket(a, beta, **opts)
    assert built and forced == est
    # with the Kato-Temple bound the worst-worker stage itself is skipped (no walks either)
    built.clear()
    R = resolve(s, "krylov").rate_bracketer(a / (a + est[1]), max_probes=64, progress=False)
    assert R.worst_skipped and R.worst is None and not built
    # random geometric (the variances spread): built, and it narrows the bracket around the dense rate
    built.clear()
    s = rgg(300)
    rep = resolve(s, "krylov")
    lr = 0.15
    a, beta = (1 - lr) ** 2, 10 * lr**2
    exact = tt.quadratic_rate(s, lr=lr, zeta=11.0)
    opts = dict(max_probes=64, seed=0, rtol=1e-5, progress=False)
    widths = []
    for local in (False, True):
        u_lo, _, u_hi = rep.rate_bracket(a, beta, local=local, **opts)
        assert 1 - a - u_hi <= exact <= 1 - a - u_lo
        widths.append(u_hi - u_lo)
    assert built and widths[1] < 0.5 * widths[0]
