"""Gradient tracking and exact diffusion on heterogeneous quadratics: the exact mean/covariance
propagation against an explicit Kronecker oracle, their fixed points, reductions, and the Monte
Carlo cross-check with planted faults."""

import numpy as np
import pytest

import topotheory as tt
import topotheory.simulate.algorithms as sim_algorithms
from topotheory.hetero.algorithms import AlgorithmState
from topotheory.hetero.exact import exact_state
from topotheory.hetero.merging import QUANTITIES, judge_merging
from topotheory.hetero.problems import HESSIAN_STRUCTURES

HETERO = (("gradient_tracking", {}), ("exact_diffusion", {"combine": "half"}), ("exact_diffusion", {"combine": "plain"}))


# ----------------------------------------------------------------------------------- oracle
def _oracle(p, sched, lr, steps, x0, algorithm, combine="half"):
    """The update rule written out on stacked vectors, first and second moments propagated exactly.

    State z = (x, y, g) for gradient tracking (x' = W x - lr y; g' = H x' - hb + xi'; y' = W y + g' - g;
    y(0) = g(0) = H x0 - hb + xi0), z = (x, psi) for exact diffusion (psi' = x - lr g(x);
    x' = Wbar (psi' + x - psi); psi(0) = x0), z = x for D-SGD (x' = W (x - lr g(x))); g(u) = H u - hb
    + xi with H = blkdiag(A_i), hb = vec(A_i b_i), Cov xi = diag(sigma_i^2) kron I_d.
    """
    n, d = p.n, p.d
    nd = n * d
    H = np.zeros((nd, nd))
    for i in range(n):
        H[i * d:(i + 1) * d, i * d:(i + 1) * d] = p.hessians[i]
    hb = np.einsum("iab,ib->ia", p.hessians, p.optima).ravel()
    D = np.kron(np.diag(p.noise**2), np.eye(d))
    I, Z = np.eye(nd), np.zeros((nd, nd))
    xs = np.broadcast_to(x0, (n, d)).ravel()
    if algorithm == "gradient_tracking":
        g0 = H @ xs - hb
        mu = np.concatenate([xs, g0, g0])
        B0 = np.vstack([Z, I, I])  # xi0 enters y and g
        S = B0 @ D @ B0.T
    elif algorithm == "exact_diffusion":
        mu, S = np.concatenate([xs, xs]), np.zeros((2 * nd, 2 * nd))
    else:
        mu, S = xs.copy(), np.zeros((nd, nd))
    rows = [_quantities(p, mu[:nd], S[:nd, :nd])]
    for t in range(steps):
        Wt = np.eye(n) if sched[t] is None else sched[t]
        WI = np.kron(Wt, np.eye(d))
        if algorithm == "gradient_tracking":
            F = np.block([[WI, -lr * I, Z], [H @ WI, WI - lr * H, -I], [H @ WI, -lr * H, Z]])
            f = np.concatenate([np.zeros(nd), -hb, -hb])
            B = np.vstack([Z, I, I])
        elif algorithm == "exact_diffusion":
            Wb = 0.5 * (I + WI) if combine == "half" else WI
            F = np.block([[Wb @ (2 * I - lr * H), -Wb], [I - lr * H, Z]])
            f = np.concatenate([lr * Wb @ hb, lr * hb])
            B = np.vstack([-lr * Wb, -lr * I])
        else:
            F, f, B = WI @ (I - lr * H), lr * WI @ hb, -lr * WI
        mu, S = F @ mu + f, F @ S @ F.T + B @ D @ B.T
        rows.append(_quantities(p, mu[:nd], S[:nd, :nd]))
    return np.array(rows).T, mu[:nd].reshape(n, d)


def _quantities(p, m, S):
    """The six merging quantities from the stacked iterate's mean (nd,) and covariance (nd, nd)."""
    n, d = p.n, p.d
    avg = np.kron(np.full((1, n), 1.0 / n), np.eye(d))
    P = np.kron(np.eye(n) - 1.0 / n, np.eye(d))
    A = p.mean_hessian
    mb, Cb = avg @ m, avg @ S @ avg.T
    e = m - np.tile(p.x_star, n)
    BA = np.kron(np.eye(n), A) / n
    PA = P.T @ np.kron(np.eye(n), A) @ P / n
    return [0.5 * (mb - p.x_star) @ A @ (mb - p.x_star) + 0.5 * np.trace(A @ Cb), 0.5 * (e @ BA @ e + np.trace(BA @ S)),
            (np.sum((P @ m) ** 2) + np.trace(P @ S @ P.T)) / n, m @ PA @ m + np.trace(PA @ S),
            np.sum((mb - p.x_star) ** 2) + np.trace(Cb), (e @ e + np.trace(S)) / n]


def _problem(structure, n=5, d=3, seed=1):
    p = tt.random_quadratic(n, d, hessian_spread=0.8, optima_spread=1.5, structure=structure, seed=seed)
    return tt.HeterogeneousQuadratic(p.hessians, p.optima, noise=np.linspace(0.2, 0.8, n))  # per-worker noise


def _mc_problem(structure="diagonal", n=6, d=2, seed=8):
    """A problem for the Monte Carlo tests: noise 0.1..0.4, so the quantities' tails stay light."""
    p = _problem(structure, n=n, d=d, seed=seed)
    return tt.HeterogeneousQuadratic(p.hessians, p.optima, noise=0.5 * p.noise)


def _mixed_schedule(n, steps, seed=0):
    """No gossip, a random doubly stochastic matrix, the ring, a non-symmetric doubly stochastic one."""
    rng = np.random.default_rng(seed)
    perms = [np.eye(n)[rng.permutation(n)] for _ in range(3)]
    ds = sum(w * P for w, P in zip(rng.dirichlet(np.ones(3)), perms))
    cycle = [None, ds, np.asarray(tt.ring(n).matrix(0)), 0.5 * (np.eye(n) + np.roll(np.eye(n), 1, axis=1))]
    return [cycle[t % 4] for t in range(steps)]


@pytest.mark.parametrize("structure", HESSIAN_STRUCTURES)
@pytest.mark.parametrize(("algorithm", "hp"), HETERO + (("dsgd", {}),))
def test_propagate_matches_kronecker_oracle(structure, algorithm, hp):
    p = _problem(structure)
    x0 = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, 1.0], [2.0, 0.0, -1.0], [0.5, 0.5, 0.5], [-1.0, 1.0, 0.0]])
    sched = _mixed_schedule(5, 14)
    ref, mean = _oracle(p, sched, 0.3, 14, x0, algorithm, **hp)
    c = tt.propagate(p, sched, lr=0.3, steps=14, x0=x0, algorithm=algorithm, **hp)
    for q, row in zip(QUANTITIES, ref):
        np.testing.assert_allclose(getattr(c, q), row, rtol=1e-10, atol=1e-13, err_msg=q)
    np.testing.assert_allclose(c.mean, mean, atol=1e-12)
    assert c.params["algorithm"] == algorithm
    assert c.params["hyperparameters"] == ({"combine": "half", **hp} if algorithm == "exact_diffusion" else {})


@pytest.mark.parametrize("structure", ("diagonal", "dense"))
def test_generic_engine_reproduces_the_dsgd_engine(structure):
    # the declared-recursion engine on D-SGD = the D-SGD engine of hetero.exact (two implementations)
    p = _problem(structure, n=6, d=3, seed=3)
    x0 = np.random.default_rng(0).standard_normal((6, 3))
    a, b = AlgorithmState(p, 0.25, "dsgd", {}, x0), exact_state(p, 0.25, "gradient_then_gossip", x0)
    sched = tt.one_peer_exponential_any(6)
    for t in range(25):
        W = np.asarray(sched.matrix(t % sched.period))
        a.step(W)
        b.step(W)
    np.testing.assert_allclose(a.summary(), b.summary(), rtol=1e-11)
    np.testing.assert_allclose(a.mean_states(), b.mean_states(), atol=1e-12)


# ------------------------------------------------------------------- fixed point and rate
@pytest.mark.parametrize("structure", HESSIAN_STRUCTURES)
@pytest.mark.parametrize("scheme", [tt.ring(6), tt.one_peer_exponential_any(6), tt.star(6), tt.chain(6)],
                         ids=["ring", "one_peer_exp", "star", "chain"])
def test_tracking_and_diffusion_have_no_bias_dsgd_does(structure, scheme):
    p = _problem(structure, n=6, d=3, seed=2)
    for algorithm, hp in HETERO:
        X = tt.fixed_point(p, scheme, lr=0.2, algorithm=algorithm, **hp)
        np.testing.assert_allclose(X, np.broadcast_to(p.x_star, X.shape), atol=1e-10)
        st = tt.stationary(p, scheme, lr=0.2, algorithm=algorithm, **hp)
        if hp.get("combine") == "plain" and not scheme.is_symmetric:
            assert st["diverges"]  # D² (W, not (I + W)/2) is unstable on the one-peer graph at every lr
            continue
        assert st["bias_distance"] < 1e-20 and not st["diverges"]
    bias = tt.stationary(p, scheme, lr=0.2)["bias_distance"]
    assert bias > 1e-3  # D-SGD: x*_eta != x* on every sparse topology with heterogeneous data


def test_dsgd_bias_depends_on_the_topology_tracking_bias_does_not():
    p = _problem("diagonal", n=8, d=2, seed=5)
    schemes = [tt.ring(8), tt.torus(2, 4), tt.hypercube(8), tt.fully_connected(8)]
    dsgd = [tt.stationary(p, s, lr=0.1)["bias_distance"] for s in schemes]
    gt = [tt.stationary(p, s, lr=0.1, algorithm="gradient_tracking")["bias_distance"] for s in schemes]
    assert dsgd[0] > dsgd[2] > dsgd[3] > 0  # a ring is more biased than a hypercube than the complete graph
    assert max(gt) < 1e-20


@pytest.mark.parametrize("structure", ("diagonal", "dense"))
@pytest.mark.parametrize(("algorithm", "hp"), HETERO)
def test_stationary_is_the_limit_of_the_propagation(structure, algorithm, hp):
    p = _problem(structure, n=5, d=2, seed=4)
    # periodic (period 3); D² needs a symmetric W (it diverges on the one-peer graph)
    scheme = tt.ring(5) if hp.get("combine") == "plain" else tt.one_peer_exponential_any(5)
    st = tt.stationary(p, scheme, lr=0.3, algorithm=algorithm, **hp)
    c = tt.propagate(p, scheme, lr=0.3, steps=3 * 400, algorithm=algorithm, **hp)
    for q in QUANTITIES:
        assert getattr(c, q)[-1] == pytest.approx(st[q], rel=1e-8, abs=1e-14), q
    assert st["local_distance"] == pytest.approx(st["noise_distance"], rel=1e-12)  # no bias: all of it noise


@pytest.mark.parametrize(("algorithm", "hp"), HETERO)
def test_mean_map_rate_is_the_oracle_spectral_radius_off_the_invariant(algorithm, hp):
    p = _problem("commuting", n=5, d=2, seed=6)
    W = np.asarray(tt.ring(5).matrix(0))
    n, d = p.n, p.d
    for lr in (0.2, 0.6):  # a stable and an unstable learning rate
        _check_rate(p, W, lr, n, d, algorithm, hp)


def _check_rate(p, W, lr, n, d, algorithm, hp):
    H = np.zeros((n * d, n * d))
    for i in range(n):
        H[i * d:(i + 1) * d, i * d:(i + 1) * d] = p.hessians[i]
    WI, I, Z = np.kron(W, np.eye(d)), np.eye(n * d), np.zeros((n * d, n * d))
    if algorithm == "gradient_tracking":
        F = np.block([[WI, -lr * I, Z], [H @ WI, WI - lr * H, -I], [H @ WI, -lr * H, Z]])
    else:
        Wb = 0.5 * (I + WI) if hp["combine"] == "half" else WI
        F = np.block([[Wb @ (2 * I - lr * H), -Wb], [I - lr * H, Z]])
    ev = np.linalg.eigvals(F)
    ones = np.argsort(np.abs(ev - 1.0))[:d]  # the invariant: eigenvalue 1, once per coordinate
    assert np.abs(ev[ones] - 1.0).max() < 1e-9
    rho_oracle = np.abs(np.delete(ev, ones)).max()
    rho, rate = tt.mean_map_rate(p, tt.ring(5), lr=lr, algorithm=algorithm, **hp)
    assert rho == pytest.approx(rho_oracle, rel=1e-10)
    if rho_oracle < 1:
        assert rate == pytest.approx(1 - rho_oracle**2, rel=1e-9)
    else:
        assert np.isnan(rate) and tt.stationary(p, tt.ring(5), lr=lr, algorithm=algorithm, **hp)["diverges"]


@pytest.mark.parametrize("structure", ("diagonal", "dense"))
def test_without_communication_tracking_is_local_gradient_descent(structure):
    # W = I conserves y_i - g_i at every worker (not only their sum): each worker runs gradient
    # descent on its own f_i, to its own optimum b_i, at the rate max |1 - lr lambda(A_i)|
    p = _problem(structure, n=4, d=2, seed=3)
    lr = 0.3
    X = tt.fixed_point(p, tt.solo(4), lr=lr, algorithm="gradient_tracking")
    np.testing.assert_allclose(X, p.optima, atol=1e-10)
    rho, _ = tt.mean_map_rate(p, tt.solo(4), lr=lr, algorithm="gradient_tracking")
    assert rho == pytest.approx(np.abs(1 - lr * np.linalg.eigvalsh(p.hessians)).max(), rel=1e-10)
    st = tt.stationary(p, tt.solo(4), lr=lr, algorithm="gradient_tracking")
    c = tt.propagate(p, tt.solo(4), lr=lr, steps=2500, record_every=2500, algorithm="gradient_tracking")
    assert c.local_distance[-1] == pytest.approx(st["local_distance"], rel=1e-9)
    # a row-stochastic matrix conserves the pi-weighted tracking error (pi its stationary law)
    pull = np.array([[0.5, 0.5, 0, 0], [0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5], [0.5, 0, 0, 0.5]])
    state = AlgorithmState(p, 0.1, "gradient_tracking", {}, np.zeros((4, 2)))
    M, c0, _ = state.step_map(pull)
    Q = state._invariant_basis(M, c0, [pull])
    assert Q.shape[1] == Q.shape[0] - (1 if structure != "dense" else 2)


# ---------------------------------------------------------------------------- reductions
@pytest.mark.parametrize(("algorithm", "hp"), HETERO)
def test_identical_data_without_noise_is_the_isotropic_theory(algorithm, hp):
    # A_i = I, b_i = 0, no noise is the toy problem at zeta = 1 (g = x): same curves from any start
    n, d = 8, 3
    X0 = np.random.default_rng(2).standard_normal((n, d))
    p = tt.HeterogeneousQuadratic(np.ones((n, d)), np.zeros((n, d)), noise=0.0)
    for scheme in (tt.ring(n), tt.one_peer_exponential(n)):
        c = tt.propagate(p, scheme, lr=0.3, steps=30, x0=X0, algorithm=algorithm, **hp)
        iso = tt.loss_curve(scheme, lr=0.3, zeta=1.0, steps=30, initial=X0 @ X0.T, algorithm=algorithm, **hp)
        np.testing.assert_allclose(c.local_loss, iso, rtol=1e-10, atol=1e-15)


def test_noise_free_tracking_converges_linearly_dsgd_stalls_at_its_bias():
    p = tt.random_quadratic(16, 2, optima_spread=3.0, hessian_spread=0.5, eigenvalue_range=(0.5, 1.5), noise=0.0,
                            seed=7)
    ring = tt.ring(16)
    gt = tt.propagate(p, ring, lr=0.05, steps=1500, algorithm="gradient_tracking")
    rho, _ = tt.mean_map_rate(p, ring, lr=0.05, algorithm="gradient_tracking")
    assert rho < 1
    # linear convergence at the rate of the mean map: the squared distance decays like rho^(2t)
    slope = (np.log(gt.local_distance[700]) - np.log(gt.local_distance[300])) / 400  # above the rounding floor
    assert slope == pytest.approx(2 * np.log(rho), rel=0.05)  # 5%: the transient of the next-slowest modes
    assert gt.local_distance[-1] < 1e-20 * gt.local_distance[0]
    ds = tt.propagate(p, ring, lr=0.05, steps=1500)
    bias = tt.stationary(p, ring, lr=0.05)["bias_distance"]
    assert ds.local_distance[-1] == pytest.approx(bias, rel=1e-6) and bias > 0.1


# --------------------------------------------------------------------- Monte Carlo route
@pytest.mark.parametrize(("scheme", "algorithm", "hp"), [
    (tt.ring(6), "gradient_tracking", {}),
    (tt.one_peer_exponential_any(6), "gradient_tracking", {}),
    (tt.star(6), "exact_diffusion", {"combine": "half"}),
    (tt.ring(6), "exact_diffusion", {"combine": "plain"}),
], ids=["gt-ring", "gt-one-peer", "ed-star", "d2-ring"])
def test_crosscheck_agrees_on_a_panel(scheme, algorithm, hp):
    p = _mc_problem()
    rep = tt.crosscheck_merging(p, scheme, lr=0.25, steps=30, reps=1500, x0=np.ones(2), seed=11,
                                algorithm=algorithm, **hp)
    assert rep.verdict == "agrees", str(rep)
    assert rep.simulation.params["algorithm"] == algorithm


def test_crosscheck_agrees_on_dense_hessians_and_a_schedule():
    p = _mc_problem("dense", n=4, d=2, seed=9)
    sched = _mixed_schedule(4, 24, seed=3)
    rep = tt.crosscheck_merging(p, sched, lr=0.3, steps=24, reps=1500, seed=5, algorithm="gradient_tracking")
    assert rep.verdict == "agrees", str(rep)


def _untracked_step(self, t):
    """Gradient tracking with the tracker's correction dropped: y <- W y (the planted fault)."""
    Wx, Wy = self.gossip(t, self.x, self.y)
    x_new = Wx - self.lr * self.y
    self.g = self.grad(x_new)
    self.x, self.y = x_new, Wy


def test_crosscheck_catches_a_dropped_tracker_correction(monkeypatch):
    p = _mc_problem()
    monkeypatch.setattr(sim_algorithms._GradientTracking, "step", _untracked_step)
    rep = tt.crosscheck_merging(p, tt.ring(6), lr=0.25, steps=30, reps=1500, x0=np.ones(2), seed=11,
                                algorithm="gradient_tracking")
    assert rep.verdict == "disagrees", str(rep)


def test_crosscheck_catches_a_wrong_learning_rate_and_the_wrong_algorithm():
    p = _mc_problem()
    kw = dict(steps=30, x0=np.ones(2))
    sim = tt.simulate_merging(p, tt.ring(6), lr=0.25, reps=1500, seed=11, algorithm="gradient_tracking", **kw)
    for exact in (tt.propagate(p, tt.ring(6), lr=0.25 * 1.1, algorithm="gradient_tracking", **kw),
                  tt.propagate(p, tt.ring(6), lr=0.25, algorithm="exact_diffusion", **kw),
                  tt.propagate(p, tt.ring(6), lr=0.25, **kw)):
        rep = judge_merging(exact, sim, level=0.99, band=0.999, min_coverage=1.0, seed=11)
        assert rep.verdict == "disagrees", str(rep)
    good = judge_merging(tt.propagate(p, tt.ring(6), lr=0.25, algorithm="gradient_tracking", **kw), sim,
                         level=0.99, band=0.999, min_coverage=1.0, seed=11)
    assert good.verdict == "agrees"


def test_simulation_is_seeded_and_runs_logistic_problems():
    p = _problem("diagonal", n=4, d=2)
    a = tt.simulate_merging(p, tt.ring(4), lr=0.2, steps=5, reps=7, seed=3, algorithm="exact_diffusion")
    b = tt.simulate_merging(p, tt.ring(4), lr=0.2, steps=5, reps=7, seed=3, algorithm="exact_diffusion")
    np.testing.assert_array_equal(a.local_loss, b.local_loss)
    lp = tt.logistic_problem(4, 3, seed=0)
    s = tt.simulate_merging(lp, tt.ring(4), lr=0.5, steps=300, reps=3, seed=0, algorithm="gradient_tracking",
                            batch_size=50)
    assert s.merged_loss.shape == (301, 3) and np.all(np.isfinite(s.merged_loss))


def test_noise_free_simulation_equals_the_exact_mean_path():
    # without noise every replica follows the mean: the two routes agree to rounding
    p = _problem("commuting", n=5, d=3).with_noise(0.0)
    for algorithm, hp in HETERO:
        c = tt.propagate(p, tt.torus(1, 5), lr=0.3, steps=40, x0=np.arange(3.0), algorithm=algorithm, **hp)
        s = tt.simulate_merging(p, tt.torus(1, 5), lr=0.3, steps=40, reps=2, x0=np.arange(3.0), seed=0,
                                algorithm=algorithm, **hp)
        for q in QUANTITIES:
            np.testing.assert_allclose(getattr(s, q)[:, 0], getattr(c, q), rtol=1e-9, atol=1e-14, err_msg=q)


# ------------------------------------------------------------------------------ bad input
def test_bad_input():
    p = _problem("diagonal", n=4, d=2)
    with pytest.raises(ValueError, match="identical data only.*'gradient_tracking', 'exact_diffusion'"):
        tt.propagate(p, tt.ring(4), lr=0.1, steps=3, algorithm="dmsgd")
    with pytest.raises(ValueError, match="identical data only"):
        tt.simulate_merging(p, tt.ring(4), lr=0.1, steps=3, reps=2, algorithm="choco")
    with pytest.raises(ValueError, match="identical data only"):
        tt.stationary(p, tt.ring(4), lr=0.1, algorithm="dsgd_gossip_first")
    with pytest.raises(ValueError, match="algorithm must be one of"):
        tt.propagate(p, tt.ring(4), lr=0.1, steps=3, algorithm="adam")
    with pytest.raises(ValueError, match="order applies to algorithm='dsgd' only"):
        tt.propagate(p, tt.ring(4), lr=0.1, steps=3, algorithm="gradient_tracking", order="simultaneous")
    with pytest.raises(TypeError, match="takes no hyper-parameter 'momentum'"):
        tt.crosscheck_merging(p, tt.ring(4), lr=0.1, steps=3, reps=5, algorithm="gradient_tracking", momentum=0.5)
    with pytest.raises(TypeError, match="takes no hyper-parameter 'combine'"):
        tt.propagate(p, tt.ring(4), lr=0.1, steps=3, combine="half")
    with pytest.raises(ValueError, match="combine must be one of"):
        tt.fixed_point(p, tt.ring(4), lr=0.1, algorithm="exact_diffusion", combine="full")
    with pytest.raises(ValueError, match="n = 5 workers"):
        tt.mean_map_rate(p, tt.ring(5), lr=0.1, algorithm="exact_diffusion")
    # the reverse: a heterogeneous problem given to the toy problem's functions
    for call in (lambda: tt.loss_curve(p, lr=0.1, zeta=2.0, steps=3, algorithm="gradient_tracking"),
                 lambda: tt.simulate_algorithm(p, lr=0.1, d=2, steps=3, reps=2, algorithm="gradient_tracking"),
                 lambda: tt.quadratic_rate(p, lr=0.1, zeta=2.0, algorithm="exact_diffusion")):
        with pytest.raises(TypeError, match=r"heterogeneous problem is not a scheme: its theory is topotheory\.propagate"):
            call()
    with pytest.raises(TypeError, match="HeterogeneousQuadratic"):  # the isotropic toy problem is not one
        tt.propagate(tt.ring(4), tt.ring(4), lr=0.1, steps=3, algorithm="gradient_tracking")


def test_divergence_is_nan_and_flagged_on_both_routes():
    p = _problem("diagonal", n=6, d=2, seed=0)
    lr = 1.5  # beyond gradient tracking's stability region on the ring
    assert tt.mean_map_rate(p, tt.ring(6), lr=lr, algorithm="gradient_tracking")[0] > 1
    c = tt.propagate(p, tt.ring(6), lr=lr, steps=3000, record_every=100, algorithm="gradient_tracking")
    assert c.diverged_step > 0 and c.diverged[-1] and np.isnan(c.local_loss[-1]) and np.isnan(c.mean).all()
    assert not c.diverged[0] and np.isfinite(c.local_loss[0])
    s = tt.simulate_merging(p, tt.ring(6), lr=lr, steps=3000, reps=3, seed=0, record_every=100,
                            algorithm="gradient_tracking")
    assert s.diverged.all() and np.isnan(s.local_loss[-1]).all()
    st = tt.stationary(p, tt.ring(6), lr=lr, algorithm="gradient_tracking")
    assert st["diverges"] and np.isnan(st["local_loss"]) and np.isnan(st["rate"])
