"""The random-gossip figure: its claims, its cross-checks, and the numbers against independent routes."""

import numpy as np
import pytest

import topotheory as tt
from topotheory.figures import FIGURES, get_figure_function
from topotheory.figures import random_gossip as rg


def dense_rate(S, lr, zeta):
    """Exact rate from the full n^2 x n^2 matrix of C -> E[W (aC + b Diag C) W^T] (no 2 x 2 reduction;
    E[W kron W] equals its enumeration in test_random_schemes)."""
    n = S.n
    K = S.kron_moment()
    a, b = (1 - lr) ** 2, (zeta - 1) * lr**2
    D = np.diag(np.eye(n).ravel())
    return 1 - np.max(np.abs(np.linalg.eigvals(K @ (a * np.eye(n * n) + b * D))))


@pytest.fixture(scope="module")
def quick():
    return rg.compute(quick=True)


def test_registered_once():
    assert FIGURES["random_gossip"] == "random_gossip:random_gossip_figure"
    assert get_figure_function("random_gossip") is rg.random_gossip_figure


def test_quick_crosschecks_agree_and_caption_counts_them(quick):
    c = quick.data["check"]
    assert len(c["verdict"]) == len(rg.SCHEMES)
    assert all(v == "agrees" for v in c["verdict"]), c
    N = len(c["verdict"])
    assert f"{N} of {N} cross-checks agree" in quick.caption and f"interval in {N} of {N}" in quick.caption
    for lo, mc, hi, th, w in zip(c["ci_low"], c["mc_rate"], c["ci_high"], c["theory_rate"], c["window_rate"]):
        assert lo <= mc <= hi and lo <= th <= hi and lo <= w <= hi
    # the horizon covers the transient: at least 5 / rate steps
    assert all(s >= 5 / r for s, r in zip(c["steps"], c["theory_rate"]))


def test_table_rates_are_exact(quick):
    t = quick.data["table"]
    for key, n, z, lr, rate in zip(t["scheme"], t["workers"], t["zeta"], t["lr"], t["rate"]):
        make = rg.SCHEMES[key][0]
        S = make(n)
        if getattr(S, "is_random_scheme", False):
            assert abs(rate - dense_rate(S, lr, z)) < 1e-10
        else:
            assert abs(rate - tt.quadratic_rate(S, lr=lr, zeta=z)) < 1e-12


@pytest.mark.parametrize("n", [8, 16, 32])
def test_caption_claim_randomness_hurts(n):
    """The caption's claim, at every n and zeta of the full figure (theory only, fast)."""
    z0 = 102.0
    for z in (5.0, 20.0, z0):
        opt = {k: tt.optimal_learning_rate(make(n), zeta=z) for k, (make, _, _) in rg.SCHEMES.items()}
        assert opt["one_peer_exponential"].rate > opt["random_matching"].rate > opt["epidemic_s1"].rate
        assert opt["epidemic_s1"].rate > opt["pairwise_gossip"].rate
        assert min(o.rate for o in opt.values()) == opt["pairwise_gossip"].rate
        if z == z0:
            nw = {k: o.effective_neighbors for k, o in opt.items()}
            assert nw["one_peer_exponential"] > nw["random_matching"] > nw["epidemic_s1"]
        # n a power of 2: the Base-2 graph is the one-peer exponential graph
        assert abs(opt["base_graph_k1"].rate - opt["one_peer_exponential"].rate) < 1e-12


def test_nw_at_the_operating_point_equals_the_random_walk(quick):
    t = quick.data["table"]
    for key, n, _z, g, nw in zip(t["scheme"], t["workers"], t["zeta"], t["gamma"], t["effective_neighbors"]):
        assert abs(nw - tt.effective_neighbors(rg.SCHEMES[key][0](n), g)) < 1e-9 * nw


def test_plot_and_bad_input(quick):
    import matplotlib

    matplotlib.use("Agg")
    fig = rg.plot(quick)
    assert len(fig.axes) == 3
    with pytest.raises(ValueError, match="sizes"):
        rg.compute(sizes=())
    with pytest.raises(ValueError, match="zetas"):
        rg.compute(sizes=(4,), zetas=(0.5,))
