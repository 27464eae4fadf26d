"""The independent simulators of the algorithms: reductions, first steps by hand, compressors, seeds."""

import numpy as np
import pytest

import topotheory as tt
from topotheory.common.rng import as_generator
from topotheory.simulate.algorithms import choco_k, quantize, random_k
from topotheory.simulate.engine import chunk_seeds

SCHEMES = {
    "ring": lambda: tt.ring(6),
    "periodic": lambda: tt.one_peer_exponential(8),
    "random": lambda: tt.pairwise_gossip(6),
    "star": lambda: tt.star(5),
}

#: settings that are D-SGD exactly (THEORY: the registry's reductions)
REDUCTIONS = [
    ("dsgd", {}),
    ("dmsgd", {"momentum": 0.0}),
    ("dmsgd", {"momentum": 0.0, "gossip_momentum": True}),
    ("dmsgd_nesterov", {"momentum": 0.0}),
    ("dmsgd_nesterov", {"momentum": 0.0, "gossip_momentum": True}),
    ("qgm", {"momentum": 0.0}),
    ("delayed", {"delay": 0}),
]


@pytest.mark.parametrize("kind", sorted(SCHEMES))
@pytest.mark.parametrize("algorithm, hp", REDUCTIONS)
def test_reductions_reproduce_simulate_dsgd_draw_for_draw(kind, algorithm, hp):
    scheme = SCHEMES[kind]()
    run = dict(lr=0.07, d=5, steps=25, reps=40, seed=11, chunk_size=16)
    ref = tt.simulate_dsgd(scheme, **run)
    sim = tt.simulate_algorithm(scheme, algorithm=algorithm, **run, **hp)
    np.testing.assert_allclose(sim.replica_loss, ref.replica_loss, rtol=1e-12, atol=0)
    np.testing.assert_allclose(sim.consensus, ref.consensus, rtol=1e-9, atol=1e-300)
    assert sim.algorithm == algorithm and sim.hyperparameters == tt.ALGORITHMS[algorithm].check(**hp)


def test_batches_reduce_too():
    run = dict(lr=0.05, d=4, steps=15, reps=20, seed=2, batch_size=3)
    ref = tt.simulate_dsgd(tt.ring(5), **run)
    sim = tt.simulate_algorithm(tt.ring(5), algorithm="dmsgd", momentum=0.0, **run)
    np.testing.assert_allclose(sim.replica_loss, ref.replica_loss, rtol=1e-12)


def test_choco_with_full_compression_is_dsgd_with_the_lazy_matrix():
    # ratio = 1 sends every coordinate: xhat = h and x <- ((1 - gamma) I + gamma W) h
    W = tt.ring(6).matrix()
    gamma = 0.3
    mixed = tt.Scheme.from_matrix((1 - gamma) * np.eye(6) + gamma * W, name="mixed")
    run = dict(lr=0.08, d=4, steps=30, reps=30, seed=5)
    ref = tt.simulate_dsgd(mixed, **run)
    sim = tt.simulate_algorithm(tt.ring(6), algorithm="choco", ratio=1.0, consensus_step=gamma, **run)
    np.testing.assert_allclose(sim.replica_loss, ref.replica_loss, rtol=1e-10)


def _grad(rng, X):
    """Fresh gradients a (a . x) per worker (one replica), as the simulator draws them."""
    A = rng.standard_normal((X.shape[0], 1, X.shape[1]))[:, 0, :]
    return A * np.sum(A * X, axis=1)[:, None]


def _by_hand_losses(xs):
    return [0.5 * np.mean(np.sum(x * x, axis=1)) for x in xs]


def test_choco_first_steps_by_hand():
    n, d, k, lr, gamma, seed = 3, 4, 2, 0.1, 0.4, 9  # rand_k: the kept coordinates as they are
    W = tt.ring(n).matrix()
    rng = as_generator(chunk_seeds(seed, 1)[0])
    x = np.full((n, d), 0.5)
    xhat = np.zeros((n, d))
    xs = [x]
    for _ in range(3):
        h = x - lr * _grad(rng, x)
        U = rng.random((n, 1, d))[:, 0, :]
        Q = np.zeros((n, d))
        for i in range(n):
            S = np.argsort(U[i])[:k]  # the k smallest uniforms: a uniform k-subset
            Q[i, S] = (h - xhat)[i, S]
        xhat = xhat + Q
        x = h + gamma * (W @ xhat - xhat)
        xs.append(x)
    sim = tt.simulate_algorithm(tt.ring(n), algorithm="choco", ratio=k / d, consensus_step=gamma, lr=lr, d=d,
                                steps=3, reps=1, seed=seed)
    np.testing.assert_allclose(sim.loss, _by_hand_losses(xs), rtol=1e-12)


def test_delayed_first_steps_by_hand():
    n, d, lr, seed, tau = 4, 3, 0.2, 4, 2
    W = tt.ring(n).matrix()
    rng = as_generator(chunk_seeds(seed, 1)[0])
    x = np.full((n, d), 1 / np.sqrt(d))
    xs, drawn = [x], []
    for t in range(5):
        drawn.append(_grad(rng, x))
        g = drawn[t - tau] if t >= tau else 0.0   # the gradient drawn tau steps ago
        x = W @ (x - lr * g)
        xs.append(x)
    sim = tt.simulate_algorithm(tt.ring(n), algorithm="delayed", delay=tau, lr=lr, d=d, steps=5, reps=1, seed=seed)
    np.testing.assert_allclose(sim.loss, _by_hand_losses(xs), rtol=1e-12)
    assert sim.loss[1] == pytest.approx(_by_hand_losses([W @ xs[0]])[0])  # no gradient yet


def test_gradient_tracking_and_exact_diffusion_first_steps_by_hand():
    n, d, lr, seed = 4, 3, 0.15, 8
    W = tt.ring(n).matrix()
    rng = as_generator(chunk_seeds(seed, 1)[0])
    x = np.full((n, d), 1 / np.sqrt(d))
    g = _grad(rng, x)
    y = g.copy()
    xs = [x]
    for _ in range(4):
        x_new = W @ x - lr * y
        g_new = _grad(rng, x_new)
        y = W @ y + g_new - g
        x, g = x_new, g_new
        xs.append(x)
    sim = tt.simulate_algorithm(tt.ring(n), algorithm="gradient_tracking", lr=lr, d=d, steps=4, reps=1, seed=seed)
    np.testing.assert_allclose(sim.loss, _by_hand_losses(xs), rtol=1e-12)

    for combine, Wbar in (("half", (np.eye(n) + W) / 2), ("plain", W)):
        rng = as_generator(chunk_seeds(seed, 1)[0])
        x = np.full((n, d), 1 / np.sqrt(d))
        psi = x.copy()
        xs = [x]
        for _ in range(4):
            psi_new = x - lr * _grad(rng, x)
            x, psi = Wbar @ (psi_new + x - psi), psi_new
            xs.append(x)
        sim = tt.simulate_algorithm(tt.ring(n), algorithm="exact_diffusion", combine=combine, lr=lr, d=d, steps=4,
                                    reps=1, seed=seed)
        np.testing.assert_allclose(sim.loss, _by_hand_losses(xs), rtol=1e-12)


def test_momentum_first_steps_by_hand():
    n, d, lr, beta, seed = 4, 3, 0.1, 0.7, 3
    W = tt.ring(n).matrix()
    for algorithm in ("dmsgd", "dmsgd_nesterov", "qgm"):
        for gossip_m in (False, True):
            if algorithm == "qgm" and gossip_m:
                continue
            rng = as_generator(chunk_seeds(seed, 1)[0])
            x = np.full((n, d), 1 / np.sqrt(d))
            m = np.zeros((n, d))
            xs = [x]
            for _ in range(4):
                g = _grad(rng, x)
                if algorithm == "qgm":
                    x_new = W @ (x - lr * (g + beta * m))
                    m = beta * m + (1 - beta) * (x - x_new) / lr
                    x = x_new
                else:
                    u = beta * m + g
                    step = u if algorithm == "dmsgd" else g + beta * u
                    x, m = W @ (x - lr * step), (W @ u if gossip_m else u)
                xs.append(x)
            hp = {"momentum": beta} | ({} if algorithm == "qgm" else {"gossip_momentum": gossip_m})
            sim = tt.simulate_algorithm(tt.ring(n), algorithm=algorithm, lr=lr, d=d, steps=4, reps=1, seed=seed, **hp)
            np.testing.assert_allclose(sim.loss, _by_hand_losses(xs), rtol=1e-12, err_msg=f"{algorithm} {hp}")


def test_gossip_first_is_dpsgd():
    n, d, lr, seed = 4, 3, 0.2, 1
    W = tt.ring(n).matrix()
    rng = as_generator(chunk_seeds(seed, 1)[0])
    x = np.full((n, d), 1 / np.sqrt(d))
    xs = [x]
    for _ in range(4):
        x = W @ x - lr * _grad(rng, x)
        xs.append(x)
    sim = tt.simulate_algorithm(tt.ring(n), algorithm="dsgd_gossip_first", lr=lr, d=d, steps=4, reps=1, seed=seed)
    np.testing.assert_allclose(sim.loss, _by_hand_losses(xs), rtol=1e-12)


def test_random_k_keeps_k_coordinates_with_the_stated_moments():
    rng = np.random.default_rng(0)
    v = rng.standard_normal((1, 1, 6))
    V = np.broadcast_to(v, (20000, 1, 6)).copy()
    Q = random_k(V, 2, rng)
    assert np.all(np.count_nonzero(Q, axis=-1) == 2)  # exactly k coordinates, kept as they are
    assert np.all((Q == 0) | (Q == V))
    se = Q.std(axis=0) / np.sqrt(len(Q))
    assert np.all(np.abs(Q.mean(axis=0) - v / 3) < 5 * se)  # E Q(v) = (k/d) v
    sq = np.sum(Q**2, axis=-1)
    assert abs(sq.mean() - np.sum(v**2) / 3) < 5 * sq.std() / np.sqrt(len(sq))
    # every coordinate is kept with probability k/d
    kept = (Q != 0).mean(axis=0).ravel()
    assert np.all(np.abs(kept - 1 / 3) < 5 * np.sqrt(2 / 9 / len(Q)))
    assert random_k(V, 6, rng) is V


def test_quantize_is_qsgd_on_its_lattice_rescaled():
    rng = np.random.default_rng(1)
    v = rng.standard_normal((1, 1, 5))
    s = 3
    tau = 1 + min(5 / 9, np.sqrt(5) / 3)
    Q = quantize(np.broadcast_to(v, (20000, 1, 5)).copy(), s, rng)
    norm = np.linalg.norm(v)
    levels = np.abs(Q) * s * tau / norm
    np.testing.assert_allclose(levels, np.round(levels), atol=1e-9)  # values norm * l / (s tau)
    assert np.all(np.sign(Q)[Q != 0] == np.broadcast_to(np.sign(v), Q.shape)[Q != 0])
    se = Q.std(axis=0) / np.sqrt(len(Q))
    assert np.all(np.abs(Q.mean(axis=0) - v / tau) < 5 * se + 1e-12)  # E Q(v) = v / tau
    # the two levels around s |v_j| / |v| only
    r = s * np.abs(v) / norm
    lv = np.round(levels)
    assert np.all((lv == np.floor(r)) | (lv == np.floor(r) + 1))
    # contractive: E|Q(v) - v|^2 <= (1 - 1/tau) |v|^2
    err = np.sum((Q - v) ** 2, axis=-1)
    assert err.mean() <= (1 - 1 / tau) * norm**2 + 5 * err.std() / np.sqrt(len(err))
    assert np.all(quantize(np.zeros((2, 1, 3)), s, rng) == 0)


def test_choco_quantize_runs_and_levels_matter():
    run = dict(lr=0.05, d=6, steps=30, reps=200, seed=0)
    fine = tt.simulate_algorithm(tt.ring(6), algorithm="choco", compression="quantize", levels=256, **run)
    full = tt.simulate_algorithm(tt.ring(6), algorithm="choco", ratio=1.0, **run)
    # 256 levels on 6 coordinates: tau = 1.01 and tiny quantization noise, the curves nearly coincide
    assert abs(fine.loss[-1] / full.loss[-1] - 1) < 0.05
    assert not fine.diverged


def test_seeds_threads_and_chunks():
    run = dict(lr=0.05, d=4, steps=20, reps=50, chunk_size=8, algorithm="choco", ratio=0.5)
    a = tt.simulate_algorithm(tt.pairwise_gossip(6), seed=3, threads=1, **run)
    b = tt.simulate_algorithm(tt.pairwise_gossip(6), seed=3, threads=3, **run)
    c = tt.simulate_algorithm(tt.pairwise_gossip(6), seed=4, threads=1, **run)
    np.testing.assert_array_equal(a.replica_loss, b.replica_loss)
    assert not np.array_equal(a.replica_loss, c.replica_loss)
    g = np.random.default_rng(7)
    d1 = tt.simulate_algorithm(tt.ring(6), seed=g, **run)
    d2 = tt.simulate_algorithm(tt.ring(6), seed=g, **run)  # the caller's generator is not advanced
    np.testing.assert_array_equal(d1.replica_loss, d2.replica_loss)
    assert d1.seed == "Generator" and a.seed == 3 and a.chunk_size == 8


def test_estimate_rate_applies_and_divergence_is_flagged():
    sim = tt.simulate_algorithm(tt.ring(8), algorithm="dmsgd", momentum=0.5, lr=0.02, d=10, steps=80, reps=100, seed=1)
    est = tt.estimate_rate(sim)
    assert 0 < est.rate < 1 and est.ci[0] <= est.rate <= est.ci[1]
    bad = tt.simulate_algorithm(tt.ring(8), algorithm="dmsgd", momentum=0.9, lr=2.0, d=10, steps=400, reps=4, seed=1)
    assert bad.diverged and bad.diverged_step > 0 and np.isinf(bad.loss[-1])
    assert np.isnan(tt.estimate_rate(bad).rate)
    assert "algorithm='dmsgd'" in repr(bad)


def test_long_runs_stay_finite_and_geometric():
    # the whole state is rescaled by 2**250 once tiny: far below the loss's float range the run
    # goes on (loss 0, never NaN, not flagged), and above it the decay stays geometric
    sim = tt.simulate_algorithm(tt.fully_connected(4), algorithm="dmsgd", momentum=0.5, lr=0.4, d=2, steps=3000,
                                reps=4, seed=0, batch_size=50)
    assert not sim.diverged and not np.isnan(sim.loss).any() and sim.loss[-1] == 0
    logs = np.log(sim.loss[[200, 500, 800]])
    assert sim.loss[800] > 1e-300 and abs((logs[2] - logs[1]) / (logs[1] - logs[0]) - 1) < 0.1


def test_bad_input():
    ring = tt.ring(4)
    run = dict(lr=0.1, d=4, steps=5, reps=2)
    with pytest.raises(ValueError, match="algorithm must be one of 'dsgd', 'dsgd_gossip_first'"):
        tt.simulate_algorithm(ring, algorithm="adam", **run)
    with pytest.raises(ValueError, match=r"momentum must lie in \[0, 1\)"):
        tt.simulate_algorithm(ring, algorithm="dmsgd", momentum=1.0, **run)
    with pytest.raises(TypeError, match="takes no hyper-parameter 'momentum'"):
        tt.simulate_algorithm(ring, algorithm="choco", momentum=0.5, **run)
    with pytest.raises(ValueError, match="ratio \\* d must be a whole number"):
        tt.simulate_algorithm(ring, algorithm="choco", ratio=0.3, **run)
    with pytest.raises(ValueError, match="levels applies to compression='quantize' only"):
        tt.simulate_algorithm(ring, algorithm="choco", levels=3, **run)
    with pytest.raises(ValueError, match="lr must be > 0 for quasi-global momentum"):
        tt.simulate_algorithm(ring, algorithm="qgm", lr=0.0, d=4, steps=5, reps=2)
    with pytest.raises(ValueError, match="delay"):
        tt.simulate_algorithm(ring, algorithm="delayed", delay=-1, **run)
    with pytest.raises(ValueError, match="reps = .*delayed gradients on 4 workers would need"):
        tt.simulate_algorithm(ring, algorithm="delayed", delay=1000, lr=0.1, d=10**6, steps=10**4, reps=10**3)
    assert choco_k(0.5, 6) == 3
