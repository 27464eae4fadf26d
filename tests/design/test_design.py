"""Weight design: FMMC/FDLA against published closed forms, n_W-optimal weights against their
certificates, random feasible perturbations and the other route; schedules; the CLI round trip."""

import json

import networkx as nx
import numpy as np
import pytest

import topotheory as tt
from topotheory.cli import main
from topotheory.design.problem import design_graph, spectral_objective

cvxpy = pytest.importorskip("cvxpy", reason="the conic route needs the design extra (cvxpy)")


def _two_clusters():
    G = nx.disjoint_union(nx.complete_graph(5), nx.cycle_graph(6))
    G.add_edge(0, 5)
    return G


# ----------------------------------------------------------------------------- FMMC and FDLA
def test_fmmc_published_cvx_example():
    # Boyd & Vandenberghe, "Convex Optimization" §4.6.3 (CVX example fastest_mixing_MC): on the
    # 4-cycle plus a hub joined to every node, with *zero diagonal* imposed, the fastest mixing chain
    # puts 0.375 on the cycle edges and 0.25 on the hub edges, mixing rate 0.75.
    E = np.array([[0, 1, 0, 1, 1], [1, 0, 1, 0, 1], [0, 1, 0, 1, 1], [1, 0, 1, 0, 1], [1, 1, 1, 1, 0]])
    P = np.where(E == 1, 0.375, 0.0)
    P[4, :4] = P[:4, 4] = 0.25
    published = tt.Scheme([P])
    assert 1 - tt.spectral_gap(published, "abs") == pytest.approx(0.75, abs=1e-12)
    # Our problem allows self loops (a larger feasible set): the optimum is certified at 1/4
    # (W = A/4 + diag(1 - d_i/4): the hub has self weight 0, the others 1/4).
    G = nx.from_numpy_array(E)
    for method in ("conic", "first_order"):
        res = tt.optimal_weights(G, objective="spectral_gap", method=method, log=True)
        assert res.value == pytest.approx(0.25, abs=1e-6) and res.value <= 0.75
        assert res.dual_bound <= 0.25 + 1e-9
    assert np.allclose(res.weights, 0.25, atol=1e-4)


@pytest.mark.parametrize("objective", ["spectral_gap", "fdla"])
def test_norm_first_order_route_matches_conic(objective):
    # The smoothed first-order route (the route for graphs beyond the SDP's reach) against the
    # conic optimum: within its smoothing bias log(2n)/beta, and its dual bound is a true lower bound.
    for G in (nx.path_graph(8), nx.barabasi_albert_graph(14, 2, seed=3)):
        conic = tt.optimal_weights(G, objective=objective, method="conic", log=True)
        fo = tt.optimal_weights(G, objective=objective, method="first_order", log=True)
        assert fo.method == "first_order" and fo.solver == "spg-smoothed"
        assert conic.value - 1e-9 <= fo.value <= conic.value * (1 + 1e-5)
        if np.isfinite(fo.dual_bound):
            assert fo.dual_bound <= conic.value + 1e-8
        if objective == "spectral_gap":
            assert np.min(fo.scheme.matrix(0)) >= 0


def test_projection_active_set_against_qp():
    # The active-set projection onto {w >= 0, |B| w <= 1} against the QP solved by cvxpy, and
    # against the accelerated dual ascent it falls back on.
    from topotheory.design.problem import _accelerated_dual, _active_set_dual, project_nonnegative

    dg = design_graph(nx.barabasi_albert_graph(20, 3, seed=4))
    rng = np.random.default_rng(5)
    for _ in range(3):
        v = dg.nonnegative_start() * rng.uniform(0.5, 3.0, dg.m) + rng.normal(0, 0.1, dg.m)
        w, mu = project_nonnegative(dg, v)
        x = cvxpy.Variable(dg.m)
        cvxpy.Problem(cvxpy.Minimize(cvxpy.sum_squares(x - v)), [x >= 0, dg.A @ x <= 1]).solve()
        assert np.max(np.abs(w - x.value)) <= 1e-6
        assert np.all(w >= 0) and np.all(dg.load(w) <= 1 + 1e-15)
        mu_as, ok = _active_set_dual(dg, v, np.zeros(dg.n), 1e-13)
        mu_acc = _accelerated_dual(dg, v, np.zeros(dg.n), 1e-13, 20000)
        assert ok
        w_acc = np.maximum(v - dg.edge_sum(mu_acc), 0)
        assert np.max(np.abs(np.maximum(v - dg.edge_sum(mu_as), 0) - w_acc)) <= 1e-10
    # a point inside the polytope is its own projection
    inside = 0.5 * dg.nonnegative_start()
    assert np.array_equal(project_nonnegative(dg, inside)[0], inside)


@pytest.mark.parametrize("n", [3, 5, 8])
def test_fmmc_path_closed_form(n):
    # Boyd, Diaconis, Sun & Xiao: on the path the fastest mixing chain has weight 1/2 on every
    # edge and SLEM cos(pi/n).
    res = tt.optimal_weights(nx.path_graph(n), objective="spectral_gap", log=True)
    assert res.value == pytest.approx(np.cos(np.pi / n), abs=1e-7)
    assert np.allclose(res.weights, 0.5, atol=2e-4)
    assert res.relative_gap <= 1e-6 and res.converged
    assert res.dual_bound <= np.cos(np.pi / n) + 1e-9


def test_fmmc_beats_heuristics_and_fdla_beats_fmmc():
    G = nx.barabasi_albert_graph(14, 2, seed=3)
    fmmc = tt.optimal_weights(G, objective="spectral_gap", log=True)
    fdla = tt.optimal_weights(G, objective="fdla", log=True)
    for rule in ("metropolis", "max_degree"):
        slem = 1 - tt.spectral_gap(tt.Scheme.from_networkx(G, rule))
        assert fmmc.value <= slem + 1e-9
    assert fdla.value <= fmmc.value + 1e-9  # a larger feasible set
    assert fdla.scheme.is_symmetric and np.allclose(fdla.scheme.matrix(0).sum(axis=1), 1)


def test_fdla_star_closed_form():
    # Star on n nodes: by convexity and symmetry an optimum has equal weights w, with eigenvalues
    # 1, 1 - w (n - 2 times) and 1 - n w, so ||W - J|| = max(|1 - w|, |1 - n w|), minimal at
    # w = 2/(n + 1) with value (n - 1)/(n + 1). FMMC must keep the hub's self weight >= 0 (w <= 1/(n-1)),
    # giving 1 - 1/(n - 1).
    n = 6
    fdla = tt.optimal_weights(nx.star_graph(n - 1), objective="fdla", log=True)
    assert fdla.value == pytest.approx((n - 1) / (n + 1), abs=1e-7)
    assert np.allclose(fdla.weights, 2 / (n + 1), atol=1e-5)
    assert fdla.scheme.matrix(0)[0, 0] < 0  # the signed optimum: negative hub self weight
    fmmc = tt.optimal_weights(nx.star_graph(n - 1), objective="spectral_gap", log=True)
    assert fmmc.value == pytest.approx(1 - 1 / (n - 1), abs=1e-7)


def test_negative_weights_need_the_flag():
    W = np.array([[1.2, -0.2], [-0.2, 1.2]])
    with pytest.raises(ValueError, match="allow_negative"):
        tt.Scheme([W])
    s = tt.Scheme([W], allow_negative=True)
    assert s.n == 2


# --------------------------------------------------------------------------- n_W-optimal weights
def test_gradient_matches_finite_differences():
    dg = design_graph(nx.barabasi_albert_graph(10, 2, seed=0))
    w = dg.nonnegative_start()
    e = np.random.default_rng(0).standard_normal(dg.m) * 1e-6
    for kind, gamma in (("effective_neighbors", 0.95), ("msd", None)):
        obj = spectral_objective(dg, kind, gamma)
        F, g = obj.value_grad(w)
        fd = (obj.value(w + e) - obj.value(w - e)) / 2
        assert fd == pytest.approx(g @ e, rel=1e-6)
        s = tt.Scheme([dg.matrix(w)])
        exact = 1 / tt.effective_neighbors(s, gamma) if gamma else tt.s0_functional(s)
        assert F == pytest.approx(exact, rel=1e-12)


GRAPHS = {
    "ba": lambda: nx.barabasi_albert_graph(16, 2, seed=1),
    "two_clusters": _two_clusters,
}


@pytest.mark.parametrize("name", list(GRAPHS))
def test_nw_optimal_certificate_routes_and_baselines(name):
    G, gamma = GRAPHS[name](), 0.99
    conic = tt.optimal_weights(G, objective="effective_neighbors", gamma=gamma, method="conic", log=True)
    fo = tt.optimal_weights(G, objective="effective_neighbors", gamma=gamma, method="first_order", log=True)
    for r in (conic, fo):
        assert r.converged and r.relative_gap <= 1e-6
        assert r.value == pytest.approx(1 / tt.effective_neighbors(r.scheme, gamma), rel=1e-12)
    assert abs(fo.value - conic.value) <= 1e-5 * conic.value
    nw = tt.effective_neighbors(fo.scheme, gamma)
    fmmc = tt.optimal_weights(G, objective="spectral_gap")
    for other in (tt.Scheme.from_networkx(G), tt.Scheme.from_networkx(G, "max_degree"), fmmc):
        assert nw >= tt.effective_neighbors(other, gamma) * (1 - 1e-9)
    # strictly better than Metropolis on these irregular graphs
    assert nw > tt.effective_neighbors(tt.Scheme.from_networkx(G), gamma) * (1 + 1e-4)


def test_nw_optimal_no_feasible_perturbation_improves():
    G, gamma = _two_clusters(), 0.9
    res = tt.optimal_weights(G, objective="effective_neighbors", gamma=gamma, method="first_order", log=True)
    dg = design_graph(G)
    obj = spectral_objective(dg, "effective_neighbors", gamma)
    rng = np.random.default_rng(7)
    base = obj.value(res.weights)
    for _ in range(200):
        target = rng.uniform(0, 1, dg.m)
        target /= max(1.0, dg.load(target).max())  # a random feasible point
        for t in (1e-3, 1e-2, 0.3):
            cand = (1 - t) * res.weights + t * target  # feasible (convex combination)
            assert obj.value(cand) >= base - 1e-12


def test_ring_vertex_transitive_ties():
    # On a ring, symmetric weights are optimal by symmetry (convexity + vertex transitivity):
    # the n_W optimum has equal weights; with gamma -> 0 it is ||W||_F minimal.
    res = tt.optimal_weights(nx.cycle_graph(9), objective="effective_neighbors", gamma=0.5, log=True)
    assert np.ptp(res.weights) <= 1e-5
    ws = np.linspace(0, 0.5, 50001)
    lam = 1 - 2 * ws[:, None] * (1 - np.cos(2 * np.pi * np.arange(9) / 9))
    vals = (1 - 0.5) / 9 * np.sum(lam**2 / (1 - 0.5 * lam**2), axis=1)
    assert res.value == pytest.approx(vals.min(), abs=1e-8)


def test_msd_optimal_and_zeta_lr_operating_point():
    G = nx.barabasi_albert_graph(12, 2, seed=2)
    res = tt.optimal_weights(G, objective="msd", log=True)
    assert res.value == pytest.approx(tt.s0_functional(res.scheme), rel=1e-12)
    assert res.value <= tt.s0_functional(tt.Scheme.from_networkx(G)) + 1e-12
    op = tt.optimal_weights(G, objective="effective_neighbors", zeta=20, lr=0.1, log=True)
    r = tt.quadratic_rate(op.scheme, lr=0.1, zeta=20)
    assert op.gamma == pytest.approx((1 - 0.1) ** 2 / (1 - r), abs=1e-9)


def test_rate_objective_local_optimum():
    G, zeta = _two_clusters(), 20.0
    res = tt.optimal_weights(G, objective="rate", zeta=zeta, log=True)
    assert res.value == pytest.approx(tt.optimal_learning_rate(res.scheme, zeta=zeta).rate, rel=1e-12)
    nw = tt.optimal_weights(G, objective="effective_neighbors", gamma=res.gamma)
    for other in (tt.Scheme.from_networkx(G), tt.optimal_weights(G, objective="spectral_gap"), nw):
        assert res.value >= tt.optimal_learning_rate(other, zeta=zeta).rate - 1e-9
    # local optimality: random small feasible moves do not improve the rate
    dg = design_graph(G)
    rng = np.random.default_rng(1)
    for _ in range(5):
        target = rng.uniform(0, 1, dg.m)
        target /= max(1.0, dg.load(target).max())
        cand = tt.Scheme([dg.matrix(0.99 * res.weights + 0.01 * target)])
        assert tt.optimal_learning_rate(cand, zeta=zeta).rate <= res.value + 1e-9


# ------------------------------------------------------------------------------------ bad input
def test_bad_input():
    with pytest.raises(ValueError, match="disconnected"):
        tt.optimal_weights(nx.disjoint_union(nx.path_graph(3), nx.path_graph(3)), objective="msd")
    with pytest.raises(ValueError, match="no edges"):
        tt.optimal_weights(nx.empty_graph(4), objective="msd")
    with pytest.raises(ValueError, match="gamma"):
        tt.optimal_weights(nx.path_graph(4), objective="effective_neighbors", gamma=1.0)
    with pytest.raises(ValueError, match="objective"):
        tt.optimal_weights(nx.path_graph(4), objective="slem")
    with pytest.raises(ValueError, match="gamma"):
        tt.optimal_weights(nx.path_graph(4), objective="effective_neighbors")
    with pytest.raises(ValueError, match="method"):
        tt.optimal_weights(nx.path_graph(4), objective="spectral_gap", method="subgradient")
    with pytest.raises(TypeError, match="graph"):
        tt.optimal_weights("ring", objective="msd")


def test_missing_cvxpy_names_the_extra(monkeypatch):
    import builtins

    real = builtins.__import__

    def fake(name, *args, **kwargs):
        if name == "cvxpy":
            raise ImportError("no cvxpy")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(ImportError, match=r"topotheory\[design\]"):
        tt.optimal_weights(nx.path_graph(4), objective="spectral_gap")
    # the automatic route falls back to first order for smooth objectives
    res = tt.optimal_weights(nx.path_graph(4), objective="msd", log=True)
    assert res.method == "first_order"


# ------------------------------------------------------------------------------------ schedules
def test_matching_schedule_against_published_one_peer_graphs():
    gamma = 0.9
    s8 = tt.matching_schedule(nx.complete_graph(8), gamma=gamma)
    exp8 = tt.mean_effective_neighbors(tt.one_peer_exponential(8), gamma)
    assert tt.mean_effective_neighbors(s8, gamma) >= exp8 * (1 - 1e-12)
    # every step is a matching: one peer, weight 1/2
    for W in s8.matrices:
        W = np.asarray(W)
        assert np.all((W == 0) | (W == 0.5) | (W == 1)) and np.all((W > 0).sum(axis=1) <= 2)
    s12 = tt.matching_schedule(nx.complete_graph(12), gamma=gamma)
    base = tt.base_graph(12, 1)
    assert tt.mean_effective_neighbors(s12, gamma) > tt.mean_effective_neighbors(base, gamma)


def test_matching_schedule_monotone_on_a_base_graph():
    s, values = tt.matching_schedule(nx.grid_2d_graph(4, 4), gamma=0.95, log=True)
    assert all(b > a for a, b in zip(values, values[1:]))
    assert tt.mean_effective_neighbors(s, 0.95) == pytest.approx(values[-1], rel=1e-12)


# ------------------------------------------------------------------------------------------ CLI
def test_cli_round_trip(tmp_path, capsys):
    G = _two_clusters()
    path = tmp_path / "g.edgelist"
    nx.write_edgelist(G, path, data=False)
    out = tmp_path / "w.txt"
    assert main(["design", "--graph", str(path), "--objective", "effective_neighbors", "--gamma", "0.99",
                 "--out", str(out)]) == 0
    back = tt.Scheme.from_networkx(nx.read_weighted_edgelist(out, nodetype=str), weights="weight:weight")
    direct = tt.optimal_weights(G, objective="effective_neighbors", gamma=0.99)
    assert tt.effective_neighbors(back, 0.99) == pytest.approx(tt.effective_neighbors(direct, 0.99), rel=1e-9)
    js = tmp_path / "w.json"
    assert main(["design", "--graph", str(path), "--objective", "spectral_gap", "--out", str(js),
                 "--format", "json"]) == 0
    data = json.loads(js.read_text())
    assert data["objective"] == "spectral_gap" and len(data["edges"]) == G.number_of_edges()
    assert main(["design", "--graph", str(path), "--objective", "effective_neighbors", "--gamma", "1.5",
                 "--out", str(js)]) == 2
    assert "gamma" in capsys.readouterr().err


# -------------------------------------------------------------------------------------- study
def test_design_study_small():
    from topotheory.figures.design_study import design_study_data

    from topotheory.figures.design_study import DESIGN_RULES

    rows = design_study_data(zeta=20.0, quick=True)
    for g in {r["graph"] for r in rows}:
        by = {r["weights"]: r for r in rows if r["graph"] == g}
        assert set(by) == set(DESIGN_RULES) | {"fmmc", "fdla", "n_W-optimal", "rate-optimal"}
        assert {"metropolis", "max_degree", "one_over_max_degree"} <= set(by)
        # the simulation at each weighting's optimal learning rate (200 seeded replicas) agrees with
        # the exact rate to 3 % (about 4 standard errors)
        for k in (k for k in by if np.isfinite(by[k]["rate"])):
            assert by[k]["mc_low"] <= by[k]["mc_rate"] <= by[k]["mc_high"]
            assert abs(by[k]["mc_rate"] - by[k]["rate"]) <= 0.03 * by[k]["rate"], (g, k)
        assert by["fmmc"]["spectral_gap"] >= max(by[k]["spectral_gap"] for k in ("metropolis", "max_degree")) - 1e-9
        nonneg = [k for k in by if k != "fdla"]
        assert by["n_W-optimal"]["effective_neighbors"] >= max(by[k]["effective_neighbors"] for k in nonneg) * (1 - 1e-7)
        assert by["rate-optimal"]["rate"] >= max(by[k]["rate"] for k in nonneg) - 1e-9
