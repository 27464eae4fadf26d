"""The matrix-free toy rate and optimum on irregular graphs: the local bracket against the dense route."""

import networkx as nx
import numpy as np
import pytest
from oracles import connected_rgg as rgg

import topotheory as tt
from topotheory.engine import krylov


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
