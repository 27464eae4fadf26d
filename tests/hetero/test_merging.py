import numpy as np
import pytest

import topotheory as tt
from topotheory.hetero.problems import HESSIAN_STRUCTURES
from topotheory.hetero.merging import ORDERS, QUANTITIES, MergingCrosscheck


def _schedule(n, steps, seed=0):
    """A deterministic mixed schedule: no gossip, random doubly stochastic, ring, row-stochastic pull."""
    rng = np.random.default_rng(seed)
    perms = [np.eye(n)[rng.permutation(n)] for _ in range(3)]
    ds = sum(w * P for w, P in zip(rng.dirichlet(np.ones(3)), perms))
    pull = tt.random_pull_schedule(n, [2.0], seed=seed).matrix(0)
    cycle = [None, ds, np.asarray(tt.ring(n).matrix(0)), pull]
    return [cycle[t % 4] for t in range(steps)]


def _kron_reference(p, sched, lr, steps, x0, order):
    """Brute force: the nd x nd mean/covariance recursion with explicit Kronecker matrices."""
    n, d = p.n, p.d
    H = np.zeros((n * d, n * d))
    for i in range(n):
        H[i * d:(i + 1) * d, i * d:(i + 1) * d] = p.hessians[i]
    hb = (p.hessians @ p.optima[:, :, None])[:, :, 0].ravel()
    m = np.broadcast_to(x0, (n, d)).ravel().copy()
    S = np.zeros((n * d, n * d))
    avg = np.kron(np.full((1, n), 1.0 / n), np.eye(d))
    P = np.kron(np.eye(n) - 1.0 / n, np.eye(d))
    Abar = p.mean_hessian
    out = []

    def summary(m, S):
        mb, Cb = avg @ m, avg @ S @ avg.T
        e = m - np.tile(p.x_star, n)
        merged = 0.5 * (mb - p.x_star) @ Abar @ (mb - p.x_star) + 0.5 * np.trace(Abar @ Cb)
        BA = np.kron(np.eye(n), Abar) / n
        local = 0.5 * (e @ BA @ e + np.trace(BA @ S))
        cons = (np.sum((P @ m) ** 2) + np.trace(P @ S @ P.T)) / n
        PA = P.T @ np.kron(np.eye(n), Abar) @ P / n
        wcons = m @ PA @ m + np.trace(PA @ S)
        return [merged, local, cons, wcons, np.sum((mb - p.x_star) ** 2) + np.trace(Cb), (e @ e + np.trace(S)) / n]

    out.append(summary(m, S))
    for t in range(steps):
        W = np.eye(n) if sched[t] is None else sched[t]
        WI = np.kron(W, np.eye(d))
        if order == "gradient_then_gossip":
            M, c, N = WI @ (np.eye(n * d) - lr * H), lr * WI @ hb, lr**2 * WI @ np.kron(np.diag(p.noise**2), np.eye(d)) @ WI.T
        else:
            M, c, N = WI - lr * H, lr * hb, lr**2 * np.kron(np.diag(p.noise**2), np.eye(d))
        m, S = M @ m + c, M @ S @ M.T + N
        out.append(summary(m, S))
    return np.array(out).T, m.reshape(n, d)


@pytest.mark.parametrize("structure", HESSIAN_STRUCTURES)
@pytest.mark.parametrize("order", ORDERS)
def test_propagate_matches_kronecker_brute_force(structure, order):
    p = tt.random_quadratic(4, 3, hessian_spread=0.8, structure=structure, noise=0.4, seed=1)
    p = tt.HeterogeneousQuadratic(p.hessians, p.optima, noise=[0.2, 0.4, 0.6, 0.8])  # per-worker noise
    x0 = np.array([1.0, -2.0, 0.5])
    sched = _schedule(4, 13)
    ref, mean = _kron_reference(p, sched, 0.3, 13, x0, order)
    c = propagate_all(p, sched, x0, order)
    for q, row in zip(QUANTITIES, ref):
        np.testing.assert_allclose(getattr(c, q), row, rtol=1e-10, atol=1e-13, err_msg=q)
    np.testing.assert_allclose(c.mean, mean, atol=1e-12)
    assert c.gossip_rounds == 13 - 4  # steps 0, 4, 8, 12 have no gossip


def propagate_all(p, sched, x0, order):
    return tt.propagate(p, sched, lr=0.3, steps=len(sched), x0=x0, order=order)


def test_dense_engine_equals_commuting_engine():
    p = tt.random_quadratic(5, 4, hessian_spread=0.7, structure="commuting", noise=0.5, seed=4)
    q = tt.HeterogeneousQuadratic(p.hessians, p.optima, noise=0.5)
    q.structure = "dense"  # force the structured nd x nd route on the same problem
    sched = tt.placement_schedule(tt.ring(5), 30, "uniform", budget=10)
    a = tt.propagate(p, sched, lr=0.25, steps=30)
    b = tt.propagate(q, sched, lr=0.25, steps=30)
    for qn in QUANTITIES:
        np.testing.assert_allclose(getattr(a, qn), getattr(b, qn), rtol=1e-10, atol=1e-14)


def test_merge_gain_is_half_the_weighted_consensus_distance_exact_and_simulated():
    p = tt.random_quadratic(6, 3, hessian_spread=0.9, structure="commuting", noise=0.5, seed=2)
    sched = tt.random_pull_schedule(6, tt.degree_schedule("cosine", 40, start=3, end=0.5), seed=1)
    c = tt.propagate(p, sched, lr=0.3, steps=40)
    np.testing.assert_allclose(c.local_loss - c.merged_loss, c.weighted_consensus_distance / 2, atol=1e-13)
    sim = tt.simulate_merging(p, sched, lr=0.3, steps=40, reps=50, seed=0)
    # an algebraic identity: it holds per replica and per step, not only in expectation
    np.testing.assert_allclose(sim.local_loss - sim.merged_loss, sim.weighted_consensus_distance / 2,
                               rtol=1e-9, atol=1e-12)


def _doubly_stochastic_schedules(n, steps):
    base = tt.ring(n)
    out = {pl: tt.placement_schedule(base, steps, pl, budget=10) for pl in tt.hetero.PLACEMENTS}
    out["one_peer_exponential"] = tt.placement_schedule(tt.one_peer_exponential(n), steps, "every")
    out["gossip_every_5"] = tt.gossip_every(tt.torus(2, 4), steps, 5)
    out["symmetrized_pull"] = tt.random_pull_schedule(n, tt.degree_schedule("linear", steps, start=4, end=0),
                                                      symmetrize=True, seed=3)
    return out


@pytest.mark.parametrize("order", ORDERS)
def test_identical_hessians_merged_model_is_centralized_sgd_for_every_schedule(order):
    n, steps, reps = 8, 40, 3
    p = tt.random_quadratic(n, 4, hessian_spread=0.0, optima_spread=2.0, noise=0.8, seed=0)
    x0 = np.full(4, 3.0)
    central = tt.simulate_centralized(p, lr=0.3, steps=steps, reps=reps, x0=x0, seed=11)
    for name, sched in _doubly_stochastic_schedules(n, steps).items():
        sim = tt.simulate_merging(p, sched, lr=0.3, steps=steps, reps=reps, x0=x0, seed=11, order=order,
                                  keep_merged=True)
        np.testing.assert_allclose(sim.merged_models, central, rtol=0, atol=1e-12, err_msg=name)
    # the row-stochastic random pull does not conserve the average: the merged model drifts away
    pull = tt.random_pull_schedule(n, np.full(steps, 2.0), seed=3)
    sim = tt.simulate_merging(p, pull, lr=0.3, steps=steps, reps=reps, x0=x0, seed=11, order=order,
                              keep_merged=True)
    gap = np.abs(sim.merged_models - central).max()
    assert gap > 1e-2, gap  # orders of magnitude above the 1e-12 of the doubly stochastic schedules
    # heterogeneous Hessians break it too: the schedule then matters for the merged model
    q = tt.random_quadratic(n, 4, hessian_spread=1.0, optima_spread=2.0, noise=0.8, seed=0)
    sim = tt.simulate_merging(q, _doubly_stochastic_schedules(n, steps)["late"], lr=0.3, steps=steps, reps=reps,
                              x0=x0, seed=11, order=order, keep_merged=True)
    assert np.abs(sim.merged_models - tt.simulate_centralized(q, lr=0.3, steps=steps, reps=reps, x0=x0,
                                                               seed=11)).max() > 1e-2


def test_logistic_merged_model_equals_centralized_only_with_exact_averaging():
    p = tt.logistic_problem(4, 3, samples_per_worker=20, partition="label_skew", seed=0)
    central = tt.simulate_centralized(p, lr=0.5, steps=30, reps=4, seed=2, batch_size=2)
    every = tt.simulate_merging(p, tt.fully_connected(4), lr=0.5, steps=30, reps=4, seed=2, batch_size=2,
                                keep_merged=True)
    np.testing.assert_allclose(every.merged_models, central, atol=1e-12)
    none = tt.simulate_merging(p, tt.solo(4), lr=0.5, steps=30, reps=4, seed=2, batch_size=2, keep_merged=True)
    assert np.abs(none.merged_models - central).max() > 1e-3  # not quadratic: local drift changes the merge
    assert np.all(none.local_loss >= none.merged_loss - 1e-12)  # Jensen, per replica
    assert np.all(np.isnan(none.weighted_consensus_distance))


def test_placements_order_with_hessian_spread_and_what_a_final_merge_fixes():
    p = tt.random_quadratic(8, 6, hessian_spread=1.0, optima_spread=1.0, noise=0.5, seed=0)
    steps, budget = 600, 60
    fin = {pl: tt.propagate(p, tt.placement_schedule(tt.ring(8), steps, pl, budget=budget), lr=0.2, steps=steps,
                            record_every=steps).final() for pl in tt.hetero.PLACEMENTS}
    assert fin["late"]["merged_loss"] < fin["uniform"]["merged_loss"] < fin["early"]["merged_loss"]
    # a final merge makes every local model the merged one ...
    assert fin["final"]["consensus_distance"] < 1e-12
    assert abs(fin["final"]["local_loss"] - fin["final"]["merged_loss"]) < 1e-12
    # ... but the merged model is exactly that of no communication, worse than communicating late
    assert abs(fin["final"]["merged_loss"] - fin["none"]["merged_loss"]) < 1e-12
    assert fin["late"]["merged_loss"] < 0.5 * fin["final"]["merged_loss"]
    # uniform < early is regime dependent: sparse uniform gossip on a ring can leave the merged model
    # *worse* than early communication or none at all, while late still wins clearly
    q = tt.random_quadratic(6, 4, hessian_spread=1.0, optima_spread=1.0, noise=0.5, seed=0)

    def merged(pl, steps, budget):
        return tt.propagate(q, tt.placement_schedule(tt.ring(6), steps, pl, budget=budget), lr=0.2, steps=steps,
                            record_every=steps).merged_loss[-1]

    assert merged("uniform", 300, 30) > merged("early", 300, 30)  # 0.242 vs 0.216
    assert merged("uniform", 600, 30) > 1.3 * merged("none", 600, 30)  # 0.303 vs 0.216
    assert merged("late", 600, 30) < 0.15 * merged("none", 600, 30)
    # identical Hessians: every doubly stochastic placement gives the same merged loss
    q = tt.random_quadratic(8, 6, hessian_spread=0.0, optima_spread=1.0, noise=0.5, seed=0)
    merged = [tt.propagate(q, tt.placement_schedule(tt.ring(8), steps, pl, budget=budget), lr=0.2, steps=steps,
                           record_every=steps).merged_loss[-1] for pl in tt.hetero.PLACEMENTS]
    np.testing.assert_allclose(merged, merged[0], rtol=1e-10)


@pytest.mark.parametrize("structure", ["diagonal", "dense"])
def test_crosscheck_exact_vs_monte_carlo(structure):
    p = tt.random_quadratic(5, 3, hessian_spread=0.7, structure=structure, noise=0.5, seed=0)
    sched = tt.placement_schedule(tt.ring(5), 40, "uniform", budget=15)
    rep = tt.crosscheck_merging(p, sched, lr=0.3, steps=40, reps=1500, seed=7)
    assert isinstance(rep, MergingCrosscheck)
    assert rep.agrees, str(rep)
    d = rep.to_dict()
    assert d["reps"] == 1500 and d["seed"] == 7 and len(d["quantities"]) == len(QUANTITIES)
    for row in d["quantities"]:
        assert row["ci_low"] <= row["theory"] <= row["ci_high"]
    assert "AGREE" in str(rep) and "merged_loss" in str(rep)
    curves = d["curves"]["merged_loss"]
    assert len(curves["exact"]) == len(d["curves"]["t"]) == 41
    assert curves["exact"] == rep.exact.merged_loss.tolist()
    summ = rep.simulation.summary(confidence=0.99)
    assert [r["mc"] for r in summ] == pytest.approx([r["mc"] for r in d["quantities"]])


def test_logistic_monte_carlo_summary():
    p = tt.logistic_problem(4, 3, samples_per_worker=20, partition="label_skew", seed=0)
    sim = tt.simulate_merging(p, tt.placement_schedule(tt.ring(4), 40, "late", budget=10), lr=0.3, steps=40,
                              reps=200, seed=1, batch_size=4)
    rows = {r["quantity"]: r for r in sim.summary(confidence=0.95)}
    assert rows["merged_loss"]["ci_low"] < rows["merged_loss"]["mc"] < rows["merged_loss"]["ci_high"]
    assert rows["local_loss"]["mc"] >= rows["merged_loss"]["mc"]
    assert np.isnan(rows["weighted_consensus_distance"]["mc"]) and rows["merged_loss"]["reps"] == 200


def test_crosscheck_detects_a_wrong_theory():
    p = tt.random_quadratic(5, 3, hessian_spread=0.7, noise=0.5, seed=0)
    rep = tt.crosscheck_merging(p, tt.ring(5), lr=0.3, steps=30, reps=1500, seed=7)
    wrong = tt.propagate(p, tt.ring(5), lr=0.33, steps=30)  # theory at another learning rate
    sim = rep.simulation
    se = sim.merged_distance.std(axis=1, ddof=1) / np.sqrt(sim.merged_distance.shape[1])
    inside = np.abs(wrong.merged_distance - sim.merged_distance.mean(1)) <= 2.576 * se + 1e-12
    assert inside.mean() < 0.5


def test_fixed_point_equations_and_long_run_limit():
    p = tt.random_quadratic(6, 3, hessian_spread=0.8, structure="commuting", noise=0.0, seed=5)
    W = tt.ring(6)
    L = np.eye(6) - W.matrix(0)
    X = tt.fixed_point(p, W, lr=0.2, order="simultaneous")
    np.testing.assert_allclose(0.2 * p.gradients(X) + L @ X, 0, atol=1e-12)  # eq. 23
    Y = tt.fixed_point(p, W, lr=0.2)
    np.testing.assert_allclose(W.matrix(0) @ (Y - 0.2 * p.gradients(Y)), Y, atol=1e-12)
    assert np.abs(Y - p.x_star).max() > 1e-3  # not the optimum: heterogeneity biases it
    # periodic scheme: noise-free propagation converges to the phase fixed point
    s = tt.one_peer_exponential(8)
    q = tt.random_quadratic(8, 2, hessian_spread=0.8, noise=0.0, seed=1)
    for phase in range(s.period):
        c = tt.propagate(q, s, lr=0.3, steps=600 * s.period + phase, record_every=10**6)
        np.testing.assert_allclose(c.mean, tt.fixed_point(q, s, lr=0.3, phase=phase), atol=1e-10)


def test_mean_map_rate_matches_observed_contraction_and_stationary_law():
    p = tt.random_quadratic(6, 3, hessian_spread=0.9, noise=0.0, seed=3)
    W = tt.ring(6)
    rho, rate = tt.mean_map_rate(p, W, lr=0.4)
    assert abs(rate - (1 - rho**2)) < 1e-15
    X = tt.fixed_point(p, W, lr=0.4)
    a = tt.propagate(p, W, lr=0.4, steps=200, x0=np.full(3, 5.0)).mean
    b = tt.propagate(p, W, lr=0.4, steps=201, x0=np.full(3, 5.0)).mean
    assert abs(np.linalg.norm(b - X) / np.linalg.norm(a - X) - rho) < 1e-4
    noisy = p.with_noise(0.6)
    st = tt.stationary(noisy, W, lr=0.4)
    long = tt.propagate(noisy, W, lr=0.4, steps=3000, record_every=3000).final()
    for q in QUANTITIES:
        assert abs(st[q] - long[q]) < 1e-12 * max(1, abs(st[q]))
    assert abs(st["local_distance"] - st["bias_distance"] - st["noise_distance"]) < 1e-15
    # divergence: NaN and a flag, not None
    big = tt.stationary(noisy, W, lr=5.0)
    assert big["diverges"] and np.isnan(big["merged_loss"]) and np.isnan(big["rate"])


def test_heterogeneity_and_mixing_parameter():
    # fully connected: L = I - J is a projection, so Delta^2 = sum_i |grad f_i(x*)|^2
    p = tt.random_quadratic(5, 3, hessian_spread=0.6, seed=0)
    G = p.gradients(np.broadcast_to(p.x_star, (5, 3)))
    assert abs(tt.heterogeneity(p, tt.fully_connected(5)) - np.sum(G**2)) < 1e-12
    # ring: dense pseudo-inverse route
    W = tt.ring(5)
    Lp = np.linalg.pinv(np.eye(5) - W.matrix(0))
    assert abs(tt.heterogeneity(p, W) - np.trace(G.T @ Lp @ G)) < 1e-12
    lam2 = W.eigenvalues()[1]
    val, ratios = tt.mixing_parameter(p, W, [0.05, 0.2, 0.5])
    assert val >= 1 - lam2 - 1e-12 and ratios.shape == (3,)
    # worst case: heterogeneity aligned with the slowest mode gives p = 1 - lambda_2 exactly
    lam, Q = np.linalg.eigh(tt.ring(8).matrix(0))
    u2 = Q[:, -2]  # eigenvalue lambda_2 (ascending order)
    aligned = tt.HeterogeneousQuadratic(np.ones((8, 1)), u2[:, None])
    val, _ = tt.mixing_parameter(aligned, tt.ring(8), [0.1, 0.3])
    assert abs(val - (1 - lam[-2])) < 1e-12
    benign = tt.HeterogeneousQuadratic(np.ones((8, 1)), Q[:, 0][:, None])  # fastest mode
    assert tt.mixing_parameter(benign, tt.ring(8), [0.1])[0] > 2 * (1 - lam[-2])


def test_simulation_divergence_is_flagged_not_raised():
    p = tt.random_quadratic(3, 2, noise=0.1, seed=0)
    sim = tt.simulate_merging(p, tt.ring(3), lr=1.99 / 0.05 * 50, steps=300, reps=3, seed=0)
    assert sim.diverged.all() and np.isnan(sim.merged_loss[-1]).all()


@pytest.mark.parametrize(
    "call, err, match",
    [
        (lambda p: tt.propagate(p, tt.ring(5), lr=0.1, steps=3), ValueError, "n = 5 workers"),
        (lambda p: tt.propagate(p, [np.eye(4)] * 2, lr=0.1, steps=3), ValueError, "2 matrices"),
        (lambda p: tt.propagate(p, [np.eye(3)] * 3, lr=0.1, steps=3), ValueError, "shape"),
        (lambda p: tt.propagate(p, tt.ring(4), lr=0.0, steps=3), ValueError, "lr"),
        (lambda p: tt.propagate(p, tt.ring(4), lr=0.1, steps=3, order="before"), ValueError, "order"),
        (lambda p: tt.propagate(p, tt.ring(4), lr=0.1, steps=3, x0=np.zeros(5)), ValueError, "x0 must have shape"),
        (lambda p: tt.propagate(p, 3, lr=0.1, steps=3), TypeError, "schedule must be"),
        (lambda p: tt.propagate("problem", tt.ring(4), lr=0.1, steps=3), TypeError, "HeterogeneousQuadratic"),
        (lambda p: tt.propagate(p, tt.placement_schedule(tt.ring(4), 2, "every"), lr=0.1, steps=3), ValueError,
         "covers 2 steps"),
        (lambda p: tt.simulate_merging(p, tt.ring(4), lr=0.1, steps=3, reps=0), ValueError, "reps"),
        (lambda p: tt.heterogeneity(p, tt.uni_ring(4)), ValueError, "symmetric"),
        (lambda p: tt.simulate_centralized(p, lr=0.1, steps=3, reps=1, x0=np.zeros((4, 2))), ValueError, "x0"),
    ],
)
def test_bad_input(call, err, match):
    p = tt.random_quadratic(4, 2, seed=0)
    with pytest.raises(err, match=match):
        call(p)


def test_merging_figure_data_and_caption():
    from topotheory.figures.merging_schedules import merging_figure

    res = merging_figure(n=6, d=4, budget=30, steps=600, record_every=100, topology="fully_connected")
    table = res.data["table"]
    assert len({len(v) for v in table.values()}) == 1
    het = res.data["final"]["1.0"]
    assert het["late"]["merged_loss"] < het["uniform"]["merged_loss"] < het["early"]["merged_loss"]
    same = res.data["final"]["0.0"]
    np.testing.assert_allclose([v["merged_loss"] for v in same.values()], same["none"]["merged_loss"], rtol=1e-10)
    assert f"{het['late']['merged_loss']:.3g}" in res.caption
    assert res.name == "merging_schedules" and res.params["budget"] == 30
    q = merging_figure(quick=True)
    assert q.params["steps"] == 500


def test_heterogeneous_rates_figure_against_direct_calls():
    from topotheory.figures.heterogeneous_rates import heterogeneous_rates_figure

    res = heterogeneous_rates_figure(n=8, d=3, points=4, topologies=("fully_connected", "ring", "solo"))
    t = res.data["table"]
    assert len(t["rate"]) == 12 and len({len(v) for v in t.values()}) == 1
    fc = [b for name, b in zip(t["topology"], t["bias_distance"]) if name == "fully_connected"]
    assert max(fc) < 1e-20  # exact averaging: the fixed point is x*
    ring_bias = [b for name, b in zip(t["topology"], t["bias_distance"]) if name == "ring"]
    assert min(ring_bias) > 0 and np.all(np.diff(ring_bias) > 0)  # the bias grows with the learning rate
    p = tt.random_quadratic(8, 3, optima_spread=1.0, hessian_spread=1.0, noise=0.1, seed=0)
    k = t["topology"].index("ring")
    assert t["rate"][k] == pytest.approx(tt.mean_map_rate(p, tt.ring(8), lr=t["lr"][k])[1], rel=1e-12)
