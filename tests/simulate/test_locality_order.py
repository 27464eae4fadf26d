"""simulate_dsgd renumbers a large sparse plan for memory locality (reverse Cuthill–McKee) without
changing what a seed gives: the same replicas, up to rounding, as in the workers' own numbering."""

import networkx as nx
import numpy as np
import pytest

import topotheory as tt
import topotheory.simulate.montecarlo as mc


@pytest.fixture(scope="module")
def geometric():
    s = tt.Scheme.from_networkx(nx.random_geometric_graph(4500, 0.03, seed=3))  # workers in random spatial order
    assert s.n >= mc.LOCALITY_MIN_N and s.is_sparse(0)
    return s


@pytest.mark.parametrize("batch_size, dtype", [(1, "float64"), (2, "float64"), (1, "float32")])
def test_renumbered_run_gives_the_same_replicas(geometric, monkeypatch, batch_size, dtype):
    x0 = np.random.default_rng(0).normal(size=(geometric.n, 3))  # per-worker starts follow their workers
    kw = dict(lr=0.2, d=3, steps=6, reps=3, batch_size=batch_size, seed=11, x0=x0, threads=1, dtype=dtype)
    plan, perm = mc.locality_order(mc.gossip_plan(geometric), geometric.n)
    assert perm is not None and not np.array_equal(perm, np.arange(geometric.n))
    fast = tt.simulate_dsgd(geometric, **kw)
    monkeypatch.setattr(mc, "LOCALITY_MIN_N", 10**9)  # the workers' own numbering
    assert mc.locality_order(mc.gossip_plan(geometric), geometric.n)[1] is None
    plain = tt.simulate_dsgd(geometric, **kw)
    rtol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(fast.replica_loss, plain.replica_loss, rtol=rtol)
    np.testing.assert_allclose(fast.consensus, plain.consensus, rtol=rtol)


def test_small_dense_and_random_plans_keep_their_order():
    assert mc.locality_order(mc.gossip_plan(tt.ring(64)), 64)[1] is None  # small
    big = tt.Scheme.from_networkx(nx.random_geometric_graph(4500, 0.03, seed=3))
    assert mc.locality_order([("dense", np.eye(4500))], 4500)[1] is None  # a dense phase: no gain
    assert mc.locality_order(mc.gossip_plan(big), big.n)[1] is not None
    expander = tt.random_regular(4500, 6, seed=0, method="pairing")  # no renumbering shortens its reach
    assert mc.locality_order(mc.gossip_plan(expander), expander.n)[1] is None
