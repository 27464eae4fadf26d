"""Tests of the Monte Carlo simulators and the rate estimator.

Oracles: the exact second-moment recursion C <- W (a C + b Diag C) W^T, re-implemented here on
dense matrices (independent of topotheory.toy.quadratic); the alone closed form r = 2 lr - zeta lr^2;
topotheory.effective_neighbors for the random walk. Curves are compared inside pointwise bands of
``BAND_Z`` replica standard errors (about 1e-6 two-sided per point under the normal approximation).
"""

import warnings

import numpy as np
import pytest

import topotheory as tt
from topotheory import Scheme
from topotheory.simulate.montecarlo import (
    DSGDSimulation,
    default_burn_in,
    default_window,
    estimate_rate,
    simulate_dsgd,
    simulate_random_walk,
)

BAND_Z = 5.0


def exact_curve(scheme, lr, zeta, steps, X0):
    """Expected worker-mean loss by iterating the dense second-moment recursion (THEORY §3.2)."""
    a, b = (1 - lr) ** 2, (zeta - 1) * lr**2
    C = X0 @ X0.T
    out = [np.trace(C) / (2 * scheme.n)]
    for t in range(steps):
        W = scheme.matrix(t)
        C = W @ (a * C + b * np.diag(np.diag(C))) @ W.T
        out.append(np.trace(C) / (2 * scheme.n))
    return np.array(out), C


def birkhoff(n, k, seed):
    rng = np.random.default_rng(seed)
    w = rng.dirichlet(np.ones(k))
    return sum(wi * np.eye(n)[rng.permutation(n)] for wi in w)


CASES = {
    "ring (sparse product)": (lambda: tt.ring(8), 0.1, 1),
    "fully connected (exact average)": (lambda: tt.fully_connected(8), 0.3, 1),
    "solo (identity)": (lambda: tt.solo(5), 0.05, 1),
    "local steps (identity + average)": (lambda: tt.local_steps(8, 3), 0.1, 1),
    "one-peer exponential (periodic, non-symmetric)": (lambda: tt.one_peer_exponential(8), 0.1, 1),
    "dense non-symmetric": (lambda: Scheme.from_matrix(birkhoff(6, 4, 3)), 0.1, 1),
    "star, mini-batch 3": (lambda: tt.star(7), 0.15, 3),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", list(CASES))
def test_mean_loss_follows_exact_recursion(case, dtype):
    # float32 (simulate_dsgd(dtype="float32")) within the same band: its rounding is far below the noise
    make, lr, b = CASES[case]
    scheme = make()
    d, steps = 10, 40
    sim = simulate_dsgd(scheme, lr=lr, d=d, steps=steps, reps=400, batch_size=b, seed=7, dtype=dtype)
    exact, _ = exact_curve(scheme, lr, (1 + b + d) / b, steps, np.full((scheme.n, d), d**-0.5))
    assert sim.dtype == dtype and sim.loss.dtype == np.float64
    # float32: the start itself is rounded to float32
    assert sim.loss[0] == pytest.approx(0.5, rel=1e-14 if dtype == "float64" else 1e-6)
    dev = np.abs(sim.loss - exact)
    assert np.all(dev[1:] <= BAND_Z * sim.loss_sem[1:]), np.max(dev[1:] / sim.loss_sem[1:])
    # and the check has teeth: the band stays a modest fraction of the loss (it widens with t, the
    # per-replica loss being a product of random factors)
    assert np.all(sim.loss_sem[1:] < 0.15 * exact[1:])


def test_every_gossip_path_is_covered_above():
    from topotheory.simulate.montecarlo import _gossip_plan

    kinds = {k for make, _, _ in CASES.values() for k, _ in _gossip_plan(make())}
    assert kinds == {"identity", "average", "sparse", "dense"}


def test_custom_start_per_worker_and_consensus_distance():
    scheme, lr, d, steps = tt.ring(6), 0.1, 5, 25
    X0 = np.random.default_rng(0).standard_normal((6, d))
    sim = simulate_dsgd(scheme, lr=lr, d=d, steps=steps, reps=2000, x0=X0, seed=3)
    exact, _ = exact_curve(scheme, lr, d + 2, steps, X0)
    assert sim.loss[0] == pytest.approx(np.mean(np.sum(X0**2, 1)) / 2)
    assert np.all(np.abs(sim.loss - exact) <= BAND_Z * sim.loss_sem + 1e-12)
    # consensus distance (1/n) sum ||x_i - xbar||^2 = (1/n) tr(C) - (1/n^2) 1^T C 1 in expectation
    a, b = (1 - lr) ** 2, (d + 1) * lr**2
    C = X0 @ X0.T
    for t in range(steps):
        C = scheme.matrix(t) @ (a * C + b * np.diag(np.diag(C))) @ scheme.matrix(t).T
    expected = np.trace(C) / 6 - C.sum() / 36
    assert sim.consensus[0] == pytest.approx(np.mean(np.sum((X0 - X0.mean(0)) ** 2, 1)))
    assert sim.consensus[-1] == pytest.approx(expected, rel=0.06)


def test_fully_connected_has_zero_consensus_distance():
    sim = simulate_dsgd(tt.fully_connected(4), lr=0.2, d=3, steps=10, reps=5, seed=0)
    assert np.all(sim.consensus <= 1e-25 * sim.loss)


def test_same_start_shape_d_broadcasts():
    x0 = np.arange(1.0, 4.0)
    a = simulate_dsgd(tt.ring(4), lr=0.1, d=3, steps=5, reps=3, x0=x0, seed=1)
    b = simulate_dsgd(tt.ring(4), lr=0.1, d=3, steps=5, reps=3, x0=np.tile(x0, (4, 1)), seed=1)
    assert np.array_equal(a.replica_loss, b.replica_loss)
    assert a.loss[0] == pytest.approx(7.0)


def test_seed_reproducible_and_independent_of_threads():
    kw = dict(lr=0.1, d=6, steps=30, reps=90, seed=11, chunk_size=16)
    a = simulate_dsgd(tt.ring(8), threads=1, **kw)
    b = simulate_dsgd(tt.ring(8), threads=2, **kw)
    c = simulate_dsgd(tt.ring(8), threads=2, **dict(kw, seed=12))
    assert np.array_equal(a.replica_loss, b.replica_loss)
    assert np.array_equal(a.consensus, b.consensus)
    assert not np.array_equal(a.replica_loss, c.replica_loss)
    g1 = simulate_dsgd(tt.ring(8), **dict(kw, seed=np.random.default_rng(5)))
    g2 = simulate_dsgd(tt.ring(8), **dict(kw, seed=np.random.default_rng(5)))
    assert np.array_equal(g1.replica_loss, g2.replica_loss)
    assert a.seed == 11 and g1.seed == "Generator"


def test_divergence_is_flagged_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sim = simulate_dsgd(tt.solo(4), lr=1.0, d=48, steps=400, reps=20, seed=0)
        est = estimate_rate(sim)
    assert sim.diverged and 0 < sim.diverged_step < 400 and sim.n_diverged >= 1
    assert np.isinf(sim.loss[sim.diverged_step :]).all()
    assert np.isfinite(sim.loss[: sim.diverged_step]).all()
    assert np.isnan(est.rate) and est.diverged and np.isnan(est.ci).all()


def test_tiny_states_are_rescaled_exactly():
    # The dynamics are linear: a start 2**-450 times smaller is rescaled by powers of two (never
    # reaching subnormal numbers) and gives bit-for-bit the same trajectories, times 2**-900.
    kw = dict(lr=0.1, d=10, steps=100, reps=20, seed=3)
    x0 = np.full(10, 10**-0.5)
    big = simulate_dsgd(tt.ring(8), x0=x0, **kw)
    small = simulate_dsgd(tt.ring(8), x0=np.ldexp(x0, -450), **kw)
    assert small.loss[0] < 1e-270
    np.testing.assert_array_equal(small.replica_loss, np.ldexp(big.replica_loss, -900))
    np.testing.assert_allclose(small.consensus, np.ldexp(big.consensus, -900), rtol=1e-12)


def test_keep_replicas_false():
    sim = simulate_dsgd(tt.ring(4), lr=0.1, d=3, steps=5, reps=3, seed=1, keep_replicas=False)
    assert sim.replica_loss is None
    with pytest.raises(ValueError, match="keep_replicas"):
        estimate_rate(sim)


def test_repr_is_readable():
    sim = simulate_dsgd(tt.ring(4), lr=0.1, d=3, steps=5, reps=3, seed=1)
    assert repr(sim).startswith("DSGDSimulation(scheme='ring', n=4, d=3, lr=0.1")
    rw = simulate_random_walk(tt.ring(4), gamma=0.5, steps=5, reps=3, seed=1)
    assert "effective_neighbors=" in repr(rw) and repr(rw).startswith("RandomWalkSimulation(")
    assert "rate=" in repr(estimate_rate(sim, window=(1, 5)))


# ------------------------------------------------------------------------------- rate estimator
def test_rate_alone_matches_closed_form():
    # alone: r = 2 lr - zeta lr^2 exactly (THEORY §3.3, route 1)
    lr, d = 0.02, 48
    sim = simulate_dsgd(tt.solo(8), lr=lr, d=d, steps=200, reps=300, seed=4)
    est = estimate_rate(sim)
    r = 2 * lr - (d + 2) * lr**2
    assert est.ci[0] <= r <= est.ci[1]
    assert est.rate == pytest.approx(r, rel=0.03)
    assert est.window == (100, 200)


def _synthetic(curve_replicas, period):
    L = np.asarray(curve_replicas, float)
    steps = L.shape[1] - 1
    return DSGDSimulation(
        scheme="synthetic", n=1, d=1, lr=0.1, batch_size=1, steps=steps, reps=L.shape[0], period=period,
        seed=None, chunk_size=L.shape[0], loss=L.mean(0), loss_sem=L.std(0) / np.sqrt(L.shape[0]),
        consensus=np.zeros(steps + 1), replica_loss=L, diverged=False, diverged_step=-1, n_diverged=0,
    )


def test_rate_fit_is_unbiased_for_periodic_oscillation():
    # loss = rho^t * f(t mod p): the fit with one intercept per phase recovers 1 - rho exactly,
    # whatever the window's alignment; a plain straight-line fit would not.
    rho, p, steps = 0.9, 4, 101
    t = np.arange(steps + 1)
    f = np.array([1.0, 3.0, 0.5, 2.0])
    curve = rho**t * f[t % p]
    sim = _synthetic([curve, 2 * curve], p)
    for window in [(50, 101), (51, 100), (13, 38)]:
        est = estimate_rate(sim, window=window, n_boot=20)
        assert est.rate == pytest.approx(1 - rho, rel=1e-12)
        assert est.ci[0] == pytest.approx(1 - rho, rel=1e-12)
    naive = np.polyfit(t[51:101], np.log(curve[51:101]), 1)[0]
    assert abs(-np.expm1(naive) - (1 - rho)) > 1e-3


def test_bootstrap_is_seeded_and_covers():
    sim = simulate_dsgd(tt.ring(8), lr=0.1, d=10, steps=60, reps=200, seed=5)
    a = estimate_rate(sim, seed=3)
    b = estimate_rate(sim, seed=3)
    c = estimate_rate(sim, seed=4)
    assert a.ci == b.ci and a.ci != c.ci
    assert a.ci[0] < a.rate < a.ci[1]
    assert estimate_rate(sim, confidence=0.5).ci[1] - estimate_rate(sim, confidence=0.5).ci[0] < a.ci[1] - a.ci[0]


def test_default_windows_and_burn_in():
    assert default_window(300) == (150, 300)
    assert default_window(301, period=4) == (152, 301)
    assert default_window(1) == (0, 1)
    assert default_burn_in(0.9) == 100
    assert default_burn_in(0.0) == 10
    assert default_burn_in(0.99, period=3) == 1002
    assert default_burn_in(1 - 1e-12) == 10**6


# ------------------------------------------------------------------------------- random walk
@pytest.mark.parametrize(
    "scheme, gamma",
    [(tt.ring(32), 0.9), (tt.star(32), 0.95), (tt.one_peer_exponential(32), 0.9)],
    ids=["ring", "star", "one_peer_exponential"],
)
def test_random_walk_reproduces_effective_neighbors(scheme, gamma):
    rw = simulate_random_walk(scheme, gamma=gamma, steps=400, reps=1500, seed=1, confidence=0.999)
    exact = tt.effective_neighbors(scheme, gamma)
    assert rw.effective_neighbors == pytest.approx(exact, rel=0.02)
    assert rw.ci[0] <= exact <= rw.ci[1]
    assert rw.ci[1] - rw.ci[0] < 0.02 * exact  # the interval is informative
    exact_all = tt.effective_neighbors(scheme, gamma, mode="all")
    np.testing.assert_allclose(rw.worker_effective_neighbors, exact_all, rtol=0.1)


def test_random_walk_phase_of_local_steps():
    # n_W of local steps depends on the phase: n right after the average (phase 0)
    scheme = tt.local_steps(8, 4)
    for phase in (0, 1, 3):
        rw = simulate_random_walk(scheme, gamma=0.8, steps=400, reps=400, seed=phase, phase=phase)
        exact = tt.effective_neighbors(scheme, 0.8, phase=phase)
        assert rw.effective_neighbors == pytest.approx(exact, rel=0.03)
    assert rw.samples == 100 and rw.burn_in == 52


def test_random_walk_solo_variance_and_threads():
    kw = dict(gamma=0.5, steps=300, reps=300, seed=9, chunk_size=64)
    a = simulate_random_walk(tt.solo(3), threads=1, **kw)
    b = simulate_random_walk(tt.solo(3), threads=2, **kw)
    assert a.effective_neighbors == b.effective_neighbors
    np.testing.assert_array_equal(a.variances, b.variances)
    np.testing.assert_allclose(a.variances, 2.0, rtol=0.03)  # Var y = 1/(1 - gamma)


def test_random_walk_single_replica_has_nan_interval():
    rw = simulate_random_walk(tt.ring(4), gamma=0.5, steps=50, reps=1, seed=0)
    assert np.isnan(rw.ci).all() and np.isfinite(rw.effective_neighbors)


# ------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "kw, exc, match",
    [
        (dict(reps=0), ValueError, "reps"),
        (dict(steps=0), ValueError, "steps"),
        (dict(d=0), ValueError, "d must"),
        (dict(batch_size=0), ValueError, "batch_size"),
        (dict(lr=float("nan")), ValueError, "lr"),
        (dict(lr=float("inf")), ValueError, "lr"),
        (dict(lr=-0.1), ValueError, "lr"),
        (dict(x0=np.ones(4)), ValueError, "x0"),
        (dict(x0=np.ones((3, 3))), ValueError, "x0"),
        (dict(x0=[np.nan, 1.0, 1.0]), ValueError, "x0"),
        (dict(reps=2.5), TypeError, "reps"),
        (dict(threads=0), ValueError, "threads"),
        (dict(chunk_size=0), ValueError, "chunk_size"),
    ],
)
def test_simulate_dsgd_bad_input(kw, exc, match):
    args = dict(lr=0.1, d=3, steps=5, reps=2)
    args.update(kw)
    with pytest.raises(exc, match=match):
        simulate_dsgd(tt.ring(4), **args)


def test_simulate_dsgd_needs_a_scheme():
    with pytest.raises(TypeError, match="scheme"):
        simulate_dsgd("ring", lr=0.1, d=3, steps=5, reps=2)
    # a gossip matrix is converted (as_scheme): W = I simulates three isolated workers
    a = simulate_dsgd(np.eye(3), lr=0.1, d=3, steps=5, reps=2, seed=0)
    b = simulate_dsgd(tt.solo(3), lr=0.1, d=3, steps=5, reps=2, seed=0)
    np.testing.assert_array_equal(a.loss, b.loss)


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(gamma=1.0), "gamma"),
        (dict(gamma=-0.1), "gamma"),
        (dict(gamma=float("nan")), "gamma"),
        (dict(reps=0), "reps"),
        (dict(steps=0), "steps"),
        (dict(burn_in=-1), "burn_in"),
        (dict(confidence=1.0), "confidence"),
    ],
)
def test_simulate_random_walk_bad_input(kw, match):
    args = dict(gamma=0.5, steps=5, reps=2)
    args.update(kw)
    with pytest.raises(ValueError, match=match):
        simulate_random_walk(tt.ring(4), **args)


def test_random_walk_too_few_steps_for_phase():
    with pytest.raises(ValueError, match="phase"):
        simulate_random_walk(tt.local_steps(4, 4), gamma=0.5, steps=2, reps=2, phase=3)


@pytest.mark.parametrize(
    "kw, exc",
    [
        (dict(window=(5, 3)), ValueError),
        (dict(window=(0, 99)), ValueError),
        (dict(window=(0,)), TypeError),
        (dict(window="late"), TypeError),
        (dict(n_boot=0), ValueError),
        (dict(confidence=0.0), ValueError),
    ],
)
def test_estimate_rate_bad_input(kw, exc):
    sim = simulate_dsgd(tt.ring(4), lr=0.1, d=3, steps=10, reps=3, seed=1)
    with pytest.raises(exc):
        estimate_rate(sim, **kw)


def test_estimate_rate_needs_a_simulation():
    with pytest.raises(TypeError, match="DSGDSimulation"):
        estimate_rate(np.ones(5))
